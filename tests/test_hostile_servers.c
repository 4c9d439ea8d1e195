/* Hostile servers over real sockets (the faultserver from tests/run.sh):
   endless headers, endless chunk extensions, a million 1-byte chunks, a body
   that never ends under a size limit, a reset at every phase, a server that
   accepts and never reads, a drip that never finishes. Each hostile transfer
   runs in one multi handle beside an ordinary download, and must end with
   its specific result, in bounded time and bounded memory (every byte the
   engine allocates is counted), while the bystander finishes intact. */
/* the state changes this suite must see (tests/transitions.h) */
#define MPT_MUST "S:RECV>DONE S:RECV>CONNECT B:NONE>SENDING"
#include "transitions.h" /* before the header: it watches the state changes */
#define MULTIPERFORM_IMPLEMENTATION
#include "../multiperform.h"
#include "helpers.h"
#include "t.h"

/* ---- a counting allocator: live bytes and their peak ---- */
typedef struct meter {
    size_t live, peak;
} meter;

static void *m_alloc(size_t n, void *user)
{
    meter *m = (meter *)user;
    size_t *p = (size_t *)malloc(n + 16);
    if (!p) return NULL;
    p[0] = n;
    m->live += n;
    if (m->live > m->peak) m->peak = m->live;
    return (char *)p + 16;
}

static void m_free(void *ptr, void *user)
{
    meter *m = (meter *)user;
    size_t *p;
    if (!ptr) return;
    p = (size_t *)(void *)((char *)ptr - 16);
    m->live -= p[0];
    free(p);
}

#define MEMORY_BOUND (2u * 1024 * 1024) /* hostile inputs below send up to 60 MB */

typedef struct outcome {
    mperf_code result;
    char err[MPERF_ERROR_SIZE];
    double seconds;
    size_t peak;
    long connects;
    int bystander_ok;
} outcome;

typedef void (*setup_fn)(mperf_easy *e);

/* Runs one hostile transfer (url, set up further by setup) beside a
   rate-limited 300 KB download from the other faultserver. */
static void run_hostile(const char *url, setup_fn setup, outcome *o)
{
    meter me;
    mperf_allocator al;
    mperf_multi *m;
    mperf_easy *h, *b;
    sink hs, bs;
    double t0 = mono_ms(), end = t0 + 40000;
    int running = 1, left, seen = 0;
    memset(&me, 0, sizeof me);
    memset(&hs, 0, sizeof hs);
    memset(&bs, 0, sizeof bs);
    memset(o, 0, sizeof *o);
    o->result = (mperf_code)-1;
    hs.count_only = 1; /* hostile bodies are not kept */
    al.alloc = m_alloc;
    al.free = m_free;
    al.user = &me;
    m = mperf_multi_init_alloc(&al);
    h = mperf_easy_init_alloc(&al);
    b = mperf_easy_init_alloc(&al);
    mperf_easy_setopt(h, MPERF_OPT_URL, url);
    mperf_easy_setopt(h, MPERF_OPT_WRITEFUNCTION, sink_write);
    mperf_easy_setopt(h, MPERF_OPT_WRITEDATA, &hs);
    mperf_easy_setopt(h, MPERF_OPT_ERRORBUFFER, o->err);
    mperf_easy_setopt(h, MPERF_OPT_TIMEOUT_MS, 10000L);
    if (setup) setup(h);
    mperf_easy_setopt(b, MPERF_OPT_URL, fmt("http://127.0.0.1:%d/gen/300000?rate=600000", env_int("MPT_FAULT2_PORT")));
    mperf_easy_setopt(b, MPERF_OPT_WRITEFUNCTION, sink_write);
    mperf_easy_setopt(b, MPERF_OPT_WRITEDATA, &bs);
    mperf_easy_setopt(b, MPERF_OPT_TIMEOUT_MS, 30000L);
    mperf_multi_add_handle(m, b);
    mperf_multi_add_handle(m, h);
    while (running && mono_ms() < end) {
        mperf_msg *msg;
        if (mperf_multi_perform(m, &running) != MPERF_M_OK) break;
        while ((msg = mperf_multi_info_read(m, &left)) != NULL) {
            if (msg->msg != MPERF_MSG_DONE) continue;
            if (msg->easy_handle == h) {
                o->result = msg->data.result;
                o->seconds = (mono_ms() - t0) / 1000.0;
                seen++;
            } else {
                o->bystander_ok = msg->data.result == MPERF_E_OK && sink_is_pattern(&bs, 300000);
            }
        }
        if (running) mperf_multi_poll(m, NULL, 0, 100, NULL);
    }
    if (seen != 1) o->result = (mperf_code)-2;
    mperf_easy_getinfo(h, MPERF_INFO_NUM_CONNECTS, &o->connects);
    mperf_multi_remove_handle(m, h);
    mperf_multi_remove_handle(m, b);
    mperf_easy_cleanup(h);
    mperf_easy_cleanup(b);
    mperf_multi_cleanup(m);
    o->peak = me.peak;
    CHECKF(me.live == 0, "%zu bytes still allocated after cleanup", me.live);
    sink_free(&hs);
    sink_free(&bs);
}

/* The checks every scenario shares. */
#define EXPECT(o, code, max_s)                                                                                         \
    do {                                                                                                               \
        CHECKF((o).result == (code), "result %d, want %d (%s)", (int)(o).result, (int)(code), (o).err);               \
        CHECKF((o).seconds < (max_s), "took %.1f s", (o).seconds);                                                    \
        CHECKF((o).peak < MEMORY_BOUND, "peak memory %zu bytes", (o).peak);                                           \
        CHECK((o).bystander_ok);                                                                                       \
        printf("  -> %d in %.2f s, peak %zu bytes: %s\n", (int)(o).result, (o).seconds, (o).peak, (o).err);           \
    } while (0)

/* Runs url as the hostile transfer (setup, when given, sets its options)
   and checks what every scenario shares: the result code, in time, within
   the memory bound, with the bystander intact. */
static void hostile(const char *url, void (*setup)(mperf_easy *), mperf_code code, double max_s)
{
    outcome o;
    run_hostile(url, setup, &o);
    EXPECT(o, code, max_s);
}

static const char *raw(const char *pre, const char *d, long rep, const char *post, const char *extra)
{
    return fmt("http://127.0.0.1:%d/raw?pre=%s&d=%s&rep=%ld&post=%s%s%s", fault_port(), pct(pre), pct(d), rep,
               pct(post ? post : ""), extra ? "&" : "", extra ? extra : "");
}

TEST(endless_headers)
{
    hostile(raw("HTTP/1.1 200 OK\r\n", "X-Filler: yyyyyyyyyyyyyyyyyyyy\r\n", 2000000, "", NULL),
            NULL, MPERF_E_WEIRD_SERVER_REPLY, 10);
}

TEST(endless_header_line)
{
    outcome o;
    run_hostile(raw("HTTP/1.1 200 OK\r\nX-Long: ", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1000000, "", NULL), NULL,
                &o);
    EXPECT(o, MPERF_E_WEIRD_SERVER_REPLY, 10);
}

TEST(endless_chunk_extensions)
{
    hostile(raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5", ";name=value", 5000000, "", NULL),
            NULL, MPERF_E_WEIRD_SERVER_REPLY, 10);
}

TEST(a_million_one_byte_chunks)
{
    hostile(raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "1\r\nx\r\n", 1000000, "0\r\n\r\n", NULL),
            NULL, MPERF_E_WEIRD_SERVER_REPLY, 10);
}

static void limit_2mb(mperf_easy *e)
{
    mperf_easy_setopt(e, MPERF_OPT_MAXFILESIZE_LARGE, (mperf_off_t)2 * 1024 * 1024);
}

TEST(endless_body_under_a_size_limit)
{
    static char kb[1025];
    outcome o;
    memset(kb, 'z', 1024);
    /* ended by close, so no length announces it: the limit must bite while it streams */
    run_hostile(raw("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", kb, 60000, "", "end=close"), limit_2mb, &o);
    EXPECT(o, MPERF_E_FILESIZE_EXCEEDED, 10);
    /* the same in chunks */
    run_hostile(raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", fmt("400\r\n%s\r\n", kb), 60000, "0\r\n\r\n",
                    NULL),
                limit_2mb, &o);
    EXPECT(o, MPERF_E_FILESIZE_EXCEEDED, 10);
}

TEST(reset_at_connect)
{
    outcome o;
    /* accepted, then reset at once: the connect itself may see it (its
       error flag), or the request's send, or the wait for the answer */
    run_hostile(fmt("http://127.0.0.1:%d/", env_int("MPT_RESETNOW_PORT")), NULL, &o);
    CHECKF(o.result == MPERF_E_COULDNT_CONNECT || o.result == MPERF_E_RECV_ERROR || o.result == MPERF_E_SEND_ERROR,
           "result %d (%s)", (int)o.result, o.err);
    CHECK(strstr(o.err, "reset") != NULL);
    CHECK(o.seconds < 10 && o.peak < MEMORY_BOUND && o.bystander_ok);
    printf("  -> %d in %.2f s: %s\n", (int)o.result, o.seconds, o.err);
}

static mperf_slist *big_post_headers;
static char *big_body;
#define BIG_BODY (8 * 1024 * 1024)

static void big_post(mperf_easy *e)
{
    mperf_easy_setopt(e, MPERF_OPT_POSTFIELDS, big_body);
    mperf_easy_setopt(e, MPERF_OPT_POSTFIELDSIZE_LARGE, (mperf_off_t)BIG_BODY);
    mperf_easy_setopt(e, MPERF_OPT_HTTPHEADER, big_post_headers);
}

TEST(reset_while_the_request_is_sent)
{
    outcome o;
    /* FIN, then a reset 50 ms later, while 8 MB are still going out */
    run_hostile(fmt("http://127.0.0.1:%d/reset-early", fault_port()), big_post, &o);
    /* which comes first decides the story: the close (nothing answered),
       the reset while sending, or the reset while reading */
    CHECKF(o.result == MPERF_E_SEND_ERROR || o.result == MPERF_E_RECV_ERROR || o.result == MPERF_E_GOT_NOTHING,
           "result %d (%s)", (int)o.result, o.err);
    CHECK(o.seconds < 10 && o.peak < MEMORY_BOUND && o.bystander_ok);
    printf("  -> %d in %.2f s: %s\n", (int)o.result, o.seconds, o.err);
}

TEST(reset_in_the_head)
{
    hostile(raw("HTTP/1.1 200 OK\r\nContent-Le", "", 0, "", "end=reset"), NULL, MPERF_E_RECV_ERROR, 10);
}

TEST(reset_in_the_body)
{
    hostile(raw("HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n", "0123456789", 20000, "", "end=reset"),
            NULL, MPERF_E_RECV_ERROR, 10);
}

TEST(reset_between_keepalive_requests)
{
    /* the first answer is complete; the server resets the connection when
       the second request arrives on it: the engine retries on a fresh one */
    mperf_multi *m = mperf_multi_init();
    mperf_easy *e = mperf_easy_init();
    sink s;
    long connects = 0;
    int i;
    memset(&s, 0, sizeof s);
    mperf_easy_setopt(e, MPERF_OPT_WRITEFUNCTION, sink_write);
    mperf_easy_setopt(e, MPERF_OPT_WRITEDATA, &s);
    mperf_easy_setopt(e, MPERF_OPT_TIMEOUT_MS, 10000L);
    for (i = 0; i < 2; i++) {
        int running = 1, left;
        double end = mono_ms() + 15000;
        mperf_msg *msg;
        mperf_code rc = (mperf_code)-1;
        sink_free(&s);
        mperf_easy_setopt(e, MPERF_OPT_URL,
                          i == 0 ? raw("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst", "", 0, "", "end=dropreset")
                                 : fmt("http://127.0.0.1:%d/gen/1000", fault_port()));
        mperf_multi_add_handle(m, e);
        while (running && mono_ms() < end) {
            mperf_multi_perform(m, &running);
            while ((msg = mperf_multi_info_read(m, &left)) != NULL)
                if (msg->msg == MPERF_MSG_DONE) rc = msg->data.result;
            if (running) mperf_multi_poll(m, NULL, 0, 100, NULL);
        }
        CHECK_EQ_LONG(rc, MPERF_E_OK);
        mperf_multi_remove_handle(m, e);
    }
    CHECK(sink_is_pattern(&s, 1000));
    mperf_easy_getinfo(e, MPERF_INFO_NUM_CONNECTS, &connects);
    CHECK_EQ_LONG(connects, 1); /* the second transfer needed one new connection */
    sink_free(&s);
    mperf_easy_cleanup(e);
    mperf_multi_cleanup(m);
}

static void short_timeout(mperf_easy *e)
{
    mperf_easy_setopt(e, MPERF_OPT_TIMEOUT_MS, 1500L);
}

static void big_post_short_timeout(mperf_easy *e)
{
    big_post(e);
    short_timeout(e);
}

TEST(server_accepts_and_never_reads)
{
    outcome o;
    run_hostile(fmt("http://127.0.0.1:%d/", env_int("MPT_NOREAD_PORT")), short_timeout, &o);
    EXPECT(o, MPERF_E_OPERATION_TIMEDOUT, 5);
    /* an 8 MB upload into a server that never reads: the send backs up, the timeout ends it */
    run_hostile(fmt("http://127.0.0.1:%d/upload", env_int("MPT_NOREAD_PORT")), big_post_short_timeout, &o);
    EXPECT(o, MPERF_E_OPERATION_TIMEDOUT, 5);
}

TEST(drip_that_never_finishes)
{
    outcome o;
    /* one byte of a chunk-size line every 50 ms, for ever: only the deadline ends it */
    run_hostile(raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "0", 1000000, "", "drip=1&gap=50"),
                short_timeout, &o);
    EXPECT(o, MPERF_E_OPERATION_TIMEDOUT, 5);
}

TEST(state_changes_are_legal)
{
    CHECK(mpt_check_transitions(MPT_MUST) == 0);
}

int main(void)
{
    big_body = (char *)malloc(BIG_BODY);
    memset(big_body, 'b', BIG_BODY);
    big_post_headers = mperf_slist_append(NULL, "Expect:"); /* no 100-continue wait: send at once */
    RUN(endless_headers);
    RUN(endless_header_line);
    RUN(endless_chunk_extensions);
    RUN(a_million_one_byte_chunks);
    RUN(endless_body_under_a_size_limit);
    RUN(reset_at_connect);
    RUN(reset_while_the_request_is_sent);
    RUN(reset_in_the_head);
    RUN(reset_in_the_body);
    RUN(reset_between_keepalive_requests);
    RUN(server_accepts_and_never_reads);
    RUN(drip_that_never_finishes);
    mperf_slist_free_all(big_post_headers);
    free(big_body);
    RUN(state_changes_are_legal);
    return t_done("hostile servers");
}
