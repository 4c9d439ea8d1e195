/* dnsserver: a small scriptable DNS server for loopback tests (UDP and TCP
   on one port of 127.0.0.1, and of ::1 when the machine has it).

   What it answers is chosen by the first label of the question's name (the
   rest of the name is not looked at), so one server serves a whole suite:

     both       A 127.0.0.1 and AAAA ::1        v4    A only (AAAA: no data)
     v6         AAAA ::1 only                   far   A 127.0.0.1, AAAA ::2
     slowN      as both, after N milliseconds   silent  never answers
     nx         NXDOMAIN (SOA minimum 30 s)     servfail  SERVFAIL
     refused    REFUSED
     trunc      over UDP an empty answer with TC set; over TCP as both
     truncnx    over UDP TC; over TCP NXDOMAIN
     huge       over UDP TC; over TCP 4,000 A records (about 64 KiB)
     cnameN     a chain of N CNAMEs (cnameN -> cname(N-1)... -> both)
     cloop      a CNAME to itself, through another name
     ttlN       as both with a TTL of N seconds (others: 300)
     many       A 127.0.0.1 to 127.0.0.8, in that order (AAAA: no data)
     spoofid    first a reply with the wrong ID (A 127.0.0.3), 30 ms later the
                right one
     spoofq     first a reply for another question (A 127.0.0.3), then right
     spoofsrc   first a reply from another port (A 127.0.0.3), then right
     bad-KIND   first a malformed reply of that kind, 30 ms later the right
                one: ptrloop, ptrfwd, count (more records counted than sent),
                cut (the last record cut short), label (a label past the
                end), rdlen (an A of 5 bytes), type (a label type 01),
                long (a name over 255 bytes), ancount0 (an answer that counts
                no records but carries them)
     badonly    only a malformed reply (ptrloop), never a right one

   A query for "count.test" (any type) answers A 0.0.H.L with H*256+L the
   questions received so far, not counting itself; "reset.test" zeroes it.
   Prints "port P" on stdout once listening. Single-threaded, poll-based. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define MAXMSG 70000

typedef struct later {
    double at;
    int fd;           /* the UDP socket to send from */
    struct sockaddr_storage to;
    socklen_t tolen;
    size_t len;
    unsigned char msg[600];
} later;

static later queue[256];
static int nqueue;
static unsigned long questions;
static int udp4, udp6 = -1, tcp4, tcp6 = -1, other4;

static double now_s(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

static void put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static void put32(unsigned char *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v & 0xffff);
}

/* a dotted name in wire form at out; returns its length */
static size_t wire(unsigned char *out, const char *name)
{
    size_t o = 0;
    while (*name) {
        const char *dot = strchr(name, '.');
        size_t l = dot ? (size_t)(dot - name) : strlen(name);
        out[o++] = (unsigned char)l;
        memcpy(out + o, name, l);
        o += l;
        name += l + (dot ? 1 : 0);
    }
    out[o++] = 0;
    return o;
}

/* one resource record: the name (wire bytes), type, ttl, rdata */
static size_t rr(unsigned char *out, const unsigned char *nm, size_t nmlen, unsigned type, uint32_t ttl,
                 const void *rd, size_t rdlen)
{
    memcpy(out, nm, nmlen);
    put16(out + nmlen, type);
    put16(out + nmlen + 2, 1);
    put32(out + nmlen + 4, ttl);
    put16(out + nmlen + 8, (unsigned)rdlen);
    memcpy(out + nmlen + 10, rd, rdlen);
    return nmlen + 10 + rdlen;
}

static const unsigned char ptr_q[2] = {0xc0, 0x0c}; /* the question's name */

/* The records of "both" for the asked type at owner (wire), with ttl. */
static size_t addr_records(unsigned char *out, const unsigned char *owner, size_t olen, unsigned qtype,
                           uint32_t ttl, const char *v4, const char *v6, unsigned *count)
{
    unsigned char a[16];
    size_t o = 0;
    if (qtype == 1 && v4) {
        inet_pton(AF_INET, v4, a);
        o += rr(out + o, owner, olen, 1, ttl, a, 4);
        (*count)++;
    }
    if (qtype == 28 && v6) {
        inet_pton(AF_INET6, v6, a);
        o += rr(out + o, owner, olen, 28, ttl, a, 16);
        (*count)++;
    }
    return o;
}

static size_t soa(unsigned char *out, unsigned *count)
{
    unsigned char rd[200], nm[64];
    size_t n = wire(rd, "ns.test");
    n += wire(rd + n, "admin.test");
    put32(rd + n, 1);
    put32(rd + n + 4, 3600);
    put32(rd + n + 8, 600);
    put32(rd + n + 12, 86400);
    put32(rd + n + 16, 30);
    n += 20;
    (*count)++;
    return rr(out, nm, wire(nm, "test"), 6, 300, rd, n);
}

/* Builds the reply to query q (qlen bytes, question ends at qend) into out;
   *delay_ms when it is to wait; 0: no reply. tcp: asked over TCP. first:
   the first reply (for the spoof and malformed kinds, the bad one). */
static size_t answer(const unsigned char *q, size_t qend, int tcp, unsigned char *out, long *delay_ms, int bad)
{
    char label[64];
    unsigned l = q[12], qtype = (unsigned)(q[qend - 4] << 8 | q[qend - 3]), an = 0, ns = 0;
    size_t o;
    uint32_t ttl = 300;
    *delay_ms = 0;
    if (l > 63) return 0;
    memcpy(label, q + 13, l);
    label[l] = 0;
    memcpy(out, q, qend);
    out[2] = (unsigned char)(0x80 | (q[2] & 0x01)); /* QR, RD as asked */
    out[3] = 0x80; /* RA */
    put16(out + 4, 1);
    put16(out + 6, 0);
    put16(out + 8, 0);
    put16(out + 10, 0);
    o = qend;
    if (strcmp(label, "silent") == 0) return 0;
    if (strcmp(label, "count") == 0 || strcmp(label, "reset") == 0) {
        unsigned char a[4] = {0, 0, (unsigned char)(questions >> 8), (unsigned char)questions};
        if (label[0] == 'r') questions = 0;
        o += rr(out + o, ptr_q, 2, 1, 0, a, 4);
        put16(out + 6, 1);
        return o;
    }
    questions++;
    if (strncmp(label, "slow", 4) == 0) *delay_ms = atol(label + 4);
    if (strncmp(label, "ttl", 3) == 0) ttl = (uint32_t)atol(label + 3);
    if (strcmp(label, "nx") == 0 || (strcmp(label, "truncnx") == 0 && tcp)) {
        out[3] |= 3;
        o += soa(out + o, &ns);
    } else if (strcmp(label, "servfail") == 0) {
        out[3] |= 2;
    } else if (strcmp(label, "refused") == 0) {
        out[3] |= 5;
    } else if ((strcmp(label, "trunc") == 0 || strcmp(label, "huge") == 0 || strcmp(label, "truncnx") == 0) && !tcp) {
        out[2] |= 0x02;
    } else if (strcmp(label, "huge") == 0) {
        unsigned i;
        for (i = 0; i < 4000 && o + 16 < MAXMSG; i++) {
            unsigned char a[4] = {127, 0, (unsigned char)(i >> 8), (unsigned char)i};
            o += rr(out + o, ptr_q, 2, 1, 300, a, 4);
            an++;
        }
    } else if (strncmp(label, "cname", 5) == 0 && label[5] >= '0' && label[5] <= '9') {
        int n = atoi(label + 5), i;
        unsigned char nm[300], next[300];
        size_t nmlen = 2, nextlen;
        char buf[64];
        memcpy(nm, ptr_q, 2);
        for (i = n; i > 0; i--) {
            snprintf(buf, sizeof buf, "%s%d.chain.test", i - 1 ? "cname" : "both", i - 1);
            if (i == 1) snprintf(buf, sizeof buf, "both.chain.test");
            nextlen = wire(next, buf);
            o += rr(out + o, nm, nmlen, 5, ttl, next, nextlen);
            an++;
            memcpy(nm, next, nextlen);
            nmlen = nextlen;
        }
        o += addr_records(out + o, nm, nmlen, qtype, ttl, "127.0.0.1", "::1", &an);
    } else if (strcmp(label, "cloop") == 0) {
        unsigned char a[64], b[64];
        size_t al = wire(a, "loop-a.test"), bl = wire(b, "loop-b.test");
        o += rr(out + o, ptr_q, 2, 5, ttl, a, al);
        o += rr(out + o, a, al, 5, ttl, b, bl);
        o += rr(out + o, b, bl, 5, ttl, a, al);
        an += 3;
    } else if (strncmp(label, "spoof", 5) == 0 && bad) {
        o += addr_records(out + o, ptr_q, 2, qtype, ttl, "127.0.0.3", "::3", &an);
        if (strcmp(label, "spoofid") == 0) out[1] ^= 0x5a;
        if (strcmp(label, "spoofq") == 0) out[qend - 3] ^= 0x01, out[13] ^= 0x01; /* another name */
    } else if ((strncmp(label, "bad-", 4) == 0 || strcmp(label, "badonly") == 0) && bad) {
        const char *k = label[3] == '-' ? label + 4 : "ptrloop";
        unsigned char a[4] = {127, 0, 0, 3};
        if (strcmp(k, "ptrloop") == 0) { /* a name that points at itself */
            put16(out + o, 0xc000 | (unsigned)o);
            put16(out + o + 2, 1), put16(out + o + 4, 1), put32(out + o + 6, 300), put16(out + o + 10, 4);
            memcpy(out + o + 12, a, 4);
            o += 16;
            an = 1;
        } else if (strcmp(k, "ptrfwd") == 0) { /* a pointer forward, to a name after it */
            put16(out + o, 0xc000 | (unsigned)(o + 16));
            put16(out + o + 2, 1), put16(out + o + 4, 1), put32(out + o + 6, 300), put16(out + o + 10, 4);
            memcpy(out + o + 12, a, 4);
            o += 16;
            o += wire(out + o, "x.test");
            an = 1;
        } else if (strcmp(k, "count") == 0) {
            o += addr_records(out + o, ptr_q, 2, qtype, ttl, "127.0.0.3", "::3", &an);
            an += 3;
        } else if (strcmp(k, "cut") == 0) {
            o += addr_records(out + o, ptr_q, 2, qtype, ttl, "127.0.0.3", "::3", &an);
            o -= 2;
        } else if (strcmp(k, "label") == 0) {
            out[o++] = 40; /* a 40-byte label with 3 bytes left */
            out[o++] = 'a', out[o++] = 'b', out[o++] = 'c';
            an = 1;
        } else if (strcmp(k, "rdlen") == 0) {
            unsigned char five[5] = {127, 0, 0, 3, 0};
            o += rr(out + o, ptr_q, 2, qtype, ttl, five, qtype == 1 ? 5 : 17);
            an = 1;
        } else if (strcmp(k, "type") == 0) {
            out[o++] = 0x45; /* label type 01 */
            out[o++] = 0;
            put16(out + o, 1), put16(out + o + 2, 1), put32(out + o + 4, 300), put16(out + o + 8, 4);
            memcpy(out + o + 10, a, 4);
            o += 14;
            an = 1;
        } else if (strcmp(k, "long") == 0) { /* 5 labels of 60 bytes: 305 bytes */
            int i;
            for (i = 0; i < 5; i++) {
                out[o++] = 60;
                memset(out + o, 'a', 60);
                o += 60;
            }
            out[o++] = 0;
            put16(out + o, 1), put16(out + o + 2, 1), put32(out + o + 4, 300), put16(out + o + 8, 4);
            memcpy(out + o + 10, a, 4);
            o += 14;
            an = 1;
        } else if (strcmp(k, "ancount0") == 0) {
            unsigned dummy = 0;
            o += addr_records(out + o, ptr_q, 2, qtype, ttl, "127.0.0.3", "::3", &dummy);
        }
    } else if (strcmp(label, "many") == 0 && qtype == 1) {
        unsigned i;
        for (i = 1; i <= 8; i++) {
            unsigned char a[4] = {127, 0, 0, (unsigned char)i};
            o += rr(out + o, ptr_q, 2, 1, ttl, a, 4);
            an++;
        }
    } else {
        const char *v4 = "127.0.0.1", *v6 = "::1";
        if (strcmp(label, "many") == 0) v4 = v6 = NULL;
        if (strcmp(label, "v4") == 0) v6 = NULL;
        if (strcmp(label, "v6") == 0) v4 = NULL;
        if (strcmp(label, "far") == 0) v6 = "::2";
        o += addr_records(out + o, ptr_q, 2, qtype, ttl, v4, v6, &an);
        if (!an) o += soa(out + o, &ns);
    }
    put16(out + 6, an);
    put16(out + 8, ns);
    return o;
}

static int kind_of(const unsigned char *q)
{
    char label[64];
    unsigned l = q[12];
    if (l > 63) return 0;
    memcpy(label, q + 13, l);
    label[l] = 0;
    if (strncmp(label, "spoof", 5) == 0 || strncmp(label, "bad-", 4) == 0) return 2; /* a bad reply, then a good */
    if (strcmp(label, "badonly") == 0) return 1;                                     /* a bad reply only */
    return 0;
}

/* The question's end, or 0 when q is no query we understand. */
static size_t question_end(const unsigned char *q, size_t len)
{
    size_t o = 12;
    if (len < 17 || (q[2] & 0x80) || q[4] != 0 || q[5] != 1) return 0;
    while (o < len && q[o]) {
        if (q[o] > 63) return 0;
        o += 1 + q[o];
    }
    if (o + 5 > len) return 0;
    return o + 5;
}

static void queue_reply(int fd, const struct sockaddr_storage *to, socklen_t tolen, const unsigned char *m, size_t len,
                        long delay_ms)
{
    later *l;
    if (nqueue == (int)(sizeof queue / sizeof queue[0]) || len > sizeof queue[0].msg) return;
    l = &queue[nqueue++];
    l->at = now_s() + delay_ms / 1000.0;
    l->fd = fd;
    l->to = *to;
    l->tolen = tolen;
    l->len = len;
    memcpy(l->msg, m, len);
}

static unsigned char obuf[MAXMSG];

static void on_udp(int fd)
{
    unsigned char q[600];
    struct sockaddr_storage from;
    socklen_t fl = sizeof from;
    ssize_t n = recvfrom(fd, q, sizeof q, 0, (struct sockaddr *)&from, &fl);
    size_t qend, len;
    long delay;
    int kind;
    if (n <= 0 || !(qend = question_end(q, (size_t)n))) return;
    kind = kind_of(q);
    if (kind) {
        len = answer(q, qend, 0, obuf, &delay, 1);
        if (len) {
            const char *lbl = (const char *)q + 13;
            int from_other = strncmp(lbl, "spoofsrc", 8) == 0 && from.ss_family == AF_INET;
            queue_reply(from_other ? other4 : fd, &from, fl, obuf, len, 0);
        }
        if (kind == 1) return;
        len = answer(q, qend, 0, obuf, &delay, 0);
        if (len) queue_reply(fd, &from, fl, obuf, len, 30);
        return;
    }
    len = answer(q, qend, 0, obuf, &delay, 0);
    if (len) queue_reply(fd, &from, fl, obuf, len, delay);
}

typedef struct tconn {
    int fd;
    size_t got;
    unsigned char in[600];
} tconn;
static tconn tconns[64];

static void on_tcp_data(tconn *t)
{
    ssize_t n = read(t->fd, t->in + t->got, sizeof t->in - t->got);
    size_t need, qend, len;
    long delay;
    if (n <= 0) {
        close(t->fd);
        t->fd = -1;
        return;
    }
    t->got += (size_t)n;
    while (t->got >= 2 && t->got >= 2 + (need = (size_t)(t->in[0] << 8 | t->in[1]))) {
        if ((qend = question_end(t->in + 2, need)) != 0 && (len = answer(t->in + 2, qend, 1, obuf + 2, &delay, 0))) {
            size_t off = 0;
            put16(obuf, (unsigned)(len > 65535 ? 65535 : len));
            len += 2;
            if (len > 65537) len = 65537;
            while (off < len) { /* blocking socket: fine for a test server */
                ssize_t w = write(t->fd, obuf + off, len - off);
                if (w <= 0) break;
                off += (size_t)w;
            }
        }
        memmove(t->in, t->in + 2 + need, t->got - 2 - need);
        t->got -= 2 + need;
    }
    if (t->got == sizeof t->in) t->got = 0;
}

static int bind_sock(int fam, int type, int port)
{
    int fd = socket(fam, type, 0), one = 1;
    struct sockaddr_storage ss;
    socklen_t sl;
    memset(&ss, 0, sizeof ss);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fam == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        a->sin_addr.s_addr = htonl(0x7f000001);
        sl = sizeof *a;
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        a->sin6_addr.s6_addr[15] = 1;
        sl = sizeof *a;
    }
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || (type == SOCK_STREAM && listen(fd, 64) != 0)) {
        close(fd);
        return -1;
    }
    return fd;
}

static int port_of(int fd)
{
    struct sockaddr_in a;
    socklen_t l = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &l);
    return ntohs(a.sin_port);
}

int main(void)
{
    int port = 0, i, tries;
    for (tries = 0; tries < 50; tries++) { /* one port free for UDP and TCP alike */
        udp4 = bind_sock(AF_INET, SOCK_DGRAM, 0);
        port = port_of(udp4);
        tcp4 = bind_sock(AF_INET, SOCK_STREAM, port);
        if (tcp4 >= 0) break;
        close(udp4);
    }
    if (tcp4 < 0) {
        fprintf(stderr, "dnsserver: no port\n");
        return 1;
    }
    udp6 = bind_sock(AF_INET6, SOCK_DGRAM, port);
    if (udp6 >= 0) tcp6 = bind_sock(AF_INET6, SOCK_STREAM, port);
    other4 = bind_sock(AF_INET, SOCK_DGRAM, 0);
    for (i = 0; i < 64; i++) tconns[i].fd = -1;
    printf("port %d\n", port);
    fflush(stdout);
    for (;;) {
        struct pollfd p[70];
        int np = 0, k, timeout = -1;
        double t = now_s();
        for (k = 0; k < nqueue;) { /* replies due */
            if (queue[k].at <= t) {
                sendto(queue[k].fd, queue[k].msg, queue[k].len, 0, (struct sockaddr *)&queue[k].to, queue[k].tolen);
                queue[k] = queue[--nqueue];
            } else {
                int ms = (int)((queue[k].at - t) * 1000) + 1;
                if (timeout < 0 || ms < timeout) timeout = ms;
                k++;
            }
        }
        p[np].fd = udp4, p[np++].events = POLLIN;
        p[np].fd = udp6, p[np++].events = POLLIN;
        p[np].fd = tcp4, p[np++].events = POLLIN;
        p[np].fd = tcp6, p[np++].events = POLLIN;
        for (i = 0; i < 64; i++) p[np].fd = tconns[i].fd, p[np++].events = POLLIN;
        if (poll(p, (nfds_t)np, timeout) <= 0) continue;
        if (p[0].revents) on_udp(udp4);
        if (p[1].revents) on_udp(udp6);
        for (k = 2; k < 4; k++) {
            if (!p[k].revents) continue;
            int c = accept(p[k].fd, NULL, NULL);
            if (c < 0) continue;
            for (i = 0; i < 64 && tconns[i].fd >= 0; i++) {}
            if (i == 64) {
                close(c);
                continue;
            }
            tconns[i].fd = c;
            tconns[i].got = 0;
        }
        for (i = 0; i < 64; i++)
            if (tconns[i].fd >= 0 && p[4 + i].revents) on_tcp_data(&tconns[i]);
    }
}
