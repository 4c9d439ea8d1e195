/* tlsfault: a one-connection-at-a-time TLS 1.2 server on BearSSL, for what
   nginx and openssl s_server will not do: end a response with a bare TCP
   close instead of close_notify.

     tlsfault CHAIN.pem KEY.pem [small-records]   (prints "PORT n" once listening)

   small-records: records of at most 512 bytes, so a certificate reaches the
   client in pieces.

   Paths: /cl            Content-Length body, then close without close_notify
          /close-clean   body ended by close, with close_notify
          /close-unclean body ended by close, without close_notify
          /keep          Content-Length body, then waits for the client to end
                         the connection and notes whether it sent close_notify
          /last-close    "clean" or "unclean": how the last /keep connection ended */
#define _POSIX_C_SOURCE 200809L
#include <bearssl.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static br_x509_certificate chain[4];
static size_t chain_len;
static br_skey_decoder_context skey;

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *b = NULL;
    long n;
    if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) exit(1);
    b = malloc((size_t)n + 1);
    if (fread(b, 1, (size_t)n, f) != (size_t)n) exit(1);
    fclose(f);
    *len = (size_t)n;
    return b;
}

typedef struct {
    unsigned char *p;
    size_t len, cap;
} buf;

static void to_buf(void *ctx, const void *d, size_t n)
{
    buf *b = ctx;
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, d, n);
    b->len += n;
}

/* Feeds every PEM object of a file to cb(name, der, len). */
static void pem_each(const char *path, void (*cb)(const char *, unsigned char *, size_t))
{
    size_t len, k;
    unsigned char *data = slurp(path, &len), *p = data;
    br_pem_decoder_context pc;
    buf b = {0};
    char name[128] = "";
    br_pem_decoder_init(&pc);
    while (len) {
        k = br_pem_decoder_push(&pc, p, len);
        p += k;
        len -= k;
        switch (br_pem_decoder_event(&pc)) {
        case BR_PEM_BEGIN_OBJ:
            snprintf(name, sizeof name, "%s", br_pem_decoder_name(&pc));
            b.len = 0;
            br_pem_decoder_setdest(&pc, to_buf, &b);
            break;
        case BR_PEM_END_OBJ: {
            unsigned char *der = malloc(b.len);
            memcpy(der, b.p, b.len);
            cb(name, der, b.len);
            break;
        }
        case BR_PEM_ERROR: exit(1);
        }
    }
}

static void add_cert(const char *name, unsigned char *der, size_t len)
{
    if (strstr(name, "CERTIFICATE") && chain_len < 4) {
        chain[chain_len].data = der;
        chain[chain_len++].data_len = len;
    }
}

static void add_key(const char *name, unsigned char *der, size_t len)
{
    (void)name;
    br_skey_decoder_init(&skey);
    br_skey_decoder_push(&skey, der, len);
}

static int sock_read(void *ctx, unsigned char *d, size_t n)
{
    for (;;) {
        ssize_t r = read(*(int *)ctx, d, n);
        if (r <= 0 && errno == EINTR) continue;
        return r <= 0 ? -1 : (int)r;
    }
}

static int sock_write(void *ctx, const unsigned char *d, size_t n)
{
    for (;;) {
        ssize_t r = write(*(int *)ctx, d, n);
        if (r <= 0 && errno == EINTR) continue;
        return r <= 0 ? -1 : (int)r;
    }
}

int main(int argc, char **argv)
{
    int l, one = 1;
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    static unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
    /* BearSSL's smallest output buffer: 512 bytes of payload and its record overhead */
    static unsigned char ibuf[BR_SSL_BUFSIZE_INPUT], obuf[600];
    int small = argc == 4 && strcmp(argv[3], "small-records") == 0;
    if (argc != 3 && !small) return 2;
    signal(SIGPIPE, SIG_IGN);
    pem_each(argv[1], add_cert);
    pem_each(argv[2], add_key);
    if (!chain_len || br_skey_decoder_last_error(&skey)) return 1;
    l = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(0x7f000001);
    if (bind(l, (struct sockaddr *)&sa, sizeof sa) || listen(l, 16)) return 1;
    getsockname(l, (struct sockaddr *)&sa, &sl);
    printf("PORT %d\n", ntohs(sa.sin_port));
    fflush(stdout);
    const char *last_close = "none";
    for (;;) {
        br_ssl_server_context sc;
        br_sslio_context io;
        char req[4096];
        size_t got = 0;
        const char *resp = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
        int clean = 1, fd = accept(l, NULL, NULL);
        if (fd < 0) continue;
        if (br_skey_decoder_key_type(&skey) == BR_KEYTYPE_RSA)
            br_ssl_server_init_full_rsa(&sc, chain, chain_len, br_skey_decoder_get_rsa(&skey));
        else
            br_ssl_server_init_full_ec(&sc, chain, chain_len, BR_KEYTYPE_EC, br_skey_decoder_get_ec(&skey));
        if (small)
            br_ssl_engine_set_buffers_bidi(&sc.eng, ibuf, sizeof ibuf, obuf, sizeof obuf);
        else
            br_ssl_engine_set_buffer(&sc.eng, iobuf, sizeof iobuf, 1);
        br_ssl_server_reset(&sc);
        br_sslio_init(&io, &sc.eng, sock_read, &fd, sock_write, &fd);
        while (got < sizeof req - 1) { /* the request head */
            int r = br_sslio_read(&io, req + got, 1);
            if (r <= 0) break;
            got += (size_t)r;
            if (got >= 4 && memcmp(req + got - 4, "\r\n\r\n", 4) == 0) break;
        }
        req[got] = 0;
        if (strncmp(req, "GET /cl ", 8) == 0) {
            resp = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
            clean = 0;
        } else if (strncmp(req, "GET /close-clean ", 17) == 0) {
            resp = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello, all of it";
        } else if (strncmp(req, "GET /keep ", 10) == 0) {
            char b[64];
            br_sslio_write_all(&io, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nkept", 42);
            br_sslio_flush(&io);
            while (br_sslio_read(&io, b, sizeof b) > 0) {} /* until the client ends it */
            last_close = (br_ssl_engine_current_state(&sc.eng) == BR_SSL_CLOSED &&
                          br_ssl_engine_last_error(&sc.eng) == BR_ERR_OK) ? "clean" : "unclean";
            close(fd);
            continue;
        } else if (strncmp(req, "GET /last-close ", 16) == 0) {
            static char r[128];
            snprintf(r, sizeof r, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s", strlen(last_close),
                     last_close);
            resp = r;
        } else if (strncmp(req, "GET /close-unclean ", 19) == 0) {
            resp = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello, maybe cut";
            clean = 0;
        }
        if (got) {
            br_sslio_write_all(&io, resp, strlen(resp));
            br_sslio_flush(&io);
            if (clean) br_sslio_close(&io);
        }
        close(fd);
    }
}
