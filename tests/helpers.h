/* tests/helpers.h - what the end-to-end tests share: where the servers are,
   URL builders, a body sink, a tiny independent HTTP client for reading
   server statistics, and one transfer helper per API dialect: xfer and its
   functions in multiperform's own names, or, after compat/curl/curl.h, in
   libcurl's (the suites written against libcurl's API). Include it after
   the header. */
#ifndef MPT_HELPERS_H
#define MPT_HELPERS_H
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "t.h"

/* every helper is static; a suite uses some of them */
#define MPT_FN static __attribute__((unused))

/* A [::1] listener on port whose backlog is full: SYNs to it go unanswered. -1 if it cannot be made. */
MPT_FN int ipv6_black_hole(int port, int *clients)
{
    struct sockaddr_in6 a;
    int fd = socket(AF_INET6, SOCK_STREAM, 0), i;
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    a.sin6_port = htons((unsigned short)port);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 0) != 0) {
        if (fd >= 0) close(fd);
        return -1;
    }
    for (i = 0; i < 3; i++) { /* fill the accept queue; later SYNs are dropped */
        clients[i] = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
        (void)connect(clients[i], (struct sockaddr *)&a, sizeof a);
    }
    usleep(100000);
    return fd;
}

MPT_FN int env_int(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v) {
        fprintf(stderr, "tests: %s is not set (run the tests through 'make test')\n", name);
        exit(2);
    }
    return atoi(v);
}

MPT_FN int fault_port(void) { return env_int("MPT_FAULT_PORT"); }
MPT_FN int nginx_port(void) { return env_int("MPT_NGINX_PORT"); }

MPT_FN double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Strings built for a test live in a ring of buffers: no frees needed. */
MPT_FN char *fmt(const char *f, ...)
{
    static char ring[8][65536];
    static int next;
    char *b = ring[next++ & 7];
    va_list ap;
    va_start(ap, f);
    vsnprintf(b, sizeof ring[0], f, ap);
    va_end(ap);
    return b;
}

MPT_FN char *pct(const char *s)
{
    static char ring[4][65536];
    static int next;
    char *b = ring[next++ & 3], *o = b;
    for (; *s && o < b + sizeof ring[0] - 4; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_')
            *o++ = (char)c;
        else
            o += sprintf(o, "%%%02X", c);
    }
    *o = 0;
    return b;
}

/* pct() for bytes that may include NUL */
MPT_FN char *pctn(const char *s, size_t n)
{
    static char b[65536];
    char *o = b;
    size_t i;
    for (i = 0; i < n && o < b + sizeof b - 4; i++) o += sprintf(o, "%%%02X", (unsigned char)s[i]);
    *o = 0;
    return b;
}

/* A faultserver URL answering with exactly these bytes. */
MPT_FN char *raw_url(const char *response, const char *extra)
{
    return fmt("http://127.0.0.1:%d/raw?pre=%s%s%s", fault_port(), pct(response), extra && *extra ? "&" : "",
               extra ? extra : "");
}

MPT_FN unsigned char pattern(uint64_t i)
{
    return (unsigned char)((i * 7 + i / 251) & 0xff);
}

/* Collects a body (or headers) and checks it against the server's pattern. */
typedef struct sink {
    char *p;
    size_t len, cap;
    size_t calls, biggest;
    uint64_t pattern_bad; /* bytes that did not match the pattern, if counting only */
    int count_only;       /* do not store, only check the pattern */
    int pause_at;         /* return PAUSE once when len passes this */
} sink;

MPT_FN size_t sink_write(char *p, size_t size, size_t n, void *ud)
{
    sink *s = (sink *)ud;
    size_t t = size * n, i;
    if (s->pause_at > 0 && s->len + t > (size_t)s->pause_at) {
        s->pause_at = 0;
        return 0x10000001; /* CURL_WRITEFUNC_PAUSE */
    }
    s->calls++;
    if (t > s->biggest) s->biggest = t;
    if (s->count_only) {
        for (i = 0; i < t; i++)
            if ((unsigned char)p[i] != pattern(s->len + i)) s->pattern_bad++;
        s->len += t;
        return t;
    }
    if (s->len + t + 1 > s->cap) {
        s->cap = (s->len + t + 1) * 2;
        s->p = (char *)realloc(s->p, s->cap);
    }
    memcpy(s->p + s->len, p, t);
    s->len += t;
    s->p[s->len] = 0;
    return t;
}

MPT_FN int sink_is_pattern(const sink *s, size_t n)
{
    size_t i;
    if (s->count_only) return s->len == n && s->pattern_bad == 0;
    if (s->len != n) return 0;
    for (i = 0; i < n; i++)
        if ((unsigned char)s->p[i] != pattern(i)) return 0;
    return 1;
}

MPT_FN void sink_free(sink *s)
{
    free(s->p);
    memset(s, 0, sizeof *s);
}

/* One GET over a plain socket: the statistics must not depend on the code under test. */
MPT_FN int plain_get(int port, const char *path, char *out, size_t outlen)
{
    struct sockaddr_in sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0), n;
    size_t got = 0;
    char req[512];
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(0x7f000001);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        if (fd >= 0) close(fd);
        return -1;
    }
    n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path);
    if (send(fd, req, (size_t)n, 0) != n) {
        close(fd);
        return -1;
    }
    while (got + 1 < outlen) {
        ssize_t r = recv(fd, out + got, outlen - 1 - got, 0);
        if (r <= 0) break;
        got += (size_t)r;
    }
    out[got] = 0;
    close(fd);
    return (int)got;
}

typedef struct fstats {
    long conns, reqs, active, maxbusy, busy;
} fstats;

/* faultserver counters; the call itself is one connection and one request. */
MPT_FN fstats fault_stats(int reset)
{
    char b[2048];
    fstats s = {-1, -1, -1, -1, -1};
    const char *p;
    if (plain_get(fault_port(), reset ? "/stats?reset=1" : "/stats", b, sizeof b) > 0 && (p = strstr(b, "connections=")))
        sscanf(p, "connections=%ld requests=%ld active=%ld maxbusy=%ld busy=%ld", &s.conns, &s.reqs, &s.active,
               &s.maxbusy, &s.busy);
    return s;
}

/* nginx stub_status: accepted connections and requests so far. */
MPT_FN int nginx_counts(long *accepts, long *requests)
{
    char b[2048];
    const char *p;
    long handled;
    if (plain_get(nginx_port(), "/status", b, sizeof b) <= 0 || !(p = strstr(b, "requests\n"))) return 0;
    return sscanf(p + 9, " %ld %ld %ld", accepts, &handled, requests) == 3;
}


/* getinfo of one type, for both dialects (a CURL * is an mperf_easy *);
   a sentinel when getinfo sets nothing */
MPT_FN long info_long(mperf_easy *e, int info)
{
    long v = -12345;
    mperf_easy_getinfo(e, info, &v);
    return v;
}

MPT_FN mperf_off_t info_off(mperf_easy *e, int info)
{
    mperf_off_t v = -12345;
    mperf_easy_getinfo(e, info, &v);
    return v;
}

MPT_FN const char *info_str(mperf_easy *e, int info)
{
    char *v = NULL;
    mperf_easy_getinfo(e, info, &v);
    return v ? v : "(null)";
}

#ifdef MPERF_COMPAT_CURL_H
/* ---- libcurl's dialect ---- */
typedef struct xfer {
    CURL *h;
    sink body, head;
    CURLcode result;
    char err[CURL_ERROR_SIZE];
    int done;
} xfer;

/* A transfer of url into x->body (headers into x->head), bounded by a 20 s
   timeout. */
MPT_FN void xfer_init(xfer *x, const char *url)
{
    memset(x, 0, sizeof *x);
    x->h = curl_easy_init();
    curl_easy_setopt(x->h, CURLOPT_URL, url);
    curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, sink_write);
    curl_easy_setopt(x->h, CURLOPT_WRITEDATA, &x->body);
    curl_easy_setopt(x->h, CURLOPT_HEADERFUNCTION, sink_write);
    curl_easy_setopt(x->h, CURLOPT_HEADERDATA, &x->head);
    curl_easy_setopt(x->h, CURLOPT_ERRORBUFFER, x->err);
    curl_easy_setopt(x->h, CURLOPT_TIMEOUT_MS, 20000L);
}

MPT_FN void xfer_free(xfer *x)
{
    curl_easy_cleanup(x->h);
    sink_free(&x->body);
    sink_free(&x->head);
}

/* Runs x on m to its end (bounded: 90 s), with exactly one message. */
MPT_FN CURLcode run_on(CURLM *m, xfer *x)
{
    CURLMsg *msg;
    int running = 1, left;
    double end = mono_ms() + 90000;
    x->done = 0;
    curl_multi_add_handle(m, x->h);
    while (running && mono_ms() < end) {
        curl_multi_perform(m, &running);
        if (running) curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    while ((msg = curl_multi_info_read(m, &left)) != NULL)
        if (msg->msg == CURLMSG_DONE) {
            x->result = msg->data.result;
            x->done++;
        }
    CHECKF(x->done == 1, "the transfer ended with one message (%d)", x->done);
    curl_multi_remove_handle(m, x->h);
    return x->result;
}

/* One transfer through a multi handle of its own. */
MPT_FN CURLcode run(xfer *x)
{
    CURLM *m = curl_multi_init();
    CURLcode rc = run_on(m, x);
    curl_multi_cleanup(m);
    return rc;
}

MPT_FN long code_of(CURL *h)
{
    return info_long(h, CURLINFO_RESPONSE_CODE);
}

/* The end of a transfer a test ran on its own multi handle. */
MPT_FN void done_with(CURLM *m, xfer *x)
{
    curl_multi_remove_handle(m, x->h);
    curl_multi_cleanup(m);
    xfer_free(x);
}
#else
/* ---- multiperform's own dialect ---- */
/* Runs the multi until no transfer is left or max_ms passes (a bound, not a speed check). */
MPT_FN int drive(mperf_multi *m, int max_ms)
{
    double end = mono_ms() + max_ms;
    int running = 1;
    while (running && mono_ms() < end) {
        if (mperf_multi_perform(m, &running) != MPERF_M_OK) return 0;
        if (running && mperf_multi_poll(m, NULL, 0, 200, NULL) != MPERF_M_OK) return 0;
    }
    return running == 0;
}

typedef struct xfer {
    mperf_easy *e;
    sink body, head;
    int done;
    mperf_code result;
    char err[MPERF_ERROR_SIZE];
} xfer;

/* A transfer of url into x->body (headers into x->head), found again
   through PRIVATE, bounded by a 20 s timeout. */
MPT_FN void xfer_init(xfer *x, const char *url)
{
    memset(x, 0, sizeof *x);
    x->e = mperf_easy_init();
    mperf_easy_setopt(x->e, MPERF_OPT_URL, url);
    mperf_easy_setopt(x->e, MPERF_OPT_WRITEFUNCTION, sink_write);
    mperf_easy_setopt(x->e, MPERF_OPT_WRITEDATA, &x->body);
    mperf_easy_setopt(x->e, MPERF_OPT_HEADERFUNCTION, sink_write);
    mperf_easy_setopt(x->e, MPERF_OPT_HEADERDATA, &x->head);
    mperf_easy_setopt(x->e, MPERF_OPT_ERRORBUFFER, x->err);
    mperf_easy_setopt(x->e, MPERF_OPT_PRIVATE, x);
    mperf_easy_setopt(x->e, MPERF_OPT_TIMEOUT_MS, 20000L);
}

MPT_FN void xfer_free(xfer *x)
{
    mperf_easy_cleanup(x->e);
    sink_free(&x->body);
    sink_free(&x->head);
}

/* Reads every completion message into its xfer (found through PRIVATE). */
MPT_FN int collect(mperf_multi *m)
{
    mperf_msg *msg;
    int left, n = 0;
    while ((msg = mperf_multi_info_read(m, &left)) != NULL) {
        xfer *x = NULL;
        if (msg->msg != MPERF_MSG_DONE) continue;
        mperf_easy_getinfo(msg->easy_handle, MPERF_INFO_PRIVATE, (char **)&x);
        if (x) {
            x->done++;
            x->result = msg->data.result;
        }
        n++;
    }
    return n;
}

/* One transfer on multi handle m, which it then cleans up. */
MPT_FN mperf_code run_in(mperf_multi *m, xfer *x)
{
    mperf_multi_add_handle(m, x->e);
    if (!drive(m, 30000)) t_fail_check(__FILE__, __LINE__, "transfer did not finish in 30 s");
    collect(m);
    mperf_multi_remove_handle(m, x->e);
    mperf_multi_cleanup(m);
    return x->result;
}

/* One transfer on its own multi, start to finish. */
MPT_FN mperf_code run_one(xfer *x)
{
    return run_in(mperf_multi_init(), x);
}

/* The end of a transfer a test ran on its own multi handle. */
MPT_FN void done_with(mperf_multi *m, xfer *x)
{
    mperf_multi_remove_handle(m, x->e);
    mperf_multi_cleanup(m);
    xfer_free(x);
}

/* GETs url; the body goes to *body (when not NULL, the caller frees it). */
MPT_FN mperf_code get_url(const char *url, sink *body)
{
    xfer x;
    mperf_code rc;
    xfer_init(&x, url);
    rc = run_one(&x);
    if (body) {
        *body = x.body;
        x.body.p = NULL;
    }
    xfer_free(&x);
    return rc;
}

/* SOCKOPTFUNCTION: a 1 MiB receive buffer, so what the peer sends in one go
   lands whole however fast the program reads (the kernel's own sizing follows
   the reader's pace, which a test under valgrind slows). */
MPT_FN int big_rcvbuf(void *u, mperf_socket_t fd, mperf_socktype purpose)
{
    int v = 1 << 20;
    (void)u, (void)purpose;
    return setsockopt(fd, SOL_SOCKET, SO_RCVBUF, (const char *)&v, (socklen_t)sizeof v) == 0 ? MPERF_SOCKOPT_OK : 1;
}

#endif
#endif
