/* Compressed bodies end to end: nginx's gzip module (chunked) and
   gzip_static (with a length), and the fault server's hand-made answers,
   decoded as they stream. The bytes the program gets are the file's; a
   damaged stream, a decompression bomb, MAXFILESIZE on decoded bytes, a
   pause in the middle of a decoded body, HEAD, keep-alive after a coded
   body, no allocation per transfer once warm. The same program's view next
   to libcurl's is in tests/differential.c (decode-*). */
/* the state changes this suite must see (tests/transitions.h) */
#define MPT_MUST "S:SEND>RECV S:RECV>DONE"
#include "transitions.h" /* before the header: it watches the state changes */
#define MULTIPERFORM_IMPLEMENTATION
#include <curl/curl.h>
#include "helpers.h"
#include "t.h"

static char *text;  /* www/gzs/text.txt, as nginx serves it uncompressed */
static size_t textn;

static const char *gzs(const char *name)
{
    return fmt("http://127.0.0.1:%d/gzs/%s", nginx_port(), name);
}

static CURLcode get(xfer *x, const char *url, const char *ae)
{
    xfer_init(x, url);
    if (ae) curl_easy_setopt(x->h, CURLOPT_ACCEPT_ENCODING, ae);
    return run(x);
}

TEST(nginx_gzip_static_and_gzip_module)
{
    xfer x;
    /* gzip_static: the .gz file with its length */
    CHECK_EQ_LONG(get(&x, gzs("text.txt"), ""), CURLE_OK);
    CHECK(x.body.len == textn && memcmp(x.body.p, text, textn) == 0);
    CHECK(strstr(x.head.p, "Content-Encoding: gzip") != NULL);
    CHECK_EQ_LONG(info_off(x.h, CURLINFO_SIZE_DOWNLOAD_T), 120555); /* the coded bytes, as libcurl counts */
    xfer_free(&x);
    /* the gzip module: compressed as it goes, chunked */
    CHECK_EQ_LONG(get(&x, fmt("http://127.0.0.1:%d/gz/gzs/text.txt", nginx_port()), "gzip"), CURLE_OK);
    CHECK(x.body.len == textn && memcmp(x.body.p, text, textn) == 0);
    CHECK(strstr(x.head.p, "Transfer-Encoding: chunked") != NULL);
    xfer_free(&x);
    /* the pattern file through the module: a body of known bytes */
    CHECK_EQ_LONG(get(&x, fmt("http://127.0.0.1:%d/gz/f/large.bin", nginx_port()), "gzip"), CURLE_OK);
    CHECK(sink_is_pattern(&x.body, 64 * 1024 * 1024));
    xfer_free(&x);
    /* not asked for: the coded bytes as they are; decoding off: the same */
    CHECK_EQ_LONG(get(&x, fmt("http://127.0.0.1:%d/gz/gzs/text.txt", nginx_port()), NULL), CURLE_OK);
    CHECK(x.body.len == textn); /* (nginx compresses only for a client that asks) */
    xfer_free(&x);
    xfer_init(&x, gzs("text.txt"));
    curl_easy_setopt(x.h, CURLOPT_ACCEPT_ENCODING, "gzip");
    curl_easy_setopt(x.h, CURLOPT_HTTP_CONTENT_DECODING, 0L);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK(x.body.len == 120555 && (unsigned char)x.body.p[0] == 0x1f && (unsigned char)x.body.p[1] == 0x8b);
    xfer_free(&x);
}

TEST(damaged_streams_and_bombs_fail)
{
    xfer x;
    CHECK_EQ_LONG(get(&x, gzs("damaged.txt"), "gzip"), CURLE_BAD_CONTENT_ENCODING);
    CHECK(strstr(x.err, "incorrect data check") != NULL);
    xfer_free(&x);
    /* 20 MiB of zeros in 20 KB: refused past the first MiB, not delivered whole */
    CHECK_EQ_LONG(get(&x, gzs("bomb.bin"), "gzip"), CURLE_BAD_CONTENT_ENCODING);
    CHECK(strstr(x.err, "decompression bomb") != NULL);
    CHECK(x.body.len <= (2u << 20));
    xfer_free(&x);
    /* MAXFILESIZE counts the decoded bytes: at most the limit delivered */
    xfer_init(&x, gzs("bomb.bin"));
    curl_easy_setopt(x.h, CURLOPT_ACCEPT_ENCODING, "gzip");
    curl_easy_setopt(x.h, CURLOPT_MAXFILESIZE, 300000L);
    CHECK_EQ_LONG(run(&x), CURLE_FILESIZE_EXCEEDED);
    CHECK(x.body.len <= 300000 && x.body.len > 200000);
    xfer_free(&x);
    /* a coding that is not built in */
    CHECK_EQ_LONG(get(&x, raw_url("HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 3\r\n\r\nabc", "end=keep"),
                      "gzip"),
                  CURLE_BAD_CONTENT_ENCODING);
    xfer_free(&x);
    /* two codings at once are not built in either; identity changes nothing */
    CHECK_EQ_LONG(get(&x, raw_url("HTTP/1.1 200 OK\r\nContent-Encoding: gzip, gzip\r\nContent-Length: 3\r\n\r\nabc",
                                  "end=keep"),
                      "gzip"),
                  CURLE_BAD_CONTENT_ENCODING);
    xfer_free(&x);
    CHECK_EQ_LONG(get(&x, raw_url("HTTP/1.1 200 OK\r\nContent-Encoding: identity\r\nContent-Length: 3\r\n\r\nabc",
                                  "end=keep"),
                      "gzip"),
                  CURLE_OK);
    CHECK(x.body.len == 3 && memcmp(x.body.p, "abc", 3) == 0);
    xfer_free(&x);
}

/* Pauses the first two times body bytes come (after that takes them). */
static int pauses_left;
static size_t pause_twice(char *p, size_t size, size_t n, void *ud)
{
    if (pauses_left > 0) {
        pauses_left--;
        return CURL_WRITEFUNC_PAUSE;
    }
    return sink_write(p, size, n, ud);
}

TEST(a_pause_in_the_middle_of_a_decoded_body)
{
    CURLM *m = curl_multi_init();
    xfer x;
    int running = 1, loops = 0;
    double end = mono_ms() + 20000;
    xfer_init(&x, fmt("http://127.0.0.1:%d/gz/gzs/text.txt", nginx_port()));
    curl_easy_setopt(x.h, CURLOPT_ACCEPT_ENCODING, "gzip");
    curl_easy_setopt(x.h, CURLOPT_WRITEFUNCTION, pause_twice);
    curl_easy_setopt(x.h, CURLOPT_BUFFERSIZE, 1024L); /* small pieces: the pauses fall mid-stream */
    pauses_left = 2;
    curl_multi_add_handle(m, x.h);
    while (running && mono_ms() < end) {
        curl_multi_perform(m, &running);
        if (loops++ % 5 == 4) curl_easy_pause(x.h, CURLPAUSE_CONT);
        if (running) curl_multi_poll(m, NULL, 0, 20, NULL);
    }
    CHECK_EQ_LONG(pauses_left, 0);
    CHECK(x.body.len == textn && memcmp(x.body.p, text, textn) == 0);
    CHECK(x.body.biggest <= 1024);
    curl_multi_remove_handle(m, x.h);
    curl_multi_cleanup(m);
    xfer_free(&x);
}

/* Takes the bytes, then pauses with curl_easy_pause from inside the callback
   (as a rate limiter does): nothing more may come until it is unpaused. */
static CURL *pausing;
static int held, late_calls, self_pauses;
static size_t pause_from_inside(char *p, size_t size, size_t n, void *ud)
{
    if (held) late_calls++;
    held = 1;
    self_pauses++;
    curl_easy_pause(pausing, CURLPAUSE_RECV);
    return sink_write(p, size, n, ud);
}

TEST(easy_pause_inside_the_write_callback_holds_the_rest)
{
    int coded;
    for (coded = 0; coded < 2; coded++) {
        CURLM *m = curl_multi_init();
        xfer x;
        int running = 1;
        double end = mono_ms() + 20000;
        xfer_init(&x, fmt("http://127.0.0.1:%d/gz/gzs/text.txt", nginx_port()));
        if (coded) curl_easy_setopt(x.h, CURLOPT_ACCEPT_ENCODING, "gzip");
        curl_easy_setopt(x.h, CURLOPT_WRITEFUNCTION, pause_from_inside);
        curl_easy_setopt(x.h, CURLOPT_BUFFERSIZE, 4096L);
        pausing = x.h;
        held = late_calls = self_pauses = 0;
        curl_multi_add_handle(m, x.h);
        while (running && mono_ms() < end) {
            curl_multi_perform(m, &running);
            if (held) { /* a poll while paused: the rest must wait */
                curl_multi_poll(m, NULL, 0, 1, NULL);
                curl_multi_perform(m, &running);
                held = 0;
                curl_easy_pause(x.h, CURLPAUSE_CONT);
            }
            if (running) curl_multi_poll(m, NULL, 0, 20, NULL);
        }
        CHECKF(late_calls == 0, "coded %d: %d deliveries while paused", coded, late_calls);
        CHECKF(self_pauses > 2, "coded %d: %d pieces", coded, self_pauses);
        CHECKF(x.body.len == textn && memcmp(x.body.p, text, textn) == 0, "coded %d: %zu bytes of %zu", coded,
               x.body.len, textn);
        curl_multi_remove_handle(m, x.h);
        curl_multi_cleanup(m);
        xfer_free(&x);
    }
}

/* Counts the engine's allocations. */
static long allocations;
static void *counting_alloc(size_t n, void *u)
{
    (void)u;
    allocations++;
    return malloc(n);
}
static void counting_free(void *p, void *u)
{
    (void)u;
    free(p);
}

TEST(keep_alive_and_no_allocation_per_transfer_once_warm)
{
    mperf_allocator al = {counting_alloc, counting_free, NULL};
    mperf_multi *m = mperf_multi_init_alloc(&al);
    mperf_easy *e = mperf_easy_init_alloc(&al);
    sink body;
    int i;
    long before = 0;
    memset(&body, 0, sizeof body);
    mperf_easy_setopt(e, MPERF_OPT_URL, gzs("text.txt"));
    mperf_easy_setopt(e, MPERF_OPT_ACCEPT_ENCODING, "gzip");
    mperf_easy_setopt(e, MPERF_OPT_WRITEFUNCTION, sink_write);
    mperf_easy_setopt(e, MPERF_OPT_WRITEDATA, &body);
    for (i = 0; i < 6; i++) {
        int running = 1;
        double end = mono_ms() + 20000;
        if (i == 2) before = allocations;
        body.len = 0;
        mperf_multi_add_handle(m, e);
        while (running && mono_ms() < end) {
            mperf_multi_perform(m, &running);
            if (running) mperf_multi_poll(m, NULL, 0, 100, NULL);
        }
        mperf_multi_remove_handle(m, e);
        CHECK(body.len == textn && memcmp(body.p, text, textn) == 0);
        if (i > 0) CHECK_EQ_LONG(info_long(e, MPERF_INFO_NUM_CONNECTS), 0); /* the connection goes on */
    }
    CHECKF(allocations == before, "%ld allocations in 4 warm transfers", allocations - before);
    sink_free(&body);
    mperf_easy_cleanup(e);
    mperf_multi_cleanup(m);
}

TEST(head_and_bodiless_answers)
{
    xfer x;
    xfer_init(&x, gzs("text.txt"));
    curl_easy_setopt(x.h, CURLOPT_ACCEPT_ENCODING, "gzip");
    curl_easy_setopt(x.h, CURLOPT_NOBODY, 1L);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK_EQ_LONG(x.body.len, 0);
    xfer_free(&x);
    CHECK_EQ_LONG(get(&x, raw_url("HTTP/1.1 204 No Content\r\nContent-Encoding: gzip\r\n\r\n", "end=keep"), "gzip"),
                  CURLE_OK);
    xfer_free(&x);
    /* a redirect's coded body is dropped, not decoded: the next hop's is */
    xfer_init(&x, raw_url(fmt("HTTP/1.1 302 Found\r\nLocation: %s\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\n"
                              "junk",
                              gzs("text.txt")),
                          "end=keep"));
    curl_easy_setopt(x.h, CURLOPT_ACCEPT_ENCODING, "gzip");
    curl_easy_setopt(x.h, CURLOPT_FOLLOWLOCATION, 1L);
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK(x.body.len == textn && memcmp(x.body.p, text, textn) == 0);
    xfer_free(&x);
}

TEST(state_changes_are_legal)
{
    CHECK(mpt_check_transitions(MPT_MUST) == 0);
}

int main(void)
{
    const char *pki = getenv("MPT_PKI");
    char path[512];
    FILE *f;
    snprintf(path, sizeof path, "%s/../www/gzs/text.txt", pki ? pki : ".");
    f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "decoding: %s is missing (tests/servers.sh makes it)\n", path);
        return 2;
    }
    text = (char *)malloc(1 << 20);
    textn = fread(text, 1, 1 << 20, f);
    fclose(f);
    RUN(nginx_gzip_static_and_gzip_module);
    RUN(damaged_streams_and_bombs_fail);
    RUN(a_pause_in_the_middle_of_a_decoded_body);
    RUN(easy_pause_inside_the_write_callback_holds_the_rest);
    RUN(keep_alive_and_no_allocation_per_transfer_once_warm);
    RUN(head_and_bodiless_answers);
    RUN(state_changes_are_legal);
    free(text);
    return t_done("decoding");
}
