/* game_loop: downloads in the background of a frame loop, the way a game
   does it: one mperf_multi_perform call per frame, never a wait, and the
   frame goes on whatever the network does.

     game_loop [-k CAFILE] [-m FRAME_MS] URL...

   Every URL is added at once; each frame calls perform once, then "renders"
   (sleeps FRAME_MS, default 2). At the end it prints one line per transfer
   and a summary with the longest perform call: that is the stall a player
   would see. Exit status 0 when every transfer succeeded.

   Build: cc -O2 -o game_loop examples/game_loop.c -lbearssl */
#define _POSIX_C_SOURCE 200809L
#define MULTIPERFORM_IMPLEMENTATION
#include "../multiperform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct asset {
    const char *url;
    mperf_easy *easy;
    mperf_off_t bytes;
    long progress_calls;
    mperf_code result;
    int done;
} asset;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    ((asset *)ud)->bytes += (mperf_off_t)(size * n); /* a game would keep it */
    return size * n;
}

static int on_progress(void *ud, mperf_off_t dltotal, mperf_off_t dlnow, mperf_off_t ultotal, mperf_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    ((asset *)ud)->progress_calls++; /* a loading bar would move here */
    return 0;
}

int main(int argc, char **argv)
{
    const char *cafile = NULL;
    long frame_ms = 2, frames = 0;
    int i, n = 0, running = 1, ok = 0, biggest = -1;
    double longest = 0, total = 0, t0;
    asset *a = (asset *)calloc((size_t)argc, sizeof *a);
    mperf_multi *m = mperf_multi_init();
    mperf_msg *msg;
    int left;
    struct timespec nap;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-k") == 0 && i + 1 < argc) cafile = argv[++i];
        else if (strcmp(argv[i], "-m") == 0 && i + 1 < argc) frame_ms = atol(argv[++i]);
        else a[n++].url = argv[i];
    }
    if (!n || !a || !m) {
        fprintf(stderr, "usage: game_loop [-k CAFILE] [-m FRAME_MS] URL...\n");
        return 2;
    }
    for (i = 0; i < n; i++) {
        a[i].easy = mperf_easy_init();
        mperf_easy_setopt(a[i].easy, MPERF_OPT_URL, a[i].url);
        mperf_easy_setopt(a[i].easy, MPERF_OPT_WRITEFUNCTION, on_data);
        mperf_easy_setopt(a[i].easy, MPERF_OPT_WRITEDATA, &a[i]);
        mperf_easy_setopt(a[i].easy, MPERF_OPT_XFERINFOFUNCTION, on_progress);
        mperf_easy_setopt(a[i].easy, MPERF_OPT_XFERINFODATA, &a[i]);
        mperf_easy_setopt(a[i].easy, MPERF_OPT_NOPROGRESS, 0L);
        mperf_easy_setopt(a[i].easy, MPERF_OPT_PRIVATE, &a[i]);
        if (cafile) mperf_easy_setopt(a[i].easy, MPERF_OPT_CAINFO, cafile);
        mperf_multi_add_handle(m, a[i].easy);
    }
    nap.tv_sec = frame_ms / 1000;
    nap.tv_nsec = (frame_ms % 1000) * 1000000L;
    t0 = now_ms();
    while (running) { /* the frame loop */
        double before = now_ms(), took;
        mperf_multi_perform(m, &running);
        took = now_ms() - before;
        if (took > longest) longest = took;
        total += took;
        frames++;
        while ((msg = mperf_multi_info_read(m, &left)) != NULL) {
            asset *done = NULL;
            mperf_easy_getinfo(msg->easy_handle, MPERF_INFO_PRIVATE, (char **)&done);
            done->result = msg->data.result;
            done->done = 1;
        }
        nanosleep(&nap, NULL); /* the rest of the frame: game logic and rendering */
    }
    for (i = 0; i < n; i++) {
        if (a[i].done && a[i].result == MPERF_E_OK) ok++;
        if (biggest < 0 || a[i].bytes > a[biggest].bytes) biggest = i;
        printf("%s: %s, %lld bytes, %ld progress calls\n", a[i].url, mperf_easy_strerror(a[i].result),
               (long long)a[i].bytes, a[i].progress_calls);
        mperf_multi_remove_handle(m, a[i].easy);
        mperf_easy_cleanup(a[i].easy);
    }
    printf("%d of %d transfers done in %.0f ms over %ld frames\n", ok, n, now_ms() - t0, frames);
    printf("longest perform call: %.2f ms; average %.3f ms\n", longest, total / (double)frames);
    printf("largest transfer: %lld bytes with %ld progress calls\n", (long long)a[biggest].bytes,
           a[biggest].progress_calls);
    mperf_multi_cleanup(m);
    free(a);
    return ok == n ? 0 : 1;
}
