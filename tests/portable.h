/* tests/portable.h - what the suites that run beyond Linux share (they use
   the C library only: test_platforms.c, test_tls_platforms.c, test_lwip.c):
   a port from the environment, a file's bytes, the test servers' body pattern. */
#ifndef MPT_PORTABLE_H
#define MPT_PORTABLE_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__GNUC__)
#define MPT_MAYBE_UNUSED __attribute__((unused)) /* not every suite needs every helper */
#else
#define MPT_MAYBE_UNUSED
#endif

/* The port in environment variable name (tests/run.sh exports them), 0 if unset. */
static MPT_MAYBE_UNUSED int port(const char *name)
{
    const char *v = getenv(name);
    return v ? atoi(v) : 0;
}

/* A whole file into memory (NUL-terminated), or NULL. */
static MPT_MAYBE_UNUSED char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *p = NULL;
    long n;
    if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (p = (char *)malloc((size_t)n + 1)) != NULL) {
        *len = fread(p, 1, (size_t)n, f);
        p[*len] = 0;
    }
    if (f) fclose(f);
    return p;
}

/* Byte i of every test body (nginx's files, the fault server's /gen). */
static MPT_MAYBE_UNUSED unsigned char pattern(size_t i)
{
    return (unsigned char)((i * 7 + i / 251) & 0xff);
}

#ifndef MPT_OWN_SINK
/* A write callback's sink: bytes seen, and how many differ from the pattern. */
typedef struct body {
    size_t len, bad;
} body;

static MPT_MAYBE_UNUSED size_t on_data(char *p, size_t size, size_t n, void *ud)
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
