/* Misuse of the API: NULL and stale handles, a handle of the other kind,
   adding twice or to two multis, removing and cleaning up from inside
   callbacks, options and infos of the wrong kind. Each gets an error code,
   never a crash (run under ASan/UBSan and valgrind). Needs the faultserver
   from tests/run.sh for the callback cases. */
/* the state changes this suite must see (tests/transitions.h) */
#define MPT_MUST "S:INIT>NONE S:INIT>DONE S:DONE>NONE"
#include "transitions.h" /* before the header: it watches the state changes */
#define MULTIPERFORM_IMPLEMENTATION
#include "../multiperform.h"
#include "helpers.h"
#include "t.h"

TEST(null_handles_everywhere)
{
    int running = 7, left = 7, maxfd = 7;
    long tmo = 7;
    CHECK_EQ_LONG(mperf_multi_cleanup(NULL), MPERF_M_BAD_HANDLE);
    CHECK_EQ_LONG(mperf_multi_add_handle(NULL, NULL), MPERF_M_BAD_HANDLE);
    CHECK_EQ_LONG(mperf_multi_remove_handle(NULL, NULL), MPERF_M_BAD_HANDLE);
    CHECK_EQ_LONG(mperf_multi_perform(NULL, &running), MPERF_M_BAD_HANDLE);
    CHECK_EQ_LONG(mperf_multi_poll(NULL, NULL, 0, 10, NULL), MPERF_M_BAD_HANDLE);
    CHECK_EQ_LONG(mperf_multi_wait(NULL, NULL, 0, 10, NULL), MPERF_M_BAD_HANDLE);
    CHECK_EQ_LONG(mperf_multi_wakeup(NULL), MPERF_M_BAD_HANDLE);
    CHECK_EQ_LONG(mperf_multi_timeout(NULL, &tmo), MPERF_M_BAD_HANDLE);
    CHECK_EQ_LONG(mperf_multi_fdset(NULL, NULL, NULL, NULL, &maxfd), MPERF_M_BAD_HANDLE);
    CHECK(mperf_multi_info_read(NULL, &left) == NULL);
    CHECK_EQ_LONG(mperf_multi_setopt(NULL, MPERF_MOPT_MAXCONNECTS, 5L), MPERF_M_BAD_HANDLE);
    CHECK(mperf_multi_get_handles(NULL) == NULL);
    CHECK_EQ_LONG(mperf_easy_setopt(NULL, MPERF_OPT_URL, "http://x/"), MPERF_E_BAD_FUNCTION_ARGUMENT);
    CHECK_EQ_LONG(mperf_easy_getinfo(NULL, MPERF_INFO_RESPONSE_CODE, &tmo), MPERF_E_BAD_FUNCTION_ARGUMENT);
    CHECK_EQ_LONG(mperf_easy_perform(NULL), MPERF_E_BAD_FUNCTION_ARGUMENT);
    CHECK_EQ_LONG(mperf_easy_pause(NULL, 0), MPERF_E_BAD_FUNCTION_ARGUMENT);
    CHECK(mperf_easy_duphandle(NULL) == NULL);
    mperf_easy_cleanup(NULL);
    mperf_easy_reset(NULL);
    mperf_free(NULL);
    mperf_slist_free_all(NULL);
    CHECK(mperf_slist_append(NULL, NULL) == NULL);
}

TEST(handles_of_the_wrong_kind_and_stale_ones)
{
    mperf_multi *m = mperf_multi_init();
    mperf_easy *e = mperf_easy_init();
    long v = 0;
    int running;
    /* each kind given where the other is expected */
    CHECK_EQ_LONG(mperf_easy_setopt((mperf_easy *)(void *)m, MPERF_OPT_URL, "http://x/"), MPERF_E_BAD_FUNCTION_ARGUMENT);
    CHECK_EQ_LONG(mperf_easy_perform((mperf_easy *)(void *)m), MPERF_E_BAD_FUNCTION_ARGUMENT);
    CHECK_EQ_LONG(mperf_multi_perform((mperf_multi *)(void *)e, &running), MPERF_M_BAD_HANDLE);
    CHECK_EQ_LONG(mperf_multi_add_handle(m, (mperf_easy *)(void *)m), MPERF_M_BAD_EASY_HANDLE);
    CHECK_EQ_LONG(mperf_multi_add_handle((mperf_multi *)(void *)e, e), MPERF_M_BAD_HANDLE);
    mperf_easy_cleanup((mperf_easy *)(void *)m); /* ignored: not an easy handle */
    CHECK_EQ_LONG(mperf_multi_cleanup((mperf_multi *)(void *)e), MPERF_M_BAD_HANDLE);
    /* memory that no longer holds a handle (cleanup clears the magic first) */
    {
        static long zeroed[1024];
        CHECK_EQ_LONG(mperf_easy_setopt((mperf_easy *)(void *)zeroed, MPERF_OPT_VERBOSE, 1L), MPERF_E_BAD_FUNCTION_ARGUMENT);
        CHECK_EQ_LONG(mperf_multi_add_handle(m, (mperf_easy *)(void *)zeroed), MPERF_M_BAD_EASY_HANDLE);
        CHECK_EQ_LONG(mperf_multi_perform((mperf_multi *)(void *)zeroed, &running), MPERF_M_BAD_HANDLE);
        mperf_easy_cleanup((mperf_easy *)(void *)zeroed);
    }
    CHECK_EQ_LONG(mperf_easy_getinfo(e, MPERF_INFO_RESPONSE_CODE, &v), MPERF_E_OK);
    mperf_easy_cleanup(e);
    mperf_multi_cleanup(m);
}

TEST(adding_twice_and_to_two_multis)
{
    mperf_multi *a = mperf_multi_init(), *b = mperf_multi_init();
    mperf_easy *e = mperf_easy_init();
    CHECK_EQ_LONG(mperf_multi_add_handle(a, e), MPERF_M_OK);
    CHECK_EQ_LONG(mperf_multi_add_handle(a, e), MPERF_M_ADDED_ALREADY);
    CHECK_EQ_LONG(mperf_multi_add_handle(b, e), MPERF_M_ADDED_ALREADY);
    CHECK_EQ_LONG(mperf_multi_remove_handle(b, e), MPERF_M_BAD_EASY_HANDLE); /* not b's */
    CHECK_EQ_LONG(mperf_easy_perform(e), MPERF_E_FAILED_INIT); /* in a multi already, as libcurl says */
    CHECK_EQ_LONG(mperf_multi_remove_handle(a, e), MPERF_M_OK);
    CHECK_EQ_LONG(mperf_multi_remove_handle(a, e), MPERF_M_OK); /* not added any more: nothing to do */
    CHECK_EQ_LONG(mperf_multi_add_handle(b, e), MPERF_M_OK);
    mperf_multi_cleanup(b); /* leaves e to us, detached */
    CHECK_EQ_LONG(mperf_multi_add_handle(a, e), MPERF_M_OK);
    mperf_easy_cleanup(e); /* removes itself */
    mperf_multi_cleanup(a);
}

TEST(options_and_infos_of_the_wrong_kind)
{
    mperf_multi *m = mperf_multi_init();
    mperf_easy *e = mperf_easy_init();
    long l = 0;
    char *s = NULL;
    double d = 0;
    CHECK_EQ_LONG(mperf_easy_setopt(e, 999999, 1L), MPERF_E_UNKNOWN_OPTION);
    CHECK_EQ_LONG(mperf_easy_setopt(e, -1, 1L), MPERF_E_UNKNOWN_OPTION);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_MOPT_MAX_HOST_CONNECTIONS, 1L), MPERF_E_UNKNOWN_OPTION); /* a multi option */
    /* an easy one (not URL: its number is SOCKETDATA's, as in libcurl) */
    CHECK_EQ_LONG(mperf_multi_setopt(m, MPERF_OPT_USERAGENT, "x"), MPERF_M_UNKNOWN_OPTION);
    CHECK_EQ_LONG(mperf_multi_setopt(m, 424242, 1L), MPERF_M_UNKNOWN_OPTION);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_TIMEOUT_MS, -5L), MPERF_E_BAD_FUNCTION_ARGUMENT);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_PORT, 70000L), MPERF_E_BAD_FUNCTION_ARGUMENT);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_SSL_VERIFYHOST, 7L), MPERF_E_BAD_FUNCTION_ARGUMENT);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_HTTP_VERSION, 99L), MPERF_E_UNSUPPORTED_PROTOCOL);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_URL, (char *)NULL), MPERF_E_OK); /* NULL clears */
    CHECK_EQ_LONG(mperf_easy_getinfo(e, 777777, &l), MPERF_E_UNKNOWN_OPTION);
    /* a known number with another type, or with bits outside the type and number: never written as the wrong type */
    CHECK_EQ_LONG(mperf_easy_getinfo(e, MPERF_INFO_LONG + 1, &l), MPERF_E_UNKNOWN_OPTION);
    CHECK_EQ_LONG(mperf_easy_getinfo(e, MPERF_INFO_STRING + 2, &s), MPERF_E_UNKNOWN_OPTION);
    CHECK_EQ_LONG(mperf_easy_getinfo(e, MPERF_INFO_DOUBLE + 50, &l), MPERF_E_UNKNOWN_OPTION);
    CHECK_EQ_LONG(mperf_easy_getinfo(e, 0x700000 + 2, &l), MPERF_E_UNKNOWN_OPTION);
    CHECK_EQ_LONG(mperf_easy_getinfo(e, 0x1000000 | MPERF_INFO_RESPONSE_CODE, &l), MPERF_E_UNKNOWN_OPTION);
    CHECK_EQ_LONG(mperf_easy_getinfo(e, -1, &l), MPERF_E_UNKNOWN_OPTION);
    CHECK_EQ_LONG(mperf_easy_getinfo(e, MPERF_INFO_LONG + 61, &l), MPERF_E_UNKNOWN_OPTION);
    CHECK_EQ_LONG(mperf_easy_getinfo(e, MPERF_INFO_LONG + 14, &l), MPERF_E_UNKNOWN_OPTION); /* FILETIME: not kept */
    CHECK_EQ_LONG(mperf_easy_getinfo(e, MPERF_INFO_RESPONSE_CODE, (long *)NULL), MPERF_E_BAD_FUNCTION_ARGUMENT);
    CHECK_EQ_LONG(mperf_easy_getinfo(e, MPERF_INFO_EFFECTIVE_URL, &s), MPERF_E_OK);
    CHECK_EQ_LONG(mperf_easy_getinfo(e, MPERF_INFO_TOTAL_TIME, &d), MPERF_E_OK);
    CHECK_EQ_LONG(mperf_easy_pause(e, 0x7777), MPERF_E_OK); /* not running: nothing to pause */
    CHECK(strcmp(mperf_easy_strerror((mperf_code)12345), "Unknown error") == 0);
    CHECK(strcmp(mperf_easy_strerror((mperf_code)-3), "Unknown error") == 0);
    CHECK(strcmp(mperf_multi_strerror((mperf_mcode)999), "Unknown error") == 0);
    /* perform without a URL: a completed transfer with an error, not a crash */
    CHECK_EQ_LONG(mperf_easy_perform(e), MPERF_E_URL_MALFORMAT);
    mperf_easy_cleanup(e);
    mperf_multi_cleanup(m);
}

/* Options the table sets by kind (sizes, callbacks), the protocol lists, and
   the address text asked for before any connection. */
static size_t no_write(char *p, size_t size, size_t n, void *ud)
{
    (void)p, (void)ud;
    return size * n;
}

TEST(option_values_by_kind)
{
    mperf_easy *e = mperf_easy_init();
    char *s = NULL;
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_POSTFIELDSIZE, -2L), MPERF_E_BAD_FUNCTION_ARGUMENT);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_POSTFIELDSIZE, -1L), MPERF_E_OK);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_INFILESIZE_LARGE, (mperf_off_t)-2), MPERF_E_BAD_FUNCTION_ARGUMENT);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_INFILESIZE_LARGE, (mperf_off_t)5000000000LL), MPERF_E_OK);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_MAXFILESIZE, -1L), MPERF_E_BAD_FUNCTION_ARGUMENT);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_MAXFILESIZE_LARGE, (mperf_off_t)-1), MPERF_E_BAD_FUNCTION_ARGUMENT);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_MAXFILESIZE_LARGE, (mperf_off_t)0), MPERF_E_OK);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_WRITEFUNCTION, no_write), MPERF_E_OK);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_WRITEFUNCTION, (mperf_write_callback)NULL), MPERF_E_OK);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_PROTOCOLS_STR, "gopher"), MPERF_E_BAD_FUNCTION_ARGUMENT);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_PROTOCOLS_STR, "http,htt"), MPERF_E_BAD_FUNCTION_ARGUMENT);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_PROTOCOLS_STR, (char *)NULL), MPERF_E_BAD_FUNCTION_ARGUMENT);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_PROTOCOLS_STR, "HTTPS,,FTP,ftps,All"), MPERF_E_OK);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_REDIR_PROTOCOLS_STR, ",https,"), MPERF_E_OK);
    /* no address before a connection */
    CHECK_EQ_LONG(mperf_easy_getinfo(e, MPERF_INFO_PRIMARY_IP, &s), MPERF_E_OK);
    CHECK(s && s[0] == 0);
    /* a list without http refuses an http URL before connecting (port 9 is never asked) */
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_URL, "http://127.0.0.1:9/"), MPERF_E_OK);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_PROTOCOLS_STR, "ftp,https"), MPERF_E_OK);
    CHECK_EQ_LONG(mperf_easy_perform(e), MPERF_E_UNSUPPORTED_PROTOCOL);
    CHECK_EQ_LONG(mperf_easy_setopt(e, MPERF_OPT_PROTOCOLS_STR, ""), MPERF_E_OK);
    CHECK_EQ_LONG(mperf_easy_perform(e), MPERF_E_UNSUPPORTED_PROTOCOL);
    CHECK_EQ_LONG(mperf_easy_getinfo(e, MPERF_INFO_PRIMARY_IP, &s), MPERF_E_OK);
    CHECK(s && s[0] == 0);
    mperf_easy_cleanup(e);
}

/* ---- from inside callbacks ---- */
static mperf_multi *cb_multi;
static mperf_easy *cb_other;
static int cb_codes[4];

static size_t removing_write(char *p, size_t size, size_t n, void *ud)
{
    mperf_easy *self = (mperf_easy *)ud;
    (void)p;
    cb_codes[0] = (int)mperf_multi_remove_handle(cb_multi, self);     /* itself */
    cb_codes[1] = (int)mperf_multi_remove_handle(cb_multi, cb_other); /* another */
    cb_codes[2] = (int)mperf_multi_cleanup(cb_multi);
    mperf_easy_cleanup(self); /* ignored while its callback runs */
    cb_codes[3] = (int)mperf_easy_setopt(self, MPERF_OPT_PRIVATE, (void *)self); /* still a live handle */
    return size * n;
}

TEST(removing_and_cleaning_up_from_inside_callbacks)
{
    mperf_multi *m = mperf_multi_init();
    mperf_easy *e = mperf_easy_init(), *o = mperf_easy_init();
    sink s;
    int running = 1, left, done = 0;
    double end = mono_ms() + 20000;
    mperf_msg *msg;
    memset(&s, 0, sizeof s);
    cb_multi = m;
    cb_other = o;
    mperf_easy_setopt(e, MPERF_OPT_URL, fmt("http://127.0.0.1:%d/gen/5000", fault_port()));
    mperf_easy_setopt(e, MPERF_OPT_WRITEFUNCTION, removing_write);
    mperf_easy_setopt(e, MPERF_OPT_WRITEDATA, e);
    mperf_easy_setopt(o, MPERF_OPT_URL, fmt("http://127.0.0.1:%d/gen/5000", fault_port()));
    mperf_easy_setopt(o, MPERF_OPT_WRITEFUNCTION, sink_write);
    mperf_easy_setopt(o, MPERF_OPT_WRITEDATA, &s);
    mperf_multi_add_handle(m, o);
    mperf_multi_add_handle(m, e);
    while (running && mono_ms() < end) {
        CHECK_EQ_LONG(mperf_multi_perform(m, &running), MPERF_M_OK);
        while ((msg = mperf_multi_info_read(m, &left)) != NULL)
            if (msg->msg == MPERF_MSG_DONE && msg->data.result == MPERF_E_OK) done++;
        if (running) mperf_multi_poll(m, NULL, 0, 100, NULL);
    }
    CHECK_EQ_LONG(running, 0);
    CHECK_EQ_LONG(done, 2);
    CHECK_EQ_LONG(cb_codes[0], MPERF_M_RECURSIVE_API_CALL);
    CHECK_EQ_LONG(cb_codes[1], MPERF_M_RECURSIVE_API_CALL);
    CHECK_EQ_LONG(cb_codes[2], MPERF_M_RECURSIVE_API_CALL);
    CHECK_EQ_LONG(cb_codes[3], MPERF_E_OK);
    CHECK(sink_is_pattern(&s, 5000));
    mperf_multi_remove_handle(m, e);
    mperf_multi_remove_handle(m, o);
    mperf_easy_cleanup(e);
    mperf_easy_cleanup(o);
    mperf_multi_cleanup(m);
    sink_free(&s);
}

TEST(state_changes_are_legal)
{
    CHECK(mpt_check_transitions(MPT_MUST) == 0);
}

int main(void)
{
    RUN(null_handles_everywhere);
    RUN(handles_of_the_wrong_kind_and_stale_ones);
    RUN(adding_twice_and_to_two_multis);
    RUN(options_and_infos_of_the_wrong_kind);
    RUN(option_values_by_kind);
    RUN(removing_and_cleaning_up_from_inside_callbacks);
    RUN(state_changes_are_legal);
    return t_done("API misuse");
}
