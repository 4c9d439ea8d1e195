/* tests/helpers.h - what the end-to-end tests share: where the servers are,
   a body sink, a bounded multi loop, URL builders and a tiny independent
   HTTP client for reading server statistics. */
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

static int env_int(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v) {
        fprintf(stderr, "tests: %s is not set (run the tests through 'make test')\n", name);
        exit(2);
    }
    return atoi(v);
}

static int fault_port(void) { return env_int("MPT_FAULT_PORT"); }
static int nginx_port(void) { return env_int("MPT_NGINX_PORT"); }

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Strings built for a test live in a ring of buffers: no frees needed. */
static char *fmt(const char *f, ...)
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

static char *pct(const char *s)
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
static char *pctn(const char *s, size_t n)
{
    static char b[65536];
    char *o = b;
    size_t i;
    for (i = 0; i < n && o < b + sizeof b - 4; i++) o += sprintf(o, "%%%02X", (unsigned char)s[i]);
    *o = 0;
    return b;
}

/* A faultserver URL answering with exactly these bytes. */
static char *raw_url(const char *response, const char *extra)
{
    return fmt("http://127.0.0.1:%d/raw?pre=%s%s%s", fault_port(), pct(response), extra && *extra ? "&" : "",
               extra ? extra : "");
}

static unsigned char pattern(uint64_t i)
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

static size_t sink_write(char *p, size_t size, size_t n, void *ud)
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

static int sink_is_pattern(const sink *s, size_t n)
{
    size_t i;
    if (s->count_only) return s->len == n && s->pattern_bad == 0;
    if (s->len != n) return 0;
    for (i = 0; i < n; i++)
        if ((unsigned char)s->p[i] != pattern(i)) return 0;
    return 1;
}

static void sink_free(sink *s)
{
    free(s->p);
    memset(s, 0, sizeof *s);
}

/* One GET over a plain socket: the statistics must not depend on the code under test. */
static int plain_get(int port, const char *path, char *out, size_t outlen)
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
static fstats fault_stats(int reset)
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
static int nginx_counts(long *accepts, long *requests)
{
    char b[2048];
    const char *p;
    long handled;
    if (plain_get(nginx_port(), "/status", b, sizeof b) <= 0 || !(p = strstr(b, "requests\n"))) return 0;
    return sscanf(p + 9, " %ld %ld %ld", accepts, &handled, requests) == 3;
}

#endif
