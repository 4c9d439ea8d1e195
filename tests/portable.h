/* tests/portable.h - what the suites that run beyond Linux share (they use
   the C library only: test_platforms.c, test_tls_platforms.c, test_lwip.c):
   a port from the environment and the test servers' body pattern. */
#ifndef MPT_PORTABLE_H
#define MPT_PORTABLE_H
#include <stdlib.h>
#include <string.h>

/* The port in environment variable name (tests/run.sh exports them), 0 if unset. */
static int port(const char *name)
{
    const char *v = getenv(name);
    return v ? atoi(v) : 0;
}

/* Byte i of every test body (nginx's files, the fault server's /gen). */
static unsigned char pattern(size_t i)
{
    return (unsigned char)((i * 7 + i / 251) & 0xff);
}

#ifndef MPT_OWN_SINK
/* A write callback's sink: bytes seen, and how many differ from the pattern. */
typedef struct body {
    size_t len, bad;
} body;

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    body *b = (body *)ud;
    size_t i;
    for (i = 0; i < size * n; i++)
        if ((unsigned char)p[i] != pattern(b->len + i)) b->bad++;
    b->len += size * n;
    return size * n;
}
#endif
#endif
