/* tests/differential.c - one libcurl program, built twice: against real
   libcurl (cc differential.c -lcurl) and against multiperform through
   compat/curl/curl.h. Each build runs the same scenarios against the same
   loopback servers and prints a trace of everything a program can observe:
   every header-callback call (its exact bytes), the request head as sent
   (the debug callback's HEADER_OUT) and every HEADER_IN line, the body's
   length and FNV-1a hash, read-callback calls, progress, the result and
   response codes and the getinfo values. tests/differential.sh diffs the
   two traces scenario by scenario.

   Usage: differential list | differential all | differential NAME...
   Servers from the environment as the suites use them: MPT_FAULT_PORT,
   MPT_FAULT2_PORT, MPT_NGINX_PORT, MPT_NGINX_UNIX. */
#define _POSIX_C_SOURCE 200809L
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>
#include <zlib.h> /* (to make compressed bodies for the scenarios: never in the library) */

static const char *cur; /* the scenario being traced: every line starts with it */
static char F[64], F2[64], N[64];

static void out(const char *fmt, ...)
{
    va_list ap;
    printf("%s: ", cur);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

/* A growing text: a transfer's trace lines, printed when it ends, so that
   transfers running side by side do not interleave theirs. */
typedef struct text {
    char *p;
    size_t len, cap;
} text;

static void text_add(text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->p = (char *)realloc(t->p, t->cap);
    }
    memcpy(t->p + t->len, s, n);
    t->len += n;
    t->p[t->len] = 0;
}

/* A trace line with bytes made printable (\r \n \t \\ \" and \xHH), into
   t, or printed when t is NULL. A Date field's value is left out: the two
   builds do not run in the same second. */
static void out_bytes_to(text *t, const char *tag, const char *p, size_t n)
{
    text line = {NULL, 0, 0};
    char b[32];
    size_t i;
    if (n > 6 && memcmp(p, "Date: ", 6) == 0) {
        p = "Date: (a date)\r\n";
        n = strlen(p);
    }
    text_add(&line, cur, strlen(cur));
    text_add(&line, ": ", 2);
    text_add(&line, tag, strlen(tag));
    text_add(&line, b, (size_t)sprintf(b, " %zu \"", n));
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '\r') text_add(&line, "\\r", 2);
        else if (c == '\n') text_add(&line, "\\n", 2);
        else if (c == '\t') text_add(&line, "\\t", 2);
        else if (c == '\\' || c == '"') text_add(&line, b, (size_t)sprintf(b, "\\%c", c));
        else if (c < 0x20 || c >= 0x7f) text_add(&line, b, (size_t)sprintf(b, "\\x%02x", c));
        else text_add(&line, (const char *)&c, 1);
    }
    text_add(&line, "\"\n", 2);
    if (t) text_add(t, line.p, line.len);
    else fputs(line.p, stdout);
    free(line.p);
}

static void out_bytes(const char *tag, const char *p, size_t n)
{
    out_bytes_to(NULL, tag, p, n);
}

static char *fmt(const char *f, ...)
{
    static char ring[8][8192];
    static int next;
    char *b = ring[next++ & 7];
    va_list ap;
    va_start(ap, f);
    vsnprintf(b, sizeof ring[0], f, ap);
    va_end(ap);
    return b;
}

/* /raw on the faultserver answering exactly resp (percent-encoded), then end. */
static char *raw(const char *resp, const char *end)
{
    static char ring[4][8192];
    static int next;
    char *b = ring[next++ & 3];
    size_t o = (size_t)snprintf(b, sizeof ring[0], "%s/raw?end=%s&pre=", F, end);
    const unsigned char *p;
    for (p = (const unsigned char *)resp; *p && o + 4 < sizeof ring[0]; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '/')
            b[o++] = (char)*p;
        else
            o += (size_t)sprintf(b + o, "%%%02X", *p);
    }
    b[o] = 0;
    return b;
}

/* ---- what one transfer lets a program see ---- */
typedef struct seen {
    text log; /* header and debug lines, in the order the callbacks came */
    char *body;
    size_t len, cap;
    long writes;
    const char *up;          /* the request body the read callback hands out */
    size_t uplen, uppos;
    long reads, read_zero;
    int text_unterminated;   /* debug TEXT pieces without a NUL after them */
    curl_off_t data_in, data_out;
    curl_off_t last_dltotal, last_dlnow;
    int abort_progress;      /* return 1 from the progress callback once data came */
    CURL *h;                 /* the transfer's handle */
    long progress_calls;
} seen;

static size_t on_write(char *p, size_t size, size_t n, void *ud)
{
    seen *s = (seen *)ud;
    size_t k = size * n;
    if (s->len + k > s->cap) {
        s->cap = (s->len + k) * 2 + 1024;
        s->body = (char *)realloc(s->body, s->cap);
    }
    memcpy(s->body + s->len, p, k);
    s->len += k;
    s->writes++;
    return k;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    seen *s = (seen *)ud;
    const char *colon = memchr(p, ':', size * n);
    out_bytes_to(&s->log, "header", p, size * n);
    if (colon && p[0] != ' ' && p[0] != '\t' && colon - p < 100 && s->h) { /* the header API sees the field already */
        char name[100], line[160];
        struct curl_header *hd = NULL;
        CURLHcode rc;
        memcpy(name, p, (size_t)(colon - p));
        name[colon - p] = 0;
        rc = curl_easy_header(s->h, name, 0, CURLH_HEADER | CURLH_TRAILER | CURLH_1XX, -1, &hd);
        snprintf(line, sizeof line, "header-api in the callback: %d, %zu of them", (int)rc, rc == CURLHE_OK ? hd->amount : 0);
        out_bytes_to(&s->log, line, "", 0);
    }
    return size * n;
}

static size_t on_read(char *buf, size_t size, size_t n, void *ud)
{
    seen *s = (seen *)ud;
    size_t k = size * n, left = s->uplen - s->uppos;
    s->reads++;
    if (k > 7000) k = 7000; /* several calls, the same in both builds */
    if (k > left) k = left;
    if (!k) s->read_zero++;
    memcpy(buf, s->up + s->uppos, k);
    s->uppos += k;
    return k;
}

/* A request head with Digest's random parts (cnonce, and the response that
   hangs on it) replaced by "*": the rest must match byte for byte. */
static size_t mask_digest(const char *in, size_t n, char *out, size_t cap)
{
    size_t i = 0, o = 0;
    while (i < n && o + 1 < cap) {
        int hit = 0;
        if (i + 8 <= n && (memcmp(in + i, "cnonce=\"", 8) == 0 || (i + 10 <= n && memcmp(in + i, "response=\"", 10) == 0))) {
            size_t k = in[i] == 'c' ? 8 : 10;
            if (o + k + 3 < cap) {
                memcpy(out + o, in + i, k);
                o += k;
                out[o++] = '*';
                i += k;
                while (i < n && in[i] != '"') i++;
                hit = 1;
            }
        }
        if (!hit) out[o++] = in[i++];
    }
    return o;
}

static int on_debug(CURL *h, curl_infotype type, char *data, size_t size, void *ud)
{
    seen *s = (seen *)ud;
    (void)h;
    if (type == CURLINFO_TEXT && data[size] != 0) s->text_unterminated++;
    if (type == CURLINFO_HEADER_OUT) {
        static char masked[65536];
        out_bytes_to(&s->log, "sent", masked, mask_digest(data, size, masked, sizeof masked));
    }
    if (type == CURLINFO_HEADER_IN) out_bytes_to(&s->log, "header-in", data, size);
    if (type == CURLINFO_DATA_IN) s->data_in += (curl_off_t)size;
    if (type == CURLINFO_DATA_OUT) s->data_out += (curl_off_t)size;
    return 0;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    seen *s = (seen *)ud;
    (void)ultotal;
    (void)ulnow;
    s->progress_calls++;
    s->last_dltotal = dltotal;
    s->last_dlnow = dlnow;
    return s->abort_progress && dlnow > 0;
}

static uint64_t fnv(const char *p, size_t n)
{
    uint64_t h = 14695981039346656037ULL;
    size_t i;
    for (i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
    return h;
}

/* Sets the callbacks that trace; a scenario's own options come after. */
static CURL *traced(const char *url, seen *s)
{
    CURL *h = curl_easy_init();
    memset(s, 0, sizeof *s);
    s->h = h;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, s);
    curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
    curl_easy_setopt(h, CURLOPT_DEBUGDATA, s);
    curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, s);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
    return h;
}

static void upload_from(CURL *h, seen *s, const char *data, size_t len)
{
    s->up = data;
    s->uplen = len;
    curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(h, CURLOPT_READDATA, s);
}

static void info_str(CURL *h, const char *name, CURLINFO i)
{
    char *v = NULL;
    CURLcode rc = curl_easy_getinfo(h, i, &v);
    out("info %s %d %s", name, (int)rc, v ? v : "(null)");
}

static void info_long(CURL *h, const char *name, CURLINFO i)
{
    long v = -7;
    CURLcode rc = curl_easy_getinfo(h, i, &v);
    out("info %s %d %ld", name, (int)rc, v);
}

static void info_off(CURL *h, const char *name, CURLINFO i)
{
    curl_off_t v = -7;
    CURLcode rc = curl_easy_getinfo(h, i, &v);
    out("info %s %d %lld", name, (int)rc, (long long)v);
}

/* The header API's view: every header of every request, in order, and a
   few lookups, found and not. */
static void header_api(CURL *h)
{
    const unsigned all = CURLH_HEADER | CURLH_TRAILER | CURLH_CONNECT | CURLH_1XX | CURLH_PSEUDO;
    struct curl_header *p = NULL;
    static const char *const names[] = {"content-length", "X-FOLD", "location", "x-trailer", "link", "x-dup", "nope"};
    long reqs = -1;
    int r;
    size_t i;
    curl_easy_getinfo(h, CURLINFO_REDIRECT_COUNT, &reqs);
    for (r = -1; r <= reqs + 1; r++) {
        p = NULL;
        while ((p = curl_easy_nextheader(h, all, r, p)) != NULL) {
            char tag[128];
            const char *v;
            snprintf(tag, sizeof tag, "header-api request %d origin %u [%zu/%zu] %s", r, p->origin, p->index, p->amount,
                     p->name);
            v = strcmp(p->name, "Date") ? p->value : "(a date)"; /* the two builds do not run in the same second */
            out_bytes(tag, v, strlen(v));
        }
    }
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        CURLHcode rc;
        p = NULL;
        rc = curl_easy_header(h, names[i], 0, CURLH_HEADER, -1, &p);
        out("header-api lookup %s: %d%s%s", names[i], (int)rc, rc == CURLHE_OK ? " " : "", rc == CURLHE_OK ? p->value : "");
        rc = curl_easy_header(h, names[i], 0, all, 0, &p);
        out("header-api lookup %s any origin, request 0: %d", names[i], (int)rc);
    }
    if (curl_easy_header(h, "x-dup", 1, CURLH_HEADER, -1, &p) == CURLHE_OK)
        out("header-api x-dup 1: \"%s\": \"%s\" [%zu/%zu]", p->name, p->value, p->index, p->amount);
    out("header-api index 5: %d", (int)curl_easy_header(h, "content-length", 5, CURLH_HEADER, -1, &p));
    out("header-api request 99: %d", (int)curl_easy_header(h, "content-length", 0, CURLH_HEADER, 99, &p));
    out("header-api origin 0: %d", (int)curl_easy_header(h, "content-length", 0, 0, -1, &p));
    out("header-api origin 64: %d", (int)curl_easy_header(h, "content-length", 0, 64, -1, &p));
    out("header-api NULL name: %d", (int)curl_easy_header(h, NULL, 0, CURLH_HEADER, -1, &p));
    out("header-api request -2: %d", (int)curl_easy_header(h, "content-length", 0, CURLH_HEADER, -2, &p));
}

/* The end of a transfer: its result, what it delivered, what getinfo says. */
static void report(CURL *h, seen *s, CURLcode rc)
{
    size_t len = s->len, i;
    char *peer = NULL;
    for (i = 0; s->body && i + 7 <= len && !peer; i++) /* (the body has no NUL after it) */
        if (memcmp(s->body + i, "\npeer: ", 7) == 0) peer = s->body + i;
    if (s->log.p) fputs(s->log.p, stdout);
    free(s->log.p);
    s->log.p = NULL;
    s->log.len = s->log.cap = 0;
    out("result %d", (int)rc);
    if (peer) { /* the faultserver's /echo names the client's port: not the same twice */
        char *eol = memchr(peer + 1, '\n', len - (size_t)(peer + 1 - s->body));
        size_t cut = eol ? (size_t)(eol - peer) : len - (size_t)(peer - s->body);
        memmove(peer, peer + cut, len - (size_t)(peer - s->body) - cut);
        len -= cut;
    }
    out("body %zu %016llx%s", len, (unsigned long long)fnv(s->body, len), s->writes ? "" : " (no write call)");
    if (len && len < 600 && s->body) out_bytes("body-bytes", s->body, len);
    if (s->up) out("read calls %ld, %zu of %zu bytes, %ld returned 0", s->reads, s->uppos, s->uplen, s->read_zero);
    out("debug data in %lld out %lld, TEXT pieces without a NUL after them %d", (long long)s->data_in,
        (long long)s->data_out, s->text_unterminated);
    out("progress last dltotal %lld dlnow %lld", (long long)s->last_dltotal, (long long)s->last_dlnow);
    info_long(h, "RESPONSE_CODE", CURLINFO_RESPONSE_CODE);
    info_long(h, "HTTP_VERSION", CURLINFO_HTTP_VERSION);
    info_str(h, "EFFECTIVE_URL", CURLINFO_EFFECTIVE_URL);
    info_str(h, "EFFECTIVE_METHOD", CURLINFO_EFFECTIVE_METHOD);
    info_str(h, "CONTENT_TYPE", CURLINFO_CONTENT_TYPE);
    info_str(h, "REDIRECT_URL", CURLINFO_REDIRECT_URL);
    info_str(h, "REFERER", CURLINFO_REFERER);
    info_str(h, "SCHEME", CURLINFO_SCHEME);
    info_str(h, "PRIMARY_IP", CURLINFO_PRIMARY_IP);
    info_long(h, "PRIMARY_PORT", CURLINFO_PRIMARY_PORT);
    info_long(h, "REDIRECT_COUNT", CURLINFO_REDIRECT_COUNT);
    info_long(h, "NUM_CONNECTS", CURLINFO_NUM_CONNECTS);
    info_long(h, "HTTP_CONNECTCODE", CURLINFO_HTTP_CONNECTCODE);
    info_long(h, "HEADER_SIZE", CURLINFO_HEADER_SIZE);
    info_long(h, "REQUEST_SIZE", CURLINFO_REQUEST_SIZE);
    info_off(h, "CONTENT_LENGTH_DOWNLOAD_T", CURLINFO_CONTENT_LENGTH_DOWNLOAD_T);
    info_off(h, "CONTENT_LENGTH_UPLOAD_T", CURLINFO_CONTENT_LENGTH_UPLOAD_T);
    info_off(h, "SIZE_DOWNLOAD_T", CURLINFO_SIZE_DOWNLOAD_T);
    info_off(h, "SIZE_UPLOAD_T", CURLINFO_SIZE_UPLOAD_T);
    info_long(h, "SSL_VERIFYRESULT", CURLINFO_SSL_VERIFYRESULT);
    header_api(h);
    free(s->body);
    s->body = NULL;
}

/* One transfer by curl_easy_perform, traced. */
static void easy(CURL *h, seen *s)
{
    CURLcode rc = curl_easy_perform(h);
    report(h, s, rc);
    curl_easy_cleanup(h);
}

/* ---- the response shapes: plain GETs ---- */
typedef struct shape {
    const char *name, *response, *end; /* raw response and how the server ends; or a path on F */
    const char *path;
} shape;

static const shape shapes[] = {
    {"length", NULL, NULL, "/gen/1000"},
    {"length-zero", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "keep", NULL},
    {"chunked", NULL, NULL, "/gen/5000?chunked=700"},
    {"chunked-trailers",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Trailer: yes\r\nX-Two: 2\r\n\r\n", "keep",
     NULL},
    {"chunked-extensions", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0;last\r\n\r\n",
     "keep", NULL},
    {"folded", "HTTP/1.1 200 OK\r\nX-Fold: first\r\n second\r\n\tthird\r\nContent-Length: 2\r\n\r\nok", "keep", NULL},
    {"folded-blanks", "HTTP/1.1 200 OK\r\nX-Fold: a \r\n   b  \r\n\t \tc\r\nX-Dup: 1\r\nx-dup:  2 \r\nX-Fold2: p\r\n \tq\r\n\t r\r\n"
                      "Content-Length: 2\r\n\r\nok", "keep", NULL},
    {"empty-value", "HTTP/1.1 200 OK\r\nX-Empty:\r\nX-Blank:   \r\nContent-Length: 2\r\n\r\nok", "keep", NULL},
    {"interim-103", "HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
     "keep", NULL},
    {"interim-100-unasked", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "keep", NULL},
    {"no-content-204", "HTTP/1.1 204 No Content\r\n\r\n", "keep", NULL},
    {"not-modified-304", "HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\nETag: \"x\"\r\n\r\n", "keep", NULL},
    {"http10-length", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", "close", NULL},
    {"http10-close", "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the close", "close", NULL},
    {"close-delimited", NULL, NULL, "/gen/3000?close=1"},
    {"content-type", "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 2\r\n\r\nok", "keep",
     NULL},
    {"status-404", "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found", "keep", NULL},
    {"status-500-close", "HTTP/1.1 500 Oops\r\nConnection: close\r\nContent-Length: 4\r\n\r\noops", "close", NULL},
    {"reason-less", "HTTP/1.1 200 \r\nContent-Length: 2\r\n\r\nok", "keep", NULL},
    {"header-no-space", "HTTP/1.1 200 OK\r\nX-A:b\r\nContent-Length:2\r\n\r\nok", "keep", NULL},
    {"bare-lf", "HTTP/1.1 200 OK\nX-A: b\nContent-Length: 2\n\nok", "keep", NULL},
    /* incomplete responses: the code a program's retry logic keys on */
    {"nothing", NULL, NULL, "/close"},
    {"reset", NULL, NULL, "/reset"},
    {"cut-in-status", "HTTP/1.1 20", "close", NULL},
    {"cut-in-head", "HTTP/1.1 200 OK\r\nContent-Le", "close", NULL},
    {"cut-after-status", "HTTP/1.1 200 OK\r\n", "close", NULL},
    {"cut-after-field", "HTTP/1.1 200 OK\r\nX-A: 1\r\n", "close", NULL},
    {"cut-after-100", "HTTP/1.1 100 Continue\r\n\r\n", "close", NULL},
    {"cut-in-body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello", "close", NULL},
    {"cut-in-chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", "close", NULL},
    {"cut-in-chunk-size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3", "close", NULL},
    {"cut-before-last-chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", "close", NULL},
    {"cut-in-trailers", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\r\n", "close", NULL},
};

static void run_shape(const shape *sh, int head)
{
    seen s;
    const char *url = sh->path ? fmt("%s%s", F, sh->path) : raw(sh->response, sh->end);
    CURL *h = traced(url, &s);
    if (head) curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    easy(h, &s);
}

/* ---- redirects ---- */
static void run_redirect(int code, int follow, const char *to)
{
    seen s;
    CURL *h = traced(fmt("%s/redir?code=%d&to=%s&body=20", F, code, to), &s);
    static const char data[] = "a=1&b=2";
    if (follow) curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, data); /* a POST: what each code does with it */
    easy(h, &s);
}

/* ---- request bodies ---- */
static char *big(size_t n)
{
    char *d = (char *)malloc(n);
    size_t i;
    for (i = 0; i < n; i++) d[i] = (char)('a' + i % 26);
    return d;
}

static void run_upload(const char *kind)
{
    seen s;
    CURL *h = traced(fmt("%s/echo%s", F, strcmp(kind, "expect-ignored") == 0 ? "?expect=ignore" : ""), &s);
    size_t n = strcmp(kind, "small-put") == 0 ? 3000 : strcmp(kind, "postfields") == 0 ? 100 :
               strcmp(kind, "empty-put") == 0 ? 0 : strcmp(kind, "large-postfields") == 0 ? 100000 : 1200000;
    char *d = big(n + 1);
    if (strcmp(kind, "postfields") == 0 || strcmp(kind, "large-postfields") == 0) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)n);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, d);
    } else if (strcmp(kind, "chunked-put") == 0) {
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        upload_from(h, &s, d, n);
    } else if (strcmp(kind, "post-read") == 0) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
        upload_from(h, &s, d, n);
    } else { /* small-put, large-put (100-continue), expect-ignored */
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)n);
        upload_from(h, &s, d, n);
        if (strcmp(kind, "expect-ignored") == 0) curl_easy_setopt(h, CURLOPT_EXPECT_100_TIMEOUT_MS, 200L);
    }
    easy(h, &s);
    free(d);
}

/* ---- the patterns of libcurl's examples ---- */

/* curl_multi_perform + curl_multi_poll over three transfers. */
static void run_multi_poll(void)
{
    CURLM *m = curl_multi_init();
    seen s[3];
    CURL *h[3];
    int i, running = 1, left, loops = 0;
    CURLMsg *msg;
    for (i = 0; i < 3; i++) {
        h[i] = traced(fmt("%s/gen/%d", F, 1000 * (i + 1)), &s[i]);
        curl_easy_setopt(h[i], CURLOPT_PRIVATE, (void *)&s[i]);
        curl_multi_add_handle(m, h[i]);
    }
    while (running && loops++ < 10000) {
        curl_multi_perform(m, &running);
        if (running) curl_multi_poll(m, NULL, 0, 1000, NULL);
    }
    {
        int results[3] = {-1, -1, -1}, msgs = 0;
        while ((msg = curl_multi_info_read(m, &left)) != NULL) { /* the order they end in is the servers' */
            seen *sp = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&sp);
            if (msg->msg == CURLMSG_DONE && sp >= s && sp < s + 3) results[sp - s] = (int)msg->data.result;
            msgs++;
        }
        out("%d messages", msgs);
        for (i = 0; i < 3; i++) {
            out("transfer %d: result %d", i, results[i]);
            curl_multi_remove_handle(m, h[i]);
            report(h[i], &s[i], (CURLcode)results[i]);
            curl_easy_cleanup(h[i]);
        }
    }
    curl_multi_cleanup(m);
}

/* curl_multi_fdset + select, with curl_multi_timeout. */
static void run_fdset(void)
{
    CURLM *m = curl_multi_init();
    seen s;
    CURL *h = traced(fmt("%s/gen/200000?chunked=999", F), &s);
    int running = 1, loops = 0;
    CURLMsg *msg;
    int left;
    curl_multi_add_handle(m, h);
    while (running && loops++ < 100000) {
        fd_set r, w, x;
        int maxfd = -1;
        long tmo = -1;
        struct timeval tv;
        curl_multi_perform(m, &running);
        if (!running) break;
        FD_ZERO(&r);
        FD_ZERO(&w);
        FD_ZERO(&x);
        curl_multi_fdset(m, &r, &w, &x, &maxfd);
        curl_multi_timeout(m, &tmo);
        if (tmo < 0 || tmo > 1000) tmo = 1000;
        tv.tv_sec = tmo / 1000;
        tv.tv_usec = (tmo % 1000) * 1000;
        if (maxfd < 0) {
            struct timeval nap = {0, 10000};
            select(0, NULL, NULL, NULL, &nap);
        } else {
            select(maxfd + 1, &r, &w, &x, &tv);
        }
    }
    while ((msg = curl_multi_info_read(m, &left)) != NULL) out("message msg %d result %d", (int)msg->msg, (int)msg->data.result);
    curl_multi_remove_handle(m, h);
    report(h, &s, CURLE_OK);
    curl_easy_cleanup(h);
    curl_multi_cleanup(m);
}

/* curl_multi_wait with an extra descriptor that becomes readable. */
static void run_wait_extra(void)
{
    CURLM *m = curl_multi_init();
    seen s;
    /* the body in 100-byte pieces 25 ms apart, the head in one piece: libcurl
       7.88 traces a head line split across reads inconsistently */
    CURL *h = traced(fmt("%s&d=%s&rep=10&drip=100&gap=25", raw("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", "keep"),
                         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
                     &s);
    int p[2], running = 1, loops = 0, seen_extra = 0, left;
    struct curl_waitfd extra;
    CURLMsg *msg;
    if (pipe(p) != 0) return;
    curl_multi_add_handle(m, h);
    extra.fd = p[0];
    extra.events = CURL_WAIT_POLLIN;
    while (running && loops++ < 10000) {
        int numfds = -1;
        curl_multi_perform(m, &running);
        if (!running) break;
        if (loops == 3 && write(p[1], "x", 1) != 1) break;
        extra.revents = 0;
        curl_multi_wait(m, &extra, 1, 1000, &numfds);
        if (extra.revents & CURL_WAIT_POLLIN) {
            char c;
            if (read(p[0], &c, 1) == 1) seen_extra++;
        }
    }
    out("the extra descriptor was reported readable %d time(s)", seen_extra);
    while ((msg = curl_multi_info_read(m, &left)) != NULL) out("message msg %d result %d", (int)msg->msg, (int)msg->data.result);
    curl_multi_remove_handle(m, h);
    report(h, &s, CURLE_OK);
    curl_easy_cleanup(h);
    curl_multi_cleanup(m);
    close(p[0]);
    close(p[1]);
}

/* A handle removed and added again with a new URL inside the info_read loop. */
static void run_readd(void)
{
    CURLM *m = curl_multi_init();
    seen s;
    CURL *h = traced(fmt("%s/gen/100", F), &s);
    int running = 1, loops = 0, left, round = 0;
    CURLMsg *msg;
    curl_multi_add_handle(m, h);
    while ((running || round < 3) && loops++ < 10000) {
        curl_multi_perform(m, &running);
        while ((msg = curl_multi_info_read(m, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE) continue;
            out("round %d done: result %d, %d left", round, (int)msg->data.result, left);
            curl_multi_remove_handle(m, msg->easy_handle);
            report(msg->easy_handle, &s, msg->data.result);
            if (++round < 3) {
                memset(&s, 0, sizeof s);
                s.h = msg->easy_handle;
                curl_easy_setopt(msg->easy_handle, CURLOPT_URL, fmt("%s/gen/%d", F, 100 + round));
                curl_multi_add_handle(m, msg->easy_handle);
                running = 1;
            }
        }
        if (running) curl_multi_poll(m, NULL, 0, 1000, NULL);
    }
    curl_easy_cleanup(h);
    curl_multi_cleanup(m);
}

/* The progress callback aborts once data came. */
static void run_progress_abort(void)
{
    seen s;
    CURL *h = traced(fmt("%s&d=0123456789&rep=100", raw("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n", "hang")),
                     &s);
    s.abort_progress = 1;
    easy(h, &s);
}

/* curl_easy_pause(RECV) from inside the write callback after each piece (a
   rate limiter's way): nothing may come while paused; the program unpauses
   after a poll. Plain and gzip-coded bodies. */
static CURL *pausing;
static int pause_held, pause_late;
static size_t on_write_pause(char *p, size_t size, size_t n, void *ud)
{
    if (pause_held) pause_late++;
    pause_held = 1;
    curl_easy_pause(pausing, CURLPAUSE_RECV);
    return on_write(p, size, n, ud);
}

static void run_pause_inside_coded(int coded)
{
    {
        CURLM *m = curl_multi_init();
        seen s;
        int running = 1, loops = 0, left;
        CURLMsg *msg;
        CURL *h = traced(coded ? fmt("%s/gz/f/64k.bin", N) : fmt("%s/gen/200000", F), &s);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write_pause);
        curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 4096L);
        if (coded) curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "gzip");
        pausing = h;
        pause_held = pause_late = 0;
        curl_multi_add_handle(m, h);
        while (running && loops++ < 100000) {
            curl_multi_perform(m, &running);
            if (pause_held) {
                curl_multi_poll(m, NULL, 0, 1, NULL);
                curl_multi_perform(m, &running);
                pause_held = 0;
                curl_easy_pause(h, CURLPAUSE_CONT);
            }
            if (running) curl_multi_poll(m, NULL, 0, 100, NULL);
        }
        while ((msg = curl_multi_info_read(m, &left)) != NULL)
            if (msg->msg == CURLMSG_DONE) out("%s: result %d", coded ? "gzip" : "plain", (int)msg->data.result);
        out("%s: %d deliveries while paused, %zu bytes, fnv %016llx", coded ? "gzip" : "plain", pause_late, s.len,
            (unsigned long long)fnv(s.body, s.len));
        curl_multi_remove_handle(m, h);
        curl_easy_cleanup(h);
        curl_multi_cleanup(m);
        free(s.body);
        free(s.log.p);
    }
}
static void run_pause_inside(void)
{
    run_pause_inside_coded(0);
}
static void run_pause_inside_gzip(void)
{
    run_pause_inside_coded(1);
}

/* HEADERDATA and WRITEDATA FILE *s, no callbacks: libcurl's fwrite for
   both (without a HEADERFUNCTION, headers go to the write function). */
static void run_header_file(void)
{
    seen s;
    CURL *h = traced(raw("HTTP/1.1 200 OK\r\nX-One: 1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-T: 2\r\n\r\n",
                         "keep"),
                     &s);
    FILE *hf = tmpfile(), *bf = tmpfile();
    char buf[4096];
    size_t n;
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, (curl_write_callback)NULL);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, (curl_write_callback)NULL);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, hf);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, bf);
    easy(h, &s);
    rewind(hf);
    n = fread(buf, 1, sizeof buf, hf);
    out_bytes("header-file", buf, n);
    rewind(bf);
    n = fread(buf, 1, sizeof buf, bf);
    out_bytes("body-file", buf, n);
    fclose(hf);
    fclose(bf);
}

/* Digest twice on one handle: the second transfer answers the kept
   challenge at once, its nonce count going on. */
static void run_digest_twice(void)
{
    seen s;
    CURL *h = traced(fmt("%s/digest", F), &s);
    curl_easy_setopt(h, CURLOPT_USERPWD, "user:secret");
    curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_DIGEST);
    report(h, &s, curl_easy_perform(h));
    s.len = s.cap = 0; /* (report took the first body) */
    easy(h, &s);
}

/* ---- CONNECT_ONLY: connect, then the program's own bytes (libcurl's sendrecv pattern) ---- */
/* Waits (bounded) until the handle's socket is ready for what want says. */
static void wait_active(CURL *h, short want)
{
    curl_socket_t fd = CURL_SOCKET_BAD;
    struct pollfd p;
    curl_easy_getinfo(h, CURLINFO_ACTIVESOCKET, &fd);
    if (fd == CURL_SOCKET_BAD) return;
    p.fd = fd;
    p.events = want;
    (void)poll(&p, 1, 1000);
}

/* Sends req through curl_easy_send, then reads to the end with
   curl_easy_recv: prints every result code seen (AGAIN counted, not
   listed), the status line, and the length and hash of what followed the
   head. */
static void raw_exchange(CURL *h, const char *req)
{
    static char in[1 << 20];
    size_t sent = 0, got = 0, n;
    int again_s = 0, again_r = 0, i;
    CURLcode rc = CURLE_OK;
    char *eoh;
    for (i = 0; sent < strlen(req) && i < 1000; i++) {
        rc = curl_easy_send(h, req + sent, strlen(req) - sent, &n);
        if (rc == CURLE_AGAIN) {
            again_s = 1;
            wait_active(h, POLLOUT);
            continue;
        }
        if (rc != CURLE_OK) break;
        sent += n;
    }
    out("send: %d, %zu of %zu bytes", (int)rc, sent, strlen(req));
    for (i = 0; i < 3000; i++) { /* (bounded: 3000 waits of at most a second, the end comes long before) */
        rc = curl_easy_recv(h, in + got, sizeof in - 1 - got, &n);
        if (rc == CURLE_AGAIN) {
            again_r = 1;
            wait_active(h, POLLIN);
            continue;
        }
        if (rc != CURLE_OK || n == 0) break;
        got += n;
    }
    in[got] = 0;
    out("recv: %d at the end (n 0: %s)", (int)rc, rc == CURLE_OK ? "yes" : "no");
    (void)again_s, (void)again_r;
    eoh = strstr(in, "\r\n\r\n");
    out("status: %.*s", (int)strcspn(in, "\r\n"), in);
    if (eoh) out("after the head: %zu bytes %016llx", got - (size_t)(eoh + 4 - in), (unsigned long long)fnv(eoh + 4, got - (size_t)(eoh + 4 - in)));
}

static void run_connect_only(void)
{
    CURL *h = curl_easy_init();
    curl_socket_t a = CURL_SOCKET_BAD;
    long code = -1;
    size_t n = 7;
    char buf[16];
    /* without CONNECT_ONLY there is nothing to send on */
    out("send without a connection: %d", (int)curl_easy_send(h, "x", 1, &n));
    out("recv without a connection: %d (n %zu)", (int)curl_easy_recv(h, buf, sizeof buf, &n), n);
    curl_easy_setopt(h, CURLOPT_URL, fmt("%s/", F));
    out("CONNECT_ONLY 3: %d", (int)curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 3L));
    out("CONNECT_ONLY 1: %d", (int)curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L));
    out("recv before perform: %d", (int)curl_easy_recv(h, buf, sizeof buf, &n));
    out("perform: %d", (int)curl_easy_perform(h));
    curl_easy_getinfo(h, CURLINFO_ACTIVESOCKET, &a);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    out("active socket: %s, response code %ld", a != CURL_SOCKET_BAD ? "yes" : "no", code);
    out("recv before anything was sent: %d", (int)curl_easy_recv(h, buf, sizeof buf, &n));
    raw_exchange(h, "GET /gen/70000?close=1 HTTP/1.0\r\nHost: raw\r\n\r\n");
    out("recv after the end: %d (n %zu)", (int)curl_easy_recv(h, buf, sizeof buf, &n), n);
    /* again on the same handle: a new connection */
    out("perform again: %d", (int)curl_easy_perform(h));
    raw_exchange(h, "GET /gen/10?close=1 HTTP/1.0\r\nHost: raw\r\n\r\n");
    /* nobody listening */
    curl_easy_setopt(h, CURLOPT_URL, "http://127.0.0.1:1/");
    out("perform to a closed port: %d", (int)curl_easy_perform(h));
    out("send after that: %d", (int)curl_easy_send(h, "x", 1, &n));
    curl_easy_cleanup(h);
}

static void run_connect_only_https(void)
{
    CURL *h = curl_easy_init();
    const char *port = getenv("MPT_TLS_PORT");
    curl_easy_setopt(h, CURLOPT_URL, fmt("https://localhost:%s/", port ? port : "1"));
    curl_easy_setopt(h, CURLOPT_CAINFO, fmt("%s/ca.pem", getenv("MPT_PKI") ? getenv("MPT_PKI") : "."));
    curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L);
    out("perform: %d", (int)curl_easy_perform(h));
    raw_exchange(h, "GET /f/64k.bin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    curl_easy_cleanup(h);
}

static void run_connect_only_multi(void)
{
    CURLM *m = curl_multi_init();
    CURL *h = curl_easy_init();
    int running = 1, left, i;
    CURLMsg *msg;
    curl_easy_setopt(h, CURLOPT_URL, fmt("%s/", F));
    curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L);
    curl_multi_add_handle(m, h);
    for (i = 0; running && i < 100; i++) {
        curl_multi_perform(m, &running);
        while ((msg = curl_multi_info_read(m, &left)) != NULL)
            if (msg->msg == CURLMSG_DONE) out("done: %d", (int)msg->data.result);
        if (running) curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    raw_exchange(h, "GET /gen/3000?chunked=100&ka=0 HTTP/1.1\r\nHost: raw\r\n\r\n");
    curl_multi_remove_handle(m, h);
    curl_easy_cleanup(h);
    curl_multi_cleanup(m);
}

/* SOCKOPTFUNCTION: what TCP_KEEPALIVE set on the socket (set before this is called, in both). */
static int on_sockopt_keepalive(void *ud, curl_socket_t fd, curlsocktype purpose)
{
    int on = -1, idle = -1, intvl = -1;
    socklen_t l = sizeof on;
    (void)ud;
    (void)purpose;
    getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, &l);
    l = sizeof idle;
    getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, &l);
    l = sizeof intvl;
    getsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, &l);
    out("socket: SO_KEEPALIVE %d, TCP_KEEPIDLE %d, TCP_KEEPINTVL %d", on != 0, idle, intvl);
    return CURL_SOCKOPT_OK;
}

/* Limits and error statuses. */
static void run_option_case(const char *name)
{
    seen s;
    CURL *h;
    struct curl_slist *l = NULL; /* a list the case sets, freed after the transfer */
    if (strcmp(name, "maxfilesize") == 0) {
        h = traced(fmt("%s/gen/1000", F), &s);
        curl_easy_setopt(h, CURLOPT_MAXFILESIZE, 500L);
    } else if (strcmp(name, "maxfilesize-chunked") == 0) {
        h = traced(fmt("%s/gen/1000?chunked=100", F), &s);
        curl_easy_setopt(h, CURLOPT_MAXFILESIZE, 500L);
    } else if (strcmp(name, "failonerror") == 0) {
        h = traced(raw("HTTP/1.1 404 Not Found\r\nX-A: 1\r\nContent-Length: 9\r\n\r\nnot found", "keep"), &s);
        curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
    } else if (strcmp(name, "maxredirs") == 0) {
        h = traced(fmt("%s/hop/3", F), &s);
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(h, CURLOPT_MAXREDIRS, 1L);
    } else if (strcmp(name, "hops") == 0) {
        h = traced(fmt("%s/hop/3", F), &s);
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(h, CURLOPT_AUTOREFERER, 1L);
    } else if (strcmp(name, "hops-referer") == 0) { /* a set Referer and AUTOREFERER: the hops' URLs win */
        h = traced(fmt("%s/hop/2", F), &s);
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(h, CURLOPT_AUTOREFERER, 1L);
        curl_easy_setopt(h, CURLOPT_REFERER, "http://start.test/");
    } else if (strcmp(name, "redirect-fragment") == 0) {
        h = traced(fmt("%s/redir?code=302&to=/gen/10%%23frag", F), &s);
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    } else if (strcmp(name, "redirect-other-host") == 0) {
        h = traced(fmt("%s/redir?code=302&to=%s/echo", F, F2), &s);
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(h, CURLOPT_USERPWD, "user:secret");
    } else if (strcmp(name, "auth-any-401") == 0) {
        h = traced(raw("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"x\"\r\nContent-Length: 0\r\n\r\n",
                       "keep"),
                   &s);
        curl_easy_setopt(h, CURLOPT_USERPWD, "user:secret");
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_ANY);
    } else if (strcmp(name, "auth-any-post-401") == 0) {
        h = traced(fmt("%s/raw?end=keep&pre=HTTP/1.1%%20401%%20No%%0D%%0AWWW-Authenticate:%%20Basic%%20realm=y%%0D%%0AContent-Length:%%203%%0D%%0A%%0D%%0Anop", F), &s);
        curl_easy_setopt(h, CURLOPT_USERPWD, "user:secret");
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_ANY);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "a=1");
    } else if (strcmp(name, "auth-any-200") == 0) {
        h = traced(fmt("%s/echo", F), &s);
        curl_easy_setopt(h, CURLOPT_USERPWD, "user:secret");
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_ANY);
    } else if (strcmp(name, "auth-any-401-digest-only") == 0) {
        h = traced(raw("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"x\", nonce=\"1\"\r\nContent-Length: 0\r\n\r\n",
                       "keep"),
                   &s);
        curl_easy_setopt(h, CURLOPT_USERPWD, "user:secret");
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_ANY);
    } else if (strncmp(name, "auth-digest", 11) == 0) { /* the fault server checks each answer (RFC 7616) */
        h = traced(fmt("%s/digest%s", F, strcmp(name, "auth-digest-sha256") == 0 ? "?alg=SHA-256" :
                                        strcmp(name, "auth-digest-two") == 0 ? "?alg=SHA-256&also=MD5" :
                                        strcmp(name, "auth-digest-stale") == 0 ? "?stale=1" : ""), &s);
        curl_easy_setopt(h, CURLOPT_USERPWD, strcmp(name, "auth-digest-wrong") == 0 ? "user:wrong" : "user:secret");
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, strcmp(name, "auth-digest-two") == 0 ? CURLAUTH_ANY : CURLAUTH_DIGEST);
    } else if (strcmp(name, "auth-basic") == 0) {
        h = traced(fmt("%s/echo", F), &s);
        curl_easy_setopt(h, CURLOPT_USERPWD, "user:secret");
    } else if (strcmp(name, "custom-headers") == 0) {
        l = curl_slist_append(l, "X-Custom: yes");
        l = curl_slist_append(l, "Accept:");
        l = curl_slist_append(l, "X-Empty;");
        h = traced(fmt("%s/echo", F), &s);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, l);
        curl_easy_setopt(h, CURLOPT_USERAGENT, "differential/1");
        curl_easy_setopt(h, CURLOPT_REFERER, "http://from.example/");
    } else if (strcmp(name, "range") == 0) {
        h = traced(fmt("%s/gen/1000", F), &s);
        curl_easy_setopt(h, CURLOPT_RANGE, "10-19");
    } else if (strcmp(name, "resume") == 0) {
        h = traced(fmt("%s/gen/1000", F), &s);
        curl_easy_setopt(h, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)990);
    } else if (strcmp(name, "customrequest") == 0) {
        l = curl_slist_append(l, "X-Custom: yes");
        h = traced(fmt("%s/echo", F), &s);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PATCH");
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "x=1");
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, l);
    } else if (strcmp(name, "http10-request") == 0) {
        h = traced(fmt("%s/echo", F), &s);
        curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_0);
    } else if (strcmp(name, "header-in-body") == 0) {
        h = traced(fmt("%s/gen/50", F), &s);
        curl_easy_setopt(h, CURLOPT_HEADER, 1L);
    } else if (strcmp(name, "nginx") == 0) {
        h = traced(fmt("%s/f/1k.bin", N), &s);
    } else if (strcmp(name, "nginx-head") == 0) {
        h = traced(fmt("%s/f/1k.bin", N), &s);
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (strcmp(name, "nginx-redirect") == 0) {
        h = traced(fmt("%s/r301", N), &s);
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    } else if (strcmp(name, "resolve") == 0) {
        l = curl_slist_append(l, fmt("made-up.test:%s:127.0.0.1", strrchr(F, ':') + 1));
        h = traced(fmt("http://made-up.test:%s/echo", strrchr(F, ':') + 1), &s);
        curl_easy_setopt(h, CURLOPT_RESOLVE, l);
    } else if (strcmp(name, "connect-to") == 0) {
        l = curl_slist_append(l, fmt("made-up.test:1234:127.0.0.1:%s", strrchr(F, ':') + 1));
        h = traced("http://made-up.test:1234/echo", &s);
        curl_easy_setopt(h, CURLOPT_CONNECT_TO, l);
    } else if (strcmp(name, "unix-socket") == 0) {
        h = traced("http://made-up.test/f/1k.bin", &s);
        curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, getenv("MPT_NGINX_UNIX"));
    } else if (strcmp(name, "unix-socket-long") == 0) { /* a path longer than an address's text */
        const char *sock = getenv("MPT_NGINX_UNIX");
        static char link[200];
        if (!sock) sock = "/nonexistent/x";
        snprintf(link, sizeof link, "%.*s/a-long-name-for-the-same-socket-0123456789.sock",
                 (int)(strrchr(sock, '/') - sock), sock);
        unlink(link);
        if (symlink(sock, link) != 0) printf("%s: symlink failed\n", name);
        h = traced("http://made-up.test/f/1k.bin", &s);
        curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, link);
    } else if (strcmp(name, "interface") == 0) {
        h = traced(fmt("%s/gen/10", F), &s);
        curl_easy_setopt(h, CURLOPT_INTERFACE, "127.0.0.2");
    } else if (strncmp(name, "tls-", 4) == 0) { /* verification: the code and SSL_VERIFYRESULT */
        const char *port = getenv(strcmp(name, "tls-unknown-ca") == 0       ? "MPT_TLS_WRONG_PORT"
                                  : strcmp(name, "tls-expired") == 0         ? "MPT_TLS_EXPIRED_PORT"
                                  : strcmp(name, "tls-no-intermediate") == 0 ? "MPT_TLS_NOINT_PORT"
                                  : strcmp(name, "tls-ip-not-listed") == 0   ? "MPT_TLS_NOIP_PORT"
                                                                             : "MPT_TLS_PORT");
        h = traced(fmt("https://%s:%s/f/1k.bin", strcmp(name, "tls-ip-not-listed") == 0 ? "127.0.0.1" : "localhost",
                       port ? port : "1"),
                   &s);
        curl_easy_setopt(h, CURLOPT_CAINFO, fmt("%s/ca.pem", getenv("MPT_PKI") ? getenv("MPT_PKI") : "."));
        if (strcmp(name, "tls-ssl-options") == 0) /* what holds anyway: accepted, and nothing loosened */
            out("SSL_OPTIONS setopt: %d",
                (int)curl_easy_setopt(h, CURLOPT_SSL_OPTIONS, (long)(CURLSSLOPT_NATIVE_CA | CURLSSLOPT_NO_REVOKE)));
        if (strcmp(name, "tls-wrong-name") == 0) { /* a name the certificate does not list */
            l = curl_slist_append(l, fmt("wrong.test:%s:127.0.0.1", port ? port : "1"));
            curl_easy_setopt(h, CURLOPT_RESOLVE, l);
            curl_easy_setopt(h, CURLOPT_URL, fmt("https://wrong.test:%s/f/1k.bin", port ? port : "1"));
        }
    } else if (strcmp(name, "default-protocol") == 0) { /* a URL without a scheme */
        h = traced(fmt("127.0.0.1:%s/gen/10", strrchr(F, ':') + 1), &s);
        out("setopt DEFAULT_PROTOCOL: %d", (int)curl_easy_setopt(h, CURLOPT_DEFAULT_PROTOCOL, "http"));
    } else if (strcmp(name, "default-protocol-https") == 0) {
        const char *port = getenv("MPT_TLS_PORT");
        h = traced(fmt("localhost:%s/f/1k.bin", port ? port : "1"), &s);
        out("setopt DEFAULT_PROTOCOL: %d", (int)curl_easy_setopt(h, CURLOPT_DEFAULT_PROTOCOL, "https"));
        curl_easy_setopt(h, CURLOPT_CAINFO, fmt("%s/ca.pem", getenv("MPT_PKI") ? getenv("MPT_PKI") : "."));
    } else if (strcmp(name, "request-target") == 0) {
        h = traced(fmt("%s/gen/5", F), &s);
        out("setopt REQUEST_TARGET: %d", (int)curl_easy_setopt(h, CURLOPT_REQUEST_TARGET, "/echo?target=1"));
    } else if (strcmp(name, "keepalive") == 0) {
        h = traced(fmt("%s/gen/10", F), &s);
        curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
        out("setopt TCP_KEEPIDLE: %d", (int)curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 33L));
        curl_easy_setopt(h, CURLOPT_SOCKOPTFUNCTION, on_sockopt_keepalive);
    } else if (strcmp(name, "keepalive-defaults") == 0) {
        h = traced(fmt("%s/gen/10", F), &s);
        curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
        curl_easy_setopt(h, CURLOPT_SOCKOPTFUNCTION, on_sockopt_keepalive);
    } else if (strcmp(name, "certinfo") == 0) {
        struct curl_certinfo *ci = NULL;
        h = traced(fmt("%s/gen/10", F), &s);
        out("setopt CERTINFO 0: %d", (int)curl_easy_setopt(h, CURLOPT_CERTINFO, 0L));
        curl_easy_perform(h);
        out("getinfo CERTINFO: %d, %d certificates", (int)curl_easy_getinfo(h, CURLINFO_CERTINFO, &ci), ci ? ci->num_of_certs : -1);
        report(h, &s, CURLE_OK);
        curl_easy_cleanup(h);
        curl_slist_free_all(l);
        return;
    } else if (strcmp(name, "refused") == 0) {
        h = traced("http://127.0.0.1:1/", &s);
    } else {
        out("unknown");
        return;
    }
    easy(h, &s);
    curl_slist_free_all(l);
}

/* Which of the codes the compat header defines have a text: the wording is
   each library's own, the coverage is compared ("Unknown error" for none). */
static void run_strerror(void)
{
    int c;
    static const CURLcode defined[] = { /* the codes compat/curl/curl.h defines */
        CURLE_OK, CURLE_UNSUPPORTED_PROTOCOL, CURLE_FAILED_INIT, CURLE_URL_MALFORMAT, CURLE_NOT_BUILT_IN,
        CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT, CURLE_WEIRD_SERVER_REPLY,
        CURLE_REMOTE_ACCESS_DENIED, CURLE_HTTP2, CURLE_PARTIAL_FILE, CURLE_QUOTE_ERROR, CURLE_HTTP_RETURNED_ERROR,
        CURLE_WRITE_ERROR, CURLE_UPLOAD_FAILED, CURLE_READ_ERROR, CURLE_OUT_OF_MEMORY, CURLE_OPERATION_TIMEDOUT,
        CURLE_RANGE_ERROR, CURLE_HTTP_POST_ERROR, CURLE_SSL_CONNECT_ERROR, CURLE_BAD_DOWNLOAD_RESUME,
        CURLE_FILE_COULDNT_READ_FILE, CURLE_FUNCTION_NOT_FOUND, CURLE_ABORTED_BY_CALLBACK, CURLE_BAD_FUNCTION_ARGUMENT,
        CURLE_INTERFACE_FAILED, CURLE_TOO_MANY_REDIRECTS, CURLE_UNKNOWN_OPTION, CURLE_SETOPT_OPTION_SYNTAX,
        CURLE_GOT_NOTHING, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_SEND_ERROR, CURLE_RECV_ERROR,
        CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_PEER_FAILED_VERIFICATION, CURLE_BAD_CONTENT_ENCODING,
        CURLE_FILESIZE_EXCEEDED, CURLE_USE_SSL_FAILED, CURLE_SEND_FAIL_REWIND, CURLE_SSL_ENGINE_INITFAILED,
        CURLE_LOGIN_DENIED, CURLE_SSL_CACERT_BADFILE, CURLE_REMOTE_FILE_NOT_FOUND, CURLE_SSL_SHUTDOWN_FAILED,
        CURLE_AGAIN, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_CHUNK_FAILED, CURLE_NO_CONNECTION_AVAILABLE,
        CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_HTTP2_STREAM, CURLE_RECURSIVE_API_CALL,
        CURLE_AUTH_ERROR, CURLE_HTTP3, CURLE_QUIC_CONNECT_ERROR, CURLE_PROXY, CURLE_SSL_CLIENTCERT,
        CURLE_UNRECOVERABLE_POLL};
    size_t i;
    for (i = 0; i < sizeof defined / sizeof defined[0]; i++)
        out("easy %d %s", (int)defined[i], strcmp(curl_easy_strerror(defined[i]), "Unknown error") ? "known" : "unknown");
    out("easy 100 (past the last) %s", strcmp(curl_easy_strerror((CURLcode)100), "Unknown error") ? "known" : "unknown");
    for (c = -1; c < 14; c++)
        out("multi %d %s", c, strcmp(curl_multi_strerror((CURLMcode)c), "Unknown error") ? "known" : "unknown");
}

/* ---- through proxies: tinyproxy, squid, and the fault server acting as one ---- */
/* A proxy's address from the environment ("" when it did not start). */
static const char *proxy_at(const char *var)
{
    const char *p = getenv(var);
    return p && *p ? fmt("127.0.0.1:%s", p) : "127.0.0.1:1";
}

static void run_proxy_case(const char *name)
{
    seen s;
    CURL *h;
    struct curl_slist *l = NULL, *pl = NULL;
    const char *tls = getenv("MPT_TLS_PORT"), *fp = strrchr(F, ':') + 1, *fault = fmt("127.0.0.1:%s", fp);
    const char *tiny = proxy_at("MPT_TINYPROXY_PORT"), *tinyauth = proxy_at("MPT_TINYPROXY_AUTH_PORT");
    const char *squid = proxy_at("MPT_SQUID_PORT"), *env = NULL;
    const char *https = fmt("https://localhost:%s/f/1k.bin", tls ? tls : "1");
    if (strcmp(name, "http-tinyproxy") == 0 || strcmp(name, "http-squid") == 0) {
        h = traced(fmt("%s/f/1k.bin", N), &s);
        curl_easy_setopt(h, CURLOPT_PROXY, name[5] == 't' ? tiny : squid);
    } else if (strcmp(name, "https-tinyproxy") == 0 || strcmp(name, "https-squid") == 0) {
        h = traced(https, &s);
        curl_easy_setopt(h, CURLOPT_PROXY, name[6] == 't' ? tiny : squid);
    } else if (strcmp(name, "https-unknown-ca") == 0) { /* verified against the origin, through the tunnel */
        const char *wrong = getenv("MPT_TLS_WRONG_PORT");
        h = traced(fmt("https://localhost:%s/f/1k.bin", wrong ? wrong : "1"), &s);
        curl_easy_setopt(h, CURLOPT_PROXY, tiny);
    } else if (strcmp(name, "auth-none") == 0 || strcmp(name, "auth-none-https") == 0) {
        h = traced(name[9] ? https : fmt("%s/f/1k.bin", N), &s);
        curl_easy_setopt(h, CURLOPT_PROXY, tinyauth);
    } else if (strcmp(name, "auth-basic") == 0 || strcmp(name, "auth-basic-https") == 0) {
        h = traced(name[10] ? https : fmt("%s/f/1k.bin", N), &s);
        curl_easy_setopt(h, CURLOPT_PROXY, tinyauth);
        curl_easy_setopt(h, CURLOPT_PROXYUSERPWD, "user:s3cret");
    } else if (strcmp(name, "auth-wrong") == 0) {
        h = traced(https, &s);
        curl_easy_setopt(h, CURLOPT_PROXY, tinyauth);
        curl_easy_setopt(h, CURLOPT_PROXYUSERPWD, "user:wrong");
    } else if (strcmp(name, "auth-in-url") == 0) {
        h = traced(https, &s);
        curl_easy_setopt(h, CURLOPT_PROXY, fmt("http://user:s3cret@%s", tinyauth));
    } else if (strcmp(name, "auth-username-password") == 0) {
        h = traced(fmt("%s/f/1k.bin", N), &s);
        curl_easy_setopt(h, CURLOPT_PROXY, tinyauth);
        curl_easy_setopt(h, CURLOPT_PROXYUSERNAME, "user");
        curl_easy_setopt(h, CURLOPT_PROXYPASSWORD, "s3cret");
    } else if (strcmp(name, "auth-any-forward") == 0 || strcmp(name, "auth-any-forward-tinyproxy") == 0) {
        h = traced(name[16] ? fmt("%s/f/1k.bin", N) : "http://x.test/proxyauth", &s);
        curl_easy_setopt(h, CURLOPT_PROXY, name[16] ? tinyauth : fault);
        curl_easy_setopt(h, CURLOPT_PROXYUSERPWD, "user:s3cret");
        curl_easy_setopt(h, CURLOPT_PROXYAUTH, CURLAUTH_ANY);
    } else if (strcmp(name, "auth-any-tunnel") == 0 || strcmp(name, "auth-any-tunnel-close") == 0) {
        h = traced(name[15] ? "http://authclose.test/echo" : "http://auth.test/echo", &s);
        curl_easy_setopt(h, CURLOPT_PROXY, fault);
        curl_easy_setopt(h, CURLOPT_HTTPPROXYTUNNEL, 1L);
        curl_easy_setopt(h, CURLOPT_PROXYUSERPWD, "user:s3cret");
        curl_easy_setopt(h, CURLOPT_PROXYAUTH, CURLAUTH_ANY);
    } else if (strncmp(name, "connect-", 8) == 0) { /* the fault server answers CONNECT as the name says */
        h = traced(fmt("http://%s.test/echo", name + 8), &s);
        curl_easy_setopt(h, CURLOPT_PROXY, fault);
        curl_easy_setopt(h, CURLOPT_HTTPPROXYTUNNEL, 1L);
    } else if (strcmp(name, "forward-echo") == 0) { /* the request as the proxy gets it */
        h = traced("http://Host.Test:8080/echo?a=1#frag", &s);
        curl_easy_setopt(h, CURLOPT_PROXY, fault);
    } else if (strcmp(name, "forward-default-port") == 0) {
        h = traced("http://host.test:80/echo", &s);
        curl_easy_setopt(h, CURLOPT_PROXY, fmt("http://%s/ignored/path", fault));
    } else if (strcmp(name, "forward-ipv6-literal") == 0) {
        h = traced("http://[::1]:9/echo", &s);
        curl_easy_setopt(h, CURLOPT_PROXY, fault);
    } else if (strcmp(name, "forward-post") == 0) {
        h = traced("http://host.test/echo", &s);
        curl_easy_setopt(h, CURLOPT_PROXY, fault);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "a=1&b=2");
    } else if (strcmp(name, "forward-redirect") == 0) { /* both hops through the proxy */
        h = traced("http://one.test/redir?code=302&to=http://two.test:81/echo", &s);
        curl_easy_setopt(h, CURLOPT_PROXY, fault);
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    } else if (strcmp(name, "headers-separate") == 0 || strcmp(name, "headers-unified") == 0 ||
               strcmp(name, "headers-separate-forward") == 0 || strcmp(name, "headers-unified-forward") == 0) {
        int fwd = strstr(name, "forward") != NULL;
        h = traced("http://hdr.test/echo", &s);
        curl_easy_setopt(h, CURLOPT_PROXY, fault);
        if (!fwd) curl_easy_setopt(h, CURLOPT_HTTPPROXYTUNNEL, 1L);
        l = curl_slist_append(l, "X-Server: s");
        l = curl_slist_append(l, "User-Agent: server-agent");
        pl = curl_slist_append(pl, "X-Proxy: p");
        pl = curl_slist_append(pl, "Proxy-Connection: close");
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, l);
        curl_easy_setopt(h, CURLOPT_PROXYHEADER, pl);
        curl_easy_setopt(h, CURLOPT_USERAGENT, "agent/1");
        curl_easy_setopt(h, CURLOPT_HEADEROPT, strstr(name, "unified") ? CURLHEADER_UNIFIED : CURLHEADER_SEPARATE);
    } else if (strcmp(name, "suppress-connect-headers") == 0) {
        h = traced("http://quiet.test/echo", &s);
        curl_easy_setopt(h, CURLOPT_PROXY, fault);
        curl_easy_setopt(h, CURLOPT_HTTPPROXYTUNNEL, 1L);
        curl_easy_setopt(h, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
        curl_easy_setopt(h, CURLOPT_HEADER, 1L);
    } else if (strcmp(name, "http10-connect") == 0) {
        h = traced("http://old.test/echo", &s);
        curl_easy_setopt(h, CURLOPT_PROXY, fault);
        curl_easy_setopt(h, CURLOPT_HTTPPROXYTUNNEL, 1L);
        curl_easy_setopt(h, CURLOPT_PROXYTYPE, (long)CURLPROXY_HTTP_1_0);
    } else if (strcmp(name, "proxyport") == 0) {
        h = traced("http://pp.test/echo", &s);
        curl_easy_setopt(h, CURLOPT_PROXY, "127.0.0.1");
        curl_easy_setopt(h, CURLOPT_PROXYPORT, atol(fp));
    } else if (strcmp(name, "refused") == 0) {
        h = traced("http://r.test/", &s);
        curl_easy_setopt(h, CURLOPT_PROXY, "127.0.0.1:1");
    } else if (strcmp(name, "socks") == 0) {
        h = traced("http://r.test/", &s);
        curl_easy_setopt(h, CURLOPT_PROXY, fmt("socks5://%s", fault));
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 1000L); /* (libcurl waits for a SOCKS answer that never comes) */
    } else if (strcmp(name, "unknown-scheme") == 0) {
        h = traced("http://r.test/", &s);
        curl_easy_setopt(h, CURLOPT_PROXY, fmt("gopher://%s", fault));
    } else if (strcmp(name, "noproxy") == 0 || strcmp(name, "noproxy-cidr") == 0 || strcmp(name, "noproxy-star") == 0 ||
               strcmp(name, "noproxy-other") == 0) {
        h = traced(fmt("%s/echo", F), &s);
        curl_easy_setopt(h, CURLOPT_PROXY, "127.0.0.1:1"); /* used, it would fail */
        curl_easy_setopt(h, CURLOPT_NOPROXY, strcmp(name, "noproxy") == 0        ? "example.com, 127.0.0.1"
                                             : strcmp(name, "noproxy-cidr") == 0 ? "10.0.0.0/8,127.0.0.0/8"
                                             : strcmp(name, "noproxy-star") == 0 ? "*"
                                                                                 : "127.0.0.2,.example.com");
    } else if (strncmp(name, "env-", 4) == 0) { /* read as libcurl reads it */
        const char *url = fmt("http://env.test:%s/echo", fp);
        if (strcmp(name, "env-http") == 0) env = "http_proxy";
        else if (strcmp(name, "env-http-uppercase") == 0) env = "HTTP_PROXY"; /* not read: the transfer goes direct */
        else if (strcmp(name, "env-all") == 0) env = "all_proxy";
        else if (strcmp(name, "env-all-uppercase") == 0) env = "ALL_PROXY";
        else if (strcmp(name, "env-https") == 0 || strcmp(name, "env-https-uppercase") == 0) {
            env = name[9] ? "HTTPS_PROXY" : "https_proxy";
            url = https;
        } else if (strcmp(name, "env-empty-option") == 0) {
            env = "http_proxy";
        } else if (strcmp(name, "env-no-proxy") == 0) {
            env = "http_proxy";
            setenv("no_proxy", "env.test", 1);
        }
        setenv(env, url == https ? tiny : fault, 1);
        h = traced(url, &s);
        if (url != https) { /* direct, env.test has no address: a RESOLVE entry gives it the fault server's */
            l = curl_slist_append(l, fmt("env.test:%s:127.0.0.1", fp));
            curl_easy_setopt(h, CURLOPT_RESOLVE, l);
        }
        if (strcmp(name, "env-empty-option") == 0) curl_easy_setopt(h, CURLOPT_PROXY, "");
    } else if (strcmp(name, "reuse") == 0) { /* one connection to the proxy serves two origins */
        h = traced("http://one.test/gen/10", &s);
        curl_easy_setopt(h, CURLOPT_PROXY, fault);
        report(h, &s, curl_easy_perform(h));
        s.len = s.cap = 0;
        curl_easy_setopt(h, CURLOPT_URL, "http://two.test/gen/20");
    } else {
        out("unknown");
        return;
    }
    curl_easy_setopt(h, CURLOPT_CAINFO, fmt("%s/ca.pem", getenv("MPT_PKI") ? getenv("MPT_PKI") : "."));
    easy(h, &s);
    if (env) unsetenv(env);
    unsetenv("no_proxy");
    curl_slist_free_all(l);
    curl_slist_free_all(pl);
}

/* ---- compressed bodies (Content-Encoding) ---- */
/* /raw answering head + n body bytes (which may hold NULs), then end. */
static char *raw_body(const char *head, const unsigned char *body, size_t n, const char *end)
{
    static char b[65536];
    size_t o = (size_t)snprintf(b, sizeof b, "%s/raw?end=%s&pre=", F, end), i;
    const unsigned char *p;
    for (p = (const unsigned char *)head; *p && o + 4 < sizeof b; p++) o += (size_t)sprintf(b + o, "%%%02X", *p);
    for (i = 0; i < n && o + 4 < sizeof b; i++) o += (size_t)sprintf(b + o, "%%%02X", body[i]);
    b[o] = 0;
    return b;
}

/* Sixty lines of text, compressed by zlib with wbits (-15 raw, 15 zlib, 31 gzip). */
static size_t squeeze(int wbits, unsigned char *out, size_t cap)
{
    char lines[4096];
    size_t n = 0;
    int i;
    z_stream z;
    for (i = 0; i < 60; i++) n += (size_t)sprintf(lines + n, "line %d: the quick brown fox jumps over the lazy dog\n", i);
    memset(&z, 0, sizeof z);
    deflateInit2(&z, 9, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY);
    z.next_in = (Bytef *)lines;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    deflate(&z, Z_FINISH);
    n = cap - z.avail_out;
    deflateEnd(&z);
    return n;
}

static void run_decode_case(const char *name)
{
    seen s;
    CURL *h;
    unsigned char body[8192];
    char head[256];
    size_t n = squeeze(strstr(name, "deflate-raw") ? -15 : strstr(name, "deflate") ? 15 : 31, body, 4096);
    const char *coding = strstr(name, "deflate") ? "deflate" : strstr(name, "unknown") ? "compress" : "gzip";
    const char *ae = "gzip, deflate";
    if (strcmp(name, "gzip-static") == 0 || strcmp(name, "gzip-module") == 0 || strcmp(name, "bomb") == 0 ||
        strcmp(name, "bomb-maxfilesize") == 0 || strcmp(name, "damaged") == 0 || strcmp(name, "gzip-head") == 0 ||
        strcmp(name, "any") == 0) {
        h = traced(fmt("%s/%s", N, strcmp(name, "gzip-module") == 0 ? "gz/gzs/text.txt"
                                   : strncmp(name, "bomb", 4) == 0 ? "gzs/bomb.bin"
                                   : strcmp(name, "damaged") == 0  ? "gzs/damaged.txt"
                                                                   : "gzs/text.txt"),
                   &s);
        if (strcmp(name, "bomb-maxfilesize") == 0) curl_easy_setopt(h, CURLOPT_MAXFILESIZE, 524288L);
        if (strcmp(name, "gzip-head") == 0) curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
        if (strcmp(name, "any") == 0) ae = ""; /* every coding built in: the lists differ */
    } else {
        if (strcmp(name, "gzip-truncated") == 0) n -= 5;
        if (strcmp(name, "gzip-bad-crc") == 0) body[n - 8] ^= 1;
        if (strcmp(name, "gzip-bad-length") == 0) body[n - 1] ^= 1;
        if (strcmp(name, "gzip-garbage-after") == 0) {
            memcpy(body + n, "garbage", 7);
            n += 7;
        }
        if (strcmp(name, "gzip-two-members") == 0) {
            memcpy(body + n, body, n);
            n *= 2;
        }
        if (strcmp(name, "gzip-corrupt") == 0) body[n / 2] ^= 0x55;
        snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\nContent-Length: %zu\r\n\r\n",
                 strcmp(name, "identity") == 0 ? "identity" : coding, strcmp(name, "identity") == 0 ? (size_t)5 : n);
        h = traced(strcmp(name, "identity") == 0 ? raw_body(head, (const unsigned char *)"plain", 5, "keep")
                                                 : raw_body(head, body, n, "keep"),
                   &s);
        if (strcmp(name, "decoding-off") == 0) curl_easy_setopt(h, CURLOPT_HTTP_CONTENT_DECODING, 0L);
        if (strcmp(name, "not-asked") == 0) ae = NULL;
    }
    if (ae) curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, ae);
    easy(h, &s);
}

/* ---- cookies: one handle, a response setting them, then requests that send them ---- */
static int by_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* CURLINFO_COOKIELIST, a line each, sorted (the order is libcurl's hash
   table's), with a Max-Age's expiry (it moves with the clock) shown as
   "later". */
static void out_cookielist(CURL *h)
{
    struct curl_slist *l = NULL, *p;
    char *lines[256];
    size_t n = 0, i;
    out("cookielist: %d", (int)curl_easy_getinfo(h, CURLINFO_COOKIELIST, &l));
    for (p = l; p && n < 256; p = p->next) lines[n++] = p->data;
    qsort(lines, n, sizeof lines[0], by_text);
    for (i = 0; i < n; i++) {
        char line[2048], *f[7];
        int k = 0;
        snprintf(line, sizeof line, "%s", lines[i]);
        for (f[0] = line; k < 6 && (f[k + 1] = strchr(f[k], '\t')) != NULL; k++) *f[k + 1]++ = 0;
        if (k == 6)
            out("cookie %s|%s|%s|%s|%s|%s|%s", f[0], f[1], f[2], f[3],
                atoll(f[4]) > 1700000000 && atoll(f[4]) < 2000000000 && strcmp(f[4], "2139722880") ? "later" : f[4], f[5], f[6]);
        else out("cookie (not 7 fields) %s", lines[i]);
    }
    curl_slist_free_all(l);
}

/* The fault server's /raw answering a 302 to where with these Set-Cookie lines. */
static const char *setting(const char *host, const char *cookies, const char *where)
{
    char resp[4096];
    snprintf(resp, sizeof resp, "HTTP/1.1 302 Found\r\n%sLocation: %s\r\nContent-Length: 0\r\n\r\n", cookies, where);
    return fmt("http://%s:%s%s", host, strrchr(F, ':') + 1, strstr(raw(resp, "keep"), "/raw"));
}

static void cookie_get(CURL *h, seen *s, const char *url)
{
    memset(s, 0, sizeof *s);
    s->h = h;
    curl_easy_setopt(h, CURLOPT_URL, url);
    report(h, s, curl_easy_perform(h));
}

static void run_cookie_case(const char *name)
{
    seen s;
    CURL *h;
    struct curl_slist *l = NULL;
    const char *fp = strrchr(F, ':') + 1, *sets = "", *first = "127.0.0.1", *then[4] = {NULL, NULL, NULL, NULL};
    char jar[256], file[256];
    int k;
    snprintf(jar, sizeof jar, "/tmp/mpt-jar-%d.txt", (int)getpid());
    snprintf(file, sizeof file, "/tmp/mpt-cookies-%d.txt", (int)getpid());
    if (strcmp(name, "basic") == 0) {
        sets = "Set-Cookie: a=1\r\nSet-Cookie: b = two words ; Path=/\r\nSet-Cookie: empty=\r\n";
        then[0] = fmt("http://127.0.0.1:%s/echo", fp);
    } else if (strcmp(name, "domains") == 0) {
        first = "www.shop.test";
        sets = "Set-Cookie: d=1; Domain=shop.test\r\nSet-Cookie: e=1; Domain=.shop.test\r\nSet-Cookie: f=1; "
               "Domain=other.test\r\nSet-Cookie: g=1; Domain=test\r\nSet-Cookie: h=1; Domain=www.shop.test\r\n"
               "Set-Cookie: i=1\r\nSet-Cookie: j=1; Domain=co.uk\r\n";
        then[0] = fmt("http://shop.test:%s/echo", fp);
        then[1] = fmt("http://www.shop.test:%s/echo", fp);
        then[2] = fmt("http://a.www.shop.test:%s/echo", fp);
        then[3] = fmt("http://other.test:%s/echo", fp);
    } else if (strcmp(name, "paths") == 0) {
        sets = "Set-Cookie: p1=1; Path=/echo\r\nSet-Cookie: p2=1; Path=/ech\r\nSet-Cookie: p3=1; Path=/echo/\r\n"
               "Set-Cookie: p4=1; Path=\"/echo\"\r\nSet-Cookie: p5=1; Path=nope\r\nSet-Cookie: p6=1; Path=/echo/deeper\r\n"
               "Set-Cookie: p7=1; path=/\r\n";
        then[0] = fmt("http://127.0.0.1:%s/echo", fp);
        then[1] = fmt("http://127.0.0.1:%s/echo/deeper/x?y=1", fp);
        then[2] = fmt("http://127.0.0.1:%s/echoes", fp);
    } else if (strcmp(name, "expiry") == 0) {
        sets = "Set-Cookie: x1=1; Max-Age=0\r\nSet-Cookie: x2=1; Expires=Thu, 01 Jan 1970 00:00:01 GMT\r\n"
               "Set-Cookie: x3=1; Max-Age=3600\r\nSet-Cookie: x4=1; Expires=Wed, 21 Oct 2037 07:28:00 GMT\r\n"
               "Set-Cookie: x5=1; Expires=Wednesday, 21-Oct-37 07:28:00 GMT\r\nSet-Cookie: x6=1; Expires=Wed Oct 21 07:28:00 "
               "2037\r\nSet-Cookie: x7=1; Max-Age=3600; Expires=Thu, 01 Jan 1970 00:00:01 GMT\r\nSet-Cookie: x8=1; "
               "Expires=garbage\r\nSet-Cookie: x9=1; Max-Age=-5\r\n";
        then[0] = fmt("http://127.0.0.1:%s/echo", fp);
    } else if (strcmp(name, "secure") == 0 || strcmp(name, "secure-remote") == 0) {
        if (name[6]) first = "www.shop.test";
        sets = "Set-Cookie: s=1; Secure\r\nSet-Cookie: t=1\r\nSet-Cookie: __Secure-u=1; Secure\r\nSet-Cookie: __Host-v=1; "
               "Secure; Path=/\r\nSet-Cookie: __Host-w=1; Secure; Path=/; Domain=shop.test\r\nSet-Cookie: __Secure-x=1\r\n"
               "Set-Cookie: y=1; HttpOnly\r\nSet-Cookie: z=1; SameSite=Lax\r\n";
        then[0] = fmt("http://%s:%s/echo", first, fp);
    } else if (strcmp(name, "replace") == 0) {
        sets = "Set-Cookie: r=1\r\nSet-Cookie: q=1\r\nSet-Cookie: r=2\r\nSet-Cookie: q=1; Max-Age=0\r\n";
        then[0] = fmt("http://127.0.0.1:%s/echo", fp);
    } else if (strcmp(name, "order") == 0) {
        sets = "Set-Cookie: aa=1\r\nSet-Cookie: b=1; Path=/echo\r\nSet-Cookie: c=1\r\nSet-Cookie: dd=1; Path=/echo\r\n"
               "Set-Cookie: a=1\r\n";
        then[0] = fmt("http://127.0.0.1:%s/echo", fp);
    } else if (strcmp(name, "option") == 0 || strcmp(name, "option-other-host") == 0) {
        sets = "Set-Cookie: a=1\r\n";
        then[0] = name[6] ? fmt("http://other.test:%s/echo", fp) : fmt("http://127.0.0.1:%s/echo", fp);
    } else if (strcmp(name, "hostile") == 0) {
        static char big[5000];
        memset(big, 'v', sizeof big - 1);
        memset(big, 'v', 4000);
        sets = fmt("Set-Cookie: noequals\r\nSet-Cookie: =novalue\r\nSet-Cookie: big=%s\r\n"
                   "Set-Cookie: ok=1; Domain=127.0.0.2\r\nSet-Cookie: ok2=1; Domain=127.0.0.1\r\nSet-Cookie: tab=a\tb\r\n",
                   big);
        then[0] = fmt("http://127.0.0.1:%s/echo", fp);
    } else {
        out("unknown");
        return;
    }
    h = traced(setting(first, sets, then[0]), &s);
    for (k = 0; k < 4; k++) /* the names of the scenario, all to the fault server */
        l = curl_slist_append(l, fmt("%s:%s:127.0.0.1", k == 0 ? "www.shop.test" : k == 1 ? "shop.test" : k == 2 ? "a.www.shop.test" : "other.test", fp));
    curl_easy_setopt(h, CURLOPT_RESOLVE, l);
    curl_easy_setopt(h, CURLOPT_COOKIEFILE, "");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    if (strncmp(name, "option", 6) == 0) curl_easy_setopt(h, CURLOPT_COOKIE, "c=3; d=4");
    report(h, &s, curl_easy_perform(h));
    for (k = 1; k < 4 && then[k]; k++) cookie_get(h, &s, then[k]);
    out_cookielist(h);
    curl_easy_cleanup(h);
    curl_slist_free_all(l);
    (void)jar;
    (void)file;
}

/* COOKIEFILE, COOKIESESSION, COOKIELIST's commands, COOKIEJAR's file. */
static void run_cookie_files(void)
{
    seen s;
    CURL *h;
    char jar[256], file[256], buf[8192];
    FILE *f;
    size_t n;
    snprintf(jar, sizeof jar, "/tmp/mpt-jar-%d.txt", (int)getpid());
    snprintf(file, sizeof file, "/tmp/mpt-cookies-%d.txt", (int)getpid());
    f = fopen(file, "w");
    if (!f) return;
    fputs("# a comment\n127.0.0.1\tFALSE\t/\tFALSE\t0\tsess\tfrom-file\n"
          ".example.test\tTRUE\t/\tFALSE\t2139722880\tlong\tlived\n"
          "#HttpOnly_127.0.0.1\tFALSE\t/echo\tFALSE\t2139722880\tho\tx\n"
          "127.0.0.1\tFALSE\t/\tTRUE\t2139722880\tsec\tonly-https\n"
          "127.0.0.1\tFALSE\t/\tFALSE\t1\told\tgone\n"
          "127.0.0.1\tFALSE\t/\tFALSE\t0\tnovalue\n"
          "Set-Cookie: hdr=1; Domain=127.0.0.1; Path=/\n",
          f);
    fclose(f);
    h = traced(fmt("%s/echo", F), &s);
    curl_easy_setopt(h, CURLOPT_COOKIEFILE, file);
    curl_easy_setopt(h, CURLOPT_COOKIEJAR, jar);
    report(h, &s, curl_easy_perform(h));
    out_cookielist(h);
    out("COOKIELIST add: %d", (int)curl_easy_setopt(h, CURLOPT_COOKIELIST, "127.0.0.1\tFALSE\t/\tFALSE\t0\tadded\tyes"));
    out("COOKIELIST add header: %d", (int)curl_easy_setopt(h, CURLOPT_COOKIELIST, "Set-Cookie: viaheader=1; Domain=127.0.0.1"));
    out_cookielist(h);
    out("COOKIELIST SESS: %d", (int)curl_easy_setopt(h, CURLOPT_COOKIELIST, "SESS"));
    out_cookielist(h);
    out("COOKIELIST FLUSH: %d", (int)curl_easy_setopt(h, CURLOPT_COOKIELIST, "FLUSH"));
    f = fopen(jar, "r");
    n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f) fclose(f);
    out_bytes("jar after FLUSH", buf, n);
    out("COOKIELIST RELOAD: %d", (int)curl_easy_setopt(h, CURLOPT_COOKIELIST, "RELOAD"));
    out_cookielist(h);
    out("COOKIELIST ALL: %d", (int)curl_easy_setopt(h, CURLOPT_COOKIELIST, "ALL"));
    out_cookielist(h);
    out("COOKIELIST add: %d", (int)curl_easy_setopt(h, CURLOPT_COOKIELIST, "127.0.0.1\tFALSE\t/\tFALSE\t2139722880\tlast\tone"));
    curl_easy_cleanup(h); /* writes the jar */
    f = fopen(jar, "r");
    n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f) fclose(f);
    out_bytes("jar at cleanup", buf, n);
    /* COOKIESESSION: the file's session cookies stay out */
    h = traced(fmt("%s/echo", F), &s);
    curl_easy_setopt(h, CURLOPT_COOKIEFILE, file);
    curl_easy_setopt(h, CURLOPT_COOKIESESSION, 1L);
    easy(h, &s);
    { /* "-": the cookies come from stdin */
        int saved = dup(0), fd = open(file, O_RDONLY);
        if (saved >= 0 && fd >= 0 && dup2(fd, 0) == 0) {
            h = traced(fmt("%s/echo", F), &s);
            curl_easy_setopt(h, CURLOPT_COOKIEFILE, "-");
            easy(h, &s);
            dup2(saved, 0);
            clearerr(stdin);
        }
        if (fd >= 0) close(fd);
        if (saved >= 0) close(saved);
    }
    unlink(jar);
    unlink(file);
}

/* Two handles with one share of cookies: what one is told, the other sends. */
static int share_locks, share_unlocks;
static void on_share_lock(CURL *h, curl_lock_data d, curl_lock_access a, void *u)
{
    (void)h;
    (void)a;
    (void)u;
    if (d == CURL_LOCK_DATA_COOKIE) share_locks++;
}
static void on_share_unlock(CURL *h, curl_lock_data d, void *u)
{
    (void)h;
    (void)u;
    if (d == CURL_LOCK_DATA_COOKIE) share_unlocks++;
}

static void run_cookie_share(void)
{
    seen s;
    CURLSH *sh = curl_share_init();
    CURL *a, *b;
    out("share COOKIE: %d", (int)curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_COOKIE));
    curl_share_setopt(sh, CURLSHOPT_LOCKFUNC, on_share_lock);
    curl_share_setopt(sh, CURLSHOPT_UNLOCKFUNC, on_share_unlock);
    a = traced(setting("127.0.0.1", "Set-Cookie: shared=1\r\nSet-Cookie: p=2; Path=/echo\r\n", "/echo"), &s);
    curl_easy_setopt(a, CURLOPT_FOLLOWLOCATION, 1L);
    out("setopt SHARE: %d", (int)curl_easy_setopt(a, CURLOPT_SHARE, sh));
    report(a, &s, curl_easy_perform(a)); /* the engine is off in a: nothing kept */
    memset(&s, 0, sizeof s);
    s.h = a;
    curl_easy_setopt(a, CURLOPT_COOKIEFILE, "");
    report(a, &s, curl_easy_perform(a)); /* on: kept in the share */
    b = traced(fmt("%s/echo", F), &s);
    out("setopt SHARE: %d", (int)curl_easy_setopt(b, CURLOPT_SHARE, sh));
    report(b, &s, curl_easy_perform(b)); /* b's engine is off: nothing sent */
    out_cookielist(b);
    memset(&s, 0, sizeof s);
    s.h = b;
    curl_easy_setopt(b, CURLOPT_COOKIEFILE, "");
    report(b, &s, curl_easy_perform(b)); /* on: the share's cookies go */
    out("cleanup while in use: %d", (int)curl_share_cleanup(sh));
    out("unshare while in use: %d", (int)curl_share_setopt(sh, CURLSHOPT_UNSHARE, CURL_LOCK_DATA_COOKIE));
    curl_easy_cleanup(a);
    curl_easy_setopt(b, CURLOPT_SHARE, (CURLSH *)NULL);
    out_cookielist(b);
    curl_easy_cleanup(b);
    out("locks taken: %s, each given back: %s", share_locks > 0 ? "yes" : "no", share_locks == share_unlocks ? "yes" : "no");
    out("cleanup: %d", (int)curl_share_cleanup(sh));
}

/* ---- the list ---- */
static const char *const cases[] = {
    "maxfilesize", "maxfilesize-chunked", "failonerror", "maxredirs", "hops", "hops-referer", "redirect-fragment",
    "redirect-other-host", "auth-any-401", "auth-any-post-401", "auth-any-200", "auth-any-401-digest-only", "auth-digest", "auth-digest-sha256", "auth-digest-two", "auth-digest-wrong", "auth-digest-stale", "auth-basic", "custom-headers", "range", "resume", "customrequest",
    "http10-request", "header-in-body", "nginx", "nginx-head", "nginx-redirect", "resolve", "connect-to",
    "unix-socket", "unix-socket-long", "interface", "refused", "tls-ok", "tls-unknown-ca", "tls-expired", "tls-no-intermediate",
    "tls-ip-not-listed", "tls-wrong-name", "default-protocol", "default-protocol-https", "request-target", "keepalive",
    "keepalive-defaults", "certinfo", "tls-ssl-options"};
static const char *const proxies[] = {
    "http-tinyproxy", "https-tinyproxy", "http-squid", "https-squid", "https-unknown-ca", "auth-none", "auth-none-https",
    "auth-basic", "auth-basic-https", "auth-wrong", "auth-in-url", "auth-username-password", "auth-any-forward",
    "auth-any-forward-tinyproxy", "auth-any-tunnel", "auth-any-tunnel-close", "connect-deny", "connect-close",
    "connect-half", "connect-extra", "connect-any", "forward-echo", "forward-default-port", "forward-ipv6-literal",
    "forward-post", "forward-redirect", "headers-separate", "headers-unified", "headers-separate-forward",
    "headers-unified-forward", "suppress-connect-headers", "http10-connect", "proxyport", "refused", "socks",
    "unknown-scheme", "noproxy", "noproxy-cidr", "noproxy-star", "noproxy-other", "env-http", "env-http-uppercase",
    "env-all", "env-all-uppercase", "env-https", "env-https-uppercase", "env-empty-option", "env-no-proxy", "reuse"};
static const char *const decodes[] = {
    "gzip-static", "gzip-module", "gzip-head", "any", "bomb", "bomb-maxfilesize", "damaged", "gzip", "deflate",
    "deflate-raw", "gzip-truncated", "gzip-bad-crc", "gzip-bad-length", "gzip-garbage-after", "gzip-two-members",
    "gzip-corrupt", "unknown", "identity", "decoding-off", "not-asked"};
static const char *const cookie_cases[] = {"basic", "domains", "paths", "expiry", "secure", "secure-remote",
                                           "replace", "order", "option", "option-other-host", "hostile"};
static const int redirect_codes[] = {301, 302, 303, 307, 308};
static const char *const uploads[] = {"postfields", "large-postfields", "small-put", "empty-put", "chunked-put",
                                      "post-read", "large-put", "expect-ignored"};

typedef void (*pattern_fn)(void);
static const struct {
    const char *name;
    pattern_fn fn;
} patterns[] = {{"pattern-multi-poll", run_multi_poll},
                {"pattern-fdset-select", run_fdset},
                {"pattern-wait-extra-fd", run_wait_extra},
                {"pattern-readd-in-info-read", run_readd},
                {"pattern-progress-abort", run_progress_abort},
                {"pattern-pause-inside-write", run_pause_inside},
                {"pattern-pause-inside-write-gzip", run_pause_inside_gzip},
                {"pattern-header-file", run_header_file},
                {"pattern-connect-only", run_connect_only},
                {"pattern-digest-twice", run_digest_twice},
                {"pattern-connect-only-https", run_connect_only_https},
                {"pattern-connect-only-multi", run_connect_only_multi},
                {"pattern-cookie-files", run_cookie_files},
                {"pattern-cookie-share", run_cookie_share},
                {"strerror-coverage", run_strerror}};

/* Calls fn(name) for every scenario; run: run it (else list it). */
static int each(int argc, char **argv, int run)
{
    size_t i;
    int k, found = 0;
    char name[128];
#define WANT(nm)                                                                                                       \
    for (k = 1; k < argc && strcmp(argv[k], "all") != 0 && strcmp(argv[k], "list") != 0 && strcmp(argv[k], (nm)) != 0; \
         k++) {}                                                                                                       \
    if (k < argc || argc < 2) found++;                                                                                 \
    if ((k < argc || argc < 2) && !run) puts(nm);                                                                      \
    if ((k < argc || argc < 2) && run && (cur = (nm)) != NULL)
    for (i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        snprintf(name, sizeof name, "get-%s", shapes[i].name);
        WANT(name) run_shape(&shapes[i], 0);
        snprintf(name, sizeof name, "head-%s", shapes[i].name);
        if (strncmp(shapes[i].name, "cut-", 4) == 0 || strncmp(shapes[i].name, "http10-close", 12) == 0 ||
            strcmp(shapes[i].name, "close-delimited") == 0)
            continue; /* a HEAD is answered without a body: nothing to cut */
        WANT(name) run_shape(&shapes[i], 1);
    }
    for (i = 0; i < sizeof redirect_codes / sizeof redirect_codes[0]; i++) {
        snprintf(name, sizeof name, "redirect-%d-follow", redirect_codes[i]);
        WANT(name) run_redirect(redirect_codes[i], 1, "/echo");
        snprintf(name, sizeof name, "redirect-%d-nofollow", redirect_codes[i]);
        WANT(name) run_redirect(redirect_codes[i], 0, "/echo");
    }
    for (i = 0; i < sizeof uploads / sizeof uploads[0]; i++) {
        snprintf(name, sizeof name, "upload-%s", uploads[i]);
        WANT(name) run_upload(uploads[i]);
    }
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(name, sizeof name, "option-%s", cases[i]);
        WANT(name) run_option_case(cases[i]);
    }
    for (i = 0; i < sizeof cookie_cases / sizeof cookie_cases[0]; i++) {
        snprintf(name, sizeof name, "cookie-%s", cookie_cases[i]);
        WANT(name) run_cookie_case(cookie_cases[i]);
    }
    for (i = 0; i < sizeof decodes / sizeof decodes[0]; i++) {
        snprintf(name, sizeof name, "decode-%s", decodes[i]);
        WANT(name) run_decode_case(decodes[i]);
    }
    for (i = 0; i < sizeof proxies / sizeof proxies[0]; i++) {
        snprintf(name, sizeof name, "proxy-%s", proxies[i]);
        WANT(name) run_proxy_case(proxies[i]);
    }
    for (i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
        WANT(patterns[i].name) patterns[i].fn();
    }
#undef WANT
    return found;
}

int main(int argc, char **argv)
{
    const char *fp = getenv("MPT_FAULT_PORT"), *fp2 = getenv("MPT_FAULT2_PORT"), *np = getenv("MPT_NGINX_PORT");
    int list = argc > 1 && strcmp(argv[1], "list") == 0;
    if (!list && (!fp || !fp2 || !np)) {
        fprintf(stderr, "differential: MPT_FAULT_PORT, MPT_FAULT2_PORT and MPT_NGINX_PORT must be set\n");
        return 2;
    }
    snprintf(F, sizeof F, "http://127.0.0.1:%s", fp ? fp : "0");
    snprintf(F2, sizeof F2, "http://127.0.0.1:%s", fp2 ? fp2 : "0");
    snprintf(N, sizeof N, "http://127.0.0.1:%s", np ? np : "0");
    setvbuf(stdout, NULL, _IOLBF, 0);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (!each(argc, argv, !list)) {
        fprintf(stderr, "differential: no such scenario\n");
        return 2;
    }
    curl_global_cleanup();
    return 0;
}
