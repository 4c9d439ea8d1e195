/* parser.c - response-head parsing speed: the 0.5 KiB, 13-field head of
   tests/sample_head.h parsed whole, and fed one byte per call; then a head
   8 times longer fed byte by byte, to show the cost per byte stays flat
   (linear parsing).
   Prints ns per head and ns per byte.
   Built with -DBENCH_PICO, the same head is also parsed by
   phr_parse_response in the same run: a public parser on the same machine.
   bench/run.sh links it twice: to Debian's libh2o-evloop0.13, which carries
   picohttpparser, and to picohttpparser compiled with -msse4.2 from the h2o
   source that library comes from. */
#define _GNU_SOURCE
#define MPERF_NO_TLS
#define MULTIPERFORM_IMPLEMENTATION
#include "../multiperform.h"
#include <stdio.h>
#include <time.h>
#include "../tests/sample_head.h"


#ifdef BENCH_PICO
/* picohttpparser's API as its documentation gives it */
struct phr_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};
int phr_parse_response(const char *buf, size_t len, int *minor_version, int *status, const char **msg,
                       size_t *msg_len, struct phr_header *headers, size_t *num_headers, size_t last_len);

/* The whole head through picohttpparser (step unused); returns the fields
   seen (0 if it did not parse to its end), as parse() does. */
static unsigned parse_pico(const char *h, size_t len, size_t step)
{
    struct phr_header f[32];
    size_t nf = 32, msglen;
    int minor, status;
    const char *msg;
    int r;
    (void)step;
    r = phr_parse_response(h, len, &minor, &status, &msg, &msglen, f, &nf, 0);
    return r == (int)len && status == 200 ? (unsigned)nf : 0;
}
#endif

static char big[8 * sizeof sample_head];
static size_t biglen;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Parses a head given all at once (step 0) or growing by `step` bytes per
   call, the way bytes trickle in from a socket, taking the events as the
   engine does (mpx_parse, MPX_EVENTS a call); returns the fields seen
   (0 if the head did not parse to its end). */
static unsigned parse(const char *h, size_t len, size_t step)
{
    mpx_parser p;
    size_t have = step ? 0 : len, pos = 0;
    unsigned fields = 0;
    mpx_parser_init(&p, 0, 0);
    for (;;) {
        mpx_pev ev[MPX_EVENTS];
        size_t used;
        unsigned n = mpx_parse(&p, h + pos, have - pos, ev, MPX_EVENTS, &used), i;
        pos += used;
        for (i = 0; i < n; i++) {
            if (ev[i].type == MPX_EV_FIELD) fields++;
            else if (ev[i].type == MPX_EV_DONE || ev[i].type == MPX_EV_HEAD_END) return fields;
            else if (ev[i].type == MPX_EV_ERROR) return 0;
            else if (ev[i].type == MPX_EV_NEED) {
                if (have == len) return 0;
                have = have + step > len ? len : have + step;
            }
        }
    }
}

/* Calibration: only finding the line ends with glibc's memchr, no
   checking at all; a floor for any parser that visits every line. Returns
   the lines (step unused). */
static unsigned lines(const char *h, size_t len, size_t step)
{
    const char *p = h, *end = h + len;
    (void)step;
    unsigned n = 0;
    while ((p = (const char *)memchr(p, '\n', (size_t)(end - p))) != NULL) {
        p++;
        n++;
    }
    return n;
}

typedef unsigned (*parse_fn)(const char *h, size_t len, size_t step);

/* Best of seven timings of `iters` calls of fn, in ns per call; each call
   must return expect. */
static double best(parse_fn fn, const char *h, size_t len, size_t step, long iters, unsigned expect, int *bad)
{
    double b = 1e30;
    int trial;
    for (trial = 0; trial < 7; trial++) {
        double t0 = now_ns(), t;
        long i;
        for (i = 0; i < iters; i++)
            if (fn(h, len, step) != expect) *bad = 1;
        t = (now_ns() - t0) / (double)iters;
        if (t < b) b = t;
    }
    return b;
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 300000;
    size_t i, hl = sizeof sample_head - 1;
    int bad = 0;
    double whole, drip, dripbig, memchr_ns, pico = -1;
    /* the long head: the short one with its 13 fields repeated 8 times */
    memcpy(big, sample_head, hl - 2);
    biglen = hl - 2;
    for (i = 0; i < 7; i++) {
        const char *f = strstr(sample_head, "\r\n") + 2;
        size_t n = hl - 2 - (size_t)(f - sample_head);
        memcpy(big + biglen, f, n);
        biglen += n;
    }
    memcpy(big + biglen, "\r\n", 2);
    biglen += 2;
    for (i = 0; i < (size_t)iters / 10; i++) bad |= parse(sample_head, hl, 0) != 13; /* warm up */
#ifdef BENCH_PICO
    for (i = 0; i < (size_t)iters / 10; i++) bad |= parse_pico(sample_head, hl, 0) != 13;
#endif
    /* a shared machine has slow spells: every figure gets five turns,
       taken in rotation, and keeps its best */
    whole = drip = dripbig = memchr_ns = 1e30;
    for (i = 0; i < 5; i++) {
        whole = MPX_MIN(whole, best(parse, sample_head, hl, 0, iters, 13, &bad));
#ifdef BENCH_PICO
        pico = MPX_MIN(i ? pico : 1e30, best(parse_pico, sample_head, hl, 0, iters, 13, &bad));
#endif
        drip = MPX_MIN(drip, best(parse, sample_head, hl, 1, iters / 50, 13, &bad));
        dripbig = MPX_MIN(dripbig, best(parse, big, biglen, 1, iters / 400, 13 * 8, &bad));
        memchr_ns = MPX_MIN(memchr_ns, best(lines, sample_head, hl, 0, iters, 15, &bad));
    }
    printf("result mode=parser bytes=%zu fields=13 whole_ns=%.1f bytewise_ns=%.1f bytewise_ns_per_byte=%.2f "
           "long_bytes=%zu long_bytewise_ns_per_byte=%.2f memchr_lines_ns=%.1f pico_ns=%.1f ok=%d\n",
           hl, whole, drip, drip / (double)hl, biglen, dripbig / (double)biglen, memchr_ns, pico, !bad);
    return bad;
}
