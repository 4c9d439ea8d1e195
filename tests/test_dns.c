/* The built-in stub resolver, end to end against tests/dnsserver.c (UDP and
   TCP on loopback, started by tests/run.sh: MPT_DNS_PORT) and the
   faultserver: answers, the malformed and spoofed replies it must ignore,
   TCP after truncation, negative answers and the cache, timeouts and
   cancelling, shared queries, the hosts file and resolv.conf's search list,
   and that no perform call waits for a slow server. The engine is pointed at
   the test server with DNS_SERVERS and at files of the test's own with
   MPERF_MOPT_RESOLV_CONF and MPERF_MOPT_HOSTS_FILE: nothing here reads the
   machine's configuration. */
/* the state changes this suite must see (tests/transitions.h) */
#define MPT_MUST "S:CONNECT>RESOLVING S:RESOLVING>CONNECT S:RESOLVING>DONE S:RESOLVING>NONE"
#include "transitions.h" /* before the header: it watches the state changes */
#define MULTIPERFORM_IMPLEMENTATION
#include "../multiperform.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "helpers.h"
#include "t.h"

static char dir[256];    /* the suite's files: resolv.conf, hosts */
static char conf[300], conf_patient[300], hosts[300];

#if MPX_DNSWIRE
static int dns_port(void)
{
    return env_int("MPT_DNS_PORT");
}

static const char *servers(void)
{
    return fmt("127.0.0.1:%d", dns_port());
}

#endif

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

/* A multi handle reading the suite's own resolv.conf and hosts file. */
static mperf_multi *multi_with(const char *resolv_conf)
{
    mperf_multi *m = mperf_multi_init();
    mperf_multi_setopt(m, MPERF_MOPT_RESOLV_CONF, resolv_conf);
    mperf_multi_setopt(m, MPERF_MOPT_HOSTS_FILE, hosts);
    return m;
}

static mperf_multi *multi(void)
{
    return multi_with(conf);
}

#if MPX_DNSWIRE /* (a build with MPERF_NO_DNS runs the tests of the program's own resolver only) */
/* A GET of /gen/100 on the faultserver by the name host, through the test
   DNS server. */
static void dns_xfer(xfer *x, const char *host)
{
    xfer_init(x, fmt("http://%s:%d/gen/100", host, fault_port()));
    mperf_easy_setopt(x->e, MPERF_OPT_DNS_SERVERS, servers());
}

static mperf_code run_dns(xfer *x)
{
    return run_in(multi(), x);
}

/* Questions the test server has had (its count.test answer), asked with the
   engine's own message code. -1 when it does not answer. */
static long server_questions(void)
{
    unsigned char q[300], r[600];
    size_t ql = mpx_dns_query(q, 0x4242, "count.test", 10, MPX_DNS_A);
    struct sockaddr_in a;
    struct timeval tv = {2, 0};
    mpx_dns_ans ans;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    long n, got = -1;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)dns_port());
    a.sin_addr.s_addr = htonl(0x7f000001);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0 && send(fd, q, ql, 0) == (long)ql &&
        (n = (long)recv(fd, r, sizeof r, 0)) > 0 && mpx_dns_parse(r, (size_t)n, q, ql, &ans) == MPX_DNS_OK)
        got = ans.addr[0].ip[2] << 8 | ans.addr[0].ip[3];
    close(fd);
    return got;
}

/* ------------------------------------------------------------------ */
/* the message code                                                    */
/* ------------------------------------------------------------------ */
TEST(messages_are_checked_against_the_question)
{
    unsigned char q[300], r[600];
    size_t ql = mpx_dns_query(q, 0x1234, "Www.Example.test.", 17, MPX_DNS_A), n;
    static const unsigned char rec[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 7};
    mpx_dns_ans a;
    CHECK_EQ_LONG(ql, 12 + 18 + 4);
    CHECK_EQ_LONG(mpx_dns_query(q + 400 - 400, 1, "a..b", 4, MPX_DNS_A), 0); /* an empty label */
    CHECK_EQ_LONG(mpx_dns_query(r, 1, "x123456789012345678901234567890123456789012345678901234567890abcd.t", 67, 1), 0);
    ql = mpx_dns_query(q, 0x1234, "Www.Example.test.", 17, MPX_DNS_A);
    memcpy(r, q, ql);
    r[2] = 0x81, r[3] = 0x80, r[7] = 1; /* a response with one answer */
    memcpy(r + ql, rec, sizeof rec);
    n = ql + sizeof rec;
    CHECK_EQ_LONG(mpx_dns_parse(r, n, q, ql, &a), MPX_DNS_OK);
    CHECK(a.naddr == 1 && a.addr[0].family == 4 && a.addr[0].ip[3] == 7 && a.ttl == 60);
    r[13] ^= 0x20; /* the question in another case ("www"): still ours */
    CHECK_EQ_LONG(mpx_dns_parse(r, n, q, ql, &a), MPX_DNS_OK);
    r[1] ^= 1; /* another ID */
    CHECK_EQ_LONG(mpx_dns_parse(r, n, q, ql, &a), MPX_DNS_BAD);
    r[1] ^= 1;
    r[14] ^= 1; /* another name */
    CHECK_EQ_LONG(mpx_dns_parse(r, n, q, ql, &a), MPX_DNS_BAD);
    r[14] ^= 1;
    r[ql - 3] = 28; /* another type */
    CHECK_EQ_LONG(mpx_dns_parse(r, n, q, ql, &a), MPX_DNS_BAD);
    r[ql - 3] = 1;
    CHECK_EQ_LONG(mpx_dns_parse(r, n - 1, q, ql, &a), MPX_DNS_BAD); /* cut short */
    r[ql + 1] = (unsigned char)ql; /* the answer's name points at itself */
    CHECK_EQ_LONG(mpx_dns_parse(r, n, q, ql, &a), MPX_DNS_BAD);
    r[ql + 1] = 0x0c;
    r[2] &= 0x7f; /* a question, not an answer */
    CHECK_EQ_LONG(mpx_dns_parse(r, n, q, ql, &a), MPX_DNS_BAD);
    r[2] |= 0x80;
    CHECK_EQ_LONG(mpx_dns_parse(r, n, q, ql, &a), MPX_DNS_OK);
}

/* ------------------------------------------------------------------ */
/* answers, good and bad                                               */
/* ------------------------------------------------------------------ */
TEST(a_name_resolves_through_the_server)
{
    xfer x;
    double lookup = -1, connect = -1, total = -1;
    dns_xfer(&x, "v4.test");
    CHECK_EQ_LONG(run_dns(&x), MPERF_E_OK);
    CHECK(sink_is_pattern(&x.body, 100));
    CHECK(strcmp(info_str(x.e, MPERF_INFO_PRIMARY_IP), "127.0.0.1") == 0);
    mperf_easy_getinfo(x.e, MPERF_INFO_NAMELOOKUP_TIME, &lookup);
    mperf_easy_getinfo(x.e, MPERF_INFO_CONNECT_TIME, &connect);
    mperf_easy_getinfo(x.e, MPERF_INFO_TOTAL_TIME, &total);
    CHECKF(lookup >= 0 && lookup <= connect && connect <= total, "%f %f %f", lookup, connect, total);
    xfer_free(&x);
    /* A and AAAA: IPv6 first ([::1] refuses: the faultserver is IPv4 only), then IPv4 */
    dns_xfer(&x, "both.test");
    CHECK_EQ_LONG(run_dns(&x), MPERF_E_OK);
    CHECK(strcmp(info_str(x.e, MPERF_INFO_PRIMARY_IP), "127.0.0.1") == 0);
    xfer_free(&x);
}

TEST(malformed_and_spoofed_replies_are_ignored)
{
    /* each first reply points at 127.0.0.3 (where nothing listens); the
       right one that follows 30 ms later at 127.0.0.1 */
    static const char *const kinds[] = {"spoofid",  "spoofq",    "spoofsrc", "bad-ptrloop", "bad-ptrfwd",
                                        "bad-count", "bad-cut",  "bad-label", "bad-rdlen",  "bad-type",
                                        "bad-long",  "bad-ancount0"};
    size_t i;
    for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        xfer x;
        dns_xfer(&x, fmt("%s.test", kinds[i]));
        CHECKF(run_dns(&x) == MPERF_E_OK, "%s: %d %s", kinds[i], (int)x.result, x.err);
        CHECKF(strcmp(info_str(x.e, MPERF_INFO_PRIMARY_IP), "127.0.0.1") == 0, "%s: connected to %s", kinds[i],
               info_str(x.e, MPERF_INFO_PRIMARY_IP));
        xfer_free(&x);
    }
}

TEST(names_without_addresses_fail_as_libcurl_says)
{
    static const char *const kinds[] = {"nx", "servfail", "refused", "cloop", "cname9", "huge", "v6"};
    size_t i;
    for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        xfer x;
        dns_xfer(&x, fmt("%s.test", kinds[i]));
        if (strcmp(kinds[i], "v6") == 0) mperf_easy_setopt(x.e, MPERF_OPT_IPRESOLVE, MPERF_IPRESOLVE_V4);
        CHECKF(run_dns(&x) == MPERF_E_COULDNT_RESOLVE_HOST, "%s: %d %s", kinds[i], (int)x.result, x.err);
        CHECKF(strcmp(x.err, fmt("Could not resolve host: %s.test", kinds[i])) == 0, "%s: %s", kinds[i], x.err);
        xfer_free(&x);
    }
}

TEST(cname_chains_and_tcp_after_truncation)
{
    static const char *const kinds[] = {"cname1", "cname3", "cname8", "trunc"};
    size_t i;
    for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        xfer x;
        dns_xfer(&x, fmt("%s.test", kinds[i]));
        CHECKF(run_dns(&x) == MPERF_E_OK, "%s: %d %s", kinds[i], (int)x.result, x.err);
        xfer_free(&x);
    }
}

/* ------------------------------------------------------------------ */
/* the cache, and queries shared                                       */
/* ------------------------------------------------------------------ */
TEST(answers_are_cached_for_their_ttl_and_negative_ones_too)
{
    mperf_multi *m = multi();
    long before;
    int round;
    const char *names[] = {"ttl1.test", "ttl300.test", "nx.test", "ttl1.test"};
    /* questions the first lookup asks: A and AAAA; nx.test three times:
       as it is, then with each search domain */
    long want[] = {2, 2, 6, 2};
    for (round = 0; round < 4; round++) {
        int k;
        before = server_questions();
        if (round == 3) usleep(1300000); /* past ttl1's TTL */
        for (k = 0; k < 2; k++) {       /* the second lookup comes from the cache */
            xfer x;
            dns_xfer(&x, names[round]);
            mperf_easy_setopt(x.e, MPERF_OPT_FORBID_REUSE, 1L); /* a reused connection looks nothing up */
            mperf_multi_add_handle(m, x.e);
            CHECK(drive(m, 20000));
            collect(m);
            CHECKF(x.result == (round == 2 ? MPERF_E_COULDNT_RESOLVE_HOST : MPERF_E_OK), "%s: %d", names[round],
                   (int)x.result);
            mperf_multi_remove_handle(m, x.e);
            xfer_free(&x);
        }
        CHECKF(server_questions() - before == want[round], "%s: %ld questions", names[round],
               server_questions() - before);
    }
    mperf_multi_cleanup(m);
    /* DNS_CACHE_TIMEOUT caps the TTL; 0 caches nothing */
    m = multi();
    before = server_questions();
    for (round = 0; round < 2; round++) {
        xfer x;
        dns_xfer(&x, "ttl300.test");
        mperf_easy_setopt(x.e, MPERF_OPT_DNS_CACHE_TIMEOUT, 0L);
        mperf_easy_setopt(x.e, MPERF_OPT_FORBID_REUSE, 1L);
        mperf_multi_add_handle(m, x.e);
        CHECK(drive(m, 20000));
        collect(m);
        CHECK_EQ_LONG(x.result, MPERF_E_OK);
        mperf_multi_remove_handle(m, x.e);
        xfer_free(&x);
    }
    CHECK_EQ_LONG(server_questions() - before, 4);
    mperf_multi_cleanup(m);
}

TEST(transfers_to_one_name_share_one_query)
{
    mperf_multi *m = multi();
    xfer x[6];
    long before = server_questions();
    int i, ok = 0;
    for (i = 0; i < 6; i++) {
        dns_xfer(&x[i], "slow200.test");
        mperf_multi_add_handle(m, x[i].e);
    }
    CHECK(drive(m, 20000));
    collect(m);
    for (i = 0; i < 6; i++) {
        ok += x[i].result == MPERF_E_OK;
        mperf_multi_remove_handle(m, x[i].e);
        xfer_free(&x[i]);
    }
    CHECK_EQ_LONG(ok, 6);
    CHECK_EQ_LONG(server_questions() - before, 2);
    mperf_multi_cleanup(m);
}

/* ------------------------------------------------------------------ */
/* time: never blocking, timeouts, cancelling                          */
/* ------------------------------------------------------------------ */
TEST(a_slow_server_never_holds_a_perform_call)
{
    mperf_multi *m = multi_with(conf_patient); /* a try waits 5 s */
    xfer slow, lit;
    int running = 1, loops = 0, lit_done_first = 0;
    double longest = 0, t0 = mono_ms(), lookup = 0, connect = 0, total = 0;
    dns_xfer(&slow, "slow2000.test");
    xfer_init(&lit, fmt("http://127.0.0.1:%d/gen/100000?rate=400000", fault_port()));
    mperf_multi_add_handle(m, slow.e);
    mperf_multi_add_handle(m, lit.e);
    while (running && loops++ < 100000 && mono_ms() - t0 < 20000) {
        double a = mono_ms();
        mperf_multi_perform(m, &running);
        if (mono_ms() - a > longest) longest = mono_ms() - a;
        collect(m);
        if (lit.done && !slow.done) lit_done_first = 1;
        if (running) mperf_multi_poll(m, NULL, 0, 1000, NULL);
    }
    CHECK_EQ_LONG(slow.result, MPERF_E_OK);
    CHECK_EQ_LONG(lit.result, MPERF_E_OK);
    CHECK(lit_done_first);
    printf("  longest perform call %.2f ms while a name took 2 s to resolve\n", longest);
    CHECKF(longest < 50, "a perform call took %.1f ms", longest);
    mperf_easy_getinfo(slow.e, MPERF_INFO_NAMELOOKUP_TIME, &lookup);
    mperf_easy_getinfo(slow.e, MPERF_INFO_CONNECT_TIME, &connect);
    mperf_easy_getinfo(slow.e, MPERF_INFO_TOTAL_TIME, &total);
    CHECKF(lookup >= 1.9 && lookup < 10 && connect >= lookup && total >= connect, "%f %f %f", lookup, connect, total);
    mperf_multi_remove_handle(m, slow.e);
    mperf_multi_remove_handle(m, lit.e);
    xfer_free(&slow);
    xfer_free(&lit);
    mperf_multi_cleanup(m);
}

TEST(a_silent_server_ends_at_the_connect_timeout)
{
    xfer x;
    double t0 = mono_ms(), took;
    dns_xfer(&x, "silent.test");
    mperf_easy_setopt(x.e, MPERF_OPT_CONNECTTIMEOUT_MS, 600L);
    CHECK_EQ_LONG(run_dns(&x), MPERF_E_OPERATION_TIMEDOUT);
    took = mono_ms() - t0;
    CHECKF(strncmp(x.err, "Resolving timed out after ", 26) == 0, "%s", x.err);
    CHECKF(took >= 550 && took < 5000, "took %.0f ms", took);
    xfer_free(&x);
    /* without a connect timeout: resolv.conf's timeout and attempts (1 s, 2) */
    dns_xfer(&x, "silent.test");
    t0 = mono_ms();
    CHECK_EQ_LONG(run_dns(&x), MPERF_E_COULDNT_RESOLVE_HOST);
    took = mono_ms() - t0;
    CHECKF(took >= 1900 && took < 6000, "took %.0f ms", took);
    xfer_free(&x);
}

TEST(removing_a_transfer_cancels_its_query_at_once)
{
    mperf_multi *m = multi();
    xfer x;
    int running, i;
    unsigned nfds = 99;
    double t0;
    dns_xfer(&x, "silent.test");
    mperf_multi_add_handle(m, x.e);
    for (i = 0; i < 3; i++) mperf_multi_perform(m, &running);
    CHECK_EQ_LONG(running, 1);
    mperf_multi_waitfds(m, NULL, 0, &nfds);
    CHECK_EQ_LONG(nfds, 1); /* the query's socket */
    t0 = mono_ms();
    CHECK_EQ_LONG(mperf_multi_remove_handle(m, x.e), MPERF_M_OK);
    CHECKF(mono_ms() - t0 < 50, "remove took %.1f ms", mono_ms() - t0);
    mperf_multi_waitfds(m, NULL, 0, &nfds);
    CHECK_EQ_LONG(nfds, 0);
    CHECK_EQ_LONG(mperf_multi_perform(m, &running), MPERF_M_OK);
    CHECK_EQ_LONG(running, 0);
    xfer_free(&x);
    mperf_multi_cleanup(m);
}

TEST(happy_eyeballs_from_a_real_answer)
{
    /* both.test answers AAAA ::1 (a black hole on nginx's port) and A
       127.0.0.1 (nginx): IPv6 goes first, IPv4 after the 200 ms delay wins */
    int port = nginx_port(), clients[3] = {-1, -1, -1}, hole, i;
    xfer x;
    mperf_off_t t = 0;
    if (!getenv("MPT_NGINX6_PORT") || !*getenv("MPT_NGINX6_PORT") || (hole = ipv6_black_hole(port, clients)) < 0) {
        printf("  (no IPv6 loopback: nothing to race)\n");
        return;
    }
    xfer_init(&x, fmt("http://both.test:%d/f/1k.bin", port));
    mperf_easy_setopt(x.e, MPERF_OPT_DNS_SERVERS, servers());
    mperf_easy_setopt(x.e, MPERF_OPT_CONNECTTIMEOUT_MS, 20000L);
    CHECK_EQ_LONG(run_dns(&x), MPERF_E_OK);
    CHECK_EQ_LONG(x.body.len, 1024);
    CHECK(strcmp(info_str(x.e, MPERF_INFO_PRIMARY_IP), "127.0.0.1") == 0);
    mperf_easy_getinfo(x.e, MPERF_INFO_CONNECT_TIME_T, &t);
    CHECKF(t >= 150000 && t < 10000000, "connected after %lld us", (long long)t);
    printf("  AAAA a black hole, A connected after %lld ms\n", (long long)(t / 1000));
    xfer_free(&x);
    for (i = 0; i < 3; i++)
        if (clients[i] >= 0) close(clients[i]);
    close(hole);
}

/* The first address a transfer tried, from its verbose lines. */
static int first_tried(mperf_easy *e, mperf_infotype type, char *data, size_t size, void *user)
{
    int *first = (int *)user;
    unsigned a, b, c, d;
    (void)e;
    if (type == MPERF_INFOTYPE_TEXT && !*first && size > 10 && sscanf(data, "  Trying %u.%u.%u.%u:", &a, &b, &c, &d) == 4)
        *first = (int)d;
    return 0;
}

TEST(shuffled_addresses)
{
    /* many.test: 127.0.0.1 to .8 in order; only .1 listens */
    int round, firsts[2] = {0, 0}; /* lookups whose first try was not .1: plain, shuffled */
    for (round = 0; round < 24; round++) {
        xfer x;
        int first = 0, shuffle = round % 2;
        dns_xfer(&x, "many.test");
        mperf_easy_setopt(x.e, MPERF_OPT_DNS_CACHE_TIMEOUT, 0L);
        mperf_easy_setopt(x.e, MPERF_OPT_DNS_SHUFFLE_ADDRESSES, (long)shuffle);
        mperf_easy_setopt(x.e, MPERF_OPT_VERBOSE, 1L);
        mperf_easy_setopt(x.e, MPERF_OPT_DEBUGFUNCTION, first_tried);
        mperf_easy_setopt(x.e, MPERF_OPT_DEBUGDATA, &first);
        mperf_easy_setopt(x.e, MPERF_OPT_CONNECTTIMEOUT_MS, 20000L);
        CHECK_EQ_LONG(run_dns(&x), MPERF_E_OK);
        CHECK(first >= 1 && first <= 8);
        if (first != 1) firsts[shuffle]++;
        xfer_free(&x);
    }
    CHECK_EQ_LONG(firsts[0], 0); /* in the server's order */
    CHECKF(firsts[1] > 0, "12 shuffled lookups all tried 127.0.0.1 first"); /* (1/8)^12 by chance */
}

#endif

/* ------------------------------------------------------------------ */
/* a resolver of the program's own                                     */
/* ------------------------------------------------------------------ */
typedef struct hook {
    int starts, cancels;
    char names[8][64];
    void *tokens[8];
    void *cancelled[8];
    int fail_next; /* the start callback refuses */
} hook;

static int hook_start(void *userp, const char *name, void *token)
{
    hook *h = (hook *)userp;
    if (h->fail_next) {
        h->fail_next = 0;
        return -1;
    }
    if (h->starts < 8) {
        snprintf(h->names[h->starts], sizeof h->names[0], "%s", name);
        h->tokens[h->starts] = token;
    }
    h->starts++;
    return 0;
}

static void hook_cancel(void *userp, void *token)
{
    hook *h = (hook *)userp;
    if (h->cancels < 8) h->cancelled[h->cancels] = token;
    h->cancels++;
}

TEST(a_resolver_of_the_programs_own)
{
    mperf_multi *m = multi();
    hook h;
    xfer a, b, c, d;
    mperf_resolved_addr addr[2];
    int running, i;
    memset(&h, 0, sizeof h);
    memset(addr, 0, sizeof addr);
    if (!MPX_DNSWIRE) { /* no DNS built in and no resolver of the program's: a name fails at once */
        xfer_init(&a, fmt("http://v4.test:%d/gen/100", fault_port()));
        CHECK_EQ_LONG(run_in(mperf_multi_init(), &a), MPERF_E_COULDNT_RESOLVE_HOST);
        CHECK(strcmp(a.err, "Could not resolve host: v4.test") == 0);
        xfer_free(&a);
    }
    mperf_multi_setopt(m, MPERF_MOPT_RESOLVER_START, hook_start);
    mperf_multi_setopt(m, MPERF_MOPT_RESOLVER_CANCEL, hook_cancel);
    mperf_multi_setopt(m, MPERF_MOPT_RESOLVER_DATA, &h);
    /* a and b share one lookup of fromhosts.test (the hosts file is not read:
       the program's resolver decides), c asks for another name, d's start fails */
    xfer_init(&a, fmt("http://fromhosts.test:%d/gen/100", fault_port()));
    xfer_init(&b, fmt("http://FROMHOSTS.test:%d/gen/200", fault_port()));
    xfer_init(&c, fmt("http://never.test:%d/gen/100", fault_port()));
    xfer_init(&d, fmt("http://refused.test:%d/gen/100", fault_port()));
    mperf_multi_add_handle(m, a.e);
    mperf_multi_add_handle(m, b.e);
    mperf_multi_add_handle(m, c.e);
    for (i = 0; i < 3; i++) mperf_multi_perform(m, &running);
    CHECK_EQ_LONG(h.starts, 2);
    CHECK(strcmp(h.names[0], "fromhosts.test") == 0 || strcmp(h.names[1], "fromhosts.test") == 0);
    CHECK_EQ_LONG(running, 3);
    h.fail_next = 1;
    mperf_multi_add_handle(m, d.e);
    mperf_multi_perform(m, &running);
    collect(m);
    CHECK_EQ_LONG(d.result, MPERF_E_COULDNT_RESOLVE_HOST);
    /* the answer for fromhosts.test, from outside any callback */
    addr[0].family = 4;
    addr[0].addr[0] = 127, addr[0].addr[3] = 1;
    i = strcmp(h.names[0], "fromhosts.test") == 0 ? 0 : 1;
    CHECK_EQ_LONG(mperf_multi_resolved(m, h.tokens[i], addr, 1, 60), MPERF_M_OK);
    CHECK_EQ_LONG(mperf_multi_resolved(m, h.tokens[i], addr, 1, 60), MPERF_M_BAD_FUNCTION_ARGUMENT); /* once */
    CHECK_EQ_LONG(mperf_multi_resolved(m, (void *)(uintptr_t)99999, addr, 1, 60), MPERF_M_BAD_FUNCTION_ARGUMENT);
    for (i = 0; i < 200 && !(a.done && b.done); i++) {
        mperf_multi_perform(m, &running);
        collect(m);
        if (!(a.done && b.done)) mperf_multi_poll(m, NULL, 0, 100, NULL);
    }
    CHECK_EQ_LONG(a.result, MPERF_E_OK);
    CHECK_EQ_LONG(b.result, MPERF_E_OK);
    CHECK(sink_is_pattern(&b.body, 200));
    /* never.test is never answered: removing its transfer cancels the lookup */
    CHECK_EQ_LONG(h.cancels, 0);
    mperf_multi_remove_handle(m, c.e);
    CHECK_EQ_LONG(h.cancels, 1);
    CHECK(h.cancelled[0] == h.tokens[strcmp(h.names[0], "never.test") == 0 ? 0 : 1]);
    CHECK_EQ_LONG(mperf_multi_resolved(m, h.cancelled[0], addr, 1, 60), MPERF_M_BAD_FUNCTION_ARGUMENT);
    mperf_multi_remove_handle(m, a.e);
    mperf_multi_remove_handle(m, b.e);
    mperf_multi_remove_handle(m, d.e);
    /* no addresses: the name does not exist; fromhosts.test now comes from the cache */
    xfer_free(&a);
    xfer_init(&a, fmt("http://gone.test:%d/gen/100", fault_port()));
    mperf_multi_add_handle(m, a.e);
    mperf_multi_perform(m, &running);
    CHECK_EQ_LONG(h.starts, 3);
    CHECK_EQ_LONG(mperf_multi_resolved(m, h.tokens[2], NULL, 0, 0), MPERF_M_OK);
    for (i = 0; i < 50 && !a.done; i++) {
        mperf_multi_perform(m, &running);
        collect(m);
    }
    CHECK_EQ_LONG(a.result, MPERF_E_COULDNT_RESOLVE_HOST);
    mperf_multi_remove_handle(m, a.e);
    xfer_free(&b);
    xfer_init(&b, fmt("http://fromhosts.test:%d/gen/100", fault_port()));
    CHECK_EQ_LONG(run_in(m, &b), MPERF_E_OK);
    CHECK_EQ_LONG(h.starts, 3);
    xfer_free(&a);
    xfer_free(&b);
    xfer_free(&c);
    xfer_free(&d);
}

/* ------------------------------------------------------------------ */
/* configuration                                                       */
/* ------------------------------------------------------------------ */
#if MPX_DNSWIRE
TEST(the_hosts_file_comes_first)
{
    xfer x;
    dns_xfer(&x, "Fromhosts.test");
    mperf_easy_setopt(x.e, MPERF_OPT_DNS_SERVERS, "127.0.0.1:1"); /* a server that is not there */
    CHECK_EQ_LONG(run_dns(&x), MPERF_E_OK);
    CHECK(strcmp(info_str(x.e, MPERF_INFO_PRIMARY_IP), "127.0.0.1") == 0);
    xfer_free(&x);
}

TEST(configuration_files_are_read_a_line_at_a_time)
{
    /* lines longer than the engine reads (511 bytes: the rest is skipped, not
       a line of its own), lines across its 512-byte reads, CRLF, NUL bytes
       and a last line with no newline */
    char path[300], text[6000], *t = text;
    mpx_addr a[MPERF_MAX_ADDRS];
    mpx_resconf *rc;
    mperf_allocator al;
    int i;
    memset(&al, 0, sizeof al);
    snprintf(path, sizeof path, "%s/hosts-lines", dir);
    t += sprintf(t, "127.0.0.9 first.test");
    for (i = 0; i < 600; i++) *t++ = ' ';
    t += sprintf(t, "127.0.0.8 skipped.test\n");
    while (t - text < 1015) *t++ = '#';
    t += sprintf(t, "\n127.0.0.7 across.test\r\n10.0.0.1 nul.test");
    *t++ = 0;
    t += sprintf(t, " afternul.test\n127.0.0.6 last.test");
    {
        FILE *f = fopen(path, "wb");
        CHECK(f && fwrite(text, 1, (size_t)(t - text), f) == (size_t)(t - text) && fclose(f) == 0);
    }
    CHECK_EQ_LONG(mpx_hosts_lookup(path, "first.test", a), 1);
    CHECK(a[0].family == 4 && a[0].ip[3] == 9);
    CHECK_EQ_LONG(mpx_hosts_lookup(path, "skipped.test", a), 0);
    CHECK_EQ_LONG(mpx_hosts_lookup(path, "across.test", a), 1);
    CHECK(a[0].ip[3] == 7);
    CHECK_EQ_LONG(mpx_hosts_lookup(path, "nul.test", a), 1);
    CHECK_EQ_LONG(mpx_hosts_lookup(path, "afternul.test", a), 0);
    CHECK_EQ_LONG(mpx_hosts_lookup(path, "last.test.", a), 1);
    CHECK(a[0].ip[3] == 6);
    CHECK_EQ_LONG(mpx_hosts_lookup(fmt("%s/none", dir), "last.test", a), 0); /* no such file */
    CHECK_EQ_LONG(mpx_hosts_lookup("", "last.test", a), 0);
    /* resolv.conf the same way: its last line without a newline counts */
    write_file(path, "options ndots:3 timeout:2\r\nsearch a.test b.test\nnameserver 127.0.0.5\nnameserver 127.0.0.4");
    rc = mpx_resconf_load(&al, path);
    CHECK(rc != NULL);
    if (rc) {
        CHECK_EQ_LONG(rc->nns, 2);
        CHECK(rc->ns[0].a.ip[3] == 5 && rc->ns[1].a.ip[3] == 4 && rc->ns[1].port == 53);
        CHECK(rc->ndots == 3 && rc->timeout_ms == 2000 && rc->nsearch == 2 && strcmp(rc->search[1], "b.test") == 0);
        mpx_free(&al, rc);
    }
    /* options out of range are held to their limits, a sign reads as atol does (below every minimum when
       negative); rotate only as a word of its own; a scoped or bracketed nameserver is skipped */
    write_file(path, "options ndots:99 timeout:0 attempts:9 rotate:1 ndots\n"
                     "nameserver fe80::1%eth0\nnameserver [::1]:53\nnameserver 127.0.0.3\n");
    rc = mpx_resconf_load(&al, path);
    CHECK(rc != NULL);
    if (rc) {
        CHECK(rc->ndots == 15 && rc->timeout_ms == 1000 && rc->attempts == 5 && !rc->rotate);
        CHECK(rc->nns == 1 && rc->ns[0].a.ip[3] == 3);
        mpx_free(&al, rc);
    }
    write_file(path, "options ndots:-2 timeout:+3 attempts:-1 bogus:7 rotate timeout:99999999999999999999\n");
    rc = mpx_resconf_load(&al, path);
    CHECK(rc != NULL);
    if (rc) {
        CHECK(rc->ndots == 0 && rc->timeout_ms == 30000 && rc->attempts == 1 && rc->rotate);
        mpx_free(&al, rc);
    }
    unlink(path);
}

TEST(dns_servers_are_checked_and_tried_in_turn)
{
    static const char *const bad[] = {"127.0.0.1:", "127.0.0.1:99999", "[::1", "[::1]x", "example.com", "1.2.3.4,",
                                      ",1.2.3.4", "1.2.3.4:0"};
    static const char *const good[] = {"127.0.0.1", "127.0.0.1:53", "[::1]:53", "::1", "1.2.3.4,[::1]:5353,5.6.7.8,9.9.9.9"};
    size_t i;
    xfer x;
    mperf_easy *e = mperf_easy_init();
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECKF(mperf_easy_setopt(e, MPERF_OPT_DNS_SERVERS, bad[i]) == MPERF_E_BAD_FUNCTION_ARGUMENT, "%s", bad[i]);
    for (i = 0; i < sizeof good / sizeof good[0]; i++)
        CHECKF(mperf_easy_setopt(e, MPERF_OPT_DNS_SERVERS, good[i]) == MPERF_E_OK, "%s", good[i]);
    mperf_easy_cleanup(e);
    /* a bad list keeps the transfer from starting: it never asks elsewhere */
    dns_xfer(&x, "v4.test");
    mperf_easy_setopt(x.e, MPERF_OPT_DNS_SERVERS, "not-an-address");
    CHECK(run_dns(&x) != MPERF_E_OK);
    xfer_free(&x);
    /* the first server refuses (nothing on its port): the next one answers */
    dns_xfer(&x, "v4.test");
    mperf_easy_setopt(x.e, MPERF_OPT_DNS_SERVERS, fmt("127.0.0.1:1,%s", servers()));
    CHECK_EQ_LONG(run_dns(&x), MPERF_E_OK);
    xfer_free(&x);
}

TEST(the_search_list_completes_short_names)
{
    /* resolv.conf here: "search chain.test nowhere.test", ndots 1 */
    xfer x;
    long before;
    dns_xfer(&x, "both"); /* both.chain.test first */
    CHECK_EQ_LONG(run_dns(&x), MPERF_E_OK);
    xfer_free(&x);
    dns_xfer(&x, "nx.sub"); /* nx.sub, nx.sub.chain.test, nx.sub.nowhere.test: none exists */
    CHECK_EQ_LONG(run_dns(&x), MPERF_E_COULDNT_RESOLVE_HOST);
    xfer_free(&x);
    before = server_questions(); /* each name over UDP (truncated), then over TCP (no such name): 4 questions */
    dns_xfer(&x, "truncnx.sub");
    CHECK_EQ_LONG(run_dns(&x), MPERF_E_COULDNT_RESOLVE_HOST);
    CHECK_EQ_LONG(server_questions() - before, 12);
    xfer_free(&x);
    dns_xfer(&x, "v4.test."); /* an absolute name is asked as it is */
    CHECK_EQ_LONG(run_dns(&x), MPERF_E_OK);
    xfer_free(&x);
}

#endif

int main(void)
{
    const char *base = getenv("MPT_TMP") ? getenv("MPT_TMP") : "/tmp";
    snprintf(dir, sizeof dir, "%s/mpt-dns-%d", base, (int)getpid());
    mkdir(dir, 0700);
    snprintf(conf, sizeof conf, "%s/resolv.conf", dir);
    snprintf(conf_patient, sizeof conf_patient, "%s/resolv-patient.conf", dir);
    snprintf(hosts, sizeof hosts, "%s/hosts", dir);
    write_file(conf, "# the suite's own\nnameserver 127.0.0.1\nsearch chain.test nowhere.test\n"
                     "options ndots:1 timeout:1 attempts:2\n");
    write_file(conf_patient, "nameserver 127.0.0.1\noptions timeout:5\n");
    write_file(hosts, "127.0.0.1 localhost\n# a comment\n127.0.0.1   other.test fromhosts.test # trailing\n");
#if MPX_DNSWIRE
    if (!dns_port()) {
        printf("MPT_DNS_PORT is not set: run through tests/run.sh\n");
        return 1;
    }
    RUN(messages_are_checked_against_the_question);
    RUN(a_name_resolves_through_the_server);
    RUN(malformed_and_spoofed_replies_are_ignored);
    RUN(names_without_addresses_fail_as_libcurl_says);
    RUN(cname_chains_and_tcp_after_truncation);
    RUN(answers_are_cached_for_their_ttl_and_negative_ones_too);
    RUN(transfers_to_one_name_share_one_query);
    RUN(a_slow_server_never_holds_a_perform_call);
    RUN(a_silent_server_ends_at_the_connect_timeout);
    RUN(removing_a_transfer_cancels_its_query_at_once);
    RUN(happy_eyeballs_from_a_real_answer);
    RUN(shuffled_addresses);
#endif
    RUN(a_resolver_of_the_programs_own);
#if MPX_DNSWIRE
    RUN(the_hosts_file_comes_first);
    RUN(configuration_files_are_read_a_line_at_a_time);
    RUN(dns_servers_are_checked_and_tried_in_turn);
    RUN(the_search_list_completes_short_names);
#endif
    CHECK(mpt_check_transitions(MPT_MUST) == 0);
    unlink(conf);
    unlink(conf_patient);
    unlink(hosts);
    rmdir(dir);
    return t_done("dns");
}
