/* HTTP proxies, against tinyproxy, squid and the fault server acting as a
   proxy (tests/run.sh starts them; a test whose proxy did not start says so
   and fails). What libcurl does the same way is compared in
   tests/differential.c; this suite checks what the trace there cannot show:
   which connections the pool shares, that TLS through a tunnel is verified
   against the origin, that credentials for the proxy stay with the proxy,
   bounded waits on a silent proxy, hostile answers to CONNECT, and
   transfers through proxies side by side on one multi handle. */
/* the state changes this suite must see (tests/transitions.h) */
#define MPT_MUST "S:CONNECTING>TUNNEL S:TUNNEL>TLS S:TUNNEL>SEND S:TUNNEL>CONNECT S:TUNNEL>DONE"
#include "transitions.h" /* before the header: it watches the state changes */
#define MULTIPERFORM_IMPLEMENTATION
#include <curl/curl.h>
#include "helpers.h"
#include "t.h"

static char ca[300];

/* A proxy's "127.0.0.1:port" from the environment (in storage of its own,
   not fmt's ring); NULL (and a failed check) when it did not start. */
static const char *proxy(const char *var)
{
    static char at[3][64];
    const char *p = getenv(var);
    char *b = at[strstr(var, "SQUID") ? 0 : strstr(var, "AUTH") ? 1 : 2];
    CHECKF(p && *p, "%s is set: the proxy started (tests/servers.sh)", var);
    if (!p || !*p) return NULL;
    snprintf(b, sizeof at[0], "127.0.0.1:%s", p);
    return b;
}

static const char *fault_proxy(void)
{
    static char b[64];
    snprintf(b, sizeof b, "127.0.0.1:%d", fault_port());
    return b;
}

static const char *tls_url(const char *host, const char *port_var, const char *path)
{
    return fmt("https://%s:%d%s", host, env_int(port_var), path);
}

/* One transfer through proxy px. */
static CURLcode via(xfer *x, const char *url, const char *px)
{
    xfer_init(x, url);
    curl_easy_setopt(x->h, CURLOPT_PROXY, px);
    curl_easy_setopt(x->h, CURLOPT_CAINFO, ca);
    return run(x);
}

TEST(plain_and_tunnelled_transfers_through_tinyproxy_and_squid)
{
    static const char *const vars[] = {"MPT_TINYPROXY_PORT", "MPT_SQUID_PORT"};
    size_t i;
    for (i = 0; i < 2; i++) {
        const char *px = proxy(vars[i]);
        xfer x;
        if (!px) continue;
        /* http: the absolute form to the proxy, the body as the origin sent it */
        CHECK_EQ_LONG(via(&x, fmt("http://127.0.0.1:%d/gen/300000", fault_port()), px), CURLE_OK);
        CHECK(sink_is_pattern(&x.body, 300000));
        CHECK_EQ_LONG(info_long(x.h, CURLINFO_HTTP_CONNECTCODE), 0);
        CHECK_EQ_LONG(info_long(x.h, CURLINFO_PRIMARY_PORT), atol(strchr(px, ':') + 1)); /* the proxy's */
        xfer_free(&x);
        /* https: CONNECT, then TLS with the origin inside the tunnel */
        CHECK_EQ_LONG(via(&x, tls_url("localhost", "MPT_TLS_PORT", "/f/64k.bin"), px), CURLE_OK);
        CHECK(sink_is_pattern(&x.body, 65536));
        CHECK_EQ_LONG(info_long(x.h, CURLINFO_HTTP_CONNECTCODE), 200);
        CHECK_EQ_LONG(code_of(x.h), 200);
        CHECK(strstr(x.head.p, "HTTP/1.1 200 OK") != NULL);
        xfer_free(&x);
    }
}

TEST(tls_through_a_tunnel_is_verified_against_the_origin)
{
    const char *px = proxy("MPT_TINYPROXY_PORT");
    xfer x;
    if (!px) return;
    CHECK_EQ_LONG(via(&x, tls_url("localhost", "MPT_TLS_WRONG_PORT", "/f/1k.bin"), px), CURLE_PEER_FAILED_VERIFICATION);
    CHECK_EQ_LONG(info_long(x.h, CURLINFO_HTTP_CONNECTCODE), 200); /* the tunnel was up: TLS refused the origin */
    CHECK_EQ_LONG(x.body.len, 0);
    xfer_free(&x);
    /* the certificate lists localhost and 127.0.0.1; this server's has no address in it */
    CHECK_EQ_LONG(via(&x, tls_url("127.0.0.1", "MPT_TLS_NOIP_PORT", "/f/1k.bin"), px), CURLE_PEER_FAILED_VERIFICATION);
    xfer_free(&x);
    CHECK_EQ_LONG(via(&x, tls_url("127.0.0.1", "MPT_TLS_PORT", "/f/1k.bin"), px), CURLE_OK);
    CHECK(sink_is_pattern(&x.body, 1024));
    xfer_free(&x);
}

/* n transfers of urls[i] in turn on one multi handle (one pool); each
   one's NUM_CONNECTS into conns[i]. */
static void in_turn(const char *const *urls, const char *const *proxies, long *conns, int n)
{
    CURLM *m = curl_multi_init();
    int i;
    for (i = 0; i < n; i++) {
        xfer x;
        xfer_init(&x, urls[i]);
        if (proxies[i]) curl_easy_setopt(x.h, CURLOPT_PROXY, proxies[i]);
        curl_easy_setopt(x.h, CURLOPT_CAINFO, ca);
        CHECKF(run_on(m, &x) == CURLE_OK, "transfer %d: %s", i, x.err);
        conns[i] = info_long(x.h, CURLINFO_NUM_CONNECTS);
        xfer_free(&x);
    }
    curl_multi_cleanup(m);
}

TEST(the_pool_keys_connections_by_proxy)
{
    const char *fp = fault_proxy(), *tiny = proxy("MPT_TINYPROXY_PORT"), *squid = proxy("MPT_SQUID_PORT");
    long c[4];
    fstats a, b;
    if (!tiny || !squid) return;
    { /* forward: one connection to the proxy serves every origin */
        const char *const urls[] = {"http://one.test/gen/10", "http://two.test:81/gen/20", "http://one.test/gen/30"};
        const char *const px[] = {fp, fp, fp};
        a = fault_stats(0);
        in_turn(urls, px, c, 3);
        b = fault_stats(0);
        CHECK_EQ_LONG(c[0], 1);
        CHECK_EQ_LONG(c[1], 0);
        CHECK_EQ_LONG(c[2], 0);
        CHECK_EQ_LONG(b.conns - a.conns - 1, 1); /* (the stats call is one) */
    }
    { /* direct and through a proxy: never the same connection */
        const char *const urls[] = {fmt("http://127.0.0.1:%d/gen/10", fault_port()),
                                    fmt("http://127.0.0.1:%d/gen/10", fault_port()),
                                    fmt("http://127.0.0.1:%d/gen/10", fault_port())};
        const char *const px[] = {NULL, fp, NULL};
        in_turn(urls, px, c, 3);
        CHECK_EQ_LONG(c[0], 1);
        CHECK_EQ_LONG(c[1], 1);
        CHECK_EQ_LONG(c[2], 0);
    }
    { /* a tunnel belongs to its origin and its proxy */
        const char *const urls[] = {tls_url("localhost", "MPT_TLS_PORT", "/f/1k.bin"),
                                    tls_url("localhost", "MPT_TLS_PORT", "/f/1k.bin"),
                                    tls_url("127.0.0.1", "MPT_TLS_PORT", "/f/1k.bin"),
                                    tls_url("localhost", "MPT_TLS_PORT", "/f/1k.bin")};
        const char *const px[] = {tiny, tiny, tiny, squid};
        in_turn(urls, px, c, 4);
        CHECK_EQ_LONG(c[0], 1);
        CHECK_EQ_LONG(c[1], 0);
        CHECK_EQ_LONG(c[2], 1);
        CHECK_EQ_LONG(c[3], 1);
    }
    { /* the proxy's credentials are part of the key */
        CURLM *m = curl_multi_init();
        xfer x, y;
        xfer_init(&x, "http://one.test/gen/10");
        curl_easy_setopt(x.h, CURLOPT_PROXY, fp);
        xfer_init(&y, "http://one.test/gen/10");
        curl_easy_setopt(y.h, CURLOPT_PROXY, fp);
        curl_easy_setopt(y.h, CURLOPT_PROXYUSERPWD, "someone:else");
        CHECK_EQ_LONG(run_on(m, &x), CURLE_OK);
        CHECK_EQ_LONG(run_on(m, &y), CURLE_OK);
        CHECK_EQ_LONG(info_long(y.h, CURLINFO_NUM_CONNECTS), 1);
        xfer_free(&x);
        xfer_free(&y);
        curl_multi_cleanup(m);
    }
}

TEST(proxy_credentials_stay_with_the_proxy)
{
    xfer x;
    /* through the fault server's "tunnel" to itself: the origin's /echo shows the request it got */
    xfer_init(&x, "http://origin.test/echo");
    curl_easy_setopt(x.h, CURLOPT_PROXY, fault_proxy());
    curl_easy_setopt(x.h, CURLOPT_HTTPPROXYTUNNEL, 1L);
    curl_easy_setopt(x.h, CURLOPT_PROXYUSERPWD, "user:s3cret");
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK(x.body.p && strstr(x.body.p, "GET /echo HTTP/1.1") != NULL);
    CHECK(x.body.p && strstr(x.body.p, "roxy-") == NULL); /* no Proxy-Authorization, no Proxy-Connection */
    xfer_free(&x);
    /* asked for with a 407 that closes: again on a new connection, with them */
    xfer_init(&x, "http://authclose.test/echo");
    curl_easy_setopt(x.h, CURLOPT_PROXY, fault_proxy());
    curl_easy_setopt(x.h, CURLOPT_HTTPPROXYTUNNEL, 1L);
    curl_easy_setopt(x.h, CURLOPT_PROXYUSERPWD, "user:s3cret");
    curl_easy_setopt(x.h, CURLOPT_PROXYAUTH, (long)CURLAUTH_ANY);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK_EQ_LONG(info_long(x.h, CURLINFO_NUM_CONNECTS), 2);
    CHECK(x.body.p && strstr(x.body.p, "roxy-") == NULL);
    xfer_free(&x);
    /* a proxy header with CR or LF in it: refused before anything is sent */
    {
        struct curl_slist *l = curl_slist_append(NULL, "X-A: 1\r\nX-Injected: 2");
        fstats a = fault_stats(0), b;
        xfer_init(&x, "http://origin.test/echo");
        curl_easy_setopt(x.h, CURLOPT_PROXY, fault_proxy());
        curl_easy_setopt(x.h, CURLOPT_HTTPPROXYTUNNEL, 1L);
        curl_easy_setopt(x.h, CURLOPT_PROXYHEADER, l);
        CHECK_EQ_LONG(run(&x), CURLE_BAD_FUNCTION_ARGUMENT);
        b = fault_stats(0);
        CHECK_EQ_LONG(b.reqs - a.reqs - 1, 0);
        xfer_free(&x);
        curl_slist_free_all(l);
    }
}

TEST(a_silent_proxy_ends_at_the_connect_timeout)
{
    xfer x;
    double t0 = mono_ms(), took;
    xfer_init(&x, "http://slow.test/");
    curl_easy_setopt(x.h, CURLOPT_PROXY, fault_proxy());
    curl_easy_setopt(x.h, CURLOPT_HTTPPROXYTUNNEL, 1L);
    curl_easy_setopt(x.h, CURLOPT_CONNECTTIMEOUT_MS, 400L);
    CHECK_EQ_LONG(run(&x), CURLE_OPERATION_TIMEDOUT);
    took = mono_ms() - t0;
    CHECKF(took >= 350 && took < 10000, "ended after %.0f ms", took);
    xfer_free(&x);
}

TEST(hostile_answers_to_connect)
{
    static const struct {
        const char *host;
        CURLcode want;
        long code;
    } cases[] = {{"deny.test", CURLE_RECV_ERROR, 403},  {"close.test", CURLE_RECV_ERROR, 0},
                 {"half.test", CURLE_RECV_ERROR, 0},    {"extra.test", CURLE_RECV_ERROR, 200},
                 {"longline.test", CURLE_RECV_ERROR, 200}, {"badstatus.test", CURLE_WEIRD_SERVER_REPLY, 0}};
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        xfer x;
        xfer_init(&x, fmt("http://%s/echo", cases[i].host));
        curl_easy_setopt(x.h, CURLOPT_PROXY, fault_proxy());
        curl_easy_setopt(x.h, CURLOPT_HTTPPROXYTUNNEL, 1L);
        CHECKF(run(&x) == cases[i].want, "%s: result %d (%s)", cases[i].host, (int)x.result, x.err);
        CHECKF(info_long(x.h, CURLINFO_HTTP_CONNECTCODE) == cases[i].code, "%s: CONNECT code %ld", cases[i].host,
               info_long(x.h, CURLINFO_HTTP_CONNECTCODE));
        CHECKF(x.body.len == 0, "%s: no body", cases[i].host);
        CHECKF(x.err[0] != 0, "%s: a message", cases[i].host);
        xfer_free(&x);
    }
}

TEST(names_and_refusals_as_libcurl_reports_them)
{
    xfer x;
    /* a proxy name with no address: COULDNT_RESOLVE_PROXY, not _HOST */
    xfer_init(&x, "http://origin.test/");
    curl_easy_setopt(x.h, CURLOPT_PROXY, "http://nx.test:3128"); /* (the test DNS server: no such name) */
    curl_easy_setopt(x.h, CURLOPT_DNS_SERVERS, fmt("127.0.0.1:%d", env_int("MPT_DNS_PORT")));
    CHECK_EQ_LONG(run(&x), CURLE_COULDNT_RESOLVE_PROXY);
    CHECK(strstr(x.err, "Could not resolve proxy: nx.test") != NULL);
    xfer_free(&x);
    /* nothing listening */
    xfer_init(&x, "https://origin.test/");
    curl_easy_setopt(x.h, CURLOPT_PROXY, "127.0.0.1:1");
    CHECK_EQ_LONG(run(&x), CURLE_COULDNT_CONNECT);
    xfer_free(&x);
    /* kinds of proxy that are not built in: refused, nothing sent */
    xfer_init(&x, "http://origin.test/");
    curl_easy_setopt(x.h, CURLOPT_PROXY, fmt("socks5h://%s", fault_proxy()));
    CHECK_EQ_LONG(run(&x), CURLE_NOT_BUILT_IN);
    CHECK_EQ_LONG(info_long(x.h, CURLINFO_NUM_CONNECTS), 0);
    curl_easy_setopt(x.h, CURLOPT_PROXY, fmt("https://%s", fault_proxy()));
    CHECK_EQ_LONG(run(&x), CURLE_NOT_BUILT_IN);
    curl_easy_setopt(x.h, CURLOPT_PROXY, fault_proxy());
    CHECK_EQ_LONG(curl_easy_setopt(x.h, CURLOPT_PROXYTYPE, (long)CURLPROXY_SOCKS4), CURLE_NOT_BUILT_IN);
    CHECK_EQ_LONG(run(&x), CURLE_NOT_BUILT_IN); /* held back until it is set off again */
    CHECK_EQ_LONG(curl_easy_setopt(x.h, CURLOPT_PROXYTYPE, (long)CURLPROXY_HTTP), CURLE_OK);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    xfer_free(&x);
    /* CONNECT_TO or a unix socket with a proxy: not built in rather than one of them silently unused */
    {
        struct curl_slist *l = curl_slist_append(NULL, "origin.test:80:127.0.0.1:1");
        xfer_init(&x, "http://origin.test/");
        curl_easy_setopt(x.h, CURLOPT_PROXY, fault_proxy());
        curl_easy_setopt(x.h, CURLOPT_CONNECT_TO, l);
        CHECK_EQ_LONG(run(&x), CURLE_NOT_BUILT_IN);
        xfer_free(&x);
        curl_slist_free_all(l);
    }
}

TEST(the_environment_as_libcurl_reads_it)
{
    static const struct {
        const char *var, *url;
        int through; /* 1: through the proxy the variable names */
    } cases[] = {{"http_proxy", "/echo", 1},  {"HTTP_PROXY", "/echo", 0},  {"all_proxy", "/echo", 1},
                 {"ALL_PROXY", "/echo", 1},   {"https_proxy", "/echo", 0}, {"http_proxy", "/echo?noproxy", 0}};
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        xfer x;
        struct curl_slist *l = curl_slist_append(NULL, fmt("env.test:%d:127.0.0.1", fault_port()));
        setenv(cases[i].var, fault_proxy(), 1);
        if (strstr(cases[i].url, "noproxy")) setenv("NO_PROXY", ".test", 1);
        xfer_init(&x, fmt("http://env.test:%d%s", fault_port(), cases[i].url));
        curl_easy_setopt(x.h, CURLOPT_RESOLVE, l); /* direct: to the fault server too */
        CHECKF(run(&x) == CURLE_OK, "%s: %s", cases[i].var, x.err);
        CHECKF(x.body.p && (strstr(x.body.p, "GET http://env.test:") != NULL) == cases[i].through,
               "%s: %s the proxy", cases[i].var, cases[i].through ? "through" : "not through");
        unsetenv(cases[i].var);
        unsetenv("NO_PROXY");
        xfer_free(&x);
        curl_slist_free_all(l);
    }
}

TEST(side_by_side_on_one_multi_handle)
{
    /* 24 transfers at once: through tinyproxy (https), squid (http and https), the fault server (forward), direct */
    const char *tiny = proxy("MPT_TINYPROXY_PORT"), *squid = proxy("MPT_SQUID_PORT");
    CURLM *m = curl_multi_init();
    xfer x[24];
    int i, running = 1, left, done = 0;
    double end = mono_ms() + 60000;
    CURLMsg *msg;
    if (!tiny || !squid) return;
    for (i = 0; i < 24; i++) {
        const char *url = i % 4 == 0   ? tls_url("localhost", "MPT_TLS_PORT", "/f/64k.bin")
                          : i % 4 == 1 ? fmt("http://127.0.0.1:%d/gen/%d", fault_port(), 65536)
                          : i % 4 == 2 ? fmt("http://far%d.test/gen/%d", i, 65536)
                                       : fmt("http://127.0.0.1:%d/f/64k.bin", nginx_port());
        xfer_init(&x[i], url);
        curl_easy_setopt(x[i].h, CURLOPT_CAINFO, ca);
        curl_easy_setopt(x[i].h, CURLOPT_PROXY, i % 4 == 0 ? (i % 8 ? tiny : squid)
                                                : i % 4 == 1 ? squid
                                                : i % 4 == 2 ? fault_proxy()
                                                             : "");
        curl_easy_setopt(x[i].h, CURLOPT_PRIVATE, &x[i]);
        curl_multi_add_handle(m, x[i].h);
    }
    while (running && mono_ms() < end) {
        curl_multi_perform(m, &running);
        while ((msg = curl_multi_info_read(m, &left)) != NULL) {
            xfer *t = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
            CHECKF(msg->data.result == CURLE_OK, "a transfer failed: %s", t->err);
            CHECK(sink_is_pattern(&t->body, 65536));
            done++;
        }
        if (running) curl_multi_poll(m, NULL, 0, 200, NULL);
    }
    CHECK_EQ_LONG(done, 24);
    for (i = 0; i < 24; i++) {
        curl_multi_remove_handle(m, x[i].h);
        xfer_free(&x[i]);
    }
    curl_multi_cleanup(m);
}

TEST(state_changes_are_legal)
{
    CHECK(mpt_check_transitions(MPT_MUST) == 0);
}

int main(void)
{
    const char *pki = getenv("MPT_PKI");
    snprintf(ca, sizeof ca, "%s/ca.pem", pki ? pki : ".");
    RUN(plain_and_tunnelled_transfers_through_tinyproxy_and_squid);
    RUN(tls_through_a_tunnel_is_verified_against_the_origin);
    RUN(the_pool_keys_connections_by_proxy);
    RUN(proxy_credentials_stay_with_the_proxy);
    RUN(a_silent_proxy_ends_at_the_connect_timeout);
    RUN(hostile_answers_to_connect);
    RUN(names_and_refusals_as_libcurl_reports_them);
    RUN(the_environment_as_libcurl_reads_it);
    RUN(side_by_side_on_one_multi_handle);
    RUN(state_changes_are_legal);
    return t_done("proxy");
}
