/* The event API (socket_action) end to end, driven by an epoll loop of the
   test's own against nginx, the faultserver and the DNS test server (from
   tests/run.sh): the socket and timer callbacks' contract (told on add,
   only on change, -1 to delete; REMOVE before a socket closes, once; the
   assign pointer), stray and spurious calls, the calls a callback may not
   make, a failing socket callback, pause, socket_all, names through the stub
   resolver, a long body's SO_RCVLOWAT and its timer, and a thousand
   transfers at once. */
/* the state changes this suite must see (tests/transitions.h) */
#define MPT_MUST "S:CONNECT>CONNECTING S:SEND>RECV S:RECV>DONE"
#include "transitions.h" /* before the header: it watches the state changes */
#define MULTIPERFORM_IMPLEMENTATION
#include "../multiperform.h"
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>
#include <sys/epoll.h>
#include "helpers.h"
#include "t.h"

/* ---- an epoll loop that checks every callback it gets ---- */
#define MAXFD 65536
typedef struct loop {
    int ep;
    mperf_multi *m;
    double timer_at; /* absolute ms, -1: no timer */
    long timer_calls, timer_last;
    long sock_calls, removes, violations;
    unsigned char told[MAXFD]; /* what each descriptor was last told (0: nothing) */
    void *assigned[MAXFD];     /* what was assigned, to check it comes back */
    int fail_fd;               /* the socket callback returns -1 for this descriptor's first IN */
    int recurse;               /* try forbidden calls from inside the callbacks */
    long recursive_refused, recursive_allowed;
    int assign_in_cb; /* assign a pointer from inside the callback */
} loop;

static loop L;

static void violation(const char *what, int fd)
{
    if (L.violations++ < 5) printf("  contract: %s (fd %d)\n", what, fd);
}

static int sock_cb(mperf_easy *e, mperf_socket_t s, int what, void *userp, void *socketp)
{
    loop *l = (loop *)userp;
    struct epoll_event ev;
    (void)e;
    l->sock_calls++;
    if (l != &L) violation("SOCKETDATA not passed", s);
    if (s < 0 || s >= MAXFD) return 0;
    if (socketp != l->assigned[s]) violation("socketp is not what was assigned", s);
    if (l->recurse) {
        int r;
        if (mperf_multi_socket_action(l->m, s, 0, &r) == MPERF_M_RECURSIVE_API_CALL) l->recursive_refused++;
        if (mperf_multi_perform(l->m, &r) == MPERF_M_RECURSIVE_API_CALL) l->recursive_refused++;
        if (e && mperf_easy_pause(e, MPERF_PAUSE_CONT) == MPERF_E_RECURSIVE_API_CALL) l->recursive_refused++;
        if (what != MPERF_POLL_REMOVE && mperf_multi_assign(l->m, s, l->assigned[s]) == MPERF_M_OK)
            l->recursive_allowed++;
    }
    memset(&ev, 0, sizeof ev);
    ev.data.fd = s;
    if (what == MPERF_POLL_REMOVE) {
        l->removes++;
        if (!l->told[s]) violation("REMOVE for a socket never told", s);
        if (fcntl(s, F_GETFD) == -1) violation("REMOVE after the socket was closed", s);
        if (mperf_multi_assign(l->m, s, NULL) != MPERF_M_OK) violation("assign(NULL) inside REMOVE refused", s);
        epoll_ctl(l->ep, EPOLL_CTL_DEL, s, &ev);
        l->told[s] = 0;
        l->assigned[s] = NULL;
        return 0;
    }
    if (what < 1 || what > 3) violation("what out of range", s);
    if (what == l->told[s]) violation("told the same again", s);
    ev.events = ((what & MPERF_POLL_IN) ? EPOLLIN : 0) | ((what & MPERF_POLL_OUT) ? EPOLLOUT : 0);
    if (epoll_ctl(l->ep, l->told[s] ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, s, &ev) != 0) violation("epoll_ctl failed", s);
    l->told[s] = (unsigned char)what;
    if (l->assign_in_cb && !l->assigned[s]) {
        l->assigned[s] = &l->told[s];
        if (mperf_multi_assign(l->m, s, &l->told[s]) != MPERF_M_OK) violation("assign refused", s);
    }
    if (s == l->fail_fd && (what & MPERF_POLL_IN)) {
        l->fail_fd = -1;
        return -1;
    }
    return 0;
}

static int timer_cb(mperf_multi *m, long timeout_ms, void *userp)
{
    loop *l = (loop *)userp;
    l->timer_calls++;
    if (m != l->m) violation("timer: another multi", -1);
    if (timeout_ms < -1) violation("timer: below -1", -1);
    if (l->recurse) {
        int r;
        if (mperf_multi_socket_action(m, MPERF_SOCKET_TIMEOUT, 0, &r) == MPERF_M_RECURSIVE_API_CALL)
            l->recursive_refused++;
    }
    l->timer_last = timeout_ms;
    l->timer_at = timeout_ms < 0 ? -1 : mono_ms() + (double)timeout_ms;
    return 0;
}

static mperf_multi *loop_init(void)
{
    int i;
    memset(&L, 0, sizeof L);
    L.ep = epoll_create1(EPOLL_CLOEXEC);
    L.timer_at = -1;
    L.fail_fd = -1;
    L.m = mperf_multi_init();
    for (i = 0; i < MAXFD; i++) L.told[i] = 0;
    mperf_multi_setopt(L.m, MPERF_MOPT_SOCKETFUNCTION, sock_cb);
    mperf_multi_setopt(L.m, MPERF_MOPT_SOCKETDATA, &L);
    mperf_multi_setopt(L.m, MPERF_MOPT_TIMERFUNCTION, timer_cb);
    mperf_multi_setopt(L.m, MPERF_MOPT_TIMERDATA, &L);
    return L.m;
}

/* Runs the loop until no transfer runs or max_ms pass; collects messages. */
static void (*loop_after)(mperf_socket_t fd); /* a suite's look at a socket right after its action */

static int loop_run(int max_ms)
{
    double end = mono_ms() + max_ms;
    int running = 1;
    while (running && mono_ms() < end) {
        struct epoll_event evs[64];
        int n, i, wait = L.timer_at < 0 ? 500 : (int)(L.timer_at - mono_ms() + 0.999);
        if (wait < 0) wait = 0;
        if (wait > 500) wait = 500;
        n = epoll_wait(L.ep, evs, 64, wait);
        for (i = 0; i < n; i++) {
            int f = ((evs[i].events & EPOLLIN) ? MPERF_CSELECT_IN : 0) | ((evs[i].events & EPOLLOUT) ? MPERF_CSELECT_OUT : 0) |
                    ((evs[i].events & (EPOLLERR | EPOLLHUP)) ? MPERF_CSELECT_ERR : 0);
            mperf_multi_socket_action(L.m, evs[i].data.fd, f, &running);
            if (loop_after) loop_after(evs[i].data.fd);
        }
        if (L.timer_at >= 0 && mono_ms() >= L.timer_at) {
            L.timer_at = -1; /* one-shot */
            mperf_multi_socket_action(L.m, MPERF_SOCKET_TIMEOUT, 0, &running);
        }
        collect(L.m);
        if (n == 0 && L.timer_at < 0 && !running) break;
        if (n > 0 || L.timer_at >= 0) continue;
        mperf_multi_socket_action(L.m, MPERF_SOCKET_TIMEOUT, 0, &running); /* nothing told: ask */
    }
    collect(L.m);
    return running == 0;
}

static void loop_done(void)
{
    mperf_multi_cleanup(L.m);
    close(L.ep);
}

static int fds_told(void)
{
    int i, n = 0;
    for (i = 0; i < MAXFD; i++) n += L.told[i] != 0;
    return n;
}

static int first_told(void)
{
    int i;
    for (i = 0; i < MAXFD && !L.told[i]; i++) {}
    return i < MAXFD ? i : 0;
}

/* The end of a test with one transfer: no contract broken, all let go. */
static void done_single(xfer *x)
{
    CHECK_EQ_LONG(L.violations, 0);
    mperf_multi_remove_handle(L.m, x->e);
    xfer_free(x);
    loop_done();
}

/* ------------------------------------------------------------------ */
TEST(the_timer_is_told_on_add_and_only_on_change)
{
    mperf_multi *m = loop_init();
    xfer x;
    long calls;
    xfer_init(&x, fmt("http://127.0.0.1:%d/gen/1000", fault_port()));
    CHECK_EQ_LONG(L.timer_calls, 0);
    CHECK_EQ_LONG(mperf_multi_add_handle(m, x.e), MPERF_M_OK);
    CHECK_EQ_LONG(L.timer_calls, 1); /* at once: the event loop learns it has work */
    CHECK_EQ_LONG(L.timer_last, 0);
    calls = L.timer_calls;
    CHECK_EQ_LONG(mperf_multi_timeout(m, &calls), MPERF_M_OK); /* asking is no change */
    CHECK_EQ_LONG(L.timer_calls, 1);
    CHECK(loop_run(20000));
    CHECK_EQ_LONG(x.result, MPERF_E_OK);
    CHECK(sink_is_pattern(&x.body, 1000));
    CHECK_EQ_LONG(L.timer_last, -1); /* done: the timer is deleted */
    calls = L.timer_calls;
    {
        int running;
        mperf_multi_socket_action(m, MPERF_SOCKET_TIMEOUT, 0, &running); /* a spurious firing is harmless */
        CHECK_EQ_LONG(running, 0);
        CHECK_EQ_LONG(L.timer_calls, calls + 1); /* and the timer is told again after it */
        mperf_multi_socket_action(m, MPERF_SOCKET_TIMEOUT, 0, &running);
        CHECK_EQ_LONG(L.timer_calls, calls + 2);
    }
    done_single(&x);
}

TEST(sockets_are_told_as_they_change_and_removed_before_close)
{
    mperf_multi *m = loop_init();
    xfer x[8];
    int i, ok = 0;
    L.assign_in_cb = 1;
    for (i = 0; i < 8; i++) {
        xfer_init(&x[i], fmt("http://127.0.0.1:%d/f/64k.bin", nginx_port()));
        mperf_easy_setopt(x[i].e, MPERF_OPT_FORBID_REUSE, (long)(i & 1)); /* half of them closed at once */
        mperf_multi_add_handle(m, x[i].e);
    }
    CHECK(loop_run(20000));
    for (i = 0; i < 8; i++) ok += x[i].result == MPERF_E_OK && sink_is_pattern(&x[i].body, 65536);
    CHECK_EQ_LONG(ok, 8);
    CHECK(L.sock_calls >= 16);
    CHECK(L.removes >= 4);
    CHECK_EQ_LONG(L.violations, 0);
    for (i = 0; i < 8; i++) {
        mperf_multi_remove_handle(m, x[i].e);
        xfer_free(&x[i]);
    }
    loop_done(); /* the kept connections close here: REMOVE first */
    CHECK_EQ_LONG(fds_told(), 0);
    CHECK_EQ_LONG(L.violations, 0);
}

TEST(assign_and_stray_sockets)
{
    mperf_multi *m = loop_init();
    int running, p[2];
    CHECK_EQ_LONG(mperf_multi_assign(m, 12345, &L), MPERF_M_BAD_SOCKET);
    CHECK_EQ_LONG(pipe(p), 0);
    CHECK_EQ_LONG(mperf_multi_socket_action(m, p[0], MPERF_CSELECT_IN, &running), MPERF_M_OK); /* not ours */
    CHECK_EQ_LONG(running, 0);
    CHECK_EQ_LONG(mperf_multi_socket_action(m, 999999, 0, &running), MPERF_M_OK);
    close(p[0]);
    close(p[1]);
    loop_done();
}

TEST(the_callbacks_may_not_call_back_in)
{
    mperf_multi *m = loop_init();
    xfer x;
    L.recurse = 1;
    xfer_init(&x, fmt("http://127.0.0.1:%d/gen/1000", fault_port()));
    mperf_multi_add_handle(m, x.e);
    CHECK(loop_run(20000));
    CHECK_EQ_LONG(x.result, MPERF_E_OK);
    CHECK(L.recursive_refused >= 3);
    CHECK(L.recursive_allowed >= 1); /* assign is allowed */
    done_single(&x);
}

TEST(a_failing_socket_callback_fails_its_transfer_only)
{
    mperf_multi *m = loop_init();
    xfer a, b;
    int running, i;
    xfer_init(&a, fmt("http://127.0.0.1:%d/gen/100000?rate=2000000", fault_port()));
    xfer_init(&b, fmt("http://127.0.0.1:%d/gen/100000?rate=2000000", fault_port()));
    mperf_multi_add_handle(m, a.e);
    mperf_multi_add_handle(m, b.e);
    /* run until a's socket exists, then make its next IN fail */
    for (i = 0; i < 200 && L.fail_fd < 0; i++) {
        mperf_socket_t s = MPERF_SOCKET_BAD;
        mperf_multi_socket_action(m, MPERF_SOCKET_TIMEOUT, 0, &running);
        mperf_easy_getinfo(a.e, MPERF_INFO_ACTIVESOCKET, &s);
        if (s != MPERF_SOCKET_BAD && s >= 0 && L.told[s] == MPERF_POLL_OUT) L.fail_fd = s;
        else usleep(1000);
    }
    CHECK(L.fail_fd >= 0);
    CHECK(loop_run(20000));
    CHECK_EQ_LONG(a.result, MPERF_E_ABORTED_BY_CALLBACK);
    CHECK_EQ_LONG(b.result, MPERF_E_OK);
    CHECK(sink_is_pattern(&b.body, 100000));
    CHECK_EQ_LONG(L.violations, 0);
    mperf_multi_remove_handle(m, a.e);
    mperf_multi_remove_handle(m, b.e);
    xfer_free(&a);
    xfer_free(&b);
    loop_done();
}

static int paused_once;

static size_t pause_once(char *p, size_t size, size_t n, void *ud)
{
    if (!paused_once) { /* the first write: pause */
        paused_once = 1;
        return MPERF_WRITEFUNC_PAUSE;
    }
    return sink_write(p, size, n, ud);
}

TEST(a_paused_transfer_is_not_watched)
{
    mperf_multi *m = loop_init();
    xfer x;
    int running, i;
    mperf_socket_t s = MPERF_SOCKET_BAD;
    long calls;
    xfer_init(&x, fmt("http://127.0.0.1:%d/gen/200000", fault_port()));
    paused_once = 0;
    mperf_easy_setopt(x.e, MPERF_OPT_WRITEFUNCTION, pause_once);
    mperf_multi_add_handle(m, x.e);
    for (i = 0; i < 2000 && !paused_once; i++) { /* until the write callback paused it */
        struct epoll_event evs[8];
        int n = epoll_wait(L.ep, evs, 8, 10), k;
        for (k = 0; k < n; k++) mperf_multi_socket_action(m, evs[k].data.fd, 0, &running);
        if (!n) mperf_multi_socket_action(m, MPERF_SOCKET_TIMEOUT, 0, &running);
    }
    CHECK(paused_once);
    mperf_easy_getinfo(x.e, MPERF_INFO_ACTIVESOCKET, &s);
    CHECK(s != MPERF_SOCKET_BAD);
    if (s != MPERF_SOCKET_BAD) CHECKF(L.told[s] == 0, "a paused transfer's socket is still watched (%d)", L.told[s]);
    calls = L.sock_calls;
    usleep(50000);
    CHECK_EQ_LONG(L.sock_calls, calls); /* no spinning while paused */
    CHECK_EQ_LONG(mperf_easy_pause(x.e, MPERF_PAUSE_CONT), MPERF_E_OK);
    CHECK_EQ_LONG(L.timer_last, 0); /* unpaused: due at once */
    CHECK(loop_run(20000));
    CHECK_EQ_LONG(x.result, MPERF_E_OK);
    CHECK(sink_is_pattern(&x.body, 200000));
    done_single(&x);
}

TEST(socket_all_tells_every_socket_again)
{
    mperf_multi *m = loop_init();
    xfer x;
    int running, i;
    long before;
    xfer_init(&x, fmt("http://127.0.0.1:%d/hang", fault_port()));
    mperf_easy_setopt(x.e, MPERF_OPT_TIMEOUT_MS, 3000L);
    mperf_multi_add_handle(m, x.e);
    for (i = 0; i < 500 && !(fds_told() == 1 && L.told[first_told()] == MPERF_POLL_IN); i++) {
        struct epoll_event evs[8];
        int n = epoll_wait(L.ep, evs, 8, 10), k; /* until the request is out and the answer awaited */
        for (k = 0; k < n; k++) mperf_multi_socket_action(m, evs[k].data.fd, 0, &running);
        if (!n) mperf_multi_socket_action(m, MPERF_SOCKET_TIMEOUT, 0, &running);
    }
    CHECK_EQ_LONG(fds_told(), 1);
    for (i = 0; i < MAXFD; i++) /* as if the program lost track of its sockets */
        if (L.told[i]) {
            epoll_ctl(L.ep, EPOLL_CTL_DEL, i, NULL);
            L.told[i] = 0;
        }
    before = L.sock_calls;
    CHECK_EQ_LONG(mperf_multi_socket_all(m, &running), MPERF_M_OK);
    CHECK_EQ_LONG(running, 1);
    CHECK_EQ_LONG(L.sock_calls, before + 1);
    CHECK_EQ_LONG(fds_told(), 1);
    CHECK(loop_run(10000));
    CHECK_EQ_LONG(x.result, MPERF_E_OPERATION_TIMEDOUT);
    done_single(&x);
}

TEST(names_through_the_stub_resolver)
{
#if MPX_STUB
    mperf_multi *m = loop_init();
    xfer x[4];
    int i, ok = 0;
    mperf_multi_setopt(m, MPERF_MOPT_RESOLV_CONF, "");
    mperf_multi_setopt(m, MPERF_MOPT_HOSTS_FILE, "");
    for (i = 0; i < 4; i++) {
        xfer_init(&x[i], fmt("http://%s.test:%d/gen/5000", i < 2 ? "slow100" : "v4", fault_port()));
        mperf_easy_setopt(x[i].e, MPERF_OPT_DNS_SERVERS, fmt("127.0.0.1:%d", env_int("MPT_DNS_PORT")));
        mperf_multi_add_handle(m, x[i].e);
    }
    CHECK(loop_run(20000));
    for (i = 0; i < 4; i++) {
        ok += x[i].result == MPERF_E_OK && sink_is_pattern(&x[i].body, 5000);
        mperf_multi_remove_handle(m, x[i].e);
        xfer_free(&x[i]);
    }
    CHECK_EQ_LONG(ok, 4);
    CHECK_EQ_LONG(L.violations, 0);
    loop_done();
    CHECK_EQ_LONG(fds_told(), 0);
#else
    printf("  (built with the system's resolver)\n");
#endif
}

#if MPX_LOWAT
/* ---- a long body through socket_action: SO_RCVLOWAT and its timer ---- */
typedef struct stream_srv {
    int ls, port;
    volatile int paused; /* 1 while the server holds back after the tail */
    volatile int tail_in_pause; /* the tail reached the program during the pause */
} stream_srv;

static stream_srv S;
static int ev_lowat_seen;

/* 8 MiB in 192 KiB blocks 2 ms apart (the engine finds a bulk each time
   and reads it all), 1000 bytes, 1.5 s of nothing, 8 MiB more. */
static void *stream_server(void *u)
{
    static unsigned char buf[192 * 1024];
    char req[4096];
    size_t got = 0, i;
    uint64_t at = 0, part = 8u << 20;
    const char *head = "HTTP/1.1 200 OK\r\nContent-Length: 16778216\r\n\r\n";
    int fd = accept(S.ls, NULL, NULL);
    (void)u;
    req[0] = 0;
    if (fd < 0) return NULL;
    while (!strstr(req, "\r\n\r\n") && got < sizeof req - 1) {
        ssize_t r = recv(fd, req + got, sizeof req - 1 - got, 0);
        if (r <= 0) break;
        got += (size_t)r;
        req[got] = 0;
    }
    if (send(fd, head, strlen(head), MSG_NOSIGNAL) < 0) goto out;
    while (at < 2 * part + 1000) {
        size_t n = sizeof buf;
        if (at < part && at + n > part) n = (size_t)(part - at);
        if (at == part) n = 1000;
        if (at > part && at + n > 2 * part + 1000) n = (size_t)(2 * part + 1000 - at);
        for (i = 0; i < n; i++) buf[i] = pattern(at + i);
        if (at == part) S.paused = 1; /* (before the tail goes: however soon it arrives, it is in the pause) */
        if (send(fd, buf, n, MSG_NOSIGNAL) != (ssize_t)n) goto out;
        at += n;
        if (at == part + 1000) {
            usleep(1500 * 1000);
            S.paused = 0;
        } else if (at <= part) {
            usleep(2000);
        }
    }
    usleep(200 * 1000); /* (the client reads the last bytes before the close) */
out:
    close(fd);
    return NULL;
}

/* the largest SO_RCVLOWAT on fd so far: looked at right after each action on it, before the engine's
   5 ms deadline can have put it back, and from the write callback */
static void stream_lowat(mperf_socket_t fd)
{
    int v = 0;
    socklen_t l = sizeof v;
    if (fd != MPERF_SOCKET_BAD && getsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &v, &l) == 0 && v > ev_lowat_seen)
        ev_lowat_seen = v;
}

static size_t stream_write(char *p, size_t s, size_t n, void *u)
{
    xfer *x = (xfer *)u;
    mperf_socket_t fd = MPERF_SOCKET_BAD;
    size_t r;
    mperf_easy_getinfo(x->e, MPERF_INFO_ACTIVESOCKET, &fd);
    stream_lowat(fd);
    r = sink_write(p, s, n, &x->body);
    if (x->body.len == (8u << 20) + 1000 && S.paused) S.tail_in_pause = 1;
    return r;
}
#endif

TEST(a_long_body_through_socket_action_never_holds_its_tail)
{
#if MPX_LOWAT
    /* the kernel wakes the engine for a bulk of bytes while they stream;
       1000 bytes and a pause: the engine's timer (told through TIMERFUNCTION)
       gets them to the program during the pause */
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    pthread_t th;
    mperf_multi *m = loop_init();
    xfer x;
    int one = 1;
    memset(&S, 0, sizeof S);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    S.ls = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(S.ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    CHECK(bind(S.ls, (struct sockaddr *)&a, sizeof a) == 0 && listen(S.ls, 4) == 0 &&
          getsockname(S.ls, (struct sockaddr *)&a, &al) == 0);
    ev_lowat_seen = 0;
    CHECK(pthread_create(&th, NULL, stream_server, NULL) == 0);
    xfer_init(&x, fmt("http://127.0.0.1:%d/stream", ntohs(a.sin_port)));
    mperf_easy_setopt(x.e, MPERF_OPT_WRITEFUNCTION, stream_write);
    mperf_easy_setopt(x.e, MPERF_OPT_WRITEDATA, &x);
    mperf_easy_setopt(x.e, MPERF_OPT_SOCKOPTFUNCTION, big_rcvbuf); /* each block lands whole, under valgrind too */
    mperf_multi_add_handle(m, x.e);
    loop_after = stream_lowat;
    CHECK(loop_run(30000));
    loop_after = NULL;
    pthread_join(th, NULL);
    close(S.ls);
    CHECKF(x.result == MPERF_E_OK && sink_is_pattern(&x.body, (16u << 20) + 1000), "result %d, %lu bytes",
           (int)x.result, (unsigned long)x.body.len);
    CHECKF(ev_lowat_seen > 1, "SO_RCVLOWAT never raised (largest seen %d)", ev_lowat_seen);
    CHECKF(S.tail_in_pause, "the 1000 bytes before the pause reached the program only after it");
    done_single(&x);
#else
    printf("  (not in this build: SO_RCVLOWAT is used on Linux in builds not optimized for size)\n");
#endif
}

TEST(a_thousand_transfers_at_once)
{
    mperf_multi *m = loop_init();
    enum { N = 1000 };
    static xfer x[N];
    int i, ok = 0;
    double t0 = mono_ms();
    for (i = 0; i < N; i++) {
        xfer_init(&x[i], fmt("http://127.0.0.1:%d/f/1k.bin", nginx_port()));
        mperf_multi_add_handle(m, x[i].e);
    }
    CHECK(loop_run(60000));
    for (i = 0; i < N; i++) {
        ok += x[i].result == MPERF_E_OK && sink_is_pattern(&x[i].body, 1024);
        mperf_multi_remove_handle(m, x[i].e);
        xfer_free(&x[i]);
    }
    printf("  %d transfers in %.0f ms, %ld socket and %ld timer callbacks\n", N, mono_ms() - t0, L.sock_calls,
           L.timer_calls);
    CHECK_EQ_LONG(ok, N);
    CHECK_EQ_LONG(L.violations, 0);
    loop_done();
}

int main(void)
{
    RUN(the_timer_is_told_on_add_and_only_on_change);
    RUN(sockets_are_told_as_they_change_and_removed_before_close);
    RUN(assign_and_stray_sockets);
    RUN(the_callbacks_may_not_call_back_in);
    RUN(a_failing_socket_callback_fails_its_transfer_only);
    RUN(a_paused_transfer_is_not_watched);
    RUN(socket_all_tells_every_socket_again);
    RUN(names_through_the_stub_resolver);
    RUN(a_long_body_through_socket_action_never_holds_its_tail);
    RUN(a_thousand_transfers_at_once);
    CHECK(mpt_check_transitions(MPT_MUST) == 0);
    return t_done("events");
}
