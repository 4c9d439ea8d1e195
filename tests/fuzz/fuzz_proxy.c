/* Fuzz target: a proxy as a program (or its environment) gives it: the
   PROXY string, a NOPROXY list and the URL, separated by NUL bytes. Whatever
   the bytes, the choice ends in one of the codes it may give; a proxy that
   is taken has a host of 1 to 255 bytes and credentials inside the handle's
   copy of the string; and the CONNECT request and the request to the proxy
   built from it are heads of CRLF-ended lines with no other CR or LF. */
#include "fuzz.h"

/* A request head: lines ended by CRLF, no lone CR or LF, one empty line last. */
static void fz_head_ok(const mpx_buf *b)
{
    size_t i;
    FZ_ASSERT(b->len >= 4 && memcmp(b->p + b->len - 4, "\r\n\r\n", 4) == 0);
    for (i = 0; i + 4 < b->len; i++) {
        if (b->p[i] == '\r') FZ_ASSERT(b->p[i + 1] == '\n' && b->p[i + 2] != '\r');
        if (b->p[i] == '\n') FZ_ASSERT(i > 0 && b->p[i - 1] == '\r');
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char spec[1024], list[1024], url[1024];
    char *parts[3];
    size_t at = 0, k, n;
    mperf_easy *e;
    mperf_code rc;
    const char *why = NULL;
    parts[0] = spec;
    parts[1] = list;
    parts[2] = url;
    for (k = 0; k < 3; k++) { /* the three NUL-separated parts */
        for (n = 0; at < size && data[at] && n + 1 < sizeof spec; at++, n++) parts[k][n] = (char)data[at];
        parts[k][n] = 0;
        if (at < size) at++;
    }
    e = mperf_easy_init();
    if (!e) return 0;
    mperf_easy_setopt(e, MPERF_OPT_PROXY, spec);
    mperf_easy_setopt(e, MPERF_OPT_NOPROXY, list[0] ? list : (char *)NULL);
    mperf_easy_setopt(e, MPERF_OPT_USERAGENT, "fz");
    if (mpx_url_parse(url, &e->x.u, &why) == MPERF_E_OK && e->x.u.hostlen <= 255) {
        e->x.req = MPX_REQ_GET;
        memcpy(e->x.method, "GET", 4);
        e->x.auth_ok = 1;
        rc = mpx_route(e, &why);
        FZ_ASSERT(rc == MPERF_E_OK || rc == MPERF_E_NOT_BUILT_IN || rc == MPERF_E_COULDNT_CONNECT ||
                  rc == MPERF_E_COULDNT_RESOLVE_PROXY);
        FZ_ASSERT(rc == MPERF_E_OK || why != NULL);
        if (rc == MPERF_E_OK && e->x.proxy) {
            const char *lo = e->proxy_url, *hi = e->proxy_url + strlen(e->proxy_url);
            mpx_buf b;
            FZ_ASSERT(e->x.to_hostlen >= 1 && e->x.to_hostlen <= 255);
            FZ_ASSERT(e->x.to_host >= lo && e->x.to_host + e->x.to_hostlen <= hi);
            FZ_ASSERT(!e->x.px_user || (e->x.px_user >= lo && e->x.px_user + e->x.px_userlen <= hi));
            FZ_ASSERT(e->x.route != 0);
            memset(&b, 0, sizeof b);
            e->x.px_picked = 1;
            if (mpx_build_connect(e, &e->al, &b, &why) == MPERF_E_OK) fz_head_ok(&b);
            e->x.proxy = MPX_PX_FORWARD;
            if (mpx_build_request(e, &e->al, &b, &why) == MPERF_E_OK) fz_head_ok(&b);
            mpx_free(&e->al, b.p);
        }
        FZ_ASSERT(mpx_noproxy_match(list, &e->x.u) == 0 || list[0]);
    }
    mperf_easy_cleanup(e);
    return 0;
}
