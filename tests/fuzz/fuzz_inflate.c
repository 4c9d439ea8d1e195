/* Fuzz target: the inflater (>>decoding) on hostile compressed bodies. The
   first byte picks the wrapper (raw deflate, zlib, gzip) and how the rest
   is cut into pieces; the rest is the body. Whatever the bytes, decoding it
   whole and decoding it in pieces give the same verdict and the same
   output (hashed), the output stage is never overrun, and the decoder
   stops at the first fault. */
#include "fuzz.h"

static const mperf_allocator fz_al = {NULL, NULL, NULL};

/* Decodes in pieces of cut bytes (0: whole): the verdict (1 ended, 0 not
   yet, -1 bad) and the output's hash and length. */
static int fz_inflate(mpx_inflate *z, const unsigned char *in, size_t n, int wrap, size_t cut, uint64_t *hash,
                      size_t *out)
{
    size_t at = 0;
    int r = 0, ended = 0;
    *hash = UINT64_C(14695981039346656037);
    *out = 0;
    mpx_inflate_start(z, wrap);
    do {
        size_t piece = cut && cut < n - at ? cut : n - at;
        const unsigned char *p = in + at, *end = p + piece;
        for (;;) {
            if (ended && (p < end || z->bc >= 8)) {
                if (mpx_inflate_next(z) < 0) return -1;
                ended = 0;
            }
            r = mpx_inflate_run(z, &p, end);
            FZ_ASSERT(z->pos <= 2 * MPX_WSIZE && z->done <= z->pos && p <= end);
            fz_mix(hash, z->buf + z->done, z->pos - z->done);
            *out += z->pos - z->done;
            z->out_total += z->pos - z->done;
            z->done = z->pos;
            if (r < 0) return -1;
            if (r == 1) {
                mpx_inflate_slide(z);
                continue;
            }
            if (r == 2) {
                ended = 1;
                if (p < end || z->bc >= 8) continue;
            }
            break;
        }
        at += piece;
    } while (at < n);
    return ended ? 1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mpx_inflate *z;
    uint64_t h1, h2;
    size_t o1, o2, cut;
    int wrap, r1, r2;
    if (size < 1 || !(z = mpx_inflate_new(&fz_al))) return 0;
    wrap = data[0] % 3;
    cut = 1 + (size_t)(data[0] / 3) % 64;
    r1 = fz_inflate(z, data + 1, size - 1, wrap, 0, &h1, &o1);
    r2 = fz_inflate(z, data + 1, size - 1, wrap, cut, &h2, &o2);
    FZ_ASSERT(r1 == r2);
    FZ_ASSERT(o1 == o2 && h1 == h2);
    mpx_free(&fz_al, z);
    return 0;
}
