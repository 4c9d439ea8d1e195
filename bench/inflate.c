/* bench/inflate.c - the header's inflater against zlib's on the same gzip
   bodies, as a transfer would feed them: the compressed bytes in 16 KiB
   pieces (a network read), the output handed on (here: summed) and the
   gzip CRC checked by both. Prints one line per body:
     NAME OUT_BYTES IN_BYTES OURS_MBPS ZLIB_MBPS RATIO
   (MB/s of output, the best of five runs each). Built -O2 by bench/run.sh
   with -lz (zlib is the reference here, never a dependency). */
#define MULTIPERFORM_IMPLEMENTATION
#include "../multiperform.h"
#include <time.h>
#include <zlib.h>

static const mperf_allocator sysal = {NULL, NULL, NULL};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Touches the output as a consumer would, cheaply: every 64th byte by its
   place in the whole body (the two decoders hand it over in different pieces). */
static unsigned long sum_bytes(const unsigned char *p, size_t n, size_t at, unsigned long s)
{
    size_t i;
    for (i = (64 - at % 64) % 64; i < n; i += 64) s += p[i] * (unsigned long)((at + i) % 251 + 1);
    return s;
}

static double run_ours(mpx_inflate *z, const unsigned char *c, size_t cn, size_t want, unsigned long *sum)
{
    double t0 = now_s();
    size_t at = 0, out = 0;
    int r = 0;
    mpx_inflate_start(z, MPX_W_GZIP);
    while (at < cn && r != 2) {
        size_t piece = cn - at < 16384 ? cn - at : 16384;
        const unsigned char *p = c + at, *end = p + piece;
        for (;;) {
            r = mpx_inflate_run(z, &p, end);
            if (z->pos > z->done) {
                *sum = sum_bytes(z->buf + z->done, z->pos - z->done, out, *sum);
                out += z->pos - z->done;
                z->out_total += z->pos - z->done;
                z->done = z->pos;
            }
            if (r == 1) {
                mpx_inflate_slide(z);
                continue;
            }
            break;
        }
        if (r < 0) {
            fprintf(stderr, "inflate: ours failed: %s\n", z->why);
            exit(1);
        }
        at += piece;
    }
    if (r != 2 || out != want) {
        fprintf(stderr, "inflate: ours gave %zu bytes of %zu\n", out, want);
        exit(1);
    }
    return now_s() - t0;
}

static double run_zlib(const unsigned char *c, size_t cn, size_t want, unsigned long *sum)
{
    static unsigned char buf[65536];
    double t0 = now_s();
    z_stream s;
    size_t at = 0, out = 0;
    int r = Z_OK;
    memset(&s, 0, sizeof s);
    if (inflateInit2(&s, 16 + 15) != Z_OK) exit(1);
    while (at < cn && r != Z_STREAM_END) {
        size_t piece = cn - at < 16384 ? cn - at : 16384;
        s.next_in = (Bytef *)(uintptr_t)(c + at);
        s.avail_in = (uInt)piece;
        do {
            s.next_out = buf;
            s.avail_out = sizeof buf;
            r = inflate(&s, Z_NO_FLUSH);
            if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR) {
                fprintf(stderr, "inflate: zlib failed: %d\n", r);
                exit(1);
            }
            *sum = sum_bytes(buf, sizeof buf - s.avail_out, out, *sum);
            out += sizeof buf - s.avail_out;
        } while (s.avail_out == 0);
        at += piece - s.avail_in;
    }
    inflateEnd(&s);
    if (out != want) {
        fprintf(stderr, "inflate: zlib gave %zu bytes of %zu\n", out, want);
        exit(1);
    }
    return now_s() - t0;
}

static unsigned char *gzip_of(const unsigned char *p, size_t n, int level, size_t *cn)
{
    z_stream s;
    unsigned char *o;
    size_t cap;
    memset(&s, 0, sizeof s);
    if (deflateInit2(&s, level, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY) != Z_OK) exit(1);
    cap = deflateBound(&s, (uLong)n) + 1024;
    o = (unsigned char *)malloc(cap);
    s.next_in = (Bytef *)(uintptr_t)p;
    s.avail_in = (uInt)n;
    s.next_out = o;
    s.avail_out = (uInt)cap;
    if (deflate(&s, Z_FINISH) != Z_STREAM_END) exit(1);
    *cn = cap - s.avail_out;
    deflateEnd(&s);
    return o;
}

/* The files under dir (recursively), concatenated up to max bytes. */
static size_t slurp(const char *path, unsigned char *p, size_t have, size_t max)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    if (!f) return have;
    n = fread(p + have, 1, max - have, f);
    fclose(f);
    return have + n;
}

static void bench(const char *name, const unsigned char *p, size_t n, int level)
{
    size_t cn;
    unsigned char *c = gzip_of(p, n, level, &cn);
    mpx_inflate *z = mpx_inflate_new(&sysal);
    double best_ours = 1e9, best_zlib = 1e9;
    unsigned long s1 = 0, s2 = 0;
    int k;
    for (k = 0; k < 5; k++) {
        double a = run_ours(z, c, cn, n, &s1), b = run_zlib(c, cn, n, &s2);
        if (a < best_ours) best_ours = a;
        if (b < best_zlib) best_zlib = b;
    }
    if (s1 != s2) {
        fprintf(stderr, "inflate: the two outputs differ\n");
        exit(1);
    }
    printf("%s %zu %zu %.0f %.0f %.2f\n", name, n, cn, (double)n / best_ours / 1e6, (double)n / best_zlib / 1e6,
           best_zlib / best_ours);
    mpx_free(&sysal, z);
    free(c);
}

int main(int argc, char **argv)
{
    size_t max = 64u << 20, n = 0, i;
    unsigned char *p = (unsigned char *)malloc(max);
    int a;
    uint32_t x = 1;
    /* real files given on the command line (text: headers, docs; binaries), to 64 MiB */
    for (a = 1; a < argc && n < max; a++) n = slurp(argv[a], p, n, max);
    if (n) bench("files", p, n, 6);
    /* an HTML-like page repeated with variations (what a web server compresses) */
    for (n = 0; n + 200 < max / 2; n += 64) {
        x = x * 1103515245u + 12345u;
        n += (size_t)snprintf((char *)p + n, 200, "<li class=\"item-%u\"><a href=\"/path/%u\">Item %u</a></li>\n",
                              (x >> 8) % 1000, (x >> 4) % 100000, x % 977);
        for (i = 0; i < 64; i++) p[n + i] = (unsigned char)(' ' + (x >> (i % 24)) % 90);
    }
    bench("html", p, n, 6);
    for (i = 0; i < 16u << 20; i++) { /* JSON-like records */
        x = x * 1103515245u + 12345u;
        p[i] = (unsigned char)("{\"id\":,\"name\":\"\"}0123456789abcdef"[(x >> 9) % 34]);
    }
    bench("records", p, 16u << 20, 6);
    free(p);
    return 0;
}
