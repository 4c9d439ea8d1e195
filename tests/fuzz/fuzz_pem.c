/* Fuzz target: the CA loader (PEM text to trust anchors, through BearSSL's
   PEM and X.509 decoders). Any input: a clean accept or reject, no leak. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mperf_allocator al = {NULL, NULL, NULL};
    mpx_cas *cas = (mpx_cas *)calloc(1, sizeof *cas);
    FZ_ASSERT(cas != NULL);
    if (mpx_cas_parse(&al, data, size, cas) > 0) {
        size_t i;
        for (i = 0; i < cas->n; i++) FZ_ASSERT(cas->ta[i].dn.len > 0);
    }
    mpx_cas_free(&al, cas);
    return 0;
}
