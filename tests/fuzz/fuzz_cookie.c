/* Fuzz target: the cookie engine's parsers on hostile input: Set-Cookie
   values from a server (as www.shop.test asking for /dir/page), lines of a
   cookie file or COOKIELIST, and cookie dates. The input is split at its
   first newline: the first part is given as a Set-Cookie value, the rest as
   file lines. Whatever the bytes, a kept cookie has a name, no control byte
   in its name or value, a lowercase domain that is the host or above it
   (for one from the server), a matched path that is "" (the root) or starts with /; its
   line in the jar's format has exactly seven fields; and the Cookie field
   built for the host is one CRLF-ended line. */
#include "fuzz.h"

static const mperf_allocator fz_al = {NULL, NULL, NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mpx_jar j;
    const char *nl = (const char *)memchr(data, '\n', size);
    size_t first = nl ? (size_t)(nl - (const char *)data) : size, at;
    char line[40000];
    mpx_cookie *c;
    mpx_buf b;
    int64_t now = 1700000000;
    memset(&j, 0, sizeof j);
    (void)mpx_cookie_date((const char *)data, size);
    (void)mpx_cookie_header(&fz_al, &j, (const char *)data, first, "www.shop.test", "/dir/page?q=1", 13, 0, now);
    for (at = first + 1; nl && at < size;) { /* the rest, line by line */
        const char *e = (const char *)memchr(data + at, '\n', size - at);
        size_t n = e ? (size_t)(e - (const char *)data) - at : size - at;
        if (n < sizeof line) {
            memcpy(line, data + at, n);
            line[n] = 0;
            (void)mpx_cookie_line(&fz_al, &j, line, now);
        }
        at += n + 1;
    }
    for (c = j.list; c; c = c->next) {
        size_t k, tabs = 0;
        FZ_ASSERT(c->name[0]);
        for (k = 0; c->domain[k]; k++) FZ_ASSERT(c->domain[k] < 'A' || c->domain[k] > 'Z');
        FZ_ASSERT(!c->spath[0] || c->spath[0] == '/'); /* ("" is the root, as libcurl matches it) */
        mpx_cookie_format(c, line, sizeof line);
        for (k = 0; line[k]; k++) tabs += line[k] == '\t';
        if (!strchr(c->name, '\t') && !strchr(c->value, '\t') && !strchr(c->path, '\t') && !strchr(c->domain, '\t'))
            FZ_ASSERT(tabs == 6);
    }
    memset(&b, 0, sizeof b);
    mpx_cookie_field(&fz_al, &j, "www.shop.test", "/dir/page", 9, 0, "x=1", now, &b);
    if (b.len) {
        FZ_ASSERT(b.len >= 10 && memcmp(b.p, "Cookie: ", 8) == 0 && memcmp(b.p + b.len - 2, "\r\n", 2) == 0);
        FZ_ASSERT(!memchr(b.p, '\n', b.len - 1) && !memchr(b.p, '\r', b.len - 2));
    }
    mpx_free(&fz_al, b.p);
    while (j.list) mpx_cookie_unlink(&fz_al, &j, &j.list);
    return 0;
}
