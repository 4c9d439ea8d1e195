/* The inflater (>>decoding) against zlib, the reference (zlib1g-dev, in the
   tests only): inputs of many kinds (random, text, runs, the machine's own
   files) compressed by zlib at every level and strategy, in raw deflate,
   zlib and gzip form, are decoded here fed whole, a byte at a time and in
   random pieces, and must give back the input exactly. Corrupted streams
   (bits flipped, bytes cut, trailers wrong, garbage after the end) must
   fail wherever zlib fails, and decode to zlib's bytes where it succeeds;
   a gzip check or length that does not match always fails. */
#define MULTIPERFORM_IMPLEMENTATION
#include "../multiperform.h"
#include <dirent.h>
#include <sys/stat.h>
#include <zlib.h>
#include "t.h"

static mpx_inflate *Z;
static const mperf_allocator sysal = {NULL, NULL, NULL};
static uint32_t seed = 12345;

static uint32_t rnd(void)
{
    seed = seed * 1103515245u + 12345u;
    return seed >> 8;
}

/* Our decoding of in (wrap: MPX_W_*), fed in pieces: step 0 whole, 1 a byte
   at a time, 2 random sizes. Returns 1 and the output in *out, or 0 (bad,
   truncated or trailing bytes) with z->why. */
static int ours(const unsigned char *in, size_t n, int wrap, int step, unsigned char **out, size_t *outn)
{
    size_t cap = 4096, len = 0, at = 0;
    unsigned char *o = (unsigned char *)malloc(cap);
    int r = 0, ended = 0;
    mpx_inflate_start(Z, wrap);
    while (at <= n) {
        size_t piece = step == 0 ? n - at : step == 1 ? 1 : 1 + rnd() % 5000;
        const unsigned char *p = in + at, *end;
        if (piece > n - at) piece = n - at;
        end = p + piece;
        for (;;) {
            if (ended && (p < end || Z->bc >= 8)) {
                if (mpx_inflate_next(Z) < 0) goto done;
                ended = 0;
            }
            r = mpx_inflate_run(Z, &p, end);
            if (Z->pos > Z->done) { /* deliver */
                size_t k = Z->pos - Z->done;
                if (len + k > cap) {
                    while (len + k > cap) cap *= 2;
                    o = (unsigned char *)realloc(o, cap);
                }
                memcpy(o + len, Z->buf + Z->done, k);
                len += k;
                Z->out_total += k;
                Z->done = Z->pos;
            }
            if (r < 0) goto done;
            if (r == 1) {
                mpx_inflate_slide(Z);
                continue;
            }
            if (r == 2) ended = 1;
            if (r == 2 && (p < end || Z->bc >= 8)) continue;
            break;
        }
        at += piece;
        if (at == n) break;
    }
    if (ended) {
        *out = o;
        *outn = len;
        return 1;
    }
done:
    free(o);
    *out = NULL;
    *outn = 0;
    return 0;
}

/* zlib's decoding, as our caller would see it: the stream must end with
   nothing after it (for gzip, further members are decoded). */
static int theirs(const unsigned char *in, size_t n, int wrap, unsigned char **out, size_t *outn)
{
    z_stream s;
    size_t cap = 4096, len = 0;
    unsigned char *o = (unsigned char *)malloc(cap);
    int r, ok = 0;
    memset(&s, 0, sizeof s);
    if (inflateInit2(&s, wrap == MPX_W_RAW ? -15 : wrap == MPX_W_ZLIB ? 15 : 16 + 15) != Z_OK) abort();
    s.next_in = (Bytef *)(uintptr_t)in;
    s.avail_in = (uInt)n;
    for (;;) {
        if (len + 65536 > cap) {
            cap = (len + 65536) * 2;
            o = (unsigned char *)realloc(o, cap);
        }
        s.next_out = o + len;
        s.avail_out = 65536;
        r = inflate(&s, Z_NO_FLUSH);
        len += 65536 - s.avail_out;
        if (r == Z_STREAM_END) {
            if (s.avail_in == 0) {
                ok = 1;
                break;
            }
            if (wrap != MPX_W_GZIP) break;
            inflateReset(&s); /* another member */
            continue;
        }
        if (r != Z_OK) break;
        if (s.avail_in == 0 && s.avail_out != 0) break; /* truncated */
    }
    inflateEnd(&s);
    if (!ok) {
        free(o);
        o = NULL;
        len = 0;
    }
    *out = o;
    *outn = len;
    return ok;
}

static unsigned char *deflate_with(const unsigned char *in, size_t n, int wrap, int level, int strategy, size_t *outn)
{
    z_stream s;
    size_t cap;
    unsigned char *o;
    memset(&s, 0, sizeof s);
    if (deflateInit2(&s, level, Z_DEFLATED, wrap == MPX_W_RAW ? -15 : wrap == MPX_W_ZLIB ? 15 : 16 + 15, 9, strategy) !=
        Z_OK)
        abort();
    cap = deflateBound(&s, (uLong)n) + n / 100 + 1024;
    o = (unsigned char *)malloc(cap);
    s.next_in = (Bytef *)(uintptr_t)in;
    s.avail_in = (uInt)n;
    s.next_out = o;
    s.avail_out = (uInt)cap;
    if (deflate(&s, Z_FINISH) != Z_STREAM_END) abort();
    *outn = cap - s.avail_out;
    deflateEnd(&s);
    return o;
}

/* ---- inputs ---- */
typedef struct input {
    unsigned char *p;
    size_t n;
    char name[64];
} input;
static input inputs[64];
static int ninputs;

static void add_input(const char *name, unsigned char *p, size_t n)
{
    if (ninputs == (int)(sizeof inputs / sizeof inputs[0])) {
        free(p);
        return;
    }
    inputs[ninputs].p = p;
    inputs[ninputs].n = n;
    snprintf(inputs[ninputs].name, sizeof inputs[0].name, "%s", name);
    ninputs++;
}

static void make_inputs(void)
{
    static const char *const files[] = {"/usr/include/stdio.h", "/usr/include/zlib.h", "/usr/include/bearssl.h",
                                        "/bin/sh", "/usr/share/common-licenses/GPL-3", "/etc/services"};
    size_t i, k;
    unsigned char *p;
    add_input("empty", (unsigned char *)malloc(1), 0);
    p = (unsigned char *)malloc(1);
    p[0] = 'x';
    add_input("one byte", p, 1);
    p = (unsigned char *)malloc(300000);
    for (i = 0; i < 300000; i++) p[i] = (unsigned char)rnd();
    add_input("random 300 KB", p, 300000);
    p = (unsigned char *)malloc(1 << 20);
    memset(p, 0, 1 << 20);
    add_input("zeros 1 MiB", p, 1 << 20);
    p = (unsigned char *)malloc(200000);
    for (i = 0; i < 200000; i++) p[i] = (unsigned char)("abcab"[i % 5] + (i % 977 == 0));
    add_input("short period", p, 200000);
    p = (unsigned char *)malloc(500000);
    for (i = 0; i < 500000; i++) p[i] = (unsigned char)(rnd() % 4 == 0 ? 'a' + rnd() % 26 : ' ' + (i / 7) % 60);
    add_input("text-like 500 KB", p, 500000);
    p = (unsigned char *)malloc(100000);
    for (i = 0; i < 100000; i++) p[i] = (unsigned char)(i < 50000 ? rnd() : p[i - 32768 + (rnd() % 3)]);
    add_input("far matches", p, 100000);
    for (k = 0; k < sizeof files / sizeof files[0]; k++) { /* real files, where the machine has them */
        FILE *f = fopen(files[k], "rb");
        size_t n;
        if (!f) continue;
        p = (unsigned char *)malloc(4 << 20);
        n = fread(p, 1, 4 << 20, f);
        fclose(f);
        add_input(files[k], p, n);
    }
}

TEST(every_level_strategy_and_wrapper_decodes_exactly)
{
    static const int strategies[] = {Z_DEFAULT_STRATEGY, Z_FILTERED, Z_HUFFMAN_ONLY, Z_RLE, Z_FIXED};
    int i, wrap, level, st, step, cases = 0;
    for (i = 0; i < ninputs; i++)
        for (wrap = 0; wrap < 3; wrap++)
            for (level = 0; level <= 9; level += (i < 3 ? 1 : 3))
                for (st = 0; st < 5; st++) {
                    size_t cn, on;
                    unsigned char *c = deflate_with(inputs[i].p, inputs[i].n, wrap, level, strategies[st], &cn), *o;
                    for (step = 0; step < 3; step++) {
                        if (step == 1 && cn > 200000) continue; /* a byte at a time: the smaller ones */
                        CHECKF(ours(c, cn, wrap, step, &o, &on) == 1, "%s wrap %d level %d strategy %d step %d: %s",
                               inputs[i].name, wrap, level, st, step, Z->why ? Z->why : "truncated");
                        CHECKF(on == inputs[i].n && (!on || memcmp(o, inputs[i].p, on) == 0),
                               "%s wrap %d level %d strategy %d step %d: wrong output", inputs[i].name, wrap, level,
                               st, step);
                        free(o);
                        cases++;
                    }
                    free(c);
                }
    printf("  %d decodings, each byte for byte\n", cases);
}

/* A corrupted stream: ours and zlib's agree on failure or on the bytes. */
static int agree(const unsigned char *c, size_t cn, int wrap, const char *what)
{
    unsigned char *a, *b;
    size_t an, bn;
    int ra = ours(c, cn, wrap, 2, &a, &an), rb = theirs(c, cn, wrap, &b, &bn), same = ra == rb;
    if (same && ra) same = an == bn && (!an || memcmp(a, b, an) == 0);
    if (!same)
        printf("  %s (wrap %d): ours %s (%s), zlib %s\n", what, wrap, ra ? "ok" : "failed", Z->why ? Z->why : "-",
               rb ? "ok" : "failed");
    free(a);
    free(b);
    return same;
}

TEST(corrupted_streams_fail_where_zlib_fails)
{
    int i, wrap, k, disagree = 0, failures = 0, total = 0;
    for (i = 0; i < ninputs; i++) {
        for (wrap = 0; wrap < 3; wrap++) {
            size_t cn;
            unsigned char *c = deflate_with(inputs[i].p, inputs[i].n > 60000 ? 60000 : inputs[i].n, wrap, 6,
                                            Z_DEFAULT_STRATEGY, &cn);
            for (k = 0; k < 40; k++) {
                unsigned char *d = (unsigned char *)malloc(cn + 16);
                size_t dn = cn, at;
                unsigned char *o;
                size_t on;
                memcpy(d, c, cn);
                switch (k % 4) {
                case 0: /* a bit flipped */
                    at = rnd() % cn;
                    d[at] ^= (unsigned char)(1u << (rnd() % 8));
                    break;
                case 1: /* cut short */
                    dn = rnd() % cn;
                    break;
                case 2: /* garbage after the end */
                    d[dn++] = (unsigned char)rnd();
                    d[dn++] = 0;
                    break;
                default: /* a byte replaced */
                    d[rnd() % cn] = (unsigned char)rnd();
                    break;
                }
                if (!agree(d, dn, wrap, inputs[i].name)) disagree++;
                if (!ours(d, dn, wrap, 2, &o, &on)) failures++;
                free(o);
                total++;
                free(d);
            }
            free(c);
        }
    }
    CHECKF(disagree == 0, "%d of %d corrupted streams decoded differently from zlib", disagree, total);
    printf("  %d corrupted streams: %d failed in both, the rest gave zlib's bytes\n", total, failures);
}

TEST(checks_lengths_and_endings)
{
    static const unsigned char text[] = "hello, hello, hello, hello";
    size_t cn, on;
    unsigned char *c = deflate_with(text, sizeof text, MPX_W_GZIP, 9, Z_DEFAULT_STRATEGY, &cn), *o, *two;
    /* a wrong CRC, a wrong ISIZE */
    c[cn - 8] ^= 1;
    CHECK(ours(c, cn, MPX_W_GZIP, 0, &o, &on) == 0 && strcmp(Z->why, "incorrect data check") == 0);
    c[cn - 8] ^= 1;
    c[cn - 1] ^= 1;
    CHECK(ours(c, cn, MPX_W_GZIP, 0, &o, &on) == 0 && strcmp(Z->why, "incorrect length check") == 0);
    c[cn - 1] ^= 1;
    /* two members one after the other: both, as gzip reads them */
    two = (unsigned char *)malloc(2 * cn);
    memcpy(two, c, cn);
    memcpy(two + cn, c, cn);
    CHECK(ours(two, 2 * cn, MPX_W_GZIP, 1, &o, &on) == 1 && on == 2 * sizeof text);
    free(o);
    /* garbage after the member, cut in the trailer, cut in the header */
    two[cn] = 0;
    CHECK(ours(two, cn + 1, MPX_W_GZIP, 0, &o, &on) == 0);
    CHECK(ours(c, cn - 3, MPX_W_GZIP, 0, &o, &on) == 0 && Z->why == NULL);
    CHECK(ours(c, 5, MPX_W_GZIP, 0, &o, &on) == 0);
    /* header fields: FEXTRA, FNAME, FCOMMENT, FHCRC */
    {
        unsigned char h[64] = {0x1f, 0x8b, 8, 4 | 8 | 16 | 2, 0, 0, 0, 0, 0, 3, 3, 0, 'a', 'b', 'c', 'n', 0, 'c', 0};
        size_t hn = 19, bn;
        unsigned char *buf;
        uLong crc = crc32(0, h, (uInt)hn);
        h[hn++] = (unsigned char)(crc & 0xff);
        h[hn++] = (unsigned char)(crc >> 8 & 0xff);
        buf = (unsigned char *)malloc(hn + cn);
        memcpy(buf, h, hn);
        memcpy(buf + hn, c + 10, cn - 10);
        bn = hn + cn - 10;
        CHECK(ours(buf, bn, MPX_W_GZIP, 1, &o, &on) == 1 && on == sizeof text && memcmp(o, text, on) == 0);
        free(o);
        buf[hn - 1] ^= 1; /* the header CRC wrong */
        CHECK(ours(buf, bn, MPX_W_GZIP, 0, &o, &on) == 0 && strcmp(Z->why, "header crc mismatch") == 0);
        free(buf);
    }
    /* "deflate" without the zlib wrapper, as some servers send it, short and long, whole and in pieces */
    free(c);
    {
        int step;
        for (step = 0; step < 3; step++) {
            c = deflate_with(inputs[5].p, inputs[5].n, MPX_W_RAW, 6, Z_DEFAULT_STRATEGY, &cn);
            CHECKF(ours(c, cn, MPX_W_ZLIB, step, &o, &on) == 1 && on == inputs[5].n && memcmp(o, inputs[5].p, on) == 0,
                   "raw deflate as \"deflate\", step %d", step);
            free(o);
            free(c);
        }
    }
    c = deflate_with(text, sizeof text, MPX_W_RAW, 6, Z_DEFAULT_STRATEGY, &cn);
    CHECK(ours(c, cn, MPX_W_ZLIB, 2, &o, &on) == 1 && on == sizeof text && memcmp(o, text, on) == 0);
    free(o);
    free(c);
    free(two);
}

int main(void)
{
    int i;
    Z = mpx_inflate_new(&sysal);
    make_inputs();
    RUN(every_level_strategy_and_wrapper_decodes_exactly);
    RUN(corrupted_streams_fail_where_zlib_fails);
    RUN(checks_lengths_and_endings);
    for (i = 0; i < ninputs; i++) free(inputs[i].p);
    mpx_free(&sysal, Z);
    return t_done("inflate");
}
