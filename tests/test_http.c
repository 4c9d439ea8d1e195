/* HTTP/1.1 client semantics, written against libcurl's API and built through
   compat/curl/curl.h: request bodies, redirects, auth, ranges, timeouts,
   pause and progress, what callbacks may call, request hygiene. Every test
   checks the result code, the response code, the bytes delivered and what
   the server received (the faultserver's /echo reflects the request). */
/* the state changes this suite must see (tests/transitions.h) */
#define MPT_MUST "S:RECV>CONNECT B:NONE>WAIT100 B:NONE>SENDING B:WAIT100>SENDING B:WAIT100>ABANDONED B:SENDING>DONE " \
    "B:SENDING>ABANDONED B:DONE>NONE"
#include "transitions.h" /* before the header: it watches the state changes */
#define MULTIPERFORM_IMPLEMENTATION
#include <curl/curl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <unistd.h>
#include "helpers.h"
#include "t.h"

static int fault2_port(void) { return env_int("MPT_FAULT2_PORT"); }

static uint64_t fnv(const void *p, size_t n)
{
    const unsigned char *b = (const unsigned char *)p;
    uint64_t h = 14695981039346656037ULL;
    size_t i;
    for (i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}

/* What /echo reported about the request it saw. */
typedef struct seen {
    char method[16];
    char head[16384];
    long body_length;
    uint64_t body_sum;
} seen;

static int parse_echo(const sink *s, seen *out)
{
    const char *p;
    memset(out, 0, sizeof *out);
    out->body_length = -1;
    if (!s->p) return 0;
    sscanf(s->p, "%15s", out->method);
    p = strstr(s->p, "\r\n\r\n");
    if (!p) return 0;
    snprintf(out->head, sizeof out->head, "%.*s", (int)(p + 4 - s->p), s->p);
    p = strstr(p, "body-length: ");
    if (!p) return 0;
    sscanf(p, "body-length: %ld\nbody-sum: %llx", &out->body_length, (unsigned long long *)&out->body_sum);
    return 1;
}

static int has_header(const seen *s, const char *line)
{
    return strstr(s->head, line) != NULL;
}

static char *echo_url(int port) { return fmt("http://127.0.0.1:%d/echo", port); }

/* A read callback over a memory source, with optional pause and abort. */
typedef struct source {
    const char *data;
    size_t len, pos;
    size_t calls;
    int pause_once_at; /* pause when pos passes this (once) */
    int abort_at;      /* abort when pos passes this */
    int paused;
} source;

static size_t source_read(char *buf, size_t size, size_t n, void *ud)
{
    source *s = (source *)ud;
    size_t want = size * n, left = s->len - s->pos;
    s->calls++;
    if (s->abort_at > 0 && s->pos >= (size_t)s->abort_at) return CURL_READFUNC_ABORT;
    if (s->pause_once_at > 0 && s->pos >= (size_t)s->pause_once_at) {
        s->pause_once_at = 0;
        s->paused = 1;
        return CURL_READFUNC_PAUSE;
    }
    if (want > left) want = left;
    if (want > 7000) want = 7000; /* several calls, odd sizes */
    memcpy(buf, s->data + s->pos, want);
    s->pos += want;
    return want;
}

/* An upload (PUT) from a memory source over data[0..len): READFUNCTION is
   source_read; size < 0 leaves the size unknown (chunked). */
static void upload_init(xfer *x, source *src, const char *url, const char *data, size_t len, curl_off_t size)
{
    memset(src, 0, sizeof *src);
    src->data = data;
    src->len = len;
    xfer_init(x, url);
    curl_easy_setopt(x->h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(x->h, CURLOPT_READFUNCTION, source_read);
    curl_easy_setopt(x->h, CURLOPT_READDATA, src);
    if (size >= 0) curl_easy_setopt(x->h, CURLOPT_INFILESIZE_LARGE, size);
}

static int source_seek(void *ud, curl_off_t offset, int origin)
{
    source *s = (source *)ud;
    if (origin != SEEK_SET || offset < 0 || (size_t)offset > s->len) return CURL_SEEKFUNC_FAIL;
    s->pos = (size_t)offset;
    return CURL_SEEKFUNC_OK;
}

static char *make_data(size_t n)
{
    char *d = (char *)malloc(n + 1);
    size_t i;
    for (i = 0; i < n; i++) d[i] = (char)(i * 31 + i / 7);
    d[n] = 0;
    return d;
}

/* ------------------------------------------------------------------ */
/* request bodies                                                      */
/* ------------------------------------------------------------------ */
TEST(post_fields)
{
    xfer x;
    seen s;
    xfer_init(&x, echo_url(fault_port()));
    curl_easy_setopt(x.h, CURLOPT_POSTFIELDS, "a=1&b=2");
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK_EQ_LONG(code_of(x.h), 200);
    CHECK(parse_echo(&x.body, &s));
    CHECK(strcmp(s.method, "POST") == 0);
    CHECK(has_header(&s, "\r\nContent-Type: application/x-www-form-urlencoded\r\n"));
    CHECK(has_header(&s, "\r\nContent-Length: 7\r\n"));
    CHECK(!has_header(&s, "Expect:"));
    CHECK_EQ_LONG(s.body_length, 7);
    CHECK(s.body_sum == fnv("a=1&b=2", 7));
    CHECK_EQ_LONG(info_off(x.h, CURLINFO_SIZE_UPLOAD_T), 7);
    xfer_free(&x);
}

TEST(post_binary_fields_with_size_and_copy)
{
    xfer x;
    seen s;
    char data[1000], copy_src[64];
    size_t i;
    for (i = 0; i < sizeof data; i++) data[i] = (char)(i % 3 ? i : 0); /* NULs inside */
    xfer_init(&x, echo_url(fault_port()));
    curl_easy_setopt(x.h, CURLOPT_POSTFIELDSIZE, (long)sizeof data);
    curl_easy_setopt(x.h, CURLOPT_POSTFIELDS, data);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK(parse_echo(&x.body, &s));
    CHECK_EQ_LONG(s.body_length, 1000);
    CHECK(s.body_sum == fnv(data, sizeof data));
    xfer_free(&x);
    /* COPYPOSTFIELDS keeps its own copy: the caller's buffer can change */
    strcpy(copy_src, "copied=yes");
    xfer_init(&x, echo_url(fault_port()));
    curl_easy_setopt(x.h, CURLOPT_COPYPOSTFIELDS, copy_src);
    strcpy(copy_src, "changed!!!");
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK(parse_echo(&x.body, &s));
    CHECK(s.body_sum == fnv("copied=yes", 10));
    /* the same handle again: the copy is still there */
    sink_free(&x.body);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK(parse_echo(&x.body, &s));
    CHECK(s.body_sum == fnv("copied=yes", 10));
    xfer_free(&x);
}

TEST(large_post_uses_expect_100_continue)
{
    xfer x;
    seen s;
    size_t n = 3 * 1024 * 1024;
    char *data = make_data(n);
    xfer_init(&x, echo_url(fault_port()));
    curl_easy_setopt(x.h, CURLOPT_POSTFIELDS, data);
    curl_easy_setopt(x.h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK_EQ_LONG(code_of(x.h), 200);
    CHECK(parse_echo(&x.body, &s));
    CHECK(has_header(&s, "\r\nExpect: 100-continue\r\n"));
    CHECK_EQ_LONG(s.body_length, (long)n);
    CHECK(s.body_sum == fnv(data, n));
    CHECK(x.head.p && strstr(x.head.p, "HTTP/1.1 100 Continue\r\n") != NULL);
    xfer_free(&x);
    free(data);
}

TEST(put_from_read_callback_known_and_unknown_size)
{
    size_t n = 300000;
    char *data = make_data(n);
    int sized;
    for (sized = 1; sized >= 0; sized--) {
        xfer x;
        seen s;
        source src;
        upload_init(&x, &src, echo_url(fault_port()), data, n, sized ? (curl_off_t)n : -1);
        CHECK_EQ_LONG(run(&x), CURLE_OK);
        CHECK(parse_echo(&x.body, &s));
        CHECK(strcmp(s.method, "PUT") == 0);
        if (sized) {
            CHECK(has_header(&s, "\r\nContent-Length: 300000\r\n"));
            CHECK(!has_header(&s, "Transfer-Encoding"));
        } else {
            CHECK(has_header(&s, "\r\nTransfer-Encoding: chunked\r\n"));
            CHECK(has_header(&s, "\r\nExpect: 100-continue\r\n"));
        }
        CHECK_EQ_LONG(s.body_length, (long)n);
        CHECK(s.body_sum == fnv(data, n));
        if (sized) /* chunked: the framing counts too, as in libcurl */
            CHECK_EQ_LONG(info_off(x.h, CURLINFO_SIZE_UPLOAD_T), (long)n);
        else
            CHECK(info_off(x.h, CURLINFO_SIZE_UPLOAD_T) > (curl_off_t)n);
        xfer_free(&x);
    }
    free(data);
}

TEST(post_from_read_callback_and_default_fread)
{
    xfer x;
    seen s;
    source src;
    FILE *f;
    memset(&src, 0, sizeof src);
    src.data = "posted by callback";
    src.len = strlen(src.data);
    xfer_init(&x, echo_url(fault_port()));
    curl_easy_setopt(x.h, CURLOPT_POST, 1L);
    curl_easy_setopt(x.h, CURLOPT_READFUNCTION, source_read);
    curl_easy_setopt(x.h, CURLOPT_READDATA, &src);
    curl_easy_setopt(x.h, CURLOPT_POSTFIELDSIZE, (long)src.len);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK(parse_echo(&x.body, &s));
    CHECK(strcmp(s.method, "POST") == 0 && s.body_length == (long)src.len);
    CHECK(s.body_sum == fnv(src.data, src.len));
    xfer_free(&x);
    /* no READFUNCTION: libcurl's default reads the READDATA FILE * */
    f = tmpfile();
    fputs("from a FILE *", f);
    rewind(f);
    xfer_init(&x, echo_url(fault_port()));
    curl_easy_setopt(x.h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(x.h, CURLOPT_READDATA, f);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK(parse_echo(&x.body, &s));
    CHECK(s.body_length == 13 && s.body_sum == fnv("from a FILE *", 13));
    fclose(f);
    xfer_free(&x);
}

TEST(expect_100_timeout_sends_the_body_anyway)
{
    xfer x;
    seen s;
    source src;
    char *data = make_data(20000);
    upload_init(&x, &src, fmt("http://127.0.0.1:%d/echo?expect=ignore", fault_port()), data, 20000, -1);
    curl_easy_setopt(x.h, CURLOPT_EXPECT_100_TIMEOUT_MS, 200L);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK(parse_echo(&x.body, &s));
    CHECK(has_header(&s, "Expect: 100-continue"));
    CHECK_EQ_LONG(s.body_length, 20000);
    CHECK(s.body_sum == fnv(data, 20000));
    xfer_free(&x);
    free(data);
}

TEST(server_answers_before_the_body_is_sent)
{
    /* 413 and close, without reading: the upload stops, no hang, the answer is the result */
    int mode;
    size_t n = 8 * 1024 * 1024;
    char *data = make_data(n);
    for (mode = 0; mode < 3; mode++) {
        xfer x;
        source src;
        memset(&src, 0, sizeof src);
        src.data = data;
        src.len = n;
        xfer_init(&x, raw_url("HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\nContent-Length: 9\r\n\r\ntoo large",
                              "end=close"));
        if (mode == 0) { /* known size, no Expect: the body is on its way */
            curl_easy_setopt(x.h, CURLOPT_POSTFIELDS, data);
            curl_easy_setopt(x.h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
            curl_easy_setopt(x.h, CURLOPT_HTTPHEADER, NULL);
        } else { /* Expect: the server answers instead of 100 */
            curl_easy_setopt(x.h, CURLOPT_UPLOAD, 1L);
            curl_easy_setopt(x.h, CURLOPT_READFUNCTION, source_read);
            curl_easy_setopt(x.h, CURLOPT_READDATA, &src);
            if (mode == 2) curl_easy_setopt(x.h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)n);
        }
        if (mode == 0) {
            struct curl_slist *h = curl_slist_append(NULL, "Expect:");
            curl_easy_setopt(x.h, CURLOPT_HTTPHEADER, h);
            run(&x);
            curl_slist_free_all(h);
        } else {
            run(&x);
        }
        CHECKF(x.result == CURLE_OK, "mode %d: %d %s", mode, (int)x.result, x.err);
        CHECK_EQ_LONG(code_of(x.h), 413);
        CHECK(x.body.len == 9);
        if (mode) CHECKF(src.calls == 0, "mode %d: the body was not read (%zu reads)", mode, src.calls);
        xfer_free(&x);
    }
    free(data);
}

TEST(read_callback_abort_pause_and_short_read)
{
    size_t n = 100000;
    char *data = make_data(n);
    xfer x;
    seen s;
    source src;
    CURLM *m;
    int running = 1, rounds = 0, left;
    CURLMsg *msg;
    /* abort */
    upload_init(&x, &src, echo_url(fault_port()), data, n, (curl_off_t)n);
    src.abort_at = 30000;
    CHECK_EQ_LONG(run(&x), CURLE_ABORTED_BY_CALLBACK);
    xfer_free(&x);
    /* a read callback that ends early on a known size */
    upload_init(&x, &src, echo_url(fault_port()), data, 5000, (curl_off_t)n);
    CHECK_EQ_LONG(run(&x), CURLE_READ_ERROR);
    xfer_free(&x);
    /* pause, then resume with curl_easy_pause */
    upload_init(&x, &src, echo_url(fault_port()), data, n, (curl_off_t)n);
    src.pause_once_at = 40000;
    m = curl_multi_init();
    curl_multi_add_handle(m, x.h);
    while (running && rounds++ < 10000) {
        curl_multi_perform(m, &running);
        if (src.paused == 1) {
            int i;
            for (i = 0; i < 3; i++) { /* stays paused */
                curl_multi_poll(m, NULL, 0, 30, NULL);
                curl_multi_perform(m, &running);
            }
            CHECK(src.pos <= 40000 + 7000);
            src.paused = 2;
            CHECK_EQ_LONG(curl_easy_pause(x.h, CURLPAUSE_CONT), CURLE_OK);
        }
        if (running) curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    while ((msg = curl_multi_info_read(m, &left)) != NULL) x.result = msg->data.result;
    CHECK_EQ_LONG(x.result, CURLE_OK);
    CHECK_EQ_LONG(src.paused, 2);
    CHECK(parse_echo(&x.body, &s));
    CHECK(s.body_length == (long)n && s.body_sum == fnv(data, n));
    done_with(m, &x);
    free(data);
}

TEST(methods_custom_head_and_back_to_get)
{
    xfer x;
    seen s;
    xfer_init(&x, echo_url(fault_port()));
    curl_easy_setopt(x.h, CURLOPT_POSTFIELDS, "{\"patch\":1}");
    curl_easy_setopt(x.h, CURLOPT_CUSTOMREQUEST, "PATCH");
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK(parse_echo(&x.body, &s));
    CHECK(strcmp(s.method, "PATCH") == 0 && s.body_length == 11);
    /* HTTPGET: the same handle goes back to a plain GET */
    curl_easy_setopt(x.h, CURLOPT_CUSTOMREQUEST, NULL);
    curl_easy_setopt(x.h, CURLOPT_HTTPGET, 1L);
    sink_free(&x.body);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK(parse_echo(&x.body, &s));
    CHECK(strcmp(s.method, "GET") == 0 && s.body_length == 0 && !has_header(&s, "Content-Length"));
    xfer_free(&x);
    /* NOBODY: a HEAD request, no body read */
    xfer_init(&x, fmt("http://127.0.0.1:%d/gen/4000", fault_port()));
    curl_easy_setopt(x.h, CURLOPT_NOBODY, 1L);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK(x.body.len == 0 && info_off(x.h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T) == 4000);
    CHECK(strcmp(info_str(x.h, CURLINFO_EFFECTIVE_METHOD), "HEAD") == 0);
    xfer_free(&x);
}

/* ------------------------------------------------------------------ */
/* redirects                                                           */
/* ------------------------------------------------------------------ */
static char *redir_url(int port, int code, const char *to)
{
    return fmt("http://127.0.0.1:%d/redir?code=%d&to=%s", port, code, pct(to));
}

TEST(redirect_method_rules)
{
    static const struct {
        int code;
        const char *method; /* what the target sees */
        int body;
    } cases[] = {{301, "GET", 0}, {302, "GET", 0}, {303, "GET", 0}, {307, "POST", 1}, {308, "POST", 1}};
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        xfer x;
        seen s;
        xfer_init(&x, redir_url(fault_port(), cases[i].code, "/echo"));
        curl_easy_setopt(x.h, CURLOPT_POSTFIELDS, "moved=1");
        curl_easy_setopt(x.h, CURLOPT_FOLLOWLOCATION, 1L);
        CHECK_EQ_LONG(run(&x), CURLE_OK);
        CHECK_EQ_LONG(code_of(x.h), 200);
        CHECK(parse_echo(&x.body, &s));
        CHECKF(strcmp(s.method, cases[i].method) == 0, "%d: %s", cases[i].code, s.method);
        CHECKF(s.body_length == (cases[i].body ? 7 : 0), "%d: body %ld", cases[i].code, s.body_length);
        if (!cases[i].body) CHECK(!has_header(&s, "Content-Type") && !has_header(&s, "Content-Length"));
        else CHECK(s.body_sum == fnv("moved=1", 7));
        CHECK_EQ_LONG(info_off(x.h, CURLINFO_REDIRECT_COUNT), 1);
        CHECK(strcmp(info_str(x.h, CURLINFO_EFFECTIVE_URL), echo_url(fault_port())) == 0);
        /* both responses' headers reached the header callback */
        CHECK(x.head.p && strstr(x.head.p, "Redirect\r\n") && strstr(x.head.p, "HTTP/1.1 200 OK\r\n"));
        xfer_free(&x);
    }
}

TEST(redirect_post_kept_with_postredir_and_rewinds_read_body)
{
    xfer x;
    seen s;
    source src;
    char *data = make_data(50000);
    xfer_init(&x, redir_url(fault_port(), 302, "/echo"));
    curl_easy_setopt(x.h, CURLOPT_POSTFIELDS, "keep=1");
    curl_easy_setopt(x.h, CURLOPT_POSTREDIR, (long)CURL_REDIR_POST_302);
    curl_easy_setopt(x.h, CURLOPT_FOLLOWLOCATION, 1L);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK(parse_echo(&x.body, &s));
    CHECK(strcmp(s.method, "POST") == 0 && s.body_length == 6);
    xfer_free(&x);
    /* 307 with a read-callback body that the server read: rewound with SEEKFUNCTION */
    upload_init(&x, &src, redir_url(fault_port(), 307, "/echo"), data, 50000, (curl_off_t)50000);
    curl_easy_setopt(x.h, CURLOPT_SEEKFUNCTION, source_seek);
    curl_easy_setopt(x.h, CURLOPT_SEEKDATA, &src);
    curl_easy_setopt(x.h, CURLOPT_FOLLOWLOCATION, 1L);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK(parse_echo(&x.body, &s));
    CHECK(strcmp(s.method, "PUT") == 0 && s.body_length == 50000 && s.body_sum == fnv(data, 50000));
    xfer_free(&x);
    /* without a way to rewind: libcurl's error */
    upload_init(&x, &src, redir_url(fault_port(), 307, "/echo"), data, 50000, (curl_off_t)50000);
    curl_easy_setopt(x.h, CURLOPT_FOLLOWLOCATION, 1L);
    CHECK_EQ_LONG(run(&x), CURLE_SEND_FAIL_REWIND);
    xfer_free(&x);
    free(data);
}

TEST(redirect_locations_resolve)
{
    static const struct {
        const char *loc; /* relative to /a/b/redir */
        const char *final_path;
    } cases[] = {{"/echo", "/echo"},
                 {"echo?x=1", "/echo?x=1"},
                 {"../echo", "/echo"},
                 {"./c/../../echo#frag", "/echo#frag"}, /* kept in EFFECTIVE_URL, as libcurl; not sent */
                 {"/echo with space", "/echo%20with%20space"}};
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        xfer x;
        if (!cases[i].final_path) continue;
        xfer_init(&x, fmt("http://127.0.0.1:%d/redir?code=302&to=%s", fault_port(), pct(cases[i].loc)));
        curl_easy_setopt(x.h, CURLOPT_FOLLOWLOCATION, 1L);
        run(&x);
        CHECKF(strcmp(info_str(x.h, CURLINFO_EFFECTIVE_URL), fmt("http://127.0.0.1:%d%s", fault_port(), cases[i].final_path)) == 0,
               "%s -> %s", cases[i].loc, info_str(x.h, CURLINFO_EFFECTIVE_URL));
        if (strchr(cases[i].final_path, '#')) { /* the request line leaves the fragment out */
            const char *want = fmt("GET %.*s HTTP/1.1\r\n", (int)strcspn(cases[i].final_path, "#"), cases[i].final_path);
            CHECKF(x.body.p && strncmp(x.body.p, want, strlen(want)) == 0, "%s: request line %.40s", cases[i].loc,
                   x.body.p ? x.body.p : "");
        }
        xfer_free(&x);
    }
}

TEST(redirect_resolution_rules)
{
    /* the resolver itself, against RFC 3986 examples on a base with a deep path */
    static const struct {
        const char *loc, *want;
    } cases[] = {{"g", "http://a/b/c/g"},
                 {"./g", "http://a/b/c/g"},
                 {"g/", "http://a/b/c/g/"},
                 {"/g", "http://a/g"},
                 {"//g/x", "http://g/x"},
                 {"?y", "http://a/b/c/d;p?y"},
                 {"g?y", "http://a/b/c/g?y"},
                 {"#s", "http://a/b/c/d;p?q#s"},
                 {"g#s", "http://a/b/c/g#s"},
                 {"", "http://a/b/c/d;p?q"},
                 {".", "http://a/b/c/"},
                 {"..", "http://a/b/"},
                 {"../g", "http://a/b/g"},
                 {"../..", "http://a/"},
                 {"../../../g", "http://a/g"},
                 {"/./g", "http://a/g"},
                 {"/../g", "http://a/g"},
                 {"g.", "http://a/b/c/g."},
                 {"..g", "http://a/b/c/..g"},
                 {"http://other:81/z", "http://other:81/z"},
                 {"a b\xc3\xa9", "http://a/b/c/a%20b%C3%A9"}};
    size_t i;
    mpx_url bu;
    const char *why, *base = "http://a/b/c/d;p?q";
    mperf_allocator al;
    memset(&al, 0, sizeof al);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = NULL;
        size_t cap = 0;
        CHECK(mpx_url_parse(base, &bu, &why) == MPERF_E_OK);
        CHECK(mpx_url_resolve(&al, base, &bu, cases[i].loc, &out, &cap) == 1);
        CHECKF(out && strcmp(out, cases[i].want) == 0, "'%s' -> '%s' want '%s'", cases[i].loc, out ? out : "",
               cases[i].want);
        free(out);
    }
    {
        char *out = NULL;
        size_t cap = 0;
        CHECK(mpx_url_parse(base, &bu, &why) == MPERF_E_OK);
        CHECK(mpx_url_resolve(&al, base, &bu, "/a\tb", &out, &cap) == 0); /* control bytes are refused */
        free(out);
    }
}

TEST(redirect_limits_and_info)
{
    xfer x;
    /* /hop/N redirects to /hop/N-1; /hop/0 answers 5 bytes */
    xfer_init(&x, fmt("http://127.0.0.1:%d/hop/35", fault_port()));
    curl_easy_setopt(x.h, CURLOPT_FOLLOWLOCATION, 1L);
    CHECK_EQ_LONG(run(&x), CURLE_TOO_MANY_REDIRECTS); /* libcurl's default: 30 */
    CHECK_EQ_LONG(info_off(x.h, CURLINFO_REDIRECT_COUNT), 30);
    CHECK(strstr(x.err, "Maximum (30) redirects") != NULL);
    xfer_free(&x);
    xfer_init(&x, fmt("http://127.0.0.1:%d/hop/35", fault_port()));
    curl_easy_setopt(x.h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(x.h, CURLOPT_MAXREDIRS, -1L);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK_EQ_LONG(info_off(x.h, CURLINFO_REDIRECT_COUNT), 35);
    CHECK(x.body.len == 5);
    CHECK(strcmp(info_str(x.h, CURLINFO_EFFECTIVE_URL), fmt("http://127.0.0.1:%d/hop/0", fault_port())) == 0);
    xfer_free(&x);
    /* MAXREDIRS 0: the first redirect is too many */
    xfer_init(&x, redir_url(fault_port(), 302, "/gen/5"));
    curl_easy_setopt(x.h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(x.h, CURLOPT_MAXREDIRS, 0L);
    CHECK_EQ_LONG(run(&x), CURLE_TOO_MANY_REDIRECTS);
    xfer_free(&x);
    /* not following: the body is delivered and REDIRECT_URL says where it pointed */
    xfer_init(&x, fmt("http://127.0.0.1:%d/redir?code=302&to=%s&body=10", fault_port(), pct("../x?y=1#f")));
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK_EQ_LONG(code_of(x.h), 302);
    CHECK(x.body.len == 10);
    CHECK(strcmp(info_str(x.h, CURLINFO_REDIRECT_URL), fmt("http://127.0.0.1:%d/x?y=1#f", fault_port())) == 0);
    CHECK_EQ_LONG(info_off(x.h, CURLINFO_REDIRECT_COUNT), 0);
    xfer_free(&x);
    /* a redirect with a big body is not drained: still followed */
    xfer_init(&x, fmt("http://127.0.0.1:%d/redir?code=302&to=%s&body=500000", fault_port(), pct("/gen/7")));
    curl_easy_setopt(x.h, CURLOPT_FOLLOWLOCATION, 1L);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK(sink_is_pattern(&x.body, 7));
    xfer_free(&x);
    /* a 3xx without Location is just a response */
    xfer_init(&x, raw_url("HTTP/1.1 302 Found\r\nContent-Length: 2\r\n\r\nno", NULL));
    curl_easy_setopt(x.h, CURLOPT_FOLLOWLOCATION, 1L);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK_EQ_LONG(code_of(x.h), 302);
    CHECK(x.body.len == 2);
    xfer_free(&x);
}

TEST(redirect_schemes_and_bad_locations)
{
    xfer x;
    xfer_init(&x, redir_url(fault_port(), 302, "ftp://127.0.0.1/file"));
    curl_easy_setopt(x.h, CURLOPT_FOLLOWLOCATION, 1L);
    CHECK_EQ_LONG(run(&x), CURLE_UNSUPPORTED_PROTOCOL);
    xfer_free(&x);
    xfer_init(&x, redir_url(fault_port(), 302, fmt("http://127.0.0.1:%d/gen/3", fault_port())));
    curl_easy_setopt(x.h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(x.h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    CHECK_EQ_LONG(run(&x), CURLE_UNSUPPORTED_PROTOCOL);
    xfer_free(&x);
    xfer_init(&x, raw_url("HTTP/1.1 302 Found\r\nLocation: /a\tb\r\nContent-Length: 0\r\n\r\n", NULL));
    curl_easy_setopt(x.h, CURLOPT_FOLLOWLOCATION, 1L);
    CHECK_EQ_LONG(run(&x), CURLE_URL_MALFORMAT);
    xfer_free(&x);
}

/* The chain across two loopback ports: which headers reach the second host. */
TEST(redirect_to_another_host_drops_credentials)
{
    int unrestricted;
    for (unrestricted = 0; unrestricted < 2; unrestricted++) {
        xfer x;
        seen s;
        struct curl_slist *h = NULL;
        h = curl_slist_append(h, "Authorization: Bearer secret-token");
        h = curl_slist_append(h, "Cookie: session=abc");
        h = curl_slist_append(h, "X-Trace: keep-me");
        xfer_init(&x, redir_url(fault_port(), 302, echo_url(fault2_port())));
        curl_easy_setopt(x.h, CURLOPT_USERPWD, "alice:wonderland");
        curl_easy_setopt(x.h, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(x.h, CURLOPT_FOLLOWLOCATION, 1L);
        if (unrestricted) curl_easy_setopt(x.h, CURLOPT_UNRESTRICTED_AUTH, 1L);
        CHECK_EQ_LONG(run(&x), CURLE_OK);
        CHECK(parse_echo(&x.body, &s));
        CHECK(has_header(&s, "\r\nX-Trace: keep-me\r\n"));
        printf("  second host (port %d, unrestricted %d) saw: Authorization %s, Cookie %s, X-Trace yes\n", fault2_port(),
               unrestricted, has_header(&s, "Authorization:") ? "yes" : "no", has_header(&s, "Cookie:") ? "yes" : "no");
        if (unrestricted) {
            CHECK(has_header(&s, "\r\nAuthorization: Bearer secret-token\r\n"));
            CHECK(has_header(&s, "\r\nCookie: session=abc\r\n"));
        } else {
            CHECK(!has_header(&s, "Authorization:"));
            CHECK(!has_header(&s, "Cookie:"));
        }
        xfer_free(&x);
        /* the same host keeps them; the built-in Basic goes when no header overrides it */
        curl_slist_free_all(h);
        h = curl_slist_append(NULL, "Cookie: session=abc");
        xfer_init(&x, redir_url(fault_port(), 302, "/echo"));
        curl_easy_setopt(x.h, CURLOPT_USERPWD, "alice:wonderland");
        curl_easy_setopt(x.h, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(x.h, CURLOPT_FOLLOWLOCATION, 1L);
        CHECK_EQ_LONG(run(&x), CURLE_OK);
        CHECK(parse_echo(&x.body, &s));
        CHECK(has_header(&s, "\r\nAuthorization: Basic YWxpY2U6d29uZGVybGFuZA==\r\n"));
        CHECK(has_header(&s, "\r\nCookie: session=abc\r\n"));
        xfer_free(&x);
        curl_slist_free_all(h);
    }
}

TEST(autoreferer_and_referer)
{
    xfer x;
    seen s;
    const char *first = redir_url(fault_port(), 302, "/echo");
    char firstcopy[4096];
    snprintf(firstcopy, sizeof firstcopy, "%s", first);
    xfer_init(&x, firstcopy);
    curl_easy_setopt(x.h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(x.h, CURLOPT_AUTOREFERER, 1L);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK(parse_echo(&x.body, &s));
    CHECK(has_header(&s, fmt("\r\nReferer: %s\r\n", firstcopy)));
    xfer_free(&x);
    xfer_init(&x, echo_url(fault_port()));
    curl_easy_setopt(x.h, CURLOPT_REFERER, "http://from.example/page");
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK(parse_echo(&x.body, &s));
    CHECK(has_header(&s, "\r\nReferer: http://from.example/page\r\n"));
    CHECK(strcmp(info_str(x.h, CURLINFO_REFERER), "http://from.example/page") == 0);
    xfer_free(&x);
}

TEST(redirects_and_ranges_against_nginx)
{
    xfer x;
    size_t i;
    int ok = 1;
    xfer_init(&x, fmt("http://127.0.0.1:%d/r301", nginx_port()));
    curl_easy_setopt(x.h, CURLOPT_FOLLOWLOCATION, 1L);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK(sink_is_pattern(&x.body, 1024));
    CHECK_EQ_LONG(info_off(x.h, CURLINFO_REDIRECT_COUNT), 1);
    CHECK(strcmp(info_str(x.h, CURLINFO_EFFECTIVE_URL), fmt("http://127.0.0.1:%d/f/1k.bin", nginx_port())) == 0);
    xfer_free(&x);
    /* a POST redirected by 302 becomes a GET of the file */
    xfer_init(&x, fmt("http://127.0.0.1:%d/r302", nginx_port()));
    curl_easy_setopt(x.h, CURLOPT_POSTFIELDS, "x=1");
    curl_easy_setopt(x.h, CURLOPT_FOLLOWLOCATION, 1L);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK_EQ_LONG(code_of(x.h), 200);
    CHECK(sink_is_pattern(&x.body, 65536));
    CHECK(strcmp(info_str(x.h, CURLINFO_EFFECTIVE_METHOD), "GET") == 0);
    xfer_free(&x);
    /* nginx serves ranges of static files */
    xfer_init(&x, fmt("http://127.0.0.1:%d/f/64k.bin", nginx_port()));
    curl_easy_setopt(x.h, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)60000);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK_EQ_LONG(code_of(x.h), 206);
    CHECK(x.body.len == 65536 - 60000);
    for (i = 0; i < x.body.len && ok; i++) ok = (unsigned char)x.body.p[i] == pattern(60000 + i);
    CHECK(ok);
    xfer_free(&x);
    /* and refuse a body on a static file: the answer is the result, the connection survives */
    xfer_init(&x, fmt("http://127.0.0.1:%d/f/1k.bin", nginx_port()));
    curl_easy_setopt(x.h, CURLOPT_POSTFIELDS, "not allowed");
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK_EQ_LONG(code_of(x.h), 405);
    xfer_free(&x);
}

/* ------------------------------------------------------------------ */
/* auth, ranges, status and size limits                                */
/* ------------------------------------------------------------------ */
TEST(basic_auth_sources)
{
    xfer x;
    seen s;
    /* from the URL, percent-decoded: "us:er" and "p@ss" */
    xfer_init(&x, fmt("http://us%%3Aer:p%%40ss@127.0.0.1:%d/echo", fault_port()));
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK(parse_echo(&x.body, &s));
    CHECK(has_header(&s, "\r\nAuthorization: Basic dXM6ZXI6cEBzcw==\r\n"));
    /* the options win over the URL */
    curl_easy_setopt(x.h, CURLOPT_USERNAME, "bob");
    curl_easy_setopt(x.h, CURLOPT_PASSWORD, "builder");
    sink_free(&x.body);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK(parse_echo(&x.body, &s));
    CHECK(has_header(&s, "\r\nAuthorization: Basic Ym9iOmJ1aWxkZXI=\r\n"));
    xfer_free(&x);
    /* HTTPAUTH: Digest alone, and "any", wait for a 401 and answer what it offers (libcurl's
       way: no password goes to a server that did not ask); nothing was asked here */
    xfer_init(&x, echo_url(fault_port()));
    curl_easy_setopt(x.h, CURLOPT_USERPWD, "u:p");
    CHECK_EQ_LONG(curl_easy_setopt(x.h, CURLOPT_HTTPAUTH, CURLAUTH_DIGEST), CURLE_OK);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK(parse_echo(&x.body, &s));
    CHECK(!has_header(&s, "Authorization"));
    sink_free(&x.body);
    CHECK_EQ_LONG(curl_easy_setopt(x.h, CURLOPT_HTTPAUTH, CURLAUTH_ANY), CURLE_OK);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK(parse_echo(&x.body, &s));
    CHECK(!has_header(&s, "Authorization"));
    xfer_free(&x);
    xfer_init(&x, fmt("%s?auth=Basic", echo_url(fault_port())));
    curl_easy_setopt(x.h, CURLOPT_USERPWD, "u:p");
    curl_easy_setopt(x.h, CURLOPT_HTTPAUTH, CURLAUTH_ANY);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK_EQ_LONG(code_of(x.h), 200);
    CHECK(parse_echo(&x.body, &s));
    CHECK(has_header(&s, "\r\nAuthorization: Basic dTpw\r\n"));
    CHECK_EQ_LONG(info_off(x.h, CURLINFO_REDIRECT_COUNT), 1);
    xfer_free(&x);
    /* a 401 offering a Digest challenge without a nonce is the answer: the password never goes out */
    xfer_init(&x, fmt("%s?auth=Digest", echo_url(fault_port())));
    curl_easy_setopt(x.h, CURLOPT_USERPWD, "u:p");
    curl_easy_setopt(x.h, CURLOPT_HTTPAUTH, CURLAUTH_ANY);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK_EQ_LONG(code_of(x.h), 401);
    xfer_free(&x);
}

/* RFC 7616 section 3.9.1's worked example (and RFC 2617's), through the
   engine's own MD5 and SHA-256, which are also checked against BearSSL's
   for every length up to 300 bytes (each padding case). */
TEST(digest_rfc_examples_and_hashes)
{
    mpx_digest d;
    char hex[65], buf[301];
    size_t n;
    memset(&d, 0, sizeof d);
    strcpy(d.realm, "http-auth@example.org");
    strcpy(d.nonce, "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v");
    d.qop = 1;
    d.alg = MPX_DG_MD5;
    mpx_digest_response(&d, "Mufasa", "Circle of Life", "GET", "/dir/index.html",
                        "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "00000001", hex);
    CHECKF(strcmp(hex, "8ca523f5e9506fed4657c9700eebdbec") == 0, "MD5: %s", hex);
    d.alg = MPX_DG_SHA256;
    mpx_digest_response(&d, "Mufasa", "Circle of Life", "GET", "/dir/index.html",
                        "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "00000001", hex);
    CHECKF(strcmp(hex, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1") == 0, "SHA-256: %s", hex);
    strcpy(d.realm, "testrealm@host.com");
    strcpy(d.nonce, "dcd98b7102dd2f0e8b11d0f600bfb0c093");
    d.alg = MPX_DG_MD5;
    mpx_digest_response(&d, "Mufasa", "Circle Of Life", "GET", "/dir/index.html", "0a4f113b", "00000001", hex);
    CHECKF(strcmp(hex, "6629fae49393a05397450978507c4ef1") == 0, "RFC 2617: %s", hex);
    for (n = 0; n < sizeof buf - 1; n++) buf[n] = (char)('a' + n % 26);
    for (n = 0; n <= 300; n++) {
        unsigned char ref[32];
        char refhex[65];
        const char *p[1];
        size_t i;
        int sha;
        buf[n] = 0;
        p[0] = buf;
        for (sha = 0; sha < 2; sha++) {
            if (sha) {
                br_sha256_context c;
                br_sha256_init(&c);
                br_sha256_update(&c, buf, n);
                br_sha256_out(&c, ref);
            } else {
                br_md5_context c;
                br_md5_init(&c);
                br_md5_update(&c, buf, n);
                br_md5_out(&c, ref);
            }
            for (i = 0; i < (sha ? 32u : 16u); i++) sprintf(refhex + 2 * i, "%02x", ref[i]);
            mpx_hash_parts(sha, hex, p, 1);
            if (strcmp(hex, refhex) != 0) {
                CHECKF(0, "%s of %zu bytes: %s, BearSSL %s", sha ? "SHA-256" : "MD5", n, hex, refhex);
                n = 301;
                break;
            }
        }
        buf[n < 300 ? n : 299] = (char)('a' + n % 26);
    }
}

/* Digest against the fault server's /digest, which checks each answer as
   RFC 7616 says (its check agrees with curl's own Digest). */
TEST(digest_auth)
{
    static const struct {
        const char *query;
        unsigned long auth;
        long code;
    } cases[] = {
        {"", CURLAUTH_DIGEST, 200},
        {"?alg=MD5", CURLAUTH_DIGEST, 200},
        {"?alg=MD5-sess", CURLAUTH_DIGEST, 200},
        {"?alg=SHA-256", CURLAUTH_DIGEST, 200},
        {"?alg=SHA-256-sess", CURLAUTH_ANY, 200},
        {"?qop=0", CURLAUTH_DIGEST, 200},
        {"?opaque=0&alg=SHA-256", CURLAUTH_ANYSAFE, 200},
        {"?userhash=1&alg=SHA-256", CURLAUTH_DIGEST, 200},
        {"?alg=SHA-256&also=MD5", CURLAUTH_ANY, 200}, /* MD5 offered first: the first is answered, as libcurl does */
        {"?alg=MD5&also=SHA-256", CURLAUTH_ANY, 200},
        {"?alg=SHA-512-256", CURLAUTH_DIGEST, 401},   /* an algorithm not built in: the 401 is the answer */
        {"?stale=1", CURLAUTH_DIGEST, 200},           /* "stale=true" with a fresh nonce: answered again */
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        xfer x;
        xfer_init(&x, fmt("http://127.0.0.1:%d/digest%s", fault_port(), cases[i].query));
        curl_easy_setopt(x.h, CURLOPT_USERPWD, "user:secret");
        curl_easy_setopt(x.h, CURLOPT_HTTPAUTH, cases[i].auth);
        CHECK_EQ_LONG(run(&x), CURLE_OK);
        CHECKF(code_of(x.h) == cases[i].code, "%s: %ld", cases[i].query, code_of(x.h));
        if (cases[i].code == 200) CHECK(x.body.len == 9 && memcmp(x.body.p, "digest ok", 9) == 0);
        xfer_free(&x);
    }
    {
        xfer x;
        /* a wrong password: one try, then the 401 is the answer */
        xfer_init(&x, fmt("http://127.0.0.1:%d/digest", fault_port()));
        curl_easy_setopt(x.h, CURLOPT_USERPWD, "user:wrong");
        curl_easy_setopt(x.h, CURLOPT_HTTPAUTH, CURLAUTH_DIGEST);
        CHECK_EQ_LONG(run(&x), CURLE_OK);
        CHECK_EQ_LONG(code_of(x.h), 401);
        CHECK_EQ_LONG(info_off(x.h, CURLINFO_REDIRECT_COUNT), 1);
        xfer_free(&x);
        /* credentials from the URL, another method, a query in the uri */
        xfer_init(&x, fmt("http://user:secret@127.0.0.1:%d/digest?alg=SHA-256&x=%%20y", fault_port()));
        curl_easy_setopt(x.h, CURLOPT_HTTPAUTH, CURLAUTH_DIGEST);
        curl_easy_setopt(x.h, CURLOPT_CUSTOMREQUEST, "DELETE");
        CHECK_EQ_LONG(run(&x), CURLE_OK);
        CHECK_EQ_LONG(code_of(x.h), 200);
        xfer_free(&x);
        /* Basic only: Digest's challenge is not answered */
        xfer_init(&x, fmt("http://127.0.0.1:%d/digest", fault_port()));
        curl_easy_setopt(x.h, CURLOPT_USERPWD, "user:secret");
        curl_easy_setopt(x.h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        CHECK_EQ_LONG(run(&x), CURLE_OK);
        CHECK_EQ_LONG(code_of(x.h), 401);
        xfer_free(&x);
    }
}

TEST(ranges_and_resume)
{
    xfer x;
    size_t i;
    int ok = 1;
    xfer_init(&x, fmt("http://127.0.0.1:%d/gen/5000", fault_port()));
    curl_easy_setopt(x.h, CURLOPT_RANGE, "100-199");
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK_EQ_LONG(code_of(x.h), 206);
    CHECK(x.body.len == 100);
    for (i = 0; i < x.body.len && ok; i++) ok = (unsigned char)x.body.p[i] == pattern(100 + i);
    CHECK(ok);
    xfer_free(&x);
    xfer_init(&x, fmt("http://127.0.0.1:%d/gen/5000", fault_port()));
    curl_easy_setopt(x.h, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)1000);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK_EQ_LONG(code_of(x.h), 206);
    CHECK(x.body.len == 4000);
    for (i = 0, ok = 1; i < x.body.len && ok; i++) ok = (unsigned char)x.body.p[i] == pattern(1000 + i);
    CHECK(ok);
    xfer_free(&x);
    /* a server that ignores the range cannot resume */
    xfer_init(&x, fmt("http://127.0.0.1:%d/gen/5000?norange=1", fault_port()));
    curl_easy_setopt(x.h, CURLOPT_RESUME_FROM, 1000L);
    CHECK_EQ_LONG(run(&x), CURLE_RANGE_ERROR);
    CHECK_EQ_LONG(x.body.len, 0);
    xfer_free(&x);
}

TEST(failonerror_and_maxfilesize)
{
    xfer x;
    xfer_init(&x, fmt("http://127.0.0.1:%d/missing", fault_port()));
    curl_easy_setopt(x.h, CURLOPT_FAILONERROR, 1L);
    CHECK_EQ_LONG(run(&x), CURLE_HTTP_RETURNED_ERROR);
    CHECK_EQ_LONG(code_of(x.h), 404);
    CHECK(x.body.len == 0);
    CHECK(strstr(x.err, "returned error: 404") != NULL);
    xfer_free(&x);
    xfer_init(&x, fmt("http://127.0.0.1:%d/missing", fault_port()));
    CHECK_EQ_LONG(run(&x), CURLE_OK); /* without it, a 404 is a normal response */
    CHECK(x.body.len > 0);
    xfer_free(&x);
    /* a known length over the limit: nothing delivered */
    xfer_init(&x, fmt("http://127.0.0.1:%d/gen/10000", fault_port()));
    curl_easy_setopt(x.h, CURLOPT_MAXFILESIZE, 5000L);
    CHECK_EQ_LONG(run(&x), CURLE_FILESIZE_EXCEEDED);
    CHECK_EQ_LONG(x.body.len, 0);
    xfer_free(&x);
    /* chunked: stops once past the limit, never delivering more than it */
    xfer_init(&x, fmt("http://127.0.0.1:%d/gen/100000?chunked=1000", fault_port()));
    curl_easy_setopt(x.h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)20000);
    CHECK_EQ_LONG(run(&x), CURLE_FILESIZE_EXCEEDED);
    CHECK(x.body.len <= 20000);
    xfer_free(&x);
    /* within the limit: fine */
    xfer_init(&x, fmt("http://127.0.0.1:%d/gen/5000", fault_port()));
    curl_easy_setopt(x.h, CURLOPT_MAXFILESIZE, 5000L);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    xfer_free(&x);
}

/* ------------------------------------------------------------------ */
/* timeouts (bounded by the transfers' own timeouts)                   */
/* ------------------------------------------------------------------ */
TEST(timeouts)
{
    xfer x;
    /* never answers */
    xfer_init(&x, fmt("http://127.0.0.1:%d/hang", fault_port()));
    curl_easy_setopt(x.h, CURLOPT_TIMEOUT_MS, 400L);
    CHECK_EQ_LONG(run(&x), CURLE_OPERATION_TIMEDOUT);
    xfer_free(&x);
    /* answers one byte at a time */
    xfer_init(&x, fmt("http://127.0.0.1:%d/gen/2000?drip=1&gap=50", fault_port()));
    curl_easy_setopt(x.h, CURLOPT_TIMEOUT, 1L);
    CHECK_EQ_LONG(run(&x), CURLE_OPERATION_TIMEDOUT);
    CHECK(strstr(x.err, "timed out after") != NULL);
    xfer_free(&x);
    /* stalls mid-body */
    xfer_init(&x, raw_url("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly some", "end=hang"));
    curl_easy_setopt(x.h, CURLOPT_TIMEOUT_MS, 400L);
    CHECK_EQ_LONG(run(&x), CURLE_OPERATION_TIMEDOUT);
    CHECK_EQ_LONG(x.body.len, 9);
    xfer_free(&x);
}

TEST(connect_timeout)
{
    /* a listener whose backlog is full drops new SYNs: the connect never completes */
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    int l = socket(AF_INET, SOCK_STREAM, 0), fill[8], i, nfill = 0;
    xfer x;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(0x7f000001);
    CHECK(bind(l, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(l, 0) == 0);
    getsockname(l, (struct sockaddr *)&sa, &sl);
    for (i = 0; i < 8; i++) { /* fill the backlog */
        fill[i] = socket(AF_INET, SOCK_STREAM, 0);
        fcntl(fill[i], F_SETFL, O_NONBLOCK);
        connect(fill[i], (struct sockaddr *)&sa, sizeof sa);
        nfill++;
    }
    usleep(50000);
    xfer_init(&x, fmt("http://127.0.0.1:%d/", ntohs(sa.sin_port)));
    curl_easy_setopt(x.h, CURLOPT_CONNECTTIMEOUT_MS, 300L);
    CHECK_EQ_LONG(run(&x), CURLE_OPERATION_TIMEDOUT);
    CHECKF(strstr(x.err, "Connection timed out") != NULL, "%s", x.err);
    xfer_free(&x);
    for (i = 0; i < nfill; i++) close(fill[i]);
    close(l);
}

TEST(low_speed_limit)
{
    xfer x;
    xfer_init(&x, fmt("http://127.0.0.1:%d/gen/100000?rate=300", fault_port()));
    curl_easy_setopt(x.h, CURLOPT_LOW_SPEED_LIMIT, 5000L);
    curl_easy_setopt(x.h, CURLOPT_LOW_SPEED_TIME, 2L);
    CHECK_EQ_LONG(run(&x), CURLE_OPERATION_TIMEDOUT);
    CHECK(strstr(x.err, "too slow") != NULL);
    xfer_free(&x);
    /* fast enough: no trouble */
    xfer_init(&x, fmt("http://127.0.0.1:%d/gen/300000?rate=200000", fault_port()));
    curl_easy_setopt(x.h, CURLOPT_LOW_SPEED_LIMIT, 5000L);
    curl_easy_setopt(x.h, CURLOPT_LOW_SPEED_TIME, 1L);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK(sink_is_pattern(&x.body, 300000));
    xfer_free(&x);
}

/* ------------------------------------------------------------------ */
/* flow control and progress                                           */
/* ------------------------------------------------------------------ */
/* Drives one transfer; pauses are resumed after hold_ms of waiting. */
static CURLcode run_with_pauses(xfer *x, int hold_ms, int *numfds_while_paused, double *paused_ms)
{
    CURLM *m = curl_multi_init();
    CURLMsg *msg;
    int running = 1, left, rounds = 0;
    curl_multi_add_handle(m, x->h);
    while (running && rounds++ < 20000) {
        curl_multi_perform(m, &running);
        if (running && x->body.pause_at == 0 && !x->done) { /* the write callback paused */
            double t0 = mono_ms();
            int n = 0, total = 0;
            while (mono_ms() - t0 < hold_ms) {
                curl_multi_poll(m, NULL, 0, 100, &n);
                total += n;
                curl_multi_perform(m, &running);
            }
            if (numfds_while_paused) *numfds_while_paused = total;
            if (paused_ms) *paused_ms = mono_ms() - t0;
            x->done = -1; /* resumed once */
            curl_easy_pause(x->h, CURLPAUSE_CONT);
        }
        if (running) curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    while ((msg = curl_multi_info_read(m, &left)) != NULL) x->result = msg->data.result;
    curl_multi_remove_handle(m, x->h);
    curl_multi_cleanup(m);
    return x->result;
}

TEST(pause_on_the_last_bytes_still_completes)
{
    xfer x;
    int fds = -1;
    xfer_init(&x, fmt("http://127.0.0.1:%d/gen/50000", fault_port()));
    x.body.pause_at = 49990; /* the final write pauses */
    CHECK_EQ_LONG(run_with_pauses(&x, 300, &fds, NULL), CURLE_OK);
    CHECK(sink_is_pattern(&x.body, 50000));
    CHECK_EQ_LONG(x.done, -1);
    xfer_free(&x);
}

TEST(paused_transfer_leaves_the_wait_set_and_is_never_too_slow)
{
    xfer x;
    int fds = -1;
    double held = 0;
    /* data keeps arriving while paused, yet poll reports nothing: no busy loop */
    xfer_init(&x, fmt("http://127.0.0.1:%d/gen/400000?chunked=4000", fault_port()));
    x.body.pause_at = 50000;
    curl_easy_setopt(x.h, CURLOPT_LOW_SPEED_LIMIT, 1000L);
    curl_easy_setopt(x.h, CURLOPT_LOW_SPEED_TIME, 1L);
    CHECK_EQ_LONG(run_with_pauses(&x, 2500, &fds, &held), CURLE_OK);
    CHECK(sink_is_pattern(&x.body, 400000));
    CHECKF(fds == 0, "poll reported %d events while the only transfer was paused", fds);
    CHECK(held >= 2400);
    xfer_free(&x);
}

typedef struct prog {
    int calls, aborted_at;
    curl_off_t last_dlnow, last_dltotal, last_ulnow, last_ultotal;
    int monotonic;
} prog;

static int xferinfo(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    prog *p = (prog *)ud;
    if (dlnow < p->last_dlnow || ulnow < p->last_ulnow) p->monotonic = 0;
    p->calls++;
    p->last_dlnow = dlnow;
    p->last_dltotal = dltotal;
    p->last_ulnow = ulnow;
    p->last_ultotal = ultotal;
    return p->aborted_at && dlnow >= p->aborted_at ? 1 : 0;
}

static int oldprogress(void *ud, double dltotal, double dlnow, double ultotal, double ulnow)
{
    prog *p = (prog *)ud;
    (void)ultotal;
    (void)ulnow;
    p->calls++;
    p->last_dlnow = (curl_off_t)dlnow;
    p->last_dltotal = (curl_off_t)dltotal;
    return 0;
}

TEST(progress_callbacks)
{
    xfer x;
    prog p;
    memset(&p, 0, sizeof p);
    p.monotonic = 1;
    xfer_init(&x, fmt("http://127.0.0.1:%d/gen/500000?rate=2000000", fault_port()));
    curl_easy_setopt(x.h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(x.h, CURLOPT_XFERINFOFUNCTION, xferinfo);
    curl_easy_setopt(x.h, CURLOPT_XFERINFODATA, &p);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK(p.calls >= 2 && p.monotonic);
    CHECK(p.last_dlnow == 500000 && p.last_dltotal == 500000);
    xfer_free(&x);
    /* upload numbers */
    memset(&p, 0, sizeof p);
    p.monotonic = 1;
    xfer_init(&x, echo_url(fault_port()));
    curl_easy_setopt(x.h, CURLOPT_POSTFIELDS, "0123456789");
    curl_easy_setopt(x.h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(x.h, CURLOPT_XFERINFOFUNCTION, xferinfo);
    curl_easy_setopt(x.h, CURLOPT_XFERINFODATA, &p);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK(p.last_ulnow == 10 && p.last_ultotal == 10);
    xfer_free(&x);
    /* abort by return value */
    memset(&p, 0, sizeof p);
    p.aborted_at = 100000;
    xfer_init(&x, fmt("http://127.0.0.1:%d/gen/2000000?rate=1000000", fault_port()));
    curl_easy_setopt(x.h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(x.h, CURLOPT_XFERINFOFUNCTION, xferinfo);
    curl_easy_setopt(x.h, CURLOPT_XFERINFODATA, &p);
    CHECK_EQ_LONG(run(&x), CURLE_ABORTED_BY_CALLBACK);
    CHECK(x.body.len < 2000000);
    xfer_free(&x);
    /* the older double-based callback */
    memset(&p, 0, sizeof p);
    xfer_init(&x, fmt("http://127.0.0.1:%d/gen/20000", fault_port()));
    curl_easy_setopt(x.h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(x.h, CURLOPT_PROGRESSFUNCTION, oldprogress);
    curl_easy_setopt(x.h, CURLOPT_PROGRESSDATA, &p);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK(p.calls >= 1 && p.last_dlnow == 20000);
    xfer_free(&x);
    /* NOPROGRESS (the default) keeps it quiet */
    memset(&p, 0, sizeof p);
    xfer_init(&x, fmt("http://127.0.0.1:%d/gen/20000", fault_port()));
    curl_easy_setopt(x.h, CURLOPT_XFERINFOFUNCTION, xferinfo);
    curl_easy_setopt(x.h, CURLOPT_XFERINFODATA, &p);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK_EQ_LONG(p.calls, 0);
    xfer_free(&x);
}

typedef struct dbg {
    int seen[8];
    sink text;
} dbg;

static int debug_cb(CURL *h, curl_infotype type, char *data, size_t size, void *ud)
{
    dbg *d = (dbg *)ud;
    (void)h;
    if ((int)type >= 0 && (int)type < 8) d->seen[type]++;
    if (type == CURLINFO_TEXT) sink_write(data, 1, size, &d->text);
    return 0;
}

TEST(debug_callback_info_types_and_buffersize)
{
    xfer x;
    dbg d;
    memset(&d, 0, sizeof d);
    xfer_init(&x, echo_url(fault_port()));
    curl_easy_setopt(x.h, CURLOPT_POSTFIELDS, "debug=1");
    curl_easy_setopt(x.h, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(x.h, CURLOPT_DEBUGFUNCTION, debug_cb);
    curl_easy_setopt(x.h, CURLOPT_DEBUGDATA, &d);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK(d.seen[CURLINFO_TEXT] > 0 && d.seen[CURLINFO_HEADER_OUT] > 0 && d.seen[CURLINFO_HEADER_IN] > 0);
    CHECK(d.seen[CURLINFO_DATA_OUT] > 0 && d.seen[CURLINFO_DATA_IN] > 0);
    xfer_free(&x);
    sink_free(&d.text);
    /* BUFFERSIZE bounds each write */
    xfer_init(&x, fmt("http://127.0.0.1:%d/gen/100000", fault_port()));
    curl_easy_setopt(x.h, CURLOPT_BUFFERSIZE, 1024L);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK(sink_is_pattern(&x.body, 100000));
    CHECKF(x.body.biggest <= 1024, "a write of %zu bytes", x.body.biggest);
    xfer_free(&x);
}

/* ------------------------------------------------------------------ */
/* what callbacks may call                                             */
/* ------------------------------------------------------------------ */
static CURLM *reent_multi;
static int reent_bad, reent_calls;

static void check_calls_from_callback(CURL *h)
{
    int running, left, maxfd;
    long t;
    fd_set fs;
    CURL *other = curl_easy_init();
    CURLM *tmp;
    CURL **list;
    reent_calls++;
    FD_ZERO(&fs);
    /* forbidden */
    reent_bad += curl_multi_perform(reent_multi, &running) != CURLM_RECURSIVE_API_CALL;
    reent_bad += curl_multi_add_handle(reent_multi, other) != CURLM_RECURSIVE_API_CALL;
    reent_bad += curl_multi_remove_handle(reent_multi, h) != CURLM_RECURSIVE_API_CALL;
    reent_bad += curl_multi_setopt(reent_multi, CURLMOPT_MAXCONNECTS, 3L) != CURLM_RECURSIVE_API_CALL;
    reent_bad += curl_multi_fdset(reent_multi, &fs, &fs, &fs, &maxfd) != CURLM_RECURSIVE_API_CALL;
    reent_bad += curl_multi_wait(reent_multi, NULL, 0, 10, NULL) != CURLM_RECURSIVE_API_CALL;
    reent_bad += curl_multi_poll(reent_multi, NULL, 0, 10, NULL) != CURLM_RECURSIVE_API_CALL;
    reent_bad += curl_multi_timeout(reent_multi, &t) != CURLM_RECURSIVE_API_CALL;
    reent_bad += curl_multi_cleanup(reent_multi) != CURLM_RECURSIVE_API_CALL;
    reent_bad += curl_easy_perform(h) != CURLE_RECURSIVE_API_CALL;
    /* allowed */
    (void)curl_multi_info_read(reent_multi, &left);
    list = curl_multi_get_handles(reent_multi);
    reent_bad += !list || list[0] != h;
    curl_free(list);
    reent_bad += curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &t) != CURLE_OK;
    reent_bad += curl_easy_setopt(h, CURLOPT_USERAGENT, "changed-in-callback") != CURLE_OK;
    reent_bad += curl_easy_pause(h, CURLPAUSE_CONT) != CURLE_OK;
    reent_bad += curl_multi_wakeup(reent_multi) != CURLM_OK;
    /* a separate multi is not this one: usable */
    tmp = curl_multi_init();
    reent_bad += curl_multi_add_handle(tmp, other) != CURLM_OK;
    curl_multi_remove_handle(tmp, other);
    curl_multi_cleanup(tmp);
    curl_easy_cleanup(other);
}

static size_t reent_write(char *p, size_t s, size_t n, void *ud)
{
    (void)p;
    check_calls_from_callback((CURL *)ud);
    return s * n;
}

static size_t reent_read(char *p, size_t s, size_t n, void *ud)
{
    static int once;
    (void)s, (void)n;
    check_calls_from_callback((CURL *)ud);
    if (once++ % 2) return 0;
    memcpy(p, "x", 1);
    return 1;
}

static int reent_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)a, (void)b, (void)c, (void)d;
    check_calls_from_callback((CURL *)ud);
    return 0;
}

static int reent_debug(CURL *h, curl_infotype t, char *p, size_t n, void *ud)
{
    (void)t, (void)p, (void)n, (void)ud;
    if (t == CURLINFO_HEADER_IN) check_calls_from_callback(h);
    return 0;
}

TEST(api_calls_from_inside_callbacks)
{
    int kind;
    for (kind = 0; kind < 5; kind++) {
        CURL *h = curl_easy_init();
        CURLM *m = curl_multi_init();
        int running = 1, rounds = 0, left;
        CURLMsg *msg;
        CURLcode rc = CURLE_FAILED_INIT;
        reent_multi = m;
        reent_calls = 0;
        reent_bad = 0;
        curl_easy_setopt(h, CURLOPT_URL, echo_url(fault_port()));
        curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
        if (kind == 0 || kind == 1) {
            curl_easy_setopt(h, kind == 0 ? CURLOPT_WRITEFUNCTION : CURLOPT_HEADERFUNCTION, reent_write);
            curl_easy_setopt(h, kind == 0 ? CURLOPT_WRITEDATA : CURLOPT_HEADERDATA, h);
        } else if (kind == 2) {
            curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
            curl_easy_setopt(h, CURLOPT_READFUNCTION, reent_read);
            curl_easy_setopt(h, CURLOPT_READDATA, h);
            curl_easy_setopt(h, CURLOPT_INFILESIZE, 1L);
        } else if (kind == 3) {
            curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
            curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, reent_progress);
            curl_easy_setopt(h, CURLOPT_XFERINFODATA, h);
        } else {
            curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
            curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, reent_debug);
        }
        if (kind != 0) curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write);
        {
            static sink s;
            if (kind != 0) curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
            curl_multi_add_handle(m, h);
            while (running && rounds++ < 2000) {
                curl_multi_perform(m, &running);
                if (running) curl_multi_poll(m, NULL, 0, 100, NULL);
            }
            sink_free(&s);
        }
        while ((msg = curl_multi_info_read(m, &left)) != NULL) rc = msg->data.result;
        CHECKF(rc == CURLE_OK, "callback kind %d: result %d", kind, (int)rc);
        CHECKF(reent_calls > 0, "callback kind %d was called", kind);
        CHECKF(reent_bad == 0, "callback kind %d: %d calls answered wrongly", kind, reent_bad);
        curl_multi_remove_handle(m, h);
        curl_easy_cleanup(h);
        curl_multi_cleanup(m);
    }
}

static sink lifecycle_sinks[64];

TEST(handle_lifecycle_in_the_info_read_loop)
{
    /* remove, clean up and add new handles while draining messages; re-add a finished one */
    CURLM *m = curl_multi_init();
    CURLMsg *msg;
    int running = 1, left, done = 0, added = 0, rounds = 0;
    fstats a, b;
    CURL *keep = NULL;
    a = fault_stats(0);
    for (added = 0; added < 4; added++) {
        CURL *h = curl_easy_init();
        curl_easy_setopt(h, CURLOPT_URL, fmt("http://127.0.0.1:%d/gen/100", fault_port()));
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &lifecycle_sinks[added]);
        curl_multi_add_handle(m, h);
    }
    while ((running || done < 20) && rounds++ < 5000) {
        curl_multi_perform(m, &running);
        while ((msg = curl_multi_info_read(m, &left)) != NULL) {
            CURL *h = msg->easy_handle;
            CHECK_EQ_LONG(msg->data.result, CURLE_OK);
            done++;
            curl_multi_remove_handle(m, h);
            if (done == 10 && !keep) keep = h; /* finished handles can run again */
            else if (h != keep) curl_easy_cleanup(h);
            if (added < 20) {
                CURL *n = (keep && done == 10) ? keep : curl_easy_init();
                curl_easy_setopt(n, CURLOPT_URL, fmt("http://127.0.0.1:%d/gen/100", fault_port()));
                curl_easy_setopt(n, CURLOPT_WRITEFUNCTION, sink_write);
                curl_easy_setopt(n, CURLOPT_WRITEDATA, &lifecycle_sinks[added]);
                curl_multi_add_handle(m, n);
                added++;
            }
        }
        if (running) curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    CHECK_EQ_LONG(done, 20);
    for (added = 0; added < 64; added++) sink_free(&lifecycle_sinks[added]);
    if (keep) curl_easy_cleanup(keep);
    curl_multi_cleanup(m);
    b = fault_stats(0);
    CHECKF(b.conns - a.conns - 1 <= 4, "20 transfers, 4 at a time, used %ld connections", b.conns - a.conns - 1);
}

/* ------------------------------------------------------------------ */
/* request hygiene                                                     */
/* ------------------------------------------------------------------ */
TEST(crlf_in_any_request_input_is_rejected)
{
    static const struct {
        CURLoption opt;
        const char *value;
    } cases[] = {{CURLOPT_USERAGENT, "a\r\nX-Evil: 1"}, {CURLOPT_REFERER, "http://r/\nX-Evil: 1"},
                 {CURLOPT_USERPWD, "u:p\r\nX-Evil: 1"}, {CURLOPT_RANGE, "0-1\r\nX-Evil: 1"},
                 {CURLOPT_CUSTOMREQUEST, "GET / HTTP/1.1\r\nX:"}};
    size_t i;
    fstats a, b;
    a = fault_stats(0);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        xfer x;
        xfer_init(&x, echo_url(fault_port()));
        curl_easy_setopt(x.h, cases[i].opt, cases[i].value);
        CHECKF(run(&x) == CURLE_BAD_FUNCTION_ARGUMENT, "case %zu: %d", i, (int)x.result);
        xfer_free(&x);
    }
    b = fault_stats(0);
    CHECK_EQ_LONG(b.reqs - a.reqs - 1, 0);
}

/* ------------------------------------------------------------------ */
/* routing: RESOLVE and CONNECT_TO                                     */
/* ------------------------------------------------------------------ */

/* One transfer of url on m with RESOLVE and CONNECT_TO from "|"-separated
   entries (NULL: not set), on a fresh connection; the result, with the
   request the server saw in *s when it answered. */
static struct curl_slist *routed_lists[64]; /* a handle keeps using its lists: freed by routed_done */
static size_t routed_n;

static void routed_done(void)
{
    while (routed_n) curl_slist_free_all(routed_lists[--routed_n]);
}

static CURLcode routed(CURLM *m, const char *url, const char *resolve, const char *connect_to, xfer *x, seen *s)
{
    struct curl_slist *r = NULL, *c = NULL;
    char buf[1024], *t, *save = NULL;
    CURLcode rc;
    if (resolve) {
        snprintf(buf, sizeof buf, "%s", resolve);
        for (t = strtok_r(buf, "|", &save); t; t = strtok_r(NULL, "|", &save)) r = curl_slist_append(r, t);
    }
    if (connect_to) {
        snprintf(buf, sizeof buf, "%s", connect_to);
        for (t = strtok_r(buf, "|", &save); t; t = strtok_r(NULL, "|", &save)) c = curl_slist_append(c, t);
    }
    xfer_init(x, url);
    if (r) curl_easy_setopt(x->h, CURLOPT_RESOLVE, r);
    if (c) curl_easy_setopt(x->h, CURLOPT_CONNECT_TO, c);
    curl_easy_setopt(x->h, CURLOPT_FRESH_CONNECT, 1L);
    rc = run_on(m, x);
    parse_echo(&x->body, s);
    if (routed_n + 2 <= sizeof routed_lists / sizeof routed_lists[0]) {
        routed_lists[routed_n++] = r;
        routed_lists[routed_n++] = c;
    }
    return rc;
}

TEST(resolve_takes_a_made_up_name_to_loopback)
{
    CURLM *m = curl_multi_init();
    xfer x, y;
    seen s;
    int p = fault_port();
    char url[64];
    struct curl_slist *l;
    fstats a, b;
    size_t i;
    snprintf(url, sizeof url, "http://made-up.test:%d/echo", p);
    /* the name goes to the address given; the Host header keeps the name */
    CHECK_EQ_LONG(routed(m, url, fmt("made-up.test:%d:127.0.0.1", p), NULL, &x, &s), CURLE_OK);
    CHECK(has_header(&s, fmt("\r\nHost: made-up.test:%d\r\n", p)));
    CHECK(strcmp(info_str(x.h, CURLINFO_PRIMARY_IP), "127.0.0.1") == 0);
    xfer_free(&x);
    /* the entry is in the multi's cache now: a handle without RESOLVE finds it, whatever the case */
    CHECK_EQ_LONG(routed(m, fmt("http://MADE-UP.test:%d/echo", p), NULL, NULL, &x, &s), CURLE_OK);
    CHECK(has_header(&s, fmt("\r\nHost: MADE-UP.test:%d\r\n", p)));
    xfer_free(&x);
    /* "-" takes it out; "*" stands for any other name on the port (here an address nothing listens on) */
    CHECK_EQ_LONG(routed(m, url, fmt("-made-up.test:%d|*:%d:127.0.0.2", p, p), NULL, &x, &s), CURLE_COULDNT_CONNECT);
    xfer_free(&x);
    /* an entry for another port does not apply; a later entry for the same name and port replaces the first */
    CHECK_EQ_LONG(routed(m, url, fmt("made-up.test:1:127.0.0.1|made-up.test:%d:127.0.0.2|made-up.test:%d:[127.0.0.1]",
                                     p, p), NULL, &x, &s), CURLE_OK);
    xfer_free(&x);
    /* a handle loads its RESOLVE once per setopt, as libcurl does: after another handle took the
       entry out, it is not there again until the option is set again (or the handle copied) */
    CHECK_EQ_LONG(routed(m, url, fmt("made-up.test:%d:127.0.0.1", p), NULL, &x, &s), CURLE_OK);
    CHECK_EQ_LONG(routed(m, fmt("http://127.0.0.1:%d/echo", fault2_port()), fmt("-made-up.test:%d|+*:%d:127.0.0.2", p, p),
                         NULL, &y, &s), CURLE_OK); /* another port: "*" is for any name, IP literals too */
    xfer_free(&y);
    CHECK_EQ_LONG(run_on(m, &x), CURLE_COULDNT_CONNECT); /* the "*" entry: 127.0.0.2 */
    memset(&y, 0, sizeof y);
    y.h = curl_easy_duphandle(x.h);
    curl_easy_setopt(y.h, CURLOPT_WRITEDATA, &y.body);
    curl_easy_setopt(y.h, CURLOPT_HEADERDATA, &y.head);
    curl_easy_setopt(y.h, CURLOPT_ERRORBUFFER, y.err);
    CHECK_EQ_LONG(run_on(m, &y), CURLE_OK); /* the copy loads it afresh */
    xfer_free(&y);
    l = curl_slist_append(NULL, fmt("made-up.test:%d:127.0.0.1", p));
    curl_easy_setopt(x.h, CURLOPT_RESOLVE, l);
    sink_free(&x.body);
    CHECK_EQ_LONG(run_on(m, &x), CURLE_OK);
    CHECK(parse_echo(&x.body, &s));
    xfer_free(&x);
    curl_slist_free_all(l);
    /* an addition that does not parse fails the transfer before any connection; a removal that
       does not parse is passed over (libcurl 7.88 does both the same) */
    a = fault_stats(0);
    {
        const char *bad[] = {"made-up.test::127.0.0.1", "made-up.test:%d:", "made-up.test:%d",
                             "made-up.test:99999:127.0.0.1", "made-up.test:%dx:127.0.0.1", "made-up.test:%d:localhost",
                             "made-up.test:%d:127.1", "made-up.test:%d: 127.0.0.1", "made-up.test:%d:127.0.0.1,garbage",
                             "made-up.test:%d:[::1"};
        for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            CHECKF(routed(m, url, fmt(bad[i], p), NULL, &x, &s) == CURLE_SETOPT_OPTION_SYNTAX, "%s: %d", bad[i],
                   (int)x.result);
            xfer_free(&x);
        }
    }
    b = fault_stats(0);
    CHECK_EQ_LONG(b.conns - a.conns - 1, 0);
    CHECK_EQ_LONG(routed(m, url, fmt("-garbage|-made-up.test|made-up.test:%d:127.0.0.1", p), NULL, &x, &s), CURLE_OK);
    xfer_free(&x);
    /* an IPv6 address, bracketed or not, is taken as one (nothing listens on ::1 here) */
    CHECK_EQ_LONG(routed(m, url, fmt("made-up.test:%d:::1", p), NULL, &x, &s), CURLE_COULDNT_CONNECT);
    xfer_free(&x);
    curl_multi_cleanup(m);
    routed_done();
}

TEST(connect_to_goes_elsewhere_and_keeps_the_host)
{
    CURLM *m = curl_multi_init();
    xfer x;
    seen s;
    int p = fault_port(), p2 = fault2_port();
    const char *url = "http://made-up.test:1234/echo";
    size_t i;
    fstats a, b;
    struct {
        const char *entries;
        CURLcode rc;
    } cases[] = {
        {"made-up.test:1234:127.0.0.1:%d", CURLE_OK},
        {"::127.0.0.1:%d", CURLE_OK},
        {"MADE-UP.TEST::127.0.0.1:%d", CURLE_OK},
        {":1234:[127.0.0.1]:%d", CURLE_OK},
        /* entries that do not match are passed over, whatever follows their HOST:PORT */
        {"other.test::127.0.0.2:1|made-up.test:1235:127.0.0.2:1|garbage|made-up.test:x:127.0.0.2:1|::127.0.0.1:%d",
         CURLE_OK},
        /* the first that matches decides */
        {"made-up.test:1234:127.0.0.1:%d|::127.0.0.2:1", CURLE_OK},
        /* an empty or missing destination port keeps the URL's: nothing listens on 1234 */
        {"made-up.test:1234:127.0.0.1:", CURLE_COULDNT_CONNECT},
        {"made-up.test:1234:127.0.0.1", CURLE_COULDNT_CONNECT},
        /* a destination that does not parse fails the transfer */
        {"made-up.test:1234:127.0.0.1:99999", CURLE_SETOPT_OPTION_SYNTAX},
        {"made-up.test:1234:127.0.0.1:%d:extra", CURLE_SETOPT_OPTION_SYNTAX},
        {"made-up.test:1234:127.0.0.1:x", CURLE_SETOPT_OPTION_SYNTAX},
        {"made-up.test:1234:[127.0.0.1:%d", CURLE_SETOPT_OPTION_SYNTAX},
    };
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CURLcode rc = routed(m, url, NULL, fmt(cases[i].entries, p), &x, &s);
        CHECKF(rc == cases[i].rc, "%s: %d", cases[i].entries, (int)rc);
        if (rc == CURLE_OK) {
            CHECK(has_header(&s, "\r\nHost: made-up.test:1234\r\n"));
            CHECK_EQ_LONG(info_long(x.h, CURLINFO_PRIMARY_PORT), p);
        }
        xfer_free(&x);
    }
    /* the destination's name goes through RESOLVE */
    CHECK_EQ_LONG(routed(m, url, fmt("alias.test:%d:127.0.0.1", p), fmt("made-up.test:1234:alias.test:%d", p), &x, &s),
                  CURLE_OK);
    CHECK(has_header(&s, "\r\nHost: made-up.test:1234\r\n"));
    xfer_free(&x);
    /* a connection made for one destination is not taken for another: the same URL routed to the
       second server makes a connection of its own there (FRESH_CONNECT off this time) */
    a = fault_stats(0);
    xfer_init(&x, url);
    {
        struct curl_slist *c = curl_slist_append(NULL, fmt("::127.0.0.1:%d", p2));
        curl_easy_setopt(x.h, CURLOPT_CONNECT_TO, c);
        CHECK_EQ_LONG(run_on(m, &x), CURLE_OK);
        CHECK_EQ_LONG(info_long(x.h, CURLINFO_PRIMARY_PORT), p2);
        CHECK_EQ_LONG(info_long(x.h, CURLINFO_NUM_CONNECTS), 1);
        curl_slist_free_all(c);
    }
    b = fault_stats(0);
    CHECK_EQ_LONG(b.conns - a.conns - 1, 0); /* the first server saw nothing more */
    xfer_free(&x);
    curl_multi_cleanup(m);
    routed_done();
}

/* The client's end as the faultserver's /echo saw it ("peer: IP PORT"). */
static int echo_peer(const xfer *x, char *ip, size_t iplen, long *port)
{
    const char *p = x->body.p ? strstr(x->body.p, "\npeer: ") : NULL;
    char fmtbuf[32];
    if (!p) return 0;
    snprintf(fmtbuf, sizeof fmtbuf, "\npeer: %%%zus %%ld", iplen - 1);
    return sscanf(p, fmtbuf, ip, port) == 2;
}

TEST(unix_sockets_path_and_abstract)
{
    CURLM *m = curl_multi_init();
    xfer x;
    const char *path = getenv("MPT_NGINX_UNIX"), *abstract = getenv("MPT_FAULT_ABSTRACT");
    char ip[64];
    long port = 0;
    fstats a, b;
    CHECK(path != NULL && abstract != NULL);
    if (!path || !abstract) return;
    /* nginx on a unix socket: the URL's host goes in Host, the path is the primary "IP", as in libcurl */
    xfer_init(&x, "http://made-up.test/f/1k.bin");
    curl_easy_setopt(x.h, CURLOPT_UNIX_SOCKET_PATH, path);
    CHECK_EQ_LONG(run_on(m, &x), CURLE_OK);
    CHECK_EQ_LONG(code_of(x.h), 200);
    CHECK(sink_is_pattern(&x.body, 1024));
    /* the path as getpeername gives it, cut to 45 characters as libcurl cuts it */
    CHECK(strlen(info_str(x.h, CURLINFO_PRIMARY_IP)) == (strlen(path) < 45 ? strlen(path) : 45));
    CHECK(strncmp(info_str(x.h, CURLINFO_PRIMARY_IP), path, 45) == 0);
    CHECK_EQ_LONG(info_long(x.h, CURLINFO_PRIMARY_PORT), 80);
    /* the same again reuses the connection; the same URL over TCP does not take it */
    sink_free(&x.body);
    CHECK_EQ_LONG(run_on(m, &x), CURLE_OK);
    CHECK_EQ_LONG(info_long(x.h, CURLINFO_NUM_CONNECTS), 0);
    xfer_free(&x);
    xfer_init(&x, fmt("http://127.0.0.1:%d/f/1k.bin", nginx_port()));
    CHECK_EQ_LONG(run_on(m, &x), CURLE_OK);
    CHECK_EQ_LONG(info_long(x.h, CURLINFO_NUM_CONNECTS), 1);
    curl_easy_setopt(x.h, CURLOPT_UNIX_SOCKET_PATH, path);
    sink_free(&x.body);
    CHECK_EQ_LONG(run_on(m, &x), CURLE_OK);
    CHECK_EQ_LONG(info_long(x.h, CURLINFO_NUM_CONNECTS), 1); /* a socket of its own, not the TCP one */
    CHECK(sink_is_pattern(&x.body, 1024));
    xfer_free(&x);
    /* no socket there: COULDNT_CONNECT */
    xfer_init(&x, "http://made-up.test/f/1k.bin");
    curl_easy_setopt(x.h, CURLOPT_UNIX_SOCKET_PATH, fmt("%s.missing", path));
    CHECK_EQ_LONG(run_on(m, &x), CURLE_COULDNT_CONNECT);
    xfer_free(&x);
    /* the faultserver on an abstract socket; setting the path again makes it a path again */
    a = fault_stats(0);
    xfer_init(&x, "http://made-up.test:8080/echo");
    curl_easy_setopt(x.h, CURLOPT_ABSTRACT_UNIX_SOCKET, abstract);
    CHECK_EQ_LONG(run_on(m, &x), CURLE_OK);
    CHECK(strstr(x.body.p, "\r\nHost: made-up.test:8080\r\n") != NULL);
    CHECK(echo_peer(&x, ip, sizeof ip, &port) && strcmp(ip, "unix") == 0);
    CHECK(strcmp(info_str(x.h, CURLINFO_PRIMARY_IP), "") == 0);
    CHECK_EQ_LONG(info_long(x.h, CURLINFO_PRIMARY_PORT), 8080);
    b = fault_stats(0);
    CHECK_EQ_LONG(b.conns - a.conns - 1, 1);
    curl_easy_setopt(x.h, CURLOPT_UNIX_SOCKET_PATH, abstract); /* no such file */
    CHECK_EQ_LONG(run_on(m, &x), CURLE_COULDNT_CONNECT);
    xfer_free(&x);
    curl_multi_cleanup(m);
}

/* The socket callbacks' record. */
static struct {
    int opens, sockopts, closes, open_bad, sockopt_rc, connect_in_open, redirect_port, family, protocol;
    unsigned addrlen;
    curl_socket_t fds[8];
} sk;

static curl_socket_t sk_open(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
    curl_socket_t fd;
    CHECK(clientp == &sk);
    CHECK_EQ_LONG(purpose, CURLSOCKTYPE_IPCXN);
    sk.opens++;
    sk.family = a->family;
    sk.protocol = a->protocol;
    sk.addrlen = a->addrlen;
    if (sk.open_bad) return CURL_SOCKET_BAD;
    if (sk.redirect_port && a->family == AF_INET)
        ((struct sockaddr_in *)(void *)&a->addr)->sin_port = htons((unsigned short)sk.redirect_port);
    fd = socket(a->family, a->socktype, a->protocol);
    if (sk.connect_in_open && connect(fd, &a->addr, a->addrlen) != 0) CHECK(!"the callback's own connect");
    if (sk.opens <= 8) sk.fds[sk.opens - 1] = fd;
    return fd;
}

static int sk_sockopt(void *clientp, curl_socket_t fd, curlsocktype purpose)
{
    CHECK(clientp == &sk);
    CHECK(sk.opens == 0 || fd == sk.fds[sk.opens - 1]);
    CHECK_EQ_LONG(purpose, CURLSOCKTYPE_IPCXN);
    sk.sockopts++;
    return sk.sockopt_rc;
}

static int sk_close(void *clientp, curl_socket_t fd)
{
    CHECK(clientp == &sk);
    sk.closes++;
    return close(fd);
}

static void sk_set(xfer *x)
{
    curl_easy_setopt(x->h, CURLOPT_OPENSOCKETFUNCTION, sk_open);
    curl_easy_setopt(x->h, CURLOPT_OPENSOCKETDATA, &sk);
    curl_easy_setopt(x->h, CURLOPT_SOCKOPTFUNCTION, sk_sockopt);
    curl_easy_setopt(x->h, CURLOPT_SOCKOPTDATA, &sk);
    curl_easy_setopt(x->h, CURLOPT_CLOSESOCKETFUNCTION, sk_close);
    curl_easy_setopt(x->h, CURLOPT_CLOSESOCKETDATA, &sk);
}

TEST(socket_callbacks_open_sockopt_close)
{
    xfer x;
    fstats a, b;
    struct curl_slist *r;
    /* the program's sockets: one opened, configured and closed, with libcurl's arguments */
    memset(&sk, 0, sizeof sk);
    xfer_init(&x, fmt("http://127.0.0.1:%d/gen/1000", fault_port()));
    sk_set(&x);
    CHECK_EQ_LONG(curl_easy_perform(x.h), CURLE_OK);
    CHECK(sink_is_pattern(&x.body, 1000));
    CHECK_EQ_LONG(sk.opens, 1);
    CHECK_EQ_LONG(sk.sockopts, 1);
    CHECK_EQ_LONG(sk.family, AF_INET);
    CHECK_EQ_LONG(sk.protocol, IPPROTO_TCP);
    CHECK_EQ_LONG(sk.addrlen, sizeof(struct sockaddr_in));
    CHECK_EQ_LONG(sk.closes, 0); /* kept for reuse */
    curl_easy_cleanup(x.h);
    CHECK_EQ_LONG(sk.closes, 1);
    sink_free(&x.body);
    sink_free(&x.head);
    /* an open refused: COULDNT_CONNECT, asked once per address, nothing reaches the server */
    memset(&sk, 0, sizeof sk);
    sk.open_bad = 1;
    a = fault_stats(0);
    xfer_init(&x, fmt("http://made-up.test:%d/echo", fault_port()));
    r = curl_slist_append(NULL, fmt("made-up.test:%d:127.0.0.1,127.0.0.1", fault_port()));
    curl_easy_setopt(x.h, CURLOPT_RESOLVE, r);
    sk_set(&x);
    CHECK_EQ_LONG(run(&x), CURLE_COULDNT_CONNECT);
    CHECK_EQ_LONG(sk.opens, 2);
    CHECK_EQ_LONG(sk.sockopts + sk.closes, 0);
    b = fault_stats(0);
    CHECK_EQ_LONG(b.conns - a.conns - 1, 0);
    xfer_free(&x);
    curl_slist_free_all(r);
    /* the sockopt callback fails the transfer: ABORTED_BY_CALLBACK, the socket closed through the callback */
    memset(&sk, 0, sizeof sk);
    sk.sockopt_rc = CURL_SOCKOPT_ERROR;
    xfer_init(&x, fmt("http://127.0.0.1:%d/gen/10", fault_port()));
    sk_set(&x);
    CHECK_EQ_LONG(run(&x), CURLE_ABORTED_BY_CALLBACK);
    CHECK_EQ_LONG(sk.opens * 100 + sk.sockopts * 10 + sk.closes, 111);
    xfer_free(&x);
    /* a socket the open callback connected itself: ALREADY_CONNECTED skips the connect
       (the documented contract; libcurl 7.88.0-7.88.1 broke it, curl/curl#10626) */
    memset(&sk, 0, sizeof sk);
    sk.connect_in_open = 1;
    sk.sockopt_rc = CURL_SOCKOPT_ALREADY_CONNECTED;
    xfer_init(&x, fmt("http://127.0.0.1:%d/gen/10", fault_port()));
    sk_set(&x);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK(sink_is_pattern(&x.body, 10));
    CHECK_EQ_LONG(sk.closes, 1); /* run's multi closed it */
    xfer_free(&x);
    /* the open callback may change the address: here to the second server's port */
    memset(&sk, 0, sizeof sk);
    sk.redirect_port = fault2_port();
    a = fault_stats(0);
    xfer_init(&x, fmt("http://127.0.0.1:%d/gen/10", fault_port()));
    sk_set(&x);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK(sink_is_pattern(&x.body, 10));
    b = fault_stats(0);
    CHECK_EQ_LONG(b.conns - a.conns - 1, 0);
    xfer_free(&x);
}

/* SOCKOPTFUNCTION that records TCP_KEEPCNT (TCP_KEEPALIVE sets it before the call). */
static int keepcnt_seen;
static int read_keepcnt(void *clientp, curl_socket_t fd, curlsocktype purpose)
{
    socklen_t l = sizeof keepcnt_seen;
    (void)clientp;
    (void)purpose;
    if (getsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &keepcnt_seen, &l) != 0) keepcnt_seen = -1;
    return CURL_SOCKOPT_OK;
}

/* The names programs use beyond the basics: each works or says "not built in". */
TEST(more_libcurl_names)
{
    xfer x;
    struct curl_certinfo *ci = NULL;
#if CURL_AT_LEAST_VERSION(7, 62, 0) && !CURL_AT_LEAST_VERSION(99, 0, 0)
    int version_ok = 1;
#else
    int version_ok = 0;
#endif
    CHECK(version_ok);
    CHECK(CURLM_LAST > CURLM_UNRECOVERABLE_POLL && CURL_LAST > CURLE_UNRECOVERABLE_POLL);
    xfer_init(&x, fmt("http://127.0.0.1:%d/gen/10", fault_port()));
    curl_easy_setopt(x.h, CURLOPT_TCP_KEEPALIVE, 1L);
    CHECK_EQ_LONG(curl_easy_setopt(x.h, CURLOPT_TCP_KEEPCNT, 4L), CURLE_OK);
    curl_easy_setopt(x.h, CURLOPT_SOCKOPTFUNCTION, read_keepcnt);
    CHECK_EQ_LONG(curl_easy_setopt(x.h, CURLOPT_CA_CACHE_TIMEOUT, -1L), CURLE_OK);
    CHECK_EQ_LONG(curl_easy_setopt(x.h, CURLOPT_CA_CACHE_TIMEOUT, 3600L), CURLE_NOT_BUILT_IN);
    CHECK_EQ_LONG(curl_easy_setopt(x.h, CURLOPT_CERTINFO, 1L), CURLE_NOT_BUILT_IN);
    CHECK_EQ_LONG(curl_easy_setopt(x.h, CURLOPT_CERTINFO, 0L), CURLE_OK);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK_EQ_LONG(keepcnt_seen, 4);
    CHECK_EQ_LONG(curl_easy_getinfo(x.h, CURLINFO_CERTINFO, &ci), CURLE_OK);
    CHECK(ci && ci->num_of_certs == 0 && ci->certinfo == NULL);
    xfer_free(&x);
    /* DEFAULT_PROTOCOL: http and https only; REQUEST_TARGET: one token, no blanks */
    xfer_init(&x, fmt("127.0.0.1:%d/gen/10", fault_port()));
    curl_easy_setopt(x.h, CURLOPT_DEFAULT_PROTOCOL, "ftp");
    CHECK_EQ_LONG(run(&x), CURLE_UNSUPPORTED_PROTOCOL);
    curl_easy_setopt(x.h, CURLOPT_DEFAULT_PROTOCOL, "HTTP");
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    curl_easy_setopt(x.h, CURLOPT_REQUEST_TARGET, "/echo x");
    CHECK_EQ_LONG(run(&x), CURLE_BAD_FUNCTION_ARGUMENT);
    curl_easy_setopt(x.h, CURLOPT_REQUEST_TARGET, "*");
    curl_easy_setopt(x.h, CURLOPT_CUSTOMREQUEST, "OPTIONS");
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    xfer_free(&x);
}

TEST(interface_localport_and_ipresolve)
{
    CURLM *m = curl_multi_init();
    xfer x;
    char ip[64];
    long port = 0, lp;
    int s;
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    const char *url = echo_url(fault_port());
    char urlcopy[128];
    fstats a, b;
    size_t i;
    snprintf(urlcopy, sizeof urlcopy, "%s", url);
    /* the local end: an interface by name, an address, a host */
    {
        const char *ok[] = {"if!lo", "lo", "host!127.0.0.2", "127.0.0.2", "host!localhost"};
        const char *want[] = {"127.0.0.1", "127.0.0.1", "127.0.0.2", "127.0.0.2", "127.0.0.1"};
        for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
            xfer_init(&x, urlcopy);
            CHECK_EQ_LONG(curl_easy_setopt(x.h, CURLOPT_INTERFACE, ok[i]), CURLE_OK);
            CHECKF(run_on(m, &x) == CURLE_OK, "%s: %d", ok[i], (int)x.result);
            CHECKF(echo_peer(&x, ip, sizeof ip, &port) && strcmp(ip, want[i]) == 0, "%s: %s", ok[i], ip);
            xfer_free(&x);
        }
    }
    /* what names nothing, or an address not here: INTERFACE_FAILED before any connection */
    a = fault_stats(0);
    {
        const char *bad[] = {"if!no-such-if0", "no-such-if0", "host!192.0.2.1", "192.0.2.1", "if!127.0.0.1"};
        for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            xfer_init(&x, urlcopy);
            curl_easy_setopt(x.h, CURLOPT_INTERFACE, bad[i]);
            CHECKF(run_on(m, &x) == CURLE_INTERFACE_FAILED, "%s: %d", bad[i], (int)x.result);
            xfer_free(&x);
        }
    }
    b = fault_stats(0);
    CHECK_EQ_LONG(b.conns - a.conns - 1, 0);
    /* a local port: a free one, found by binding to 0; then a range starting at a port in use */
    s = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(0x7f000001);
    CHECK(bind(s, (struct sockaddr *)&sa, sizeof sa) == 0 && getsockname(s, (struct sockaddr *)&sa, &sl) == 0);
    lp = ntohs(sa.sin_port);
    xfer_init(&x, urlcopy);
    curl_easy_setopt(x.h, CURLOPT_LOCALPORT, lp); /* in use by s (bound, not listening) */
    CHECK_EQ_LONG(run_on(m, &x), CURLE_INTERFACE_FAILED);
    curl_easy_setopt(x.h, CURLOPT_LOCALPORTRANGE, 20L);
    CHECK_EQ_LONG(run_on(m, &x), CURLE_OK);
    CHECK(echo_peer(&x, ip, sizeof ip, &port) && port > lp && port < lp + 20);
    CHECK_EQ_LONG(curl_easy_setopt(x.h, CURLOPT_LOCALPORT, 65536L), CURLE_BAD_FUNCTION_ARGUMENT);
    CHECK_EQ_LONG(curl_easy_setopt(x.h, CURLOPT_LOCALPORTRANGE, -1L), CURLE_BAD_FUNCTION_ARGUMENT);
    xfer_free(&x);
    close(s);
    /* a connection bound to a local end is not reused for another; the one without is not taken either */
    xfer_init(&x, urlcopy);
    curl_easy_setopt(x.h, CURLOPT_INTERFACE, "127.0.0.2");
    CHECK_EQ_LONG(run_on(m, &x), CURLE_OK);
    curl_easy_setopt(x.h, CURLOPT_INTERFACE, (char *)NULL);
    sink_free(&x.body);
    CHECK_EQ_LONG(run_on(m, &x), CURLE_OK);
    CHECK(echo_peer(&x, ip, sizeof ip, &port) && strcmp(ip, "127.0.0.1") == 0);
    xfer_free(&x);
    /* IPRESOLVE: addresses of the other family are left out; a literal of the other family is no
       address to connect to (COULDNT_CONNECT), a name without one fails to resolve, as in libcurl */
    xfer_init(&x, fmt("http://localhost:%d/echo", fault_port()));
    CHECK_EQ_LONG(curl_easy_setopt(x.h, CURLOPT_IPRESOLVE, CURL_IPRESOLVE_V4), CURLE_OK);
    CHECK_EQ_LONG(run_on(m, &x), CURLE_OK);
    CHECK(strcmp(info_str(x.h, CURLINFO_PRIMARY_IP), "127.0.0.1") == 0);
    CHECK_EQ_LONG(curl_easy_setopt(x.h, CURLOPT_IPRESOLVE, 3L), CURLE_BAD_FUNCTION_ARGUMENT);
    xfer_free(&x);
    xfer_init(&x, urlcopy);
    curl_easy_setopt(x.h, CURLOPT_IPRESOLVE, CURL_IPRESOLVE_V6);
    CHECK_EQ_LONG(run_on(m, &x), CURLE_COULDNT_CONNECT);
    xfer_free(&x);
    {
        struct curl_slist *r = curl_slist_append(NULL, fmt("made-up.test:%d:127.0.0.1", fault_port()));
        xfer_init(&x, fmt("http://made-up.test:%d/echo", fault_port()));
        curl_easy_setopt(x.h, CURLOPT_RESOLVE, r);
        curl_easy_setopt(x.h, CURLOPT_IPRESOLVE, CURL_IPRESOLVE_V6);
        CHECK_EQ_LONG(run_on(m, &x), CURLE_COULDNT_RESOLVE_HOST);
        curl_easy_setopt(x.h, CURLOPT_IPRESOLVE, CURL_IPRESOLVE_WHATEVER);
        CHECK_EQ_LONG(run_on(m, &x), CURLE_OK);
        xfer_free(&x);
        curl_slist_free_all(r);
    }
    curl_multi_cleanup(m);
}

TEST(state_changes_are_legal)
{
    CHECK(mpt_check_transitions(MPT_MUST) == 0);
}

int main(void)
{
    signal(SIGPIPE, SIG_DFL); /* the library must never raise it */
    RUN(post_fields);
    RUN(post_binary_fields_with_size_and_copy);
    RUN(large_post_uses_expect_100_continue);
    RUN(put_from_read_callback_known_and_unknown_size);
    RUN(post_from_read_callback_and_default_fread);
    RUN(expect_100_timeout_sends_the_body_anyway);
    RUN(server_answers_before_the_body_is_sent);
    RUN(read_callback_abort_pause_and_short_read);
    RUN(methods_custom_head_and_back_to_get);
    RUN(redirect_method_rules);
    RUN(redirect_post_kept_with_postredir_and_rewinds_read_body);
    RUN(redirect_locations_resolve);
    RUN(redirect_resolution_rules);
    RUN(redirect_limits_and_info);
    RUN(redirect_schemes_and_bad_locations);
    RUN(redirect_to_another_host_drops_credentials);
    RUN(autoreferer_and_referer);
    RUN(redirects_and_ranges_against_nginx);
    RUN(basic_auth_sources);
    RUN(digest_rfc_examples_and_hashes);
    RUN(digest_auth);
    RUN(ranges_and_resume);
    RUN(failonerror_and_maxfilesize);
    RUN(timeouts);
    RUN(connect_timeout);
    RUN(low_speed_limit);
    RUN(pause_on_the_last_bytes_still_completes);
    RUN(paused_transfer_leaves_the_wait_set_and_is_never_too_slow);
    RUN(progress_callbacks);
    RUN(debug_callback_info_types_and_buffersize);
    RUN(api_calls_from_inside_callbacks);
    RUN(handle_lifecycle_in_the_info_read_loop);
    RUN(crlf_in_any_request_input_is_rejected);
    RUN(resolve_takes_a_made_up_name_to_loopback);
    RUN(connect_to_goes_elsewhere_and_keeps_the_host);
    RUN(unix_sockets_path_and_abstract);
    RUN(socket_callbacks_open_sockopt_close);
    RUN(interface_localport_and_ipresolve);
    RUN(more_libcurl_names);
    RUN(state_changes_are_legal);
    return t_done("http");
}
