/* faultserver: a small scriptable HTTP/1.1 server for loopback tests and the demo.

   It does what nginx will not: drip bytes, reset, hang, send malformed framing.
   Single-threaded, poll-based, POSIX only. Everything is chosen per request
   by the URL, so one server process serves a whole test suite:

     /file/NAME[?rate=B]       a file from the -d directory (rate: bytes/second)
     /gen/N[?chunked=S][&close=1][&rate=B][&ka=0]
                               N bytes of a known pattern, with Content-Length,
                               or chunked in S-byte chunks, or ended by close
     /raw?pre=..&d=..&rep=K&post=..[&drip=N][&gap=MS][&delay=MS][&end=E]
                               sends pre, then d K times, then post, verbatim
                               (percent-decoded); drip: at most N bytes per
                               write, gap ms apart; end: keep (default, read the
                               next request), close, reset (RST), hang (never
                               close, never read), drop (keep the connection but
                               close it when the next request arrives: the
                               keep-alive race a client must retry), dropreset
                               (the same with a reset instead of a close)
     /echo[?expect=ignore]     200, the body is the request head as received plus
                               "body-length: N" and "body-sum: X" (FNV-1a 64 of
                               the request body, in hex) and "peer: IP PORT"
                               (the client's end; "peer: unix 0" on a unix
                               socket); answers Expect: 100-continue with a 100
                               unless expect=ignore
     /redir?code=C&to=URL[&body=N]
                               reads the whole request (body too), then answers
                               C with Location: URL and an N-byte body
     /hop/N                    302 to /hop/N-1; /hop/0 answers "hops!"
     /gen/N?key=K&fails=F&(status=S[&ra=SECONDS|date]|cut=M)
                               the first F requests with key K fail (status S
                               with Retry-After, or the body cut after M bytes
                               and the connection closed), the rest are served
     /gen/N also honours "Range: bytes=A-B" and "bytes=A-" with a 206 unless
                               norange=1 is given
     /stats[?reset=1]          "connections=C requests=R active=A maxbusy=M busy=B":
                               M is the most requests (other than /stats) in
                               progress at once since the last reset, B now
     /hang                     read the request, never answer
     /reset                    read the request, answer with a TCP reset
     /reset-early              as soon as the request line is in: FIN, then 50 ms
                               later a reset (a client still sending gets EPIPE)
     /close                    read the request, close without a byte
     /digest[?alg=A][&qop=0][&opaque=0][&userhash=1][&also=B][&stale=1]
                               a 401 offering Digest (algorithm=A when given:
                               MD5, MD5-sess, SHA-256, SHA-256-sess; qop="auth"
                               unless qop=0; an opaque unless opaque=0; also=B:
                               a first challenge with algorithm B) until the
                               request answers one right for user "user" and
                               password "secret" (RFC 7616), then 200 "digest ok";
                               stale=1: a right answer to the first nonce gets
                               a 401 with stale=true and a fresh nonce

   Two more listening ports serve what no request can ask for: connections
   to NOREAD are accepted and never read or answered (with a small receive
   window, so a sender backs up soon), and connections to RESET are reset as
   soon as they are accepted.

   Options: -p PORT (0: pick one), -d DIR, -q (quiet), -a NAME (also serve
   on the Linux abstract unix socket NAME). Prints
   "PORT n NOREAD m RESET r" on stdout once listening. "faultserver -w N FILE" writes N pattern bytes to
   FILE and exits (the tests' and the demo's files). Pattern byte i is (i * 7 + i / 251) & 0xff. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#ifndef MPT_NO_BEARSSL
#include <bearssl.h> /* MD5 and SHA-256 for /digest (make demo builds without: /digest then accepts no answer) */
#endif

#define MAX_CONNS 8192
#define MAX_HEAD (256 * 1024)

typedef struct conn {
    int fd;
    int hang;              /* never read again, never close */
    char *in;              /* request bytes */
    size_t inlen, incap;
    size_t body_need;      /* request body bytes still to swallow (Content-Length) */
    int body_chunked;      /* request body is chunked: swallow until 0-size chunk */
    size_t body_seen;
    uint64_t body_sum;          /* FNV-1a 64 of the request body */
    char *redir;                /* the response to send once the body is in (/redir) */
    size_t redir_len;
    char *head_copy;       /* the request head, kept for /echo until the body is in */
    size_t head_len;
    int echo_pending;
    /* response */
    char *out;             /* fixed bytes to send first (headers, raw pre) */
    size_t outlen, outpos;
    char *rep;             /* repeated part */
    size_t replen, reppos;
    uint64_t repleft;
    char *post;
    size_t postlen, postpos;
    uint64_t gen_left, gen_pos; /* pattern body */
    uint64_t cut_at;            /* flaky: body bytes + 1 to send before closing (0: no cut) */
    size_t gen_chunk;           /* >0: chunked framing */
    int gen_chunk_done;
    FILE *file;
    int end;                    /* 0 keep, 1 close, 2 reset, 3 hang, 4 drop, 5 FIN then reset */
    int drop;                   /* close when the next request head is in */
    int noread;                 /* stop reading: the client's sends back up */
    int want_close;
    int busy;                   /* counted in stat_busy */
    int interim;                /* the response going out is a 100 Continue */
    size_t drip;
    long gap_ms, rate;
    double next_send;           /* monotonic seconds */
    double rate_start;
    uint64_t sent_body;
    int responding;
} conn;

static conn *conns[MAX_CONNS];
#define NLISTEN 4 /* the HTTP port, NOREAD, RESET, the abstract socket (-1: none): pfds[0..3]; connections follow */
static struct pollfd pfds[MAX_CONNS + NLISTEN];
static int nconns;
static const char *docroot = ".";
static int quiet;
static unsigned long stat_conns, stat_reqs, stat_active, stat_busy, stat_maxbusy;

static void busy_set(conn *c, int on)
{
    if (on && !c->busy) {
        stat_busy++;
        if (stat_busy > stat_maxbusy) stat_maxbusy = stat_busy;
    } else if (!on && c->busy) {
        stat_busy--;
    }
    c->busy = on;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void body_hash(conn *c, const char *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) c->body_sum = (c->body_sum ^ (unsigned char)p[i]) * 1099511628211ULL;
}

static unsigned char pattern(uint64_t i)
{
    return (unsigned char)((i * 7 + i / 251) & 0xff);
}

static int hexv(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Finds ?name= or &name= in a query and percent-decodes the value. */
static char *query_get(const char *q, const char *name, size_t *outlen)
{
    size_t n = strlen(name);
    const char *p = q;
    while (p && *p) {
        if (strncmp(p, name, n) == 0 && p[n] == '=') {
            const char *v = p + n + 1, *e = strchr(v, '&');
            size_t len = e ? (size_t)(e - v) : strlen(v), i, o = 0;
            char *d = malloc(len + 1);
            for (i = 0; i < len; i++) {
                if (v[i] == '%' && i + 2 < len && hexv(v[i + 1]) >= 0 && hexv(v[i + 2]) >= 0) {
                    d[o++] = (char)(hexv(v[i + 1]) * 16 + hexv(v[i + 2]));
                    i += 2;
                } else if (v[i] == '+') {
                    d[o++] = ' ';
                } else {
                    d[o++] = v[i];
                }
            }
            d[o] = 0;
            if (outlen) *outlen = o;
            return d;
        }
        p = strchr(p, '&');
        if (p) p++;
    }
    return NULL;
}

static long query_num(const char *q, const char *name, long def)
{
    char *v = query_get(q, name, NULL);
    long r = def;
    if (v) {
        r = strtol(v, NULL, 10);
        free(v);
    }
    return r;
}

static void set_out(conn *c, const char *s, size_t n)
{
    free(c->out);
    c->out = malloc(n + 1);
    memcpy(c->out, s, n);
    c->outlen = n;
    c->outpos = 0;
}

static void reset_response(conn *c)
{
    free(c->out);
    free(c->rep);
    free(c->post);
    if (c->file) fclose(c->file);
    c->out = c->rep = c->post = NULL;
    c->file = NULL;
    c->outlen = c->outpos = c->replen = c->reppos = c->postlen = c->postpos = 0;
    c->repleft = c->gen_left = c->gen_pos = 0;
    c->gen_chunk = 0;
    c->gen_chunk_done = 0;
    c->end = 0;
    c->drip = 0;
    c->gap_ms = 0;
    c->rate = 0;
    c->next_send = 0;
    c->sent_body = 0;
    c->responding = 0;
}

static void close_conn(int idx, int rst)
{
    conn *c = conns[idx];
    if (rst) {
        struct linger l = {1, 0};
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    close(c->fd);
    busy_set(c, 0);
    reset_response(c);
    free(c->in);
    free(c->head_copy);
    free(c->redir);
    free(c);
    stat_active--;
    conns[idx] = conns[nconns - 1];
    pfds[idx + NLISTEN] = pfds[nconns - 1 + NLISTEN];
    nconns--;
}

static void respond_simple(conn *c, int code, const char *reason, const char *body, int ka)
{
    char head[512];
    size_t bl = strlen(body);
    int n = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\nContent-Type: text/plain\r\n%s\r\n",
                     code, reason, bl, ka ? "" : "Connection: close\r\n");
    char *all = malloc((size_t)n + bl);
    memcpy(all, head, (size_t)n);
    memcpy(all + n, body, bl);
    set_out(c, all, (size_t)n + bl);
    free(all);
    c->end = ka ? 0 : 1;
    c->responding = 1;
}

static int header_value(const char *head, size_t hlen, const char *name, char *out, size_t outlen);

/* ---- /digest: RFC 7616's check of an Authorization: Digest answer ---- */
static void digest_hex(int sha, const char *s, char *hex)
{
    unsigned char out[32];
    size_t n = sha ? 32 : 16, i;
#ifdef MPT_NO_BEARSSL
    memset(out, 0, sizeof out); /* (no hash: no answer matches) */
    (void)s;
#else
    if (sha) {
        br_sha256_context c;
        br_sha256_init(&c);
        br_sha256_update(&c, s, strlen(s));
        br_sha256_out(&c, out);
    } else {
        br_md5_context c;
        br_md5_init(&c);
        br_md5_update(&c, s, strlen(s));
        br_md5_out(&c, out);
    }
#endif
    for (i = 0; i < n; i++) sprintf(hex + 2 * i, "%02x", out[i]);
}

/* An auth-param's value (quoted or not) from a Digest answer, or "". */
static void digest_param(const char *v, const char *name, char *out, size_t outlen)
{
    size_t n = strlen(name), o = 0;
    const char *p = v;
    out[0] = 0;
    while ((p = strstr(p, name)) != NULL) {
        if ((p == v || p[-1] == ' ' || p[-1] == ',') && p[n] == '=') break;
        p += n;
    }
    if (!p) return;
    p += n + 1;
    if (*p == '"') {
        for (p++; *p && *p != '"' && o + 1 < outlen; p++) {
            if (*p == '\\' && p[1]) p++;
            out[o++] = *p;
        }
    } else {
        while (*p && *p != ',' && *p != ' ' && o + 1 < outlen) out[o++] = *p++;
    }
    out[o] = 0;
}

/* Whether value (an Authorization header's) answers /digest's challenge
   for target with method: user "user", password "secret", nonce want_nonce.
   2 when it is right but for the first nonce while want_nonce is another
   (stale). */
static int digest_ok(const char *value, const char *method, const char *target, const char *alg_want, const char *also,
                     int qop, const char *want_nonce)
{
    char user[128], realm[128], nonce[128], uri[1024], cnonce[128], nc[32], qp[32], resp[80], alg[32];
    char ha1[65], ha2[65], want[65], buf[2048], uh[65];
    int sha, sess;
    if (strncasecmp(value, "Digest ", 7) != 0) return 0;
    digest_param(value, "username", user, sizeof user);
    digest_param(value, "realm", realm, sizeof realm);
    digest_param(value, "nonce", nonce, sizeof nonce);
    digest_param(value, "uri", uri, sizeof uri);
    digest_param(value, "cnonce", cnonce, sizeof cnonce);
    digest_param(value, "nc", nc, sizeof nc);
    digest_param(value, "qop", qp, sizeof qp);
    digest_param(value, "response", resp, sizeof resp);
    digest_param(value, "algorithm", alg, sizeof alg);
    if (also && strcmp(alg, also) == 0) qop = 1; /* the answer to the first challenge (always qop="auth") */
    else if (strcmp(alg, alg_want ? alg_want : "") != 0) return 0;
    if (strcmp(realm, "mpt@test") != 0 || strcmp(uri, target) != 0) return 0;
    if (strcmp(nonce, want_nonce) != 0 && strcmp(nonce, "n0nce-7616") != 0) return 0;
    sha = strncasecmp(alg, "SHA-256", 7) == 0;
    sess = strstr(alg, "-sess") != NULL;
    snprintf(buf, sizeof buf, "user:%s", realm);
    digest_hex(sha, buf, uh);
    if (strcmp(user, "user") != 0 && strcmp(user, uh) != 0) return 0;
    snprintf(buf, sizeof buf, "user:%s:secret", realm);
    digest_hex(sha, buf, ha1);
    if (sess) {
        snprintf(buf, sizeof buf, "%s:%s:%s", ha1, nonce, cnonce);
        digest_hex(sha, buf, ha1);
    }
    snprintf(buf, sizeof buf, "%s:%s", method, uri);
    digest_hex(sha, buf, ha2);
    if (qop) {
        if (strcmp(qp, "auth") != 0 || !cnonce[0] || strlen(nc) != 8) return 0;
        snprintf(buf, sizeof buf, "%s:%s:%s:%s:auth:%s", ha1, nonce, nc, cnonce, ha2);
    } else {
        snprintf(buf, sizeof buf, "%s:%s:%s", ha1, nonce, ha2);
    }
    digest_hex(sha, buf, want);
    if (strcmp(want, resp) != 0) return 0;
    return strcmp(nonce, want_nonce) == 0 ? 1 : 2;
}

/* The proxy's credentials the fault server takes: "user:s3cret". */
static int proxy_auth_ok(const conn *c, size_t hlen)
{
    char v[128];
    return header_value(c->in, hlen, "proxy-authorization", v, sizeof v) && strcmp(v, "Basic dXNlcjpzM2NyZXQ=") == 0;
}

/* CONNECT NAME:PORT, answered as the name says: deny.test 403 (with a body),
   close.test closes at once, half.test closes in the middle of the status
   line, extra.test sends bytes after its 200, longline.test a 200 with a
   header line of 200 KB, badstatus.test a status line that does not parse,
   auth.test a 407 offering Basic
   until the credentials come (authclose.test the same with Connection:
   close), slow.test never answers; any other name is a "tunnel" to this
   server itself: a 200, then requests on the connection are served here. */
static void proxy_connect(conn *c, const char *target, size_t hlen)
{
    static const char *const deny = "HTTP/1.1 403 Forbidden\r\nContent-Length: 4\r\n\r\ndeny";
    static const char *const ok = "HTTP/1.1 200 Connection established\r\n\r\n";
    if (!quiet) fprintf(stderr, "faultserver: CONNECT %s\n", target);
    c->responding = 1;
    c->end = 0;
    if (strncmp(target, "deny.test:", 10) == 0) {
        set_out(c, deny, strlen(deny));
    } else if (strncmp(target, "close.test:", 11) == 0) {
        set_out(c, "", 0);
        c->end = 1;
    } else if (strncmp(target, "half.test:", 10) == 0) {
        set_out(c, "HTTP/1.1 200 Con", 16);
        c->end = 1;
    } else if (strncmp(target, "extra.test:", 11) == 0) {
        set_out(c, "HTTP/1.1 200 OK\r\n\r\nextra", 24);
    } else if (strncmp(target, "longline.test:", 14) == 0) {
        size_t n = 200 * 1024, k = strlen("HTTP/1.1 200 OK\r\nX-Long: ");
        char *b = malloc(k + n + 4);
        memcpy(b, "HTTP/1.1 200 OK\r\nX-Long: ", k);
        memset(b + k, 'a', n);
        memcpy(b + k + n, "\r\n\r\n", 4);
        set_out(c, b, k + n + 4);
        free(b);
    } else if (strncmp(target, "badstatus.test:", 15) == 0) {
        set_out(c, "HTTP/1.1 2x0 OK\r\n\r\n", 19);
    } else if (strncmp(target, "slow.test:", 10) == 0) {
        set_out(c, "", 0);
        c->end = 3;
    } else if ((strncmp(target, "auth.test:", 10) == 0 || strncmp(target, "authclose.test:", 15) == 0) &&
               !proxy_auth_ok(c, hlen)) {
        const char *a = target[4] == 'c' ? "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic "
                                           "realm=\"mpt\"\r\nConnection: close\r\nContent-Length: 2\r\n\r\nno"
                                         : "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic "
                                           "realm=\"mpt\"\r\nContent-Length: 2\r\n\r\nno";
        set_out(c, a, strlen(a));
        if (target[4] == 'c') c->end = 1;
    } else {
        set_out(c, ok, strlen(ok));
    }
}

/* flaky's cut: at most cut_at - 1 body bytes, then a close */
static void cut_short(conn *c)
{
    if (!c->cut_at) return;
    if (c->gen_left > c->cut_at - 1) c->gen_left = c->cut_at - 1;
    c->end = 1;
    c->cut_at = 0;
}

/* /gen/N?key=K&fails=F: the first F requests with key K fail, then they are
   served. How: status=S (with Retry-After: ra=SECONDS when given, or
   ra=date: an HTTP date 1 s ahead) or cut=M (the head promises all N bytes,
   M come, then the connection closes). */
static int flaky(conn *c, const char *q, const char *method)
{
    static long keys[1024], counts[1024];
    long key = query_num(q, "key", 0), fails = query_num(q, "fails", 0), status = query_num(q, "status", 0);
    long cut = query_num(q, "cut", -1);
    int i;
    char head[512];
    if (!key || !fails) return 0;
    for (i = 0; i < 1024 && keys[i] && keys[i] != key; i++) continue;
    if (i == 1024) i = (int)((unsigned long)key % 1024); /* full: a slot is reused */
    if (keys[i] != key) counts[i] = 0;
    keys[i] = key;
    if (counts[i] >= fails) return 0;
    counts[i]++;
    if (cut >= 0) { /* the normal answer, cut short: the caller serves it, this ends it early */
        c->cut_at = (uint64_t)cut + 1;
        return 0;
    }
    {
        char ra[96] = "";
        size_t ran = 0;
        char *v = query_get(q, "ra", &ran);
        if (v && strcmp(v, "date") == 0) {
            time_t t = time(NULL) + 1;
            struct tm tmv;
            gmtime_r(&t, &tmv);
            strftime(ra, sizeof ra, "Retry-After: %a, %d %b %Y %H:%M:%S GMT\r\n", &tmv);
        } else if (v) {
            snprintf(ra, sizeof ra, "Retry-After: %s\r\n", v);
        }
        free(v);
        snprintf(head, sizeof head, "HTTP/1.1 %ld Busy\r\n%sContent-Length: 5\r\n\r\n%s", status ? status : 503L, ra,
                 strcmp(method, "HEAD") == 0 ? "" : "busy\n");
    }
    set_out(c, head, strlen(head));
    c->responding = 1;
    return 1;
}

/* Sets up the response for one complete request head in c->in[0..hlen). */
static void handle_request(conn *c, size_t hlen)
{
    char method[16], target[MAX_HEAD];
    const char *sp1, *sp2, *q;
    char path[4096];
    size_t plen;
    stat_reqs++;
    reset_response(c);
    sp1 = memchr(c->in, ' ', hlen);
    sp2 = sp1 ? memchr(sp1 + 1, ' ', hlen - (size_t)(sp1 + 1 - c->in)) : NULL;
    if (!sp1 || !sp2 || (size_t)(sp1 - c->in) >= sizeof method) {
        respond_simple(c, 400, "Bad Request", "bad request line\n", 0);
        return;
    }
    memcpy(method, c->in, (size_t)(sp1 - c->in));
    method[sp1 - c->in] = 0;
    memcpy(target, sp1 + 1, (size_t)(sp2 - sp1 - 1));
    target[sp2 - sp1 - 1] = 0;
    if (strcmp(method, "CONNECT") == 0) { /* acting as a proxy: by the host asked for */
        proxy_connect(c, target, hlen);
        return;
    }
    if (strncmp(target, "http://", 7) == 0) { /* acting as a proxy: the absolute form, served here */
        const char *slash = strchr(target + 7, '/');
        memmove(target, slash ? slash : "/", strlen(slash ? slash : "/") + 1);
    }
    q = strchr(target, '?');
    plen = q ? (size_t)(q - target) : strlen(target);
    if (plen >= sizeof path) plen = sizeof path - 1;
    memcpy(path, target, plen);
    path[plen] = 0;
    q = q ? q + 1 : "";
    if (!quiet) fprintf(stderr, "faultserver: %s %s\n", method, path);

    if (strcmp(path, "/echo") == 0 || strcmp(path, "/redir") == 0) {
        /* answered once the body is in */
        char ex[64];
        free(c->head_copy);
        c->head_copy = malloc(hlen);
        memcpy(c->head_copy, c->in, hlen);
        c->head_len = hlen;
        c->echo_pending = 1;
        free(c->redir);
        c->redir = NULL;
        if (strcmp(path, "/redir") == 0) {
            char *to = query_get(q, "to", NULL), head[8192];
            long code = query_num(q, "code", 302), blen = query_num(q, "body", 0), i;
            int hn = snprintf(head, sizeof head, "HTTP/1.1 %ld Redirect\r\nLocation: %s\r\nContent-Length: %ld\r\n\r\n", code,
                              to ? to : "/", blen);
            c->redir = malloc((size_t)hn + (size_t)blen);
            memcpy(c->redir, head, (size_t)hn);
            for (i = 0; i < blen; i++) c->redir[hn + i] = 'r';
            c->redir_len = (size_t)hn + (size_t)blen;
            free(to);
        }
        if (strcmp(path, "/echo") == 0) { /* auth=SCHEME: a 401 offering SCHEME until a request has Authorization */
            char *scheme = query_get(q, "auth", NULL), au[8];
            if (scheme && !header_value(c->in, hlen, "authorization", au, sizeof au)) {
                char head[512];
                int hn = snprintf(head, sizeof head,
                                  "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: %.200s realm=\"t\"\r\nContent-Length: 0\r\n\r\n",
                                  scheme);
                c->redir = malloc((size_t)hn);
                memcpy(c->redir, head, (size_t)hn);
                c->redir_len = (size_t)hn;
            }
            free(scheme);
        }
        if (header_value(c->in, hlen, "expect", ex, sizeof ex) && strcasecmp(ex, "100-continue") == 0) {
            char *mode = query_get(q, "expect", NULL);
            if (!mode || strcmp(mode, "ignore") != 0) {
                set_out(c, "HTTP/1.1 100 Continue\r\n\r\n", 25);
                c->responding = 1;
                c->interim = 1;
            }
            free(mode);
        }
        return;
    }
    if (strcmp(path, "/proxyauth") == 0) { /* a forward proxy's 407 until the credentials come */
        if (proxy_auth_ok(c, hlen)) {
            respond_simple(c, 200, "OK", "proxy auth ok", 1);
        } else {
            const char *a = "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"mpt\"\r\n"
                            "Content-Length: 2\r\n\r\nno";
            set_out(c, a, strlen(a));
            c->responding = 1;
        }
        return;
    }
    if (strcmp(path, "/stats") == 0) {
        char b[256];
        if (query_num(q, "reset", 0)) stat_maxbusy = stat_busy;
        snprintf(b, sizeof b, "connections=%lu requests=%lu active=%lu maxbusy=%lu busy=%lu\n", stat_conns, stat_reqs,
                 stat_active, stat_maxbusy, stat_busy);
        respond_simple(c, 200, "OK", b, 1);
        return;
    }
    if (strcmp(path, "/digest") == 0) {
        char au[2048], head[1024], *alg = query_get(q, "alg", NULL), *also = query_get(q, "also", NULL);
        int qop = (int)query_num(q, "qop", 1), opaque = (int)query_num(q, "opaque", 1), uhash = (int)query_num(q, "userhash", 0);
        int stale_mode = (int)query_num(q, "stale", 0), r = 0;
        const char *want_nonce = stale_mode ? "n0nce-fresh" : "n0nce-7616";
        if (header_value(c->in, hlen, "authorization", au, sizeof au)) r = digest_ok(au, method, target, alg, also, qop, want_nonce);
        if (r == 1) {
            respond_simple(c, 200, "OK", "digest ok", 1);
        } else {
            char ch[512], first[256] = "";
            int hn;
            snprintf(ch, sizeof ch, "Digest realm=\"mpt@test\"%s, nonce=\"%s\"%s%s%s%s%s", qop ? ", qop=\"auth\"" : "",
                     r == 2 ? want_nonce : "n0nce-7616", opaque ? ", opaque=\"0paque\"" : "", alg ? ", algorithm=" : "",
                     alg ? alg : "", uhash ? ", userhash=true" : "", r == 2 ? ", stale=true" : "");
            if (also) snprintf(first, sizeof first, "WWW-Authenticate: Digest realm=\"mpt@test\", qop=\"auth\", nonce=\"n0nce-7616\", algorithm=%.40s\r\n", also);
            hn = snprintf(head, sizeof head, "HTTP/1.1 401 Unauthorized\r\n%sWWW-Authenticate: %s\r\nContent-Length: 2\r\n\r\nno", first, ch);
            set_out(c, head, (size_t)hn);
            c->responding = 1;
        }
        free(alg);
        free(also);
        return;
    }
    busy_set(c, 1);
    if (strcmp(path, "/hang") == 0) {
        c->hang = 1;
        return;
    }
    if (strcmp(path, "/reset") == 0) {
        c->end = 2;
        c->responding = 1;
        return;
    }
    if (strcmp(path, "/close") == 0) {
        c->end = 1;
        c->responding = 1;
        return;
    }
    c->drip = (size_t)query_num(q, "drip", 0);
    c->gap_ms = query_num(q, "gap", 0);
    c->rate = query_num(q, "rate", 0);
    c->next_send = now_s() + query_num(q, "delay", 0) / 1000.0;
    c->rate_start = c->next_send;
    if (strncmp(path, "/gen/", 5) == 0 && flaky(c, q, method)) return;
    if (strncmp(path, "/gen/", 5) == 0) {
        char head[256];
        uint64_t n = strtoull(path + 5, NULL, 10);
        long chunk = query_num(q, "chunked", 0);
        int close_mode = (int)query_num(q, "close", 0), ka = (int)query_num(q, "ka", 1);
        int hn;
        char rv[128];
        uint64_t from = 0, to = n ? n - 1 : 0;
        int ranged = 0;
        if (!query_num(q, "norange", 0) && header_value(c->in, hlen, "range", rv, sizeof rv) && strncmp(rv, "bytes=", 6) == 0) {
            char *dash;
            from = strtoull(rv + 6, &dash, 10);
            if (*dash == '-' && dash[1]) to = strtoull(dash + 1, NULL, 10);
            if (to >= n) to = n - 1;
            ranged = from <= to && from < n;
        }
        if (ranged) {
            hn = snprintf(head, sizeof head,
                          "HTTP/1.1 206 Partial Content\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes %llu-%llu/%llu\r\nContent-Length: %llu\r\n\r\n",
                          (unsigned long long)from, (unsigned long long)to, (unsigned long long)n,
                          (unsigned long long)(to - from + 1));
            set_out(c, head, (size_t)hn);
            c->gen_pos = from;
            c->gen_left = to - from + 1;
            c->responding = 1;
            if (strcmp(method, "HEAD") == 0) c->gen_left = 0;
            cut_short(c);
            return;
        }
        if (chunk > 0)
            hn = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n%s\r\n",
                          ka ? "" : "Connection: close\r\n");
        else if (close_mode)
            hn = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n");
        else
            hn = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: %llu\r\n%s\r\n",
                          (unsigned long long)n, ka ? "" : "Connection: close\r\n");
        set_out(c, head, (size_t)hn);
        c->gen_left = n;
        c->gen_chunk = chunk > 0 ? (size_t)chunk : 0;
        c->end = (close_mode || !ka) ? 1 : 0;
        if (strcmp(method, "HEAD") == 0) c->gen_left = 0, c->gen_chunk = 0;
        c->responding = 1;
        cut_short(c);
        return;
    }
    if (strncmp(path, "/hop/", 5) == 0) { /* a chain of redirects */
        long n = atol(path + 5);
        char b[256];
        int hn = n > 0 ? snprintf(b, sizeof b, "HTTP/1.1 302 Found\r\nLocation: /hop/%ld\r\nContent-Length: 0\r\n\r\n", n - 1)
                       : snprintf(b, sizeof b, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n%s", "hops!");
        set_out(c, b, (size_t)hn);
        c->responding = 1;
        return;
    }
    if (strncmp(path, "/file/", 6) == 0 && !strstr(path, "..")) {
        char fn[8192], head[256];
        struct stat st;
        int hn;
        snprintf(fn, sizeof fn, "%s/%s", docroot, path + 6);
        c->file = fopen(fn, "rb");
        if (!c->file || fstat(fileno(c->file), &st) != 0) {
            if (c->file) fclose(c->file);
            c->file = NULL;
            respond_simple(c, 404, "Not Found", "no such file\n", 1);
            return;
        }
        hn = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: %lld\r\n\r\n",
                      (long long)st.st_size);
        set_out(c, head, (size_t)hn);
        c->gen_left = (uint64_t)st.st_size;
        c->responding = 1;
        return;
    }
    if (strcmp(path, "/raw") == 0) {
        size_t n = 0;
        char *v = query_get(q, "pre", &n), *e;
        if (v) {
            set_out(c, v, n);
            free(v);
        }
        c->rep = query_get(q, "d", &c->replen);
        c->repleft = c->rep ? (uint64_t)query_num(q, "rep", 1) : 0;
        c->post = query_get(q, "post", &c->postlen);
        e = query_get(q, "end", NULL);
        if (e) {
            c->end = strcmp(e, "close") == 0 ? 1 : strcmp(e, "reset") == 0 ? 2 : strcmp(e, "hang") == 0 ? 3 :
                     strcmp(e, "drop") == 0 ? 4 : strcmp(e, "dropreset") == 0 ? 6 : 0;
            free(e);
        }
        c->responding = 1;
        return;
    }
    respond_simple(c, 404, "Not Found", "unknown path\n", 1);
}

/* Request framing: head, then a Content-Length or chunked body to swallow. */
static int header_value(const char *head, size_t hlen, const char *name, char *out, size_t outlen)
{
    size_t n = strlen(name), i = 0;
    while (i < hlen) {
        const char *nl = memchr(head + i, '\n', hlen - i);
        size_t l = nl ? (size_t)(nl - (head + i)) : hlen - i;
        if (l > n && strncasecmp(head + i, name, n) == 0 && head[i + n] == ':') {
            size_t s = i + n + 1, e = i + l;
            while (s < e && (head[s] == ' ' || head[s] == '\t')) s++;
            while (e > s && (head[e - 1] == '\r' || head[e - 1] == ' ')) e--;
            if (e - s >= outlen) e = s + outlen - 1;
            memcpy(out, head + s, e - s);
            out[e - s] = 0;
            return 1;
        }
        i += l + 1;
    }
    return 0;
}

static void finish_echo(conn *c)
{
    size_t bl = c->head_len + 128;
    char *b;
    int n;
    if (c->redir) {
        set_out(c, c->redir, c->redir_len);
        free(c->redir);
        c->redir = NULL;
        c->echo_pending = 0;
        c->responding = 1;
        return;
    }
    b = malloc(bl);
    memcpy(b, c->head_copy, c->head_len);
    {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        char ip[64] = "unix";
        unsigned port = 0;
        memset(&ss, 0, sizeof ss);
        getpeername(c->fd, (struct sockaddr *)&ss, &sl);
        if (ss.ss_family == AF_INET) {
            inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip, sizeof ip);
            port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, ip, sizeof ip);
            port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        }
        n = snprintf(b + c->head_len, 128, "body-length: %zu\nbody-sum: %016llx\npeer: %s %u\n", c->body_seen,
                     (unsigned long long)c->body_sum, ip, port);
    }
    respond_simple(c, 200, "OK", "", 1);
    {
        char head[256];
        int hn = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n",
                          c->head_len + (size_t)n);
        char *all = malloc((size_t)hn + c->head_len + (size_t)n);
        memcpy(all, head, (size_t)hn);
        memcpy(all + hn, b, c->head_len + (size_t)n);
        set_out(c, all, (size_t)hn + c->head_len + (size_t)n);
        free(all);
    }
    free(b);
    c->echo_pending = 0;
    c->responding = 1;
}

/* Consumes request bytes; starts a response when a request is complete. */
static void process_input(conn *c)
{
    for (;;) {
        if (c->responding || c->hang) return;
        if (c->body_need || c->body_chunked) {
            if (c->body_need) {
                size_t take = c->inlen < c->body_need ? c->inlen : c->body_need;
                body_hash(c, c->in, take);
                c->body_need -= take;
                c->body_seen += take;
                memmove(c->in, c->in + take, c->inlen - take);
                c->inlen -= take;
                if (c->body_need) return;
            } else {
                /* chunked request body: size line, data, CRLF ... 0 CRLF CRLF */
                char *nl = memchr(c->in, '\n', c->inlen);
                size_t sz, l;
                if (!nl) return;
                l = (size_t)(nl - c->in) + 1;
                sz = strtoul(c->in, NULL, 16);
                if (sz == 0) {
                    if (c->inlen < l + 2) return;
                    memmove(c->in, c->in + l + 2, c->inlen - l - 2);
                    c->inlen -= l + 2;
                    c->body_chunked = 0;
                } else {
                    if (c->inlen < l + sz + 2) return;
                    body_hash(c, c->in + l, sz);
                    c->body_seen += sz;
                    memmove(c->in, c->in + l + sz + 2, c->inlen - l - sz - 2);
                    c->inlen -= l + sz + 2;
                    continue;
                }
            }
            continue;
        }
        if (c->echo_pending) { /* the whole request is in */
            finish_echo(c);
            continue;
        }
        {
            char *end = NULL;
            size_t i, hlen;
            char v[64];
            for (i = 3; i < c->inlen; i++)
                if (c->in[i] == '\n' && c->in[i - 1] == '\r' && c->in[i - 2] == '\n' && c->in[i - 3] == '\r') {
                    end = c->in + i + 1;
                    break;
                }
            const char *sp = memchr(c->in, ' ', c->inlen < 16 ? c->inlen : 16); /* any method */
            if (sp && (size_t)(c->in + c->inlen - sp) >= 14 && memcmp(sp, " /reset-early ", 14) == 0) {
                c->end = 5; /* half-close, then reset, before the request is even complete */
                c->noread = 1;
                c->responding = 1;
                return;
            }
            if (!end) return;
            if (c->drop) {
                c->want_close = c->drop;
                return;
            }
            hlen = (size_t)(end - c->in);
            c->body_seen = 0;
            c->body_sum = 14695981039346656037ULL;
            if (header_value(c->in, hlen, "content-length", v, sizeof v)) c->body_need = strtoul(v, NULL, 10);
            else if (header_value(c->in, hlen, "transfer-encoding", v, sizeof v) && strstr(v, "chunked"))
                c->body_chunked = 1;
            handle_request(c, hlen);
            if (header_value(c->in, hlen, "connection", v, sizeof v) && strcasecmp(v, "close") == 0 && c->end == 0)
                c->end = 1; /* the client asked for close */
            memmove(c->in, c->in + hlen, c->inlen - hlen);
            c->inlen -= hlen;
        }
    }
}

/* Fills buf with the next bytes of the response; returns how many. */
static size_t next_bytes(conn *c, char *buf, size_t cap)
{
    size_t n = 0;
    while (n < cap) {
        if (c->outpos < c->outlen) {
            size_t k = c->outlen - c->outpos;
            if (k > cap - n) k = cap - n;
            memcpy(buf + n, c->out + c->outpos, k);
            c->outpos += k;
            n += k;
        } else if (c->repleft) {
            size_t k = c->replen - c->reppos;
            if (k > cap - n) k = cap - n;
            memcpy(buf + n, c->rep + c->reppos, k);
            c->reppos += k;
            n += k;
            if (c->reppos == c->replen) {
                c->reppos = 0;
                c->repleft--;
            }
        } else if (c->postpos < c->postlen) {
            size_t k = c->postlen - c->postpos;
            if (k > cap - n) k = cap - n;
            memcpy(buf + n, c->post + c->postpos, k);
            c->postpos += k;
            n += k;
        } else if (c->gen_chunk && !c->gen_chunk_done) {
            /* the next whole chunk becomes the fixed part */
            size_t k = c->gen_left < c->gen_chunk ? (size_t)c->gen_left : c->gen_chunk, i;
            char *tmp = malloc(k + 40);
            int hl = k ? snprintf(tmp, 40, "%zx\r\n", k) : snprintf(tmp, 40, "0\r\n\r\n");
            for (i = 0; i < k; i++) tmp[(size_t)hl + i] = (char)pattern(c->gen_pos + i);
            if (k) memcpy(tmp + hl + k, "\r\n", 2);
            else c->gen_chunk_done = 1;
            c->gen_pos += k;
            c->gen_left -= k;
            set_out(c, tmp, (size_t)hl + k + (k ? 2 : 0));
            free(tmp);
        } else if (c->gen_left && c->file) {
            size_t k = cap - n, r;
            if (k > c->gen_left) k = (size_t)c->gen_left;
            r = fread(buf + n, 1, k, c->file);
            if (r == 0) {
                c->gen_left = 0;
                break;
            }
            n += r;
            c->gen_left -= r;
        } else if (c->gen_left && !c->gen_chunk) {
            size_t k = cap - n, i;
            if (k > c->gen_left) k = (size_t)c->gen_left;
            for (i = 0; i < k; i++) buf[n + i] = (char)pattern(c->gen_pos + i);
            c->gen_pos += k;
            c->gen_left -= k;
            n += k;
        } else {
            break;
        }
    }
    return n;
}

static int response_done(conn *c)
{
    return c->outpos == c->outlen && !c->repleft && c->postpos == c->postlen && !c->gen_left &&
           (!c->gen_chunk || c->gen_chunk_done);
}

/* Sends what it may now. Returns -1 if the connection was closed. */
/* Puts n bytes that did not go back in front of what c still has to send
   (the generators cannot rewind, so they wait in c->out). */
static void unsend(conn *c, const char *p, size_t n)
{
    size_t left = c->outlen - c->outpos;
    char *keep = malloc(n + left);
    memcpy(keep, p, n);
    memcpy(keep + n, c->out + c->outpos, left);
    free(c->out);
    c->out = keep;
    c->outlen = n + left;
    c->outpos = 0;
}

static int pump_output(int idx)
{
    conn *c = conns[idx];
    static char buf[256 * 1024];
    double t = now_s();
    for (;;) {
        size_t cap = sizeof buf, n;
        ssize_t w;
        if (!c->responding) return 0;
        if (t < c->next_send) return 0;
        if (c->drip && cap > c->drip) cap = c->drip;
        if (c->rate) {
            double allowed = (t - c->rate_start) * (double)c->rate - (double)c->sent_body;
            if (allowed < 1) {
                c->next_send = t + 0.01;
                return 0;
            }
            if (cap > (size_t)allowed) cap = (size_t)allowed;
        }
        if (response_done(c)) {
            if (c->end == 1) {
                close_conn(idx, 0);
                return -1;
            }
            if (c->end == 2) {
                close_conn(idx, 1);
                return -1;
            }
            if (c->end == 5) { /* FIN first (the client goes to CLOSE_WAIT), RST a little later */
                shutdown(c->fd, SHUT_WR);
                c->end = 2;
                c->next_send = t + 0.05;
                return 0;
            }
            if (c->end == 3) {
                c->hang = 1;
                c->responding = 0;
                return 0;
            }
            if (c->end == 4) c->drop = 1;
            if (c->end == 6) c->drop = 2; /* reset */
            if (c->interim) { /* the 100 Continue is out: now the body */
                c->interim = 0;
                free(c->out);
                c->out = NULL;
                c->outlen = c->outpos = 0;
                c->responding = 0;
                process_input(c);
                if (!c->responding) return 0;
                continue;
            }
            reset_response(c);
            busy_set(c, 0);
            process_input(c); /* a pipelined or early next request */
            if (c->want_close) {
                close_conn(idx, 0);
                return -1;
            }
            if (!c->responding) return 0;
            continue;
        }
        n = next_bytes(c, buf, cap);
        if (n == 0) continue;
        w = send(c->fd, buf, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                unsend(c, buf, n);
                return 0;
            }
            close_conn(idx, 0);
            return -1;
        }
        c->sent_body += (uint64_t)w;
        if ((size_t)w < n) {
            unsend(c, buf + w, n - (size_t)w);
            return 0;
        }
        if (c->drip || c->gap_ms) {
            c->next_send = t + c->gap_ms / 1000.0;
            if (c->gap_ms) return 0;
        }
    }
}

/* A listening socket on 127.0.0.1:port (0: any); rcvbuf > 0 sets a small
   receive buffer that accepted connections inherit. Returns it, or -1. */
static int listen_on(int port, int rcvbuf, int *bound)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(0x7f000001);
    sa.sin_port = htons((uint16_t)port);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 4096) != 0) {
        perror("faultserver: bind/listen");
        return -1;
    }
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    *bound = ntohs(sa.sin_port);
    return fd;
}

/* A listening socket on the abstract unix socket name (Linux). */
static int listen_abstract(const char *name)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un un;
    size_t n = strlen(name);
    memset(&un, 0, sizeof un);
    un.sun_family = AF_UNIX;
    if (fd < 0 || n + 1 > sizeof un.sun_path) return -1;
    memcpy(un.sun_path + 1, name, n); /* sun_path[0] = 0: abstract */
    if (bind(fd, (struct sockaddr *)&un, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)) != 0 ||
        listen(fd, 4096) != 0) {
        perror("faultserver: abstract bind/listen");
        return -1;
    }
    fcntl(fd, F_SETFL, O_NONBLOCK);
    return fd;
}

static void add_conn(int fd, int noread)
{
    int one = 1;
    conn *c;
    if (nconns >= MAX_CONNS) {
        close(fd);
        return;
    }
    fcntl(fd, F_SETFL, O_NONBLOCK);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c = calloc(1, sizeof *c);
    c->fd = fd;
    c->noread = c->hang = noread;
    conns[nconns] = c;
    pfds[nconns + NLISTEN].fd = fd;
    pfds[nconns + NLISTEN].events = noread ? 0 : POLLIN;
    pfds[nconns + NLISTEN].revents = 0;
    nconns++;
    stat_conns++;
    stat_active++;
}

int main(int argc, char **argv)
{
    int port = 0, lfd, nfd, rfd, afd = -1, bound, nport, rport, i;
    const char *abstract = NULL;
    if (argc == 4 && strcmp(argv[1], "-w") == 0) {
        static char buf[65536];
        uint64_t n = strtoull(argv[2], NULL, 10), pos = 0;
        FILE *f = fopen(argv[3], "wb");
        if (!f) return 1;
        while (pos < n) {
            size_t k = n - pos < sizeof buf ? (size_t)(n - pos) : sizeof buf, j;
            for (j = 0; j < k; j++) buf[j] = (char)pattern(pos + j);
            if (fwrite(buf, 1, k, f) != k) return 1;
            pos += k;
        }
        return fclose(f) != 0;
    }
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-p") == 0 && i + 1 < argc) port = atoi(argv[++i]);
        else if (strcmp(argv[i], "-d") == 0 && i + 1 < argc) docroot = argv[++i];
        else if (strcmp(argv[i], "-q") == 0) quiet = 1;
        else if (strcmp(argv[i], "-a") == 0 && i + 1 < argc) abstract = argv[++i];
    }
    signal(SIGPIPE, SIG_IGN);
    lfd = listen_on(port, 0, &bound);
    nfd = listen_on(0, 4096, &nport);
    rfd = listen_on(0, 0, &rport);
    if (abstract && (afd = listen_abstract(abstract)) < 0) return 1;
    if (lfd < 0 || nfd < 0 || rfd < 0) return 1;
    printf("PORT %d NOREAD %d RESET %d\n", bound, nport, rport);
    fflush(stdout);
    pfds[0].fd = lfd;
    pfds[1].fd = nfd;
    pfds[2].fd = rfd;
    pfds[3].fd = afd;
    for (i = 0; i < NLISTEN; i++) pfds[i].events = POLLIN;
    for (;;) {
        int timeout = 1000, r;
        double t = now_s();
        for (i = 0; i < nconns; i++) {
            conn *c = conns[i];
            short ev = c->noread ? 0 : POLLIN; /* a hanging connection is still watched for its close */
            if (c->responding) {
                if (c->next_send > t) {
                    int ms = (int)((c->next_send - t) * 1000) + 1;
                    if (ms < timeout) timeout = ms;
                } else {
                    ev |= POLLOUT;
                }
            }
            pfds[i + NLISTEN].fd = c->fd;
            pfds[i + NLISTEN].events = ev;
            pfds[i + NLISTEN].revents = 0;
        }
        r = poll(pfds, (nfds_t)nconns + NLISTEN, timeout);
        if (r < 0 && errno != EINTR) return 1;
        if (pfds[0].revents & POLLIN) {
            int fd;
            while ((fd = accept(lfd, NULL, NULL)) >= 0) add_conn(fd, 0);
        }
        if (pfds[3].revents & POLLIN) {
            int fd;
            while ((fd = accept(afd, NULL, NULL)) >= 0) add_conn(fd, 0);
        }
        if (pfds[1].revents & POLLIN) { /* NOREAD: kept, never read, never answered */
            int fd;
            while ((fd = accept(nfd, NULL, NULL)) >= 0) add_conn(fd, 1);
        }
        if (pfds[2].revents & POLLIN) { /* RESET: a reset right away */
            int fd;
            while ((fd = accept(rfd, NULL, NULL)) >= 0) {
                struct linger l = {1, 0};
                setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
                close(fd);
                stat_conns++;
            }
        }
        for (i = nconns - 1; i >= 0; i--) {
            conn *c = conns[i];
            short rev = pfds[i + NLISTEN].revents;
            if (pfds[i + NLISTEN].fd != c->fd) continue; /* new since the poll */
            if (rev & (POLLIN | POLLHUP | POLLERR)) {
                char buf[65536];
                ssize_t n = recv(c->fd, buf, sizeof buf, 0);
                if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
                    close_conn(i, 0);
                    continue;
                }
                if (n > 0) {
                    if (c->inlen + (size_t)n > c->incap) {
                        c->incap = (c->inlen + (size_t)n) * 2;
                        c->in = realloc(c->in, c->incap);
                    }
                    if (c->hang) continue; /* never answered: input is dropped */
                    memcpy(c->in + c->inlen, buf, (size_t)n);
                    c->inlen += (size_t)n;
                    if (c->inlen > MAX_HEAD * 64) {
                        close_conn(i, 0);
                        continue;
                    }
                    process_input(c);
                    if (c->want_close) {
                        close_conn(i, c->want_close == 2);
                        continue;
                    }
                }
            }
            if (c->responding && pump_output(i) < 0) continue;
        }
    }
}
