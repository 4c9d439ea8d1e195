/* Fuzz target: the DNS message reader. The first input byte picks a name
   and a type; the next 12 bytes are the answer's header; the answer's
   question is the query's own (so the fuzzer gets past the check that it
   answers our question) and the rest of the input follows it. The raw
   input is read as an answer too, and every offset of it as a name.
   Whatever the bytes: a verdict in range, addresses only of the asked
   type and never more than fit, TTLs in RFC 2181's range, names that stay
   inside the message and within 255 bytes. */
#include "fuzz.h"

static const char *const names[] = {"a.test", "www.example.com", "x", "a.b.c.d.e.f.g.h.i.j"};

static void check_answer(int r, const mpx_dns_ans *a, uint16_t qtype)
{
    unsigned i;
    FZ_ASSERT(r >= MPX_DNS_BAD && r <= MPX_DNS_TRUNC);
    FZ_ASSERT(a->naddr <= MPERF_MAX_ADDRS);
    if (r == MPX_DNS_OK) {
        FZ_ASSERT(a->naddr >= 1);
        FZ_ASSERT(a->ttl <= 0x7fffffffu);
    } else {
        FZ_ASSERT(r == MPX_DNS_BAD || a->naddr == 0);
    }
    for (i = 0; i < a->naddr; i++) FZ_ASSERT(a->addr[i].family == (qtype == MPX_DNS_A ? 4 : 6));
    if (r == MPX_DNS_NODATA || r == MPX_DNS_NXDOMAIN) FZ_ASSERT(a->ttl <= 0x7fffffffu);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char q[12 + 256 + 4], *msg, name[256];
    uint16_t qtype;
    size_t qlen, off, n, i;
    const char *nm;
    mpx_dns_ans a;
    if (size < 13) return 0;
    nm = names[data[0] & 3];
    qtype = (data[0] & 4) ? MPX_DNS_AAAA : MPX_DNS_A;
    qlen = mpx_dns_query(q, (uint16_t)(data[1] << 8 | data[2]), nm, strlen(nm), qtype);
    FZ_ASSERT(qlen > 16);
    msg = (unsigned char *)malloc(size - 13 + qlen);
    FZ_ASSERT(msg != NULL);
    memcpy(msg, data + 1, 12);
    memcpy(msg + 12, q + 12, qlen - 12);
    memcpy(msg + qlen, data + 13, size - 13);
    check_answer(mpx_dns_parse(msg, size - 13 + qlen, q, qlen, &a), &a, qtype);
    free(msg);
    check_answer(mpx_dns_parse(data, size, q, qlen, &a), &a, qtype);
    for (i = 0; i < size && i < 512; i++) {
        off = i;
        n = mpx_dns_name(data, size, &off, name);
        if (n) {
            size_t k = 0;
            FZ_ASSERT(n <= 255 && off > i && off <= size);
            while (name[k]) k += 1 + name[k]; /* labels end exactly at the root */
            FZ_ASSERT(k + 1 == n);
        }
    }
    return 0;
}
