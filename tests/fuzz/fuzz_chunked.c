/* Fuzz target: the chunked decoder. The input follows a fixed head that
   announces chunked framing; the first byte says whether the peer closes
   after it (bit 0). Same differential check as fuzz_response. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char head[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    char *in;
    if (size < 1) return 0;
    in = (char *)malloc(sizeof head - 1 + size);
    FZ_ASSERT(in != NULL);
    memcpy(in, head, sizeof head - 1);
    memcpy(in + sizeof head - 1, data + 1, size - 1);
    fz_response(in, sizeof head - 1 + size - 1, 0, data[0] & 1);
    free(in);
    return 0;
}
