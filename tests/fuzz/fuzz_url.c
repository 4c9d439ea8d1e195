/* Fuzz target: the URL parser and the redirect resolver. The input is a
   base URL, a newline, and a Location value. Whatever the bytes, parsing
   must stay inside the string; a resolved URL that parses holds no control
   character or space and resolves to itself. */
#include "fuzz.h"

static void check_url_views(const char *s, const mpx_url *u)
{
    size_t n = strlen(s);
    FZ_ASSERT(u->host >= s && u->host + u->hostlen <= s + n);
    FZ_ASSERT(!u->pathlen || (u->path >= s && u->path + u->pathlen <= s + n));
    FZ_ASSERT(!u->has_user || (u->user >= s && u->user + u->userlen <= s + n));
    FZ_ASSERT(u->port > 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mperf_allocator al = {NULL, NULL, NULL};
    char *copy = (char *)malloc(size + 1), *nl, *out = NULL, *again = NULL;
    size_t cap = 0, cap2 = 0, i;
    const char *why = NULL;
    mpx_url base, r;
    FZ_ASSERT(copy != NULL);
    memcpy(copy, data, size);
    copy[size] = 0;
    nl = strchr(copy, '\n');
    if (nl) *nl = 0;
    if (mpx_url_parse(copy, &base, &why) == MPERF_E_OK) {
        check_url_views(copy, &base);
        /* The resolver does the RFC 3986 syntax; the engine then parses
           the result like any URL (a bad one ends the transfer). */
        if (nl && mpx_url_resolve(&al, copy, &base, nl + 1, &out, &cap) > 0 && mpx_url_parse(out, &r, &why) == MPERF_E_OK) {
            check_url_views(out, &r);
            for (i = 0; out[i]; i++) FZ_ASSERT((unsigned char)out[i] > 0x20 && out[i] != 0x7f);
            /* against a base with a scheme (the engine's effective URL always
               has one) the result is absolute: resolving it gives it back */
            if (base.has_scheme && r.has_scheme) {
                FZ_ASSERT(mpx_url_resolve(&al, copy, &base, out, &again, &cap2) == 1);
                FZ_ASSERT(strcmp(out, again) == 0);
            }
        }
    } else {
        FZ_ASSERT(why != NULL && why[0] != 0);
    }
    free(out);
    free(again);
    free(copy);
    return 0;
}
