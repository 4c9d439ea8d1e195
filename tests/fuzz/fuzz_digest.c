/* Fuzz target: the Digest challenge parser (a WWW-Authenticate value from
   a hostile server) and the answer built from what it kept. Whatever the
   bytes, the kept strings stay NUL-terminated within their fields, the
   algorithm and qop are ones the answer can use, and the response is 32 or
   64 lowercase hex digits. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mpx_digest d;
    char hex[65];
    size_t i, n;
    memset(&d, 0x7e, sizeof d); /* what the parser does not set stays visible */
    if (!mpx_digest_parse((const char *)data, size, &d)) return 0;
    FZ_ASSERT(memchr(d.realm, 0, sizeof d.realm) && memchr(d.nonce, 0, sizeof d.nonce) &&
              memchr(d.opaque, 0, sizeof d.opaque));
    FZ_ASSERT(d.nonce[0] != 0);
    FZ_ASSERT(d.alg <= MPX_DG_SHA256_SESS && d.qop <= 1);
    mpx_digest_response(&d, "user", "pass", "GET", "/", "cnonce", "00000001", hex);
    n = strlen(hex);
    FZ_ASSERT(n == (d.alg >= MPX_DG_SHA256 ? 64u : 32u));
    for (i = 0; i < n; i++) FZ_ASSERT((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f'));
    return 0;
}
