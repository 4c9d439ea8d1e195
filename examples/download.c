/* download: a parallel command-line downloader on multiperform's multi API.

     download [-p PARALLEL] [-o DIR] URL...

   Saves each URL in DIR under the last part of its path, PARALLEL at a time
   (default 4), prints a progress line per transfer and a summary. Exit
   status 0 when every download succeeded.

   Build: cc -O2 -o download examples/download.c -lbearssl      (http and https)
      or: cc -O2 -DMPERF_NO_TLS -o download examples/download.c   (http only, no dependency) */
#define MULTIPERFORM_IMPLEMENTATION
#include "../multiperform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct job {
    const char *url;
    char path[1024];
    FILE *out;
    mperf_easy *easy;
    mperf_off_t now, total;
    int state; /* 0 waiting, 1 running, 2 done */
    int quarter; /* progress quarters already printed (not a terminal) */
    mperf_code result;
    long code;
    double seconds;
    char err[MPERF_ERROR_SIZE];
} job;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int progress_cb(void *ud, mperf_off_t dltotal, mperf_off_t dlnow, mperf_off_t ultotal, mperf_off_t ulnow)
{
    job *j = (job *)ud;
    (void)ultotal;
    (void)ulnow;
    j->now = dlnow;
    j->total = dltotal;
    return 0;
}

static const char *human(double v, char *buf, size_t n)
{
    const char *unit[] = {"B", "KiB", "MiB", "GiB"};
    int u = 0;
    while (v >= 1024 && u < 3) {
        v /= 1024;
        u++;
    }
    snprintf(buf, n, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
    return buf;
}

static void print_line(const job *j, int idx)
{
    char a[32], b[32];
    const char *name = strrchr(j->path, '/') ? strrchr(j->path, '/') + 1 : j->path;
    int pct = j->total > 0 ? (int)(100.0 * (double)j->now / (double)j->total) : 0;
    int bar = pct / 5, k;
    printf("[%d] %-16.16s [", idx, name);
    for (k = 0; k < 20; k++) putchar(k < bar ? '#' : '.');
    printf("] %3d%% %10s / %-10s %s\n", pct, human((double)j->now, a, sizeof a),
           j->total > 0 ? human((double)j->total, b, sizeof b) : "?",
           j->state == 2 ? (j->result == MPERF_E_OK ? "done" : "FAILED") : j->state == 1 ? "" : "waiting");
}

static int start_job(mperf_multi *m, job *j)
{
    j->out = fopen(j->path, "wb");
    if (!j->out) {
        snprintf(j->err, sizeof j->err, "cannot write %s", j->path);
        j->state = 2;
        j->result = MPERF_E_WRITE_ERROR;
        return 0;
    }
    j->easy = mperf_easy_init();
    mperf_easy_setopt(j->easy, MPERF_OPT_URL, j->url);
    mperf_easy_setopt(j->easy, MPERF_OPT_WRITEDATA, j->out); /* the default writer: fwrite */
    mperf_easy_setopt(j->easy, MPERF_OPT_PRIVATE, j);
    mperf_easy_setopt(j->easy, MPERF_OPT_ERRORBUFFER, j->err);
    mperf_easy_setopt(j->easy, MPERF_OPT_NOPROGRESS, 0L);
    mperf_easy_setopt(j->easy, MPERF_OPT_XFERINFOFUNCTION, progress_cb);
    mperf_easy_setopt(j->easy, MPERF_OPT_XFERINFODATA, j);
    mperf_easy_setopt(j->easy, MPERF_OPT_USERAGENT, "multiperform-download/" MPERF_VERSION);
    j->state = 1;
    return mperf_multi_add_handle(m, j->easy) == MPERF_M_OK;
}

int main(int argc, char **argv)
{
    const char *dir = ".";
    int parallel = 4, i, n = 0, next = 0, active = 0, done = 0, failed = 0, tty = isatty(1), drawn = 0;
    job *jobs;
    mperf_multi *m;
    double t0 = now_s(), last_draw = 0;
    mperf_off_t bytes = 0;
    char a[32], b[32];
    jobs = (job *)calloc((size_t)argc, sizeof *jobs);
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-p") == 0 && i + 1 < argc) parallel = atoi(argv[++i]);
        else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) dir = argv[++i];
        else {
            const char *u = argv[i], *q = strchr(u, '?'), *s;
            size_t end = q ? (size_t)(q - u) : strlen(u), st = end;
            while (st > 0 && u[st - 1] != '/') st--;
            s = u + st;
            jobs[n].url = u;
            if (end > st) snprintf(jobs[n].path, sizeof jobs[n].path, "%s/%.*s", dir, (int)(end - st), s);
            else snprintf(jobs[n].path, sizeof jobs[n].path, "%s/index-%d.html", dir, n);
            n++;
        }
    }
    if (n == 0 || parallel < 1) {
        fprintf(stderr, "usage: %s [-p PARALLEL] [-o DIR] URL...\n", argv[0]);
        return 2;
    }
    printf("downloading %d file%s, %d at a time, with %s\n", n, n == 1 ? "" : "s", parallel, mperf_version());
    m = mperf_multi_init();
    while (done < n) {
        int running;
        mperf_msg *msg;
        int left;
        while (active < parallel && next < n) {
            if (start_job(m, &jobs[next])) active++;
            else {
                done++;
                failed++;
            }
            next++;
        }
        mperf_multi_perform(m, &running);
        while ((msg = mperf_multi_info_read(m, &left)) != NULL) {
            job *j = NULL;
            if (msg->msg != MPERF_MSG_DONE) continue;
            mperf_easy_getinfo(msg->easy_handle, MPERF_INFO_PRIVATE, (char **)&j);
            j->result = msg->data.result;
            mperf_easy_getinfo(j->easy, MPERF_INFO_RESPONSE_CODE, &j->code);
            mperf_easy_getinfo(j->easy, MPERF_INFO_SIZE_DOWNLOAD_T, &j->now);
            mperf_easy_getinfo(j->easy, MPERF_INFO_TOTAL_TIME, &j->seconds);
            if (j->result == MPERF_E_OK && j->code >= 400) {
                j->result = MPERF_E_HTTP_RETURNED_ERROR;
                snprintf(j->err, sizeof j->err, "HTTP status %ld", j->code);
            }
            if (j->total <= 0) j->total = j->now;
            j->state = 2;
            bytes += j->now;
            mperf_multi_remove_handle(m, j->easy);
            mperf_easy_cleanup(j->easy);
            j->easy = NULL;
            fclose(j->out);
            active--;
            done++;
            if (j->result != MPERF_E_OK) failed++;
            if (!tty) {
                printf("[%d] %s: %s, %s in %.2f s\n", (int)(j - jobs), j->path,
                       j->result == MPERF_E_OK ? "ok" : j->err[0] ? j->err : mperf_easy_strerror(j->result),
                       human((double)j->now, a, sizeof a), j->seconds);
            }
        }
        if (!tty) { /* a log: one line per transfer at each quarter */
            for (i = 0; i < n; i++) {
                job *j = &jobs[i];
                int q = j->total > 0 ? (int)(4 * j->now / j->total) : 0;
                if (j->state == 1 && q > j->quarter && q < 4) {
                    j->quarter = q;
                    print_line(j, i);
                }
            }
            fflush(stdout);
        }
        if (tty && (now_s() - last_draw > 0.2 || done == n)) { /* redraw the block of progress lines */
            if (drawn) printf("\033[%dA", drawn);
            for (i = 0; i < n; i++) print_line(&jobs[i], i);
            drawn = n;
            fflush(stdout);
            last_draw = now_s();
        }
        if (done < n) mperf_multi_poll(m, NULL, 0, 200, NULL);
    }
    mperf_multi_cleanup(m);
    {
        double secs = now_s() - t0;
        printf("%d downloaded, %d failed, %s in %.2f s (%s/s)\n", n - failed, failed, human((double)bytes, a, sizeof a),
               secs, human(secs > 0 ? (double)bytes / secs : 0, b, sizeof b));
    }
    for (i = 0; i < n; i++)
        if (jobs[i].result != MPERF_E_OK) fprintf(stderr, "failed: %s: %s\n", jobs[i].url, jobs[i].err);
    free(jobs);
    return failed ? 1 : 0;
}
