/* HTTPS through BearSSL, written against libcurl's API (compat header), on
   loopback against nginx with a throwaway PKI (tests/pki.sh), openssl
   s_server (TLS 1.3 only) and tests/tlsfault.c (close without close_notify). */
/* the state changes this suite must see (tests/transitions.h) */
#define MPT_MUST "S:CONNECTING>TLS S:TLS>SEND S:TLS>DONE S:SEND>RECV"
#include "transitions.h" /* before the header: it watches the state changes */
#define MULTIPERFORM_IMPLEMENTATION
#include <curl/curl.h>
#include <signal.h>
#include "helpers.h"
#include "t.h"

static const char *pki(const char *file) { return fmt("%s/%s", getenv("MPT_PKI"), file); }
static int port_of(const char *name) { return env_int(name); }

/* The shared transfer (tests/helpers.h), trusting the test PKI's CA, with
   a minute for the slower paths (valgrind). */
static void xfer_init_tls(xfer *x, const char *url)
{
    xfer_init(x, url);
    curl_easy_setopt(x->h, CURLOPT_CAINFO, pki("ca.pem"));
    curl_easy_setopt(x->h, CURLOPT_TIMEOUT, 60L);
}

static char *tls_url(const char *host, const char *port_env, const char *path)
{
    return fmt("https://%s:%d%s", host, port_of(port_env), path);
}

TEST(good_chain_with_intermediate)
{
    xfer x;
    curl_off_t conn = -1, app = -1;
    xfer_init_tls(&x, tls_url("localhost", "MPT_TLS_PORT", "/f/64k.bin"));
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK_EQ_LONG(code_of(x.h), 200);
    CHECK(sink_is_pattern(&x.body, 65536));
    curl_easy_getinfo(x.h, CURLINFO_CONNECT_TIME_T, &conn);
    curl_easy_getinfo(x.h, CURLINFO_APPCONNECT_TIME_T, &app);
    CHECKF(app > 0 && app >= conn, "TLS connect time %lld us after TCP at %lld us", (long long)app, (long long)conn);
    {
        char *scheme = NULL;
        curl_easy_getinfo(x.h, CURLINFO_SCHEME, &scheme);
        CHECK(scheme && strcmp(scheme, "HTTPS") == 0);
    }
    xfer_free(&x);
}

typedef struct bad {
    const char *name, *host, *port_env, *path;
    CURLcode want;
    const char *says;
    long verify; /* SSL_VERIFYRESULT: OpenSSL's number, as libcurl with OpenSSL reports it */
} bad;

TEST(verification_failures)
{
    static const bad cases[] = {
        {"missing intermediate", "localhost", "MPT_TLS_NOINT_PORT", "/", CURLE_PEER_FAILED_VERIFICATION, "trusted CA", 20},
        {"unknown CA", "localhost", "MPT_TLS_WRONG_PORT", "/", CURLE_PEER_FAILED_VERIFICATION, "trusted CA", 20},
        {"expired leaf", "localhost", "MPT_TLS_EXPIRED_PORT", "/", CURLE_PEER_FAILED_VERIFICATION, "expired", 10},
        {"wrong host (wildcard is one label)", "a.b.localhost", "MPT_TLS_PORT", "/", CURLE_PEER_FAILED_VERIFICATION,
         "host name", 1},
        {"IP not in the certificate", "127.0.0.1", "MPT_TLS_NOIP_PORT", "/", CURLE_PEER_FAILED_VERIFICATION, "IP address", 1},
        {"TLS 1.3-only server", "localhost", "MPT_TLS13_PORT", "/", CURLE_SSL_CONNECT_ERROR, "protocol_version", 0},
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        xfer x;
        xfer_init_tls(&x, tls_url(cases[i].host, cases[i].port_env, cases[i].path));
        run(&x);
        CHECKF(x.result == cases[i].want && strstr(x.err, cases[i].says), "%s: %d '%s'", cases[i].name, (int)x.result,
               x.err);
        CHECK_EQ_LONG(x.body.len, 0);
        {
            long v = -1;
            curl_easy_getinfo(x.h, CURLINFO_SSL_VERIFYRESULT, &v);
            CHECKF(v == cases[i].verify, "%s: SSL_VERIFYRESULT %ld", cases[i].name, v);
        }
        printf("  %-36s -> %d: %s\n", cases[i].name, (int)x.result, x.err);
        xfer_free(&x);
    }
}

/* A GET from a hostile server (port_env) whose certificate the engine must
   refuse, verified or not, with CURLE_PEER_FAILED_VERIFICATION and an error
   text that holds says. */
static void refused_certificate(const char *port_env, const char *says)
{
    int insecure;
    for (insecure = 0; insecure < 2; insecure++) {
        xfer x;
        xfer_init_tls(&x, tls_url("localhost", port_env, "/cl"));
        if (insecure) {
            curl_easy_setopt(x.h, CURLOPT_SSL_VERIFYPEER, 0L);
            curl_easy_setopt(x.h, CURLOPT_SSL_VERIFYHOST, 0L);
        }
        run(&x);
        CHECKF(x.result == CURLE_PEER_FAILED_VERIFICATION && strstr(x.err, says), "%s: %d '%s'",
               insecure ? "insecure" : "verified", (int)x.result, x.err);
        CHECK_EQ_LONG(x.body.len, 0);
        printf("  %-9s -> %d: %s\n", insecure ? "insecure" : "verified", (int)x.result, x.err);
        xfer_free(&x);
    }
}

/* A hostile server whose certificate has bytes after its end (BearSSL's
   decoder crashed on such input when fed all of it). */
TEST(certificate_with_bytes_after_its_end)
{
    refused_certificate("MPT_TLSTRAIL_PORT", "malformed (bytes after its end)");
}

/* A hostile server whose leaf has a malformed date ("\x0c\xc3" for the
   notAfter month), sent in records of 512 bytes so the certificate arrives
   in pieces. BearSSL's decoder, fed the next piece after failing on the
   date, read its month table out of bounds (found by fuzzing the CA loader;
   an unverified server's certificate goes through the same decoder). */
TEST(certificate_with_a_malformed_date_in_pieces)
{
    refused_certificate("MPT_TLSBADTIME_PORT", "not a date");
}

/* A hostile server whose leaf is over 100 KiB (MPERF_MAX_CERT): refused
   without keeping it (the engine keeps the leaf for name, IP and pin checks,
   and a certificate may claim up to 16 MB). */
TEST(certificate_larger_than_the_limit)
{
    refused_certificate("MPT_TLSBIG_PORT", "too large");
}

TEST(names_and_ip_literals_that_match)
{
    static const char *const hosts[] = {"127.0.0.1", "app.localhost", "LOCALHOST"};
    size_t i;
    for (i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
        xfer x;
        xfer_init_tls(&x, tls_url(hosts[i], "MPT_TLS_PORT", "/f/1k.bin"));
        CHECKF(run(&x) == CURLE_OK, "%s: %s", hosts[i], x.err);
        CHECK(sink_is_pattern(&x.body, 1024));
        xfer_free(&x);
    }
    if (getenv("MPT_NGINX6_PORT") && *getenv("MPT_NGINX6_PORT")) {
        xfer x;
        xfer_init_tls(&x, tls_url("[::1]", "MPT_TLS_PORT", "/f/1k.bin"));
        CHECKF(run(&x) == CURLE_OK, "[::1]: %s", x.err);
        xfer_free(&x);
    }
    {
        xfer x; /* the no-IP certificate is fine by name */
        xfer_init_tls(&x, tls_url("localhost", "MPT_TLS_NOIP_PORT", "/f/1k.bin"));
        CHECKF(run(&x) == CURLE_OK, "%s", x.err);
        xfer_free(&x);
    }
}

/* ---- a device's hooks: its clock and its RNG ---- */
static int64_t clock_at;
static long clock_calls;
static int64_t fixed_clock(void *userp)
{
    (void)userp;
    clock_calls++;
    return clock_at;
}

static long rng_calls;
static int counting_rng(void *userp, void *buf, size_t n)
{
    size_t i;
    (void)userp;
    rng_calls++;
    for (i = 0; i < n; i++) ((unsigned char *)buf)[i] = (unsigned char)(rand() ^ (int)i); /* (a test's RNG) */
    return 0;
}

TEST(a_clock_and_an_rng_of_the_programs)
{
    /* the expired leaf is valid in January 2020: by the program's clock set
       there, it verifies; a clock in 2100 finds the good chain expired */
    static const struct {
        const char *port;
        int64_t when;
        CURLcode want;
    } cases[] = {{"MPT_TLS_EXPIRED_PORT", 1579046400 /* 2020-01-15 */, CURLE_OK},
                 {"MPT_TLS_PORT", 4102444800LL /* 2100-01-01 */, CURLE_PEER_FAILED_VERIFICATION},
                 {"MPT_TLS_PORT", -1 /* unknown: the system clock */, CURLE_OK}};
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CURLM *m = curl_multi_init();
        xfer x;
        clock_calls = rng_calls = 0;
        clock_at = cases[i].when;
        curl_multi_setopt(m, MPERF_MOPT_TIME_FUNCTION, fixed_clock);
        curl_multi_setopt(m, MPERF_MOPT_RANDOM_FUNCTION, counting_rng);
        xfer_init_tls(&x, tls_url("localhost", cases[i].port, "/f/1k.bin"));
        CHECKF(run_on(m, &x) == cases[i].want, "case %zu: %s", i, x.err);
        if (cases[i].want != CURLE_OK) CHECKF(strstr(x.err, "expired") != NULL, "%s", x.err);
        CHECK(clock_calls >= 1);
        CHECK(rng_calls >= 1); /* the TLS seed came from the program's RNG */
        xfer_free(&x);
        curl_multi_cleanup(m);
    }
}

static char *read_pin(void)
{
    static char pin[128];
    FILE *f = fopen(pki("leaf.pin"), "r");
    if (!f || !fgets(pin, sizeof pin, f)) return NULL;
    fclose(f);
    pin[strcspn(pin, "\r\n")] = 0;
    return pin;
}

TEST(pinned_public_key)
{
    xfer x;
    const char *pin = read_pin();
    CHECK(pin != NULL);
    xfer_init_tls(&x, tls_url("localhost", "MPT_TLS_PORT", "/f/1k.bin"));
    curl_easy_setopt(x.h, CURLOPT_PINNEDPUBLICKEY, pin);
    CHECKF(run(&x) == CURLE_OK, "right pin: %s", x.err);
    xfer_free(&x);
    /* a list with the right one second */
    xfer_init_tls(&x, tls_url("localhost", "MPT_TLS_PORT", "/f/1k.bin"));
    curl_easy_setopt(x.h, CURLOPT_PINNEDPUBLICKEY, fmt("sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=;%s", pin));
    CHECKF(run(&x) == CURLE_OK, "pin list: %s", x.err);
    xfer_free(&x);
    xfer_init_tls(&x, tls_url("localhost", "MPT_TLS_PORT", "/f/1k.bin"));
    curl_easy_setopt(x.h, CURLOPT_PINNEDPUBLICKEY, "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    CHECK_EQ_LONG(run(&x), CURLE_SSL_PINNEDPUBKEYNOTMATCH);
    CHECK_EQ_LONG(x.body.len, 0);
    xfer_free(&x);
    /* pin only, chain unchecked: the key decides */
    xfer_init_tls(&x, tls_url("localhost", "MPT_TLS_NOINT_PORT", "/f/1k.bin"));
    curl_easy_setopt(x.h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(x.h, CURLOPT_PINNEDPUBLICKEY, pin);
    CHECKF(run(&x) == CURLE_OK, "pin-only: %s", x.err);
    xfer_free(&x);
    xfer_init_tls(&x, tls_url("localhost", "MPT_TLS_WRONG_PORT", "/f/1k.bin"));
    curl_easy_setopt(x.h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(x.h, CURLOPT_PINNEDPUBLICKEY, pin);
    CHECK_EQ_LONG(run(&x), CURLE_SSL_PINNEDPUBKEYNOTMATCH);
    xfer_free(&x);
    /* only the sha256// form is built in */
    xfer_init_tls(&x, tls_url("localhost", "MPT_TLS_PORT", "/"));
    CHECK_EQ_LONG(curl_easy_setopt(x.h, CURLOPT_PINNEDPUBLICKEY, "/path/to/key.pem"), CURLE_NOT_BUILT_IN);
    xfer_free(&x);
}

TEST(insecure_mode_accepts_what_verification_refuses)
{
    static const char *const ports[] = {"MPT_TLS_WRONG_PORT", "MPT_TLS_EXPIRED_PORT", "MPT_TLS_NOINT_PORT"};
    size_t i;
    for (i = 0; i < 3; i++) {
        xfer x;
        xfer_init_tls(&x, tls_url("localhost", ports[i], "/f/1k.bin"));
        curl_easy_setopt(x.h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(x.h, CURLOPT_SSL_VERIFYHOST, 0L);
        CHECKF(run(&x) == CURLE_OK, "%s: %s", ports[i], x.err);
        CHECK(sink_is_pattern(&x.body, 1024));
        xfer_free(&x);
    }
    {
        /* chain unchecked but the name still checked (VERIFYHOST stays 2) */
        xfer x;
        xfer_init_tls(&x, tls_url("localhost", "MPT_TLS_EXPIRED_PORT", "/f/1k.bin"));
        curl_easy_setopt(x.h, CURLOPT_SSL_VERIFYPEER, 0L);
        CHECKF(run(&x) == CURLE_OK, "%s", x.err);
        xfer_free(&x);
        xfer_init_tls(&x, tls_url("a.b.localhost", "MPT_TLS_WRONG_PORT", "/f/1k.bin"));
        curl_easy_setopt(x.h, CURLOPT_SSL_VERIFYPEER, 0L);
        CHECK_EQ_LONG(run(&x), CURLE_PEER_FAILED_VERIFICATION);
        xfer_free(&x);
        xfer_init_tls(&x, tls_url("127.0.0.1", "MPT_TLS_NOIP_PORT", "/f/1k.bin"));
        curl_easy_setopt(x.h, CURLOPT_SSL_VERIFYPEER, 0L);
        CHECK_EQ_LONG(run(&x), CURLE_PEER_FAILED_VERIFICATION);
        xfer_free(&x);
    }
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *b;
    long n;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    b = (char *)malloc((size_t)n + 1);
    if (fread(b, 1, (size_t)n, f) != (size_t)n) n = 0;
    fclose(f);
    *len = (size_t)n;
    return b;
}

TEST(ca_sources)
{
    xfer x;
    size_t len;
    char *pem = slurp(pki("ca.pem"), &len), *nonl;
    struct curl_blob blob;
    FILE *f;
    /* CAINFO_BLOB, copied */
    xfer_init_tls(&x, tls_url("localhost", "MPT_TLS_PORT", "/f/1k.bin"));
    curl_easy_setopt(x.h, CURLOPT_CAINFO, NULL);
    blob.data = pem;
    blob.len = len;
    blob.flags = CURL_BLOB_COPY;
    CHECK_EQ_LONG(curl_easy_setopt(x.h, CURLOPT_CAINFO_BLOB, &blob), CURLE_OK);
    memset(pem, 'x', len); /* the copy is what counts */
    CHECKF(run(&x) == CURLE_OK, "blob: %s", x.err);
    xfer_free(&x);
    free(pem);
    /* a bundle without its final newline */
    pem = slurp(pki("ca.pem"), &len);
    while (len && (pem[len - 1] == '\n' || pem[len - 1] == '\r')) len--;
    nonl = fmt("%s/ca-nonl.pem", getenv("MPT_PKI"));
    f = fopen(nonl, "wb");
    fwrite(pem, 1, len, f);
    fclose(f);
    free(pem);
    xfer_init_tls(&x, tls_url("localhost", "MPT_TLS_PORT", "/f/1k.bin"));
    curl_easy_setopt(x.h, CURLOPT_CAINFO, nonl);
    CHECKF(run(&x) == CURLE_OK, "no final newline: %s", x.err);
    xfer_free(&x);
    /* files that do not work: a clear CA error */
    xfer_init_tls(&x, tls_url("localhost", "MPT_TLS_PORT", "/"));
    curl_easy_setopt(x.h, CURLOPT_CAINFO, "/nonexistent/ca.pem");
    CHECK_EQ_LONG(run(&x), CURLE_SSL_CACERT_BADFILE);
    CHECK(strstr(x.err, "CA bundle") != NULL);
    xfer_free(&x);
    xfer_init_tls(&x, tls_url("localhost", "MPT_TLS_PORT", "/"));
    curl_easy_setopt(x.h, CURLOPT_CAINFO, pki("leaf.key")); /* PEM, but no certificate */
    CHECK_EQ_LONG(run(&x), CURLE_SSL_CACERT_BADFILE);
    xfer_free(&x);
    xfer_init_tls(&x, tls_url("localhost", "MPT_TLS_PORT", "/"));
    curl_easy_setopt(x.h, CURLOPT_CAINFO, getenv("MPT_PKI")); /* a directory: it opens, but reads fail */
    CHECK_EQ_LONG(run(&x), CURLE_SSL_CACERT_BADFILE);
    CHECK(strstr(x.err, "Cannot read the CA bundle") != NULL);
    xfer_free(&x);
    nonl = fmt("%s/ca-empty.pem", getenv("MPT_PKI"));
    f = fopen(nonl, "wb");
    if (f) fclose(f);
    xfer_init_tls(&x, tls_url("localhost", "MPT_TLS_PORT", "/"));
    curl_easy_setopt(x.h, CURLOPT_CAINFO, nonl);
    CHECK_EQ_LONG(run(&x), CURLE_SSL_CACERT_BADFILE);
    CHECKF(strstr(x.err, "no usable certificate") != NULL, "%s", x.err); /* read, nothing in it */
    xfer_free(&x);
    /* the system bundle does not know the test CA (or there is none: 77) */
    xfer_init_tls(&x, tls_url("localhost", "MPT_TLS_PORT", "/"));
    curl_easy_setopt(x.h, CURLOPT_CAINFO, NULL);
    run(&x);
    CHECKF(x.result == CURLE_PEER_FAILED_VERIFICATION || x.result == CURLE_SSL_CACERT_BADFILE, "%d %s", (int)x.result,
           x.err);
    printf("  system bundle: %d: %s\n", (int)x.result, x.err);
    xfer_free(&x);
}

/* Lines the TLS nginx logged since `from`: "r" reused or "." new, connection id. */
static int tls_log(long from, char *reused, long *conn, int max)
{
    FILE *f = fopen(getenv("MPT_TLS_LOG"), "r");
    char line[512];
    int n = 0;
    long pos = 0;
    if (!f) return 0;
    while (fgets(line, sizeof line, f)) {
        if (pos++ < from) continue;
        if (n < max && sscanf(line, "%c %ld", &reused[n], &conn[n]) == 2) n++;
    }
    fclose(f);
    return n;
}

static long tls_log_lines(void)
{
    char r[1];
    long c[1];
    FILE *f = fopen(getenv("MPT_TLS_LOG"), "r");
    long n = 0;
    int ch;
    (void)r, (void)c;
    if (!f) return 0;
    while ((ch = fgetc(f)) != EOF) n += ch == '\n';
    fclose(f);
    return n;
}

/* nginx writes its log after the response: give it a moment (bounded). */
static int tls_log_wait(long from, int want, char *reused, long *conn, int max)
{
    double end = mono_ms() + 3000;
    int n;
    while ((n = tls_log(from, reused, conn, max)) < want && mono_ms() < end) usleep(20000);
    return n;
}

TEST(session_resumption)
{
    CURLM *m = curl_multi_init();
    xfer x;
    char reused[64];
    long conns[64], from = tls_log_lines();
    int i, n;
    xfer_init_tls(&x, tls_url("localhost", "MPT_TLS_PORT", "/f/1k.bin"));
    curl_easy_setopt(x.h, CURLOPT_FRESH_CONNECT, 1L); /* a new connection, so a new handshake, each time */
    for (i = 0; i < 3; i++) CHECKF(run_on(m, &x) == CURLE_OK, "%s", x.err);
    /* another verification policy never uses those sessions */
    curl_easy_setopt(x.h, CURLOPT_SSL_VERIFYHOST, 0L);
    CHECKF(run_on(m, &x) == CURLE_OK, "%s", x.err);
    /* and without the session cache there is nothing to resume */
    curl_easy_setopt(x.h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(x.h, CURLOPT_SSL_SESSIONID_CACHE, 0L);
    CHECKF(run_on(m, &x) == CURLE_OK, "%s", x.err);
    n = tls_log_wait(from, 5, reused, conns, 64);
    CHECK_EQ_LONG(n, 5);
    printf("  handshakes (r = resumed): %.*s\n", n, reused);
    CHECK(n == 5 && reused[0] == '.' && reused[1] == 'r' && reused[2] == 'r' && reused[3] == '.' && reused[4] == '.');
    xfer_free(&x);
    curl_multi_cleanup(m);
}

TEST(parallel_https_with_keepalive)
{
    enum { N = 32, ROUNDS = 3 };
    CURLM *m = curl_multi_init();
    static xfer x[N];
    char reused[N * ROUNDS + 8];
    long conns[N * ROUNDS + 8], from = tls_log_lines(), distinct = 0;
    int i, j, r, ok = 0, n, running, left;
    CURLMsg *msg;
    for (i = 0; i < N; i++) {
        xfer_init_tls(&x[i], tls_url("127.0.0.1", "MPT_TLS_PORT", i % 2 ? "/f/1k.bin" : "/f/64k.bin"));
        x[i].body.count_only = 1;
    }
    for (r = 0; r < ROUNDS; r++) {
        double end = mono_ms() + 60000;
        for (i = 0; i < N; i++) {
            x[i].body.len = 0;
            x[i].body.pattern_bad = 0;
            curl_multi_add_handle(m, x[i].h);
        }
        running = 1;
        while (running && mono_ms() < end) {
            curl_multi_perform(m, &running);
            if (running) curl_multi_poll(m, NULL, 0, 100, NULL);
        }
        while ((msg = curl_multi_info_read(m, &left)) != NULL) {
            for (i = 0; i < N; i++)
                if (x[i].h == msg->easy_handle) x[i].result = msg->data.result;
        }
        for (i = 0; i < N; i++) {
            if (x[i].result == CURLE_OK && sink_is_pattern(&x[i].body, i % 2 ? 1024 : 65536)) ok++;
            curl_multi_remove_handle(m, x[i].h);
        }
    }
    CHECK_EQ_LONG(ok, N * ROUNDS);
    curl_multi_cleanup(m);
    n = tls_log_wait(from, N * ROUNDS, reused, conns, N * ROUNDS + 8);
    (void)reused;
    for (i = 0; i < n; i++) {
        int seen = 0;
        for (j = 0; j < i; j++) seen |= conns[j] == conns[i];
        distinct += !seen;
    }
    printf("  %d HTTPS requests over %ld connections\n", n, distinct);
    CHECK_EQ_LONG(n, N * ROUNDS);
    CHECKF(distinct <= N, "%ld connections", distinct);
    for (i = 0; i < N; i++) xfer_free(&x[i]);
}

TEST(large_https_body)
{
    xfer x;
    long n = (getenv("MPT_LARGE_MB") ? atol(getenv("MPT_LARGE_MB")) : 64) * 1024L * 1024L;
    CURLM *m = curl_multi_init();
    int running = 1, rounds = 0, left;
    size_t most = 0;
    int lowat = 0; /* (the kernel waking the engine for a bulk of record bytes: Linux, speed builds) */
    CURLMsg *msg;
    CURLcode rc = CURLE_FAILED_INIT;
    xfer_init_tls(&x, tls_url("localhost", "MPT_TLS_PORT", "/f/large.bin"));
    x.body.count_only = 1;
    curl_multi_add_handle(m, x.h);
    while (running && rounds++ < 1000000) { /* one perform call reads about 1 MiB, decrypted bytes waiting or not */
        size_t before = x.body.len;
        curl_socket_t fd = CURL_SOCKET_BAD;
        int v = 0;
        socklen_t vl = sizeof v;
        curl_multi_perform(m, &running);
        if (x.body.len - before > most) most = x.body.len - before;
        if (curl_easy_getinfo(x.h, CURLINFO_ACTIVESOCKET, &fd) == CURLE_OK && fd != CURL_SOCKET_BAD &&
            getsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, (char *)&v, &vl) == 0 && v > lowat)
            lowat = v;
        if (running) curl_multi_poll(m, NULL, 0, 1000, NULL);
    }
    while ((msg = curl_multi_info_read(m, &left)) != NULL) rc = msg->data.result;
    CHECKF(rc == CURLE_OK, "%d %s", (int)rc, x.err);
    CHECKF(sink_is_pattern(&x.body, (size_t)n), "%zu bytes, %llu wrong", x.body.len, (unsigned long long)x.body.pattern_bad);
    CHECKF(most <= 1024 * 1024 + 256 * 1024, "%zu bytes in one call", most);
    printf("  %ld MiB over HTTPS in %d perform calls, at most %zu bytes in one; SO_RCVLOWAT at most %d\n",
           n / (1024 * 1024), rounds, most, lowat);
    curl_multi_remove_handle(m, x.h);
    curl_multi_cleanup(m);
    xfer_free(&x);
}

TEST(one_perform_call_runs_a_bounded_number_of_handshakes)
{
    /* 20 fresh handshakes whose server flights all wait on their sockets: one
       call takes at most MPERF_HANDSHAKES_PER_CALL handshake steps, so at
       most that many handshakes finish in it */
    enum { N = 20 };
    CURLM *m = curl_multi_init();
    xfer x[N];
    int i, running = 1, rounds = 0, done_before = 0, most = 0, calls_with = 0;
    for (i = 0; i < N; i++) {
        xfer_init_tls(&x[i], tls_url("localhost", "MPT_TLS_PORT", "/f/1k.bin"));
        curl_easy_setopt(x[i].h, CURLOPT_SSL_SESSIONID_CACHE, 0L);
        curl_multi_add_handle(m, x[i].h);
    }
    while (running && rounds++ < 10000) {
        int done = 0;
        curl_multi_perform(m, &running);
        for (i = 0; i < N; i++) {
            curl_off_t t = 0;
            curl_easy_getinfo(x[i].h, CURLINFO_APPCONNECT_TIME_T, &t);
            done += t > 0;
        }
        if (done - done_before > most) most = done - done_before;
        calls_with += done > done_before;
        done_before = done;
        usleep(20000); /* every server's flight is in before the next call */
    }
    CHECK_EQ_LONG(done_before, N);
    CHECKF(most <= MPERF_HANDSHAKES_PER_CALL, "%d handshakes finished in one call", most);
    CHECK(calls_with >= N / MPERF_HANDSHAKES_PER_CALL);
    printf("  %d fresh handshakes: at most %d finished in one perform call, over %d calls\n", N, most, calls_with);
    for (i = 0; i < N; i++) {
        curl_multi_remove_handle(m, x[i].h);
        xfer_free(&x[i]);
    }
    curl_multi_cleanup(m);
}

TEST(pause_with_decrypted_bytes_waiting)
{
    /* paused mid-body: records keep arriving and decrypting; on resume the
       bytes held in the engine must come out without waiting on the socket */
    CURLM *m = curl_multi_init();
    xfer x;
    int running = 1, rounds = 0, left, resumed = 0;
    CURLMsg *msg;
    xfer_init_tls(&x, tls_url("localhost", "MPT_TLS_PORT", "/f/64k.bin"));
    x.body.count_only = 1;
    x.body.pause_at = 20000;
    curl_easy_setopt(x.h, CURLOPT_BUFFERSIZE, 1024L);
    curl_multi_add_handle(m, x.h);
    while (running && rounds++ < 10000) {
        curl_multi_perform(m, &running);
        if (!resumed && x.body.pause_at == 0) {
            curl_multi_poll(m, NULL, 0, 100, NULL);
            curl_multi_perform(m, &running);
            curl_easy_pause(x.h, CURLPAUSE_CONT);
            resumed = 1;
        }
        if (running) curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    while ((msg = curl_multi_info_read(m, &left)) != NULL) x.result = msg->data.result;
    CHECK(resumed);
    CHECKF(x.result == CURLE_OK, "%s", x.err);
    CHECK(sink_is_pattern(&x.body, 65536));
    done_with(m, &x);
}

TEST(close_notify_rules)
{
    xfer x;
    /* a body that ends at the close needs close_notify */
    xfer_init_tls(&x, tls_url("localhost", "MPT_TLSFAULT_PORT", "/close-unclean"));
    CHECK_EQ_LONG(run(&x), CURLE_RECV_ERROR);
    CHECK(strstr(x.err, "close_notify") != NULL);
    xfer_free(&x);
    xfer_init_tls(&x, tls_url("localhost", "MPT_TLSFAULT_PORT", "/close-clean"));
    CHECKF(run(&x) == CURLE_OK, "%s", x.err);
    CHECK(x.body.len == 16 && memcmp(x.body.p, "hello, all of it", 16) == 0);
    xfer_free(&x);
    /* a complete Content-Length body does not */
    xfer_init_tls(&x, tls_url("localhost", "MPT_TLSFAULT_PORT", "/cl"));
    CHECKF(run(&x) == CURLE_OK, "%s", x.err);
    CHECK(x.body.len == 5);
    xfer_free(&x);
}

TEST(pooled_connections_close_with_close_notify)
{
    CURLM *m = curl_multi_init();
    xfer x;
    xfer_init_tls(&x, tls_url("localhost", "MPT_TLSFAULT_PORT", "/keep"));
    CHECKF(run_on(m, &x) == CURLE_OK, "%s", x.err);
    CHECK(x.body.len == 4);
    xfer_free(&x);
    curl_multi_cleanup(m); /* closes the pooled connection */
    xfer_init_tls(&x, tls_url("localhost", "MPT_TLSFAULT_PORT", "/last-close"));
    CHECKF(run(&x) == CURLE_OK, "%s", x.err);
    CHECKF(x.body.len == 5 && memcmp(x.body.p, "clean", 5) == 0, "the server saw: %.*s", (int)x.body.len,
           x.body.p ? x.body.p : "");
    xfer_free(&x);
}

TEST(upload_and_redirect_over_https)
{
    xfer x;
    size_t n = 2 * 1024 * 1024, i;
    char *data = (char *)malloc(n);
    for (i = 0; i < n; i++) data[i] = (char)i;
    /* 2 MiB is over nginx's 1 MiB body limit: its 413 arrives, no hang */
    xfer_init_tls(&x, tls_url("localhost", "MPT_TLS_PORT", "/f/1k.bin"));
    curl_easy_setopt(x.h, CURLOPT_POSTFIELDS, data);
    curl_easy_setopt(x.h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
    CHECKF(run(&x) == CURLE_OK, "%s", x.err);
    CHECK_EQ_LONG(code_of(x.h), 413);
    xfer_free(&x);
    free(data);
    /* an http URL redirected to https */
    xfer_init_tls(&x, raw_url(fmt("HTTP/1.1 302 Found\r\nLocation: https://localhost:%d/f/1k.bin\r\nContent-Length: 0\r\n\r\n",
                              port_of("MPT_TLS_PORT")),
                          NULL));
    curl_easy_setopt(x.h, CURLOPT_FOLLOWLOCATION, 1L);
    CHECKF(run(&x) == CURLE_OK, "%s", x.err);
    CHECK(sink_is_pattern(&x.body, 1024));
    xfer_free(&x);
    /* unless https is not allowed for redirects */
    xfer_init_tls(&x, raw_url(fmt("HTTP/1.1 302 Found\r\nLocation: https://localhost:%d/f/1k.bin\r\nContent-Length: 0\r\n\r\n",
                              port_of("MPT_TLS_PORT")),
                          NULL));
    curl_easy_setopt(x.h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(x.h, CURLOPT_REDIR_PROTOCOLS_STR, "http");
    CHECK_EQ_LONG(run(&x), CURLE_UNSUPPORTED_PROTOCOL);
    xfer_free(&x);
}

TEST(tls_options)
{
    xfer x;
    xfer_init_tls(&x, tls_url("localhost", "MPT_TLS_PORT", "/f/1k.bin"));
    /* at least TLS 1.3 cannot be had: setopt says so, and the transfer does not start rather than use 1.2 */
    CHECK_EQ_LONG(curl_easy_setopt(x.h, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_3), CURLE_NOT_BUILT_IN);
    CHECK_EQ_LONG(run(&x), CURLE_NOT_BUILT_IN);
    CHECK(x.body.len == 0);
    CHECK_EQ_LONG(curl_easy_setopt(x.h, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2), CURLE_OK);
    CHECK_EQ_LONG(curl_easy_setopt(x.h, CURLOPT_SSL_VERIFYHOST, 3L), CURLE_BAD_FUNCTION_ARGUMENT);
    CHECK_EQ_LONG(curl_easy_setopt(x.h, CURLOPT_SSL_CIPHER_LIST, "ECDHE-RSA-CHACHA20-POLY1305"), CURLE_OK);
    CHECKF(run(&x) == CURLE_OK, "chacha: %s", x.err);
    xfer_free(&x);
    /* SSL_OPTIONS: what holds anyway is accepted (the transfer still verifies); NO_PARTIALCHAIN cannot be had */
    xfer_init_tls(&x, tls_url("localhost", "MPT_TLS_PORT", "/f/1k.bin"));
    CHECK_EQ_LONG(curl_easy_setopt(x.h, CURLOPT_SSL_OPTIONS, (long)(CURLSSLOPT_NATIVE_CA | CURLSSLOPT_NO_REVOKE)), CURLE_OK);
    CHECKF(run(&x) == CURLE_OK, "NATIVE_CA|NO_REVOKE: %s", x.err);
    CHECK_EQ_LONG(curl_easy_setopt(x.h, CURLOPT_SSL_OPTIONS, (long)CURLSSLOPT_NO_PARTIALCHAIN), CURLE_NOT_BUILT_IN);
    CHECK_EQ_LONG(run(&x), CURLE_NOT_BUILT_IN);
    CHECK_EQ_LONG(curl_easy_setopt(x.h, CURLOPT_SSL_OPTIONS, 0L), CURLE_OK);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    xfer_free(&x);
    xfer_init_tls(&x, tls_url("localhost", "MPT_TLS_WRONG_PORT", "/f/1k.bin"));
    curl_easy_setopt(x.h, CURLOPT_SSL_OPTIONS, (long)(CURLSSLOPT_NATIVE_CA | CURLSSLOPT_ALLOW_BEAST));
    CHECK_EQ_LONG(run(&x), CURLE_PEER_FAILED_VERIFICATION); /* verification is not loosened by any of them */
    xfer_free(&x);
    xfer_init_tls(&x, tls_url("localhost", "MPT_TLS_PORT", "/f/1k.bin"));
    curl_easy_setopt(x.h, CURLOPT_SSL_CIPHER_LIST, "RC4-MD5");
    CHECK_EQ_LONG(run(&x), CURLE_SSL_CIPHER);
    xfer_free(&x);
    /* an RSA server refuses ECDSA-only suites: a clear handshake error */
    xfer_init_tls(&x, tls_url("localhost", "MPT_TLS_PORT", "/f/1k.bin"));
    curl_easy_setopt(x.h, CURLOPT_SSL_CIPHER_LIST, "ECDHE-ECDSA-AES128-GCM-SHA256");
    CHECK_EQ_LONG(run(&x), CURLE_SSL_CONNECT_ERROR);
    printf("  ECDSA-only suites against an RSA server: %s\n", x.err);
    xfer_free(&x);
}

TEST(state_changes_are_legal)
{
    CHECK(mpt_check_transitions(MPT_MUST) == 0);
}

/* A chain verified once is kept by the multi (for a minute): the same bytes
   for the same name under the same trust anchors are not checked again; a
   new name, other anchors or an expired entry are. */
TEST(verified_chains_are_kept)
{
    CURLM *m = curl_multi_init();
    mperf_multi *mm = (mperf_multi *)m; /* (its count of chains checked) */
    xfer x;
    int i;
    xfer_init_tls(&x, tls_url("localhost", "MPT_TLS_PORT", "/f/1k.bin"));
    curl_easy_setopt(x.h, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(x.h, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(x.h, CURLOPT_SSL_SESSIONID_CACHE, 0L); /* a full handshake every time */
    for (i = 0; i < 3; i++) CHECKF(run_on(m, &x) == CURLE_OK, "%s", x.err);
    CHECK_EQ_LONG((long)mm->chains_checked, 1); /* RSA leaf and intermediate: checked once */
    /* a name the certificate does not hold (its wildcard is one label): checked, refused */
    curl_easy_setopt(x.h, CURLOPT_URL, tls_url("a.b.localhost", "MPT_TLS_PORT", "/f/1k.bin"));
    CHECK_EQ_LONG(run_on(m, &x), CURLE_PEER_FAILED_VERIFICATION);
    CHECKF(strstr(x.err, "host name") != NULL, "%s", x.err);
    CHECK_EQ_LONG((long)mm->chains_checked, 2);
    /* other trust anchors: checked, refused */
    curl_easy_setopt(x.h, CURLOPT_URL, tls_url("localhost", "MPT_TLS_PORT", "/f/1k.bin"));
    curl_easy_setopt(x.h, CURLOPT_CAINFO, pki("wrongca.pem"));
    CHECK_EQ_LONG(run_on(m, &x), CURLE_PEER_FAILED_VERIFICATION);
    CHECK_EQ_LONG((long)mm->chains_checked, 3);
    /* the first anchors again: still kept */
    curl_easy_setopt(x.h, CURLOPT_CAINFO, pki("ca.pem"));
    CHECKF(run_on(m, &x) == CURLE_OK, "%s", x.err);
    CHECK_EQ_LONG((long)mm->chains_checked, 3);
    /* an EC leaf, kept the same way */
    curl_easy_setopt(x.h, CURLOPT_URL, tls_url("localhost", "MPT_TLS_NOIP_PORT", "/"));
    for (i = 0; i < 2; i++) CHECKF(run_on(m, &x) == CURLE_OK, "%s", x.err);
    CHECK_EQ_LONG((long)mm->chains_checked, 4);
    /* the minute over: checked again */
    for (i = 0; i < MPX_VERIFIED; i++) mm->verified[i].until = mm->now;
    CHECKF(run_on(m, &x) == CURLE_OK, "%s", x.err);
    CHECK_EQ_LONG((long)mm->chains_checked, 5);
    xfer_free(&x);
    curl_multi_cleanup(m);
}

TEST(the_aes_code_is_picked_once_per_multi)
{
    /* BearSSL asks the CPU which AES-GCM code to run; the multi asks once and
       sets that answer on every later connection, which must still work */
    CURLM *m = curl_multi_init();
    mperf_multi *mm = (mperf_multi *)m;
    br_ssl_client_context scratch;
    xfer x;
    int i;
    br_ssl_client_zero(&scratch);
    br_ssl_engine_set_default_aes_gcm(&scratch.eng); /* what BearSSL picks on this machine */
    CHECK(mm->tls_aes_ctr == NULL);
    xfer_init_tls(&x, tls_url("localhost", "MPT_TLS_PORT", "/f/64k.bin"));
    curl_easy_setopt(x.h, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(x.h, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(x.h, CURLOPT_SSL_CIPHER_LIST, "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384");
    for (i = 0; i < 3; i++) {
        x.body.len = 0;
        CHECKF(run_on(m, &x) == CURLE_OK, "%s", x.err);
        CHECK_EQ_LONG((long)x.body.len, 65536);
#ifndef MPERF_TLS_SMALL
        CHECK(mm->tls_aes_ctr == (const void *)scratch.eng.iaes_ctr);
        CHECK(mm->tls_ghash == (void (*)(void))scratch.eng.ighash);
#endif
    }
    xfer_free(&x);
    curl_multi_cleanup(m);
}

int main(void)
{
    signal(SIGPIPE, SIG_DFL);
    RUN(good_chain_with_intermediate);
    RUN(the_aes_code_is_picked_once_per_multi);
    RUN(verification_failures);
    RUN(certificate_with_bytes_after_its_end);
    RUN(certificate_with_a_malformed_date_in_pieces);
    RUN(certificate_larger_than_the_limit);
    RUN(names_and_ip_literals_that_match);
    RUN(pinned_public_key);
    RUN(insecure_mode_accepts_what_verification_refuses);
    RUN(a_clock_and_an_rng_of_the_programs);
    RUN(ca_sources);
    RUN(session_resumption);
    RUN(parallel_https_with_keepalive);
    RUN(large_https_body);
    RUN(one_perform_call_runs_a_bounded_number_of_handshakes);
    RUN(pause_with_decrypted_bytes_waiting);
    RUN(close_notify_rules);
    RUN(pooled_connections_close_with_close_notify);
    RUN(upload_and_redirect_over_https);
    RUN(tls_options);
    RUN(verified_chains_are_kept);
    RUN(state_changes_are_legal);
    return t_done("tls");
}
