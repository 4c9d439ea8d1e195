/* Fuzz target: the response parser, head and body framing. The first byte
   chooses the request kind (bit 0: HEAD) and whether the peer closes after
   the input (bit 1); the rest is what the server sends. Fed whole, byte by
   byte and split at every offset, the outcome must not change. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    fz_response((const char *)data + 1, size - 1, data[0] & 1, (data[0] >> 1) & 1);
    return 0;
}
