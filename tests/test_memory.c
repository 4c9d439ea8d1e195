/* A fixed memory budget (MPERF_ARENA, MPERF_MAX_TRANSFERS,
   MPERF_MAX_CONNECTIONS): the multi handle and its transfers live in an
   arena in this program's memory, against the loopback nginx (HTTP and
   HTTPS). It measures what N transfers over M connections take, with and
   without TLS, and checks the README's table against it; it runs an arena
   that is too small (the transfers that find no memory end with
   OUT_OF_MEMORY, the rest complete), a long body in a 200 KB arena, the
   arena's reuse (no growth once warm) and the compile-time caps (this file
   is built with MPERF_MAX_TRANSFERS=64 and MPERF_MAX_CONNECTIONS=16).
   Servers: MPT_NGINX_PORT, MPT_TLS_PORT, MPT_PKI. */
#define MPERF_ARENA
#ifndef MPERF_MAX_TRANSFERS
#define MPERF_MAX_TRANSFERS 64
#endif
#ifndef MPERF_MAX_CONNECTIONS
#define MPERF_MAX_CONNECTIONS 16
#endif
#define MULTIPERFORM_IMPLEMENTATION
#include "../multiperform.h"
#include "t.h"
#include "portable.h"

#define ARENA_BIG (8u * 1024 * 1024)
static unsigned char *mem; /* the arenas' memory (aligned by malloc) */
static char *ca_pem;
static size_t ca_len;

/* The worst case for buffers: a transfer pauses at its first bytes, so its
   connection keeps them in its receive buffer, and the loop lets them all
   go on only once every connection is holding one. */
typedef struct held {
    body b;
    int paused, was_paused;
} held;

static size_t on_data_hold(char *p, size_t size, size_t n, void *ud)
{
    held *h = (held *)ud;
    if (!h->was_paused) {
        h->paused = h->was_paused = 1;
        return MPERF_WRITEFUNC_PAUSE;
    }
    return on_data(p, size, n, &h->b);
}

typedef struct outcome {
    int ok, oom, other, refused; /* completions by result; add_handle refusals */
    size_t bytes_bad;
} outcome;

/* n transfers of path over at most m connections, all in one arena of
   size bytes (TLS: https with the test PKI's root as a blob). Returns the
   arena's peak; *o what happened. Everything is freed before it returns
   (the arena's used bytes are checked to be back at 0). */
static size_t scenario(size_t size, int n, int m, int tls, const char *path, outcome *o)
{
    mperf_arena *a = mperf_arena_init(mem, size);
    const mperf_allocator *al = mperf_arena_allocator(a);
    mperf_multi *mu = mperf_multi_init_alloc(al);
    mperf_easy *e[64];
    held b[64];
    char url[256];
    int i, running = 1, left, rounds, done = 0;
    mperf_msg *msg;
    size_t peak;
    memset(o, 0, sizeof *o);
    if (!mu) {
        o->oom = n;
        return mperf_arena_peak(a);
    }
    mperf_multi_setopt(mu, MPERF_MOPT_MAX_TOTAL_CONNECTIONS, (long)m);
    snprintf(url, sizeof url, tls ? "https://localhost:%d%s" : "http://127.0.0.1:%d%s",
             port(tls ? "MPT_TLS_PORT" : "MPT_NGINX_PORT"), path);
    for (i = 0; i < n; i++) {
        e[i] = mperf_easy_init_alloc(al);
        memset(&b[i], 0, sizeof b[i]);
        if (!e[i]) {
            o->refused++;
            continue;
        }
        mperf_easy_setopt(e[i], MPERF_OPT_URL, url);
        mperf_easy_setopt(e[i], MPERF_OPT_WRITEFUNCTION, on_data_hold);
        mperf_easy_setopt(e[i], MPERF_OPT_WRITEDATA, &b[i]);
        mperf_easy_setopt(e[i], MPERF_OPT_PRIVATE, &b[i]);
        mperf_easy_setopt(e[i], MPERF_OPT_TIMEOUT, 60L);
        if (tls) {
            mperf_blob blob;
            blob.data = ca_pem;
            blob.len = ca_len;
            blob.flags = MPERF_BLOB_NOCOPY;
            mperf_easy_setopt(e[i], MPERF_OPT_CAINFO_BLOB, &blob);
        }
        if (mperf_multi_add_handle(mu, e[i]) != MPERF_M_OK) o->refused++;
    }
    for (rounds = 0; running && rounds < 20000; rounds++) {
        int paused = 0;
        if (mperf_multi_perform(mu, &running) != MPERF_M_OK) break;
        while ((msg = mperf_multi_info_read(mu, &left)) != NULL) {
            held *bb = NULL;
            if (msg->msg != MPERF_MSG_DONE) continue;
            done++;
            mperf_easy_getinfo(msg->easy_handle, MPERF_INFO_PRIVATE, (void **)&bb);
            if (bb) bb->paused = 0;
            if (msg->data.result == MPERF_E_OK) o->ok++;
            else if (msg->data.result == MPERF_E_OUT_OF_MEMORY) o->oom++;
            else {
                o->other++;
                printf("  unexpected: %s\n", mperf_easy_strerror(msg->data.result));
            }
            if (msg->data.result == MPERF_E_OK && bb) o->bytes_bad += bb->b.bad;
        }
        for (i = 0; i < n; i++) paused += e[i] && b[i].paused;
        if (paused && paused >= (n - done < m ? n - done : m)) /* every connection holds its buffer: go on */
            for (i = 0; i < n; i++)
                if (e[i] && b[i].paused) {
                    b[i].paused = 0;
                    mperf_easy_pause(e[i], MPERF_PAUSE_CONT);
                }
        if (running) mperf_multi_poll(mu, NULL, 0, 200, NULL); /* (resumed transfers make it return at once) */
    }
    for (i = 0; i < n; i++)
        if (e[i]) {
            mperf_multi_remove_handle(mu, e[i]);
            mperf_easy_cleanup(e[i]);
        }
    mperf_multi_cleanup(mu);
    peak = mperf_arena_peak(a);
    CHECKF(mperf_arena_used(a) == 0, "%zu bytes still in use after cleanup", mperf_arena_used(a));
    return peak;
}

/* The README's figure for "N transfers over M connections", http or https. */
static long readme_figure(int n, int m, int tls)
{
    size_t len = 0;
    char *r = slurp("README.md", &len), want[96], *at;
    long http = -1, https = -1;
    if (!r) return -1;
    snprintf(want, sizeof want, "| %d transfer%s over %d connection%s |", n, n == 1 ? "" : "s", m, m == 1 ? "" : "s");
    at = strstr(r, want);
    if (at && sscanf(at + strlen(want), " %ld | %ld |", &http, &https) != 2) http = https = -1;
    free(r);
    return tls ? https : http;
}

TEST(memory_for_n_transfers_over_m_connections)
{
    static const int cases[][2] = {{1, 1}, {8, 1}, {8, 8}, {32, 4}, {64, 16}};
    size_t i;
    int tls;
    printf("  | transfers over connections | http bytes | https bytes |\n");
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t peak[2] = {0, 0};
        for (tls = 0; tls < 2; tls++) {
            outcome o;
            int k;
            for (k = 0; k < 3; k++) { /* the most of three runs: the interleaving may differ */
                size_t p = scenario(ARENA_BIG, cases[i][0], cases[i][1], tls, "/f/64k.bin", &o);
                CHECKF(o.ok == cases[i][0] && o.bytes_bad == 0, "%d over %d (%s): %d ok, %d oom, %d other",
                       cases[i][0], cases[i][1], tls ? "https" : "http", o.ok, o.oom, o.other);
                if (p > peak[tls]) peak[tls] = p;
            }
            {
                long fig = readme_figure(cases[i][0], cases[i][1], tls);
                /* the README states a budget that holds (at least the peak) and is tight (within 5%) */
                CHECKF(fig >= (long)peak[tls] && fig <= (long)(peak[tls] + peak[tls] / 20),
                       "README says %ld for %d over %d (%s), measured %zu", fig, cases[i][0], cases[i][1],
                       tls ? "https" : "http", peak[tls]);
            }
        }
        printf("  | %d over %d | %zu | %zu |\n", cases[i][0], cases[i][1], peak[0], peak[1]);
    }
}

TEST(an_arena_too_small_fails_only_the_transfers_without_memory)
{
    outcome o;
    size_t need = scenario(ARENA_BIG, 8, 8, 1, "/f/64k.bin", &o), size;
    int saw_partial = 0;
    CHECK_EQ_LONG(o.ok, 8);
    /* smaller and smaller: some transfers find no memory and say so; the
       others complete, every byte right; nothing else goes wrong */
    for (size = need - need / 16; size > need / 4; size -= need / 16) {
        scenario(size, 8, 8, 1, "/f/64k.bin", &o);
        CHECKF(o.other == 0 && o.bytes_bad == 0, "%zu bytes: %d other failures", size, o.other);
        CHECKF(o.ok + o.oom + o.refused == 8, "%zu bytes: %d ok + %d oom + %d refused", size, o.ok, o.oom, o.refused);
        if (o.ok > 0 && o.oom > 0) saw_partial = 1;
        printf("  %7zu bytes (%2zu%%): %d ok, %d out of memory, %d not added\n", size, size * 100 / need, o.ok, o.oom,
               o.refused);
    }
    CHECK(saw_partial);
    /* with fewer connections at once the same small arena does them all */
    scenario(need / 2, 8, 2, 1, "/f/64k.bin", &o);
    CHECKF(o.ok == 8, "8 over 2 connections in %zu bytes: %d ok, %d oom", need / 2, o.ok, o.oom);
}

TEST(a_long_body_in_a_200_kb_arena)
{
    /* the 256 KiB buffer does not fit: the transfer stays on its 16 KiB one */
    outcome o;
    size_t peak = scenario(200 * 1024, 1, 1, 0, "/f/large.bin", &o);
    CHECKF(o.ok == 1 && o.bytes_bad == 0, "%d ok, %d oom, %d other", o.ok, o.oom, o.other);
    printf("  64 MiB over http in a 200 KiB arena: peak %zu bytes\n", peak);
    peak = scenario(200 * 1024, 1, 1, 1, "/f/large.bin", &o);
    CHECKF(o.ok == 1 && o.bytes_bad == 0, "https: %d ok, %d oom, %d other", o.ok, o.oom, o.other);
    printf("  64 MiB over https in a 200 KiB arena: peak %zu bytes\n", peak);
}

TEST(warm_rounds_do_not_grow_the_arena)
{
    mperf_arena *a = mperf_arena_init(mem, ARENA_BIG);
    const mperf_allocator *al = mperf_arena_allocator(a);
    mperf_multi *mu = mperf_multi_init_alloc(al);
    mperf_easy *e = mperf_easy_init_alloc(al);
    body b;
    char url[256];
    size_t after_first = 0;
    int round, running, left, i;
    mperf_msg *msg;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/f/64k.bin", port("MPT_NGINX_PORT"));
    mperf_easy_setopt(e, MPERF_OPT_URL, url);
    mperf_easy_setopt(e, MPERF_OPT_WRITEFUNCTION, on_data);
    mperf_easy_setopt(e, MPERF_OPT_WRITEDATA, &b);
    for (round = 0; round < 50; round++) {
        int ok = 0;
        memset(&b, 0, sizeof b);
        mperf_multi_add_handle(mu, e);
        running = 1;
        for (i = 0; running && i < 2000; i++) {
            mperf_multi_perform(mu, &running);
            while ((msg = mperf_multi_info_read(mu, &left)) != NULL) ok += msg->data.result == MPERF_E_OK;
            if (running) mperf_multi_poll(mu, NULL, 0, 200, NULL);
        }
        mperf_multi_remove_handle(mu, e);
        CHECK(ok == 1 && b.len == 65536 && b.bad == 0);
        if (round == 0) after_first = mperf_arena_peak(a);
    }
    CHECKF(mperf_arena_peak(a) == after_first, "the arena grew from %zu to %zu bytes over 49 more rounds", after_first,
           mperf_arena_peak(a));
    mperf_easy_cleanup(e);
    mperf_multi_cleanup(mu);
    CHECK_EQ_LONG(mperf_arena_used(a), 0);
}

TEST(compile_time_caps)
{
    mperf_arena *a = mperf_arena_init(mem, ARENA_BIG);
    mperf_multi *mu = mperf_multi_init_alloc(mperf_arena_allocator(a));
    mperf_easy *e[MPERF_MAX_TRANSFERS + 1];
    body b[MPERF_MAX_TRANSFERS];
    char url[256];
    int i, running = 1, left, ok = 0, rounds;
    long conns = 0;
    mperf_msg *msg;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/f/1k.bin", port("MPT_NGINX_PORT"));
    /* MAX_TOTAL_CONNECTIONS above the cap (or 0, no limit) is held to it */
    mperf_multi_setopt(mu, MPERF_MOPT_MAX_TOTAL_CONNECTIONS, 0L);
    for (i = 0; i <= MPERF_MAX_TRANSFERS; i++) {
        e[i] = mperf_easy_init();
        mperf_easy_setopt(e[i], MPERF_OPT_URL, url);
        if (i < MPERF_MAX_TRANSFERS) {
            memset(&b[i], 0, sizeof b[i]);
            mperf_easy_setopt(e[i], MPERF_OPT_WRITEFUNCTION, on_data);
            mperf_easy_setopt(e[i], MPERF_OPT_WRITEDATA, &b[i]);
            CHECK_EQ_LONG(mperf_multi_add_handle(mu, e[i]), MPERF_M_OK);
        } else { /* one more than the cap is refused */
            CHECK_EQ_LONG(mperf_multi_add_handle(mu, e[i]), MPERF_M_OUT_OF_MEMORY);
        }
    }
    for (rounds = 0; running && rounds < 20000; rounds++) {
        mperf_multi_perform(mu, &running);
        while ((msg = mperf_multi_info_read(mu, &left)) != NULL) ok += msg->data.result == MPERF_E_OK;
        if (running) mperf_multi_poll(mu, NULL, 0, 200, NULL);
    }
    CHECK_EQ_LONG(ok, MPERF_MAX_TRANSFERS);
    for (i = 0; i <= MPERF_MAX_TRANSFERS; i++) {
        long n = 0;
        mperf_easy_getinfo(e[i], MPERF_INFO_NUM_CONNECTS, &n);
        conns += n;
        mperf_multi_remove_handle(mu, e[i]);
        mperf_easy_cleanup(e[i]);
    }
    CHECKF(conns <= MPERF_MAX_CONNECTIONS, "%ld connections made for %d transfers (cap %d)", conns,
           MPERF_MAX_TRANSFERS, MPERF_MAX_CONNECTIONS);
    printf("  %d transfers on %ld connections (cap %d)\n", MPERF_MAX_TRANSFERS, conns, MPERF_MAX_CONNECTIONS);
    mperf_multi_cleanup(mu);
}

TEST(arena_records)
{
    unsigned char small[512];
    CHECK(mperf_arena_init(small, sizeof small) == NULL); /* too small for its records */
    CHECK(mperf_arena_init(NULL, 1 << 20) == NULL);
    {
        mperf_arena *a = mperf_arena_init(mem, 64 * 1024);
        const mperf_allocator *al = mperf_arena_allocator(a);
        void *p = al->alloc(100, al->user), *q;
        size_t peak = mperf_arena_peak(a);
        CHECK(p != NULL && ((size_t)p & 15) == 0);
        al->free(p, al->user);
        CHECK_EQ_LONG(mperf_arena_used(a), 0);
        q = al->alloc(99, al->user); /* the same class (128 bytes with the header): the same block again */
        CHECK(q == p && mperf_arena_peak(a) == peak);
        CHECK(al->alloc(1 << 20, al->user) == NULL); /* more than there is */
        al->free(q, al->user);
    }
}

int main(void)
{
    if (!port("MPT_NGINX_PORT") || !port("MPT_TLS_PORT") || !getenv("MPT_PKI")) {
        printf("FAIL - servers: MPT_NGINX_PORT, MPT_TLS_PORT and MPT_PKI are not set\n");
        return 1;
    }
    {
        char path[1024];
        snprintf(path, sizeof path, "%s/ca.pem", getenv("MPT_PKI"));
        ca_pem = slurp(path, &ca_len);
    }
    mem = (unsigned char *)malloc(ARENA_BIG);
    if (!mem || !ca_pem) return 1;
    RUN(arena_records);
    RUN(memory_for_n_transfers_over_m_connections);
    RUN(an_arena_too_small_fails_only_the_transfers_without_memory);
    RUN(a_long_body_in_a_200_kb_arena);
    RUN(warm_rounds_do_not_grow_the_arena);
    RUN(compile_time_caps);
    free(mem);
    free(ca_pem);
    return t_done("memory");
}
