/* The cookie engine end to end, against the fault server (the names of the
   scenario resolve to it through RESOLVE): what tests/differential.c cannot
   compare with libcurl because it is this engine's own: the limits (a
   cookie's size, the cookies kept, the cookies sent), the built-in public
   suffixes, secure cookies kept from a plain remote origin, no cookie
   crossing to another handle, a redirect to another host, a copied
   handle. */
/* the state changes this suite must see (tests/transitions.h) */
#define MPT_MUST "S:SEND>RECV S:RECV>DONE"
#include "transitions.h" /* before the header: it watches the state changes */
#define MULTIPERFORM_IMPLEMENTATION
#include <curl/curl.h>
#include "helpers.h"
#include "t.h"

static struct curl_slist *names; /* www.shop.test, shop.test, other.test, shop.co.uk: the fault server */

/* A handle for url with the engine on ("" COOKIEFILE) and the names. */
static void cookie_xfer(xfer *x, const char *url)
{
    xfer_init(x, url);
    curl_easy_setopt(x->h, CURLOPT_RESOLVE, names);
    curl_easy_setopt(x->h, CURLOPT_COOKIEFILE, "");
}

/* What the fault server's /echo says the request carried as its Cookie field ("" for none). */
static const char *sent_cookie(const xfer *x)
{
    static char v[16384];
    const char *p = x->body.p ? strstr(x->body.p, "\r\nCookie: ") : NULL;
    size_t n;
    if (!p) return "";
    p += 10;
    n = strcspn(p, "\r");
    if (n >= sizeof v) n = sizeof v - 1;
    memcpy(v, p, n);
    v[n] = 0;
    return v;
}

static const char *echo(const char *host)
{
    return fmt("http://%s:%d/echo", host, fault_port());
}

/* A Set-Cookie line through COOKIELIST, as a server on host would send it? No:
   through a response of the fault server to a request for host. */
static CURLcode set_by(xfer *x, const char *host, const char *set_cookie_lines)
{
    curl_easy_setopt(x->h, CURLOPT_RESOLVE, names); /* (each run is on a multi handle of its own) */
    curl_easy_setopt(x->h, CURLOPT_URL,
                     fmt("http://%s:%d/raw?end=keep&pre=%s", host, fault_port(),
                         pct(fmt("HTTP/1.1 200 OK\r\n%sContent-Length: 0\r\n\r\n", set_cookie_lines))));
    return run(x);
}

static CURLcode get_echo(xfer *x, const char *host)
{
    sink_free(&x->body);
    curl_easy_setopt(x->h, CURLOPT_RESOLVE, names);
    curl_easy_setopt(x->h, CURLOPT_URL, echo(host));
    return run(x);
}

TEST(limits_on_size_count_and_what_one_request_carries)
{
    xfer x;
    char *big = (char *)malloc(5000);
    int i;
    memset(big, 'v', 4999);
    big[4999] = 0;
    cookie_xfer(&x, echo("www.shop.test"));
    /* a name and value over 4096 bytes: refused; just under: kept */
    CHECK_EQ_LONG(set_by(&x, "www.shop.test", fmt("Set-Cookie: big=%s\r\nSet-Cookie: fits=%.4000s\r\n", big, big)), CURLE_OK);
    CHECK_EQ_LONG(get_echo(&x, "www.shop.test"), CURLE_OK);
    CHECK(strncmp(sent_cookie(&x), "fits=vvv", 8) == 0 && !strstr(sent_cookie(&x), "big="));
    curl_easy_setopt(x.h, CURLOPT_COOKIELIST, "ALL");
    /* 200 cookies: a request carries at most 150 of them, the field at most 8190 bytes */
    for (i = 0; i < 200; i++)
        curl_easy_setopt(x.h, CURLOPT_COOKIELIST, fmt("www.shop.test\tFALSE\t/\tFALSE\t0\tc%03d\t%d", i, i));
    CHECK_EQ_LONG(get_echo(&x, "www.shop.test"), CURLE_OK);
    {
        const char *c = sent_cookie(&x), *p;
        int n = 1;
        for (p = c; (p = strstr(p, "; ")) != NULL; p += 2) n++;
        CHECKF(n == 150, "%d cookies sent", n);
    }
    curl_easy_setopt(x.h, CURLOPT_COOKIELIST, "ALL");
    for (i = 0; i < 40; i++) /* long ones: the field stops short of 8190 bytes */
        curl_easy_setopt(x.h, CURLOPT_COOKIELIST, fmt("www.shop.test\tFALSE\t/\tFALSE\t0\tl%02d\t%.300s", i, big));
    CHECK_EQ_LONG(get_echo(&x, "www.shop.test"), CURLE_OK);
    CHECKF(strlen(sent_cookie(&x)) <= 8190 && strlen(sent_cookie(&x)) > 7000, "%zu bytes sent", strlen(sent_cookie(&x)));
    /* past MPERF_MAX_COOKIES (3000) the oldest goes */
    curl_easy_setopt(x.h, CURLOPT_COOKIELIST, "ALL");
    for (i = 0; i < 3005; i++)
        curl_easy_setopt(x.h, CURLOPT_COOKIELIST, fmt("d%d.test\tFALSE\t/\tFALSE\t0\tn%d\tv", i, i));
    {
        struct curl_slist *l = NULL, *p;
        int n = 0, first_kept = 1;
        curl_easy_getinfo(x.h, CURLINFO_COOKIELIST, &l);
        for (p = l; p; p = p->next) {
            n++;
            if (strstr(p->data, "\tn0\t") || strstr(p->data, "\tn4\t")) first_kept = 0;
        }
        curl_slist_free_all(l);
        CHECK_EQ_LONG(n, 3000);
        CHECK(first_kept); /* n0..n4 went */
    }
    xfer_free(&x);
    free(big);
}

TEST(public_suffixes_secure_cookies_and_other_hosts)
{
    xfer x;
    cookie_xfer(&x, echo("shop.co.uk"));
    /* co.uk is a public suffix (the built-in list), shop.co.uk is not */
    CHECK_EQ_LONG(set_by(&x, "shop.co.uk", "Set-Cookie: a=1; Domain=co.uk\r\nSet-Cookie: b=1; Domain=shop.co.uk\r\n"), CURLE_OK);
    CHECK_EQ_LONG(get_echo(&x, "shop.co.uk"), CURLE_OK);
    CHECK(strcmp(sent_cookie(&x), "b=1") == 0);
    /* a secure cookie (from a file) goes to https and this machine only: not to a plain remote host */
    curl_easy_setopt(x.h, CURLOPT_COOKIELIST, ".shop.test\tTRUE\t/\tTRUE\t0\tsec\t1");
    CHECK_EQ_LONG(get_echo(&x, "www.shop.test"), CURLE_OK);
    CHECK(strcmp(sent_cookie(&x), "") == 0);
    curl_easy_setopt(x.h, CURLOPT_COOKIELIST, "127.0.0.1\tFALSE\t/\tTRUE\t0\tsec\t1");
    CHECK_EQ_LONG(get_echo(&x, "127.0.0.1"), CURLE_OK);
    CHECK(strcmp(sent_cookie(&x), "sec=1") == 0);
    /* a control byte in a cookie: refused */
    curl_easy_setopt(x.h, CURLOPT_COOKIELIST, "Set-Cookie: ctl=a\001b; Domain=127.0.0.1");
    CHECK_EQ_LONG(get_echo(&x, "127.0.0.1"), CURLE_OK);
    CHECK(strcmp(sent_cookie(&x), "sec=1") == 0);
    /* a redirect to another host: that host's cookies only */
    curl_easy_setopt(x.h, CURLOPT_COOKIELIST, "ALL");
    curl_easy_setopt(x.h, CURLOPT_COOKIELIST, "www.shop.test\tFALSE\t/\tFALSE\t0\tmine\t1");
    curl_easy_setopt(x.h, CURLOPT_COOKIELIST, "other.test\tFALSE\t/\tFALSE\t0\ttheirs\t1");
    curl_easy_setopt(x.h, CURLOPT_FOLLOWLOCATION, 1L);
    sink_free(&x.body);
    curl_easy_setopt(x.h, CURLOPT_RESOLVE, names);
    curl_easy_setopt(x.h, CURLOPT_URL, fmt("http://www.shop.test:%d/redir?code=302&to=%s", fault_port(), pct(echo("other.test"))));
    CHECK_EQ_LONG(run(&x), CURLE_OK);
    CHECK(strcmp(sent_cookie(&x), "theirs=1") == 0);
    xfer_free(&x);
}

TEST(each_handle_its_own_cookies_and_a_copy_reads_the_files_again)
{
    xfer a, b;
    CURL *d;
    char file[256];
    FILE *f;
    snprintf(file, sizeof file, "/tmp/mpt-cookies-%d.txt", (int)getpid());
    f = fopen(file, "w");
    fputs("127.0.0.1\tFALSE\t/\tFALSE\t0\tfromfile\t1\n", f);
    fclose(f);
    cookie_xfer(&a, echo("127.0.0.1"));
    cookie_xfer(&b, echo("127.0.0.1"));
    CHECK_EQ_LONG(set_by(&a, "127.0.0.1", "Set-Cookie: onlya=1\r\n"), CURLE_OK);
    CHECK_EQ_LONG(get_echo(&b, "127.0.0.1"), CURLE_OK);
    CHECK(strcmp(sent_cookie(&b), "") == 0);
    curl_easy_setopt(a.h, CURLOPT_COOKIEFILE, file);
    d = curl_easy_duphandle(a.h); /* the engine and the file, not the cookies in memory */
    xfer_free(&b);
    memset(&b, 0, sizeof b);
    b.h = d;
    curl_easy_setopt(d, CURLOPT_WRITEFUNCTION, sink_write);
    curl_easy_setopt(d, CURLOPT_WRITEDATA, &b.body);
    CHECK_EQ_LONG(get_echo(&b, "127.0.0.1"), CURLE_OK);
    CHECK(strcmp(sent_cookie(&b), "fromfile=1") == 0);
    xfer_free(&b);
    xfer_free(&a);
    unlink(file);
}

TEST(a_share_of_cookies_and_what_it_does_not_share)
{
    CURLSH *sh = curl_share_init();
    xfer a, b;
    CHECK_EQ_LONG(curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_COOKIE), CURLSHE_OK);
    /* DNS, TLS sessions and connections are not shared here: refused, not ignored */
    CHECK_EQ_LONG(curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS), CURLSHE_NOT_BUILT_IN);
    CHECK_EQ_LONG(curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION), CURLSHE_NOT_BUILT_IN);
    CHECK_EQ_LONG(curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT), CURLSHE_NOT_BUILT_IN);
    CHECK_EQ_LONG(curl_share_setopt(sh, CURLSHOPT_SHARE, 99), CURLSHE_BAD_OPTION);
    cookie_xfer(&a, echo("127.0.0.1"));
    cookie_xfer(&b, echo("127.0.0.1"));
    CHECK_EQ_LONG(curl_easy_setopt(a.h, CURLOPT_SHARE, sh), CURLE_OK);
    CHECK_EQ_LONG(curl_easy_setopt(b.h, CURLOPT_SHARE, sh), CURLE_OK);
    CHECK_EQ_LONG(set_by(&a, "127.0.0.1", "Set-Cookie: both=1\r\n"), CURLE_OK);
    CHECK_EQ_LONG(get_echo(&b, "127.0.0.1"), CURLE_OK);
    CHECK(strcmp(sent_cookie(&b), "both=1") == 0);
    CHECK_EQ_LONG(curl_share_cleanup(sh), CURLSHE_IN_USE);
    curl_easy_setopt(b.h, CURLOPT_SHARE, (CURLSH *)NULL); /* its own again: empty */
    CHECK_EQ_LONG(get_echo(&b, "127.0.0.1"), CURLE_OK);
    CHECK(strcmp(sent_cookie(&b), "") == 0);
    xfer_free(&a);
    xfer_free(&b);
    CHECK_EQ_LONG(curl_share_cleanup(sh), CURLSHE_OK);
    CHECK(strcmp(curl_share_strerror(CURLSHE_NOT_BUILT_IN), "Feature not enabled in this library") == 0);
}

TEST(state_changes_are_legal)
{
    CHECK(mpt_check_transitions(MPT_MUST) == 0);
}

int main(void)
{
    static const char *const hosts[] = {"www.shop.test", "shop.test", "other.test", "shop.co.uk"};
    size_t i;
    for (i = 0; i < 4; i++) names = curl_slist_append(names, fmt("%s:%d:127.0.0.1", hosts[i], fault_port()));
    RUN(limits_on_size_count_and_what_one_request_carries);
    RUN(public_suffixes_secure_cookies_and_other_hosts);
    RUN(each_handle_its_own_cookies_and_a_copy_reads_the_files_again);
    RUN(a_share_of_cookies_and_what_it_does_not_share);
    RUN(state_changes_are_legal);
    curl_slist_free_all(names);
    return t_done("cookies");
}
