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

int main(void)
{
    RUN(url_cases);
    RUN(url_too_long);
    RUN(resolve_static_never_blocks);
    return t_done("url");
}
