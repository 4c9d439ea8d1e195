/* Portability: the engine through its public API only, with nothing but the
   C library around it, so that the same file runs natively on Linux, as a
   static musl binary, and as a Windows program (mingw-w64) under wine —
   against the same loopback faultserver and nginx that tests/run.sh starts
   (their ports come in MPT_FAULT_PORT and MPT_NGINX_PORT). */
#ifdef _WIN32
#include <winsock2.h> /* select() for the fdset test */
#else
#include <sys/select.h>
#endif
#ifndef MPERF_NO_TLS
#define MPERF_NO_TLS
#endif
#define MULTIPERFORM_IMPLEMENTATION
#include "../multiperform.h"
#include <time.h>
#include "t.h"
#include "portable.h"

static char *url(const char *env, const char *path)
{
    static char buf[8][512];
    static int k;
    char *b = buf[k++ % 8];
    snprintf(b, sizeof buf[0], "http://127.0.0.1:%d%s", port(env), path);
    return b;
}

/* One transfer on its own multi; bounded by iterations of a 100 ms wait.
   dns: DNS_SERVERS for the stub resolver (with the hosts file hosts, or
   none when that is NULL), or NULL. */
static mperf_code fetch_with(const char *u, long timeout_ms, body *b, const char *dns, const char *hosts)
{
    mperf_multi *m = mperf_multi_init();
    mperf_easy *e = mperf_easy_init();
    mperf_code rc = (mperf_code)-1;
    int running = 1, left, i;
    mperf_msg *msg;
    memset(b, 0, sizeof *b);
    if (dns) {
        mperf_multi_setopt(m, MPERF_MOPT_HOSTS_FILE, hosts ? hosts : "");
        if (mperf_easy_setopt(e, MPERF_OPT_DNS_SERVERS, dns) != MPERF_E_OK) rc = MPERF_E_BAD_FUNCTION_ARGUMENT;
    }
    mperf_easy_setopt(e, MPERF_OPT_URL, u);
    mperf_easy_setopt(e, MPERF_OPT_WRITEFUNCTION, on_data);
    mperf_easy_setopt(e, MPERF_OPT_WRITEDATA, b);
    mperf_easy_setopt(e, MPERF_OPT_TIMEOUT_MS, timeout_ms);
    mperf_multi_add_handle(m, e);
    for (i = 0; running && i < 300; i++) {
        if (mperf_multi_perform(m, &running) != MPERF_M_OK) break;
        while ((msg = mperf_multi_info_read(m, &left)) != NULL)
            if (msg->msg == MPERF_MSG_DONE) rc = msg->data.result;
        if (running) mperf_multi_poll(m, NULL, 0, 100, NULL);
    }
    mperf_multi_remove_handle(m, e);
    mperf_easy_cleanup(e);
    mperf_multi_cleanup(m);
    return rc;
}

static mperf_code fetch(const char *u, long timeout_ms, body *b)
{
    return fetch_with(u, timeout_ms, b, NULL, NULL);
}

TEST(a_name_through_the_stub_resolver)
{
    /* the system's resolver settings are read (resolv.conf; on Windows the
       adapters'), the question goes to the test's DNS server */
    char u[256], dns[64];
    body b;
    FILE *f;
    if (!port("MPT_DNS_PORT")) {
        printf("  (no DNS test server)\n");
        return;
    }
    snprintf(u, sizeof u, "http://v4.test:%d/gen/100000", port("MPT_FAULT_PORT"));
    snprintf(dns, sizeof dns, "127.0.0.1:%d", port("MPT_DNS_PORT"));
    CHECK_EQ_LONG(fetch_with(u, 20000, &b, dns, NULL), MPERF_E_OK);
    CHECK(b.len == 100000 && b.bad == 0);
    /* a hosts file of the program's, CRLF lines, read with the system's file
       calls: its name resolves with no server to ask */
    f = fopen("mpt-hosts.txt", "wb");
    CHECK(f != NULL);
    if (f) {
        fputs("# the test's\r\n127.0.0.2 other.test\r\n127.0.0.1\tfromfile.test\r\n", f);
        fclose(f);
    }
    snprintf(u, sizeof u, "http://fromfile.test:%d/gen/1000", port("MPT_FAULT_PORT"));
    CHECK_EQ_LONG(fetch_with(u, 20000, &b, "127.0.0.1:1", "mpt-hosts.txt"), MPERF_E_OK);
    CHECK(b.len == 1000 && b.bad == 0);
    snprintf(u, sizeof u, "http://notinfile.test:%d/gen/1000", port("MPT_FAULT_PORT"));
    CHECK_EQ_LONG(fetch_with(u, 20000, &b, "127.0.0.1:1", "mpt-hosts.txt"), MPERF_E_COULDNT_RESOLVE_HOST);
    remove("mpt-hosts.txt");
    snprintf(u, sizeof u, "http://trunc.test:%d/gen/1000", port("MPT_FAULT_PORT")); /* TCP after truncation */
    CHECK_EQ_LONG(fetch_with(u, 20000, &b, dns, NULL), MPERF_E_OK);
    CHECK(b.len == 1000 && b.bad == 0);
    snprintf(u, sizeof u, "http://nx.test:%d/gen/1000", port("MPT_FAULT_PORT"));
    CHECK_EQ_LONG(fetch_with(u, 20000, &b, dns, NULL), MPERF_E_COULDNT_RESOLVE_HOST);
}

TEST(get_with_length_and_chunked)
{
    body b;
    CHECK_EQ_LONG(fetch(url("MPT_FAULT_PORT", "/gen/200000"), 20000, &b), MPERF_E_OK);
    CHECK(b.len == 200000 && b.bad == 0);
    CHECK_EQ_LONG(fetch(url("MPT_FAULT_PORT", "/gen/200000?chunked=999"), 20000, &b), MPERF_E_OK);
    CHECK(b.len == 200000 && b.bad == 0);
    CHECK_EQ_LONG(fetch(url("MPT_FAULT_PORT", "/gen/50000?close=1"), 20000, &b), MPERF_E_OK);
    CHECK(b.len == 50000 && b.bad == 0);
}

TEST(parallel_keepalive_against_nginx)
{
    mperf_multi *m = mperf_multi_init();
    mperf_easy *e[8];
    body b[8];
    int i, k, running, left, done = 0;
    mperf_msg *msg;
    for (i = 0; i < 8; i++) {
        e[i] = mperf_easy_init();
        mperf_easy_setopt(e[i], MPERF_OPT_URL, url("MPT_NGINX_PORT", "/f/64k.bin"));
        mperf_easy_setopt(e[i], MPERF_OPT_WRITEFUNCTION, on_data);
        mperf_easy_setopt(e[i], MPERF_OPT_WRITEDATA, &b[i]);
    }
    for (k = 0; k < 3; k++) { /* three rounds: the second and third reuse the connections */
        for (i = 0; i < 8; i++) {
            memset(&b[i], 0, sizeof b[i]);
            mperf_multi_add_handle(m, e[i]);
        }
        running = 1;
        for (i = 0; running && i < 300; i++) {
            mperf_multi_perform(m, &running);
            while ((msg = mperf_multi_info_read(m, &left)) != NULL)
                if (msg->msg == MPERF_MSG_DONE && msg->data.result == MPERF_E_OK) done++;
            if (running) mperf_multi_poll(m, NULL, 0, 100, NULL);
        }
        for (i = 0; i < 8; i++) {
            CHECK(b[i].len == 65536 && b[i].bad == 0);
            mperf_multi_remove_handle(m, e[i]);
        }
    }
    CHECK_EQ_LONG(done, 24);
    for (i = 0; i < 8; i++) {
        long n = -1;
        mperf_easy_getinfo(e[i], MPERF_INFO_NUM_CONNECTS, &n);
        CHECK_EQ_LONG(n, 0); /* the last round made no new connection */
        mperf_easy_cleanup(e[i]);
    }
    mperf_multi_cleanup(m);
}

TEST(hostile_framing_and_errors)
{
    body b;
    CHECK_EQ_LONG(fetch(url("MPT_FAULT_PORT",
                            "/raw?pre=HTTP/1.1%20200%20OK%0D%0AContent-Length:%205%0D%0AContent-Length:%206%0D%0A%0D%0Ahello"),
                        20000, &b),
                  MPERF_E_WEIRD_SERVER_REPLY);
    CHECK_EQ_LONG(fetch(url("MPT_FAULT_PORT", "/close"), 20000, &b), MPERF_E_GOT_NOTHING);
    CHECK_EQ_LONG(fetch(url("MPT_FAULT_PORT", "/hang"), 500, &b), MPERF_E_OPERATION_TIMEDOUT);
    CHECK_EQ_LONG(fetch("http://127.0.0.1:1/", 5000, &b), MPERF_E_COULDNT_CONNECT);
    CHECK_EQ_LONG(fetch("ftp://127.0.0.1/", 5000, &b), MPERF_E_UNSUPPORTED_PROTOCOL);
}

TEST(wakeup_interrupts_a_long_poll)
{
    mperf_multi *m = mperf_multi_init();
    time_t t0 = time(NULL);
    CHECK_EQ_LONG(mperf_multi_wakeup(m), MPERF_M_OK);
    CHECK_EQ_LONG(mperf_multi_poll(m, NULL, 0, 10000, NULL), MPERF_M_OK);
    CHECK(time(NULL) - t0 < 5);
    mperf_multi_cleanup(m);
}

TEST(easy_perform_and_fdset_loop)
{
    mperf_easy *e = mperf_easy_init();
    mperf_multi *m = mperf_multi_init();
    body b;
    int running = 1, left, i, ok = 0;
    mperf_msg *msg;
    memset(&b, 0, sizeof b);
    mperf_easy_setopt(e, MPERF_OPT_URL, url("MPT_NGINX_PORT", "/f/64k.bin"));
    mperf_easy_setopt(e, MPERF_OPT_WRITEFUNCTION, on_data);
    mperf_easy_setopt(e, MPERF_OPT_WRITEDATA, &b);
    CHECK_EQ_LONG(mperf_easy_perform(e), MPERF_E_OK);
    CHECK(b.len == 65536 && b.bad == 0);
    memset(&b, 0, sizeof b);
    mperf_multi_add_handle(m, e);
    for (i = 0; running && i < 300; i++) { /* a select() loop over fdset, as older programs do */
        fd_set r, w, x;
        int maxfd = -1;
        long tmo = 0;
        struct timeval tv;
        mperf_multi_perform(m, &running);
        while ((msg = mperf_multi_info_read(m, &left)) != NULL) ok += msg->data.result == MPERF_E_OK;
        if (!running) break;
        FD_ZERO(&r);
        FD_ZERO(&w);
        FD_ZERO(&x);
        mperf_multi_fdset(m, &r, &w, &x, &maxfd);
        mperf_multi_timeout(m, &tmo);
        if (tmo < 0 || tmo > 100) tmo = 100;
        tv.tv_sec = 0;
        tv.tv_usec = tmo * 1000;
        if (maxfd >= 0) (void)select(maxfd + 1, &r, &w, &x, &tv);
    }
    CHECK_EQ_LONG(ok, 1);
    CHECK(b.len == 65536 && b.bad == 0);
    mperf_multi_remove_handle(m, e);
    mperf_easy_cleanup(e);
    mperf_multi_cleanup(m);
}

int main(void)
{
    if (!port("MPT_FAULT_PORT") || !port("MPT_NGINX_PORT")) {
        printf("FAIL - servers: MPT_FAULT_PORT and MPT_NGINX_PORT are not set\n");
        return 1;
    }
    RUN(get_with_length_and_chunked);
    RUN(parallel_keepalive_against_nginx);
    RUN(hostile_framing_and_errors);
    RUN(wakeup_interrupts_a_long_poll);
    RUN(easy_perform_and_fdset_loop);
    RUN(a_name_through_the_stub_resolver);
    return t_done("platforms");
}
