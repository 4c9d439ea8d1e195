/* parser.c - response-head parsing speed: the 0.5 KiB, 13-field head of the
   notes, parsed whole and fed byte by byte. Prints ns per head. */
#define _GNU_SOURCE
#define MULTIPERFORM_IMPLEMENTATION
#include "../multiperform.h"
#include <time.h>

static const char head[] =
    "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Fri, 27 Nov 2026 01:33:09 GMT\r\n"
    "Content-Type: text/html; charset=utf-8\r\nContent-Length: 0\r\nLast-Modified: Thu, 26 Nov 2026 10:00:00 GMT\r\n"
    "Connection: keep-alive\r\nETag: \"6565a1b2-1a2b\"\r\nAccept-Ranges: bytes\r\nCache-Control: max-age=3600\r\n"
    "X-Frame-Options: SAMEORIGIN\r\nX-Content-Type-Options: nosniff\r\nVary: Accept-Encoding\r\n"
    "Strict-Transport-Security: max-age=31536000; includeSubDomains\r\n\r\n";

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Parses the head fed in pieces of `step` bytes; returns the fields seen. */
static unsigned parse(size_t step)
{
    mpx_parser p;
    size_t have = 0, pos = 0, len = sizeof head - 1;
    unsigned fields = 0;
    mpx_parser_init(&p, 0, 0);
    for (;;) {
        mpx_pev ev;
        size_t n;
        if (step && have < len && (have - pos == 0 || 1)) have = have + step > len ? len : have + step;
        if (!step) have = len;
        n = mpx_parse(&p, head + pos, have - pos, &ev);
        pos += n;
        if (ev.type == MPX_EV_FIELD) fields++;
        else if (ev.type == MPX_EV_DONE || ev.type == MPX_EV_ERROR) break;
        else if (ev.type == MPX_EV_NEED && have == len) break;
    }
    return fields;
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 2000000, i;
    unsigned sink = 0;
    double t0, whole, drip;
    int trial;
    for (i = 0; i < iters / 10; i++) sink += parse(0); /* warm up */
    whole = drip = 1e30;
    for (trial = 0; trial < 7; trial++) { /* the best of seven: the machine is shared */
        double t;
        t0 = now_ns();
        for (i = 0; i < iters / 7; i++) sink += parse(0);
        t = (now_ns() - t0) / (double)(iters / 7);
        if (t < whole) whole = t;
        t0 = now_ns();
        for (i = 0; i < iters / 700; i++) sink += parse(1);
        t = (now_ns() - t0) / (double)(iters / 700);
        if (t < drip) drip = t;
    }
    printf("result mode=parser bytes=%zu fields=%u whole_ns=%.1f bytewise_ns=%.1f\n", sizeof head - 1, sink ? 13u : 0u,
           whole, drip);
    return sink == 0;
}
