/* URL parser unit tests. */
#define MULTIPERFORM_IMPLEMENTATION
#include "../multiperform.h"
#include "t.h"

typedef struct ucase {
    const char *url;
    int want; /* mperf_code */
    int https;
    const char *host;
    int port;
    const char *path; /* path+query as parsed ("" when absent) */
    const char *user, *pass;
    int ipv6;
} ucase;

static const ucase cases[] = {
    {"http://example.com/", 0, 0, "example.com", 80, "/", NULL, NULL, 0},
    {"http://example.com", 0, 0, "example.com", 80, "", NULL, NULL, 0},
    {"HTTP://Example.COM:8080/a/b?c=d#frag", 0, 0, "Example.COM", 8080, "/a/b?c=d", NULL, NULL, 0},
    {"https://h/", 0, 1, "h", 443, "/", NULL, NULL, 0},
    {"http://h?q=1", 0, 0, "h", 80, "?q=1", NULL, NULL, 0},
    {"http://user:pa%3Ass@h:81/x", 0, 0, "h", 81, "/x", "user", "pa%3Ass", 0},
    {"http://user@h/", 0, 0, "h", 80, "/", "user", NULL, 0},
    {"http://a@b@h/", 0, 0, "h", 80, "/", "a@b", NULL, 0},
    {"http://[::1]:8080/p", 0, 0, "::1", 8080, "/p", NULL, NULL, 1},
    {"http://[2001:db8::7]/", 0, 0, "2001:db8::7", 80, "/", NULL, NULL, 1},
    {"http://127.0.0.1:1/", 0, 0, "127.0.0.1", 1, "/", NULL, NULL, 0},
    {"example.com/path", 0, 0, "example.com", 80, "/path", NULL, NULL, 0},
    {"localhost:8080/x", 0, 0, "localhost", 8080, "/x", NULL, NULL, 0},
    {"http://h:/", 0, 0, "h", 80, "/", NULL, NULL, 0},
    {"http://h/#only-fragment", 0, 0, "h", 80, "/", NULL, NULL, 0},
    {"ftp://example.com/", MPERF_E_UNSUPPORTED_PROTOCOL, 0, NULL, 0, NULL, NULL, NULL, 0},
    {"gopher://h/", MPERF_E_UNSUPPORTED_PROTOCOL, 0, NULL, 0, NULL, NULL, NULL, 0},
    {"http://", MPERF_E_URL_MALFORMAT, 0, NULL, 0, NULL, NULL, NULL, 0},
    {"", MPERF_E_URL_MALFORMAT, 0, NULL, 0, NULL, NULL, NULL, 0},
    {"http:///path", MPERF_E_URL_MALFORMAT, 0, NULL, 0, NULL, NULL, NULL, 0},
    {"http://h:0/", MPERF_E_URL_MALFORMAT, 0, NULL, 0, NULL, NULL, NULL, 0},
    {"http://h:65536/", MPERF_E_URL_MALFORMAT, 0, NULL, 0, NULL, NULL, NULL, 0},
    {"http://h:12a/", MPERF_E_URL_MALFORMAT, 0, NULL, 0, NULL, NULL, NULL, 0},
    {"http://h/a b", MPERF_E_URL_MALFORMAT, 0, NULL, 0, NULL, NULL, NULL, 0},
    {"http://h/a\r\nX-Injected: 1", MPERF_E_URL_MALFORMAT, 0, NULL, 0, NULL, NULL, NULL, 0},
    {"http://h/\x7f", MPERF_E_URL_MALFORMAT, 0, NULL, 0, NULL, NULL, NULL, 0},
    {"http://[::1/", MPERF_E_URL_MALFORMAT, 0, NULL, 0, NULL, NULL, NULL, 0},
    {"http://[]/", MPERF_E_URL_MALFORMAT, 0, NULL, 0, NULL, NULL, NULL, 0},
    {"http://[::1]x/", MPERF_E_URL_MALFORMAT, 0, NULL, 0, NULL, NULL, NULL, 0},
    {"http://[fe80::g]/", MPERF_E_URL_MALFORMAT, 0, NULL, 0, NULL, NULL, NULL, 0},
    {"http://ho^st/", MPERF_E_URL_MALFORMAT, 0, NULL, 0, NULL, NULL, NULL, 0},
    {"http://ho%st/", MPERF_E_URL_MALFORMAT, 0, NULL, 0, NULL, NULL, NULL, 0},
};

static int span_is(const char *p, size_t n, const char *want)
{
    if (!want) return p == NULL;
    return p && strlen(want) == n && memcmp(p, want, n) == 0;
}

TEST(url_cases)
{
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const ucase *c = &cases[i];
        mpx_url u;
        const char *why = NULL;
        mperf_code rc = mpx_url_parse(c->url, &u, &why);
        CHECKF((int)rc == c->want, "%s: result %d want %d", c->url, (int)rc, c->want);
        if (rc != MPERF_E_OK) {
            CHECKF(why && *why, "%s: no reason given", c->url);
            continue;
        }
        CHECKF(u.https == c->https, "%s: https %d", c->url, u.https);
        CHECKF(span_is(u.host, u.hostlen, c->host), "%s: host '%.*s'", c->url, (int)u.hostlen, u.host);
        CHECKF(u.port == c->port, "%s: port %u", c->url, (unsigned)u.port);
        CHECKF(span_is(u.path, u.pathlen, c->path), "%s: path '%.*s'", c->url, (int)u.pathlen, u.path);
        CHECKF(span_is(u.user, u.userlen, c->user), "%s: user '%.*s'", c->url, (int)u.userlen, u.user ? u.user : "");
        CHECKF(span_is(u.pass, u.passlen, c->pass), "%s: pass", c->url);
        CHECKF(u.ipv6 == c->ipv6, "%s: ipv6 %d", c->url, u.ipv6);
    }
}

TEST(url_too_long)
{
    size_t n = MPERF_MAX_URL + 10;
    char *s = (char *)malloc(n + 1);
    mpx_url u;
    const char *why;
    memset(s, 'a', n);
    memcpy(s, "http://h/", 9);
    s[n] = 0;
    CHECK_EQ_LONG(mpx_url_parse(s, &u, &why), MPERF_E_URL_MALFORMAT);
    free(s);
}

TEST(resolve_static_never_blocks)
{
    mpx_addr a[2];
    CHECK_EQ_LONG(mpx_resolve_static("127.0.0.1", a), 1);
    CHECK(a[0].family == 4 && a[0].ip[0] == 127 && a[0].ip[3] == 1);
    CHECK_EQ_LONG(mpx_resolve_static("::1", a), 1);
    CHECK(a[0].family == 6 && a[0].ip[15] == 1);
    CHECK_EQ_LONG(mpx_resolve_static("localhost", a), 2);
    CHECK_EQ_LONG(mpx_resolve_static("LocalHost", a), 2);
    CHECK_EQ_LONG(mpx_resolve_static("app.localhost", a), 2);
    CHECK_EQ_LONG(mpx_resolve_static("example.com", a), 0);
    CHECK_EQ_LONG(mpx_resolve_static("notlocalhost", a), 0);
}

/* MPERF_NO_LIBC_PRINTF (make test builds this file with and without it): the
   engine's printf subset and address text against the C library's */
#define SAME_FMT(cap, ...)                                                                                             \
    do {                                                                                                               \
        char a_[64], b_[64];                                                                                           \
        volatile size_t c_ = cap; /* not a constant: no truncation warnings */                                         \
        int ra_ = mpx_fmt(a_, c_, __VA_ARGS__), rb_ = snprintf(b_, c_, __VA_ARGS__);                                   \
        CHECKF(ra_ == rb_ && strcmp(a_, b_) == 0, "%s: \"%s\" (%d), libc \"%s\" (%d)", #__VA_ARGS__, a_, ra_, b_, rb_); \
    } while (0)

TEST(text_format_subset)
{
    SAME_FMT(64, "plain text");
    SAME_FMT(64, "%s|%s|%.*s|%.*s|", "abc", "", 2, "xyz", 9, "xy");
    SAME_FMT(64, "%d %d %d %u %u %x %x", 0, -1, -2147483647 - 1, 0u, 4294967295u, 0u, 0xdeadbeefu);
    SAME_FMT(64, "%ld %ld %ld %lu %lx", -1L, 2147483647L, -2147483647L - 1, 4294967295UL, 0xfffffffful);
    SAME_FMT(64, "%lld %lld %llu", -9223372036854775807LL - 1, 9223372036854775807LL, 18446744073709551615ULL);
    SAME_FMT(64, "%04x|%04x|%08lx|%08lx|%5u|%2s|%%|100%%", 0x1301u, 0x12345u, 1UL, 0xffffffffUL, 7u, "abc");
    SAME_FMT(8, "%s and %u more", "truncated", 123456u); /* longer than the buffer: the same length back */
    SAME_FMT(1, "%d", 5);
    SAME_FMT(4, "%lu", 123456UL);
}

static uint32_t t_rand_state = 12345;
static uint32_t t_rand(void)
{
    t_rand_state ^= t_rand_state << 13;
    t_rand_state ^= t_rand_state >> 17;
    t_rand_state ^= t_rand_state << 5;
    return t_rand_state;
}

TEST(text_addresses)
{
    int i, k, bad = 0;
    for (i = 0; i < 20000 && bad < 5; i++) { /* addresses with runs of zero groups, the ::/96 and ::ffff:0:0/96 forms */
        mpx_addr a;
        char mine[64], libc[64];
        unsigned char back[16];
        memset(&a, 0, sizeof a);
        a.family = i % 5 ? 6 : 4;
        for (k = 0; k < 8; k++)
            if (t_rand() % 2) {
                a.ip[2 * k] = (unsigned char)(t_rand() % 3 ? 0 : t_rand());
                a.ip[2 * k + 1] = (unsigned char)t_rand();
            }
        if (i % 7 == 1) memset(a.ip, 0, 10 + (t_rand() % 3));
        if (i % 7 == 2) memset(a.ip + 10, 0xff, 2);
        mpx_addr_to_text(&a, mine, sizeof mine);
        inet_ntop(a.family == 6 ? AF_INET6 : AF_INET, a.ip, libc, sizeof libc);
        if (strcmp(mine, libc) != 0) {
            CHECKF(0, "address text \"%s\", libc \"%s\"", mine, libc);
            bad++;
        }
        if (!(a.family == 6 ? mpx_ip6_parse(mine, back) : mpx_ip4_parse(mine, back)) ||
            memcmp(back, a.ip, a.family == 6 ? 16 : 4) != 0) {
            CHECKF(0, "\"%s\" does not read back", mine);
            bad++;
        }
    }
}

TEST(text_address_parsing)
{
    static const char *const cases[] = {
        "", ":", "::", ":::", "::1", "1::", "1::2::3", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::",
        "::1:2:3:4:5:6:7", "1:2:3:4:5:6::7:8", "12345::", "01234::", "::ffff:1.2.3.4", "::1.2.3.4", "1.2.3.4", "01.2.3.4",
        "1.2.3", "1.2.3.4.5", "256.1.1.1", "255.255.255.255", "0.0.0.0", "1::1.2.3.4.5", ":1::", "1:", "1::2:", "fe80::1%eth0",
        "g::", "::ffff:1.2.3", "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "::0.0.0.0", "0::0", "A:B::C", "::1.2.3.04",
        "1.2.3.4 ", " 1.2.3.4", "1..2.3", "::ffff:256.1.1.1", "1:2:3:4:5:6:7:8:", "1.2.3.1234", "fFfF::", "::1:2.3.4.5",
    };
    static const char alphabet[] = "0123456789abcdefAF:.x";
    int i, k, bad = 0;
    char s[24];
    for (i = 0; i < 200000 && bad < 5; i++) {
        unsigned char mine[16], libc[16];
        const char *t = s;
        int fam, r1, r2;
        if (i < (int)(sizeof cases / sizeof *cases) * 2) {
            t = cases[i / 2];
        } else {
            int len = (int)(t_rand() % 20);
            for (k = 0; k < len; k++) s[k] = alphabet[t_rand() % (sizeof alphabet - 1)];
            s[len] = 0;
        }
        fam = i % 2 ? AF_INET6 : AF_INET;
        memset(mine, 0, sizeof mine);
        memset(libc, 0, sizeof libc);
        r1 = fam == AF_INET6 ? mpx_ip6_parse(t, mine) : mpx_ip4_parse(t, mine);
        r2 = inet_pton(fam, t, libc) == 1;
        if (r1 != r2 || (r1 && memcmp(mine, libc, 16) != 0)) {
            CHECKF(0, "\"%s\" as IPv%d: %d, libc %d", t, fam == AF_INET6 ? 6 : 4, r1, r2);
            bad++;
        }
    }
}

int main(void)
{
    RUN(url_cases);
    RUN(url_too_long);
    RUN(resolve_static_never_blocks);
    RUN(text_format_subset);
    RUN(text_addresses);
    RUN(text_address_parsing);
    return t_done("url");
}
