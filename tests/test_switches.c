/* The feature switches, against the faultserver and nginx: built with
   MPERF_MINIMAL (no TLS, redirects, uploads, verbose text, auth, progress,
   ranges or error sentences), with every feature in, and with single
   switches (tests/run.sh). What is left works, and what was left out says
   MPERF_E_NOT_BUILT_IN instead of being silently ignored. */
/* the state changes this suite must see (tests/transitions.h) */
#define MPT_MUST "S:NONE>INIT S:CONNECT>CONNECTING S:SEND>RECV S:RECV>DONE"
#include "transitions.h" /* before the header: it watches the state changes */
#define MULTIPERFORM_IMPLEMENTATION
#include "../multiperform.h"
#include "helpers.h"
#include <fcntl.h>
#include "t.h"

static sink body, head;
static char err[MPERF_ERROR_SIZE];

static mperf_easy *make(const char *url)
{
    mperf_easy *e = mperf_easy_init();
    sink_free(&body);
    sink_free(&head);
    err[0] = 0;
    mperf_easy_setopt(e, MPERF_OPT_URL, url);
    mperf_easy_setopt(e, MPERF_OPT_WRITEFUNCTION, sink_write);
    mperf_easy_setopt(e, MPERF_OPT_WRITEDATA, &body);
    mperf_easy_setopt(e, MPERF_OPT_HEADERFUNCTION, sink_write);
    mperf_easy_setopt(e, MPERF_OPT_HEADERDATA, &head);
    mperf_easy_setopt(e, MPERF_OPT_ERRORBUFFER, err);
    mperf_easy_setopt(e, MPERF_OPT_TIMEOUT_MS, 20000L);
    return e;
}

/* The error buffer after a failure: a sentence naming the cause, or under
   MPERF_NO_ERROR_TEXT (part of MPERF_MINIMAL) exactly the code's text. */
#ifdef MPERF_NO_ERROR_TEXT
#define CHECK_SAYS(code, words) CHECK(strcmp(err, mperf_easy_strerror(code)) == 0 && strstr(err, words) == NULL)
#else
#define CHECK_SAYS(code, words) CHECK(strstr(err, words) != NULL && strcmp(err, mperf_easy_strerror(code)) != 0)
#endif

static long code_of(mperf_easy *e)
{
    long c = 0;
    mperf_easy_getinfo(e, MPERF_INFO_RESPONSE_CODE, &c);
    return c;
}

TEST(get_and_chunked_still_work)
{
    mperf_easy *e = make(fmt("http://127.0.0.1:%d/gen/100000", fault_port()));
    CHECK_EQ_LONG(mperf_easy_perform(e), MPERF_E_OK);
    CHECK(sink_is_pattern(&body, 100000));
    sink_free(&body);
    mperf_easy_setopt(e, MPERF_OPT_URL, fmt("http://127.0.0.1:%d/gen/100000?chunked=777", fault_port()));
    CHECK_EQ_LONG(mperf_easy_perform(e), MPERF_E_OK);
    CHECK(sink_is_pattern(&body, 100000));
    mperf_easy_cleanup(e);
}

/* A long body: MPERF_MINIMAL has no big receive buffer, the usual one streams it. */
TEST(long_body_streams)
{
    mperf_easy *e = make(fmt("http://127.0.0.1:%d/gen/3000000", fault_port()));
    CHECK_EQ_LONG(mperf_easy_perform(e), MPERF_E_OK);
    CHECK(sink_is_pattern(&body, 3000000));
    mperf_easy_cleanup(e);
}

TEST(multi_loop_against_nginx)
{
    mperf_multi *m = mperf_multi_init();
    mperf_easy *h[8];
    sink b[8];
    int i, running = 1, done = 0, left;
    double end = mono_ms() + 30000;
    memset(b, 0, sizeof b);
    for (i = 0; i < 8; i++) {
        h[i] = mperf_easy_init();
        mperf_easy_setopt(h[i], MPERF_OPT_URL, fmt("http://127.0.0.1:%d/f/64k.bin", nginx_port()));
        mperf_easy_setopt(h[i], MPERF_OPT_WRITEFUNCTION, sink_write);
        mperf_easy_setopt(h[i], MPERF_OPT_WRITEDATA, &b[i]);
        mperf_multi_add_handle(m, h[i]);
    }
    while (running && mono_ms() < end) {
        mperf_msg *msg;
        CHECK_EQ_LONG(mperf_multi_perform(m, &running), MPERF_M_OK);
        while ((msg = mperf_multi_info_read(m, &left)) != NULL)
            if (msg->msg == MPERF_MSG_DONE && msg->data.result == MPERF_E_OK) done++;
        if (running) mperf_multi_poll(m, NULL, 0, 200, NULL);
    }
    CHECK_EQ_LONG(done, 8);
    for (i = 0; i < 8; i++) {
        CHECK(sink_is_pattern(&b[i], 65536));
        mperf_multi_remove_handle(m, h[i]);
        mperf_easy_cleanup(h[i]);
        sink_free(&b[i]);
    }
    mperf_multi_cleanup(m);
}

TEST(bad_framing_still_caught)
{
    mperf_easy *e = make(raw_url("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", "end=close"));
    CHECK_EQ_LONG(mperf_easy_perform(e), MPERF_E_WEIRD_SERVER_REPLY);
    CHECK_SAYS(MPERF_E_WEIRD_SERVER_REPLY, "Conflicting Content-Length");
    mperf_easy_cleanup(e);
}

TEST(bad_url_says_why)
{
    mperf_easy *e = make("http://127.0.0.1:99999/");
    CHECK_EQ_LONG(mperf_easy_perform(e), MPERF_E_URL_MALFORMAT);
    CHECK_SAYS(MPERF_E_URL_MALFORMAT, "Port number");
    mperf_easy_cleanup(e);
}

static int progress(void *ud, mperf_off_t a, mperf_off_t b, mperf_off_t c, mperf_off_t d)
{
    (void)ud, (void)a, (void)b, (void)c, (void)d;
    return 0;
}

static int old_progress(void *ud, double a, double b, double c, double d)
{
    (void)ud, (void)a, (void)b, (void)c, (void)d;
    return 0;
}

static int debug(mperf_easy *h, mperf_infotype t, char *d, size_t n, void *ud)
{
    (void)h, (void)t, (void)d, (void)n, (void)ud;
    return 0;
}

/* Each left-out feature: setting it is refused, setting it off is fine. */
TEST(left_out_options_say_not_built_in)
{
    mperf_easy *e = mperf_easy_init();
    mperf_blob blob = {(void *)"x", 1, 0};
#ifdef MPERF_NO_REDIRECTS
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_FOLLOWLOCATION, 1L), MPERF_E_NOT_BUILT_IN);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_FOLLOWLOCATION, 0L), MPERF_E_OK);
#endif
#ifdef MPERF_NO_UPLOADS
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_POST, 1L), MPERF_E_NOT_BUILT_IN);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_UPLOAD, 1L), MPERF_E_NOT_BUILT_IN);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_POSTFIELDS, "a=b"), MPERF_E_NOT_BUILT_IN);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_COPYPOSTFIELDS, "a=b"), MPERF_E_NOT_BUILT_IN);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_READFUNCTION, (mperf_read_callback)fread), MPERF_E_NOT_BUILT_IN);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_POST, 0L), MPERF_E_OK);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_UPLOAD, 0L), MPERF_E_OK);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_READFUNCTION, (mperf_read_callback)NULL), MPERF_E_OK);
#endif
#ifdef MPERF_NO_VERBOSE
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_VERBOSE, 1L), MPERF_E_NOT_BUILT_IN);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_VERBOSE, 0L), MPERF_E_OK);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_DEBUGFUNCTION, debug), MPERF_E_NOT_BUILT_IN);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_DEBUGFUNCTION, (mperf_debug_callback)NULL), MPERF_E_OK);
#else
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_DEBUGFUNCTION, debug), MPERF_E_OK);
#endif
#ifdef MPERF_NO_AUTH
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_USERPWD, "a:b"), MPERF_E_NOT_BUILT_IN);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_HTTPAUTH, MPERF_AUTH_BASIC), MPERF_E_NOT_BUILT_IN);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_USERPWD, (char *)NULL), MPERF_E_OK);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_USERNAME, "a"), MPERF_E_NOT_BUILT_IN);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_PASSWORD, "b"), MPERF_E_NOT_BUILT_IN);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_HTTPAUTH, (unsigned long)MPERF_AUTH_NONE), MPERF_E_OK);
#else
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_HTTPAUTH, MPERF_AUTH_BASIC), MPERF_E_OK);
#endif
#if defined(MPERF_NO_DIGEST) || defined(MPERF_NO_AUTH) || defined(MPERF_NO_REDIRECTS)
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_HTTPAUTH, MPERF_AUTH_DIGEST), MPERF_E_NOT_BUILT_IN);
#else
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_HTTPAUTH, MPERF_AUTH_DIGEST), MPERF_E_OK);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_HTTPAUTH, MPERF_AUTH_ANYSAFE), MPERF_E_OK);
#endif
    mperf_easy_setopt(e, MPERF_OPT_HTTPAUTH, (unsigned long)MPERF_AUTH_NONE);
#ifdef MPERF_NO_PROXY /* PROXY is refused (and holds transfers back); the other proxy options are unknown */
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_PROXY, "http://127.0.0.1:3128"), MPERF_E_NOT_BUILT_IN);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_PROXYPORT, 3128L), MPERF_E_UNKNOWN_OPTION);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_NOPROXY, "*"), MPERF_E_UNKNOWN_OPTION);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_PROXY, ""), MPERF_E_OK);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_PROXYPORT, 0L), MPERF_E_UNKNOWN_OPTION);
#else
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_PROXY, "http://127.0.0.1:3128"), MPERF_E_OK);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_PROXYPORT, 3128L), MPERF_E_OK);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_NOPROXY, "*"), MPERF_E_OK);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_PROXY, (char *)NULL), MPERF_E_OK);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_PROXYPORT, 0L), MPERF_E_OK);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_NOPROXY, (char *)NULL), MPERF_E_OK);
#endif
#ifdef MPERF_NO_COOKIES /* no engine, no COOKIE either */
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_COOKIEFILE, ""), MPERF_E_UNKNOWN_OPTION);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_COOKIE, "a=1"), MPERF_E_UNKNOWN_OPTION);
#else
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_COOKIEFILE, ""), MPERF_E_OK);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_COOKIE, "a=1"), MPERF_E_OK);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_COOKIE, (char *)NULL), MPERF_E_OK);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_COOKIELIST, "ALL"), MPERF_E_OK);
#endif
#ifdef MPERF_NO_DECODING /* nothing advertised, nothing decoded */
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_ACCEPT_ENCODING, "gzip"), MPERF_E_NOT_BUILT_IN);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_ACCEPT_ENCODING, ""), MPERF_E_OK);
#else
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_ACCEPT_ENCODING, "gzip"), MPERF_E_OK);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_HTTP_CONTENT_DECODING, 0L), MPERF_E_OK);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_HTTP_CONTENT_DECODING, 1L), MPERF_E_OK);
#endif
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_ACCEPT_ENCODING, (char *)NULL), MPERF_E_OK);
#ifdef MPERF_NO_PROGRESS
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_XFERINFOFUNCTION, progress), MPERF_E_NOT_BUILT_IN);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_XFERINFOFUNCTION, (mperf_xferinfo_callback)NULL), MPERF_E_OK);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_PROGRESSFUNCTION, old_progress), MPERF_E_NOT_BUILT_IN);
#else
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_XFERINFOFUNCTION, progress), MPERF_E_OK);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_PROGRESSFUNCTION, old_progress), MPERF_E_OK);
#endif
#ifdef MPERF_NO_RANGES
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_RANGE, "0-9"), MPERF_E_NOT_BUILT_IN);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_RESUME_FROM_LARGE, (mperf_off_t)10), MPERF_E_NOT_BUILT_IN);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_RESUME_FROM, 10L), MPERF_E_NOT_BUILT_IN);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_RESUME_FROM, 0L), MPERF_E_OK);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_RANGE, (char *)NULL), MPERF_E_OK);
#else
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_RESUME_FROM, 0L), MPERF_E_OK);
#endif
#ifdef MPERF_NO_TLS
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_CAINFO_BLOB, &blob), MPERF_E_NOT_BUILT_IN);
#else
    (void)blob;
#endif
#ifdef MPERF_NO_RAW
    {
        size_t n = 9;
        CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_CONNECT_ONLY, 1L), MPERF_E_NOT_BUILT_IN);
        CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_CONNECT_ONLY, 0L), MPERF_E_OK);
        CHECK_EQ_LONG(mperf_easy_send(e, "x", 1, &n), MPERF_E_NOT_BUILT_IN);
        CHECK_EQ_LONG(n, 0);
    }
#else
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_CONNECT_ONLY, 2L), MPERF_E_NOT_BUILT_IN); /* WebSocket */
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_CONNECT_ONLY, 0L), MPERF_E_OK);
#endif
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_NOPROGRESS, 1L), MPERF_E_OK);
    mperf_easy_cleanup(e);
}

TEST(redirects_without_the_feature_deliver_the_3xx)
{
    mperf_easy *e = make(fmt("http://127.0.0.1:%d/r301", nginx_port()));
    CHECK_EQ_LONG(mperf_easy_perform(e), MPERF_E_OK);
    CHECK_EQ_LONG(code_of(e), 301);
#ifdef MPERF_NO_REDIRECTS
    CHECK(mperf_easy_setopt(e, MPERF_OPT_FOLLOWLOCATION, 1L) == MPERF_E_NOT_BUILT_IN);
#else
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_FOLLOWLOCATION, 1L), MPERF_E_OK);
    sink_free(&body);
    CHECK_EQ_LONG(mperf_easy_perform(e), MPERF_E_OK);
    CHECK_EQ_LONG(code_of(e), 200);
    CHECK_EQ_LONG(body.len, 1024);
#endif
    mperf_easy_cleanup(e);
}

TEST(credentials_in_the_url)
{
    mperf_easy *e = make(fmt("http://user:pw@127.0.0.1:%d/echo", fault_port()));
#ifdef MPERF_NO_AUTH
    CHECK_EQ_LONG(mperf_easy_perform(e), MPERF_E_NOT_BUILT_IN);
    CHECK_SAYS(MPERF_E_NOT_BUILT_IN, "MPERF_NO_AUTH");
#else
    CHECK_EQ_LONG(mperf_easy_perform(e), MPERF_E_OK);
    CHECK(body.p && strstr(body.p, "Authorization: Basic dXNlcjpwdw==") != NULL);
#endif
    mperf_easy_cleanup(e);
}

TEST(https_says_not_built_in_without_tls)
{
    mperf_easy *e = make("https://127.0.0.1:1/");
#ifdef MPERF_NO_TLS
    CHECK_EQ_LONG(mperf_easy_perform(e), MPERF_E_UNSUPPORTED_PROTOCOL);
    CHECK_SAYS(MPERF_E_UNSUPPORTED_PROTOCOL, "MPERF_NO_TLS");
#else
    CHECK(mperf_easy_perform(e) != MPERF_E_OK);
#endif
    mperf_easy_cleanup(e);
}

TEST(routing_options_without_the_feature_stop_the_transfer)
{
    /* a program that said where to connect never connects elsewhere */
    mperf_easy *e = make(fmt("http://made-up.test:%d/echo", fault_port()));
    mperf_slist *l = mperf_slist_append(NULL, fmt("made-up.test:%d:127.0.0.1", fault_port()));
#ifdef MPERF_NO_ROUTING
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_RESOLVE, l), MPERF_E_NOT_BUILT_IN);
    CHECK_EQ_LONG(mperf_easy_perform(e), MPERF_E_NOT_BUILT_IN);
    CHECK(body.len == 0);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_RESOLVE, (mperf_slist *)NULL), MPERF_E_OK);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_CONNECT_TO, l), MPERF_E_NOT_BUILT_IN);
    CHECK_EQ_LONG(mperf_easy_perform(e), MPERF_E_NOT_BUILT_IN);
    CHECK(body.len == 0);
#else
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_RESOLVE, l), MPERF_E_OK);
    CHECK_EQ_LONG(mperf_easy_perform(e), MPERF_E_OK);
    CHECK(body.p && strstr(body.p, "made-up.test") != NULL);
#endif
    mperf_easy_cleanup(e);
    mperf_slist_free_all(l);
}

TEST(header_api_or_not_built_in)
{
    mperf_easy *e = make(fmt("http://127.0.0.1:%d/gen/10", fault_port()));
    mperf_header *h = NULL;
    CHECK_EQ_LONG(mperf_easy_perform(e), MPERF_E_OK);
#ifdef MPERF_NO_HEADER_API
    CHECK_EQ_LONG(mperf_easy_header(e, "content-length", 0, MPERF_H_HEADER, -1, &h), MPERF_HE_NOT_BUILT_IN);
    CHECK(mperf_easy_nextheader(e, MPERF_H_HEADER, -1, NULL) == NULL);
#else
    CHECK_EQ_LONG(mperf_easy_header(e, "content-length", 0, MPERF_H_HEADER, -1, &h), MPERF_HE_OK);
    CHECK(h && strcmp(h->value, "10") == 0);
    CHECK(mperf_easy_nextheader(e, MPERF_H_HEADER, -1, NULL) != NULL);
#endif
    mperf_easy_cleanup(e);
    sink_free(&body);
    sink_free(&head);
}

/* fd (1, 2 or 0) onto the file at path for a while; returns the saved descriptor. */
static int fd_onto(int fd, const char *path, int flags)
{
    int saved = dup(fd), f = open(path, flags, 0600);
    fflush(NULL);
    if (saved < 0 || f < 0 || dup2(f, fd) < 0) abort();
    close(f);
    return saved;
}

static void fd_back(int fd, int saved)
{
    fflush(NULL);
    if (dup2(saved, fd) < 0) abort();
    close(saved);
}

static void file_into(const char *path, sink *s)
{
    char b[4096];
    FILE *f = fopen(path, "rb");
    size_t n;
    sink_free(s);
    while (f && (n = fread(b, 1, sizeof b, f)) > 0) sink_write(b, 1, n, s);
    if (f) fclose(f);
}

/* The program sets no WRITEFUNCTION: the body goes to stdout, as fwrite to
   stdout or (MPERF_NO_STDIO) written to descriptor 1; a FILE * in WRITEDATA
   is written to, or under MPERF_NO_STDIO the transfer does not start. */
TEST(default_callbacks_with_and_without_stdio)
{
    const char *out = "/tmp/mpt-switches-out.bin";
    mperf_easy *e = mperf_easy_init();
    FILE *f = tmpfile();
    sink got = {0};
    int saved;
    mperf_easy_setopt(e, MPERF_OPT_URL, fmt("http://127.0.0.1:%d/gen/100000", fault_port()));
    mperf_easy_setopt(e, MPERF_OPT_ERRORBUFFER, err);
    saved = fd_onto(1, out, O_WRONLY | O_CREAT | O_TRUNC);
    CHECK_EQ_LONG(mperf_easy_perform(e), MPERF_E_OK);
    fd_back(1, saved);
    file_into(out, &got);
    CHECK(sink_is_pattern(&got, 100000));
    CHECK(f != NULL);
    mperf_easy_setopt(e, MPERF_OPT_WRITEDATA, f);
#ifdef MPERF_NO_STDIO
    /* nothing listens on port 1: a transfer that started would fail to connect */
    mperf_easy_setopt(e, MPERF_OPT_URL, "http://127.0.0.1:1/");
    CHECK_EQ_LONG(mperf_easy_perform(e), MPERF_E_NOT_BUILT_IN);
    CHECK_SAYS(MPERF_E_NOT_BUILT_IN, "MPERF_NO_STDIO");
    mperf_easy_setopt(e, MPERF_OPT_WRITEDATA, (void *)NULL);
    mperf_easy_setopt(e, MPERF_OPT_HEADERDATA, f);
    CHECK_EQ_LONG(mperf_easy_perform(e), MPERF_E_NOT_BUILT_IN);
    mperf_easy_setopt(e, MPERF_OPT_HEADERDATA, (void *)NULL);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_STDERR, f), MPERF_E_NOT_BUILT_IN);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_STDERR, (void *)NULL), MPERF_E_OK);
#ifndef MPERF_NO_COOKIES
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_COOKIEJAR, out), MPERF_E_NOT_BUILT_IN);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_COOKIEFILE, out), MPERF_E_NOT_BUILT_IN);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_COOKIEFILE, ""), MPERF_E_OK);
#endif
#ifndef MPERF_NO_UPLOADS
    mperf_easy_setopt(e, MPERF_OPT_UPLOAD, 1L);
    mperf_easy_setopt(e, MPERF_OPT_READDATA, f);
    CHECK_EQ_LONG(mperf_easy_perform(e), MPERF_E_NOT_BUILT_IN);
    mperf_easy_setopt(e, MPERF_OPT_READDATA, (void *)NULL);
    mperf_easy_setopt(e, MPERF_OPT_UPLOAD, 0L);
#endif
#else
    CHECK_EQ_LONG(mperf_easy_perform(e), MPERF_E_OK);
    CHECK(ftell(f) == 100000);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_STDERR, f), MPERF_E_OK);
#endif
#ifndef MPERF_NO_UPLOADS
    { /* an upload from stdin: descriptor 0, or stdio's stdin */
        FILE *in = fopen(out, "wb");
        CHECK(in && fwrite("hello, world", 1, 12, in) == 12 && fclose(in) == 0);
        mperf_easy_setopt(e, MPERF_OPT_URL, fmt("http://127.0.0.1:%d/echo", fault_port()));
        mperf_easy_setopt(e, MPERF_OPT_UPLOAD, 1L);
        mperf_easy_setopt(e, MPERF_OPT_INFILESIZE, 12L);
        mperf_easy_setopt(e, MPERF_OPT_WRITEFUNCTION, sink_write);
        mperf_easy_setopt(e, MPERF_OPT_WRITEDATA, &body);
        sink_free(&body);
        saved = fd_onto(0, out, O_RDONLY);
        CHECK_EQ_LONG(mperf_easy_perform(e), MPERF_E_OK);
        fd_back(0, saved);
        CHECK(body.p && strstr(body.p, "body-length: 12") != NULL);
        mperf_easy_setopt(e, MPERF_OPT_UPLOAD, 0L);
    }
#endif
#ifndef MPERF_NO_VERBOSE
    /* VERBOSE with no DEBUGFUNCTION: stderr, or descriptor 2 */
    mperf_easy_setopt(e, MPERF_OPT_URL, fmt("http://127.0.0.1:%d/gen/10", fault_port()));
    mperf_easy_setopt(e, MPERF_OPT_WRITEFUNCTION, sink_write);
    mperf_easy_setopt(e, MPERF_OPT_WRITEDATA, &body);
    mperf_easy_setopt(e, MPERF_OPT_STDERR, (void *)NULL);
    mperf_easy_setopt(e, MPERF_OPT_VERBOSE, 1L);
    saved = fd_onto(2, out, O_WRONLY | O_CREAT | O_TRUNC);
    CHECK_EQ_LONG(mperf_easy_perform(e), MPERF_E_OK);
    fd_back(2, saved);
    file_into(out, &got);
    CHECK(got.p && strstr(got.p, "\n> GET /gen/10 HTTP/1.1\r\n") != NULL && strstr(got.p, "\n< HTTP/1.1 200") != NULL);
    CHECK(got.p && strncmp(got.p, "* ", 2) == 0);
#endif
    if (f) fclose(f);
    sink_free(&got);
    sink_free(&body);
    unlink(out);
    mperf_easy_cleanup(e);
}

TEST(state_changes_are_legal)
{
    CHECK(mpt_check_transitions(MPT_MUST) == 0);
}

int main(void)
{
    RUN(get_and_chunked_still_work);
    RUN(long_body_streams);
    RUN(multi_loop_against_nginx);
    RUN(bad_framing_still_caught);
    RUN(bad_url_says_why);
    RUN(left_out_options_say_not_built_in);
    RUN(redirects_without_the_feature_deliver_the_3xx);
    RUN(credentials_in_the_url);
    RUN(https_says_not_built_in_without_tls);
    sink_free(&body);
    sink_free(&head);
    RUN(routing_options_without_the_feature_stop_the_transfer);
    RUN(header_api_or_not_built_in);
    RUN(default_callbacks_with_and_without_stdio);
    RUN(state_changes_are_legal);
    return t_done("switches");
}
