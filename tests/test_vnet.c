/* The test transport with a virtual clock (MPERF_TEST_TRANSPORT): the
   engine's timing behaviours run deterministically on it, beside their
   real-socket versions in test_http.c and test_multi.c: total and connect
   timeouts, the low-speed limit, expect-100, happy eyeballs, plus errors,
   redirects, reuse and a program's own retry loop. Each check of a time is
   exact to the millisecond (the clock only moves when the engine waits);
   the one wall-clock bound is a generous ceiling that proves no wait slept.
   Also: the transport option's rules (set before the first transfer, a
   whole table, routing options refused). No socket is opened here. */
#define MPERF_TEST_TRANSPORT
#define MULTIPERFORM_IMPLEMENTATION
#include "../multiperform.h"
#include "t.h"

static double wall_ms(void)
{
    return (double)mpx_now_us() / 1000.0; /* the system's monotonic clock */
}

typedef struct got {
    char body[4096];
    size_t len;
} got;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    got *g = (got *)ud;
    size_t k = size * n, room = sizeof g->body - 1 - g->len;
    memcpy(g->body + g->len, p, k < room ? k : room);
    g->len += k < room ? k : room;
    g->body[g->len] = 0;
    return size * n;
}

typedef struct run {
    mperf_vnet *net;
    mperf_multi *m;
    mperf_easy *e;
    got g;
    mperf_code rc;
    long code;
    int64_t started_us; /* the virtual clock when the transfer was added */
    double elapsed_ms;  /* virtual, from add to the completion message */
} run;

static void run_init(run *r, mperf_vnet *net, const char *url)
{
    memset(r, 0, sizeof *r);
    r->net = net;
    r->m = mperf_multi_init();
    mperf_multi_setopt(r->m, MPERF_MOPT_TRANSPORT, mperf_vnet_transport());
    mperf_multi_setopt(r->m, MPERF_MOPT_TRANSPORT_DATA, net);
    r->e = mperf_easy_init();
    mperf_easy_setopt(r->e, MPERF_OPT_URL, url);
    mperf_easy_setopt(r->e, MPERF_OPT_WRITEFUNCTION, on_body);
    mperf_easy_setopt(r->e, MPERF_OPT_WRITEDATA, &r->g);
}

/* Runs r's transfer to its end on r's multi (a new one each call is fine:
   the net is the same), the program's usual perform-and-poll loop. */
static mperf_code go(run *r)
{
    int running = 1, left, i;
    mperf_msg *msg;
    r->rc = (mperf_code)-1;
    r->g.len = 0;
    r->g.body[0] = 0;
    r->started_us = mperf_vnet_now_us(r->net);
    mperf_multi_add_handle(r->m, r->e);
    for (i = 0; running && i < 100000; i++) {
        if (mperf_multi_perform(r->m, &running) != MPERF_M_OK) break;
        while ((msg = mperf_multi_info_read(r->m, &left)) != NULL)
            if (msg->msg == MPERF_MSG_DONE) {
                r->rc = msg->data.result;
                r->elapsed_ms = (double)(mperf_vnet_now_us(r->net) - r->started_us) / 1000.0;
            }
        if (running) mperf_multi_poll(r->m, NULL, 0, 1000, NULL);
    }
    mperf_easy_getinfo(r->e, MPERF_INFO_RESPONSE_CODE, &r->code);
    mperf_multi_remove_handle(r->m, r->e);
    return r->rc;
}

static void run_free(run *r)
{
    mperf_easy_cleanup(r->e);
    mperf_multi_cleanup(r->m);
}

static long long info_us(mperf_easy *e, int what)
{
    mperf_off_t v = -1;
    mperf_easy_getinfo(e, (mperf_info)what, &v);
    return (long long)v;
}

#define OK_200(body) "read\nsend HTTP/1.1 200 OK\\r\\nContent-Length: " #body "\\r\\n\\r\\n"

TEST(a_get_and_what_the_server_received)
{
    mperf_vnet *net = mperf_vnet_new(NULL);
    run r;
    size_t len = 0;
    const char *sent;
    CHECK_EQ_LONG(mperf_vnet_peer(net, "127.0.0.1", 80, OK_200(5) "hello\nclose"), 0);
    run_init(&r, net, "http://127.0.0.1/a?b");
    CHECK_EQ_LONG(go(&r), MPERF_E_OK);
    CHECK_EQ_LONG(r.code, 200);
    CHECK(strcmp(r.g.body, "hello") == 0);
    CHECK(r.elapsed_ms == 0); /* nothing waited */
    sent = mperf_vnet_sent(net, "127.0.0.1", 80, 0, &len);
    CHECKF(sent && len > 20 && strncmp(sent, "GET /a?b HTTP/1.1\r\nHost: 127.0.0.1\r\n", 36) == 0, "%.*s",
           (int)len, sent ? sent : "");
    CHECK_EQ_LONG(mperf_vnet_connections(net, "127.0.0.1", 80), 1);
    CHECK(mperf_vnet_sent(net, "127.0.0.1", 80, 1, &len) == NULL);
    run_free(&r);
    mperf_vnet_free(net);
}

TEST(total_timeout_on_a_silent_server_takes_no_real_time)
{
    mperf_vnet *net = mperf_vnet_new(NULL);
    run r;
    double t0 = wall_ms();
    mperf_vnet_peer(net, "127.0.0.1", 80, "read\nsleep 600000\nsend too late");
    run_init(&r, net, "http://127.0.0.1/");
    mperf_easy_setopt(r.e, MPERF_OPT_TIMEOUT_MS, 30000L);
    CHECK_EQ_LONG(go(&r), MPERF_E_OPERATION_TIMEDOUT);
    CHECKF(r.elapsed_ms == 30000, "virtual %.3f ms", r.elapsed_ms);
    CHECKF(info_us(r.e, MPERF_INFO_TOTAL_TIME_T) == 30000000, "TOTAL_TIME_T %lld", info_us(r.e, MPERF_INFO_TOTAL_TIME_T));
    CHECKF(wall_ms() - t0 < 5000, "30 virtual seconds took %.0f ms of real time", wall_ms() - t0);
    printf("  30 s of virtual time in %.1f ms of real time\n", wall_ms() - t0);
    run_free(&r);
    mperf_vnet_free(net);
}

TEST(connect_timeout_and_refused)
{
    mperf_vnet *net = mperf_vnet_new(NULL);
    run r;
    mperf_vnet_peer(net, "127.0.0.1", 80, "blackhole");
    mperf_vnet_peer(net, "127.0.0.1", 81, "refuse");
    mperf_vnet_peer(net, "127.0.0.1", 82, "accept 2500\n" OK_200(2) "ok");
    run_init(&r, net, "http://127.0.0.1/");
    mperf_easy_setopt(r.e, MPERF_OPT_CONNECTTIMEOUT_MS, 5000L);
    CHECK_EQ_LONG(go(&r), MPERF_E_OPERATION_TIMEDOUT);
    CHECKF(r.elapsed_ms == 5000, "virtual %.3f ms", r.elapsed_ms);
    mperf_easy_setopt(r.e, MPERF_OPT_URL, "http://127.0.0.1:81/");
    CHECK_EQ_LONG(go(&r), MPERF_E_COULDNT_CONNECT);
    CHECK(r.elapsed_ms == 0);
    mperf_easy_setopt(r.e, MPERF_OPT_URL, "http://127.0.0.1:83/"); /* nobody */
    CHECK_EQ_LONG(go(&r), MPERF_E_COULDNT_CONNECT);
    mperf_easy_setopt(r.e, MPERF_OPT_URL, "http://127.0.0.1:82/"); /* a slow accept within the limit */
    CHECK_EQ_LONG(go(&r), MPERF_E_OK);
    CHECKF(info_us(r.e, MPERF_INFO_CONNECT_TIME_T) == 2500000, "CONNECT_TIME_T %lld",
           info_us(r.e, MPERF_INFO_CONNECT_TIME_T));
    run_free(&r);
    mperf_vnet_free(net);
}

TEST(low_speed_limit)
{
    /* 100 bytes a second against a limit of 1000 bytes a second for 3 s */
    mperf_vnet *net = mperf_vnet_new(NULL);
    run r;
    char script[4096];
    int i, at;
    at = snprintf(script, sizeof script, "read\nsend HTTP/1.1 200 OK\\r\\nContent-Length: 6000\\r\\n\\r\\n\n");
    for (i = 0; i < 60; i++) at += snprintf(script + at, sizeof script - (size_t)at, "body 100\nsleep 1000\n");
    mperf_vnet_peer(net, "127.0.0.1", 80, script);
    run_init(&r, net, "http://127.0.0.1/slow");
    mperf_easy_setopt(r.e, MPERF_OPT_LOW_SPEED_LIMIT, 1000L);
    mperf_easy_setopt(r.e, MPERF_OPT_LOW_SPEED_TIME, 3L);
    CHECK_EQ_LONG(go(&r), MPERF_E_OPERATION_TIMEDOUT);
    CHECKF(r.elapsed_ms >= 3000 && r.elapsed_ms <= 4000, "gave up after %.3f virtual ms", r.elapsed_ms);
    printf("  too slow: gave up after %.0f virtual ms\n", r.elapsed_ms);
    /* 2000 bytes a second passes */
    at = snprintf(script, sizeof script, "read\nsend HTTP/1.1 200 OK\\r\\nContent-Length: 10000\\r\\n\\r\\n\n");
    for (i = 0; i < 5; i++) at += snprintf(script + at, sizeof script - (size_t)at, "body 2000\nsleep 1000\n");
    mperf_vnet_peer(net, "127.0.0.1", 80, script);
    CHECK_EQ_LONG(go(&r), MPERF_E_OK);
    CHECKF(r.elapsed_ms == 4000, "%.3f virtual ms", r.elapsed_ms);
    run_free(&r);
    mperf_vnet_free(net);
}

static char big[1500000];

TEST(expect_100_waits_then_sends_the_body)
{
    mperf_vnet *net = mperf_vnet_new(NULL);
    run r;
    size_t len = 0;
    const char *sent;
    char script[512];
    memset(big, 'x', sizeof big);
    /* no 100 Continue: the body goes after EXPECT_100_TIMEOUT_MS (default 1 s) */
    snprintf(script, sizeof script, "readhead\nread %u\n" "send HTTP/1.1 200 OK\\r\\nContent-Length: 0\\r\\n\\r\\n",
             (unsigned)sizeof big);
    mperf_vnet_peer(net, "127.0.0.1", 80, script);
    run_init(&r, net, "http://127.0.0.1/upload");
    mperf_easy_setopt(r.e, MPERF_OPT_POSTFIELDS, big);
    mperf_easy_setopt(r.e, MPERF_OPT_POSTFIELDSIZE, (long)sizeof big);
    CHECK_EQ_LONG(go(&r), MPERF_E_OK);
    CHECKF(r.elapsed_ms == 1000, "%.3f virtual ms", r.elapsed_ms);
    sent = mperf_vnet_sent(net, "127.0.0.1", 80, 0, &len);
    CHECK(sent && strstr(sent, "Expect: 100-continue\r\n") != NULL && len > sizeof big);
    /* a server that says 100 Continue at once: no wait */
    snprintf(script, sizeof script,
             "readhead\nsend HTTP/1.1 100 Continue\\r\\n\\r\\n\nread %u\n"
             "send HTTP/1.1 200 OK\\r\\nContent-Length: 0\\r\\n\\r\\n",
             (unsigned)sizeof big);
    mperf_vnet_peer(net, "127.0.0.1", 80, script);
    mperf_easy_setopt(r.e, MPERF_OPT_FRESH_CONNECT, 1L);
    CHECK_EQ_LONG(go(&r), MPERF_E_OK);
    CHECKF(r.elapsed_ms == 0, "%.3f virtual ms", r.elapsed_ms);
    /* EXPECT_100_TIMEOUT_MS 250 */
    snprintf(script, sizeof script, "readhead\nread %u\n" "send HTTP/1.1 200 OK\\r\\nContent-Length: 0\\r\\n\\r\\n",
             (unsigned)sizeof big);
    mperf_vnet_peer(net, "127.0.0.1", 80, script);
    mperf_easy_setopt(r.e, MPERF_OPT_EXPECT_100_TIMEOUT_MS, 250L);
    CHECK_EQ_LONG(go(&r), MPERF_E_OK);
    CHECKF(r.elapsed_ms == 250, "%.3f virtual ms", r.elapsed_ms);
    run_free(&r);
    mperf_vnet_free(net);
}

TEST(happy_eyeballs_moves_to_the_other_family)
{
    mperf_vnet *net = mperf_vnet_new(NULL);
    run r;
    mperf_slist *res = mperf_slist_append(NULL, "both.test:80:[::1],127.0.0.1");
    char *ip = NULL;
    mperf_vnet_peer(net, "::1", 80, "blackhole");
    mperf_vnet_peer(net, "127.0.0.1", 80, OK_200(2) "v4");
    run_init(&r, net, "http://both.test/");
    mperf_easy_setopt(r.e, MPERF_OPT_RESOLVE, res);
    CHECK_EQ_LONG(go(&r), MPERF_E_OK);
    CHECK(strcmp(r.g.body, "v4") == 0);
    mperf_easy_getinfo(r.e, MPERF_INFO_PRIMARY_IP, &ip);
    CHECK(ip && strcmp(ip, "127.0.0.1") == 0);
    /* the IPv4 attempt starts after HAPPY_EYEBALLS_TIMEOUT_MS (200 by default) and connects at once */
    CHECKF(info_us(r.e, MPERF_INFO_CONNECT_TIME_T) == 200000, "CONNECT_TIME_T %lld",
           info_us(r.e, MPERF_INFO_CONNECT_TIME_T));
    mperf_easy_setopt(r.e, MPERF_OPT_HAPPY_EYEBALLS_TIMEOUT_MS, 750L);
    mperf_easy_setopt(r.e, MPERF_OPT_FRESH_CONNECT, 1L);
    CHECK_EQ_LONG(go(&r), MPERF_E_OK);
    CHECKF(info_us(r.e, MPERF_INFO_CONNECT_TIME_T) == 750000, "CONNECT_TIME_T %lld",
           info_us(r.e, MPERF_INFO_CONNECT_TIME_T));
    /* an IPv6 peer that answers wins at once */
    mperf_vnet_peer(net, "::1", 80, OK_200(2) "v6");
    CHECK_EQ_LONG(go(&r), MPERF_E_OK);
    CHECK(strcmp(r.g.body, "v6") == 0);
    CHECK_EQ_LONG(info_us(r.e, MPERF_INFO_CONNECT_TIME_T), 0);
    run_free(&r);
    mperf_slist_free_all(res);
    mperf_vnet_free(net);
}

TEST(errors_in_the_middle_of_a_body)
{
    static const struct {
        const char *script;
        mperf_code want;
    } cases[] = {
        {"read\nsend HTTP/1.1 200 OK\\r\\nContent-Length: 1000\\r\\n\\r\\n\nbody 500\nreset", MPERF_E_RECV_ERROR},
        {"read\nsend HTTP/1.1 200 OK\\r\\nContent-Length: 1000\\r\\n\\r\\n\nbody 500\nclose", MPERF_E_PARTIAL_FILE},
        {"read\nclose", MPERF_E_GOT_NOTHING},
        {"read\nsend HTTP/1.1 200 OK\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n5\\r\\nhello\\r\\n\nclose",
         MPERF_E_PARTIAL_FILE},
        {"read\nsend HTTP/1.1 200 OK\\r\\nContent-Length: 5\\r\\nContent-Length: 6\\r\\n\\r\\nhello", MPERF_E_WEIRD_SERVER_REPLY},
    };
    mperf_vnet *net = mperf_vnet_new(NULL);
    run r;
    size_t i;
    run_init(&r, net, "http://127.0.0.1/");
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mperf_vnet_peer(net, "127.0.0.1", 80, cases[i].script);
        CHECKF(go(&r) == cases[i].want, "case %zu: %d, want %d", i, (int)r.rc, (int)cases[i].want);
    }
    run_free(&r);
    mperf_vnet_free(net);
}

TEST(redirect_and_connection_reuse)
{
    mperf_vnet *net = mperf_vnet_new(NULL);
    run r;
    mperf_vnet_peer(net, "127.0.0.1", 80,
                    "read\nsend HTTP/1.1 301 Moved\\r\\nLocation: http://127.0.0.2:8080/there\\r\\nContent-Length: 0\\r\\n\\r\\n\n"
                    "read\nsend HTTP/1.1 301 Moved\\r\\nLocation: http://127.0.0.2:8080/there\\r\\nContent-Length: 0\\r\\n\\r\\n");
    mperf_vnet_peer(net, "127.0.0.2", 8080, OK_200(4) "here\n" OK_200(4) "here");
    run_init(&r, net, "http://127.0.0.1/here");
    mperf_easy_setopt(r.e, MPERF_OPT_FOLLOWLOCATION, 1L);
    CHECK_EQ_LONG(go(&r), MPERF_E_OK);
    CHECK(strcmp(r.g.body, "here") == 0);
    CHECK_EQ_LONG(go(&r), MPERF_E_OK); /* again, on the same connections */
    CHECK(strcmp(r.g.body, "here") == 0);
    CHECK_EQ_LONG(mperf_vnet_connections(net, "127.0.0.1", 80), 1);
    CHECK_EQ_LONG(mperf_vnet_connections(net, "127.0.0.2", 8080), 1);
    run_free(&r);
    mperf_vnet_free(net);
}

TEST(a_programs_retry_loop_after_503)
{
    /* the program's own logic under test: on 503 it waits Retry-After
       seconds (on the virtual clock) and tries again, at most three times */
    mperf_vnet *net = mperf_vnet_new(NULL);
    run r;
    int tries = 0;
    int64_t t0 = mperf_vnet_now_us(net);
    mperf_vnet_peer(net, "127.0.0.1", 80,
                    "read\nsend HTTP/1.1 503 Busy\\r\\nRetry-After: 7\\r\\nContent-Length: 0\\r\\nConnection: close\\r\\n\\r\\n\nclose\n"
                    "---\n"
                    "read\nsend HTTP/1.1 503 Busy\\r\\nRetry-After: 7\\r\\nContent-Length: 0\\r\\nConnection: close\\r\\n\\r\\n\nclose\n"
                    "---\n" OK_200(4) "done");
    run_init(&r, net, "http://127.0.0.1/job");
    while (tries < 3) {
        tries++;
        if (go(&r) == MPERF_E_OK && r.code == 200) break;
        mperf_vnet_advance(net, 7000);
    }
    CHECK_EQ_LONG(tries, 3);
    CHECK(strcmp(r.g.body, "done") == 0);
    CHECK_EQ_LONG(mperf_vnet_connections(net, "127.0.0.1", 80), 3);
    CHECK_EQ_LONG((long)((mperf_vnet_now_us(net) - t0) / 1000), 14000);
    run_free(&r);
    mperf_vnet_free(net);
}

TEST(wakeup_and_the_event_api)
{
    mperf_vnet *net = mperf_vnet_new(NULL);
    run r;
    int64_t t0;
    int still = 0;
    mperf_vnet_peer(net, "127.0.0.1", 80, "read\nsleep 10000\nsend HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok");
    run_init(&r, net, "http://127.0.0.1/");
    /* a wakeup makes the next wait return without moving the clock */
    t0 = mperf_vnet_now_us(net);
    CHECK_EQ_LONG(mperf_multi_wakeup(r.m), MPERF_M_OK);
    CHECK_EQ_LONG(mperf_multi_poll(r.m, NULL, 0, 5000, NULL), MPERF_M_OK);
    CHECK(mperf_vnet_now_us(net) == t0);
    /* socket_action with the transport's socket numbers */
    mperf_multi_add_handle(r.m, r.e);
    CHECK_EQ_LONG(mperf_multi_socket_action(r.m, MPERF_SOCKET_TIMEOUT, 0, &still), MPERF_M_OK);
    CHECK_EQ_LONG(still, 1);
    {
        int i;
        for (i = 0; still && i < 100; i++) {
            mperf_vnet_advance(net, 500);
            mperf_multi_socket_all(r.m, &still);
        }
    }
    CHECK_EQ_LONG(still, 0);
    /* the request went out at the first socket_all, 500 ms in; then the server's pause */
    CHECK_EQ_LONG((long)((mperf_vnet_now_us(net) - t0) / 1000), 10500);
    mperf_multi_remove_handle(r.m, r.e);
    run_free(&r);
    mperf_vnet_free(net);
}

static mperf_socket_t no_open(void *u, int f, int k, unsigned fl, int *err)
{
    (void)u, (void)f, (void)k, (void)fl;
    *err = ENETDOWN;
    return MPERF_SOCKET_BAD;
}

TEST(the_transport_options_rules)
{
    mperf_vnet *net = mperf_vnet_new(NULL);
    mperf_transport half;
    run r;
    mperf_vnet_peer(net, "127.0.0.1", 80, OK_200(2) "ok");
    run_init(&r, net, "http://127.0.0.1/");
    /* an incomplete table is refused */
    memset(&half, 0, sizeof half);
    half.open = no_open;
    CHECK_EQ_LONG(mperf_multi_setopt(r.m, MPERF_MOPT_TRANSPORT, &half), MPERF_M_BAD_FUNCTION_ARGUMENT);
    /* options that need a system socket do not start */
    mperf_easy_setopt(r.e, MPERF_OPT_UNIX_SOCKET_PATH, "/nonexistent.sock");
    CHECK_EQ_LONG(go(&r), MPERF_E_NOT_BUILT_IN);
    mperf_easy_setopt(r.e, MPERF_OPT_UNIX_SOCKET_PATH, NULL);
    mperf_easy_setopt(r.e, MPERF_OPT_INTERFACE, "lo");
    CHECK_EQ_LONG(go(&r), MPERF_E_NOT_BUILT_IN);
    mperf_easy_setopt(r.e, MPERF_OPT_INTERFACE, NULL);
    CHECK_EQ_LONG(go(&r), MPERF_E_OK);
    /* while a transfer is added (or a socket open) the transport stays */
    mperf_multi_add_handle(r.m, r.e);
    CHECK_EQ_LONG(mperf_multi_setopt(r.m, MPERF_MOPT_TRANSPORT, NULL), MPERF_M_BAD_FUNCTION_ARGUMENT);
    mperf_multi_remove_handle(r.m, r.e);
    CHECK_EQ_LONG(mperf_multi_setopt(r.m, MPERF_MOPT_TRANSPORT, NULL), MPERF_M_BAD_FUNCTION_ARGUMENT); /* the pooled connection */
    run_free(&r);
    /* a name with no RESOLVE: no UDP in the net, so no DNS */
    run_init(&r, net, "http://nowhere.test/");
    mperf_multi_setopt(r.m, MPERF_MOPT_HOSTS_FILE, "");
    mperf_easy_setopt(r.e, MPERF_OPT_DNS_SERVERS, "127.0.0.1");
    CHECK_EQ_LONG(go(&r), MPERF_E_COULDNT_RESOLVE_HOST);
    run_free(&r);
    /* a transport whose open fails: COULDNT_CONNECT */
    half.connect = NULL;
    {
        mperf_transport t = *mperf_vnet_transport();
        t.open = no_open;
        run_init(&r, net, "http://127.0.0.1/");
        CHECK_EQ_LONG(mperf_multi_setopt(r.m, MPERF_MOPT_TRANSPORT, &t), MPERF_M_OK);
        CHECK_EQ_LONG(go(&r), MPERF_E_COULDNT_CONNECT);
        run_free(&r);
    }
    mperf_vnet_free(net);
}

int main(void)
{
    RUN(a_get_and_what_the_server_received);
    RUN(total_timeout_on_a_silent_server_takes_no_real_time);
    RUN(connect_timeout_and_refused);
    RUN(low_speed_limit);
    RUN(expect_100_waits_then_sends_the_body);
    RUN(happy_eyeballs_moves_to_the_other_family);
    RUN(errors_in_the_middle_of_a_body);
    RUN(redirect_and_connection_reuse);
    RUN(a_programs_retry_loop_after_503);
    RUN(wakeup_and_the_event_api);
    RUN(the_transport_options_rules);
    return t_done("vnet");
}
