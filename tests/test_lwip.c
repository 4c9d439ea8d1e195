/* The engine over lwIP (Debian's liblwip), through examples/lwip_get.c's
   transport: lwIP runs inside this process on its loopback netif, and the
   example's forwarder carries each lwIP connection to 127.0.0.1:PORT on to
   the same port on the host's loopback (nginx, the TLS nginx, the fault
   server, the DNS server's TCP side); UDP for DNS is carried by a small
   relay here. Every socket the engine touches is an lwIP socket: the
   transport counts them, and the forwarder counts what reached the host.
   Servers: MPT_NGINX_PORT, MPT_TLS_PORT, MPT_TLS_WRONG_PORT, MPT_FAULT_PORT,
   MPT_DNS_PORT, MPT_PKI (tests/run.sh starts them). */
#define LWIP_GET_NO_MAIN
#define MULTIPERFORM_IMPLEMENTATION
#include "../examples/lwip_get.c"
#include "t.h"
#include "portable.h"

static lwip_tp_stats stats;

static mperf_multi *lwip_multi(void)
{
    mperf_multi *m = mperf_multi_init();
    if (mperf_multi_setopt(m, MPERF_MOPT_TRANSPORT, &lwip_transport) != MPERF_M_OK ||
        mperf_multi_setopt(m, MPERF_MOPT_TRANSPORT_DATA, &stats) != MPERF_M_OK)
        printf("  the transport was refused\n");
    return m;
}

static mperf_easy *easy(const char *url, body *b)
{
    mperf_easy *e = mperf_easy_init();
    memset(b, 0, sizeof *b);
    mperf_easy_setopt(e, MPERF_OPT_URL, url);
    mperf_easy_setopt(e, MPERF_OPT_WRITEFUNCTION, on_data);
    mperf_easy_setopt(e, MPERF_OPT_WRITEDATA, b);
    mperf_easy_setopt(e, MPERF_OPT_TIMEOUT, 60L);
    return e;
}

/* Runs what m holds to the end (bounded); results in order of completion. */
static int run_all(mperf_multi *m, mperf_code *rc, int max)
{
    int running = 1, left, i, n = 0;
    mperf_msg *msg;
    for (i = 0; running && i < 20000; i++) {
        if (mperf_multi_perform(m, &running) != MPERF_M_OK) break;
        while ((msg = mperf_multi_info_read(m, &left)) != NULL)
            if (msg->msg == MPERF_MSG_DONE && n < max) rc[n++] = msg->data.result;
        if (running) mperf_multi_poll(m, NULL, 0, 200, NULL);
    }
    return n;
}

static mperf_code run_one(mperf_multi *m, mperf_easy *e)
{
    mperf_code rc = (mperf_code)-1;
    mperf_multi_add_handle(m, e);
    run_all(m, &rc, 1);
    mperf_multi_remove_handle(m, e);
    return rc;
}

static char *url(const char *scheme, const char *host, const char *env, const char *path)
{
    static char buf[8][256];
    static int k;
    char *b = buf[k++ % 8];
    snprintf(b, sizeof buf[0], "%s://%s:%d%s", scheme, host, port(env), path);
    return b;
}

TEST(parallel_http_and_keepalive_over_lwip)
{
    mperf_multi *m = lwip_multi();
    mperf_easy *e[8];
    body b[8];
    mperf_code rc[8];
    unsigned long opens = stats.opens;
    int i, round;
    for (i = 0; i < 8; i++) e[i] = easy(url("http", "127.0.0.1", "MPT_NGINX_PORT", "/f/64k.bin"), &b[i]);
    for (round = 0; round < 2; round++) {
        for (i = 0; i < 8; i++) {
            memset(&b[i], 0, sizeof b[i]);
            mperf_multi_add_handle(m, e[i]);
        }
        CHECK_EQ_LONG(run_all(m, rc, 8), 8);
        for (i = 0; i < 8; i++) {
            char *ip = NULL;
            long conns = -1;
            CHECKF(rc[i] == MPERF_E_OK, "round %d: %s", round, mperf_easy_strerror(rc[i]));
            CHECK(b[i].len == 65536 && b[i].bad == 0);
            mperf_easy_getinfo(e[i], MPERF_INFO_PRIMARY_IP, &ip);
            CHECK(ip && strcmp(ip, "127.0.0.1") == 0);
            mperf_easy_getinfo(e[i], MPERF_INFO_NUM_CONNECTS, &conns);
            CHECK_EQ_LONG(conns, round == 0 ? 1 : 0); /* the second round reuses lwIP's connections */
            mperf_multi_remove_handle(m, e[i]);
        }
    }
    CHECK_EQ_LONG(stats.opens - opens, 8); /* eight lwIP sockets, and no other */
    printf("  16 GETs on 8 lwIP connections (%lu lwIP polls so far)\n", stats.polls);
    for (i = 0; i < 8; i++) mperf_easy_cleanup(e[i]);
    mperf_multi_cleanup(m);
}

TEST(https_over_lwip_verified_and_refused)
{
    mperf_multi *m = lwip_multi();
    mperf_easy *e[4];
    body b[4];
    mperf_code rc[4];
    char ca[512];
    int i;
    snprintf(ca, sizeof ca, "%s/ca.pem", getenv("MPT_PKI"));
    for (i = 0; i < 4; i++) {
        e[i] = easy(url("https", "localhost", "MPT_TLS_PORT", "/f/64k.bin"), &b[i]);
        mperf_easy_setopt(e[i], MPERF_OPT_CAINFO, ca);
        mperf_multi_add_handle(m, e[i]);
    }
    CHECK_EQ_LONG(run_all(m, rc, 4), 4);
    for (i = 0; i < 4; i++) {
        CHECKF(rc[i] == MPERF_E_OK, "%s", mperf_easy_strerror(rc[i]));
        CHECK(b[i].len == 65536 && b[i].bad == 0);
        mperf_multi_remove_handle(m, e[i]);
        mperf_easy_cleanup(e[i]);
    }
    /* a chain from another CA: refused, over lwIP as over the system's sockets */
    e[0] = easy(url("https", "localhost", "MPT_TLS_WRONG_PORT", "/f/1k.bin"), &b[0]);
    mperf_easy_setopt(e[0], MPERF_OPT_CAINFO, ca);
    CHECK_EQ_LONG(run_one(m, e[0]), MPERF_E_PEER_FAILED_VERIFICATION);
    CHECK_EQ_LONG(b[0].len, 0);
    mperf_easy_cleanup(e[0]);
    /* a large body: 64 MiB, every byte checked */
    e[0] = easy(url("https", "localhost", "MPT_TLS_PORT", "/f/large.bin"), &b[0]);
    mperf_easy_setopt(e[0], MPERF_OPT_CAINFO, ca);
    CHECK_EQ_LONG(run_one(m, e[0]), MPERF_E_OK);
    CHECK(b[0].len == 64u * 1024 * 1024 && b[0].bad == 0);
    mperf_easy_cleanup(e[0]);
    mperf_multi_cleanup(m);
}

TEST(errors_and_timeouts_over_lwip)
{
    mperf_multi *m = lwip_multi();
    body b;
    mperf_easy *e;
    /* nobody listens on that port inside lwIP: refused at once */
    e = easy("http://127.0.0.1:9/", &b);
    CHECK_EQ_LONG(run_one(m, e), MPERF_E_COULDNT_CONNECT);
    mperf_easy_cleanup(e);
    /* a server that never answers: the total timeout, on lwIP's sockets */
    e = easy(url("http", "127.0.0.1", "MPT_FAULT_PORT", "/hang"), &b);
    mperf_easy_setopt(e, MPERF_OPT_TIMEOUT_MS, 500L);
    CHECK_EQ_LONG(run_one(m, e), MPERF_E_OPERATION_TIMEDOUT);
    mperf_easy_cleanup(e);
    /* chunked framing and a body cut by the close */
    e = easy(url("http", "127.0.0.1", "MPT_FAULT_PORT", "/gen/300000?chunked=4000"), &b);
    CHECK_EQ_LONG(run_one(m, e), MPERF_E_OK);
    CHECK(b.len == 300000 && b.bad == 0);
    mperf_easy_cleanup(e);
    /* options that need a system socket do not start */
    e = easy(url("http", "127.0.0.1", "MPT_NGINX_PORT", "/f/1k.bin"), &b);
    mperf_easy_setopt(e, MPERF_OPT_INTERFACE, "lo");
    CHECK_EQ_LONG(run_one(m, e), MPERF_E_NOT_BUILT_IN);
    mperf_easy_cleanup(e);
    /* no wakeup in this transport: said so, not ignored */
    CHECK_EQ_LONG(mperf_multi_wakeup(m), MPERF_M_WAKEUP_FAILURE);
    mperf_multi_cleanup(m);
}

/* ---- DNS over lwIP's UDP: a relay from lwIP's 127.0.0.1:port to the host's ---- */
typedef struct udp_relay {
    int lw;         /* lwIP's UDP socket */
    unsigned port;  /* the DNS server's, on the host */
    unsigned long carried;
} udp_relay;

static void *udp_relay_loop(void *arg)
{
    udp_relay *r = (udp_relay *)arg;
    unsigned char buf[2048];
    for (;;) {
        struct sockaddr_in from, to;
        socklen_t fl = sizeof from;
        ssize_t n = lwip_recvfrom(r->lw, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl), k;
        int h;
        struct pollfd p;
        if (n < 0) break;
        h = socket(AF_INET, SOCK_DGRAM, 0);
        memset(&to, 0, sizeof to);
        to.sin_family = AF_INET;
        to.sin_port = htons((unsigned short)r->port);
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (h < 0) continue;
        if (sendto(h, buf, (size_t)n, 0, (struct sockaddr *)&to, sizeof to) == n) {
            p.fd = h;
            p.events = POLLIN;
            while (poll(&p, 1, 2000) == 1 && (k = recv(h, buf, sizeof buf, 0)) > 0) { /* every reply to it */
                (void)lwip_sendto(r->lw, buf, (size_t)k, 0, (struct sockaddr *)&from, fl);
                r->carried++;
                if (poll(&p, 1, 100) != 1) break;
            }
        }
        close(h);
    }
    return NULL;
}

TEST(names_through_dns_over_lwip)
{
    static udp_relay relay;
    static lwip_fwd dns_tcp;
    mperf_multi *m;
    mperf_easy *e;
    body b;
    char dns[64], u[256];
    struct sockaddr_in a;
    pthread_t t;
    if (!port("MPT_DNS_PORT")) {
        printf("  (no DNS test server)\n");
        return;
    }
    relay.port = (unsigned)port("MPT_DNS_PORT");
    relay.lw = lwip_socket(AF_INET, SOCK_DGRAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)relay.port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(relay.lw >= 0 && lwip_bind(relay.lw, (struct sockaddr *)&a, sizeof a) == 0);
    CHECK(pthread_create(&t, NULL, udp_relay_loop, &relay) == 0);
    pthread_detach(t);
    CHECK(lwip_forward(&dns_tcp, relay.port)); /* TCP, for a truncated answer */
    snprintf(dns, sizeof dns, "127.0.0.1:%u", relay.port);
    m = lwip_multi();
    mperf_multi_setopt(m, MPERF_MOPT_HOSTS_FILE, "");
    snprintf(u, sizeof u, "http://v4.test:%d/gen/5000", port("MPT_FAULT_PORT"));
    e = easy(u, &b);
    mperf_easy_setopt(e, MPERF_OPT_DNS_SERVERS, dns);
    CHECK_EQ_LONG(run_one(m, e), MPERF_E_OK);
    CHECK(b.len == 5000 && b.bad == 0);
    mperf_easy_cleanup(e);
    snprintf(u, sizeof u, "http://trunc.test:%d/gen/5000", port("MPT_FAULT_PORT")); /* over TCP after TC */
    e = easy(u, &b);
    mperf_easy_setopt(e, MPERF_OPT_DNS_SERVERS, dns);
    mperf_easy_setopt(e, MPERF_OPT_IPRESOLVE, 1L); /* v4: lwIP's loopback here has no ::1 */
    CHECK_EQ_LONG(run_one(m, e), MPERF_E_OK);
    CHECK(b.len == 5000 && b.bad == 0);
    mperf_easy_cleanup(e);
    snprintf(u, sizeof u, "http://nx.test:%d/", port("MPT_FAULT_PORT"));
    e = easy(u, &b);
    mperf_easy_setopt(e, MPERF_OPT_DNS_SERVERS, dns);
    CHECK_EQ_LONG(run_one(m, e), MPERF_E_COULDNT_RESOLVE_HOST);
    mperf_easy_cleanup(e);
    CHECKF(relay.carried >= 4 && dns_tcp.accepted >= 1, "UDP answers carried %lu, TCP connections %lu", relay.carried,
           dns_tcp.accepted);
    printf("  DNS over lwIP: %lu UDP answers, %lu TCP connection(s)\n", relay.carried, dns_tcp.accepted);
    mperf_multi_cleanup(m);
}

int main(void)
{
    static lwip_fwd fwd[4];
    static const char *const ports[4] = {"MPT_NGINX_PORT", "MPT_TLS_PORT", "MPT_TLS_WRONG_PORT", "MPT_FAULT_PORT"};
    int i;
    for (i = 0; i < 4; i++)
        if (!port(ports[i])) {
            printf("FAIL - servers: %s is not set\n", ports[i]);
            return 1;
        }
    if (!lwip_start()) {
        printf("FAIL - lwIP did not start\n");
        return 1;
    }
    for (i = 0; i < 4; i++)
        if (!lwip_forward(&fwd[i], (unsigned)port(ports[i]))) {
            printf("FAIL - no forwarder for %s inside lwIP\n", ports[i]);
            return 1;
        }
    RUN(parallel_http_and_keepalive_over_lwip);
    RUN(https_over_lwip_verified_and_refused);
    RUN(errors_and_timeouts_over_lwip);
    RUN(names_through_dns_over_lwip);
    printf("  lwIP: %lu sockets, %lu sends, %lu receives, %lu polls; %lu connections reached the host\n", stats.opens,
           stats.sends, stats.recvs, stats.polls, fwd[0].accepted + fwd[1].accepted + fwd[2].accepted + fwd[3].accepted);
    return t_done("lwip");
}
