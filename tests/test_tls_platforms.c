/* HTTPS through the public API only, with nothing but the C library around
   it, so that the same file runs natively on Linux and as a Windows program
   (mingw-w64, BearSSL built from Debian's source by the same compiler) under
   wine, against the TLS nginx that tests/run.sh starts (MPT_TLS_*, the test
   PKI in MPT_PKI, the handshake log in MPT_TLS_LOG). The error texts are
   compared whole: Windows must say what Linux says.

   On Windows a transfer without CAINFO trusts the system store "ROOT". With
   MPT_TRUST_TEST_CA=1 (set by tests/run.sh for its own wine prefix, never on
   a real machine) the test adds the test PKI's root to the user's store
   first, and a transfer with no CA option then verifies against it. */
#ifdef _WIN32
#include <winsock2.h>
#include <windows.h>
#include <wincrypt.h>
#define mpt_sleep_ms(t) Sleep(t)
#else
#include <poll.h>
#define mpt_sleep_ms(t) (void)poll(NULL, 0, (t))
#endif
#define MULTIPERFORM_IMPLEMENTATION
#include "../multiperform.h"
#include "t.h"
#define MPT_OWN_SINK /* its jobs keep more than a body */
#include "portable.h"

static const char *pki(const char *file)
{
    static char buf[4][1024];
    static int k;
    char *b = buf[k++ % 4];
    snprintf(b, sizeof buf[0], "%s/%s", getenv("MPT_PKI") ? getenv("MPT_PKI") : ".", file);
    return b;
}

static char *url(const char *host, const char *env, const char *path)
{
    static char buf[8][512];
    static int k;
    char *b = buf[k++ % 8];
    snprintf(b, sizeof buf[0], "https://%s:%d%s", host, port(env), path);
    return b;
}

typedef struct job {
    /* asked */
    const char *url, *cainfo, *pin;
    const void *blob;
    size_t bloblen;
    int fresh, insecure;
    /* seen */
    mperf_code rc;
    size_t len, bad;
    long verify;
    char err[MPERF_ERROR_SIZE];
} job;

static size_t on_job_data(char *p, size_t size, size_t n, void *ud)
{
    job *j = (job *)ud;
    size_t i;
    for (i = 0; i < size * n; i++)
        if ((unsigned char)p[i] != pattern(j->len + i)) j->bad++;
    j->len += size * n;
    return size * n;
}

/* One transfer on m (a multi of its own when NULL), bounded by 600 waits of
   at most 100 ms. */
static mperf_code run_on(mperf_multi *m, job *j)
{
    mperf_multi *own = m ? NULL : mperf_multi_init();
    mperf_easy *e = mperf_easy_init();
    int running = 1, left, i;
    mperf_msg *msg;
    if (own) m = own;
    j->rc = (mperf_code)-1;
    j->len = j->bad = 0;
    j->verify = -1;
    j->err[0] = 0;
    mperf_easy_setopt(e, MPERF_OPT_URL, j->url);
    mperf_easy_setopt(e, MPERF_OPT_WRITEFUNCTION, on_job_data);
    mperf_easy_setopt(e, MPERF_OPT_WRITEDATA, j);
    mperf_easy_setopt(e, MPERF_OPT_ERRORBUFFER, j->err);
    mperf_easy_setopt(e, MPERF_OPT_TIMEOUT, 60L);
    if (j->cainfo) mperf_easy_setopt(e, MPERF_OPT_CAINFO, j->cainfo);
    if (j->blob) {
        mperf_blob b;
        b.data = (void *)(size_t)j->blob;
        b.len = j->bloblen;
        b.flags = MPERF_BLOB_COPY;
        mperf_easy_setopt(e, MPERF_OPT_CAINFO_BLOB, &b);
    }
    if (j->pin) mperf_easy_setopt(e, MPERF_OPT_PINNEDPUBLICKEY, j->pin);
    if (j->fresh) mperf_easy_setopt(e, MPERF_OPT_FRESH_CONNECT, 1L);
    if (j->insecure) {
        mperf_easy_setopt(e, MPERF_OPT_SSL_VERIFYPEER, 0L);
        mperf_easy_setopt(e, MPERF_OPT_SSL_VERIFYHOST, 0L);
    }
    mperf_multi_add_handle(m, e);
    for (i = 0; running && i < 600; i++) {
        if (mperf_multi_perform(m, &running) != MPERF_M_OK) break;
        while ((msg = mperf_multi_info_read(m, &left)) != NULL)
            if (msg->msg == MPERF_MSG_DONE) j->rc = msg->data.result;
        if (running) mperf_multi_poll(m, NULL, 0, 100, NULL);
    }
    mperf_easy_getinfo(e, MPERF_INFO_SSL_VERIFYRESULT, &j->verify);
    mperf_multi_remove_handle(m, e);
    mperf_easy_cleanup(e);
    if (own) mperf_multi_cleanup(own);
    return j->rc;
}

static void job_init(job *j, const char *u)
{
    memset(j, 0, sizeof *j);
    j->url = u;
    j->cainfo = pki("ca.pem");
}

TEST(verified_with_a_ca_file_and_a_ca_blob)
{
    job j;
    size_t len = 0;
    char *pem = slurp(pki("ca.pem"), &len);
    job_init(&j, url("localhost", "MPT_TLS_PORT", "/f/64k.bin"));
    CHECKF(run_on(NULL, &j) == MPERF_E_OK, "CAINFO: %d %s", (int)j.rc, j.err);
    CHECK(j.len == 65536 && j.bad == 0);
    CHECK_EQ_LONG(j.verify, 0);
    CHECK(pem != NULL);
    job_init(&j, url("localhost", "MPT_TLS_PORT", "/f/64k.bin"));
    j.cainfo = NULL;
    j.blob = pem;
    j.bloblen = len;
    CHECKF(run_on(NULL, &j) == MPERF_E_OK, "CAINFO_BLOB: %d %s", (int)j.rc, j.err);
    CHECK(j.len == 65536 && j.bad == 0);
    free(pem);
}

/* Each refusal: its code, its whole text and its verify result, the same on every platform. */
TEST(refusals_with_the_same_codes_and_texts)
{
    static const struct {
        const char *what, *host, *port, *says;
        mperf_code want;
        long verify;
    } cases[] = {
        {"unknown CA", "localhost", "MPT_TLS_WRONG_PORT",
         "The certificate chain does not lead to a trusted CA (unknown CA or missing intermediate)",
         MPERF_E_PEER_FAILED_VERIFICATION, 20},
        {"missing intermediate", "localhost", "MPT_TLS_NOINT_PORT",
         "The certificate chain does not lead to a trusted CA (unknown CA or missing intermediate)",
         MPERF_E_PEER_FAILED_VERIFICATION, 20},
        {"name mismatch", "a.b.localhost", "MPT_TLS_PORT",
         "The server certificate does not match the host name",
         MPERF_E_PEER_FAILED_VERIFICATION, 1},
        {"IP not in the certificate", "127.0.0.1", "MPT_TLS_NOIP_PORT",
         "The server certificate does not list this IP address", MPERF_E_PEER_FAILED_VERIFICATION, 1},
        {"expired", "localhost", "MPT_TLS_EXPIRED_PORT", "The server certificate has expired or is not yet valid",
         MPERF_E_PEER_FAILED_VERIFICATION, 10},
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        job j;
        job_init(&j, url(cases[i].host, cases[i].port, "/f/1k.bin"));
        run_on(NULL, &j);
        CHECKF(j.rc == cases[i].want && strcmp(j.err, cases[i].says) == 0, "%s: %d '%s'", cases[i].what, (int)j.rc,
               j.err);
        CHECKF(j.verify == cases[i].verify, "%s: SSL_VERIFYRESULT %ld", cases[i].what, j.verify);
        CHECK_EQ_LONG(j.len, 0);
        printf("  %-26s -> %d: %s\n", cases[i].what, (int)j.rc, j.err);
    }
}

static char *read_pin(void)
{
    static char pin[128];
    FILE *f = fopen(pki("leaf.pin"), "r");
    if (!f || !fgets(pin, sizeof pin, f)) {
        if (f) fclose(f);
        return NULL;
    }
    fclose(f);
    pin[strcspn(pin, "\r\n")] = 0;
    return pin;
}

TEST(pinned_public_key)
{
    job j;
    const char *pin = read_pin();
    CHECK(pin != NULL);
    if (!pin) return;
    job_init(&j, url("localhost", "MPT_TLS_PORT", "/f/1k.bin"));
    j.pin = pin;
    CHECKF(run_on(NULL, &j) == MPERF_E_OK, "right pin: %s", j.err);
    job_init(&j, url("localhost", "MPT_TLS_PORT", "/f/1k.bin"));
    j.pin = "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    CHECK_EQ_LONG(run_on(NULL, &j), MPERF_E_SSL_PINNEDPUBKEYNOTMATCH);
    CHECK_EQ_LONG(j.len, 0);
    /* pin only, the chain unchecked: the key decides */
    job_init(&j, url("localhost", "MPT_TLS_WRONG_PORT", "/f/1k.bin"));
    j.insecure = 1;
    j.pin = pin;
    CHECK_EQ_LONG(run_on(NULL, &j), MPERF_E_SSL_PINNEDPUBKEYNOTMATCH);
    job_init(&j, url("localhost", "MPT_TLS_NOINT_PORT", "/f/1k.bin"));
    j.insecure = 1;
    j.pin = pin;
    CHECKF(run_on(NULL, &j) == MPERF_E_OK, "pin only: %s", j.err);
}

/* Handshakes the TLS nginx logged after line `from`: 'r' resumed, '.' new. */
static int tls_log(long from, char *reused, int max)
{
    FILE *f = getenv("MPT_TLS_LOG") ? fopen(getenv("MPT_TLS_LOG"), "r") : NULL;
    char line[512];
    long pos = 0, conn;
    int n = 0;
    if (!f) return -1;
    while (fgets(line, sizeof line, f))
        if (pos++ >= from && n < max && sscanf(line, "%c %ld", &reused[n], &conn) == 2) n++;
    fclose(f);
    return n;
}

TEST(session_resumption)
{
    mperf_multi *m = mperf_multi_init();
    char seen[16], none[1];
    long from = tls_log(0, none, 0) >= 0 ? 0 : -1;
    int i, n = 0;
    job j;
    CHECKF(from == 0, "cannot read the TLS log (%s)", getenv("MPT_TLS_LOG") ? getenv("MPT_TLS_LOG") : "unset");
    { /* the log's lines so far */
        FILE *f = fopen(getenv("MPT_TLS_LOG"), "r");
        int ch;
        while (f && (ch = fgetc(f)) != EOF) from += ch == '\n';
        if (f) fclose(f);
    }
    for (i = 0; i < 3; i++) { /* a new connection each time: the second and third resume */
        job_init(&j, url("localhost", "MPT_TLS_PORT", "/f/1k.bin"));
        j.fresh = 1;
        CHECKF(run_on(m, &j) == MPERF_E_OK, "%s", j.err);
    }
    for (i = 0; i < 150 && (n = tls_log(from, seen, 16)) < 3; i++) mpt_sleep_ms(20); /* nginx logs after the response */
    CHECK_EQ_LONG(n, 3);
    printf("  handshakes (r = resumed): %.*s\n", n > 0 ? n : 0, seen);
    CHECK(n == 3 && seen[0] == '.' && seen[1] == 'r' && seen[2] == 'r');
    mperf_multi_cleanup(m);
}

#ifdef _WIN32
/* The test PKI's root into the user's store "ROOT" of this wine prefix
   (add), or out of it again. The store is closed each time: wine writes
   its changes to the registry then. */
static int trust_test_ca(int add)
{
    size_t len = 0, i, n = 0;
    char *pem = slurp(pki("ca.pem"), &len), *b64, *end;
    unsigned char der[8192];
    unsigned acc = 0;
    int bits = 0, ok = 0;
    HCERTSTORE st;
    if (!pem || !(b64 = strstr(pem, "-----BEGIN CERTIFICATE-----")) || !(end = strstr(b64, "-----END"))) {
        free(pem);
        return 0;
    }
    for (b64 += 27; b64 < end && n < sizeof der; b64++) { /* the base64 between the lines */
        const char *al = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", *p = strchr(al, *b64);
        if (!p || !*b64) continue;
        acc = acc << 6 | (unsigned)(p - al);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            der[n++] = (unsigned char)(acc >> bits);
        }
    }
    i = n;
    st = CertOpenStore(CERT_STORE_PROV_SYSTEM_A, 0, 0, CERT_SYSTEM_STORE_CURRENT_USER, "Root");
    if (st) {
        if (add) {
            ok = CertAddEncodedCertificateToStore(st, X509_ASN_ENCODING, der, (DWORD)i, CERT_STORE_ADD_REPLACE_EXISTING,
                                                  NULL) != 0;
        } else { /* its registry key, named by its SHA-1 (wine's CertDeleteCertificateFromStore leaves it) */
            PCCERT_CONTEXT mine = CertCreateCertificateContext(X509_ASN_ENCODING, der, (DWORD)i);
            unsigned char h[20];
            DWORD hl = sizeof h, k;
            char key[128];
            if (mine && CertGetCertificateContextProperty(mine, CERT_SHA1_HASH_PROP_ID, h, &hl) && hl == 20) {
                int at = snprintf(key, sizeof key, "Software\\Microsoft\\SystemCertificates\\ROOT\\Certificates\\");
                for (k = 0; k < 20; k++) at += snprintf(key + at, sizeof key - (size_t)at, "%02X", h[k]);
                ok = RegDeleteKeyA(HKEY_CURRENT_USER, key) == ERROR_SUCCESS;
            }
            if (mine) CertFreeCertificateContext(mine);
        }
        CertCloseStore(st, 0);
    }
    free(pem);
    return ok;
}
#endif

TEST(the_system_trust_store)
{
    /* No CA option: the system's anchors (Debian's bundle; on Windows the
       store "ROOT"), where the test PKI's root is not ... */
    job j;
    job_init(&j, url("localhost", "MPT_TLS_PORT", "/f/1k.bin"));
    j.cainfo = NULL;
    run_on(NULL, &j);
    printf("  without the test root: %d: %s\n", (int)j.rc, j.err);
    CHECKF(j.rc == MPERF_E_PEER_FAILED_VERIFICATION &&
               strcmp(j.err, "The certificate chain does not lead to a trusted CA (unknown CA or missing "
                             "intermediate)") == 0,
           "%d %s", (int)j.rc, j.err);
#ifdef _WIN32
    /* ... until it is added to the store */
    if (!getenv("MPT_TRUST_TEST_CA") || strcmp(getenv("MPT_TRUST_TEST_CA"), "1") != 0) {
        printf("  (MPT_TRUST_TEST_CA is not 1: the store is left alone)\n");
        return;
    }
    CHECK(trust_test_ca(1));
    job_init(&j, url("localhost", "MPT_TLS_PORT", "/f/64k.bin"));
    j.cainfo = NULL;
    CHECKF(run_on(NULL, &j) == MPERF_E_OK, "with the test root in ROOT: %d %s", (int)j.rc, j.err);
    CHECK(j.len == 65536 && j.bad == 0);
    printf("  with the test root in the store: %d\n", (int)j.rc);
    CHECK(trust_test_ca(0)); /* as it was: a second run sees the same */
    job_init(&j, url("localhost", "MPT_TLS_PORT", "/f/1k.bin"));
    j.cainfo = NULL;
    CHECK_EQ_LONG(run_on(NULL, &j), MPERF_E_PEER_FAILED_VERIFICATION);
#endif
}

int main(void)
{
    if (!port("MPT_TLS_PORT") || !getenv("MPT_PKI")) {
        printf("FAIL - servers: MPT_TLS_PORT and MPT_PKI are not set\n");
        return 1;
    }
    RUN(verified_with_a_ca_file_and_a_ca_blob);
    RUN(refusals_with_the_same_codes_and_texts);
    RUN(pinned_public_key);
    RUN(session_resumption);
    RUN(the_system_trust_store);
    return t_done("tls-platforms");
}
