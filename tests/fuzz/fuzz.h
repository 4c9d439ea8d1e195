/* tests/fuzz/fuzz.h - what the fuzz targets share.

   Each target is one file defining LLVMFuzzerTestOneInput. Built with
   clang -fsanitize=fuzzer it is a libFuzzer binary (make fuzz); built
   without MPT_LIBFUZZER it gets the main() below, which replays files and
   directories of inputs (make test replays the committed corpus under
   ASan/UBSan and valgrind). A target reports a finding by abort(). */
#ifndef MPT_FUZZ_H
#define MPT_FUZZ_H
#define MULTIPERFORM_IMPLEMENTATION
#include "../../multiperform.h"
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_ASSERT(c)                                                                                                   \
    do {                                                                                                               \
        if (!(c)) {                                                                                                    \
            fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #c);                          \
            abort();                                                                                                   \
        }                                                                                                              \
    } while (0)

/* ---- the response parser, fed in pieces ---------------------------------- */

/* What one feeding produced: a running hash of the events (names, values,
   body bytes), the result and a few facts. Equal inputs must give equal
   outcomes however they are cut. */
typedef struct fz_outcome {
    uint64_t hash;
    int result; /* 0 done, an mperf_code, or -1 still incomplete */
    int status, keepalive;
    size_t body;
} fz_outcome;

static inline void fz_mix(uint64_t *h, const void *p, size_t n)
{
    const unsigned char *b = (const unsigned char *)p;
    size_t i;
    for (i = 0; i < n; i++) *h = (*h ^ b[i]) * UINT64_C(0x100000001b3);
}

static inline void fz_mix_int(uint64_t *h, long v)
{
    fz_mix(h, &v, sizeof v);
}

/* Body events are hashed byte by byte (their cut depends on the feeding);
   every other event is hashed whole, with its type. */
static inline int fz_event(fz_outcome *o, const mpx_parser *p, const mpx_pev *ev, const char *lo, const char *hi)
{
    switch (ev->type) {
    case MPX_EV_BODY:
        FZ_ASSERT(ev->data >= lo && ev->data + ev->datalen <= hi); /* zero-copy: inside the buffer */
        fz_mix(&o->hash, ev->data, ev->datalen);
        o->body += ev->datalen;
        return 0;
    case MPX_EV_FIELD:
    case MPX_EV_TRAILER:
        FZ_ASSERT(ev->line >= lo && ev->line + ev->namelen <= hi && ev->value >= lo && ev->value + ev->valuelen <= hi);
        FZ_ASSERT(ev->namelen > 0);
        fz_mix_int(&o->hash, ev->type);
        fz_mix(&o->hash, ev->line, ev->namelen);
        fz_mix_int(&o->hash, 0x3a);
        fz_mix(&o->hash, ev->value, ev->valuelen);
        return 0;
    case MPX_EV_STATUS:
        FZ_ASSERT(p->status >= 100 && p->status <= 999);
        fz_mix_int(&o->hash, ev->type);
        fz_mix_int(&o->hash, p->status);
        return 0;
    case MPX_EV_HEAD_END:
    case MPX_EV_TRAILERS_END:
        fz_mix_int(&o->hash, ev->type);
        fz_mix_int(&o->hash, p->interim);
        return 0;
    case MPX_EV_DONE:
        o->result = 0;
        o->status = p->status;
        o->keepalive = p->keepalive;
        return 1;
    case MPX_EV_ERROR:
        FZ_ASSERT(p->error != 0 && p->why != NULL && p->why[0] != 0);
        o->result = p->error;
        return 1;
    default:
        FZ_ASSERT(0);
        return 1;
    }
}

/* Feeds in[0..len) cut at the offsets in cuts (increasing), the way a
   connection does: unconsumed bytes stay and new ones are appended. Then,
   if eof, the peer closes. The parser gives up to `many` events a call. */
static inline void fz_feed(const char *in, size_t len, const size_t *cuts, size_t ncuts, int head, int eof, unsigned many,
                           fz_outcome *o)
{
    mpx_parser p;
    char *buf = (char *)malloc(len + 1);
    size_t have = 0, start = 0, fed = 0, k;
    int over = 0;
    FZ_ASSERT(buf != NULL);
    memset(o, 0, sizeof *o);
    o->hash = UINT64_C(0xcbf29ce484222325);
    o->result = -1;
    mpx_parser_init(&p, head, 0);
    for (k = 0; k <= ncuts && !over; k++) {
        size_t end = k < ncuts ? cuts[k] : len;
        memmove(buf, buf + start, have - start); /* keep the unconsumed tail, append */
        have -= start;
        start = 0;
        memcpy(buf + have, in + fed, end - fed);
        have += end - fed;
        fed = end;
        while (!over) {
            mpx_pev ev[16];
            size_t n;
            unsigned got, e;
            memset(ev, 0, sizeof ev);
            got = mpx_parse(&p, buf + start, have - start, ev, many, &n);
            FZ_ASSERT(got >= 1 && got <= many);
            FZ_ASSERT(n <= have - start);
            start += n;
            for (e = 0; e < got && !over; e++) {
                /* only the last event of a call may be other than a status line or a field */
                FZ_ASSERT(e + 1 == got || ev[e].type == MPX_EV_STATUS || ev[e].type == MPX_EV_FIELD);
                if (ev[e].type != MPX_EV_NEED) over = fz_event(o, &p, &ev[e], buf, buf + have);
            }
            if (ev[got - 1].type == MPX_EV_NEED) break;
        }
    }
    if (!over && eof) {
        mpx_pev ev;
        memset(&ev, 0, sizeof ev);
        mpx_parse_eof(&p, &ev);
        if (ev.type == MPX_EV_DONE || ev.type == MPX_EV_ERROR) (void)fz_event(o, &p, &ev, buf, buf + have);
    }
    FZ_ASSERT(o->body <= len);
    free(buf);
}

static inline void fz_same(const fz_outcome *a, const fz_outcome *b)
{
    FZ_ASSERT(a->result == b->result);
    FZ_ASSERT(a->hash == b->hash);
    FZ_ASSERT(a->body == b->body);
    FZ_ASSERT(a->status == b->status && a->keepalive == b->keepalive);
}

/* The differential check: whole, byte by byte, and split in two at every
   offset (long inputs: at a spread of offsets) must agree, and so must one
   event a call and many (16, and 3 to end batches mid-head). */
static inline void fz_response(const char *in, size_t len, int head, int eof)
{
    fz_outcome whole, other;
    size_t *cuts, i, step;
    fz_feed(in, len, NULL, 0, head, eof, 1, &whole);
    fz_feed(in, len, NULL, 0, head, eof, 16, &other);
    fz_same(&whole, &other);
    fz_feed(in, len, NULL, 0, head, eof, 3, &other);
    fz_same(&whole, &other);
    cuts = (size_t *)calloc(len + 1, sizeof *cuts);
    FZ_ASSERT(cuts != NULL);
    if (len <= 4096) {
        for (i = 0; i + 1 < len; i++) cuts[i] = i + 1;
        fz_feed(in, len, cuts, len ? len - 1 : 0, head, eof, 1, &other);
        fz_same(&whole, &other);
    }
    step = len <= 512 ? 1 : len / 256;
    for (i = 1; i < len; i += step) {
        cuts[0] = i;
        fz_feed(in, len, cuts, 1, head, eof, i & 1 ? 16 : 1, &other);
        fz_same(&whole, &other);
    }
    free(cuts);
}

/* ---- replay main for builds without libFuzzer ------------------------------ */
#ifndef MPT_LIBFUZZER
static int fz_replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char *data;
    long n;
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    data = (unsigned char *)malloc(n > 0 ? (size_t)n : 1);
    if (!data || (n > 0 && fread(data, 1, (size_t)n, f) != (size_t)n)) {
        fclose(f);
        free(data);
        return -1;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(data, (size_t)n);
    free(data);
    return 0;
}

int main(int argc, char **argv)
{
    int i, files = 0;
    for (i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "cannot read %s\n", argv[i]);
            return 2;
        }
        if (S_ISDIR(st.st_mode)) {
            DIR *d = opendir(argv[i]);
            struct dirent *de;
            while (d && (de = readdir(d)) != NULL) {
                char path[4096];
                if (de->d_name[0] == '.') continue;
                snprintf(path, sizeof path, "%s/%s", argv[i], de->d_name);
                if (fz_replay_file(path) == 0) files++;
            }
            if (d) closedir(d);
        } else if (fz_replay_file(argv[i]) == 0) {
            files++;
        }
    }
    printf("replayed %d inputs, no finding\n", files);
    return files > 0 ? 0 : 1;
}
#endif
#endif
