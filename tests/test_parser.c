/* Response parser unit tests: every case is fed whole, byte by byte, and
   split in two at every offset; the event log and the result must not change.
   The hostile inputs are RFC 9112's rules for a client and the framing
   tricks of published request-smuggling and parser CVEs. */
static unsigned long scanned; /* bytes the line scanner looked at */
#define MPX_TEST_SCANNED(n) (scanned += (n))
#define MULTIPERFORM_IMPLEMENTATION
#include "../multiperform.h"
#include "t.h"
#include "sample_head.h"

typedef struct pcase {
    const char *name;
    const char *in;
    size_t len;
    int head;        /* the request was HEAD */
    int eof;         /* the server closes after the input */
    int want;        /* expected result: 0 OK, else an mperf_code, -1 still incomplete */
    int status;      /* expected final status (0: do not check) */
    const char *body;
    int keepalive;   /* expected, when want is 0: 1 reusable, 0 not, -1 do not check */
} pcase;

#define S(lit) lit, sizeof(lit) - 1

/* The result of one feeding: a log of events and the body. */
typedef struct run {
    char log[4096];
    size_t loglen;
    char *body;
    size_t bodylen, bodycap;
    int result;
    int status;
    int keepalive;
    int last_was_body;
} run;

static void logf_(run *r, const char *fmt, ...)
{
    va_list ap;
    int n;
    if (r->loglen >= sizeof r->log - 1) return;
    va_start(ap, fmt);
    n = vsnprintf(r->log + r->loglen, sizeof r->log - r->loglen, fmt, ap);
    va_end(ap);
    if (n > 0) r->loglen += (size_t)n;
    if (r->loglen > sizeof r->log - 1) r->loglen = sizeof r->log - 1;
}

static void body_add(run *r, const char *p, size_t n)
{
    if (r->bodylen + n > r->bodycap) {
        r->bodycap = (r->bodylen + n) * 2 + 64;
        r->body = (char *)realloc(r->body, r->bodycap);
    }
    memcpy(r->body + r->bodylen, p, n);
    r->bodylen += n;
}

/* Handles one event; returns 1 when parsing is over. */
static int record(run *r, mpx_parser *p, const mpx_pev *ev)
{
    if (ev->type != MPX_EV_BODY) r->last_was_body = 0;
    switch (ev->type) {
    case MPX_EV_STATUS: logf_(r, "S%d;", p->status); return 0;
    case MPX_EV_FIELD: logf_(r, "F%.*s=%.*s;", (int)ev->namelen, ev->line, (int)ev->valuelen, ev->value); return 0;
    case MPX_EV_TRAILER: logf_(r, "T%.*s=%.*s;", (int)ev->namelen, ev->line, (int)ev->valuelen, ev->value); return 0;
    case MPX_EV_HEAD_END: logf_(r, "H%d;", p->interim); return 0;
    case MPX_EV_TRAILERS_END: logf_(r, "E;"); return 0;
    case MPX_EV_BODY:
        if (!r->last_was_body) logf_(r, "B;");
        r->last_was_body = 1;
        body_add(r, ev->data, ev->datalen);
        return 0;
    case MPX_EV_DONE:
        logf_(r, "D;");
        r->result = 0;
        r->status = p->status;
        r->keepalive = p->keepalive;
        return 1;
    case MPX_EV_ERROR:
        logf_(r, "X%d;", p->error);
        r->result = p->error;
        return 1;
    }
    return 0;
}

/* Feeds the input in pieces cut at cuts[0..ncuts) (increasing offsets),
   taking up to `many` events a call. */
static void feed(const pcase *c, const size_t *cuts, size_t ncuts, unsigned many, run *r)
{
    mpx_parser p;
    char *buf = (char *)malloc(c->len + 1);
    size_t blen = 0, fed = 0, k;
    int over = 0;
    memset(r, 0, sizeof *r);
    r->result = -1;
    mpx_parser_init(&p, c->head, 0);
    for (k = 0; k <= ncuts && !over; k++) {
        size_t end = k < ncuts ? cuts[k] : c->len;
        memcpy(buf + blen, c->in + fed, end - fed);
        blen += end - fed;
        fed = end;
        for (;;) {
            mpx_pev ev[16];
            size_t n;
            unsigned got, e;
            memset(ev, 0, sizeof ev);
            got = mpx_parse(&p, buf, blen, ev, many, &n);
            for (e = 0; e < got && !over; e++) {
                if (e + 1 < got && ev[e].type != MPX_EV_STATUS && ev[e].type != MPX_EV_FIELD)
                    logf_(r, "!%d before the last;", ev[e].type); /* never: the parse would differ */
                if (ev[e].type != MPX_EV_NEED) over = record(r, &p, &ev[e]);
            }
            memmove(buf, buf + n, blen - n);
            blen -= n;
            if (over || ev[got - 1].type == MPX_EV_NEED) break;
        }
    }
    if (!over && c->eof) {
        mpx_pev ev;
        memset(&ev, 0, sizeof ev);
        mpx_parse_eof(&p, &ev);
        record(r, &p, &ev);
    }
    free(buf);
}

/* Two runs gave the same events, result and body. */
static int same(const run *a, const run *b)
{
    return a->result == b->result && strcmp(a->log, b->log) == 0 && a->bodylen == b->bodylen &&
           (!a->bodylen || memcmp(a->body, b->body, a->bodylen) == 0);
}

static void check_case(const pcase *c)
{
    run whole, other;
    size_t i, *cuts = (size_t *)malloc((c->len + 1) * sizeof(size_t));
    feed(c, NULL, 0, 1, &whole);
    CHECKF(whole.result == c->want, "%s: result %d, want %d (log %s)", c->name, whole.result, c->want, whole.log);
    /* many events a call, as the engine takes them: 16, and 3 to end batches mid-head */
    feed(c, NULL, 0, 16, &other);
    CHECKF(same(&other, &whole), "%s: 16 events a call differ: %s vs %s", c->name, other.log, whole.log);
    free(other.body);
    feed(c, NULL, 0, 3, &other);
    CHECKF(same(&other, &whole), "%s: 3 events a call differ: %s vs %s", c->name, other.log, whole.log);
    free(other.body);
    if (c->want == 0) {
        if (c->status) CHECKF(whole.status == c->status, "%s: status %d want %d", c->name, whole.status, c->status);
        if (c->body)
            CHECKF(whole.bodylen == strlen(c->body) && (whole.bodylen == 0 || memcmp(whole.body, c->body, whole.bodylen) == 0),
                   "%s: body '%.*s' want '%s'", c->name, (int)whole.bodylen, whole.body ? whole.body : "", c->body);
        if (c->keepalive >= 0)
            CHECKF(whole.keepalive == c->keepalive, "%s: keepalive %d want %d", c->name, whole.keepalive, c->keepalive);
    }
    /* byte by byte */
    for (i = 0; i < c->len; i++) cuts[i] = i + 1;
    feed(c, cuts, c->len, 1, &other);
    CHECKF(same(&other, &whole), "%s: byte by byte differs: %s vs %s", c->name, other.log, whole.log);
    free(other.body);
    /* every split in two, one or 16 events a call in turn */
    for (i = 1; i < c->len; i++) {
        cuts[0] = i;
        feed(c, cuts, 1, i & 1 ? 16 : 1, &other);
        if (!same(&other, &whole)) {
            CHECKF(0, "%s: split at %zu differs: %s vs %s", c->name, i, other.log, whole.log);
            free(other.body);
            break;
        }
        free(other.body);
    }
    free(whole.body);
    free(cuts);
}

#define OK 0
#define WEIRD MPERF_E_WEIRD_SERVER_REPLY
#define PARTIAL MPERF_E_PARTIAL_FILE
#define BADENC MPERF_E_BAD_CONTENT_ENCODING
#define UNSUP MPERF_E_UNSUPPORTED_PROTOCOL
#define NOTHING MPERF_E_GOT_NOTHING

static const pcase valid_cases[] = {
    {"content-length", S("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"), 0, 0, OK, 200, "hello", 1},
    {"bare LF lines", S("HTTP/1.1 200 OK\nContent-Length: 5\n\nhello"), 0, 0, OK, 200, "hello", 1},
    {"no reason phrase", S("HTTP/1.1 204\r\n\r\n"), 0, 0, OK, 204, "", 1},
    {"no reason, no space", S("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n"), 0, 0, OK, 200, "", 1},
    {"reason with tab and obs-text", S("HTTP/1.1 200 \xe9t\tok\r\nContent-Length: 1\r\n\r\nx"), 0, 0, OK, 200, "x", 1},
    {"chunked with extensions and trailer",
     S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b;c=\"d;e\\\"\"\r\nhello\r\n6 ; x\r\n world\r\n0\r\nX-T: 1\r\n\r\n"),
     0, 0, OK, 200, "hello world", 1},
    {"chunked hex case and zeros", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n00A\r\n0123456789\r\n0000\r\n\r\n"), 0,
     0, OK, 200, "0123456789", 1},
    {"chunked with trailing close", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n"), 0, 1, OK, 200,
     "a", 1},
    {"close-delimited", S("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nabc"), 0, 1, OK, 200, "abc", 0},
    {"close-delimited empty", S("HTTP/1.1 200 OK\r\n\r\n"), 0, 1, OK, 200, "", 0},
    {"HEAD ignores length", S("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"), 1, 0, OK, 200, "", 1},
    {"HEAD ignores chunked", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), 1, 0, OK, 200, "", 1},
    {"204 ignores length", S("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n"), 0, 0, OK, 204, "", 1},
    {"304 ignores chunked", S("HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n"), 0, 0, OK, 304, "", 1},
    {"1xx before the final head",
     S("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
     0, 0, OK, 200, "ok", 1},
    {"1xx length is not framing", S("HTTP/1.1 102 Processing\r\nContent-Length: 9\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz"), 0,
     0, OK, 200, "z", 1},
    {"1xx framing fields are not read",
     S("HTTP/1.1 103 Early Hints\r\nContent-Length: nine\r\nTransfer-Encoding: gzip\r\nX-Pad: pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz"),
     0, 0, OK, 200, "z", 1},
    {"obs-fold", S("HTTP/1.1 200 OK\r\nX-Folded: a\r\n  b\r\n\tc\r\nContent-Length: 1\r\n\r\nq"), 0, 0, OK, 200, "q", 1},
    {"length list of equal values", S("HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\nabc"), 0, 0, OK, 200, "abc", 1},
    {"length twice, equal", S("HTTP/1.1 200 OK\r\nContent-Length: 3\r\ncontent-length:3\r\n\r\nabc"), 0, 0, OK, 200, "abc", 1},
    {"HTTP/1.0 closes", S("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\na"), 0, 0, OK, 200, "a", 0},
    {"HTTP/1.0 keep-alive", S("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\na"), 0, 0, OK, 200, "a", 1},
    {"Connection: close", S("HTTP/1.1 200 OK\r\nConnection: foo, CLOSE\r\nContent-Length: 1\r\n\r\na"), 0, 0, OK, 200, "a", 0},
    {"HTTP/1.0 keep-alive in a list", S("HTTP/1.0 200 OK\r\nConnection: te, keep-alive\r\nContent-Length: 1\r\n\r\na"), 0, 0, OK, 200,
     "a", 1},
    {"HTTP/1.0 keep-alive and close", S("HTTP/1.0 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 1\r\n\r\na"), 0, 0, OK,
     200, "a", 0},
    {"HTTP/1.0 not quite keep-alive", S("HTTP/1.0 200 OK\r\nConnection: keep-alivx\r\nContent-Length: 1\r\n\r\na"), 0, 0, OK, 200,
     "a", 0},
    {"HTTP/1.0 keep-alive folded apart", S("HTTP/1.0 200 OK\r\nConnection: keep\r\n -alive\r\nContent-Length: 1\r\n\r\na"), 0, 0, OK,
     200, "a", 0},
    {"HTTP/1.2 is 1.1", S("HTTP/1.2 200 OK\r\nContent-Length: 1\r\n\r\na"), 0, 0, OK, 200, "a", 1},
    {"chunked overrides length, no reuse",
     S("HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n"), 0, 0, OK, 200, "ab", 0},
    {"empty value", S("HTTP/1.1 200 OK\r\nX-Empty:\r\nX-Sp:   \r\nContent-Length: 0\r\n\r\n"), 0, 0, OK, 200, "", 1},
    {"trailer cannot reframe", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nContent-Length: 99\r\n\r\n"), 0, 0,
     OK, 200, "", 1},
    {"status 599", S("HTTP/1.1 599 Odd\r\nContent-Length: 0\r\n\r\n"), 0, 0, OK, 599, "", 1},
    {"obs-text in a value", S("HTTP/1.1 200 OK\r\nX-Utf8: \xc3\xa9\xff\r\nContent-Length: 0\r\n\r\n"), 0, 0, OK, 200, "", 1},
    {"largest chunk size is no overflow", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nab"), 0, 1,
     PARTIAL, 0, NULL, -1},
    {"long lines (the 64-byte scan)",
     S("HTTP/1.1 200 OK\r\nX-Pad-A: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nX-Pad-B:    spaced value with trailing   \r\nX-Tab: one\ttwo\r\nX-Obs: \xe9""\xff""\x80"" text\r\nX-Empty:\r\nX-Empty-Sp:    \r\nX-Long-Line: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\nX-Long-Line2: ccccccccccccccccccccccccccccccccccccccccccccccccc\r\nX-Longer: dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd\r\nCONTENT-length: 5\r\nconnection: KEEP-ALIVE\r\n\r\nhello"),
     0, 0, OK, 200, "hello", 1},
    {"HTTP/1.0 keep-alive after a long line",
     S("HTTP/1.0 200 OK\r\nServer: ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nok"),
     0, 0, OK, 200, "ok", 1},
    {"trailers after a long head",
     S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Pad: pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp\r\n\r\n5\r\nhello\r\n0\r\nX-Trailer-One: ttttttttttttttttttttttttttttttttttttttttttttttttttttttt\r\nX-T2: v\r\n\r\n"),
     0, 0, OK, 200, "hello", 1},
    {"trailers never reuse the head's scan", /* a stale scan would see the extension's colon */
     S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: v\r\n\r\n1;e=\":\"\r\nZ\r\n0\r\nAbcdef:\r\nX-Pad: "
       "pppppppppppppppppppppppppppppppppppppppp\r\n\r\n"),
     0, 0, OK, 200, "Z", 1},
    {"fold in a long line",
     S("HTTP/1.1 200 OK\r\nX-F: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n more\r\nContent-Length: 1\r\nX-Pad: qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq\r\n\r\nz"),
     0, 0, OK, 200, "z", 1},
};

static const pcase hostile_cases[] = {
    {"CTL deep in a long value",
     S("HTTP/1.1 200 OK\r\nX-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\x01""bbbbbbbbbbbbbbbbbbbb\r\nContent-Length: 0\r\n\r\n"),
     0, 0, WEIRD, 0, NULL, -1},
    {"bare CR in a long line",
     S("HTTP/1.1 200 OK\r\nX-A: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\rbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\nContent-Length: 0\r\n\r\n"),
     0, 0, WEIRD, 0, NULL, -1},
    {"space in a name of a long line",
     S("HTTP/1.1 200 OK\r\nX-Bad Name: vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv\r\nContent-Length: 0\r\n\r\n"),
     0, 0, WEIRD, 0, NULL, -1},
    {"bad length after a long line",
     S("HTTP/1.1 200 OK\r\nX-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nContent-Length: 5x\r\nX-Pad2: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n\r\nhello"),
     0, 0, WEIRD, 0, NULL, -1},
    {"DEL in a long name",
     S("HTTP/1.1 200 OK\r\nX-Pad\x7f"": aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nContent-Length: 0\r\n\r\n"),
     0, 0, WEIRD, 0, NULL, -1},

    /* start line */
    {"CR CR in status line", S("HTTP/1.1 200 OK\r\rContent-Length: 4\r\n\r\nEvil"), 0, 0, WEIRD, 0, NULL, -1},
    {"lowercase version", S("http/1.1 200 OK\r\n\r\n"), 0, 0, UNSUP, 0, NULL, -1},
    {"HTTP/1. version", S("HTTP/1. 200 OK\r\n\r\n"), 0, 0, WEIRD, 0, NULL, -1},
    {"HTTP/1.10 version", S("HTTP/1.10 200 OK\r\n\r\n"), 0, 0, WEIRD, 0, NULL, -1},
    {"HTTP/2 in an HTTP/1 status line", S("HTTP/2.0 200 OK\r\n\r\n"), 0, 0, UNSUP, 0, NULL, -1},
    {"two-digit status", S("HTTP/1.1 20 OK\r\n\r\n"), 0, 0, WEIRD, 0, NULL, -1},
    {"status below 100", S("HTTP/1.1 099 Low\r\n\r\n"), 0, 0, WEIRD, 0, NULL, -1},
    {"four-digit status", S("HTTP/1.1 2000 OK\r\n\r\n"), 0, 0, WEIRD, 0, NULL, -1},
    {"HTTP/0.9 body", S("hello world\n"), 0, 1, UNSUP, 0, NULL, -1},
    {"NUL in reason", S("HTTP/1.1 200 O\0K\r\n\r\n"), 0, 0, WEIRD, 0, NULL, -1},
    {"101 is unexpected", S("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n"), 0, 0, WEIRD, 0, NULL, -1},
    {"whitespace before first field", S("HTTP/1.1 200 OK\r\n Transfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\nx"), 0, 0,
     WEIRD, 0, NULL, -1},
    /* fields */
    {"space before colon", S("HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello"), 0, 0, WEIRD, 0, NULL, -1},
    {"no colon", S("HTTP/1.1 200 OK\r\nContent-Length 10\r\n\r\n"), 0, 0, WEIRD, 0, NULL, -1},
    {"empty name", S("HTTP/1.1 200 OK\r\n: x\r\n\r\n"), 0, 0, WEIRD, 0, NULL, -1},
    {"CR inside name", S("HTTP/1.1 200 OK\r\nContent-Length\r: 5\r\n\r\nhello"), 0, 0, WEIRD, 0, NULL, -1},
    {"bare CR smuggles a field", S("HTTP/1.1 200 OK\r\nX-Abc: \rxTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\nx"), 0, 0,
     WEIRD, 0, NULL, -1},
    {"head ended by CR LF CR X", S("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\rX\r\n\r\nx"), 0, 0, WEIRD, 0, NULL, -1},
    {"NUL in value", S("HTTP/1.1 200 OK\r\nX-A: a\0b\r\nContent-Length: 0\r\n\r\n"), 0, 0, WEIRD, 0, NULL, -1},
    {"control char in value", S("HTTP/1.1 200 OK\r\nX-A: a\x01" "b\r\nContent-Length: 0\r\n\r\n"), 0, 0, WEIRD, 0, NULL, -1},
    /* Content-Length */
    {"length with plus", S("HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello"), 0, 0, WEIRD, 0, NULL, -1},
    {"length in hex", S("HTTP/1.1 200 OK\r\nContent-Length: 0x5\r\n\r\nhello"), 0, 0, WEIRD, 0, NULL, -1},
    {"length with inner space", S("HTTP/1.1 200 OK\r\nContent-Length: 5 5\r\n\r\nhello"), 0, 0, WEIRD, 0, NULL, -1},
    {"empty length", S("HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\nhello"), 0, 0, WEIRD, 0, NULL, -1},
    {"negative length", S("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nhello"), 0, 0, WEIRD, 0, NULL, -1},
    {"length overflow", S("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\nhello"), 0, 0, WEIRD, 0, NULL, -1},
    {"conflicting lengths", S("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"), 0, 0, WEIRD, 0, NULL, -1},
    {"conflicting length list", S("HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello!"), 0, 0, WEIRD, 0, NULL, -1},
    {"length list with empty item", S("HTTP/1.1 200 OK\r\nContent-Length: 5,,5\r\n\r\nhello"), 0, 0, WEIRD, 0, NULL, -1},
    {"folded length", S("HTTP/1.1 200 OK\r\nContent-Length:\r\n 5\r\n\r\nhello"), 0, 0, WEIRD, 0, NULL, -1},
    /* Transfer-Encoding */
    {"folded transfer-encoding", S("HTTP/1.1 200 OK\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n"), 0, 0, WEIRD, 0, NULL, -1},
    {"xchunked", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n"), 0, 0, BADENC, 0, NULL, -1},
    {"chunked then identity", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n"), 0, 0,
     BADENC, 0, NULL, -1},
    {"gzip, chunked", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"), 0, 0, BADENC, 0, NULL, -1},
    {"chunked twice", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n"), 0, 0, WEIRD, 0, NULL, -1},
    {"chunkedchunked", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunkedchunked\r\n\r\n0\r\n\r\n"), 0, 0, BADENC, 0, NULL, -1},
    {"empty transfer-encoding", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: \r\n\r\n0\r\n\r\n"), 0, 0, WEIRD, 0, NULL, -1},
    /* chunk lines */
    {"chunk size with plus", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n+a\r\n0123456789\r\n0\r\n\r\n"), 0, 0, WEIRD, 0,
     NULL, -1},
    {"chunk size 0x", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x10\r\n0123456789abcdef\r\n0\r\n\r\n"), 0, 0, WEIRD, 0,
     NULL, -1},
    {"chunk size leading space", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n0\r\n\r\n"), 0, 0, WEIRD, 0,
     NULL, -1},
    {"chunk size trailing space", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n"), 0, 0, WEIRD, 0,
     NULL, -1},
    {"chunk size underscore", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1_0\r\nhello\r\n0\r\n\r\n"), 0, 0, WEIRD, 0, NULL,
     -1},
    {"chunk size overflow", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\nx\r\n0\r\n\r\n"), 0, 0, WEIRD,
     0, NULL, -1},
    {"CR LF in quoted extension", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\"b\r\nc\"\r\nhello\r\n0\r\n\r\n"), 0, 0,
     WEIRD, 0, NULL, -1},
    {"LF in extension", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a\nb\r\nhello\r\n0\r\n\r\n"), 0, 0, WEIRD, 0, NULL,
     -1},
    {"bare LF chunk lines", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\n0\n\n"), 0, 0, WEIRD, 0, NULL, -1},
    {"bad chunk terminator", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n"), 0, 0, WEIRD, 0, NULL, -1},
    {"missing size line", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n\r\n\r\n"), 0, 0, WEIRD, 0, NULL, -1},
    {"extension without name", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;=x\r\nhello\r\n0\r\n\r\n"), 0, 0, WEIRD, 0,
     NULL, -1},
    {"NUL in trailer", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: a\0b\r\n\r\n"), 0, 0, WEIRD, 0, NULL, -1},
    /* truncation */
    {"nothing", S(""), 0, 1, NOTHING, 0, NULL, -1},
    {"closed in the status line", S("HTTP/1.1 20"), 0, 1, NOTHING, 0, NULL, -1},
    {"closed in the fields", S("HTTP/1.1 200 OK\r\nContent-Len"), 0, 1, PARTIAL, 0, NULL, -1},
    {"closed in a length body", S("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"), 0, 1, PARTIAL, 0, NULL, -1},
    {"closed in a chunk", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"), 0, 1, PARTIAL, 0, NULL, -1},
    {"closed before last chunk", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n"), 0, 1, PARTIAL, 0, NULL, -1},
    {"closed in the trailers", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: 1\r\n"), 0, 1, PARTIAL, 0, NULL, -1},
};

/* Lines long enough for the 64-byte scan (SSE2 where built in): the values,
   trimmed, exactly as written; CR at the window's last bytes and past it. */
TEST(long_lines_parse_to_the_right_values)
{
    static const char in[] = "HTTP/1.1 200 OK\r\nX-Pad-A: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nX-Pad-B:    spaced value with trailing   \r\nX-Tab: one\ttwo\r\nX-Obs: \xe9""\xff""\x80"" text\r\nX-Empty:\r\nX-Empty-Sp:    \r\nX-Long-Line: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\nX-Long-Line2: ccccccccccccccccccccccccccccccccccccccccccccccccc\r\nX-Longer: dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd\r\nCONTENT-length: 5\r\nconnection: KEEP-ALIVE\r\n\r\nhello";
    static const char want[] = "S200;FX-Pad-A=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa;FX-Pad-B=spaced value with trailing;FX-Tab=one\ttwo;FX-Obs=\xe9""\xff""\x80"" text;FX-Empty=;FX-Empty-Sp=;FX-Long-Line=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb;FX-Long-Line2=ccccccccccccccccccccccccccccccccccccccccccccccccc;FX-Longer=dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd;FCONTENT-length=5;Fconnection=KEEP-ALIVE;H0;B;D;";
    pcase c;
    run r;
    memset(&c, 0, sizeof c);
    c.name = "long lines";
    c.in = in;
    c.len = sizeof in - 1;
    feed(&c, NULL, 0, 1, &r);
    CHECKF(r.result == 0 && strcmp(r.log, want) == 0, "log %s", r.log);
    free(r.body);
    feed(&c, NULL, 0, 16, &r);
    CHECKF(r.result == 0 && strcmp(r.log, want) == 0, "16 events a call: log %s", r.log);
    free(r.body);
}

/* Every byte value at the start, middle and end of header names of many
   lengths (the fast paths check names in 16-byte blocks, with a byte-by-byte
   fallback): accepted exactly when it is a token byte, and the same events
   whole (fast path) as byte by byte (general path). */
TEST(every_byte_in_a_header_name)
{
    static const size_t lens[] = {1, 2, 5, 15, 16, 17, 20, 31, 32, 33, 40, 47, 48, 49, 52};
    static const char rest[] = ": v\r\nX-Pad: pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp\r\n"
                               "Content-Length: 0\r\n\r\n";
    size_t li, pos, b, i, bad = 0;
    char in[256], name[64];
    size_t cuts[256];
    for (li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        size_t n = lens[li];
        for (pos = 0; pos < n; pos += (n > 2 ? (n - 1) / 2 : 1)) {
            for (b = 0; b < 256; b++) {
                pcase c;
                run whole, bytewise;
                int token = (MPX_CC((unsigned char)b) & MPX_C_TOKEN) != 0;
                if (b == ':' || (b == '\n' && pos == 0)) continue; /* ends the name; a bare-LF empty line ends the head */
                for (i = 0; i < n; i++) name[i] = (char)('a' + (i % 26));
                name[pos] = (char)b;
                memset(&c, 0, sizeof c);
                c.name = "name byte";
                memcpy(in, "HTTP/1.1 200 OK\r\n", 17);
                memcpy(in + 17, name, n); /* the name may hold a NUL */
                memcpy(in + 17 + n, rest, sizeof rest - 1);
                c.len = 17 + n + sizeof rest - 1;
                c.in = in;
                feed(&c, NULL, 0, 16, &whole);
                for (i = 0; i < c.len; i++) cuts[i] = i + 1;
                feed(&c, cuts, c.len, 1, &bytewise);
                if (whole.result != (token ? 0 : WEIRD) || bytewise.result != whole.result ||
                    strcmp(whole.log, bytewise.log) != 0) {
                    if (bad++ < 5)
                        CHECKF(0, "name of %zu bytes, byte 0x%02zx at %zu: result %d (byte by byte %d), logs %s / %s", n, b,
                               pos, whole.result, bytewise.result, whole.log, bytewise.log);
                }
                free(whole.body);
                free(bytewise.body);
            }
            if (n == 1) break;
        }
    }
    CHECKF(bad == 0, "%zu cases differ", bad);
}

/* Parses in[0..len) whole, `many` events a call, counting the field
   events into *fields and the consumed bytes into *pos, up to the first
   event other than a status line or a field; returns that event's type
   (or -1 when the calls run out). */
static int parse_to_end(const char *in, size_t len, int head, unsigned many, long *fields, size_t *pos)
{
    mpx_parser p;
    size_t i;
    *fields = 0;
    *pos = 0;
    mpx_parser_init(&p, head, 0);
    for (i = 0; i <= len; i++) { /* each call consumes bytes or ends */
        mpx_pev ev[16];
        size_t used;
        unsigned got = mpx_parse(&p, in + *pos, len - *pos, ev, many, &used), e;
        *pos += used;
        for (e = 0; e < got; e++) {
            if (ev[e].type == MPX_EV_FIELD) ++*fields;
            else if (ev[e].type != MPX_EV_STATUS) return ev[e].type;
        }
    }
    return -1;
}

/* Status lines of many lengths, whole and cut short, each in a buffer
   allocated to the byte: whole they give the status, cut short they need
   more, and the 16-byte scan never loads past the end (ASan sees any such
   load). */
TEST(status_line_at_the_very_end_of_the_buffer)
{
    size_t k, cut, bad = 0;
    for (k = 0; k <= 70; k++) {
        size_t len = 13 + k + 2;
        for (cut = 1; cut <= len; cut++) {
            char *in = (char *)malloc(cut);
            mpx_parser p;
            mpx_pev ev[4];
            size_t used;
            unsigned got;
            char line[100];
            memcpy(line, "HTTP/1.1 200 ", 13);
            memset(line + 13, 'r', k);
            memcpy(line + 13 + k, "\r\n", 2);
            memcpy(in, line, cut);
            mpx_parser_init(&p, 0, 0);
            got = mpx_parse(&p, in, cut, ev, 4, &used);
            if (cut == len ? !(got >= 1 && ev[0].type == MPX_EV_STATUS && ev[0].linelen == len && p.status == 200)
                           : !(got == 1 && ev[0].type == MPX_EV_NEED && used == 0))
                bad++;
            free(in);
        }
    }
    CHECKF(bad == 0, "%zu cuts of status lines parsed wrong", bad);
}

/* Heads whose last field line ends the buffer, which is allocated to the
   byte: no fast path may load bytes past it (ASan sees any such load), over
   many alignments of that line against the 64-byte scan. */
TEST(last_line_at_the_very_end_of_the_buffer)
{
    static const unsigned manys[] = {1, 16};
    size_t pad, n, m, bad = 0;
    for (m = 0; m < 2; m++) {
        for (pad = 30; pad <= 80; pad++) {
            for (n = 1; n <= 20; n++) {
                size_t len = 17 + 7 + pad + 2 + n + 5 + 2, pos;
                long fields;
                char *in = (char *)malloc(len);
                int end;
                memcpy(in, "HTTP/1.1 200 OK\r\nX-Pad: ", 24);
                memset(in + 24, 'p', pad);
                memcpy(in + 24 + pad, "\r\n", 2);
                memset(in + 26 + pad, 'n', n);
                memcpy(in + 26 + pad + n, ": v\r\n\r\n", 7);
                end = parse_to_end(in, len, 1, manys[m], &fields, &pos); /* HEAD: no body after the head */
                if ((end != MPX_EV_HEAD_END && end != MPX_EV_DONE) || fields != 2 || pos != len) bad++;
                free(in);
            }
        }
    }
    CHECKF(bad == 0, "%zu heads did not parse", bad);
}

TEST(parser_valid_inputs)
{
    size_t i;
    for (i = 0; i < sizeof valid_cases / sizeof valid_cases[0]; i++) check_case(&valid_cases[i]);
}

TEST(parser_hostile_inputs)
{
    size_t i;
    for (i = 0; i < sizeof hostile_cases / sizeof hostile_cases[0]; i++) check_case(&hostile_cases[i]);
}

/* Feeds a generated input in pieces of `piece` bytes, one event a call
   and 16 a call (which must agree); returns the result. */
static int feed_big(const char *in, size_t len, size_t piece, size_t *consumed_body)
{
    pcase c;
    run r, r16;
    size_t ncuts = piece ? (len + piece - 1) / piece : 0, i;
    size_t *cuts = (size_t *)malloc((ncuts + 1) * sizeof *cuts);
    memset(&c, 0, sizeof c);
    c.name = "big";
    c.in = in;
    c.len = len;
    c.eof = 0;
    for (i = 0; i + 1 < ncuts; i++) cuts[i] = (i + 1) * piece;
    feed(&c, cuts, ncuts ? ncuts - 1 : 0, 1, &r);
    feed(&c, cuts, ncuts ? ncuts - 1 : 0, 16, &r16);
    CHECKF(r.result == r16.result && r.bodylen == r16.bodylen, "one and 16 events a call differ: %d %zu vs %d %zu",
           r.result, r.bodylen, r16.result, r16.bodylen);
    if (consumed_body) *consumed_body = r.bodylen;
    free(r.body);
    free(r16.body);
    free(cuts);
    return r.result;
}

static char *repeat(const char *head, const char *unit, size_t times, const char *tail, size_t *len)
{
    size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail), i;
    char *b = (char *)malloc(hl + ul * times + tl + 1);
    memcpy(b, head, hl);
    for (i = 0; i < times; i++) memcpy(b + hl + i * ul, unit, ul);
    memcpy(b + hl + ul * times, tail, tl);
    *len = hl + ul * times + tl;
    b[*len] = 0;
    return b;
}

/* The field events an input gives, 16 a call, before an error (-1: none). */
static long fields_before_error(const char *in, size_t len)
{
    long fields;
    size_t pos;
    return parse_to_end(in, len, 0, 16, &fields, &pos) == MPX_EV_ERROR ? fields : -1;
}

TEST(parser_limits)
{
    size_t len;
    char *in;
    /* endless headers: fails once the total passes the limit */
    in = repeat("HTTP/1.1 200 OK\r\n", "X-Pad: yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\r\n", 6000, "", &len);
    CHECK_EQ_LONG(feed_big(in, len, 1024, NULL), WEIRD);
    free(in);
    /* the same with lines short enough for the SSE2 field loop (62 bytes): the total still stops it */
    in = repeat("HTTP/1.1 200 OK\r\n", "X-Pad: yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\r\n", 4960, "\r\n", &len);
    CHECK_EQ_LONG(feed_big(in, len, 65536, NULL), WEIRD);
    free(in);
    in = repeat("HTTP/1.1 200 OK\r\n", "X-Pad: yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\r\n", 4900,
                "Content-Length: 0\r\n\r\n", &len);
    CHECK_EQ_LONG(feed_big(in, len, 65536, NULL), OK); /* 303,838 bytes: under the limit */
    free(in);
    /* too many lines (short ones) */
    in = repeat("HTTP/1.1 200 OK\r\n", "A: b\r\n", MPERF_MAX_HEADER_COUNT + 1, "\r\n", &len);
    CHECK_EQ_LONG(feed_big(in, len, 4096, NULL), WEIRD);
    free(in);
    /* the limit counts every field line: one more than the maximum fails, the maximum passes */
    in = repeat("HTTP/1.1 200 OK\r\n", "A: b\r\n", MPERF_MAX_HEADER_COUNT, "Content-Length: 0\r\n\r\n", &len);
    CHECK_EQ_LONG(feed_big(in, len, 4096, NULL), WEIRD); /* 5001 lines with Content-Length */
    free(in);
    in = repeat("HTTP/1.1 200 OK\r\n", "A: b\r\n", MPERF_MAX_HEADER_COUNT - 1, "Content-Length: 0\r\n\r\n", &len);
    CHECK_EQ_LONG(feed_big(in, len, 4096, NULL), OK);
    free(in);
    /* the same with the limit inside the SSE2 field loop (a long line after the short ones): the
       error comes at the line over the limit, after exactly the maximum of field events */
    in = repeat("HTTP/1.1 200 OK\r\n", "A: b\r\n", MPERF_MAX_HEADER_COUNT,
                "Content-Length: 0\r\nX-Pad: yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\r\n\r\n", &len);
    CHECK_EQ_LONG(feed_big(in, len, 4096, NULL), WEIRD);
    CHECK_EQ_LONG(fields_before_error(in, len), MPERF_MAX_HEADER_COUNT);
    free(in);
    in = repeat("HTTP/1.1 200 OK\r\n", "A: b\r\n", MPERF_MAX_HEADER_COUNT - 2,
                "Content-Length: 0\r\nX-Pad: yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\r\n\r\n", &len);
    CHECK_EQ_LONG(feed_big(in, len, 4096, NULL), OK);
    free(in);
    /* one 101 KB header line */
    in = repeat("HTTP/1.1 200 OK\r\nX-Long: ", "a", 101 * 1024, "\r\n\r\n", &len);
    CHECK_EQ_LONG(feed_big(in, len, 1024, NULL), WEIRD);
    free(in);
    /* a 50 KB line is fine */
    in = repeat("HTTP/1.1 200 OK\r\nX-Long: ", "a", 50 * 1024, "\r\nContent-Length: 0\r\n\r\n", &len);
    CHECK_EQ_LONG(feed_big(in, len, 1000, NULL), OK);
    free(in);
    /* endless chunk extension */
    in = repeat("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5", ";a=b", 2000, "\r\nhello\r\n0\r\n\r\n", &len);
    CHECK_EQ_LONG(feed_big(in, len, 1024, NULL), WEIRD);
    free(in);
    /* endless 1xx responses hit the header total */
    in = repeat("", "HTTP/1.1 100 Continue\r\n\r\n", 20000, "", &len);
    CHECK_EQ_LONG(feed_big(in, len, 4096, NULL), WEIRD);
    free(in);
    /* 1000 leading zeros in a chunk size */
    in = repeat("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "0", 1000, "5\r\nhello\r\n0\r\n\r\n", &len);
    CHECK_EQ_LONG(feed_big(in, len, 64, NULL), WEIRD);
    free(in);
}

TEST(parser_million_one_byte_chunks)
{
    size_t len, body = 0;
    char *in = repeat("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "1\r\nx\r\n", 1000000, "0\r\n\r\n", &len);
    int r = feed_big(in, len, 16384, &body);
    CHECK_EQ_LONG(r, WEIRD);
    CHECKF(body < 1000000, "the overhead guard fired after %zu body bytes", body);
    free(in);
    /* modest chunking is fine: 64-byte chunks */
    in = repeat("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                "40\r\n0123456789012345678901234567890123456789012345678901234567890123\r\n", 50000, "0\r\n\r\n", &len);
    CHECK_EQ_LONG(feed_big(in, len, 16384, &body), OK);
    CHECK_EQ_LONG(body, 64L * 50000);
    free(in);
}

TEST(parser_linear_when_fed_byte_by_byte)
{
    /* the 0.5 KiB head with 13 fields, scanned once whether whole or dripped */
    const char *head = sample_head;
    pcase c;
    run r;
    size_t i, *cuts = (size_t *)malloc(sizeof sample_head * sizeof *cuts);
    unsigned long whole, drip;
    memset(&c, 0, sizeof c);
    c.name = "linear";
    c.in = head;
    c.len = sizeof sample_head - 1;
    scanned = 0;
    feed(&c, NULL, 0, 16, &r);
    whole = scanned;
    CHECK_EQ_LONG(r.result, 0);
    free(r.body);
    for (i = 0; i < c.len; i++) cuts[i] = i + 1;
    scanned = 0;
    feed(&c, cuts, c.len, 16, &r);
    drip = scanned;
    CHECK_EQ_LONG(r.result, 0);
    free(r.body);
    CHECKF(whole <= c.len && drip <= c.len + 64, "scanned %lu bytes whole, %lu byte by byte, for %zu", whole, drip, c.len);
    free(cuts);
}

int main(void)
{
    RUN(long_lines_parse_to_the_right_values);
    RUN(every_byte_in_a_header_name);
    RUN(status_line_at_the_very_end_of_the_buffer);
    RUN(last_line_at_the_very_end_of_the_buffer);
    RUN(parser_valid_inputs);
    RUN(parser_hostile_inputs);
    RUN(parser_limits);
    RUN(parser_million_one_byte_chunks);
    RUN(parser_linear_when_fed_byte_by_byte);
    return t_done("parser");
}
