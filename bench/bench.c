/* bench.c - one benchmark source written against libcurl's API, built twice:
   against libcurl and against multiperform through compat/curl/curl.h.

     bench keepalive URL TOTAL PARALLEL BYTES   TOTAL GETs, PARALLEL at a time, reusing
                                               handles and connections
     bench concurrent URL COUNT BYTES          COUNT transfers added at once
     bench large URL BYTES                     one transfer
     bench fresh URL TOTAL BYTES SESSIONS      TOTAL GETs one after another, each on a
                                               new connection (FRESH_CONNECT and
                                               FORBID_REUSE); SESSIONS 0: no TLS
                                               session cache (a full handshake each
                                               time), 1: sessions resumed
     bench sockets URL COUNT BYTES             COUNT transfers added at once, driven
                                               by socket_action and epoll
     bench idle URL BYTES TOTAL HANG_URL IDLE  TOTAL GETs one after another on one
                                               kept-alive connection, through
                                               socket_action, while IDLE other
                                               transfers wait on HANG_URL (which
                                               never answers)

   https URLs trust the CA file in BENCH_CAINFO. Every response is checked
   (status 200 and byte count) so a fast wrong answer cannot pass. Prints one "result" line of key=value pairs; CPU comes
   from getrusage, allocations from bench/mallocount.c when it is preloaded. */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "measure.h"

static unsigned long (*mallocs)(void);

typedef struct job {
    CURL *h;
    curl_off_t got;
} job;

static size_t count_cb(char *p, size_t s, size_t n, void *ud)
{
    (void)p;
    ((job *)ud)->got += (curl_off_t)(s * n);
    return s * n;
}

static CURL *make(const char *url, job *j)
{
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, count_cb);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, j);
    curl_easy_setopt(h, CURLOPT_PRIVATE, j);
    if (getenv("BENCH_CAINFO")) curl_easy_setopt(h, CURLOPT_CAINFO, getenv("BENCH_CAINFO"));
    j->h = h;
    j->got = 0;
    return h;
}

/* Checks one finished transfer; returns 1 if it is right. */
static int check(CURLMsg *msg, curl_off_t bytes)
{
    job *j = NULL;
    long code = 0;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&j);
    curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
    if (msg->data.result != CURLE_OK || code != 200 || j->got != bytes) {
        fprintf(stderr, "bad response: %s, status %ld, %lld bytes\n", curl_easy_strerror(msg->data.result), code,
                (long long)j->got);
        return 0;
    }
    return 1;
}

static int keepalive(const char *url, long total, int parallel, curl_off_t bytes)
{
    CURLM *m = curl_multi_init();
    job *jobs = calloc((size_t)parallel, sizeof *jobs);
    long started = 0, done = 0, ok = 0, warm = parallel * 20L;
    double t0 = 0, c0 = 0, t1, c1;
    unsigned long a0 = 0, a1;
    int i, running, left;
    CURLMsg *msg;
    for (i = 0; i < parallel && started < total; i++, started++) curl_multi_add_handle(m, make(url, &jobs[i]));
    while (done < total) {
        curl_multi_perform(m, &running);
        while ((msg = curl_multi_info_read(m, &left)) != NULL) {
            job *j = NULL;
            CURL *h = msg->easy_handle;
            if (msg->msg != CURLMSG_DONE) continue;
            ok += check(msg, bytes);
            done++;
            curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&j);
            curl_multi_remove_handle(m, h);
            if (done == warm) { /* the measured phase starts warm */
                t0 = now_s();
                c0 = cpu_us();
                a0 = mallocs ? mallocs() : 0;
            }
            if (started < total) {
                j->got = 0;
                curl_multi_add_handle(m, h);
                started++;
            }
        }
        if (done < total) curl_multi_poll(m, NULL, 0, 1000, NULL);
    }
    t1 = now_s();
    c1 = cpu_us();
    a1 = mallocs ? mallocs() : 0;
    printf("result mode=keepalive requests=%ld ok=%ld measured=%ld seconds=%.6f cpu_us=%.0f mallocs=%ld\n", total, ok,
           total - warm, t1 - t0, c1 - c0, mallocs ? (long)(a1 - a0) : -1L);
    for (i = 0; i < parallel; i++) curl_easy_cleanup(jobs[i].h);
    curl_multi_cleanup(m);
    free(jobs);
    return ok == total ? 0 : 1;
}

static int concurrent(const char *url, int count, curl_off_t bytes)
{
    CURLM *m = curl_multi_init();
    job *jobs = calloc((size_t)count, sizeof *jobs);
    long ok = 0, done = 0, rss0;
    double t0, c0, t1, c1;
    int i, running, left;
    CURLMsg *msg;
    rss0 = rss_now_kb();
    t0 = now_s();
    c0 = cpu_us();
    for (i = 0; i < count; i++) curl_multi_add_handle(m, make(url, &jobs[i]));
    while (done < count) {
        curl_multi_perform(m, &running);
        while ((msg = curl_multi_info_read(m, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE) continue;
            ok += check(msg, bytes);
            done++;
        }
        if (done < count) curl_multi_poll(m, NULL, 0, 1000, NULL);
    }
    t1 = now_s();
    c1 = cpu_us();
    printf("result mode=concurrent requests=%d ok=%ld seconds=%.6f cpu_us=%.0f rss_kb_before=%ld rss_kb_peak=%ld\n", count,
           ok, t1 - t0, c1 - c0, rss0, maxrss_kb());
    for (i = 0; i < count; i++) {
        curl_multi_remove_handle(m, jobs[i].h);
        curl_easy_cleanup(jobs[i].h);
    }
    curl_multi_cleanup(m);
    free(jobs);
    return ok == count ? 0 : 1;
}

/* ---- an epoll loop over socket_action (the shape of libcurl's hiperfifo) ---- */
typedef struct evloop {
    CURLM *m;
    int ep, running;
    double timer_at; /* seconds, -1: none */
} evloop;

static int ev_socket(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
    evloop *l = (evloop *)userp;
    struct epoll_event ev;
    (void)e;
    memset(&ev, 0, sizeof ev);
    ev.data.fd = s;
    if (what == CURL_POLL_REMOVE) {
        if (socketp) epoll_ctl(l->ep, EPOLL_CTL_DEL, s, &ev);
        return 0;
    }
    ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0);
    epoll_ctl(l->ep, socketp ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, s, &ev);
    if (!socketp) curl_multi_assign(l->m, s, l);
    return 0;
}

static int ev_timer(CURLM *m, long ms, void *userp)
{
    (void)m;
    ((evloop *)userp)->timer_at = ms < 0 ? -1 : now_s() + ms / 1000.0;
    return 0;
}

static void ev_init(evloop *l)
{
    memset(l, 0, sizeof *l);
    l->timer_at = -1;
    l->ep = epoll_create1(0);
    l->m = curl_multi_init();
    curl_multi_setopt(l->m, CURLMOPT_SOCKETFUNCTION, ev_socket);
    curl_multi_setopt(l->m, CURLMOPT_SOCKETDATA, l);
    curl_multi_setopt(l->m, CURLMOPT_TIMERFUNCTION, ev_timer);
    curl_multi_setopt(l->m, CURLMOPT_TIMERDATA, l);
}

/* One round of the loop: the ready sockets, then the timer if it is due. */
static void ev_round(evloop *l)
{
    struct epoll_event evs[256];
    int wait = l->timer_at < 0 ? 1000 : (int)((l->timer_at - now_s()) * 1000 + 0.999), n, i;
    n = epoll_wait(l->ep, evs, 256, wait < 0 ? 0 : wait > 1000 ? 1000 : wait);
    for (i = 0; i < n; i++)
        curl_multi_socket_action(l->m, evs[i].data.fd,
                                 ((evs[i].events & EPOLLIN) ? CURL_CSELECT_IN : 0) |
                                     ((evs[i].events & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
                                     ((evs[i].events & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR : 0),
                                 &l->running);
    if (l->timer_at >= 0 && now_s() >= l->timer_at) {
        l->timer_at = -1;
        curl_multi_socket_action(l->m, CURL_SOCKET_TIMEOUT, 0, &l->running);
    }
}

static int sockets(const char *url, int count, curl_off_t bytes)
{
    evloop l;
    job *jobs = calloc((size_t)count, sizeof *jobs);
    long ok = 0, done = 0, rss0;
    double t0, c0, t1, c1;
    int i, left;
    CURLMsg *msg;
    ev_init(&l);
    rss0 = rss_now_kb();
    t0 = now_s();
    c0 = cpu_us();
    for (i = 0; i < count; i++) curl_multi_add_handle(l.m, make(url, &jobs[i]));
    while (done < count) {
        ev_round(&l);
        while ((msg = curl_multi_info_read(l.m, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE) continue;
            ok += check(msg, bytes);
            done++;
        }
    }
    t1 = now_s();
    c1 = cpu_us();
    printf("result mode=sockets requests=%d ok=%ld seconds=%.6f cpu_us=%.0f rss_kb_before=%ld rss_kb_peak=%ld\n", count, ok,
           t1 - t0, c1 - c0, rss0, maxrss_kb());
    for (i = 0; i < count; i++) {
        curl_multi_remove_handle(l.m, jobs[i].h);
        curl_easy_cleanup(jobs[i].h);
    }
    curl_multi_cleanup(l.m);
    close(l.ep);
    free(jobs);
    return ok == count ? 0 : 1;
}

static int idle(const char *url, curl_off_t bytes, long total, const char *hang_url, int nidle)
{
    evloop l;
    job *idlers = calloc((size_t)nidle + 1, sizeof *idlers), active;
    long ok = 0, done = 0, warm = 200;
    double t0 = 0, c0 = 0, t1, c1, settle;
    int i, left;
    CURLMsg *msg;
    ev_init(&l);
    for (i = 0; i < nidle; i++) {
        curl_easy_setopt(make(hang_url, &idlers[i]), CURLOPT_TIMEOUT, 600L);
        curl_multi_add_handle(l.m, idlers[i].h);
    }
    for (settle = now_s() + 1.0 + nidle / 2000.0; now_s() < settle;) ev_round(&l); /* connected, asked, waiting */
    make(url, &active);
    curl_multi_add_handle(l.m, active.h);
    while (done < total) {
        ev_round(&l);
        while ((msg = curl_multi_info_read(l.m, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE || msg->easy_handle != active.h) continue;
            ok += check(msg, bytes);
            done++;
            curl_multi_remove_handle(l.m, active.h);
            if (done == warm) {
                t0 = now_s();
                c0 = cpu_us();
            }
            if (done < total) {
                active.got = 0;
                curl_multi_add_handle(l.m, active.h);
            }
        }
    }
    t1 = now_s();
    c1 = cpu_us();
    printf("result mode=idle idle=%d requests=%ld ok=%ld measured=%ld seconds=%.6f cpu_us=%.0f\n", nidle, total, ok,
           total - warm, t1 - t0, c1 - c0);
    for (i = 0; i < nidle; i++) {
        curl_multi_remove_handle(l.m, idlers[i].h);
        curl_easy_cleanup(idlers[i].h);
    }
    curl_easy_cleanup(active.h);
    curl_multi_cleanup(l.m);
    close(l.ep);
    free(idlers);
    return ok == total ? 0 : 1;
}

static int fresh(const char *url, long total, curl_off_t bytes, long sessions)
{
    CURLM *m = curl_multi_init();
    job j;
    long ok = 0, i, warm = total / 10;
    double t0 = 0, c0 = 0, t1, c1;
    int running, left;
    CURLMsg *msg;
    make(url, &j);
    curl_easy_setopt(j.h, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(j.h, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(j.h, CURLOPT_SSL_SESSIONID_CACHE, sessions);
    for (i = 0; i < total; i++) {
        if (i == warm) { /* the measured phase starts warm (a session to resume, the CA file read) */
            t0 = now_s();
            c0 = cpu_us();
        }
        j.got = 0;
        curl_multi_add_handle(m, j.h);
        running = 1;
        while (running) {
            curl_multi_perform(m, &running);
            if (running) curl_multi_poll(m, NULL, 0, 1000, NULL);
        }
        while ((msg = curl_multi_info_read(m, &left)) != NULL) ok += check(msg, bytes);
        curl_multi_remove_handle(m, j.h);
    }
    t1 = now_s();
    c1 = cpu_us();
    printf("result mode=fresh requests=%ld ok=%ld measured=%ld seconds=%.6f cpu_us=%.0f\n", total, ok, total - warm, t1 - t0,
           c1 - c0);
    curl_easy_cleanup(j.h);
    curl_multi_cleanup(m);
    return ok == total ? 0 : 1;
}

static int large(const char *url, curl_off_t bytes)
{
    CURLM *m = curl_multi_init();
    job j;
    long ok = 0;
    double t0, c0, t1, c1;
    int running = 1, left;
    CURLMsg *msg;
    make(url, &j);
    t0 = now_s();
    c0 = cpu_us();
    curl_multi_add_handle(m, j.h);
    while (running) {
        curl_multi_perform(m, &running);
        if (running) curl_multi_poll(m, NULL, 0, 1000, NULL);
    }
    t1 = now_s();
    c1 = cpu_us();
    while ((msg = curl_multi_info_read(m, &left)) != NULL) ok += check(msg, bytes);
    printf("result mode=large requests=1 ok=%ld seconds=%.6f cpu_us=%.0f bytes=%lld\n", ok, t1 - t0, c1 - c0,
           (long long)j.got);
    curl_multi_remove_handle(m, j.h);
    curl_easy_cleanup(j.h);
    curl_multi_cleanup(m);
    return ok == 1 ? 0 : 1;
}

int main(int argc, char **argv)
{
    mallocs = (unsigned long (*)(void))dlsym(RTLD_DEFAULT, "bench_mallocs");
    curl_global_init(CURL_GLOBAL_ALL);
    if (argc == 6 && strcmp(argv[1], "keepalive") == 0) return keepalive(argv[2], atol(argv[3]), atoi(argv[4]), atoll(argv[5]));
    if (argc == 5 && strcmp(argv[1], "concurrent") == 0) return concurrent(argv[2], atoi(argv[3]), atoll(argv[4]));
    if (argc == 4 && strcmp(argv[1], "large") == 0) return large(argv[2], atoll(argv[3]));
    if (argc == 6 && strcmp(argv[1], "fresh") == 0) return fresh(argv[2], atol(argv[3]), atoll(argv[4]), atol(argv[5]));
    if (argc == 5 && strcmp(argv[1], "sockets") == 0) return sockets(argv[2], atoi(argv[3]), atoll(argv[4]));
    if (argc == 7 && strcmp(argv[1], "idle") == 0)
        return idle(argv[2], atoll(argv[3]), atol(argv[4]), argv[5], atoi(argv[6]));
    fprintf(stderr, "usage: bench keepalive URL TOTAL PARALLEL BYTES | concurrent URL COUNT BYTES | large URL BYTES |"
                    " fresh URL TOTAL BYTES SESSIONS | sockets URL COUNT BYTES | idle URL BYTES TOTAL HANG_URL IDLE\n");
    return 2;
}
