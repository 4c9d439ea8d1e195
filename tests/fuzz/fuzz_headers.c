/* Fuzz target: header values the engine interprets. The input holds up to
   four values separated by newlines, put into Content-Length,
   Transfer-Encoding, Connection and Location of a head, then parsed with
   and without a body; the Location value is also resolved against a base.
   The head must end in a definite outcome whatever the values. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[4] = {"Content-Length: ", "Transfer-Encoding: ", "Connection: ", "Location: "};
    const char *v[4] = {"", "", "", ""};
    size_t vl[4] = {0, 0, 0, 0}, i, k = 0, at = 0, len = 0;
    char *head = (char *)malloc(size + 256), *loc;
    mperf_allocator al = {NULL, NULL, NULL};
    const char *why;
    mpx_url base;
    char *out = NULL;
    size_t cap = 0;
    FZ_ASSERT(head != NULL);
    for (i = 0; i <= size && k < 4; i++) {
        if (i == size || data[i] == '\n') {
            v[k] = (const char *)data + at;
            vl[k++] = i - at;
            at = i + 1;
        }
    }
    memcpy(head, "HTTP/1.1 200 OK\r\n", 17);
    len = 17;
    for (i = 0; i < k; i++) {
        memcpy(head + len, names[i], strlen(names[i]));
        len += strlen(names[i]);
        memcpy(head + len, v[i], vl[i]);
        len += vl[i];
        memcpy(head + len, "\r\n", 2);
        len += 2;
    }
    memcpy(head + len, "\r\n0\r\n\r\nabc", 10);
    fz_response(head, len + 2, 0, 1);  /* the head alone, then the close */
    fz_response(head, len + 10, 0, 1); /* with bytes that are a chunk end or a body */
    fz_response(head, len + 10, 1, 0); /* as the answer to HEAD */
    if (k == 4) { /* the Location value against a base */
        loc = (char *)malloc(vl[3] + 1);
        FZ_ASSERT(loc != NULL);
        memcpy(loc, v[3], vl[3]);
        loc[vl[3]] = 0;
        FZ_ASSERT(mpx_url_parse("http://example.com:8080/a/b/c?q", &base, &why) == MPERF_E_OK);
        if (mpx_url_resolve(&al, "http://example.com:8080/a/b/c?q", &base, loc, &out, &cap) > 0) {
            /* an absolute Location may still name another scheme: refused with a reason */
            why = NULL;
            if (mpx_url_parse(out, &base, &why) != MPERF_E_OK) FZ_ASSERT(why != NULL && why[0] != 0);
        }
        free(out);
        free(loc);
    }
    free(head);
    return 0;
}
