/* event_loop: many transfers at once on a program's own epoll loop, through
   libcurl's event API (curl_multi_socket_action), the way servers and
   daemons drive libcurl. Written against libcurl's names: it builds with
   real libcurl as well as with the header.

     event_loop URL COUNT

   Adds COUNT transfers of URL at once. The socket callback keeps epoll in
   step with what each socket is to be watched for; the timer callback arms
   a timerfd in the same epoll set; every ready socket goes to
   curl_multi_socket_action with what it is ready for. Each finished
   transfer is checked: result, status 200, and every byte of the announced
   length. Prints "event_loop: COUNT transfers, K ok, F failed", then the
   time taken; exit status 0 when every transfer was right.

   Build with the header: cc -O2 -I compat -DMULTIPERFORM_IMPLEMENTATION \
                             -o event_loop examples/event_loop.c -lbearssl
   Build with libcurl:    cc -O2 -o event_loop examples/event_loop.c -lcurl */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

typedef struct app {
    CURLM *multi;
    int ep, tfd;
    int running;
    long ok, failed;
} app;

typedef struct job {
    CURL *easy;
    curl_off_t bytes;
} job;

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    ((job *)ud)->bytes += (curl_off_t)(size * n);
    return size * n;
}

/* What to watch on a socket: epoll follows, REMOVE drops it. The socket's
   own pointer says whether epoll knows it yet. */
static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    app *a = (app *)userp;
    struct epoll_event ev;
    (void)easy;
    memset(&ev, 0, sizeof ev);
    ev.data.fd = s;
    if (what == CURL_POLL_REMOVE) {
        if (socketp) epoll_ctl(a->ep, EPOLL_CTL_DEL, s, &ev);
        return 0;
    }
    ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0);
    if (epoll_ctl(a->ep, socketp ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, s, &ev) != 0) {
        perror("epoll_ctl");
        return -1;
    }
    if (!socketp) curl_multi_assign(a->multi, s, a); /* known to epoll from now on */
    return 0;
}

/* The one-shot timer: -1 disarms it, 0 fires as soon as possible. */
static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
    app *a = (app *)userp;
    struct itimerspec its;
    (void)multi;
    memset(&its, 0, sizeof its);
    if (timeout_ms >= 0) {
        its.it_value.tv_sec = timeout_ms / 1000;
        its.it_value.tv_nsec = (timeout_ms % 1000) * 1000000L;
        if (timeout_ms == 0) its.it_value.tv_nsec = 1; /* an all-zero value would disarm it */
    }
    timerfd_settime(a->tfd, 0, &its, NULL);
    return 0;
}

/* Finished transfers: checked, counted. */
static void reap(app *a)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(a->multi, &left)) != NULL) {
        job *j = NULL;
        long code = 0;
        curl_off_t len = -1;
        if (msg->msg != CURLMSG_DONE) continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&j);
        curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
        curl_easy_getinfo(msg->easy_handle, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
        if (msg->data.result == CURLE_OK && code == 200 && len >= 0 && j->bytes == len) {
            a->ok++;
        } else {
            if (a->failed++ < 5)
                fprintf(stderr, "event_loop: a transfer failed: %s, status %ld, %ld of %ld bytes\n",
                        curl_easy_strerror(msg->data.result), code, (long)j->bytes, (long)len);
        }
        curl_multi_remove_handle(a->multi, msg->easy_handle);
    }
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    app a;
    job *jobs;
    long count, i;
    struct rlimit rl;
    struct epoll_event ev;
    double t0;
    if (argc != 3 || (count = atol(argv[2])) <= 0) {
        fprintf(stderr, "usage: event_loop URL COUNT\n");
        return 2;
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)count + 64) { /* a socket each */
        rl.rlim_cur = rl.rlim_max < (rlim_t)count + 64 ? rl.rlim_max : (rlim_t)count + 64;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    memset(&a, 0, sizeof a);
    a.ep = epoll_create1(EPOLL_CLOEXEC);
    a.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    ev.data.fd = a.tfd;
    epoll_ctl(a.ep, EPOLL_CTL_ADD, a.tfd, &ev);
    a.multi = curl_multi_init();
    curl_multi_setopt(a.multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(a.multi, CURLMOPT_SOCKETDATA, &a);
    curl_multi_setopt(a.multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(a.multi, CURLMOPT_TIMERDATA, &a);
    jobs = (job *)calloc((size_t)count, sizeof *jobs);
    if (!jobs) return 2;
    t0 = now_ms();
    for (i = 0; i < count; i++) {
        CURL *e = curl_easy_init();
        jobs[i].easy = e;
        curl_easy_setopt(e, CURLOPT_URL, argv[1]);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, &jobs[i]);
        curl_easy_setopt(e, CURLOPT_PRIVATE, &jobs[i]);
        curl_easy_setopt(e, CURLOPT_TIMEOUT, 120L);
        curl_multi_add_handle(a.multi, e);
    }
    a.running = 1;
    while (a.ok + a.failed < count) {
        struct epoll_event evs[256];
        int n = epoll_wait(a.ep, evs, 256, 1000), k;
        if (n < 0 && errno != EINTR) break;
        for (k = 0; k < n; k++) {
            if (evs[k].data.fd == a.tfd) {
                uint64_t expirations;
                if (read(a.tfd, &expirations, sizeof expirations) < 0) {} /* drained */
                curl_multi_socket_action(a.multi, CURL_SOCKET_TIMEOUT, 0, &a.running);
            } else {
                int flags = ((evs[k].events & EPOLLIN) ? CURL_CSELECT_IN : 0) |
                            ((evs[k].events & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
                            ((evs[k].events & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR : 0);
                curl_multi_socket_action(a.multi, evs[k].data.fd, flags, &a.running);
            }
        }
        reap(&a);
        if (n == 0 && !a.running) break;
    }
    printf("event_loop: %ld transfers, %ld ok, %ld failed\n", count, a.ok, count - a.ok);
    printf("time: %.0f ms\n", now_ms() - t0);
    for (i = 0; i < count; i++) curl_easy_cleanup(jobs[i].easy);
    free(jobs);
    curl_multi_cleanup(a.multi);
    close(a.tfd);
    close(a.ep);
    curl_global_cleanup();
    return a.ok == count ? 0 : 1;
}
