/* Allocation failure: each scenario runs once through a counting allocator
   to learn how many allocations it makes, then once more for every one of
   them with exactly that allocation failing. Every run must end (bounded),
   with success or an error result, never a wrong body, and with every
   allocation given back (counted here; ASan's LeakSanitizer and valgrind
   watch too). Runs against nginx and the faultserver from tests/run.sh. */
/* the state changes this suite must see (tests/transitions.h) */
#define MPT_MUST "S:INIT>DONE S:CONNECTING>DONE S:TLS>DONE S:SEND>RECV"
#include "transitions.h" /* before the header: it watches the state changes */
#define MULTIPERFORM_IMPLEMENTATION
#include "../multiperform.h"
#include "helpers.h"
#include "t.h"

typedef struct counter {
    long count;   /* allocations asked for */
    long fail_at; /* the one that fails (1-based), 0 for none */
    long live;    /* allocations not yet freed */
    long failed;  /* failures handed out */
} counter;

static void *c_alloc(size_t n, void *user)
{
    counter *c = (counter *)user;
    void *p;
    c->count++;
    if (c->count == c->fail_at) {
        c->failed++;
        return NULL;
    }
    p = malloc(n);
    if (p) c->live++;
    return p;
}

static void c_free(void *p, void *user)
{
    counter *c = (counter *)user;
    if (!p) return;
    c->live--;
    free(p);
}

/* One transfer of a scenario and what it must produce when it succeeds. */
typedef struct job {
    mperf_easy *e;
    sink body;
    size_t want; /* body bytes on success */
    int done, ok;
} job;

typedef struct scenario {
    const char *name;
    int njobs, rounds; /* transfers at once; rounds re-add the same handles (keep-alive) */
    int (*setup)(job *j, int i); /* 0 when an option could not be set (no memory) */
    int (*multi_setup)(mperf_multi *m); /* the same for the multi handle, or NULL */
} scenario;

static char url_64k[200], url_redirect[200], url_echo[200], url_tls[200], ca_path[300], url_named[200], url_digest[200],
    dns_servers[64], proxy_fault[64], proxy_auth[64], url_gzip[200];
static const char *post_body;
static size_t post_len;

static int setup_get(job *j, int i)
{
    (void)i;
    j->want = 65536;
    return mperf_easy_setopt(j->e, MPERF_OPT_URL, url_64k) == MPERF_E_OK;
}

static int setup_redirect(job *j, int i)
{
    (void)i;
    j->want = 65536;
    return mperf_easy_setopt(j->e, MPERF_OPT_URL, url_redirect) == MPERF_E_OK &&
           mperf_easy_setopt(j->e, MPERF_OPT_FOLLOWLOCATION, 1L) == MPERF_E_OK;
}

static int setup_upload(job *j, int i)
{
    (void)i;
    j->want = 0; /* the echo's length varies with the request head: checked by content */
    return mperf_easy_setopt(j->e, MPERF_OPT_URL, url_echo) == MPERF_E_OK &&
           mperf_easy_setopt(j->e, MPERF_OPT_POSTFIELDSIZE_LARGE, (mperf_off_t)post_len) == MPERF_E_OK &&
           mperf_easy_setopt(j->e, MPERF_OPT_COPYPOSTFIELDS, post_body) == MPERF_E_OK;
}

static int setup_tls(job *j, int i)
{
    (void)i;
    j->want = 65536;
    return mperf_easy_setopt(j->e, MPERF_OPT_URL, url_tls) == MPERF_E_OK &&
           mperf_easy_setopt(j->e, MPERF_OPT_CAINFO, ca_path) == MPERF_E_OK;
}

#if MPX_STUB
/* Two transfers sharing one query through the stub resolver, reading no
   file of the machine's (""). */
static int setup_named(job *j, int i)
{
    (void)i;
    j->want = 65536;
    return mperf_easy_setopt(j->e, MPERF_OPT_URL, url_named) == MPERF_E_OK &&
           mperf_easy_setopt(j->e, MPERF_OPT_DNS_SERVERS, dns_servers) == MPERF_E_OK;
}

static int setup_named_multi(mperf_multi *m)
{
    return mperf_multi_setopt(m, MPERF_MOPT_RESOLV_CONF, "") == MPERF_M_OK &&
           mperf_multi_setopt(m, MPERF_MOPT_HOSTS_FILE, "") == MPERF_M_OK;
}
#endif

/* Digest: a 401, then the answer (the fault server checks it). */
static int setup_digest(job *j, int i)
{
    (void)i;
    j->want = (size_t)-1;
    return mperf_easy_setopt(j->e, MPERF_OPT_URL, url_digest) == MPERF_E_OK &&
           mperf_easy_setopt(j->e, MPERF_OPT_USERPWD, "user:secret") == MPERF_E_OK &&
           mperf_easy_setopt(j->e, MPERF_OPT_HTTPAUTH, MPERF_AUTH_ANY) == MPERF_E_OK;
}

/* CONNECT_ONLY over TLS: connected, the handshake done, no body; the kept
   connection goes with the handle. */
static int setup_connect_only(job *j, int i)
{
    (void)i;
    j->want = (size_t)-2;
    return mperf_easy_setopt(j->e, MPERF_OPT_URL, url_tls) == MPERF_E_OK &&
           mperf_easy_setopt(j->e, MPERF_OPT_CAINFO, ca_path) == MPERF_E_OK &&
           mperf_easy_setopt(j->e, MPERF_OPT_CONNECT_ONLY, 1L) == MPERF_E_OK;
}

#if MPX_PROXY
/* Through the fault server as a forward proxy: the absolute form. */
static int setup_proxy_forward(job *j, int i)
{
    j->want = 1000 + (size_t)i;
    return mperf_easy_setopt(j->e, MPERF_OPT_URL, fmt("http://origin%d.test/gen/%d", i, 1000 + i)) == MPERF_E_OK &&
           mperf_easy_setopt(j->e, MPERF_OPT_PROXY, proxy_fault) == MPERF_E_OK;
}

/* Through tinyproxy asking for credentials: a 407 (closing), CONNECT again
   with Basic on a new connection, then TLS to the origin in the tunnel. */
static int setup_proxy_tunnel(job *j, int i)
{
    (void)i;
    j->want = 65536;
    return mperf_easy_setopt(j->e, MPERF_OPT_URL, url_tls) == MPERF_E_OK &&
           mperf_easy_setopt(j->e, MPERF_OPT_CAINFO, ca_path) == MPERF_E_OK &&
           mperf_easy_setopt(j->e, MPERF_OPT_PROXY, proxy_auth) == MPERF_E_OK &&
           mperf_easy_setopt(j->e, MPERF_OPT_PROXYUSERPWD, "user:s3cret") == MPERF_E_OK &&
           mperf_easy_setopt(j->e, MPERF_OPT_PROXYAUTH, (long)MPERF_AUTH_ANY) == MPERF_E_OK;
}
#endif

#if MPX_COOKIES
/* Cookies: set by a response, kept, sent with the next request (the echo). */
static int setup_cookies(job *j, int i)
{
    (void)i;
    j->want = (size_t)-3;
    return mperf_easy_setopt(j->e, MPERF_OPT_URL,
                             fmt("http://127.0.0.1:%d/redir?code=302&to=/echo", fault_port())) == MPERF_E_OK &&
           mperf_easy_setopt(j->e, MPERF_OPT_COOKIEFILE, "") == MPERF_E_OK &&
           mperf_easy_setopt(j->e, MPERF_OPT_COOKIELIST, "127.0.0.1\tFALSE\t/\tFALSE\t0\tfirst\t1") == MPERF_E_OK &&
           mperf_easy_setopt(j->e, MPERF_OPT_COOKIE, "own=2") == MPERF_E_OK &&
           mperf_easy_setopt(j->e, MPERF_OPT_FOLLOWLOCATION, 1L) == MPERF_E_OK;
}
#endif

#if MPX_DECODE
/* A gzip body from nginx's gzip module (chunked), decoded as it comes. */
static int setup_gzip(job *j, int i)
{
    (void)i;
    j->want = 65536;
    return mperf_easy_setopt(j->e, MPERF_OPT_URL, url_gzip) == MPERF_E_OK &&
           mperf_easy_setopt(j->e, MPERF_OPT_ACCEPT_ENCODING, "gzip") == MPERF_E_OK;
}
#endif

/* A successful job must have exactly the right body. */
static int body_right(const job *j)
{
    if (j->want == (size_t)-1) return j->body.len == 9 && memcmp(j->body.p, "digest ok", 9) == 0;
    if (j->want == (size_t)-2) return j->body.len == 0;
    if (j->want == (size_t)-3) return j->body.p && strstr(j->body.p, "\r\nCookie: first=1; own=2\r\n") != NULL;
    if (j->want) return sink_is_pattern(&j->body, j->want);
    return j->body.p && strstr(j->body.p, "body-length: 100000") != NULL;
}

/* Runs a scenario with allocation fail_at failing (0: none). Returns the
   allocations it made; *all_ok tells whether every transfer succeeded. */
static long run_scenario(const scenario *s, long fail_at, int *all_ok, int *sane)
{
    counter c;
    mperf_allocator al;
    mperf_multi *m;
    job jobs[8];
    int i, r, running = 1, left;
    double end;
    memset(&c, 0, sizeof c);
    memset(jobs, 0, sizeof jobs);
    c.fail_at = fail_at;
    al.alloc = c_alloc;
    al.free = c_free;
    al.user = &c;
    *all_ok = 1;
    *sane = 1;
    m = mperf_multi_init_alloc(&al);
    if (m && s->multi_setup && !s->multi_setup(m)) { /* out of memory: the machine's files are read instead */
        mperf_multi_cleanup(m);
        m = NULL;
    }
    for (i = 0; i < s->njobs; i++) {
        jobs[i].e = mperf_easy_init_alloc(&al);
        if (!jobs[i].e) continue;
        mperf_easy_setopt(jobs[i].e, MPERF_OPT_WRITEFUNCTION, sink_write);
        mperf_easy_setopt(jobs[i].e, MPERF_OPT_WRITEDATA, &jobs[i].body);
        mperf_easy_setopt(jobs[i].e, MPERF_OPT_PRIVATE, &jobs[i]);
        mperf_easy_setopt(jobs[i].e, MPERF_OPT_TIMEOUT_MS, 20000L);
        if (!s->setup(&jobs[i], i)) { /* out of memory in setopt: this transfer is off */
            mperf_easy_cleanup(jobs[i].e);
            jobs[i].e = NULL;
        }
    }
    for (r = 0; r < s->rounds && m; r++) {
        int added = 0;
        for (i = 0; i < s->njobs; i++) {
            jobs[i].done = jobs[i].ok = 0;
            sink_free(&jobs[i].body);
            if (jobs[i].e && mperf_multi_add_handle(m, jobs[i].e) == MPERF_M_OK) added++;
        }
        end = mono_ms() + 30000;
        running = 1;
        while (running && mono_ms() < end) {
            mperf_msg *msg;
            if (mperf_multi_perform(m, &running) != MPERF_M_OK) break;
            while ((msg = mperf_multi_info_read(m, &left)) != NULL) {
                job *j = NULL;
                if (msg->msg != MPERF_MSG_DONE) continue;
                mperf_easy_getinfo(msg->easy_handle, MPERF_INFO_PRIVATE, (char **)&j);
                j->done++;
                j->ok = msg->data.result == MPERF_E_OK;
                if (j->ok && !body_right(j)) { /* a wrong body reported as success */
                    printf("  %s, allocation %ld failing: success with a wrong body\n", s->name, fail_at);
                    *sane = 0;
                }
                if (!j->ok && msg->data.result != MPERF_E_OUT_OF_MEMORY) { /* only memory may fail */
                    printf("  %s, allocation %ld failing: result %d (%s)\n", s->name, fail_at, (int)msg->data.result,
                           mperf_easy_strerror(msg->data.result));
                    *sane = 0;
                }
            }
            if (running && mperf_multi_poll(m, NULL, 0, 200, NULL) != MPERF_M_OK) break;
        }
        if (running) { /* did not finish in time */
            printf("  %s, allocation %ld failing: still running after 30 s\n", s->name, fail_at);
            *sane = 0;
        }
        for (i = 0; i < s->njobs; i++) {
            if (!jobs[i].e) continue;
            if (jobs[i].done > 1) *sane = 0; /* one message per transfer */
            if (!jobs[i].ok) *all_ok = 0;
            mperf_multi_remove_handle(m, jobs[i].e);
        }
        if (added < s->njobs) *all_ok = 0;
    }
    if (!m) *all_ok = 0;
    for (i = 0; i < s->njobs; i++) {
        if (jobs[i].e) mperf_easy_cleanup(jobs[i].e);
        else *all_ok = 0;
        sink_free(&jobs[i].body);
    }
    mperf_multi_cleanup(m);
    if (c.live != 0) {
        printf("  %s, allocation %ld failing: %ld allocations not freed\n", s->name, fail_at, c.live);
        *sane = 0;
    }
    return c.count;
}

static void sweep(const scenario *s)
{
    int all_ok, sane;
    long n = run_scenario(s, 0, &all_ok, &sane), k, failures = 0, successes = 0;
    CHECKF(all_ok && sane, "%s does not succeed without failures", s->name);
    CHECKF(n > 0, "%s made no allocation", s->name);
    for (k = 1; k <= n; k++) {
        (void)run_scenario(s, k, &all_ok, &sane);
        CHECKF(sane, "%s, allocation %ld of %ld failing: a hang, a leak, a wrong body or a wrong error", s->name, k, n);
        if (all_ok) successes++;
        else failures++;
    }
    /* most failures must show; an allocation whose failure is absorbed (a
       cache that is only an optimisation) may still let the transfers succeed */
    CHECKF(failures > 0, "%s: no failed allocation was ever reported", s->name);
    printf("  %s: %ld allocations, each failed in turn: %ld runs ended in an error, %ld still succeeded\n", s->name, n,
           failures, successes);
}

static const scenario s_get = {"single GET", 1, 1, setup_get, NULL};
static const scenario s_parallel = {"parallel keep-alive GETs (8 at once, twice)", 8, 2, setup_get, NULL};
static const scenario s_redirect = {"redirect", 1, 1, setup_redirect, NULL};
static const scenario s_upload = {"upload (POST, copied body)", 1, 1, setup_upload, NULL};
static const scenario s_tls = {"TLS handshake and GET", 1, 1, setup_tls, NULL};
#ifndef MPERF_NO_TLS
static const scenario s_connect_only = {"CONNECT_ONLY over TLS, twice", 1, 2, setup_connect_only, NULL};
#endif
static const scenario s_digest = {"Digest: a 401, then the answer, twice on the same handles", 2, 2, setup_digest, NULL};
#if MPX_COOKIES
static const scenario s_cookies = {"cookies kept and sent, twice on the same handles", 2, 2, setup_cookies, NULL};
#endif
#if MPX_DECODE
static const scenario s_gzip = {"two gzip bodies decoded at once, twice", 2, 2, setup_gzip, NULL};
#endif
#if MPX_PROXY
static const scenario s_proxy_forward = {"two origins through one forward proxy, twice", 2, 2, setup_proxy_forward, NULL};
static const scenario s_proxy_tunnel = {"a proxy's 407, then a tunnel and TLS through it", 1, 1, setup_proxy_tunnel, NULL};
#endif
#if MPX_STUB
static const scenario s_named = {"two GETs of one name through the stub resolver", 2, 1, setup_named, setup_named_multi};
#endif

TEST(single_get) { sweep(&s_get); }
TEST(parallel_keepalive_gets) { sweep(&s_parallel); }
TEST(redirect) { sweep(&s_redirect); }
TEST(digest) { sweep(&s_digest); }
TEST(connect_only)
{
#ifdef MPERF_NO_TLS
    printf("  (built without TLS)\n");
#else
    sweep(&s_connect_only);
#endif
}
TEST(upload) { sweep(&s_upload); }
TEST(cookies)
{
#if MPX_COOKIES
    sweep(&s_cookies);
#else
    printf("  (built without cookies)\n");
#endif
}
TEST(compressed_bodies)
{
#if MPX_DECODE
    sweep(&s_gzip);
#else
    printf("  (built without decoding)\n");
#endif
}
TEST(proxies)
{
#if MPX_PROXY
    sweep(&s_proxy_forward);
#if MPX_TLS
    if (proxy_auth[0]) sweep(&s_proxy_tunnel);
    else printf("  (tinyproxy did not start: the tunnel is not swept)\n");
#endif
#else
    printf("  (built without proxies)\n");
#endif
}
TEST(tls_handshake)
{
#ifdef MPERF_NO_TLS
    printf("  (built without TLS)\n");
#else
    sweep(&s_tls);
#endif
}

TEST(name_through_the_stub_resolver)
{
#if MPX_STUB
    sweep(&s_named);
#else
    printf("  (built with the system's resolver)\n");
#endif
}

/* ---- an allocator with a fixed budget, as on a device ---- */
typedef struct capped {
    size_t cap, live, peak;
    long refused;
} capped;

static void *cap_alloc(size_t n, void *user)
{
    capped *c = (capped *)user;
    size_t *p;
    if (c->live + n > c->cap) {
        c->refused++;
        return NULL;
    }
    p = (size_t *)malloc(n + sizeof(size_t) * 2);
    if (!p) return NULL;
    p[0] = n;
    c->live += n;
    if (c->live > c->peak) c->peak = c->live;
    return p + 2;
}

static void cap_free(void *q, void *user)
{
    capped *c = (capped *)user;
    size_t *p = (size_t *)q;
    if (!q) return;
    c->live -= p[-2];
    free(p - 2);
}

TEST(a_long_body_within_a_200_kb_budget)
{
    /* a long body would rather read into a 256 KiB buffer; with no room for
       one it stays on the usual buffer and the transfer succeeds */
    capped c;
    mperf_allocator al;
    mperf_multi *m;
    mperf_easy *e;
    job j;
    int running = 1, left, i;
    mperf_msg *msg;
    mperf_code rc = (mperf_code)-1;
    memset(&c, 0, sizeof c);
    memset(&j, 0, sizeof j);
    c.cap = 200 * 1000;
    al.alloc = cap_alloc;
    al.free = cap_free;
    al.user = &c;
    m = mperf_multi_init_alloc(&al);
    e = mperf_easy_init_alloc(&al);
    CHECK(m && e);
    if (!m || !e) return;
    j.want = 3000000;
    mperf_easy_setopt(e, MPERF_OPT_URL, fmt("http://127.0.0.1:%d/gen/3000000", fault_port()));
    mperf_easy_setopt(e, MPERF_OPT_WRITEFUNCTION, sink_write);
    mperf_easy_setopt(e, MPERF_OPT_WRITEDATA, &j.body);
    mperf_multi_add_handle(m, e);
    for (i = 0; running && i < 100000; i++) {
        mperf_multi_perform(m, &running);
        while ((msg = mperf_multi_info_read(m, &left)) != NULL) rc = msg->data.result;
        if (running) mperf_multi_poll(m, NULL, 0, 200, NULL);
    }
    CHECK_EQ_LONG(rc, MPERF_E_OK);
    CHECK(sink_is_pattern(&j.body, 3000000));
    printf("  3 MB body with a 200 KB budget: peak %zu bytes, %ld allocations refused\n", c.peak, c.refused);
    CHECK(c.refused > 0 || MPERF_BIGBUF == 0); /* the big buffer was asked for and refused */
    CHECK(c.peak <= c.cap);
    mperf_multi_remove_handle(m, e);
    mperf_easy_cleanup(e);
    mperf_multi_cleanup(m);
    sink_free(&j.body);
    CHECK_EQ_LONG(c.live, 0);
}

TEST(state_changes_are_legal)
{
    CHECK(mpt_check_transitions(MPT_MUST) == 0);
}

int main(void)
{
    static char body[100000];
    size_t i;
    const char *pki = getenv("MPT_PKI");
    for (i = 0; i < sizeof body; i++) body[i] = (char)('a' + i % 26);
    post_body = body;
    post_len = sizeof body;
    snprintf(url_64k, sizeof url_64k, "http://127.0.0.1:%d/f/64k.bin", nginx_port());
    snprintf(url_digest, sizeof url_digest, "http://127.0.0.1:%d/digest?alg=SHA-256", fault_port());
    snprintf(url_redirect, sizeof url_redirect, "http://127.0.0.1:%d/redir?code=302&to=%s", fault_port(),
             pct(url_64k));
    snprintf(url_echo, sizeof url_echo, "http://127.0.0.1:%d/echo", fault_port());
    snprintf(url_tls, sizeof url_tls, "https://localhost:%d/f/64k.bin", env_int("MPT_TLS_PORT"));
    snprintf(ca_path, sizeof ca_path, "%s/ca.pem", pki ? pki : ".");
    snprintf(url_named, sizeof url_named, "http://v4.test:%d/f/64k.bin", nginx_port());
    snprintf(dns_servers, sizeof dns_servers, "127.0.0.1:%d", env_int("MPT_DNS_PORT"));
    snprintf(proxy_fault, sizeof proxy_fault, "127.0.0.1:%d", fault_port());
    snprintf(url_gzip, sizeof url_gzip, "http://127.0.0.1:%d/gz/f/64k.bin", nginx_port());
    if (getenv("MPT_TINYPROXY_AUTH_PORT") && *getenv("MPT_TINYPROXY_AUTH_PORT"))
        snprintf(proxy_auth, sizeof proxy_auth, "127.0.0.1:%s", getenv("MPT_TINYPROXY_AUTH_PORT"));
    RUN(single_get);
    RUN(parallel_keepalive_gets);
    RUN(redirect);
    RUN(digest);
    RUN(connect_only);
    RUN(upload);
    RUN(compressed_bodies);
    RUN(cookies);
    RUN(proxies);
    RUN(tls_handshake);
    RUN(name_through_the_stub_resolver);
    RUN(a_long_body_within_a_200_kb_budget);
    RUN(state_changes_are_legal);
    return t_done("allocation failure");
}
