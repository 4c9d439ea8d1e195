/* lwip_get: the engine over lwIP, the TCP/IP stack of most microcontroller
   firmware, through a transport of the program's own (MPERF_MOPT_TRANSPORT).

     lwip_get [--cacert FILE] URL [COUNT]

   Fetches URL COUNT times at once (default 1) through lwIP's sockets, with
   the engine's own perform-and-poll loop, and checks each transfer: result,
   status 200, every byte of the announced length. Prints "lwip_get: COUNT
   transfers, K ok, F failed"; exit status 0 when every transfer was right.

   The file has three parts:
   1. the transport: lwIP's socket API as an mperf_transport. This is the
      part a firmware port copies; nothing in it is specific to this demo.
   2. the network: on a device, the Ethernet or Wi-Fi driver's netif. Here,
      so that it runs on a workstation, lwIP runs inside the process on a
      loopback netif (127.0.0.1 inside lwIP), and a small forwarder accepts
      lwIP connections to 127.0.0.1:PORT and carries their bytes to the
      same port on the host's loopback, where the server is. TLS runs end to
      end between the engine and that server.
   3. main: an ordinary multi loop.

   Build (Debian: apt-get install liblwip-dev):
     cc -O2 -I/usr/include/lwip -DMULTIPERFORM_IMPLEMENTATION -o lwip_get \
        examples/lwip_get.c -llwip -lbearssl -lpthread
   Built with LWIP_GET_NO_MAIN, the file gives its parts to a test. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/sockets.h"
#include "lwip/tcpip.h"
#include "multiperform.h"
#ifndef TCP_NODELAY
#define TCP_NODELAY 1 /* <netinet/tcp.h>'s value, which lwIP's build uses; that header clashes with lwIP's */
#endif

/* ---- 1. the transport: lwIP's sockets --------------------------------- */
/* lwIP's calls set errno as the system's do; its socket numbers are small
   integers of its own (never mixed with the system's here). */
typedef struct lwip_tp_stats {
    unsigned long opens, sends, recvs, polls;
} lwip_tp_stats;

static mperf_socket_t lwip_tp_open(void *ud, int family, int kind, unsigned flags, int *err)
{
    lwip_tp_stats *st = (lwip_tp_stats *)ud;
    int one = 1, s = lwip_socket(family == 6 ? AF_INET6 : AF_INET, kind == MPERF_TP_DGRAM ? SOCK_DGRAM : SOCK_STREAM, 0);
    if (s < 0) {
        *err = errno;
        return MPERF_SOCKET_BAD;
    }
    if (lwip_fcntl(s, F_SETFL, O_NONBLOCK) != 0) {
        *err = errno;
        lwip_close(s);
        return MPERF_SOCKET_BAD;
    }
    if (flags & MPERF_TP_NODELAY) (void)lwip_setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (flags & MPERF_TP_KEEPALIVE) (void)lwip_setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    if (st) st->opens++;
    return s;
}

static int lwip_tp_connect(void *ud, mperf_socket_t s, int family, const unsigned char *addr, unsigned port, int *err)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    (void)ud;
    memset(&ss, 0, sizeof ss);
    if (family == 6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((unsigned short)port);
        memcpy(&a->sin6_addr, addr, 16);
        sl = sizeof *a;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((unsigned short)port);
        memcpy(&a->sin_addr, addr, 4);
        sl = sizeof *a;
    }
    if (lwip_connect(s, (struct sockaddr *)&ss, sl) == 0) return 0;
    if (errno == EINPROGRESS || errno == EWOULDBLOCK) return 1;
    *err = errno;
    return -1;
}

static int lwip_tp_connect_result(void *ud, mperf_socket_t s)
{
    int e = 0;
    socklen_t l = sizeof e;
    (void)ud;
    return lwip_getsockopt(s, SOL_SOCKET, SO_ERROR, &e, &l) == 0 ? e : errno;
}

static long lwip_tp_send(void *ud, mperf_socket_t s, const void *buf, size_t len, int *err)
{
    lwip_tp_stats *st = (lwip_tp_stats *)ud;
    ssize_t r = lwip_send(s, buf, len, 0);
    if (st) st->sends++;
    if (r >= 0) return (long)r;
    if (errno == EWOULDBLOCK || errno == EAGAIN) return 0;
    *err = errno;
    return -1;
}

static long lwip_tp_recv(void *ud, mperf_socket_t s, void *buf, size_t len, int *err)
{
    lwip_tp_stats *st = (lwip_tp_stats *)ud;
    ssize_t r = lwip_recv(s, buf, len, 0);
    if (st) st->recvs++;
    if (r >= 0) return (long)r;
    if (errno == EWOULDBLOCK || errno == EAGAIN) return -1;
    *err = errno;
    return -2;
}

static void lwip_tp_close(void *ud, mperf_socket_t s)
{
    (void)ud;
    lwip_close(s);
}

/* lwIP's poll takes the system's struct pollfd: the waitfds are copied in
   and out (a device would size this from its socket count). */
static int lwip_tp_poll(void *ud, mperf_waitfd *fds, unsigned n, int timeout_ms)
{
    lwip_tp_stats *st = (lwip_tp_stats *)ud;
    struct pollfd p[MEMP_NUM_NETCONN > 64 ? MEMP_NUM_NETCONN : 64];
    unsigned i, k = 0;
    int r;
    if (st) st->polls++;
    for (i = 0; i < n && k < sizeof p / sizeof p[0]; i++) {
        fds[i].revents = 0;
        if (fds[i].fd == MPERF_SOCKET_BAD) continue; /* nothing wanted */
        p[k].fd = fds[i].fd;
        p[k].events = (short)(((fds[i].events & MPERF_WAIT_POLLIN) ? POLLIN : 0) |
                              ((fds[i].events & MPERF_WAIT_POLLOUT) ? POLLOUT : 0));
        p[k].revents = 0;
        k++;
    }
    r = k ? lwip_poll(p, k, timeout_ms) : (usleep((useconds_t)timeout_ms * 1000), 0);
    if (r <= 0) return r;
    for (i = 0, k = 0; i < n && k < sizeof p / sizeof p[0]; i++) {
        short rev;
        if (fds[i].fd == MPERF_SOCKET_BAD) continue;
        rev = p[k++].revents;
        fds[i].revents = (short)(((rev & POLLIN) ? MPERF_WAIT_POLLIN : 0) | ((rev & POLLOUT) ? MPERF_WAIT_POLLOUT : 0) |
                                 ((rev & (POLLERR | POLLHUP | POLLNVAL)) ? MPERF_WAIT_POLLERR : 0));
    }
    return r;
}

static const mperf_transport lwip_transport = {lwip_tp_open, lwip_tp_connect, lwip_tp_connect_result,
                                               lwip_tp_send, lwip_tp_recv,    lwip_tp_close,
                                               lwip_tp_poll, NULL /* the system's clock */, NULL /* no wakeup */};

/* ---- 2. the network: lwIP in this process, and a forwarder ------------ */
static struct netif lwip_lo;

static err_t lwip_lo_output(struct netif *nif, struct pbuf *p, const ip4_addr_t *to)
{
    (void)nif, (void)p, (void)to; /* nothing leaves: lwIP loops its own addresses back itself */
    return ERR_OK;
}

static err_t lwip_lo_init(struct netif *nif)
{
    nif->name[0] = 'l';
    nif->name[1] = 'o';
    nif->output = lwip_lo_output;
    nif->mtu = 1500;
    return ERR_OK;
}

static void lwip_ready(void *arg)
{
    sys_sem_signal((sys_sem_t *)arg);
}

/* lwIP's thread, and a netif whose address is 127.0.0.1 inside lwIP. */
static int lwip_start(void)
{
    sys_sem_t done;
    ip4_addr_t ip, mask, gw;
    if (sys_sem_new(&done, 0) != ERR_OK) return 0;
    tcpip_init(lwip_ready, &done);
    sys_sem_wait(&done);
    sys_sem_free(&done);
    IP4_ADDR(&ip, 127, 0, 0, 1);
    IP4_ADDR(&mask, 255, 0, 0, 0);
    IP4_ADDR(&gw, 0, 0, 0, 0);
    LOCK_TCPIP_CORE();
    netif_add(&lwip_lo, &ip, &mask, &gw, NULL, lwip_lo_init, tcpip_input);
    netif_set_default(&lwip_lo);
    netif_set_up(&lwip_lo);
    netif_set_link_up(&lwip_lo);
    UNLOCK_TCPIP_CORE();
    return 1;
}

/* One forwarded connection, in one thread: both sockets non-blocking, bytes
   carried both ways; when either side ends, both are closed whole. (Never a
   half-close on the lwIP side: lwIP 2.1.3 frees a half-closed connection's
   state when its last ACK comes in, then touches it again in close.) */
static void *lwip_fwd_conn(void *arg)
{
    int *pair = (int *)arg, lw = pair[0], h = pair[1], idle = 0;
    char up[16384], down[16384]; /* lwIP to host, host to lwIP */
    size_t uplen = 0, upoff = 0, dnlen = 0, dnoff = 0;
    int lw_end = 0, h_end = 0;
    free(pair);
    (void)lwip_fcntl(lw, F_SETFL, O_NONBLOCK);
    (void)fcntl(h, F_SETFL, fcntl(h, F_GETFL, 0) | O_NONBLOCK);
    while (!(lw_end && !uplen) && !(h_end && !dnlen)) {
        int moved = 0;
        ssize_t n;
        if (!lw_end && !uplen) {
            n = lwip_recv(lw, up, sizeof up, 0);
            if (n > 0) uplen = (size_t)n, upoff = 0, moved = 1;
            else if (n == 0 || (errno != EWOULDBLOCK && errno != EAGAIN)) lw_end = 1;
        }
        if (uplen) {
            n = send(h, up + upoff, uplen - upoff, MSG_NOSIGNAL);
            if (n > 0) {
                moved = 1;
                if ((upoff += (size_t)n) == uplen) uplen = 0;
            } else if (n < 0 && errno != EWOULDBLOCK && errno != EAGAIN) {
                break;
            }
        }
        if (!h_end && !dnlen) {
            n = recv(h, down, sizeof down, 0);
            if (n > 0) dnlen = (size_t)n, dnoff = 0, moved = 1;
            else if (n == 0 || (errno != EWOULDBLOCK && errno != EAGAIN)) h_end = 1;
        }
        if (dnlen) {
            n = lwip_send(lw, down + dnoff, dnlen - dnoff, 0);
            if (n > 0) {
                moved = 1;
                if ((dnoff += (size_t)n) == dnlen) dnlen = 0;
            } else if (n < 0 && errno != EWOULDBLOCK && errno != EAGAIN) {
                break;
            }
        }
        if (moved) {
            idle = 0;
        } else { /* wait a little on each side: lwIP's poll cannot watch the host's socket */
            struct pollfd lp, hp;
            int t = idle < 10 ? 1 : 5;
            idle++;
            lp.fd = lw;
            lp.events = (short)(POLLIN | (dnlen ? POLLOUT : 0));
            hp.fd = h;
            hp.events = (short)(POLLIN | (uplen ? POLLOUT : 0));
            if (lwip_poll(&lp, 1, t) <= 0) (void)poll(&hp, 1, t);
        }
    }
    lwip_close(lw);
    close(h);
    return NULL;
}

typedef struct lwip_fwd {
    int listener;  /* lwIP's socket on 127.0.0.1:port */
    unsigned port; /* the same port on the host's loopback */
    unsigned long accepted;
} lwip_fwd;

static void *lwip_fwd_loop(void *arg)
{
    lwip_fwd *f = (lwip_fwd *)arg;
    for (;;) {
        struct sockaddr_in host;
        int c = lwip_accept(f->listener, NULL, NULL), h, *pair;
        pthread_t t;
        if (c < 0) break;
        h = socket(AF_INET, SOCK_STREAM, 0);
        memset(&host, 0, sizeof host);
        host.sin_family = AF_INET;
        host.sin_port = htons((unsigned short)f->port);
        host.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (h < 0 || connect(h, (struct sockaddr *)&host, sizeof host) != 0 || !(pair = (int *)malloc(2 * sizeof *pair))) {
            if (h >= 0) close(h);
            lwip_close(c);
            continue;
        }
        f->accepted++;
        pair[0] = c;
        pair[1] = h;
        if (pthread_create(&t, NULL, lwip_fwd_conn, pair) == 0) pthread_detach(t);
    }
    return NULL;
}

/* Forwards lwIP's 127.0.0.1:port to the host's 127.0.0.1:port. */
static int lwip_forward(lwip_fwd *f, unsigned port)
{
    struct sockaddr_in a;
    pthread_t t;
    int one = 1;
    memset(f, 0, sizeof *f);
    f->port = port;
    f->listener = lwip_socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    (void)lwip_setsockopt(f->listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (f->listener < 0 || lwip_bind(f->listener, (struct sockaddr *)&a, sizeof a) != 0 || lwip_listen(f->listener, 64) != 0)
        return 0;
    if (pthread_create(&t, NULL, lwip_fwd_loop, f) != 0) return 0;
    pthread_detach(t);
    return 1;
}

/* ---- 3. main: an ordinary multi loop -------------------------------- */
#ifndef LWIP_GET_NO_MAIN
typedef struct job {
    mperf_easy *easy;
    size_t got;
} job;

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    ((job *)ud)->got += size * n;
    return size * n;
}

int main(int argc, char **argv)
{
    const char *cacert = NULL, *url;
    long count = 1, i, ok = 0;
    int running = 1, left, a = 1, rounds;
    unsigned port;
    lwip_fwd fwd;
    lwip_tp_stats st;
    mperf_multi *m;
    mperf_msg *msg;
    job *jobs;
    if (argc > 2 && strcmp(argv[1], "--cacert") == 0) {
        cacert = argv[2];
        a = 3;
    }
    if (argc <= a) {
        fprintf(stderr, "usage: lwip_get [--cacert FILE] URL [COUNT]\n");
        return 2;
    }
    url = argv[a];
    if (argc > a + 1) count = atol(argv[a + 1]);
    if (count < 1 || count > 32) count = 1;
    { /* the URL's port, forwarded from inside lwIP to the host */
        const char *p = strstr(url, "://"), *c = p ? strchr(p + 3, ':') : NULL;
        port = c ? (unsigned)atoi(c + 1) : strncmp(url, "https", 5) == 0 ? 443u : 80u;
    }
    if (!lwip_start() || !lwip_forward(&fwd, port)) {
        fprintf(stderr, "lwip_get: lwIP did not start\n");
        return 1;
    }
    memset(&st, 0, sizeof st);
    m = mperf_multi_init();
    mperf_multi_setopt(m, MPERF_MOPT_TRANSPORT, &lwip_transport);
    mperf_multi_setopt(m, MPERF_MOPT_TRANSPORT_DATA, &st);
    jobs = (job *)calloc((size_t)count, sizeof *jobs);
    for (i = 0; i < count; i++) {
        jobs[i].easy = mperf_easy_init();
        mperf_easy_setopt(jobs[i].easy, MPERF_OPT_URL, url);
        mperf_easy_setopt(jobs[i].easy, MPERF_OPT_WRITEFUNCTION, on_data);
        mperf_easy_setopt(jobs[i].easy, MPERF_OPT_WRITEDATA, &jobs[i]);
        mperf_easy_setopt(jobs[i].easy, MPERF_OPT_TIMEOUT, 60L);
        if (cacert) mperf_easy_setopt(jobs[i].easy, MPERF_OPT_CAINFO, cacert);
        mperf_easy_setopt(jobs[i].easy, MPERF_OPT_PRIVATE, &jobs[i]);
        mperf_multi_add_handle(m, jobs[i].easy);
    }
    for (rounds = 0; running && rounds < 100000; rounds++) {
        mperf_multi_perform(m, &running);
        while ((msg = mperf_multi_info_read(m, &left)) != NULL) {
            job *j = NULL;
            long code = 0;
            mperf_off_t len = -1;
            if (msg->msg != MPERF_MSG_DONE) continue;
            mperf_easy_getinfo(msg->easy_handle, MPERF_INFO_PRIVATE, (void **)&j);
            mperf_easy_getinfo(msg->easy_handle, MPERF_INFO_RESPONSE_CODE, &code);
            mperf_easy_getinfo(msg->easy_handle, MPERF_INFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
            if (msg->data.result == MPERF_E_OK && code == 200 && len >= 0 && j && j->got == (size_t)len) ok++;
            else fprintf(stderr, "lwip_get: %s (status %ld, %zu of %lld bytes)\n", mperf_easy_strerror(msg->data.result),
                         code, j ? j->got : 0, (long long)len);
        }
        if (running) mperf_multi_poll(m, NULL, 0, 1000, NULL);
    }
    printf("lwip_get: %ld transfers, %ld ok, %ld failed (lwIP: %lu sockets, %lu connections forwarded)\n", count, ok,
           count - ok, st.opens, fwd.accepted);
    for (i = 0; i < count; i++) {
        mperf_multi_remove_handle(m, jobs[i].easy);
        mperf_easy_cleanup(jobs[i].easy);
    }
    free(jobs);
    mperf_multi_cleanup(m);
    return ok == count ? 0 : 1;
}
#endif
