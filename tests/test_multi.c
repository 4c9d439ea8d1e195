/* The multi interface end to end, over real loopback sockets against the
   project's faultserver and nginx (both started by tests/run.sh): response
   framing, the connection pool and its limits, retries, waiting and wakeup,
   fdset and timeouts, getinfo, the rules for calls from callbacks, pause,
   and the engine's socket settings. */
/* the state changes this suite must see (tests/transitions.h) */
#define MPT_MUST "S:NONE>INIT S:INIT>CONNECT S:CONNECT>CONNECTING S:CONNECTING>SEND S:SEND>RECV S:RECV>DONE S:DONE>NONE " \
    "S:CONNECT>SEND S:CONNECT>PENDING S:PENDING>SEND S:RECV>CONNECT S:INIT>NONE S:INIT>DONE"
#include "transitions.h" /* before the header: it watches the state changes */
#define MULTIPERFORM_IMPLEMENTATION
#include "../multiperform.h"
#include <fcntl.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <unistd.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/select.h>
#include "helpers.h"
#include "t.h"

const char *second_tu_version(void); /* from second_tu.c: a TU that only includes the header */

static long large_size(void)
{
    const char *v = getenv("MPT_LARGE_MB");
    return (v ? atol(v) : 64) * 1024L * 1024L;
}

/* ------------------------------------------------------------------ */
/* transfers                                                           */
/* ------------------------------------------------------------------ */
TEST(get_content_length_body)
{
    xfer x;
    xfer_init(&x, fmt("http://127.0.0.1:%d/gen/100000", fault_port()));
    CHECK_EQ_LONG(run_one(&x), MPERF_E_OK);
    CHECK(sink_is_pattern(&x.body, 100000));
    CHECK_EQ_LONG(info_long(x.e, MPERF_INFO_RESPONSE_CODE), 200);
    CHECK_EQ_LONG(info_off(x.e, MPERF_INFO_CONTENT_LENGTH_DOWNLOAD_T), 100000);
    CHECK_EQ_LONG(info_off(x.e, MPERF_INFO_SIZE_DOWNLOAD_T), 100000);
    CHECK(strcmp(info_str(x.e, MPERF_INFO_CONTENT_TYPE), "application/octet-stream") == 0);
    CHECKF(x.body.biggest <= MPERF_MAX_WRITE_SIZE, "write callback got %zu bytes at once", x.body.biggest);
    xfer_free(&x);
}

TEST(get_chunked_bodies)
{
    static const int chunk[] = {1, 7, 1000, 20000};
    size_t i;
    for (i = 0; i < sizeof chunk / sizeof chunk[0]; i++) {
        sink b;
        int n = chunk[i] == 1 ? 3000 : 50000;
        CHECK_EQ_LONG(get_url(fmt("http://127.0.0.1:%d/gen/%d?chunked=%d", fault_port(), n, chunk[i]), &b), MPERF_E_OK);
        CHECKF(sink_is_pattern(&b, (size_t)n), "chunk size %d: %zu bytes", chunk[i], b.len);
        sink_free(&b);
    }
}

TEST(get_close_delimited_body)
{
    sink b;
    CHECK_EQ_LONG(get_url(fmt("http://127.0.0.1:%d/gen/70000?close=1", fault_port()), &b), MPERF_E_OK);
    CHECK(sink_is_pattern(&b, 70000));
    sink_free(&b);
}

TEST(get_dripped_responses)
{
    /* the same response one byte per write, and in 7-byte writes */
    const char *resp = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n3;e=1\r\nabc\r\n2\r\nde\r\n0\r\nT: 2\r\n\r\n";
    const char *drips[] = {"drip=1", "drip=7&gap=1"};
    size_t i;
    for (i = 0; i < 2; i++) {
        xfer x;
        xfer_init(&x, raw_url(resp, drips[i]));
        CHECK_EQ_LONG(run_one(&x), MPERF_E_OK);
        CHECK(x.body.len == 5 && memcmp(x.body.p, "abcde", 5) == 0);
        CHECKF(x.head.p && strstr(x.head.p, "T: 2\r\n"), "trailer reached the header callback");
        xfer_free(&x);
    }
}

TEST(head_request_has_no_body)
{
    mperf_multi *m = mperf_multi_init();
    xfer x;
    fstats a, b;
    a = fault_stats(0);
    xfer_init(&x, fmt("http://127.0.0.1:%d/gen/5000", fault_port()));
    mperf_easy_setopt(x.e, MPERF_OPT_NOBODY, 1L);
    mperf_multi_add_handle(m, x.e);
    CHECK(drive(m, 10000));
    collect(m);
    CHECK_EQ_LONG(x.result, MPERF_E_OK);
    CHECK_EQ_LONG(x.body.len, 0);
    CHECK_EQ_LONG(info_off(x.e, MPERF_INFO_CONTENT_LENGTH_DOWNLOAD_T), 5000);
    CHECK(strcmp(info_str(x.e, MPERF_INFO_EFFECTIVE_METHOD), "HEAD") == 0);
    /* the connection stays usable: a GET on the same handle reuses it */
    mperf_multi_remove_handle(m, x.e);
    mperf_easy_setopt(x.e, MPERF_OPT_HTTPGET, 1L);
    mperf_multi_add_handle(m, x.e);
    CHECK(drive(m, 10000));
    collect(m);
    CHECK_EQ_LONG(x.result, MPERF_E_OK);
    CHECK(sink_is_pattern(&x.body, 5000));
    CHECK_EQ_LONG(info_long(x.e, MPERF_INFO_NUM_CONNECTS), 0);
    mperf_multi_remove_handle(m, x.e);
    mperf_multi_cleanup(m);
    b = fault_stats(0);
    CHECK_EQ_LONG(b.conns - a.conns - 1, 1);
    xfer_free(&x);
}

TEST(interim_and_bodyless_responses)
{
    xfer x;
    xfer_init(&x, raw_url("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s>\r\n\r\n"
                          "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                          NULL));
    CHECK_EQ_LONG(run_one(&x), MPERF_E_OK);
    CHECK_EQ_LONG(info_long(x.e, MPERF_INFO_RESPONSE_CODE), 200);
    CHECK(x.body.len == 2 && memcmp(x.body.p, "ok", 2) == 0);
    CHECK(x.head.p && strstr(x.head.p, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103"));
    xfer_free(&x);
    xfer_init(&x, raw_url("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n", NULL));
    CHECK_EQ_LONG(run_one(&x), MPERF_E_OK);
    CHECK_EQ_LONG(info_long(x.e, MPERF_INFO_RESPONSE_CODE), 204);
    CHECK_EQ_LONG(x.body.len, 0);
    xfer_free(&x);
    xfer_init(&x, raw_url("HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n", NULL));
    CHECK_EQ_LONG(run_one(&x), MPERF_E_OK);
    CHECK_EQ_LONG(info_long(x.e, MPERF_INFO_RESPONSE_CODE), 304);
    xfer_free(&x);
}

/* Hostile framing over a real socket, whole and dripped byte by byte. */
TEST(hostile_framing_over_sockets)
{
    static const struct {
        const char *resp;
        int want;
    } cases[] = {
        {"HTTP/1.1 200 OK\r\rContent-Length: 4\r\n\r\nEvil", MPERF_E_WEIRD_SERVER_REPLY},
        {"HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello", MPERF_E_WEIRD_SERVER_REPLY},
        {"HTTP/1.1 200 OK\r\nContent-Length: 5 5\r\n\r\nhello", MPERF_E_WEIRD_SERVER_REPLY},
        {"HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello", MPERF_E_WEIRD_SERVER_REPLY},
        {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", MPERF_E_WEIRD_SERVER_REPLY},
        {"HTTP/1.1 200 OK\r\n Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", MPERF_E_WEIRD_SERVER_REPLY},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", MPERF_E_BAD_CONTENT_ENCODING},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x10\r\n0123456789abcdef\r\n0\r\n\r\n", MPERF_E_WEIRD_SERVER_REPLY},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\n0\n\n", MPERF_E_WEIRD_SERVER_REPLY},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n", MPERF_E_WEIRD_SERVER_REPLY},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\nx", MPERF_E_WEIRD_SERVER_REPLY},
        {"HTTP/1.1 200 OK\r\nX-Abc: \rxTransfer-Encoding: chunked\r\n\r\n", MPERF_E_WEIRD_SERVER_REPLY},
        {"HTTP/1.1 101 Switching Protocols\r\n\r\n", MPERF_E_WEIRD_SERVER_REPLY},
        {"garbage\r\n\r\n", MPERF_E_UNSUPPORTED_PROTOCOL},
    };
    size_t i;
    int d;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (d = 0; d < 2; d++) {
            xfer x;
            xfer_init(&x, raw_url(cases[i].resp, d ? "drip=1&end=close" : "end=close"));
            CHECKF(run_one(&x) == (mperf_code)cases[i].want, "case %zu (drip %d): result %d want %d: %s", i, d,
                   (int)x.result, cases[i].want, x.err);
            CHECKF(x.err[0] != 0, "case %zu: error buffer empty", i);
            xfer_free(&x);
        }
    }
}

TEST(hostile_sizes_over_sockets)
{
    xfer x;
    /* endless headers: bounded failure */
    xfer_init(&x, fmt("http://127.0.0.1:%d/raw?pre=%s&d=%s&rep=200000&end=close", fault_port(),
                      pct("HTTP/1.1 200 OK\r\n"), pct("X-Pad: 0123456789012345678901234567890123456789\r\n")));
    CHECK_EQ_LONG(run_one(&x), MPERF_E_WEIRD_SERVER_REPLY);
    CHECKF(strstr(x.err, "too large") || strstr(x.err, "Too many"), "%s", x.err);
    xfer_free(&x);
    /* a million one-byte chunks: the framing overhead guard */
    xfer_init(&x, fmt("http://127.0.0.1:%d/raw?pre=%s&d=%s&rep=1000000&post=%s&end=close", fault_port(),
                      pct("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), pct("1\r\nx\r\n"), pct("0\r\n\r\n")));
    x.body.count_only = 1;
    CHECK_EQ_LONG(run_one(&x), MPERF_E_WEIRD_SERVER_REPLY);
    CHECK(strstr(x.err, "overhead") != NULL);
    xfer_free(&x);
    /* header lines longer than the receive buffer: fine up to the limit, an error past it */
    xfer_init(&x, fmt("http://127.0.0.1:%d/raw?pre=%s&d=a&rep=%d&post=%s", fault_port(), pct("HTTP/1.1 200 OK\r\nX-Long: "),
                      MPERF_MAX_HEADER_LINE - 20, pct("\r\nContent-Length: 2\r\n\r\nok")));
    CHECK_EQ_LONG(run_one(&x), MPERF_E_OK);
    CHECK(x.body.len == 2);
    xfer_free(&x);
    xfer_init(&x, fmt("http://127.0.0.1:%d/raw?pre=%s&d=a&rep=%d&post=%s", fault_port(), pct("HTTP/1.1 200 OK\r\nX-Long: "),
                      MPERF_MAX_HEADER_LINE + 10, pct("\r\nContent-Length: 2\r\n\r\nok")));
    CHECK_EQ_LONG(run_one(&x), MPERF_E_WEIRD_SERVER_REPLY);
    CHECK(strstr(x.err, "too long") != NULL);
    xfer_free(&x);
}

TEST(truncated_responses)
{
    xfer x;
    xfer_init(&x, raw_url("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", "end=close"));
    CHECK_EQ_LONG(run_one(&x), MPERF_E_PARTIAL_FILE);
    CHECK(strstr(x.err, "95 bytes remaining") != NULL);
    CHECK_EQ_LONG(x.body.len, 5);
    xfer_free(&x);
    xfer_init(&x, raw_url("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", "end=close"));
    CHECK_EQ_LONG(run_one(&x), MPERF_E_PARTIAL_FILE);
    xfer_free(&x);
    xfer_init(&x, raw_url("HTTP/1.1 200 OK\r\nContent-", "end=close"));
    CHECK_EQ_LONG(run_one(&x), MPERF_E_PARTIAL_FILE); /* cut in the head: libcurl's code */
    xfer_free(&x);
    xfer_init(&x, fmt("http://127.0.0.1:%d/close", fault_port()));
    CHECK_EQ_LONG(run_one(&x), MPERF_E_GOT_NOTHING);
    CHECK(strstr(x.err, "Empty reply") != NULL);
    xfer_free(&x);
    xfer_init(&x, fmt("http://127.0.0.1:%d/reset", fault_port()));
    CHECK_EQ_LONG(run_one(&x), MPERF_E_RECV_ERROR);
    xfer_free(&x);
}

/* ------------------------------------------------------------------ */
/* connections                                                         */
/* ------------------------------------------------------------------ */
TEST(sequential_transfers_share_one_connection)
{
    mperf_multi *m = mperf_multi_init();
    xfer x;
    fstats a, b;
    int i;
    a = fault_stats(0);
    xfer_init(&x, fmt("http://127.0.0.1:%d/gen/1000", fault_port()));
    for (i = 0; i < 20; i++) {
        x.body.len = 0;
        mperf_multi_add_handle(m, x.e);
        CHECK(drive(m, 10000));
        collect(m);
        CHECK_EQ_LONG(x.result, MPERF_E_OK);
        CHECK(sink_is_pattern(&x.body, 1000));
        CHECK_EQ_LONG(info_long(x.e, MPERF_INFO_NUM_CONNECTS), i == 0 ? 1 : 0);
        mperf_multi_remove_handle(m, x.e);
    }
    mperf_multi_cleanup(m);
    b = fault_stats(0);
    CHECK_EQ_LONG(b.conns - a.conns - 1, 1);
    CHECK_EQ_LONG(b.reqs - a.reqs - 1, 20);
    xfer_free(&x);
}

TEST(parallel_keepalive_against_nginx)
{
    enum { N = 64, ROUNDS = 4 };
    mperf_multi *m = mperf_multi_init();
    static xfer x[N];
    long acc0, req0, acc1, req1;
    int i, r, ok = 0;
    CHECK(nginx_counts(&acc0, &req0));
    for (i = 0; i < N; i++) {
        xfer_init(&x[i], fmt("http://127.0.0.1:%d/f/%s", nginx_port(), i % 2 ? "1k.bin" : "64k.bin"));
        x[i].body.count_only = 1;
    }
    for (r = 0; r < ROUNDS; r++) {
        for (i = 0; i < N; i++) {
            x[i].body.len = 0;
            x[i].body.pattern_bad = 0;
            mperf_multi_add_handle(m, x[i].e);
        }
        CHECK(drive(m, 30000));
        collect(m);
        for (i = 0; i < N; i++) {
            if (x[i].result == MPERF_E_OK && sink_is_pattern(&x[i].body, i % 2 ? 1024 : 65536)) ok++;
            mperf_multi_remove_handle(m, x[i].e);
        }
    }
    mperf_multi_cleanup(m);
    CHECK(nginx_counts(&acc1, &req1));
    CHECK_EQ_LONG(ok, N * ROUNDS);
    /* minus the two status requests: each round after the first reuses the pool */
    printf("  nginx saw %ld connections for %ld requests (%d parallel, %d rounds)\n", acc1 - acc0 - 1, req1 - req0 - 1, N,
           ROUNDS);
    CHECK_EQ_LONG(req1 - req0 - 1, N * ROUNDS);
    CHECKF(acc1 - acc0 - 1 <= N, "connections %ld > %d", acc1 - acc0 - 1, N);
    for (i = 0; i < N; i++) xfer_free(&x[i]);
}

TEST(large_body_against_nginx)
{
    xfer x;
    long n = large_size();
    xfer_init(&x, fmt("http://127.0.0.1:%d/f/large.bin", nginx_port()));
    mperf_easy_setopt(x.e, MPERF_OPT_TIMEOUT_MS, 120000L);
    x.body.count_only = 1;
    CHECK_EQ_LONG(run_one(&x), MPERF_E_OK);
    CHECKF(sink_is_pattern(&x.body, (size_t)n), "%zu bytes, %llu wrong", x.body.len, (unsigned long long)x.body.pattern_bad);
    CHECK_EQ_LONG(info_off(x.e, MPERF_INFO_SIZE_DOWNLOAD_T), n);
    CHECK(info_off(x.e, MPERF_INFO_SPEED_DOWNLOAD_T) > 0);
    xfer_free(&x);
}

/* A long body through perform calls: the bytes each call delivers, and the progress calls. */
typedef struct per_call {
    size_t total, this_call, most;
    long progress;
} per_call;

static size_t per_call_write(char *p, size_t size, size_t n, void *ud)
{
    per_call *pc = (per_call *)ud;
    (void)p;
    pc->total += size * n;
    pc->this_call += size * n;
    return size * n;
}

static int per_call_progress(void *ud, mperf_off_t dt, mperf_off_t dn, mperf_off_t ut, mperf_off_t un)
{
    (void)dt, (void)dn, (void)ut, (void)un;
    ((per_call *)ud)->progress++;
    return 0;
}

/* Runs url to the end with perform + poll; pc says what each call delivered. */
static long perform_in_rounds(const char *url, mperf_off_t budget, per_call *pc)
{
    mperf_multi *m = mperf_multi_init();
    mperf_easy *e = mperf_easy_init();
    int running = 1, left, rounds = 0;
    mperf_msg *msg;
    long result = -1;
    memset(pc, 0, sizeof *pc);
    if (budget >= 0) CHECK_EQ_LONG(mperf_multi_setopt(m, MPERF_MOPT_BYTES_PER_CALL, budget), MPERF_M_OK);
    mperf_easy_setopt(e, MPERF_OPT_URL, url);
    mperf_easy_setopt(e, MPERF_OPT_WRITEFUNCTION, per_call_write);
    mperf_easy_setopt(e, MPERF_OPT_WRITEDATA, pc);
    mperf_easy_setopt(e, MPERF_OPT_XFERINFOFUNCTION, per_call_progress);
    mperf_easy_setopt(e, MPERF_OPT_XFERINFODATA, pc);
    mperf_easy_setopt(e, MPERF_OPT_NOPROGRESS, 0L);
    mperf_easy_setopt(e, MPERF_OPT_TIMEOUT_MS, 120000L);
    mperf_multi_add_handle(m, e);
    while (running && rounds++ < 1000000) {
        pc->this_call = 0;
        mperf_multi_perform(m, &running);
        if (pc->this_call > pc->most) pc->most = pc->this_call;
        if (running) mperf_multi_poll(m, NULL, 0, 1000, NULL);
    }
    while ((msg = mperf_multi_info_read(m, &left)) != NULL) result = msg->data.result;
    mperf_multi_remove_handle(m, e);
    mperf_easy_cleanup(e);
    mperf_multi_cleanup(m);
    return result;
}

TEST(one_perform_call_reads_a_bounded_amount)
{
    per_call pc;
    long n = large_size();
    const char *url = fmt("http://127.0.0.1:%d/f/large.bin", nginx_port());
    /* the default, 1 MiB a call: at most one more read (the 256 KiB buffer) past it */
    CHECK_EQ_LONG(perform_in_rounds(url, -1, &pc), MPERF_E_OK);
    CHECK_EQ_LONG((long)pc.total, n);
    CHECKF(pc.most <= 1024 * 1024 + 256 * 1024, "at most %zu bytes in one call", pc.most);
    CHECKF(pc.progress >= n / (1024 * 1024) / 2, "%ld progress calls for %ld MiB", pc.progress, n / (1024 * 1024));
    printf("  %ld MiB, 1 MiB a call: at most %zu bytes in one call, %ld progress calls\n", n / (1024 * 1024), pc.most,
           pc.progress);
    /* a smaller budget holds too */
    CHECK_EQ_LONG(perform_in_rounds(url, 100000, &pc), MPERF_E_OK);
    CHECK_EQ_LONG((long)pc.total, n);
    CHECKF(pc.most <= 100000 + 256 * 1024, "at most %zu bytes in one call", pc.most);
    /* 0: no limit (it works; how much a call reads is the kernel's business) */
    CHECK_EQ_LONG(perform_in_rounds(url, 0, &pc), MPERF_E_OK);
    CHECK_EQ_LONG((long)pc.total, n);
    printf("  no limit: at most %zu bytes in one call\n", pc.most);
    {
        mperf_multi *m = mperf_multi_init();
        CHECK_EQ_LONG(mperf_multi_setopt(m, MPERF_MOPT_BYTES_PER_CALL, (mperf_off_t)-1), MPERF_M_BAD_FUNCTION_ARGUMENT);
        mperf_multi_cleanup(m);
    }
}

/* SOCKOPTFUNCTION: counts the sockets opened (since the count was last cleared). */
static int sockets_this_call;
static int count_socket(void *ud, mperf_socket_t fd, mperf_socktype purpose)
{
    (void)ud, (void)fd, (void)purpose;
    sockets_this_call++;
    return MPERF_SOCKOPT_OK;
}

TEST(one_perform_call_starts_a_bounded_number_of_connections)
{
    enum { N = 3 * MPERF_CONNECTS_PER_CALL + 10 };
    mperf_multi *m = mperf_multi_init();
    xfer *x = (xfer *)calloc(N, sizeof *x);
    int i, running = 1, rounds = 0, most = 0, total = 0, ok = 0;
    long tmo = -1;
    for (i = 0; i < N; i++) {
        xfer_init(&x[i], fmt("http://127.0.0.1:%d/f/1k.bin", nginx_port()));
        mperf_easy_setopt(x[i].e, MPERF_OPT_SOCKOPTFUNCTION, count_socket);
        mperf_multi_add_handle(m, x[i].e);
    }
    while (running && rounds++ < 100000) {
        sockets_this_call = 0;
        mperf_multi_perform(m, &running);
        if (sockets_this_call > most) most = sockets_this_call;
        total += sockets_this_call;
        if (rounds == 1) mperf_multi_timeout(m, &tmo); /* the rest wait, ready: no sleeping */
        if (running) mperf_multi_poll(m, NULL, 0, 1000, NULL);
    }
    CHECK_EQ_LONG(tmo, 0);
    collect(m);
    for (i = 0; i < N; i++) {
        if (x[i].result == MPERF_E_OK && x[i].body.len == 1024) ok++;
        mperf_multi_remove_handle(m, x[i].e);
        xfer_free(&x[i]);
    }
    CHECK_EQ_LONG(ok, N);
    CHECK(total <= N && total >= MPERF_CONNECTS_PER_CALL); /* (a transfer may reuse a connection another finished with) */
    CHECKF(most <= MPERF_CONNECTS_PER_CALL, "%d new connections in one call", most);
    printf("  %d transfers: at most %d new connections in one perform call (%d calls)\n", N, most, rounds);
    mperf_multi_cleanup(m);
    free(x);
}

/* VmHWM of this process, KiB (0 where /proc has none). */
static long peak_rss_kib(void)
{
    char line[256];
    long kib = 0;
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0) kib = atol(line + 6);
    if (f) fclose(f);
    return kib;
}

TEST(ten_thousand_concurrent_transfers)
{
    /* MPT_CONCURRENT transfers (10,000; fewer under valgrind) added at once to one multi handle, all against nginx */
    long n = getenv("MPT_CONCURRENT") ? atol(getenv("MPT_CONCURRENT")) : 10000, i, ok = 0, before;
    struct rlimit rl;
    mperf_multi *m = mperf_multi_init();
    xfer *x;
    double t0;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) { /* a socket each */
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && (long)rl.rlim_cur < n + 200) {
        printf("  (%ld open files allowed: %ld transfers instead)\n", (long)rl.rlim_cur, (long)rl.rlim_cur - 200);
        n = (long)rl.rlim_cur - 200;
    }
    x = (xfer *)calloc((size_t)n, sizeof *x);
    before = peak_rss_kib();
    for (i = 0; i < n; i++) {
        xfer_init(&x[i], fmt("http://127.0.0.1:%d/f/1k.bin", nginx_port()));
        mperf_easy_setopt(x[i].e, MPERF_OPT_TIMEOUT_MS, 120000L);
        x[i].body.count_only = 1;
        mperf_multi_add_handle(m, x[i].e);
    }
    t0 = mono_ms();
    CHECK(drive(m, 180000));
    collect(m);
    for (i = 0; i < n; i++) {
        if (x[i].result == MPERF_E_OK && sink_is_pattern(&x[i].body, 1024)) ok++;
        mperf_multi_remove_handle(m, x[i].e);
        xfer_free(&x[i]);
    }
    CHECK_EQ_LONG(ok, n);
    printf("  %ld concurrent transfers in %.0f ms; peak RSS grew %ld KiB (%.2f KiB a transfer, the test's own records in it)\n",
           n, mono_ms() - t0, peak_rss_kib() - before, (double)(peak_rss_kib() - before) / (double)n);
    mperf_multi_cleanup(m);
    free(x);
}

/* n transfers that each take ~delay ms at the server; returns the most the
   server had in progress at once. */
static long concurrency(int n, long max_host, long max_total, int two_names)
{
    mperf_multi *m = mperf_multi_init();
    xfer *x = (xfer *)calloc((size_t)n, sizeof *x);
    fstats s, base;
    int i, ok = 0;
    if (max_host) mperf_multi_setopt(m, MPERF_MOPT_MAX_HOST_CONNECTIONS, max_host);
    if (max_total) mperf_multi_setopt(m, MPERF_MOPT_MAX_TOTAL_CONNECTIONS, max_total);
    base = fault_stats(1); /* requests other tests left in progress are the baseline */
    for (i = 0; i < n; i++) {
        xfer_init(&x[i], fmt("http://%s:%d/gen/100?delay=150", two_names && i % 2 ? "localhost" : "127.0.0.1", fault_port()));
        mperf_multi_add_handle(m, x[i].e);
    }
    CHECK(drive(m, 30000));
    collect(m);
    for (i = 0; i < n; i++) {
        if (x[i].result == MPERF_E_OK && sink_is_pattern(&x[i].body, 100)) ok++;
        mperf_multi_remove_handle(m, x[i].e);
        xfer_free(&x[i]);
    }
    CHECK_EQ_LONG(ok, n);
    mperf_multi_cleanup(m);
    free(x);
    s = fault_stats(0);
    return s.maxbusy - base.busy;
}

TEST(connection_limits_queue_transfers)
{
    long unlimited = concurrency(8, 0, 0, 0), host2 = concurrency(8, 2, 0, 0), total3 = concurrency(9, 0, 3, 1);
    printf("  most requests in progress at once: %ld unlimited, %ld with 2 per host, %ld with 3 in total\n", unlimited, host2,
           total3);
    CHECK_EQ_LONG(unlimited, 8);
    CHECK_EQ_LONG(host2, 2);
    CHECK_EQ_LONG(total3, 3);
}

TEST(fresh_connect_at_the_host_limit_replaces_an_idle_connection)
{
    mperf_multi *m = mperf_multi_init();
    xfer x;
    int i;
    mperf_multi_setopt(m, MPERF_MOPT_MAX_HOST_CONNECTIONS, 1L);
    xfer_init(&x, fmt("http://127.0.0.1:%d/gen/10", fault_port()));
    mperf_easy_setopt(x.e, MPERF_OPT_FRESH_CONNECT, 1L);
    for (i = 0; i < 3; i++) {
        mperf_multi_add_handle(m, x.e);
        CHECK(drive(m, 10000));
        collect(m);
        CHECK_EQ_LONG(x.result, MPERF_E_OK);
        CHECK_EQ_LONG(info_long(x.e, MPERF_INFO_NUM_CONNECTS), 1);
        mperf_multi_remove_handle(m, x.e);
    }
    mperf_multi_cleanup(m);
    xfer_free(&x);
}

TEST(pending_transfer_times_out_while_waiting)
{
    mperf_multi *m = mperf_multi_init();
    xfer a, b;
    mperf_multi_setopt(m, MPERF_MOPT_MAX_TOTAL_CONNECTIONS, 1L);
    xfer_init(&a, fmt("http://127.0.0.1:%d/gen/10?delay=1500", fault_port()));
    xfer_init(&b, fmt("http://127.0.0.1:%d/gen/10", fault_port()));
    mperf_easy_setopt(b.e, MPERF_OPT_TIMEOUT_MS, 300L);
    mperf_multi_add_handle(m, a.e);
    mperf_multi_add_handle(m, b.e);
    CHECK(drive(m, 10000));
    collect(m);
    CHECK_EQ_LONG(a.result, MPERF_E_OK);
    CHECK_EQ_LONG(b.result, MPERF_E_OPERATION_TIMEDOUT);
    mperf_multi_remove_handle(m, a.e);
    mperf_multi_remove_handle(m, b.e);
    mperf_multi_cleanup(m);
    xfer_free(&a);
    xfer_free(&b);
}

/* Two rounds of n parallel transfers; returns the connections the second needed. */
static long second_round_connections(int n, long maxconnects)
{
    mperf_multi *m = mperf_multi_init();
    xfer *x = (xfer *)calloc((size_t)n, sizeof *x);
    fstats a, b;
    int i, r;
    if (maxconnects) mperf_multi_setopt(m, MPERF_MOPT_MAXCONNECTS, maxconnects);
    for (i = 0; i < n; i++) xfer_init(&x[i], fmt("http://127.0.0.1:%d/gen/10", fault_port()));
    a = fault_stats(0);
    for (r = 0; r < 2; r++) {
        if (r == 1) a = fault_stats(0);
        for (i = 0; i < n; i++) mperf_multi_add_handle(m, x[i].e);
        CHECK(drive(m, 10000));
        collect(m);
        for (i = 0; i < n; i++) {
            CHECK_EQ_LONG(x[i].result, MPERF_E_OK);
            mperf_multi_remove_handle(m, x[i].e);
        }
    }
    b = fault_stats(0);
    mperf_multi_cleanup(m);
    for (i = 0; i < n; i++) xfer_free(&x[i]);
    free(x);
    return b.conns - a.conns - 1;
}

TEST(maxconnects_caps_the_pool)
{
    long def = second_round_connections(4, 0), capped = second_round_connections(4, 1);
    printf("  second round of 4: %ld new connections with the default pool, %ld with MAXCONNECTS=1\n", def, capped);
    CHECK_EQ_LONG(def, 0);
    CHECK_EQ_LONG(capped, 3);
}

/* Two transfers in a row to url; returns the connections they used. */
static long connections_for_two(const char *url, int forbid, int fresh)
{
    mperf_multi *m = mperf_multi_init();
    xfer x;
    fstats a, b;
    int i;
    xfer_init(&x, url);
    if (forbid) mperf_easy_setopt(x.e, MPERF_OPT_FORBID_REUSE, 1L);
    if (fresh) mperf_easy_setopt(x.e, MPERF_OPT_FRESH_CONNECT, 1L);
    a = fault_stats(0);
    for (i = 0; i < 2; i++) {
        mperf_multi_add_handle(m, x.e);
        CHECK(drive(m, 10000));
        collect(m);
        CHECKF(x.result == MPERF_E_OK, "%s: %s", url, x.err);
        mperf_multi_remove_handle(m, x.e);
    }
    mperf_multi_cleanup(m);
    b = fault_stats(0);
    xfer_free(&x);
    return b.conns - a.conns - 1;
}

TEST(reuse_rules)
{
    const char *plain = fmt("http://127.0.0.1:%d/gen/10", fault_port());
    CHECK_EQ_LONG(connections_for_two(plain, 0, 0), 1);
    CHECK_EQ_LONG(connections_for_two(plain, 1, 0), 2);
    CHECK_EQ_LONG(connections_for_two(plain, 0, 1), 2);
    CHECK_EQ_LONG(connections_for_two(raw_url("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\na", "end=close"), 0, 0), 2);
    CHECK_EQ_LONG(connections_for_two(raw_url("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\na", "end=close"), 0, 0), 2);
    CHECK_EQ_LONG(connections_for_two(raw_url("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\na", NULL), 0, 0), 1);
    /* close-delimited bodies and leftover bytes never go back to the pool */
    CHECK_EQ_LONG(connections_for_two(fmt("http://127.0.0.1:%d/gen/10?close=1", fault_port()), 0, 0), 2);
    CHECK_EQ_LONG(connections_for_two(raw_url("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naEXTRA", "end=close"), 0, 0), 2);
}

static int debug_collect(mperf_easy *e, mperf_infotype t, char *p, size_t n, void *ud)
{
    (void)e;
    if (t == MPERF_INFOTYPE_TEXT) sink_write(p, 1, n, ud);
    return 0;
}

TEST(dead_reused_connection_is_retried)
{
    /* the server answers, keeps the connection, then closes it when the next request arrives */
    mperf_multi *m = mperf_multi_init();
    xfer x;
    sink dbg;
    struct sigaction before, after;
    int i;
    memset(&dbg, 0, sizeof dbg);
    sigaction(SIGPIPE, NULL, &before);
    xfer_init(&x, raw_url("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", "end=drop"));
    mperf_easy_setopt(x.e, MPERF_OPT_VERBOSE, 1L);
    mperf_easy_setopt(x.e, MPERF_OPT_DEBUGFUNCTION, debug_collect);
    mperf_easy_setopt(x.e, MPERF_OPT_DEBUGDATA, &dbg);
    for (i = 0; i < 4; i++) {
        x.body.len = 0;
        mperf_multi_add_handle(m, x.e);
        CHECK(drive(m, 10000));
        collect(m);
        CHECKF(x.result == MPERF_E_OK, "round %d: %s", i, x.err);
        CHECK(x.body.len == 2);
        CHECK_EQ_LONG(info_long(x.e, MPERF_INFO_NUM_CONNECTS), 1);
        mperf_multi_remove_handle(m, x.e);
    }
    CHECK(dbg.p && strstr(dbg.p, "retrying a fresh connect"));
    sigaction(SIGPIPE, NULL, &after);
    CHECK(before.sa_handler == after.sa_handler); /* signal state untouched */
    mperf_multi_cleanup(m);
    xfer_free(&x);
    sink_free(&dbg);
}

/* ------------------------------------------------------------------ */
/* requests                                                            */
/* ------------------------------------------------------------------ */
TEST(custom_request_headers)
{
    xfer x;
    mperf_slist *h = NULL;
    h = mperf_slist_append(h, "X-Custom: yes");
    h = mperf_slist_append(h, "Accept:");
    h = mperf_slist_append(h, "X-Empty;");
    h = mperf_slist_append(h, "X-Ignored-Removal:");
    xfer_init(&x, fmt("http://127.0.0.1:%d/echo", fault_port()));
    mperf_easy_setopt(x.e, MPERF_OPT_HTTPHEADER, h);
    mperf_easy_setopt(x.e, MPERF_OPT_USERAGENT, "mptest/1.0");
    CHECK_EQ_LONG(run_one(&x), MPERF_E_OK);
    CHECK(x.body.p != NULL);
    if (x.body.p) {
        CHECK(strncmp(x.body.p, "GET /echo HTTP/1.1\r\n", 20) == 0);
        CHECK(strstr(x.body.p, fmt("\r\nHost: 127.0.0.1:%d\r\n", fault_port())) != NULL);
        CHECK(strstr(x.body.p, "\r\nX-Custom: yes\r\n") != NULL);
        CHECK(strstr(x.body.p, "\r\nX-Empty:\r\n") != NULL);
        CHECK(strstr(x.body.p, "\r\nUser-Agent: mptest/1.0\r\n") != NULL);
        CHECK(strstr(x.body.p, "Accept") == NULL);
        CHECK(strstr(x.body.p, "X-Ignored-Removal") == NULL);
    }
    xfer_free(&x);
    mperf_slist_free_all(h);
    /* replacing Host and User-Agent, a custom method, HTTP/1.0 */
    h = mperf_slist_append(NULL, "Host: example.test");
    h = mperf_slist_append(h, "User-Agent: from-list");
    xfer_init(&x, fmt("http://127.0.0.1:%d/echo?q=1#frag", fault_port()));
    mperf_easy_setopt(x.e, MPERF_OPT_HTTPHEADER, h);
    mperf_easy_setopt(x.e, MPERF_OPT_USERAGENT, "not-this");
    mperf_easy_setopt(x.e, MPERF_OPT_CUSTOMREQUEST, "DELETE");
    mperf_easy_setopt(x.e, MPERF_OPT_HTTP_VERSION, MPERF_HTTP_VERSION_1_0);
    CHECK_EQ_LONG(run_one(&x), MPERF_E_OK);
    if (x.body.p) {
        CHECK(strncmp(x.body.p, "DELETE /echo?q=1 HTTP/1.0\r\n", 27) == 0);
        CHECK(strstr(x.body.p, "\r\nHost: example.test\r\n") != NULL);
        CHECK(strstr(x.body.p, "User-Agent: from-list") != NULL);
        CHECK(strstr(x.body.p, "not-this") == NULL);
    }
    CHECK(strcmp(info_str(x.e, MPERF_INFO_EFFECTIVE_URL), fmt("http://127.0.0.1:%d/echo?q=1#frag", fault_port())) == 0);
    xfer_free(&x);
    mperf_slist_free_all(h);
}

TEST(crlf_in_user_input_is_rejected_before_sending)
{
    xfer x;
    fstats a, b;
    mperf_slist *h = mperf_slist_append(NULL, "X-Evil: a\r\nX-Injected: b");
    a = fault_stats(0);
    xfer_init(&x, fmt("http://127.0.0.1:%d/echo", fault_port()));
    mperf_easy_setopt(x.e, MPERF_OPT_HTTPHEADER, h);
    CHECK_EQ_LONG(run_one(&x), MPERF_E_BAD_FUNCTION_ARGUMENT);
    CHECK(strstr(x.err, "CR or LF") != NULL);
    xfer_free(&x);
    xfer_init(&x, fmt("http://127.0.0.1:%d/echo", fault_port()));
    mperf_easy_setopt(x.e, MPERF_OPT_USERAGENT, "ua\r\nX-Injected: 1");
    CHECK_EQ_LONG(run_one(&x), MPERF_E_BAD_FUNCTION_ARGUMENT);
    xfer_free(&x);
    xfer_init(&x, fmt("http://127.0.0.1:%d/echo", fault_port()));
    mperf_easy_setopt(x.e, MPERF_OPT_CUSTOMREQUEST, "GET /x HTTP/1.1\r\nX:");
    CHECK_EQ_LONG(run_one(&x), MPERF_E_BAD_FUNCTION_ARGUMENT);
    xfer_free(&x);
    xfer_init(&x, fmt("http://127.0.0.1:%d/echo\r\nX-Injected: 1", fault_port()));
    CHECK_EQ_LONG(run_one(&x), MPERF_E_URL_MALFORMAT);
    xfer_free(&x);
    b = fault_stats(0);
    CHECK_EQ_LONG(b.reqs - a.reqs - 1, 0);
    mperf_slist_free_all(h);
}

/* ------------------------------------------------------------------ */
/* callbacks                                                           */
/* ------------------------------------------------------------------ */
TEST(header_callback_sees_every_line)
{
    xfer x;
    xfer_init(&x, raw_url("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nContent-Length: 1\r\n\r\nz", NULL));
    CHECK_EQ_LONG(run_one(&x), MPERF_E_OK);
    CHECK_EQ_LONG(x.head.calls, 5);
    CHECK(x.head.p && strcmp(x.head.p, "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nContent-Length: 1\r\n\r\n") == 0);
    CHECK_EQ_LONG(info_long(x.e, MPERF_INFO_HEADER_SIZE), (long)x.head.len);
    xfer_free(&x);
    /* HEADERDATA without HEADERFUNCTION: the write function gets the headers */
    xfer_init(&x, raw_url("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz", NULL));
    mperf_easy_setopt(x.e, MPERF_OPT_HEADERFUNCTION, (mperf_write_callback)NULL);
    CHECK_EQ_LONG(run_one(&x), MPERF_E_OK);
    CHECK(x.head.p && strcmp(x.head.p, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n") == 0);
    CHECK(x.body.len == 1);
    xfer_free(&x);
    /* HEADER=1: the head goes into the body stream */
    xfer_init(&x, raw_url("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz", NULL));
    mperf_easy_setopt(x.e, MPERF_OPT_HEADER, 1L);
    CHECK_EQ_LONG(run_one(&x), MPERF_E_OK);
    CHECK(x.body.p && strcmp(x.body.p, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz") == 0);
    xfer_free(&x);
}

static size_t refuse_write(char *p, size_t s, size_t n, void *u)
{
    (void)p, (void)s, (void)n, (void)u;
    return 0;
}

TEST(write_callback_errors_and_default_writer)
{
    xfer x;
    FILE *f;
    char buf[64];
    size_t n;
    xfer_init(&x, fmt("http://127.0.0.1:%d/gen/100", fault_port()));
    mperf_easy_setopt(x.e, MPERF_OPT_WRITEFUNCTION, refuse_write);
    CHECK_EQ_LONG(run_one(&x), MPERF_E_WRITE_ERROR);
    CHECK(strstr(x.err, "Failure writing output") != NULL);
    xfer_free(&x);
    /* no WRITEFUNCTION: fwrite into WRITEDATA */
    f = tmpfile();
    xfer_init(&x, raw_url("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world", NULL));
    mperf_easy_setopt(x.e, MPERF_OPT_WRITEFUNCTION, (mperf_write_callback)NULL);
    mperf_easy_setopt(x.e, MPERF_OPT_WRITEDATA, f);
    CHECK_EQ_LONG(run_one(&x), MPERF_E_OK);
    rewind(f);
    n = fread(buf, 1, sizeof buf, f);
    CHECK(n == 11 && memcmp(buf, "hello world", 11) == 0);
    fclose(f);
    xfer_free(&x);
}

TEST(errorbuffer_private_and_verbose)
{
    xfer x;
    sink dbg;
    memset(&dbg, 0, sizeof dbg);
    xfer_init(&x, fmt("http://127.0.0.1:%d/gen/10", fault_port()));
    mperf_easy_setopt(x.e, MPERF_OPT_VERBOSE, 1L);
    mperf_easy_setopt(x.e, MPERF_OPT_DEBUGFUNCTION, debug_collect);
    mperf_easy_setopt(x.e, MPERF_OPT_DEBUGDATA, &dbg);
    strcpy(x.err, "stale text");
    CHECK_EQ_LONG(run_one(&x), MPERF_E_OK);
    CHECK(x.err[0] == 0); /* cleared when added */
    CHECK(dbg.p && strstr(dbg.p, "Connected to 127.0.0.1") && strstr(dbg.p, "left intact"));
    {
        xfer *p = NULL;
        mperf_easy_getinfo(x.e, MPERF_INFO_PRIVATE, (char **)&p);
        CHECK(p == &x);
    }
    xfer_free(&x);
    sink_free(&dbg);
}

/* ------------------------------------------------------------------ */
/* URLs, names, connects                                               */
/* ------------------------------------------------------------------ */
TEST(bad_urls_complete_as_messages)
{
    static const struct {
        const char *url;
        int want;
    } cases[] = {{"http://", MPERF_E_URL_MALFORMAT},
                 {"ftp://example.com/", MPERF_E_UNSUPPORTED_PROTOCOL},
                 {"http://h:99999/", MPERF_E_URL_MALFORMAT},
                 {"http://bad host/", MPERF_E_URL_MALFORMAT}};
    mperf_multi *m = mperf_multi_init();
    xfer x[4];
    int i, running = -1;
    for (i = 0; i < 4; i++) {
        xfer_init(&x[i], cases[i].url);
        mperf_multi_add_handle(m, x[i].e);
    }
    CHECK_EQ_LONG(mperf_multi_perform(m, &running), MPERF_M_OK);
    CHECK_EQ_LONG(running, 0); /* failed in the first perform: never counted as running */
    CHECK_EQ_LONG(collect(m), 4);
    for (i = 0; i < 4; i++) {
        CHECKF(x[i].result == (mperf_code)cases[i].want, "%s: %d", cases[i].url, (int)x[i].result);
        CHECK(x[i].err[0] != 0);
        mperf_multi_remove_handle(m, x[i].e);
        xfer_free(&x[i]);
    }
    mperf_multi_cleanup(m);
    /* no URL at all */
    {
        mperf_easy *e = mperf_easy_init();
        CHECK_EQ_LONG(mperf_easy_perform(e), MPERF_E_URL_MALFORMAT);
        mperf_easy_cleanup(e);
    }
}

static int free_port(void)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(0x7f000001);
    bind(fd, (struct sockaddr *)&sa, sizeof sa);
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    port = ntohs(sa.sin_port);
    close(fd);
    return port;
}

TEST(connect_refused_and_localhost)
{
    xfer x;
    xfer_init(&x, fmt("http://127.0.0.1:%d/", free_port()));
    CHECK_EQ_LONG(run_one(&x), MPERF_E_COULDNT_CONNECT);
    CHECK_EQ_LONG(info_long(x.e, MPERF_INFO_OS_ERRNO), ECONNREFUSED);
    CHECK(strstr(x.err, "Failed to connect") != NULL);
    xfer_free(&x);
    /* localhost tries 127.0.0.1 then ::1 without a DNS lookup */
    xfer_init(&x, fmt("http://localhost:%d/gen/10", fault_port()));
    CHECK_EQ_LONG(run_one(&x), MPERF_E_OK);
    CHECK(strcmp(info_str(x.e, MPERF_INFO_PRIMARY_IP), "127.0.0.1") == 0);
    xfer_free(&x);
}

TEST(nothing_beyond_loopback)
{
    /* make test runs in a network namespace with loopback only (MPT_NETNS=1):
       a transfer to an address off the machine fails at once, long before
       its connect timeout */
    xfer x;
    double t0 = mono_ms();
    if (!getenv("MPT_NETNS") || strcmp(getenv("MPT_NETNS"), "1") != 0) {
        printf("  (not in make test's network namespace: nothing to check)\n");
        return;
    }
    xfer_init(&x, "http://192.0.2.1:80/");
    mperf_easy_setopt(x.e, MPERF_OPT_CONNECTTIMEOUT_MS, 10000L);
    CHECK_EQ_LONG(run_one(&x), MPERF_E_COULDNT_CONNECT);
    CHECK_EQ_LONG(info_long(x.e, MPERF_INFO_OS_ERRNO), ENETUNREACH);
    CHECKF(mono_ms() - t0 < 2000, "took %.0f ms", mono_ms() - t0);
    printf("  -> %s\n", x.err);
    xfer_free(&x);
}

TEST(ipv6_literal)
{
    const char *p6 = getenv("MPT_NGINX6_PORT");
    xfer x;
    if (!p6 || !*p6) {
        printf("  (no IPv6 loopback on this machine: the literal is checked by the URL tests only)\n");
        return;
    }
    xfer_init(&x, fmt("http://[::1]:%s/f/1k.bin", p6));
    x.body.count_only = 1;
    CHECK_EQ_LONG(run_one(&x), MPERF_E_OK);
    CHECK(sink_is_pattern(&x.body, 1024));
    CHECK(strcmp(info_str(x.e, MPERF_INFO_PRIMARY_IP), "::1") == 0);
    xfer_free(&x);
}

/* ------------------------------------------------------------------ */
/* waiting                                                             */
/* ------------------------------------------------------------------ */
TEST(poll_and_wait_with_nothing_to_wait_on)
{
    mperf_multi *m = mperf_multi_init();
    double t0;
    int n = -1;
    t0 = mono_ms();
    CHECK_EQ_LONG(mperf_multi_wait(m, NULL, 0, 3000, &n), MPERF_M_OK);
    CHECKF(mono_ms() - t0 < 1500, "wait returns at once: took %.0f ms", mono_ms() - t0);
    CHECK_EQ_LONG(n, 0);
    t0 = mono_ms();
    CHECK_EQ_LONG(mperf_multi_poll(m, NULL, 0, 300, &n), MPERF_M_OK);
    CHECKF(mono_ms() - t0 >= 250, "poll sleeps its timeout: took %.0f ms", mono_ms() - t0);
    CHECK_EQ_LONG(mperf_multi_poll(m, NULL, 0, -1, &n), MPERF_M_BAD_FUNCTION_ARGUMENT);
    mperf_multi_cleanup(m);
}

static void *wake_later(void *arg)
{
    usleep(100 * 1000);
    mperf_multi_wakeup((mperf_multi *)arg);
    return NULL;
}

TEST(wakeup_from_another_thread_and_coalescing)
{
    mperf_multi *m = mperf_multi_init();
    pthread_t th;
    double t0;
    int i;
    t0 = mono_ms();
    pthread_create(&th, NULL, wake_later, m);
    CHECK_EQ_LONG(mperf_multi_poll(m, NULL, 0, 20000, NULL), MPERF_M_OK);
    CHECKF(mono_ms() - t0 < 10000, "woken after %.0f ms", mono_ms() - t0);
    pthread_join(th, NULL);
    /* many wakeups before a poll: one early return, then a normal sleep */
    for (i = 0; i < 1000; i++) CHECK_EQ_LONG(mperf_multi_wakeup(m), MPERF_M_OK);
    t0 = mono_ms();
    mperf_multi_poll(m, NULL, 0, 5000, NULL);
    CHECKF(mono_ms() - t0 < 2500, "pending wakeup: %.0f ms", mono_ms() - t0);
    t0 = mono_ms();
    mperf_multi_poll(m, NULL, 0, 300, NULL);
    CHECKF(mono_ms() - t0 >= 250, "coalesced: the next poll sleeps (%.0f ms)", mono_ms() - t0);
    mperf_multi_cleanup(m);
}

TEST(extra_fds_in_poll)
{
    mperf_multi *m = mperf_multi_init();
    mperf_waitfd w[2];
    int p[2], n = -1;
    CHECK(pipe(p) == 0);
    CHECK(write(p[1], "x", 1) == 1);
    w[0].fd = p[0];
    w[0].events = MPERF_WAIT_POLLIN;
    w[0].revents = 0;
    w[1].fd = p[1];
    w[1].events = 0;
    w[1].revents = 0;
    CHECK_EQ_LONG(mperf_multi_poll(m, w, 2, 3000, &n), MPERF_M_OK);
    CHECK_EQ_LONG(n, 1);
    CHECK(w[0].revents & MPERF_WAIT_POLLIN);
    CHECK_EQ_LONG(mperf_multi_wait(m, w, 1, 3000, &n), MPERF_M_OK);
    CHECK_EQ_LONG(n, 1);
    close(p[0]);
    close(p[1]);
    mperf_multi_cleanup(m);
}

TEST(timeout_values)
{
    mperf_multi *m = mperf_multi_init();
    xfer x;
    long t = 99;
    int running;
    CHECK_EQ_LONG(mperf_multi_timeout(m, &t), MPERF_M_OK);
    CHECK_EQ_LONG(t, -1);
    xfer_init(&x, fmt("http://127.0.0.1:%d/hang", fault_port()));
    mperf_easy_setopt(x.e, MPERF_OPT_TIMEOUT_MS, 400L);
    mperf_multi_add_handle(m, x.e);
    mperf_multi_timeout(m, &t);
    CHECK_EQ_LONG(t, 0); /* a new transfer wants perform now */
    mperf_multi_perform(m, &running);
    mperf_multi_timeout(m, &t);
    CHECKF(t > 0 && t <= 400, "timeout %ld", t);
    CHECK(drive(m, 10000));
    collect(m);
    CHECK_EQ_LONG(x.result, MPERF_E_OPERATION_TIMEDOUT);
    CHECK(strstr(x.err, "timed out") != NULL);
    done_with(m, &x);
}

TEST(waitfds_and_the_programs_own_poll)
{
    /* the program polls on what waitfds says, with multi_timeout, and calls perform */
    enum { N = 5 };
    mperf_multi *m = mperf_multi_init();
    xfer x[N];
    int i, running = 1, rounds = 0, ok = 0, most = 0;
    unsigned need = 99;
    mperf_waitfd w[16];
    CHECK_EQ_LONG(mperf_multi_waitfds(m, w, 16, &need), MPERF_M_OK);
    CHECK_EQ_LONG(need, 0);
    CHECK_EQ_LONG(mperf_multi_waitfds(m, NULL, 4, &need), MPERF_M_BAD_FUNCTION_ARGUMENT);
    CHECK_EQ_LONG(mperf_multi_waitfds(NULL, w, 16, &need), MPERF_M_BAD_HANDLE);
    for (i = 0; i < N; i++) {
        xfer_init(&x[i], fmt("http://127.0.0.1:%d/gen/200000?chunked=999", fault_port()));
        mperf_multi_add_handle(m, x[i].e);
    }
    while (running && rounds++ < 100000) {
        struct pollfd p[16];
        unsigned n = 0, k;
        long tmo = -1;
        mperf_multi_perform(m, &running);
        if (!running) break;
        CHECK_EQ_LONG(mperf_multi_waitfds(m, NULL, 0, &n), MPERF_M_OK); /* the count alone */
        if (n > 1) {
            unsigned got = 0;
            CHECK_EQ_LONG(mperf_multi_waitfds(m, w, 1, &got), MPERF_M_OUT_OF_MEMORY); /* too few: still counted */
            CHECK_EQ_LONG(got, n);
        }
        CHECK_EQ_LONG(mperf_multi_waitfds(m, w, 16, &n), MPERF_M_OK);
        if ((int)n > most) most = (int)n;
        for (k = 0; k < n && k < 16; k++) {
            p[k].fd = w[k].fd;
            p[k].events = (short)(((w[k].events & MPERF_WAIT_POLLIN) ? POLLIN : 0) | ((w[k].events & MPERF_WAIT_POLLOUT) ? POLLOUT : 0));
            CHECK(p[k].events != 0);
        }
        mperf_multi_timeout(m, &tmo);
        (void)poll(p, n, tmo < 0 || tmo > 1000 ? 1000 : (int)tmo);
    }
    collect(m);
    for (i = 0; i < N; i++) {
        if (x[i].result == MPERF_E_OK && sink_is_pattern(&x[i].body, 200000)) ok++;
        mperf_multi_remove_handle(m, x[i].e);
        xfer_free(&x[i]);
    }
    CHECK_EQ_LONG(ok, N);
    CHECK(most >= 1 && most <= N);
    mperf_multi_cleanup(m);
}

TEST(fdset_and_select_loop)
{
    mperf_multi *m = mperf_multi_init();
    xfer x;
    int running = 1, maxfd = 7, rounds = 0;
    fd_set r, w, e;
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_ZERO(&e);
    CHECK_EQ_LONG(mperf_multi_fdset(m, &r, &w, &e, &maxfd), MPERF_M_OK);
    CHECK_EQ_LONG(maxfd, -1);
    xfer_init(&x, fmt("http://127.0.0.1:%d/gen/200000?chunked=3000", fault_port()));
    mperf_multi_add_handle(m, x.e);
    while (running && rounds++ < 10000) {
        struct timeval tv;
        long t;
        mperf_multi_perform(m, &running);
        if (!running) break;
        FD_ZERO(&r);
        FD_ZERO(&w);
        FD_ZERO(&e);
        mperf_multi_fdset(m, &r, &w, &e, &maxfd);
        mperf_multi_timeout(m, &t);
        if (t < 0 || t > 200) t = 200;
        tv.tv_sec = 0;
        tv.tv_usec = t * 1000;
        if (maxfd >= 0) CHECK(FD_ISSET(maxfd, &r) || FD_ISSET(maxfd, &w));
        select(maxfd + 1, &r, &w, &e, &tv);
    }
    collect(m);
    CHECK_EQ_LONG(x.result, MPERF_E_OK);
    CHECK(sink_is_pattern(&x.body, 200000));
    done_with(m, &x);
}

/* ------------------------------------------------------------------ */
/* info and the API's rules                                            */
/* ------------------------------------------------------------------ */
TEST(getinfo_values)
{
    xfer x;
    mperf_off_t lookup, conn, pre, start, total;
    double dtotal = -1;
    char *s = NULL;
    xfer_init(&x, fmt("http://127.0.0.1:%d/gen/3000", fault_port()));
    CHECK_EQ_LONG(run_one(&x), MPERF_E_OK);
    lookup = info_off(x.e, MPERF_INFO_NAMELOOKUP_TIME_T);
    conn = info_off(x.e, MPERF_INFO_CONNECT_TIME_T);
    pre = info_off(x.e, MPERF_INFO_PRETRANSFER_TIME_T);
    start = info_off(x.e, MPERF_INFO_STARTTRANSFER_TIME_T);
    total = info_off(x.e, MPERF_INFO_TOTAL_TIME_T);
    CHECKF(0 <= lookup && lookup <= conn && conn <= pre && pre <= start && start <= total && total > 0,
           "timings %lld %lld %lld %lld %lld", (long long)lookup, (long long)conn, (long long)pre, (long long)start,
           (long long)total);
    mperf_easy_getinfo(x.e, MPERF_INFO_TOTAL_TIME, &dtotal);
    CHECK(dtotal > 0 && dtotal < 60);
    CHECK(strcmp(info_str(x.e, MPERF_INFO_EFFECTIVE_URL), fmt("http://127.0.0.1:%d/gen/3000", fault_port())) == 0);
    CHECK_EQ_LONG(info_long(x.e, MPERF_INFO_PRIMARY_PORT), fault_port());
    CHECK_EQ_LONG(info_long(x.e, MPERF_INFO_HTTP_VERSION), MPERF_HTTP_VERSION_1_1);
    CHECK_EQ_LONG(info_long(x.e, MPERF_INFO_NUM_CONNECTS), 1);
    CHECK(info_long(x.e, MPERF_INFO_REQUEST_SIZE) > 20);
    CHECK(info_off(x.e, MPERF_INFO_SPEED_DOWNLOAD_T) > 0);
    CHECK(strcmp(info_str(x.e, MPERF_INFO_SCHEME), "HTTP") == 0);
    CHECK_EQ_LONG(mperf_easy_getinfo(x.e, MPERF_INFO_FILETIME, &s), MPERF_E_UNKNOWN_OPTION);
    CHECK_EQ_LONG(mperf_easy_getinfo(x.e, MPERF_INFO_STRING + 2, &s), MPERF_E_UNKNOWN_OPTION);
    xfer_free(&x);
    /* the URL without a path gets "/"; an HTTP/1.0 answer is reported */
    xfer_init(&x, raw_url("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", "end=close"));
    CHECK_EQ_LONG(run_one(&x), MPERF_E_OK);
    CHECK_EQ_LONG(info_long(x.e, MPERF_INFO_HTTP_VERSION), MPERF_HTTP_VERSION_1_0);
    xfer_free(&x);
    xfer_init(&x, fmt("http://127.0.0.1:%d", fault_port()));
    run_one(&x);
    CHECK_EQ_LONG(info_long(x.e, MPERF_INFO_RESPONSE_CODE), 404);
    CHECK(strcmp(info_str(x.e, MPERF_INFO_EFFECTIVE_URL), fmt("http://127.0.0.1:%d/", fault_port())) == 0);
    xfer_free(&x);
}

TEST(get_handles_and_misuse)
{
    mperf_multi *m = mperf_multi_init(), *m2 = mperf_multi_init();
    mperf_easy *a = mperf_easy_init(), *b = mperf_easy_init(), **list;
    int stale_magic;
    CHECK_EQ_LONG(mperf_multi_add_handle(m, a), MPERF_M_OK);
    CHECK_EQ_LONG(mperf_multi_add_handle(m, b), MPERF_M_OK);
    CHECK_EQ_LONG(mperf_multi_add_handle(m, a), MPERF_M_ADDED_ALREADY);
    CHECK_EQ_LONG(mperf_multi_add_handle(m2, a), MPERF_M_ADDED_ALREADY);
    CHECK_EQ_LONG(mperf_multi_remove_handle(m2, a), MPERF_M_BAD_EASY_HANDLE);
    list = mperf_multi_get_handles(m);
    CHECK(list && list[0] == a && list[1] == b && list[2] == NULL);
    mperf_free(list);
    CHECK_EQ_LONG(mperf_multi_add_handle(NULL, a), MPERF_M_BAD_HANDLE);
    CHECK_EQ_LONG(mperf_multi_add_handle(m, NULL), MPERF_M_BAD_EASY_HANDLE);
    stale_magic = 0x12345678;
    CHECK_EQ_LONG(mperf_multi_add_handle(m, (mperf_easy *)(void *)&stale_magic), MPERF_M_BAD_EASY_HANDLE);
    CHECK_EQ_LONG(mperf_multi_perform(NULL, NULL), MPERF_M_BAD_HANDLE);
    CHECK_EQ_LONG(mperf_easy_setopt(NULL, MPERF_OPT_URL, "x"), MPERF_E_BAD_FUNCTION_ARGUMENT);
    CHECK_EQ_LONG(mperf_multi_remove_handle(m, a), MPERF_M_OK);
    CHECK_EQ_LONG(mperf_multi_remove_handle(m, a), MPERF_M_OK); /* not added: fine */
    mperf_easy_cleanup(b);                                      /* still added: removed first */
    list = mperf_multi_get_handles(m);
    CHECK(list && list[0] == NULL);
    mperf_free(list);
    mperf_easy_cleanup(a);
    mperf_multi_cleanup(m);
    mperf_multi_cleanup(m2);
}

TEST(options_outside_the_subset)
{
    mperf_easy *e = mperf_easy_init();
    mperf_multi *m = mperf_multi_init();
    CHECK_EQ_LONG(mperf_easy_setopt(e, (mperf_option)10269, (void *)NULL), MPERF_E_UNKNOWN_OPTION); /* MIMEPOST */
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_PIPEWAIT, 1L), MPERF_E_OK);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_NOSIGNAL, 1L), MPERF_E_OK);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_HTTP_VERSION, MPERF_HTTP_VERSION_2TLS), MPERF_E_OK);
#ifdef MPERF_NO_PROXY
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_PROXY, "http://proxy:3128"), MPERF_E_NOT_BUILT_IN);
#else
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_PROXY, "http://proxy:3128"), MPERF_E_OK);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_PROXYTYPE, (long)MPERF_PROXY_SOCKS5), MPERF_E_NOT_BUILT_IN);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_PROXYTYPE, 3L), MPERF_E_BAD_FUNCTION_ARGUMENT);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_PROXYAUTH, (long)MPERF_AUTH_DIGEST), MPERF_E_NOT_BUILT_IN);
#endif
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_PROXY, ""), MPERF_E_OK);
    CHECK_EQ_LONG(mperf_multi_setopt(m, MPERF_MOPT_PIPELINING, 2L), MPERF_M_OK);
    CHECK_EQ_LONG(mperf_multi_setopt(m, MPERF_MOPT_MAX_CONCURRENT_STREAMS, 100L), MPERF_M_OK);
    CHECK_EQ_LONG(mperf_multi_setopt(m, 99999, 1L), MPERF_M_UNKNOWN_OPTION);
    CHECK_EQ_LONG(mperf_multi_setopt(m, MPERF_MOPT_MAXCONNECTS, -1L), MPERF_M_BAD_FUNCTION_ARGUMENT);
    mperf_multi_cleanup(m);
    mperf_easy_cleanup(e);
}

TEST(an_unhonoured_routing_option_stops_the_transfer)
{
    /* an option about where or how to connect that cannot be honoured fails
       setopt, and the transfer then fails with that code without making
       any connection, until the option is set off again */
    xfer x;
    mperf_easy *d;
    fstats a, b;
    const char *url = fmt("http://127.0.0.1:%d/gen/10", fault_port());
    a = fault_stats(0);
    xfer_init(&x, url);
#ifdef MPERF_NO_PROXY
#define REFUSED_ON(h) mperf_easy_setopt((h), MPERF_OPT_PROXY, "http://127.0.0.1:3128")
#define REFUSED_OFF(h) mperf_easy_setopt((h), MPERF_OPT_PROXY, "")
#else /* a SOCKS proxy is not built in */
#define REFUSED_ON(h) mperf_easy_setopt((h), MPERF_OPT_PROXYTYPE, (long)MPERF_PROXY_SOCKS5)
#define REFUSED_OFF(h) mperf_easy_setopt((h), MPERF_OPT_PROXYTYPE, (long)MPERF_PROXY_HTTP)
#endif
    CHECK_EQ_LONG(REFUSED_ON(x.e), MPERF_E_NOT_BUILT_IN);
    CHECK_EQ_LONG(run_one(&x), MPERF_E_NOT_BUILT_IN);
    CHECK(strstr(x.err, "does not start") != NULL);
    CHECK_EQ_LONG(mperf_easy_setopt(x.e, (mperf_option)10221, "lo"), MPERF_E_UNKNOWN_OPTION); /* DNS_INTERFACE */
    CHECK_EQ_LONG(run_one(&x), MPERF_E_NOT_BUILT_IN); /* the first refused option (in a fixed order) decides */
    CHECK_EQ_LONG(REFUSED_OFF(x.e), MPERF_E_OK);
    CHECK_EQ_LONG(run_one(&x), MPERF_E_UNKNOWN_OPTION); /* DNS_INTERFACE still holds it back, with its code */
    d = mperf_easy_duphandle(x.e); /* a copy refuses the same */
    CHECK_EQ_LONG(mperf_easy_perform(d), MPERF_E_UNKNOWN_OPTION);
    mperf_easy_cleanup(d);
    CHECK_EQ_LONG(mperf_easy_setopt(x.e, (mperf_option)10221, (char *)NULL), MPERF_E_UNKNOWN_OPTION);
    b = fault_stats(0);
    CHECK_EQ_LONG(b.conns - a.conns - 1, 0); /* nothing reached the server */
    CHECK_EQ_LONG(run_one(&x), MPERF_E_OK);  /* set off: the transfer goes */
    CHECK(sink_is_pattern(&x.body, 10));
#if !defined(MPERF_NO_AUTH)
    CHECK_EQ_LONG(mperf_easy_setopt(x.e, MPERF_OPT_HTTPAUTH, (unsigned long)8 /* NTLM */), MPERF_E_NOT_BUILT_IN);
    CHECK_EQ_LONG(run_one(&x), MPERF_E_NOT_BUILT_IN);
    mperf_easy_reset(x.e); /* the defaults again: nothing refused */
    mperf_easy_setopt(x.e, MPERF_OPT_URL, url);
    CHECK_EQ_LONG(mperf_easy_perform(x.e), MPERF_E_OK);
#endif
    xfer_free(&x);
}

TEST(remove_mid_transfer_and_dropped_messages)
{
    mperf_multi *m = mperf_multi_init();
    xfer a, b;
    int running = -1, left = -1;
    double end = mono_ms() + 10000;
    xfer_init(&a, fmt("http://127.0.0.1:%d/hang", fault_port()));
    xfer_init(&b, fmt("http://127.0.0.1:%d/gen/10", fault_port()));
    mperf_multi_add_handle(m, a.e);
    mperf_multi_add_handle(m, b.e);
    while (mono_ms() < end) { /* until b is done and a is waiting */
        mperf_multi_perform(m, &running);
        if (running == 1) break;
        mperf_multi_poll(m, NULL, 0, 100, NULL);
    }
    CHECK_EQ_LONG(running, 1);
    CHECK_EQ_LONG(mperf_multi_remove_handle(m, a.e), MPERF_M_OK); /* unfinished: its connection closes */
    mperf_multi_perform(m, &running);
    CHECK_EQ_LONG(running, 0);
    CHECK_EQ_LONG(mperf_multi_remove_handle(m, b.e), MPERF_M_OK); /* drops b's queued message */
    CHECK(mperf_multi_info_read(m, &left) == NULL);
    CHECK_EQ_LONG(left, 0);
    mperf_multi_cleanup(m);
    xfer_free(&a);
    xfer_free(&b);
}

TEST(multi_cleanup_leaves_handles_to_the_caller)
{
    mperf_multi *m = mperf_multi_init();
    xfer a;
    xfer_init(&a, fmt("http://127.0.0.1:%d/hang", fault_port()));
    mperf_multi_add_handle(m, a.e);
    mperf_multi_perform(m, NULL);
    CHECK_EQ_LONG(mperf_multi_cleanup(m), MPERF_M_OK);
    /* the handle is detached and still usable */
    mperf_easy_setopt(a.e, MPERF_OPT_URL, fmt("http://127.0.0.1:%d/gen/10", fault_port()));
    CHECK_EQ_LONG(mperf_easy_perform(a.e), MPERF_E_OK);
    CHECK(a.body.len == 10);
    xfer_free(&a);
}

TEST(easy_perform_reuses_its_connection)
{
    xfer x;
    fstats s0, s1;
    mperf_easy *d;
    s0 = fault_stats(0);
    xfer_init(&x, fmt("http://127.0.0.1:%d/gen/500", fault_port()));
    CHECK_EQ_LONG(mperf_easy_perform(x.e), MPERF_E_OK);
    CHECK(sink_is_pattern(&x.body, 500));
    x.body.len = 0;
    CHECK_EQ_LONG(mperf_easy_perform(x.e), MPERF_E_OK);
    CHECK(sink_is_pattern(&x.body, 500));
    CHECK_EQ_LONG(info_long(x.e, MPERF_INFO_NUM_CONNECTS), 0);
    s1 = fault_stats(0);
    CHECK_EQ_LONG(s1.conns - s0.conns - 1, 1);
    /* a duplicate carries the options; reset clears them */
    d = mperf_easy_duphandle(x.e);
    x.body.len = 0;
    CHECK_EQ_LONG(mperf_easy_perform(d), MPERF_E_OK);
    CHECK(sink_is_pattern(&x.body, 500));
    mperf_easy_reset(d);
    CHECK_EQ_LONG(mperf_easy_perform(d), MPERF_E_URL_MALFORMAT);
    mperf_easy_cleanup(d);
    xfer_free(&x);
}

static mperf_multi *recursion_multi;
static int recursion_codes[4];
static size_t recursing_write(char *p, size_t s, size_t n, void *u)
{
    xfer *x = (xfer *)u;
    int running;
    long code = 0;
    (void)p;
    recursion_codes[0] = mperf_multi_perform(recursion_multi, &running);
    recursion_codes[1] = mperf_easy_perform(x->e);
    recursion_codes[2] = mperf_multi_remove_handle(recursion_multi, x->e);
    recursion_codes[3] = mperf_easy_getinfo(x->e, MPERF_INFO_RESPONSE_CODE, &code) == MPERF_E_OK && code == 200;
    mperf_easy_cleanup(x->e); /* ignored from inside its own callback */
    return s * n;
}

TEST(calls_from_callbacks)
{
    mperf_multi *m = mperf_multi_init();
    xfer x;
    recursion_multi = m;
    xfer_init(&x, fmt("http://127.0.0.1:%d/gen/10", fault_port()));
    mperf_easy_setopt(x.e, MPERF_OPT_WRITEFUNCTION, recursing_write);
    mperf_easy_setopt(x.e, MPERF_OPT_WRITEDATA, &x);
    mperf_multi_add_handle(m, x.e);
    CHECK(drive(m, 10000));
    collect(m);
    CHECK_EQ_LONG(x.result, MPERF_E_OK);
    CHECK_EQ_LONG(recursion_codes[0], MPERF_M_RECURSIVE_API_CALL);
    CHECK_EQ_LONG(recursion_codes[1], MPERF_E_RECURSIVE_API_CALL);
    CHECK_EQ_LONG(recursion_codes[2], MPERF_M_RECURSIVE_API_CALL);
    CHECK_EQ_LONG(recursion_codes[3], 1);
    done_with(m, &x);
}

TEST(pause_and_resume_keeps_data)
{
    mperf_multi *m = mperf_multi_init();
    xfer x;
    int running = 1, resumed = 0, rounds = 0;
    xfer_init(&x, fmt("http://127.0.0.1:%d/gen/300000?chunked=5000", fault_port()));
    x.body.pause_at = 100000;
    mperf_multi_add_handle(m, x.e);
    while (running && rounds++ < 5000) {
        mperf_multi_perform(m, &running);
        if (!resumed && x.body.pause_at == 0) { /* paused: stays paused across a few waits */
            int i;
            for (i = 0; i < 3; i++) {
                mperf_multi_poll(m, NULL, 0, 50, NULL);
                mperf_multi_perform(m, &running);
            }
            CHECK_EQ_LONG(running, 1);
            CHECK(x.body.len <= 100000);
            mperf_easy_pause(x.e, MPERF_PAUSE_CONT);
            resumed = 1;
        }
        if (running) mperf_multi_poll(m, NULL, 0, 200, NULL);
    }
    collect(m);
    CHECK(resumed);
    CHECK_EQ_LONG(x.result, MPERF_E_OK);
    CHECK(sink_is_pattern(&x.body, 300000));
    done_with(m, &x);
}

TEST(each_address_is_tried_in_turn)
{
    /* nginx listens on [::1]:port6 only: localhost tries 127.0.0.1 first, is
       refused there, and connects on ::1 */
    const char *p6 = getenv("MPT_NGINX6_PORT");
    xfer x;
    sink dbg;
    if (!p6 || !*p6) {
        printf("  (no IPv6 loopback: nothing to fall back to)\n");
        return;
    }
    memset(&dbg, 0, sizeof dbg);
    xfer_init(&x, fmt("http://localhost:%s/f/1k.bin", p6));
    mperf_easy_setopt(x.e, MPERF_OPT_VERBOSE, 1L);
    mperf_easy_setopt(x.e, MPERF_OPT_DEBUGFUNCTION, debug_collect);
    mperf_easy_setopt(x.e, MPERF_OPT_DEBUGDATA, &dbg);
    CHECK_EQ_LONG(run_one(&x), MPERF_E_OK);
    CHECK_EQ_LONG(x.body.len, 1024);
    CHECK(strcmp(info_str(x.e, MPERF_INFO_PRIMARY_IP), "::1") == 0);
    CHECK(dbg.p && strstr(dbg.p, "Trying 127.0.0.1") && strstr(dbg.p, "Trying [::1]"));
    xfer_free(&x);
    sink_free(&dbg);
}

TEST(happy_eyeballs_the_other_family_wins)
{
    /* he.test has [::1] (a black hole) and 127.0.0.1 (nginx): IPv6 goes first,
       IPv4 starts after HAPPY_EYEBALLS_TIMEOUT_MS and wins */
    int port = nginx_port(), clients[3] = {-1, -1, -1}, hole, i;
    mperf_slist *l;
    xfer x;
    sink dbg;
    mperf_off_t t = 0;
    if (!getenv("MPT_NGINX6_PORT") || !*getenv("MPT_NGINX6_PORT") || (hole = ipv6_black_hole(port, clients)) < 0) {
        printf("  (no IPv6 loopback: nothing to race)\n");
        return;
    }
    l = mperf_slist_append(NULL, fmt("he.test:%d:[::1],127.0.0.1", port));
    memset(&dbg, 0, sizeof dbg);
    xfer_init(&x, fmt("http://he.test:%d/f/1k.bin", port));
    mperf_easy_setopt(x.e, MPERF_OPT_RESOLVE, l);
    mperf_easy_setopt(x.e, MPERF_OPT_CONNECTTIMEOUT_MS, 20000L);
    mperf_easy_setopt(x.e, MPERF_OPT_VERBOSE, 1L);
    mperf_easy_setopt(x.e, MPERF_OPT_DEBUGFUNCTION, debug_collect);
    mperf_easy_setopt(x.e, MPERF_OPT_DEBUGDATA, &dbg);
    CHECK_EQ_LONG(run_one(&x), MPERF_E_OK);
    CHECK_EQ_LONG(x.body.len, 1024);
    CHECK(strcmp(info_str(x.e, MPERF_INFO_PRIMARY_IP), "127.0.0.1") == 0);
    mperf_easy_getinfo(x.e, MPERF_INFO_CONNECT_TIME_T, &t);
    CHECKF(t >= 150000 && t < 10000000, "connected after %lld us", (long long)t); /* after the 200 ms delay */
    CHECK(dbg.p && strstr(dbg.p, "Trying [::1]") && strstr(dbg.p, "Trying 127.0.0.1") &&
          strstr(dbg.p, "Trying [::1]") < strstr(dbg.p, "Trying 127.0.0.1"));
    printf("  IPv6 black hole, IPv4 connected after %lld ms\n", (long long)(t / 1000));
    xfer_free(&x);
    sink_free(&dbg);
    for (i = 0; i < 3; i++)
        if (clients[i] >= 0) close(clients[i]);
    close(hole);
    /* [::1] now refuses at once: IPv4 goes on at once, not after the (long) delay */
    xfer_init(&x, fmt("http://he.test:%d/f/1k.bin", port));
    mperf_easy_setopt(x.e, MPERF_OPT_RESOLVE, l);
    CHECK_EQ_LONG(mperf_easy_setopt(x.e, MPERF_OPT_HAPPY_EYEBALLS_TIMEOUT_MS, 8000L), MPERF_E_OK);
    CHECK_EQ_LONG(run_one(&x), MPERF_E_OK);
    CHECK(strcmp(info_str(x.e, MPERF_INFO_PRIMARY_IP), "127.0.0.1") == 0);
    mperf_easy_getinfo(x.e, MPERF_INFO_CONNECT_TIME_T, &t);
    CHECKF(t < 6000000, "connected after %lld us", (long long)t);
    xfer_free(&x);
    /* both families out: the transfer fails, with the last error */
    xfer_init(&x, "http://he.test:1/f/1k.bin");
    mperf_slist_free_all(l);
    l = mperf_slist_append(NULL, "he.test:1:[::1],127.0.0.1");
    mperf_easy_setopt(x.e, MPERF_OPT_RESOLVE, l);
    CHECK_EQ_LONG(run_one(&x), MPERF_E_COULDNT_CONNECT);
    xfer_free(&x);
    mperf_slist_free_all(l);
}

TEST(verbose_goes_to_stderr_stream_by_default)
{
    xfer x;
    FILE *f = tmpfile();
    char buf[4096];
    size_t n;
    xfer_init(&x, fmt("http://127.0.0.1:%d/gen/10", fault_port()));
    mperf_easy_setopt(x.e, MPERF_OPT_VERBOSE, 1L);
    mperf_easy_setopt(x.e, MPERF_OPT_STDERR, f);
    CHECK_EQ_LONG(run_one(&x), MPERF_E_OK);
    rewind(f);
    n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    CHECK(strstr(buf, "* Connected to 127.0.0.1") != NULL);
    CHECK(strstr(buf, "> GET /gen/10 HTTP/1.1\r\n") != NULL);
    CHECK(strstr(buf, "< HTTP/1.1 200 OK\r\n") != NULL);
    CHECK(strstr(buf, "< Content-Length: 10\r\n") != NULL);
    fclose(f);
    xfer_free(&x);
}

static int nodelay_seen = -1;
static size_t nodelay_write(char *p, size_t s, size_t n, void *u)
{
    mperf_socket_t fd = MPERF_SOCKET_BAD;
    int v = 0;
    socklen_t l = sizeof v;
    (void)p;
    mperf_easy_getinfo((mperf_easy *)u, MPERF_INFO_ACTIVESOCKET, &fd);
    if (fd != MPERF_SOCKET_BAD && getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &l) == 0) nodelay_seen = v != 0;
    return s * n;
}

/* ---- SO_RCVLOWAT while a long body streams in ---- */
#if MPX_LOWAT
static int lowat_seen;                   /* the largest SO_RCVLOWAT seen on the transfer's socket */
static mperf_socket_t lowat_fd = MPERF_SOCKET_BAD; /* that socket */

static void lowat_note(void)
{
    int v = 0;
    socklen_t l = sizeof v;
    if (lowat_fd != MPERF_SOCKET_BAD && getsockopt(lowat_fd, SOL_SOCKET, SO_RCVLOWAT, &v, &l) == 0 && v > lowat_seen)
        lowat_seen = v;
}

static size_t lowat_write(char *p, size_t s, size_t n, void *u)
{
    xfer *x = (xfer *)u;
    mperf_socket_t fd = MPERF_SOCKET_BAD;
    mperf_easy_getinfo(x->e, MPERF_INFO_ACTIVESOCKET, &fd);
    lowat_fd = fd;
    lowat_note();
    return sink_write(p, s, n, &x->body);
}

/* The test's own server end: sends pattern bytes [*at, to) as the socket
   takes them, driving the multi in between, until the client has read
   them all (or max_ms passes). */
static void lowat_feed(mperf_multi *m, int fd, xfer *x, uint64_t *at, uint64_t to, size_t head, int max_ms)
{
    double end = mono_ms() + max_ms;
    static unsigned char buf[65536];
    int running;
    while (x->body.len < to - head && mono_ms() < end) {
        int k;
        for (k = 0; k < 3 && *at < to; k++) { /* 192 KiB a round: the engine reads it all, a bulk */
            size_t n = (size_t)(to - *at < sizeof buf ? to - *at : sizeof buf), i;
            ssize_t w;
            for (i = 0; i < n; i++) buf[i] = pattern(*at - head + i);
            w = send(fd, buf, n, MSG_NOSIGNAL);
            if (w <= 0) break;
            *at += (uint64_t)w;
        }
        mperf_multi_perform(m, &running);
        lowat_note(); /* (right after the round that raised it: its 5 ms deadline cannot have put it back yet) */
        mperf_multi_poll(m, NULL, 0, *at < to ? 1 : 20, NULL);
    }
}

/* Reads one request head from fd (blocking, bounded by the socket timeout). */
static int lowat_read_request(int fd)
{
    char req[4096];
    size_t got = 0;
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    while (got < sizeof req - 1) {
        ssize_t r = recv(fd, req + got, sizeof req - 1 - got, 0);
        if (r <= 0) return 0;
        got += (size_t)r;
        req[got] = 0;
        if (strstr(req, "\r\n\r\n")) return 1;
    }
    return 0;
}
#endif

TEST(a_long_body_wakes_the_engine_for_a_bulk_and_never_holds_its_tail)
{
#if MPX_LOWAT
    /* 8 MiB as fast as loopback goes: the kernel is asked to wake the engine
       for a bulk of bytes. Then 1000 bytes and a pause: they must reach the
       program within a bound though the pause lasts; then the rest. The
       connection goes back to the pool waking at the first byte again: the
       next response, 5 bytes on it, comes at once. */
    const uint64_t part = 8u << 20, tail = 1000;
    const char *head = "HTTP/1.1 200 OK\r\nContent-Length: 16778216\r\n\r\n";
    size_t hl = strlen(head);
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    int ls = socket(AF_INET, SOCK_STREAM, 0), fd = -1, running, v = 0, one = 1;
    uint64_t at;
    double t0, waited;
    mperf_multi *m = mperf_multi_init();
    socklen_t l = sizeof v;
    xfer x;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    CHECK(bind(ls, (struct sockaddr *)&a, sizeof a) == 0 && listen(ls, 4) == 0 &&
          getsockname(ls, (struct sockaddr *)&a, &al) == 0);
    CHECK_EQ_LONG(16778216, 2 * part + tail);
    lowat_seen = 0;
    xfer_init(&x, fmt("http://127.0.0.1:%d/stream", ntohs(a.sin_port)));
    mperf_easy_setopt(x.e, MPERF_OPT_WRITEFUNCTION, lowat_write);
    mperf_easy_setopt(x.e, MPERF_OPT_WRITEDATA, &x);
    mperf_easy_setopt(x.e, MPERF_OPT_SOCKOPTFUNCTION, big_rcvbuf); /* each block lands whole, under valgrind too */
    mperf_multi_add_handle(m, x.e);
    mperf_multi_perform(m, &running); /* connects */
    fd = accept(ls, NULL, NULL);
    CHECK(fd >= 0);
    if (fd >= 0) {
        for (t0 = mono_ms(); !lowat_read_request(fd) && mono_ms() - t0 < 5000;) {
            mperf_multi_perform(m, &running);
            mperf_multi_poll(m, NULL, 0, 10, NULL);
        }
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        CHECK(send(fd, head, hl, MSG_NOSIGNAL) == (ssize_t)hl);
        at = hl;
        lowat_feed(m, fd, &x, &at, hl + part, hl, 20000);
        CHECK_EQ_LONG(x.body.len, part);
        CHECKF(lowat_seen > 1, "SO_RCVLOWAT never raised while 8 MiB streamed in (largest seen %d)", lowat_seen);
        t0 = mono_ms();
        lowat_feed(m, fd, &x, &at, hl + part + tail, hl, 2000); /* then nothing for as long */
        waited = mono_ms() - t0;
        CHECKF(x.body.len == part + tail && waited < 1000, "%lu of the 1000 bytes after a pause of %.0f ms",
               (unsigned long)(x.body.len - part), waited);
        lowat_feed(m, fd, &x, &at, hl + 2 * part + tail, hl, 20000);
        drive(m, 5000);
        collect(m);
        CHECK_EQ_LONG(x.result, MPERF_E_OK);
        CHECK(sink_is_pattern(&x.body, 2 * part + tail));
        /* the pooled connection wakes at its first byte again */
        CHECKF(getsockopt(lowat_fd, SOL_SOCKET, SO_RCVLOWAT, &v, &l) == 0 && v == 1, "SO_RCVLOWAT %d once pooled", v);
        mperf_multi_remove_handle(m, x.e);
        sink_free(&x.body);
        x.done = 0;
        mperf_easy_setopt(x.e, MPERF_OPT_URL, fmt("http://127.0.0.1:%d/small", ntohs(a.sin_port)));
        mperf_multi_add_handle(m, x.e);
        mperf_multi_perform(m, &running); /* the request goes out on the same connection */
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        CHECK(lowat_read_request(fd));
        CHECK(send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 43, MSG_NOSIGNAL) == 43);
        t0 = mono_ms();
        drive(m, 5000);
        waited = mono_ms() - t0;
        collect(m);
        CHECKF(x.done == 1 && x.result == MPERF_E_OK && waited < 1000, "done %d, result %d after %.0f ms", x.done,
               (int)x.result, waited);
        CHECK(x.body.len == 5 && memcmp(x.body.p, "hello", 5) == 0);
        CHECK_EQ_LONG(info_long(x.e, MPERF_INFO_NUM_CONNECTS), 0);
        close(fd);
    }
    close(ls);
    done_with(m, &x);
#else
    printf("  (not in this build: SO_RCVLOWAT is used on Linux in builds not optimized for size)\n");
#endif
}

TEST(tcp_nodelay_is_on)
{
    xfer x;
    xfer_init(&x, fmt("http://127.0.0.1:%d/gen/10", fault_port()));
    mperf_easy_setopt(x.e, MPERF_OPT_WRITEFUNCTION, nodelay_write);
    mperf_easy_setopt(x.e, MPERF_OPT_WRITEDATA, x.e);
    CHECK_EQ_LONG(run_one(&x), MPERF_E_OK);
    CHECK_EQ_LONG(nodelay_seen, 1);
    xfer_free(&x);
}

TEST(no_sigpipe_when_the_peer_resets_mid_send)
{
    /* 8 MB of request headers to a server that resets after the first
       bytes: the sends after the reset fail, and SIGPIPE (left at its
       default, which kills) must never be raised */
    xfer x;
    mperf_slist *h = NULL;
    char *big = (char *)malloc(1024 * 1024 + 16);
    int i;
    void (*old)(int) = signal(SIGPIPE, SIG_DFL);
    memcpy(big, "X-Big: ", 7);
    memset(big + 7, 'a', 1024 * 1024);
    big[7 + 1024 * 1024] = 0;
    for (i = 0; i < 8; i++) h = mperf_slist_append(h, big);
    xfer_init(&x, fmt("http://127.0.0.1:%d/reset-early", fault_port()));
    mperf_easy_setopt(x.e, MPERF_OPT_HTTPHEADER, h);
    run_one(&x);
    CHECKF(x.result == MPERF_E_SEND_ERROR || x.result == MPERF_E_RECV_ERROR, "result %d: %s", (int)x.result, x.err);
    signal(SIGPIPE, old);
    xfer_free(&x);
    mperf_slist_free_all(h);
    free(big);
}

TEST(second_translation_unit_links)
{
    CHECK(strcmp(second_tu_version(), mperf_version()) == 0);
}

TEST(state_changes_are_legal)
{
    CHECK(mpt_check_transitions(MPT_MUST) == 0);
}

int main(void)
{
    RUN(get_content_length_body);
    RUN(get_chunked_bodies);
    RUN(get_close_delimited_body);
    RUN(get_dripped_responses);
    RUN(head_request_has_no_body);
    RUN(interim_and_bodyless_responses);
    RUN(hostile_framing_over_sockets);
    RUN(hostile_sizes_over_sockets);
    RUN(truncated_responses);
    RUN(sequential_transfers_share_one_connection);
    RUN(parallel_keepalive_against_nginx);
    RUN(large_body_against_nginx);
    RUN(one_perform_call_reads_a_bounded_amount);
    RUN(one_perform_call_starts_a_bounded_number_of_connections);
    RUN(ten_thousand_concurrent_transfers);
    RUN(connection_limits_queue_transfers);
    RUN(fresh_connect_at_the_host_limit_replaces_an_idle_connection);
    RUN(pending_transfer_times_out_while_waiting);
    RUN(maxconnects_caps_the_pool);
    RUN(reuse_rules);
    RUN(dead_reused_connection_is_retried);
    RUN(custom_request_headers);
    RUN(crlf_in_user_input_is_rejected_before_sending);
    RUN(header_callback_sees_every_line);
    RUN(write_callback_errors_and_default_writer);
    RUN(errorbuffer_private_and_verbose);
    RUN(bad_urls_complete_as_messages);
    RUN(connect_refused_and_localhost);
    RUN(nothing_beyond_loopback);
    RUN(ipv6_literal);
    RUN(each_address_is_tried_in_turn);
    RUN(happy_eyeballs_the_other_family_wins);
    RUN(verbose_goes_to_stderr_stream_by_default);
    RUN(tcp_nodelay_is_on);
    RUN(a_long_body_wakes_the_engine_for_a_bulk_and_never_holds_its_tail);
    RUN(no_sigpipe_when_the_peer_resets_mid_send);
    RUN(poll_and_wait_with_nothing_to_wait_on);
    RUN(wakeup_from_another_thread_and_coalescing);
    RUN(extra_fds_in_poll);
    RUN(timeout_values);
    RUN(waitfds_and_the_programs_own_poll);
    RUN(fdset_and_select_loop);
    RUN(getinfo_values);
    RUN(get_handles_and_misuse);
    RUN(options_outside_the_subset);
    RUN(an_unhonoured_routing_option_stops_the_transfer);
    RUN(remove_mid_transfer_and_dropped_messages);
    RUN(multi_cleanup_leaves_handles_to_the_caller);
    RUN(easy_perform_reuses_its_connection);
    RUN(calls_from_callbacks);
    RUN(pause_and_resume_keeps_data);
    RUN(second_translation_unit_links);
    RUN(state_changes_are_legal);
    return t_done("multi");
}
