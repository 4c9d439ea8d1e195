/* mperf - transfers URLs over HTTP and HTTPS from the command line, on
   multiperform.h: several at once, with progress bars, resumable and safe
   downloads. Options are spelled as curl spells them; "mperf --help" lists
   them, mperf.1 (man -l mperf.1) describes them. Both come from the table
   OPTIONS below.

   Build:  make cli           ./mperf, linked with the system's BearSSL
           make cli-static    build/cli/mperf, one static musl binary with
                              BearSSL compiled from source (see README.md)
   or by hand:
           cc -O2 -o mperf mperf.c -lbearssl
           cc -O2 -DMPERF_NO_TLS -o mperf mperf.c           (http only)

   Exit status: curl's (the CURLcode numbers), that of the last transfer to
   finish; 2 for a bad command line. POSIX (Linux, the BSDs, macOS). */
#ifndef MPERF_CLI_BUILD_SWITCHES /* the Makefile's static builds set their own */
#define MPERF_NO_COOKIES
#define MPERF_NO_EVENTS
#define MPERF_NO_TRANSPORT
#define MPERF_NO_RAW
#define MPERF_NO_HEADER_API
#define MPERF_NO_DIGEST /* (no --digest: -u is Basic, as curl's default) */
#define MPERF_NO_LIBC_PRINTF /* the engine's texts without libc's printf (the tool has its own, below) */
#endif
#define _POSIX_C_SOURCE 200809L
#ifndef MPERF_CLI_MAN /* (the manual page's generator needs only the declarations) */
#define MULTIPERFORM_IMPLEMENTATION
#endif
#include "multiperform.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CLI_NAME "mperf"
#if defined(__GNUC__) || defined(__clang__)
#define CLI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CLI_PRINTF(a, b)
#endif

/* ---- the options: one table for parsing, --help and the man page --------- */
enum {
    O_URL = 1, O_OUTPUT, O_REMOTE_NAME, O_REMOTE_NAME_ALL, O_OUTPUT_DIR, O_CREATE_DIRS, O_REMOTE_HEADER_NAME,
    O_PARALLEL, O_PARALLEL_MAX, O_LOCATION, O_MAX_REDIRS, O_HEADER, O_USER_AGENT, O_REFERER, O_DATA,
    O_DATA_BINARY, O_DATA_RAW, O_UPLOAD, O_REQUEST, O_HEAD, O_INCLUDE, O_RANGE, O_CONTINUE_AT, O_USER,
    O_RETRY, O_RETRY_DELAY, O_RETRY_MAX_TIME, O_RETRY_CONNREFUSED, O_RETRY_ALL, O_CONNECT_TIMEOUT,
    O_MAX_TIME, O_LIMIT_RATE, O_MAX_FILESIZE, O_FAIL, O_FAIL_WITH_BODY, O_SILENT, O_SHOW_ERROR,
    O_NO_PROGRESS, O_VERBOSE, O_WRITE_OUT, O_CACERT, O_CAPATH, O_INSECURE, O_PINNED, O_PROXY, O_NOPROXY,
    O_PROXY_USER, O_PROXYTUNNEL, O_COMPRESSED, O_RESOLVE, O_CONNECT_TO, O_IPV4, O_IPV6, O_CONFIG, O_HELP,
    O_VERSION
};

typedef struct cli_option {
    char s;          /* short name, 0 if none */
    unsigned char id;
    const char *l;   /* long name */
    const char *arg; /* argument's name, NULL for a switch */
    const char *help;
} cli_option;

static const cli_option OPTIONS[] = {
    {0, O_URL, "url", "URL", "A URL to transfer (as a plain argument)."},
    {'o', O_OUTPUT, "output", "FILE", "Write the next URL's body to FILE (\"-\": standard output)."},
    {'O', O_REMOTE_NAME, "remote-name", NULL, "Save the next URL under the last part of its path."},
    {0, O_REMOTE_NAME_ALL, "remote-name-all", NULL, "Save every URL under the last part of its path."},
    {0, O_OUTPUT_DIR, "output-dir", "DIR", "Save files in DIR."},
    {0, O_CREATE_DIRS, "create-dirs", NULL, "Create the directories an output path names."},
    {'J', O_REMOTE_HEADER_NAME, "remote-header-name", NULL,
     "With -O: use the server's Content-Disposition file name (never a path; an existing file is not overwritten)."},
    {'Z', O_PARALLEL, "parallel", NULL, "Run the transfers at the same time."},
    {0, O_PARALLEL_MAX, "parallel-max", "N", "At most N transfers at once with -Z (default 50)."},
    {'L', O_LOCATION, "location", NULL, "Follow redirects."},
    {0, O_MAX_REDIRS, "max-redirs", "N", "Follow at most N redirects (default 50)."},
    {'H', O_HEADER, "header", "LINE", "Add a request header (\"Name:\" removes one, \"Name;\" sends it empty)."},
    {'A', O_USER_AGENT, "user-agent", "NAME", "Send User-Agent: NAME (default mperf/VERSION)."},
    {'e', O_REFERER, "referer", "URL", "Send Referer: URL (\";auto\" at its end: also on redirects)."},
    {'d', O_DATA, "data", "DATA", "POST DATA (@FILE: a file's content without CR and LF; several: joined by &)."},
    {0, O_DATA_BINARY, "data-binary", "DATA", "POST DATA (@FILE: a file's content as it is)."},
    {0, O_DATA_RAW, "data-raw", "DATA", "POST DATA, an @ included."},
    {'T', O_UPLOAD, "upload-file", "FILE", "PUT FILE (\"-\": standard input) to each URL (a URL ending in / gets FILE's name)."},
    {'X', O_REQUEST, "request", "METHOD", "Use METHOD instead of GET, POST or PUT."},
    {'I', O_HEAD, "head", NULL, "Send HEAD; print the response header."},
    {'i', O_INCLUDE, "include", NULL, "Write the response header before the body."},
    {'r', O_RANGE, "range", "RANGE", "Ask for bytes RANGE only (\"0-499\", \"500-\", \"-500\")."},
    {'C', O_CONTINUE_AT, "continue-at", "OFFSET", "Resume at OFFSET; \"-\": at the output file's size."},
    {'u', O_USER, "user", "USER:PASSWORD", "Basic authentication."},
    {0, O_RETRY, "retry", "N", "Retry a transient failure N times: timeouts, no such host, 408, 429, 500, 502, 503, 504."},
    {0, O_RETRY_DELAY, "retry-delay", "SECONDS", "Wait SECONDS between retries (default: 1, doubling up to 10 minutes)."},
    {0, O_RETRY_MAX_TIME, "retry-max-time", "SECONDS", "No retry once SECONDS have passed since the first try."},
    {0, O_RETRY_CONNREFUSED, "retry-connrefused", NULL, "Count a refused connection as transient."},
    {0, O_RETRY_ALL, "retry-all-errors", NULL, "Count every failure as transient."},
    {0, O_CONNECT_TIMEOUT, "connect-timeout", "SECONDS", "Give up connecting after SECONDS."},
    {'m', O_MAX_TIME, "max-time", "SECONDS", "Give up a transfer after SECONDS."},
    {0, O_LIMIT_RATE, "limit-rate", "SPEED", "Transfer at most SPEED bytes per second (suffixes k, m, g)."},
    {0, O_MAX_FILESIZE, "max-filesize", "BYTES", "Refuse bodies larger than BYTES (suffixes k, m, g)."},
    {'f', O_FAIL, "fail", NULL, "Fail with exit status 22 on an HTTP error (400 and above), writing no body."},
    {0, O_FAIL_WITH_BODY, "fail-with-body", NULL, "Fail with exit status 22 on an HTTP error, after saving its body."},
    {'s', O_SILENT, "silent", NULL, "No progress display and no error messages."},
    {'S', O_SHOW_ERROR, "show-error", NULL, "With -s: still show error messages."},
    {0, O_NO_PROGRESS, "no-progress-meter", NULL, "No progress display."},
    {'v', O_VERBOSE, "verbose", NULL, "Show the conversation on standard error."},
    {'w', O_WRITE_OUT, "write-out", "FORMAT", "After each transfer print FORMAT (@FILE: read it from FILE); see WRITE-OUT."},
    {0, O_CACERT, "cacert", "FILE", "Trust the certificate authorities in FILE (PEM) instead of the system's."},
    {0, O_CAPATH, "capath", "DIR", "Trust the certificate authorities in DIR."},
    {'k', O_INSECURE, "insecure", NULL, "Do not verify the server's certificate or name."},
    {0, O_PINNED, "pinnedpubkey", "KEY", "Require this server public key (a PEM or DER file, or sha256//BASE64)."},
    {'x', O_PROXY, "proxy", "[http://]HOST[:PORT]", "Use this HTTP proxy."},
    {0, O_NOPROXY, "noproxy", "LIST", "Do not use a proxy for these hosts (comma-separated, * for all)."},
    {'U', O_PROXY_USER, "proxy-user", "USER:PASSWORD", "Credentials for the proxy."},
    {'p', O_PROXYTUNNEL, "proxytunnel", NULL, "Tunnel through the proxy (CONNECT) for http too."},
    {0, O_COMPRESSED, "compressed", NULL, "Ask for a compressed body (gzip, deflate) and decompress it."},
    {0, O_RESOLVE, "resolve", "HOST:PORT:ADDR", "Connect to ADDR for HOST:PORT without resolving it."},
    {0, O_CONNECT_TO, "connect-to", "HOST:PORT:HOST2:PORT2", "Connect to HOST2:PORT2 instead of HOST:PORT."},
    {'4', O_IPV4, "ipv4", NULL, "Connect over IPv4 only."},
    {'6', O_IPV6, "ipv6", NULL, "Connect over IPv6 only."},
    {'K', O_CONFIG, "config", "FILE", "Read options from FILE (\"-\": standard input); see CONFIG FILES."},
    {'h', O_HELP, "help", NULL, "Show this list."},
    {'V', O_VERSION, "version", NULL, "Show the version."},
};
#define N_OPTIONS (sizeof OPTIONS / sizeof OPTIONS[0])

static const char *const WRITE_OUT_VARS[] = {
    "content_type", "errormsg", "exitcode", "filename_effective", "http_code", "http_version", "local_ip",
    "local_port", "method", "num_connects", "num_redirects", "num_retries", "redirect_url", "remote_ip",
    "remote_port", "response_code", "scheme", "size_download", "size_header", "size_request", "size_upload",
    "speed_download", "speed_upload", "ssl_verify_result", "time_appconnect", "time_connect",
    "time_namelookup", "time_pretransfer", "time_redirect", "time_starttransfer", "time_total", "url",
    "url_effective", "stdout", "stderr",
};
#define N_VARS (sizeof WRITE_OUT_VARS / sizeof WRITE_OUT_VARS[0])

#ifdef MPERF_CLI_MAN
/* ---- the man page (built as its own program: make cli writes mperf.1) ---- */
static void roff(const char *s)
{
    for (; *s; s++) {
        if (*s == '\\') fputs("\\e", stdout);
        else if (*s == '-') fputs("\\-", stdout);
        else putchar(*s);
    }
}
int main(void)
{
    size_t i;
    puts(".TH MPERF 1 \"\" \"mperf " MPERF_VERSION "\" \"User Commands\"");
    puts(".SH NAME\nmperf \\- transfer URLs over HTTP and HTTPS, several at once");
    puts(".SH SYNOPSIS\n.B mperf\n[\\fIoptions\\fR] \\fIURL\\fR...");
    puts(".SH DESCRIPTION\nmperf fetches or sends each URL in turn, or all at once with \\fB\\-Z\\fR. It is built "
         "on multiperform.h, one C header with libcurl's multi interface, and spells its options as curl does."
         "\n.PP\nA download to a file is written under a temporary name beside it and renamed when it "
         "succeeds: a failed transfer leaves no partial file (unless \\fB\\-C\\fR asked to resume, which "
         "writes to the file itself). With \\fB\\-O\\fR and \\fB\\-J\\fR the name comes from the server and "
         "never leaves the output directory: names that are empty, \".\", \"..\", contain a slash, a "
         "backslash or a control character are refused (exit status 23). A file that is not a regular one "
         "(\\-o /dev/null, a pipe, a symbolic link) is written directly.\n.PP\nOn a terminal, each "
         "running transfer has a bar (size, speed, time left) above a line for all of them; the display "
         "follows the window's width. Elsewhere a line per running transfer is printed every second. "
         "Nothing is shown with \\fB\\-s\\fR or when the body goes to a terminal.");
    puts(".SH OPTIONS");
    for (i = 0; i < N_OPTIONS; i++) {
        const cli_option *o = &OPTIONS[i];
        fputs(".TP\n", stdout);
        if (o->s) printf("\\fB\\-%c\\fR, ", o->s);
        fputs("\\fB\\-\\-", stdout);
        roff(o->l);
        fputs("\\fR", stdout);
        if (o->arg) {
            fputs(" \\fI", stdout);
            roff(o->arg);
            fputs("\\fR", stdout);
        }
        putchar('\n');
        roff(o->help);
        putchar('\n');
    }
    puts(".SH WRITE-OUT\nThe format of \\fB\\-w\\fR is printed after each transfer, with \\en, \\et, \\er and "
         "\\e\\e as escapes, %% for a percent sign and %{\\fIname\\fR} for a value of the transfer: times in "
         "seconds, sizes in bytes, speeds in bytes per second, as curl prints them. %{stderr} and %{stdout} "
         "switch where the rest goes. Names:");
    for (i = 0; i < N_VARS; i++) {
        fputs(i ? ", " : "", stdout);
        roff(WRITE_OUT_VARS[i]);
    }
    puts(".");
    puts(".SH CONFIG FILES\nA file given to \\fB\\-K\\fR holds one option per line: a long name with or without "
         "its dashes or a short one with its dash, then the argument after blanks, \"=\" or \":\", in double "
         "quotes when it has blanks (\\e\\e, \\e\", \\et, \\en, \\er inside). Lines starting with # are comments. "
         "No file is read unless asked.");
    puts(".SH EXIT STATUS\ncurl's: 0 when the transfers succeeded, otherwise the result of the last one to "
         "finish (6 no such host, 7 no connection, 18 body cut short, 22 HTTP error with \\fB\\-f\\fR, 23 "
         "cannot write or refused name, 26 cannot read the upload, 28 timeout, 35 TLS handshake, 60 "
         "certificate not trusted, 4 an option this build leaves out); 2 for a bad command line.");
    puts(".SH EXAMPLES\n.nf\nmperf \\-O https://example.org/file.tar.gz\nmperf \\-Z \\-\\-output\\-dir "
         "dl \\-\\-remote\\-name\\-all https://example.org/a https://example.org/b\nmperf \\-C \\- \\-\\-retry 5 "
         "\\-o big.iso https://example.org/big.iso\nmperf \\-s \\-o /dev/null \\-w '%{http_code} "
         "%{time_total}\\en' https://example.org/\n.fi");
    puts(".SH SEE ALSO\ncurl(1), wget(1)");
    return 0;
}
#else

/* ---- settings and transfers --------------------------------------------- */
typedef struct cli {
    const char *out_dir, *user_agent, *referer, *upload, *method, *range, *user, *write_out, *cacert, *capath;
    const char *pinned, *proxy, *noproxy, *proxy_user, *resume_arg;
    char *data;
    size_t data_len;
    int have_data, parallel, remote_all, create_dirs, header_name, location, head, include, fail,
        fail_body, autoreferer, silent, show_error, no_progress, verbose, insecure, proxytunnel, compressed,
        retry_connrefused, retry_all, ipv;
    long parallel_max, max_redirs, retry;
    double retry_delay, retry_max_time, connect_timeout, max_time;
    mperf_off_t limit_rate, max_filesize;
    mperf_slist *headers, *resolve, *connect_to;
} cli;

enum { J_WAIT, J_RUN, J_RETRY, J_DONE };

typedef struct job {
    const char *url;
    const char *out; /* -o FILE, "-", or NULL with -O */
    int remote;      /* -O */
    char *url2;      /* the URL with -T's file name added */
    char *final;     /* the file the body ends in (NULL: standard output) */
    char *tmp;       /* where it is written until then */
    char name[64];   /* shown in the progress display */
    char dispo[256]; /* -J: the name Content-Disposition gave */
    FILE *fp, *up;
    mperf_easy *e;
    int state, tries, paused, discard, appending, direct;
    double started, not_before, first_try;
    double speed, last_t;
    mperf_off_t got, last_got, resume, up_size, rate_n, up_n;
    long code, retry_after;
    mperf_code result;
    char err[MPERF_ERROR_SIZE];
} job;

static cli C;
static job *J;
static size_t NJ;
static char **KEEP; /* strings the settings point into, freed at exit */
static size_t NKEEP;
static int TTY_BARS, PLAIN_LINES, DRAWN, DONE_N, EXIT;
static double NEXT_DRAW;

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fputs(CLI_NAME ": out of memory\n", stderr);
        exit(27);
    }
    return p;
}
static char *keep(char *s)
{
    KEEP = (char **)xrealloc(KEEP, (NKEEP + 1) * sizeof *KEEP);
    return KEEP[NKEEP++] = s;
}
static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return (char *)memcpy(xrealloc(NULL, n), s, n);
}
static char *cat3(const char *a, const char *b, const char *c)
{
    size_t na = strlen(a), nb = strlen(b), nc = strlen(c);
    char *r = (char *)xrealloc(NULL, na + nb + nc + 1);
    memcpy(r, a, na);
    memcpy(r + na, b, nb);
    memcpy(r + na + nb, c, nc + 1);
    return r;
}
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
/* ---- text: the printf the tool needs, written here: libc's brings about
   10 KiB (its float code) into a static build. %s %c %d %u %f %%, with l or
   ll, - and 0, a width and a precision (digits or *); %f rounds half up. */
static int vfmt(char *out, size_t cap, const char *f, va_list ap)
{
    size_t n = 0;
    for (; *f; f++) {
        char num[48], *d = num + sizeof num, pad = ' ';
        const char *s = f;
        size_t len = 1, i;
        int left = 0, lng = 0, width = 0, prec = -1, neg = 0;
        if (*f == '%' && *++f != '%') {
            for (; *f == '-' || *f == '0'; f++) {
                if (*f == '-') left = 1;
                else pad = '0';
            }
            if (*f == '*') {
                width = va_arg(ap, int);
                f++;
            }
            for (; *f >= '0' && *f <= '9'; f++) width = width * 10 + *f - '0';
            if (*f == '.' && *++f == '*') {
                prec = va_arg(ap, int);
                f++;
            } else if (f[-1] == '.') {
                for (prec = 0; *f >= '0' && *f <= '9'; f++) prec = prec * 10 + *f - '0';
            }
            for (; *f == 'l'; f++) lng++;
            if (*f == 's') {
                s = va_arg(ap, const char *);
                for (len = 0; (prec < 0 || len < (size_t)prec) && s[len]; len++) continue;
            } else if (*f == 'c') {
                *--d = (char)va_arg(ap, int);
                s = d;
            } else {
                unsigned long long v, frac = 0, scale = 1;
                if (*f == 'f') {
                    double x = va_arg(ap, double);
                    neg = x < 0;
                    if (neg) x = -x;
                    if (prec < 0) prec = 6;
                    for (i = 0; i < (size_t)prec; i++) scale *= 10;
                    x = x * (double)scale + 0.5;
                    v = x < 1.8e19 ? (unsigned long long)x : 0;
                    frac = v % scale;
                    v /= scale;
                    for (i = 0; i < (size_t)prec; i++, frac /= 10) *--d = (char)('0' + frac % 10);
                    if (prec > 0) *--d = '.';
                } else if (*f == 'd') {
                    long long x = lng > 1 ? va_arg(ap, long long) : lng ? va_arg(ap, long) : va_arg(ap, int);
                    neg = x < 0;
                    v = neg ? 0 - (unsigned long long)x : (unsigned long long)x;
                } else {
                    v = lng > 1 ? va_arg(ap, unsigned long long) : lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
                }
                do *--d = (char)('0' + v % 10);
                while (v /= 10);
                while (pad == '0' && d > num + 1 && num + sizeof num - d < width - neg) *--d = '0';
                if (neg) *--d = '-';
                s = d;
                len = (size_t)(num + sizeof num - d);
            }
        }
        for (i = len; !left && i < (size_t)width; i++, n++)
            if (n + 1 < cap) out[n] = ' ';
        for (i = 0; i < len; i++, n++)
            if (n + 1 < cap) out[n] = s[i];
        for (i = len; left && i < (size_t)width; i++, n++)
            if (n + 1 < cap) out[n] = ' ';
    }
    if (cap) out[n < cap ? n : cap - 1] = 0;
    return (int)n;
}
static int fmt(char *out, size_t cap, const char *f, ...) CLI_PRINTF(3, 4);
static int fmt(char *out, size_t cap, const char *f, ...)
{
    va_list ap;
    int n;
    va_start(ap, f);
    n = vfmt(out, cap, f, ap);
    va_end(ap);
    return n;
}
static void say(FILE *to, const char *f, ...) CLI_PRINTF(2, 3);
static void say(FILE *to, const char *f, ...) /* fprintf, for texts under 1 KiB */
{
    char b[1024];
    va_list ap;
    va_start(ap, f);
    vfmt(b, sizeof b, f, ap);
    va_end(ap);
    fputs(b, to);
}
static void warn(const char *fmt, ...) CLI_PRINTF(1, 2);
static void warn(const char *fmt, ...)
{
    va_list ap;
    char b[1024];
    if (C.silent && !C.show_error) return;
    va_start(ap, fmt);
    vfmt(b, sizeof b, fmt, ap);
    va_end(ap);
    fputs(CLI_NAME ": ", stderr);
    fputs(b, stderr);
    fputc('\n', stderr);
}
#define usage_error(...) (warn(__VA_ARGS__), warn("try '" CLI_NAME " --help' for more information"), exit(2))

/* A whole file into memory (standard input for "-"); NULL when unreadable. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    char *b = NULL;
    size_t n = 0, cap = 0, r;
    if (!f) return NULL;
    do {
        if (cap - n < 4096) b = (char *)xrealloc(b, cap = cap * 2 + 8192);
        r = fread(b + n, 1, cap - n - 1, f);
        n += r;
    } while (r > 0);
    if (ferror(f)) {
        free(b);
        b = NULL;
    } else {
        b[n] = 0;
    }
    if (f != stdin) fclose(f);
    *len = n;
    return b;
}

/* Decimal digits at *p (before end) into *v; how many there were. (Not
   strtod or sscanf: they bring libc's float and scanf code into a static
   build.) */
static int digits(const char **p, const char *end, double *v)
{
    int n = 0;
    *v = 0;
    for (; *p < end && **p >= '0' && **p <= '9' && n < 18; (*p)++, n++) *v = *v * 10 + (**p - '0');
    return n;
}

/* "1.5", "100k", "2M": seconds or bytes; -1 when it does not parse. */
static double number(const char *s, int suffixes)
{
    const char *end = s + strlen(s);
    double v, frac, scale = 1;
    int n = digits(&s, end, &v);
    if (*s == '.') {
        const char *f = ++s;
        n += digits(&s, end, &frac);
        while (f++ < s) scale *= 10;
        v += frac / scale;
    }
    if (!n) return -1;
    if (suffixes && *s) {
        const char *u = strchr("kKmMgG", *s);
        if (!u) return -1;
        v *= (double)(1L << (10 * (1 + (u - "kKmMgG") / 2)));
        s++;
    }
    return *s ? -1 : v;
}

/* ---- the command line and config files ----------------------------------- */
static const char **URLS;
static size_t NURLS;
static const char **OUTS; /* -o values and "" for -O, in order; paired with URLs */
static size_t NOUTS;

static void add_out(const char *o)
{
    OUTS = (const char **)xrealloc(OUTS, (NOUTS + 1) * sizeof *OUTS);
    OUTS[NOUTS++] = o;
}
static void add_url(const char *u)
{
    URLS = (const char **)xrealloc(URLS, (NURLS + 1) * sizeof *URLS);
    URLS[NURLS++] = u;
}
static void add_data(const char *v, int how) /* how: 0 -d, 1 --data-binary, 2 --data-raw */
{
    size_t n = strlen(v);
    char *file = NULL;
    if (how < 2 && v[0] == '@') {
        file = slurp(v + 1, &n);
        if (!file) usage_error("cannot read the data file '%s'", v + 1);
        if (how == 0) { /* -d @file drops carriage returns and newlines */
            size_t i, k = 0;
            for (i = 0; i < n; i++)
                if (file[i] != '\r' && file[i] != '\n') file[k++] = file[i];
            n = k;
        }
        v = file;
    }
    C.data = (char *)xrealloc(C.data, C.data_len + n + 2);
    if (C.have_data) C.data[C.data_len++] = '&';
    memcpy(C.data + C.data_len, v, n);
    C.data_len += n;
    C.data[C.data_len] = 0;
    C.have_data = 1;
    free(file);
}

static void read_config(const char *path, int depth);

static void apply(const cli_option *o, const char *v, int depth)
{
    double d;
    switch (o->id) {
    case O_URL: add_url(v); break;
    case O_OUTPUT: add_out(v); break;
    case O_REMOTE_NAME: add_out(""); break;
    case O_REMOTE_NAME_ALL: C.remote_all = 1; break;
    case O_OUTPUT_DIR: C.out_dir = v; break;
    case O_CREATE_DIRS: C.create_dirs = 1; break;
    case O_REMOTE_HEADER_NAME: C.header_name = 1; break;
    case O_PARALLEL: C.parallel = 1; break;
    case O_LOCATION: C.location = 1; break;
    case O_HEADER: C.headers = mperf_slist_append(C.headers, v); break;
    case O_USER_AGENT: C.user_agent = v; break;
    case O_REFERER: {
        size_t n = strlen(v);
        C.autoreferer = n >= 5 && strcmp(v + n - 5, ";auto") == 0;
        C.referer = C.autoreferer ? keep(xstrdup(v)) : v;
        if (C.autoreferer) KEEP[NKEEP - 1][n - 5] = 0;
        break;
    }
    case O_DATA: add_data(v, 0); break;
    case O_DATA_BINARY: add_data(v, 1); break;
    case O_DATA_RAW: add_data(v, 2); break;
    case O_UPLOAD: C.upload = v; break;
    case O_REQUEST: C.method = v; break;
    case O_HEAD: C.head = 1; break;
    case O_INCLUDE: C.include = 1; break;
    case O_RANGE: C.range = v; break;
    case O_CONTINUE_AT: C.resume_arg = v; break;
    case O_USER: C.user = v; break;
    case O_RETRY_CONNREFUSED: C.retry_connrefused = 1; break;
    case O_RETRY_ALL: C.retry_all = 1; break;
    case O_FAIL: C.fail = 1; break;
    case O_FAIL_WITH_BODY: C.fail_body = 1; break;
    case O_SILENT: C.silent = 1; break;
    case O_SHOW_ERROR: C.show_error = 1; break;
    case O_NO_PROGRESS: C.no_progress = 1; break;
    case O_VERBOSE: C.verbose = 1; break;
    case O_WRITE_OUT:
        if (v[0] == '@') {
            size_t n;
            char *f = slurp(v + 1, &n);
            if (!f) usage_error("cannot read the write-out file '%s'", v + 1);
            v = keep(f);
        }
        C.write_out = v;
        break;
    case O_CACERT: C.cacert = v; break;
    case O_CAPATH: C.capath = v; break;
    case O_INSECURE: C.insecure = 1; break;
    case O_PINNED: C.pinned = v; break;
    case O_PROXY: C.proxy = v; break;
    case O_NOPROXY: C.noproxy = v; break;
    case O_PROXY_USER: C.proxy_user = v; break;
    case O_PROXYTUNNEL: C.proxytunnel = 1; break;
    case O_COMPRESSED: C.compressed = 1; break;
    case O_RESOLVE: C.resolve = mperf_slist_append(C.resolve, v); break;
    case O_CONNECT_TO: C.connect_to = mperf_slist_append(C.connect_to, v); break;
    case O_IPV4: C.ipv = 4; break;
    case O_IPV6: C.ipv = 6; break;
    case O_CONFIG: read_config(v, depth + 1); break;
    case O_HELP: {
        size_t i;
        say(stdout, "Usage: " CLI_NAME " [options] URL...\n");
        for (i = 0; i < N_OPTIONS; i++) {
            char left[64];
            const cli_option *p = &OPTIONS[i];
            fmt(left, sizeof left, "%c%c%c --%s%s%s", p->s ? '-' : ' ', p->s ? p->s : ' ', p->s ? ',' : ' ',
                     p->l, p->arg ? " " : "", p->arg ? p->arg : "");
            say(stdout, " %-32s %s\n", left, p->help);
        }
        say(stdout, "Exit status: curl's. More in the manual: man -l mperf.1\n");
        exit(0);
    }
    case O_VERSION:
        say(stdout, CLI_NAME " %s (multiperform.h)%s\n", mperf_version(),
#ifdef MPERF_NO_TLS
               " http"
#else
               " http https"
#endif
        );
        exit(0);
    default: /* the numbers */
        d = number(v, o->id == O_LIMIT_RATE || o->id == O_MAX_FILESIZE);
        if (d < 0 || d > 1e15) usage_error("option --%s: expected a number, not '%s'", o->l, v);
        switch (o->id) {
        case O_PARALLEL_MAX: C.parallel_max = (long)d < 1 ? 1 : (long)d > 300 ? 300 : (long)d; break;
        case O_MAX_REDIRS: C.max_redirs = (long)d; break;
        case O_RETRY: C.retry = (long)d; break;
        case O_RETRY_DELAY: C.retry_delay = d; break;
        case O_RETRY_MAX_TIME: C.retry_max_time = d; break;
        case O_CONNECT_TIMEOUT: C.connect_timeout = d; break;
        case O_MAX_TIME: C.max_time = d; break;
        case O_LIMIT_RATE: C.limit_rate = (mperf_off_t)d; break;
        case O_MAX_FILESIZE: C.max_filesize = (mperf_off_t)d; break;
        }
    }
}

static const cli_option *find_long(const char *name, size_t n)
{
    size_t i;
    for (i = 0; i < N_OPTIONS; i++)
        if (strlen(OPTIONS[i].l) == n && memcmp(OPTIONS[i].l, name, n) == 0) return &OPTIONS[i];
    return NULL;
}
static const cli_option *find_short(char c)
{
    size_t i;
    for (i = 0; i < N_OPTIONS; i++)
        if (OPTIONS[i].s == c) return &OPTIONS[i];
    return NULL;
}

/* argv-style words: options and URLs. */
static void parse_words(int n, char **w, int depth)
{
    int i;
    for (i = 0; i < n; i++) {
        const char *a = w[i];
        const cli_option *o;
        if (a[0] != '-' || !a[1]) {
            add_url(a);
            continue;
        }
        if (a[1] == '-') {
            if (!a[2]) { /* "--": the rest are URLs */
                while (++i < n) add_url(w[i]);
                break;
            }
            o = find_long(a + 2, strlen(a + 2));
            if (!o) usage_error("option %s: is unknown", a);
            if (o->arg && i + 1 >= n) usage_error("option %s: needs an argument", a);
            apply(o, o->arg ? w[++i] : NULL, depth);
            continue;
        }
        for (a++; *a; a++) { /* -sSLo FILE, -oFILE */
            char opt[3] = {'-', *a, 0};
            o = find_short(*a);
            if (!o) usage_error("option %s: is unknown", opt);
            if (!o->arg) {
                apply(o, NULL, depth);
                continue;
            }
            if (a[1]) {
                apply(o, a + 1, depth);
            } else {
                if (i + 1 >= n) usage_error("option %s: needs an argument", opt);
                apply(o, w[++i], depth);
            }
            break;
        }
    }
}

/* A config file: "name value", "name = value", "-o value", quoted values. */
static void read_config(const char *path, int depth)
{
    size_t len;
    char *text, *p;
    if (depth > 8) usage_error("config files nested too deep at '%s'", path);
    text = slurp(path, &len);
    if (!text) usage_error("cannot read the config file '%s'", path);
    keep(text);
    for (p = text; *p;) {
        char *line = p, *name, *val = NULL, *w[2];
        size_t nl = strcspn(p, "\r\n");
        p += nl;
        if (*p) *p++ = 0;
        while (*line == ' ' || *line == '\t') line++;
        if (!*line || *line == '#') continue;
        name = line;
        while (*line && !strchr(" \t=:", *line)) line++;
        if (*line) {
            *line++ = 0;
            while (*line && strchr(" \t=:", *line)) line++;
            if (*line == '"') { /* a quoted value, unescaped in place */
                char *o = val = ++line;
                for (; *line && *line != '"'; line++) {
                    if (*line == '\\' && line[1]) {
                        line++;
                        *o++ = *line == 't' ? '\t' : *line == 'n' ? '\n' : *line == 'r' ? '\r' : *line == 'v' ? '\v' : *line;
                    } else {
                        *o++ = *line;
                    }
                }
                *o = 0;
            } else if (*line) {
                val = line;
                line[strcspn(line, " \t")] = 0;
            }
        }
        if (name[0] == '-') {
            w[0] = name;
        } else { /* a long name without its dashes */
            w[0] = keep(cat3("--", name, ""));
        }
        w[1] = val;
        {
            const cli_option *o = name[0] == '-' && name[1] != '-' ? find_short(name[1])
                                                                  : find_long(w[0] + 2, strlen(w[0] + 2));
            if (!o) usage_error("%s: option %s: is unknown", path, w[0]);
            if (o->arg && !val) usage_error("%s: option %s: needs an argument", path, w[0]);
            apply(o, o->arg ? val : NULL, depth);
        }
    }
}

/* ---- file names ---------------------------------------------------------- */
/* A name from the server (URL path or Content-Disposition), NULL when it is
   not a plain file name in the output directory. */
static const char *safe_name(const char *s, size_t n, char *buf, size_t cap)
{
    size_t i;
    if (n == 0 || n >= cap) return NULL;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || c == '/' || c == '\\') return NULL;
    }
    if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.')) return NULL;
    memcpy(buf, s, n);
    buf[n] = 0;
    return buf;
}

/* The last part of the URL's path ("" when there is none). */
static void url_name(const char *url, const char **s, size_t *n)
{
    const char *p = strstr(url, "://"), *end, *slash;
    p = p ? p + 3 : url;
    p += strcspn(p, "/?#");
    end = p + strcspn(p, "?#");
    slash = end;
    while (slash > p && slash[-1] != '/') slash--;
    *s = slash;
    *n = (size_t)(end - slash);
}

static int make_dirs(const char *path) /* the directories above path */
{
    char *p = xstrdup(path), *s;
    int ok = 1;
    for (s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = 0;
        if (mkdir(p, 0777) != 0 && errno != EEXIST) ok = 0;
        *s = '/';
    }
    free(p);
    return ok;
}

/* ---- callbacks ------------------------------------------------------------ */
static int retryable_code(long code)
{
    return code == 408 || code == 429 || code == 500 || code == 502 || code == 503 || code == 504;
}

/* --limit-rate: n more bytes went; ahead of the rate, the direction pauses
   (the main loop lets it go again when the average is back under it). */
static void limit(job *j, size_t n, int direction)
{
    if (C.limit_rate <= 0) return;
    j->rate_n += (mperf_off_t)n;
    if ((double)j->rate_n > (double)C.limit_rate * (now_s() - j->started)) {
        mperf_easy_pause(j->e, j->paused | direction);
        j->paused |= direction;
    }
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    job *j = (job *)ud;
    size_t len = size * n;
    if (j->discard) return len;
    if (!j->fp) {
        struct stat st;
        if (!j->final) {
            j->fp = stdout;
        } else if (j->appending) {
            j->fp = fopen(j->final, "ab");
        } else if (!j->remote && lstat(j->final, &st) == 0 && !S_ISREG(st.st_mode)) { /* -o /dev/null, a pipe, a link */
            j->direct = 1;
            j->fp = fopen(j->final, "wb");
        } else {
            int fd;
            if (C.create_dirs && !make_dirs(j->final)) return 0;
            free(j->tmp);
            j->tmp = cat3(j->final, ".mperf-", "XXXXXX");
            fd = mkstemp(j->tmp);
            if (fd >= 0) {
                mode_t mask = umask(0);
                umask(mask);
                if (fchmod(fd, 0666 & ~mask) != 0 || !(j->fp = fdopen(fd, "wb"))) close(fd);
            }
            if (!j->fp) {
                free(j->tmp);
                j->tmp = NULL;
            }
        }
        if (!j->fp) {
            fmt(j->err, sizeof j->err, "cannot write %s: %s", j->final, strerror(errno));
            return 0;
        }
    }
    if (len && fwrite(data, 1, len, j->fp) != len) return 0;
    j->got += (mperf_off_t)len;
    limit(j, len, MPERF_PAUSE_RECV);
    return len;
}

/* ASCII case-insensitive: s[0..n) against the lowercase word w */
static int same_word(const char *s, const char *w, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if ((s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]) != w[i]) return 0;
    return 1;
}

static int field(const char *line, size_t n, const char *name, const char **v, size_t *vn)
{
    size_t k = strlen(name);
    if (n <= k || !same_word(line, name, k) || line[k] != ':') return 0;
    line += k + 1;
    n -= k + 1;
    while (n && (*line == ' ' || *line == '\t')) line++, n--;
    while (n && (line[n - 1] == '\r' || line[n - 1] == '\n' || line[n - 1] == ' ')) n--;
    *v = line;
    *vn = n;
    return 1;
}

/* Seconds from an HTTP date ("Sun, 06 Nov 1994 08:49:37 GMT") to now; -1
   when it is not one. */
static long date_delay(const char *v, size_t n)
{
    static const char mon[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    const char *p = v + 5, *end = v + n, *m;
    double d, y, hh, mm, ss;
    long long days;
    int mi;
    if (n != 29 || v[3] != ',' || !digits(&p, end, &d) || *p++ != ' ') return -1;
    for (m = mon; *m && memcmp(m, p, 3) != 0; m += 3) continue;
    p += 4;
    if (!*m || !digits(&p, end, &y) || *p++ != ' ' || !digits(&p, end, &hh) || *p++ != ':' ||
        !digits(&p, end, &mm) || *p++ != ':' || !digits(&p, end, &ss) || memcmp(p, " GMT", 4) != 0)
        return -1;
    mi = (int)((m - mon) / 3) + 1;
    { /* days since 1970-01-01 (proleptic Gregorian) */
        int yy = mi <= 2 ? (int)y - 1 : (int)y, era = yy / 400, yoe = yy - era * 400;
        int doy = (153 * (mi + (mi > 2 ? -3 : 9)) + 2) / 5 + (int)d - 1, doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        days = (long long)era * 146097 + doe - 719468;
    }
    days = days * 86400 + (long long)(hh * 3600 + mm * 60 + ss) - (long long)time(NULL);
    return days < 0 ? 0 : days > 86400 ? 86400 : (long)days;
}

static size_t on_header(char *line, size_t size, size_t n, void *ud)
{
    job *j = (job *)ud;
    size_t len = size * n, vn;
    const char *v;
    if (len > 5 && memcmp(line, "HTTP/", 5) == 0) {
        const char *sp = (const char *)memchr(line, ' ', len);
        double code = 0;
        if (sp++) digits(&sp, line + len, &code);
        j->code = (long)code;
        j->retry_after = -1;
        /* a response that will be retried leaves the output as it was */
        j->discard = j->tries < C.retry && retryable_code(j->code);
    } else if (field(line, len, "retry-after", &v, &vn)) {
        const char *end = v;
        double secs;
        int k = digits(&end, v + vn, &secs);
        j->retry_after = k && end == v + vn ? (secs > 86400 ? 86400 : (long)secs) : date_delay(v, vn);
    } else if (C.header_name && field(line, len, "content-disposition", &v, &vn)) {
        const char *f = NULL, *p;
        size_t fn = 0;
        for (p = v; p + 9 <= v + vn; p++)
            if (same_word(p, "filename=", 9) && (p == v || p[-1] == ';' || p[-1] == ' ')) {
                f = p + 9;
                fn = (size_t)(v + vn - f);
                break;
            }
        j->dispo[0] = 0;
        if (f) {
            if (*f == '"') {
                const char *q = (const char *)memchr(f + 1, '"', fn - 1);
                fn = q ? (size_t)(q - f - 1) : fn - 1;
                f++;
            } else {
                fn = strcspn(f, ";");
                if (fn > (size_t)(v + vn - f)) fn = (size_t)(v + vn - f);
            }
            { /* a path: its last part, as curl does, then the same checks */
                const char *b = f + fn;
                while (b > f && b[-1] != '/' && b[-1] != '\\') b--;
                fn -= (size_t)(b - f);
                if (!safe_name(b, fn, j->dispo, sizeof j->dispo)) {
                    j->dispo[0] = '\1'; /* refused */
                    j->dispo[1] = 0;
                }
            }
        }
    }
    return len;
}

static size_t on_read(char *buf, size_t size, size_t n, void *ud)
{
    job *j = (job *)ud;
    size_t r = fread(buf, 1, size * n, j->up);
    if (r == 0 && ferror(j->up)) return MPERF_READFUNC_ABORT;
    j->up_n += (mperf_off_t)r;
    limit(j, r, MPERF_PAUSE_SEND);
    return r;
}
static int on_seek(void *ud, mperf_off_t off, int origin)
{
    job *j = (job *)ud;
    if (origin != SEEK_SET || j->up == stdin || fseeko(j->up, (off_t)off, SEEK_SET) != 0) return MPERF_SEEKFUNC_CANTSEEK;
    j->up_n = off;
    return MPERF_SEEKFUNC_OK;
}

/* ---- setting a transfer up ------------------------------------------------ */
static const char *BAD_OPT;
static mperf_code set(mperf_easy *e, int opt, const char *name, long v, const void *p, mperf_off_t o)
{
    mperf_code rc = opt >= 40000 || (opt >= 10000 && opt < 30000) ? mperf_easy_setopt(e, opt, p) /* (blobs: 40000) */
                  : opt >= 30000                                  ? mperf_easy_setopt(e, opt, o)
                                                                  : mperf_easy_setopt(e, opt, v);
    if (rc != MPERF_E_OK && !BAD_OPT) BAD_OPT = name;
    return rc;
}
#define SETL(opt, name, v) (rc = rc ? rc : set(e, opt, name, (long)(v), NULL, 0))
#define SETP(opt, name, p) (rc = rc ? rc : set(e, opt, name, 0, p, 0))
#define SETO(opt, name, v) (rc = rc ? rc : set(e, opt, name, 0, NULL, (mperf_off_t)(v)))

static mperf_code configure(job *j)
{
    mperf_easy *e = j->e;
    mperf_code rc = MPERF_E_OK;
    SETP(MPERF_OPT_URL, "URL", j->url2 ? j->url2 : j->url);
    SETP(MPERF_OPT_ERRORBUFFER, "", j->err);
    SETP(MPERF_OPT_PRIVATE, "", j);
    mperf_easy_setopt(e, MPERF_OPT_WRITEFUNCTION, on_body);
    mperf_easy_setopt(e, MPERF_OPT_HEADERFUNCTION, on_header);
    SETP(MPERF_OPT_WRITEDATA, "", j);
    SETP(MPERF_OPT_HEADERDATA, "", j);
    SETP(MPERF_OPT_USERAGENT, "--user-agent", C.user_agent ? C.user_agent : CLI_NAME "/" MPERF_VERSION);
    if (C.verbose) SETL(MPERF_OPT_VERBOSE, "--verbose", 1);
    if (C.location) SETL(MPERF_OPT_FOLLOWLOCATION, "--location", 1);
    if (C.location) SETL(MPERF_OPT_MAXREDIRS, "--max-redirs", C.max_redirs);
    if (C.headers) SETP(MPERF_OPT_HTTPHEADER, "--header", C.headers);
    if (C.referer && *C.referer) SETP(MPERF_OPT_REFERER, "--referer", C.referer);
    if (C.autoreferer) SETL(MPERF_OPT_AUTOREFERER, "--referer", 1);
    if (C.have_data) {
        SETO(MPERF_OPT_POSTFIELDSIZE_LARGE, "--data", C.data_len);
        SETP(MPERF_OPT_POSTFIELDS, "--data", C.data);
    }
    if (j->up) {
        SETL(MPERF_OPT_UPLOAD, "--upload-file", 1);
        mperf_easy_setopt(e, MPERF_OPT_READFUNCTION, on_read);
        mperf_easy_setopt(e, MPERF_OPT_SEEKFUNCTION, on_seek);
        SETP(MPERF_OPT_READDATA, "", j);
        SETP(MPERF_OPT_SEEKDATA, "", j);
        SETO(MPERF_OPT_INFILESIZE_LARGE, "--upload-file", j->up_size);
    }
    if (C.method) SETP(MPERF_OPT_CUSTOMREQUEST, "--request", C.method);
    if (C.head) SETL(MPERF_OPT_NOBODY, "--head", 1);
    if (C.head || C.include) SETL(MPERF_OPT_HEADER, "--include", 1);
    if (C.range) SETP(MPERF_OPT_RANGE, "--range", C.range);
    if (j->resume > 0) SETO(MPERF_OPT_RESUME_FROM_LARGE, "--continue-at", j->resume);
    if (C.user) SETP(MPERF_OPT_USERPWD, "--user", C.user);
    if (C.connect_timeout > 0) SETL(MPERF_OPT_CONNECTTIMEOUT_MS, "--connect-timeout", C.connect_timeout * 1000 + 0.5);
    if (C.max_time > 0) SETL(MPERF_OPT_TIMEOUT_MS, "--max-time", C.max_time * 1000 + 0.5);
    if (C.limit_rate > 0) /* small pieces: the pauses follow the rate closely */
        SETL(MPERF_OPT_BUFFERSIZE, "--limit-rate", C.limit_rate / 8 < 1024 ? 1024 : C.limit_rate / 8 > 16384 ? 16384 : C.limit_rate / 8);
    if (C.max_filesize > 0) SETO(MPERF_OPT_MAXFILESIZE_LARGE, "--max-filesize", C.max_filesize);
    if (C.fail) SETL(MPERF_OPT_FAILONERROR, "--fail", 1);
    if (C.cacert) SETP(MPERF_OPT_CAINFO, "--cacert", C.cacert);
    if (C.capath) SETP(MPERF_OPT_CAPATH, "--capath", C.capath);
#ifdef MPERF_CLI_CA_EMBED
    if (!C.cacert && !C.capath) {
        static const mperf_blob ca = {(void *)(size_t)MPERF_CLI_CA_EMBED_DATA, sizeof MPERF_CLI_CA_EMBED_DATA - 1, 0};
        SETP(MPERF_OPT_CAINFO_BLOB, "", &ca);
    }
#endif
    if (C.insecure) SETL(MPERF_OPT_SSL_VERIFYPEER, "--insecure", 0);
    if (C.insecure) SETL(MPERF_OPT_SSL_VERIFYHOST, "--insecure", 0);
    if (C.pinned) SETP(MPERF_OPT_PINNEDPUBLICKEY, "--pinnedpubkey", C.pinned);
    if (C.proxy) SETP(MPERF_OPT_PROXY, "--proxy", C.proxy);
    if (C.noproxy) SETP(MPERF_OPT_NOPROXY, "--noproxy", C.noproxy);
    if (C.proxy_user) SETP(MPERF_OPT_PROXYUSERPWD, "--proxy-user", C.proxy_user);
    if (C.proxytunnel) SETL(MPERF_OPT_HTTPPROXYTUNNEL, "--proxytunnel", 1);
    if (C.compressed) SETP(MPERF_OPT_ACCEPT_ENCODING, "--compressed", "");
    if (C.resolve) SETP(MPERF_OPT_RESOLVE, "--resolve", C.resolve);
    if (C.connect_to) SETP(MPERF_OPT_CONNECT_TO, "--connect-to", C.connect_to);
    if (C.ipv) SETL(MPERF_OPT_IPRESOLVE, C.ipv == 4 ? "--ipv4" : "--ipv6", C.ipv == 4 ? MPERF_IPRESOLVE_V4 : MPERF_IPRESOLVE_V6);
    return rc;
}

/* ---- progress ------------------------------------------------------------ */
static const char *human(double v, char *buf, size_t cap)
{
    static const char unit[] = "BKMGTP";
    int u = 0;
    while (v >= 1024 && u < 5) v /= 1024, u++;
    fmt(buf, cap, u ? (v < 10 ? "%.1f%c" : "%.0f%c") : "%.0f%c", v, unit[u]);
    return buf;
}
static const char *clock_text(double s, char *buf, size_t cap)
{
    long t = s >= 0 && s < 359999 ? (long)(s + 0.5) : 0;
    if (s < 0 || s >= 359999) fmt(buf, cap, "--:--");
    else if (t >= 3600) fmt(buf, cap, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else fmt(buf, cap, "%ld:%02ld", t / 60, t % 60);
    return buf;
}
static mperf_off_t job_total(job *j) /* the whole size when known, else -1 */
{
    mperf_off_t cl = -1;
    if (j->up) return j->up_size;
    if (j->e && j->state == J_RUN) mperf_easy_getinfo(j->e, MPERF_INFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
    return cl < 0 ? -1 : cl + j->resume;
}
static mperf_off_t job_now(job *j)
{
    return j->up ? j->up_n : j->got + j->resume;
}

/* One line for a transfer in width w: name, bar, percent, size, speed, ETA. */
static void bar_line(char *out, size_t cap, job *j, int w, int done)
{
    char a[32], b[32], c[32], d[32], tail[160];
    mperf_off_t now = job_now(j), total = job_total(j);
    int pct = total > 0 ? (int)((double)now * 100 / (double)total) : -1, barw, k, fill;
    int nw = w >= 100 ? 24 : w / 4 < 8 ? 8 : w / 4; /* the name's column */
    if (done) {
        double t = j->last_t - j->started;
        fmt(tail, sizeof tail, " %s in %s  %s/s  %s", human((double)now, a, sizeof a), clock_text(t, b, sizeof b),
                 human(t > 0 ? (double)j->got / t : 0, c, sizeof c), j->result ? "failed" : "done");
    } else {
        fmt(tail, sizeof tail, " %3d%% %5s/%-5s %5s/s %s", pct < 0 ? 0 : pct > 100 ? 100 : pct,
                 human((double)now, a, sizeof a), total >= 0 ? human((double)total, b, sizeof b) : "?",
                 human(j->speed, c, sizeof c),
                 total > 0 && j->speed > 0 ? clock_text((double)(total - now) / j->speed, d, sizeof d) : "--:--");
    }
    barw = w - 1 - nw - 3 - (int)strlen(tail);
    if (barw > 40) barw = 40;
    k = fmt(out, cap, "%-*.*s", nw, nw, j->name);
    if (!done && barw >= 5) {
        fill = pct < 0 ? 0 : barw * (pct > 100 ? 100 : pct) / 100;
        out[k++] = ' ';
        out[k++] = '[';
        while (fill-- > 0 && (size_t)k < cap - 2) out[k++] = '#', barw--;
        while (barw-- > 0 && (size_t)k < cap - 2) out[k++] = '.';
        out[k++] = ']';
        out[k] = 0;
    }
    fmt(out + k, cap - (size_t)k, "%s", tail);
    if ((int)strlen(out) > w - 1 && w > 1) out[w - 1] = 0; /* never wrap */
}

static int term_width(void)
{
    struct winsize ws;
    if (ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20) return ws.ws_col;
    return 80;
}

/* Redraws the live area (terminal) or prints the plain lines; done_job, when
   given, gets its final line printed above the live area first. */
static void progress(job *done_job, int force)
{
    double t = now_s();
    size_t i;
    char line[512];
    if (!TTY_BARS && !PLAIN_LINES) return;
    for (i = 0; i < NJ; i++) { /* speeds, smoothed over the redraws */
        job *j = &J[i];
        if (j->state == J_RUN && t > j->last_t + 0.05) {
            mperf_off_t n = job_now(j);
            double inst = (double)(n - j->last_got) / (t - j->last_t);
            j->speed = j->speed > 0 ? j->speed * 0.6 + inst * 0.4 : inst;
            j->last_got = n;
            j->last_t = t;
        }
    }
    if (PLAIN_LINES) {
        if (done_job) {
            bar_line(line, sizeof line, done_job, 200, 1);
            say(stderr, "%s\n", line);
        }
        if (!force && t < NEXT_DRAW) return;
        NEXT_DRAW = t + 1.0;
        for (i = 0; i < NJ; i++)
            if (J[i].state == J_RUN && t - J[i].started >= 1.0) {
                bar_line(line, sizeof line, &J[i], 200, 0);
                say(stderr, "%s\n", line);
            }
        return;
    }
    if (!done_job && !force && t < NEXT_DRAW) return;
    NEXT_DRAW = t + 0.2;
    {
        int w = term_width(), lines = 0, running = 0;
        mperf_off_t all = 0;
        double speed = 0;
        char a[32], b[32];
        if (DRAWN) say(stderr, "\r\033[%dA", DRAWN);
        if (done_job) {
            bar_line(line, sizeof line, done_job, w, 1);
            say(stderr, "\033[K%s\n", line);
        }
        for (i = 0; i < NJ; i++) {
            job *j = &J[i];
            all += j->state == J_DONE ? 0 : job_now(j);
            if (j->state != J_RUN) continue;
            speed += j->speed;
            if (++running > 20) continue; /* the rest only in the total */
            bar_line(line, sizeof line, j, w, 0);
            say(stderr, "\033[K%s\n", line);
            lines++;
        }
        fmt(line, sizeof line, "%d of %d done, %d running, %s at %s/s", DONE_N, (int)NJ, running,
                 human((double)all, a, sizeof a), human(speed, b, sizeof b));
        if ((int)strlen(line) > w - 1) line[w - 1] = 0;
        say(stderr, "\033[K%s\n\033[J", line);
        DRAWN = lines + 1;
        fflush(stderr);
    }
}

/* Takes the live area off the terminal: a message goes where it was. */
static void clear_bars(void)
{
    if (!TTY_BARS || !DRAWN) return;
    say(stderr, "\r\033[%dA\033[J", DRAWN);
    DRAWN = 0;
}

/* ---- write-out -------------------------------------------------------------- */
static void write_out(job *j, FILE **to)
{
    const char *p = C.write_out;
    FILE *f = stdout;
    while (*p) {
        if (*p == '\\' && p[1]) {
            p++;
            fputc(*p == 'n' ? '\n' : *p == 't' ? '\t' : *p == 'r' ? '\r' : *p, f);
            if (!strchr("ntr\\", *p)) fputc(*p, f), fseek(f, 0, SEEK_CUR); /* unknown: as written */
            p++;
        } else if (p[0] == '%' && p[1] == '%') {
            fputc('%', f);
            p += 2;
        } else if (p[0] == '%' && p[1] == '{' && strchr(p, '}')) {
            const char *name = p + 2;
            size_t n = (size_t)(strchr(p, '}') - name), v;
            char *s = NULL;
            long l = 0;
            double d = 0;
            mperf_off_t o = 0;
            p = name + n + 1;
            for (v = 0; v < N_VARS; v++)
                if (strlen(WRITE_OUT_VARS[v]) == n && memcmp(WRITE_OUT_VARS[v], name, n) == 0) break;
            if (v == N_VARS) {
                char nm[64];
                fmt(nm, sizeof nm, "%.*s", (int)(n < 60 ? n : 60), name);
                say(stderr, CLI_NAME ": unknown --write-out variable: '%s'\n", nm);
                continue;
            }
            name = WRITE_OUT_VARS[v];
#define IS(x) (strcmp(name, x) == 0)
            if (IS("stdout")) f = stdout;
            else if (IS("stderr")) f = stderr;
            else if (IS("exitcode")) say(f, "%d", (int)j->result);
            else if (IS("errormsg")) fputs(j->result ? (j->err[0] ? j->err : mperf_easy_strerror(j->result)) : "", f);
            else if (IS("filename_effective")) fputs(j->final ? j->final : "", f);
            else if (IS("num_retries")) say(f, "%d", j->tries);
            else if (IS("url")) fputs(j->url2 ? j->url2 : j->url, f);
            else if (IS("http_code") || IS("response_code")) {
                mperf_easy_getinfo(j->e, MPERF_INFO_RESPONSE_CODE, &l);
                say(f, "%03ld", l);
            } else if (IS("http_version")) {
                mperf_easy_getinfo(j->e, MPERF_INFO_HTTP_VERSION, &l);
                fputs(l == MPERF_HTTP_VERSION_1_0 ? "1" : l == MPERF_HTTP_VERSION_1_1 ? "1.1" : "0", f);
            } else {
                static const struct { const char *n; int info; char kind; } map[] = {
                    {"content_type", MPERF_INFO_CONTENT_TYPE, 's'}, {"local_ip", MPERF_INFO_LOCAL_IP, 's'},
                    {"local_port", MPERF_INFO_LOCAL_PORT, 'l'}, {"method", MPERF_INFO_EFFECTIVE_METHOD, 's'},
                    {"num_connects", MPERF_INFO_NUM_CONNECTS, 'l'}, {"num_redirects", MPERF_INFO_REDIRECT_COUNT, 'l'},
                    {"redirect_url", MPERF_INFO_REDIRECT_URL, 's'}, {"remote_ip", MPERF_INFO_PRIMARY_IP, 's'},
                    {"remote_port", MPERF_INFO_PRIMARY_PORT, 'l'}, {"scheme", MPERF_INFO_SCHEME, 's'},
                    {"size_download", MPERF_INFO_SIZE_DOWNLOAD_T, 'o'}, {"size_header", MPERF_INFO_HEADER_SIZE, 'l'},
                    {"size_request", MPERF_INFO_REQUEST_SIZE, 'l'}, {"size_upload", MPERF_INFO_SIZE_UPLOAD_T, 'o'},
                    {"speed_download", MPERF_INFO_SPEED_DOWNLOAD_T, 'o'}, {"speed_upload", MPERF_INFO_SPEED_UPLOAD_T, 'o'},
                    {"ssl_verify_result", MPERF_INFO_SSL_VERIFYRESULT, 'l'},
                    {"time_appconnect", MPERF_INFO_APPCONNECT_TIME, 'd'}, {"time_connect", MPERF_INFO_CONNECT_TIME, 'd'},
                    {"time_namelookup", MPERF_INFO_NAMELOOKUP_TIME, 'd'},
                    {"time_pretransfer", MPERF_INFO_PRETRANSFER_TIME, 'd'},
                    {"time_redirect", MPERF_INFO_REDIRECT_TIME, 'd'},
                    {"time_starttransfer", MPERF_INFO_STARTTRANSFER_TIME, 'd'}, {"time_total", MPERF_INFO_TOTAL_TIME, 'd'},
                    {"url_effective", MPERF_INFO_EFFECTIVE_URL, 's'},
                };
                size_t k;
                for (k = 0; k < sizeof map / sizeof map[0] && !IS(map[k].n); k++) continue;
                if (k == sizeof map / sizeof map[0]) continue;
                if (map[k].kind == 's' && mperf_easy_getinfo(j->e, map[k].info, &s) == MPERF_E_OK && s) fputs(s, f);
                if (map[k].kind == 'l' && mperf_easy_getinfo(j->e, map[k].info, &l) == MPERF_E_OK) say(f, "%ld", l);
                if (map[k].kind == 'o' && mperf_easy_getinfo(j->e, map[k].info, &o) == MPERF_E_OK) say(f, "%lld", (long long)o);
                if (map[k].kind == 'd' && mperf_easy_getinfo(j->e, map[k].info, &d) == MPERF_E_OK) say(f, "%.6f", d);
            }
#undef IS
        } else {
            fputc(*p++, f);
        }
    }
    fflush(f);
    *to = f;
}

/* ---- a transfer from start to end ---------------------------------------------- */
/* The transfer's end: output file renamed into place or removed, message,
   write-out, exit status. */
static void job_end(job *j, mperf_code rc)
{
    FILE *wo;
    int failed_body = rc == MPERF_E_OK && C.fail_body && j->code >= 400; /* saved, then an error */
    if (j->final && !j->appending && !j->direct) { /* the temporary file: renamed into place or removed */
        const char *final = j->final;
        char *alt = NULL;
        if (rc == MPERF_E_OK && !j->fp && !C.head) { /* an empty body: an empty file */
            j->discard = 0;
            on_body(NULL, 0, 0, j);
            if (!j->fp) rc = MPERF_E_WRITE_ERROR;
        }
        if (j->fp && fclose(j->fp) != 0 && rc == MPERF_E_OK) rc = MPERF_E_WRITE_ERROR;
        j->fp = NULL;
        if (rc == MPERF_E_OK && j->dispo[0] == '\1') {
            rc = MPERF_E_WRITE_ERROR;
            fmt(j->err, sizeof j->err, "refused the server's file name (not a plain name)");
        } else if (rc == MPERF_E_OK && j->dispo[0]) {
            const char *slash = strrchr(j->final, '/');
            char dir[4096];
            fmt(dir, sizeof dir, "%.*s", slash ? (int)(slash - j->final + 1) : 0, j->final);
            final = alt = cat3(dir, j->dispo, "");
            if (access(final, F_OK) == 0) {
                rc = MPERF_E_WRITE_ERROR;
                fmt(j->err, sizeof j->err, "refusing to overwrite %s", final);
            }
        }
        if (j->tmp) {
            if (rc == MPERF_E_OK && rename(j->tmp, final) != 0) {
                rc = MPERF_E_WRITE_ERROR;
                fmt(j->err, sizeof j->err, "cannot rename to %s: %s", final, strerror(errno));
            }
            if (rc != MPERF_E_OK) unlink(j->tmp);
        }
        if (alt) {
            free(j->final);
            j->final = alt;
        }
    } else if (j->fp) {
        if ((j->fp == stdout ? fflush(j->fp) : fclose(j->fp)) != 0 && rc == MPERF_E_OK) rc = MPERF_E_WRITE_ERROR;
        j->fp = NULL;
    }
    if (failed_body && rc == MPERF_E_OK) {
        rc = MPERF_E_HTTP_RETURNED_ERROR;
        fmt(j->err, sizeof j->err, "The requested URL returned error: %ld", j->code);
    }
    j->result = rc;
    j->state = J_DONE;
    j->last_t = now_s();
    DONE_N++;
    EXIT = (int)rc;
    progress(j, 1);
    if (rc != MPERF_E_OK && (!C.silent || C.show_error)) {
        clear_bars();
        say(stderr, CLI_NAME ": (%d) %s\n", (int)rc, j->err[0] ? j->err : mperf_easy_strerror(rc));
    }
    if (C.write_out && j->e) write_out(j, &wo);
    if (j->up && j->up != stdin) fclose(j->up);
    j->up = NULL;
    if (j->e) mperf_easy_cleanup(j->e);
    j->e = NULL;
}

/* Sets up and adds a transfer (its first try or a retry); 0 when it ended
   without starting. */
static int job_start(mperf_multi *m, job *j)
{
    mperf_code rc;
    j->err[0] = 0;
    j->dispo[0] = 0;
    j->discard = 0;
    j->code = 0;
    j->retry_after = -1;
    if (j->fp && j->fp != stdout && (j->appending || j->direct)) { /* a retry: what was written is in the file */
        fclose(j->fp);
        j->fp = NULL;
    }
    if (j->tries == 0) {
        const char *name = NULL;
        char buf[256];
        j->first_try = now_s();
        if (C.upload) { /* -T: a URL ending in / gets the file's name */
            const char *base = strrchr(C.upload, '/') ? strrchr(C.upload, '/') + 1 : C.upload;
            size_t n = strlen(j->url);
            struct stat st;
            if (n && j->url[n - 1] == '/' && strcmp(C.upload, "-") != 0) j->url2 = cat3(j->url, base, "");
            j->up = strcmp(C.upload, "-") ? fopen(C.upload, "rb") : stdin;
            j->up_size = j->up && j->up != stdin && fstat(fileno(j->up), &st) == 0 ? (mperf_off_t)st.st_size : -1;
            if (!j->up) {
                fmt(j->err, sizeof j->err, "cannot read %s: %s", C.upload, strerror(errno));
                job_end(j, MPERF_E_READ_ERROR);
                return 0;
            }
        }
        if (j->remote) {
            const char *s;
            size_t n;
            url_name(j->url2 ? j->url2 : j->url, &s, &n);
            name = safe_name(s, n, buf, sizeof buf);
            if (!name) {
                fmt(j->err, sizeof j->err, "refused to save %.*s: not a plain file name from the URL",
                         (int)(n > 100 ? 100 : n), n ? s : "(empty)");
                job_end(j, MPERF_E_WRITE_ERROR);
                return 0;
            }
        } else if (j->out && strcmp(j->out, "-") != 0) {
            name = j->out;
        }
        if (name) j->final = C.out_dir && name[0] != '/' ? cat3(C.out_dir, "/", name) : xstrdup(name);
        {
            const char *shown = j->final ? j->final : j->url;
            const char *sl = strrchr(shown, '/');
            fmt(j->name, sizeof j->name, "%s", sl && sl[1] ? sl + 1 : shown);
        }
        if (C.resume_arg) {
            struct stat st;
            if (strcmp(C.resume_arg, "-") == 0) {
                j->resume = j->final && stat(j->final, &st) == 0 ? (mperf_off_t)st.st_size : 0;
            } else {
                j->resume = (mperf_off_t)number(C.resume_arg, 0);
            }
            j->appending = j->final != NULL;
        }
    } else if (C.resume_arg && j->appending) { /* a retry resumes where the file now ends */
        struct stat st;
        j->resume = stat(j->final, &st) == 0 ? (mperf_off_t)st.st_size : 0;
    }
    if (j->fp && j->tmp && j->fp != stdout) { /* a retry starts the temporary file over */
        fflush(j->fp);
        if (ftruncate(fileno(j->fp), 0) != 0 || fseek(j->fp, 0, SEEK_SET) != 0) {
            job_end(j, MPERF_E_WRITE_ERROR);
            return 0;
        }
    }
    if (j->up && j->up != stdin && fseek(j->up, 0, SEEK_SET) != 0) {
        job_end(j, MPERF_E_READ_ERROR);
        return 0;
    }
    j->got = j->up_n = j->rate_n = j->last_got = 0;
    j->speed = 0;
    j->paused = 0;
    j->started = j->last_t = now_s();
    if (!j->e) j->e = mperf_easy_init();
    if (!j->e) {
        job_end(j, MPERF_E_OUT_OF_MEMORY);
        return 0;
    }
    BAD_OPT = NULL;
    rc = configure(j);
    if (rc != MPERF_E_OK) {
        fmt(j->err, sizeof j->err, "option %s: %s", BAD_OPT ? BAD_OPT : "?", mperf_easy_strerror(rc));
        job_end(j, rc);
        return 0;
    }
    if (mperf_multi_add_handle(m, j->e) != MPERF_M_OK) {
        job_end(j, MPERF_E_OUT_OF_MEMORY);
        return 0;
    }
    j->state = J_RUN;
    return 1;
}

/* A transfer's completion: a retry later, or its end. */
static void job_done(mperf_multi *m, job *j, mperf_code rc)
{
    long code = 0, oserr = 0;
    int transient;
    mperf_easy_getinfo(j->e, MPERF_INFO_RESPONSE_CODE, &code);
    mperf_easy_getinfo(j->e, MPERF_INFO_OS_ERRNO, &oserr);
    mperf_multi_remove_handle(m, j->e);
    transient = rc == MPERF_E_OPERATION_TIMEDOUT || rc == MPERF_E_COULDNT_RESOLVE_HOST ||
                rc == MPERF_E_COULDNT_RESOLVE_PROXY || ((rc == MPERF_E_OK || rc == MPERF_E_HTTP_RETURNED_ERROR) && retryable_code(code)) ||
                (C.retry_connrefused && rc == MPERF_E_COULDNT_CONNECT && oserr == ECONNREFUSED) ||
                (C.retry_all && rc != MPERF_E_OK);
    if (transient && j->tries < C.retry &&
        (C.retry_max_time <= 0 || now_s() - j->first_try < C.retry_max_time)) {
        double wait = C.retry_delay > 0 ? C.retry_delay : (double)(1L << (j->tries < 10 ? j->tries : 10));
        char what[64], secs[32];
        if (wait > 600) wait = 600;
        if (j->retry_after >= 0 && code && retryable_code(code)) wait = (double)j->retry_after;
        if (C.retry_max_time > 0 && now_s() + wait - j->first_try > C.retry_max_time)
            wait = C.retry_max_time - (now_s() - j->first_try);
        if (wait < 0) wait = 0;
        j->tries++;
        if (rc == MPERF_E_OK || rc == MPERF_E_HTTP_RETURNED_ERROR) fmt(what, sizeof what, "HTTP error %ld", code);
        else fmt(what, sizeof what, "(%d) %s", (int)rc, mperf_easy_strerror(rc));
        fmt(secs, sizeof secs, "%g", wait);
        if (!C.silent) {
            clear_bars();
            say(stderr, CLI_NAME ": warning: %s: %s. Will retry in %s seconds, %ld retries left.\n", j->name, what,
                    secs, C.retry - j->tries + 1);
        }
        j->state = J_RETRY;
        j->not_before = now_s() + wait;
        return;
    }
    job_end(j, rc);
}

/* ---- main ------------------------------------------------------------------- */
static void release(void) /* at exit, also after a bad command line */
{
    size_t i;
    for (i = 0; i < NJ; i++) {
        free(J[i].final);
        free(J[i].tmp);
        free(J[i].url2);
    }
    free(J);
    free(URLS);
    free(OUTS);
    free(C.data);
    mperf_slist_free_all(C.headers);
    mperf_slist_free_all(C.resolve);
    mperf_slist_free_all(C.connect_to);
    for (i = 0; i < NKEEP; i++) free(KEEP[i]);
    free(KEEP);
}

int main(int argc, char **argv)
{
    mperf_multi *m;
    size_t i, next = 0;
    int running = 0, body_to_tty = 0;
    C.parallel_max = 50;
    C.max_redirs = 50;
    atexit(release);
    parse_words(argc - 1, argv + 1, 0);
    if (!NURLS) usage_error("no URL specified");
    if (NOUTS > NURLS) warn("more output names than URLs: the last are not used");
    J = (job *)xrealloc(NULL, NURLS * sizeof *J);
    memset(J, 0, NURLS * sizeof *J);
    NJ = NURLS;
    for (i = 0; i < NJ; i++) {
        J[i].url = URLS[i];
        if (i < NOUTS) {
            J[i].remote = OUTS[i][0] == 0;
            J[i].out = OUTS[i][0] ? OUTS[i] : NULL;
        } else {
            J[i].remote = C.remote_all;
        }
        if (!J[i].remote && (!J[i].out || strcmp(J[i].out, "-") == 0)) body_to_tty |= isatty(1);
    }
    if (!C.silent && !C.no_progress && !C.verbose && !body_to_tty) {
        TTY_BARS = isatty(2);
        PLAIN_LINES = !TTY_BARS;
    }
    m = mperf_multi_init();
    if (!m) return 27;
    for (;;) {
        double t = now_s(), wake = t + 1.0;
        long slots = C.parallel ? C.parallel_max : 1, busy = 0;
        int left, active = 0;
        mperf_msg *msg;
        for (i = 0; i < NJ; i++) busy += J[i].state == J_RUN || J[i].state == J_RETRY;
        for (i = 0; i < NJ; i++) /* retries whose time has come */
            if (J[i].state == J_RETRY && J[i].not_before <= t) job_start(m, &J[i]);
        while (busy < slots && next < NJ)
            busy += job_start(m, &J[next++]);
        if (mperf_multi_perform(m, &running) != MPERF_M_OK) break;
        while ((msg = mperf_multi_info_read(m, &left)) != NULL) {
            job *j = NULL;
            mperf_easy_getinfo(msg->easy_handle, MPERF_INFO_PRIVATE, (char **)&j);
            if (msg->msg == MPERF_MSG_DONE && j && j->state == J_RUN) job_done(m, j, msg->data.result);
        }
        t = now_s();
        busy = 0;
        for (i = 0; i < NJ; i++) {
            job *j = &J[i];
            busy += j->state == J_RUN || j->state == J_RETRY;
            if (j->state == J_RETRY) {
                active = 1;
                if (j->not_before < wake) wake = j->not_before;
            }
            if (j->state != J_RUN) continue;
            active = 1;
            if (j->paused) { /* --limit-rate: on again once the average is back under it */
                double due = j->started + (double)j->rate_n / (double)C.limit_rate;
                if (due <= t) {
                    j->paused = 0;
                    mperf_easy_pause(j->e, MPERF_PAUSE_CONT);
                } else if (due < wake) {
                    wake = due;
                }
            }
        }
        if (!active && next >= NJ) break;
        progress(NULL, 0);
        if (TTY_BARS || PLAIN_LINES) wake = wake < NEXT_DRAW ? wake : NEXT_DRAW;
        if (next < NJ && busy < slots) wake = t; /* a slot is free: the next one starts at once */
        {
            double ms = (wake - now_s()) * 1000;
            if (ms > 0 && running) mperf_multi_poll(m, NULL, 0, ms > 1000 ? 1000 : (int)ms + 1, NULL);
            else if (ms > 0) {
                struct timespec ts;
                ts.tv_sec = (time_t)(ms / 1000);
                ts.tv_nsec = (long)((ms - (double)ts.tv_sec * 1000) * 1e6);
                nanosleep(&ts, NULL);
            }
        }
    }
    if (TTY_BARS) {
        progress(NULL, 1);
    }
    mperf_multi_cleanup(m);
    return EXIT;
}
#endif /* MPERF_CLI_MAN */
