/* tests/inflate_file.c FILE.gz LENGTH: decodes a gzip file with the
   header's inflater in 1000-byte pieces and exits 0 when its stream ended
   with the CRC-32 and length checked and LENGTH bytes came out. make test
   runs it under qemu-user on the big-endian and 32-bit targets, where the
   suite against zlib cannot run (no zlib for them). */
#define MULTIPERFORM_IMPLEMENTATION
#include "../multiperform.h"

static const mperf_allocator sysal = {NULL, NULL, NULL};

int main(int argc, char **argv)
{
    unsigned char piece[1000];
    FILE *f = argc == 3 ? fopen(argv[1], "rb") : NULL;
    mpx_inflate *z = mpx_inflate_new(&sysal);
    size_t n, out = 0;
    int r = 0;
    if (!f || !z) {
        fprintf(stderr, "usage: inflate_file FILE.gz LENGTH\n");
        return 2;
    }
    mpx_inflate_start(z, MPX_W_GZIP);
    while (r != 2 && (n = fread(piece, 1, sizeof piece, f)) > 0) {
        const unsigned char *p = piece;
        do {
            r = mpx_inflate_run(z, &p, piece + n);
            out += z->pos - z->done;
            z->out_total += z->pos - z->done;
            z->done = z->pos;
            if (r == 1) mpx_inflate_slide(z);
        } while (r == 1);
        if (r < 0) break;
    }
    fclose(f);
    printf("inflate_file: %s: %s, %zu bytes\n", argv[1], r == 2 ? "ended, checks right" : z->why ? z->why : "cut short", out);
    mpx_free(&sysal, z);
    return r == 2 && out == (size_t)strtoul(argv[2], NULL, 10) ? 0 : 1;
}
