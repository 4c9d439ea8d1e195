/* floor.c - the same workloads as bench.c with no library at all: raw
   non-blocking sockets and poll(), the least any engine must do (the
   kernel's share). Responses are checked the same way (status 200, bytes).
   It speaks only to http://127.0.0.1:PORT/path and Content-Length bodies. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include "measure.h"
#include <unistd.h>

static struct sockaddr_in addr;
static char req[512];
static size_t reqlen;

static void setup(const char *url)
{
    int port;
    char path[256];
    if (sscanf(url, "http://127.0.0.1:%d%255s", &port, path) != 2) exit(2);
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(0x7f000001);
    reqlen = (size_t)snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAccept: */*\r\n\r\n", path, port);
}

static int open_conn(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0 && errno != EINPROGRESS) return -1;
    return fd;
}

typedef struct conn {
    int fd, sent, state; /* state 0 head, 1 body */
    long need, got, bodylen;
    char head[4096];
    size_t hlen;
} conn;

/* Eats response bytes; returns 1 when a whole, valid response is in. */
static int feed(conn *c, const char *p, size_t n, long want, long *bad)
{
    while (n) {
        if (c->state == 0) {
            size_t k = n < sizeof c->head - c->hlen ? n : sizeof c->head - c->hlen;
            char *end, *cl;
            memcpy(c->head + c->hlen, p, k);
            c->hlen += k;
            c->head[c->hlen < sizeof c->head ? c->hlen : sizeof c->head - 1] = 0;
            end = strstr(c->head, "\r\n\r\n");
            if (!end) return 0;
            if (strncmp(c->head, "HTTP/1.1 200", 12) != 0) (*bad)++;
            cl = strcasestr(c->head, "\r\nContent-Length:");
            c->need = cl ? atol(cl + 17) : 0;
            c->got = (long)(c->hlen - (size_t)(end + 4 - c->head));
            c->state = 1;
            p += k;
            n -= k;
            if (c->got > c->need) { (*bad)++; }
        } else {
            c->got += (long)n;
            n = 0;
        }
    }
    if (c->state == 1 && c->got >= c->need) {
        if (c->got != want) (*bad)++;
        c->state = 0;
        c->hlen = 0;
        return 1;
    }
    return 0;
}

static int keepalive(long total, int parallel, long want)
{
    conn *c = calloc((size_t)parallel, sizeof *c);
    struct pollfd *p = calloc((size_t)parallel, sizeof *p);
    long done = 0, started = 0, bad = 0, warm = parallel * 20L;
    double t0 = 0, c0 = 0;
    static char buf[16384];
    int i;
    for (i = 0; i < parallel; i++) {
        c[i].fd = open_conn();
        p[i].fd = c[i].fd;
        p[i].events = POLLOUT;
    }
    while (done < total) {
        poll(p, (nfds_t)parallel, 1000);
        for (i = 0; i < parallel; i++) {
            if (!p[i].revents) continue;
            if (p[i].events == POLLOUT) { /* connected: first request */
                if (started < total) {
                    send(c[i].fd, req, reqlen, MSG_NOSIGNAL);
                    started++;
                }
                p[i].events = POLLIN;
                continue;
            }
            {
                ssize_t r = recv(c[i].fd, buf, sizeof buf, 0);
                if (r <= 0) {
                    bad++;
                    done = total;
                    break;
                }
                if (feed(&c[i], buf, (size_t)r, want, &bad)) {
                    done++;
                    if (done == warm) {
                        t0 = now_s();
                        c0 = cpu_us();
                    }
                    if (started < total) { /* the next request at once */
                        send(c[i].fd, req, reqlen, MSG_NOSIGNAL);
                        started++;
                    }
                }
            }
        }
    }
    printf("result mode=keepalive requests=%ld ok=%ld measured=%ld seconds=%.6f cpu_us=%.0f mallocs=-1\n", total,
           total - bad, total - warm, now_s() - t0, cpu_us() - c0);
    for (i = 0; i < parallel; i++) close(c[i].fd);
    return bad != 0;
}

static int concurrent(int count, long want)
{
    conn *c = calloc((size_t)count, sizeof *c);
    struct pollfd *p = calloc((size_t)count, sizeof *p);
    long done = 0, bad = 0, rss0 = rss_now_kb();
    double t0 = now_s(), c0 = cpu_us();
    static char buf[16384];
    int i;
    for (i = 0; i < count; i++) {
        c[i].fd = open_conn();
        p[i].fd = c[i].fd;
        p[i].events = POLLOUT;
    }
    while (done < count) {
        poll(p, (nfds_t)count, 1000);
        for (i = 0; i < count; i++) {
            if (!p[i].revents || p[i].fd < 0) continue;
            if (p[i].events == POLLOUT) {
                send(c[i].fd, req, reqlen, MSG_NOSIGNAL);
                p[i].events = POLLIN;
                continue;
            }
            {
                ssize_t r = recv(c[i].fd, buf, sizeof buf, 0);
                if (r <= 0 || feed(&c[i], buf, (size_t)r, want, &bad)) {
                    if (r <= 0) bad++;
                    done++;
                    close(c[i].fd);
                    p[i].fd = -1;
                }
            }
        }
    }
    printf("result mode=concurrent requests=%d ok=%ld seconds=%.6f cpu_us=%.0f rss_kb_before=%ld rss_kb_peak=%ld\n", count,
           count - bad, now_s() - t0, cpu_us() - c0, rss0, maxrss_kb());
    return bad != 0;
}

/* One long body read with bufsize-byte recvs until the kernel is empty,
   then poll. lowat > 0: in the body, the kernel wakes it for that many
   bytes (SO_RCVLOWAT), the rest of the body when fewer. */
static int large(long want, size_t bufsize, int lowat)
{
    static char buf[1024 * 1024];
    conn c;
    struct pollfd p;
    long bad = 0;
    int done = 0, cur = 1;
    double t0 = now_s(), c0 = cpu_us();
    memset(&c, 0, sizeof c);
    c.fd = open_conn();
    p.fd = c.fd;
    p.events = POLLOUT;
    poll(&p, 1, 5000);
    send(c.fd, req, reqlen, MSG_NOSIGNAL);
    p.events = POLLIN;
    while (!done) {
        ssize_t r;
        poll(&p, 1, 5000);
        while ((r = recv(c.fd, buf, bufsize, 0)) > 0)
            if (feed(&c, buf, (size_t)r, want, &bad)) done = 1;
        if (r == 0) break;
        if (lowat > 0 && c.state == 1 && !done) {
            long left = c.need - c.got;
            int w = left < lowat ? (int)(left > 0 ? left : 1) : lowat;
            if (w != cur) setsockopt(c.fd, SOL_SOCKET, SO_RCVLOWAT, &w, sizeof w);
            cur = w;
        }
    }
    printf("result mode=large requests=1 ok=%d seconds=%.6f cpu_us=%.0f bytes=%ld buf=%zu lowat=%d\n", done && !bad,
           now_s() - t0, cpu_us() - c0, c.got, bufsize, lowat);
    return !done || bad;
}

int main(int argc, char **argv)
{
    if (argc == 6 && strcmp(argv[1], "keepalive") == 0) {
        setup(argv[2]);
        return keepalive(atol(argv[3]), atoi(argv[4]), atol(argv[5]));
    }
    if (argc == 5 && strcmp(argv[1], "concurrent") == 0) {
        setup(argv[2]);
        return concurrent(atoi(argv[3]), atol(argv[4]));
    }
    if (argc >= 4 && argc <= 6 && strcmp(argv[1], "large") == 0) { /* large URL BYTES [BUFFER [LOWAT]] */
        size_t b = argc >= 5 ? (size_t)atol(argv[4]) : 256 * 1024;
        int lw = argc == 6 ? atoi(argv[5]) : 0;
        if (b < 1024 || b > 1024 * 1024 || lw < 0) return 2;
        setup(argv[2]);
        return large(atol(argv[3]), b, lw);
    }
    return 2;
}
