/* SPDX-License-Identifier: MIT */
/* multiperform.h - libcurl's multi interface for HTTP/1.1 and HTTPS, in one header.

   MIT license: see the end of the file.

   ======================================================================
   CONTENTS
   ======================================================================
   This block: quick start, a complete multi loop, the transfer lifecycle,
   what a callback may call, memory ownership, errors, configuration
   macros, limits. Then the file in the order data flows through it; each
   part starts at its anchor (search for ">>name"):

     >>api            the public API: types, codes, options, infos, functions
     >>configuration  feature switches, limits and their defaults
     >>platform       system headers, sockets, compiler helpers
     >>utilities      allocation, buffers, lists, strings, clock
     >>handles        the multi, its transfers and connections, their state
     >>verbose        info lines, debug data, the guard around callbacks
     >>url            a URL parsed into views; redirect targets resolved
     >>resolver       a host name to addresses, and their cache
     >>transport      sockets, the system's or the program's: connect, send, recv
     >>connections    buffers, the wait set, hosts, the pool; connecting
     >>lookup         the stub resolver's queries, on sockets of their own
     >>tls            BearSSL: certificates, trust anchors, the stream filter
     >>cookies        the cookie engine: Set-Cookie in, Cookie out, jar files
     >>request        a transfer begins; its request head and body go out
     >>parser         the response parser: reference path, then fast paths
     >>response       parser events to the transfer: head, redirect, reading
     >>tunnel         through a proxy: CONNECT and the proxy's answer
     >>decoding       Content-Encoding: gzip and deflate, inflated as they come
     >>delivery       headers, body and progress to the program's callbacks
     >>completion     a transfer's result, its message, the error texts
     >>statemachine   the state setter, timers, the step that runs a transfer
     >>multi          perform, poll and wait, wakeup, messages, fdset
     >>events         socket_action: the sockets and a timer told to the program
     >>vnet           the test transport: a network in memory, a virtual clock
     >>options        the handles' settings: setopt, getinfo, lifecycle
     >>wrappers       the public functions: check arguments, call in
     >>license        MIT

   ======================================================================
   QUICK START
   ======================================================================
   In exactly one C or C++ file:

       #define MULTIPERFORM_IMPLEMENTATION
       #include "multiperform.h"

   Everywhere else just #include "multiperform.h". Build with any C99 or
   C++11 compiler:

       cc prog.c -lbearssl                  http:// and https:// (BearSSL 0.6)
       cc -DMPERF_NO_TLS prog.c             http:// only, no dependency at all

   Programs written for libcurl build unchanged against the names-only
   compatibility header compat/curl/curl.h:

       cc -std=c99 -I compat -D MULTIPERFORM_IMPLEMENTATION prog.c -o prog -lbearssl

   ======================================================================
   A COMPLETE MULTI LOOP
   ======================================================================

       mperf_multi *m = mperf_multi_init();
       mperf_easy *e = mperf_easy_init();
       mperf_easy_setopt(e, MPERF_OPT_URL, "http://127.0.0.1:8080/");
       mperf_multi_add_handle(m, e);
       int running = 1;
       while (running) {
           mperf_mcode mc = mperf_multi_perform(m, &running);
           if (mc == MPERF_M_OK && running)
               mc = mperf_multi_poll(m, NULL, 0, 1000, NULL);
           if (mc != MPERF_M_OK) break;
           int left;
           mperf_msg *msg;
           while ((msg = mperf_multi_info_read(m, &left)) != NULL)
               if (msg->msg == MPERF_MSG_DONE)
                   printf("done: %s\n", mperf_easy_strerror(msg->data.result));
       }
       mperf_multi_remove_handle(m, e);
       mperf_easy_cleanup(e);
       mperf_multi_cleanup(m);

   perform never blocks: it reads and writes what the sockets allow right
   now, runs expired timers and returns. poll waits (at most the given time,
   less when a transfer's timer is due sooner) for socket activity; wait is
   the same except that it returns at once when there is nothing to wait on;
   wakeup (callable from any thread) interrupts a poll. fdset and timeout
   serve select()-based loops; socket_action with the socket and timer
   callbacks serves a program's own event loop (epoll, kqueue, libuv), at a
   cost that follows the sockets with events, not the number of transfers.

   ======================================================================
   TRANSFER LIFECYCLE
   ======================================================================
   easy_init -> setopt... -> multi_add_handle -> (perform/poll)* ->
   a MPERF_MSG_DONE message from info_read -> multi_remove_handle ->
   setopt + add again (the connection pool is kept) or easy_cleanup.

   - The URL is parsed when the transfer starts, not in setopt: a bad URL
     or scheme arrives as a completed transfer with MPERF_E_URL_MALFORMAT or
     MPERF_E_UNSUPPORTED_PROTOCOL, as libcurl does.
   - running counts transfers that are added and not yet completed, including
     those queued behind a connection limit.
   - Exactly one message per transfer; it lives inside the easy handle (no
     allocation) and is valid until the handle is removed or cleaned up.
   - Removing an unfinished transfer closes its connection. Cleaning up a
     multi handle with transfers still added detaches them; they stay yours.

   WHAT A CALLBACK MAY CALL. Write, header, read, progress and debug callbacks
   run inside perform on the caller's thread. From inside them you may call
   info_read, get_handles, easy_getinfo, easy_setopt and easy_pause. multi
   add/remove/perform/poll/wait/timeout/fdset/setopt/cleanup return
   MPERF_M_RECURSIVE_API_CALL; easy_perform returns MPERF_E_RECURSIVE_API_CALL
   and easy_cleanup of a handle whose callback is running is ignored.

   ======================================================================
   MEMORY OWNERSHIP
   ======================================================================
   - String options are copied into the handle (as libcurl does); the
     string lists (MPERF_OPT_HTTPHEADER) and POSTFIELDS are NOT copied and must
     outlive the transfer.
   - Strings returned by getinfo belong to the handle and stay valid until
     the next transfer on it or its cleanup.
   - Every allocation goes through one wrapper: compile-time MPERF_MALLOC /
     MPERF_FREE, or a runtime mperf_allocator passed to mperf_multi_init_alloc
     and mperf_easy_init_alloc. Memory owned by a multi handle (connections,
     buffers, DNS cache) uses the multi's allocator; memory owned by an easy
     handle uses the easy's.
   - Once connections and handles are warm, a request allocates nothing:
     receive buffers come from a per-multi pool and go back to it as soon as
     they are empty, so an idle or waiting transfer holds no buffer.

   ======================================================================
   ERRORS
   ======================================================================
   multi calls return mperf_mcode (libcurl's CURLMcode numbers); easy calls
   and per-transfer results are mperf_code (CURLcode numbers). A transfer's
   failure is the result in its completion message plus a sentence in its
   MPERF_OPT_ERRORBUFFER (MPERF_ERROR_SIZE bytes). There is no global error
   state. A hostile or broken server gives an error result, never a guess:
   bad framing is MPERF_E_WEIRD_SERVER_REPLY, a body cut short is
   MPERF_E_PARTIAL_FILE, an empty reply MPERF_E_GOT_NOTHING.

   ======================================================================
   CONFIGURATION MACROS (define before including the implementation)
   ======================================================================
   Leaving features out: their options then return MPERF_E_NOT_BUILT_IN
   (setting them off, 0 or NULL, stays fine), so nothing is silently ignored.
   What each one saves is measured by make bench (bench/README.md).
   MPERF_NO_TLS                    https and BearSSL
   MPERF_NO_REDIRECTS              FOLLOWLOCATION (3xx arrive as they are,
                                   no REDIRECT_URL)
   MPERF_NO_UPLOADS                request bodies: POST, PUT, read callbacks,
                                   chunked uploads, 100-continue
   MPERF_NO_VERBOSE                VERBOSE and DEBUGFUNCTION output
   MPERF_NO_AUTH                   Basic auth (credentials in a URL fail)
   MPERF_NO_PROGRESS               progress callbacks
   MPERF_NO_RANGES                 RANGE and RESUME_FROM
   MPERF_NO_ERROR_TEXT             the sentence about a failure: ERRORBUFFER
                                   gets mperf_easy_strerror(result); the
                                   result codes are the same; strerror
                                   knows the codes the build can return
   MPERF_NO_EVENTS                 the event API: socket_action, socket_all,
                                   assign (they return MPERF_M_BAD_FUNCTION_
                                   ARGUMENT), SOCKETFUNCTION and TIMERFUNCTION
                                   (MPERF_M_UNKNOWN_OPTION)
   MPERF_NO_TRANSPORT              MPERF_MOPT_TRANSPORT (the program's own
                                   network under the engine)
   MPERF_TRANSPORT                 keeps MPERF_MOPT_TRANSPORT in a
                                   MPERF_MINIMAL build
   MPERF_TEST_TRANSPORT            builds in the test transport with a
                                   virtual clock (mperf_vnet_*)
   MPERF_NO_DNS                    the stub resolver's DNS client (hosts file,
                                   resolv.conf, DNS_SERVERS, about 7 KiB):
                                   names come from a resolver of the program's
                                   own (MPERF_MOPT_RESOLVER_START) only
   MPERF_SYSTEM_RESOLVER           names through the system's getaddrinfo,
                                   which blocks, instead of the built-in stub
                                   resolver (MPERF_MINIMAL: always); the
                                   resolver hook and DNS_SERVERS are then not
                                   built in
   MPERF_NO_ROUTING                RESOLVE, CONNECT_TO, unix sockets,
                                   INTERFACE, LOCALPORT(RANGE), IPRESOLVE and
                                   the socket callbacks: a transfer with one
                                   of them set does not start; and happy
                                   eyeballs (addresses tried in turn)
   MPERF_NO_DIGEST                 Digest authentication (Basic stays)
   MPERF_NO_COOKIES                cookies: COOKIE, COOKIEFILE, COOKIEJAR,
                                   COOKIELIST and COOKIESESSION are then
                                   MPERF_E_UNKNOWN_OPTION (a "Cookie:" field
                                   in HTTPHEADER still goes)
   MPERF_NO_DECODING               compressed bodies: ACCEPT_ENCODING (but
                                   "" and NULL) is then MPERF_E_NOT_BUILT_IN
   MPERF_NO_PROXY                  HTTP proxies: PROXY (but "") is then
                                   MPERF_E_NOT_BUILT_IN, the other proxy
                                   options MPERF_E_UNKNOWN_OPTION, and
                                   http_proxy and the other environment
                                   variables are not read (as in a libcurl
                                   built without proxies)
   MPERF_NO_RAW                    CONNECT_ONLY and mperf_easy_send/recv
                                   (they return MPERF_E_NOT_BUILT_IN)
   MPERF_NO_HEADER_API             mperf_easy_header/nextheader (they return
                                   MPERF_HE_NOT_BUILT_IN / NULL): the
                                   response fields are not kept
   MPERF_MINIMAL                   all of the above, and MPERF_BIGBUF 0
                                   unless it is set
   TLS:
   MPERF_TLS_MONO                  half-duplex TLS buffer: 25 KB instead of
                                   41 KB per https connection; it cannot
                                   read while unsent data waits
   MPERF_TLS_SMALL                 reduced TLS profile: 128-bit suites, one
                                   portable implementation of each primitive,
                                   ECDHE on P-256/384/521 (no X25519),
                                   SHA-256/384/512 certificate signatures only
   MPERF_CA_BUNDLE        Debian's /etc/ssl/certs/ca-certificates.crt
                                   the CA file without CAINFO (a few other
                                   usual paths are tried after it); on
                                   Windows unset: the system store "ROOT"
   MPERF_TLS_SESSIONS     16       TLS sessions kept per multi
   MPERF_MAX_CERT         102400   largest server certificate: it is kept
                                   while the chain is checked
   Building and speed:
   MPERF_STATIC                    make every API function static
   MPERF_API                       decoration of the API functions
   MPERF_MALLOC(n), MPERF_FREE(p)  default malloc/free
   MPERF_NO_SIMD                   header fields scanned a word (8 bytes) at a
                                   time even where SSE2 is there (it is used on
                                   x86-64 with gcc/clang unless built with -Os)
   MPERF_NO_LIBC_PRINTF            the engine writes its texts (messages,
                                   verbose lines, addresses) with a printf
                                   subset of its own and reads addresses
                                   itself: a static build then links no
                                   printf, inet_pton or inet_ntop from its
                                   libc (about 12 KiB with musl); a dynamic
                                   build gets about 1 KiB bigger
   MPERF_NO_STDIO                  no FILE streams: the body goes to file
                                   descriptor 1 (write) and an upload comes
                                   from 0 (read, not rewound for a redirect
                                   or a retry) when the program sets no
                                   WRITEFUNCTION / READFUNCTION, VERBOSE
                                   lines to 2 (the CA file is read without
                                   stdio in every build); WRITEDATA, HEADERDATA
                                   or READDATA without its callback (a FILE *)
                                   stops the transfer with MPERF_E_NOT_BUILT_IN,
                                   and STDERR, COOKIEJAR and COOKIEFILE (but
                                   "") are MPERF_E_NOT_BUILT_IN: with
                                   MPERF_NO_LIBC_PRINTF too (libc's snprintf
                                   brings FILE code) a static build links no
                                   stdio (about 1.3 KiB with musl)
   MPERF_TRACE                     verbose output also names each change of
                                   a transfer's state (a debugging aid)
   MPERF_BUFSIZE          16384    receive buffer size (one per active
                                   connection, pooled per multi; >= 1024)
   MPERF_BIGBUF           262144   receive buffer a connection switches to
                                   while a long body streams in (fewer
                                   system calls); 0 turns it off
   MPERF_RCVLOWAT         131072   while a long body streams in fast, the
                                   kernel wakes the engine for this many
                                   bytes, not for every segment (Linux,
                                   SO_RCVLOWAT, builds not optimized for
                                   size; bytes that stop short wait 10 ms
                                   at most); 0 turns it off
   MPERF_BYTES_PER_CALL   1048576  the most one perform call reads for one
                                   transfer, the default of the multi option
                                   MPERF_MOPT_BYTES_PER_CALL; 0: no limit
   MPERF_CONNECTS_PER_CALL 64      new connections one perform call starts;
                                   the rest wait (PENDING) for the next call
   Fixed budgets (with MPERF_ARENA for the memory itself):
   MPERF_ARENA                     builds in mperf_arena_*: an allocator in
                                   the program's memory, never malloc
   MPERF_MAX_TRANSFERS    0        transfers added to a multi at once: one
                                   more is refused (MPERF_M_OUT_OF_MEMORY);
                                   0: no cap
   MPERF_MAX_CONNECTIONS  0        connections of a multi at once: the
                                   default and the ceiling of
                                   MAX_TOTAL_CONNECTIONS (more transfers
                                   wait for one); 0: no cap
   MPERF_HANDSHAKES_PER_CALL 4     TLS handshake steps one perform call runs
                                   (each step with the server's flight costs
                                   a signature check and a key exchange)
   Limits:
   MPERF_MAX_HEADER_LINE  102400   longest response header line (with folds)
   MPERF_MAX_HEADER_TOTAL 307200   all header bytes of one response
   MPERF_MAX_HEADER_COUNT 5000     header lines in one response
   MPERF_MAX_CHUNK_EXT    4096     chunk extension bytes on one chunk line
   MPERF_CHUNK_OVERHEAD_MIN 1048576  chunked framing above this and above 4
                                   times the data is hostile (a million
                                   1-byte chunks): WEIRD_SERVER_REPLY
   MPERF_MAX_URL          65536    longest URL accepted
   MPERF_MAX_ADDRS        8        addresses tried per host name
   MPERF_DNS_CACHE_MS     60000    lifetime of a resolved name: the default
                                   of DNS_CACHE_TIMEOUT (whole seconds)
   MPERF_CONNECT_TIMEOUT_MS 300000 connect timeout without CONNECTTIMEOUT
                                   (libcurl's)
   MPERF_MAXAGE_CONN_S    118      idle connections older than this are not
                                   reused (libcurl's MAXAGE_CONN)
   MPERF_MAX_RETRIES      5        fresh-connection retries when a reused
                                   connection turns out dead
   MPERF_MAX_COOKIES      3000     cookies one handle keeps; past it the
                                   oldest goes
   MPERF_DECODE_RATIO     250      a coded body (Content-Encoding) that
                                   decodes, past its first MiB, to more than
                                   this many bytes per coded byte is a
                                   decompression bomb: BAD_CONTENT_ENCODING;
                                   0: no such limit

   ======================================================================
   LIMITS AND WHAT IS NOT SUPPORTED
   ======================================================================
   HTTP/1.1 only (no HTTP/2 or 3: those requests fall back to 1.1); TLS 1.2
   only (BearSSL has no TLS 1.3). Reading the CA bundle is a blocking file
   read, once per multi handle. Names are resolved by a built-in stub
   resolver that never blocks: the hosts file first (a blocking read of a
   local file, as the CA bundle), then resolv.conf's servers (nameserver,
   search, domain, ndots, timeout, attempts, rotate; on Windows the
   adapters' DNS servers and suffix) or DNS_SERVERS, A and
   AAAA at once over UDP from a random port with random IDs, TCP after a
   truncated answer; answers are checked against the question asked and
   cached per multi handle for their TTL (at most DNS_CACHE_TIMEOUT), names
   that do not exist for their negative TTL. The lookup counts against the
   connect timeout ("Resolving timed out"); transfers to one name share one
   query; removing the last one cancels it. MPERF_MINIMAL and
   MPERF_SYSTEM_RESOLVER builds use getaddrinfo, which blocks. IP literals
   and "localhost" never touch the network. HTTP proxies (not HTTPS or SOCKS
   ones), compressed bodies (gzip and deflate, one coding at a time: not
   brotli, zstd or a stack of codings), cookies (per easy handle or in a
   share), Basic and Digest authentication are built in; other schemes and
   other shared data are not: setting them returns MPERF_E_NOT_BUILT_IN,
   MPERF_SHE_NOT_BUILT_IN or MPERF_E_UNKNOWN_OPTION.

   Platforms: POSIX (Linux with glibc or musl, the BSDs, macOS) and Windows
   Vista or later (winsock2 and WSAPoll; link ws2_32, and BearSSL built for
   Windows unless MPERF_NO_TLS). A Windows multi handle holds one WSAStartup
   reference, given back by its cleanup; it converts the store "ROOT" once,
   on its first verified https transfer without CAINFO (crypt32 is loaded
   then, not linked).

   Where libcurl has a sharp edge this does better: a 303 (or a 301/302 of a
   POST) turns a CUSTOMREQUEST into GET too; credentials and hand-set
   Authorization/Cookie headers never follow a redirect to another scheme,
   host or port unless MPERF_OPT_UNRESTRICTED_AUTH; response framing that
   libcurl would guess about (TE with other codings, folded Content-Length)
   is an error.
*/
#ifndef MULTIPERFORM_H
#define MULTIPERFORM_H

/* Strict -std=c99 hides POSIX; when we are the first include, ask for it. */
#if defined(MULTIPERFORM_IMPLEMENTATION) && defined(__linux__) && \
    defined(__STRICT_ANSI__) && !defined(_POSIX_C_SOURCE) && \
    !defined(_XOPEN_SOURCE) && !defined(_GNU_SOURCE) && !defined(_DEFAULT_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ==================================================================== */
/* >>api: the public API: types, codes, options, infos, functions       */
/* ==================================================================== */

#define MPERF_VERSION     "0.1.0"
#define MPERF_VERSION_NUM 0x000100

#ifndef MPERF_API
#if defined(MPERF_STATIC) && (defined(__GNUC__) || defined(__clang__))
#define MPERF_API static __attribute__((unused))
#elif defined(MPERF_STATIC)
#define MPERF_API static
#else
#define MPERF_API extern
#endif
#endif

typedef struct mperf_easy mperf_easy;
typedef struct mperf_multi mperf_multi;
typedef int64_t mperf_off_t;

#ifdef _WIN32
typedef uintptr_t mperf_socket_t; /* SOCKET */
#define MPERF_SOCKET_BAD (~(mperf_socket_t)0)
#else
typedef int mperf_socket_t;
#define MPERF_SOCKET_BAD (-1)
#endif

/* Allocation hooks for one handle (see MEMORY OWNERSHIP). */
typedef struct mperf_allocator {
    void *(*alloc)(size_t size, void *user);
    void (*free)(void *ptr, void *user);
    void *user;
} mperf_allocator;

/* Same layout as libcurl's struct curl_slist. */
typedef struct mperf_slist {
    char *data;
    struct mperf_slist *next;
} mperf_slist;

typedef struct mperf_blob {
    void *data;
    size_t len;
    unsigned int flags; /* MPERF_BLOB_COPY or MPERF_BLOB_NOCOPY */
} mperf_blob;
#define MPERF_BLOB_NOCOPY 0
#define MPERF_BLOB_COPY 1

/* Result of an easy call or of a transfer: libcurl's CURLcode numbers. */
typedef enum mperf_code {
    MPERF_E_OK = 0,
    MPERF_E_UNSUPPORTED_PROTOCOL = 1,
    MPERF_E_FAILED_INIT = 2,
    MPERF_E_URL_MALFORMAT = 3,
    MPERF_E_NOT_BUILT_IN = 4,
    MPERF_E_COULDNT_RESOLVE_PROXY = 5,
    MPERF_E_COULDNT_RESOLVE_HOST = 6,
    MPERF_E_COULDNT_CONNECT = 7,
    MPERF_E_WEIRD_SERVER_REPLY = 8,
    MPERF_E_REMOTE_ACCESS_DENIED = 9,
    MPERF_E_HTTP2 = 16,
    MPERF_E_PARTIAL_FILE = 18,
    MPERF_E_QUOTE_ERROR = 21,
    MPERF_E_HTTP_RETURNED_ERROR = 22,
    MPERF_E_WRITE_ERROR = 23,
    MPERF_E_UPLOAD_FAILED = 25,
    MPERF_E_READ_ERROR = 26,
    MPERF_E_OUT_OF_MEMORY = 27,
    MPERF_E_OPERATION_TIMEDOUT = 28,
    MPERF_E_RANGE_ERROR = 33,
    MPERF_E_HTTP_POST_ERROR = 34,
    MPERF_E_SSL_CONNECT_ERROR = 35,
    MPERF_E_BAD_DOWNLOAD_RESUME = 36,
    MPERF_E_FILE_COULDNT_READ_FILE = 37,
    MPERF_E_FUNCTION_NOT_FOUND = 41,
    MPERF_E_ABORTED_BY_CALLBACK = 42,
    MPERF_E_BAD_FUNCTION_ARGUMENT = 43,
    MPERF_E_INTERFACE_FAILED = 45,
    MPERF_E_TOO_MANY_REDIRECTS = 47,
    MPERF_E_UNKNOWN_OPTION = 48,
    MPERF_E_SETOPT_OPTION_SYNTAX = 49,
    MPERF_E_GOT_NOTHING = 52,
    MPERF_E_SSL_ENGINE_NOTFOUND = 53,
    MPERF_E_SSL_ENGINE_SETFAILED = 54,
    MPERF_E_SEND_ERROR = 55,
    MPERF_E_RECV_ERROR = 56,
    MPERF_E_SSL_CERTPROBLEM = 58,
    MPERF_E_SSL_CIPHER = 59,
    MPERF_E_PEER_FAILED_VERIFICATION = 60,
    MPERF_E_BAD_CONTENT_ENCODING = 61,
    MPERF_E_FILESIZE_EXCEEDED = 63,
    MPERF_E_USE_SSL_FAILED = 64,
    MPERF_E_SEND_FAIL_REWIND = 65,
    MPERF_E_SSL_ENGINE_INITFAILED = 66,
    MPERF_E_LOGIN_DENIED = 67,
    MPERF_E_SSL_CACERT_BADFILE = 77,
    MPERF_E_REMOTE_FILE_NOT_FOUND = 78,
    MPERF_E_SSL_SHUTDOWN_FAILED = 80,
    MPERF_E_AGAIN = 81,
    MPERF_E_SSL_CRL_BADFILE = 82,
    MPERF_E_SSL_ISSUER_ERROR = 83,
    MPERF_E_CHUNK_FAILED = 88,
    MPERF_E_NO_CONNECTION_AVAILABLE = 89,
    MPERF_E_SSL_PINNEDPUBKEYNOTMATCH = 90,
    MPERF_E_SSL_INVALIDCERTSTATUS = 91,
    MPERF_E_HTTP2_STREAM = 92,
    MPERF_E_RECURSIVE_API_CALL = 93,
    MPERF_E_AUTH_ERROR = 94,
    MPERF_E_HTTP3 = 95,
    MPERF_E_QUIC_CONNECT_ERROR = 96,
    MPERF_E_PROXY = 97,
    MPERF_E_SSL_CLIENTCERT = 98,
    MPERF_E_UNRECOVERABLE_POLL = 99,
    MPERF_E_LAST = 100
} mperf_code;

/* Result of a multi call: libcurl's CURLMcode numbers. */
typedef enum mperf_mcode {
    MPERF_M_CALL_MULTI_PERFORM = -1, /* never returned */
    MPERF_M_OK = 0,
    MPERF_M_BAD_HANDLE = 1,
    MPERF_M_BAD_EASY_HANDLE = 2,
    MPERF_M_OUT_OF_MEMORY = 3,
    MPERF_M_INTERNAL_ERROR = 4,
    MPERF_M_BAD_SOCKET = 5,
    MPERF_M_UNKNOWN_OPTION = 6,
    MPERF_M_ADDED_ALREADY = 7,
    MPERF_M_RECURSIVE_API_CALL = 8,
    MPERF_M_WAKEUP_FAILURE = 9,
    MPERF_M_BAD_FUNCTION_ARGUMENT = 10,
    MPERF_M_ABORTED_BY_CALLBACK = 11,
    MPERF_M_UNRECOVERABLE_POLL = 12,
    MPERF_M_LAST = 13
} mperf_mcode;

typedef enum mperf_msg_type { MPERF_MSG_NONE = 0, MPERF_MSG_DONE = 1, MPERF_MSG_LAST = 2 } mperf_msg_type;

/* One completion message per transfer, stored inside the easy handle. */
typedef struct mperf_msg {
    mperf_msg_type msg;
    mperf_easy *easy_handle;
    union {
        void *whatever;
        mperf_code result;
    } data;
} mperf_msg;

/* An extra descriptor for mperf_multi_poll/wait. */
typedef struct mperf_waitfd {
    mperf_socket_t fd;
    short events;
    short revents;
} mperf_waitfd;
#define MPERF_WAIT_POLLIN 0x0001
#define MPERF_WAIT_POLLPRI 0x0002
#define MPERF_WAIT_POLLOUT 0x0004

/* Option numbers are libcurl's (type class * 10000 + index), so the type of
   the variadic argument follows from the number: 0..9999 long, 10000..
   pointer, 20000.. function pointer, 30000.. mperf_off_t, 40000.. blob. */
#define MPERF_OPTTYPE_LONG 0
#define MPERF_OPTTYPE_OBJECTPOINT 10000
#define MPERF_OPTTYPE_FUNCTIONPOINT 20000
#define MPERF_OPTTYPE_OFF_T 30000
#define MPERF_OPTTYPE_BLOB 40000

typedef enum mperf_option {
    MPERF_OPT_WRITEDATA = 10001,
    MPERF_OPT_URL = 10002,
    MPERF_OPT_PORT = 3,
    MPERF_OPT_PROXY = 10004,
    MPERF_OPT_USERPWD = 10005,
    MPERF_OPT_RANGE = 10007,
    MPERF_OPT_READDATA = 10009,
    MPERF_OPT_ERRORBUFFER = 10010,
    MPERF_OPT_WRITEFUNCTION = 20011,
    MPERF_OPT_READFUNCTION = 20012,
    MPERF_OPT_TIMEOUT = 13,
    MPERF_OPT_INFILESIZE = 14,
    MPERF_OPT_POSTFIELDS = 10015,
    MPERF_OPT_REFERER = 10016,
    MPERF_OPT_USERAGENT = 10018,
    MPERF_OPT_LOW_SPEED_LIMIT = 19,
    MPERF_OPT_LOW_SPEED_TIME = 20,
    MPERF_OPT_RESUME_FROM = 21,
    MPERF_OPT_HTTPHEADER = 10023,
    MPERF_OPT_HEADERDATA = 10029,
    MPERF_OPT_STDERR = 10037,
    MPERF_OPT_CUSTOMREQUEST = 10036,
    MPERF_OPT_VERBOSE = 41,
    MPERF_OPT_HEADER = 42,
    MPERF_OPT_NOPROGRESS = 43,
    MPERF_OPT_NOBODY = 44,
    MPERF_OPT_FAILONERROR = 45,
    MPERF_OPT_UPLOAD = 46,
    MPERF_OPT_POST = 47,
    MPERF_OPT_FOLLOWLOCATION = 52,
    MPERF_OPT_XFERINFODATA = 10057,
    MPERF_OPT_PROGRESSDATA = 10057,
    MPERF_OPT_AUTOREFERER = 58,
    MPERF_OPT_POSTFIELDSIZE = 60,
    MPERF_OPT_SSLVERSION = 32,
    MPERF_OPT_SSL_VERIFYPEER = 64,
    MPERF_OPT_CAINFO = 10065,
    MPERF_OPT_MAXREDIRS = 68,
    MPERF_OPT_FILETIME = 69,
    MPERF_OPT_MAXCONNECTS = 71,
    MPERF_OPT_FRESH_CONNECT = 74,
    MPERF_OPT_FORBID_REUSE = 75,
    MPERF_OPT_CONNECTTIMEOUT = 78,
    MPERF_OPT_HEADERFUNCTION = 20079,
    MPERF_OPT_HTTPGET = 80,
    MPERF_OPT_SSL_VERIFYHOST = 81,
    MPERF_OPT_HTTP_VERSION = 84,
    MPERF_OPT_SSL_CIPHER_LIST = 10083,
    MPERF_OPT_DNS_CACHE_TIMEOUT = 92,
    MPERF_OPT_DEBUGFUNCTION = 20094,
    MPERF_OPT_DEBUGDATA = 10095,
    MPERF_OPT_CAPATH = 10097,
    MPERF_OPT_BUFFERSIZE = 98,
    MPERF_OPT_NOSIGNAL = 99,
    MPERF_OPT_ACCEPT_ENCODING = 10102,
    MPERF_OPT_PRIVATE = 10103,
    MPERF_OPT_UNRESTRICTED_AUTH = 105,
    MPERF_OPT_HTTPAUTH = 107,
    MPERF_OPT_MAXFILESIZE = 114,
    MPERF_OPT_INFILESIZE_LARGE = 30115,
    MPERF_OPT_RESUME_FROM_LARGE = 30116,
    MPERF_OPT_MAXFILESIZE_LARGE = 30117,
    MPERF_OPT_POSTFIELDSIZE_LARGE = 30120,
    MPERF_OPT_TCP_NODELAY = 121,
    MPERF_OPT_SSL_SESSIONID_CACHE = 150,
    MPERF_OPT_TIMEOUT_MS = 155,
    MPERF_OPT_CONNECTTIMEOUT_MS = 156,
    MPERF_OPT_HTTP_TRANSFER_DECODING = 157,
    MPERF_OPT_HTTP_CONTENT_DECODING = 158,
    MPERF_OPT_POSTREDIR = 161,
    MPERF_OPT_SEEKFUNCTION = 20167,
    MPERF_OPT_SEEKDATA = 10168,
    MPERF_OPT_COPYPOSTFIELDS = 10165,
    MPERF_OPT_USERNAME = 10173,
    MPERF_OPT_PASSWORD = 10174,
    MPERF_OPT_TCP_KEEPALIVE = 213,
    MPERF_OPT_TCP_KEEPIDLE = 214,
    MPERF_OPT_TCP_KEEPINTVL = 215,
    MPERF_OPT_TCP_KEEPCNT = 326,
    MPERF_OPT_DEFAULT_PROTOCOL = 10238,
    MPERF_OPT_REQUEST_TARGET = 10266,
    MPERF_OPT_CA_CACHE_TIMEOUT = 321,
    MPERF_OPT_CERTINFO = 172,
    MPERF_OPT_XFERINFOFUNCTION = 20219,
    MPERF_OPT_PROGRESSFUNCTION = 20056,
    MPERF_OPT_SSL_ENABLE_ALPN = 226,
    MPERF_OPT_EXPECT_100_TIMEOUT_MS = 227,
    MPERF_OPT_PINNEDPUBLICKEY = 10230,
    MPERF_OPT_PIPEWAIT = 237,
    MPERF_OPT_STREAM_WEIGHT = 239,
    MPERF_OPT_TCP_FASTOPEN = 244,
    MPERF_OPT_SUPPRESS_CONNECT_HEADERS = 265,
    MPERF_OPT_HAPPY_EYEBALLS_TIMEOUT_MS = 271,
    MPERF_OPT_CONNECT_ONLY = 141,
    MPERF_OPT_SSL_OPTIONS = 216,
    MPERF_OPT_DNS_SHUFFLE_ADDRESSES = 275,
    MPERF_OPT_UPLOAD_BUFFERSIZE = 280,
    MPERF_OPT_HTTP09_ALLOWED = 285,
    MPERF_OPT_MAXAGE_CONN = 288,
    MPERF_OPT_CAINFO_BLOB = 40309,
    MPERF_OPT_MAXLIFETIME_CONN = 314,
    MPERF_OPT_RESOLVE = 10203,
    MPERF_OPT_CONNECT_TO = 10243,
    MPERF_OPT_UNIX_SOCKET_PATH = 10231,
    MPERF_OPT_ABSTRACT_UNIX_SOCKET = 10264,
    MPERF_OPT_INTERFACE = 10062,
    MPERF_OPT_LOCALPORT = 139,
    MPERF_OPT_LOCALPORTRANGE = 140,
    MPERF_OPT_IPRESOLVE = 113,
    MPERF_OPT_OPENSOCKETFUNCTION = 20163,
    MPERF_OPT_OPENSOCKETDATA = 10164,
    MPERF_OPT_SOCKOPTFUNCTION = 20148,
    MPERF_OPT_SOCKOPTDATA = 10149,
    MPERF_OPT_CLOSESOCKETFUNCTION = 20208,
    MPERF_OPT_CLOSESOCKETDATA = 10209,
    MPERF_OPT_PROTOCOLS_STR = 10318,
    MPERF_OPT_REDIR_PROTOCOLS_STR = 10319,
    MPERF_OPT_QUICK_EXIT = 322,
    MPERF_OPT_DNS_SERVERS = 10211,
    /* HTTP proxies (MPERF_NO_PROXY leaves them out) */
    MPERF_OPT_PROXYPORT = 59,
    MPERF_OPT_HTTPPROXYTUNNEL = 61,
    MPERF_OPT_PROXYUSERPWD = 10006,
    MPERF_OPT_PROXYTYPE = 101,
    MPERF_OPT_PROXYAUTH = 111,
    MPERF_OPT_PROXYUSERNAME = 10175,
    MPERF_OPT_PROXYPASSWORD = 10176,
    MPERF_OPT_NOPROXY = 10177,
    MPERF_OPT_PROXYHEADER = 10228,
    MPERF_OPT_HEADEROPT = 229,
    /* cookies (MPERF_NO_COOKIES leaves the engine out) */
    MPERF_OPT_COOKIE = 10022,
    MPERF_OPT_COOKIEFILE = 10031,
    MPERF_OPT_COOKIEJAR = 10082,
    MPERF_OPT_COOKIESESSION = 96,
    MPERF_OPT_COOKIELIST = 10135,
    MPERF_OPT_SHARE = 10100
} mperf_option;

/* PROXYTYPE: an HTTP proxy is built in; the others are not */
#define MPERF_PROXY_HTTP 0
#define MPERF_PROXY_HTTP_1_0 1 /* CONNECT goes as HTTP/1.0 */
#define MPERF_PROXY_HTTPS 2
#define MPERF_PROXY_SOCKS4 4
#define MPERF_PROXY_SOCKS5 5
#define MPERF_PROXY_SOCKS4A 6
#define MPERF_PROXY_SOCKS5_HOSTNAME 7
/* HEADEROPT: whether HTTPHEADER goes to the proxy too */
#define MPERF_HEADER_UNIFIED 0
#define MPERF_HEADER_SEPARATE 1 /* the default: PROXYHEADER to the proxy, HTTPHEADER to the server */

typedef enum mperf_moption {
    MPERF_MOPT_SOCKETFUNCTION = 20001,
    MPERF_MOPT_SOCKETDATA = 10002,
    MPERF_MOPT_PIPELINING = 3,
    MPERF_MOPT_TIMERFUNCTION = 20004,
    MPERF_MOPT_TIMERDATA = 10005,
    MPERF_MOPT_MAXCONNECTS = 6,
    MPERF_MOPT_MAX_HOST_CONNECTIONS = 7,
    MPERF_MOPT_MAX_PIPELINE_LENGTH = 8,
    MPERF_MOPT_CONTENT_LENGTH_PENALTY_SIZE = 30009,
    MPERF_MOPT_CHUNK_LENGTH_PENALTY_SIZE = 30010,
    MPERF_MOPT_PIPELINING_SITE_BL = 10011,
    MPERF_MOPT_PIPELINING_SERVER_BL = 10012,
    MPERF_MOPT_MAX_TOTAL_CONNECTIONS = 13,
    MPERF_MOPT_PUSHFUNCTION = 20014,
    MPERF_MOPT_PUSHDATA = 10015,
    MPERF_MOPT_MAX_CONCURRENT_STREAMS = 16,
    /* multiperform's own: the most bytes one perform call reads for one
       transfer (mperf_off_t; default 1 MiB, 0 for no limit). The rest waits
       for the next call, so a call never stalls a frame on a long body. */
    MPERF_MOPT_BYTES_PER_CALL = 30900,
    /* multiperform's own, for the built-in resolver: the resolv.conf and the
       hosts file to read instead of the system's (char *, copied; NULL: the
       system's, "" for none; on Windows a resolv.conf path stands in for the
       adapters' settings). Tests point them at files of their own. */
    MPERF_MOPT_RESOLV_CONF = 10901,
    MPERF_MOPT_HOSTS_FILE = 10902,
    /* multiperform's own: a resolver of the program's (a platform's
       asynchronous one: lwIP's, a console SDK's) instead of the hosts file
       and DNS; see mperf_multi_resolved */
    MPERF_MOPT_RESOLVER_START = 20903,
    MPERF_MOPT_RESOLVER_CANCEL = 20904,
    MPERF_MOPT_RESOLVER_DATA = 10905,
    /* multiperform's own, for devices: randomness (TLS seeds, DNS IDs) from
       a hardware RNG instead of the OS (mperf_random_callback), and the time
       used to check certificates' dates (mperf_time_callback) for a device
       that boots without a clock; without one, the system clock */
    MPERF_MOPT_RANDOM_FUNCTION = 20906,
    MPERF_MOPT_RANDOM_DATA = 10907,
    MPERF_MOPT_TIME_FUNCTION = 20908,
    MPERF_MOPT_TIME_DATA = 10909,
    /* multiperform's own: the network under the engine (const
       mperf_transport *, kept, not copied; NULL: the system's sockets) and
       its first argument; set before the first transfer is added */
    MPERF_MOPT_TRANSPORT = 10910,
    MPERF_MOPT_TRANSPORT_DATA = 10911
} mperf_moption;
/* Fills buf with n random bytes: 0 when done (anything else: the OS's are
   used instead). */
typedef int (*mperf_random_callback)(void *userp, void *buf, size_t n);
/* The current time, in seconds since 1970 (UTC); -1 when unknown (the
   system clock is used then). */
typedef int64_t (*mperf_time_callback)(void *userp);

/* getinfo numbers are libcurl's: the type lives in the top bits. */
#define MPERF_INFO_STRING 0x100000
#define MPERF_INFO_LONG 0x200000
#define MPERF_INFO_DOUBLE 0x300000
#define MPERF_INFO_SLIST 0x400000
#define MPERF_INFO_PTR 0x400000
#define MPERF_INFO_SOCKET 0x500000
#define MPERF_INFO_OFF_T 0x600000
#define MPERF_INFO_MASK 0x0fffff
#define MPERF_INFO_TYPEMASK 0xf00000

typedef enum mperf_info {
    MPERF_INFO_NONE = 0,
    MPERF_INFO_EFFECTIVE_URL = MPERF_INFO_STRING + 1,
    MPERF_INFO_RESPONSE_CODE = MPERF_INFO_LONG + 2,
    MPERF_INFO_TOTAL_TIME = MPERF_INFO_DOUBLE + 3,
    MPERF_INFO_NAMELOOKUP_TIME = MPERF_INFO_DOUBLE + 4,
    MPERF_INFO_CONNECT_TIME = MPERF_INFO_DOUBLE + 5,
    MPERF_INFO_PRETRANSFER_TIME = MPERF_INFO_DOUBLE + 6,
    MPERF_INFO_SIZE_UPLOAD = MPERF_INFO_DOUBLE + 7,
    MPERF_INFO_SIZE_UPLOAD_T = MPERF_INFO_OFF_T + 7,
    MPERF_INFO_SIZE_DOWNLOAD = MPERF_INFO_DOUBLE + 8,
    MPERF_INFO_SIZE_DOWNLOAD_T = MPERF_INFO_OFF_T + 8,
    MPERF_INFO_SPEED_DOWNLOAD = MPERF_INFO_DOUBLE + 9,
    MPERF_INFO_SPEED_DOWNLOAD_T = MPERF_INFO_OFF_T + 9,
    MPERF_INFO_SPEED_UPLOAD = MPERF_INFO_DOUBLE + 10,
    MPERF_INFO_SPEED_UPLOAD_T = MPERF_INFO_OFF_T + 10,
    MPERF_INFO_HEADER_SIZE = MPERF_INFO_LONG + 11,
    MPERF_INFO_REQUEST_SIZE = MPERF_INFO_LONG + 12,
    MPERF_INFO_SSL_VERIFYRESULT = MPERF_INFO_LONG + 13,
    MPERF_INFO_FILETIME = MPERF_INFO_LONG + 14,
    MPERF_INFO_FILETIME_T = MPERF_INFO_OFF_T + 14,
    MPERF_INFO_CONTENT_LENGTH_DOWNLOAD = MPERF_INFO_DOUBLE + 15,
    MPERF_INFO_CONTENT_LENGTH_DOWNLOAD_T = MPERF_INFO_OFF_T + 15,
    MPERF_INFO_CONTENT_LENGTH_UPLOAD = MPERF_INFO_DOUBLE + 16,
    MPERF_INFO_CONTENT_LENGTH_UPLOAD_T = MPERF_INFO_OFF_T + 16,
    MPERF_INFO_STARTTRANSFER_TIME = MPERF_INFO_DOUBLE + 17,
    MPERF_INFO_CONTENT_TYPE = MPERF_INFO_STRING + 18,
    MPERF_INFO_REDIRECT_TIME = MPERF_INFO_DOUBLE + 19,
    MPERF_INFO_REDIRECT_COUNT = MPERF_INFO_LONG + 20,
    MPERF_INFO_PRIVATE = MPERF_INFO_STRING + 21,
    MPERF_INFO_HTTP_CONNECTCODE = MPERF_INFO_LONG + 22, /* the proxy's answer to CONNECT */
    MPERF_INFO_COOKIELIST = MPERF_INFO_SLIST + 28,      /* the handle's cookies (free with mperf_slist_free_all) */
    MPERF_INFO_OS_ERRNO = MPERF_INFO_LONG + 25,
    MPERF_INFO_NUM_CONNECTS = MPERF_INFO_LONG + 26,
    MPERF_INFO_LASTSOCKET = MPERF_INFO_LONG + 29,
    MPERF_INFO_REDIRECT_URL = MPERF_INFO_STRING + 31,
    MPERF_INFO_PRIMARY_IP = MPERF_INFO_STRING + 32,
    MPERF_INFO_APPCONNECT_TIME = MPERF_INFO_DOUBLE + 33,
    MPERF_INFO_PRIMARY_PORT = MPERF_INFO_LONG + 40,
    MPERF_INFO_LOCAL_IP = MPERF_INFO_STRING + 41,
    MPERF_INFO_LOCAL_PORT = MPERF_INFO_LONG + 42,
    MPERF_INFO_ACTIVESOCKET = MPERF_INFO_SOCKET + 44,
    MPERF_INFO_HTTP_VERSION = MPERF_INFO_LONG + 46,
    MPERF_INFO_SCHEME = MPERF_INFO_STRING + 49,
    MPERF_INFO_TOTAL_TIME_T = MPERF_INFO_OFF_T + 50,
    MPERF_INFO_NAMELOOKUP_TIME_T = MPERF_INFO_OFF_T + 51,
    MPERF_INFO_CONNECT_TIME_T = MPERF_INFO_OFF_T + 52,
    MPERF_INFO_PRETRANSFER_TIME_T = MPERF_INFO_OFF_T + 53,
    MPERF_INFO_STARTTRANSFER_TIME_T = MPERF_INFO_OFF_T + 54,
    MPERF_INFO_REDIRECT_TIME_T = MPERF_INFO_OFF_T + 55,
    MPERF_INFO_APPCONNECT_TIME_T = MPERF_INFO_OFF_T + 56,
    MPERF_INFO_EFFECTIVE_METHOD = MPERF_INFO_STRING + 58,
    MPERF_INFO_REFERER = MPERF_INFO_STRING + 60,
    MPERF_INFO_CERTINFO = MPERF_INFO_PTR + 34 /* an mperf_certinfo *: always empty (no CERTINFO) */
} mperf_info;

/* MPERF_INFO_CERTINFO's answer (libcurl's struct curl_certinfo). */
typedef struct mperf_certinfo {
    int num_of_certs;
    mperf_slist **certinfo;
} mperf_certinfo;

/* Kinds of text given to MPERF_OPT_DEBUGFUNCTION (libcurl's curl_infotype). */
typedef enum mperf_infotype {
    MPERF_INFOTYPE_TEXT = 0,
    MPERF_INFOTYPE_HEADER_IN = 1,
    MPERF_INFOTYPE_HEADER_OUT = 2,
    MPERF_INFOTYPE_DATA_IN = 3,
    MPERF_INFOTYPE_DATA_OUT = 4,
    MPERF_INFOTYPE_SSL_DATA_IN = 5,
    MPERF_INFOTYPE_SSL_DATA_OUT = 6,
    MPERF_INFOTYPE_END = 7
} mperf_infotype;

/* Callback types (libcurl's signatures). */
typedef size_t (*mperf_write_callback)(char *ptr, size_t size, size_t nmemb, void *userdata);
typedef size_t (*mperf_read_callback)(char *buffer, size_t size, size_t nitems, void *userdata);
typedef int (*mperf_xferinfo_callback)(void *clientp, mperf_off_t dltotal, mperf_off_t dlnow,
                                       mperf_off_t ultotal, mperf_off_t ulnow);
typedef int (*mperf_progress_callback)(void *clientp, double dltotal, double dlnow, double ultotal,
                                       double ulnow);
typedef int (*mperf_debug_callback)(mperf_easy *handle, mperf_infotype type, char *data, size_t size,
                                    void *userptr);
/* Rewinds a request body for a retry or a redirect; origin is SEEK_SET. */
typedef int (*mperf_seek_callback)(void *userp, mperf_off_t offset, int origin);
#define MPERF_SEEKFUNC_OK 0
#define MPERF_SEEKFUNC_FAIL 1
#define MPERF_SEEKFUNC_CANTSEEK 2

/* Sockets made by the program (OPENSOCKETFUNCTION, SOCKOPTFUNCTION,
   CLOSESOCKETFUNCTION). The address to connect to, which the open callback
   may change: addrlen bytes of a struct sockaddr_in, _in6 or _un at addr
   (laid out as libcurl's struct curl_sockaddr). */
typedef enum mperf_socktype { MPERF_SOCKTYPE_IPCXN = 0, MPERF_SOCKTYPE_ACCEPT = 1 } mperf_socktype;
typedef struct mperf_sockaddr {
    int family, socktype, protocol;
    unsigned int addrlen;
    unsigned char addr[128];
} mperf_sockaddr;
typedef mperf_socket_t (*mperf_opensocket_callback)(void *clientp, mperf_socktype purpose, mperf_sockaddr *address);
typedef int (*mperf_sockopt_callback)(void *clientp, mperf_socket_t fd, mperf_socktype purpose);
typedef int (*mperf_closesocket_callback)(void *clientp, mperf_socket_t fd);
#define MPERF_SOCKOPT_OK 0
#define MPERF_SOCKOPT_ERROR 1               /* the transfer fails: CURLE_ABORTED_BY_CALLBACK */
#define MPERF_SOCKOPT_ALREADY_CONNECTED 2   /* do not connect it */
#define MPERF_IPRESOLVE_WHATEVER 0L
#define MPERF_IPRESOLVE_V4 1L
#define MPERF_IPRESOLVE_V6 2L

#define MPERF_ERROR_SIZE 256
#define MPERF_MAX_WRITE_SIZE 16384
#define MPERF_WRITEFUNC_PAUSE 0x10000001
#define MPERF_WRITEFUNC_ERROR 0xFFFFFFFF
#define MPERF_READFUNC_ABORT 0x10000000
#define MPERF_READFUNC_PAUSE 0x10000001
#define MPERF_PROGRESSFUNC_CONTINUE 0x10000001
#define MPERF_PAUSE_RECV 1
#define MPERF_PAUSE_SEND 4
#define MPERF_PAUSE_ALL 5
#define MPERF_PAUSE_CONT 0

#define MPERF_HTTP_VERSION_NONE 0L
#define MPERF_HTTP_VERSION_1_0 1L
#define MPERF_HTTP_VERSION_1_1 2L
#define MPERF_HTTP_VERSION_2_0 3L
#define MPERF_HTTP_VERSION_2TLS 4L
#define MPERF_HTTP_VERSION_2_PRIOR_KNOWLEDGE 5L
#define MPERF_HTTP_VERSION_3 30L
#define MPERF_HTTP_VERSION_3ONLY 31L

#define MPERF_SSLVERSION_DEFAULT 0L
#define MPERF_SSLVERSION_TLSv1 1L
#define MPERF_SSLVERSION_SSLv2 2L
#define MPERF_SSLVERSION_SSLv3 3L
#define MPERF_SSLVERSION_TLSv1_0 4L
#define MPERF_SSLVERSION_TLSv1_1 5L
#define MPERF_SSLVERSION_TLSv1_2 6L
#define MPERF_SSLVERSION_TLSv1_3 7L
#define MPERF_SSLVERSION_MAX_DEFAULT (1L << 16)
#define MPERF_SSLVERSION_MAX_TLSv1_0 (4L << 16)
#define MPERF_SSLVERSION_MAX_TLSv1_1 (5L << 16)
#define MPERF_SSLVERSION_MAX_TLSv1_2 (6L << 16)
#define MPERF_SSLVERSION_MAX_TLSv1_3 (7L << 16)

/* SSL_OPTIONS bits (libcurl's): all but NO_PARTIALCHAIN are accepted.
   NATIVE_CA: the system store on Windows, which is the default there; on
   other systems it changes nothing (as libcurl with OpenSSL). NO_REVOKE,
   REVOKE_BEST_EFFORT: no revocation is checked anyway; ALLOW_BEAST: TLS
   1.2 AEAD suites only; AUTO_CLIENT_CERT: no client certificate is sent. */
#define MPERF_SSLOPT_ALLOW_BEAST (1L << 0)
#define MPERF_SSLOPT_NO_REVOKE (1L << 1)
#define MPERF_SSLOPT_NO_PARTIALCHAIN (1L << 2)
#define MPERF_SSLOPT_REVOKE_BEST_EFFORT (1L << 3)
#define MPERF_SSLOPT_NATIVE_CA (1L << 4)
#define MPERF_SSLOPT_AUTO_CLIENT_CERT (1L << 5)

#define MPERF_AUTH_NONE ((unsigned long)0)
#define MPERF_AUTH_BASIC ((unsigned long)1)
#define MPERF_AUTH_DIGEST ((unsigned long)2)
#define MPERF_AUTH_ANY (~(unsigned long)16)
#define MPERF_AUTH_ANYSAFE (~(MPERF_AUTH_BASIC | (unsigned long)16)) /* all but Basic */

#define MPERF_REDIR_POST_301 1L
#define MPERF_REDIR_POST_302 2L
#define MPERF_REDIR_POST_303 4L
#define MPERF_REDIR_POST_ALL 7L

#ifdef MPERF_ARENA
/* ---- a fixed memory budget: an arena in the program's memory ----
   mperf_arena_init makes an allocator of size bytes at mem (the arena's
   own records take the first 2 KiB or so; mem aligned for any type). It
   never calls malloc: blocks come from the arena in size classes (eight
   per doubling, so at most an eighth is lost to rounding), and freed
   blocks go on a free list of their class for the next block of that
   class. Give mperf_arena_allocator(arena) to mperf_multi_init_alloc and
   mperf_easy_init_alloc and the multi handle, its transfers, connections,
   buffers, TLS engines and DNS records all live in the arena. When it is
   full, that allocation fails: the transfer that needed it ends with
   MPERF_E_OUT_OF_MEMORY (add_handle: MPERF_M_OUT_OF_MEMORY), the others go
   on, and an optional block (the 256 KiB receive buffer) is done without.
   used: bytes in blocks handed out now; peak: the size an arena needed for
   what ran in it so far (its records and every block it ever carved, the
   ones on free lists too): the budget to give it.
   The README's memory table says how much N transfers over M connections
   take, as tests/test_memory.c measures it. */
typedef struct mperf_arena mperf_arena;
MPERF_API mperf_arena *mperf_arena_init(void *mem, size_t size); /* NULL when too small */
MPERF_API const mperf_allocator *mperf_arena_allocator(mperf_arena *arena);
MPERF_API size_t mperf_arena_used(const mperf_arena *arena);
MPERF_API size_t mperf_arena_peak(const mperf_arena *arena);
#endif

/* ---- multi handle ---- */
MPERF_API mperf_multi *mperf_multi_init(void);
MPERF_API mperf_multi *mperf_multi_init_alloc(const mperf_allocator *allocator);
MPERF_API mperf_mcode mperf_multi_cleanup(mperf_multi *multi);
MPERF_API mperf_mcode mperf_multi_add_handle(mperf_multi *multi, mperf_easy *easy);
MPERF_API mperf_mcode mperf_multi_remove_handle(mperf_multi *multi, mperf_easy *easy);
MPERF_API mperf_mcode mperf_multi_perform(mperf_multi *multi, int *running_handles);
MPERF_API mperf_mcode mperf_multi_poll(mperf_multi *multi, mperf_waitfd *extra_fds, unsigned int extra_nfds,
                                       int timeout_ms, int *numfds);
MPERF_API mperf_mcode mperf_multi_wait(mperf_multi *multi, mperf_waitfd *extra_fds, unsigned int extra_nfds,
                                       int timeout_ms, int *numfds);
MPERF_API mperf_mcode mperf_multi_wakeup(mperf_multi *multi);
MPERF_API mperf_mcode mperf_multi_timeout(mperf_multi *multi, long *timeout_ms);
/* The sets are fd_set pointers (void * keeps <sys/select.h> out of this part). */
MPERF_API mperf_mcode mperf_multi_fdset(mperf_multi *multi, void *read_fd_set, void *write_fd_set,
                                        void *exc_fd_set, int *max_fd);
MPERF_API mperf_msg *mperf_multi_info_read(mperf_multi *multi, int *msgs_in_queue);
MPERF_API mperf_mcode mperf_multi_setopt(mperf_multi *multi, int option, ...);
MPERF_API const char *mperf_multi_strerror(mperf_mcode code);
/* NULL-terminated array of the added handles; release with mperf_free. */
MPERF_API mperf_easy **mperf_multi_get_handles(mperf_multi *multi);
/* A resolver of the program's own (MPERF_MOPT_RESOLVER_START/_CANCEL/_DATA;
   builds with the stub resolver): names that are no literal, localhost,
   RESOLVE entry or cached answer go to the start callback with a token,
   instead of to the hosts file and DNS. It returns 0 when it started the
   lookup (-1: the name fails at once) and hands the answer back later,
   from outside any callback, with mperf_multi_resolved: addresses in the
   order to try them, 0 of them for a name that does not exist, ttl_seconds
   how long to cache it (0: not at all). The cancel callback hears that a
   token is no longer wanted (its transfers were removed or timed out); an
   answer for it is then refused with MPERF_M_BAD_FUNCTION_ARGUMENT. Tokens
   are never reused. The lookup counts against the connect timeout. */
typedef struct mperf_resolved_addr {
    int family; /* 4 or 6 */
    unsigned char addr[16]; /* 4 or 16 bytes, network order */
} mperf_resolved_addr;
typedef int (*mperf_resolver_start_callback)(void *userp, const char *name, void *token);
typedef void (*mperf_resolver_cancel_callback)(void *userp, void *token);
MPERF_API mperf_mcode mperf_multi_resolved(mperf_multi *multi, void *token, const mperf_resolved_addr *addrs,
                                           unsigned int count, long ttl_seconds);

/* The sockets to wait on and their interest, for a program's own poll (as
   libcurl's curl_multi_waitfds): up to size of them into ufds; *fd_count
   says how many there are; more than size is MPERF_M_OUT_OF_MEMORY (size 0
   only counts). Call perform when one is ready or multi_timeout passes. */
MPERF_API mperf_mcode mperf_multi_waitfds(mperf_multi *multi, mperf_waitfd *ufds, unsigned int size,
                                          unsigned int *fd_count);

/* ---- the event API: the program's own loop (epoll, kqueue, libuv, ...) ----
   As libcurl's curl_multi_socket_action: MPERF_MOPT_SOCKETFUNCTION is told
   what to watch on each socket (IN, OUT, INOUT; REMOVE before a socket is
   closed or when nothing is to be watched, once), MPERF_MOPT_TIMERFUNCTION
   when the soonest deadline changes (0: at once, -1: no timer; a one-shot
   timer that replaces the last). The program calls socket_action with a
   ready socket and what it is ready for (MPERF_CSELECT_ bits, or 0), or
   with MPERF_SOCKET_TIMEOUT when the timer fires. A socket callback that
   returns -1 fails the transfers on that socket (MPERF_E_ABORTED_BY_CALLBACK),
   not the multi handle. From inside these two callbacks only
   mperf_multi_assign may be called. */
typedef int (*mperf_socket_callback)(mperf_easy *easy, mperf_socket_t s, int what, void *userp, void *socketp);
typedef int (*mperf_multi_timer_callback)(mperf_multi *multi, long timeout_ms, void *userp);
#define MPERF_POLL_NONE 0
#define MPERF_POLL_IN 1
#define MPERF_POLL_OUT 2
#define MPERF_POLL_INOUT 3
#define MPERF_POLL_REMOVE 4
#define MPERF_SOCKET_TIMEOUT MPERF_SOCKET_BAD
#define MPERF_CSELECT_IN 0x01
#define MPERF_CSELECT_OUT 0x02
#define MPERF_CSELECT_ERR 0x04
MPERF_API mperf_mcode mperf_multi_socket_action(mperf_multi *multi, mperf_socket_t s, int ev_bitmask,
                                                int *running_handles);
/* perform, then every socket told again */
MPERF_API mperf_mcode mperf_multi_socket_all(mperf_multi *multi, int *running_handles);
/* A pointer of the program's for socket s, given back to the socket callback. */
MPERF_API mperf_mcode mperf_multi_assign(mperf_multi *multi, mperf_socket_t s, void *sockp);

/* ---- transports: the network under the engine (MPERF_MOPT_TRANSPORT) ----
   By default a multi handle uses the system's sockets. Given a table of
   functions instead (before its first transfer is added), it opens,
   connects, writes, reads, closes and waits only through that table:
   HTTP, TLS and the stub resolver's DNS alike, so the engine runs over
   lwIP, a console's network SDK or any byte stream (examples/lwip_get.c).
   A socket is the transport's own number (anything but MPERF_SOCKET_BAD);
   socket_action, waitfds and fdset report those numbers. Every function
   returns at once except poll, which waits at most timeout_ms. Errors are
   errno-style numbers, shown with the system's strerror. A transfer that
   needs a system socket (UNIX_SOCKET_PATH, INTERFACE, LOCALPORT, the socket
   callbacks) fails over a transport with MPERF_E_NOT_BUILT_IN. Not in
   MPERF_MINIMAL builds unless MPERF_TRANSPORT is defined. Entries of poll's
   fds whose fd is MPERF_SOCKET_BAD are to be skipped (nothing is wanted). */
#define MPERF_TP_STREAM 1       /* open: a TCP socket */
#define MPERF_TP_DGRAM 2        /* open: a UDP socket (DNS questions) */
#define MPERF_TP_NODELAY 1      /* open's flags: TCP_NODELAY asked for */
#define MPERF_TP_KEEPALIVE 2    /* open's flags: keepalive probes asked for */
#define MPERF_WAIT_POLLERR 0x0008 /* poll's revents: an error or a hang-up */
typedef struct mperf_transport {
    /* A non-blocking socket of that kind for family 4 or 6, or
       MPERF_SOCKET_BAD with *err set. */
    mperf_socket_t (*open)(void *userp, int family, int kind, unsigned flags, int *err);
    /* Starts connecting s to addr (4 or 16 bytes, network order) and port:
       0 connected, 1 under way (s turns writable, then connect_result
       tells), -1 failed (*err). A UDP socket's peer is set at once. */
    int (*connect)(void *userp, mperf_socket_t s, int family, const unsigned char *addr, unsigned port, int *err);
    /* After a connect under way turned writable or erred: 0 connected,
       else the error. */
    int (*connect_result)(void *userp, mperf_socket_t s);
    /* Bytes taken (0: none now), -1 on an error (*err). */
    long (*send)(void *userp, mperf_socket_t s, const void *buf, size_t len, int *err);
    /* Bytes read (a UDP socket: one datagram), 0 at the end of the stream,
       -1 when nothing waits, -2 on an error (*err). */
    long (*recv)(void *userp, mperf_socket_t s, void *buf, size_t len, int *err);
    void (*close)(void *userp, mperf_socket_t s);
    /* As poll(2) over fds (events MPERF_WAIT_POLLIN/_POLLOUT; revents also
       MPERF_WAIT_POLLERR): how many are ready, -1 on failure. */
    int (*poll)(void *userp, mperf_waitfd *fds, unsigned int nfds, int timeout_ms);
    /* Optional (NULL: the system's): a monotonic clock in microseconds,
       which every timeout and timing follows (a virtual clock in tests). */
    int64_t (*now_us)(void *userp);
    /* Optional: makes a poll under way (or else the next one) return, from
       any thread; 0 when done. Without it mperf_multi_wakeup fails with
       MPERF_M_WAKEUP_FAILURE. */
    int (*wakeup)(void *userp);
} mperf_transport;

#ifdef MPERF_TEST_TRANSPORT
/* ---- the test transport: a network in memory with a virtual clock ----
   For testing a program's own timeouts, retries, redirects and error
   handling with no network and no waiting. The program declares peers (an
   address, a port and what the "server" does on each connection made to
   it), gives a multi handle mperf_vnet_transport() with the net as its
   MPERF_MOPT_TRANSPORT_DATA, and runs its usual loop: a wait never sleeps,
   it moves the virtual clock on to the next scripted event or to the
   wait's end, so a 30-second timeout takes microseconds. Every timeout and
   timing the engine keeps follows that clock (getinfo's times too).
   A script is lines, run in turn per connection; a line "---" starts the
   script of the next connection (the last one serves every later one):
     accept MS      (first line) the connect completes after MS (default 0)
     refuse         (first line) the connect is refused
     blackhole      (first line) the connect never completes
     read           wait for a whole request: its head, then a body by
                    Content-Length or up to the chunked body's end
     readhead       wait for a request head (through its blank line)
     read N         wait for N more bytes
     send TEXT      send TEXT, with \r \n \t \\ and \xHH escapes
     body N         send N bytes of the pattern (i * 7 + i / 251) & 255
     sleep MS       pause
     close          close the connection (end of stream for the client)
     reset          reset it (a receive error for the client)
   The end of a script without close or reset leaves a silent peer. A
   connection to an address and port nobody declared is refused; UDP (the
   stub resolver's DNS) is not there: use IP literals, RESOLVE or
   CONNECT_TO. Returns: 0 or a pointer on success, -1 or NULL on an error
   (out of memory, an address that is no IP literal). */
typedef struct mperf_vnet mperf_vnet;
MPERF_API mperf_vnet *mperf_vnet_new(const mperf_allocator *allocator); /* NULL: malloc */
MPERF_API void mperf_vnet_free(mperf_vnet *net);
MPERF_API const mperf_transport *mperf_vnet_transport(void);
MPERF_API int mperf_vnet_peer(mperf_vnet *net, const char *ip, unsigned int port, const char *script);
/* The virtual clock (microseconds; it starts at one hour), and moving it on. */
MPERF_API int64_t mperf_vnet_now_us(const mperf_vnet *net);
MPERF_API void mperf_vnet_advance(mperf_vnet *net, long ms);
/* Connections made to a peer so far, and the bytes the client sent on the
   n-th of them (from 0; NULL when there is no such connection). */
MPERF_API unsigned int mperf_vnet_connections(const mperf_vnet *net, const char *ip, unsigned int port);
MPERF_API const char *mperf_vnet_sent(const mperf_vnet *net, const char *ip, unsigned int port, unsigned int n,
                                      size_t *len);
#endif

/* ---- easy handle ---- */
MPERF_API mperf_easy *mperf_easy_init(void);
MPERF_API mperf_easy *mperf_easy_init_alloc(const mperf_allocator *allocator);
MPERF_API void mperf_easy_cleanup(mperf_easy *easy);
MPERF_API void mperf_easy_reset(mperf_easy *easy);
MPERF_API mperf_easy *mperf_easy_duphandle(mperf_easy *easy);
MPERF_API mperf_code mperf_easy_setopt(mperf_easy *easy, int option, ...);
MPERF_API mperf_code mperf_easy_getinfo(mperf_easy *easy, int info, ...);
/* Blocking: runs the transfer on a private multi handle kept in the easy. */
MPERF_API mperf_code mperf_easy_perform(mperf_easy *easy);
MPERF_API mperf_code mperf_easy_pause(mperf_easy *easy, int bitmask);
MPERF_API const char *mperf_easy_strerror(mperf_code code);
/* Raw connections (libcurl's CONNECT_ONLY): a transfer with CONNECT_ONLY 1
   connects (and for https completes the handshake), then ends with
   MPERF_E_OK and keeps the connection for the program's own protocol:
   these write and read its bytes (through TLS for https), never waiting.
   send: *n bytes taken, MPERF_E_AGAIN when none can be now; recv: *n bytes
   read (0 at the end of the stream), MPERF_E_AGAIN when none wait. Wait on
   MPERF_INFO_ACTIVESOCKET. The connection is closed by the next transfer
   on the handle, its removal from the multi, reset or cleanup. Without a
   kept connection: MPERF_E_UNSUPPORTED_PROTOCOL. */
MPERF_API mperf_code mperf_easy_send(mperf_easy *easy, const void *buffer, size_t buflen, size_t *n);
MPERF_API mperf_code mperf_easy_recv(mperf_easy *easy, void *buffer, size_t buflen, size_t *n);

/* ---- the response fields after (or during) a transfer: libcurl's header API ----
   Every field of every response of the last transfer: request 0 is the
   first request, each redirect or authentication retry the next, -1 the
   last. A field's value has its folds joined and blanks trimmed; the struct
   returned belongs to the handle and is good until the next call. */
typedef struct mperf_header {
    char *name; /* as the server spelled it */
    char *value;
    size_t amount; /* fields of this name (within the origins and request asked for) */
    size_t index;  /* which of them this is, from 0 */
    unsigned int origin;
    void *anchor; /* the handle's own */
} mperf_header;
#define MPERF_H_HEADER (1 << 0)  /* a field of a final response */
#define MPERF_H_TRAILER (1 << 1) /* a trailer of a chunked body */
#define MPERF_H_CONNECT (1 << 2) /* a proxy's answer to CONNECT */
#define MPERF_H_1XX (1 << 3)     /* a field of an interim (1xx) response */
#define MPERF_H_PSEUDO (1 << 4)  /* HTTP/2 pseudo-headers (never: HTTP/1.1) */
typedef enum {
    MPERF_HE_OK,
    MPERF_HE_BADINDEX,  /* fields of the name exist, fewer than index + 1 */
    MPERF_HE_MISSING,   /* no field of the name */
    MPERF_HE_NOHEADERS, /* no fields at all (yet) */
    MPERF_HE_NOREQUEST, /* no such request */
    MPERF_HE_OUT_OF_MEMORY,
    MPERF_HE_BAD_ARGUMENT,
    MPERF_HE_NOT_BUILT_IN /* MPERF_NO_HEADER_API */
} mperf_hcode;
MPERF_API mperf_hcode mperf_easy_header(mperf_easy *easy, const char *name, size_t index, unsigned int origin,
                                        int request, mperf_header **hout);
/* The next field after prev (NULL: the first) of the origins and request; NULL at the end. */
MPERF_API mperf_header *mperf_easy_nextheader(mperf_easy *easy, unsigned int origin, int request, mperf_header *prev);

/* ---- misc ---- */
MPERF_API mperf_slist *mperf_slist_append(mperf_slist *list, const char *string);
MPERF_API void mperf_slist_free_all(mperf_slist *list);

/* Share handles (libcurl's curl_share_*): cookies several easy handles use
   together (MPERF_LOCK_DATA_COOKIE, with the cookie engine built in);
   other data (DNS, TLS sessions, connections) is MPERF_SHE_NOT_BUILT_IN.
   An easy handle takes one with MPERF_OPT_SHARE. The lock callbacks, if
   set, are called around each use of the shared cookies (the engine itself
   runs on one thread per multi handle). */
typedef struct mperf_share mperf_share;
typedef enum mperf_shcode {
    MPERF_SHE_OK,
    MPERF_SHE_BAD_OPTION,
    MPERF_SHE_IN_USE,
    MPERF_SHE_INVALID,
    MPERF_SHE_NOMEM,
    MPERF_SHE_NOT_BUILT_IN
} mperf_shcode;
typedef enum mperf_shoption {
    MPERF_SHOPT_NONE,
    MPERF_SHOPT_SHARE,
    MPERF_SHOPT_UNSHARE,
    MPERF_SHOPT_LOCKFUNC,
    MPERF_SHOPT_UNLOCKFUNC,
    MPERF_SHOPT_USERDATA
} mperf_shoption;
typedef enum mperf_lock_data {
    MPERF_LOCK_DATA_NONE,
    MPERF_LOCK_DATA_SHARE,
    MPERF_LOCK_DATA_COOKIE,
    MPERF_LOCK_DATA_DNS,
    MPERF_LOCK_DATA_SSL_SESSION,
    MPERF_LOCK_DATA_CONNECT,
    MPERF_LOCK_DATA_PSL
} mperf_lock_data;
typedef enum mperf_lock_access { MPERF_LOCK_ACCESS_NONE, MPERF_LOCK_ACCESS_SHARED, MPERF_LOCK_ACCESS_SINGLE } mperf_lock_access;
typedef void (*mperf_lock_function)(mperf_easy *handle, mperf_lock_data data, mperf_lock_access locktype, void *userptr);
typedef void (*mperf_unlock_function)(mperf_easy *handle, mperf_lock_data data, void *userptr);
MPERF_API mperf_share *mperf_share_init(void);
MPERF_API mperf_shcode mperf_share_setopt(mperf_share *share, int option, ...);
MPERF_API mperf_shcode mperf_share_cleanup(mperf_share *share);
MPERF_API const char *mperf_share_strerror(mperf_shcode code);
MPERF_API void mperf_free(void *ptr);
MPERF_API const char *mperf_version(void);
/* No global state exists; these are here for programs written for libcurl. */
MPERF_API mperf_code mperf_global_init(long flags);
MPERF_API void mperf_global_cleanup(void);

#ifdef __cplusplus
}
#endif
#endif /* MULTIPERFORM_H */

/* ==================================================================== */
/* ==================================================================== */
#if defined(MULTIPERFORM_IMPLEMENTATION) && !defined(MULTIPERFORM_IMPLEMENTATION_DONE)
#define MULTIPERFORM_IMPLEMENTATION_DONE

/* -------------------------------------------------------------------- */
/* >>configuration: feature switches, limits and their defaults         */
/* -------------------------------------------------------------------- */
/* Feature switches: each MPERF_NO_x leaves a feature out; its options then
   return MPERF_E_NOT_BUILT_IN. MPERF_MINIMAL is all of them. */
#ifdef MPERF_MINIMAL
#ifndef MPERF_NO_TLS
#define MPERF_NO_TLS
#endif
#ifndef MPERF_NO_REDIRECTS
#define MPERF_NO_REDIRECTS
#endif
#ifndef MPERF_NO_UPLOADS
#define MPERF_NO_UPLOADS
#endif
#ifndef MPERF_NO_VERBOSE
#define MPERF_NO_VERBOSE
#endif
#ifndef MPERF_NO_AUTH
#define MPERF_NO_AUTH
#endif
#ifndef MPERF_NO_PROGRESS
#define MPERF_NO_PROGRESS
#endif
#ifndef MPERF_NO_RANGES
#define MPERF_NO_RANGES
#endif
#ifndef MPERF_NO_ERROR_TEXT
#define MPERF_NO_ERROR_TEXT
#endif
#ifndef MPERF_NO_ROUTING
#define MPERF_NO_ROUTING
#endif
#ifndef MPERF_NO_HEADER_API
#define MPERF_NO_HEADER_API
#endif
#ifndef MPERF_NO_RAW
#define MPERF_NO_RAW
#endif
#ifndef MPERF_NO_PROXY
#define MPERF_NO_PROXY
#endif
#ifndef MPERF_NO_DECODING
#define MPERF_NO_DECODING
#endif
#ifndef MPERF_NO_COOKIES
#define MPERF_NO_COOKIES
#endif
#if !defined(MPERF_SYSTEM_RESOLVER) && !defined(MPERF_NO_DNS)
#define MPERF_SYSTEM_RESOLVER /* the stub resolver costs about 8 KiB (with MPERF_NO_DNS: the program's resolver only) */
#endif
#ifndef MPERF_NO_EVENTS
#define MPERF_NO_EVENTS
#endif
#if !defined(MPERF_NO_TRANSPORT) && !defined(MPERF_TRANSPORT)
#define MPERF_NO_TRANSPORT
#endif
#ifndef MPERF_BIGBUF
#define MPERF_BIGBUF 0 /* a small device has no 256 KiB to spare: long bodies stream through MPERF_BUFSIZE */
#endif
#ifndef MPERF_RCVLOWAT
#define MPERF_RCVLOWAT 0
#endif
#endif
#ifdef MPERF_NO_REDIRECTS
#define MPX_REDIRECTS 0
#else
#define MPX_REDIRECTS 1
#endif
#ifdef MPERF_NO_UPLOADS
#define MPX_UPLOADS 0
#else
#define MPX_UPLOADS 1
#endif
#ifdef MPERF_NO_VERBOSE
#define MPX_VERBOSE 0
#else
#define MPX_VERBOSE 1
#endif
#ifdef MPERF_NO_AUTH
#define MPX_AUTH 0
#else
#define MPX_AUTH 1
#endif
#ifdef MPERF_NO_PROGRESS
#define MPX_PROGRESS 0
#else
#define MPX_PROGRESS 1
#endif
#ifdef MPERF_NO_RANGES
#define MPX_RANGES 0
#else
#define MPX_RANGES 1
#endif
#ifdef MPERF_NO_TLS
#define MPX_TLS 0
#else
#define MPX_TLS 1
#endif
#ifdef MPERF_NO_ERROR_TEXT
#define MPX_ERROR_TEXT 0
#else
#define MPX_ERROR_TEXT 1
#endif
#ifdef MPERF_NO_HEADER_API
#define MPX_HEADER_API 0
#else
#define MPX_HEADER_API 1
#endif
#ifdef MPERF_NO_RAW
#define MPX_RAW 0
#else
#define MPX_RAW 1
#endif
#ifdef MPERF_NO_PROXY
#define MPX_PROXY 0
#else
#define MPX_PROXY 1
#endif
#ifdef MPERF_NO_DECODING
#define MPX_DECODE 0
#else
#define MPX_DECODE 1
#endif
#ifdef MPERF_NO_COOKIES
#define MPX_COOKIES 0
#else
#define MPX_COOKIES 1
#endif
#ifndef MPERF_MAX_COOKIES
#define MPERF_MAX_COOKIES 3000
#endif
/* Digest needs the retry after a 401 (the redirect machinery) and auth */
#if MPX_AUTH && MPX_REDIRECTS && !defined(MPERF_NO_DIGEST)
#define MPX_DIGEST 1
#else
#define MPX_DIGEST 0
#endif
#ifdef MPERF_NO_ROUTING
#define MPX_ROUTING 0
#else
#define MPX_ROUTING 1
#endif
#ifdef MPERF_NO_EVENTS
#define MPX_SOCKACT 0
#else
#define MPX_SOCKACT 1
#endif
#ifdef MPERF_NO_TRANSPORT
#define MPX_TPORT 0
#ifdef MPERF_TEST_TRANSPORT
#error "MPERF_TEST_TRANSPORT needs the transport interface: not with MPERF_NO_TRANSPORT (with MPERF_MINIMAL define MPERF_TRANSPORT)"
#endif
#else
#define MPX_TPORT 1
#endif
/* MPERF_SYSTEM_RESOLVER: names go through the system's getaddrinfo, which
   blocks, instead of the built-in stub resolver */
/* MPERF_NO_LIBC_PRINTF: texts and addresses written by the engine itself */
#ifdef MPERF_NO_LIBC_PRINTF
#define MPX_OWN_TEXT 1
#else
#define MPX_OWN_TEXT 0
#endif
/* MPERF_NO_STDIO: no FILE streams; the default callbacks use descriptors */
#ifdef MPERF_NO_STDIO
#define MPX_STDIO 0
#else
#define MPX_STDIO 1
#endif
#if defined(MPERF_SYSTEM_RESOLVER)
#define MPX_STUB 0
#else
#define MPX_STUB 1
#endif
/* MPERF_NO_DNS: the stub resolver without its DNS client (no hosts file,
   resolv.conf or DNS_SERVERS): names come from a resolver of the
   program's own (MPERF_MOPT_RESOLVER_START) only, as on firmware whose
   network stack has its own */
#if MPX_STUB && !defined(MPERF_NO_DNS)
#define MPX_DNSWIRE 1
#else
#define MPX_DNSWIRE 0
#endif
/* MPERF_TRACE: verbose output also names every state change (a debugging aid) */
#if defined(MPERF_TRACE) && !defined(MPERF_NO_VERBOSE)
#define MPX_TRACE 1
#else
#define MPX_TRACE 0
#endif
/* MPERF_NO_ERROR_TEXT: the sentence about a failure is never built; the
   error buffer gets the result code's text (mperf_easy_strerror). Every
   sentence is written MPX_TXT("..."), which drops it, and a transfer fails
   through MPX_FAIL(m, e, code, format, ...), which drops the formatting. */
#if !MPX_ERROR_TEXT
#define MPX_TXT(s) NULL
#define MPX_FAIL(m, e, code, ...) mpx_xfer_end(m, e, code, NULL)
#else
#define MPX_TXT(s) s
#define MPX_FAIL(m, e, code, ...) mpx_xfer_fail(m, e, code, __VA_ARGS__)
#endif

#ifndef MPERF_MALLOC
#define MPERF_MALLOC(n) malloc(n)
#endif
#ifndef MPERF_FREE
#define MPERF_FREE(p) free(p)
#endif
#ifndef MPERF_BUFSIZE
#define MPERF_BUFSIZE 16384
#endif
#ifndef MPERF_BIGBUF
#define MPERF_BIGBUF (256 * 1024) /* receive buffer for long bodies (0: never) */
#endif
#ifndef MPERF_RCVLOWAT
#define MPERF_RCVLOWAT (128 * 1024) /* wake for this many bytes of a long, fast body (0: for any) */
#endif
#ifndef MPERF_CONNECTS_PER_CALL
#define MPERF_CONNECTS_PER_CALL 64
#endif
#ifndef MPERF_MAX_TRANSFERS
#define MPERF_MAX_TRANSFERS 0 /* transfers added to one multi at once; 0: no cap */
#endif
#ifndef MPERF_MAX_CONNECTIONS
#define MPERF_MAX_CONNECTIONS 0 /* connections of one multi at once; 0: no cap */
#endif
#ifndef MPERF_HANDSHAKES_PER_CALL
#define MPERF_HANDSHAKES_PER_CALL 4
#endif
#ifndef MPERF_BYTES_PER_CALL
#define MPERF_BYTES_PER_CALL (1024 * 1024) /* one transfer's reads in one perform call (0: no limit) */
#endif
#ifndef MPERF_MAX_HEADER_LINE
#define MPERF_MAX_HEADER_LINE (100 * 1024)
#endif
#ifndef MPERF_MAX_HEADER_TOTAL
#define MPERF_MAX_HEADER_TOTAL (300 * 1024)
#endif
#ifndef MPERF_MAX_HEADER_COUNT
#define MPERF_MAX_HEADER_COUNT 5000
#endif
#ifndef MPERF_MAX_CHUNK_EXT
#define MPERF_MAX_CHUNK_EXT 4096
#endif
#ifndef MPERF_MAX_CERT
#define MPERF_MAX_CERT (100 * 1024)
#endif
#ifndef MPERF_MAX_URL
#define MPERF_MAX_URL 65536
#endif
#ifndef MPERF_MAX_ADDRS
#define MPERF_MAX_ADDRS 8
#endif
#ifndef MPERF_DNS_CACHE_MS
#define MPERF_DNS_CACHE_MS 60000
#endif
#ifndef MPERF_MAX_RETRIES
#define MPERF_MAX_RETRIES 5
#endif
#ifndef MPERF_CONNECT_TIMEOUT_MS
#define MPERF_CONNECT_TIMEOUT_MS 300000 /* libcurl's default */
#endif
#ifndef MPERF_MAXAGE_CONN_S
#define MPERF_MAXAGE_CONN_S 118 /* idle connections older than this are not reused */
#endif
/* A chunked body whose framing bytes exceed this and 4x its data is hostile. */
#ifndef MPERF_CHUNK_OVERHEAD_MIN
#define MPERF_CHUNK_OVERHEAD_MIN (1024 * 1024)
#endif

/* TLS: build without it with MPERF_NO_TLS (no BearSSL needed then). */
#if !defined(MPERF_CA_BUNDLE) && !defined(_WIN32) /* Windows: the system store "ROOT" without it */
#define MPERF_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt" /* Debian's; others are tried after it */
#endif
#ifndef MPERF_TLS_SESSIONS
#define MPERF_TLS_SESSIONS 16 /* TLS sessions kept per multi for resumption */
#endif

#if MPERF_BUFSIZE < 1024
#error "MPERF_BUFSIZE must be at least 1024"
#endif
#define MPX_BIG (MPERF_BIGBUF > MPERF_BUFSIZE) /* connections switch to big buffers */

/* -------------------------------------------------------------------- */
/* >>platform: system headers, sockets, compiler helpers                */
/* -------------------------------------------------------------------- */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <time.h>

#ifdef _WIN32
/* Windows (Vista and later: WSAPoll, inet_pton): winsock2; link ws2_32. */
#ifndef _WIN32_WINNT
#define _WIN32_WINNT 0x0600
#endif
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#if MPX_DNSWIRE
#include <iphlpapi.h> /* the adapters' DNS servers (GetAdaptersAddresses, loaded at run time) */
#endif
#if MPX_TLS && !defined(MPERF_CA_BUNDLE)
#include <wincrypt.h> /* the system's trust anchors (crypt32, loaded at run time) */
#define MPX_WINROOTS 1
#endif
#define MPX_SOCK_CLOSE(fd) closesocket(fd)
#define MPX_IOLEN(n) ((int)(n)) /* send and recv take an int */
#define MPX_NTOP_LEN size_t
#define MPX_FIONBIO ((long)FIONBIO)
#define MPX_SOCK_ERRNO() WSAGetLastError()
#define MPX_WOULDBLOCK(e) ((e) == WSAEWOULDBLOCK)
#define MPX_INPROGRESS(e) ((e) == WSAEWOULDBLOCK || (e) == WSAEINPROGRESS)
#define MPX_EINTR WSAEINTR
#define MPX_POLL(p, n, t) WSAPoll((p), (ULONG)(n), (t))
#define MPX_SLEEP_MS(t) Sleep((DWORD)(t))
#include <io.h> /* files without stdio: resolv.conf, hosts, the CA file, MPERF_NO_STDIO */
#include <fcntl.h>
#define MPX_FILE_OPEN(path) _open((path), _O_RDONLY | _O_BINARY)
#define MPX_FILE_READ(fd, b, n) _read((fd), (b), (unsigned)(n))
#define MPX_FILE_WRITE(fd, b, n) _write((fd), (b), (unsigned)(n))
#define MPX_FILE_SEEK(fd, off, whence) (long)_lseek((fd), (off), (whence))
#define MPX_FILE_CLOSE(fd) _close(fd)
#else
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/select.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <fcntl.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/eventfd.h>
#define MPX_HAVE_EVENTFD 1
#endif
#if MPX_ROUTING /* UNIX_SOCKET_PATH, INTERFACE */
#include <sys/un.h>
#include <ifaddrs.h>
#define MPX_UNIX 1
#endif
/* getrandom: glibc 2.25 on, and musl (1.1.20 on), which has no macro of
   its own: a Linux libc that is not glibc and has <sys/random.h> */
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 25))
#include <sys/random.h>
#define MPX_HAVE_GETRANDOM 1
#elif defined(__linux__) && !defined(__GLIBC__) && !defined(__ANDROID__) && defined(__has_include)
#if __has_include(<sys/random.h>)
#include <sys/random.h>
#define MPX_HAVE_GETRANDOM 1
#endif
#endif
#define MPX_SOCK_CLOSE(fd) close(fd)
#define MPX_IOLEN(n) (n)
#define MPX_NTOP_LEN socklen_t
#define MPX_SOCK_ERRNO() errno
#define MPX_WOULDBLOCK(e) ((e) == EAGAIN || (e) == EWOULDBLOCK)
#define MPX_INPROGRESS(e) ((e) == EINPROGRESS)
#define MPX_EINTR EINTR
#define MPX_POLL(p, n, t) poll((p), (nfds_t)(n), (t))
#define MPX_SLEEP_MS(t) (void)poll(NULL, 0, (t))
#ifdef O_CLOEXEC
#define MPX_FILE_OPEN(path) open((path), O_RDONLY | O_CLOEXEC)
#else /* (a strict C99 program that included <fcntl.h> first) */
#define MPX_FILE_OPEN(path) open((path), O_RDONLY)
#endif
#define MPX_FILE_READ(fd, b, n) read((fd), (b), (n))
#define MPX_FILE_WRITE(fd, b, n) write((fd), (b), (n))
#define MPX_FILE_SEEK(fd, off, whence) (long)lseek((fd), (off), (whence))
#define MPX_FILE_CLOSE(fd) close(fd)
#endif

#ifndef MPX_UNIX
#define MPX_UNIX 0 /* unix domain sockets */
#endif
#ifndef MPX_WINROOTS
#define MPX_WINROOTS 0 /* trust anchors from the Windows store */
#endif
#ifdef MSG_NOSIGNAL
#define MPX_SEND_FLAGS MSG_NOSIGNAL
#else
#define MPX_SEND_FLAGS 0
#endif

/* glibc under strict -std=c99, when a system header came before us: the two
   POSIX pieces it hides are declared here, with glibc's own layout. */
#if defined(__GLIBC__) && !defined(__USE_POSIX199309)
struct mpx_timespec {
    time_t tv_sec;
    long tv_nsec;
};
extern int clock_gettime(int clock_id, struct mpx_timespec *tp);
#define MPX_TIMESPEC struct mpx_timespec
#define MPX_CLOCK_MONOTONIC 1
#else
#define MPX_TIMESPEC struct timespec
#define MPX_CLOCK_MONOTONIC CLOCK_MONOTONIC
#endif
#if defined(__GLIBC__) && !defined(__USE_XOPEN2K)
struct addrinfo {
    int ai_flags;
    int ai_family;
    int ai_socktype;
    int ai_protocol;
    socklen_t ai_addrlen;
    struct sockaddr *ai_addr;
    char *ai_canonname;
    struct addrinfo *ai_next;
};
extern int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                       struct addrinfo **res);
extern void freeaddrinfo(struct addrinfo *res);
#endif

/* The parser's fast paths (>>parser) in speed builds; -Os builds parse
   every line with the reference path, in less code. Among them an SSE2
   scan of the header fields where every x86-64 has it (gcc and clang);
   MPERF_NO_SIMD keeps the word-at-a-time ones. */
#ifdef __OPTIMIZE_SIZE__
#define MPX_FAST 0
#else
#define MPX_FAST 1
#endif
#if MPX_FAST && (defined(__GNUC__) || defined(__clang__)) && defined(__SSE2__) && !defined(MPERF_NO_SIMD)
#define MPX_SSE2 1
#include <emmintrin.h>
#else
#define MPX_SSE2 0
#endif
/* SO_RCVLOWAT while a long body streams in (mpx_xfer_lowat): Linux, where
   poll and epoll wait for it, in speed builds */
#if MPX_FAST && MPX_BIG && MPERF_RCVLOWAT > 1 && defined(__linux__) && defined(SO_RCVLOWAT)
#define MPX_LOWAT 1
#define MPX_LOWAT_WAIT 5000 /* us: bytes short of it are read after one to two of these */
#else
#define MPX_LOWAT 0
#endif
/* parser events taken per call by the engine (mpx_parse): 16 hold a
   usual head whole; each is 64 bytes of stack */
#define MPX_EVENTS (MPX_FAST ? 16 : 1)

#if defined(__GNUC__) || defined(__clang__)
#define MPX_LIKELY(x) __builtin_expect(!!(x), 1)
#define MPX_NOINLINE __attribute__((noinline))
#define MPX_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define MPX_ATOMIC_XCHG(p, v) __atomic_exchange_n((p), (v), __ATOMIC_SEQ_CST)
#define MPX_ATOMIC_LOAD(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define MPX_ATOMIC_STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#else
#define MPX_LIKELY(x) (x)
#define MPX_NOINLINE
#define MPX_PRINTF(a, b)
static int mpx_xchg_plain(volatile int *p, int v) { int o = *p; *p = v; return o; }
#define MPX_ATOMIC_XCHG(p, v) mpx_xchg_plain((p), (v))
#define MPX_ATOMIC_LOAD(p) (*(volatile int *)(p))
#define MPX_ATOMIC_STORE(p, v) (*(volatile int *)(p) = (v))
#endif

#define MPX_MIN(a, b) ((a) < (b) ? (a) : (b))
#define MPX_MAX(a, b) ((a) > (b) ? (a) : (b))

/* -------------------------------------------------------------------- */
/* >>utilities: allocation, buffers, lists, strings, clock              */
/* -------------------------------------------------------------------- */
static void *mpx_alloc(const mperf_allocator *a, size_t n)
{
    if (n == 0) n = 1;
    return a->alloc ? a->alloc(n, a->user) : MPERF_MALLOC(n);
}

static void mpx_free(const mperf_allocator *a, void *p)
{
    if (!p) return;
    if (a->free) a->free(p, a->user);
    else MPERF_FREE(p);
}

static void *mpx_calloc(const mperf_allocator *a, size_t n)
{
    void *p = mpx_alloc(a, n);
    if (p) memset(p, 0, n);
    return p;
}

#ifdef MPERF_ARENA
/* ---- the arena: size classes over the program's memory ---- */
#define MPX_ARENA_HDR 16       /* before each block: its class (16 keeps any type aligned) */
#define MPX_ARENA_CLASSES 232  /* 16 of 16-byte steps to 256, then 8 per doubling up to 2^31 */

struct mperf_arena {
    mperf_allocator al; /* alloc and free below, user: this */
    unsigned char *next, *end; /* the part never handed out yet */
    size_t used, peak_top; /* bytes in live blocks; the high end of next - start */
    unsigned char *start;
    void *free_list[MPX_ARENA_CLASSES];
};

/* The class of a block of n bytes (header included), and its size. */
static unsigned mpx_arena_class(size_t n, size_t *size)
{
    unsigned e = 8, c;
    size_t step;
    if (n <= 256) {
        c = (unsigned)((n + 15) / 16);
        *size = (size_t)c * 16;
        return c - 1;
    }
    while (((size_t)1 << (e + 1)) < n) e++; /* 2^e < n <= 2^(e+1) */
    step = (size_t)1 << (e - 3);
    c = (unsigned)((n - ((size_t)1 << e) + step - 1) / step); /* 1..8 steps past 2^e */
    *size = ((size_t)1 << e) + c * step;
    return 16 + (e - 8) * 8 + c - 1;
}

static void *mpx_arena_alloc(size_t n, void *user)
{
    mperf_arena *a = (mperf_arena *)user;
    size_t size;
    unsigned c;
    unsigned char *b;
    if (n > ((size_t)1 << 30)) return NULL;
    c = mpx_arena_class(n + MPX_ARENA_HDR, &size);
    if (c >= MPX_ARENA_CLASSES) return NULL;
    if ((b = (unsigned char *)a->free_list[c]) != NULL) {
        memcpy(&a->free_list[c], b + MPX_ARENA_HDR, sizeof(void *));
    } else {
        if ((size_t)(a->end - a->next) < size) return NULL;
        b = a->next;
        a->next += size;
        if ((size_t)(a->next - a->start) > a->peak_top) a->peak_top = (size_t)(a->next - a->start);
    }
    memcpy(b, &size, sizeof size); /* the header: the block's size, then its class */
    memcpy(b + 8, &c, sizeof c);
    a->used += size;
    return b + MPX_ARENA_HDR;
}

static void mpx_arena_free(void *p, void *user)
{
    mperf_arena *a = (mperf_arena *)user;
    unsigned char *b = (unsigned char *)p - MPX_ARENA_HDR;
    unsigned c;
    size_t size;
    memcpy(&size, b, sizeof size);
    memcpy(&c, b + 8, sizeof c);
    a->used -= size;
    memcpy(p, &a->free_list[c], sizeof(void *));
    a->free_list[c] = b;
}
#endif

static char *mpx_strndup(const mperf_allocator *a, const char *s, size_t n)
{
    char *d = (char *)mpx_alloc(a, n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

/* A growable byte buffer. */
typedef struct mpx_buf {
    char *p;
    size_t len, cap;
    int failed; /* an append ran out of memory (for a series checked once) */
} mpx_buf;

static int mpx_buf_reserve(const mperf_allocator *a, mpx_buf *b, size_t extra)
{
    size_t need = b->len + extra, ncap;
    char *np;
    if (need <= b->cap) return 1;
    ncap = b->cap ? b->cap : 256;
    while (ncap < need) ncap *= 2;
    np = (char *)mpx_alloc(a, ncap);
    if (!np) {
        b->failed = 1;
        return 0;
    }
    if (b->len) memcpy(np, b->p, b->len);
    mpx_free(a, b->p);
    b->p = np;
    b->cap = ncap;
    return 1;
}

static int mpx_buf_add(const mperf_allocator *a, mpx_buf *b, const void *d, size_t n)
{
    if (!mpx_buf_reserve(a, b, n)) return 0;
    memcpy(b->p + b->len, d, n);
    b->len += n;
    return 1;
}

static int mpx_buf_adds(const mperf_allocator *a, mpx_buf *b, const char *s)
{
    return mpx_buf_add(a, b, s, strlen(s));
}

/* Appends v in decimal. */
static int mpx_buf_add_num(const mperf_allocator *a, mpx_buf *b, uint64_t v)
{
    char t[20];
    size_t i = sizeof t;
    do t[--i] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    return mpx_buf_add(a, b, t + i, sizeof t - i);
}

static void mpx_buf_free(const mperf_allocator *a, mpx_buf *b)
{
    mpx_free(a, b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* Intrusive lists: a node is a link inside the listed struct (MPX_OF finds
   the struct from it); a list is a link of its own, the head, which points
   at itself when the list is empty. A node on no list has next == NULL. */
typedef struct mpx_link {
    struct mpx_link *next, *prev;
} mpx_link;
#define MPX_OF(link, type, member) ((type *)(void *)((char *)(link) - offsetof(type, member)))

static void mpx_list_init(mpx_link *head)
{
    head->next = head->prev = head;
}

static int mpx_list_empty(const mpx_link *head)
{
    return head->next == head;
}

static int mpx_linked(const mpx_link *n)
{
    return n->next != NULL;
}

/* Puts n in front of at: at the end of a list when at is its head, at the
   front when at is head->next. Out of line: inlined at each of its sites it
   takes more code than the calls. */
MPX_NOINLINE static void mpx_list_add(mpx_link *at, mpx_link *n)
{
    n->next = at;
    n->prev = at->prev;
    at->prev->next = n;
    at->prev = n;
}

/* Takes n off its list (nothing when it is on none). */
static void mpx_list_del(mpx_link *n)
{
    if (!n->next) return;
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->next = n->prev = NULL;
}

/* Character classes for HTTP parsing. */
#define MPX_C_TOKEN 1 /* tchar (RFC 9110 5.6.2) */
#define MPX_C_BAD 2   /* never valid in a field value: CTLs except HTAB, and DEL */
#define MPX_C_HEX 4
#define MPX_C_WS 8 /* SP or HTAB */
#define MPX_C_TRIM 16 /* SP, HTAB, CR, LF: trimmed around values */

static const unsigned char mpx_cc[256] = {
    2,2,2,2,2,2,2,2,2,24,18,2,2,18,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,
    24,1,0,1,1,1,1,1,0,0,1,1,0,1,1,0,5,5,5,5,5,5,5,5,5,5,0,0,0,0,0,0,
    0,5,5,5,5,5,5,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,0,0,0,1,1,
    1,5,5,5,5,5,5,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,0,1,0,1,2,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0};
#define MPX_CC(c) (mpx_cc[(unsigned char)(c)])

/* s[0..n) is all token bytes (true for n == 0). Four lookups a step with no
   early exit: no mispredicted branch in the common, valid case. */
static int mpx_all_token(const char *s, size_t n)
{
    unsigned char all = MPX_C_TOKEN;
    size_t k;
    for (k = 0; k + 4 <= n; k += 4)
        all &= (unsigned char)(MPX_CC(s[k]) & MPX_CC(s[k + 1]) & MPX_CC(s[k + 2]) & MPX_CC(s[k + 3]));
    for (; k < n; k++) all &= MPX_CC(s[k]);
    return (all & MPX_C_TOKEN) != 0;
}

static int mpx_lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

/* n bytes of s equal the lowercase lit, ignoring ASCII case. */
static int mpx_ieq_n(const char *s, const char *lit, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (mpx_lower((unsigned char)s[i]) != lit[i]) return 0;
    return 1;
}

/* A span equals a lowercase string literal (its length known at compile time). */
#define MPX_IEQ(s, n, lit) ((n) == sizeof(lit) - 1 && mpx_ieq_n((s), (lit), sizeof(lit) - 1))
/* n bytes of s are the literal lit, case and all. */
#define MPX_IS_WORD(s, n, lit) ((n) == sizeof(lit) - 1 && memcmp((s), (lit), sizeof(lit) - 1) == 0)

static int mpx_ncaseeq(const char *a, const char *b, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (mpx_lower((unsigned char)a[i]) != mpx_lower((unsigned char)b[i])) return 0;
    return 1;
}

static int mpx_has_crlf(const char *s)
{
    for (; *s; s++)
        if (*s == '\r' || *s == '\n') return 1;
    return 0;
}

/* s holds a byte of class cls (MPX_C_). */
static int mpx_any_of(const char *s, unsigned cls)
{
    for (; *s; s++)
        if (MPX_CC(*s) & cls) return 1;
    return 0;
}

/* The length of s up to its first c, or all of it (strcspn with one byte,
   and no libc string code for a static build to carry). */
static size_t mpx_upto(const char *s, int c)
{
    size_t n = 0;
    while (s[n] && s[n] != c) n++;
    return n;
}

#if !MPX_STDIO
/* MPERF_NO_STDIO: all of p (n bytes) to descriptor fd; 1 when it went. */
static int mpx_fd_write(int fd, const char *p, size_t n)
{
    while (n) {
        long r = (long)MPX_FILE_WRITE(fd, p, MPX_MIN(n, (size_t)1 << 30));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return 0;
        p += r;
        n -= (size_t)r;
    }
    return 1;
}
#endif

static int64_t mpx_now_us(void)
{
#ifdef _WIN32
    LARGE_INTEGER f, c;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&c);
    return (int64_t)(c.QuadPart / f.QuadPart * 1000000 + c.QuadPart % f.QuadPart * 1000000 / f.QuadPart);
#else
    MPX_TIMESPEC ts;
    clock_gettime(MPX_CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
#endif
}

#if MPX_VERBOSE || MPX_TLS || MPX_ERROR_TEXT
/* The text of a socket error (Winsock's codes are not errno values). */
static const char *mpx_sock_strerror(int e)
{
#ifdef _WIN32
    switch (e) {
    case WSAECONNREFUSED: return "Connection refused";
    case WSAECONNRESET: return "Connection reset by peer";
    case WSAECONNABORTED: return "Connection aborted";
    case WSAETIMEDOUT: return "Connection timed out";
    case WSAEHOSTUNREACH: return "No route to host";
    case WSAENETUNREACH: return "Network is unreachable";
    case WSAENETDOWN: return "Network is down";
    case WSAEADDRNOTAVAIL: return "Address not available";
    case WSAEMFILE: return "Too many open sockets";
    case WSAENOBUFS: return "No buffer space available";
    default: return "Socket error";
    }
#else
    return strerror(e);
#endif
}
#endif

#if MPX_TLS || MPX_ROUTING || MPX_PROXY
/* FNV-1a over n bytes, from h (hash keys: routes, TLS policies, CA sources). */
static uint64_t mpx_fnv(const void *p, size_t n, uint64_t h)
{
    const unsigned char *b = (const unsigned char *)p;
    size_t i;
    for (i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}
#endif

static void mpx_strlcpy(char *d, const char *s, size_t n)
{
    size_t l = strlen(s);
    if (!n) return;
    if (l >= n) l = n - 1;
    memcpy(d, s, l);
    d[l] = 0;
}

static int mpx_is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int mpx_is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* a hex digit's value (the caller has checked that it is one) */
static int mpx_hexval(unsigned char c)
{
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* Frees a list linked through the first bytes of each block (the spare
   buffers; hosts and cached names, whose next pointer comes first). */
#if MPX_OWN_TEXT
/* MPERF_NO_LIBC_PRINTF: the part of snprintf the engine's texts use, so that
   a static build needs no printf from its libc: %s, %.*s, %d, %u, %x, with
   l or ll, a width (digits; a leading 0 pads with zeros), and %%.
   tests/structure.sh checks that the engine's formats keep to it. Returns
   the whole text's length, writes at most cap - 1 bytes and a NUL, as
   snprintf does. */
static int mpx_vfmt(char *out, size_t cap, const char *f, va_list ap)
{
    size_t n = 0;
    for (; *f; f++) {
        char num[24], *d = num + sizeof num, pad = ' ';
        const char *s = f;
        size_t len = 1, width = 0, prec = (size_t)-1, i;
        int lng = 0;
        if (*f == '%' && *++f != '%') {
            if (!*f) break; /* a lone % at the end */
            if (*f == '0') pad = *f++;
            for (; mpx_is_digit(*f); f++) width = width * 10 + (size_t)(*f - '0');
            if (f[0] == '.' && f[1] == '*') {
                prec = (size_t)va_arg(ap, int);
                f += 2;
            }
            for (; *f == 'l'; f++) lng++;
            if (*f == 's') {
                s = va_arg(ap, const char *);
                for (len = 0; len < prec && s[len]; len++) {}
            } else { /* d, u or x */
                uint64_t v = lng == 2 || (lng && sizeof(long) == sizeof(long long)) ? (uint64_t)va_arg(ap, long long)
                             : lng ? (uint64_t)va_arg(ap, long) : (uint64_t)va_arg(ap, int);
                int neg = *f == 'd' && (int64_t)v < 0;
                unsigned base = *f == 'x' ? 16 : 10;
                if (*f != 'd' && lng < 2 && (lng == 0 || sizeof(long) < sizeof(long long))) /* as unsigned */
                    v &= lng ? (uint64_t)(unsigned long)-1 : (uint64_t)(unsigned)-1;
                if (neg) v = 0 - v;
                do {
                    *--d = "0123456789abcdef"[v % base];
                    v /= base;
                } while (v);
                if (neg) *--d = '-';
                s = d;
                len = (size_t)(num + sizeof num - d);
            }
        }
        for (i = len; i < width; i++, n++)
            if (n + 1 < cap) out[n] = pad;
        for (i = 0; i < len; i++, n++)
            if (n + 1 < cap) out[n] = s[i];
    }
    if (cap) out[n < cap ? n : cap - 1] = 0;
    return (int)n;
}

static int mpx_fmt(char *out, size_t cap, const char *f, ...) MPX_PRINTF(3, 4);
static int mpx_fmt(char *out, size_t cap, const char *f, ...)
{
    va_list ap;
    int n;
    va_start(ap, f);
    n = mpx_vfmt(out, cap, f, ap);
    va_end(ap);
    return n;
}
#else
#define mpx_vfmt vsnprintf
#define mpx_fmt snprintf
#endif

static void mpx_free_chain(const mperf_allocator *al, void *p)
{
    while (p) {
        void *next;
        memcpy(&next, p, sizeof next);
        mpx_free(al, p);
        p = next;
    }
}

static const char mpx_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

#if MPX_TLS || MPX_STUB || MPX_DIGEST
/* Fresh entropy from the OS: for every TLS connection, every DNS question. */
static int mpx_os_random(void *buf, size_t n)
{
#ifdef _WIN32 /* RtlGenRandom, looked up at run time: nothing more to link */
    typedef BOOLEAN(WINAPI * mpx_rtlgenrandom)(PVOID, ULONG);
    HMODULE lib = LoadLibraryA("advapi32.dll");
    mpx_rtlgenrandom gen = lib ? (mpx_rtlgenrandom)(void (*)(void))GetProcAddress(lib, "SystemFunction036") : NULL;
    int ok = gen && gen(buf, (ULONG)n);
    if (lib) FreeLibrary(lib);
    return ok;
#else
#ifdef MPX_HAVE_GETRANDOM
    if (getrandom(buf, n, 0) == (ssize_t)n) return 1;
#endif
    { /* the device, without stdio */
        int fd = MPX_FILE_OPEN("/dev/urandom");
        size_t got = 0;
        while (fd >= 0 && got < n) {
            ssize_t r = MPX_FILE_READ(fd, (char *)buf + got, n - got);
            if (r <= 0) break;
            got += (size_t)r;
        }
        if (fd >= 0) MPX_FILE_CLOSE(fd);
        return got == n;
    }
#endif
}

#endif

/* -------------------------------------------------------------------- */
/* >>handles: the multi, its transfers and connections, their state     */
/* -------------------------------------------------------------------- */
typedef struct mpx_url {
    uint8_t https;      /* scheme: 0 http, 1 https */
    uint8_t ipv6;       /* host was a [bracketed] literal */
    uint8_t port_given; /* the URL named a port */
    uint8_t has_user;   /* userinfo present */
    uint8_t has_scheme; /* the URL named its scheme */
    uint16_t port;
    const char *user, *pass, *host, *path;
    size_t userlen, passlen, hostlen, pathlen; /* pathlen 0 means "/" */
    size_t len;                                /* URL length without the fragment */
} mpx_url;

typedef struct mpx_addr {
    uint8_t family; /* 4 or 6; 1: UNIX_SOCKET_PATH's socket */
    uint8_t ip[16];
} mpx_addr;

#if MPX_STUB
/* What a DNS answer said about one question (mpx_dns_parse). */
typedef struct mpx_dns_ans {
    unsigned naddr;
    mpx_addr addr[MPERF_MAX_ADDRS];
    uint32_t ttl; /* seconds: the shortest of the records used; of a negative
                     answer, its SOA's (RFC 2308), 0 without one */
} mpx_dns_ans;

#define MPX_DNS_MAXNS 3     /* name servers asked, as resolv.conf allows */
#define MPX_DNS_MAXSEARCH 6 /* search domains */
typedef struct mpx_ns {     /* a name server */
    mpx_addr a;
    uint16_t port;
} mpx_ns;

/* The system's DNS configuration (resolv.conf), read at a multi handle's
   first query. */
typedef struct mpx_resconf {
    mpx_ns ns[MPX_DNS_MAXNS];
    unsigned nns, nsearch, ndots, attempts, rotate;
    long timeout_ms;
    char search[MPX_DNS_MAXSEARCH][254];
} mpx_resconf;
typedef struct mpx_dnsq mpx_dnsq;
#endif

/* A name's addresses, cached per multi by name and port as libcurl keys
   them (a RESOLVE entry's name may be "*": any name on that port). */
typedef struct mpx_dns {
    struct mpx_dns *next; /* first: mpx_free_chain */
    int64_t expires;      /* INT64_MAX for a permanent RESOLVE entry */
    unsigned naddr;
    mpx_addr addr[MPERF_MAX_ADDRS];
    uint16_t port;
    char host[256];
} mpx_dns;

enum {
    MPX_P_STATUS, MPX_P_FIELDS, MPX_P_BODY_LEN, MPX_P_BODY_CLOSE, MPX_P_CHUNK_SIZE, MPX_P_CHUNK_EXT,
    MPX_P_CHUNK_LF, MPX_P_CHUNK_DATA, MPX_P_CHUNK_CR, MPX_P_CHUNK_DATA_LF, MPX_P_TRAILERS, MPX_P_DONE,
    MPX_P_ERROR
};
enum {
    MPX_EV_NEED,         /* all usable bytes consumed: append more and call again */
    MPX_EV_STATUS,       /* line: the status line */
    MPX_EV_FIELD,        /* line, name, value (value trimmed; may hold folds if folded) */
    MPX_EV_HEAD_END,     /* line: the empty line; interim tells a 1xx head */
    MPX_EV_BODY,         /* data */
    MPX_EV_TRAILER,      /* like FIELD, after the last chunk */
    MPX_EV_TRAILERS_END, /* line: the empty line ending the trailers */
    MPX_EV_DONE,         /* the response is complete */
    MPX_EV_ERROR         /* parser->error and parser->why tell what */
};
/* sub-states inside a chunk extension */
enum {
    MPX_X_BWS, MPX_X_SEMI, MPX_X_NAME, MPX_X_NAME_BWS, MPX_X_EQ, MPX_X_VALUE, MPX_X_QUOTED, MPX_X_ESC,
    MPX_X_QUOTED_END
};

typedef struct mpx_parser { /* mpx_parser_init sets every member */
    uint8_t state;
    uint8_t head_request; /* the request was HEAD: no body whatever the head says */
    uint8_t minor;        /* HTTP/1.minor of the current response, 0 or 1 */
    uint8_t keepalive;    /* valid after the head: the connection may be reused */
    uint8_t chunked, has_cl, conn_close, conn_keepalive, te_seen;
    uint8_t interim; /* current head is a 1xx */
    uint8_t folded;  /* current field had an obs-fold */
    uint8_t at_eof;  /* the peer closed: a field line at the end of the input is whole (no fold can follow) */
    uint8_t ext;     /* MPX_X_ sub-state */
    uint8_t digits;  /* hex digits of the current chunk size */
    int status;
    int error;       /* an mperf_code once state is MPX_P_ERROR */
    const char *why; /* and its sentence */
    size_t scan;     /* bytes of the current line already checked */
    size_t colon;    /* offset just past the current field's colon, 0 before */
    size_t head_total;
    unsigned nfields;
    size_t ext_len;
    size_t max_data; /* largest BODY event */
    uint64_t remain; /* body bytes (length framing) or chunk bytes left */
    uint64_t content_length;
    const char *cl_line; /* the Content-Length field's event line, for MAXFILESIZE's check */
    uint64_t overhead, data; /* chunk framing bytes and data bytes */
    /* the SSE2 field scan's bit masks (control bytes, colons) of the mk_n
       bytes from head offset mk_at: one 64-byte pass serves the lines
       inside it. Offsets count consumed head bytes (head_total), so the masks
       stay right when the caller moves the unconsumed bytes. Unused (mk_n 0)
       without SSE2. */
    uint64_t mk_ctl, mk_col;
    size_t mk_at, mk_n;
} mpx_parser;

typedef struct mpx_pev {
    int type;
    const char *line, *value, *data; /* a field's name starts its line */
    size_t linelen, namelen, valuelen, datalen;
} mpx_pev;

enum {
    MPX_C_CONNECTING,
    MPX_C_ACTIVE,
    MPX_C_IDLE,
    MPX_C_DEAD,
    MPX_C_DNS, /* a query's (mpx_dnsq) */
    MPX_C_RAW  /* kept for its owner's own protocol (CONNECT_ONLY), out of the wait set */
};

typedef struct mpx_host mpx_host;
typedef struct mpx_conn mpx_conn;
#if MPX_TPORT
typedef struct mpx_tport { /* MPERF_MOPT_TRANSPORT and its data */
    const mperf_transport *t;
    void *data;
} mpx_tport;
#endif
typedef struct mpx_tls mpx_tls; /* BearSSL state of an https connection */

/* One destination (scheme, host, port) and its connections. */
struct mpx_host {
    mpx_host *next; /* hash chain (first: mpx_free_chain) */
    uint32_t hash;
    unsigned nconn; /* open connections, busy or idle */
    mpx_link idle;  /* idle connections (mpx_conn.idle), most recently used first */
    uint64_t policy; /* TLS verification policy: never shared across policies */
    uint64_t route;  /* where connections really go (CONNECT_TO), 0 for the URL's host */
    uint16_t port;
    uint8_t https;
    uint8_t hostlen;
    char host[256]; /* lowercase */
};

struct mpx_conn {
    mperf_socket_t fd;
    int pfd; /* index in the multi's pollfd array, -1 when not in it */
    uint8_t state;
    unsigned long id;
    unsigned requests; /* requests written on this connection */
    mpx_host *host;
    mpx_link link; /* in the multi's open connections, then its graveyard, then its spares */
    mpx_link idle; /* in the host's idle list */
    mpx_link lru;  /* in the multi's idle list, oldest first */
    mperf_easy *owner;
    int64_t idle_since;
    char *rbuf; /* receive buffer from the pool; unconsumed bytes are [rpos, rlen) */
    size_t rcap, rpos, rlen;
    mpx_buf sbuf; /* request bytes the kernel did not take at once */
    size_t spos;
    mpx_tls *tls;
    uint8_t full_reads; /* reads in a row that filled the buffer */
    uint8_t big;        /* a long body streams in: read into a big buffer */
#if MPX_LOWAT
    uint32_t lowat; /* SO_RCVLOWAT as set on the socket (0: the default, 1) */
#endif
    mpx_addr addr;
    uint16_t port;
    uint8_t told;        /* what the socket callback was last told (MPERF_POLL_ bits, 0: nothing) */
    uint8_t sock_failed; /* the socket callback returned -1 for it */
    void *sockp;         /* mperf_multi_assign's pointer */
    mpx_conn *fd_next;   /* in the multi's socket table (socket_action) */
#if MPX_ROUTING
    mperf_closesocket_callback close_cb; /* CLOSESOCKETFUNCTION when the socket was made */
    void *close_data;
#endif
#if MPX_TPORT
    const mpx_tport *tp; /* the program's transport it was opened on; NULL: the system's sockets */
#endif
};

#if MPX_STUB
/* One name being resolved, shared by the transfers that wait for it: A and
   AAAA asked at once, on one socket of its own, one server at a time. */
struct mpx_dnsq {
    mpx_conn s;           /* first: its socket's record in the wait set (state MPX_C_DNS) */
    mpx_dnsq *next;       /* in the multi's queries, then in its dead ones */
    mpx_link waiters;     /* the transfers (mpx_xfer.dnswait) */
    mpx_ns ns[MPX_DNS_MAXNS];
    unsigned nns, ns_at, tries, max_tries, cand;
    long timeout_ms;
    int64_t next_at;      /* no answer by then: the next try */
    uint8_t pending;      /* questions without an answer yet: bit 0 A, bit 1 AAAA */
    uint8_t tcp;          /* 1: over TCP (an answer was truncated), connecting; 2: connected */
    uint8_t oom;          /* ended for want of memory */
    uintptr_t hook_token; /* asked of the program's resolver (MPERF_MOPT_RESOLVER_START), 0: of DNS */
    int verdict[2];       /* MPX_DNS_ of the answers, A and AAAA */
    mpx_dns_ans ans[2];
    size_t qlen[2];
    unsigned char q[2][12 + 256 + 4]; /* the questions as sent, to check answers against */
    unsigned char *tin;   /* TCP: the answer coming in */
    size_t tgot;
    const char *servers;  /* the DNS_SERVERS it was asked for (a copy after it), NULL: resolv.conf's */
    char name[256];
};
#endif

enum {
    MPX_S_NONE,       /* not added to a multi */
    MPX_S_INIT,       /* added, not started */
    MPX_S_PENDING,    /* waiting for a connection limit */
    MPX_S_CONNECT,    /* find or open a connection */
    MPX_S_RESOLVING,  /* waiting for the stub resolver */
    MPX_S_CONNECTING, /* TCP connect in progress */
    MPX_S_TUNNEL,     /* asking the proxy for a tunnel (CONNECT) */
    MPX_S_TLS,        /* TLS handshake in progress */
    MPX_S_SEND,       /* writing the request */
    MPX_S_RECV,       /* reading the response */
    MPX_S_DONE        /* completed, message posted */
};

enum { MPX_REQ_GET, MPX_REQ_HEAD, MPX_REQ_POST, MPX_REQ_PUT };
enum { MPX_BODY_NONE, MPX_BODY_MEM, MPX_BODY_READ };
enum {
    MPX_B_NONE,      /* no request body, or not started */
    MPX_B_WAIT100,   /* head sent with Expect: 100-continue */
    MPX_B_SENDING,   /* body bytes going out */
    MPX_B_DONE,      /* all of it sent */
    MPX_B_ABANDONED  /* the server answered first: the rest is never sent */
};
#define MPX_PROTO_HTTP 1
#define MPX_PROTO_HTTPS 2

/* The number of options setopt guards (mpx_guarded). */
#define MPX_NGUARDED (25 + 20 * MPX_TLS)
#define MPX_NROUTING 11 /* the first entries: the options of MPERF_NO_ROUTING */

typedef struct mpx_opts {
    char *url, *useragent, *customrequest, *referer, *userpwd, *username, *password, *range, *postcopy;
    char *cainfo, *ciphers;
    unsigned char *cablob, *pins; /* PEM bytes; SHA-256 hashes of pinned keys, 32 bytes each */
    size_t cabloblen, npins;
    const mperf_slist *headers, *resolve, *connect_to;
    char *unix_path, *iface; /* UNIX_SOCKET_PATH or ABSTRACT_UNIX_SOCKET (unix_abstract); INTERFACE */
    char *dns_servers;       /* DNS_SERVERS, checked when set */
#if MPX_COOKIES
    char *cookie;            /* COOKIE: sent as it is */
    char *cookiejar;         /* COOKIEJAR: written at cleanup */
    uint8_t cookiesession;   /* COOKIESESSION */
#endif
#if MPX_DECODE
    char *accept_encoding;   /* ACCEPT_ENCODING ("": every coding built in) */
    uint8_t no_decoding;     /* HTTP_CONTENT_DECODING 0 */
#endif
#if MPX_PROXY
    char *proxy, *noproxy, *proxyuserpwd, *proxyusername, *proxypassword;
    const mperf_slist *proxyheaders;
    long proxyport, proxytype;
    unsigned long proxyauth;
    uint8_t proxy_set;        /* PROXY was set ("" too): the environment is not read */
    uint8_t tunnel;           /* HTTPPROXYTUNNEL */
    uint8_t headers_unified;  /* HEADEROPT UNIFIED: HTTPHEADER to the proxy too */
    uint8_t suppress_connect; /* SUPPRESS_CONNECT_HEADERS */
#endif
    mperf_opensocket_callback opensocket_cb;
    mperf_sockopt_callback sockopt_cb;
    mperf_closesocket_callback closesocket_cb;
    void *opensocket_data, *sockopt_data, *closesocket_data;
    long localport, localportrange, ipresolve;
    long he_timeout_ms; /* HAPPY_EYEBALLS_TIMEOUT_MS: when the second address family starts */
    long keepalive[3]; /* TCP_KEEPIDLE, TCP_KEEPINTVL (libcurl's 60 s), TCP_KEEPCNT (0: the system's) */
    char *default_protocol, *request_target;
    char *postfields; /* the program's (const for us; libcurl's debug callback takes char *) */
    mperf_write_callback write_cb, header_cb;
    void *write_data, *header_data;
    mperf_read_callback read_cb;
    void *read_data;
    mperf_seek_callback seek_cb;
    void *seek_data;
    mperf_xferinfo_callback xferinfo_cb;
    mperf_progress_callback progress_cb;
    void *progress_data;
    mperf_debug_callback debug_cb;
    void *debug_data;
    void *private_ptr;
    char *errorbuffer;
    void *stderr_stream;
    mperf_off_t postfieldsize, infilesize, resume_from, maxfilesize;
    long timeout_ms, connect_timeout_ms, buffersize, http_version, dns_cache_timeout, port, maxconnects;
    long maxredirs, postredir, low_speed_limit, low_speed_time, expect_100_ms;
    unsigned long httpauth;
    uint8_t httpreq; /* MPX_REQ_: the last of HTTPGET, POST(FIELDS), UPLOAD and NOBODY wins */
    uint8_t protocols, redir_protocols;
    uint8_t verbose, header, noprogress, fresh_connect, forbid_reuse, tcp_nodelay, tcp_keepalive, connect_only;
    uint8_t followlocation, failonerror, autoreferer, unrestricted_auth;
    uint8_t ssl_verifypeer, ssl_verifyhost, ssl_sessionid_cache, cablob_owned, unix_abstract;
    uint8_t dns_shuffle; /* DNS_SHUFFLE_ADDRESSES */
    uint8_t refused[MPX_NGUARDED]; /* per mpx_guarded entry: setopt's code when it was set and cannot be honoured */
} mpx_opts;

/* The transfer under way on an easy handle (e->x): what one transfer
   holds from multi_add to its completion message, zeroed as a whole when
   the next one starts (mpx_xfer_reset). getinfo reads it afterwards. */
typedef struct mpx_xfer {
    mpx_conn *conn;
    mpx_url u;        /* the current hop's URL: views into the handle's effective_url */
    uint64_t policy;  /* TLS verification policy of this hop (0 for http) */
    /* where this hop connects: the URL's host and port, or CONNECT_TO's */
    const char *to_host; /* views into the URL or into the CONNECT_TO entry */
    size_t to_hostlen;
    uint16_t to_port;
    uint64_t route; /* 0, or a hash of a different destination */
#if MPX_PROXY
    /* through a proxy (to_host and to_port are then the proxy's) */
    uint8_t proxy;       /* MPX_PX_: none, forward (absolute-form requests), tunnel (CONNECT) */
    uint8_t px_http10;   /* CONNECT as HTTP/1.0 (PROXYTYPE HTTP_1_0) */
    uint8_t px_has_user; /* credentials for it: px_user and px_pass, percent-encoded */
    uint8_t px_sent;     /* CONNECT sent on this connection, its answer being read */
    uint8_t px_picked;   /* Basic sent to the proxy after its 407 (PROXYAUTH with more than Basic) */
    uint8_t px_offer;    /* what the proxy's 407 offered: MPERF_AUTH_ bits */
    const char *px_user, *px_pass;
    size_t px_userlen, px_passlen;
    long connect_code;          /* HTTP_CONNECTCODE */
    mperf_off_t connect_bytes; /* CONNECT requests sent (in REQUEST_SIZE) */
#endif
    mpx_addr addrs[MPERF_MAX_ADDRS];
    unsigned naddr, addr_idx; /* addresses resolved, and the one being tried */
    mpx_parser p;
    uint8_t paused;    /* MPERF_PAUSE_ bits */
    uint8_t got_bytes; /* a response byte arrived on this attempt */
    uint8_t retries;   /* fresh-connection retries after a dead reused one */
    uint8_t fresh;     /* the next connection must be a new one */
    uint8_t req_sent;  /* the request head has been built for this attempt */
    uint8_t following; /* the response is a redirect being followed: its body is dropped */
    uint8_t saw10;     /* an HTTP/1.0 answer came: the transfer's next requests are HTTP/1.0, as libcurl's */
    uint8_t auth_ok;   /* credentials may go to this host */
    uint8_t auth_kept, auth_retried, auth_stale; /* Digest sent from the handle's last challenge; a 401
                                                    answered already; a stale nonce's renewed */
    uint8_t auth_offer, auth_picked, auth_retry; /* HTTPAUTH with more than Basic: what the 401 offered
                                                    (1 Basic, 2 Digest); the scheme picked (1, 2) and
                                                    sent; this response is answered with it */
    /* this request of the chain: method and body */
    uint8_t req, body_kind, body_chunked, body_state, body_eof, body_touched, expect100;
    char method[64];
    char *body_mem; /* POSTFIELDS, sent as it is */
    mperf_off_t body_len, body_sent;
    /* times since t_start (t_start itself absolute), in microseconds */
    int64_t t_start, t_lookup, t_connect, t_appconnect, t_pretransfer, t_starttransfer, t_total, t_redirect;
    /* absolute deadlines, 0 when unset: the whole transfer, the connect
       phase (all addresses), the current phase (one address, or the TLS
       handshake), the 100-continue wait, the next low-speed check and the
       next progress call */
    int64_t deadline_total, deadline_connect, deadline_phase, deadline_expect, deadline_speed, deadline_progress;
#if MPX_LOWAT
    int64_t deadline_lowat; /* the connection's SO_RCVLOWAT is looked at again then */
    int lowat_fed;          /* it was reached since */
#endif
    int64_t slow_since;     /* below the low-speed limit since */
    mperf_off_t speed_mark; /* downloaded + uploaded at the last low-speed check */
    mperf_off_t downloaded, uploaded, header_bytes, request_bytes, content_length, drained;
    long response_code, http_version_seen, os_errno, num_connects, redirect_count;
    long verify_result; /* SSL_VERIFYRESULT: OpenSSL's number for why verification failed, as libcurl's */
    int send_err;                /* a send failed; the response may still be readable */
    size_t pause_off, pause_len; /* body bytes a paused write callback must see again */
#if MPX_DECODE
    struct mpx_inflate *dec; /* the decoder of a coded body (Content-Encoding), from the multi's spares */
    uint8_t coding;          /* the response's coding: MPX_W_ + 1 (0: none); 255 one not built in */
    size_t pause_skip;       /* coded bytes the decoder took before the write callback paused */
    mperf_off_t decoded;     /* decoded bytes delivered (MAXFILESIZE counts these) */
#endif
    mpx_addr primary;            /* the last connection's address */
    char primary_ip[46];         /* its text, made by getinfo */
    uint16_t primary_port;
    uint8_t spent; /* the last read round stopped at MPERF_MOPT_BYTES_PER_CALL */
    /* happy eyeballs: the first address's family is tried on x.conn, the
       other one on racer from deadline_race on; the first to connect wins */
    uint8_t fam0, raced;
    unsigned race_idx;
    int64_t deadline_race;
    mpx_conn *racer;
#if MPX_STUB
    mpx_dnsq *dnsq;       /* the query it waits for (RESOLVING) */
    uint8_t dns_oom;      /* the query ended for want of memory */
    mpx_link dnswait;     /* in its waiters */
    int64_t deadline_dns; /* the query's next try */
#endif
} mpx_xfer;

typedef struct mpx_hfield { /* a field kept for the header API */
    size_t name, value;         /* offsets into mperf_easy.htext */
    long request;               /* 0 for the first request of the transfer */
    unsigned origin;            /* MPERF_H_ */
} mpx_hfield;

#if MPX_DIGEST
/* A Digest challenge, kept by the handle from its 401. */
typedef struct mpx_digest {
    char realm[256], nonce[256], opaque[256];
    uint8_t alg, alg_given, qop, userhash, opaque_given, stale;
    uint8_t kept;  /* answered once: the handle's next transfers answer it at once, as libcurl's do */
    unsigned long nc; /* answers sent with this nonce */
} mpx_digest;
#endif

struct mperf_easy {
    uint32_t magic;
    mperf_allocator al;
    mperf_multi *multi;     /* the multi it is added to */
    mperf_multi *own_multi; /* private multi of easy_perform */
    mpx_link added;         /* in the multi's list of added handles */
    mpx_link dirty;         /* in the multi's run-next list */
    mpx_link pending;       /* waiting for a connection limit */
    mpx_link queued;        /* its message waits in the multi's queue */
    int heap_idx;           /* in the timer heap, -1 if not */
    int64_t due;            /* its key in the heap: the soonest deadline */
    uint8_t state, in_callback;
    uint8_t resolve_new;    /* RESOLVE set since a transfer start last loaded it */
    mperf_msg msg;
    mpx_opts o;
    mpx_xfer x;
    /* buffers the handle keeps across transfers */
    char *postcopy_old; /* a COPYPOSTFIELDS replaced while a transfer sent from it */
    struct mpx_digest *dg; /* the Digest challenge of the last 401 (allocated at the first) */
    mpx_conn *raw;      /* the connection CONNECT_ONLY kept (state MPX_C_RAW) */
    char *ctype, *location, *redirect_url, *effective_url, *prev_url;
    size_t ctype_cap, location_cap, redirect_cap, effective_cap, prev_cap;
#if MPX_PROXY
    char *proxy_url; /* the proxy this transfer goes through: x.to_host and the credentials point into it */
    size_t proxy_cap;
#endif
#if MPX_COOKIES
    struct mpx_jar *jar;  /* the cookie engine (NULL: off): its own, or its share's */
    mperf_share *share;   /* SHARE */
    uint8_t cookies_on;   /* the engine is on (COOKIEFILE, COOKIEJAR, a COOKIELIST line): a share's cookies
                             are used only then, as in libcurl */
    mpx_buf cfiles;       /* COOKIEFILE names, each with its NUL */
    uint8_t cfiles_new;   /* to be read when the next transfer starts */
#endif
    mperf_certinfo certinfo; /* INFO_CERTINFO's empty answer */
#if MPX_HEADER_API
    /* the header API's store: the fields of this transfer's responses, as
       mpx_hfield records in hfields and "name\0value\0" in htext */
    mpx_buf hfields, htext;
    mperf_header hout; /* what the header API returns */
#endif
};

/* A share handle (mperf_share_init): what easy handles use together. */
#define MPX_MAGIC_SHARE 0x6d707331u /* "mps1" */
struct mperf_share {
    uint32_t magic;
    unsigned users;      /* easy handles that use it */
    uint8_t cookies;     /* MPERF_LOCK_DATA_COOKIE is shared */
    struct mpx_jar *jar; /* the cookies, made with the first handle that uses them */
    mperf_lock_function lock;
    mperf_unlock_function unlock;
    void *data;
    mperf_allocator al; /* what the shared cookies are made with: the system's */
};

typedef struct mpx_ready { /* a socket the last wait found ready */
    mpx_conn *c;
    int revents;
} mpx_ready;

struct mperf_multi {
    uint32_t magic;
    mperf_allocator al;
    int in_callback; /* > 0 while a transfer callback runs */
    uint8_t poll_fresh;   /* pfds[].revents are from a wait that perform has not seen */
    uint8_t kick_pending; /* a connection closed or went idle: try the pending list */
    mpx_link added;   /* the added handles (mperf_easy.added) */
    mpx_link msgs;    /* completion messages waiting for info_read (mperf_easy.queued) */
    mpx_link dirty;   /* transfers to run in the next step, socket or not */
    mpx_link pending; /* transfers waiting for a connection limit */
    unsigned num_easy, num_alive, num_msgs;
    mperf_easy **heap;
    unsigned heap_len, heap_cap;
    struct pollfd *pfds; /* connections first, then room for the wakeup and extra fds */
    mpx_conn **pconn;    /* the block of all three (mpx_pfd_reserve) */
    mpx_ready *ready;
    unsigned npfd, pfd_cap;
    mpx_link conns;     /* open connections (mpx_conn.link) */
    mpx_link graveyard; /* closed in this step: recycled at its end */
    mpx_link conn_free; /* spare connection structs */
    mpx_link lru;       /* idle connections, oldest first (mpx_conn.lru) */
    unsigned num_conns, num_conn_free;
    unsigned long next_conn_id;
    mpx_host **hosts;
    unsigned host_buckets, num_hosts;
    mpx_dns *dns;
    unsigned num_dns;
    void *buf_free; /* pooled receive buffers, linked through their first bytes */
    unsigned num_buf_free;
    void *big_free; /* spare big buffers, the same way */
    unsigned num_big_free;
#if MPX_DECODE
    void *inflate_free; /* spare decoders (mpx_inflate), the same way */
    unsigned num_inflate_free;
#endif
    mpx_buf scratch;
    struct mpx_cas *cas;                /* trust anchors, parsed once */
    struct mpx_tls_session *sessions;   /* for resumption */
    unsigned num_sessions;
    struct mpx_verified *verified;      /* certificate chains verified lately (MPX_VERIFIED) */
    unsigned long chains_checked;       /* how many chains the validator ran (for the tests) */
    mpx_tls *tls_free;                  /* a spare TLS engine */
    const void *tls_aes_ctr;            /* BearSSL's choice of AES and GHASH code, made once (>>tls) */
    void (*tls_ghash)(void);
    long maxconnects, max_host_conns, max_total_conns;
    int64_t now;
    mperf_socket_t wake_rd, wake_wr;
    int wake_pending;
    int wake_ready;
    size_t bytes_per_call; /* MPERF_MOPT_BYTES_PER_CALL */
    unsigned call_connects, call_handshakes; /* started in this perform call */
    mpx_link later; /* https transfers that read their bytes in this call with decrypted bytes waiting: dirty in the next */
    /* the event API: the program's callbacks, the sockets by descriptor, the
       deadline the timer callback was last given */
    mperf_socket_callback socket_cb;
    void *socket_data;
    mperf_multi_timer_callback timer_cb;
    void *timer_data;
    mpx_conn **fdtab;
    unsigned fdtab_n; /* buckets, a power of 2 (0: no table) */
    int64_t timer_told; /* MPX_TIMER_NONE, MPX_TIMER_NOW, an absolute time, MPX_TIMER_UNTOLD */
    uint8_t in_event_cb; /* the socket or timer callback runs */
    mperf_random_callback random_cb; /* MPERF_MOPT_RANDOM_FUNCTION */
    void *random_data;
    mperf_time_callback time_cb; /* MPERF_MOPT_TIME_FUNCTION */
    void *time_data;
#if MPX_TPORT
    mpx_tport tport; /* MPERF_MOPT_TRANSPORT (t NULL: the system's sockets) */
#endif
#if MPX_STUB
    mpx_dnsq *dnsq, *dnsq_dead;  /* queries under way; ended in this step (freed at its end) */
    mpx_resconf *resconf;        /* read at the first query */
    char *resolv_path, *hosts_path; /* MPERF_MOPT_RESOLV_CONF, MPERF_MOPT_HOSTS_FILE */
    unsigned dns_rotate;         /* resolv.conf's rotate: the next first server */
    mperf_resolver_start_callback resolver_start; /* the program's own resolver, when set */
    mperf_resolver_cancel_callback resolver_cancel;
    void *resolver_data;
    uintptr_t resolver_tokens; /* the last token handed out */
#endif
};

/* mperf_multi.timer_told, besides an absolute time */
#define MPX_TIMER_NONE ((int64_t)-1)
#define MPX_TIMER_NOW ((int64_t)-2)
#define MPX_TIMER_UNTOLD ((int64_t)-3)

#define MPX_MAGIC_EASY 0x6d706531u  /* "mpe1" */
#define MPX_MAGIC_MULTI 0x6d706d31u /* "mpm1" */

static int mpx_multi_ok(const mperf_multi *m)
{
    return m && m->magic == MPX_MAGIC_MULTI;
}

static int mpx_easy_ok(const mperf_easy *e)
{
    return e && e->magic == MPX_MAGIC_EASY;
}

#if MPX_TLS
/* The TLS layer (>>tls), all the rest of the engine knows of it: a
   connection's tls is NULL for plain http. */
static uint64_t mpx_tls_policy(const mperf_easy *e);
static mperf_code mpx_tls_start(mperf_multi *m, mpx_conn *c, mperf_easy *e, const char **why);
static int mpx_tls_handshake(mpx_conn *c);
static void mpx_tls_info(const mpx_conn *c, unsigned *suite, const char **alpn, int *resumed);
static void mpx_tls_keep_session(mperf_multi *m, const mpx_conn *c);
static mperf_code mpx_tls_error(const mpx_conn *c, char *msg, size_t n, long *verify);
static long mpx_tls_send(mpx_conn *c, const char *p, size_t n, int *err);
static long mpx_tls_recv(mpx_conn *c, char *p, size_t n, int *err);
static int mpx_tls_pump(mpx_conn *c);
static short mpx_tls_want(const mpx_conn *c, short http, int handshaking);
static int mpx_tls_pending(const mpx_conn *c);
static int mpx_tls_close_notified(const mpx_conn *c);
static void mpx_tls_close(mperf_multi *m, mpx_conn *c);
static void mpx_tls_multi_free(mperf_multi *m);
#endif

/* Called from sections above the one that defines them. */
#if MPX_STUB
static int mpx_dnsq_join(mperf_multi *m, mperf_easy *e, const char *name, size_t n);
static void mpx_dnsq_leave(mperf_multi *m, mperf_easy *e);
#if MPX_DNSWIRE
static void mpx_dnsq_tick(mperf_multi *m, mpx_dnsq *q);
static void mpx_dnsq_ready(mperf_multi *m, mpx_dnsq *q, int revents);
#endif
static void mpx_dnsq_free_dead(mperf_multi *m);
#endif
#if MPX_SOCKACT
static void mpx_sock_tell(mperf_multi *m, mpx_conn *c, int gone);
#endif
static void mpx_parser_init(mpx_parser *p, int head_request, size_t max_data);
enum { MPX_HL_LINE, MPX_HL_END, MPX_HL_TRAILER, MPX_HL_CONNECT }; /* the kinds of header line (CONNECT: a proxy's) */
static int mpx_deliver_header(mperf_multi *m, mperf_easy *e, char *line, size_t n, int kind);
static int mpx_deliver_body(mperf_multi *m, mperf_easy *e, char *p, size_t n);
#if MPX_DECODE
static int mpx_decode_held(mperf_multi *m, mperf_easy *e);
#endif
static size_t mpx_default_write(char *p, size_t size, size_t n, void *ud);
#if MPX_DECODE
static void mpx_decode_coding(mperf_easy *e, const char *v, size_t n);
static int mpx_decode_start(mperf_multi *m, mperf_easy *e);
static int mpx_decode_end(mperf_multi *m, mperf_easy *e);
#endif
static int mpx_progress(mperf_multi *m, mperf_easy *e);
static void mpx_xfer_end(mperf_multi *m, mperf_easy *e, mperf_code code, const char *msg);
#if MPX_ERROR_TEXT
static void mpx_xfer_fail(mperf_multi *m, mperf_easy *e, mperf_code code, const char *fmt, ...) MPX_PRINTF(4, 5);
#endif
static int mpx_xfer_arm(mperf_multi *m, mperf_easy *e);
static void mpx_xfer_interest(mperf_multi *m, mperf_easy *e);
static void mpx_heap_remove(mperf_multi *m, mperf_easy *e);
static void mpx_dirty_add(mperf_multi *m, mperf_easy *e);
static int mpx_xfer_set(mperf_multi *m, mperf_easy *e, int to);
static void mpx_body_set(mperf_multi *m, mperf_easy *e, int to);

/* -------------------------------------------------------------------- */
/* >>verbose: info lines, debug data, the guard around callbacks        */
/* -------------------------------------------------------------------- */
/* ---- verbose and debug output ---- */
/* e's debug output is wanted (and the arguments of MPX_INFO worth making) */
#define MPX_TALKS(e) (MPX_VERBOSE && (e)->o.verbose)

static void mpx_debug(mperf_easy *e, mperf_infotype type, char *data, size_t len)
{
    if (!MPX_TALKS(e)) return;
    if (e->o.debug_cb) {
        mperf_multi *m = e->multi;
        e->in_callback++;
        if (m) m->in_callback++;
        (void)e->o.debug_cb(e, type, data, len, e->o.debug_data);
        e->in_callback--;
        if (m) m->in_callback--;
    } else if (type <= MPERF_INFOTYPE_HEADER_OUT) {
#if MPX_STDIO
        FILE *f = e->o.stderr_stream ? (FILE *)e->o.stderr_stream : stderr;
#endif
        static const char *const prefix[3] = {"* ", "< ", "> "};
        size_t i = 0;
        while (i < len) { /* one prefix per line */
            const char *nl = (const char *)memchr(data + i, '\n', len - i);
            size_t l = nl ? (size_t)(nl - (data + i)) + 1 : len - i;
#if MPX_STDIO
            fputs(prefix[type], f);
            fwrite(data + i, 1, l, f);
            if (!nl) fputc('\n', f);
#else /* descriptor 2 */
            (void)(mpx_fd_write(2, prefix[type], 2) && mpx_fd_write(2, data + i, l) && (nl || mpx_fd_write(2, "\n", 1)));
#endif
            i += l;
        }
    }
}

/* An info line (printf-style) for the debug callback or stderr, when
   VERBOSE is on: MPX_INFO(e, format, ...). MPERF_NO_VERBOSE builds drop the
   line and its arguments. */
#if MPX_VERBOSE
#define MPX_INFO(e, ...) mpx_infof(e, __VA_ARGS__)
static void mpx_infof(mperf_easy *e, const char *fmt, ...) MPX_PRINTF(2, 3);
static void mpx_infof(mperf_easy *e, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    int n;
    if (!e->o.verbose) return;
    va_start(ap, fmt);
    n = mpx_vfmt(line, sizeof line - 2, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n > sizeof line - 3) n = (int)sizeof line - 3;
    line[n++] = '\n';
    line[n] = 0; /* a NUL after the piece, as libcurl's: programs print it with %s */
    mpx_debug(e, MPERF_INFOTYPE_TEXT, line, (size_t)n);
}
#else
#define MPX_INFO(e, ...) ((void)0)
#endif

/* ---- the transfer: callbacks ---- */
static void mpx_cb_enter(mperf_multi *m, mperf_easy *e)
{
    e->in_callback++;
    m->in_callback++;
}

static void mpx_cb_leave(mperf_multi *m, mperf_easy *e)
{
    e->in_callback--;
    m->in_callback--;
}

static size_t mpx_call_write(mperf_multi *m, mperf_easy *e, mperf_write_callback cb, void *ud, char *p,
                             size_t n)
{
    size_t r;
    mpx_cb_enter(m, e);
    r = cb(p, 1, n, ud);
    mpx_cb_leave(m, e);
    return r;
}

/* -------------------------------------------------------------------- */
/* >>url: a URL parsed into views; redirect targets resolved            */
/* -------------------------------------------------------------------- */
/* Parses a NUL-terminated URL. On failure returns the libcurl code and sets
   *why to a sentence for the error buffer. */
static mperf_code mpx_url_parse(const char *s, mpx_url *u, const char **why)
{
    const char *p, *auth_end, *at = NULL, *q, *end;
    size_t i, n = strlen(s);
    memset(u, 0, sizeof *u);
    if (n == 0) {
        *why = MPX_TXT("No URL set");
        return MPERF_E_URL_MALFORMAT;
    }
    if (n > MPERF_MAX_URL) {
        *why = MPX_TXT("URL is too long");
        return MPERF_E_URL_MALFORMAT;
    }
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c == 0x7f) {
            *why = MPX_TXT("URL contains a space or control character");
            return MPERF_E_URL_MALFORMAT;
        }
    }
    end = s + mpx_upto(s, '#');
    u->len = (size_t)(end - s);
    /* scheme: only "name://" counts; without one, http is assumed as libcurl does */
    for (i = 0; mpx_is_alpha(s[i]) || mpx_is_digit(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.'; i++) {}
    if (i > 0 && mpx_is_alpha(s[0]) && s + i + 3 <= end && s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/') {
        if (MPX_IEQ(s, i, "http")) u->https = 0;
        else if (MPX_IEQ(s, i, "https")) u->https = 1;
        else {
            *why = MPX_TXT("Protocol not supported or disabled");
            return MPERF_E_UNSUPPORTED_PROTOCOL;
        }
        p = s + i + 3;
        u->has_scheme = 1;
    } else {
        p = s;
    }
    u->port = u->https ? 443 : 80;
    for (auth_end = p; auth_end < end && *auth_end != '/' && *auth_end != '?'; auth_end++)
        if (*auth_end == '@') at = auth_end;
    if (at) {
        const char *c = (const char *)memchr(p, ':', (size_t)(at - p));
        u->has_user = 1;
        u->user = p;
        u->userlen = (size_t)((c ? c : at) - p);
        if (c) {
            u->pass = c + 1;
            u->passlen = (size_t)(at - c - 1);
        }
        p = at + 1;
    }
    if (p < auth_end && *p == '[') {
        q = (const char *)memchr(p, ']', (size_t)(auth_end - p));
        if (!q || q == p + 1) {
            *why = MPX_TXT("Bad IPv6 address in URL");
            return MPERF_E_URL_MALFORMAT;
        }
        u->host = p + 1;
        u->hostlen = (size_t)(q - p - 1);
        u->ipv6 = 1;
        for (i = 0; i < u->hostlen; i++) {
            char c = u->host[i];
            if (!(MPX_CC(c) & MPX_C_HEX) && c != ':' && c != '.') {
                *why = MPX_TXT("Bad IPv6 address in URL");
                return MPERF_E_URL_MALFORMAT;
            }
        }
        p = q + 1;
        if (p < auth_end && *p != ':') {
            *why = MPX_TXT("Malformed URL after the IPv6 address");
            return MPERF_E_URL_MALFORMAT;
        }
    } else {
        u->host = p;
        while (p < auth_end && *p != ':') {
            char c = *p;
            if (!mpx_is_alpha(c) && !mpx_is_digit(c) && c != '-' && c != '.' && c != '_' && c != '~' &&
                (unsigned char)c < 0x80) {
                *why = MPX_TXT("Bad character in the URL's host name");
                return MPERF_E_URL_MALFORMAT;
            }
            p++;
        }
        u->hostlen = (size_t)(p - u->host);
    }
    if (u->hostlen == 0) {
        *why = MPX_TXT("No host part in the URL");
        return MPERF_E_URL_MALFORMAT;
    }
    if (u->hostlen > 255) {
        *why = MPX_TXT("Host name in the URL is too long");
        return MPERF_E_URL_MALFORMAT;
    }
    if (p < auth_end && *p == ':') {
        unsigned long port = 0;
        p++;
        if (p < auth_end) {
            for (; p < auth_end; p++) {
                if (!mpx_is_digit(*p) || port > 65535) {
                    *why = MPX_TXT("Port number in the URL is not a number between 1 and 65535");
                    return MPERF_E_URL_MALFORMAT;
                }
                port = port * 10 + (unsigned long)(*p - '0');
            }
            if (port == 0 || port > 65535) {
                *why = MPX_TXT("Port number in the URL is not a number between 1 and 65535");
                return MPERF_E_URL_MALFORMAT;
            }
            u->port = (uint16_t)port;
            u->port_given = 1;
        }
    }
    u->path = auth_end;
    u->pathlen = (size_t)(end - auth_end);
    return MPERF_E_OK;
}

/* Percent-decodes n bytes of s into out (at most cap bytes); returns the length. */
static size_t mpx_pct_decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t i, o = 0;
    for (i = 0; i < n && o < cap; i++) {
        if (s[i] == '%' && i + 2 < n && (MPX_CC(s[i + 1]) & MPX_C_HEX) && (MPX_CC(s[i + 2]) & MPX_C_HEX)) {
            int hi = s[i + 1] <= '9' ? s[i + 1] - '0' : (s[i + 1] | 0x20) - 'a' + 10;
            int lo = s[i + 2] <= '9' ? s[i + 2] - '0' : (s[i + 2] | 0x20) - 'a' + 10;
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    return o;
}

/* Appends n bytes of a URL from a server: spaces and bytes >= 0x80 are
   percent-encoded; control bytes make it unusable (0). */
static int mpx_buf_add_url(const mperf_allocator *al, mpx_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f) return 0;
        if (c == ' ' || c >= 0x80) {
            char enc[3];
            enc[0] = '%';
            enc[1] = hex[c >> 4];
            enc[2] = hex[c & 15];
            if (!mpx_buf_add(al, b, enc, 3)) return 0;
        } else if (!mpx_buf_add(al, b, s + i, 1)) {
            return 0;
        }
    }
    return 1;
}

/* Removes "." and ".." segments from an absolute path in place (RFC 3986
   5.2.4); returns the new length. */
static size_t mpx_remove_dots(char *p, size_t n)
{
    size_t in = 0, out = 0;
    while (in < n) {
        size_t seg = in + 1, end = seg;
        while (end < n && p[end] != '/') end++;
        if ((end - seg == 1 && p[seg] == '.') || (end - seg == 2 && p[seg] == '.' && p[seg + 1] == '.')) {
            if (end - seg == 2) { /* drop the previous segment */
                while (out > 0 && p[out - 1] != '/') out--;
                if (out > 0) out--;
            }
            in = end;
            if (in == n) p[out++] = '/';
            continue;
        }
        memmove(p + out, p + in, end - in);
        out += end - in;
        in = end;
    }
    if (out == 0 && n > 0) p[out++] = '/'; /* an empty path is the caller's to fill: no byte here */
    return out;
}

/* Resolves a redirect's Location against the URL it came from (RFC 3986
   5.2) into *out (a handle buffer): absolute, scheme-relative, absolute-path,
   query-only and relative references; the fragment is kept (libcurl keeps
   it for EFFECTIVE_URL; requests leave it out). Returns 1, 0 if the
   reference holds control bytes, -1 when out of memory. */
static int mpx_url_resolve(const mperf_allocator *al, const char *base, const mpx_url *bu, const char *loc, char **out,
                           size_t *cap)
{
    mpx_buf b;
    size_t n = mpx_upto(loc, '#'), lp = strcspn(loc, "?#"), i, path_at, all = strlen(loc);
    int ok = 1;
    for (i = 0; i < all; i++)
        if ((unsigned char)loc[i] < 0x20 || loc[i] == 0x7f) return 0; /* control bytes: not a URL */
    b.p = *out;
    b.cap = *cap;
    b.len = 0;
    for (i = 0; mpx_is_alpha(loc[i]) || mpx_is_digit(loc[i]) || loc[i] == '+' || loc[i] == '-' || loc[i] == '.'; i++) {}
    if (i > 0 && mpx_is_alpha(loc[0]) && loc[i] == ':') { /* absolute */
        ok = mpx_buf_add_url(al, &b, loc, n);
    } else if (loc[0] == '/' && loc[1] == '/') { /* scheme-relative */
        ok = mpx_buf_adds(al, &b, bu->https ? "https:" : "http:") && mpx_buf_add_url(al, &b, loc, n);
    } else {
        /* the base's path ("/" when it has none), and that without its query */
        const char *bp = bu->pathlen ? bu->path : "/", *q;
        size_t bplen = bu->pathlen ? bu->pathlen : 1, bpath;
        q = (const char *)memchr(bp, '?', bplen);
        bpath = q ? (size_t)(q - bp) : bplen;
        /* the base's bytes are encoded like the reference's (bytes >= 0x80 as
           %XX), so that the result is the same however it was reached */
        ok = mpx_buf_add_url(al, &b, base, (size_t)(bu->path - base));
        path_at = b.len;
        if (loc[0] == '/') {
            ok = ok && mpx_buf_add_url(al, &b, loc, lp);
        } else if (lp == 0) { /* "?query" or empty: the same path */
            ok = ok && mpx_buf_add_url(al, &b, bp, n == 0 ? bplen : bpath);
        } else {
            while (bpath > 0 && bp[bpath - 1] != '/') bpath--;
            ok = ok && mpx_buf_add_url(al, &b, bp, bpath) && mpx_buf_add_url(al, &b, loc, lp);
        }
        if (ok && loc[0] != '/' && lp == 0 && n == 0) {
            /* the empty reference keeps the base's query, already copied */
        } else if (ok) {
            b.len = path_at + mpx_remove_dots(b.p + path_at, b.len - path_at);
            if (b.len == path_at) ok = mpx_buf_add(al, &b, "/", 1); /* the path is at least "/" */
            ok = ok && mpx_buf_add_url(al, &b, loc + lp, n - lp);
        }
    }
    ok = ok && mpx_buf_add_url(al, &b, loc + n, all - n) && mpx_buf_add(al, &b, "", 1); /* the fragment */
    *out = b.p;
    *cap = b.cap;
    return ok ? 1 : -1; /* past the check above, only memory can fail */
}

/* -------------------------------------------------------------------- */
/* >>resolver: a host name to addresses, and their cache                */
/* -------------------------------------------------------------------- */
#if MPX_TLS || MPX_STUB || MPX_DIGEST
/* Randomness for a multi handle: MPERF_MOPT_RANDOM_FUNCTION (a hardware
   RNG) when set, else the OS's. */
static int mpx_random(const mperf_multi *m, void *buf, size_t n)
{
    if (m->random_cb) return m->random_cb(m->random_data, buf, n) == 0;
    return mpx_os_random(buf, n);
}
#endif

/* Addresses as text: inet_pton and inet_ntop, or with MPERF_NO_LIBC_PRINTF
   read and written here (musl's inet_ntop brings its printf).
   mpx_ip4_parse: s is four decimal parts 0-255 with dots and no leading
   zeros; the 4 bytes to out. */
#if MPX_OWN_TEXT
static int mpx_ip4_parse(const char *s, unsigned char *out)
{
    const char *start;
    unsigned i, v;
    for (i = 0; i < 4; i++) {
        for (start = s, v = 0; s - start < 3 && mpx_is_digit(*s); s++) v = v * 10 + (unsigned)(*s - '0');
        if (s == start || v > 255 || (s - start > 1 && *start == '0')) return 0;
        out[i] = (unsigned char)v;
        if (i < 3 && *s++ != '.') return 0;
    }
    return !*s;
}

/* mpx_ip6_parse: s is an IPv6 address (RFC 4291 2.2: groups of 1-4 hex
   digits, one "::" for at least one zero group, an IPv4 tail); the 16 bytes
   to out. */
static int mpx_ip6_parse(const char *s, unsigned char *out)
{
    unsigned char b[16];
    size_t n = 0, gap = 16, d;
    if (s[0] == ':' && s[1] == ':') {
        gap = 0;
        s += 2;
    }
    while (*s) {
        const char *g = s;
        unsigned v = 0;
        for (d = 0; d < 4 && (mpx_is_digit(*s) || ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'f')); d++, s++)
            v = v * 16 + (unsigned)mpx_hexval((unsigned char)*s);
        if (*s == '.' && d && n <= 12) { /* the last 32 bits as IPv4 */
            if (!mpx_ip4_parse(g, b + n)) return 0;
            n += 4;
            break;
        }
        if (!d || n == 16) return 0;
        b[n++] = (unsigned char)(v >> 8);
        b[n++] = (unsigned char)v;
        if (!*s) break;
        if (*s++ != ':' || !*s) return 0;
        if (*s == ':') {
            if (gap != 16) return 0;
            gap = n;
            s++;
        }
    }
    if (gap == 16 ? n != 16 : n > 14) return 0;
    memset(out, 0, 16);
    memcpy(out, b, gap < n ? gap : n);
    if (gap < n) memcpy(out + 16 - (n - gap), b + gap, n - gap);
    return 1;
}

/* mpx_addr_to_text: as glibc's inet_ntop writes it (RFC 5952: the longest
   run of two or more zero groups, the first of equals, as "::"; lower-case
   hex; ::a.b.c.d when the first six groups are zero, ::ffff:a.b.c.d). */
static void mpx_addr_to_text(const mpx_addr *a, char *out, size_t outlen)
{
    const unsigned char *ip = a->ip;
    char t[48];
    size_t n = 0;
    int i, j, best = -1, blen = 1, groups = 0;
    if (MPX_UNIX && a->family == 1) {
        *out = 0; /* UNIX_SOCKET_PATH's socket: no address */
        return;
    }
    if (a->family == 6) {
        for (i = 0; i < 8; i = j + 1) {
            for (j = i; j < 8 && !ip[2 * j] && !ip[2 * j + 1]; j++) {}
            if (j - i > blen) best = i, blen = j - i;
        }
        groups = best == 0 && (blen == 6 || (blen == 5 && ip[10] == 0xff && ip[11] == 0xff)) ? 6 : 8;
        for (i = 0; i < groups; i++) {
            if (i == best) {
                t[n++] = ':';
                t[n++] = ':';
                i += blen - 1;
                continue;
            }
            if (i && i != best + blen) t[n++] = ':';
            n += (size_t)mpx_fmt(t + n, sizeof t - n, "%x", (unsigned)(ip[2 * i] << 8 | ip[2 * i + 1]));
        }
        if (groups == 6 && blen == 5) t[n++] = ':';
        ip += 12;
    }
    t[n] = 0;
    if (groups < 8) mpx_fmt(t + n, sizeof t - n, "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
    mpx_strlcpy(out, t, outlen);
}

#else
static int mpx_ip4_parse(const char *s, unsigned char *out)
{
    return inet_pton(AF_INET, s, out) == 1;
}

static int mpx_ip6_parse(const char *s, unsigned char *out)
{
    return inet_pton(AF_INET6, s, out) == 1;
}

static void mpx_addr_to_text(const mpx_addr *a, char *out, size_t outlen)
{
    if (MPX_UNIX && a->family == 1) {
        *out = 0; /* UNIX_SOCKET_PATH's socket: no address */
        return;
    }
    if (!inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->ip, out, (MPX_NTOP_LEN)outlen)) mpx_strlcpy(out, "?", outlen);
}
#endif

/* A port number at *s, moving *s past it: -1 when there are no digits or
   the number is over 65535. */
static long mpx_port_at(const char **s)
{
    const char *p = *s;
    long v = 0;
    while (mpx_is_digit(*p) && v <= 65535) v = v * 10 + (*p++ - '0');
    if (p == *s || v > 65535) return -1;
    *s = p;
    return v;
}

/* Literal addresses and localhost, never touching the network. Returns the
   number of addresses, 0 if the name needs a real lookup. */
static unsigned mpx_resolve_static(const char *host, mpx_addr *out)
{
    size_t n = strlen(host);
    memset(out, 0, sizeof *out * 2);
    if (mpx_ip4_parse(host, out[0].ip)) {
        out[0].family = 4;
        return 1;
    }
    if (mpx_ip6_parse(host, out[0].ip)) {
        out[0].family = 6;
        return 1;
    }
    if (MPX_IEQ(host, n, "localhost") || (n > 10 && MPX_IEQ(host + n - 10, 10, ".localhost"))) {
        out[0].family = 4;
        out[0].ip[0] = 127;
        out[0].ip[3] = 1;
        out[1].family = 6;
        out[1].ip[15] = 1;
        return 2;
    }
    return 0;
}

#if MPX_STUB
/* ---- DNS messages (RFC 1035): a question out, an answer checked and read ---- */
#define MPX_DNS_A 1
#define MPX_DNS_CNAME 5
#define MPX_DNS_SOA 6
#define MPX_DNS_AAAA 28
#define MPX_DNS_MAX_CNAMES 8 /* a longer chain is a failure */
enum { MPX_DNS_BAD, MPX_DNS_OK, MPX_DNS_NODATA, MPX_DNS_NXDOMAIN, MPX_DNS_FAIL, MPX_DNS_TRUNC };
#endif

#if MPX_DNSWIRE
static uint16_t mpx_get16(const unsigned char *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* A query (header and question, recursion desired) for name of n bytes,
   dotted with or without the last dot, into out (at least 12 + 256 + 4
   bytes). Returns its length; 0 when name is no DNS name (an empty label,
   a label over 63 bytes, over 255 bytes in all). */
static size_t mpx_dns_query(unsigned char *out, uint16_t id, const char *name, size_t n, uint16_t qtype)
{
    size_t o = 12, i, start;
    if (n && name[n - 1] == '.') n--;
    if (!n || n > 253) return 0;
    memset(out, 0, 12);
    out[0] = (unsigned char)(id >> 8);
    out[1] = (unsigned char)id;
    out[2] = 0x01; /* RD */
    out[5] = 1;    /* QDCOUNT */
    for (i = 0; i <= n; i = start + 1) {
        for (start = i; start < n && name[start] != '.'; start++) {}
        if (start == i || start - i > 63) return 0;
        out[o++] = (unsigned char)(start - i);
        memcpy(out + o, name + i, start - i);
        o += start - i;
    }
    out[o++] = 0;
    out[o++] = (unsigned char)(qtype >> 8);
    out[o++] = (unsigned char)qtype;
    out[o++] = 0;
    out[o++] = 1; /* class IN */
    return o;
}

/* The name at *off in message p (len bytes) into out, uncompressed and in
   lowercase wire form (at most 255 bytes); *off moves past it. A pointer
   must point back before the label that holds it, so nothing loops, and
   a name follows at most 16 of them. Returns the wire length, 0 when the name is malformed. */
static size_t mpx_dns_name(const unsigned char *p, size_t len, size_t *off, unsigned char *out)
{
    size_t at = *off, o = 0, end = 0, i, limit = *off;
    unsigned jumps = 0;
    for (;;) {
        unsigned l;
        if (at >= len) return 0;
        l = p[at];
        if ((l & 0xc0) == 0xc0) {
            size_t to;
            if (at + 1 >= len || ++jumps > 16) return 0; /* pointers to pointers: work without names */
            to = (size_t)(l & 0x3f) << 8 | p[at + 1];
            if (!end) end = at + 2;
            if (to >= limit) return 0; /* forward or to itself: a loop or junk */
            limit = at = to;
            continue;
        }
        if (l & 0xc0) return 0; /* the reserved label types */
        if (at + 1 + l > len || o + 1 + l > 255) return 0;
        out[o++] = (unsigned char)l;
        for (i = 0; i < l; i++) out[o++] = (unsigned char)mpx_lower(p[at + 1 + i]);
        at += 1 + l;
        if (!l) break;
    }
    *off = end ? end : at;
    return o;
}

/* Checks that message p answers query q (qlen bytes, as mpx_dns_query made
   it): the same ID, a response, the same question. Then reads it: the
   addresses of the asked type on the question's CNAME chain (followed
   through at most MPX_DNS_MAX_CNAMES names), other records skipped.
   Returns MPX_DNS_OK, NODATA, NXDOMAIN, FAIL (the server's error: ask
   another), TRUNC (ask again over TCP), or BAD: not an answer to this
   question, or malformed in any way (a bad name, a record cut short,
   counts that do not match the records, bytes after them); it is then
   ignored, never trusted. */
static int mpx_dns_parse(const unsigned char *p, size_t len, const unsigned char *q, size_t qlen, mpx_dns_ans *out)
{
    unsigned char want[256], nm[256];
    size_t wantlen = 0, off, i, ansoff, nmlen;
    unsigned an, ns, k, rr, hops;
    uint16_t qtype;
    int rcode, found = 0;
    memset(out, 0, sizeof *out);
    if (qlen < 17 || len < qlen || p[0] != q[0] || p[1] != q[1] || !(p[2] & 0x80) || (p[2] & 0x78)) return MPX_DNS_BAD;
    if (mpx_get16(p + 4) != 1) return MPX_DNS_BAD;
    for (i = 12; i < qlen; i++) /* the question, byte for byte but for case (never compressed) */
        if (mpx_lower(p[i]) != mpx_lower(q[i])) return MPX_DNS_BAD;
    if (p[2] & 0x02) return MPX_DNS_TRUNC;
    rcode = p[3] & 0x0f;
    if (rcode != 0 && rcode != 3) return MPX_DNS_FAIL;
    qtype = mpx_get16(q + qlen - 4);
    an = mpx_get16(p + 6);
    ns = mpx_get16(p + 8);
    /* every record well formed, and the counts exactly what the message holds */
    off = qlen;
    for (rr = an + ns + mpx_get16(p + 10); rr; rr--) {
        if (!mpx_dns_name(p, len, &off, nm) || off + 10 > len || off + 10 + mpx_get16(p + off + 8) > len)
            return MPX_DNS_BAD;
        off += 10 + mpx_get16(p + off + 8);
    }
    if (off != len) return MPX_DNS_BAD;
    off = 12;
    wantlen = mpx_dns_name(q, qlen, &off, want);
    if (!wantlen) return MPX_DNS_BAD;
    out->ttl = 0xffffffffu;
    /* the answers: each well formed, or the whole message is thrown away */
    ansoff = qlen;
    for (hops = 0; hops <= MPX_DNS_MAX_CNAMES; hops++) {
        int moved = 0;
        off = ansoff;
        for (rr = 0; rr < an; rr++) {
            uint16_t type, cls, rdlen;
            uint32_t ttl;
            if (!(nmlen = mpx_dns_name(p, len, &off, nm)) || off + 10 > len) return MPX_DNS_BAD;
            type = mpx_get16(p + off);
            cls = mpx_get16(p + off + 2);
            ttl = (uint32_t)mpx_get16(p + off + 4) << 16 | mpx_get16(p + off + 6);
            rdlen = mpx_get16(p + off + 8);
            off += 10;
            if (off + rdlen > len) return MPX_DNS_BAD;
            if (ttl > 0x7fffffffu) ttl = 0; /* RFC 2181 8 */
            if (cls == 1 && !moved && nmlen == wantlen && memcmp(nm, want, nmlen) == 0) {
                if (type == qtype && (type == MPX_DNS_A ? rdlen == 4 : type == MPX_DNS_AAAA ? rdlen == 16 : 0)) {
                    if (out->naddr < MPERF_MAX_ADDRS) {
                        out->addr[out->naddr].family = type == MPX_DNS_A ? 4 : 6;
                        memcpy(out->addr[out->naddr].ip, p + off, rdlen);
                        out->naddr++;
                    }
                    if (ttl < out->ttl) out->ttl = ttl;
                    found = 1;
                } else if (type == MPX_DNS_A || type == MPX_DNS_AAAA) {
                    if (type == qtype) return MPX_DNS_BAD; /* an address of the wrong size */
                } else if (type == MPX_DNS_CNAME && !found) {
                    size_t c = off;
                    if (!(wantlen = mpx_dns_name(p, len, &c, want)) || c != off + rdlen) return MPX_DNS_BAD;
                    if (ttl < out->ttl) out->ttl = ttl;
                    moved = 1; /* the rest of this pass only checks the records */
                }
            } else if (type == MPX_DNS_CNAME) {
                size_t c = off;
                if (!mpx_dns_name(p, len, &c, nm) || c != off + rdlen) return MPX_DNS_BAD;
            }
            off += rdlen;
        }
        if (!moved || found) break;
    }
    if (hops > MPX_DNS_MAX_CNAMES) return MPX_DNS_FAIL; /* a loop or a chain too long */
    if (found) return MPX_DNS_OK;
    /* negative: its TTL from the authority section's SOA (RFC 2308 5) */
    out->ttl = 0;
    for (k = 0; k < ns; k++) {
        uint16_t type, rdlen;
        uint32_t ttl;
        if (!mpx_dns_name(p, len, &off, nm) || off + 10 > len) return MPX_DNS_BAD;
        type = mpx_get16(p + off);
        ttl = (uint32_t)mpx_get16(p + off + 4) << 16 | mpx_get16(p + off + 6);
        rdlen = mpx_get16(p + off + 8);
        off += 10;
        if (off + rdlen > len) return MPX_DNS_BAD;
        if (type == MPX_DNS_SOA) {
            size_t c = off;
            uint32_t minimum;
            if (!mpx_dns_name(p, len, &c, nm) || !mpx_dns_name(p, len, &c, nm) || c + 20 != off + rdlen)
                return MPX_DNS_BAD;
            minimum = (uint32_t)mpx_get16(p + c + 16) << 16 | mpx_get16(p + c + 18);
            out->ttl = ttl < minimum ? ttl : minimum;
            if (out->ttl > 0x7fffffffu) out->ttl = 0;
        }
        off += rdlen;
    }
    return rcode == 3 ? MPX_DNS_NXDOMAIN : MPX_DNS_NODATA;
}

/* ---- where to ask: DNS_SERVERS, resolv.conf; the hosts file first ---- */
/* One server, "ADDR", "ADDR:PORT" or "[V6ADDR]:PORT", of n bytes at s; 0
   when it is none. */
static int mpx_ns_parse(const char *s, size_t n, mpx_ns *ns)
{
    char buf[64];
    const char *host = s, *port = NULL, *end = s + n, *c;
    size_t hl = n;
    memset(ns, 0, sizeof *ns);
    ns->port = 53;
    if (n && s[0] == '[') {
        if (!(c = (const char *)memchr(s, ']', n))) return 0;
        host = s + 1;
        hl = (size_t)(c - host);
        if (c + 1 < end && (c[1] != ':' || !(port = c + 2))) return 0;
    } else if ((c = (const char *)memchr(s, ':', n)) != NULL && !memchr(c + 1, ':', (size_t)(end - c - 1))) {
        hl = (size_t)(c - s); /* one colon: a port (more: an IPv6 address without one) */
        port = c + 1;
    }
    if (!hl || hl >= sizeof buf) return 0;
    memcpy(buf, host, hl);
    buf[hl] = 0;
    if (mpx_ip4_parse(buf, ns->a.ip)) ns->a.family = 4;
    else if (mpx_ip6_parse(buf, ns->a.ip)) ns->a.family = 6;
    else return 0;
    if (port) {
        const char *p = port;
        long v = mpx_port_at(&p);
        if (v <= 0 || p != end) return 0;
        ns->port = (uint16_t)v;
    }
    return 1;
}

/* DNS_SERVERS's list, "SERVER[,SERVER]...": the first MPX_DNS_MAXNS into
   ns. Returns how many, 0 when any entry is malformed. */
static unsigned mpx_ns_list(const char *s, mpx_ns *ns)
{
    unsigned k = 0;
    mpx_ns spare;
    while (*s) {
        size_t n = mpx_upto(s, ',');
        if (!mpx_ns_parse(s, n, k < MPX_DNS_MAXNS ? &ns[k] : &spare)) return 0;
        if (k < MPX_DNS_MAXNS) k++;
        s += n;
        if (*s == ',' && !*++s) return 0;
    }
    return k;
}

/* The next blank-separated word of a configuration line at *p (NUL ended
   in place), NULL at the line's end or a comment. */
static char *mpx_conf_word(char **p)
{
    char *w = *p;
    while (*w == ' ' || *w == '\t' || *w == '\r' || *w == '\n') w++;
    if (!*w || *w == '#' || *w == ';') return NULL;
    *p = w;
    while (**p && **p != ' ' && **p != '\t' && **p != '\r' && **p != '\n') (*p)++;
    if (**p) *(*p)++ = 0;
    return w;
}

/* A configuration file read a line at a time on the system's file calls,
   not stdio's: a static build then carries no FILE code for it, and
   nothing is allocated behind the program's allocator. */
typedef struct mpx_cfile {
    int fd; /* -1: no file (the lines end at once) */
    size_t at, end;
    char buf[512];
} mpx_cfile;

static void mpx_cfile_open(mpx_cfile *f, const char *path)
{
    f->fd = *path ? MPX_FILE_OPEN(path) : -1;
    f->at = f->end = 0;
}

static void mpx_cfile_close(mpx_cfile *f)
{
    if (f->fd >= 0) MPX_FILE_CLOSE(f->fd);
}

/* A line of f into line (size bytes, NUL ended, its newline kept), the
   rest of a longer one skipped; 0 at the end. */
static int mpx_conf_line(mpx_cfile *f, char *line, size_t size)
{
    size_t n = 0;
    int any = 0;
    for (;;) {
        const char *s, *nl;
        size_t k, take;
        if (f->at == f->end) {
            long r = -1;
            while (f->fd >= 0 && (r = (long)MPX_FILE_READ(f->fd, f->buf, sizeof f->buf)) < 0 && errno == EINTR) {}
            if (r <= 0) return any;
            f->at = 0;
            f->end = (size_t)r;
        }
        s = f->buf + f->at;
        k = f->end - f->at;
        nl = (const char *)memchr(s, '\n', k);
        take = nl ? (size_t)(nl - s) + 1 : k;
        k = MPX_MIN(take, size - 1 - n);
        memcpy(line + n, s, k);
        line[n += k] = 0;
        f->at += take;
        any = 1;
        if (nl) return 1;
    }
}

#ifdef _WIN32
#define MPX_RESOLV_CONF NULL /* the adapters' settings */
#else
#define MPX_RESOLV_CONF "/etc/resolv.conf"
#endif

#ifdef _WIN32
/* Windows has no resolv.conf: the DNS servers of the adapters that are up,
   and the first adapter's DNS suffix as the search domain. */
static void mpx_resconf_windows(const mperf_allocator *al, mpx_resconf *rc)
{
    typedef ULONG(WINAPI * mpx_gaa)(ULONG, ULONG, PVOID, PIP_ADAPTER_ADDRESSES, PULONG);
    HMODULE lib = LoadLibraryA("iphlpapi.dll");
    mpx_gaa gaa = lib ? (mpx_gaa)(void (*)(void))GetProcAddress(lib, "GetAdaptersAddresses") : NULL;
    IP_ADAPTER_ADDRESSES *all = NULL, *a;
    ULONG len = 16384, r = ERROR_BUFFER_OVERFLOW;
    int tries;
    for (tries = 0; gaa && tries < 3 && r == ERROR_BUFFER_OVERFLOW; tries++) {
        mpx_free(al, all);
        if (!(all = (IP_ADAPTER_ADDRESSES *)mpx_alloc(al, len))) break;
        r = gaa(AF_UNSPEC, GAA_FLAG_SKIP_ANYCAST | GAA_FLAG_SKIP_MULTICAST | GAA_FLAG_SKIP_FRIENDLY_NAME, NULL, all, &len);
    }
    for (a = r == ERROR_SUCCESS ? all : NULL; a; a = a->Next) {
        IP_ADAPTER_DNS_SERVER_ADDRESS *d;
        if (a->OperStatus != IfOperStatusUp) continue;
        for (d = a->FirstDnsServerAddress; d && rc->nns < MPX_DNS_MAXNS; d = d->Next) {
            const struct sockaddr *sa = d->Address.lpSockaddr;
            mpx_ns *ns = &rc->ns[rc->nns];
            memset(ns, 0, sizeof *ns);
            ns->port = 53;
            if (sa && sa->sa_family == AF_INET) {
                ns->a.family = 4;
                memcpy(ns->a.ip, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
                rc->nns++;
            } else if (sa && sa->sa_family == AF_INET6) {
                ns->a.family = 6;
                memcpy(ns->a.ip, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
                rc->nns++;
            }
        }
        if (!rc->nsearch && a->DnsSuffix && a->DnsSuffix[0]) { /* (a name in ASCII only) */
            size_t i;
            for (i = 0; a->DnsSuffix[i] && a->DnsSuffix[i] < 128 && i + 1 < sizeof rc->search[0]; i++)
                rc->search[0][i] = (char)a->DnsSuffix[i];
            rc->search[0][i] = 0;
            rc->nsearch = !a->DnsSuffix[i] && i;
        }
    }
    mpx_free(al, all);
    if (lib) FreeLibrary(lib);
}
#endif

/* resolv.conf (resolv_conf(5)): nameserver, search, domain, and the options
   ndots, timeout, attempts and rotate; without a nameserver, 127.0.0.1.
   NULL (path) on Windows: the adapters' settings. NULL when out of memory. */
static mpx_resconf *mpx_resconf_load(const mperf_allocator *al, const char *path)
{
    mpx_resconf *rc = (mpx_resconf *)mpx_calloc(al, sizeof *rc);
    mpx_cfile f;
    char line[512], *p, *w, *v;
    if (!rc) return NULL;
    rc->ndots = 1;
    rc->timeout_ms = 5000;
    rc->attempts = 2;
#ifdef _WIN32
    if (!path) {
        mpx_resconf_windows(al, rc);
        path = "";
    }
#endif
    mpx_cfile_open(&f, path);
    while (mpx_conf_line(&f, line, sizeof line)) {
        p = line;
        if (!(w = mpx_conf_word(&p))) continue;
        if (strcmp(w, "nameserver") == 0) {
            if ((v = mpx_conf_word(&p)) != NULL && rc->nns < MPX_DNS_MAXNS && !v[mpx_upto(v, '%')] &&
                mpx_ns_parse(v, strlen(v), &rc->ns[rc->nns]) && !v[mpx_upto(v, '[')]) {
                rc->ns[rc->nns].port = 53;
                rc->nns++;
            }
        } else if (strcmp(w, "search") == 0 || strcmp(w, "domain") == 0) { /* the last one wins */
            rc->nsearch = 0;
            while ((v = mpx_conf_word(&p)) != NULL && rc->nsearch < MPX_DNS_MAXSEARCH) {
                size_t n = strlen(v);
                if (n && v[n - 1] == '.') v[--n] = 0;
                if (n && n < sizeof rc->search[0]) memcpy(rc->search[rc->nsearch++], v, n + 1);
            }
        } else if (strcmp(w, "options") == 0) {
            while ((v = mpx_conf_word(&p)) != NULL) { /* NAME:N (a sign: below every minimum) or rotate */
                size_t k = mpx_upto(v, ':');
                const char *d = v + k + (v[k] == ':');
                long n = 0;
                d += *d == '+';
                while (mpx_is_digit(*d) && n < 100) n = n * 10 + (*d++ - '0');
                if (!v[k]) rc->rotate |= strcmp(v, "rotate") == 0;
                else if (MPX_IS_WORD(v, k, "ndots")) rc->ndots = (unsigned)(n > 15 ? 15 : n);
                else if (MPX_IS_WORD(v, k, "timeout")) rc->timeout_ms = 1000 * (n < 1 ? 1 : n > 30 ? 30 : n);
                else if (MPX_IS_WORD(v, k, "attempts")) rc->attempts = (unsigned)(n < 1 ? 1 : n > 5 ? 5 : n);
            }
        }
    }
    mpx_cfile_close(&f);
    if (!rc->nns) { /* the resolver's own default */
        rc->nns = 1;
        rc->ns[0].a.family = 4;
        rc->ns[0].a.ip[0] = 127;
        rc->ns[0].a.ip[3] = 1;
        rc->ns[0].port = 53;
    }
    return rc;
}

/* The hosts file's addresses for name (its last dot, if any, left out),
   in the file's order: how many, 0 when it has none. path NULL: the
   system's (/etc/hosts; on Windows under %SystemRoot%). */
static unsigned mpx_hosts_lookup(const char *path, const char *name, mpx_addr *out)
{
    mpx_cfile f;
    char line[512], *p, *addr, *w;
    size_t n = strlen(name);
    unsigned k = 0;
#ifdef _WIN32
    char sys[MAX_PATH];
    if (!path) {
        const char *root = getenv("SystemRoot");
        mpx_fmt(sys, sizeof sys, "%s\\System32\\drivers\\etc\\hosts", root ? root : "C:\\Windows");
        path = sys;
    }
#else
    if (!path) path = "/etc/hosts";
#endif
    mpx_cfile_open(&f, path);
    if (n && name[n - 1] == '.') n--;
    while (k < MPERF_MAX_ADDRS && mpx_conf_line(&f, line, sizeof line)) {
        p = line;
        if (!(addr = mpx_conf_word(&p))) continue;
        while ((w = mpx_conf_word(&p)) != NULL) {
            if (strlen(w) != n || !mpx_ncaseeq(w, name, n)) continue;
            memset(&out[k], 0, sizeof out[k]);
            if (mpx_ip4_parse(addr, out[k].ip)) out[k++].family = 4;
            else if (mpx_ip6_parse(addr, out[k].ip)) out[k++].family = 6;
            break;
        }
    }
    mpx_cfile_close(&f);
    return k;
}

#endif

#if MPX_STUB
/* DNS_SHUFFLE_ADDRESSES: the addresses in a random order (Fisher-Yates). */
static void mpx_addrs_shuffle(const mperf_multi *m, mpx_addr *a, unsigned n)
{
    unsigned char r[MPERF_MAX_ADDRS];
    unsigned i;
    if (n < 2 || !mpx_random(m, r, n)) return;
    for (i = n - 1; i > 0; i--) {
        unsigned j = r[i] % (i + 1);
        mpx_addr t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}
#endif

#if !MPX_STUB
/* Blocking system lookup (getaddrinfo): the one place that may block. */
static unsigned mpx_resolve_system(const char *host, mpx_addr *out, unsigned max)
{
    struct addrinfo hints, *res = NULL, *ai;
    unsigned n = 0;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, NULL, &hints, &res) != 0) return 0;
    for (ai = res; ai && n < max; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET) {
            out[n].family = 4;
            memcpy(out[n].ip, &((struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr, 4);
            n++;
        } else if (ai->ai_family == AF_INET6) {
            out[n].family = 6;
            memcpy(out[n].ip, &((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr, 16);
            n++;
        }
    }
    freeaddrinfo(res);
    return n;
}
#endif

/* The cache entry for name:port, dropping stale entries on the way. */
static mpx_dns *mpx_dns_find(mperf_multi *m, const char *name, size_t n, uint16_t port)
{
    mpx_dns *d, **pp;
    for (pp = &m->dns; (d = *pp) != NULL;) {
        if (d->expires <= m->now) {
            *pp = d->next;
            mpx_free(&m->al, d);
            m->num_dns--;
            continue;
        }
        if ((!MPX_ROUTING || d->port == port) && mpx_ncaseeq(d->host, name, n) && d->host[n] == 0) return d;
        pp = &d->next;
    }
    return NULL;
}

/* Puts n addresses in the cache for name:port, replacing what it had; 0
   when out of memory. */
static int mpx_dns_put(mperf_multi *m, const char *name, size_t len, uint16_t port, const mpx_addr *a, unsigned n,
                       int64_t expires)
{
    mpx_dns *d = mpx_dns_find(m, name, len, port);
    if (!d) {
        d = (mpx_dns *)mpx_calloc(&m->al, sizeof *d);
        if (!d) return 0;
        memcpy(d->host, name, len);
        d->port = port;
        d->next = m->dns;
        m->dns = d;
        m->num_dns++;
    }
    d->naddr = n;
    memcpy(d->addr, a, n * sizeof *a);
    d->expires = expires;
    return 1;
}

/* RESOLVE, in libcurl's format, loaded into the multi's cache by the first
   transfer that starts after the option is set (and by a copy's first):
   "HOST:PORT:ADDR[,ADDR]..." for good, "+HOST:PORT:ADDR..." for
   DNS_CACHE_TIMEOUT, "-HOST:PORT" taken out; HOST "*" stands for any name
   on that port that nothing else names. An addition that does not parse
   fails the transfer, as in libcurl; a removal that does not is skipped. */
static mperf_code mpx_resolve_load(mperf_multi *m, mperf_easy *e, const char **why)
{
    const mperf_slist *l;
    long ttl = e->o.dns_cache_timeout;
    for (l = e->o.resolve; l; l = l->next) {
        const char *s = l->data, *host;
        size_t hostlen;
        long port;
        mpx_addr a[MPERF_MAX_ADDRS], t[2];
        unsigned na = 0;
        int op;
        if (!s) continue;
        op = *s;
        if (op == '-' || op == '+') s++;
        host = s;
        s += hostlen = mpx_upto(s, ':');
        port = *s == ':' ? (s++, mpx_port_at(&s)) : -1;
        if (op == '-') {
            mpx_dns *d = port >= 0 && hostlen < 256 ? mpx_dns_find(m, host, hostlen, (uint16_t)port) : NULL;
            if (d) d->expires = 0; /* dropped by the next look */
            continue;
        }
        if (port < 0 || *s++ != ':' || hostlen > 255) goto bad;
        while (*s) { /* ADDR[,ADDR]...: IPv6 with or without brackets */
            char text[48];
            size_t n = mpx_upto(s, ',');
            int br = s[0] == '[' && n > 2 && s[n - 1] == ']';
            if (n - 2 * (size_t)br >= sizeof text) goto bad;
            memcpy(text, s + br, n - 2 * (size_t)br);
            text[n - 2 * (size_t)br] = 0;
            if (mpx_resolve_static(text, t) != 1) goto bad; /* an address, not localhost */
            if (na < MPERF_MAX_ADDRS) a[na++] = t[0];
            s += n + (s[n] == ',');
        }
        if (!na) goto bad;
        if (!mpx_dns_put(m, host, hostlen, (uint16_t)port, a, na,
                         op == '+' ? m->now + (ttl > 0 ? (int64_t)ttl * 1000000 : 0) : INT64_MAX)) {
            *why = MPX_TXT("Out of memory");
            return MPERF_E_OUT_OF_MEMORY;
        }
        continue;
    bad:
        *why = MPX_TXT("A RESOLVE entry is not HOST:PORT:ADDRESS[,ADDRESS]");
        return MPERF_E_SETOPT_OPTION_SYNTAX;
    }
    return MPERF_E_OK;
}

#if MPX_PROXY
enum { MPX_PX_NONE, MPX_PX_FORWARD, MPX_PX_TUNNEL }; /* how a transfer goes through its proxy */

/* An environment variable, NULL when unset or empty (as libcurl reads
   them): the lowercase name, else the uppercase one if there is one. */
static const char *mpx_env(const char *lower, const char *upper)
{
    const char *v = getenv(lower);
    if ((!v || !*v) && upper) v = getenv(upper);
    return v && *v ? v : NULL;
}

/* Whether a NOPROXY list (names separated by commas or blanks) names the
   URL's host: "*" alone names all; a name matches itself and the names
   under it (a dot before or after it changes nothing); an IP address
   matches an entry with the same address, or with a prefix length after a
   slash ("10.0.0.0/8"). */
static int mpx_noproxy_match(const char *list, const mpx_url *u)
{
    char host[256];
    mpx_addr ha[2];
    size_t hn = u->hostlen;
    int fam;
    if (!list || !*list) return 0;
    if (strcmp(list, "*") == 0) return 1;
    memcpy(host, u->host, hn);
    host[hn] = 0;
    fam = mpx_resolve_static(host, ha) == 1 ? ha[0].family : 0; /* (localhost is a name here) */
    if (!fam && hn && host[hn - 1] == '.') hn--;
    while (*list) {
        const char *t;
        size_t tn;
        while (*list == ' ' || *list == '\t' || *list == ',') list++;
        t = list;
        while (*list && *list != ' ' && *list != '\t' && *list != ',') list++;
        tn = (size_t)(list - t);
        if (!tn) continue;
        if (fam) { /* an address: the entry's, and the bits of it that count */
            char ip[64];
            mpx_addr ea[2];
            const char *slash;
            long bits = fam == 4 ? 32 : 128;
            unsigned i;
            if (tn >= sizeof ip) continue;
            memcpy(ip, t, tn);
            ip[tn] = 0;
            if ((slash = strchr(ip, '/')) != NULL) {
                const char *b = slash + 1;
                ip[slash - ip] = 0;
                if ((bits = mpx_port_at(&b)) < 0 || *b || bits > (fam == 4 ? 32 : 128)) continue;
                if (bits == 0) bits = fam == 4 ? 32 : 128; /* "/0" is an exact match, as in libcurl */
            }
            if (mpx_resolve_static(ip, ea) != 1 || ea[0].family != fam) continue;
            for (i = 0; i < (unsigned)bits; i++)
                if (((ha[0].ip[i / 8] ^ ea[0].ip[i / 8]) >> (7 - i % 8)) & 1) break;
            if (i == (unsigned)bits) return 1;
            continue;
        }
        if (t[tn - 1] == '.') tn--;
        if (tn && *t == '.') {
            t++;
            tn--;
        }
        if (tn && tn <= hn && mpx_ncaseeq(t, host + hn - tn, tn) && (tn == hn || host[hn - tn - 1] == '.')) return 1;
    }
    return 0;
}

/* The proxy this hop goes through, if any: PROXY when set ("" is none),
   else the environment (http_proxy for http, only in lowercase as in
   libcurl; https_proxy or HTTPS_PROXY for https; then all_proxy or
   ALL_PROXY), unless NOPROXY (else no_proxy or NO_PROXY) names the host.
   It is copied into the handle as "http://[user:password@]host[:port]"
   and x.to_host, x.to_port and the credentials point into it. */
MPX_NOINLINE static mperf_code mpx_proxy_pick(mperf_easy *e, const char **why)
{
    const mpx_opts *o = &e->o;
    mpx_xfer *x = &e->x;
    const char *spec = o->proxy, *noproxy = o->noproxy, *rest;
    mpx_url pu;
    size_t n, i;
    long type = o->proxytype;
    x->proxy = MPX_PX_NONE;
    x->px_has_user = 0;
    if (!o->proxy_set) spec = x->u.https ? mpx_env("https_proxy", "HTTPS_PROXY") : mpx_env("http_proxy", NULL);
    if (!o->proxy_set && !spec) spec = mpx_env("all_proxy", "ALL_PROXY");
    if (!noproxy) noproxy = mpx_env("no_proxy", "NO_PROXY");
    if (!spec || !*spec || mpx_noproxy_match(noproxy, &x->u)) return MPERF_E_OK;
    for (i = 0; mpx_is_alpha(spec[i]) || mpx_is_digit(spec[i]) || spec[i] == '+' || spec[i] == '-' || spec[i] == '.'; i++) {}
    rest = spec;
    if (i && spec[i] == ':' && spec[i + 1] == '/' && spec[i + 2] == '/') { /* the scheme says what kind */
        rest = spec + i + 3;
        if (MPX_IEQ(spec, i, "http")) type = type == MPERF_PROXY_HTTP_1_0 ? type : MPERF_PROXY_HTTP;
        else if (MPX_IEQ(spec, i, "https")) type = MPERF_PROXY_HTTPS;
        else if (MPX_IEQ(spec, i, "socks4") || MPX_IEQ(spec, i, "socks4a") || MPX_IEQ(spec, i, "socks5") ||
                 MPX_IEQ(spec, i, "socks5h"))
            type = MPERF_PROXY_SOCKS5;
        else {
            *why = MPX_TXT("Unsupported proxy scheme");
            return MPERF_E_COULDNT_CONNECT;
        }
    }
    if (type != MPERF_PROXY_HTTP && type != MPERF_PROXY_HTTP_1_0) {
        *why = MPX_TXT("Only HTTP proxies are built in: an HTTPS or SOCKS proxy is not");
        return MPERF_E_NOT_BUILT_IN;
    }
    n = strlen(rest);
    if (n + 8 > e->proxy_cap) {
        char *nb = (char *)mpx_alloc(&e->al, n + 8);
        if (!nb) {
            *why = MPX_TXT("Out of memory");
            return MPERF_E_OUT_OF_MEMORY;
        }
        mpx_free(&e->al, e->proxy_url);
        e->proxy_url = nb;
        e->proxy_cap = n + 8;
    }
    memcpy(e->proxy_url, "http://", 7);
    memcpy(e->proxy_url + 7, rest, n + 1);
    if (mpx_url_parse(e->proxy_url, &pu, why) != MPERF_E_OK || !pu.hostlen || pu.hostlen > 255) {
        *why = MPX_TXT("Unsupported proxy syntax");
        return MPERF_E_COULDNT_RESOLVE_PROXY;
    }
    if (x->to_host != x->u.host || x->to_port != x->u.port || (MPX_UNIX && o->unix_path)) {
        *why = MPX_TXT("CONNECT_TO or a unix socket together with a proxy is not built in");
        return MPERF_E_NOT_BUILT_IN;
    }
    x->proxy = x->u.https || o->tunnel ? MPX_PX_TUNNEL : MPX_PX_FORWARD;
    x->px_http10 = type == MPERF_PROXY_HTTP_1_0;
    x->to_host = pu.host;
    x->to_hostlen = pu.hostlen;
    x->to_port = pu.port_given ? pu.port : (uint16_t)(o->proxyport > 0 ? o->proxyport : 1080);
    if (pu.has_user) { /* credentials in the proxy's URL win, as in libcurl */
        x->px_has_user = 1;
        x->px_user = pu.user;
        x->px_userlen = pu.userlen;
        x->px_pass = pu.pass;
        x->px_passlen = pu.passlen;
    } else if (o->proxyusername || o->proxypassword || o->proxyuserpwd) {
        x->px_has_user = 1;
        x->px_user = x->px_pass = NULL; /* from the options, when the request is built */
    }
    /* the pool keeps connections apart by proxy, its credentials and the way through it */
    x->route = mpx_fnv(e->proxy_url, n + 7, 14695981039346656037ULL ^ x->proxy ^ x->route) ^ x->to_port;
    if (o->proxyuserpwd) x->route = mpx_fnv(o->proxyuserpwd, strlen(o->proxyuserpwd), x->route);
    if (o->proxyusername) x->route = mpx_fnv(o->proxyusername, strlen(o->proxyusername), x->route ^ 1);
    if (o->proxypassword) x->route = mpx_fnv(o->proxypassword, strlen(o->proxypassword), x->route ^ 2);
    x->route |= 1;
    return MPERF_E_OK;
}
#endif

/* Where this hop connects: the first CONNECT_TO entry
   "HOST:PORT:CONNECT-TO-HOST:CONNECT-TO-PORT" whose HOST (an IPv6 one in
   brackets) and PORT match the URL's, an empty one matching any, else the
   URL's own; an empty or missing CONNECT-TO part keeps the URL's. As in
   libcurl, an entry that does not match is passed over whatever follows,
   and a matching one whose destination does not parse fails the transfer.
   The Host header, SNI and the certificate check keep the URL's host. */
static mperf_code mpx_route(mperf_easy *e, const char **why)
{
    const mperf_slist *l;
    mpx_xfer *x = &e->x;
    x->to_host = x->u.host;
    x->to_hostlen = x->u.hostlen;
    x->to_port = x->u.port;
    x->route = 0;
    for (l = MPX_ROUTING ? e->o.connect_to : NULL; l; l = l->next) {
        const char *s = l->data, *q;
        long port;
        if (!s) continue;
        if (*s != ':') { /* the host to match */
            if (x->u.ipv6 && *s++ != '[') continue;
            if (!mpx_ncaseeq(s, x->u.host, x->u.hostlen)) continue;
            s += x->u.hostlen;
            if ((x->u.ipv6 && *s++ != ']') || *s != ':') continue;
        }
        if (*++s && *s != ':' && mpx_port_at(&s) != x->u.port) continue;
        if (*s && *s++ != ':') continue;
        if (*s == '[') { /* the destination */
            if (!(q = strchr(s, ']'))) goto bad;
            x->to_host = s + 1;
            s = q + 1;
        } else {
            x->to_host = s;
            s = q = s + mpx_upto(s, ':');
        }
        x->to_hostlen = (size_t)(q - x->to_host);
        if (!x->to_hostlen) { /* empty: the URL's host */
            x->to_host = x->u.host;
            x->to_hostlen = x->u.hostlen;
        }
        port = 0; /* none or 0: the URL's port */
        if (*s == ':' && *++s && (port = mpx_port_at(&s)) < 0) goto bad;
        if (*s || x->to_hostlen > 255) goto bad;
        if (port > 0) x->to_port = (uint16_t)port;
        break;
    bad:
        *why = MPX_TXT("A CONNECT_TO entry is not HOST:PORT:CONNECT-TO-HOST:CONNECT-TO-PORT");
        return MPERF_E_SETOPT_OPTION_SYNTAX;
    }
#if MPX_ROUTING
    { /* a key for everything that makes the connection go elsewhere or from elsewhere than the URL says */
        const mpx_opts *o = &e->o;
        uint64_t h = 0;
        if (x->to_port != x->u.port || x->to_hostlen != x->u.hostlen || !mpx_ncaseeq(x->to_host, x->u.host, x->u.hostlen))
            h = mpx_fnv(x->to_host, x->to_hostlen, 14695981039346656037ULL) ^ x->to_port;
        if (o->unix_path) h = mpx_fnv(o->unix_path, strlen(o->unix_path) + 1, h ^ 0x75 ^ o->unix_abstract);
        if (o->iface) h = mpx_fnv(o->iface, strlen(o->iface) + 1, h ^ 0x69);
        h ^= (uint64_t)o->localport << 20 ^ (uint64_t)o->localportrange << 38 ^ (uint64_t)o->ipresolve << 56;
        x->route = h ? h | 1 : 0;
    }
#endif
#if MPX_PROXY
    return mpx_proxy_pick(e, why);
#else
    return MPERF_E_OK;
#endif
}

/* Leaves out the addresses of the other family than IPRESOLVE asks for;
   0 when none is left (a literal of the other family, found 2, is no
   address to connect to rather than a failed lookup, as in libcurl). */
static int mpx_xfer_addrs_keep(mperf_easy *e, int found)
{
    unsigned i, k;
    if (MPX_ROUTING && e->o.ipresolve) {
        for (i = k = 0; i < e->x.naddr; i++)
            if (e->x.addrs[i].family == (e->o.ipresolve == MPERF_IPRESOLVE_V4 ? 4 : 6)) e->x.addrs[k++] = e->x.addrs[i];
        e->x.naddr = k;
        if (!k && found == 1) return 0;
    }
    return 1;
}

/* Resolves where the hop connects into e->x.addrs: UNIX_SOCKET_PATH's
   socket when set; else the multi's cache (RESOLVE entries and earlier
   lookups, by name and port; then a "*" entry for the port), literals and
   localhost, then the hosts file and the stub resolver (or the system's
   resolver). Returns 1 with addresses, 0 when the name has none, 2 when
   the transfer now waits for a query (e->x.dnsq), -1 out of memory. */
static int mpx_xfer_resolve(mperf_multi *m, mperf_easy *e)
{
    char name[256];
    mpx_dns *d;
    long ttl = e->o.dns_cache_timeout;
    size_t n = e->x.to_hostlen;
    int found = 1;
    memset(e->x.addrs, 0, sizeof e->x.addrs);
    if (MPX_UNIX && e->o.unix_path) {
        e->x.addrs[0].family = 1;
        e->x.naddr = 1;
        return 1;
    }
    memcpy(name, e->x.to_host, n);
    name[n] = 0;
    if ((d = mpx_dns_find(m, name, n, e->x.to_port)) != NULL ||
        (MPX_ROUTING && (d = mpx_dns_find(m, "*", 1, e->x.to_port)) != NULL)) {
        if (!d->naddr) return 0; /* a name found not to exist, for its negative TTL */
        e->x.naddr = d->naddr;
        memcpy(e->x.addrs, d->addr, sizeof d->addr);
    } else if ((e->x.naddr = mpx_resolve_static(name, e->x.addrs)) != 0) {
        found = 2;
    } else {
#if MPX_STUB
#if MPX_DNSWIRE
        if (!m->resolver_start && /* (the program's resolver decides alone) */
            (e->x.naddr = mpx_hosts_lookup(m->hosts_path, name, e->x.addrs)) != 0 &&
            e->o.dns_shuffle)
            mpx_addrs_shuffle(m, e->x.addrs, e->x.naddr);
#endif
        if (!e->x.naddr) {
            int r;
            MPX_INFO(e, "Resolving %s", name);
            r = mpx_dnsq_join(m, e, name, n);
            return r > 0 ? 2 : r;
        }
#else
        MPX_INFO(e, "Resolving %s (blocking lookup)", name);
        e->x.naddr = mpx_resolve_system(name, e->x.addrs, MPERF_MAX_ADDRS);
        if (!e->x.naddr) return 0;
#endif
        if (ttl != 0) /* a cache entry that cannot be made is a later lookup */
            (void)mpx_dns_put(m, name, n, e->x.to_port, e->x.addrs, e->x.naddr,
                              m->now + (ttl > 0 ? (int64_t)ttl * 1000000 : (int64_t)1 << 62));
    }
    return mpx_xfer_addrs_keep(e, found);
}

/* -------------------------------------------------------------------- */
/* >>transport: sockets, the system's or the program's: connect, send, recv */
/* -------------------------------------------------------------------- */
/* Fills sockaddr storage for a connect; returns its length. */
static socklen_t mpx_addr_to_sockaddr(const mpx_addr *a, uint16_t port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    if (a->family == 6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        memcpy(&s6->sin6_addr, a->ip, 16);
        return (socklen_t)sizeof *s6;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        memcpy(&s4->sin_addr, a->ip, 4);
        return (socklen_t)sizeof *s4;
    }
}

/* Closes a socket of a connection: CLOSESOCKETFUNCTION's job when set. */
static void mpx_sock_close(mperf_closesocket_callback close_cb, void *close_data, mperf_socket_t fd)
{
#if MPX_ROUTING
    if (close_cb) {
        (void)close_cb(close_data, fd);
        return;
    }
#endif
    (void)close_cb;
    (void)close_data;
    MPX_SOCK_CLOSE(fd);
}

#if MPX_ROUTING || !(defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC))
/* Makes fd non-blocking (and close-on-exec); 0 on failure, *err set. */
static int mpx_sock_nonblock(mperf_socket_t fd, int *err)
{
#if defined(_WIN32)
    u_long nb = 1;
    if (ioctlsocket(fd, MPX_FIONBIO, &nb) == 0) return 1;
#else
    int fl = fcntl(fd, F_GETFL, 0);
    if (fl >= 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0) {
        (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
        return 1;
    }
#endif
    *err = MPX_SOCK_ERRNO();
    return 0;
}
#endif

#if MPX_ROUTING
/* The local address INTERFACE names for a socket of family fam: "if!NAME"
   a network interface's, "host!NAME" a host's (an address or a name), a
   bare NAME an interface's when one has that name, else a host's (with the
   stub resolver, from the hosts file). Sets *ifname to the interface's name
   when it is one; 0 when there is no such address. */
static int mpx_iface_addr(const char *spec, int fam, mpx_addr *out, const char **ifname)
{
    int want_if = strncmp(spec, "if!", 3) == 0, want_host = strncmp(spec, "host!", 5) == 0;
    const char *name = spec + (want_if ? 3 : want_host ? 5 : 0);
    mpx_addr a[MPERF_MAX_ADDRS];
    unsigned n, i;
    *ifname = NULL;
#if !defined(_WIN32)
    if (!want_host) {
        struct ifaddrs *all, *p;
        int found = 0;
        if (getifaddrs(&all) == 0) {
            for (p = all; p && !found; p = p->ifa_next) {
                if (strcmp(p->ifa_name, name) != 0) continue;
                *ifname = name;
                if (!p->ifa_addr || p->ifa_addr->sa_family != fam) continue;
                memset(out, 0, sizeof *out);
                if (fam == AF_INET6) {
                    out->family = 6;
                    memcpy(out->ip, &((struct sockaddr_in6 *)(void *)p->ifa_addr)->sin6_addr, 16);
                } else {
                    out->family = 4;
                    memcpy(out->ip, &((struct sockaddr_in *)(void *)p->ifa_addr)->sin_addr, 4);
                }
                found = 1;
            }
            freeifaddrs(all);
        }
        if (found || want_if || *ifname) return found;
    }
#endif
    if (want_if) return 0;
#if MPX_DNSWIRE /* a host name from the hosts file: nothing here waits for a DNS server */
    if (!(n = mpx_resolve_static(name, a))) n = mpx_hosts_lookup(NULL, name, a);
#elif MPX_STUB
    n = mpx_resolve_static(name, a);
#else
    if (!(n = mpx_resolve_static(name, a))) n = mpx_resolve_system(name, a, MPERF_MAX_ADDRS);
#endif
    for (i = 0; i < n; i++)
        if (a[i].family == (fam == AF_INET6 ? 6 : 4)) {
            *out = a[i];
            return 1;
        }
    return 0;
}

/* Binds fd (family fam) to INTERFACE's address and to LOCALPORT, trying
   LOCALPORTRANGE ports in turn. 0 when it cannot: *err is the system's
   error, 0 when INTERFACE names nothing. */
static int mpx_sock_bind(const mpx_opts *o, mperf_socket_t fd, int fam, int *err)
{
    struct sockaddr_storage ss;
    mpx_addr local;
    const char *ifname = NULL;
    long port = o->localport, last = port + (o->localportrange > 1 ? o->localportrange - 1 : 0);
    memset(&local, 0, sizeof local); /* any address */
    local.family = fam == AF_INET6 ? 6 : 4;
    *err = 0;
    if (o->iface && !mpx_iface_addr(o->iface, fam, &local, &ifname)) return 0;
#ifdef SO_BINDTODEVICE
    if (ifname) /* root only (or CAP_NET_RAW): without it the address binding stays */
        (void)setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname) + 1);
#endif
    for (;;) {
        socklen_t sl = mpx_addr_to_sockaddr(&local, (uint16_t)port, &ss);
        if (bind(fd, (struct sockaddr *)&ss, sl) == 0) return 1;
        *err = MPX_SOCK_ERRNO();
#if defined(_WIN32)
        if (*err != WSAEADDRINUSE) return 0;
#else
        if (*err != EADDRINUSE) return 0;
#endif
        if (!port || port >= last || port >= 65535) return 0;
        port++;
    }
}
#endif

#if MPX_UNIX
/* A unix socket's PRIMARY_IP as libcurl shows it: the path the peer is bound
   to (empty for an abstract one), cut to the field. */
static void mpx_unix_peer_text(mperf_socket_t fd, char *out, size_t outlen)
{
    struct sockaddr_un un;
    socklen_t sl = sizeof un;
    size_t off = offsetof(struct sockaddr_un, sun_path), n = 0;
    *out = 0;
    if (getpeername(fd, (struct sockaddr *)(void *)&un, &sl) != 0 || sl <= off) return;
    while (n < sl - off && n < sizeof un.sun_path && un.sun_path[n]) n++;
    if (n >= outlen) n = outlen - 1;
    memcpy(out, un.sun_path, n);
    out[n] = 0;
}
#endif

/* How a connect attempt failed (mpx_sock_connect). */
enum { MPX_SOCK_FAILED, MPX_SOCK_REFUSED_BY_OPEN, MPX_SOCK_ABORTED, MPX_SOCK_NO_LOCAL, MPX_SOCK_BIND };

/* Opens a non-blocking socket for a:port and starts connecting, through
   the program's OPENSOCKETFUNCTION and SOCKOPTFUNCTION and with the local
   binding of INTERFACE and LOCALPORT when set; a is UNIX_SOCKET_PATH's
   socket when its family is 1. Returns the socket, or MPERF_SOCKET_BAD with
   *err (the system's error) and *how (MPX_SOCK_FAILED or how else) set;
   *inprogress tells whether to wait. */
static mperf_socket_t mpx_sock_connect(const mpx_opts *o, const mpx_addr *a, uint16_t port, int *err, int *how,
                                       int *inprogress)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    int one = 1, fam = a->family == 6 ? AF_INET6 : AF_INET, connected = 0;
    mperf_socket_t fd;
    *how = MPX_SOCK_FAILED;
    *inprogress = 0;
#if MPX_UNIX
    if (a->family == 1) {
        struct sockaddr_un *un = (struct sockaddr_un *)(void *)&ss;
        size_t n = strlen(o->unix_path), at = o->unix_abstract; /* abstract: a NUL first, none after */
        if (at + n + !at > sizeof un->sun_path) {
            *err = ENAMETOOLONG;
            return MPERF_SOCKET_BAD;
        }
        memset(&ss, 0, sizeof ss);
        un->sun_family = AF_UNIX;
        memcpy(un->sun_path + at, o->unix_path, n);
        sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + at + n + !at);
        fam = AF_UNIX;
    } else
#endif
        sl = mpx_addr_to_sockaddr(a, port, &ss);
#if MPX_ROUTING
    if (o->opensocket_cb) { /* the program's socket, for the address it may change */
        mperf_sockaddr sa;
        memset(&sa, 0, sizeof sa);
        sa.family = fam;
        sa.socktype = SOCK_STREAM;
        sa.protocol = fam == AF_UNIX ? 0 : IPPROTO_TCP;
        sa.addrlen = (unsigned)sl;
        memcpy(sa.addr, &ss, (size_t)sl);
        fd = o->opensocket_cb(o->opensocket_data, MPERF_SOCKTYPE_IPCXN, &sa);
        if (fd == MPERF_SOCKET_BAD) {
            *err = 0;
            *how = MPX_SOCK_REFUSED_BY_OPEN;
            return MPERF_SOCKET_BAD;
        }
        sl = (socklen_t)(sa.addrlen < sizeof ss ? sa.addrlen : sizeof ss);
        memcpy(&ss, sa.addr, (size_t)sl);
        fam = sa.family;
        if (!mpx_sock_nonblock(fd, err)) goto fail;
    } else
#endif
    {
#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
        fd = socket(fam, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
#else
        fd = socket(fam, SOCK_STREAM, 0);
#endif
        if (fd == MPERF_SOCKET_BAD) {
            *err = MPX_SOCK_ERRNO();
            return MPERF_SOCKET_BAD;
        }
#if !(defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC))
        if (!mpx_sock_nonblock(fd, err)) goto fail;
#endif
    }
    if (fam == AF_INET || fam == AF_INET6) {
        if (o->tcp_nodelay) (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof one);
        if (o->tcp_keepalive) { /* with libcurl's idle time and interval, where the system has them */
            (void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, (const char *)&one, sizeof one);
#if defined(TCP_KEEPIDLE) && defined(TCP_KEEPINTVL) && defined(TCP_KEEPCNT)
            {
                static const int names[3] = {TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT};
                int i, v;
                for (i = 0; i < 3; i++)
                    if ((v = (int)o->keepalive[i]) > 0)
                        (void)setsockopt(fd, IPPROTO_TCP, names[i], (const char *)&v, sizeof v);
            }
#endif
        }
    }
#ifdef SO_NOSIGPIPE
    (void)setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, (const char *)&one, sizeof one);
#endif
#if MPX_ROUTING
    if (o->sockopt_cb) {
        int r = o->sockopt_cb(o->sockopt_data, fd, MPERF_SOCKTYPE_IPCXN);
        if (r == MPERF_SOCKOPT_ALREADY_CONNECTED) {
            connected = 1;
        } else if (r != MPERF_SOCKOPT_OK) {
            *err = 0;
            *how = MPX_SOCK_ABORTED;
            goto fail;
        }
    }
    if (!connected && (fam == AF_INET || fam == AF_INET6) && (o->iface || o->localport) &&
        !mpx_sock_bind(o, fd, fam, err)) {
        *how = *err ? MPX_SOCK_BIND : MPX_SOCK_NO_LOCAL;
        goto fail;
    }
#endif
    if (!connected && connect(fd, (struct sockaddr *)&ss, sl) != 0) {
        *err = MPX_SOCK_ERRNO();
        if (!MPX_INPROGRESS(*err) && !MPX_WOULDBLOCK(*err)) goto fail;
        *inprogress = 1;
    }
    return fd;
fail:
    mpx_sock_close(o->closesocket_cb, o->closesocket_data, fd);
    return MPERF_SOCKET_BAD;
}

/* After a connect became writable: 0 if connected, else the socket error. */
static int mpx_tcp_connect_result(mperf_socket_t fd)
{
    int e = 0;
    socklen_t l = (socklen_t)sizeof e;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, (char *)&e, &l) != 0) return MPX_SOCK_ERRNO();
    return e;
}

/* Returns bytes sent, 0 when the kernel would block, -1 on error (*err set). */
static long mpx_tcp_send(mperf_socket_t fd, const char *p, size_t n, int *err)
{
    for (;;) {
        long r = (long)send(fd, p, MPX_IOLEN(n > 0x40000000 ? 0x40000000 : n), MPX_SEND_FLAGS);
        if (r >= 0) return r;
        *err = MPX_SOCK_ERRNO();
        if (*err == MPX_EINTR) continue;
        if (MPX_WOULDBLOCK(*err)) return 0;
        return -1;
    }
}

/* Returns bytes read, 0 at end of stream, -1 when it would block, -2 on error. */
static long mpx_tcp_recv(mperf_socket_t fd, char *p, size_t n, int *err)
{
    for (;;) {
        long r = (long)recv(fd, p, MPX_IOLEN(n > 0x40000000 ? 0x40000000 : n), 0);
        if (r >= 0) return r;
        *err = MPX_SOCK_ERRNO();
        if (*err == MPX_EINTR) continue;
        if (MPX_WOULDBLOCK(*err)) return -1;
        return -2;
    }
}

/* ---- a socket's calls: through the program's transport, or the system's ---- */
#if MPX_TPORT
#define MPX_TP_OF(m) ((m)->tport.t ? &(m)->tport : NULL)
#define MPX_TP_CALL(c, fn, ...) ((c)->tp->t->fn((c)->tp->data, (c)->fd, __VA_ARGS__))
#endif

/* A socket for a:port, connecting: the system's (mpx_sock_connect, with the
   routing options) or the transport's (which takes none of them: they are
   refused before a transfer starts). */
static mperf_socket_t mpx_io_connect(mperf_multi *m, const mpx_opts *o, const mpx_addr *a, uint16_t port, int *err,
                                     int *how, int *inprogress)
{
#if MPX_TPORT
    if (m->tport.t) {
        const mperf_transport *t = m->tport.t;
        unsigned flags = (o->tcp_nodelay ? MPERF_TP_NODELAY : 0u) | (o->tcp_keepalive ? MPERF_TP_KEEPALIVE : 0u);
        mperf_socket_t fd = t->open(m->tport.data, a->family, MPERF_TP_STREAM, flags, err);
        int r;
        *how = MPX_SOCK_FAILED;
        *inprogress = 0;
        if (fd == MPERF_SOCKET_BAD) return fd;
        r = t->connect(m->tport.data, fd, a->family, a->ip, port, err);
        if (r < 0) {
            t->close(m->tport.data, fd);
            return MPERF_SOCKET_BAD;
        }
        *inprogress = r > 0;
        return fd;
    }
#else
    (void)m;
#endif
    return mpx_sock_connect(o, a, port, err, how, inprogress);
}

static int mpx_io_connect_result(const mpx_conn *c)
{
#if MPX_TPORT
    if (c->tp) return c->tp->t->connect_result(c->tp->data, c->fd);
#endif
    return mpx_tcp_connect_result(c->fd);
}

static long mpx_io_send(const mpx_conn *c, const char *p, size_t n, int *err)
{
#if MPX_TPORT
    if (c->tp) return MPX_TP_CALL(c, send, p, n, err);
#endif
    return mpx_tcp_send(c->fd, p, n, err);
}

static long mpx_io_recv(const mpx_conn *c, char *p, size_t n, int *err)
{
#if MPX_TPORT
    if (c->tp) return MPX_TP_CALL(c, recv, p, n, err);
#endif
    return mpx_tcp_recv(c->fd, p, n, err);
}

/* The multi's clock, in microseconds: the transport's when it has one. */
static int64_t mpx_clock(const mperf_multi *m)
{
#if MPX_TPORT
    if (m->tport.t && m->tport.t->now_us) return m->tport.t->now_us(m->tport.data);
#else
    (void)m;
#endif
    return mpx_now_us();
}

/* Waits on the first n pollfds: the system's poll, or the transport's over
   copies of them, which live in the ready list's room (unused during a
   wait: it is filled from the pollfds afterwards). */
static int mpx_io_poll(mperf_multi *m, unsigned n, int timeout_ms)
{
#if MPX_TPORT
    typedef char mpx_room_check[sizeof(mperf_waitfd) <= sizeof(mpx_ready) ? 1 : -1];
    if (m->tport.t) {
        mperf_waitfd *w = (mperf_waitfd *)(void *)m->ready;
        unsigned i;
        int r;
        for (i = 0; i < n; i++) {
            short ev = m->pfds[i].events;
            w[i].fd = m->pfds[i].fd;
            w[i].events = (short)(((ev & POLLIN) ? MPERF_WAIT_POLLIN : 0) | ((ev & POLLOUT) ? MPERF_WAIT_POLLOUT : 0));
            w[i].revents = 0;
        }
        r = m->tport.t->poll(m->tport.data, w, n, timeout_ms);
        for (i = 0; i < n; i++) {
            short rev = r > 0 ? w[i].revents : 0;
            m->pfds[i].revents = (short)(((rev & MPERF_WAIT_POLLIN) ? POLLIN : 0) | ((rev & MPERF_WAIT_POLLOUT) ? POLLOUT : 0) |
                                         ((rev & MPERF_WAIT_POLLERR) ? POLLERR : 0));
        }
        (void)sizeof(mpx_room_check);
        return r;
    }
#endif
    return MPX_POLL(m->pfds, n, timeout_ms);
}

/* -------------------------------------------------------------------- */
/* >>connections: buffers, the wait set, hosts, the pool; connecting    */
/* -------------------------------------------------------------------- */
/* ---- receive buffer pool ---- */
/* A receive buffer for c: the usual size, or big while a long body streams. */
static int mpx_rbuf_take(mperf_multi *m, mpx_conn *c)
{
    int big = MPX_BIG && c->big;
    void **list = big ? &m->big_free : &m->buf_free, *b = *list;
    size_t size = big ? (size_t)MPERF_BIGBUF : MPERF_BUFSIZE;
    if (b) {
        memcpy(list, b, sizeof(void *));
        if (big) m->num_big_free--;
        else m->num_buf_free--;
    } else {
        b = mpx_alloc(&m->al, size);
        if (!b && big) { /* a big buffer is only faster: without one, the usual size */
            c->big = 0;
            return mpx_rbuf_take(m, c);
        }
        if (!b) return 0;
    }
    c->rbuf = (char *)b;
    c->rcap = size;
    c->rpos = c->rlen = 0;
    return 1;
}

/* p points into c's receive buffer: the same pointer, writable, as the
   write and debug callbacks take it (libcurl's signatures). */
static char *mpx_rbuf_at(const mpx_conn *c, const char *p)
{
    return c->rbuf + (p - c->rbuf);
}

static void mpx_rbuf_give(mperf_multi *m, mpx_conn *c)
{
    if (!c->rbuf) return;
    if (c->rcap == MPERF_BUFSIZE) {
        memcpy(c->rbuf, &m->buf_free, sizeof(void *));
        m->buf_free = c->rbuf;
        m->num_buf_free++;
    } else if (MPX_BIG && c->rcap == (size_t)MPERF_BIGBUF && m->num_big_free < 4) {
        memcpy(c->rbuf, &m->big_free, sizeof(void *));
        m->big_free = c->rbuf;
        m->num_big_free++;
    } else {
        mpx_free(&m->al, c->rbuf); /* grown for a long header line, or a spare too many */
    }
    c->rbuf = NULL;
    c->rcap = c->rpos = c->rlen = 0;
}

/* ---- pollfd array, kept in step with the connections ---- */
static int mpx_pfd_reserve(mperf_multi *m, unsigned need)
{
    unsigned ncap;
    mpx_conn **nc;
    if (need <= m->pfd_cap) return 1;
    ncap = m->pfd_cap ? m->pfd_cap : 16;
    while (ncap < need) ncap *= 2;
    /* one block: the connections, the ready list, the pollfds (pointer sizes first) */
    nc = (mpx_conn **)mpx_alloc(&m->al, ncap * (sizeof *m->pconn + sizeof *m->ready + sizeof *m->pfds));
    if (!nc) return 0;
    if (m->npfd) {
        memcpy(nc, m->pconn, m->npfd * sizeof *nc);
        memcpy((char *)nc + ncap * (sizeof *m->pconn + sizeof *m->ready), m->pfds, m->npfd * sizeof *m->pfds);
    }
    mpx_free(&m->al, m->pconn);
    m->pconn = nc;
    m->ready = (mpx_ready *)(void *)(nc + ncap);
    m->pfds = (struct pollfd *)(void *)(m->ready + ncap);
    m->pfd_cap = ncap;
    return 1;
}

#if MPX_SOCKACT
/* ---- the sockets by descriptor, for socket_action: chained buckets ---- */
static mpx_conn **mpx_fd_slot(const mperf_multi *m, mperf_socket_t fd)
{
    uint64_t h = (uint64_t)fd * UINT64_C(0x9e3779b97f4a7c15);
    return &m->fdtab[(unsigned)(h >> 32) & (m->fdtab_n - 1)];
}

static mpx_conn *mpx_fd_find(const mperf_multi *m, mperf_socket_t fd)
{
    mpx_conn *c;
    if (!m->fdtab_n) return NULL;
    for (c = *mpx_fd_slot(m, fd); c && c->fd != fd; c = c->fd_next) {}
    return c;
}

static void mpx_fd_del(mperf_multi *m, mpx_conn *c)
{
    mpx_conn **pp;
    if (!m->fdtab_n) return;
    for (pp = mpx_fd_slot(m, c->fd); *pp && *pp != c; pp = &(*pp)->fd_next) {}
    if (*pp) *pp = c->fd_next;
    c->fd_next = NULL;
}

/* Puts every socket of the wait set in a table of at least need buckets
   (one per socket keeps chains short). 0 when out of memory. */
static int mpx_fd_table(mperf_multi *m, unsigned need)
{
    unsigned n = m->fdtab_n ? m->fdtab_n : 64, i;
    mpx_conn **t;
    while (n < need) n *= 2;
    if (n == m->fdtab_n) return 1;
    if (!(t = (mpx_conn **)mpx_calloc(&m->al, n * sizeof *t))) return 0;
    mpx_free(&m->al, m->fdtab);
    m->fdtab = t;
    m->fdtab_n = n;
    for (i = 0; i < m->npfd; i++) {
        mpx_conn **slot = mpx_fd_slot(m, m->pconn[i]->fd);
        m->pconn[i]->fd_next = *slot;
        *slot = m->pconn[i];
    }
    return 1;
}
#endif

/* The socket's poll interest: POLLIN, POLLOUT or 0 (left out of the wait);
   the program's socket callback hears of a change. */
static void mpx_pfd_set(mperf_multi *m, mpx_conn *c, short events)
{
    struct pollfd *p;
    if (c->pfd < 0) return;
    p = &m->pfds[c->pfd];
    p->events = events;
    p->fd = events ? c->fd : MPERF_SOCKET_BAD; /* left out of the wait */
#if MPX_SOCKACT
    if (m->socket_cb) mpx_sock_tell(m, c, 0);
#endif
}

static int mpx_pfd_add(mperf_multi *m, mpx_conn *c, short events)
{
    if (!mpx_pfd_reserve(m, m->npfd + 2)) return 0;
#if MPX_SOCKACT
    if (m->socket_cb) {
        mpx_conn **slot;
        if (!mpx_fd_table(m, m->npfd + 1)) return 0;
        slot = mpx_fd_slot(m, c->fd);
        c->fd_next = *slot;
        *slot = c;
    }
    c->told = 0;
    c->sock_failed = 0;
    c->sockp = NULL;
#endif
    c->pfd = (int)m->npfd++;
    m->pconn[c->pfd] = c;
    m->pfds[c->pfd].revents = 0;
    mpx_pfd_set(m, c, events);
    return 1;
}

/* The socket leaves the wait set, before it is closed: the socket callback
   hears REMOVE first (if it was told of the socket). */
static void mpx_pfd_del(mperf_multi *m, mpx_conn *c)
{
    unsigned last;
    if (c->pfd < 0) return;
#if MPX_SOCKACT
    if (m->socket_cb) mpx_sock_tell(m, c, 1);
    mpx_fd_del(m, c);
#endif
    last = --m->npfd;
    if ((unsigned)c->pfd != last) {
        m->pfds[c->pfd] = m->pfds[last];
        m->pconn[c->pfd] = m->pconn[last];
        m->pconn[c->pfd]->pfd = c->pfd;
    }
    c->pfd = -1;
}

/* ---- hosts: a small hash table keyed by scheme, name and port ---- */
static uint32_t mpx_host_hash(int https, const char *h, size_t n, uint16_t port, uint64_t policy)
{
    uint32_t x = 2166136261u ^ (uint32_t)https ^ ((uint32_t)port << 8) ^ (uint32_t)policy ^ (uint32_t)(policy >> 32);
    size_t i;
    for (i = 0; i < n; i++) x = (x ^ (uint32_t)mpx_lower((unsigned char)h[i])) * 16777619u;
    return x;
}

/* The entry for e's scheme, host, port and TLS policy, made when missing
   (NULL: out of memory). */
static mpx_host *mpx_host_get(mperf_multi *m, const mperf_easy *e)
{
    int https = e->x.u.https;
    const char *h = e->x.u.host;
    size_t n = e->x.u.hostlen, i;
    uint16_t port = e->x.u.port;
    uint64_t policy = e->x.policy, route = MPX_ROUTING || MPX_PROXY ? e->x.route : 0;
    uint32_t hv;
    mpx_host *x;
#if MPX_PROXY
    if (e->x.proxy == MPX_PX_FORWARD) { /* one pool per proxy, whatever the origin */
        h = e->x.to_host;
        n = e->x.to_hostlen;
        port = e->x.to_port;
    }
#endif
    hv = mpx_host_hash(https, h, n, port, policy ^ route);
    if (m->host_buckets) {
        for (x = m->hosts[hv & (m->host_buckets - 1)]; x; x = x->next)
            if (x->hash == hv && x->port == port && x->https == https && x->policy == policy &&
                (!(MPX_ROUTING || MPX_PROXY) || x->route == route) && x->hostlen == n && mpx_ncaseeq(x->host, h, n))
                return x;
    }
    if (m->num_hosts >= m->host_buckets) { /* grow to keep chains short */
        unsigned nb = m->host_buckets ? m->host_buckets * 2 : 16, b;
        mpx_host **nt = (mpx_host **)mpx_calloc(&m->al, nb * sizeof *nt);
        if (!nt) return NULL;
        for (b = 0; b < m->host_buckets; b++) {
            while (m->hosts[b]) {
                x = m->hosts[b];
                m->hosts[b] = x->next;
                x->next = nt[x->hash & (nb - 1)];
                nt[x->hash & (nb - 1)] = x;
            }
        }
        mpx_free(&m->al, m->hosts);
        m->hosts = nt;
        m->host_buckets = nb;
    }
    x = (mpx_host *)mpx_calloc(&m->al, sizeof *x);
    if (!x) return NULL;
    mpx_list_init(&x->idle);
    x->hash = hv;
    x->policy = policy;
    x->route = route;
    x->port = port;
    x->https = (uint8_t)https;
    x->hostlen = (uint8_t)n;
    for (i = 0; i < n; i++) x->host[i] = (char)mpx_lower((unsigned char)h[i]);
    x->next = m->hosts[hv & (m->host_buckets - 1)];
    m->hosts[hv & (m->host_buckets - 1)] = x;
    m->num_hosts++;
    return x;
}

static void mpx_host_release(mperf_multi *m, mpx_host *x)
{
    mpx_host **pp;
    if (x->nconn) return; /* idle connections count too */
    for (pp = &m->hosts[x->hash & (m->host_buckets - 1)]; *pp; pp = &(*pp)->next) {
        if (*pp == x) {
            *pp = x->next;
            m->num_hosts--;
            mpx_free(&m->al, x);
            return;
        }
    }
}

/* ---- connections ---- */
static void mpx_idle_unlink(mpx_conn *c)
{
    mpx_list_del(&c->idle);
    mpx_list_del(&c->lru);
}

/* The oldest idle connection of the multi, or of one host (NULL: none). */
static mpx_conn *mpx_oldest_idle(mperf_multi *m)
{
    return mpx_list_empty(&m->lru) ? NULL : MPX_OF(m->lru.next, mpx_conn, lru);
}

static mpx_conn *mpx_newest_idle(mpx_host *h)
{
    return mpx_list_empty(&h->idle) ? NULL : MPX_OF(h->idle.next, mpx_conn, idle);
}

/* Closes c's socket, through the CLOSESOCKETFUNCTION it was made with. */
static void mpx_conn_sock_close(mpx_conn *c)
{
#if MPX_TPORT
    if (c->tp) {
        c->tp->t->close(c->tp->data, c->fd);
        c->fd = MPERF_SOCKET_BAD;
        return;
    }
#endif
#if MPX_ROUTING
    mpx_sock_close(c->close_cb, c->close_data, c->fd);
#else
    MPX_SOCK_CLOSE(c->fd);
#endif
    c->fd = MPERF_SOCKET_BAD;
}

static mpx_conn *mpx_conn_new(mperf_multi *m, mpx_host *h)
{
    mpx_conn *c = NULL;
    if (!mpx_list_empty(&m->conn_free)) {
        c = MPX_OF(m->conn_free.next, mpx_conn, link);
        mpx_list_del(&c->link);
        m->num_conn_free--;
    } else {
        c = (mpx_conn *)mpx_alloc(&m->al, sizeof *c);
        if (!c) return NULL;
        c->sbuf.p = NULL;
        c->sbuf.cap = 0;
    }
    {
        mpx_buf keep = c->sbuf; /* a recycled connection keeps its send buffer */
        memset(c, 0, sizeof *c);
        c->sbuf = keep;
        c->sbuf.len = 0;
    }
    c->fd = MPERF_SOCKET_BAD;
    c->pfd = -1;
    c->state = MPX_C_CONNECTING;
    c->id = m->next_conn_id++;
    c->host = h;
    h->nconn++;
    mpx_list_add(m->conns.next, &c->link);
    m->num_conns++;
    return c;
}

/* Closes a connection. The struct goes to the graveyard and is recycled at
   the end of the step, so a ready list still naming it stays safe. */
static void mpx_conn_close(mperf_multi *m, mpx_conn *c)
{
    if (c->state == MPX_C_DEAD) return;
    if (c->state == MPX_C_IDLE) mpx_idle_unlink(c);
#if MPX_TLS
    mpx_tls_close(m, c);
#endif
    mpx_pfd_del(m, c);
    if (c->fd != MPERF_SOCKET_BAD) mpx_conn_sock_close(c);
    mpx_rbuf_give(m, c);
    if (c->owner && c->owner->x.conn == c) c->owner->x.conn = NULL;
#if MPX_RAW
    if (c->owner && c->owner->raw == c) c->owner->raw = NULL;
#endif
    c->owner = NULL;
    c->state = MPX_C_DEAD;
    mpx_list_del(&c->link);
    m->num_conns--;
    c->host->nconn--;
    mpx_host_release(m, c->host);
    c->host = NULL;
    mpx_list_add(m->graveyard.next, &c->link);
    m->kick_pending = 1;
}

static void mpx_graveyard_flush(mperf_multi *m)
{
#if MPX_STUB
    mpx_dnsq_free_dead(m);
#endif
    while (!mpx_list_empty(&m->graveyard)) {
        mpx_conn *c = MPX_OF(m->graveyard.next, mpx_conn, link);
        mpx_list_del(&c->link);
        if (m->num_conn_free < 64) {
            mpx_list_add(m->conn_free.next, &c->link);
            m->num_conn_free++;
        } else {
            mpx_buf_free(&m->al, &c->sbuf);
            mpx_free(&m->al, c);
        }
    }
}

#if MPX_LOWAT
/* Sets the socket's SO_RCVLOWAT to want bytes (0: back to the default). */
static void mpx_conn_lowat(mpx_conn *c, uint32_t want)
{
    int v = want ? (int)want : 1;
    if (want == c->lowat) return;
    if (setsockopt(c->fd, SOL_SOCKET, SO_RCVLOWAT, (const char *)&v, (socklen_t)sizeof v) == 0 || !want)
        c->lowat = want;
}
#endif

/* A finished response leaves its connection here: back to the pool if it
   can carry another request, closed otherwise. */
static void mpx_conn_done(mperf_multi *m, mperf_easy *e, int reusable)
{
    mpx_conn *c = e->x.conn;
    unsigned long cap;
    if (!c) return;
    e->x.conn = NULL;
    c->owner = NULL;
    if (!reusable || c->rpos != c->rlen || c->spos != c->sbuf.len) {
        MPX_INFO(e, "Closing connection #%lu", c->id);
        mpx_conn_close(m, c);
        return;
    }
    MPX_INFO(e, "Connection #%lu to host %s left intact", c->id, c->host->host);
    c->big = c->full_reads = 0;
#if MPX_LOWAT
    mpx_conn_lowat(c, 0); /* the next response wakes the engine at its first byte */
#endif
    mpx_rbuf_give(m, c);
    c->state = MPX_C_IDLE;
    c->idle_since = m->now;
    mpx_list_add(c->host->idle.next, &c->idle);
    mpx_list_add(&m->lru, &c->lru);
    mpx_pfd_set(m, c, POLLIN); /* an idle socket that turns readable is closing */
    m->kick_pending = 1;
    /* libcurl's default cache size: four per added handle */
    cap = m->maxconnects > 0 ? (unsigned long)m->maxconnects : 4ul * m->num_easy;
    while (m->num_conns > cap && (c = mpx_oldest_idle(m)) != NULL) mpx_conn_close(m, c);
}

#if MPX_RAW
/* CONNECT_ONLY: the connection becomes its transfer's, out of the wait set
   and the pool, for mperf_easy_send/recv. */
static void mpx_conn_keep_raw(mperf_multi *m, mperf_easy *e)
{
    mpx_conn *c = e->x.conn;
    e->x.conn = NULL;
    mpx_pfd_del(m, c);
    if (c->rpos == c->rlen) mpx_rbuf_give(m, c);
    c->state = MPX_C_RAW;
    c->owner = e;
    e->raw = c;
    MPX_INFO(e, "Connection #%lu kept for the program (CONNECT_ONLY)", c->id);
}

/* Closes the connection CONNECT_ONLY kept, if any (it is its multi's). */
static void mpx_raw_drop(mperf_easy *e)
{
    mperf_multi *m = e->multi ? e->multi : e->own_multi;
    if (!e->raw || !m) return;
    mpx_conn_close(m, e->raw);
    mpx_graveyard_flush(m);
}
#endif

/* ---- the connection's byte stream: TCP, or TLS over TCP ---- */
static long mpx_conn_send(mpx_conn *c, const char *p, size_t n, int *err)
{
#if MPX_TLS
    if (c->tls) return mpx_tls_send(c, p, n, err);
#endif
    return mpx_io_send(c, p, n, err);
}

static long mpx_conn_recv(mpx_conn *c, char *p, size_t n, int *err)
{
#if MPX_TLS
    if (c->tls) return mpx_tls_recv(c, p, n, err);
#endif
    return mpx_io_recv(c, p, n, err);
}

static int mpx_xfer_connected(mperf_multi *m, mperf_easy *e, int revents);
#if MPX_ROUTING
static void mpx_xfer_race(mperf_multi *m, mperf_easy *e);
#endif

/* A connection's socket is fd, connecting (or connected) to a. */
static void mpx_conn_opened(mpx_conn *c, const mperf_easy *e, const mpx_addr *a, mperf_socket_t fd)
{
    c->fd = fd;
#if MPX_TPORT
    c->tp = MPX_TP_OF(e->multi);
#endif
#if MPX_ROUTING
    c->close_cb = e->o.closesocket_cb; /* the callback that closes it is the one of when it was made */
    c->close_data = e->o.closesocket_data;
#endif
    c->addr = *a;
    c->port = e->x.to_port;
}

/* Tries the resolved addresses of the first one's family from addr_idx on,
   one connect at a time (the other family races them: mpx_xfer_race). */
static int mpx_xfer_try_addrs(mperf_multi *m, mperf_easy *e)
{
    mpx_conn *c = e->x.conn;
    char ip[46];
    while (e->x.addr_idx < e->x.naddr) {
        const mpx_addr *a = &e->x.addrs[e->x.addr_idx];
        int err = 0, how, inprogress = 0;
        mperf_socket_t fd;
        if (MPX_ROUTING && a->family != e->x.fam0) { /* the racer's */
            e->x.addr_idx++;
            continue;
        }
        if (MPX_TALKS(e)) mpx_addr_to_text(a, ip, sizeof ip);
        MPX_INFO(e, "  Trying %s%s%s:%u...", a->family == 6 ? "[" : "", a->family == 1 ? e->o.unix_path : ip,
                  a->family == 6 ? "]" : "", (unsigned)e->x.to_port);
        fd = mpx_io_connect(m, &e->o, a, e->x.to_port, &err, &how, &inprogress);
        if (fd == MPERF_SOCKET_BAD) {
            e->x.os_errno = err;
            if (how == MPX_SOCK_ABORTED) {
                MPX_FAIL(m, e, MPERF_E_ABORTED_BY_CALLBACK, "The socket option callback failed the connection");
                return 0;
            }
            if (how == MPX_SOCK_NO_LOCAL) {
                MPX_FAIL(m, e, MPERF_E_INTERFACE_FAILED, "Could not bind to '%s': no such interface or address",
                         e->o.iface);
                return 0;
            }
            if (how == MPX_SOCK_BIND) {
                MPX_FAIL(m, e, MPERF_E_INTERFACE_FAILED, "Could not bind the local end (interface %s, port %ld): %s",
                         e->o.iface ? e->o.iface : "any", e->o.localport, mpx_sock_strerror(err));
                return 0;
            }
            MPX_INFO(e, "connect to %s port %u failed: %s", a->family == 1 ? e->o.unix_path : ip,
                      (unsigned)e->x.to_port,
                      how == MPX_SOCK_REFUSED_BY_OPEN ? "the open socket callback gave no socket" : mpx_sock_strerror(err));
            e->x.addr_idx++;
            continue;
        }
        mpx_conn_opened(c, e, a, fd);
        if (!mpx_pfd_add(m, c, POLLOUT)) {
            MPX_FAIL(m, e, MPERF_E_OUT_OF_MEMORY, "Out of memory");
            return 0;
        }
        if (!inprogress) return mpx_xfer_connected(m, e, POLLOUT);
        (void)mpx_xfer_set(m, e, MPX_S_CONNECTING);
        return 0;
    }
#if MPX_ROUTING
    if (e->x.racer || (!e->x.raced && e->x.deadline_race)) { /* this family is out: the other goes on, or now */
        if (e->state != MPX_S_CONNECTING) (void)mpx_xfer_set(m, e, MPX_S_CONNECTING);
        if (!e->x.racer && e->state == MPX_S_CONNECTING) mpx_xfer_race(m, e);
        return 0;
    }
#endif
    MPX_FAIL(m, e, MPERF_E_COULDNT_CONNECT, "Failed to connect to %.*s port %u after %ld ms: %s",
                    (int)e->x.to_hostlen, e->x.to_host, (unsigned)e->x.to_port, (long)((m->now - e->x.t_start) / 1000),
                    e->x.os_errno ? mpx_sock_strerror((int)e->x.os_errno) : "no address");
    return 0;
}

/* The connection (or the tunnel through a proxy) is up: TLS for https, else
   the request. */
static int mpx_xfer_secure(mperf_multi *m, mperf_easy *e)
{
#if MPX_TLS
    if (e->x.u.https) {
        const char *why = NULL;
        mperf_code rc = mpx_tls_start(m, e->x.conn, e, &why);
        if (rc != MPERF_E_OK) {
            MPX_FAIL(m, e, rc, "%s", why);
            return 0;
        }
        return mpx_xfer_set(m, e, MPX_S_TLS);
    }
#endif
    e->x.t_appconnect = 0;
    return mpx_xfer_set(m, e, MPX_S_SEND);
}

/* The connecting socket turned writable: connected, or on to the next
   address. Writable without an error flag is a connection: no system call
   to ask. */
MPX_NOINLINE static int mpx_xfer_connected(mperf_multi *m, mperf_easy *e, int revents)
{
    mpx_conn *c = e->x.conn;
    int err = (revents & (POLLERR | POLLHUP)) ? mpx_io_connect_result(c) : 0;
    if (err) {
        char ip[46];
        if (MPX_TALKS(e)) mpx_addr_to_text(&c->addr, ip, sizeof ip);
        e->x.os_errno = err;
        MPX_INFO(e, "connect to %s port %u failed: %s", ip, (unsigned)e->x.to_port, mpx_sock_strerror(err));
        mpx_pfd_del(m, c);
        mpx_conn_sock_close(c);
        e->x.addr_idx++;
        return mpx_xfer_try_addrs(m, e);
    }
    c->state = MPX_C_ACTIVE;
    e->x.num_connects++; /* connections made, as libcurl counts: not attempts */
    e->x.t_connect = m->now - e->x.t_start;
    e->x.primary = c->addr;
    e->x.primary_port = c->port;
    if (MPX_TALKS(e)) mpx_addr_to_text(&c->addr, e->x.primary_ip, sizeof e->x.primary_ip);
#if MPX_UNIX
    if (c->addr.family == 1) mpx_unix_peer_text(c->fd, e->x.primary_ip, sizeof e->x.primary_ip);
#endif
    MPX_INFO(e, "Connected to %.*s (%s) port %u (#%lu)", (int)e->x.u.hostlen, e->x.u.host, e->x.primary_ip,
              (unsigned)c->port, c->id);
#if MPX_PROXY
    if (e->x.proxy == MPX_PX_TUNNEL) { /* first a tunnel through the proxy */
        e->x.px_sent = 0;
        return mpx_xfer_set(m, e, MPX_S_TUNNEL);
    }
#endif
    return mpx_xfer_secure(m, e);
}

#if MPX_ROUTING
/* ---- happy eyeballs: the other address family races the first (with the
   routing options: MPERF_NO_ROUTING tries every address in turn) ---- */
/* The racer won: it becomes the transfer's connection, the first family's
   attempt closes, and the transfer goes on as connected. */
static void mpx_race_won(mperf_multi *m, mperf_easy *e)
{
    mpx_conn *first = e->x.conn;
    e->x.conn = e->x.racer;
    e->x.racer = NULL;
    mpx_conn_close(m, first); /* (no longer e's: it leaves e->x.conn alone) */
    MPX_INFO(e, "The other address family connected first");
    if (mpx_xfer_connected(m, e, POLLOUT)) mpx_dirty_add(m, e);
}

/* Starts, or goes on with, the racer: the addresses of the other family
   from race_idx on, one at a time. With none left it gives up, and the
   transfer fails if the first family is out too. */
static void mpx_xfer_race(mperf_multi *m, mperf_easy *e)
{
    mpx_conn *r = e->x.racer;
    e->x.deadline_race = 0;
    if (!r) {
        if (e->x.raced || !e->x.conn || !(r = mpx_conn_new(m, e->x.conn->host))) return; /* no room: no race */
        e->x.raced = 1;
        r->owner = e;
        e->x.racer = r;
        MPX_INFO(e, "Trying the other address family too");
    }
    for (; e->x.race_idx < e->x.naddr; e->x.race_idx++) {
        const mpx_addr *a = &e->x.addrs[e->x.race_idx];
        int err = 0, how, inprogress = 0;
        if (a->family == e->x.fam0) continue;
        if (MPX_TALKS(e)) {
            char ip[46];
            mpx_addr_to_text(a, ip, sizeof ip);
            MPX_INFO(e, "  Trying %s%s%s:%u...", a->family == 6 ? "[" : "", ip, a->family == 6 ? "]" : "",
                     (unsigned)e->x.to_port);
        }
        mpx_conn_opened(r, e, a, mpx_io_connect(m, &e->o, a, e->x.to_port, &err, &how, &inprogress));
        if (r->fd == MPERF_SOCKET_BAD) continue;
        if (!inprogress) {
            mpx_race_won(m, e);
            return;
        }
        if (mpx_pfd_add(m, r, POLLOUT)) return;
        mpx_conn_sock_close(r);
    }
    e->x.racer = NULL; /* this family is out */
    mpx_conn_close(m, r);
    if (e->x.conn && e->x.conn->fd == MPERF_SOCKET_BAD) /* and so is the first one */
        MPX_FAIL(m, e, MPERF_E_COULDNT_CONNECT, "Failed to connect to %.*s port %u after %ld ms: %s",
                 (int)e->x.to_hostlen, e->x.to_host, (unsigned)e->x.to_port, (long)((m->now - e->x.t_start) / 1000),
                 e->x.os_errno ? mpx_sock_strerror((int)e->x.os_errno) : "no address");
}

/* The racer's socket is ready: connected, or on to its next address. */
static void mpx_race_ready(mperf_multi *m, mperf_easy *e, int revents)
{
    mpx_conn *r = e->x.racer;
    int err = (revents & (POLLERR | POLLHUP)) ? mpx_io_connect_result(r) : 0;
    if (!err) {
        mpx_race_won(m, e);
        return;
    }
    e->x.os_errno = err;
    mpx_pfd_del(m, r);
    mpx_conn_sock_close(r);
    e->x.race_idx++;
    mpx_xfer_race(m, e);
}
#endif

#if MPX_TLS
/* Drives the TLS handshake; 1 when done. */
static int mpx_xfer_handshake(mperf_multi *m, mperf_easy *e)
{
    mpx_conn *c = e->x.conn;
    char msg[MPERF_ERROR_SIZE];
    int r;
    if (m->call_handshakes >= MPERF_HANDSHAKES_PER_CALL) /* enough for one call: the socket stays ready */
        return 0;                                         /* for the next (the engine waits on it) */
    m->call_handshakes++;
    r = mpx_tls_handshake(c);
    if (r < 0) {
        mperf_code rc = mpx_tls_error(c, msg, sizeof msg, &e->x.verify_result);
        MPX_FAIL(m, e, rc, "%s", msg);
        return 0;
    }
    if (r == 0) {
        mpx_xfer_interest(m, e);
        return 0;
    }
    if (MPX_TALKS(e)) {
        unsigned suite;
        const char *alpn;
        int resumed;
        mpx_tls_info(c, &suite, &alpn, &resumed);
        MPX_INFO(e, "TLS 1.2 connection, cipher suite 0x%04x, ALPN %s, session %s", suite, alpn ? alpn : "none",
                  resumed ? "resumed" : "new");
    }
    if (e->o.ssl_sessionid_cache) mpx_tls_keep_session(m, c);
    e->x.t_appconnect = m->now - e->x.t_start;
    return mpx_xfer_set(m, e, MPX_S_SEND);
}
#endif

/* Where the hop connects has no address: the host's name, or the proxy's. */
static void mpx_xfer_unresolved(mperf_multi *m, mperf_easy *e)
{
#if MPX_PROXY
    if (e->x.proxy) {
        MPX_FAIL(m, e, MPERF_E_COULDNT_RESOLVE_PROXY, "Could not resolve proxy: %.*s", (int)e->x.to_hostlen,
                 e->x.to_host);
        return;
    }
#endif
    MPX_FAIL(m, e, MPERF_E_COULDNT_RESOLVE_HOST, "Could not resolve host: %.*s", (int)e->x.to_hostlen, e->x.to_host);
}

/* Finds an idle connection or opens a new one, within the limits. */
static int mpx_xfer_connect(mperf_multi *m, mperf_easy *e)
{
    mpx_host *h = mpx_host_get(m, e);
    mpx_conn *c;
    if (!h) {
        MPX_FAIL(m, e, MPERF_E_OUT_OF_MEMORY, "Out of memory");
        return 0;
    }
    while (!e->o.fresh_connect && !e->x.fresh && !(MPX_RAW && e->o.connect_only) && (c = mpx_newest_idle(h)) != NULL) {
        mpx_idle_unlink(c);
        if (m->now - c->idle_since > (int64_t)MPERF_MAXAGE_CONN_S * 1000000) {
            mpx_conn_close(m, c);
            h = mpx_host_get(m, e);
            if (!h) {
                MPX_FAIL(m, e, MPERF_E_OUT_OF_MEMORY, "Out of memory");
                return 0;
            }
            continue;
        }
        c->state = MPX_C_ACTIVE;
        c->owner = e;
        e->x.conn = c;
        e->x.t_lookup = e->x.t_connect = m->now - e->x.t_start;
        e->x.primary = c->addr;
        e->x.primary_port = c->port;
#if MPX_UNIX
        if (c->addr.family == 1) mpx_unix_peer_text(c->fd, e->x.primary_ip, sizeof e->x.primary_ip);
#endif
        MPX_INFO(e, "Re-using existing connection #%lu with host %s", c->id, h->host);
        return mpx_xfer_set(m, e, MPX_S_SEND);
    }
    if (m->call_connects >= MPERF_CONNECTS_PER_CALL) { /* enough new connections for one call: the next goes on */
        m->kick_pending = 1;
        if (e->state != MPX_S_PENDING) (void)mpx_xfer_set(m, e, MPX_S_PENDING);
        return 0;
    }
    /* At a limit, an idle connection (the host's own only when a fresh one
       was asked for) is closed to make room; without one the transfer waits. */
    if (m->max_host_conns > 0 && h->nconn >= (unsigned long)m->max_host_conns) {
        if (!(c = mpx_newest_idle(h))) goto wait;
        mpx_conn_close(m, c);
    }
    if (m->max_total_conns > 0 && m->num_conns >= (unsigned long)m->max_total_conns) {
        if (!(c = mpx_oldest_idle(m))) goto wait;
        mpx_conn_close(m, c);
    }
    h = mpx_host_get(m, e); /* a close may have freed it */
    if (!h) {
        MPX_FAIL(m, e, MPERF_E_OUT_OF_MEMORY, "Out of memory");
        return 0;
    }
    if (!e->x.naddr) {
        int r = mpx_xfer_resolve(m, e);
        if (r != 1) {
            mpx_host_release(m, h);
            if (r == 2) { /* the query wakes it */
                (void)mpx_xfer_set(m, e, MPX_S_RESOLVING);
                return 0;
            }
            if (r < 0) MPX_FAIL(m, e, MPERF_E_OUT_OF_MEMORY, "Out of memory");
            else mpx_xfer_unresolved(m, e);
            return 0;
        }
        e->x.t_lookup = m->now - e->x.t_start;
    }
    c = mpx_conn_new(m, h);
    if (!c) {
        mpx_host_release(m, h);
        MPX_FAIL(m, e, MPERF_E_OUT_OF_MEMORY, "Out of memory");
        return 0;
    }
    c->owner = e;
    e->x.conn = c;
    e->x.addr_idx = 0;
    m->call_connects++;
#if MPX_ROUTING
    { /* two address families: the second starts after HAPPY_EYEBALLS_TIMEOUT_MS (RFC 8305) */
        unsigned i;
        e->x.fam0 = e->x.addrs[0].family;
        e->x.raced = 0;
        e->x.race_idx = 0;
        e->x.deadline_race = 0;
        for (i = 1; i < e->x.naddr; i++)
            if (e->x.addrs[i].family != e->x.fam0) /* (never 0, which is unset) */
                e->x.deadline_race = MPX_MAX(m->now + (int64_t)e->o.he_timeout_ms * 1000, 1);
    }
#endif
    return mpx_xfer_try_addrs(m, e);
wait:
    if (e->state != MPX_S_PENDING) {
        MPX_INFO(e, "No connection available: waiting for a connection limit");
        (void)mpx_xfer_set(m, e, MPX_S_PENDING);
    }
    return 0;
}

#if MPX_STUB
/* -------------------------------------------------------------------- */
/* >>lookup: the stub resolver's queries, on sockets of their own       */
/* -------------------------------------------------------------------- */
/* A query (mpx_dnsq) asks its A and AAAA questions for one name candidate
   at a time (the name with each search domain, as resolv.conf's ndots
   says), one server at a time: UDP from a port the kernel picks at random,
   a random ID per question, TCP when an answer comes truncated. No answer
   in timeout: the next server, attempts times round. Its socket is in the
   wait set like a connection's; its timer is its waiters' (deadline_dns).
   It ends by handing its addresses (AAAA first, for happy eyeballs) to the
   transfers waiting, which go on in the same step, and caching them. */
#define MPX_DNS_TCP_MAX 16384 /* a longer answer over TCP is refused */

static void mpx_dnsq_close(mperf_multi *m, mpx_dnsq *q)
{
    if (q->s.fd == MPERF_SOCKET_BAD) return;
    mpx_pfd_del(m, &q->s);
    mpx_conn_sock_close(&q->s);
    q->tgot = 0;
}

/* Takes q out of the multi's queries; it is freed at the end of the step
   (a list of ready sockets may still name it). */
static void mpx_dnsq_drop(mperf_multi *m, mpx_dnsq *q)
{
    mpx_dnsq **pp;
    if (q->hook_token && q->pending && m->resolver_cancel) { /* unanswered: the program's lookup is not wanted */
        q->pending = 0;
        m->in_callback++;
        m->resolver_cancel(m->resolver_data, (void *)q->hook_token);
        m->in_callback--;
    }
    mpx_dnsq_close(m, q);
    for (pp = &m->dnsq; *pp && *pp != q; pp = &(*pp)->next) {}
    if (*pp) *pp = q->next;
    q->s.state = MPX_C_DEAD;
    q->next = m->dnsq_dead;
    m->dnsq_dead = q;
}

static void mpx_dnsq_free_dead(mperf_multi *m)
{
    while (m->dnsq_dead) {
        mpx_dnsq *q = m->dnsq_dead;
        m->dnsq_dead = q->next;
        mpx_free(&m->al, q->tin);
        mpx_free(&m->al, q);
    }
}

/* Both questions answered that the name has no address (NXDOMAIN or no data). */
static int mpx_dnsq_negative(const mpx_dnsq *q)
{
    return (q->verdict[0] == MPX_DNS_NXDOMAIN || q->verdict[0] == MPX_DNS_NODATA) &&
           (q->verdict[1] == MPX_DNS_NXDOMAIN || q->verdict[1] == MPX_DNS_NODATA);
}

#if MPX_DNSWIRE
/* The waiters' timers follow the query's. */
static void mpx_dnsq_rearm(mperf_multi *m, mpx_dnsq *q)
{
    mpx_link *l, *next;
    for (l = q->waiters.next; l != &q->waiters; l = next) {
        mperf_easy *e = MPX_OF(l, mperf_easy, x.dnswait);
        next = l->next;
        e->x.deadline_dns = q->next_at;
        if (!mpx_xfer_arm(m, e)) MPX_FAIL(m, e, MPERF_E_OUT_OF_MEMORY, "Out of memory");
    }
}

/* The cand-th name to ask (0: none left) into out: the name as it is
   first when it has ndots dots or more, after the search domains when it
   has fewer; only itself when it ends with a dot. */
static size_t mpx_dnsq_candidate(const mpx_resconf *rc, const char *name, unsigned cand, char *out)
{
    size_t n = strlen(name), dots = 0, i, l;
    unsigned first, s;
    if (n && name[n - 1] == '.') {
        if (cand) return 0;
        memcpy(out, name, n + 1);
        return n;
    }
    for (i = 0; i < n; i++) dots += name[i] == '.';
    first = dots >= rc->ndots;
    if (cand > rc->nsearch) return 0;
    if ((first && cand == 0) || (!first && cand == rc->nsearch)) {
        memcpy(out, name, n + 1);
        return n;
    }
    s = first ? cand - 1 : cand;
    l = strlen(rc->search[s]);
    if (n + 1 + l > 253) return 0;
    memcpy(out, name, n);
    out[n] = '.';
    memcpy(out + n + 1, rc->search[s], l + 1);
    return n + 1 + l;
}

/* The questions for the next name candidate, with fresh IDs; 0 when no
   candidate is left. */
static int mpx_dnsq_questions(mperf_multi *m, mpx_dnsq *q)
{
    char name[256];
    unsigned char r[4];
    size_t n;
    int t;
    if (!m->resconf) return 0; /* MPERF_MOPT_RESOLV_CONF changed under way */
    while ((n = mpx_dnsq_candidate(m->resconf, q->name, q->cand, name)) != 0 || q->cand <= m->resconf->nsearch) {
        q->cand++;
        if (!n) continue;
        if (!mpx_random(m, r, sizeof r)) { /* no entropy: less guessable than nothing */
            uint64_t x = (uint64_t)mpx_now_us() ^ (uint64_t)(uintptr_t)q;
            x *= UINT64_C(0x9e3779b97f4a7c15);
            memcpy(r, &x, sizeof r);
        }
        for (t = 0; t < 2; t++)
            q->qlen[t] = mpx_dns_query(q->q[t], (uint16_t)(r[2 * t] << 8 | r[2 * t + 1]), name, n,
                                       t ? MPX_DNS_AAAA : MPX_DNS_A);
        if (!q->qlen[0]) continue; /* no DNS name (a label too long): the next */
        q->pending = 3;
        q->verdict[0] = q->verdict[1] = MPX_DNS_BAD;
        memset(q->ans, 0, sizeof q->ans);
        q->tries = 0;
        if (q->tcp) mpx_dnsq_close(m, q); /* the next name starts over UDP */
        q->tcp = 0;
        return 1;
    }
    return 0;
}

/* Opens a socket to the current server (over UDP, the one open already
   when it is to the same server: a late answer to the last try still
   counts) and, over UDP, sends the questions still unanswered (over TCP
   they go once it connects). 0 on failure, -1 out of memory. */
static int mpx_dnsq_send(mperf_multi *m, mpx_dnsq *q)
{
    const mpx_ns *ns = &q->ns[q->ns_at % q->nns];
    struct sockaddr_storage ss;
    socklen_t sl = mpx_addr_to_sockaddr(&ns->a, ns->port, &ss);
    int type = q->tcp ? SOCK_STREAM : SOCK_DGRAM, err = 0, t;
    if (!q->tcp && q->s.fd != MPERF_SOCKET_BAD && q->nns == 1) goto send;
    mpx_dnsq_close(m, q);
    q->tcp = q->tcp ? 1 : 0;
#if MPX_TPORT
    if ((q->s.tp = MPX_TP_OF(m)) != NULL) { /* the program's transport */
        const mperf_transport *tpt = m->tport.t;
        int r;
        (void)ss, (void)sl, (void)type;
        q->s.fd = tpt->open(m->tport.data, ns->a.family, q->tcp ? MPERF_TP_STREAM : MPERF_TP_DGRAM, 0, &err);
        if (q->s.fd == MPERF_SOCKET_BAD) return 0;
        if (!mpx_pfd_add(m, &q->s, q->tcp ? POLLOUT : POLLIN)) {
            mpx_conn_sock_close(&q->s);
            return -1;
        }
        r = tpt->connect(m->tport.data, q->s.fd, ns->a.family, ns->a.ip, ns->port, &err);
        if (r < 0 || (r > 0 && !q->tcp)) {
            mpx_dnsq_close(m, q);
            return 0;
        }
        goto send;
    }
#endif
#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
    q->s.fd = socket(ns->a.family == 6 ? AF_INET6 : AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
#else
    q->s.fd = socket(ns->a.family == 6 ? AF_INET6 : AF_INET, type, 0);
    if (q->s.fd != MPERF_SOCKET_BAD && !mpx_sock_nonblock(q->s.fd, &err)) {
        MPX_SOCK_CLOSE(q->s.fd);
        q->s.fd = MPERF_SOCKET_BAD;
    }
#endif
    if (q->s.fd == MPERF_SOCKET_BAD) return 0;
    if (!mpx_pfd_add(m, &q->s, q->tcp ? POLLOUT : POLLIN)) {
        MPX_SOCK_CLOSE(q->s.fd);
        q->s.fd = MPERF_SOCKET_BAD;
        return -1;
    }
    if ((connect(q->s.fd, (struct sockaddr *)&ss, sl) != 0 &&
         !(q->tcp && (MPX_INPROGRESS(err = MPX_SOCK_ERRNO()) || MPX_WOULDBLOCK(err))))) {
        mpx_dnsq_close(m, q);
        return 0;
    }
send:
    for (t = 0; t < 2 && !q->tcp; t++)
        if ((q->pending & (1 << t)) && mpx_io_send(&q->s, (const char *)q->q[t], q->qlen[t], &err) != (long)q->qlen[t]) {
            mpx_dnsq_close(m, q);
            return 0;
        }
    return 1;
}

static void mpx_dnsq_finish(mperf_multi *m, mpx_dnsq *q);

/* The next try (next: on the next server; else the same one, over TCP now),
   until attempts times every server; then the query ends with what it has. */
static void mpx_dnsq_retry(mperf_multi *m, mpx_dnsq *q, int next)
{
    int r;
    for (;;) {
        if (next) {
            q->ns_at++;
            q->tries++;
        }
        if (q->tries >= q->max_tries) {
            mpx_dnsq_finish(m, q);
            return;
        }
        q->next_at = m->now + (int64_t)q->timeout_ms * 1000;
        if ((r = mpx_dnsq_send(m, q)) > 0) break;
        if (r < 0) {
            q->oom = 1;
            mpx_dnsq_finish(m, q);
            return;
        }
        next = 1; /* no socket, or the server unreachable at once */
    }
    mpx_dnsq_rearm(m, q);
}

/* Both questions of a candidate answered: addresses end the query; a name
   that does not exist moves on to the next candidate. */
static void mpx_dnsq_settle(mperf_multi *m, mpx_dnsq *q)
{
    int negative = mpx_dnsq_negative(q);
    if (!q->ans[0].naddr && !q->ans[1].naddr && negative && mpx_dnsq_questions(m, q)) {
        mpx_dnsq_retry(m, q, 0);
        return;
    }
    mpx_dnsq_finish(m, q);
}

/* One message from the server, for whichever question it answers. Returns
   0 when that ended this try (or the query). */
static int mpx_dnsq_answer(mperf_multi *m, mpx_dnsq *q, const unsigned char *p, size_t n)
{
    int t, v = MPX_DNS_BAD;
    for (t = 0; t < 2; t++)
        if ((q->pending & (1 << t)) && (v = mpx_dns_parse(p, n, q->q[t], q->qlen[t], &q->ans[t])) != MPX_DNS_BAD) break;
    if (t == 2) return 1; /* not an answer to a question of ours, or malformed: ignored */
    if (v == MPX_DNS_TRUNC && !q->tcp) {
        q->tcp = 1;
        mpx_dnsq_retry(m, q, 0);
        return 0;
    }
    if (v == MPX_DNS_FAIL || v == MPX_DNS_TRUNC) {
        memset(&q->ans[t], 0, sizeof q->ans[t]);
        mpx_dnsq_retry(m, q, 1);
        return 0;
    }
    q->verdict[t] = v;
    q->pending &= (uint8_t)~(1 << t);
    if (q->pending) return 1;
    mpx_dnsq_settle(m, q);
    return 0;
}

/* Over TCP: the connect's outcome, then the questions out, then answers
   in, each after its two-byte length. Returns 0 when the try ended. */
static int mpx_dnsq_tcp(mperf_multi *m, mpx_dnsq *q, int revents)
{
    int err = 0, t;
    long r;
    if (q->tcp == 1) {
        unsigned char out[2 * (2 + sizeof q->q[0])];
        size_t o = 0;
        if (!(revents & (POLLOUT | POLLERR | POLLHUP))) return 1;
        if ((revents & (POLLERR | POLLHUP)) && mpx_io_connect_result(&q->s)) return 0;
        for (t = 0; t < 2; t++)
            if (q->pending & (1 << t)) {
                out[o++] = (unsigned char)(q->qlen[t] >> 8);
                out[o++] = (unsigned char)q->qlen[t];
                memcpy(out + o, q->q[t], q->qlen[t]);
                o += q->qlen[t];
            }
        if (mpx_io_send(&q->s, (const char *)out, o, &err) != (long)o) return 0; /* a fresh socket takes it all */
        q->tcp = 2;
        mpx_pfd_set(m, &q->s, POLLIN);
        return 1;
    }
    if (!q->tin && !(q->tin = (unsigned char *)mpx_alloc(&m->al, 2 + MPX_DNS_TCP_MAX))) {
        q->oom = 1;
        mpx_dnsq_finish(m, q);
        return 2;
    }
    for (;;) {
        size_t need;
        r = mpx_io_recv(&q->s, (char *)q->tin + q->tgot, 2 + MPX_DNS_TCP_MAX - q->tgot, &err);
        if (r == -1) return 1;
        if (r <= 0) return 0; /* closed or failed before the answers were in */
        q->tgot += (size_t)r;
        while (q->tgot >= 2) {
            need = (size_t)mpx_get16(q->tin);
            if (need < 12 || need > MPX_DNS_TCP_MAX) return 0; /* a huge answer is refused */
            if (q->tgot < 2 + need) break;
            if (!mpx_dnsq_answer(m, q, q->tin + 2, need)) return 2;
            q->tgot -= 2 + need;
            memmove(q->tin, q->tin + 2 + need, q->tgot);
        }
    }
}

/* The query's socket is ready. */
static void mpx_dnsq_ready(mperf_multi *m, mpx_dnsq *q, int revents)
{
    unsigned char buf[1233]; /* over 1232 bytes (EDNS's common size) is no answer to us */
    int k;
    if (q->tcp) {
        if (!mpx_dnsq_tcp(m, q, revents)) mpx_dnsq_retry(m, q, 1);
        return;
    }
    for (k = 0; k < 16; k++) { /* a flood of junk does not hold the step */
        int err = 0;
        long n = mpx_io_recv(&q->s, (char *)buf, sizeof buf, &err);
        if (n == -1) return; /* nothing more now */
        if (n < 0) {
            mpx_dnsq_retry(m, q, 1); /* refused (ICMP): the next server */
            return;
        }
        if (n < (long)sizeof buf && !mpx_dnsq_answer(m, q, buf, (size_t)n)) return;
    }
}

/* Called by a waiter's timer: the try's time is up. */
static void mpx_dnsq_tick(mperf_multi *m, mpx_dnsq *q)
{
    if (m->now >= q->next_at) mpx_dnsq_retry(m, q, 1);
    else mpx_dnsq_rearm(m, q);
}

#endif

/* The end: the addresses (AAAA first) to every waiter, into the cache for
   their TTL (at most DNS_CACHE_TIMEOUT); a name that does not exist is
   cached for its SOA's negative TTL. The waiters go on in this step. */
static void mpx_dnsq_finish(mperf_multi *m, mpx_dnsq *q)
{
    mpx_addr a[MPERF_MAX_ADDRS];
    unsigned n = 0, i;
    int t, negative = mpx_dnsq_negative(q);
    uint32_t ttl = 0xffffffffu;
    mpx_link *l;
    for (t = 1; t >= 0; t--) {
        for (i = 0; i < q->ans[t].naddr && n < MPERF_MAX_ADDRS; i++) a[n++] = q->ans[t].addr[i];
        if ((q->ans[t].naddr || negative) && q->ans[t].ttl < ttl) ttl = q->ans[t].ttl;
    }
    for (l = q->waiters.next; l != &q->waiters; l = l->next) /* shuffled once, cached so */
        if (MPX_OF(l, mperf_easy, x.dnswait)->o.dns_shuffle) {
            mpx_addrs_shuffle(m, a, n);
            break;
        }
    while (!mpx_list_empty(&q->waiters)) {
        mperf_easy *e = MPX_OF(q->waiters.next, mperf_easy, x.dnswait);
        long cap = e->o.dns_cache_timeout;
        mpx_list_del(&e->x.dnswait);
        e->x.dnsq = NULL;
        e->x.deadline_dns = 0;
        e->x.dns_oom = q->oom;
        e->x.naddr = n;
        memcpy(e->x.addrs, a, n * sizeof a[0]);
        if ((n || negative) && cap != 0 && ttl != 0 && ttl != 0xffffffffu) {
            int64_t life = cap > 0 && (uint32_t)cap < ttl ? (int64_t)cap : (int64_t)ttl;
            (void)mpx_dns_put(m, q->name, strlen(q->name), e->x.to_port, a, n, m->now + life * 1000000);
        }
        mpx_dirty_add(m, e);
    }
    mpx_dnsq_drop(m, q);
}

/* Puts e on the query for name (n bytes): one under way for the same name
   and servers, or a new one. Returns 1 waiting, 0 when the name cannot be
   asked for, -1 out of memory. */
static int mpx_dnsq_join(mperf_multi *m, mperf_easy *e, const char *name, size_t n)
{
    const char *sv = m->resolver_start ? NULL : e->o.dns_servers; /* (the program's resolver asks no server of ours) */
    mpx_dnsq *q;
    size_t svl = sv ? strlen(sv) + 1 : 0;
    for (q = m->dnsq; q; q = q->next)
        if (strlen(q->name) == n && mpx_ncaseeq(q->name, name, n) &&
            (sv ? q->servers && strcmp(q->servers, sv) == 0 : !q->servers))
            break;
    if (!q) {
#if MPX_DNSWIRE
        if (!m->resolver_start && !m->resconf &&
            !(m->resconf = mpx_resconf_load(&m->al, m->resolv_path ? m->resolv_path : MPX_RESOLV_CONF)))
            return -1;
#else
        if (!m->resolver_start) return 0; /* no DNS built in: a resolver of the program's or nothing */
#endif
        if (!(q = (mpx_dnsq *)mpx_calloc(&m->al, sizeof *q + svl))) return -1;
        q->s.fd = MPERF_SOCKET_BAD;
        q->s.pfd = -1;
        q->s.state = MPX_C_DNS;
        mpx_list_init(&q->waiters);
        memcpy(q->name, name, n);
#if MPX_DNSWIRE
        if (sv) {
            q->servers = (const char *)memcpy(q + 1, sv, svl);
            q->nns = mpx_ns_list(sv, q->ns);
        } else if (m->resconf) {
            q->nns = m->resconf->nns;
            memcpy(q->ns, m->resconf->ns, sizeof q->ns);
            if (m->resconf->rotate) q->ns_at = m->dns_rotate++;
        }
        if (m->resconf) {
            q->timeout_ms = m->resconf->timeout_ms;
            q->max_tries = m->resconf->attempts * (q->nns ? q->nns : 1);
        }
        if (!m->resolver_start && (!q->nns || !mpx_dnsq_questions(m, q))) {
            mpx_free(&m->al, q);
            return 0;
        }
#endif
        q->next = m->dnsq;
        m->dnsq = q;
        mpx_list_add(&q->waiters, &e->x.dnswait);
        e->x.dnsq = q;
        if (m->resolver_start) { /* the program's resolver: its answer comes by mperf_multi_resolved */
            int r;
            q->hook_token = ++m->resolver_tokens;
            q->pending = 3;
            m->in_callback++;
            r = m->resolver_start(m->resolver_data, q->name, (void *)q->hook_token);
            m->in_callback--;
            if (r != 0) {
                q->pending = 0;
                mpx_dnsq_finish(m, q);
            }
            return 1;
        }
#if MPX_DNSWIRE
        mpx_dnsq_retry(m, q, 0); /* may end at once: e is then woken */
#endif
        return 1;
    }
    mpx_list_add(&q->waiters, &e->x.dnswait);
    e->x.dnsq = q;
    e->x.deadline_dns = q->next_at;
    return 1;
}

/* The program's resolver answers (mperf_multi_resolved): the addresses,
   IPv6 first as DNS answers are, to the waiters; none: the name does not
   exist. 0 when the token is not one of a query under way. */
static int mpx_dnsq_resolved(mperf_multi *m, uintptr_t token, const mperf_resolved_addr *a, unsigned n, long ttl)
{
    mpx_dnsq *q;
    unsigned i;
    int t;
    for (q = m->dnsq; q && q->hook_token != token; q = q->next) {}
    if (!q || !token || !q->pending) return 0;
    memset(q->ans, 0, sizeof q->ans);
    for (i = 0; i < n; i++) {
        mpx_dns_ans *d = &q->ans[a[i].family == 6];
        if ((a[i].family != 4 && a[i].family != 6) || d->naddr == MPERF_MAX_ADDRS) continue;
        d->addr[d->naddr].family = (uint8_t)a[i].family;
        memcpy(d->addr[d->naddr].ip, a[i].addr, a[i].family == 6 ? 16 : 4);
        d->naddr++;
    }
    for (t = 0; t < 2; t++) {
        q->ans[t].ttl = ttl > 0 ? (ttl > 0x7fffffffL ? 0x7fffffffu : (uint32_t)ttl) : 0;
        q->verdict[t] = q->ans[t].naddr ? MPX_DNS_OK : q->ans[!t].naddr ? MPX_DNS_NODATA : MPX_DNS_NXDOMAIN;
    }
    q->pending = 0;
    mpx_dnsq_finish(m, q);
    return 1;
}

/* A waiter leaves (removed, timed out, failed): the last one cancels the
   query at once. */
static void mpx_dnsq_leave(mperf_multi *m, mperf_easy *e)
{
    mpx_dnsq *q = e->x.dnsq;
    if (!q) return;
    mpx_list_del(&e->x.dnswait);
    e->x.dnsq = NULL;
    e->x.deadline_dns = 0;
    if (mpx_list_empty(&q->waiters)) mpx_dnsq_drop(m, q);
}
#endif

/* -------------------------------------------------------------------- */
/* >>tls: BearSSL: certificates, trust anchors, the stream filter       */
/* -------------------------------------------------------------------- */
#if MPX_TLS
#include <bearssl.h>
/* One buffer per TLS connection. Full duplex (the default) takes 33178 bytes
   and never stalls; MPERF_TLS_MONO halves it (16709 bytes) but cannot read
   while unsent data waits, so a server answering in the middle of a large
   upload is heard only once the upload drained. Smaller buffers would make
   BearSSL ask for small records (max_fragment_length), which many servers
   ignore: records that do not fit fail the connection. */
#ifdef MPERF_TLS_MONO
#define MPX_TLS_IOBUF BR_SSL_BUFSIZE_MONO
#define MPX_TLS_BIDI 0
#else
#define MPX_TLS_IOBUF BR_SSL_BUFSIZE_BIDI
#define MPX_TLS_BIDI 1
#endif
#endif

/* The HTTP layer talks to a connection through mpx_conn_send/recv (further
   down); for https they land here. The interface is small: start (engine
   and policy), handshake, read, write, want (poll interest), pending
   (decrypted bytes waiting), close. BearSSL types never leave this section,
   so another TLS library can replace it. */
#if MPX_TLS

/* Trust anchors from one PEM source, parsed once per multi and shared. */
typedef struct mpx_cas {
    struct mpx_cas *next;
    uint64_t key; /* FNV-1a of the path or of the PEM bytes */
    br_x509_trust_anchor *ta;
    size_t n;
    void **blocks; /* one allocation per anchor */
} mpx_cas;

typedef struct mpx_tls_session {
    uint64_t key; /* host, port and verification policy */
    int64_t used;
    br_ssl_session_parameters params;
} mpx_tls_session;

/* BearSSL's certificate decoder (0.6) reads past its state when it is fed
   bytes after the end of the certificate, and resumes after a failed check
   with the bad value when it is fed after failing (a malformed date reads
   its month table out of bounds). So it is only ever given the bytes of the
   one DER element (anything after it marks the certificate as bad), and
   nothing more once it has failed. The certificate of a server we do not
   verify goes through here too. */
typedef struct mpx_der_feed {
    br_x509_decoder_context dc;
    size_t seen, total; /* bytes given; the element's size once its header is in (0 before) */
    unsigned char hdr[6]; /* its first bytes, while total is 0 (seen of them) */
    int over; /* bytes beyond the element, or a length it cannot have */
} mpx_der_feed;

static void mpx_der_init(mpx_der_feed *f, void (*dn)(void *, const void *, size_t), void *dn_ctx)
{
    br_x509_decoder_init(&f->dc, dn, dn_ctx);
    f->seen = f->total = 0;
    f->over = 0;
}

static void mpx_der_push(mpx_der_feed *f, const unsigned char *p, size_t n)
{
    while (n && !f->total && !f->over && !f->dc.err) { /* the header, a byte at a time */
        f->hdr[f->seen++] = *p;
        br_x509_decoder_push(&f->dc, p, 1);
        p++;
        n--;
        if (f->seen >= 2) {
            unsigned b = f->hdr[1], k = b & 0x7f, i;
            if (!(b & 0x80)) {
                f->total = 2 + (size_t)b;
            } else if (k == 0 || k > 3) {
                f->over = 1; /* indefinite, or over 16 MB: not a certificate */
            } else if (f->seen == 2 + k) {
                size_t len = 0;
                for (i = 0; i < k; i++) len = len << 8 | f->hdr[2 + i];
                f->total = 2 + k + len;
            }
        }
    }
    if (f->total && !f->over && !f->dc.err) {
        size_t room = f->total - f->seen;
        if (n > room) {
            f->over = 1;
            n = room;
        }
        br_x509_decoder_push(&f->dc, p, n);
        f->seen += n;
    }
}

static int mpx_der_error(mpx_der_feed *f)
{
    if (f->over) return BR_ERR_X509_EXTRA_ELEMENT;
    return br_x509_decoder_last_error(&f->dc);
}

/* Chains verified on earlier connections, kept by the multi for a minute: the
   same certificates (byte for byte) for the same name under the same trust
   anchors (and the same minute of the program's clock, when it gives one)
   are not verified again: BearSSL's signature checks on P-256 cost more
   than the rest of a client's handshake. The handshake still proves that
   the server holds the key. */
#define MPX_VERIFIED 8
#define MPX_VERIFIED_US (60 * 1000000LL)
#define MPX_CHAIN_HELD (4 * (size_t)MPERF_MAX_CERT) /* a longer chain streams through the validator */
#define MPX_PKEY_MAX 528 /* an RSA key up to 4096 bits and its exponent, or an EC point */
typedef struct mpx_verified {
    unsigned char key[32]; /* SHA-256 of the chain, the trust anchors and the name */
    int64_t until;
    unsigned usages;
    br_x509_pkey pkey; /* pointing into data */
    unsigned char data[MPX_PKEY_MAX];
} mpx_verified;

/* The X.509 policy wrapped around BearSSL's minimal validator: it keeps the
   end-entity certificate so IP literals, names without a chain check and
   key pins can be checked against it, and holds the chain back from the
   validator until it ends, to look it up among the verified ones. */
typedef struct mpx_x509 {
    const br_x509_class *vtable; /* first: BearSSL calls through it */
    br_x509_minimal_context minimal;
    mperf_multi *m;
    uint64_t cas_key;        /* the trust anchors' */
    int64_t cert_minute;     /* the program's clock for the dates, in minutes (-1: the system's) */
    mpx_buf chain;           /* each certificate: its length (a uint32_t), its DER */
    br_sha256_context chash; /* of the same */
    uint8_t streaming, in_cert, hit;
    unsigned hit_usages;
    br_x509_pkey hit_pkey; /* a verified chain's key, pointing into hit_data */
    unsigned char hit_data[MPX_PKEY_MAX];
    mpx_der_feed decoder; /* no chain check: just the key */
    const br_x509_pkey *pkey; /* that key, once the chain ended */
    const mperf_allocator *al;
    mpx_buf ee; /* the end-entity certificate's DER */
    unsigned ncert;
    uint8_t verify_peer, verify_host, iplen, ee_failed, ee_big;
    uint8_t ip[16];
    const char *host; /* the name to match, NUL-terminated */
    const unsigned char *pins; /* SHA-256 SPKI hashes, 32 bytes each */
    size_t npins;
    int pin_failed;
} mpx_x509;

struct mpx_tls {
    br_ssl_client_context cc;
    mpx_x509 x;
    char host[256];
    const char *alpn[1]; /* the ALPN list is linked, not copied, by BearSSL */
    uint8_t eof, done, resumed_offer;
    int sock_err;         /* errno of a failed socket call */
    const char *bad_alpn; /* the server chose this protocol, not http/1.1 */
    uint64_t session_key;
    unsigned char iobuf[MPX_TLS_IOBUF];
};

/* ---- a small DER reader for the certificate fields BearSSL does not expose ---- */
static const unsigned char *mpx_der(const unsigned char *p, const unsigned char *end, unsigned *tag,
                                    const unsigned char **val, size_t *len)
{
    size_t l, n;
    if (end - p < 2) return NULL;
    *tag = p[0];
    l = p[1];
    p += 2;
    if (l & 0x80) {
        n = l & 0x7f;
        if (n == 0 || n > 4 || (size_t)(end - p) < n) return NULL;
        for (l = 0; n; n--) l = (l << 8) | *p++;
    }
    if ((size_t)(end - p) < l) return NULL;
    *val = p;
    *len = l;
    return p + l;
}

/* The SubjectPublicKeyInfo (whole TLV), subject and SAN extension value of
   a certificate; 0 if it does not parse. */
static int mpx_cert_parts(const unsigned char *der, size_t n, const unsigned char **spki, size_t *spkilen,
                          const unsigned char **subj, size_t *subjlen, const unsigned char **san, size_t *sanlen)
{
    const unsigned char *p, *v, *tbs, *tbsend, *start;
    size_t l;
    unsigned tag;
    int i;
    *san = NULL;
    *sanlen = 0;
    if (!mpx_der(der, der + n, &tag, &v, &l) || tag != 0x30) return 0;
    if (!mpx_der(v, v + l, &tag, &tbs, &l) || tag != 0x30) return 0;
    tbsend = tbs + l;
    p = tbs;
    for (i = 0; i < 6;) { /* serial, signature, issuer, validity, subject, spki, after an optional [0] version */
        start = p;
        p = mpx_der(p, tbsend, &tag, &v, &l);
        if (!p) return 0;
        if (start == tbs && tag == 0xa0) continue;
        if (i == 4) {
            *subj = v;
            *subjlen = l;
        } else if (i == 5) {
            *spki = start;
            *spkilen = (size_t)(p - start);
        }
        i++;
    }
    while (p < tbsend) { /* issuerUID, subjectUID, [3] extensions */
        p = mpx_der(p, tbsend, &tag, &v, &l);
        if (!p) return 0;
        if (tag == 0xa3) {
            const unsigned char *e, *eend, *x;
            size_t el;
            if (!mpx_der(v, v + l, &tag, &e, &el) || tag != 0x30) return 0;
            eend = e + el;
            while (e < eend) {
                const unsigned char *f, *oid, *val = NULL;
                size_t fl, oidl, vall = 0;
                e = mpx_der(e, eend, &tag, &x, &fl);
                if (!e || tag != 0x30) return 0;
                f = x;
                f = mpx_der(f, x + fl, &tag, &oid, &oidl);
                if (!f || tag != 0x06) return 0;
                while (f < x + fl) {
                    f = mpx_der(f, x + fl, &tag, &val, &vall);
                    if (!f) return 0;
                }
                if (tag == 0x04 && oidl == 3 && oid[0] == 0x55 && oid[1] == 0x1d && oid[2] == 0x11) {
                    *san = val;
                    *sanlen = vall;
                }
            }
        }
    }
    return 1;
}

/* Does the certificate carry this IP address in its SAN? */
static int mpx_cert_has_ip(const unsigned char *der, size_t n, const uint8_t *ip, size_t iplen)
{
    const unsigned char *spki, *subj, *san, *v, *p, *end;
    size_t spkil, subjl, sanl, l;
    unsigned tag;
    if (!mpx_cert_parts(der, n, &spki, &spkil, &subj, &subjl, &san, &sanl) || !san) return 0;
    if (!mpx_der(san, san + sanl, &tag, &p, &l) || tag != 0x30) return 0;
    end = p + l;
    while (p < end) {
        p = mpx_der(p, end, &tag, &v, &l);
        if (!p) return 0;
        if (tag == 0x87 && l == iplen && memcmp(v, ip, iplen) == 0) return 1;
    }
    return 0;
}

/* One certificate name (a SAN dNSName or the CN) against the host: case-
   insensitive, a "*." first label standing for exactly one label. */
static int mpx_name_match(const unsigned char *pat, size_t pl, const char *host)
{
    size_t hl = strlen(host);
    if (hl && host[hl - 1] == '.') hl--;
    if (pl && pat[pl - 1] == '.') pl--;
    if (pl > 2 && pat[0] == '*' && pat[1] == '.') {
        const char *dot = (const char *)memchr(host, '.', hl);
        if (!dot || dot == host) return 0;
        return (size_t)(host + hl - dot) == pl - 1 && mpx_ncaseeq(dot, (const char *)pat + 1, pl - 1);
    }
    return pl == hl && mpx_ncaseeq(host, (const char *)pat, hl);
}

/* Name check without chain validation (verification off, host check on). */
static int mpx_cert_has_name(const unsigned char *der, size_t n, const char *host)
{
    const unsigned char *spki, *subj, *san, *v, *p, *end;
    size_t spkil, subjl, sanl, l;
    unsigned tag;
    int any_dns = 0;
    if (!mpx_cert_parts(der, n, &spki, &spkil, &subj, &subjl, &san, &sanl)) return 0;
    if (san && mpx_der(san, san + sanl, &tag, &p, &l) && tag == 0x30) {
        end = p + l;
        while (p < end && (p = mpx_der(p, end, &tag, &v, &l)) != NULL) {
            if (tag != 0x82) continue;
            any_dns = 1;
            if (mpx_name_match(v, l, host)) return 1;
        }
    }
    if (any_dns) return 0;
    /* no dNSName: the subject's CN (SET { SEQUENCE { OID 2.5.4.3, value } }) */
    p = subj;
    end = subj + subjl;
    while (p < end) {
        const unsigned char *set, *a, *oid, *val;
        size_t sl, al, ol, vl;
        p = mpx_der(p, end, &tag, &set, &sl);
        if (!p || !mpx_der(set, set + sl, &tag, &a, &al)) return 0;
        a = mpx_der(a, a + al, &tag, &oid, &ol);
        if (a && ol == 3 && oid[0] == 0x55 && oid[1] == 0x04 && oid[2] == 0x03 &&
            mpx_der(a, set + sl, &tag, &val, &vl) && mpx_name_match(val, vl, host))
            return 1;
    }
    return 0;
}

/* ---- chains verified before ---- */
/* A copy of a key whose bytes go to buf (MPX_PKEY_MAX); 0 if too big. */
static int mpx_pkey_copy(br_x509_pkey *dst, unsigned char *buf, const br_x509_pkey *src)
{
    *dst = *src;
    if (src->key_type == BR_KEYTYPE_EC && src->key.ec.qlen <= MPX_PKEY_MAX) {
        memcpy(buf, src->key.ec.q, src->key.ec.qlen);
        dst->key.ec.q = buf;
        return 1;
    }
    if (src->key_type == BR_KEYTYPE_RSA && src->key.rsa.nlen + src->key.rsa.elen <= MPX_PKEY_MAX) {
        memcpy(buf, src->key.rsa.n, src->key.rsa.nlen);
        memcpy(buf + src->key.rsa.nlen, src->key.rsa.e, src->key.rsa.elen);
        dst->key.rsa.n = buf;
        dst->key.rsa.e = buf + src->key.rsa.nlen;
        return 1;
    }
    return 0;
}

static mpx_verified *mpx_verified_find(const mperf_multi *m, const unsigned char *key)
{
    unsigned i;
    for (i = 0; m->verified && i < MPX_VERIFIED; i++)
        if (m->verified[i].until > m->now && memcmp(m->verified[i].key, key, 32) == 0) return &m->verified[i];
    return NULL;
}

static void mpx_verified_keep(mperf_multi *m, const unsigned char *key, const br_x509_pkey *pk, unsigned usages)
{
    mpx_verified *v;
    unsigned i;
    if (!pk) return;
    if (!m->verified && !(m->verified = (mpx_verified *)mpx_calloc(&m->al, MPX_VERIFIED * sizeof *m->verified))) return;
    v = &m->verified[0];
    for (i = 1; i < MPX_VERIFIED; i++) /* the one that ends first makes room */
        if (m->verified[i].until < v->until) v = &m->verified[i];
    if (!mpx_pkey_copy(&v->pkey, v->data, pk)) return;
    memcpy(v->key, key, 32);
    v->usages = usages;
    v->until = m->now + MPX_VERIFIED_US;
}

/* The name BearSSL's validator matches (IP literals are checked here). */
static const char *mpx_x509_name(const mpx_x509 *x)
{
    return x->verify_host && !x->iplen ? x->host : NULL;
}

/* Hands the chain held back so far to the validator, which then gets the
   rest as it comes. */
static void mpx_x509_stream(mpx_x509 *x)
{
    const br_x509_class **v = &x->minimal.vtable;
    const unsigned char *p = (const unsigned char *)x->chain.p, *end = p ? p + x->chain.len : p;
    x->streaming = 1;
    (*v)->start_chain(v, mpx_x509_name(x));
    while (end - p >= 4) {
        uint32_t len;
        size_t have;
        memcpy(&len, p, 4);
        have = (size_t)(end - p - 4) < len ? (size_t)(end - p - 4) : len;
        (*v)->start_cert(v, len);
        (*v)->append(v, p + 4, have);
        p += 4 + have;
        if (p < end || !x->in_cert) (*v)->end_cert(v);
    }
    mpx_buf_free(x->al, &x->chain);
}

/* The whole chain has come: verified before, or verified now (and kept). */
static unsigned mpx_x509_check_held(mpx_x509 *x)
{
    const char *name = mpx_x509_name(x);
    unsigned char key[32];
    const mpx_verified *v;
    unsigned err;
    br_sha256_update(&x->chash, &x->cas_key, sizeof x->cas_key);
    br_sha256_update(&x->chash, &x->cert_minute, sizeof x->cert_minute);
    if (name) br_sha256_update(&x->chash, name, strlen(name) + 1);
    br_sha256_out(&x->chash, key);
    v = mpx_verified_find(x->m, key);
    if (v && mpx_pkey_copy(&x->hit_pkey, x->hit_data, &v->pkey)) {
        x->hit = 1;
        x->hit_usages = v->usages;
        mpx_buf_free(x->al, &x->chain);
        return 0;
    }
    mpx_x509_stream(x);
    err = x->minimal.vtable->end_chain(&x->minimal.vtable);
    x->m->chains_checked++;
    if (!err) {
        unsigned usages = 0;
        const br_x509_pkey *pk = x->minimal.vtable->get_pkey(&x->minimal.vtable, &usages);
        mpx_verified_keep(x->m, key, pk, usages);
    }
    return err;
}

/* ---- the X.509 policy class ---- */
static void mpx_x509_start_chain(const br_x509_class **ctx, const char *server_name)
{
    mpx_x509 *x = (mpx_x509 *)(void *)ctx;
    (void)server_name;
    x->ncert = 0;
    x->ee.len = 0;
    x->ee_failed = x->ee_big = 0;
    x->pin_failed = 0;
    x->chain.len = 0;
    x->streaming = x->in_cert = x->hit = 0;
    if (x->verify_peer) br_sha256_init(&x->chash); /* the validator gets the chain at its end */
}

static void mpx_x509_start_cert(const br_x509_class **ctx, uint32_t length)
{
    mpx_x509 *x = (mpx_x509 *)(void *)ctx;
    if (x->ncert == 0) {
        if (length > MPERF_MAX_CERT) x->ee_big = 1; /* a hostile size: never kept, never allocated */
        else if (!mpx_buf_reserve(x->al, &x->ee, length)) x->ee_failed = 1;
        if (!x->verify_peer) mpx_der_init(&x->decoder, NULL, NULL);
    }
    if (x->verify_peer) {
        if (!x->streaming &&
            (x->chain.len + 4 + (size_t)length > MPX_CHAIN_HELD || !mpx_buf_add(x->al, &x->chain, &length, 4)))
            mpx_x509_stream(x);
        if (x->streaming) x->minimal.vtable->start_cert(&x->minimal.vtable, length);
        else br_sha256_update(&x->chash, &length, 4);
        x->in_cert = 1;
    }
}

static void mpx_x509_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
    mpx_x509 *x = (mpx_x509 *)(void *)ctx;
    if (x->ncert == 0) {
        if (!x->ee_failed && !x->ee_big && !mpx_buf_add(x->al, &x->ee, buf, len)) x->ee_failed = 1;
        if (!x->verify_peer) mpx_der_push(&x->decoder, buf, len);
    }
    if (x->verify_peer) {
        if (!x->streaming && !mpx_buf_add(x->al, &x->chain, buf, len)) mpx_x509_stream(x);
        if (x->streaming) x->minimal.vtable->append(&x->minimal.vtable, buf, len);
        else br_sha256_update(&x->chash, buf, len);
    }
}

static void mpx_x509_end_cert(const br_x509_class **ctx)
{
    mpx_x509 *x = (mpx_x509 *)(void *)ctx;
    if (x->verify_peer && x->streaming) x->minimal.vtable->end_cert(&x->minimal.vtable);
    x->in_cert = 0;
    x->ncert++;
}

static unsigned mpx_x509_end_chain(const br_x509_class **ctx)
{
    mpx_x509 *x = (mpx_x509 *)(void *)ctx;
    unsigned err;
    if (x->ee_big) return BR_ERR_X509_LIMIT_EXCEEDED;
    if (x->verify_peer) {
        err = x->streaming ? x->minimal.vtable->end_chain(&x->minimal.vtable) : mpx_x509_check_held(x);
    } else {
        err = x->ncert == 0 ? BR_ERR_X509_EMPTY_CHAIN : (unsigned)mpx_der_error(&x->decoder);
        x->pkey = err ? NULL : br_x509_decoder_get_pkey(&x->decoder.dc);
        if (!err && !x->pkey) err = BR_ERR_X509_UNSUPPORTED;
    }
    if (err) return err;
    if (x->ee_failed) return BR_ERR_X509_LIMIT_EXCEEDED;
    if (x->verify_host && x->iplen && !mpx_cert_has_ip((const unsigned char *)x->ee.p, x->ee.len, x->ip, x->iplen))
        return BR_ERR_X509_BAD_SERVER_NAME;
    if (x->verify_host && !x->iplen && !x->verify_peer &&
        !mpx_cert_has_name((const unsigned char *)x->ee.p, x->ee.len, x->host))
        return BR_ERR_X509_BAD_SERVER_NAME;
    if (x->npins) {
        const unsigned char *spki, *subj, *san;
        size_t spkil, subjl, sanl, i;
        unsigned char h[32];
        br_sha256_context sc;
        if (!mpx_cert_parts((const unsigned char *)x->ee.p, x->ee.len, &spki, &spkil, &subj, &subjl, &san, &sanl)) {
            x->pin_failed = 1;
            return BR_ERR_X509_NOT_TRUSTED;
        }
        br_sha256_init(&sc);
        br_sha256_update(&sc, spki, spkil);
        br_sha256_out(&sc, h);
        for (i = 0; i < x->npins; i++)
            if (memcmp(x->pins + 32 * i, h, 32) == 0) return 0;
        x->pin_failed = 1;
        return BR_ERR_X509_NOT_TRUSTED;
    }
    return 0;
}

static const br_x509_pkey *mpx_x509_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
    const mpx_x509 *x = (const mpx_x509 *)(const void *)ctx;
    if (x->hit) {
        if (usages) *usages = x->hit_usages;
        return &x->hit_pkey;
    }
    if (x->verify_peer) return x->minimal.vtable->get_pkey(&x->minimal.vtable, usages);
    if (usages) *usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN;
    return x->pkey;
}

static const br_x509_class mpx_x509_vtable = {sizeof(mpx_x509),   mpx_x509_start_chain, mpx_x509_start_cert,
                                              mpx_x509_append,     mpx_x509_end_cert,    mpx_x509_end_chain,
                                              mpx_x509_get_pkey};

/* ---- trust anchors ---- */
typedef struct mpx_pem_load {
    const mperf_allocator *al;
    mpx_cas *cas;
    size_t cap;
    mpx_buf dn;
    int oom;
    mpx_der_feed dc;
} mpx_pem_load;

static void mpx_dn_append(void *ctx, const void *buf, size_t len)
{
    mpx_pem_load *l = (mpx_pem_load *)ctx;
    if (!mpx_buf_add(l->al, &l->dn, buf, len)) l->oom = 1;
}

static void mpx_pem_to_x509(void *ctx, const void *buf, size_t len)
{
    mpx_der_push((mpx_der_feed *)ctx, (const unsigned char *)buf, len);
}

/* Keeps the certificate just decoded as a trust anchor (one allocation). */
static int mpx_cas_add(mpx_pem_load *l)
{
    const br_x509_pkey *pk = br_x509_decoder_get_pkey(&l->dc.dc);
    br_x509_trust_anchor *ta;
    size_t klen;
    unsigned char *block;
    if (!pk) return 1; /* a key type BearSSL cannot use: skip it */
    if (l->cas->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 64;
        br_x509_trust_anchor *nta = (br_x509_trust_anchor *)mpx_alloc(l->al, ncap * sizeof *nta);
        void **nb = (void **)mpx_alloc(l->al, ncap * sizeof *nb);
        if (!nta || !nb) {
            mpx_free(l->al, nta);
            mpx_free(l->al, nb);
            return 0;
        }
        if (l->cas->n) {
            memcpy(nta, l->cas->ta, l->cas->n * sizeof *nta);
            memcpy(nb, l->cas->blocks, l->cas->n * sizeof *nb);
        }
        mpx_free(l->al, l->cas->ta);
        mpx_free(l->al, l->cas->blocks);
        l->cas->ta = nta;
        l->cas->blocks = nb;
        l->cap = ncap;
    }
    klen = pk->key_type == BR_KEYTYPE_RSA ? pk->key.rsa.nlen + pk->key.rsa.elen : pk->key.ec.qlen;
    block = (unsigned char *)mpx_alloc(l->al, l->dn.len + klen);
    if (!block) return 0;
    ta = &l->cas->ta[l->cas->n];
    memset(ta, 0, sizeof *ta);
    memcpy(block, l->dn.p, l->dn.len);
    ta->dn.data = block;
    ta->dn.len = l->dn.len;
    ta->flags = br_x509_decoder_isCA(&l->dc.dc) ? BR_X509_TA_CA : 0;
    ta->pkey.key_type = pk->key_type;
    if (pk->key_type == BR_KEYTYPE_RSA) {
        ta->pkey.key.rsa.n = block + l->dn.len;
        ta->pkey.key.rsa.nlen = pk->key.rsa.nlen;
        memcpy(ta->pkey.key.rsa.n, pk->key.rsa.n, pk->key.rsa.nlen);
        ta->pkey.key.rsa.e = ta->pkey.key.rsa.n + pk->key.rsa.nlen;
        ta->pkey.key.rsa.elen = pk->key.rsa.elen;
        memcpy(ta->pkey.key.rsa.e, pk->key.rsa.e, pk->key.rsa.elen);
    } else {
        ta->pkey.key.ec.curve = pk->key.ec.curve;
        ta->pkey.key.ec.q = block + l->dn.len;
        ta->pkey.key.ec.qlen = pk->key.ec.qlen;
        memcpy(ta->pkey.key.ec.q, pk->key.ec.q, pk->key.ec.qlen);
    }
    l->cas->blocks[l->cas->n++] = block;
    return 1;
}

static void mpx_cas_free(const mperf_allocator *al, mpx_cas *c)
{
    size_t i;
    for (i = 0; i < c->n; i++) mpx_free(al, c->blocks[i]);
    mpx_free(al, c->blocks);
    mpx_free(al, c->ta);
    mpx_free(al, c);
}

/* Parses every CERTIFICATE in a PEM text: 1, 0 on a malformed file, -1
   when out of memory. */
static int mpx_cas_parse(const mperf_allocator *al, const unsigned char *pem, size_t len, mpx_cas *cas)
{
    mpx_pem_load l;
    br_pem_decoder_context pc;
    int in_cert = 0, ok = 1, tail = 0;
    memset(&l, 0, sizeof l);
    l.al = al;
    l.cas = cas;
    br_pem_decoder_init(&pc);
    while (ok) {
        size_t k;
        if (len == 0) {
            if (tail) break;
            pem = (const unsigned char *)"\n"; /* a file without a final newline */
            len = 1;
            tail = 1;
        }
        k = br_pem_decoder_push(&pc, pem, len);
        pem += k;
        len -= k;
        switch (br_pem_decoder_event(&pc)) {
        case BR_PEM_BEGIN_OBJ: {
            const char *name = br_pem_decoder_name(&pc);
            in_cert = strcmp(name, "CERTIFICATE") == 0 || strcmp(name, "X509 CERTIFICATE") == 0;
            if (in_cert) {
                l.dn.len = 0;
                mpx_der_init(&l.dc, mpx_dn_append, &l);
                br_pem_decoder_setdest(&pc, mpx_pem_to_x509, &l.dc);
            } else {
                br_pem_decoder_setdest(&pc, NULL, NULL);
            }
            break;
        }
        case BR_PEM_END_OBJ:
            if (in_cert && mpx_der_error(&l.dc) == 0 && !l.oom && !mpx_cas_add(&l)) l.oom = 1;
            in_cert = 0;
            break;
        case BR_PEM_ERROR:
            ok = 0;
            break;
        default:
            break;
        }
        if (l.oom) ok = 0;
    }
    mpx_buf_free(al, &l.dn);
    return l.oom ? -1 : ok;
}

#if MPX_WINROOTS
/* The certificates of the Windows store "ROOT" (the user's and the
   machine's) as anchors: 1, 0 when the store cannot be opened, -1 when out
   of memory. crypt32 is loaded here, so nothing more is linked. */
static int mpx_cas_windows(const mperf_allocator *al, mpx_cas *cas)
{
    typedef HCERTSTORE(WINAPI * mpx_open_fn)(HCRYPTPROV_LEGACY, LPCSTR);
    typedef PCCERT_CONTEXT(WINAPI * mpx_enum_fn)(HCERTSTORE, PCCERT_CONTEXT);
    typedef BOOL(WINAPI * mpx_freecert_fn)(PCCERT_CONTEXT);
    typedef BOOL(WINAPI * mpx_close_fn)(HCERTSTORE, DWORD);
    HMODULE lib = LoadLibraryA("crypt32.dll");
    mpx_open_fn open_store = lib ? (mpx_open_fn)(void (*)(void))GetProcAddress(lib, "CertOpenSystemStoreA") : NULL;
    mpx_enum_fn next = lib ? (mpx_enum_fn)(void (*)(void))GetProcAddress(lib, "CertEnumCertificatesInStore") : NULL;
    mpx_freecert_fn release =
        lib ? (mpx_freecert_fn)(void (*)(void))GetProcAddress(lib, "CertFreeCertificateContext") : NULL;
    mpx_close_fn close_store = lib ? (mpx_close_fn)(void (*)(void))GetProcAddress(lib, "CertCloseStore") : NULL;
    HCERTSTORE store = open_store && next && release && close_store ? open_store(0, "ROOT") : NULL;
    PCCERT_CONTEXT cc = NULL;
    mpx_pem_load l;
    memset(&l, 0, sizeof l);
    l.al = al;
    l.cas = cas;
    while (store && !l.oom && (cc = next(store, cc)) != NULL) {
        if (!(cc->dwCertEncodingType & X509_ASN_ENCODING)) continue;
        l.dn.len = 0;
        mpx_der_init(&l.dc, mpx_dn_append, &l);
        mpx_der_push(&l.dc, cc->pbCertEncoded, cc->cbCertEncoded);
        if (mpx_der_error(&l.dc) == 0 && !l.oom && !mpx_cas_add(&l)) l.oom = 1;
    }
    if (cc) release(cc); /* the walk stopped early */
    if (store) close_store(store, 0);
    if (lib) FreeLibrary(lib);
    mpx_buf_free(al, &l.dn);
    return l.oom ? -1 : store != NULL;
}
#endif

/* The anchors for this transfer: CAINFO_BLOB, CAINFO or the system's
   (a bundle file; on Windows its store), loaded on first use and kept by
   the multi. */
static mpx_cas *mpx_cas_get(mperf_multi *m, const mperf_easy *e, mperf_code *rc, const char **why)
{
    int r = 0;
#if !MPX_WINROOTS
    static const char *const bundles[] = {MPERF_CA_BUNDLE, "/etc/ssl/certs/ca-certificates.crt",
                                          "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"};
    size_t i;
#endif
    const char *path = e->o.cainfo;
    uint64_t key;
    mpx_cas *c;
    unsigned char *data = NULL;
    size_t len = 0;
    if (e->o.cablob) key = mpx_fnv(e->o.cablob, e->o.cabloblen, 0x6d7065726662ULL);
#if MPX_WINROOTS
    else if (!path) key = 0x524f4f54ULL; /* "ROOT", the system store (a path hashes otherwise) */
#endif
    else {
#if !MPX_WINROOTS
        if (!path) {
            for (i = 0; i < sizeof bundles / sizeof bundles[0] && !path; i++) {
                int fd = MPX_FILE_OPEN(bundles[i]);
                if (fd >= 0) {
                    MPX_FILE_CLOSE(fd);
                    path = bundles[i];
                }
            }
            if (!path) {
                *why = MPX_TXT("No CA bundle found: set CAINFO or CAINFO_BLOB (looked for " MPERF_CA_BUNDLE ")");
                return NULL;
            }
        }
#endif
        key = mpx_fnv(path, strlen(path), 14695981039346656037ULL);
    }
    for (c = m->cas; c; c = c->next)
        if (c->key == key) return c;
#if MPX_WINROOTS
    if (!e->o.cablob && !path) { /* converted once per multi, like a file */
        c = (mpx_cas *)mpx_calloc(&m->al, sizeof *c);
        r = c ? mpx_cas_windows(&m->al, c) : -1;
        if (r <= 0 || c->n == 0) {
            if (c) mpx_cas_free(&m->al, c);
            if (r < 0) *rc = MPERF_E_OUT_OF_MEMORY;
            *why = r < 0   ? MPX_TXT("Out of memory")
                   : r == 0 ? MPX_TXT("Cannot open the Windows certificate store (ROOT): set CAINFO or CAINFO_BLOB")
                            : MPX_TXT("The Windows certificate store (ROOT) holds no usable certificate");
            return NULL;
        }
        c->key = key;
        c->next = m->cas;
        m->cas = c;
        return c;
    }
#endif
    if (e->o.cablob) {
        data = (unsigned char *)e->o.cablob;
        len = e->o.cabloblen;
    } else { /* one blocking read of a local file (64 MiB at most), once per multi */
        int fd = MPX_FILE_OPEN(path), oom = 0;
        long sz = fd >= 0 ? MPX_FILE_SEEK(fd, 0, SEEK_END) : -1, got = 1;
        if (sz >= 0 && sz <= 64L * 1024 * 1024 && MPX_FILE_SEEK(fd, 0, SEEK_SET) == 0 &&
            !(data = (unsigned char *)mpx_alloc(&m->al, (size_t)sz + 1))) /* one block, of the file's size */
            oom = 1;
        while (data && len < (size_t)sz && got > 0) {
            got = (long)MPX_FILE_READ(fd, data + len, MPX_MIN((size_t)sz - len, (size_t)1 << 30));
            if (got > 0) len += (size_t)got;
            else if (got < 0 && errno == EINTR) got = 1;
        }
        if (fd >= 0) MPX_FILE_CLOSE(fd);
        if (!data || len != (size_t)sz) {
            if (oom) {
                *rc = MPERF_E_OUT_OF_MEMORY;
                *why = MPX_TXT("Out of memory");
            } else {
                *why = MPX_TXT("Cannot read the CA bundle (CAINFO)");
            }
            mpx_free(&m->al, data);
            return NULL;
        }
    }
    c = (mpx_cas *)mpx_calloc(&m->al, sizeof *c);
    if (c && (r = mpx_cas_parse(&m->al, data, len, c)) <= 0) {
        mpx_cas_free(&m->al, c);
        c = NULL;
        *why = r < 0 ? "Out of memory" : "The CA bundle is not valid PEM";
    } else if (c && c->n == 0) {
        mpx_cas_free(&m->al, c);
        c = NULL;
        *why = MPX_TXT("The CA bundle holds no usable certificate");
    } else if (!c) {
        r = -1;
        *why = MPX_TXT("Out of memory");
    }
    if (r < 0) *rc = MPERF_E_OUT_OF_MEMORY;
    if (!e->o.cablob) mpx_free(&m->al, data);
    if (!c) return NULL;
    c->key = key;
    c->next = m->cas;
    m->cas = c;
    return c;
}

/* The verification policy as a number: connections and sessions made under
   one policy are never used under another. */
static uint64_t mpx_tls_policy(const mperf_easy *e)
{
    uint64_t h = 14695981039346656037ULL;
    unsigned char flags[2];
    flags[0] = e->o.ssl_verifypeer;
    flags[1] = e->o.ssl_verifyhost;
    h = mpx_fnv(flags, 2, h);
    if (e->o.ssl_verifypeer) {
        if (e->o.cablob) h = mpx_fnv(e->o.cablob, e->o.cabloblen, h);
        else if (e->o.cainfo) h = mpx_fnv(e->o.cainfo, strlen(e->o.cainfo), h);
    }
    if (e->o.npins) h = mpx_fnv(e->o.pins, 32 * e->o.npins, h);
    if (e->o.ciphers) h = mpx_fnv(e->o.ciphers, strlen(e->o.ciphers), h);
    return h | 1; /* never 0, which plain http uses */
}

/* The default suites: TLS 1.2, ECDHE only (forward secrecy), AEAD only.
   MPERF_TLS_SMALL keeps the 128-bit ones and one portable implementation
   of each primitive: a smaller program, somewhat slower bulk crypto, and
   key exchange on the NIST curves (P-256 first) through BearSSL's generic
   prime-curve code, without X25519 and its fast P-256 code. */
static const uint16_t mpx_suites[] = {
    BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
#ifndef MPERF_TLS_SMALL
    BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
#endif
};
static const char *const mpx_suite_names[] = {"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
                                              "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
                                              "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384"};

/* Picks suites from an OpenSSL-style list ("A:B,C"); returns how many. */
static size_t mpx_tls_suites_from(const char *list, uint16_t *out)
{
    size_t n = 0, i;
    while (list && *list) {
        size_t l = strcspn(list, ":, ");
        for (i = 0; i < sizeof mpx_suites / sizeof mpx_suites[0]; i++) {
            size_t j, dup = 0;
            if (strlen(mpx_suite_names[i]) != l || !mpx_ncaseeq(list, mpx_suite_names[i], l)) continue;
            for (j = 0; j < n; j++) dup |= out[j] == mpx_suites[i];
            if (!dup) out[n++] = mpx_suites[i];
        }
        list += l;
        while (*list == ':' || *list == ',' || *list == ' ') list++;
    }
    return n;
}

/* The algorithms of the TLS profile, for the engine and for the X.509
   validator: every implementation BearSSL picks as its default, or with
   MPERF_TLS_SMALL one portable implementation of each (no X25519, no
   SHA-1 or SHA-224 certificate signatures). No RSA key exchange: every
   suite is ECDHE. BearSSL picks its AES-GCM code by asking the CPU
   (CPUID, which a virtual machine's hypervisor answers slowly), so the
   multi asks once and keeps the answer for its connections. */
static void mpx_tls_profile(mperf_multi *m, br_ssl_engine_context *eng, br_x509_minimal_context *xm)
{
#ifdef MPERF_TLS_SMALL
    (void)m;
    br_ssl_engine_set_hash(eng, br_sha256_ID, &br_sha256_vtable);
    br_ssl_engine_set_hash(eng, br_sha384_ID, &br_sha384_vtable);
    br_ssl_engine_set_hash(eng, br_sha512_ID, &br_sha512_vtable);
    br_ssl_engine_set_prf_sha256(eng, &br_tls12_sha256_prf);
    br_ssl_engine_set_aes_ctr(eng, &br_aes_ct64_ctr_vtable);
    br_ssl_engine_set_ghash(eng, &br_ghash_ctmul64);
    br_ssl_engine_set_gcm(eng, &br_sslrec_in_gcm_vtable, &br_sslrec_out_gcm_vtable);
    br_ssl_engine_set_chacha20(eng, &br_chacha20_ct_run);
    br_ssl_engine_set_poly1305(eng, &br_poly1305_ctmul_run);
    br_ssl_engine_set_chapol(eng, &br_sslrec_in_chapol_vtable, &br_sslrec_out_chapol_vtable);
    br_ssl_engine_set_ec(eng, &br_ec_prime_i31);
    br_ssl_engine_set_rsavrfy(eng, &br_rsa_i31_pkcs1_vrfy);
    br_ssl_engine_set_ecdsa(eng, &br_ecdsa_i31_vrfy_asn1);
    br_x509_minimal_set_hash(xm, br_sha256_ID, &br_sha256_vtable);
    br_x509_minimal_set_hash(xm, br_sha384_ID, &br_sha384_vtable);
    br_x509_minimal_set_hash(xm, br_sha512_ID, &br_sha512_vtable);
    br_x509_minimal_set_rsa(xm, &br_rsa_i31_pkcs1_vrfy);
    br_x509_minimal_set_ecdsa(xm, &br_ec_prime_i31, &br_ecdsa_i31_vrfy_asn1);
#else
    br_ssl_engine_set_hash(eng, br_sha1_ID, &br_sha1_vtable);
    br_ssl_engine_set_hash(eng, br_sha224_ID, &br_sha224_vtable);
    br_ssl_engine_set_hash(eng, br_sha256_ID, &br_sha256_vtable);
    br_ssl_engine_set_hash(eng, br_sha384_ID, &br_sha384_vtable);
    br_ssl_engine_set_hash(eng, br_sha512_ID, &br_sha512_vtable);
    br_ssl_engine_set_prf_sha256(eng, &br_tls12_sha256_prf);
    br_ssl_engine_set_prf_sha384(eng, &br_tls12_sha384_prf);
    if (m->tls_aes_ctr) {
        br_ssl_engine_set_gcm(eng, &br_sslrec_in_gcm_vtable, &br_sslrec_out_gcm_vtable);
        br_ssl_engine_set_aes_ctr(eng, (const br_block_ctr_class *)m->tls_aes_ctr);
        br_ssl_engine_set_ghash(eng, (br_ghash)m->tls_ghash);
    } else {
        br_ssl_engine_set_default_aes_gcm(eng);
        m->tls_aes_ctr = eng->iaes_ctr;
        m->tls_ghash = (void (*)(void))eng->ighash;
    }
    br_ssl_engine_set_default_chapol(eng);
    br_ssl_engine_set_default_ec(eng);
    br_ssl_engine_set_default_rsavrfy(eng);
    br_ssl_engine_set_default_ecdsa(eng);
    br_x509_minimal_set_hash(xm, br_sha1_ID, &br_sha1_vtable);
    br_x509_minimal_set_hash(xm, br_sha224_ID, &br_sha224_vtable);
    br_x509_minimal_set_hash(xm, br_sha256_ID, &br_sha256_vtable);
    br_x509_minimal_set_hash(xm, br_sha384_ID, &br_sha384_vtable);
    br_x509_minimal_set_hash(xm, br_sha512_ID, &br_sha512_vtable);
    br_x509_minimal_set_rsa(xm, br_rsa_pkcs1_vrfy_get_default());
    br_x509_minimal_set_ecdsa(xm, br_ec_get_default(), br_ecdsa_vrfy_asn1_get_default());
#endif
}

/* The X.509 policy: our wrapper around BearSSL's minimal validator, with
   the transfer's verification options, trust anchors and pins. The host
   name is copied into the engine (the URL's views change with the hop). */
static void mpx_tls_policy_init(mperf_multi *m, mpx_tls *t, const mperf_easy *e, const mpx_cas *cas)
{
    t->x.vtable = &mpx_x509_vtable;
    t->x.al = &m->al;
    t->x.m = m;
    t->x.cas_key = cas ? cas->key : 0;
    t->x.cert_minute = -1;
    t->x.verify_peer = e->o.ssl_verifypeer;
    t->x.verify_host = e->o.ssl_verifyhost != 0;
    t->x.pins = e->o.pins;
    t->x.npins = e->o.npins;
    memcpy(t->host, e->x.u.host, e->x.u.hostlen);
    t->host[e->x.u.hostlen] = 0;
    t->x.host = t->host;
    if (e->x.u.ipv6 && mpx_ip6_parse(t->host, t->x.ip)) t->x.iplen = 16;
    else if (!e->x.u.ipv6 && mpx_ip4_parse(t->host, t->x.ip)) t->x.iplen = 4;
    br_x509_minimal_init(&t->x.minimal, &br_sha256_vtable, cas ? cas->ta : NULL, cas ? cas->n : 0);
    if (m->time_cb) { /* the program's clock for the certificates' dates (days from 1 Jan 0000) */
        int64_t now = m->time_cb(m->time_data);
        if (now >= 0) {
            br_x509_minimal_set_time(&t->x.minimal, (uint32_t)(now / 86400 + 719528), (uint32_t)(now % 86400));
            t->x.cert_minute = now / 60;
        }
    }
}

/* Offers the session kept for this host, port and policy, if any; returns
   whether one was offered. */
static int mpx_tls_resume(mperf_multi *m, mpx_tls *t, const mperf_easy *e)
{
    unsigned i;
    t->session_key = mpx_fnv(t->host, e->x.u.hostlen, mpx_tls_policy(e) ^ e->x.u.port ^ e->x.route);
    for (i = 0; e->o.ssl_sessionid_cache && i < m->num_sessions; i++) {
        if (m->sessions[i].key == t->session_key) {
            br_ssl_engine_set_session_parameters(&t->cc.eng, &m->sessions[i].params);
            return 1;
        }
    }
    return 0;
}

/* Sets up the engine for this connection: trust anchors, suites, the
   profile, the X.509 policy, entropy, a kept session, and SNI. */
static mperf_code mpx_tls_start(mperf_multi *m, mpx_conn *c, mperf_easy *e, const char **why)
{
    mpx_tls *t;
    br_ssl_engine_context *eng;
    mpx_cas *cas = NULL;
    unsigned char seed[32];
    uint16_t suites[sizeof mpx_suites / sizeof mpx_suites[0]];
    size_t nsuites = sizeof mpx_suites / sizeof mpx_suites[0];
    int resume;
    if (e->o.ssl_verifypeer) {
        mperf_code rc = MPERF_E_SSL_CACERT_BADFILE;
        cas = mpx_cas_get(m, e, &rc, why);
        if (!cas) return rc;
    }
    if (e->o.ciphers) {
        nsuites = mpx_tls_suites_from(e->o.ciphers, suites);
        if (!nsuites) {
            *why = MPX_TXT("None of the requested cipher suites is built in");
            return MPERF_E_SSL_CIPHER;
        }
    } else {
        memcpy(suites, mpx_suites, sizeof mpx_suites);
    }
    t = m->tls_free;
    if (t) m->tls_free = NULL;
    else t = (mpx_tls *)mpx_alloc(&m->al, sizeof *t);
    if (!t) {
        *why = MPX_TXT("Out of memory");
        return MPERF_E_OUT_OF_MEMORY;
    }
    memset(t, 0, offsetof(mpx_tls, iobuf));
    c->tls = t;
    eng = &t->cc.eng;
    br_ssl_client_zero(&t->cc);
    br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
    br_ssl_engine_set_suites(eng, suites, nsuites);
    mpx_tls_policy_init(m, t, e, cas);
    mpx_tls_profile(m, eng, &t->x.minimal);
    br_ssl_engine_set_x509(eng, &t->x.vtable);
    br_ssl_engine_set_buffer(eng, t->iobuf, sizeof t->iobuf, MPX_TLS_BIDI);
    t->alpn[0] = "http/1.1";
    br_ssl_engine_set_protocol_names(eng, t->alpn, 1);
    if (mpx_random(m, seed, sizeof seed)) {
        br_ssl_engine_inject_entropy(eng, seed, sizeof seed);
        /* the OS's randomness is in: BearSSL's own seeding (CPUID and RDRAND,
           or /dev/urandom) would repeat it on every connection. With the
           program's RANDOM_FUNCTION, BearSSL still adds its own. */
        if (!m->random_cb) eng->rng_os_rand_done = 1;
    }
    resume = mpx_tls_resume(m, t, e);
    /* SNI is a DNS name: an IP literal is never sent (RFC 6066) */
    if (!br_ssl_client_reset(&t->cc, t->x.iplen ? NULL : t->host, resume)) {
        *why = MPX_TXT("TLS setup failed");
        return MPERF_E_SSL_CONNECT_ERROR;
    }
    t->resumed_offer = (uint8_t)resume;
    return MPERF_E_OK;
}

/* Moves records between the engine and the socket, never blocking.
   Returns 1 if anything moved. */
static int mpx_tls_pump(mpx_conn *c)
{
    mpx_tls *t = c->tls;
    br_ssl_engine_context *eng = &t->cc.eng;
    int moved = 0;
    for (;;) {
        unsigned st = br_ssl_engine_current_state(eng);
        int err = 0, progress = 0;
        size_t len;
        unsigned char *buf;
        long r;
        if ((st & BR_SSL_CLOSED) || t->sock_err) return moved;
        if (st & BR_SSL_SENDREC) {
            buf = br_ssl_engine_sendrec_buf(eng, &len);
            r = mpx_io_send(c, (const char *)buf, len, &err);
            if (r < 0) {
                t->sock_err = err;
                return moved;
            }
            if (r > 0) {
                br_ssl_engine_sendrec_ack(eng, (size_t)r);
                progress = 1;
            }
        }
        st = br_ssl_engine_current_state(eng);
        if ((st & BR_SSL_RECVREC) && !t->eof) {
            buf = br_ssl_engine_recvrec_buf(eng, &len);
            r = mpx_io_recv(c, (char *)buf, len, &err);
            if (r > 0) {
                br_ssl_engine_recvrec_ack(eng, (size_t)r);
                progress = 1;
            } else if (r == 0) {
                t->eof = 1;
            } else if (r == -2) {
                t->sock_err = err;
                return moved;
            }
        }
        if (!progress) return moved;
        moved = 1;
    }
}

/* The socket interest: during the handshake what the engine needs; after
   it the HTTP layer's, plus POLLOUT while records wait to go out, less
   POLLIN while decrypted bytes wait (readable without waiting). */
static short mpx_tls_want(const mpx_conn *c, short http, int handshaking)
{
    unsigned st = br_ssl_engine_current_state(&c->tls->cc.eng);
    short ev = http;
    if (handshaking) return (short)(((st & BR_SSL_SENDREC) ? POLLOUT : 0) | ((st & BR_SSL_RECVREC) ? POLLIN : 0));
    if (st & BR_SSL_SENDREC) ev |= POLLOUT;
    if ((http & POLLIN) && (st & BR_SSL_RECVAPP)) ev &= (short)~POLLIN; /* already readable: no wait */
    return ev;
}

/* Decrypted bytes wait inside the engine (what SSL_pending says elsewhere). */
static int mpx_tls_pending(const mpx_conn *c)
{
    return (br_ssl_engine_current_state(&c->tls->cc.eng) & BR_SSL_RECVAPP) != 0;
}

/* The handshake: 1 done, 0 waiting, -1 failed (mpx_tls_error says why). */
static int mpx_tls_handshake(mpx_conn *c)
{
    unsigned st;
    mpx_tls_pump(c);
    st = br_ssl_engine_current_state(&c->tls->cc.eng);
    if (st & BR_SSL_CLOSED) return -1;
    if (st & (BR_SSL_SENDAPP | BR_SSL_RECVAPP)) {
        const char *alpn = br_ssl_engine_get_selected_protocol(&c->tls->cc.eng);
        c->tls->done = 1;
        if (alpn && strcmp(alpn, "http/1.1") != 0) {
            c->tls->bad_alpn = alpn;
            return -1;
        }
        return 1;
    }
    if (c->tls->sock_err || c->tls->eof) return -1;
    return 0;
}

/* Like mpx_tcp_recv: bytes, 0 at the end, -1 would block, -2 error. A TCP
   close without close_notify is an end too, marked in tls->eof. */
static long mpx_tls_recv(mpx_conn *c, char *p, size_t n, int *err)
{
    mpx_tls *t = c->tls;
    br_ssl_engine_context *eng = &t->cc.eng;
    size_t got = 0;
    for (;;) {
        unsigned st = br_ssl_engine_current_state(eng);
        if (st & BR_SSL_RECVAPP) {
            size_t len;
            unsigned char *buf = br_ssl_engine_recvapp_buf(eng, &len);
            if (len > n - got) len = n - got;
            memcpy(p + got, buf, len);
            br_ssl_engine_recvapp_ack(eng, len);
            got += len;
            if (got == n) return (long)got;
            continue;
        }
        if (got) return (long)got;
        if (st & BR_SSL_CLOSED) {
            if (br_ssl_engine_last_error(eng) == BR_ERR_OK) return 0; /* close_notify */
            *err = 0;
            return -2;
        }
        if (t->sock_err) {
            *err = t->sock_err;
            return -2;
        }
        if (t->eof) return 0;
        if (!mpx_tls_pump(c) && !(br_ssl_engine_current_state(eng) & BR_SSL_RECVAPP)) {
            if (t->eof || t->sock_err || (br_ssl_engine_current_state(eng) & BR_SSL_CLOSED)) continue;
            return -1;
        }
    }
}

/* Like mpx_tcp_send: bytes taken (into the engine, flushed as far as the
   socket allows), or -1 on error. */
static long mpx_tls_send(mpx_conn *c, const char *p, size_t n, int *err)
{
    mpx_tls *t = c->tls;
    br_ssl_engine_context *eng = &t->cc.eng;
    size_t put = 0;
    while (put < n) {
        unsigned st = br_ssl_engine_current_state(eng);
        if (st & BR_SSL_CLOSED) break;
        if (st & BR_SSL_SENDAPP) {
            size_t len;
            unsigned char *buf = br_ssl_engine_sendapp_buf(eng, &len);
            if (len > n - put) len = n - put;
            memcpy(buf, p + put, len);
            br_ssl_engine_sendapp_ack(eng, len);
            put += len;
            continue;
        }
        br_ssl_engine_flush(eng, 0);
        if (!mpx_tls_pump(c)) break;
    }
    br_ssl_engine_flush(eng, 0);
    mpx_tls_pump(c);
    if (t->sock_err || (br_ssl_engine_current_state(eng) & BR_SSL_CLOSED)) {
        *err = t->sock_err ? t->sock_err : EPIPE;
        return put ? (long)put : -1;
    }
    return (long)put;
}

/* Says goodbye (close_notify, one try, no waiting) and frees the engine. */
static void mpx_tls_close(mperf_multi *m, mpx_conn *c)
{
    mpx_tls *t = c->tls;
    if (!t) return;
    if (t->done && !t->sock_err && !t->eof && c->fd != MPERF_SOCKET_BAD &&
        !(br_ssl_engine_current_state(&t->cc.eng) & BR_SSL_CLOSED)) {
        br_ssl_engine_close(&t->cc.eng);
        mpx_tls_pump(c);
    }
    mpx_buf_free(&m->al, &t->x.ee);
    mpx_buf_free(&m->al, &t->x.chain);
    c->tls = NULL;
    if (!m->tls_free) m->tls_free = t; /* one spare engine for the next connection */
    else mpx_free(&m->al, t);
}

/* What a multi handle keeps for TLS: trust anchors, sessions, a spare engine. */
static void mpx_tls_multi_free(mperf_multi *m)
{
    while (m->cas) {
        mpx_cas *c = m->cas;
        m->cas = c->next;
        mpx_cas_free(&m->al, c);
    }
    mpx_free(&m->al, m->sessions);
    mpx_free(&m->al, m->verified);
    mpx_free(&m->al, m->tls_free);
}

/* After the handshake: the cipher suite, the protocol ALPN chose (NULL for
   none) and whether an offered session was resumed (no key exchange). */
static void mpx_tls_info(const mpx_conn *c, unsigned *suite, const char **alpn, int *resumed)
{
    br_ssl_session_parameters sp;
    br_ssl_engine_get_session_parameters(&c->tls->cc.eng, &sp);
    *suite = sp.cipher_suite;
    *alpn = br_ssl_engine_get_selected_protocol(&c->tls->cc.eng);
    *resumed = c->tls->resumed_offer && br_ssl_engine_get_ecdhe_curve(&c->tls->cc.eng) == 0;
}

/* The peer ended the TLS stream with close_notify. */
static int mpx_tls_close_notified(const mpx_conn *c)
{
    return (br_ssl_engine_current_state(&c->tls->cc.eng) & BR_SSL_CLOSED) != 0;
}

/* After the handshake: keep the session for the next connection. */
static void mpx_tls_keep_session(mperf_multi *m, const mpx_conn *c)
{
    mpx_tls_session *s = NULL;
    unsigned i;
    if (!m->sessions) {
        m->sessions = (mpx_tls_session *)mpx_calloc(&m->al, MPERF_TLS_SESSIONS * sizeof *m->sessions);
        if (!m->sessions) return;
    }
    for (i = 0; i < m->num_sessions && !s; i++)
        if (m->sessions[i].key == c->tls->session_key) s = &m->sessions[i];
    if (!s && m->num_sessions < MPERF_TLS_SESSIONS) s = &m->sessions[m->num_sessions++];
    if (!s) { /* replace the least recently used */
        s = &m->sessions[0];
        for (i = 1; i < m->num_sessions; i++)
            if (m->sessions[i].used < s->used) s = &m->sessions[i];
    }
    s->key = c->tls->session_key;
    s->used = m->now;
    br_ssl_engine_get_session_parameters(&c->tls->cc.eng, &s->params);
}

static const char *mpx_tls_alert_name(int a)
{
    switch (a) {
    case 0: return "close_notify";
    case 10: return "unexpected_message";
    case 20: return "bad_record_mac";
    case 40: return "handshake_failure";
    case 42: return "bad_certificate";
    case 43: return "unsupported_certificate";
    case 44: return "certificate_revoked";
    case 45: return "certificate_expired";
    case 46: return "certificate_unknown";
    case 47: return "illegal_parameter";
    case 48: return "unknown_ca";
    case 50: return "decode_error";
    case 51: return "decrypt_error";
    case 70: return "protocol_version";
    case 71: return "insufficient_security";
    case 80: return "internal_error";
    case 86: return "inappropriate_fallback";
    case 90: return "user_canceled";
    case 109: return "missing_extension";
    case 112: return "unrecognized_name";
    case 120: return "no_application_protocol";
    default: return "alert";
    }
}

/* A readable sentence and libcurl's code for why the TLS layer failed; a
   failed verification sets *verify (SSL_VERIFYRESULT) to the X509_V_ERR_
   number libcurl built with OpenSSL reports (measured by
   tests/differential where a test server can make the failure). */
static mperf_code mpx_tls_error(const mpx_conn *c, char *msg, size_t n, long *verify)
{
    const mpx_tls *t = c->tls;
    int err = br_ssl_engine_last_error(&t->cc.eng);
    const char *s;
    long v = 1; /* unspecified: a name mismatch too, as libcurl reports it */
    if (t->bad_alpn) {
        mpx_fmt(msg, n, "The server chose the unknown protocol %s", t->bad_alpn);
        return MPERF_E_SSL_CONNECT_ERROR;
    }
    if (t->x.pin_failed) {
        mpx_fmt(msg, n, "The server's public key does not match the pinned key");
        return MPERF_E_SSL_PINNEDPUBKEYNOTMATCH;
    }
    if (t->x.ee_failed && err == BR_ERR_X509_LIMIT_EXCEEDED) {
        mpx_fmt(msg, n, "Out of memory keeping the server certificate");
        return MPERF_E_OUT_OF_MEMORY;
    }
    if (err >= BR_ERR_SEND_FATAL_ALERT) {
        mpx_fmt(msg, n, "TLS handshake failed: we sent the alert %s (%d)", mpx_tls_alert_name(err - BR_ERR_SEND_FATAL_ALERT),
                 err - BR_ERR_SEND_FATAL_ALERT);
        return MPERF_E_SSL_CONNECT_ERROR;
    }
    if (err >= BR_ERR_RECV_FATAL_ALERT) {
        int a = err - BR_ERR_RECV_FATAL_ALERT;
        mpx_fmt(msg, n, "TLS handshake failed: the server sent the alert %s (%d)%s", mpx_tls_alert_name(a), a,
                 a == 70 ? ": it does not speak TLS 1.2 (a TLS 1.3-only server?)"
                 : a == 40 ? ": no common cipher suite or parameters" : "");
        return MPERF_E_SSL_CONNECT_ERROR;
    }
    switch (err) { /* with OpenSSL's number for it */
    case BR_ERR_X509_NOT_TRUSTED: s = "The certificate chain does not lead to a trusted CA (unknown CA or missing intermediate)";
        v = 20; /* unable to get the local issuer certificate */
        break;
    case BR_ERR_X509_EXPIRED: s = "The server certificate has expired or is not yet valid"; v = 10; break;
    case BR_ERR_X509_BAD_SERVER_NAME: s = t->x.iplen ? "The server certificate does not list this IP address"
                                                     : "The server certificate does not match the host name"; break;
    case BR_ERR_X509_TIME_UNKNOWN: s = "The current time is unknown: certificate dates cannot be checked"; break;
    case BR_ERR_X509_NOT_CA: s = "A certificate in the chain is not allowed to act as a CA"; v = 79; break;
    case BR_ERR_X509_BAD_SIGNATURE: s = "A certificate signature in the chain is invalid"; v = 7; break;
    case BR_ERR_X509_WEAK_PUBLIC_KEY: s = "The server's key is too weak"; v = 66; break;
    case BR_ERR_X509_FORBIDDEN_KEY_USAGE: s = "The server certificate's key usage forbids TLS"; v = 26; break;
    case BR_ERR_X509_CRITICAL_EXTENSION: s = "The server certificate has an unknown critical extension"; v = 34; break;
    case BR_ERR_X509_DN_MISMATCH: s = "The certificate chain is out of order (issuer and subject do not match)"; v = 29; break;
    case BR_ERR_X509_EMPTY_CHAIN: s = "The server sent no certificate"; break;
    case BR_ERR_X509_LIMIT_EXCEEDED: s = "The server certificate chain is too large"; break;
    case BR_ERR_X509_EXTRA_ELEMENT: s = "A server certificate is malformed (bytes after its end)"; break;
    case BR_ERR_X509_BAD_TIME: s = "A server certificate is malformed (a date that is not a date)"; v = 14; break;
    default: s = NULL; break;
    }
    if (s || err >= BR_ERR_X509_OK) {
        if (s) mpx_fmt(msg, n, "%s", s);
        else mpx_fmt(msg, n, "The server certificate could not be verified (BearSSL X.509 error %d)", err);
        *verify = v;
        return MPERF_E_PEER_FAILED_VERIFICATION;
    }
    switch (err) {
    case BR_ERR_OK:
        if (t->sock_err) {
            mpx_fmt(msg, n, "TLS connection failed: %s", mpx_sock_strerror(t->sock_err));
            return MPERF_E_SSL_CONNECT_ERROR;
        }
        mpx_fmt(msg, n, "The connection closed during the TLS handshake");
        return MPERF_E_SSL_CONNECT_ERROR;
    case BR_ERR_UNSUPPORTED_VERSION:
    case BR_ERR_BAD_VERSION: s = "The server does not speak TLS 1.2"; break;
    case BR_ERR_BAD_CIPHER_SUITE: s = "The server chose a cipher suite we did not offer"; break;
    case BR_ERR_TOO_LARGE: s = "A TLS record is larger than the input buffer"; break;
    case BR_ERR_BAD_MAC: s = "A TLS record failed its integrity check"; break;
    case BR_ERR_NO_RANDOM: s = "No entropy source for TLS"; break;
    case BR_ERR_BAD_SIGNATURE: s = "The server's handshake signature is invalid"; break;
    case BR_ERR_WRONG_KEY_USAGE: s = "The server key cannot be used for the chosen cipher suite"; break;
    case BR_ERR_IO: s = "TLS I/O error"; break;
    default: s = NULL; break;
    }
    if (s) mpx_fmt(msg, n, "%s", s);
    else mpx_fmt(msg, n, "TLS error (BearSSL error %d)", err);
    return MPERF_E_SSL_CONNECT_ERROR;
}

#endif /* MPX_TLS */


/* -------------------------------------------------------------------- */
/* >>cookies: the cookie engine: Set-Cookie in, Cookie out, jar files   */
/* -------------------------------------------------------------------- */
#if MPX_COOKIES
/* libcurl's cookie engine, per easy handle, with RFC 6265's rules: started
   by COOKIEFILE (any, "" too), COOKIEJAR or a COOKIELIST line; cookies come
   from Set-Cookie fields, from cookie files (libcurl's Netscape format, or
   Set-Cookie lines) and from COOKIELIST, and go out in the Cookie field of
   requests to the hosts, paths and schemes they belong to. */
#define MPX_COOKIE_TEXT 4096  /* a cookie's name and value together, at most */
#define MPX_COOKIE_SEND 150   /* cookies in one request, at most (libcurl's) */
#define MPX_COOKIE_LINE 8190  /* the Cookie field's value, at most (libcurl's) */

typedef struct mpx_cookie {
    struct mpx_cookie *next;
    int64_t expires;  /* seconds since 1970; 0 for a session cookie */
    uint64_t created; /* creation order (a replaced cookie keeps its own) */
    uint8_t tailmatch, secure, httponly, samesite; /* samesite: 0 none given, 1 Strict, 2 Lax, 3 None */
    char *name, *value, *domain, *path, *spath; /* in the same block, after the struct; path as given
                                                   (printed), spath as matched */
} mpx_cookie;

typedef struct mpx_jar {
    mpx_cookie *list; /* newest first */
    unsigned n;
    uint64_t ct; /* the last creation number */
} mpx_jar;

/* Seconds since 1970 by the program's clock, else the system's. */
static int64_t mpx_wall_time(const mperf_multi *m)
{
#if MPX_TLS
    if (m && m->time_cb) return m->time_cb(m->time_data);
#else
    (void)m;
#endif
    return (int64_t)time(NULL);
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t mpx_days(int64_t y, unsigned mon, unsigned d)
{
    int64_t m = mon > 2 ? (int64_t)mon - 3 : (int64_t)mon + 9; /* months from March */
    int64_t era, yoe, doy, doe;
    y -= mon <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * m + 2) / 5 + (int64_t)d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* A cookie date (RFC 6265 5.1.1): tokens in any order, a time hh:mm:ss,
   a day of 1 or 2 digits, a month's first three letters, a year of 2 to 4
   digits. -1 when it is not one. */
static int64_t mpx_cookie_date(const char *s, size_t n)
{
    static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
    int hms = 0, day = 0, mon = 0, yr = 0;
    unsigned h = 0, mi = 0, sec = 0, dd = 0, mm = 0;
    long y = 0;
    size_t i = 0;
    while (i < n) {
        size_t t, k;
        unsigned digits = 0;
        while (i < n && !(mpx_is_digit(s[i]) || mpx_is_alpha(s[i]) || s[i] == ':')) i++; /* delimiters */
        t = i;
        while (i < n && (mpx_is_digit(s[i]) || mpx_is_alpha(s[i]) || s[i] == ':')) i++;
        if (t == i) break;
        for (k = t; k < i && mpx_is_digit(s[k]); k++) digits++;
        if (!hms && digits >= 1 && digits <= 2 && k < i && s[k] == ':') { /* hh:mm:ss */
            unsigned v[3] = {0, 0, 0}, part = 0, nd = 0;
            for (k = t; k < i && part < 3; k++) {
                if (s[k] == ':') {
                    if (!nd) break;
                    part++;
                    nd = 0;
                } else if (mpx_is_digit(s[k]) && nd < 2) {
                    v[part] = v[part] * 10 + (unsigned)(s[k] - '0');
                    nd++;
                } else {
                    break;
                }
            }
            if (part == 2 && nd) {
                hms = 1;
                h = v[0];
                mi = v[1];
                sec = v[2];
                continue;
            }
        }
        if (!day && digits >= 1 && digits <= 2) {
            day = 1;
            for (dd = 0, k = t; k < t + digits; k++) dd = dd * 10 + (unsigned)(s[k] - '0');
            continue;
        }
        if (!mon && i - t >= 3 && mpx_is_alpha(s[t])) {
            for (k = 0; k < 12; k++)
                if (mpx_ieq_n(s + t, months + 3 * k, 3)) break;
            if (k < 12) {
                mon = 1;
                mm = (unsigned)k + 1;
                continue;
            }
        }
        if (!yr && digits >= 2 && digits <= 4) {
            yr = 1;
            for (y = 0, k = t; k < t + digits; k++) y = y * 10 + (s[k] - '0');
            continue;
        }
    }
    if (!hms || !day || !mon || !yr) return -1;
    if (y >= 70 && y <= 99) y += 1900;
    else if (y <= 69) y += 2000;
    if (dd < 1 || dd > 31 || y < 1601 || h > 23 || mi > 59 || sec > 59) return -1;
    return mpx_days(y, mm, dd) * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 + (int64_t)sec;
}

/* Suffixes under which anyone may register a name: a cookie may not be set
   for them (a short built-in list, not the whole Public Suffix List; a
   name of one label is one too). */
static const char mpx_public_suffixes[] =
    "co.uk\0org.uk\0ac.uk\0gov.uk\0ltd.uk\0plc.uk\0me.uk\0net.uk\0co.jp\0ne.jp\0or.jp\0ac.jp\0go.jp\0"
    "com.au\0net.au\0org.au\0edu.au\0gov.au\0co.nz\0org.nz\0net.nz\0com.br\0net.br\0org.br\0com.cn\0net.cn\0"
    "org.cn\0gov.cn\0co.in\0net.in\0org.in\0co.kr\0or.kr\0com.mx\0com.tr\0co.za\0com.sg\0com.hk\0com.tw\0"
    "co.il\0com.ar\0com.ua\0com.pl\0github.io\0gitlab.io\0blogspot.com\0herokuapp.com\0appspot.com\0"
    "cloudfront.net\0azurewebsites.net\0netlify.app\0vercel.app\0pages.dev\0workers.dev\0s3.amazonaws.com\0";

static int mpx_public_suffix(const char *d, size_t n)
{
    const char *p;
    if (!memchr(d, '.', n)) return 1;
    for (p = mpx_public_suffixes; *p; p += strlen(p) + 1)
        if (strlen(p) == n && mpx_ncaseeq(p, d, n)) return 1;
    return 0;
}

/* d (n bytes) is host or a domain above it: "example.com" for
   "www.example.com" (RFC 6265 5.1.3). */
static int mpx_domain_match(const char *d, size_t n, const char *host, size_t hn)
{
    return n <= hn && mpx_ncaseeq(d, host + hn - n, n) && (n == hn || host[hn - n - 1] == '.');
}

static int mpx_is_ip(const char *host)
{
    mpx_addr a[2];
    return mpx_resolve_static(host, a) == 1 && !MPX_IEQ(host, strlen(host), "localhost");
}

/* The path as a cookie is matched by it: quotes off, a trailing slash off
   (as libcurl keeps its "spath"). */
static size_t mpx_cookie_spath(const char *p, size_t n, char *out)
{
    if (n >= 2 && p[0] == '"' && p[n - 1] == '"') {
        p++;
        n -= 2;
    }
    if (!n || p[0] != '/') {
        out[0] = '/';
        out[1] = 0;
        return 1;
    }
    if (p[n - 1] == '/') n--;
    memcpy(out, p, n);
    out[n] = 0;
    return n;
}

/* The request path path (n bytes, a query after it maybe) matches a
   cookie's spath (RFC 6265 5.1.4, as libcurl checks it). */
static int mpx_path_match(const char *spath, const char *path, size_t n)
{
    size_t sl = strlen(spath);
    const char *q = (const char *)memchr(path, '?', n);
    if (q) n = (size_t)(q - path);
    if (!n || path[0] != '/') {
        path = "/";
        n = 1;
    }
    if (sl <= 1) return 1;
    return n >= sl && memcmp(spath, path, sl) == 0 && (n == sl || path[sl] == '/');
}

static void mpx_cookie_unlink(const mperf_allocator *al, mpx_jar *j, mpx_cookie **at)
{
    mpx_cookie *c = *at;
    *at = c->next;
    j->n--;
    mpx_free(al, c);
}

/* Adds a cookie: the fields given, copied into one block. A cookie of the
   same name, domain and path goes (its creation order kept, RFC 6265 5.3);
   an expired one only removes; past MPERF_MAX_COOKIES the oldest goes.
   0 when out of memory. */
static int mpx_cookie_put(const mperf_allocator *al, mpx_jar *j, const mpx_cookie *f, int64_t now)
{
    mpx_cookie **at, *c;
    const char *from[5];
    char **to[5];
    size_t len[5], total = 0, k, dl = strlen(f->domain);
    uint64_t created = ++j->ct;
    char *p;
    for (at = &j->list; *at; at = &(*at)->next) {
        c = *at;
        if (strcmp(c->name, f->name) == 0 && strlen(c->domain) == dl && mpx_ncaseeq(c->domain, f->domain, dl) &&
            strcmp(c->spath, f->spath) == 0) {
            created = c->created;
            mpx_cookie_unlink(al, j, at);
            break;
        }
    }
    if (f->expires && f->expires <= now) return 1; /* expired: gone */
    from[0] = f->name;
    from[1] = f->value;
    from[2] = f->domain;
    from[3] = f->path;
    from[4] = f->spath;
    for (k = 0; k < 5; k++) total += (len[k] = strlen(from[k]) + 1);
    c = (mpx_cookie *)mpx_alloc(al, sizeof *c + total);
    if (!c) return 0;
    *c = *f;
    c->created = created;
    to[0] = &c->name;
    to[1] = &c->value;
    to[2] = &c->domain;
    to[3] = &c->path;
    to[4] = &c->spath;
    for (p = (char *)(c + 1), k = 0; k < 5; p += len[k], k++) { /* the strings after the struct, each with its NUL */
        *to[k] = p;
        memcpy(p, from[k], len[k]);
    }
    c->next = j->list;
    j->list = c;
    if (++j->n > MPERF_MAX_COOKIES) { /* the oldest goes */
        mpx_cookie **oldest = &j->list;
        for (at = &j->list; *at; at = &(*at)->next)
            if ((*at)->created < (*oldest)->created) oldest = at;
        mpx_cookie_unlink(al, j, oldest);
    }
    return 1;
}

/* A Set-Cookie value (s, n bytes) from host (NULL: from a file or
   COOKIELIST, no origin) for request path path, secure telling whether the
   origin is https or this machine (localhost and loopback addresses, as
   libcurl counts them). Returns 0 when out of memory (a cookie refused is
   not an error). */
static int mpx_cookie_header(const mperf_allocator *al, mpx_jar *j, const char *s, size_t n, const char *host,
                             const char *path, size_t pathlen, int secure, int64_t now)
{
    char name[MPX_COOKIE_TEXT + 1], value[MPX_COOKIE_TEXT + 1], domain[256], cpath[1024], spath[1024];
    size_t i = 0, k, ns, nl, vl;
    int64_t expires = 0, maxage = -1;
    int maxage_given = 0, path_given = 0;
    mpx_cookie f;
    memset(&f, 0, sizeof f);
    domain[0] = 0;
    cpath[0] = 0;
    for (k = 0; k < n; k++) /* control bytes anywhere (but tab): refused, as libcurl does */
        if (((unsigned char)s[k] < 0x20 && s[k] != '\t') || s[k] == 0x7f) return 1;
    /* name=value */
    while (i < n && (s[i] == ' ' || s[i] == '\t')) i++;
    for (k = i; k < n && s[k] != ';' && s[k] != '='; k++) {}
    if (k >= n || s[k] != '=') return 1; /* no '=': ignored */
    ns = i;
    nl = k;
    while (nl > ns && (s[nl - 1] == ' ' || s[nl - 1] == '\t')) nl--;
    if (nl == ns) return 1;
    for (i = k + 1; i < n && (s[i] == ' ' || s[i] == '\t'); i++) {}
    for (k = i; k < n && s[k] != ';'; k++) {}
    vl = k;
    while (vl > i && (s[vl - 1] == ' ' || s[vl - 1] == '\t')) vl--;
    if ((nl - ns) + (vl - i) > MPX_COOKIE_TEXT) return 1; /* too big */
    memcpy(name, s + ns, nl - ns);
    name[nl - ns] = 0;
    memcpy(value, s + i, vl - i);
    value[vl - i] = 0;
    /* attributes */
    for (i = k; i < n;) {
        size_t an, ae, vs, ve;
        i++; /* the ';' */
        while (i < n && (s[i] == ' ' || s[i] == '\t')) i++;
        for (an = i; i < n && s[i] != ';' && s[i] != '='; i++) {}
        ae = i;
        while (ae > an && (s[ae - 1] == ' ' || s[ae - 1] == '\t')) ae--;
        vs = ve = i;
        if (i < n && s[i] == '=') {
            for (vs = i + 1; vs < n && (s[vs] == ' ' || s[vs] == '\t'); vs++) {}
            for (i = vs; i < n && s[i] != ';'; i++) {}
            ve = i;
            while (ve > vs && (s[ve - 1] == ' ' || s[ve - 1] == '\t')) ve--;
        }
        if (MPX_IEQ(s + an, ae - an, "secure")) f.secure = 1;
        else if (MPX_IEQ(s + an, ae - an, "httponly")) f.httponly = 1;
        else if (MPX_IEQ(s + an, ae - an, "samesite"))
            f.samesite = MPX_IEQ(s + vs, ve - vs, "strict") ? 1 : MPX_IEQ(s + vs, ve - vs, "lax") ? 2
                         : MPX_IEQ(s + vs, ve - vs, "none")                                    ? 3
                                                                                               : 0;
        else if (MPX_IEQ(s + an, ae - an, "max-age") && ve > vs) { /* seconds from now; it wins over Expires */
            const char *d = s + vs;
            int neg = *d == '-';
            int64_t v = 0;
            for (d += neg; d < s + ve && mpx_is_digit(*d); d++) v = v < INT64_MAX / 10 - 9 ? v * 10 + (*d - '0') : v;
            if (d == s + ve && d > s + vs + neg) {
                maxage = neg ? 0 : v;
                maxage_given = 1;
            }
        } else if (MPX_IEQ(s + an, ae - an, "expires") && ve > vs) {
            int64_t t = mpx_cookie_date(s + vs, ve - vs);
            if (t >= 0) expires = t ? t : 1;
        } else if (MPX_IEQ(s + an, ae - an, "domain") && ve > vs) {
            if (s[vs] == '.') vs++;
            if (ve - vs >= sizeof domain) return 1;
            memcpy(domain, s + vs, ve - vs);
            domain[ve - vs] = 0;
        } else if (MPX_IEQ(s + an, ae - an, "path")) {
            path_given = 1;
            if (ve - vs >= sizeof cpath) return 1;
            memcpy(cpath, s + vs, ve - vs);
            cpath[ve - vs] = 0;
        }
    }
    if (maxage_given) expires = maxage == 0 ? 1 : (maxage > INT64_MAX - now ? INT64_MAX : now + maxage);
    f.expires = expires;
    /* the domain: given, it must be the host or above it, and not a public suffix; else the host only */
    if (domain[0]) {
        size_t dl = strlen(domain);
        if (host) {
            size_t hn = strlen(host);
            int ip = mpx_is_ip(host);
            if (ip ? !(dl == hn && mpx_ncaseeq(domain, host, hn)) : !mpx_domain_match(domain, dl, host, hn)) return 1;
            if (!ip && mpx_public_suffix(domain, dl) && !(dl == hn)) return 1;
            f.tailmatch = (uint8_t)!ip;
        } else {
            f.tailmatch = (uint8_t)!mpx_is_ip(domain);
        }
    } else if (host) {
        if (strlen(host) >= sizeof domain) return 1;
        memcpy(domain, host, strlen(host) + 1);
    } else {
        return 1; /* no origin and no Domain: belongs nowhere */
    }
    for (k = 0; domain[k]; k++) domain[k] = (char)mpx_lower((unsigned char)domain[k]);
    /* the path: given (kept as it is, matched without quotes or a trailing slash, as libcurl), else the
       request's directory with its slash */
    if (!path_given) {
        const char *q = path ? (const char *)memchr(path, '?', pathlen) : NULL;
        size_t pl = q ? (size_t)(q - path) : path ? pathlen : 0, slash = pl;
        while (slash && path[slash - 1] != '/') slash--;
        if (!slash || slash >= sizeof cpath) {
            cpath[0] = '/';
            cpath[1] = 0;
        } else {
            memcpy(cpath, path, slash); /* with its slash, as libcurl keeps it */
            cpath[slash] = 0;
        }
    }
    mpx_cookie_spath(cpath, strlen(cpath), spath);
    /* Secure, and the __Secure- and __Host- prefixes, need a secure origin */
    if (f.secure && host && !secure) return 1;
    if (mpx_ncaseeq(name, "__Secure-", 9) && (!f.secure || (host && !secure))) return 1;
    if (mpx_ncaseeq(name, "__Host-", 7) && (!f.secure || (host && !secure) || f.tailmatch || strcmp(cpath, "/") != 0))
        return 1;
    if (host && !secure) { /* an insecure origin does not replace a secure cookie (RFC 6265bis 5.7) */
        const mpx_cookie *c;
        for (c = j->list; c; c = c->next)
            if (c->secure && strcmp(c->name, name) == 0 &&
                (mpx_domain_match(c->domain, strlen(c->domain), domain, strlen(domain)) ||
                 mpx_domain_match(domain, strlen(domain), c->domain, strlen(c->domain))) &&
                mpx_path_match(c->spath, spath, strlen(spath)))
                return 1;
    }
    f.name = name;
    f.value = value;
    f.domain = domain;
    f.path = cpath;
    f.spath = spath;
    return mpx_cookie_put(al, j, &f, now);
}

/* A line of libcurl's Netscape cookie format: domain, tailmatch, path,
   secure, expires, name, value, tab-separated ("#HttpOnly_" before the
   domain for an HttpOnly cookie). 0 when out of memory. */
static int mpx_cookie_netscape(const mperf_allocator *al, mpx_jar *j, const char *s, int64_t now)
{
    const char *fld[7];
    size_t len[7], k = 0;
    char buf[4 * MPX_COOKIE_TEXT], spath[1024];
    char *p;
    mpx_cookie f;
    memset(&f, 0, sizeof f);
    if (mpx_ncaseeq(s, "#HttpOnly_", 10)) {
        f.httponly = 1;
        s += 10;
    }
    if (*s == '#' || strlen(s) >= sizeof buf) return 1;
    memcpy(buf, s, strlen(s) + 1);
    for (p = buf; k < 7; k++) {
        fld[k] = p;
        p += strcspn(p, "\t\r\n");
        len[k] = (size_t)(p - fld[k]);
        if (*p != '\t') {
            *p = 0;
            k++;
            break;
        }
        *p++ = 0;
    }
    if (k == 6) { /* no value field: an empty value */
        fld[6] = "";
        len[6] = 0;
        k = 7;
    }
    if (k != 7 || !len[0] || !len[5] || len[5] + len[6] > MPX_COOKIE_TEXT || len[2] >= sizeof spath) return 1;
    if (fld[0][0] == '.') fld[0]++;
    for (p = (char *)(uintptr_t)fld[0]; *p; p++) *p = (char)mpx_lower((unsigned char)*p);
    f.tailmatch = MPX_IEQ(fld[1], len[1], "true");
    f.secure = MPX_IEQ(fld[3], len[3], "true");
    {
        const char *d = fld[4];
        int64_t v = 0;
        for (; mpx_is_digit(*d); d++)
            if (v < INT64_MAX / 10 - 9) v = v * 10 + (*d - '0'); /* (a bigger one stays at the most) */
        f.expires = v;
    }
    f.domain = (char *)(uintptr_t)fld[0];
    f.path = (char *)(uintptr_t)fld[2];
    mpx_cookie_spath(fld[2], len[2], spath);
    f.spath = spath;
    f.name = (char *)(uintptr_t)fld[5];
    f.value = (char *)(uintptr_t)fld[6];
    return mpx_cookie_put(al, j, &f, now);
}

/* A COOKIELIST or cookie file line: "Set-Cookie: ..." or Netscape format. */
static int mpx_cookie_line(const mperf_allocator *al, mpx_jar *j, const char *s, int64_t now)
{
    if (mpx_ncaseeq(s, "Set-Cookie:", 11))
        return mpx_cookie_header(al, j, s + 11, strlen(s + 11), NULL, NULL, 0, 1, now);
    return mpx_cookie_netscape(al, j, s, now);
}

/* Reads a cookie file (a blocking read of a local file, like the CA bundle;
   "-" is stdin, as in libcurl); a file that cannot be read adds nothing. */
static int mpx_cookie_load(const mperf_allocator *al, mpx_jar *j, const char *path, int session_too, int64_t now)
{
#if MPX_STDIO
    char line[4 * MPX_COOKIE_TEXT + 64];
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    int ok = 1;
    if (!f) return 1;
    while (ok && fgets(line, sizeof line, f)) {
        size_t n = strcspn(line, "\r\n");
        unsigned before = j->n;
        mpx_cookie *c;
        line[n] = 0;
        ok = mpx_cookie_line(al, j, line, now);
        if (!session_too && j->n > before && (c = j->list) != NULL && !c->expires) { /* COOKIESESSION: none of those */
            mpx_cookie **at = &j->list;
            mpx_cookie_unlink(al, j, at);
        }
    }
    if (f != stdin) fclose(f);
    return ok;
#else /* MPERF_NO_STDIO: COOKIEFILE takes no file */
    (void)al, (void)j, (void)path, (void)session_too, (void)now;
    return 1;
#endif
}

/* A cookie as a line of libcurl's Netscape format, into out (NUL-ended). */
static size_t mpx_cookie_format(const mpx_cookie *c, char *out, size_t cap)
{
    int r = mpx_fmt(out, cap, "%s%s%s\t%s\t%s\t%s\t%lld\t%s\t%s", c->httponly ? "#HttpOnly_" : "",
                     c->tailmatch && c->domain[0] != '.' ? "." : "", c->domain, c->tailmatch ? "TRUE" : "FALSE",
                     c->path, c->secure ? "TRUE" : "FALSE", (long long)c->expires, c->name, c->value);
    return r < 0 ? 0 : (size_t)r >= cap ? cap - 1 : (size_t)r;
}

/* The cookies newest first (libcurl's order in the jar), alive at now; *n
   of them. NULL (with *n 0) when there are none or no memory. */
static mpx_cookie **mpx_cookie_sorted(const mperf_allocator *al, const mpx_jar *j, int64_t now, size_t *n)
{
    mpx_cookie **a, *c;
    size_t k = 0, x, y;
    *n = 0;
    if (!j || !j->n || !(a = (mpx_cookie **)mpx_alloc(al, j->n * sizeof *a))) return NULL;
    for (c = j->list; c; c = c->next)
        if (!c->expires || c->expires > now) a[k++] = c;
    for (x = 1; x < k; x++) /* insertion sort: the list is nearly in order already */
        for (y = x; y > 0 && a[y - 1]->created < a[y]->created; y--) {
            mpx_cookie *t = a[y];
            a[y] = a[y - 1];
            a[y - 1] = t;
        }
    *n = k;
    return a;
}

/* Writes the cookies to path in libcurl's format (COOKIEJAR at cleanup,
   COOKIELIST "FLUSH"): its three comment lines, then a cookie a line.
   "-" is stdout. 0 when the file cannot be written. */
static int mpx_cookie_save(const mperf_allocator *al, const mpx_jar *j, const char *path, int64_t now)
{
#if MPX_STDIO
    size_t n, i;
    mpx_cookie **a = mpx_cookie_sorted(al, j, now, &n);
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    char line[4 * MPX_COOKIE_TEXT + 64];
    if (!f) {
        mpx_free(al, a);
        return 0;
    }
    fputs("# Netscape HTTP Cookie File\n# https://curl.se/docs/http-cookies.html\n"
          "# This file was generated by libcurl! Edit at your own risk.\n\n",
          f);
    for (i = 0; i < n; i++) {
        mpx_cookie_format(a[i], line, sizeof line);
        fputs(line, f);
        fputc('\n', f);
    }
    mpx_free(al, a);
    return f == stdout ? fflush(f) == 0 : fclose(f) == 0;
#else /* MPERF_NO_STDIO: COOKIEJAR is not built in */
    (void)al, (void)j, (void)path, (void)now;
    return 0;
#endif
}

/* The Cookie field for a request to host and path: the cookies that
   belong to them, longest path first, then longest domain, longest name,
   newest (libcurl's order), at most MPX_COOKIE_SEND of them and
   MPX_COOKIE_LINE bytes; then COOKIE's own text. Appends "Cookie: ...\r\n"
   to b when there is anything to send. */
static void mpx_cookie_field(const mperf_allocator *al, const mpx_jar *j, const char *host, const char *path,
                             size_t pathlen, int secure, const char *extra, int64_t now, mpx_buf *b)
{
    mpx_cookie *pick[MPX_COOKIE_SEND], *c;
    size_t n = 0, x, y, line = 0, hn = host ? strlen(host) : 0;
    for (c = j ? j->list : NULL; c && n < MPX_COOKIE_SEND; c = c->next) {
        size_t dl = strlen(c->domain);
        if (c->expires && c->expires <= now) continue;
        if (c->secure && !secure) continue;
        if (c->tailmatch ? !mpx_domain_match(c->domain, dl, host, hn) : !(dl == hn && mpx_ncaseeq(c->domain, host, hn)))
            continue;
        if (!mpx_path_match(c->spath, path, pathlen)) continue;
        pick[n++] = c;
    }
    for (x = 1; x < n; x++)
        for (y = x; y > 0; y--) {
            mpx_cookie *p = pick[y - 1], *q = pick[y];
            size_t pa = strlen(p->spath), qa = strlen(q->spath), pd = strlen(p->domain), qd = strlen(q->domain),
                   pn = strlen(p->name), qn = strlen(q->name);
            if (pa > qa || (pa == qa && (pd > qd || (pd == qd && (pn > qn || (pn == qn && p->created > q->created))))))
                break;
            pick[y - 1] = q;
            pick[y] = p;
        }
    for (x = 0; x < n; x++) {
        size_t add = strlen(pick[x]->name) + 1 + strlen(pick[x]->value) + (line ? 2 : 0);
        if (line + add > MPX_COOKIE_LINE) break;
        mpx_buf_adds(al, b, line ? "; " : "Cookie: ");
        mpx_buf_adds(al, b, pick[x]->name);
        mpx_buf_add(al, b, "=", 1);
        mpx_buf_adds(al, b, pick[x]->value);
        line += add;
    }
    if (extra && *extra) {
        mpx_buf_adds(al, b, line ? "; " : "Cookie: ");
        mpx_buf_adds(al, b, extra);
        line = 1;
    }
    if (line) mpx_buf_add(al, b, "\r\n", 2);
}

/* ---- shares: cookies several handles use ---- */
/* The shared cookies are in use by e: the program's lock around it. */
static void mpx_share_lock(mperf_easy *e)
{
    if (e->share && e->share->cookies && e->share->lock)
        e->share->lock(e, MPERF_LOCK_DATA_COOKIE, MPERF_LOCK_ACCESS_SINGLE, e->share->data);
}

static void mpx_share_unlock(mperf_easy *e)
{
    if (e->share && e->share->cookies && e->share->unlock) e->share->unlock(e, MPERF_LOCK_DATA_COOKIE, e->share->data);
}

/* The allocator of e's cookies: its own, or its share's. */
static const mperf_allocator *mpx_jar_al(const mperf_easy *e)
{
    return e->share && e->jar && e->jar == e->share->jar ? &e->share->al : &e->al;
}

/* ---- a handle's engine ---- */
/* The cookie engine of e, started if it was not. 0 when out of memory. */
static int mpx_cookie_engine(mperf_easy *e)
{
    int shared = e->share && e->share->cookies;
    mpx_jar **j = shared ? &e->share->jar : &e->jar;
    if (!*j && (*j = (mpx_jar *)mpx_calloc(shared ? &e->share->al : &e->al, sizeof **j)) == NULL) return 0;
    e->jar = *j;
    e->cookies_on = 1;
    return 1;
}

/* SHARE: the cookies of sh (NULL: its own again, none). */
static mperf_code mpx_cookie_share(mperf_easy *e, mperf_share *sh)
{
    if (sh && sh->magic != MPX_MAGIC_SHARE) return MPERF_E_BAD_FUNCTION_ARGUMENT;
    if (e->share) { /* leaving one: its cookies stay with it */
        if (e->share->cookies && e->jar == e->share->jar) e->jar = NULL;
        e->share->users--;
        e->share = NULL;
    }
    if (!sh) return MPERF_E_OK;
    e->share = sh;
    sh->users++;
    if (sh->cookies) { /* the handle's own cookies go: the share's are used (while the engine is on) */
        if (e->jar) {
            while (e->jar->list) mpx_cookie_unlink(&e->al, e->jar, &e->jar->list);
            mpx_free(&e->al, e->jar);
        }
        e->jar = sh->jar;
        if (e->cookies_on && !mpx_cookie_engine(e)) return MPERF_E_OUT_OF_MEMORY;
    }
    return MPERF_E_OK;
}

/* Reads the COOKIEFILE files not read yet (when a transfer starts, as
   libcurl does); COOKIESESSION leaves their session cookies out. */
static int mpx_cookie_start(mperf_easy *e, int64_t now)
{
    size_t at;
    if (!e->cfiles_new || !e->jar) return 1;
    e->cfiles_new = 0;
    for (at = 0; at < e->cfiles.len; at += strlen(e->cfiles.p + at) + 1)
        if (!mpx_cookie_load(mpx_jar_al(e), e->jar, e->cfiles.p + at, !e->o.cookiesession, now)) return 0;
    return 1;
}

/* Writes COOKIEJAR, when set: the COOKIEFILE files read again first, as
   libcurl does before it writes. 0 when out of memory. */
static int mpx_cookie_flush(mperf_easy *e, int64_t now)
{
    if (!e->jar || !e->o.cookiejar) return 1;
    e->cfiles_new = 1;
    if (!mpx_cookie_start(e, now)) return 0;
    (void)mpx_cookie_save(&e->al, e->jar, e->o.cookiejar, now);
    return 1;
}

/* COOKIELIST: "ALL" forgets every cookie, "SESS" the session ones, "FLUSH"
   writes the jar, "RELOAD" reads the files again; anything else is a
   cookie line ("Set-Cookie: ..." or the jar's format). */
static mperf_code mpx_cookie_list(mperf_easy *e, const char *s)
{
    int64_t now = mpx_wall_time(e->multi);
    mpx_cookie **at;
    if (!s) return MPERF_E_OK;
    if (MPX_IEQ(s, strlen(s), "all") || MPX_IEQ(s, strlen(s), "sess")) {
        int all = MPX_IEQ(s, strlen(s), "all");
        for (at = e->jar ? &e->jar->list : NULL; at && *at;)
            if (all || !(*at)->expires) mpx_cookie_unlink(mpx_jar_al(e), e->jar, at);
            else at = &(*at)->next;
        return MPERF_E_OK;
    }
    if (MPX_IEQ(s, strlen(s), "flush")) return mpx_cookie_flush(e, now) ? MPERF_E_OK : MPERF_E_OUT_OF_MEMORY;
    if (MPX_IEQ(s, strlen(s), "reload")) {
        e->cfiles_new = 1;
        return mpx_cookie_start(e, now) ? MPERF_E_OK : MPERF_E_OUT_OF_MEMORY;
    }
    if (strlen(s) > 8 * MPX_COOKIE_TEXT) return MPERF_E_BAD_FUNCTION_ARGUMENT;
    if (!mpx_cookie_engine(e) || !mpx_cookie_line(mpx_jar_al(e), e->jar, s, now)) return MPERF_E_OUT_OF_MEMORY;
    return MPERF_E_OK;
}

/* The handle goes: its jar written (COOKIEJAR), its cookies freed. */
static void mpx_cookie_free(mperf_easy *e)
{
    if (e->jar) {
        mpx_share_lock(e);
        (void)mpx_cookie_flush(e, mpx_wall_time(NULL));
        mpx_share_unlock(e);
        if (!(e->share && e->jar == e->share->jar)) {
            while (e->jar->list) mpx_cookie_unlink(&e->al, e->jar, &e->jar->list);
            mpx_free(&e->al, e->jar);
        }
        e->jar = NULL;
    }
    (void)mpx_cookie_share(e, NULL);
    mpx_free(&e->al, e->cfiles.p);
    e->cfiles.p = NULL;
    e->cfiles.len = e->cfiles.cap = 0;
}

/* The origin counts as secure for cookies: https, or this machine
   (localhost and the loopback addresses, as libcurl counts them). */
static int mpx_cookie_secure(const mperf_easy *e)
{
    const mpx_url *u = &e->x.u;
    return u->https || MPX_IEQ(u->host, u->hostlen, "localhost") ||
           (u->hostlen == 9 && memcmp(u->host, "127.0.0.1", 9) == 0) || (u->hostlen == 3 && memcmp(u->host, "::1", 3) == 0);
}

/* A Set-Cookie field of a response to this hop. 0 when out of memory. */
static int mpx_cookie_set(mperf_easy *e, const char *v, size_t n)
{
    char host[256];
    int r;
    memcpy(host, e->x.u.host, e->x.u.hostlen);
    host[e->x.u.hostlen] = 0;
    mpx_share_lock(e);
    r = mpx_cookie_header(mpx_jar_al(e), e->jar, v, n, host, e->x.u.path, e->x.u.pathlen, mpx_cookie_secure(e),
                          mpx_wall_time(e->multi));
    mpx_share_unlock(e);
    return r;
}
#endif

/* -------------------------------------------------------------------- */
/* >>request: a transfer begins; its request head and body go out       */
/* -------------------------------------------------------------------- */
/* libcurl sends Expect: 100-continue with every PUT body, and with other
   bodies above this or of unknown size */
#define MPX_EXPECT_THRESHOLD (1024 * 1024)

/* The value of a user-supplied header: NULL if the list does not name it,
   "" when it only removes it ("Name:") or sends it empty ("Name;"). */
static const char *mpx_user_header(const mperf_slist *l, const char *name)
{
    size_t n = strlen(name);
    for (; l; l = l->next) {
        const char *s = l->data;
        if (s && mpx_ncaseeq(s, name, n) && (s[n] == ':' || s[n] == ';')) {
            s += n + 1;
            while (*s == ' ' || *s == '\t') s++;
            return s;
        }
    }
    return NULL;
}

static int mpx_is_token(const char *s)
{
    return *s && mpx_all_token(s, strlen(s));
}

/* The response parser, ready for this request's answer. */
static void mpx_xfer_parser_reset(mperf_easy *e)
{
    mpx_parser_init(&e->x.p, e->x.req == MPX_REQ_HEAD || MPX_IEQ(e->x.method, strlen(e->x.method), "head"),
                    (size_t)(e->o.buffersize > 0 ? e->o.buffersize : MPERF_MAX_WRITE_SIZE));
}

/* Points the transfer at url: its first request, or the next redirect hop.
   It works on its own copy, the effective URL (scheme always, "/" for an
   empty path, the fragment kept), so setopt(URL) during the transfer is
   harmless. */
static mperf_code mpx_xfer_hop(mperf_multi *m, mperf_easy *e, const char *url, const char **why)
{
    mpx_url u;
    mperf_code rc = mpx_url_parse(url, &u, why);
    const char *pre;
    size_t at, add, need, plen, frag;
    char *eff;
    uint8_t allowed;
    if (rc != MPERF_E_OK) return rc;
    if (!u.has_scheme && e->o.default_protocol) { /* DEFAULT_PROTOCOL, for a URL without a scheme */
        const char *dp = e->o.default_protocol;
        if (mpx_ncaseeq(dp, "https", 6)) u.https = 1; /* (the NUL too) */
        else if (!mpx_ncaseeq(dp, "http", 5)) {
            *why = MPX_TXT("DEFAULT_PROTOCOL names a protocol that is not supported");
            return MPERF_E_UNSUPPORTED_PROTOCOL;
        }
    }
    allowed = e->x.redirect_count ? e->o.redir_protocols : e->o.protocols;
    if (!(allowed & (u.https ? MPX_PROTO_HTTPS : MPX_PROTO_HTTP))) {
        *why = MPX_TXT("Protocol not allowed by the protocol options");
        return MPERF_E_UNSUPPORTED_PROTOCOL;
    }
#if !MPX_TLS
    if (u.https) {
        *why = MPX_TXT("https:// is not built in (MPERF_NO_TLS)");
        return MPERF_E_UNSUPPORTED_PROTOCOL;
    }
#endif
    pre = u.has_scheme ? "" : u.https ? "https://" : "http://";
    plen = strlen(pre);
    at = (size_t)(u.path - url);
    add = (u.pathlen == 0 || u.path[0] != '/') ? 1 : 0;
    frag = strlen(u.path + u.pathlen);
    need = plen + at + add + u.pathlen + frag + 1;
    if (need > e->effective_cap) {
        char *nb = (char *)mpx_alloc(&e->al, need);
        if (!nb) {
            *why = MPX_TXT("Out of memory");
            return MPERF_E_OUT_OF_MEMORY;
        }
        mpx_free(&e->al, e->effective_url);
        e->effective_url = nb;
        e->effective_cap = need;
    }
    eff = e->effective_url;
    memcpy(eff, pre, plen);
    memcpy(eff + plen, url, at);
    if (add) eff[plen + at] = '/';
    memcpy(eff + plen + at + add, u.path, u.pathlen + frag);
    eff[need - 1] = 0;
    (void)mpx_url_parse(eff, &e->x.u, why); /* views into our copy */
    if (e->o.port > 0) e->x.u.port = (uint16_t)e->o.port;
    if ((rc = mpx_route(e, why)) != MPERF_E_OK) return rc;
#if MPX_TLS
    e->x.policy = e->x.u.https ? mpx_tls_policy(e) : 0;
#endif
    if (e->redirect_url) e->redirect_url[0] = 0;
    e->x.naddr = e->x.addr_idx = 0;
    e->x.req_sent = e->x.got_bytes = e->x.retries = e->x.fresh = e->x.following = 0;
    e->x.body_sent = 0;
    e->x.body_eof = e->x.body_touched = 0;
    mpx_body_set(m, e, MPX_B_NONE);
    e->x.send_err = 0;
    e->x.drained = 0;
    e->x.content_length = -1;
    e->x.deadline_phase = e->x.deadline_connect =
        m->now + (int64_t)(e->o.connect_timeout_ms > 0 ? e->o.connect_timeout_ms : MPERF_CONNECT_TIMEOUT_MS) * 1000;
    mpx_xfer_parser_reset(e);
    if (!mpx_xfer_set(m, e, MPX_S_CONNECT)) {
        *why = MPX_TXT("Out of memory");
        return MPERF_E_OUT_OF_MEMORY;
    }
    return MPERF_E_OK;
}

/* The first request: method and body from the options, then the URL. */
static mperf_code mpx_xfer_begin(mperf_multi *m, mperf_easy *e, const char **why)
{
    const mpx_opts *o = &e->o;
    const char *method, *te, *expect;
    size_t i;
    e->x.t_start = m->now;
    if (!o->url) {
        *why = MPX_TXT("No URL set");
        return MPERF_E_URL_MALFORMAT;
    }
    for (i = 0; i < MPX_NGUARDED; i++)
        if (o->refused[i]) { /* with setopt's code for the first such option */
            *why = MPX_TXT("A routing, proxy, TLS or authentication option set on this handle cannot be honoured "
                           "here: the transfer does not start rather than go elsewhere or less protected");
            return (mperf_code)o->refused[i];
        }
#if !MPX_STDIO
    if ((o->write_data && !o->write_cb) || (o->header_data && !o->header_cb && !o->write_cb) ||
        (MPX_UPLOADS && o->read_data && !o->read_cb)) {
        *why = MPX_TXT("WRITEDATA, HEADERDATA or READDATA without its callback would be a FILE *, and this build "
                       "has no stdio (MPERF_NO_STDIO)");
        return MPERF_E_NOT_BUILT_IN;
    }
#endif
#if MPX_TPORT && MPX_ROUTING
    if (m->tport.t && (o->unix_path || o->iface || o->localport || o->opensocket_cb || o->sockopt_cb || o->closesocket_cb)) {
        *why = MPX_TXT("UNIX_SOCKET_PATH, INTERFACE, LOCALPORT and the socket callbacks need the system's sockets, "
                       "not the program's transport (MPERF_MOPT_TRANSPORT)");
        return MPERF_E_NOT_BUILT_IN;
    }
#endif
    if ((o->useragent && mpx_has_crlf(o->useragent)) || (o->referer && mpx_has_crlf(o->referer)) ||
        (o->range && mpx_has_crlf(o->range)) || (o->userpwd && mpx_has_crlf(o->userpwd)) ||
        (o->username && mpx_has_crlf(o->username)) || (o->password && mpx_has_crlf(o->password))
#if MPX_DECODE
        || (o->accept_encoding && mpx_has_crlf(o->accept_encoding))
#endif
#if MPX_COOKIES
        || (o->cookie && mpx_has_crlf(o->cookie))
#endif
    ) {
        *why = MPX_TXT("An option value for a request header contains CR or LF");
        return MPERF_E_BAD_FUNCTION_ARGUMENT;
    }
    if (o->request_target && (!o->request_target[0] || mpx_any_of(o->request_target, MPX_C_TRIM))) {
        *why = MPX_TXT("REQUEST_TARGET is empty or holds a blank, CR or LF");
        return MPERF_E_BAD_FUNCTION_ARGUMENT;
    }
    e->x.req = o->httpreq;
    e->x.body_kind = MPX_BODY_NONE;
    e->x.body_mem = NULL;
    e->x.body_len = -1;
    if (!MPX_UPLOADS) {
    } else if (e->x.req == MPX_REQ_POST && o->postfields) {
        e->x.body_kind = MPX_BODY_MEM;
        e->x.body_mem = o->postfields;
        e->x.body_len = o->postfieldsize >= 0 ? o->postfieldsize : (mperf_off_t)strlen(o->postfields);
    } else if (e->x.req == MPX_REQ_POST || e->x.req == MPX_REQ_PUT) {
        e->x.body_kind = MPX_BODY_READ;
        e->x.body_len = e->x.req == MPX_REQ_POST && o->postfieldsize >= 0 ? o->postfieldsize : o->infilesize;
    }
    method = o->customrequest ? o->customrequest
             : e->x.req == MPX_REQ_HEAD ? "HEAD"
             : e->x.req == MPX_REQ_POST ? "POST"
             : e->x.req == MPX_REQ_PUT  ? "PUT"
                                      : "GET";
    if (!mpx_is_token(method) || strlen(method) >= sizeof e->x.method) {
        *why = MPX_TXT("Request method is not a valid token");
        return MPERF_E_BAD_FUNCTION_ARGUMENT;
    }
    memcpy(e->x.method, method, strlen(method) + 1);
    te = MPX_UPLOADS ? mpx_user_header(o->headers, "transfer-encoding") : NULL;
    e->x.body_chunked =
        (uint8_t)(MPX_UPLOADS && e->x.body_kind && (e->x.body_len < 0 || (te && strstr(te, "chunked"))));
    if (e->x.body_chunked && o->http_version == MPERF_HTTP_VERSION_1_0) {
        *why = MPX_TXT("A request body of unknown size cannot be sent over HTTP/1.0");
        return MPERF_E_UPLOAD_FAILED;
    }
    expect = MPX_UPLOADS ? mpx_user_header(o->headers, "expect") : NULL;
    e->x.expect100 = (uint8_t)(MPX_UPLOADS && e->x.body_kind && o->http_version != MPERF_HTTP_VERSION_1_0 &&
                             (expect                     ? MPX_IEQ(expect, strlen(expect), "100-continue")
                              : e->x.req == MPX_REQ_PUT ? e->x.body_len != 0
                                                        : (e->x.body_len < 0 || e->x.body_len > MPX_EXPECT_THRESHOLD)));
    e->x.redirect_count = 0;
    e->x.auth_ok = 1;
#if MPX_DIGEST
    if (e->dg && e->dg->kept && (o->httpauth & MPERF_AUTH_DIGEST)) /* the last challenge, answered at once */
        e->x.auth_picked = e->x.auth_kept = 2;
#endif
#if MPX_COOKIES
    {
        int ok;
        mpx_share_lock(e);
        ok = mpx_cookie_start(e, mpx_wall_time(m));
        mpx_share_unlock(e);
        if (!ok) {
            *why = MPX_TXT("Out of memory");
            return MPERF_E_OUT_OF_MEMORY;
        }
    }
#endif
    if (MPX_ROUTING && o->resolve && e->resolve_new) {
        mperf_code rc = mpx_resolve_load(m, e, why);
        if (rc != MPERF_E_OK) return rc;
        e->resolve_new = 0;
    }
    e->x.deadline_total = o->timeout_ms > 0 ? m->now + (int64_t)o->timeout_ms * 1000 : 0;
    e->x.deadline_progress = (MPX_PROGRESS && !o->noprogress && (o->xferinfo_cb || o->progress_cb)) ? m->now : 0;
    e->x.deadline_speed = (o->low_speed_limit > 0 && o->low_speed_time > 0) ? m->now + 1000000 : 0;
    return mpx_xfer_hop(m, e, o->url, why);
}

static int mpx_buf_add_base64(const mperf_allocator *al, mpx_buf *b, const unsigned char *s, size_t n)
{
    size_t i;
    char q[4];
    for (i = 0; i < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0) | (i + 2 < n ? s[i + 2] : 0);
        q[0] = mpx_b64[v >> 18];
        q[1] = mpx_b64[(v >> 12) & 63];
        q[2] = i + 1 < n ? mpx_b64[(v >> 6) & 63] : '=';
        q[3] = i + 2 < n ? mpx_b64[v & 63] : '=';
        if (!mpx_buf_add(al, b, q, 4)) return 0;
    }
    return 1;
}

/* The credentials for the origin: USERNAME / PASSWORD, else USERPWD
   ("user[:password]"), else the URL's userinfo (percent-decoded); the
   options win, as in libcurl. 0 when there are none. */
static int mpx_credentials(const mperf_easy *e, char *user, size_t usz, char *pass, size_t psz)
{
    const mpx_opts *o = &e->o;
    if (o->username || o->password) {
        mpx_strlcpy(user, o->username ? o->username : "", usz);
        mpx_strlcpy(pass, o->password ? o->password : "", psz);
    } else if (o->userpwd) {
        const char *colon = strchr(o->userpwd, ':');
        size_t ul = colon ? (size_t)(colon - o->userpwd) : strlen(o->userpwd);
        if (ul >= usz) ul = usz - 1;
        memcpy(user, o->userpwd, ul);
        user[ul] = 0;
        mpx_strlcpy(pass, colon ? colon + 1 : "", psz);
    } else if (e->x.u.has_user) {
        user[mpx_pct_decode(e->x.u.user, e->x.u.userlen, user, usz - 1)] = 0;
        pass[mpx_pct_decode(e->x.u.pass, e->x.u.passlen, pass, psz - 1)] = 0;
    } else {
        return 0;
    }
    return 1;
}

#if MPX_DIGEST
/* ---- Digest authentication (RFC 7616): MD5 and SHA-256, qop=auth ---- */
/* MD5 (RFC 1321) and SHA-256 (FIPS 180-4), written for Digest's few short strings. */
typedef struct mpx_hash {
    uint32_t h[8];
    uint64_t len;
    unsigned char blk[64];
    size_t n;
    int sha; /* 1: SHA-256, 0: MD5 */
} mpx_hash;

static const uint32_t mpx_md5_k[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501, 0x698098d8,
    0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340,
    0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87,
    0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
    0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039,
    0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92,
    0xffeff47d, 0x85845dd1, 0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
    0xeb86d391};
static const unsigned char mpx_md5_r[16] = {7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21};
static const uint32_t mpx_sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
    0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
    0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
    0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

#define MPX_ROL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))
#define MPX_ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void mpx_md5_block(uint32_t *h, const unsigned char *p)
{
    uint32_t w[16], a = h[0], b = h[1], c = h[2], d = h[3];
    unsigned i;
    for (i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
    for (i = 0; i < 64; i++) {
        uint32_t f, t;
        unsigned g, s = mpx_md5_r[(i / 16) * 4 + i % 4];
        if (i < 16) f = (b & c) | (~b & d), g = i;
        else if (i < 32) f = (d & b) | (~d & c), g = (5 * i + 1) % 16;
        else if (i < 48) f = b ^ c ^ d, g = (3 * i + 5) % 16;
        else f = c ^ (b | ~d), g = (7 * i) % 16;
        t = d;
        d = c;
        c = b;
        f += a + mpx_md5_k[i] + w[g];
        b += MPX_ROL(f, s);
        a = t;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d;
}

static void mpx_sha256_block(uint32_t *h, const unsigned char *p)
{
    uint32_t w[64], v[8], t1, t2;
    unsigned i;
    for (i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    for (i = 16; i < 64; i++)
        w[i] = w[i - 16] + (MPX_ROR(w[i - 15], 7) ^ MPX_ROR(w[i - 15], 18) ^ (w[i - 15] >> 3)) + w[i - 7] +
               (MPX_ROR(w[i - 2], 17) ^ MPX_ROR(w[i - 2], 19) ^ (w[i - 2] >> 10));
    memcpy(v, h, sizeof v);
    for (i = 0; i < 64; i++) {
        t1 = v[7] + (MPX_ROR(v[4], 6) ^ MPX_ROR(v[4], 11) ^ MPX_ROR(v[4], 25)) + ((v[4] & v[5]) ^ (~v[4] & v[6])) +
             mpx_sha256_k[i] + w[i];
        t2 = (MPX_ROR(v[0], 2) ^ MPX_ROR(v[0], 13) ^ MPX_ROR(v[0], 22)) + ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
        memmove(v + 1, v, 7 * sizeof v[0]);
        v[4] += t1;
        v[0] = t1 + t2;
    }
    for (i = 0; i < 8; i++) h[i] += v[i];
}

static void mpx_hash_init(mpx_hash *c, int sha)
{
    static const uint32_t md5_h[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
    static const uint32_t sha_h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                      0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memset(c, 0, sizeof *c);
    c->sha = sha;
    memcpy(c->h, sha ? sha_h : md5_h, sha ? sizeof sha_h : sizeof md5_h);
}

static void mpx_hash_add(mpx_hash *c, const void *data, size_t n)
{
    const unsigned char *p = (const unsigned char *)data;
    c->len += n;
    while (n) {
        size_t k = MPX_MIN(n, 64 - c->n);
        memcpy(c->blk + c->n, p, k);
        c->n += k, p += k, n -= k;
        if (c->n == 64) {
            if (c->sha) mpx_sha256_block(c->h, c->blk);
            else mpx_md5_block(c->h, c->blk);
            c->n = 0;
        }
    }
}

/* The digest as lowercase hex into hex (33 or 65 bytes with the NUL). */
static void mpx_hash_hex(mpx_hash *c, char *hex)
{
    uint64_t bits = c->len * 8;
    unsigned char pad[72], out[32];
    size_t padn = (c->n < 56 ? 56 : 120) - c->n, i, words = c->sha ? 8 : 4;
    memset(pad, 0, sizeof pad);
    pad[0] = 0x80;
    for (i = 0; i < 8; i++) pad[padn + i] = (unsigned char)(bits >> (c->sha ? 56 - 8 * i : 8 * i));
    mpx_hash_add(c, pad, padn + 8);
    for (i = 0; i < words; i++) {
        unsigned k;
        for (k = 0; k < 4; k++) out[4 * i + k] = (unsigned char)(c->h[i] >> (c->sha ? 24 - 8 * k : 8 * k));
    }
    for (i = 0; i < words * 4; i++) {
        hex[2 * i] = "0123456789abcdef"[out[i] >> 4];
        hex[2 * i + 1] = "0123456789abcdef"[out[i] & 15];
    }
    hex[words * 8] = 0;
}

/* H(a:b:c...) of the NUL-terminated parts, as hex. */
static void mpx_hash_parts(int sha, char *hex, const char *const *parts, size_t nparts)
{
    mpx_hash c;
    size_t i;
    mpx_hash_init(&c, sha);
    for (i = 0; i < nparts; i++) {
        if (i) mpx_hash_add(&c, ":", 1);
        mpx_hash_add(&c, parts[i], strlen(parts[i]));
    }
    mpx_hash_hex(&c, hex);
}

enum { MPX_DG_MD5, MPX_DG_MD5_SESS, MPX_DG_SHA256, MPX_DG_SHA256_SESS };
static const char *const mpx_dg_alg_names[] = {"MD5", "MD5-sess", "SHA-256", "SHA-256-sess"};


/* The response of RFC 7616 section 3.4.1 for these values (qop "auth" or
   none); hex: 65 bytes. */
static void mpx_digest_response(const mpx_digest *d, const char *user, const char *pass, const char *method,
                                const char *uri, const char *cnonce, const char *nc, char *hex)
{
    int sha = d->alg >= MPX_DG_SHA256, sess = d->alg == MPX_DG_MD5_SESS || d->alg == MPX_DG_SHA256_SESS;
    char ha1[65], ha2[65];
    const char *p[6];
    p[0] = user, p[1] = d->realm, p[2] = pass;
    mpx_hash_parts(sha, ha1, p, 3);
    if (sess) {
        char h[65];
        p[0] = ha1, p[1] = d->nonce, p[2] = cnonce;
        mpx_hash_parts(sha, h, p, 3);
        memcpy(ha1, h, sizeof h);
    }
    p[0] = method, p[1] = uri;
    mpx_hash_parts(sha, ha2, p, 2);
    p[0] = ha1, p[1] = d->nonce;
    if (d->qop) {
        p[2] = nc, p[3] = cnonce, p[4] = "auth", p[5] = ha2;
        mpx_hash_parts(sha, hex, p, 6);
    } else {
        p[2] = ha2;
        mpx_hash_parts(sha, hex, p, 3);
    }
}

/* An auth-param's value at v (quoted or a token) into out; returns how far it went. */
static size_t mpx_dg_value(const char *v, size_t n, char *out, size_t outsz)
{
    size_t i = 0, o = 0;
    if (n && v[0] == '"') {
        for (i = 1; i < n && v[i] != '"'; i++) {
            if (v[i] == '\\' && i + 1 < n) i++;
            if (o + 1 < outsz) out[o++] = v[i];
        }
        if (i < n) i++;
    } else {
        for (; i < n && v[i] != ',' && v[i] != ' ' && v[i] != '\t'; i++)
            if (o + 1 < outsz) out[o++] = v[i];
    }
    out[o] = 0;
    return i;
}

/* Parses the Digest challenge in a WWW-Authenticate value into d: 1 when
   there is one this can answer (MD5 or SHA-256, plain or -sess; qop auth
   or none), 0 otherwise. */
static int mpx_digest_parse(const char *v, size_t n, mpx_digest *d)
{
    size_t i = 0;
    int in = 0, ok = 0;
    while (i < n) {
        size_t s, k;
        char val[256];
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) i++;
        for (s = i; i < n && v[i] != '=' && v[i] != ' ' && v[i] != '\t' && v[i] != ','; i++) {}
        k = i - s;
        if (i < n && v[i] == '=') { /* a parameter of the challenge we are in */
            i++;
            i += mpx_dg_value(v + i, n - i, val, sizeof val);
            if (!in) continue;
            if (k == 5 && MPX_IEQ(v + s, 5, "realm")) mpx_strlcpy(d->realm, val, sizeof d->realm);
            else if (k == 5 && MPX_IEQ(v + s, 5, "nonce")) mpx_strlcpy(d->nonce, val, sizeof d->nonce);
            else if (k == 6 && MPX_IEQ(v + s, 6, "opaque")) {
                mpx_strlcpy(d->opaque, val, sizeof d->opaque);
                d->opaque_given = 1;
            } else if (k == 9 && MPX_IEQ(v + s, 9, "algorithm")) {
                unsigned a;
                d->alg_given = 1;
                d->alg = 0xff;
                for (a = 0; a < 4; a++)
                    if (strlen(val) == strlen(mpx_dg_alg_names[a]) && mpx_ncaseeq(val, mpx_dg_alg_names[a], strlen(val)))
                        d->alg = (uint8_t)a;
            } else if (k == 3 && MPX_IEQ(v + s, 3, "qop")) {
                const char *q = val;
                d->qop = 0xff; /* offered, but not "auth": cannot answer */
                while (*q) {
                    size_t l;
                    while (*q == ' ' || *q == ',') q++;
                    l = strcspn(q, " ,");
                    if (l == 4 && MPX_IEQ(q, 4, "auth")) d->qop = 1;
                    q += l;
                }
            } else if (k == 8 && MPX_IEQ(v + s, 8, "userhash")) {
                d->userhash = strlen(val) == 4 && MPX_IEQ(val, 4, "true");
            } else if (k == 5 && MPX_IEQ(v + s, 5, "stale")) {
                d->stale = strlen(val) == 4 && MPX_IEQ(val, 4, "true");
            }
            continue;
        }
        if (in && d->nonce[0] && d->alg != 0xff && d->qop != 0xff) ok = 1; /* the next scheme starts */
        if (ok) break;
        in = k == 6 && MPX_IEQ(v + s, 6, "digest");
        if (in) memset(d, 0, sizeof *d);
    }
    if (in && !ok) ok = d->nonce[0] && d->alg != 0xff && d->qop != 0xff;
    return ok;
}

/* Keeps a WWW-Authenticate value's Digest challenge when this can answer it
   and none came before it: the server lists them in its order of
   preference (RFC 7616), and libcurl answers the first. 1 kept (or one
   kept before), 0 none to answer, -1 out of memory. */
static int mpx_digest_offer(mperf_easy *e, const char *v, size_t n)
{
    mpx_digest d;
    if (e->x.auth_offer & 2) return 1;
    memset(&d, 0, sizeof d);
    if (!mpx_digest_parse(v, n, &d)) return 0;
    if (!e->dg && !(e->dg = (mpx_digest *)mpx_calloc(&e->al, sizeof *e->dg))) return -1;
    if (e->dg->kept && strcmp(e->dg->nonce, d.nonce) == 0 && strcmp(e->dg->realm, d.realm) == 0)
        d.nc = e->dg->nc; /* the same nonce again: its count goes on */
    *e->dg = d;
    return 1;
}

/* A quoted-string's content: '"' and '\\' escaped. */
static void mpx_buf_quoted(const mperf_allocator *al, mpx_buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') mpx_buf_add(al, b, "\\", 1);
        mpx_buf_add(al, b, s, 1);
    }
}

static void mpx_buf_param(const mperf_allocator *al, mpx_buf *b, const char *name, const char *value)
{
    mpx_buf_adds(al, b, name);
    mpx_buf_add(al, b, "=\"", 2);
    mpx_buf_quoted(al, b, value);
    mpx_buf_add(al, b, "\"", 1);
}

/* "Authorization: Digest ..." for the request being built (RFC 7616, in
   libcurl's order of fields), with a fresh client nonce. */
static void mpx_add_digest_auth(mperf_easy *e, const mperf_allocator *al, mpx_buf *b)
{
    const mpx_opts *o = &e->o;
    const mpx_digest *d = e->dg;
    char user[512], pass[512], uri[2048], hex[65], cnonce[64], hexr[33], uh[65], nc[16];
    unsigned char rnd[16];
    size_t i;
    if (!mpx_credentials(e, user, sizeof user, pass, sizeof pass)) return; /* (a 401 is answered only with some) */
    if (o->request_target) mpx_strlcpy(uri, o->request_target, sizeof uri);
    else {
        size_t l = MPX_MIN(e->x.u.pathlen, sizeof uri - 1);
        memcpy(uri, e->x.u.path, l);
        uri[l] = 0;
    }
    if (!e->multi || !mpx_random(e->multi, rnd, sizeof rnd)) memset(rnd, 0x5a, sizeof rnd);
    for (i = 0; i < 16; i++) { /* as libcurl makes it: 32 hex digits, base64-encoded */
        hexr[2 * i] = "0123456789abcdef"[rnd[i] >> 4];
        hexr[2 * i + 1] = "0123456789abcdef"[rnd[i] & 15];
    }
    {
        mpx_buf cb;
        memset(&cb, 0, sizeof cb);
        if (!mpx_buf_add_base64(al, &cb, (const unsigned char *)hexr, 32) || cb.len >= sizeof cnonce) {
            mpx_buf_free(al, &cb);
            b->failed = 1;
            return;
        }
        memcpy(cnonce, cb.p, cb.len);
        cnonce[cb.len] = 0;
        mpx_buf_free(al, &cb);
    }
    mpx_fmt(nc, sizeof nc, "%08lx", ++e->dg->nc & 0xffffffffUL);
    e->dg->kept = 1;
    mpx_digest_response(d, user, pass, e->x.method, uri, cnonce, nc, hex);
    if (d->userhash) {
        const char *p[2];
        p[0] = user, p[1] = d->realm;
        mpx_hash_parts(d->alg >= MPX_DG_SHA256, uh, p, 2);
    }
    mpx_buf_adds(al, b, "Authorization: Digest ");
    mpx_buf_param(al, b, "username", d->userhash ? uh : user);
    mpx_buf_param(al, b, ", realm", d->realm);
    mpx_buf_param(al, b, ", nonce", d->nonce);
    mpx_buf_param(al, b, ", uri", uri);
    if (d->qop) {
        mpx_buf_param(al, b, ", cnonce", cnonce);
        mpx_buf_adds(al, b, ", nc=");
        mpx_buf_adds(al, b, nc);
        mpx_buf_adds(al, b, ", qop=auth");
    }
    mpx_buf_param(al, b, ", response", hex);
    if (d->opaque_given) mpx_buf_param(al, b, ", opaque", d->opaque);
    if (d->alg_given) {
        mpx_buf_adds(al, b, ", algorithm=");
        mpx_buf_adds(al, b, mpx_dg_alg_names[d->alg]);
    }
    if (d->userhash) mpx_buf_adds(al, b, ", userhash=true");
    mpx_buf_add(al, b, "\r\n", 2);
    memset(pass, 0, sizeof pass);
}
#endif

#if MPX_PROXY
/* The credentials for the proxy: those in its URL (percent-decoded), else
   PROXYUSERNAME / PROXYPASSWORD, else PROXYUSERPWD (percent-decoded, as
   libcurl decodes it). */
static void mpx_px_credentials(const mperf_easy *e, char *user, size_t usz, char *pass, size_t psz)
{
    const mpx_opts *o = &e->o;
    const mpx_xfer *x = &e->x;
    const char *colon;
    if (x->px_user) {
        user[mpx_pct_decode(x->px_user, x->px_userlen, user, usz - 1)] = 0;
        pass[mpx_pct_decode(x->px_pass, x->px_passlen, pass, psz - 1)] = 0;
    } else if (o->proxyusername || o->proxypassword) {
        mpx_strlcpy(user, o->proxyusername ? o->proxyusername : "", usz);
        mpx_strlcpy(pass, o->proxypassword ? o->proxypassword : "", psz);
    } else {
        colon = strchr(o->proxyuserpwd, ':');
        user[mpx_pct_decode(o->proxyuserpwd, colon ? (size_t)(colon - o->proxyuserpwd) : strlen(o->proxyuserpwd), user,
                            usz - 1)] = 0;
        pass[mpx_pct_decode(colon ? colon + 1 : "", colon ? strlen(colon + 1) : 0, pass, psz - 1)] = 0;
    }
}
#endif

/* "Authorization: Basic user:password" (mpx_credentials), or to the proxy
   "Proxy-Authorization: ..." (mpx_px_credentials). */
static int mpx_add_basic_auth(const mperf_easy *e, const mperf_allocator *al, mpx_buf *b, int proxy)
{
    char cred[1024], user[1024], pass[1024];
    size_t n;
#if MPX_PROXY
    if (proxy) mpx_px_credentials(e, user, sizeof user, pass, sizeof pass);
    else
#endif
    if (!mpx_credentials(e, user, sizeof user, pass, sizeof pass)) return 1;
    n = (size_t)mpx_fmt(cred, sizeof cred, "%s:%s", user, pass);
    memset(pass, 0, sizeof pass);
    if (n >= sizeof cred) n = sizeof cred - 1;
    return mpx_buf_adds(al, b, proxy ? "Proxy-Authorization: Basic " : "Authorization: Basic ") &&
           mpx_buf_add_base64(al, b, (const unsigned char *)cred, n) && mpx_buf_add(al, b, "\r\n", 2);
}

/* The program's headers from list l: "Name: value" is sent, "Name:" only
   takes a header out, "Name;" sends it empty. */
static mperf_code mpx_add_custom(const mperf_easy *e, const mperf_allocator *al, mpx_buf *b, const mperf_slist *l,
                                 const char **why)
{
    for (; l; l = l->next) {
        const char *s = l->data, *sep, *rest;
        if (!s) continue;
        if (mpx_has_crlf(s)) {
            *why = MPX_TXT("A custom request header contains CR or LF");
            return MPERF_E_BAD_FUNCTION_ARGUMENT;
        }
        /* credentials and cookies set by hand do not follow a redirect to another host */
        if (!e->x.auth_ok && ((mpx_ncaseeq(s, "authorization", 13) && (s[13] == ':' || s[13] == ';')) ||
                            (mpx_ncaseeq(s, "cookie", 6) && (s[6] == ':' || s[6] == ';'))))
            continue;
        /* a body that is not sent (a redirect turned the request into GET) takes its headers with it */
        if (!e->x.body_kind && (mpx_ncaseeq(s, "content-type:", 13) || mpx_ncaseeq(s, "content-length:", 15))) continue;
        sep = s + mpx_upto(s, ':');
        if (*sep) { /* "Name: value" is sent, "Name:" only removes */
            for (rest = sep + 1; *rest == ' ' || *rest == '\t'; rest++) {}
            if (!*rest || sep == s) continue;
            mpx_buf_adds(al, b, s);
            mpx_buf_add(al, b, "\r\n", 2);
            continue;
        }
        sep = s + mpx_upto(s, ';');
        if (*sep && sep != s) { /* "Name;" sends the header with an empty value */
            for (rest = sep + 1; *rest == ' ' || *rest == '\t'; rest++) {}
            if (*rest) continue;
            mpx_buf_add(al, b, s, (size_t)(sep - s));
            mpx_buf_add(al, b, ":\r\n", 3);
        }
    }
    return MPERF_E_OK;
}

#if MPX_PROXY
/* The headers that go to the proxy: PROXYHEADER, or HTTPHEADER with
   HEADEROPT UNIFIED. */
static const mperf_slist *mpx_px_headers(const mperf_easy *e)
{
    return e->o.headers_unified ? e->o.headers : e->o.proxyheaders;
}

/* Proxy-Authorization goes with the request (or CONNECT): Basic alone goes
   at once, with other schemes allowed too only after a 407 asked for it. */
static int mpx_px_auth_now(const mperf_easy *e)
{
    return e->x.px_has_user && (e->o.proxyauth & MPERF_AUTH_BASIC) &&
           (e->o.proxyauth == MPERF_AUTH_BASIC || e->x.px_picked) &&
           !mpx_user_header(mpx_px_headers(e), "proxy-authorization");
}
#endif

/* A header line: name (with ": ") and value. */
static void mpx_buf_field(const mperf_allocator *al, mpx_buf *b, const char *name, const char *value)
{
    mpx_buf_adds(al, b, name);
    mpx_buf_adds(al, b, value);
    mpx_buf_add(al, b, "\r\n", 2);
}

/* Writes the request head into b. The appends are checked once, at the end
   (b->failed). */
static mperf_code mpx_build_request(mperf_easy *e, const mperf_allocator *al, mpx_buf *b, const char **why)
{
    const mpx_opts *o = &e->o;
    /* after a redirect AUTOREFERER's URL wins over a set REFERER, as in libcurl */
    const char *referer = (MPX_REDIRECTS && o->autoreferer && e->x.redirect_count && e->prev_url) ? e->prev_url
                                                                                                   : o->referer;
    mperf_code rc;
    b->len = 0;
    b->failed = 0;
    mpx_buf_adds(al, b, e->x.method);
    mpx_buf_add(al, b, " ", 1);
    if (o->request_target) mpx_buf_adds(al, b, o->request_target); /* REQUEST_TARGET: instead of the path */
    else {
#if MPX_PROXY
        if (e->x.proxy == MPX_PX_FORWARD) { /* the absolute form, without credentials or a default port */
            mpx_buf_adds(al, b, e->x.u.ipv6 ? "http://[" : "http://");
            mpx_buf_add(al, b, e->x.u.host, e->x.u.hostlen);
            if (e->x.u.ipv6) mpx_buf_add(al, b, "]", 1);
            if (e->x.u.port != 80) {
                mpx_buf_add(al, b, ":", 1);
                mpx_buf_add_num(al, b, e->x.u.port);
            }
        }
#endif
        mpx_buf_add(al, b, e->x.u.path, e->x.u.pathlen);
    }
    mpx_buf_adds(al, b, o->http_version == MPERF_HTTP_VERSION_1_0 || (MPX_REDIRECTS && e->x.saw10) ? " HTTP/1.0\r\n"
                                                                                                  : " HTTP/1.1\r\n");
    if (!mpx_user_header(o->headers, "host")) {
        mpx_buf_adds(al, b, e->x.u.ipv6 ? "Host: [" : "Host: ");
        mpx_buf_add(al, b, e->x.u.host, e->x.u.hostlen);
        if (e->x.u.ipv6) mpx_buf_add(al, b, "]", 1);
        if (e->x.u.port != (e->x.u.https ? 443 : 80)) {
            mpx_buf_add(al, b, ":", 1);
            mpx_buf_add_num(al, b, e->x.u.port);
        }
        mpx_buf_add(al, b, "\r\n", 2);
    }
    if (!MPX_AUTH && e->x.u.has_user) {
        *why = MPX_TXT("Credentials in the URL need HTTP authentication, which is not built in (MPERF_NO_AUTH)");
        return MPERF_E_NOT_BUILT_IN;
    }
#if MPX_PROXY
    if (e->x.proxy == MPX_PX_FORWARD && mpx_px_auth_now(e)) mpx_add_basic_auth(e, al, b, 1);
#endif
    /* Basic alone goes at once; with other schemes allowed too, only once a 401 asked for it (libcurl's way) */
    if (MPX_AUTH && e->x.auth_ok && (o->httpauth & MPERF_AUTH_BASIC) &&
        (o->httpauth == MPERF_AUTH_BASIC || !MPX_REDIRECTS || e->x.auth_picked == 1) &&
        !mpx_user_header(o->headers, "authorization"))
        mpx_add_basic_auth(e, al, b, 0);
#if MPX_DIGEST
    if (e->x.auth_ok && e->x.auth_picked == 2 && e->dg && !mpx_user_header(o->headers, "authorization"))
        mpx_add_digest_auth(e, al, b);
#endif
    if (!MPX_RANGES) {
    } else if (o->resume_from > 0 && !mpx_user_header(o->headers, "range")) {
        mpx_buf_adds(al, b, "Range: bytes=");
        mpx_buf_add_num(al, b, (uint64_t)o->resume_from);
        mpx_buf_add(al, b, "-\r\n", 3);
    } else if (o->range && *o->range && !mpx_user_header(o->headers, "range")) {
        mpx_buf_field(al, b, "Range: bytes=", o->range);
    }
    if (o->useragent && !mpx_user_header(o->headers, "user-agent")) {
        mpx_buf_field(al, b, "User-Agent: ", o->useragent);
    }
    if (!mpx_user_header(o->headers, "accept")) mpx_buf_adds(al, b, "Accept: */*\r\n");
#if MPX_DECODE
    if (o->accept_encoding && !mpx_user_header(o->headers, "accept-encoding")) /* "": what is built in */
        mpx_buf_field(al, b, "Accept-Encoding: ", *o->accept_encoding ? o->accept_encoding : "deflate, gzip");
#endif
    if (referer && !mpx_user_header(o->headers, "referer")) {
        mpx_buf_field(al, b, "Referer: ", referer);
    }
#if MPX_PROXY
    if (e->x.proxy == MPX_PX_FORWARD && !mpx_user_header(o->headers, "proxy-connection") &&
        !mpx_user_header(mpx_px_headers(e), "proxy-connection"))
        mpx_buf_adds(al, b, "Proxy-Connection: Keep-Alive\r\n");
#endif
    if (MPX_UPLOADS && e->x.body_kind && e->x.body_chunked && !mpx_user_header(o->headers, "transfer-encoding"))
        mpx_buf_adds(al, b, "Transfer-Encoding: chunked\r\n");
#if MPX_COOKIES
    if ((e->cookies_on && e->jar) || o->cookie) { /* the engine's cookies for this host, then COOKIE's (unless a
                                                      Cookie field is given) */
        char host[256];
        memcpy(host, e->x.u.host, e->x.u.hostlen);
        host[e->x.u.hostlen] = 0;
        mpx_share_lock(e);
        mpx_cookie_field(al, e->cookies_on ? e->jar : NULL, host, e->x.u.path, e->x.u.pathlen, mpx_cookie_secure(e),
                         mpx_user_header(o->headers, "cookie") ? NULL : o->cookie, mpx_wall_time(e->multi), b);
        mpx_share_unlock(e);
    }
#endif
    if ((rc = mpx_add_custom(e, al, b, o->headers, why)) != MPERF_E_OK) return rc;
#if MPX_PROXY
    if (e->x.proxy == MPX_PX_FORWARD && !o->headers_unified &&
        (rc = mpx_add_custom(e, al, b, o->proxyheaders, why)) != MPERF_E_OK)
        return rc;
#endif
    if (MPX_UPLOADS && e->x.body_kind) { /* after the program's headers, in libcurl's order */
        if (!e->x.body_chunked && !mpx_user_header(o->headers, "content-length")) {
            mpx_buf_adds(al, b, "Content-Length: ");
            mpx_buf_add_num(al, b, (uint64_t)e->x.body_len);
            mpx_buf_add(al, b, "\r\n", 2);
        }
        if (e->x.req == MPX_REQ_POST && !mpx_user_header(o->headers, "content-type"))
            mpx_buf_adds(al, b, "Content-Type: application/x-www-form-urlencoded\r\n");
        if (e->x.expect100 && !mpx_user_header(o->headers, "expect")) mpx_buf_adds(al, b, "Expect: 100-continue\r\n");
    }
    mpx_buf_add(al, b, "\r\n", 2);
    if (b->failed) {
        *why = MPX_TXT("Out of memory");
        return MPERF_E_OUT_OF_MEMORY;
    }
    return MPERF_E_OK;
}

static size_t mpx_default_read(char *p, size_t size, size_t n, void *ud)
{
#if MPX_STDIO
    return fread(p, size, n, ud ? (FILE *)ud : stdin);
#else /* descriptor 0; an error ends the body as fread's does */
    long r;
    (void)ud;
    while ((r = (long)MPX_FILE_READ(0, p, size * n)) < 0 && errno == EINTR) {}
    return r > 0 ? (size_t)r / size : 0;
#endif
}

/* Back to the start of the request body, for a retry or a redirect. */
static int mpx_body_rewind(mperf_multi *m, mperf_easy *e)
{
    int r;
    e->x.body_sent = 0;
    e->x.body_eof = 0;
    mpx_body_set(m, e, MPX_B_NONE);
    if (e->x.body_kind != MPX_BODY_READ || !e->x.body_touched) return 1;
    e->x.body_touched = 0;
    if (e->o.seek_cb) {
        mpx_cb_enter(m, e);
        r = e->o.seek_cb(e->o.seek_data, 0, SEEK_SET);
        mpx_cb_leave(m, e);
        return r == MPERF_SEEKFUNC_OK;
    }
#if MPX_STDIO
    if (!e->o.read_cb) return fseek(e->o.read_data ? (FILE *)e->o.read_data : stdin, 0, SEEK_SET) == 0;
#endif
    return 0;
}

/* A reused connection that died before any response byte: go again on a
   fresh one (what keep-alive races need). Returns 1 if it will retry. */
static int mpx_xfer_retry(mperf_multi *m, mperf_easy *e)
{
    mpx_conn *c = e->x.conn;
    if (!c || c->requests < 2 || e->x.got_bytes || e->x.retries >= MPERF_MAX_RETRIES) return 0;
    if (MPX_UPLOADS && e->x.body_kind && !mpx_body_rewind(m, e)) return 0;
    MPX_INFO(e, "Connection #%lu died, retrying a fresh connect", c->id);
    mpx_conn_close(m, c);
    e->x.conn = NULL;
    e->x.retries++;
    e->x.fresh = 1;
    e->x.req_sent = 0;
    e->x.send_err = 0;
    mpx_parser_init(&e->x.p, e->x.p.head_request, e->x.p.max_data);
    if (!mpx_xfer_set(m, e, MPX_S_CONNECT)) return 1; /* it ended: out of memory */
    mpx_dirty_add(m, e);
    return 1;
}

/* Sends the request head (or the rest of it). */
static int mpx_xfer_send_head(mperf_multi *m, mperf_easy *e, int revents)
{
    mpx_conn *c = e->x.conn;
    const char *why = NULL;
    long r;
    int err = 0;
    if (!e->x.req_sent) {
        mpx_buf *b = &m->scratch;
        mperf_code rc = mpx_build_request(e, &m->al, b, &why);
        if (rc != MPERF_E_OK) {
            MPX_FAIL(m, e, rc, "%s", why);
            return 0;
        }
        e->x.req_sent = 1;
        c->requests++;
        e->x.request_bytes += (mperf_off_t)b->len; /* and, as libcurl counts, a body of memory up to 64 KiB */
        if (MPX_UPLOADS && e->x.body_kind == MPX_BODY_MEM && e->x.body_len <= 64 * 1024) e->x.request_bytes += e->x.body_len;
        e->x.t_pretransfer = m->now - e->x.t_start;
        mpx_debug(e, MPERF_INFOTYPE_HEADER_OUT, b->p, b->len);
        r = mpx_conn_send(c, b->p, b->len, &err);
        if (r >= 0 && (size_t)r < b->len) { /* keep the rest for when the socket drains */
            c->sbuf.len = 0;
            c->spos = 0;
            if (!mpx_buf_add(&m->al, &c->sbuf, b->p + r, b->len - (size_t)r)) {
                MPX_FAIL(m, e, MPERF_E_OUT_OF_MEMORY, "Out of memory");
                return 0;
            }
        }
    } else {
        if (!(revents & (POLLOUT | POLLERR | POLLHUP))) return 0;
        r = mpx_conn_send(c, c->sbuf.p + c->spos, c->sbuf.len - c->spos, &err);
        if (r > 0) c->spos += (size_t)r;
    }
    if (r < 0) {
        if (mpx_xfer_retry(m, e)) return 0;
        e->x.os_errno = err;
        MPX_FAIL(m, e, MPERF_E_SEND_ERROR, "Send failure: %s", mpx_sock_strerror(err));
        return 0;
    }
    if (c->spos < c->sbuf.len) return 0; /* the rest when the socket drains */
    c->sbuf.len = c->spos = 0;
    return mpx_xfer_set(m, e, MPX_S_RECV);
}

/* Fills the send buffer from the read callback, as a chunk when the size is
   unknown. 1: bytes (or the end) are ready, 0: paused, -1: the transfer ended. */
static int mpx_body_read(mperf_multi *m, mperf_easy *e)
{
    mpx_conn *c = e->x.conn;
    const size_t room = 16; /* a chunk's size line goes in front of its data */
    size_t want = MPERF_BUFSIZE, r;
    mperf_read_callback cb = e->o.read_cb ? e->o.read_cb : mpx_default_read;
    if (!e->x.body_chunked && (mperf_off_t)want > e->x.body_len - e->x.body_sent)
        want = (size_t)(e->x.body_len - e->x.body_sent);
    if (!e->x.body_chunked && want == 0) {
        e->x.body_eof = 1;
        return 1;
    }
    if (!mpx_buf_reserve(&m->al, &c->sbuf, room + want + 8)) {
        MPX_FAIL(m, e, MPERF_E_OUT_OF_MEMORY, "Out of memory");
        return -1;
    }
    c->sbuf.len = c->spos = 0;
    e->x.body_touched = 1;
    mpx_cb_enter(m, e);
    r = cb(c->sbuf.p + room, 1, want, e->o.read_data);
    mpx_cb_leave(m, e);
    if (e->state == MPX_S_DONE) return -1;
    if (r == MPERF_READFUNC_ABORT) {
        MPX_FAIL(m, e, MPERF_E_ABORTED_BY_CALLBACK, "Operation aborted by the read callback");
        return -1;
    }
    if (r == MPERF_READFUNC_PAUSE) {
        e->x.paused |= MPERF_PAUSE_SEND;
        mpx_xfer_interest(m, e);
        return 0;
    }
    if (r > want) {
        MPX_FAIL(m, e, MPERF_E_READ_ERROR, "The read callback returned more than it was asked for");
        return -1;
    }
    if (r == 0) {
        if (!e->x.body_chunked) {
            MPX_FAIL(m, e, MPERF_E_READ_ERROR, "The read callback ended the body with %lld of %lld bytes sent",
                            (long long)e->x.body_sent, (long long)e->x.body_len);
            return -1;
        }
        memcpy(c->sbuf.p, "0\r\n\r\n", 5);
        c->sbuf.len = 5;
        e->x.uploaded += 5; /* SIZE_UPLOAD counts the framing, as libcurl's does */
        mpx_debug(e, MPERF_INFOTYPE_DATA_OUT, c->sbuf.p, 5);
        e->x.body_eof = 1;
        return 1;
    }
    if (!e->x.body_chunked) mpx_debug(e, MPERF_INFOTYPE_DATA_OUT, c->sbuf.p + room, r);
    e->x.body_sent += (mperf_off_t)r;
    e->x.uploaded += (mperf_off_t)r;
    c->spos = room;
    c->sbuf.len = room + r;
    if (e->x.body_chunked) {
        char h[24];
        int hl = mpx_fmt(h, sizeof h, "%lx\r\n", (unsigned long)r);
        c->spos = room - (size_t)hl;
        memcpy(c->sbuf.p + c->spos, h, (size_t)hl);
        memcpy(c->sbuf.p + room + r, "\r\n", 2);
        c->sbuf.len += 2;
        e->x.uploaded += hl + 2;
        mpx_debug(e, MPERF_INFOTYPE_DATA_OUT, c->sbuf.p + c->spos, c->sbuf.len - c->spos); /* framing too, as libcurl */
    }
    return 1;
}

/* Sends body bytes while the socket takes them. A send error is kept in
   e->x.send_err: the server may have answered, so the response is read first.
   Returns -1 when the transfer ended. */
static int mpx_body_pump(mperf_multi *m, mperf_easy *e)
{
    mpx_conn *c = e->x.conn;
    for (;;) {
        long r;
        int err = 0;
        if (c->spos < c->sbuf.len) { /* a chunk read earlier, or its rest */
            size_t left = c->sbuf.len - c->spos;
            r = mpx_conn_send(c, c->sbuf.p + c->spos, left, &err);
            if (r < 0) e->x.send_err = err;
            if (r <= 0) return 0;
            c->spos += (size_t)r;
            if ((size_t)r < left) return 0; /* the kernel is full */
            c->sbuf.len = c->spos = 0;
            continue;
        }
        if (e->x.body_state != MPX_B_SENDING || (e->x.paused & MPERF_PAUSE_SEND)) return 0;
        if (e->x.body_kind == MPX_BODY_MEM ? e->x.body_sent == e->x.body_len : e->x.body_eof) {
            mpx_body_set(m, e, MPX_B_DONE);
            return 0;
        }
        if (e->x.body_kind == MPX_BODY_MEM) { /* straight from the caller's memory */
            size_t left = (size_t)(e->x.body_len - e->x.body_sent);
            r = mpx_conn_send(c, e->x.body_mem + e->x.body_sent, left, &err);
            if (r < 0) e->x.send_err = err;
            if (r <= 0) return 0;
            mpx_debug(e, MPERF_INFOTYPE_DATA_OUT, e->x.body_mem + e->x.body_sent, (size_t)r);
            e->x.body_sent += r;
            e->x.uploaded += r;
            if ((size_t)r < left) return 0;
            continue;
        }
        r = mpx_body_read(m, e);
        if (r <= 0) return (int)r;
    }
}

/* -------------------------------------------------------------------- */
/* >>parser: the response parser: reference path, then fast paths       */
/* -------------------------------------------------------------------- */
/* mpx_parse() looks at the unconsumed bytes buf[0..len) and gives events
   (one or more) and how many bytes they consumed. Line events (status,
   field, head end, trailer) point into buf; the caller keeps unconsumed
   bytes, appends new ones behind them and calls again. Already-scanned
   bytes of an incomplete line are never scanned twice, so feeding byte by
   byte stays linear.

   The reference path comes first: it parses everything, in every build,
   and reports every error. The fast paths after it (speed builds, MPX_FAST)
   take only the usual lines and give the same events for them; any other
   line goes to the reference path. mpx_parse, last, is the one place that
   chooses. */

/* ---- the reference path ---- */
MPX_NOINLINE static void mpx_parser_init(mpx_parser *p, int head_request, size_t max_data)
{
    /* member by member: gcc -O2 compiles a memset of a struct this size to
       `rep stos`, slower than the rest of a short head's parse. Out of line
       (MPX_NOINLINE) so that -Os builds hold one copy. */
    p->state = MPX_P_STATUS;
    p->head_request = (uint8_t)(head_request != 0);
    p->minor = p->keepalive = p->chunked = p->has_cl = p->conn_close = p->conn_keepalive = p->te_seen = 0;
    p->interim = p->folded = p->at_eof = p->ext = p->digits = 0;
    p->status = p->error = 0;
    p->why = NULL;
    p->cl_line = NULL;
    p->scan = p->colon = p->head_total = p->ext_len = 0;
    p->nfields = 0;
    p->max_data = max_data ? max_data : (size_t)-1;
    p->remain = p->content_length = p->overhead = p->data = 0;
    p->mk_ctl = p->mk_col = 0;
    p->mk_at = p->mk_n = 0;
}

MPX_NOINLINE static size_t mpx_parse_fail(mpx_parser *p, mpx_pev *ev, int code, const char *why)
{
    p->state = MPX_P_ERROR;
    p->error = code;
    p->why = why;
    ev->type = MPX_EV_ERROR;
    return 0;
}

/* Finds the end of a line from *pos. Returns 1 with *pos at the LF, 0 when
   more bytes are needed (*pos is where to resume), -1 on a byte that is never
   valid in a line (*pos at it): CTLs other than HTAB, DEL, a CR not before LF. */
#ifndef MPX_TEST_SCANNED /* tests count scanned bytes to prove linear parsing */
#define MPX_TEST_SCANNED(n) (void)0
#endif
/* 8 bytes at a time: a word with no byte below 0x20 and no DEL needs no
   closer look (bytes >= 0x80 are obs-text, fine). The first flagged byte is
   exact; flags above it may be false (borrows), and are never looked at. */
#define MPX_ONES UINT64_C(0x0101010101010101)
#define MPX_HIGHS UINT64_C(0x8080808080808080)
static uint64_t mpx_word_flags(uint64_t x)
{
    uint64_t del = x ^ (MPX_ONES * 0x7f);
    return ((x - MPX_ONES * 0x20) & ~x & MPX_HIGHS) | ((del - MPX_ONES) & ~del & MPX_HIGHS);
}
static unsigned mpx_first_flag(uint64_t m) /* index of the lowest flagged byte */
{
#if defined(__GNUC__) || defined(__clang__)
    return (unsigned)__builtin_ctzll(m) >> 3;
#else
    unsigned i = 0;
    while (!(m & 0x80)) {
        m >>= 8;
        i++;
    }
    return i;
#endif
}

static int mpx_little_endian(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* memchr(p, ':', n) for the short distances of header names. */
static const char *mpx_find_colon(const char *p, size_t n)
{
    size_t i = 0;
    if (mpx_little_endian()) {
        for (; i + 8 <= n; i += 8) {
            uint64_t w, x, m;
            memcpy(&w, p + i, 8);
            x = w ^ (MPX_ONES * ':');
            m = (x - MPX_ONES) & ~x & MPX_HIGHS;
            if (m) return p + i + mpx_first_flag(m);
        }
    }
    for (; i < n; i++)
        if (p[i] == ':') return p + i;
    return NULL;
}

static int mpx_scan_line(const char *buf, size_t len, size_t *pos)
{
    size_t i = *pos;
    int le = mpx_little_endian();
    for (;;) {
        unsigned char c;
        while (le && i + 8 <= len) {
            uint64_t w, m;
            memcpy(&w, buf + i, 8);
            m = mpx_word_flags(w);
            if (!m) {
                MPX_TEST_SCANNED(8);
                i += 8;
                continue;
            }
            i += mpx_first_flag(m);
            break;
        }
        if (i >= len) break;
        c = (unsigned char)buf[i];
        MPX_TEST_SCANNED(1);
        if (MPX_LIKELY(!(MPX_CC(c) & MPX_C_BAD))) {
            i++;
            continue;
        }
        if (c == '\n') {
            *pos = i;
            return 1;
        }
        if (c == '\r') {
            if (i + 1 == len) {
                *pos = i;
                return 0;
            }
            if (buf[i + 1] == '\n') {
                *pos = i + 1;
                return 1;
            }
        }
        *pos = i;
        return -1;
    }
    *pos = len;
    return 0;
}

static int mpx_is_ows(char c)
{
    return (MPX_CC(c) & MPX_C_TRIM) != 0;
}

/* Reads a Content-Length value: a comma list of identical 1*DIGIT values. */
static int mpx_parse_content_length(const char *s, size_t n, uint64_t *out)
{
    size_t i = 0;
    int have = 0;
    uint64_t first = 0;
    for (;;) {
        uint64_t v = 0;
        size_t d = 0;
        while (i < n && (s[i] == ' ' || s[i] == '\t')) i++;
        while (i < n && mpx_is_digit(s[i])) {
            if (v > (UINT64_C(0x7fffffffffffffff) - 9) / 10) return 0;
            v = v * 10 + (uint64_t)(s[i] - '0');
            i++;
            d++;
        }
        if (d == 0) return 0;
        if (have && v != first) return 0;
        first = v;
        have = 1;
        while (i < n && (s[i] == ' ' || s[i] == '\t')) i++;
        if (i == n) break;
        if (s[i] != ',') return 0;
        i++;
    }
    *out = first;
    return 1;
}

/* The framing fields of a final response (mpx_framing_value). */
enum { MPX_F_CONTENT_LENGTH = 1, MPX_F_TRANSFER_ENCODING, MPX_F_CONNECTION };

/* Interprets the value of a framing field: returns 1, or 0 on an error
   (reported). */
static size_t mpx_framing_value(mpx_parser *p, int which, mpx_pev *ev)
{
    const char *v = ev->value;
    size_t n = ev->valuelen, i = 0;
    if (which == MPX_F_CONTENT_LENGTH) {
        uint64_t cl;
        if (p->folded || !mpx_parse_content_length(v, n, &cl))
            return mpx_parse_fail(p, ev, MPERF_E_WEIRD_SERVER_REPLY, MPX_TXT("Invalid Content-Length in the response"));
        if (p->has_cl && cl != p->content_length)
            return mpx_parse_fail(p, ev, MPERF_E_WEIRD_SERVER_REPLY,
                                  MPX_TXT("Conflicting Content-Length values in the response"));
        p->has_cl = 1;
        p->content_length = cl;
        p->cl_line = ev->line;
    } else if (which == MPX_F_TRANSFER_ENCODING) {
        int tokens = 0;
        if (p->folded)
            return mpx_parse_fail(p, ev, MPERF_E_WEIRD_SERVER_REPLY,
                                  MPX_TXT("Folded Transfer-Encoding in the response"));
        while (i < n) {
            size_t st;
            while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) i++;
            if (i == n) break;
            st = i;
            while (i < n && v[i] != ',' && v[i] != ' ' && v[i] != '\t') i++;
            if (!MPX_IEQ(v + st, i - st, "chunked"))
                return mpx_parse_fail(p, ev, MPERF_E_BAD_CONTENT_ENCODING,
                                      MPX_TXT("Unsupported transfer coding in the response"));
            if (p->chunked)
                return mpx_parse_fail(p, ev, MPERF_E_WEIRD_SERVER_REPLY, MPX_TXT("Response applies chunked twice"));
            p->chunked = 1;
            tokens++;
        }
        if (!tokens)
            return mpx_parse_fail(p, ev, MPERF_E_WEIRD_SERVER_REPLY,
                                  MPX_TXT("Empty Transfer-Encoding in the response"));
        p->te_seen = 1;
    } else { /* Connection: a list */
        while (i < n) {
            size_t st;
            while (i < n && (mpx_is_ows(v[i]) || v[i] == ',')) i++;
            st = i;
            while (i < n && !mpx_is_ows(v[i]) && v[i] != ',') i++;
            if (MPX_IEQ(v + st, i - st, "close")) p->conn_close = 1;
            else if (MPX_IEQ(v + st, i - st, "keep-alive")) p->conn_keepalive = 1;
        }
    }
    return 1;
}

/* A field of a final response: a framing field's value is interpreted.
   Returns 1, or 0 on an error (reported). */
static size_t mpx_parse_framing(mpx_parser *p, mpx_pev *ev)
{
    const char *s = ev->line;
    size_t n = ev->namelen;
    int which = MPX_IEQ(s, n, "content-length")      ? MPX_F_CONTENT_LENGTH
                : MPX_IEQ(s, n, "transfer-encoding") ? MPX_F_TRANSFER_ENCODING
                : MPX_IEQ(s, n, "connection")        ? MPX_F_CONNECTION
                                                     : 0;
    return which ? mpx_framing_value(p, which, ev) : 1;
}

/* The empty line that ends a head or the trailers. */
static size_t mpx_parse_head_end(mpx_parser *p, const char *buf, size_t l, mpx_pev *ev)
{
    p->mk_n = 0; /* the fast path's masks (mpx_fields_sse2) may reach into the body: never reused */
    ev->line = buf;
    ev->linelen = l;
    p->head_total += l;
    if (p->state == MPX_P_TRAILERS) {
        p->state = MPX_P_DONE;
        ev->type = MPX_EV_TRAILERS_END;
        return l;
    }
    ev->type = MPX_EV_HEAD_END;
    if (p->interim) {
        if (p->status == 101)
            return mpx_parse_fail(p, ev, MPERF_E_WEIRD_SERVER_REPLY,
                                  MPX_TXT("Unexpected 101 Switching Protocols response"));
        /* another head follows */
        p->state = MPX_P_STATUS;
        p->nfields = 0;
        return l;
    }
    if (p->head_request || p->status == 204 || p->status == 304) {
        p->state = MPX_P_DONE;
    } else if (p->chunked) {
        p->state = MPX_P_CHUNK_SIZE;
        p->remain = 0;
        p->digits = 0;
    } else if (p->has_cl) {
        p->remain = p->content_length;
        p->state = p->remain ? MPX_P_BODY_LEN : MPX_P_DONE;
    } else {
        p->state = MPX_P_BODY_CLOSE;
    }
    p->keepalive = (uint8_t)(p->minor >= 1 ? !p->conn_close : (p->conn_keepalive && !p->conn_close));
    /* A body ended by close, TE next to CL, or TE in HTTP/1.0 never leaves the connection reusable. */
    if (p->state == MPX_P_BODY_CLOSE || (p->chunked && p->has_cl) || (p->te_seen && p->minor == 0)) p->keepalive = 0;
    return l;
}

/* A whole status line, buf[0..lf] with its LF at lf: checked and taken. */
static size_t mpx_status_line(mpx_parser *p, const char *buf, size_t lf, mpx_pev *ev)
{
    size_t end = lf;
    if (end > 0 && buf[end - 1] == '\r') end--;
    if (end < 12 || !mpx_is_digit(buf[5]) || buf[6] != '.' || !mpx_is_digit(buf[7]) || buf[8] != ' ' ||
        !mpx_is_digit(buf[9]) || !mpx_is_digit(buf[10]) || !mpx_is_digit(buf[11]) || (end > 12 && buf[12] != ' '))
        return mpx_parse_fail(p, ev, MPERF_E_WEIRD_SERVER_REPLY, MPX_TXT("Malformed status line"));
    if (buf[5] != '1')
        return mpx_parse_fail(p, ev, MPERF_E_UNSUPPORTED_PROTOCOL, MPX_TXT("Unsupported HTTP version in the response"));
    p->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
    if (p->status < 100)
        return mpx_parse_fail(p, ev, MPERF_E_WEIRD_SERVER_REPLY, MPX_TXT("Invalid response status code"));
    if (lf + 1 > MPERF_MAX_HEADER_LINE)
        return mpx_parse_fail(p, ev, MPERF_E_WEIRD_SERVER_REPLY, MPX_TXT("Status line too long"));
    p->minor = (uint8_t)(buf[7] != '0');
    p->interim = (uint8_t)(p->status < 200);
    p->chunked = p->has_cl = p->conn_close = p->conn_keepalive = p->te_seen = 0;
    p->content_length = 0;
    p->head_total += lf + 1;
    if (p->head_total > MPERF_MAX_HEADER_TOTAL)
        return mpx_parse_fail(p, ev, MPERF_E_WEIRD_SERVER_REPLY, MPX_TXT("Response header too large"));
    p->state = MPX_P_FIELDS;
    p->scan = p->colon = 0;
    ev->type = MPX_EV_STATUS;
    ev->line = buf;
    ev->linelen = lf + 1;
    return lf + 1;
}

/* The status line, the field line and chunk framing stay out of line
   (MPX_NOINLINE): mpx_parse, which holds the fast paths' loop, keeps few
   registers to save around them. */
MPX_NOINLINE static size_t mpx_parse_status(mpx_parser *p, const char *buf, size_t len, mpx_pev *ev)
{
    static const char prefix[] = "HTTP/";
    size_t i = p->scan;
    int r;
    for (; i < len && i < 5; i++)
        if (buf[i] != prefix[i])
            return mpx_parse_fail(p, ev, MPERF_E_UNSUPPORTED_PROTOCOL,
                                  MPX_TXT("Received HTTP/0.9 or a response that is not HTTP"));
    r = mpx_scan_line(buf, len, &i);
    if (r < 0) return mpx_parse_fail(p, ev, MPERF_E_WEIRD_SERVER_REPLY,
                                     MPX_TXT("Invalid character in the status line"));
    if (r == 0) {
        if (i > MPERF_MAX_HEADER_LINE)
            return mpx_parse_fail(p, ev, MPERF_E_WEIRD_SERVER_REPLY, MPX_TXT("Status line too long"));
        p->scan = i;
        ev->type = MPX_EV_NEED;
        return 0;
    }
    return mpx_status_line(p, buf, i, ev);
}

/* One field line (with its obs-folds), in the head or in the trailers. */
MPX_NOINLINE static size_t mpx_parse_field(mpx_parser *p, const char *buf, size_t len, mpx_pev *ev)
{
    size_t i = p->scan, v, vend;
    if (i == 0 && p->colon == 0) {
        if (len == 0) {
            ev->type = MPX_EV_NEED;
            return 0;
        }
        if (buf[0] == '\n') return mpx_parse_head_end(p, buf, 1, ev);
        if (buf[0] == '\r') {
            if (len < 2) {
                ev->type = MPX_EV_NEED;
                return 0;
            }
            if (buf[1] != '\n')
                return mpx_parse_fail(p, ev, MPERF_E_WEIRD_SERVER_REPLY, MPX_TXT("Bare CR in the response header"));
            return mpx_parse_head_end(p, buf, 2, ev);
        }
        if (buf[0] == ' ' || buf[0] == '\t')
            return mpx_parse_fail(p, ev, MPERF_E_WEIRD_SERVER_REPLY, MPX_TXT("Header line starts with whitespace"));
        p->folded = 0;
    }
    if (!p->colon) { /* the name: token characters up to the colon */
        const char *colon = mpx_find_colon(buf + i, len - i);
        size_t end = colon ? (size_t)(colon - buf) : len;
        MPX_TEST_SCANNED(end - i);
        if (!mpx_all_token(buf + i, end - i) || (colon && end == 0))
            return mpx_parse_fail(p, ev, MPERF_E_WEIRD_SERVER_REPLY, MPX_TXT("Malformed header line in the response"));
        if (!colon) {
            if (len > MPERF_MAX_HEADER_LINE)
                return mpx_parse_fail(p, ev, MPERF_E_WEIRD_SERVER_REPLY, MPX_TXT("Response header line too long"));
            p->scan = len;
            ev->type = MPX_EV_NEED;
            return 0;
        }
        p->colon = i = end + 1;
    }
    for (;;) {
        int r = mpx_scan_line(buf, len, &i);
        if (r < 0)
            return mpx_parse_fail(p, ev, MPERF_E_WEIRD_SERVER_REPLY, MPX_TXT("Invalid character in a response header"));
        if (r > 0 && i + 1 < len && (buf[i + 1] == ' ' || buf[i + 1] == '\t')) {
            p->folded = 1; /* obs-fold: the value goes on */
            i++;
            continue;
        }
        if (i + 1 > MPERF_MAX_HEADER_LINE)
            return mpx_parse_fail(p, ev, MPERF_E_WEIRD_SERVER_REPLY, MPX_TXT("Response header line too long"));
        if (r == 0 || (i + 1 >= len && !p->at_eof)) { /* need the end, or the byte after it (a fold?) */
            p->scan = i;
            ev->type = MPX_EV_NEED;
            return 0;
        }
        break;
    }
    p->head_total += i + 1;
    if (p->head_total > MPERF_MAX_HEADER_TOTAL)
        return mpx_parse_fail(p, ev, MPERF_E_WEIRD_SERVER_REPLY, MPX_TXT("Response header too large"));
    if (++p->nfields > MPERF_MAX_HEADER_COUNT)
        return mpx_parse_fail(p, ev, MPERF_E_WEIRD_SERVER_REPLY, MPX_TXT("Too many header lines in the response"));
    v = p->colon;
    vend = i;
    while (v < vend && mpx_is_ows(buf[v])) v++;
    while (vend > v && mpx_is_ows(buf[vend - 1])) vend--;
    ev->type = p->state == MPX_P_TRAILERS ? MPX_EV_TRAILER : MPX_EV_FIELD;
    ev->line = buf;
    ev->linelen = i + 1;
    ev->namelen = p->colon - 1;
    ev->value = buf + v;
    ev->valuelen = vend - v;
    p->scan = p->colon = 0;
    if (ev->type == MPX_EV_FIELD && !p->interim && mpx_parse_framing(p, ev) == 0) return 0;
    return i + 1;
}

/* One step of the chunk-extension grammar: BWS ";" BWS name [BWS "=" BWS
   (token / quoted-string)]. Returns 1 at the CR that ends the line, 0 to go
   on, -1 on a byte the grammar does not allow here. */
static int mpx_chunk_ext_step(mpx_parser *p, unsigned char c)
{
    /* the next MPX_X_ state by state and byte class: E is a bad byte, D the
       CR that ends the line (after a name, a value or a quoted value) */
    enum { E = 0xff, D = 0xfe, B = MPX_X_BWS, S = MPX_X_SEMI, N = MPX_X_NAME, NB = MPX_X_NAME_BWS, Q = MPX_X_EQ,
           V = MPX_X_VALUE, QS = MPX_X_QUOTED, ES = MPX_X_ESC, QE = MPX_X_QUOTED_END };
    static const unsigned char next[9][9] = {
        /*             blank ;  =  "   \  CR tchar other-text CTL */
        /* BWS */        {B, S, E, E, E, E, E, E, E},
        /* SEMI */       {S, E, E, E, E, E, N, E, E},
        /* NAME */       {NB, S, Q, E, E, D, N, E, E},
        /* NAME_BWS */   {NB, S, Q, E, E, E, E, E, E},
        /* EQ */         {Q, E, E, QS, E, E, V, E, E},
        /* VALUE */      {B, S, E, E, E, D, V, E, E},
        /* QUOTED */     {QS, QS, QS, QE, ES, E, QS, QS, E},
        /* ESC */        {QS, QS, QS, QS, QS, E, QS, QS, E},
        /* QUOTED_END */ {B, S, E, E, E, D, E, E, E}};
    int k = (MPX_CC(c) & MPX_C_TOKEN) ? 6 : c == ' ' || c == '\t' ? 0 : c == ';' ? 1 : c == '=' ? 2 : c == '"' ? 3
          : c == '\\' ? 4 : c == '\r' ? 5 : (c >= 0x20 && c != 0x7f) ? 7 : 8;
    unsigned char to = next[p->ext][k];
    if (to >= D) return to == D ? 1 : -1;
    p->ext = to;
    return 0;
}

/* Chunk framing, byte by byte so a size line is never buffered. */
MPX_NOINLINE static size_t mpx_parse_chunked(mpx_parser *p, const char *buf, size_t len, mpx_pev *ev)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)buf[i];
        switch (p->state) {
        case MPX_P_CHUNK_SIZE:
            if (MPX_CC(c) & MPX_C_HEX) {
                if (p->digits >= 32 || p->remain > (UINT64_MAX >> 4))
                    return mpx_parse_fail(p, ev, MPERF_E_WEIRD_SERVER_REPLY, MPX_TXT("Chunk size too large"));
                p->remain = (p->remain << 4) | (uint64_t)mpx_hexval(c);
                p->digits++;
                break;
            }
            if (p->digits == 0) return mpx_parse_fail(p, ev, MPERF_E_WEIRD_SERVER_REPLY, MPX_TXT("Invalid chunk size"));
            if (c == '\r') {
                p->state = MPX_P_CHUNK_LF;
            } else if (c == ';' || c == ' ' || c == '\t') {
                p->state = MPX_P_CHUNK_EXT;
                p->ext = c == ';' ? MPX_X_SEMI : MPX_X_BWS;
                p->ext_len = 0;
            } else {
                return mpx_parse_fail(p, ev, MPERF_E_WEIRD_SERVER_REPLY, MPX_TXT("Invalid chunk size line"));
            }
            break;
        case MPX_P_CHUNK_EXT: {
            int r;
            if (++p->ext_len > MPERF_MAX_CHUNK_EXT)
                return mpx_parse_fail(p, ev, MPERF_E_WEIRD_SERVER_REPLY, MPX_TXT("Chunk extension too long"));
            r = mpx_chunk_ext_step(p, c);
            if (r < 0) return mpx_parse_fail(p, ev, MPERF_E_WEIRD_SERVER_REPLY, MPX_TXT("Invalid chunk extension"));
            if (r > 0) p->state = MPX_P_CHUNK_LF;
            break;
        }
        case MPX_P_CHUNK_LF:
            if (c != '\n') return mpx_parse_fail(p, ev, MPERF_E_WEIRD_SERVER_REPLY,
                                                 MPX_TXT("Chunk size line not ended by CRLF"));
            p->overhead += 1;
            i++;
            if (p->remain == 0) {
                p->state = MPX_P_TRAILERS;
                p->scan = p->colon = 0;
                p->nfields = 0;
                return i + mpx_parse_field(p, buf + i, len - i, ev);
            }
            p->state = MPX_P_CHUNK_DATA;
            continue;
        case MPX_P_CHUNK_DATA: {
            size_t n = len - i;
            if ((uint64_t)n > p->remain) n = (size_t)p->remain;
            if (n > p->max_data) n = p->max_data;
            p->remain -= n;
            p->data += n;
            if (p->remain == 0) p->state = MPX_P_CHUNK_CR;
            ev->type = MPX_EV_BODY;
            ev->data = buf + i;
            ev->datalen = n;
            return i + n;
        }
        case MPX_P_CHUNK_CR:
            if (c != '\r') return mpx_parse_fail(p, ev, MPERF_E_WEIRD_SERVER_REPLY,
                                                 MPX_TXT("Chunk data not followed by CRLF"));
            p->state = MPX_P_CHUNK_DATA_LF;
            break;
        default: /* MPX_P_CHUNK_DATA_LF */
            if (c != '\n') return mpx_parse_fail(p, ev, MPERF_E_WEIRD_SERVER_REPLY,
                                                 MPX_TXT("Chunk data not followed by CRLF"));
            p->state = MPX_P_CHUNK_SIZE;
            p->digits = 0;
            if (p->overhead > MPERF_CHUNK_OVERHEAD_MIN && p->overhead / 4 > p->data)
                return mpx_parse_fail(p, ev, MPERF_E_WEIRD_SERVER_REPLY, MPX_TXT("Chunked framing overhead too large"));
            break;
        }
        p->overhead++;
        i++;
    }
    ev->type = MPX_EV_NEED;
    return i;
}

/* The next piece of an identity body (its length known, or to the close)
   from len buffered bytes (len > 0): a write's worth at most, never past
   the body's end. */
static size_t mpx_body_piece(mpx_parser *p, size_t len)
{
    size_t n = MPX_MIN(len, p->max_data);
    if (p->state == MPX_P_BODY_LEN) {
        if ((uint64_t)n > p->remain) n = (size_t)p->remain;
        p->remain -= n;
        if (!p->remain) p->state = MPX_P_DONE;
    }
    return n;
}

static size_t mpx_parse_one(mpx_parser *p, const char *buf, size_t len, mpx_pev *ev)
{
    size_t n;
    switch (p->state) {
    case MPX_P_STATUS:
        return mpx_parse_status(p, buf, len, ev);
    case MPX_P_FIELDS:
    case MPX_P_TRAILERS: /* trailers are rare: the general path (with its own fast path) */
        return mpx_parse_field(p, buf, len, ev);
    case MPX_P_BODY_LEN:
    case MPX_P_BODY_CLOSE:
        if (!len) break;
        n = mpx_body_piece(p, len);
        ev->type = MPX_EV_BODY;
        ev->data = buf;
        ev->datalen = n;
        return n;
    case MPX_P_DONE:
        ev->type = MPX_EV_DONE;
        return 0;
    case MPX_P_ERROR:
        ev->type = MPX_EV_ERROR;
        return 0;
    default:
        return mpx_parse_chunked(p, buf, len, ev);
    }
    ev->type = MPX_EV_NEED;
    return 0;
}

/* ---- the fast paths (speed builds) ---- */
#if MPX_FAST
/* Bit n set for the name lengths of the framing fields (Connection,
   Content-Length, Transfer-Encoding): only those names go to
   mpx_fast_framing. */
#define MPX_FRAMING_LENS (UINT64_C(1) << 10 | UINT64_C(1) << 14 | UINT64_C(1) << 17)

/* A header name or value token (8 or more bytes, no CR: names are token
   bytes, and value tokens end at blanks, CR and LF included) equals a literal
   of lowercase letters and '-', ignoring case: OR-ing 0x20 into 8 bytes at a
   time maps only 'A'-'Z' onto 'a'-'z', and only CR onto '-'. */
static int mpx_name_is(const char *s, size_t n, const char *lit)
{
    const uint64_t lower = MPX_ONES * 0x20;
    uint64_t a, b;
    size_t i;
    for (i = 0; i + 8 <= n; i += 8) {
        memcpy(&a, s + i, 8);
        memcpy(&b, lit + i, 8);
        if ((a | lower) != b) return 0;
    }
    if (i < n) { /* the last 8 bytes, overlapping */
        memcpy(&a, s + n - 8, 8);
        memcpy(&b, lit + n - 8, 8);
        if ((a | lower) != b) return 0;
    }
    return 1;
}

/* mpx_parse_framing for a field a fast path found: the name told by its
   length and 8 bytes at a time, and "Connection: keep-alive" (the usual
   value) without walking the list. */
static size_t mpx_fast_framing(mpx_parser *p, mpx_pev *ev)
{
    size_t n = ev->namelen;
    if (n == 14 && mpx_name_is(ev->line, 14, "content-length")) return mpx_framing_value(p, MPX_F_CONTENT_LENGTH, ev);
    if (n == 17 && mpx_name_is(ev->line, 17, "transfer-encoding"))
        return mpx_framing_value(p, MPX_F_TRANSFER_ENCODING, ev);
    if (n == 10 && mpx_name_is(ev->line, 10, "connection")) {
        if (ev->valuelen == 10 && mpx_name_is(ev->value, 10, "keep-alive")) {
            p->conn_keepalive = 1;
            return 1;
        }
        return mpx_framing_value(p, MPX_F_CONNECTION, ev);
    }
    return 1;
}

/* A framing field found by mpx_field_fast: returns linelen, or 0 on an error
   (reported). Out of line, so it is reached by a tail call that saves no
   registers. */
MPX_NOINLINE static size_t mpx_field_framing(mpx_parser *p, mpx_pev *ev, size_t linelen)
{
    return mpx_fast_framing(p, ev) ? linelen : 0;
}

/* The limits hold for one more field line of linelen bytes. */
static int mpx_field_fits(const mpx_parser *p, size_t linelen)
{
    return linelen <= MPERF_MAX_HEADER_LINE && p->head_total + linelen <= MPERF_MAX_HEADER_TOTAL &&
           p->nfields < MPERF_MAX_HEADER_COUNT;
}

/* The usual field line of a head, all in the buffer, 8 bytes at a time:
   "Name: value\r\n" with no fold, tab or bare LF, within the limits. Returns
   its length, or 0 for the reference path (which also reports any error);
   0 too when a framing field's value is bad (reported). */
MPX_NOINLINE static size_t mpx_field_fast(mpx_parser *p, const char *buf, size_t len, mpx_pev *ev)
{
    const char *colon;
    size_t name, k, v, e;
    if (len < 4 || !(MPX_CC(buf[0]) & MPX_C_TOKEN) || !mpx_little_endian()) return 0;
    colon = mpx_find_colon(buf, len);
    if (!colon) return 0;
    name = (size_t)(colon - buf);
    if (!mpx_all_token(buf, name)) return 0;
    v = name + 1;
    while (v < len && buf[v] == ' ') v++;
    e = v;
    for (;;) { /* to the first byte below 0x20 or DEL */
        uint64_t w, m;
        if (e + 8 > len) return 0;
        memcpy(&w, buf + e, 8);
        m = mpx_word_flags(w);
        if (m) {
            e += mpx_first_flag(m);
            break;
        }
        e += 8;
    }
    if (buf[e] != '\r' || e + 2 >= len || buf[e + 1] != '\n' || buf[e + 2] == ' ' || buf[e + 2] == '\t') return 0;
    MPX_TEST_SCANNED(e + 2);
    k = e + 2; /* the line */
    if (!mpx_field_fits(p, k)) return 0;
    while (e > v && buf[e - 1] == ' ') e--;
    p->head_total += k;
    p->nfields++;
    p->folded = 0;
    ev->type = MPX_EV_FIELD;
    ev->line = buf;
    ev->linelen = k;
    ev->namelen = name;
    ev->value = buf + v;
    ev->valuelen = e - v;
    if (name < 64 && ((MPX_FRAMING_LENS >> name) & 1) && !p->interim) return mpx_field_framing(p, ev, k);
    return k;
}

#if MPX_SSE2
/* Bit masks of the control bytes (below 0x20, and DEL) and of the colons
   among the 16 bytes at p. */
static void mpx_masks16(const char *p, unsigned *ctl, unsigned *col)
{
    const __m128i co = _mm_set1_epi8(':'), del = _mm_set1_epi8(0x7f), c1f = _mm_set1_epi8(0x1f);
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    /* 0x00-0x1f: max(x, 0x1f) == 0x1f */
    *ctl = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(_mm_max_epu8(x, c1f), c1f), _mm_cmpeq_epi8(x, del)));
    *col = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, co));
}

/* The usual status line, all in the buffer: "HTTP/" and, within 64 bytes,
   a first control byte that is the CR of a CRLF, found 16 bytes at a time.
   Returns its length, 0 for the reference path, or 0 on an error in it
   (reported). */
MPX_NOINLINE static size_t mpx_status_fast(mpx_parser *p, const char *buf, size_t len, mpx_pev *ev)
{
    size_t at;
    if (len < 5 || memcmp(buf, "HTTP/", 5) != 0) return 0;
    for (at = 0; at + 16 <= len && at < 64; at += 16) {
        unsigned ctl, col;
        mpx_masks16(buf + at, &ctl, &col);
        if (ctl) {
            size_t cr = at + (size_t)(unsigned)__builtin_ctz(ctl);
            if (buf[cr] != '\r' || cr + 1 >= len || buf[cr + 1] != '\n') return 0;
            MPX_TEST_SCANNED(cr + 2);
            return mpx_status_line(p, buf, cr + 1, ev);
        }
    }
    return 0;
}

/* Bit mask of the bytes other than letters, digits and '-' among the 16 at p. */
static inline __attribute__((always_inline)) unsigned mpx_odd16(const char *p)
{
    const __m128i lo = _mm_set1_epi8(0x20), da = _mm_set1_epi8((char)(0x80 - 'a')), la = _mm_set1_epi8(-128 + 26);
    const __m128i d0 = _mm_set1_epi8((char)(0x80 - '0')), l0 = _mm_set1_epi8(-128 + 10), dash = _mm_set1_epi8('-');
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p), ok;
    /* in a range: x + (0x80 - low) as a signed byte is below -128 + width */
    ok = _mm_cmpgt_epi8(la, _mm_add_epi8(_mm_or_si128(x, lo), da));
    ok = _mm_or_si128(ok, _mm_cmpgt_epi8(l0, _mm_add_epi8(x, d0)));
    ok = _mm_or_si128(ok, _mm_cmpeq_epi8(x, dash));
    return (unsigned)_mm_movemask_epi8(ok) ^ 0xffffu;
}

/* The name buf[0..n) is letters, digits and '-' only (the usual header
   name), checked in up to three 16-byte blocks with no loop; 0 when it is
   not, when it is longer than 48 bytes, or when its blocks are not all in
   the buffer. */
static inline __attribute__((always_inline)) int mpx_name_alnum_sse2(const char *buf, size_t n, size_t len)
{
    uint64_t odd;
    if (n > 48 || n + 15 >= len) return 0; /* the blocks must lie in the buffer */
    odd = mpx_odd16(buf);
    if (n > 16) {
        odd |= (uint64_t)mpx_odd16(buf + 16) << 16;
        if (n > 32) odd |= (uint64_t)mpx_odd16(buf + 32) << 32;
    }
    return (odd & ((UINT64_C(1) << n) - 1)) == 0;
}

/* Field lines of a head with SSE2 (every x86-64 has it), as many as fit
   in ev[*k..max): one pass over four 16-byte blocks gives bit masks of the
   control bytes (the CR among them) and of the colons of 64 bytes; the lines
   inside them are read from the masks, and a line that runs past them starts
   the next pass. It takes the usual line only: "Name: value\r\n" with a name
   of letters, digits and '-' of at most 48 bytes, at most one space before
   the value and none after it, no fold, and the byte after it in the buffer.
   At any other line it stops, for mpx_field_fast or the reference path
   (which also reports any error). Returns the bytes it consumed and adds its events to *k; the last
   is an error if a framing field was bad. */
static size_t mpx_fields_sse2(mpx_parser *p, const char *buf, size_t len, mpx_pev *ev, unsigned *kp, unsigned max)
{
    const char *b = buf, *end = buf + len, *wend = buf; /* wend: the end of the masks' 64 bytes */
    const uint64_t framing = p->interim ? 0 : MPX_FRAMING_LENS;
    size_t off = p->head_total - p->mk_at, room = MPERF_MAX_HEADER_TOTAL - p->head_total;
    uint64_t ctl = 0, col = 0;
    unsigned k = *kp, k0 = k;
    if ((unsigned)MPERF_MAX_HEADER_COUNT - p->nfields < max - k) max = k + ((unsigned)MPERF_MAX_HEADER_COUNT - p->nfields);
    if (off < p->mk_n) { /* the masks of the last pass reach here */
        ctl = p->mk_ctl >> off;
        col = p->mk_col >> off;
        wend = buf + (p->mk_n - off);
    }
    p->folded = 0;
    for (; k < max; k++) {
        size_t left = (size_t)(end - b), e, c, v;
        mpx_pev *f = &ev[k];
        if (!ctl) { /* the line does not end inside the last pass: a new pass at the line */
            unsigned t0, t1, t2, t3, c0, c1, c2, c3;
            if (left < 64) break;
            mpx_masks16(b, &t0, &c0);
            mpx_masks16(b + 16, &t1, &c1);
            mpx_masks16(b + 32, &t2, &c2);
            mpx_masks16(b + 48, &t3, &c3);
            ctl = t0 | (uint64_t)t1 << 16 | (uint64_t)t2 << 32 | (uint64_t)t3 << 48;
            col = c0 | (uint64_t)c1 << 16 | (uint64_t)c2 << 32 | (uint64_t)c3 << 48;
            wend = b + 64;
            if (!ctl) break;
        }
        e = (size_t)(unsigned)__builtin_ctzll(ctl) + 1; /* the LF, if the first control byte is the CR of a CRLF */
        if (e < 3 || e + 1 >= left || b[e - 1] != '\r' || b[e] != '\n') break;
        c = (size_t)(unsigned)__builtin_ctzll(col | UINT64_C(1) << 63); /* the first colon */
        if (c == 0 || c >= e - 1 || (MPX_CC(b[e + 1]) & MPX_C_WS) || !mpx_name_alnum_sse2(b, c, left)) break;
        if (e + 1 > room) break;
#if MPERF_MAX_HEADER_LINE < 65
        if (e + 1 > MPERF_MAX_HEADER_LINE) break;
#endif
        v = c + 1 + (b[c + 1] == ' ');
        if (b[v] == ' ' || b[e - 2] == ' ') break; /* more spaces around the value */
        MPX_TEST_SCANNED(e + 1);
        f->type = MPX_EV_FIELD;
        f->line = b;
        f->linelen = e + 1;
        f->namelen = c;
        f->value = b + v;
        f->valuelen = e - 1 - v;
        if (((framing >> c) & 1) && !mpx_fast_framing(p, f)) { /* f is now the error; the line stays */
            k++;
            break;
        }
        room -= e + 1;
        b += e + 1;
        ctl = ctl >> (e - 1) >> 2;
        col = col >> (e - 1) >> 2;
    }
    p->head_total = MPERF_MAX_HEADER_TOTAL - room;
    p->nfields += k - k0;
    p->mk_ctl = ctl;
    p->mk_col = col;
    p->mk_at = p->head_total;
    p->mk_n = ctl ? (size_t)(wend - b) : 0;
    *kp = k;
    return (size_t)(b - buf);
}
#endif /* MPX_SSE2 */

/* A line that starts at buf, for the fast paths: returns 1 when one took it
   or failed it (ev and *n are set), 0 to leave it to the reference path. */
static int mpx_parse_fast(mpx_parser *p, const char *buf, size_t len, mpx_pev *ev, size_t *n)
{
    if (p->state == MPX_P_FIELDS && (p->scan | p->colon) == 0) *n = mpx_field_fast(p, buf, len, ev);
#if MPX_SSE2
    else if (p->state == MPX_P_STATUS && p->scan == 0) *n = mpx_status_fast(p, buf, len, ev);
#endif
    else return 0;
    return *n || p->state == MPX_P_ERROR;
}
#endif /* MPX_FAST */

/* ---- the parser's entry points ---- */
/* Parses the unconsumed bytes buf[0..len): fills ev[0..max) and returns
   how many events it gave, *used the bytes they consumed. It goes on after
   STATUS and FIELD events and stops after any other, so a whole usual head
   can take one call (the engine takes MPX_EVENTS a call). The one place
   that chooses between the fast paths and the reference path. */
static unsigned mpx_parse(mpx_parser *p, const char *buf, size_t len, mpx_pev *ev, unsigned max, size_t *used)
{
    size_t pos = 0;
    unsigned k = 0;
    for (;;) {
        size_t n = 0;
        int t, taken = 0;
#if MPX_SSE2
        /* field lines in a batch, with 64 bytes for a pass or masks still to
           use (not so when bytes trickle in: then the word path is quicker) */
        if (p->state == MPX_P_FIELDS && (p->scan | p->colon) == 0 &&
            (len - pos >= 64 || p->head_total - p->mk_at < p->mk_n)) {
            pos += mpx_fields_sse2(p, buf + pos, len - pos, ev, &k, max);
            if (k == max || p->state == MPX_P_ERROR) break;
        }
#endif
#if MPX_FAST
        taken = mpx_parse_fast(p, buf + pos, len - pos, &ev[k], &n);
#endif
        if (!taken) n = mpx_parse_one(p, buf + pos, len - pos, &ev[k]);
        pos += n;
        t = ev[k++].type;
        if ((t != MPX_EV_STATUS && t != MPX_EV_FIELD) || k == max) break;
    }
    *used = pos;
    return k;
}

/* The peer closed the connection: does that end the response or break it? */
static void mpx_parse_eof(mpx_parser *p, mpx_pev *ev)
{
    switch (p->state) {
    case MPX_P_BODY_CLOSE:
    case MPX_P_DONE:
        p->state = MPX_P_DONE;
        ev->type = MPX_EV_DONE;
        return;
    case MPX_P_ERROR:
        ev->type = MPX_EV_ERROR;
        return;
    case MPX_P_STATUS: /* nothing, part of a status line, or only 1xx heads: as libcurl */
        mpx_parse_fail(p, ev, MPERF_E_GOT_NOTHING, MPX_TXT("Empty reply from server"));
        return;
    case MPX_P_FIELDS:
        mpx_parse_fail(p, ev, MPERF_E_PARTIAL_FILE, MPX_TXT("Connection closed before the end of the response header"));
        return;
    case MPX_P_BODY_LEN:
        mpx_parse_fail(p, ev, MPERF_E_PARTIAL_FILE, MPX_TXT("Transfer closed with bytes remaining to read"));
        return;
    default:
        mpx_parse_fail(p, ev, MPERF_E_PARTIAL_FILE, MPX_TXT("Transfer closed with outstanding read data remaining"));
        return;
    }
}

/* -------------------------------------------------------------------- */
/* >>response: parser events to the transfer: head, redirect, reading   */
/* -------------------------------------------------------------------- */
/* A redirect body bigger than this is not drained: the connection closes. */
#define MPX_DRAIN_MAX (64 * 1024)

#if (MPX_AUTH && MPX_REDIRECTS) || MPX_PROXY
/* A WWW-Authenticate (or Proxy-Authenticate) value offers Basic: the token "Basic" starts it or a
   challenge after a comma. */
static int mpx_offers_basic(const char *v, size_t n)
{
    size_t i = 0;
    for (;;) {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) i++;
        if (n - i >= 5 && MPX_IEQ(v + i, 5, "basic") && (n - i == 5 || v[i + 5] == ' ' || v[i + 5] == ',')) return 1;
        while (i < n && v[i] != ',') i++;
        if (i >= n) return 0;
    }
}
#endif

#if MPX_PROXY
/* A field of a proxy's 407 (to a request or to CONNECT) offering Basic. */
static void mpx_px_challenge(mperf_easy *e, const mpx_pev *ev)
{
    if (e->x.p.status == 407 && ev->namelen == 18 && MPX_IEQ(ev->line, 18, "proxy-authenticate") &&
        mpx_offers_basic(ev->value, ev->valuelen))
        e->x.px_offer |= 1;
}
#endif

#if MPX_HEADER_API
/* Copies a field value of n bytes into dst (n + 1 bytes of room), folded
   lines joined as libcurl joins them: a line's trailing blanks go, and a
   continuation line keeps the last blank before its text. Returns the
   length; dst ends in a NUL. */
static size_t mpx_unfold(char *dst, const char *v, size_t n)
{
    size_t i, o = 0;
    for (i = 0; i < n; i++) {
        if (v[i] != '\r' && v[i] != '\n') {
            dst[o++] = v[i];
            continue;
        }
        while (o && (dst[o - 1] == ' ' || dst[o - 1] == '\t')) o--;
        while (i + 1 < n && (v[i + 1] == '\r' || v[i + 1] == '\n' ||
                             ((v[i + 1] == ' ' || v[i + 1] == '\t') && i + 2 < n && (v[i + 2] == ' ' || v[i + 2] == '\t'))))
            i++;
    }
    dst[o] = 0;
    return o;
}

/* Keeps a field for the header API: 0 when out of memory. */
static int mpx_keep_field(mperf_easy *e, const mpx_pev *ev, unsigned origin)
{
    mpx_hfield f;
    f.name = e->htext.len;
    f.value = f.name + ev->namelen + 1;
    f.request = e->x.redirect_count;
    f.origin = origin;
    if (!mpx_buf_reserve(&e->al, &e->htext, ev->namelen + ev->valuelen + 2) ||
        !mpx_buf_add(&e->al, &e->hfields, &f, sizeof f))
        return 0;
    memcpy(e->htext.p + f.name, ev->line, ev->namelen);
    e->htext.p[f.value - 1] = 0;
    e->htext.len = f.value + mpx_unfold(e->htext.p + f.value, ev->value, ev->valuelen) + 1;
    return 1;
}
#endif

/* Keeps a copy of a header value (folds become spaces) in a handle buffer. */
static int mpx_keep_value(mperf_easy *e, char **dst, size_t *cap, const char *v, size_t n)
{
    size_t i, o = 0;
    if (n + 1 > *cap) {
        char *nb = (char *)mpx_alloc(&e->al, n + 1);
        if (!nb) return 0;
        mpx_free(&e->al, *dst);
        *dst = nb;
        *cap = n + 1;
    }
    for (i = 0; i < n; i++)
        if (v[i] != '\r' && v[i] != '\n') (*dst)[o++] = v[i];
    (*dst)[o] = 0;
    return 1;
}

/* Follows the redirect whose response just ended: the next hop. */
static void mpx_xfer_redirect(mperf_multi *m, mperf_easy *e)
{
    long st = e->x.p.status;
    const char *why = NULL;
    mperf_code rc;
    mpx_url ou, nu;
    if (e->x.conn)
        mpx_conn_done(m, e, e->x.p.keepalive && e->x.p.state == MPX_P_DONE && !e->o.forbid_reuse &&
                                (e->x.body_state == MPX_B_NONE || e->x.body_state == MPX_B_DONE));
    if (!e->x.auth_retry && e->o.maxredirs >= 0 && e->x.redirect_count >= e->o.maxredirs) {
        MPX_FAIL(m, e, MPERF_E_TOO_MANY_REDIRECTS, "Maximum (%ld) redirects followed", e->o.maxredirs);
        return;
    }
    e->x.redirect_count++; /* an answered 401 counts too, as in libcurl */
    e->x.uploaded = 0; /* SIZE_UPLOAD is the last request's, as in libcurl */
    if ((st == 303 && e->x.req != MPX_REQ_HEAD && !(e->x.req == MPX_REQ_POST && (e->o.postredir & MPERF_REDIR_POST_303))) ||
        ((st == 301 || st == 302) && (e->x.req == MPX_REQ_POST || strcmp(e->x.method, "POST") == 0) &&
         !(e->o.postredir & (st == 301 ? MPERF_REDIR_POST_301 : MPERF_REDIR_POST_302)))) {
        MPX_INFO(e, "Switching to GET after a %ld response", st);
        e->x.req = MPX_REQ_GET;
        e->x.body_kind = MPX_BODY_NONE;
        e->x.body_chunked = e->x.expect100 = 0;
        memcpy(e->x.method, "GET", 4); /* a custom method goes too: the new request is a GET */
    } else if (MPX_UPLOADS && e->x.body_kind && !mpx_body_rewind(m, e)) {
        MPX_FAIL(m, e, MPERF_E_SEND_FAIL_REWIND, "Cannot rewind the request body to follow the redirect");
        return;
    }
    /* credentials and hand-set Authorization/Cookie go only to the host they were given for */
    if (!e->o.unrestricted_auth) {
        e->x.auth_ok = mpx_url_parse(e->o.url, &ou, &why) == MPERF_E_OK &&
                     mpx_url_parse(e->redirect_url, &nu, &why) == MPERF_E_OK && ou.https == nu.https &&
                     (e->o.port > 0 || ou.port == nu.port) && ou.hostlen == nu.hostlen &&
                     mpx_ncaseeq(ou.host, nu.host, ou.hostlen);
        if (!e->x.auth_ok) MPX_INFO(e, "Not sending credentials to another host or port");
    }
    if (e->x.auth_retry) {
        e->x.auth_retry = 0;
        MPX_INFO(e, "Asking again, with %s authentication", e->x.auth_picked == 2 ? "Digest" : "Basic");
    } else {
        if (e->o.autoreferer && /* a Referer has no fragment */
            !mpx_keep_value(e, &e->prev_url, &e->prev_cap, e->effective_url, mpx_upto(e->effective_url, '#'))) {
            MPX_FAIL(m, e, MPERF_E_OUT_OF_MEMORY, "Out of memory");
            return;
        }
        e->x.t_redirect = m->now - e->x.t_start;
        MPX_INFO(e, "Following the redirect to %s", e->redirect_url);
    }
    rc = mpx_xfer_hop(m, e, e->redirect_url, &why);
    if (rc != MPERF_E_OK) {
        MPX_FAIL(m, e, rc, "Redirect to a bad URL: %s", why);
        return;
    }
    mpx_dirty_add(m, e);
}

/* The response in is to be followed (a redirect, or a 401 to answer): its
   body is read and dropped, unless it is big. 1 when the transfer moved on. */
static int mpx_xfer_follow(mperf_multi *m, mperf_easy *e)
{
    e->x.following = 1;
    if (e->x.p.state == MPX_P_BODY_CLOSE || (e->x.p.state == MPX_P_BODY_LEN && e->x.p.remain > MPX_DRAIN_MAX)) {
        e->x.p.keepalive = 0;
        mpx_xfer_redirect(m, e);
        return 1;
    }
    return 0;
}

/* A 401 to our Digest answer says the nonce was stale (a new one comes with
   it): answered once more with it, as libcurl does, without asking anew. */
static int mpx_digest_stale(mperf_easy *e)
{
#if MPX_DIGEST
    if (e->x.auth_picked == 2 && (e->x.auth_offer & 2) && e->dg && e->dg->stale && !e->x.auth_stale) {
        e->x.auth_stale = 1;
        return 1;
    }
#else
    (void)e;
#endif
    return 0;
}

/* The final response's head is in: redirects, error statuses, size limits.
   Returns 1 when the transfer ended or moved on. */
static int mpx_xfer_head_done(mperf_multi *m, mperf_easy *e)
{
    long st = e->x.p.status;
    const mpx_opts *o = &e->o;
    e->x.content_length = st == 204 || st == 304 ? 0 : e->x.p.has_cl ? (mperf_off_t)e->x.p.content_length : -1;
#if MPX_PROXY && MPX_REDIRECTS
    if (st == 407 && e->x.proxy == MPX_PX_FORWARD && e->x.px_has_user && !e->x.px_picked && (e->x.px_offer & 1) &&
        (o->proxyauth & MPERF_AUTH_BASIC)) { /* the proxy asked: again, with Basic */
        if (!mpx_keep_value(e, &e->redirect_url, &e->redirect_cap, e->effective_url, strlen(e->effective_url))) {
            MPX_FAIL(m, e, MPERF_E_OUT_OF_MEMORY, "Out of memory");
            return 1;
        }
        e->x.px_picked = 1;
        e->x.auth_retry = 1;
        return mpx_xfer_follow(m, e);
    }
#endif
    if (MPX_AUTH && MPX_REDIRECTS && st == 401 && e->x.auth_offer && e->x.auth_ok &&
        (!e->x.auth_picked || (e->x.auth_kept && !e->x.auth_retried) || mpx_digest_stale(e)) &&
        (o->userpwd || o->username || o->password || e->x.u.has_user)) { /* asked for: again, with the strongest */
        uint8_t pick = MPX_DIGEST && (e->x.auth_offer & 2) && (o->httpauth & MPERF_AUTH_DIGEST) ? 2
                       : (e->x.auth_offer & 1) && (o->httpauth & MPERF_AUTH_BASIC) && o->httpauth != MPERF_AUTH_BASIC ? 1
                                                                                                                      : 0;
        if (pick) {
            if (!mpx_keep_value(e, &e->redirect_url, &e->redirect_cap, e->effective_url, strlen(e->effective_url))) {
                MPX_FAIL(m, e, MPERF_E_OUT_OF_MEMORY, "Out of memory");
                return 1;
            }
            e->x.auth_picked = pick;
            e->x.auth_retry = e->x.auth_retried = 1;
            return mpx_xfer_follow(m, e);
        }
    }
    if (MPX_REDIRECTS && (st == 301 || st == 302 || st == 303 || st == 307 || st == 308) && e->location &&
        e->location[0]) {
        int r = mpx_url_resolve(&e->al, e->effective_url, &e->x.u, e->location, &e->redirect_url, &e->redirect_cap);
        if (r < 0) {
            MPX_FAIL(m, e, MPERF_E_OUT_OF_MEMORY, "Out of memory");
            return 1;
        }
        if (r == 0) {
            if (e->o.followlocation) {
                MPX_FAIL(m, e, MPERF_E_URL_MALFORMAT, "The redirect location is not a usable URL");
                return 1;
            }
        } else if (e->o.followlocation) {
            return mpx_xfer_follow(m, e);
        }
    }
    if (MPX_RANGES && e->o.resume_from > 0 && st == 200 && e->x.req == MPX_REQ_GET) {
        MPX_FAIL(m, e, MPERF_E_RANGE_ERROR, "HTTP server does not support byte ranges: cannot resume");
        return 1;
    }
    if (e->o.failonerror && st >= 400) {
        e->x.p.keepalive = 0;
        if (mpx_progress(m, e) < 0) return 1; /* the size is known now: libcurl's last call says it */
        MPX_FAIL(m, e, MPERF_E_HTTP_RETURNED_ERROR, "The requested URL returned error: %ld", st);
        return 1;
    }
    return 0;
}

/* Body bytes of the response, taken from the receive buffer: to the write
   callback, or dropped with a redirect's body (the debug callback sees
   them). 0 to go on, 1 when the transfer ended or moved on, 2 when it
   paused. */
static int mpx_xfer_body(mperf_multi *m, mperf_easy *e, const char *data, size_t n)
{
    mpx_conn *c = e->x.conn;
    int r;
    if (MPX_REDIRECTS && e->x.following) {
        if (!e->x.p.chunked) mpx_debug(e, MPERF_INFOTYPE_DATA_IN, mpx_rbuf_at(c, data), n);
        e->x.drained += (mperf_off_t)n;
        if (e->x.drained > MPX_DRAIN_MAX) {
            e->x.p.keepalive = 0;
            mpx_xfer_redirect(m, e);
            return 1;
        }
        return 0;
    }
    r = mpx_deliver_body(m, e, mpx_rbuf_at(c, data), n);
    if (r < 0) return 1;
    if (r > 0) {
        e->x.pause_off = (size_t)(data - c->rbuf);
        e->x.pause_len = n;
#if MPX_DECODE
        e->x.pause_off += e->x.pause_skip; /* (what the decoder took is not given again) */
        e->x.pause_len -= e->x.pause_skip;
#endif
        mpx_xfer_interest(m, e);
        return 2;
    }
    return (e->x.paused & MPERF_PAUSE_RECV) ? 2 : 0; /* by easy_pause inside the callback: the rest waits */
}

/* Hands the parser's events for the buffered bytes to the callbacks.
   Returns 0 when it needs more input, 1 when the transfer finished (or went
   on to a redirect), 2 when the write callback paused it. */
static int mpx_xfer_consume(mperf_multi *m, mperf_easy *e)
{
    mpx_conn *c = e->x.conn;
    for (;;) {
        mpx_pev evs[MPX_EVENTS];
        size_t used;
        unsigned n, k;
        int framed;
        /* an identity body goes out a piece at a time without a parser event
           each (speed builds; a size build takes the parser's events) */
        while (MPX_FAST && (e->x.p.state == MPX_P_BODY_LEN || e->x.p.state == MPX_P_BODY_CLOSE) && c->rbuf &&
               c->rpos < c->rlen) {
            const char *d = c->rbuf + c->rpos;
            size_t piece = mpx_body_piece(&e->x.p, c->rlen - c->rpos);
            int r;
            c->rpos += piece;
            if ((r = mpx_xfer_body(m, e, d, piece)) != 0) return r;
        }
        framed = e->x.p.state >= MPX_P_CHUNK_SIZE && e->x.p.state <= MPX_P_TRAILERS;
        n = mpx_parse(&e->x.p, c->rbuf ? c->rbuf + c->rpos : "", c->rbuf ? c->rlen - c->rpos : 0, evs, MPX_EVENTS,
                      &used);
        if (framed && used) /* libcurl's debug callback sees a chunked body as it came, framing and all */
            mpx_debug(e, MPERF_INFOTYPE_DATA_IN, c->rbuf + c->rpos, used);
        c->rpos += used;
        for (k = 0; k < n; k++) {
            const mpx_pev *ev = &evs[k];
            switch (ev->type) {
            case MPX_EV_NEED:
                return 0;
            case MPX_EV_STATUS:
                e->x.response_code = e->x.p.status;
                if (MPX_AUTH && MPX_REDIRECTS) e->x.auth_offer = 0;
#if MPX_DECODE
                e->x.coding = 0;
#endif
#if MPX_PROXY
                e->x.px_offer = 0;
#endif
                e->x.http_version_seen = e->x.p.minor ? MPERF_HTTP_VERSION_1_1 : MPERF_HTTP_VERSION_1_0;
                if (MPX_REDIRECTS && !e->x.p.minor) e->x.saw10 = 1;
                if (e->location) e->location[0] = 0;
                if (e->ctype) e->ctype[0] = 0;
                if (!MPX_UPLOADS) {
                } else if (e->x.p.interim) {
                    if (e->x.p.status == 100 && e->x.body_state == MPX_B_WAIT100) mpx_body_set(m, e, MPX_B_SENDING);
                } else if (e->x.body_state == MPX_B_WAIT100 || e->x.body_state == MPX_B_SENDING) {
                    MPX_INFO(e, "The server answered before the whole request body was sent");
                    mpx_body_set(m, e, MPX_B_ABANDONED);
                }
                if (mpx_deliver_header(m, e, mpx_rbuf_at(c, ev->line), ev->linelen, MPX_HL_LINE)) return 1;
                break;
            case MPX_EV_FIELD:
#if MPX_HEADER_API
                if (!mpx_keep_field(e, ev, e->x.p.interim ? MPERF_H_1XX : MPERF_H_HEADER)) { /* before the callback */
                    MPX_FAIL(m, e, MPERF_E_OUT_OF_MEMORY, "Out of memory");
                    return 1;
                }
#endif
                if (!e->x.p.interim && ev->namelen == 12 && MPX_IEQ(ev->line, 12, "content-type") &&
                    !mpx_keep_value(e, &e->ctype, &e->ctype_cap, ev->value, ev->valuelen)) {
                    MPX_FAIL(m, e, MPERF_E_OUT_OF_MEMORY, "Out of memory");
                    return 1;
                }
#if MPX_PROXY
                mpx_px_challenge(e, ev);
#endif
#if MPX_DECODE
                if (!e->x.p.interim && ev->namelen == 16 && MPX_IEQ(ev->line, 16, "content-encoding"))
                    mpx_decode_coding(e, ev->value, ev->valuelen);
#endif
#if MPX_COOKIES
                if (e->cookies_on && e->jar && !e->x.p.interim && ev->namelen == 10 && MPX_IEQ(ev->line, 10, "set-cookie") &&
                    !mpx_cookie_set(e, ev->value, ev->valuelen)) {
                    MPX_FAIL(m, e, MPERF_E_OUT_OF_MEMORY, "Out of memory");
                    return 1;
                }
#endif
#if MPX_AUTH && MPX_REDIRECTS
                if (e->x.p.status == 401 && ev->namelen == 16 && MPX_IEQ(ev->line, 16, "www-authenticate")) {
                    if (mpx_offers_basic(ev->value, ev->valuelen)) e->x.auth_offer |= 1;
#if MPX_DIGEST
                    if (e->o.httpauth & MPERF_AUTH_DIGEST) {
                        int r = mpx_digest_offer(e, ev->value, ev->valuelen);
                        if (r < 0) {
                            MPX_FAIL(m, e, MPERF_E_OUT_OF_MEMORY, "Out of memory");
                            return 1;
                        }
                        if (r) e->x.auth_offer |= 2;
                    }
#endif
                }
#endif
                if (MPX_REDIRECTS && !e->x.p.interim && ev->namelen == 8 && MPX_IEQ(ev->line, 8, "location") &&
                    !mpx_keep_value(e, &e->location, &e->location_cap, ev->value, ev->valuelen)) {
                    MPX_FAIL(m, e, MPERF_E_OUT_OF_MEMORY, "Out of memory");
                    return 1;
                }
                { /* a folded field line by line, as libcurl delivers it */
                    char *at = mpx_rbuf_at(c, ev->line), *nl;
                    size_t left = ev->linelen, piece;
                    for (; left; at += piece, left -= piece) {
                        nl = (char *)memchr(at, '\n', left);
                        piece = nl ? (size_t)(nl - at) + 1 : left;
                        if (mpx_deliver_header(m, e, at, piece, MPX_HL_LINE)) return 1;
                    }
                }
                if (e->o.maxfilesize > 0 && e->x.p.has_cl && ev->line == e->x.p.cl_line &&
                    (mperf_off_t)e->x.p.content_length > e->o.maxfilesize &&
                    !e->x.p.interim) { /* refused at the Content-Length line, as libcurl (the parser runs ahead
                                          of the events: has_cl alone may come from a later line) */
                    e->x.p.keepalive = 0;
                    MPX_FAIL(m, e, MPERF_E_FILESIZE_EXCEEDED, "Maximum file size exceeded");
                    return 1;
                }
                break;
            case MPX_EV_TRAILER:
#if MPX_HEADER_API
                if (!mpx_keep_field(e, ev, MPERF_H_TRAILER)) {
                    MPX_FAIL(m, e, MPERF_E_OUT_OF_MEMORY, "Out of memory");
                    return 1;
                }
#endif
                if (mpx_deliver_header(m, e, mpx_rbuf_at(c, ev->line), ev->linelen, MPX_HL_TRAILER)) return 1;
                break;
            case MPX_EV_TRAILERS_END: /* libcurl delivers no line for it */
                break;
            case MPX_EV_HEAD_END:
                if (mpx_deliver_header(m, e, mpx_rbuf_at(c, ev->line), ev->linelen, MPX_HL_END)) return 1;
                if (!e->x.p.interim && mpx_xfer_head_done(m, e)) return 1;
#if MPX_DECODE
                if (!e->x.p.interim && e->x.coding && !e->x.following && mpx_decode_start(m, e)) return 1;
#endif
                break;
            case MPX_EV_BODY: {
                int r = mpx_xfer_body(m, e, ev->data, ev->datalen);
                if (r) return r;
                break;
            }
            case MPX_EV_DONE:
                if (MPX_REDIRECTS && e->x.following) {
                    mpx_xfer_redirect(m, e);
                    return 1;
                }
#if MPX_DECODE
                if (mpx_decode_end(m, e)) return 1;
#endif
                if (mpx_progress(m, e) < 0) return 1;
                mpx_xfer_end(m, e, MPERF_E_OK, NULL);
                return 1;
            default: /* MPX_EV_ERROR */
                MPX_FAIL(m, e, (mperf_code)e->x.p.error, "%s", e->x.p.why);
                return 1;
            }
        }
    }
}

/* The connection broke (EOF or error) before the response was complete. */
static void mpx_xfer_broken(mperf_multi *m, mperf_easy *e, int eof, int err)
{
    mpx_pev ev;
    if (!e->x.got_bytes && mpx_xfer_retry(m, e)) return;
    if (!e->x.got_bytes && e->x.send_err) { /* nothing to read: the send failure is the story */
        e->x.os_errno = e->x.send_err;
        MPX_FAIL(m, e, MPERF_E_SEND_ERROR, "Send failure: %s", mpx_sock_strerror(e->x.send_err));
        return;
    }
    if (!eof) {
        e->x.os_errno = err;
        MPX_FAIL(m, e, MPERF_E_RECV_ERROR, "Recv failure: %s", mpx_sock_strerror(err));
        return;
    }
#if MPX_TLS
    if (e->x.conn && e->x.conn->tls && e->x.p.state == MPX_P_BODY_CLOSE && !mpx_tls_close_notified(e->x.conn)) {
        MPX_FAIL(m, e, MPERF_E_RECV_ERROR,
                        "TLS connection closed without close_notify: the body, delimited by the close, may be truncated");
        return;
    }
#endif
    mpx_parse_eof(&e->x.p, &ev);
    e->x.p.keepalive = 0;
    if (ev.type == MPX_EV_DONE) {
        if (MPX_REDIRECTS && e->x.following) {
            mpx_xfer_redirect(m, e);
            return;
        }
#if MPX_DECODE
        if (mpx_decode_end(m, e)) return;
#endif
        if (mpx_progress(m, e) < 0) return;
        mpx_xfer_end(m, e, MPERF_E_OK, NULL);
    } else if (e->x.p.error == MPERF_E_PARTIAL_FILE && e->x.p.remain && !e->x.p.chunked) {
        MPX_FAIL(m, e, MPERF_E_PARTIAL_FILE, "Transfer closed with %llu bytes remaining to read",
                        (unsigned long long)e->x.p.remain);
    } else {
        MPX_FAIL(m, e, (mperf_code)e->x.p.error, "%s", e->x.p.why);
    }
}

#if MPX_LOWAT
/* A long body that streams in fast (this round's reads brought at least
   what the kernel was last asked to wait for, and MPERF_RCVLOWAT bytes to
   begin with): the kernel wakes the engine for MPERF_RCVLOWAT bytes (the
   rest of the body when less), not for every segment. Fewer wakeups and
   reads, and on one machine the sender has fewer wakeups to make. Every
   MPX_LOWAT_WAIT the deadline looks again (mpx_xfer_timers): when no round
   reached it since, the socket is set back, so bytes that stop short of it
   wait two of those at most. The system's sockets only; with TLS the
   kernel counts record bytes, more than the body bytes they carry, so the
   rest of the body still wakes it. */
static void mpx_xfer_lowat(mperf_multi *m, mperf_easy *e, size_t got)
{
    mpx_conn *c = e->x.conn;
    uint64_t want = 0;
    int was = e->x.deadline_lowat != 0;
    if (c->big && e->x.p.state == MPX_P_BODY_LEN && c->rpos == c->rlen &&
        got >= (c->lowat ? c->lowat : (size_t)MPERF_RCVLOWAT))
        want = MPX_MIN((uint64_t)MPERF_RCVLOWAT, e->x.p.remain);
#if MPX_TPORT
    if (c->tp) want = 0;
#endif
    if (want && c->lowat && got >= c->lowat) e->x.lowat_fed = 1;
    mpx_conn_lowat(c, (uint32_t)want);
    if (!c->lowat) e->x.deadline_lowat = 0;
    else if (!was) e->x.deadline_lowat = m->now + MPX_LOWAT_WAIT;
    if (was != (e->x.deadline_lowat != 0) && !mpx_xfer_arm(m, e)) { /* (no room for its timer: no waiting) */
        e->x.deadline_lowat = 0;
        mpx_conn_lowat(c, 0);
    }
}
#endif

/* Reading the response (and sending the body, if one is going): parse what
   is buffered, read more while the kernel has it, give the buffer back to
   the pool when it is empty. */
static void mpx_xfer_io(mperf_multi *m, mperf_easy *e, int revents)
{
    mpx_conn *c = e->x.conn;
    int can_read = (revents & (POLLIN | POLLHUP | POLLERR)) != 0;
    int delivered = 0;
    size_t got = 0; /* bytes read in this round */
    e->x.spent = 0;
#if MPX_TLS
    if (c->tls) {
        if (revents & POLLOUT) mpx_tls_pump(c); /* records left in the engine go out */
        if (mpx_tls_pending(c)) can_read = 1;
    }
#endif
    if (MPX_UPLOADS && (revents & (POLLOUT | POLLERR | POLLHUP)) && e->x.body_state == MPX_B_SENDING &&
        !(e->x.paused & MPERF_PAUSE_SEND)) {
        if (mpx_body_pump(m, e) < 0) return;
        if (e->x.send_err) { /* the peer is gone for writing: what did it say? */
            mpx_body_set(m, e, MPX_B_ABANDONED);
            can_read = 1;
        }
    }
    if (e->x.paused & MPERF_PAUSE_RECV) return;
#if MPX_DECODE
    if (!e->x.pause_len && e->x.dec) { /* decoded bytes a pause held back (their coded bytes all taken) */
        int r = mpx_decode_held(m, e);
        if (r) {
            if (r > 0) mpx_xfer_interest(m, e);
            return;
        }
    }
#endif
    if (e->x.pause_len) { /* what the write callback paused on goes first */
        int r = mpx_deliver_body(m, e, c->rbuf + e->x.pause_off, e->x.pause_len);
#if MPX_DECODE
        e->x.pause_off += e->x.pause_skip;
        e->x.pause_len -= e->x.pause_skip;
#endif
        if (r) {
            if (r > 0) mpx_xfer_interest(m, e);
            return;
        }
        e->x.pause_len = 0;
        delivered = 1;
        mpx_xfer_interest(m, e);
    }
    for (;;) {
        long n;
        int err = 0;
        if ((c->rbuf && c->rpos < c->rlen) || e->x.p.state == MPX_P_DONE) {
            mperf_off_t before = e->x.downloaded;
            int r = mpx_xfer_consume(m, e);
            if (e->x.downloaded != before) delivered = 1;
            if (r) return;
        }
        if (!can_read) break;
        if (m->bytes_per_call && got >= m->bytes_per_call) { /* enough for one call: the socket */
            e->x.spent = 1;                                   /* stays readable, the next goes on */
            break;
        }
        if (MPX_BIG && c->rbuf && c->rpos == c->rlen && c->big && c->rcap == MPERF_BUFSIZE)
            mpx_rbuf_give(m, c); /* go big */
        if (!c->rbuf) {
            if (!mpx_rbuf_take(m, c)) {
                MPX_FAIL(m, e, MPERF_E_OUT_OF_MEMORY, "Out of memory");
                return;
            }
        } else if (c->rpos == c->rlen) {
            c->rpos = c->rlen = 0;
        } else if (c->rlen == c->rcap) {
            if (c->rpos > 0) { /* keep the partial line, drop what was consumed */
                memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
                c->rlen -= c->rpos;
                c->rpos = 0;
            } else { /* one header line longer than the buffer: room for the
                        longest allowed line and the byte after it */
                size_t ncap = c->rcap * 2, most = (size_t)MPERF_MAX_HEADER_LINE + 2, keep = c->rlen;
                char *nb;
                if (c->rcap >= most) {
                    MPX_FAIL(m, e, MPERF_E_WEIRD_SERVER_REPLY, "Response header line too long");
                    return;
                }
                if (ncap > most) ncap = most;
                nb = (char *)mpx_alloc(&m->al, ncap);
                if (!nb) {
                    MPX_FAIL(m, e, MPERF_E_OUT_OF_MEMORY, "Out of memory");
                    return;
                }
                memcpy(nb, c->rbuf, keep);
                mpx_rbuf_give(m, c);
                c->rbuf = nb;
                c->rcap = ncap;
                c->rlen = keep;
            }
        }
        n = mpx_conn_recv(c, c->rbuf + c->rlen, c->rcap - c->rlen, &err);
        if (n > 0 || (n == 0 && !e->x.p.at_eof && (e->x.p.state == MPX_P_FIELDS || e->x.p.state == MPX_P_TRAILERS) &&
                      (e->x.p.at_eof = 1) != 0)) { /* (at the close, a whole field line waiting for its next
                                                      byte, a fold or not, goes out first, as libcurl's; the
                                                      close is seen again on the next read) */
            if (!e->x.got_bytes) {
                e->x.got_bytes = 1;
                e->x.t_starttransfer = m->now - e->x.t_start;
            }
            got += (size_t)n;
            /* A full read: the kernel may hold more. While a long body streams,
               read until the kernel is empty (or the call's bytes are read): the
               sender's window stays open. */
            can_read = c->big || (size_t)n == c->rcap - c->rlen;
            c->rlen += (size_t)n;
            /* reads that keep filling the buffer in the middle of a body: a long one streams in */
            c->full_reads = can_read ? (uint8_t)(c->full_reads < 255 ? c->full_reads + 1 : 255) : 0;
            if (c->full_reads >= 2 && e->x.p.state >= MPX_P_BODY_LEN && e->x.p.state <= MPX_P_CHUNK_DATA_LF &&
                (e->x.p.state != MPX_P_BODY_LEN || e->x.p.remain > (uint64_t)MPERF_BUFSIZE * 4))
                c->big = 1;
            continue;
        }
        if (n == -1) { /* would block */
#if MPX_LOWAT
            mpx_xfer_lowat(m, e, got);
#endif
            break;
        }
        mpx_xfer_broken(m, e, n == 0, err);
        return;
    }
    if (c->rbuf && c->rpos == c->rlen && !e->x.spent) mpx_rbuf_give(m, c); /* an idle wait holds no buffer (a long body keeps its) */
#if MPX_TLS
    if (c->tls) mpx_xfer_interest(m, e); /* records to flush, or decrypted bytes waiting */
#endif
    if (delivered && e->x.deadline_progress) (void)mpx_progress(m, e);
}

/* -------------------------------------------------------------------- */
/* >>tunnel: through a proxy: CONNECT and the proxy's answer            */
/* -------------------------------------------------------------------- */
#if MPX_PROXY
/* The CONNECT request for the URL's host and port, in libcurl's order. */
static mperf_code mpx_build_connect(mperf_easy *e, const mperf_allocator *al, mpx_buf *b, const char **why)
{
    const mperf_slist *ph = mpx_px_headers(e);
    int k;
    b->len = 0;
    b->failed = 0;
    for (k = 0; k < 2; k++) { /* "CONNECT host:port HTTP/1.1", then "Host: host:port" unless the program's */
        if (k && mpx_user_header(ph, "host")) break;
        mpx_buf_adds(al, b, k ? "Host: " : "CONNECT ");
        if (e->x.u.ipv6) mpx_buf_add(al, b, "[", 1);
        mpx_buf_add(al, b, e->x.u.host, e->x.u.hostlen);
        mpx_buf_adds(al, b, e->x.u.ipv6 ? "]:" : ":");
        mpx_buf_add_num(al, b, e->x.u.port);
        mpx_buf_adds(al, b, k ? "\r\n" : e->x.px_http10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");
    }
    if (mpx_px_auth_now(e)) mpx_add_basic_auth(e, al, b, 1);
    if (e->o.useragent && *e->o.useragent && !mpx_user_header(ph, "user-agent"))
        mpx_buf_field(al, b, "User-Agent: ", e->o.useragent);
    if (!mpx_user_header(ph, "proxy-connection")) mpx_buf_adds(al, b, "Proxy-Connection: Keep-Alive\r\n");
    {
        mperf_code rc = mpx_add_custom(e, al, b, ph, why);
        if (rc != MPERF_E_OK) return rc;
    }
    mpx_buf_add(al, b, "\r\n", 2);
    if (b->failed) {
        *why = MPX_TXT("Out of memory");
        return MPERF_E_OUT_OF_MEMORY;
    }
    return MPERF_E_OK;
}

/* A 407 from the proxy offering Basic, and credentials not sent yet. */
static int mpx_px_can_answer(const mperf_easy *e)
{
    return e->x.connect_code == 407 && e->x.px_has_user && !e->x.px_picked && (e->x.px_offer & 1) &&
           (e->o.proxyauth & MPERF_AUTH_BASIC);
}

/* The proxy's answer to CONNECT is in (its head, and the body of a 407 to
   answer): 1 when the transfer goes on at once, 0 when it waits or ended. */
static int mpx_tunnel_answered(mperf_multi *m, mperf_easy *e)
{
    mpx_conn *c = e->x.conn;
    long st = e->x.connect_code;
    int again = e->x.p.keepalive && e->x.p.state == MPX_P_DONE;
    c->rpos = c->rlen = 0;
    mpx_rbuf_give(m, c);
    mpx_xfer_parser_reset(e);
    if (st / 100 == 2) { /* the tunnel is up */
        MPX_INFO(e, "CONNECT tunnel established, response %ld", st);
        return mpx_xfer_secure(m, e);
    }
    if (mpx_px_can_answer(e)) { /* again, with credentials */
        e->x.px_picked = 1;
        e->x.px_sent = 0;
        if (again) {
            MPX_INFO(e, "Asking the proxy again, with Basic authentication");
            mpx_xfer_interest(m, e);
            return 1;
        }
        MPX_INFO(e, "Asking the proxy again on a new connection, with Basic authentication");
        mpx_conn_close(m, c);
        e->x.conn = NULL;
        e->x.fresh = 1;
        if (!mpx_xfer_set(m, e, MPX_S_CONNECT)) return 0;
        return 1;
    }
    MPX_FAIL(m, e, MPERF_E_RECV_ERROR, "CONNECT tunnel failed, response %ld", st);
    return 0;
}

/* Parses what the proxy sent: each line of its head goes to the program as
   libcurl delivers them (the debug callback first; the header callback too
   unless SUPPRESS_CONNECT_HEADERS); a 407's body is dropped. 1: the answer
   is complete, 0: more is needed, -1: the transfer ended. */
static int mpx_tunnel_consume(mperf_multi *m, mperf_easy *e)
{
    mpx_conn *c = e->x.conn;
    for (;;) {
        mpx_pev evs[MPX_EVENTS];
        size_t used;
        unsigned n = mpx_parse(&e->x.p, c->rbuf + c->rpos, c->rlen - c->rpos, evs, MPX_EVENTS, &used), k;
        c->rpos += used;
        for (k = 0; k < n; k++) {
            const mpx_pev *ev = &evs[k];
            switch (ev->type) {
            case MPX_EV_NEED:
                return 0;
            case MPX_EV_STATUS:
                e->x.connect_code = e->x.p.status;
                e->x.px_offer = 0;
                if (mpx_deliver_header(m, e, mpx_rbuf_at(c, ev->line), ev->linelen, MPX_HL_CONNECT)) return -1;
                break;
            case MPX_EV_FIELD:
#if MPX_HEADER_API
                if (!mpx_keep_field(e, ev, MPERF_H_CONNECT)) {
                    MPX_FAIL(m, e, MPERF_E_OUT_OF_MEMORY, "Out of memory");
                    return -1;
                }
#endif
                mpx_px_challenge(e, ev);
                if (mpx_deliver_header(m, e, mpx_rbuf_at(c, ev->line), ev->linelen, MPX_HL_CONNECT)) return -1;
                break;
            case MPX_EV_HEAD_END:
                if (mpx_deliver_header(m, e, mpx_rbuf_at(c, ev->line), ev->linelen, MPX_HL_CONNECT)) return -1;
                if (e->x.p.interim) break;
                if (e->x.connect_code / 100 == 2) { /* no body: nothing may follow before our TLS or request */
                    if (ev->line + ev->linelen != c->rbuf + c->rlen) {
                        MPX_FAIL(m, e, MPERF_E_RECV_ERROR, "The proxy sent bytes after its answer to CONNECT");
                        return -1;
                    }
                    return 1;
                }
                if (!mpx_px_can_answer(e) || !e->x.p.keepalive) return 1;
                break; /* a 407 to answer on this connection: its body goes first */
            case MPX_EV_BODY:
                break;
            case MPX_EV_DONE:
                return 1;
            default: /* MPX_EV_ERROR */
                MPX_FAIL(m, e, (mperf_code)e->x.p.error, "%s", e->x.p.why);
                return -1;
            }
        }
    }
}

/* MPX_S_TUNNEL: sends CONNECT (or the rest of it), then reads the answer. */
static int mpx_xfer_tunnel(mperf_multi *m, mperf_easy *e, int revents)
{
    mpx_conn *c = e->x.conn;
    long r = 0;
    int err = 0;
    if (!e->x.px_sent) {
        const char *why = NULL;
        mpx_buf *b = &m->scratch;
        mperf_code rc = mpx_build_connect(e, &m->al, b, &why);
        if (rc != MPERF_E_OK) {
            MPX_FAIL(m, e, rc, "%s", why);
            return 0;
        }
        MPX_INFO(e, "Establish HTTP proxy tunnel to %.*s:%u", (int)e->x.u.hostlen, e->x.u.host, (unsigned)e->x.u.port);
        e->x.px_sent = 1;
        e->x.connect_bytes += (mperf_off_t)b->len; /* REQUEST_SIZE counts CONNECT too, as libcurl's */
        mpx_parser_init(&e->x.p, 0, e->x.p.max_data);
        mpx_debug(e, MPERF_INFOTYPE_HEADER_OUT, b->p, b->len);
        r = mpx_conn_send(c, b->p, b->len, &err);
        c->sbuf.len = c->spos = 0;
        if (r >= 0 && (size_t)r < b->len && !mpx_buf_add(&m->al, &c->sbuf, b->p + r, b->len - (size_t)r)) {
            MPX_FAIL(m, e, MPERF_E_OUT_OF_MEMORY, "Out of memory");
            return 0;
        }
    } else if (c->spos < c->sbuf.len) {
        if (!(revents & (POLLOUT | POLLERR | POLLHUP))) return 0;
        r = mpx_conn_send(c, c->sbuf.p + c->spos, c->sbuf.len - c->spos, &err);
        if (r > 0) c->spos += (size_t)r;
    }
    if (r < 0) {
        e->x.os_errno = err;
        MPX_FAIL(m, e, MPERF_E_SEND_ERROR, "Send failure: %s", mpx_sock_strerror(err));
        return 0;
    }
    if (c->spos < c->sbuf.len) {
        mpx_xfer_interest(m, e);
        return 0;
    }
    c->sbuf.len = c->spos = 0;
    mpx_xfer_interest(m, e);
    for (;;) {
        if (c->rbuf && c->rpos < c->rlen) {
            int d = mpx_tunnel_consume(m, e);
            if (d < 0) return 0;
            if (d > 0) return mpx_tunnel_answered(m, e);
        }
        if (!c->rbuf && !mpx_rbuf_take(m, c)) {
            MPX_FAIL(m, e, MPERF_E_OUT_OF_MEMORY, "Out of memory");
            return 0;
        }
        if (c->rpos == c->rlen) c->rpos = c->rlen = 0;
        else if (c->rlen == c->rcap) { /* keep the partial line */
            if (!c->rpos) {
                MPX_FAIL(m, e, MPERF_E_RECV_ERROR, "The proxy's answer to CONNECT has a line too long");
                return 0;
            }
            memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
            c->rlen -= c->rpos;
            c->rpos = 0;
        }
        r = mpx_conn_recv(c, c->rbuf + c->rlen, c->rcap - c->rlen, &err);
        if (r > 0) {
            c->rlen += (size_t)r;
            continue;
        }
        if (r == -1) return 0; /* would block */
        if (r == 0 && e->x.p.state == MPX_P_BODY_CLOSE) { /* a 407's body ended by the close */
            e->x.p.keepalive = 0;
            return mpx_tunnel_answered(m, e);
        }
        e->x.os_errno = r ? err : 0;
        MPX_FAIL(m, e, MPERF_E_RECV_ERROR, "Proxy CONNECT aborted%s%s", r ? ": " : "", r ? mpx_sock_strerror(err) : "");
        return 0;
    }
}
#endif

/* -------------------------------------------------------------------- */
/* >>decoding: Content-Encoding: gzip and deflate, inflated as they come */
/* -------------------------------------------------------------------- */
#if MPX_DECODE
/* Inflate (RFC 1951) inside the zlib (RFC 1950) or gzip (RFC 1952) wrapper,
   fed the body as it arrives, in pieces of any size. The decoded bytes go
   to a buffer of MPX_WSIZE of history (the farthest a match reaches back)
   and as much again of new output; the new output goes to the program,
   then the history slides down. Nothing is allocated per byte: a decoder
   (mpx_inflate, about 75 KiB) is taken from the multi's spares when a
   coded body starts and given back at its end. */
#define MPX_WSIZE 32768
#define MPX_FB 10 /* bits of a code the first lookup resolves; longer codes are decoded bit by bit */

enum { MPX_W_RAW, MPX_W_ZLIB, MPX_W_GZIP };
enum {
    MPX_I_HEAD,    /* the wrapper's header */
    MPX_I_BLOCK,   /* a block's 3-bit header */
    MPX_I_STORED,  /* a stored block's LEN and NLEN */
    MPX_I_COPY,    /* its bytes */
    MPX_I_TABLES,  /* a dynamic block's HLIT, HDIST, HCLEN */
    MPX_I_CLENS,   /* the code length code's lengths */
    MPX_I_LENS,    /* the literal/length and distance code lengths */
    MPX_I_CODES,   /* symbols */
    MPX_I_TRAILER, /* the wrapper's check value (and size) */
    MPX_I_DONE,    /* the stream ended; only another gzip member may follow */
    MPX_I_BAD
};

/* A canonical Huffman code: a table for the first MPX_FB bits of a code
   (length << 9 | symbol, 0 when the code is longer), and for longer codes
   the counts per length and the symbols in code order. */
typedef struct mpx_huff {
    uint16_t fast[1 << MPX_FB];
    uint16_t count[16];
    uint16_t sym[288];
} mpx_huff;

typedef struct mpx_inflate {
    struct mpx_inflate *next; /* first: in the multi's spares (mpx_free_chain) */
    uint64_t bb;              /* bits not yet used, the next one lowest */
    unsigned bc;              /* how many */
    uint8_t state, wrap, last, fixed_built, gz_flags, gz_step;
    unsigned gz_left;                    /* the gzip header: bytes of a part read or left */
    uint32_t gz_val;                     /* and a value being read */
    unsigned ncl, nlit, ndist, at;       /* a dynamic block's header, read so far */
    unsigned stored_left;                /* a stored block's bytes left */
    uint32_t check;                      /* CRC-32 (gzip) or Adler-32 (zlib) of the output so far */
    const char *why;                     /* MPX_I_BAD: what was wrong */
    size_t pos, done, checked;           /* buf: output up to pos, delivered up to done, summed up to checked */
    uint64_t out_total, in_total; /* output delivered, input taken */
    uint64_t member;              /* the output before this gzip member */
    mpx_huff lit, dist;
    uint8_t lens[320];
    uint32_t crc[8][256]; /* CRC-32 eight bytes at a time */
    unsigned char buf[2 * MPX_WSIZE + 8]; /* history, then new output; 8 bytes for copies that run over */
} mpx_inflate;

static const uint16_t mpx_len_base[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                          31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t mpx_len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint16_t mpx_dist_base[30] = {1,   2,   3,   4,   5,   7,    9,    13,   17,   25,   33,   49,   65,    97,    129,
                                           193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
static const uint8_t mpx_dist_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
/* the order the code length code's lengths come in */
static const uint8_t mpx_clen_order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};

/* A new decoder (its CRC tables made once: spares keep them). */
static mpx_inflate *mpx_inflate_new(const mperf_allocator *al)
{
    mpx_inflate *z = (mpx_inflate *)mpx_alloc(al, sizeof *z);
    uint32_t i, k, c;
    if (!z) return NULL;
    for (i = 0; i < 256; i++) { /* the reflected polynomial 0xEDB88320, a byte at a time */
        for (c = i, k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
        z->crc[0][i] = c;
    }
    for (i = 0; i < 256; i++) /* and the tables that take 8 bytes at once */
        for (k = 1; k < 8; k++) z->crc[k][i] = (z->crc[k - 1][i] >> 8) ^ z->crc[0][z->crc[k - 1][i] & 0xff];
    return z;
}

/* Ready for a new stream: wrap is MPX_W_GZIP, MPX_W_ZLIB or MPX_W_RAW. */
static void mpx_inflate_start(mpx_inflate *z, int wrap)
{
    z->bb = 0;
    z->bc = 0;
    z->state = MPX_I_HEAD;
    z->wrap = (uint8_t)wrap;
    z->last = z->fixed_built = 0;
    z->gz_step = 0;
    z->gz_left = z->gz_val = 0;
    z->pos = z->done = z->checked = 0;
    z->out_total = z->in_total = z->member = 0;
    z->check = wrap == MPX_W_ZLIB ? 1 : 0;
    z->why = NULL;
}

static uint32_t mpx_crc32(const mpx_inflate *z, uint32_t crc, const unsigned char *p, size_t n)
{
    crc = ~crc;
    while (n >= 8) {
        uint32_t a = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
        crc = z->crc[7][a & 0xff] ^ z->crc[6][(a >> 8) & 0xff] ^ z->crc[5][(a >> 16) & 0xff] ^ z->crc[4][a >> 24] ^
              z->crc[3][p[4]] ^ z->crc[2][p[5]] ^ z->crc[1][p[6]] ^ z->crc[0][p[7]];
        p += 8;
        n -= 8;
    }
    while (n--) crc = (crc >> 8) ^ z->crc[0][(crc ^ *p++) & 0xff];
    return ~crc;
}

static uint32_t mpx_adler32(uint32_t adler, const unsigned char *p, size_t n)
{
    uint32_t a = adler & 0xffff, b = adler >> 16;
    while (n) {
        size_t k = n < 5552 ? n : 5552; /* the most bytes before b could pass 2^32 */
        n -= k;
        while (k--) {
            a += *p++;
            b += a;
        }
        a %= 65521;
        b %= 65521;
    }
    return b << 16 | a;
}

/* A code longer than MPX_FB bits, from the bits in bb: its symbol, with its
   length in *len; -1 when no code of up to 15 bits matches. */
static int mpx_huff_slow(const mpx_huff *h, uint64_t bb, unsigned *len)
{
    unsigned l, first = 0, index = 0, code = 0;
    for (l = 1; l < 16; l++) { /* canonical codes of a length are consecutive numbers */
        code |= (unsigned)(bb >> (l - 1)) & 1;
        if (code - first < h->count[l]) {
            *len = l;
            return h->sym[index + code - first];
        }
        index += h->count[l];
        first = (first + h->count[l]) << 1;
        code <<= 1;
    }
    return -1;
}

/* The check value over the output not yet summed. */
static void mpx_inflate_sum(mpx_inflate *z)
{
    size_t n = z->pos - z->checked;
    if (z->wrap == MPX_W_GZIP) z->check = mpx_crc32(z, z->check, z->buf + z->checked, n);
    else if (z->wrap == MPX_W_ZLIB) z->check = mpx_adler32(z->check, z->buf + z->checked, n);
    z->checked = z->pos;
}

static int mpx_inflate_bad(mpx_inflate *z, const char *why)
{
    z->state = MPX_I_BAD;
    z->why = why;
    return -1;
}

/* The next whole byte of a byte-aligned part (headers, trailers), -1 when
   the input has none left. */
static int mpx_inflate_byte(mpx_inflate *z, const unsigned char **in, const unsigned char *end)
{
    int b;
    if (z->bc < 8) {
        if (*in == end) return -1;
        z->bb |= (uint64_t)*(*in)++ << z->bc;
        z->bc += 8;
    }
    b = (int)(z->bb & 0xff);
    z->bb >>= 8;
    z->bc -= 8;
    return b;
}

/* The gzip member header (RFC 1952 2.3), a byte at a time: 1 when it is
   read, 0 when it needs more input, -1 when it is bad. */
static int mpx_inflate_gzip_head(mpx_inflate *z, const unsigned char **in, const unsigned char *end)
{
    for (;;) {
        int b;
        unsigned char c;
        /* the parts a flag leaves out are passed over without reading */
        if ((z->gz_step == 1 && !(z->gz_flags & 4)) || (z->gz_step == 3 && !(z->gz_flags & 8)) ||
            (z->gz_step == 4 && !(z->gz_flags & 16))) {
            z->gz_step = (uint8_t)(z->gz_step == 1 ? 3 : z->gz_step + 1);
            z->gz_left = z->gz_val = 0;
            continue;
        }
        if (z->gz_step == 5) {
            if (!(z->gz_flags & 2)) return 1;
            z->gz_val = z->check & 0xffff; /* FHCRC: the CRC of the header before it */
            z->gz_step = 6;
            z->gz_left = 0;
        }
        if ((b = mpx_inflate_byte(z, in, end)) < 0) return 0;
        c = (unsigned char)b;
        if (z->gz_step < 6) z->check = mpx_crc32(z, z->check, &c, 1);
        switch (z->gz_step) {
        case 0: /* ID1 ID2 CM FLG MTIME(4) XFL OS */
            if ((z->gz_left == 0 && b != 0x1f) || (z->gz_left == 1 && b != 0x8b))
                return mpx_inflate_bad(z, MPX_TXT("not in gzip format"));
            if (z->gz_left == 2 && b != 8) return mpx_inflate_bad(z, MPX_TXT("unknown compression method"));
            if (z->gz_left == 3 && (b & 0xe0)) return mpx_inflate_bad(z, MPX_TXT("unknown header flags set"));
            if (z->gz_left == 3) z->gz_flags = (uint8_t)b;
            if (++z->gz_left == 10) z->gz_step = 1, z->gz_left = z->gz_val = 0;
            break;
        case 1: /* FEXTRA: its length, little-endian */
            z->gz_val |= (uint32_t)b << (8 * z->gz_left);
            if (++z->gz_left == 2) {
                z->gz_step = z->gz_val ? 2 : 3;
                z->gz_left = z->gz_val;
            }
            break;
        case 2: /* its bytes */
            if (--z->gz_left == 0) z->gz_step = 3;
            break;
        case 3: /* FNAME, FCOMMENT: up to a NUL */
        case 4:
            if (b == 0) z->gz_step++;
            break;
        default: /* FHCRC, little-endian */
            if (z->gz_left++ == 0) {
                if ((z->gz_val & 0xff) != (unsigned)b) return mpx_inflate_bad(z, MPX_TXT("header crc mismatch"));
                break;
            }
            if (((z->gz_val >> 8) & 0xff) != (unsigned)b) return mpx_inflate_bad(z, MPX_TXT("header crc mismatch"));
            return 1;
        }
    }
}

/* Bits from the buffer: n of them (n <= bc), taken. */
#define MPX_BITS(z, n) ((unsigned)((z)->bb & ((1u << (n)) - 1)))
#define MPX_DROP(z, n) ((z)->bb >>= (n), (z)->bc -= (n))

/* The next symbol of h from the bits in bb, bc of them in hand: the symbol
   with its length in *n; -1 when its bits are not all in hand yet, -2 when
   no code matches them. */
static int mpx_huff_next(const mpx_huff *h, uint64_t bb, unsigned bc, unsigned *n)
{
    unsigned ent = h->fast[bb & ((1u << MPX_FB) - 1)];
    int s;
    if (ent) {
        *n = ent >> 9;
        s = (int)(ent & 511);
    } else if ((s = mpx_huff_slow(h, bb, n)) < 0) {
        return bc < 15 ? -1 : -2;
    }
    return *n > bc ? -1 : s;
}

/* Takes bytes into the bit buffer while a whole one fits, bc staying below
   64 (8 at once where 8 are there, on little-endian machines: the bits
   above bc are then the bytes still at in, the same they will be when
   taken). */
#define MPX_REFILL(le, in, end, bb, bc)                                                                                 \
    do {                                                                                                                \
        if ((le) && (end) - (in) >= 8) {                                                                               \
            uint64_t w_;                                                                                               \
            memcpy(&w_, (in), 8);                                                                                      \
            (bb) |= w_ << (bc);                                                                                        \
            (in) += (63 - (bc)) >> 3;                                                                                  \
            (bc) |= 56;                                                                                                \
        } else {                                                                                                       \
            while ((bc) <= 55 && (in) < (end)) { /* (bc stays below 64) */                                             \
                (bb) |= (uint64_t) * (in)++ << (bc);                                                                   \
                (bc) += 8;                                                                                             \
            }                                                                                                          \
        }                                                                                                              \
    } while (0)

/* Builds h from n code lengths: kind 0 the code length code (complete),
   1 literal/length, 2 distance. A code must be complete, but for a single
   code of length 1, and a distance code may have none (a block of literals
   only), as zlib allows. 0 when the lengths make no such code. */
static int mpx_huff_make(mpx_huff *h, const uint8_t *lens, unsigned n, int kind)
{
    uint16_t offs[16];
    unsigned s, l, code, total = 0;
    int left = 1;
    memset(h->count, 0, sizeof h->count);
    memset(h->fast, 0, sizeof h->fast);
    for (s = 0; s < n; s++) h->count[lens[s]]++;
    h->count[0] = 0;
    for (l = 1; l < 16; l++) { /* the codes of each length left over: never fewer than none */
        left = left * 2 - h->count[l];
        if (left < 0) return 0;
        total += h->count[l];
    }
    if (left > 0 && !(kind && total == 1 && h->count[1] == 1) && !(kind == 2 && total == 0)) return 0;
    for (offs[1] = 0, l = 1; l < 15; l++) offs[l + 1] = (uint16_t)(offs[l] + h->count[l]);
    for (s = 0; s < n; s++)
        if (lens[s]) h->sym[offs[lens[s]]++] = (uint16_t)s;
    /* the codes of up to MPX_FB bits in the table, at their bits as they arrive (the code reversed) */
    for (code = 0, s = 0, l = 1; l <= MPX_FB; l++, code <<= 1) {
        unsigned k;
        for (k = 0; k < h->count[l]; k++, code++, s++) {
            unsigned r = 0, b, step = 1u << l;
            for (b = 0; b < l; b++) r |= ((code >> b) & 1) << (l - 1 - b);
            for (; r < (1u << MPX_FB); r += step) h->fast[r] = (uint16_t)(l << 9 | h->sym[s]);
        }
    }
    return 1;
}

/* deflate's fixed codes (RFC 1951 3.2.6). */
static void mpx_inflate_fixed(mpx_inflate *z)
{
    unsigned i;
    for (i = 0; i < 288; i++) z->lens[i] = (uint8_t)(i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8);
    (void)mpx_huff_make(&z->lit, z->lens, 288, 1);
    for (i = 0; i < 32; i++) z->lens[i] = 5; /* (30 and 31 decode, and are refused) */
    (void)mpx_huff_make(&z->dist, z->lens, 32, 2);
    z->fixed_built = 1;
}

/* The literal/length and distance code lengths of a dynamic block, one
   code at a time: 1 when all are read and the codes built, 0 when it needs
   more input, -1 when bad. */
static int mpx_inflate_lens(mpx_inflate *z, const unsigned char **in, const unsigned char *end, int le)
{
    unsigned want = z->nlit + z->ndist;
    while (z->at < want) {
        unsigned ent, n, sym, rep, extra, val;
        MPX_REFILL(le, *in, end, z->bb, z->bc);
        ent = z->lit.fast[z->bb & ((1u << MPX_FB) - 1)]; /* (code length codes are at most 7 bits) */
        if (!ent) return z->bc >= 7 ? mpx_inflate_bad(z, MPX_TXT("invalid code lengths set")) : 0;
        n = ent >> 9;
        sym = ent & 511;
        extra = sym == 16 ? 2 : sym == 17 ? 3 : sym == 18 ? 7 : 0;
        if (n + extra > z->bc) return 0;
        MPX_DROP(z, n);
        if (sym < 16) {
            z->lens[z->at++] = (uint8_t)sym;
            continue;
        }
        rep = MPX_BITS(z, extra) + (sym == 16 ? 3 : sym == 17 ? 3 : 11);
        MPX_DROP(z, extra);
        if (sym == 16 && z->at == 0) return mpx_inflate_bad(z, MPX_TXT("invalid bit length repeat"));
        if (z->at + rep > want) return mpx_inflate_bad(z, MPX_TXT("invalid bit length repeat"));
        val = sym == 16 ? z->lens[z->at - 1] : 0;
        while (rep--) z->lens[z->at++] = (uint8_t)val;
    }
    if (!z->lens[256]) return mpx_inflate_bad(z, MPX_TXT("invalid code -- missing end-of-block"));
    if (!mpx_huff_make(&z->lit, z->lens, z->nlit, 1)) return mpx_inflate_bad(z, MPX_TXT("invalid literal/lengths set"));
    if (!mpx_huff_make(&z->dist, z->lens + z->nlit, z->ndist, 2))
        return mpx_inflate_bad(z, MPX_TXT("invalid distances set"));
    return 1;
}

/* Symbols: the loop the bytes spend their time in. 1 when the block
   ended, 0 when the input ran out or the output stage is full (z->pos at
   its end), -1 when bad. Each symbol is decoded from bits in hand: with 8
   input bytes left the buffer holds at least 56 bits, more than the 48 a
   length and distance take; at the end of the input a symbol whose bits
   are not all in yet is left for the next call. */
static int mpx_inflate_codes(mpx_inflate *z, const unsigned char **pin, const unsigned char *end, int le)
{
    const unsigned char *in = *pin;
    uint64_t bb = z->bb;
    unsigned bc = z->bc;
    unsigned char *out = z->buf + z->pos, *const lim = z->buf + 2 * MPX_WSIZE - 258;
    int r, s;
    for (;;) {
        uint64_t bb0;
        unsigned bc0, n, sym, len, dist;
        if (out > lim) {
            r = 0;
            break;
        }
        MPX_REFILL(le, in, end, bb, bc);
        bb0 = bb;
        bc0 = bc;
        if ((s = mpx_huff_next(&z->lit, bb, bc, &n)) < 0) {
            if (s == -1) goto need;
            r = mpx_inflate_bad(z, MPX_TXT("invalid literal/length code"));
            break;
        }
        sym = (unsigned)s;
        bb >>= n;
        bc -= n;
        if (sym < 256) {
            *out++ = (unsigned char)sym;
            continue;
        }
        if (sym == 256) {
            r = 1;
            break;
        }
        if ((sym -= 257) >= 29) {
            r = mpx_inflate_bad(z, MPX_TXT("invalid literal/length code"));
            break;
        }
        n = mpx_len_extra[sym];
        if (n > bc) goto need;
        len = mpx_len_base[sym] + (unsigned)(bb & ((1u << n) - 1));
        bb >>= n;
        bc -= n;
        if ((s = mpx_huff_next(&z->dist, bb, bc, &n)) < 0) {
            if (s == -1) goto need;
            r = mpx_inflate_bad(z, MPX_TXT("invalid distance code"));
            break;
        }
        sym = (unsigned)s;
        bb >>= n;
        bc -= n;
        if (sym >= 30) {
            r = mpx_inflate_bad(z, MPX_TXT("invalid distance code"));
            break;
        }
        n = mpx_dist_extra[sym];
        if (n > bc) goto need;
        dist = mpx_dist_base[sym] + (unsigned)(bb & ((1u << n) - 1));
        bb >>= n;
        bc -= n;
        if (dist > (size_t)(out - z->buf)) {
            r = mpx_inflate_bad(z, MPX_TXT("invalid distance too far back"));
            break;
        }
        { /* the match: 8 bytes at a time when it does not overlap them (the stage has room to run over) */
            const unsigned char *from = out - dist;
            unsigned char *stop = out + len;
            if (dist >= 8) {
                do {
                    memcpy(out, from, 8);
                    out += 8;
                    from += 8;
                } while (out < stop);
            } else if (dist == 1) {
                memset(out, *from, len);
            } else {
                do *out++ = *from++;
                while (out < stop);
            }
            out = stop;
        }
        continue;
    need: /* the symbol's bits are not all in: it waits, with the bits, for more input */
        bb = bb0;
        bc = bc0;
        r = 0;
        break;
    }
    *pin = in;
    z->bb = bb;
    z->bc = bc;
    z->pos = (size_t)(out - z->buf);
    return r;
}

/* Decodes from *in up to end into the output stage. Returns 1 when the
   stage is full (deliver, then call again), 0 when the input is used up,
   2 when the stream ended (trailer checked), -1 when it is bad (z->why). */
static int mpx_inflate_run(mpx_inflate *z, const unsigned char **in, const unsigned char *end)
{
    int le = mpx_little_endian(), r;
    for (;;) {
        switch (z->state) {
        case MPX_I_HEAD:
            if (z->wrap == MPX_W_GZIP) {
                if ((r = mpx_inflate_gzip_head(z, in, end)) <= 0) return r;
                z->check = 0;
            } else if (z->wrap == MPX_W_ZLIB) {
                unsigned cmf, flg;
                MPX_REFILL(0, *in, end, z->bb, z->bc);
                if (z->bc < 16) return 0;
                cmf = MPX_BITS(z, 8);
                flg = (unsigned)(z->bb >> 8) & 0xff;
                if ((cmf & 15) != 8 || (cmf >> 4) > 7 || (cmf * 256 + flg) % 31 || (flg & 32))
                    z->wrap = MPX_W_RAW; /* a "deflate" body without the zlib wrapper, as some servers send it
                                            and libcurl takes it */
                else MPX_DROP(z, 16);
            }
            z->state = MPX_I_BLOCK;
            break;
        case MPX_I_BLOCK:
            MPX_REFILL(le, *in, end, z->bb, z->bc);
            if (z->bc < 3) return 0;
            z->last = (uint8_t)MPX_BITS(z, 1);
            r = (int)(z->bb >> 1) & 3;
            MPX_DROP(z, 3);
            if (r == 0) {
                MPX_DROP(z, z->bc & 7); /* to the byte */
                z->state = MPX_I_STORED;
            } else if (r == 1) {
                if (!z->fixed_built) mpx_inflate_fixed(z);
                z->state = MPX_I_CODES;
            } else if (r == 2) {
                z->fixed_built = 0;
                z->state = MPX_I_TABLES;
            } else {
                return mpx_inflate_bad(z, MPX_TXT("invalid block type"));
            }
            break;
        case MPX_I_STORED:
            MPX_REFILL(le, *in, end, z->bb, z->bc);
            if (z->bc < 32) return 0;
            if ((z->bb & 0xffff) != (~(z->bb >> 16) & 0xffff))
                return mpx_inflate_bad(z, MPX_TXT("invalid stored block lengths"));
            z->stored_left = (unsigned)(z->bb & 0xffff);
            MPX_DROP(z, 32);
            z->bb &= z->bc ? ~(uint64_t)0 >> (64 - z->bc) : 0; /* (the input is read straight from here on) */
            z->state = MPX_I_COPY;
            break;
        case MPX_I_COPY:
            while (z->stored_left) {
                size_t room = 2 * MPX_WSIZE - z->pos, k;
                if (!room) return 1;
                if (z->bc) { /* whole bytes still in the bit buffer first */
                    z->buf[z->pos++] = (unsigned char)MPX_BITS(z, 8);
                    MPX_DROP(z, 8);
                    z->stored_left--;
                    continue;
                }
                k = (size_t)(end - *in);
                if (!k) return 0;
                if (k > room) k = room;
                if (k > z->stored_left) k = z->stored_left;
                memcpy(z->buf + z->pos, *in, k);
                *in += k;
                z->pos += k;
                z->stored_left -= (unsigned)k;
            }
            z->state = z->last ? MPX_I_TRAILER : MPX_I_BLOCK;
            break;
        case MPX_I_TABLES:
            MPX_REFILL(le, *in, end, z->bb, z->bc);
            if (z->bc < 14) return 0;
            z->nlit = MPX_BITS(z, 5) + 257;
            z->ndist = (unsigned)((z->bb >> 5) & 31) + 1;
            z->ncl = (unsigned)((z->bb >> 10) & 15) + 4;
            MPX_DROP(z, 14);
            if (z->nlit > 286 || z->ndist > 30) return mpx_inflate_bad(z, MPX_TXT("too many length or distance symbols"));
            memset(z->lens, 0, sizeof z->lens);
            z->at = 0;
            z->state = MPX_I_CLENS;
            break;
        case MPX_I_CLENS:
            while (z->at < z->ncl) {
                MPX_REFILL(le, *in, end, z->bb, z->bc);
                if (z->bc < 3) return 0;
                z->lens[mpx_clen_order[z->at++]] = (uint8_t)MPX_BITS(z, 3);
                MPX_DROP(z, 3);
            }
            if (!mpx_huff_make(&z->lit, z->lens, 19, 0)) return mpx_inflate_bad(z, MPX_TXT("invalid code lengths set"));
            memset(z->lens, 0, sizeof z->lens);
            z->at = 0;
            z->state = MPX_I_LENS;
            break;
        case MPX_I_LENS:
            if ((r = mpx_inflate_lens(z, in, end, le)) <= 0) return r;
            z->state = MPX_I_CODES;
            break;
        case MPX_I_CODES:
            r = mpx_inflate_codes(z, in, end, le);
            if (r < 0) return r;
            if (r > 0) {
                z->state = z->last ? MPX_I_TRAILER : MPX_I_BLOCK;
                break;
            }
            if (z->pos <= 2 * MPX_WSIZE - 258) return 0;
            return 1;
        case MPX_I_TRAILER:
            MPX_DROP(z, z->bc & 7);
            if (z->wrap != MPX_W_RAW) {
                uint32_t v;
                MPX_REFILL(0, *in, end, z->bb, z->bc);
                if (z->bc < 32) return 0;
                v = (uint32_t)z->bb;
                mpx_inflate_sum(z);
                if (z->wrap == MPX_W_ZLIB) { /* Adler-32, big-endian */
                    v = v >> 24 | (v >> 8 & 0xff00) | (v << 8 & 0xff0000) | v << 24;
                    if (v != z->check) return mpx_inflate_bad(z, MPX_TXT("incorrect data check"));
                } else {
                    if (z->gz_step != 7) { /* CRC-32, then ISIZE, little-endian */
                        if (v != z->check) return mpx_inflate_bad(z, MPX_TXT("incorrect data check"));
                        z->gz_step = 7;
                        MPX_DROP(z, 32);
                        break;
                    }
                    if (v != (uint32_t)(z->out_total + z->pos - z->done - z->member))
                        return mpx_inflate_bad(z, MPX_TXT("incorrect length check"));
                }
                MPX_DROP(z, 32);
            }
            z->state = MPX_I_DONE;
            return 2;
        case MPX_I_DONE:
            return 2;
        default:
            return -1;
        }
    }
}

/* After the stream's end: another gzip member may follow (as gzip reads
   them), anything else is refused. 1 when a member starts, -1 when bad. */
static int mpx_inflate_next(mpx_inflate *z)
{
    if (z->wrap != MPX_W_GZIP) return mpx_inflate_bad(z, MPX_TXT("bytes after the end of the compressed stream"));
    z->state = MPX_I_HEAD;
    z->gz_step = 0;
    z->gz_left = z->gz_val = 0;
    z->check = 0;
    z->member = z->out_total + z->pos - z->done;
    return 1;
}

/* All output delivered: the history slides down, making room. */
static void mpx_inflate_slide(mpx_inflate *z)
{
    if (z->pos <= MPX_WSIZE) return;
    mpx_inflate_sum(z);
    memmove(z->buf, z->buf + z->pos - MPX_WSIZE, MPX_WSIZE);
    z->pos = z->done = z->checked = MPX_WSIZE;
}

/* ---- a coded body of a transfer ---- */
#ifndef MPERF_DECODE_RATIO
#define MPERF_DECODE_RATIO 250 /* decoded bytes per coded byte past the first MiB: more ends the transfer */
#endif

/* A Content-Encoding value, when ACCEPT_ENCODING asked for codings and
   HTTP_CONTENT_DECODING is on: gzip (x-gzip) or deflate, identity
   changing nothing; another coding, or more than one, is kept as 255 and
   fails the transfer if its body comes. */
static void mpx_decode_coding(mperf_easy *e, const char *v, size_t n)
{
    size_t i = 0;
    if (!e->o.accept_encoding || e->o.no_decoding) return;
    while (i < n) {
        size_t t;
        uint8_t c;
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ',' || v[i] == '\r' || v[i] == '\n')) i++;
        for (t = i; i < n && v[i] != ',' && v[i] != ' ' && v[i] != '\t' && v[i] != '\r' && v[i] != '\n'; i++) {}
        if (t == i || MPX_IEQ(v + t, i - t, "identity")) continue;
        c = MPX_IEQ(v + t, i - t, "gzip") || MPX_IEQ(v + t, i - t, "x-gzip") ? MPX_W_GZIP + 1
            : MPX_IEQ(v + t, i - t, "deflate")                               ? MPX_W_ZLIB + 1
                                                                             : 255;
        e->x.coding = e->x.coding ? 255 : c;
    }
}

/* The final response's body is coded: a decoder for it. 1 when the
   transfer ended (no memory). */
static int mpx_decode_start(mperf_multi *m, mperf_easy *e)
{
    mpx_inflate *z;
    if (e->x.p.state == MPX_P_DONE || e->x.coding == 255) return 0; /* no body (HEAD, 204, 304, an empty one); a
                                                                       coding not built in fails when its body comes */
    if ((z = (mpx_inflate *)m->inflate_free) != NULL) {
        m->inflate_free = z->next;
        m->num_inflate_free--;
    } else if (!(z = mpx_inflate_new(&m->al))) {
        MPX_FAIL(m, e, MPERF_E_OUT_OF_MEMORY, "Out of memory");
        return 1;
    }
    mpx_inflate_start(z, e->x.coding - 1);
    e->x.dec = z;
    return 0;
}

/* The transfer's decoder back to the spares (two are kept). */
static void mpx_decode_drop(mperf_multi *m, mperf_easy *e)
{
    mpx_inflate *z = e->x.dec;
    if (!z) return;
    e->x.dec = NULL;
    if (m->num_inflate_free < 2) {
        z->next = (mpx_inflate *)m->inflate_free;
        m->inflate_free = z;
        m->num_inflate_free++;
    } else {
        mpx_free(&m->al, z);
    }
}

/* Coded body bytes: decoded, and the output given to the write callback in
   pieces of up to the transfer's write size. 0 when all went, 1 when the
   callback paused (e->x.pause_skip: the coded bytes taken), -1 when the
   transfer ended. SIZE_DOWNLOAD counts the coded bytes, as libcurl's;
   MAXFILESIZE the decoded ones (libcurl: the coded ones). */
static int mpx_decode_body(mperf_multi *m, mperf_easy *e, char *p, size_t n)
{
    mpx_inflate *z = e->x.dec;
    mperf_write_callback cb = e->o.write_cb ? e->o.write_cb : mpx_default_write;
    const unsigned char *in = (const unsigned char *)p, *end = in + n;
    int r = 0;
    if (!e->x.pause_len && n) { /* bytes as they came (not again after a pause): to the debug callback and counted */
        if (!e->x.p.chunked) mpx_debug(e, MPERF_INFOTYPE_DATA_IN, p, n);
        e->x.downloaded += (mperf_off_t)n;
    }
    if (!z) { /* a coding not built in: refused once its body comes, as libcurl does */
        if (!n) return 0;
        if (mpx_progress(m, e) < 0) return -1;
        MPX_FAIL(m, e, MPERF_E_BAD_CONTENT_ENCODING,
                 "Unrecognized content encoding type: the codings built in are gzip and deflate, one at a time");
        return -1;
    }
    for (;;) {
        while (z->pos > z->done) { /* what is decoded goes first */
            size_t k = MPX_MIN(z->pos - z->done, e->x.p.max_data), w;
            if (e->o.maxfilesize > 0 && e->x.decoded + (mperf_off_t)k > e->o.maxfilesize) {
                MPX_FAIL(m, e, MPERF_E_FILESIZE_EXCEEDED, "Exceeded the maximum allowed file size (%lld)",
                         (long long)e->o.maxfilesize);
                return -1;
            }
            w = mpx_call_write(m, e, cb, e->o.write_data, (char *)z->buf + z->done, k);
            if (e->state == MPX_S_DONE) return -1;
            if (w == MPERF_WRITEFUNC_PAUSE) {
                e->x.paused |= MPERF_PAUSE_RECV;
                e->x.pause_skip = (size_t)(in - (const unsigned char *)p);
                return 1;
            }
            if (w != k) {
                MPX_FAIL(m, e, MPERF_E_WRITE_ERROR, "Failure writing output to destination, passed %lu returned %lu",
                         (unsigned long)k, (unsigned long)w);
                return -1;
            }
            z->done += k;
            z->out_total += k;
            e->x.decoded += (mperf_off_t)k;
            if (e->x.paused & MPERF_PAUSE_RECV) { /* easy_pause inside the callback: the rest waits */
                e->x.pause_skip = (size_t)(in - (const unsigned char *)p);
                return 1;
            }
        }
        if (r < 0) break; /* what was decoded before the fault went out first, as zlib's does in libcurl */
        if (r == 1) mpx_inflate_slide(z); /* the stage was full: room again */
        else if (r == 0 && in == end) return 0;
        if (z->state == MPX_I_DONE) {
            if (in == end && z->bc < 8) return 0;
            if (mpx_inflate_next(z) < 0) break; /* another gzip member, or bytes after the end */
        }
        {
            const unsigned char *from = in;
            r = mpx_inflate_run(z, &in, end);
            z->in_total += (uint64_t)(in - from);
        }
        if (MPERF_DECODE_RATIO > 0 && z->out_total + z->pos - z->done > ((uint64_t)1 << 20) &&
            z->out_total + z->pos - z->done > z->in_total * MPERF_DECODE_RATIO) {
            MPX_FAIL(m, e, MPERF_E_BAD_CONTENT_ENCODING,
                     "The body decodes to more than %d times its coded size: refused as a decompression bomb",
                     MPERF_DECODE_RATIO);
            return -1;
        }
    }
    if (mpx_progress(m, e) < 0) return -1;
    MPX_FAIL(m, e, MPERF_E_BAD_CONTENT_ENCODING, "Error while processing content unencoding: %s", z->why);
    return -1;
}

/* The coded body ended: its stream must have ended with it. 1 when the
   transfer ended with the error. */
/* Decoded bytes a pause held back after the decoder took all the coded
   bytes it was given: 0 delivered (or none), 1 paused again, -1 failed. */
static int mpx_decode_held(mperf_multi *m, mperf_easy *e)
{
    char none = 0;
    return e->x.dec->pos > e->x.dec->done ? mpx_decode_body(m, e, &none, 0) : 0;
}

static int mpx_decode_end(mperf_multi *m, mperf_easy *e)
{
    if (!e->x.dec || e->x.dec->state == MPX_I_DONE) return 0;
    if (mpx_progress(m, e) < 0) return 1;
    MPX_FAIL(m, e, MPERF_E_BAD_CONTENT_ENCODING,
             "Error while processing content unencoding: the body ended before its compressed stream did");
    return 1;
}
#endif

/* -------------------------------------------------------------------- */
/* >>delivery: headers, body and progress to the program's callbacks    */
/* -------------------------------------------------------------------- */
static size_t mpx_default_write(char *p, size_t size, size_t n, void *ud)
{
#if MPX_STDIO
    return fwrite(p, size, n, ud ? (FILE *)ud : stdout);
#else /* descriptor 1: a FILE * in ud stops the transfer before it starts */
    (void)ud;
    return mpx_fd_write(1, p, size * n) ? n : 0;
#endif
}

/* Delivers one header line of a kind: MPX_HL_LINE, MPX_HL_END (the empty
   line ending a head) or MPX_HL_TRAILER; 0 on success, else the transfer
   failed. As libcurl does it: the debug callback sees a line before the
   header callback, the empty line after it (and not at all for a 1xx head),
   a trailer never; HEADER_SIZE counts the heads, not the trailers. */
static int mpx_deliver_header(mperf_multi *m, mperf_easy *e, char *line, size_t n, int kind)
{
    mperf_write_callback cb = e->o.header_cb;
    void *ud = e->o.header_data;
    if (kind != MPX_HL_TRAILER) e->x.header_bytes += (mperf_off_t)n;
    if (kind == MPX_HL_LINE || kind == MPX_HL_CONNECT) mpx_debug(e, MPERF_INFOTYPE_HEADER_IN, line, n);
#if MPX_PROXY
    if (kind == MPX_HL_CONNECT && e->o.suppress_connect) return 0;
#endif
    if (!cb && ud) cb = e->o.write_cb ? e->o.write_cb : mpx_default_write;
    if (cb && mpx_call_write(m, e, cb, ud, line, n) != n) {
        MPX_FAIL(m, e, MPERF_E_WRITE_ERROR, "Failed writing header");
        return -1;
    }
    if (e->o.header && !e->x.following) {
        cb = e->o.write_cb ? e->o.write_cb : mpx_default_write;
        if (mpx_call_write(m, e, cb, e->o.write_data, line, n) != n) {
            MPX_FAIL(m, e, MPERF_E_WRITE_ERROR, "Failed writing header");
            return -1;
        }
    }
    if (kind == MPX_HL_END && !e->x.p.interim && e->state != MPX_S_DONE && !(e->o.failonerror && e->x.p.status >= 400))
        mpx_debug(e, MPERF_INFOTYPE_HEADER_IN, line, n); /* (libcurl fails an error status before it) */
    return e->state == MPX_S_DONE ? -1 : 0;
}

/* Delivers body bytes: 0 delivered, 1 the callback paused, -1 failed. */
static int mpx_deliver_body(mperf_multi *m, mperf_easy *e, char *p, size_t n)
{
    mperf_write_callback cb = e->o.write_cb ? e->o.write_cb : mpx_default_write;
    size_t r;
#if MPX_DECODE
    e->x.pause_skip = 0;
    if (e->x.dec || e->x.coding == 255) return mpx_decode_body(m, e, p, n);
#endif
    if (e->o.maxfilesize > 0 && e->x.downloaded + (mperf_off_t)n > e->o.maxfilesize) {
        MPX_FAIL(m, e, MPERF_E_FILESIZE_EXCEEDED, "Exceeded the maximum allowed file size (%lld)",
                        (long long)e->o.maxfilesize);
        return -1;
    }
    if (!e->x.p.chunked) mpx_debug(e, MPERF_INFOTYPE_DATA_IN, p, n); /* chunked: as it came (mpx_xfer_consume) */
    r = mpx_call_write(m, e, cb, e->o.write_data, p, n);
    if (e->state == MPX_S_DONE) return -1;
    if (r == n) {
        e->x.downloaded += (mperf_off_t)n;
        return 0;
    }
    if (r == MPERF_WRITEFUNC_PAUSE) {
        e->x.paused |= MPERF_PAUSE_RECV;
        return 1;
    }
    MPX_FAIL(m, e, MPERF_E_WRITE_ERROR, "Failure writing output to destination, passed %lu returned %lu",
                    (unsigned long)n, (unsigned long)r);
    return -1;
}

/* Calls the progress callback; -1 if it aborted the transfer. */
static int mpx_progress(mperf_multi *m, mperf_easy *e)
{
    int r = 0;
    mperf_off_t dltotal = e->x.content_length > 0 ? e->x.content_length : 0;
    mperf_off_t ultotal = e->x.body_kind && e->x.body_len > 0 ? e->x.body_len : 0;
    if (!MPX_PROGRESS || e->o.noprogress || (!e->o.xferinfo_cb && !e->o.progress_cb)) return 0;
    mpx_cb_enter(m, e);
    if (e->o.xferinfo_cb) r = e->o.xferinfo_cb(e->o.progress_data, dltotal, e->x.downloaded, ultotal, e->x.uploaded);
    else
        r = e->o.progress_cb(e->o.progress_data, (double)dltotal, (double)e->x.downloaded, (double)ultotal,
                             (double)e->x.uploaded);
    mpx_cb_leave(m, e);
    e->x.deadline_progress = m->now + 1000000;
    if (e->state == MPX_S_DONE) return -1;
    if (r != 0 && r != MPERF_PROGRESSFUNC_CONTINUE) {
        MPX_FAIL(m, e, MPERF_E_ABORTED_BY_CALLBACK, "Callback aborted");
        return -1;
    }
    return 0;
}

/* -------------------------------------------------------------------- */
/* >>completion: a transfer's result, its message, the error texts      */
/* -------------------------------------------------------------------- */
/* Ends a transfer with its result and, on failure, msg for the error buffer
   (NULL: the code's text). MPX_FAIL() formats msg first (fmt is
   never NULL). */
static void mpx_xfer_end(mperf_multi *m, mperf_easy *e, mperf_code code, const char *msg)
{
    if (e->state == MPX_S_DONE || e->state == MPX_S_NONE) return;
    if (code != MPERF_E_OK) {
        if (!msg) msg = mperf_easy_strerror(code);
        if (e->o.errorbuffer) mpx_strlcpy(e->o.errorbuffer, msg, MPERF_ERROR_SIZE);
        MPX_INFO(e, "%s", msg);
    }
    e->x.t_total = m->now - e->x.t_start;
#if MPX_DECODE
    mpx_decode_drop(m, e);
#endif
    /* A connection goes back to the pool only after a complete exchange. */
#if MPX_RAW
    if (e->x.conn && e->o.connect_only && code == MPERF_E_OK) mpx_conn_keep_raw(m, e);
#endif
    if (e->x.conn)
        mpx_conn_done(m, e, code == MPERF_E_OK && e->x.p.keepalive && !e->o.forbid_reuse &&
                                (e->x.body_state == MPX_B_NONE || e->x.body_state == MPX_B_DONE));
    if (e->postcopy_old) {
        mpx_free(&e->al, e->postcopy_old);
        e->postcopy_old = NULL;
    }
    e->msg.data.result = code;
    (void)mpx_xfer_set(m, e, MPX_S_DONE); /* posts the message */
}

#if MPX_ERROR_TEXT
static void mpx_xfer_fail(mperf_multi *m, mperf_easy *e, mperf_code code, const char *fmt, ...)
{
    char msg[MPERF_ERROR_SIZE];
    va_list ap;
    va_start(ap, fmt);
    mpx_vfmt(msg, sizeof msg, fmt, ap);
    va_end(ap);
    mpx_xfer_end(m, e, code, msg);
}
#endif

/* Error texts, packed: each is led by its code + 2 as one byte (no NUL). */
static const char *mpx_errtext(const char *t, size_t n, int code)
{
    const char *end = t + n - 1;
    while (t < end) {
        if ((unsigned char)*t == code + 2) return t + 1;
        t += strlen(t) + 1;
    }
    return "Unknown error";
}

static const char mpx_multi_errtext[] =
    "\001" "Call perform again\0"
    "\002" "No error\0"
    "\003" "Not a valid multi handle\0"
    "\004" "Not a valid easy handle\0"
    "\005" "Out of memory\0"
    "\006" "Internal error\0"
    "\007" "Bad socket\0"
    "\010" "Unknown or unsupported option\0"
    "\011" "The easy handle is already in a multi handle\0"
    "\012" "Call not allowed from inside a callback\0"
    "\013" "Wakeup failed or is unavailable\0"
    "\014" "Bad argument to a function\0"
    "\015" "Stopped by a callback\0"
    "\016" "poll() failed\0";

/* The texts of the codes: with MPERF_NO_ERROR_TEXT only those the build can
   return (a feature's codes with the feature), the others read "Unknown
   error". */
static const char mpx_easy_errtext[] =
    "\002" "No error\0"
    "\003" "Protocol not supported\0"
    "\004" "Initialization failed\0"
    "\005" "Malformed or missing URL\0"
    "\006" "Feature or option not built in\0"
    "\010" "Host name not resolved\0"
    "\011" "Could not connect to the server\0"
    "\012" "Malformed reply from the server\0"
    "\024" "The body ended early\0"
    "\030" "The server returned an error status\0"
    "\031" "Failed writing received data\0"
    "\035" "Out of memory\0"
    "\036" "Timed out\0"
    "\054" "Stopped by a callback\0"
    "\055" "Bad argument to a function\0"
    "\062" "Unknown option\0"
    "\063" "Malformed option value\0"
    "\066" "Empty reply from the server\0"
    "\071" "Sending failed\0"
    "\072" "Receiving failed\0"
    "\077" "Unsupported or bad transfer coding\0"
    "\101" "Maximum file size exceeded\0"
    "\137" "Not allowed from inside a callback\0"
#if MPX_UPLOADS || MPX_ERROR_TEXT
    "\033" "Upload failed\0"
    "\034" "The read callback failed\0"
    "\103" "Cannot rewind the request body\0"
#endif
#if MPX_REDIRECTS || MPX_ERROR_TEXT
    "\061" "Too many redirects\0"
#endif
#if MPX_RANGES || MPX_ERROR_TEXT
    "\043" "The server did not send the range asked for\0"
#endif
#if MPX_ROUTING || MPX_ERROR_TEXT
    "\057" "Could not bind the local end\0"
#endif
#if MPX_TLS || MPX_ERROR_TEXT
    "\045" "TLS handshake failed\0"
    "\075" "No usable cipher suite\0"
    "\076" "Server certificate not verified\0"
    "\117" "Could not load the CA certificates\0"
    "\134" "Server key does not match the pinned key\0"
#endif
#if MPX_ERROR_TEXT /* codes the engine never returns */
    "\007" "Proxy name not resolved\0"
    "\013" "Access denied by the server\0"
    "\022" "HTTP/2 framing error\0"
    "\027" "A quote command failed\0"
    "\044" "Could not set up the POST\0"
    "\046" "Cannot resume the download\0"
    "\047" "Could not read the file\0"
    "\053" "A needed function is missing\0"
    "\067" "TLS engine not found\0"
    "\070" "Could not make the TLS engine the default\0"
    "\074" "Problem with the local certificate\0"
    "\102" "TLS was required and is not available\0"
    "\104" "Could not start the TLS engine\0"
    "\105" "Login denied\0"
    "\120" "The remote file was not found\0"
    "\122" "TLS shutdown failed\0"
    "\123" "Socket not ready\0"
    "\124" "Could not load the CRL file\0"
    "\125" "The certificate's issuer check failed\0"
    "\132" "The chunk callback failed\0"
    "\133" "No connection available\0"
    "\135" "The certificate status (OCSP) did not verify\0"
    "\136" "HTTP/2 stream error\0"
    "\140" "Authentication failed\0"
    "\141" "HTTP/3 error\0"
    "\142" "QUIC connection failed\0"
    "\143" "Proxy handshake failed\0"
    "\144" "The server wants a client certificate\0"
    "\145" "poll() failed\0"
#endif
    "";

/* -------------------------------------------------------------------- */
/* >>statemachine: the state setter, timers, the step that runs a transfer */
/* -------------------------------------------------------------------- */
/* A transfer's states (MPX_S_) and the changes between them:

     NONE -> INIT                        added to a multi
     INIT -> CONNECT                     started: the first hop (mpx_xfer_hop)
     CONNECT -> PENDING                  a connection limit holds it back
     CONNECT, PENDING -> SEND            an idle connection to reuse
     CONNECT, PENDING -> RESOLVING       the name goes to the stub resolver; its
     RESOLVING -> CONNECT                answer wakes the transfer (none: DONE)
     CONNECT, PENDING -> CONNECTING      a new socket; CONNECTING again for the
                                         next address; straight to TLS or SEND
                                         when the connect completes at once
     CONNECTING -> TLS -> SEND           https; http goes straight to SEND
     CONNECTING -> TUNNEL -> TLS, SEND   through a proxy's tunnel: CONNECT sent
                                         and answered first (a 407 answered
                                         with credentials on a new connection:
                                         TUNNEL -> CONNECT)
     SEND -> RECV                        the request head is out (the body,
                                         if any, goes on in RECV)
     SEND, RECV -> CONNECT               a dead reused connection retried, or a
                                         redirect's next hop
     RECV -> DONE                        the response is complete
     any -> DONE                         a failure; the message is posted
     any -> NONE                         removed from the multi

   Every change goes through mpx_xfer_set(), which does the entry work of the
   new state (lists, deadlines, timer, socket interest); the request body's
   states through mpx_body_set(). mpx_xfer_run() runs the step of the current
   state until the transfer waits: each step (in the sections above) returns
   1 when the transfer can go on at once and 0 when it waits for its socket
   or timer, or has ended. tests/transitions.h holds the same table. */

/* ---- timer heap of transfers, ordered by deadline ---- */
static void mpx_heap_swap(mperf_multi *m, unsigned a, unsigned b)
{
    mperf_easy *t = m->heap[a];
    m->heap[a] = m->heap[b];
    m->heap[b] = t;
    m->heap[a]->heap_idx = (int)a;
    m->heap[b]->heap_idx = (int)b;
}

static void mpx_heap_fix(mperf_multi *m, unsigned i)
{
    while (i > 0 && m->heap[(i - 1) / 2]->due > m->heap[i]->due) {
        mpx_heap_swap(m, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
    for (;;) {
        unsigned l = 2 * i + 1, r = l + 1, s = i;
        if (l < m->heap_len && m->heap[l]->due < m->heap[s]->due) s = l;
        if (r < m->heap_len && m->heap[r]->due < m->heap[s]->due) s = r;
        if (s == i) break;
        mpx_heap_swap(m, i, s);
        i = s;
    }
}

static void mpx_heap_remove(mperf_multi *m, mperf_easy *e)
{
    unsigned i;
    if (e->heap_idx < 0) return;
    i = (unsigned)e->heap_idx;
    e->heap_idx = -1;
    if (i != --m->heap_len) {
        m->heap[i] = m->heap[m->heap_len];
        m->heap[i]->heap_idx = (int)i;
        mpx_heap_fix(m, i);
    }
}

/* Sets the transfer's timer to its earliest deadline (0: none). */
static int mpx_xfer_arm(mperf_multi *m, mperf_easy *e)
{
    /* the soonest deadline that is set: less one, an unset 0 is the largest */
    uint64_t d = (uint64_t)e->x.deadline_total - 1, t;
    if ((t = (uint64_t)e->x.deadline_phase - 1) < d) d = t;
    if ((t = (uint64_t)e->x.deadline_expect - 1) < d) d = t;
    if ((t = (uint64_t)e->x.deadline_speed - 1) < d) d = t;
    if ((t = (uint64_t)e->x.deadline_progress - 1) < d) d = t;
    if (MPX_ROUTING && (t = (uint64_t)e->x.deadline_race - 1) < d) d = t;
#if MPX_LOWAT
    if ((t = (uint64_t)e->x.deadline_lowat - 1) < d) d = t;
#endif
#if MPX_STUB
    if ((t = (uint64_t)e->x.deadline_dns - 1) < d) d = t;
#endif
    if (++d == 0) {
        mpx_heap_remove(m, e);
        return 1;
    }
    e->due = (int64_t)d;
    if (e->heap_idx >= 0) {
        mpx_heap_fix(m, (unsigned)e->heap_idx);
        return 1;
    }
    if (m->heap_len == m->heap_cap) {
        unsigned ncap = m->heap_cap ? m->heap_cap * 2 : 16;
        mperf_easy **nh = (mperf_easy **)mpx_alloc(&m->al, ncap * sizeof *nh);
        if (!nh) return 0;
        if (m->heap_len) memcpy(nh, m->heap, m->heap_len * sizeof *nh);
        mpx_free(&m->al, m->heap);
        m->heap = nh;
        m->heap_cap = ncap;
    }
    e->heap_idx = (int)m->heap_len;
    m->heap[m->heap_len++] = e;
    mpx_heap_fix(m, (unsigned)e->heap_idx);
    return 1;
}

/* Puts a transfer on the run-next list (once). */
static void mpx_dirty_add(mperf_multi *m, mperf_easy *e)
{
    if (!mpx_linked(&e->dirty)) mpx_list_add(&m->dirty, &e->dirty);
}

/* Tests see every state change (MPX_TEST_STATE(e, body, from, to)). */
#ifndef MPX_TEST_STATE
#define MPX_TEST_STATE(e, body, from, to) (void)0
#endif
#if MPX_TRACE
static const char *const mpx_state_name[] = {"NONE",   "INIT", "PENDING", "CONNECT", "RESOLVING", "CONNECTING",
                                             "TUNNEL", "TLS",  "SEND",    "RECV",    "DONE"};
static const char *const mpx_body_name[] = {"NONE", "WAIT100", "SENDING", "DONE", "ABANDONED"};
#endif

/* The one place a transfer's state (MPX_S_) changes. It takes the
   transfer off the list of the state it leaves and does what the new state
   needs: the lists it belongs on, its deadlines (the connect phase belongs
   to the states that connect), its timer and its socket interest. Returns 0
   when that ran out of memory: the transfer has then ended. */
static int mpx_xfer_set(mperf_multi *m, mperf_easy *e, int to)
{
    int from = e->state;
    MPX_TEST_STATE(e, 0, from, to);
#if MPX_TRACE
    MPX_INFO(e, "STATE: %s => %s", mpx_state_name[from], mpx_state_name[to]);
#endif
    e->state = (uint8_t)to;
    if (from == MPX_S_PENDING) mpx_list_del(&e->pending);
#if MPX_STUB
    if (from == MPX_S_RESOLVING) mpx_dnsq_leave(m, e); /* the last one out cancels the query */
#endif
    if (MPX_ROUTING && from == MPX_S_CONNECTING && to != MPX_S_CONNECTING) { /* a race is over */
        e->x.deadline_race = 0;
        if (e->x.racer) {
            mpx_conn_close(m, e->x.racer);
            e->x.racer = NULL;
        }
    }
    switch (to) {
    case MPX_S_INIT: /* added: the next perform starts it */
        mpx_list_add(&m->added, &e->added);
        m->num_easy++;
        m->num_alive++;
        mpx_dirty_add(m, e);
        return 1;
    case MPX_S_PENDING:
        mpx_list_add(&m->pending, &e->pending);
        return 1;
    case MPX_S_RESOLVING: /* the lookup counts against the connect timeout */
        e->x.deadline_phase = e->x.deadline_connect;
        break;
    case MPX_S_CONNECTING: /* this address; half the time left when another one waits */
        e->x.deadline_phase = e->x.addr_idx + 1 < e->x.naddr ? m->now + (e->x.deadline_connect - m->now) / 2
                                                              : e->x.deadline_connect;
        break;
    case MPX_S_TUNNEL: /* the proxy's CONNECT and the handshake count against the connect timeout */
    case MPX_S_TLS:
        e->x.deadline_phase = e->x.deadline_connect;
        break;
    case MPX_S_SEND:
        e->x.deadline_phase = 0;
        break;
    case MPX_S_RECV: /* the request body goes now, or after a 100 Continue (or its timeout) */
        if (MPX_UPLOADS && e->x.body_kind) mpx_body_set(m, e, e->x.expect100 ? MPX_B_WAIT100 : MPX_B_SENDING);
        break;
    case MPX_S_DONE: /* its result is in e->msg: post it */
        mpx_list_del(&e->dirty);
        mpx_heap_remove(m, e);
        e->msg.msg = MPERF_MSG_DONE;
        e->msg.easy_handle = e;
        mpx_list_add(&m->msgs, &e->queued);
        m->num_msgs++;
        m->num_alive--;
        return 1;
    case MPX_S_NONE: /* removed, finished or not */
        if (e->x.conn) mpx_conn_close(m, e->x.conn);
#if MPX_DECODE
        mpx_decode_drop(m, e);
#endif
        mpx_list_del(&e->dirty);
        mpx_heap_remove(m, e);
        if (mpx_linked(&e->queued)) { /* its message goes unread */
            mpx_list_del(&e->queued);
            m->num_msgs--;
        }
        mpx_list_del(&e->added);
        m->num_easy--;
        if (from != MPX_S_DONE) m->num_alive--;
        return 1;
    default: /* MPX_S_CONNECT: a new hop or a retry, with its deadlines */
        break;
    }
    mpx_xfer_interest(m, e);
    if (mpx_xfer_arm(m, e)) return 1;
    MPX_FAIL(m, e, MPERF_E_OUT_OF_MEMORY, "Out of memory");
    return 0;
}

/* The one place the request body's state (MPX_B_) changes; the same value
   again is no change. WAIT100 is entered only with MPX_S_RECV, whose entry
   arms the timer for the deadline set here. */
static void mpx_body_set(mperf_multi *m, mperf_easy *e, int to)
{
    int from = e->x.body_state;
    if (to == from) return;
    MPX_TEST_STATE(e, 1, from, to);
#if MPX_TRACE
    MPX_INFO(e, "BODY: %s => %s", mpx_body_name[from], mpx_body_name[to]);
#endif
    e->x.body_state = (uint8_t)to;
    if (to == MPX_B_WAIT100)
        e->x.deadline_expect = m->now + (int64_t)(e->o.expect_100_ms > 0 ? e->o.expect_100_ms : 0) * 1000;
    else if (from == MPX_B_WAIT100) e->x.deadline_expect = 0;
    mpx_xfer_interest(m, e);
}

/* The socket interest that follows from the transfer's state. */
static void mpx_xfer_interest(mperf_multi *m, mperf_easy *e)
{
    short ev = 0;
    if (!e->x.conn) return;
    if (e->state == MPX_S_CONNECTING || e->state == MPX_S_SEND) {
        ev = POLLOUT;
    } else if (MPX_PROXY && e->state == MPX_S_TUNNEL) { /* CONNECT goes out, then its answer comes in */
        ev = e->x.conn->spos < e->x.conn->sbuf.len ? POLLOUT : POLLIN;
    } else if (e->state == MPX_S_RECV) {
        if (!(e->x.paused & MPERF_PAUSE_RECV)) ev |= POLLIN;
        if (MPX_UPLOADS && e->x.body_state == MPX_B_SENDING && !(e->x.paused & MPERF_PAUSE_SEND)) ev |= POLLOUT;
    }
#if MPX_TLS
    if (e->x.conn->tls && e->state >= MPX_S_TLS) {
        short want = mpx_tls_want(e->x.conn, ev, e->state == MPX_S_TLS);
        if ((ev & POLLIN) && !(want & POLLIN) && !mpx_linked(&e->dirty)) /* decrypted bytes wait: no sleeping */
            mpx_list_add(e->x.spent ? &m->later : &m->dirty, &e->dirty); /* (or in the next call) */
        ev = want;
    }
#endif
    mpx_pfd_set(m, e->x.conn, ev);
}

/* Deadlines: total, connect, the 100-continue wait, low speed, progress.
   Returns 1 if the transfer ended or moved on. */
static int mpx_xfer_timers(mperf_multi *m, mperf_easy *e)
{
    if (e->x.deadline_total && m->now >= e->x.deadline_total) {
        MPX_FAIL(m, e, MPERF_E_OPERATION_TIMEDOUT,
                        "Operation timed out after %ld milliseconds with %lld bytes received",
                        (long)((m->now - e->x.t_start) / 1000), (long long)e->x.downloaded);
        return 1;
    }
#if MPX_ROUTING
    if (e->x.deadline_race && m->now >= e->x.deadline_race) { /* the other family's turn */
        if (e->state != MPX_S_CONNECTING) e->x.deadline_race = 0;
        else mpx_xfer_race(m, e);
        if (e->state == MPX_S_DONE) return 1;
    }
#endif
#if MPX_STUB
    if (e->x.deadline_dns && m->now >= e->x.deadline_dns) { /* the query's try is up */
        e->x.deadline_dns = 0;
#if MPX_DNSWIRE
        if (e->x.dnsq) mpx_dnsq_tick(m, e->x.dnsq);
#endif
        if (e->state != MPX_S_RESOLVING) return 1;
    }
#endif
    if (e->x.deadline_phase && m->now >= e->x.deadline_phase) {
        if (e->state == MPX_S_RESOLVING) {
            MPX_FAIL(m, e, MPERF_E_OPERATION_TIMEDOUT, "Resolving timed out after %ld milliseconds",
                     (long)((m->now - e->x.t_start) / 1000));
            return 1;
        }
        if (e->state == MPX_S_CONNECTING && e->x.addr_idx + 1 < e->x.naddr && m->now < e->x.deadline_connect) {
            mpx_conn *c = e->x.conn;
            MPX_INFO(e, "Connect attempt timed out, trying the next address");
            mpx_pfd_del(m, c);
            mpx_conn_sock_close(c);
            e->x.deadline_phase = e->x.deadline_connect;
            e->x.addr_idx++;
            (void)mpx_xfer_try_addrs(m, e);
            return 1;
        }
        if (e->state <= MPX_S_TLS) {
            MPX_FAIL(m, e, MPERF_E_OPERATION_TIMEDOUT, "Connection timed out after %ld milliseconds",
                            (long)((m->now - e->x.t_start) / 1000));
            return 1;
        }
        e->x.deadline_phase = 0;
    }
    if (MPX_UPLOADS && e->x.deadline_expect && m->now >= e->x.deadline_expect) {
        e->x.deadline_expect = 0;
        if (e->x.body_state == MPX_B_WAIT100) {
            MPX_INFO(e, "No 100 Continue in time: sending the body anyway");
            mpx_body_set(m, e, MPX_B_SENDING);
            mpx_dirty_add(m, e);
        }
    }
    if (e->x.deadline_speed && m->now >= e->x.deadline_speed) {
        mperf_off_t moved = e->x.downloaded + e->x.uploaded - e->x.speed_mark;
        e->x.speed_mark = e->x.downloaded + e->x.uploaded;
        if ((e->state != MPX_S_SEND && e->state != MPX_S_RECV) || e->x.paused) {
            e->x.slow_since = 0; /* a paused transfer is never too slow */
        } else if ((double)moved * 1e6 / (double)(m->now - e->x.deadline_speed + 1000000) <
                   (double)e->o.low_speed_limit) {
            if (!e->x.slow_since) e->x.slow_since = e->x.deadline_speed - 1000000;
            if (m->now - e->x.slow_since >= (int64_t)e->o.low_speed_time * 1000000) {
                MPX_FAIL(m, e, MPERF_E_OPERATION_TIMEDOUT,
                                "Operation too slow. Less than %ld bytes/sec transferred the last %ld seconds",
                                e->o.low_speed_limit, e->o.low_speed_time);
                return 1;
            }
        } else {
            e->x.slow_since = 0;
        }
        e->x.deadline_speed = m->now + 1000000;
    }
    if (e->x.deadline_progress && m->now >= e->x.deadline_progress && e->state != MPX_S_INIT) {
        if (mpx_progress(m, e) < 0) return 1;
    }
#if MPX_LOWAT
    if (e->x.deadline_lowat && m->now >= e->x.deadline_lowat) { /* still streaming, or wake for any byte */
        e->x.deadline_lowat = e->x.lowat_fed ? m->now + MPX_LOWAT_WAIT : 0;
        e->x.lowat_fed = 0;
        if (!e->x.deadline_lowat && e->x.conn) mpx_conn_lowat(e->x.conn, 0);
    }
#endif
    if (!mpx_xfer_arm(m, e)) {
        MPX_FAIL(m, e, MPERF_E_OUT_OF_MEMORY, "Out of memory");
        return 1;
    }
    return 0;
}

static void mpx_xfer_run(mperf_multi *m, mperf_easy *e, int revents)
{
    const char *why = NULL;
    mperf_code rc;
    if (e->state != MPX_S_INIT && e->state != MPX_S_DONE && e->due && m->now >= e->due &&
        mpx_xfer_timers(m, e))
        return;
#if MPX_SOCKACT
    if ((e->x.conn && e->x.conn->sock_failed) || (MPX_ROUTING && e->x.racer && e->x.racer->sock_failed)
#if MPX_STUB
        || (e->x.dnsq && e->x.dnsq->s.sock_failed)
#endif
    ) {
        MPX_FAIL(m, e, MPERF_E_ABORTED_BY_CALLBACK, "The socket callback failed");
        return;
    }
#endif
    for (;;) {
        switch (e->state) {
        case MPX_S_INIT:
            rc = mpx_xfer_begin(m, e, &why);
            if (rc != MPERF_E_OK) {
                MPX_FAIL(m, e, rc, "%s", why);
                return;
            }
            break;
        case MPX_S_PENDING:
        case MPX_S_CONNECT:
            if (!mpx_xfer_connect(m, e)) return;
            break;
#if MPX_STUB
        case MPX_S_RESOLVING: /* woken by the query's end */
            if (e->x.dnsq) return;
            if (e->x.dns_oom) {
                MPX_FAIL(m, e, MPERF_E_OUT_OF_MEMORY, "Out of memory");
                return;
            }
            if (!e->x.naddr || !mpx_xfer_addrs_keep(e, 1)) {
                mpx_xfer_unresolved(m, e);
                return;
            }
            e->x.t_lookup = m->now - e->x.t_start;
            if (!mpx_xfer_set(m, e, MPX_S_CONNECT)) return;
            break;
#endif
        case MPX_S_CONNECTING:
            if (!(revents & (POLLOUT | POLLERR | POLLHUP))) return;
            if (!mpx_xfer_connected(m, e, revents)) return;
            break;
#if MPX_PROXY
        case MPX_S_TUNNEL:
            if (!mpx_xfer_tunnel(m, e, revents)) return;
            break;
#endif
#if MPX_TLS
        case MPX_S_TLS:
            if (!mpx_xfer_handshake(m, e)) return;
            break;
#endif
        case MPX_S_SEND:
            if (MPX_RAW && e->o.connect_only) { /* connected: the rest is the program's */
                mpx_xfer_end(m, e, MPERF_E_OK, NULL);
                return;
            }
            if (!mpx_xfer_send_head(m, e, revents)) return;
            revents = POLLOUT; /* the socket took the head: the body may follow at once */
            break;
        case MPX_S_RECV:
            mpx_xfer_io(m, e, revents);
            return;
        default:
            return;
        }
    }
}

/* Gives queued transfers their chance after connections closed or idled. */
static void mpx_pending_run(mperf_multi *m)
{
    mpx_link *l = m->pending.next, *next;
    m->kick_pending = 0;
    for (; l != &m->pending; l = next) {
        next = l->next;
        if (m->max_total_conns > 0 && m->num_conns >= (unsigned long)m->max_total_conns && mpx_list_empty(&m->lru))
            break;
        if (m->call_connects >= MPERF_CONNECTS_PER_CALL) { /* this call's share is started: the rest in the next, */
            m->kick_pending = 1;                          /* not a walk of the whole list in every call */
            break;
        }
        mpx_xfer_run(m, MPX_OF(l, mperf_easy, pending), 0);
    }
}

/* -------------------------------------------------------------------- */
/* >>multi: perform, poll and wait, wakeup, messages, fdset             */
/* -------------------------------------------------------------------- */
/* Takes a transfer out of its multi, finished or not. Closed connections
   are recycled at the end of the step; out of one, call mpx_graveyard_flush. */
static void mpx_multi_remove(mperf_multi *m, mperf_easy *e)
{
#if MPX_RAW
    if (e->raw && m != e->own_multi) mpx_conn_close(m, e->raw); /* CONNECT_ONLY's goes with the handle (easy_perform's stays) */
#endif
    (void)mpx_xfer_set(m, e, MPX_S_NONE);
    e->multi = NULL;
}

/* The list heads of a multi handle, set up by mpx_multi_new. */
static const unsigned short mpx_multi_lists[] = {
    offsetof(mperf_multi, added), offsetof(mperf_multi, msgs),      offsetof(mperf_multi, dirty),
    offsetof(mperf_multi, pending), offsetof(mperf_multi, conns), offsetof(mperf_multi, graveyard),
    offsetof(mperf_multi, conn_free), offsetof(mperf_multi, lru),     offsetof(mperf_multi, later)};

static mperf_multi *mpx_multi_new(const mperf_allocator *allocator)
{
    mperf_allocator al;
    mperf_multi *m;
    size_t i;
    if (allocator) al = *allocator;
    else memset(&al, 0, sizeof al);
    m = (mperf_multi *)mpx_calloc(&al, sizeof *m);
    if (!m) return NULL;
#ifdef _WIN32
    { /* Winsock counts its users: one per multi handle, undone by mpx_multi_free */
        WSADATA wsa;
        if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) {
            mpx_free(&al, m);
            return NULL;
        }
    }
#endif
    m->magic = MPX_MAGIC_MULTI;
    m->al = al;
    for (i = 0; i < sizeof mpx_multi_lists / sizeof mpx_multi_lists[0]; i++)
        mpx_list_init((mpx_link *)(void *)((char *)m + mpx_multi_lists[i]));
    m->wake_rd = m->wake_wr = MPERF_SOCKET_BAD;
    m->timer_told = MPX_TIMER_UNTOLD;
    m->bytes_per_call = MPERF_BYTES_PER_CALL;
#if MPERF_MAX_CONNECTIONS > 0
    m->max_total_conns = MPERF_MAX_CONNECTIONS;
#endif
    m->now = mpx_now_us();
    return m;
}

/* Detaches the handles still added (they stay the program's) and frees the
   rest: connections, pools, caches. */
static void mpx_multi_free(mperf_multi *m)
{
    unsigned b;
    while (!mpx_list_empty(&m->added)) mpx_multi_remove(m, MPX_OF(m->added.next, mperf_easy, added));
    while (!mpx_list_empty(&m->conns)) mpx_conn_close(m, MPX_OF(m->conns.next, mpx_conn, link));
    mpx_graveyard_flush(m);
    while (!mpx_list_empty(&m->conn_free)) {
        mpx_conn *c = MPX_OF(m->conn_free.next, mpx_conn, link);
        mpx_list_del(&c->link);
        mpx_buf_free(&m->al, &c->sbuf);
        mpx_free(&m->al, c);
    }
    mpx_free_chain(&m->al, m->buf_free);
    mpx_free_chain(&m->al, m->big_free);
#if MPX_DECODE
    mpx_free_chain(&m->al, m->inflate_free);
#endif
    for (b = 0; b < m->host_buckets; b++) mpx_free_chain(&m->al, m->hosts[b]);
    mpx_free(&m->al, m->hosts);
    mpx_free_chain(&m->al, m->dns);
#if MPX_STUB
    mpx_free(&m->al, m->resconf);
    mpx_free(&m->al, m->resolv_path);
    mpx_free(&m->al, m->hosts_path);
#endif
    mpx_free(&m->al, m->heap);
    mpx_free(&m->al, m->pconn); /* with ready and pfds */
    mpx_free(&m->al, m->fdtab);
    mpx_buf_free(&m->al, &m->scratch);
#if MPX_TLS
    mpx_tls_multi_free(m);
#endif
    if (m->wake_ready) {
        MPX_SOCK_CLOSE(m->wake_rd);
        if (m->wake_wr != m->wake_rd) MPX_SOCK_CLOSE(m->wake_wr);
    }
    m->magic = 0;
    mpx_free(&m->al, m);
#ifdef _WIN32
    WSACleanup();
#endif
}

/* Clears what one transfer leaves behind; the handle's buffers stay. */
static void mpx_xfer_reset(mperf_easy *e)
{
    memset(&e->x, 0, sizeof e->x);
    e->x.content_length = e->x.body_len = -1;
    e->x.req = MPX_REQ_GET;
    e->x.auth_ok = 1;
    if (e->ctype) e->ctype[0] = 0;
    if (e->location) e->location[0] = 0;
    if (e->redirect_url) e->redirect_url[0] = 0;
#if MPX_HEADER_API
    e->hfields.len = e->htext.len = 0;
#endif
    memset(&e->msg, 0, sizeof e->msg);
}

static mperf_mcode mpx_multi_add(mperf_multi *m, mperf_easy *e)
{
#if MPX_RAW
    mpx_raw_drop(e); /* a new transfer: the connection CONNECT_ONLY kept goes */
#endif
    if (e->own_multi && e->own_multi != m) { /* a private multi left over from easy_perform */
        mpx_multi_free(e->own_multi);
        e->own_multi = NULL;
    }
    mpx_xfer_reset(e);
    e->multi = m;
    if (e->o.errorbuffer) e->o.errorbuffer[0] = 0;
    (void)mpx_xfer_set(m, e, MPX_S_INIT);
    return MPERF_M_OK;
}


/* Milliseconds until perform should run even without socket activity. */
/* When a step is next due without socket activity: MPX_TIMER_NOW, an
   absolute time, or MPX_TIMER_NONE. */
static int64_t mpx_multi_due(const mperf_multi *m)
{
    if (!mpx_list_empty(&m->dirty) || (MPX_TLS && !mpx_list_empty(&m->later)) ||
        (m->kick_pending && !mpx_list_empty(&m->pending)))
        return MPX_TIMER_NOW;
    return m->heap_len ? m->heap[0]->due : MPX_TIMER_NONE;
}

static long mpx_multi_timeout_ms(mperf_multi *m)
{
    int64_t d = mpx_multi_due(m);
    if (d == MPX_TIMER_NONE) return -1;
    if (d == MPX_TIMER_NOW) return 0;
    d -= mpx_clock(m);
    return d <= 0 ? 0 : (long)((d + 999) / 1000);
}

static int mpx_wake_open(mperf_multi *m)
{
    if (MPX_ATOMIC_LOAD(&m->wake_ready)) return 1;
#if defined(_WIN32)
    { /* a loopback UDP socket connected to itself */
        SOCKET s = socket(AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in a;
        int l = (int)sizeof a;
        u_long nb = 1;
        if (s == INVALID_SOCKET) return 0;
        memset(&a, 0, sizeof a);
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (bind(s, (struct sockaddr *)&a, (int)sizeof a) != 0 || getsockname(s, (struct sockaddr *)&a, &l) != 0 ||
            connect(s, (struct sockaddr *)&a, (int)sizeof a) != 0 || ioctlsocket(s, MPX_FIONBIO, &nb) != 0) {
            closesocket(s);
            return 0;
        }
        m->wake_rd = m->wake_wr = s;
    }
#elif defined(MPX_HAVE_EVENTFD)
    {
        int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (fd < 0) return 0;
        m->wake_rd = m->wake_wr = fd;
    }
#else
    {
        int fds[2], i;
        if (pipe(fds) != 0) return 0;
        for (i = 0; i < 2; i++) {
            (void)fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL, 0) | O_NONBLOCK);
            (void)fcntl(fds[i], F_SETFD, FD_CLOEXEC);
        }
        m->wake_rd = fds[0];
        m->wake_wr = fds[1];
    }
#endif
    MPX_ATOMIC_STORE(&m->wake_ready, 1);
    return 1;
}

static void mpx_wake_drain(mperf_multi *m)
{
    char junk[64];
    if (!MPX_ATOMIC_LOAD(&m->wake_ready)) return;
#ifdef _WIN32
    while (recv(m->wake_rd, junk, (int)sizeof junk, 0) > 0) {}
#else
    while (read(m->wake_rd, junk, sizeof junk) > 0) {}
#endif
}

/* A connection's socket is in the pollfd array (a wait has something to wait on). */
static int mpx_any_armed(const mperf_multi *m)
{
    unsigned i;
    for (i = 0; i < m->npfd; i++)
        if (m->pfds[i].fd != MPERF_SOCKET_BAD) return 1;
    return 0;
}

static mperf_mcode mpx_multi_wait(mperf_multi *m, mperf_waitfd *extra, unsigned int nextra, int timeout_ms,
                                  int *numfds, int wakeable)
{
    long internal;
    unsigned i, n;
    int r, count = 0, wake_idx = -1;
#if MPX_TPORT
    int tp_woken = 0;
#else
    enum { tp_woken = 0 }; /* (no transport: no wakeup of its) */
#endif
    if (numfds) *numfds = 0;
    if (!mpx_multi_ok(m)) return MPERF_M_BAD_HANDLE;
    if (m->in_callback) return MPERF_M_RECURSIVE_API_CALL;
    if (timeout_ms < 0 || (nextra && !extra)) return MPERF_M_BAD_FUNCTION_ARGUMENT;
    internal = mpx_multi_timeout_ms(m);
    if (internal >= 0 && internal < timeout_ms) timeout_ms = (int)internal;
#if MPX_TPORT
    if (m->tport.t && wakeable) { /* the transport's wakeup makes its poll return: no descriptor of ours */
        wakeable = 0;
        if (MPX_ATOMIC_XCHG(&m->wake_pending, 0)) return MPERF_M_OK; /* woken before we got here */
        tp_woken = 1;
    }
#endif
    if (wakeable) {
        if (!mpx_wake_open(m)) return MPERF_M_WAKEUP_FAILURE;
        if (MPX_ATOMIC_XCHG(&m->wake_pending, 0)) { /* woken before we got here */
            mpx_wake_drain(m);
            return MPERF_M_OK;
        }
    }
    if (!nextra && !wakeable && !tp_woken && !mpx_any_armed(m)) return MPERF_M_OK; /* wait: nothing to wait on */
    if (!mpx_pfd_reserve(m, m->npfd + nextra + 1)) return MPERF_M_OUT_OF_MEMORY;
    n = m->npfd;
    if (wakeable) {
        wake_idx = (int)n;
        m->pfds[n].fd = m->wake_rd;
        m->pfds[n].events = POLLIN;
        m->pfds[n].revents = 0;
        n++;
    }
    for (i = 0; i < nextra; i++, n++) {
        short ev = 0;
        if (extra[i].events & MPERF_WAIT_POLLIN) ev |= POLLIN;
        if (extra[i].events & MPERF_WAIT_POLLPRI) ev |= POLLPRI;
        if (extra[i].events & MPERF_WAIT_POLLOUT) ev |= POLLOUT;
        m->pfds[n].fd = extra[i].fd;
        m->pfds[n].events = ev;
        m->pfds[n].revents = 0;
    }
    r = mpx_io_poll(m, n, timeout_ms);
    if (tp_woken) (void)MPX_ATOMIC_XCHG(&m->wake_pending, 0);
    if (r < 0) {
        if (MPX_SOCK_ERRNO() != MPX_EINTR) return MPERF_M_UNRECOVERABLE_POLL;
        for (i = 0; i < n; i++) m->pfds[i].revents = 0;
    }
    for (i = 0; i < m->npfd; i++)
        if (m->pfds[i].revents) count++;
    for (i = 0; i < nextra; i++) {
        short rev = m->pfds[n - nextra + i].revents, out = 0;
        if (rev & POLLIN) out |= MPERF_WAIT_POLLIN;
        if (rev & POLLPRI) out |= MPERF_WAIT_POLLPRI;
        if (rev & POLLOUT) out |= MPERF_WAIT_POLLOUT;
        extra[i].revents = out;
        if (rev) count++;
    }
    if (wake_idx >= 0 && m->pfds[wake_idx].revents) {
        (void)MPX_ATOMIC_XCHG(&m->wake_pending, 0);
        mpx_wake_drain(m);
    }
    m->poll_fresh = 1;
    if (numfds) *numfds = count;
    return MPERF_M_OK;
}

/* One step: the sockets the last wait found ready (or a poll now), the
   run-next list, the expired timers, the transfers waiting for a limit. */
/* A step begins: the clock, the per-call budgets, what waited for this call. */
static void mpx_step_begin(mperf_multi *m)
{
    m->now = mpx_clock(m);
    m->call_connects = m->call_handshakes = 0;
    while (MPX_TLS && !mpx_list_empty(&m->later)) {
        mpx_link *l = m->later.next;
        mpx_list_del(l);
        mpx_list_add(&m->dirty, l);
    }
}

/* A socket is ready: the connection, query or race it belongs to goes on. */
static void mpx_conn_ready(mperf_multi *m, mpx_conn *c, int revents)
{
    if (c->state == MPX_C_IDLE) mpx_conn_close(m, c); /* closed by the server, or junk */
#if MPX_DNSWIRE
    else if (c->state == MPX_C_DNS) mpx_dnsq_ready(m, (mpx_dnsq *)(void *)c, revents);
#endif
#if MPX_ROUTING
    else if (c->state != MPX_C_DEAD && c->owner && c == c->owner->x.racer) mpx_race_ready(m, c->owner, revents);
#endif
    else if (c->state != MPX_C_DEAD && c->owner) mpx_xfer_run(m, c->owner, revents);
}

/* A step ends: the run-next list, the expired timers, the transfers
   waiting for a limit; then what closed is recycled. */
static void mpx_step_end(mperf_multi *m)
{
    unsigned guard;
    for (guard = 2 * m->num_easy + 16; !mpx_list_empty(&m->dirty) && guard; guard--) {
        mperf_easy *e = MPX_OF(m->dirty.next, mperf_easy, dirty);
        mpx_list_del(&e->dirty);
        mpx_xfer_run(m, e, 0);
    }
    for (guard = m->heap_len + 16; m->heap_len && m->heap[0]->due <= m->now && guard; guard--) {
        mperf_easy *e = m->heap[0];
        mpx_heap_remove(m, e);
        mpx_xfer_run(m, e, 0);
        if (e->heap_idx < 0 && e->state != MPX_S_DONE) (void)mpx_xfer_arm(m, e);
    }
    if (m->kick_pending) mpx_pending_run(m);
    mpx_graveyard_flush(m);
}

static void mpx_multi_perform(mperf_multi *m)
{
    unsigned i, nready = 0;
    mpx_step_begin(m);
    /* Readiness comes from the last wait; without one, ask the kernel once. */
    if (!m->poll_fresh && m->npfd && mpx_io_poll(m, m->npfd, 0) < 0)
        for (i = 0; i < m->npfd; i++) m->pfds[i].revents = 0;
    m->poll_fresh = 0;
    for (i = 0; i < m->npfd; i++) {
        if (m->pfds[i].revents) {
            m->ready[nready].c = m->pconn[i];
            m->ready[nready].revents = m->pfds[i].revents;
            m->pfds[i].revents = 0;
            nready++;
        }
    }
    for (i = 0; i < nready; i++) mpx_conn_ready(m, m->ready[i].c, m->ready[i].revents);
    mpx_step_end(m);
}

/* The oldest completion message (NULL: none), taken off the queue. */
static mperf_msg *mpx_multi_info_read(mperf_multi *m)
{
    mperf_easy *e;
    if (mpx_list_empty(&m->msgs)) return NULL;
    e = MPX_OF(m->msgs.next, mperf_easy, queued);
    mpx_list_del(&e->queued);
    m->num_msgs--;
    return &e->msg;
}

/* Interrupts a wait from any thread (coalescing: one byte per wakeup). */
static mperf_mcode mpx_multi_wakeup(mperf_multi *m)
{
#if MPX_TPORT
    if (m->tport.t) {
        if (!m->tport.t->wakeup) return MPERF_M_WAKEUP_FAILURE;
        (void)MPX_ATOMIC_XCHG(&m->wake_pending, 1);
        return m->tport.t->wakeup(m->tport.data) == 0 ? MPERF_M_OK : MPERF_M_WAKEUP_FAILURE;
    }
#endif
    if (MPX_ATOMIC_XCHG(&m->wake_pending, 1) == 0 && MPX_ATOMIC_LOAD(&m->wake_ready)) {
#if defined(_WIN32)
        if (send(m->wake_wr, "w", 1, 0) < 0 && WSAGetLastError() != WSAEWOULDBLOCK) return MPERF_M_WAKEUP_FAILURE;
#elif defined(MPX_HAVE_EVENTFD)
        uint64_t one = 1;
        if (write(m->wake_wr, &one, sizeof one) < 0 && errno != EAGAIN) return MPERF_M_WAKEUP_FAILURE;
#else
        if (write(m->wake_wr, "w", 1) < 0 && errno != EAGAIN) return MPERF_M_WAKEUP_FAILURE;
#endif
    }
    return MPERF_M_OK;
}

/* The sockets and their interest as fd_sets, for select() loops. */
static int mpx_multi_fdset(mperf_multi *m, fd_set *read_fd_set, fd_set *write_fd_set)
{
    unsigned i;
    int maxfd = -1;
    for (i = 0; i < m->npfd; i++) {
        mperf_socket_t fd = m->pfds[i].fd;
        if (fd == MPERF_SOCKET_BAD) continue;
#ifndef _WIN32 /* Windows sets hold socket handles, not numbers below a limit */
        if (fd >= (int)FD_SETSIZE) continue;
#endif
        if ((m->pfds[i].events & POLLIN) && read_fd_set) FD_SET(fd, read_fd_set);
        if ((m->pfds[i].events & POLLOUT) && write_fd_set) FD_SET(fd, write_fd_set);
        if ((int)fd > maxfd) maxfd = (int)fd;
    }
    return maxfd;
}

/* The sockets and their interest as waitfds (mperf_multi_waitfds). */
static mperf_mcode mpx_multi_waitfds(mperf_multi *m, mperf_waitfd *ufds, unsigned size, unsigned *fd_count)
{
    unsigned i, n = 0;
    for (i = 0; i < m->npfd; i++) {
        if (m->pfds[i].fd == MPERF_SOCKET_BAD) continue; /* (no interest now) */
        if (n < size) {
            ufds[n].fd = m->pfds[i].fd;
            ufds[n].events = (short)(((m->pfds[i].events & POLLIN) ? MPERF_WAIT_POLLIN : 0) |
                                     ((m->pfds[i].events & POLLOUT) ? MPERF_WAIT_POLLOUT : 0));
            ufds[n].revents = 0;
        }
        n++;
    }
    if (fd_count) *fd_count = n;
    return size && n > size ? MPERF_M_OUT_OF_MEMORY : MPERF_M_OK;
}

/* A NULL-terminated array of the added handles, released with mperf_free:
   the allocator rides in front of it. */
static mperf_easy **mpx_multi_handles(mperf_multi *m)
{
    mperf_allocator *hdr;
    mperf_easy **arr;
    mpx_link *l;
    size_t i = 0;
    hdr = (mperf_allocator *)mpx_alloc(&m->al, sizeof(mperf_allocator) + sizeof(void *) +
                                                     (m->num_easy + 1) * sizeof(mperf_easy *));
    if (!hdr) return NULL;
    *hdr = m->al;
    arr = (mperf_easy **)(void *)((char *)hdr + sizeof(mperf_allocator) + sizeof(void *));
    memcpy((char *)hdr + sizeof(mperf_allocator), &hdr, sizeof(void *));
    for (l = m->added.next; l != &m->added; l = l->next) arr[i++] = MPX_OF(l, mperf_easy, added);
    arr[i] = NULL;
    return arr;
}

/* Pausing and unpausing: the socket interest follows, and what was held
   back is delivered by the next perform. */
static void mpx_easy_pause(mperf_easy *e, int bitmask)
{
    uint8_t was = e->x.paused;
    e->x.paused = (uint8_t)(bitmask & (MPERF_PAUSE_RECV | MPERF_PAUSE_SEND));
    if (e->multi && e->state == MPX_S_RECV) {
        mpx_xfer_interest(e->multi, e);
        if (was & ~e->x.paused) mpx_dirty_add(e->multi, e);
    }
}

/* easy_perform's wait: its private multi has no extra fds and nobody to
   wake it, so this is a plain poll of the connections (at most 1 s). */
static mperf_mcode mpx_easy_wait(mperf_multi *m)
{
    long due = mpx_multi_timeout_ms(m);
    int t = due < 0 || due > 1000 ? 1000 : (int)due;
    if (!mpx_any_armed(m)) MPX_SLEEP_MS(t); /* a timer only: a retry, a limit */
    else if (mpx_io_poll(m, m->npfd, (int)t) >= 0) m->poll_fresh = 1;
    else if (MPX_SOCK_ERRNO() != MPX_EINTR) return MPERF_M_UNRECOVERABLE_POLL;
    return MPERF_M_OK;
}

/* The blocking transfer of easy_perform, on a private multi handle that
   the easy keeps (and with it its connections) until it is added to
   another multi or cleaned up. */
static mperf_code mpx_easy_perform(mperf_easy *e)
{
    mperf_multi *m = e->own_multi;
    mperf_msg *msg;
    mperf_code rc;
    if (!m) {
        m = e->own_multi = mpx_multi_new(&e->al);
        if (!m) return MPERF_E_OUT_OF_MEMORY;
    }
    m->maxconnects = e->o.maxconnects;
    mpx_multi_add(m, e);
    for (;;) {
        mpx_multi_perform(m);
        if (!m->num_alive || mpx_easy_wait(m) != MPERF_M_OK) break;
    }
    msg = mpx_multi_info_read(m);
    rc = msg ? msg->data.result : MPERF_E_FAILED_INIT;
    mpx_multi_remove(m, e);
    mpx_graveyard_flush(m);
    return rc;
}

/* -------------------------------------------------------------------- */
/* >>events: socket_action: the sockets and a timer told to the program */
/* -------------------------------------------------------------------- */
#if MPX_SOCKACT
/* The event API drives the same engine as perform and poll: the wait set's
   records are the sockets, the timer heap the timer. A socket's interest
   is told when it changes (mpx_pfd_set, _add and _del call mpx_sock_tell);
   the soonest deadline after every call that may move it (mpx_timer_tell).
   socket_action runs the one socket that is ready, then the same end of a
   step as perform: work for what had events and what expired, not for
   every transfer. */

/* The transfer the socket callback is told a socket is for: its owner, a
   query's first waiter; NULL for an idle connection. */
static mperf_easy *mpx_sock_easy(mpx_conn *c)
{
#if MPX_STUB
    if (c->state == MPX_C_DNS) {
        mpx_dnsq *q = (mpx_dnsq *)(void *)c;
        return mpx_list_empty(&q->waiters) ? NULL : MPX_OF(q->waiters.next, mperf_easy, x.dnswait);
    }
#endif
    return c->owner;
}

/* Tells the socket callback what to watch on c now (gone: REMOVE, before
   the socket closes), if that is not what it was last told. A callback
   that returns -1 marks the socket: its transfers fail in this step. */
static void mpx_sock_tell(mperf_multi *m, mpx_conn *c, int gone)
{
    short ev = gone || c->pfd < 0 ? 0 : m->pfds[c->pfd].events;
    int what = ((ev & POLLIN) ? MPERF_POLL_IN : 0) | ((ev & POLLOUT) ? MPERF_POLL_OUT : 0), r;
    mperf_easy *e;
    if (what == c->told) return;
    e = mpx_sock_easy(c);
    m->in_callback++;
    m->in_event_cb = 1;
    r = m->socket_cb(e, c->fd, what ? what : MPERF_POLL_REMOVE, m->socket_data, c->sockp);
    m->in_event_cb = 0;
    m->in_callback--;
    c->told = (uint8_t)what;
    if (!what) c->sockp = NULL; /* REMOVE forgets the program's pointer */
    if (r == -1 && what) {
        c->sock_failed = 1;
#if MPX_STUB
        if (c->state == MPX_C_DNS) {
            mpx_dnsq *q = (mpx_dnsq *)(void *)c;
            mpx_link *l;
            for (l = q->waiters.next; l != &q->waiters; l = l->next) mpx_dirty_add(m, MPX_OF(l, mperf_easy, x.dnswait));
            return;
        }
#endif
        if (e) mpx_dirty_add(m, e);
    }
}

/* Tells the timer callback the soonest deadline when it is not the one it
   was last told (MPX_TIMER_UNTOLD forces it): 0 for at once, -1 for none. */
static mperf_mcode mpx_timer_tell(mperf_multi *m)
{
    int64_t due;
    long ms;
    int r;
    if (!m->timer_cb || (due = mpx_multi_due(m)) == m->timer_told) return MPERF_M_OK;
    m->timer_told = due;
    ms = mpx_multi_timeout_ms(m);
    m->in_callback++;
    m->in_event_cb = 1;
    r = m->timer_cb(m, ms, m->timer_data);
    m->in_event_cb = 0;
    m->in_callback--;
    return r == -1 ? MPERF_M_ABORTED_BY_CALLBACK : MPERF_M_OK;
}

/* socket_action: socket s is ready (ev: MPERF_CSELECT_ bits; 0 for what it
   waits for), or the timer fired (MPERF_SOCKET_TIMEOUT). A socket not in
   the wait set (closed since, or never ours) is let be. */
static void mpx_multi_socket(mperf_multi *m, mperf_socket_t s, int ev)
{
    mpx_step_begin(m);
    if (s == MPERF_SOCKET_TIMEOUT) {
        m->timer_told = MPX_TIMER_UNTOLD; /* told again, even the same deadline */
    } else {
        mpx_conn *c = mpx_fd_find(m, s);
        if (c && c->pfd >= 0) {
            int rev = ((ev & MPERF_CSELECT_IN) ? POLLIN : 0) | ((ev & MPERF_CSELECT_OUT) ? POLLOUT : 0) |
                      ((ev & MPERF_CSELECT_ERR) ? POLLERR : 0);
            mpx_conn_ready(m, c, rev ? rev : m->pfds[c->pfd].events);
        }
    }
    mpx_step_end(m);
}

/* socket_all: a perform step, then every socket told again. */
static void mpx_multi_socket_all(mperf_multi *m)
{
    unsigned i;
    mpx_multi_perform(m);
    m->timer_told = MPX_TIMER_UNTOLD;
    for (i = 0; m->socket_cb && i < m->npfd; i++) {
        m->pconn[i]->told = 0;
        mpx_sock_tell(m, m->pconn[i], 0);
    }
}
#else
static mperf_mcode mpx_timer_tell(mperf_multi *m)
{
    (void)m;
    return MPERF_M_OK;
}
#endif

/* -------------------------------------------------------------------- */
/* >>vnet: the test transport: a network in memory, a virtual clock     */
/* -------------------------------------------------------------------- */
#ifdef MPERF_TEST_TRANSPORT
typedef struct mpx_vpeer {
    struct mpx_vpeer *next;
    int family;
    unsigned char ip[16];
    unsigned port, nconn;
    char *script; /* a copy */
} mpx_vpeer;

enum { MPX_V_FREE, MPX_V_NEW, MPX_V_CONNECTING, MPX_V_REFUSED, MPX_V_OPEN, MPX_V_CLOSED };

typedef struct mpx_vsock { /* a client's socket and the peer's end of it */
    uint8_t state, eof, rst, hold; /* hold: closed by the client, kept for mperf_vnet_sent */
    mpx_vpeer *peer;
    unsigned conn;      /* which connection to the peer (from 0) */
    int64_t accept_at;  /* the connect completes then; -1 never */
    int64_t wake_at;    /* a sleep ends then; 0 none */
    const char *pc;     /* the script line to run next; NULL: done */
    mpx_buf in;         /* what the client sent (all of it) */
    size_t in_used;     /* the part read steps have taken */
    mpx_buf out;        /* what the peer sent */
    size_t out_pos;     /* the part the client has read */
} mpx_vsock;

struct mperf_vnet {
    mperf_allocator al;
    int64_t now;
    mpx_vpeer *peers;
    mpx_vsock *socks;
    unsigned nsocks;
    int woken;
};

#define MPX_VFD(i) ((mperf_socket_t)((i) + 3))

static int mpx_vnet_addr(const char *ip, int *family, unsigned char *out)
{
    if (mpx_ip4_parse(ip, out)) *family = 4;
    else if (mpx_ip6_parse(ip, out)) *family = 6;
    else return 0;
    return 1;
}

static mpx_vpeer *mpx_vnet_find(const mperf_vnet *net, int family, const unsigned char *ip, unsigned port)
{
    mpx_vpeer *p;
    for (p = net->peers; p; p = p->next)
        if (p->family == family && p->port == port && memcmp(p->ip, ip, family == 6 ? 16 : 4) == 0) return p;
    return NULL;
}

static mpx_vsock *mpx_vnet_sock(mperf_vnet *net, mperf_socket_t s)
{
    size_t i = (size_t)s - 3;
    if (s == MPERF_SOCKET_BAD || (size_t)s < 3 || i >= net->nsocks || net->socks[i].state == MPX_V_FREE ||
        net->socks[i].hold)
        return NULL;
    return &net->socks[i];
}

/* The script of connection n: from after the n-th "---" line (the last
   script for every later one). */
static const char *mpx_vnet_script(const char *s, unsigned n)
{
    const char *at = s;
    while (n--) {
        const char *p = strstr(at, "\n---");
        if (!p || (p[4] && p[4] != '\n')) break;
        at = p[4] ? p + 5 : p + 4;
    }
    return at;
}

static int mpx_vnet_is(const char *line, size_t n, const char *word)
{
    size_t w = strlen(word);
    return n >= w && memcmp(line, word, w) == 0 && (n == w || line[w] == ' ');
}

static long mpx_vnet_num(const char *line, size_t n, const char *word)
{
    size_t w = strlen(word);
    return n > w ? strtol(line + w + 1, NULL, 10) : 0;
}

static int mpx_is_hex(char c)
{
    return mpx_is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A send line's text, its escapes undone, onto the peer's output. */
static int mpx_vnet_text(const mperf_allocator *al, mpx_buf *b, const char *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        char c = p[i];
        if (c == '\\' && i + 1 < n) {
            char e = p[++i];
            if (e == 'r') c = '\r';
            else if (e == 'n') c = '\n';
            else if (e == 't') c = '\t';
            else if (e == 'x' && i + 2 < n && mpx_is_hex(p[i + 1]) && mpx_is_hex(p[i + 2])) {
                c = (char)(mpx_hexval((unsigned char)p[i + 1]) * 16 + mpx_hexval((unsigned char)p[i + 2]));
                i += 2;
            } else c = e;
        }
        if (!mpx_buf_add(al, b, &c, 1)) return 0;
    }
    return 1;
}

/* How many bytes from the start of b a whole request takes, 0 while it is
   not all in (head only: through its blank line). */
static size_t mpx_vnet_request(const char *p, size_t n, int head_only)
{
    size_t h = 0, i;
    const char *cl = NULL;
    int chunked = 0;
    for (i = 0; i + 3 < n; i++)
        if (p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '\r' && p[i + 3] == '\n') {
            h = i + 4;
            break;
        }
    if (!h) return 0;
    if (head_only) return h;
    for (i = 0; i < h; i++) {
        if (i && p[i - 1] != '\n') continue;
        if (h - i > 15 && mpx_ncaseeq(p + i, "content-length:", 15)) cl = p + i + 15;
        if (h - i > 18 && mpx_ncaseeq(p + i, "transfer-encoding:", 18)) {
            const char *e = (const char *)memchr(p + i, '\n', h - i);
            size_t k;
            for (k = i + 18; e && p + k + 7 <= e; k++)
                if (mpx_ncaseeq(p + k, "chunked", 7)) chunked = 1;
        }
    }
    if (chunked) { /* the last chunk and the end of the trailers */
        for (i = h; i + 4 < n; i++)
            if (p[i] == '0' && (i == h || p[i - 1] == '\n') && (p[i + 1] == '\r' || p[i + 1] == ';')) {
                const char *e = NULL;
                size_t k;
                for (k = i; k + 3 < n; k++)
                    if (p[k] == '\r' && p[k + 1] == '\n' && p[k + 2] == '\r' && p[k + 3] == '\n') {
                        e = p + k + 4;
                        break;
                    }
                return e ? (size_t)(e - p) : 0;
            }
        return 0;
    }
    if (cl) {
        unsigned long long len = strtoull(cl, NULL, 10);
        return n - h >= len ? h + (size_t)len : 0;
    }
    return h;
}

/* Runs every connection's script as far as it goes now. */
static void mpx_vnet_run(mperf_vnet *net)
{
    unsigned i;
    for (i = 0; i < net->nsocks; i++) {
        mpx_vsock *v = &net->socks[i];
        if (v->hold) continue;
        if (v->state == MPX_V_CONNECTING && v->accept_at >= 0 && v->accept_at <= net->now) v->state = MPX_V_OPEN;
        while (v->state == MPX_V_OPEN && v->pc && !v->eof && !v->rst) {
            const char *line = v->pc;
            size_t n = mpx_upto(line, '\n'), need = 0;
            if (n == 3 && memcmp(line, "---", 3) == 0) { /* this connection's script ends */
                v->pc = NULL;
                break;
            }
            if (v->wake_at) {
                if (net->now < v->wake_at) break;
                v->wake_at = 0;
            } else if (mpx_vnet_is(line, n, "sleep")) {
                v->wake_at = net->now + (int64_t)mpx_vnet_num(line, n, "sleep") * 1000;
                if (v->wake_at > net->now) break;
                v->wake_at = 0;
            } else if (mpx_vnet_is(line, n, "readhead") || (mpx_vnet_is(line, n, "read") && n == 4)) {
                need = mpx_vnet_request(v->in.p + v->in_used, v->in.len - v->in_used, line[4] == 'h');
                if (!need) break;
                v->in_used += need;
            } else if (mpx_vnet_is(line, n, "read")) {
                need = (size_t)mpx_vnet_num(line, n, "read");
                if (v->in.len - v->in_used < need) break;
                v->in_used += need;
            } else if (mpx_vnet_is(line, n, "send")) {
                if (!mpx_vnet_text(&net->al, &v->out, line + 5, n > 5 ? n - 5 : 0)) v->rst = 1;
            } else if (mpx_vnet_is(line, n, "body")) {
                long k, len = mpx_vnet_num(line, n, "body");
                for (k = 0; k < len; k++) {
                    char c = (char)((k * 7 + k / 251) & 0xff);
                    if (!mpx_buf_add(&net->al, &v->out, &c, 1)) {
                        v->rst = 1;
                        break;
                    }
                }
            } else if (mpx_vnet_is(line, n, "close")) {
                v->eof = 1;
            } else if (mpx_vnet_is(line, n, "reset")) {
                v->rst = 1;
            } /* accept and the like were for the connect; anything else is skipped */
            v->pc = line[n] ? line + n + 1 : NULL;
        }
    }
}

/* The soonest scripted event after now, or INT64_MAX. */
static int64_t mpx_vnet_next(const mperf_vnet *net)
{
    int64_t t = INT64_MAX;
    unsigned i;
    for (i = 0; i < net->nsocks; i++) {
        const mpx_vsock *v = &net->socks[i];
        if (v->hold) continue;
        if (v->state == MPX_V_CONNECTING && v->accept_at > net->now && v->accept_at < t) t = v->accept_at;
        if (v->state == MPX_V_OPEN && v->wake_at > net->now && v->wake_at < t) t = v->wake_at;
    }
    return t;
}

static mperf_socket_t mpx_vnet_open(void *ud, int family, int kind, unsigned flags, int *err)
{
    mperf_vnet *net = (mperf_vnet *)ud;
    unsigned i;
    (void)flags, (void)family;
    if (kind != MPERF_TP_STREAM) { /* no UDP here */
        *err = EPROTONOSUPPORT;
        return MPERF_SOCKET_BAD;
    }
    for (i = 0; i < net->nsocks && net->socks[i].state != MPX_V_FREE; i++) {}
    if (i == net->nsocks) {
        mpx_vsock *ns = (mpx_vsock *)mpx_calloc(&net->al, (net->nsocks * 2 + 8) * sizeof *ns);
        if (!ns) {
            *err = ENOMEM;
            return MPERF_SOCKET_BAD;
        }
        if (net->nsocks) memcpy(ns, net->socks, net->nsocks * sizeof *ns);
        mpx_free(&net->al, net->socks);
        net->socks = ns;
        net->nsocks = net->nsocks * 2 + 8;
    }
    memset(&net->socks[i], 0, sizeof net->socks[i]);
    net->socks[i].state = MPX_V_NEW;
    return MPX_VFD(i);
}

static int mpx_vnet_connect(void *ud, mperf_socket_t s, int family, const unsigned char *addr, unsigned port, int *err)
{
    mperf_vnet *net = (mperf_vnet *)ud;
    mpx_vsock *v = mpx_vnet_sock(net, s);
    mpx_vpeer *p = mpx_vnet_find(net, family, addr, port);
    const char *sc;
    size_t n;
    if (!v || v->state != MPX_V_NEW) {
        *err = EBADF;
        return -1;
    }
    v->state = MPX_V_CONNECTING;
    v->accept_at = net->now;
    if (!p) { /* nobody there */
        v->state = MPX_V_REFUSED;
        return 1;
    }
    v->peer = p;
    v->conn = p->nconn++;
    sc = mpx_vnet_script(p->script, v->conn);
    n = mpx_upto(sc, '\n');
    v->pc = sc;
    if (mpx_vnet_is(sc, n, "refuse")) v->state = MPX_V_REFUSED;
    else if (mpx_vnet_is(sc, n, "blackhole")) v->accept_at = -1;
    else if (mpx_vnet_is(sc, n, "accept")) v->accept_at = net->now + (int64_t)mpx_vnet_num(sc, n, "accept") * 1000;
    mpx_vnet_run(net);
    return 1;
}

static int mpx_vnet_connect_result(void *ud, mperf_socket_t s)
{
    mpx_vsock *v = mpx_vnet_sock((mperf_vnet *)ud, s);
    return !v ? EBADF : v->state == MPX_V_REFUSED ? ECONNREFUSED : v->state == MPX_V_OPEN ? 0 : EINPROGRESS;
}

static long mpx_vnet_send(void *ud, mperf_socket_t s, const void *buf, size_t len, int *err)
{
    mperf_vnet *net = (mperf_vnet *)ud;
    mpx_vsock *v = mpx_vnet_sock(net, s);
    if (!v || v->state != MPX_V_OPEN || v->rst) {
        *err = !v ? EBADF : v->rst ? ECONNRESET : ENOTCONN;
        return -1;
    }
    if (len > 0x40000000) len = 0x40000000;
    if (!mpx_buf_add(&net->al, &v->in, buf, len)) {
        *err = ENOMEM;
        return -1;
    }
    mpx_vnet_run(net);
    return (long)len;
}

static long mpx_vnet_recv(void *ud, mperf_socket_t s, void *buf, size_t len, int *err)
{
    mperf_vnet *net = (mperf_vnet *)ud;
    mpx_vsock *v = mpx_vnet_sock(net, s);
    size_t n;
    if (v) mpx_vnet_run(net);
    if (!v || v->state != MPX_V_OPEN || v->rst) {
        *err = !v ? EBADF : v->rst ? ECONNRESET : ENOTCONN;
        return -2;
    }
    n = v->out.len - v->out_pos;
    if (!n) return v->eof ? 0 : -1;
    if (n > len) n = len;
    if (n > 0x40000000) n = 0x40000000;
    memcpy(buf, v->out.p + v->out_pos, n);
    v->out_pos += n;
    return (long)n;
}

static void mpx_vnet_close(void *ud, mperf_socket_t s)
{
    mpx_vsock *v = mpx_vnet_sock((mperf_vnet *)ud, s);
    if (v) v->hold = 1; /* its bytes stay for mperf_vnet_sent */
}

/* What fds are ready for at the clock's time. */
static int mpx_vnet_ready(mperf_vnet *net, mperf_waitfd *fds, unsigned n)
{
    unsigned i;
    int count = 0;
    mpx_vnet_run(net);
    for (i = 0; i < n; i++) {
        mpx_vsock *v = mpx_vnet_sock(net, fds[i].fd);
        short rev = 0;
        fds[i].revents = 0;
        if (!v) continue;
        if (v->state == MPX_V_REFUSED || (v->state == MPX_V_OPEN && v->rst)) rev = MPERF_WAIT_POLLERR | MPERF_WAIT_POLLIN;
        else if (v->state == MPX_V_OPEN) {
            if (fds[i].events & MPERF_WAIT_POLLOUT) rev |= MPERF_WAIT_POLLOUT;
            if ((fds[i].events & MPERF_WAIT_POLLIN) && (v->out_pos < v->out.len || v->eof)) rev |= MPERF_WAIT_POLLIN;
        }
        fds[i].revents = rev;
        count += rev != 0;
    }
    return count;
}

/* A wait: never a sleep, the clock moves on to the next event or the end. */
static int mpx_vnet_poll(void *ud, mperf_waitfd *fds, unsigned n, int timeout_ms)
{
    mperf_vnet *net = (mperf_vnet *)ud;
    int64_t end = timeout_ms < 0 ? INT64_MAX : net->now + (int64_t)timeout_ms * 1000;
    int count = mpx_vnet_ready(net, fds, n);
    while (!count && !net->woken && net->now < end) {
        int64_t t = mpx_vnet_next(net);
        if (t == INT64_MAX && end == INT64_MAX) break; /* nothing will ever happen: do not spin */
        net->now = t < end ? t : end;
        count = mpx_vnet_ready(net, fds, n);
    }
    net->woken = 0;
    return count;
}

static int64_t mpx_vnet_now(void *ud)
{
    return ((mperf_vnet *)ud)->now;
}

static int mpx_vnet_wakeup(void *ud)
{
    ((mperf_vnet *)ud)->woken = 1;
    return 0;
}

static const mperf_transport mpx_vnet_table = {mpx_vnet_open, mpx_vnet_connect, mpx_vnet_connect_result,
                                               mpx_vnet_send, mpx_vnet_recv,    mpx_vnet_close,
                                               mpx_vnet_poll, mpx_vnet_now,     mpx_vnet_wakeup};

MPERF_API mperf_vnet *mperf_vnet_new(const mperf_allocator *allocator)
{
    mperf_allocator al;
    mperf_vnet *net;
    memset(&al, 0, sizeof al);
    if (allocator) al = *allocator;
    net = (mperf_vnet *)mpx_calloc(&al, sizeof *net);
    if (!net) return NULL;
    net->al = al;
    net->now = (int64_t)3600 * 1000000; /* an hour in: no deadline or time of 0 means anything */
    return net;
}

MPERF_API void mperf_vnet_free(mperf_vnet *net)
{
    unsigned i;
    if (!net) return;
    for (i = 0; i < net->nsocks; i++) {
        mpx_buf_free(&net->al, &net->socks[i].in);
        mpx_buf_free(&net->al, &net->socks[i].out);
    }
    mpx_free(&net->al, net->socks);
    while (net->peers) {
        mpx_vpeer *p = net->peers;
        net->peers = p->next;
        mpx_free(&net->al, p->script);
        mpx_free(&net->al, p);
    }
    mpx_free(&net->al, net);
}

MPERF_API const mperf_transport *mperf_vnet_transport(void)
{
    return &mpx_vnet_table;
}

MPERF_API int mperf_vnet_peer(mperf_vnet *net, const char *ip, unsigned int port, const char *script)
{
    mpx_vpeer *p;
    unsigned char a[16];
    int fam;
    if (!net || !ip || !script || !mpx_vnet_addr(ip, &fam, a) || port > 65535) return -1;
    if ((p = mpx_vnet_find(net, fam, a, port)) != NULL) { /* a new script for it */
        char *s = mpx_strndup(&net->al, script, strlen(script));
        if (!s) return -1;
        mpx_free(&net->al, p->script);
        p->script = s;
        return 0;
    }
    if (!(p = (mpx_vpeer *)mpx_calloc(&net->al, sizeof *p))) return -1;
    if (!(p->script = mpx_strndup(&net->al, script, strlen(script)))) {
        mpx_free(&net->al, p);
        return -1;
    }
    p->family = fam;
    memcpy(p->ip, a, 16);
    p->port = port;
    p->next = net->peers;
    net->peers = p;
    return 0;
}

MPERF_API int64_t mperf_vnet_now_us(const mperf_vnet *net)
{
    return net ? net->now : -1;
}

MPERF_API void mperf_vnet_advance(mperf_vnet *net, long ms)
{
    if (!net || ms <= 0) return;
    net->now += (int64_t)ms * 1000;
    mpx_vnet_run(net);
}

static const mpx_vpeer *mpx_vnet_peer_of(const mperf_vnet *net, const char *ip, unsigned port)
{
    unsigned char a[16];
    int fam;
    return net && ip && mpx_vnet_addr(ip, &fam, a) ? mpx_vnet_find(net, fam, a, port) : NULL;
}

MPERF_API unsigned int mperf_vnet_connections(const mperf_vnet *net, const char *ip, unsigned int port)
{
    const mpx_vpeer *p = mpx_vnet_peer_of(net, ip, port);
    return p ? p->nconn : 0;
}

MPERF_API const char *mperf_vnet_sent(const mperf_vnet *net, const char *ip, unsigned int port, unsigned int n,
                                      size_t *len)
{
    const mpx_vpeer *p = mpx_vnet_peer_of(net, ip, port);
    unsigned i;
    for (i = 0; p && i < net->nsocks; i++)
        if (net->socks[i].state != MPX_V_FREE && net->socks[i].peer == p && net->socks[i].conn == n) {
            if (len) *len = net->socks[i].in.len;
            return net->socks[i].in.p ? net->socks[i].in.p : "";
        }
    return NULL;
}
#endif

/* -------------------------------------------------------------------- */
/* >>options: the handles' settings: setopt, getinfo, lifecycle         */
/* -------------------------------------------------------------------- */
/* ---- easy handle ---- */
static void mpx_opts_default(mpx_opts *o)
{
    memset(o, 0, sizeof *o);
    o->noprogress = 1;
    o->tcp_nodelay = 1;
    o->dns_cache_timeout = MPERF_DNS_CACHE_MS / 1000;
    o->postfieldsize = -1;
    o->infilesize = -1;
    o->maxredirs = 30; /* libcurl's default since 8.3 */
    o->expect_100_ms = 1000;
    o->he_timeout_ms = 200; /* libcurl's */
    o->httpauth = MPERF_AUTH_BASIC;
#if MPX_PROXY
    o->proxyauth = MPERF_AUTH_BASIC;
#endif
    o->protocols = o->redir_protocols = MPX_PROTO_HTTP | MPX_PROTO_HTTPS;
    o->ssl_verifypeer = 1;
    o->ssl_verifyhost = 2;
    o->ssl_sessionid_cache = 1;
    o->keepalive[0] = o->keepalive[1] = 60;
}

/* The option strings a handle owns: where they are in mpx_opts. */
static const unsigned short mpx_owned[] = {
    offsetof(mpx_opts, url),      offsetof(mpx_opts, useragent), offsetof(mpx_opts, customrequest),
    offsetof(mpx_opts, referer),  offsetof(mpx_opts, userpwd),   offsetof(mpx_opts, username),
    offsetof(mpx_opts, password), offsetof(mpx_opts, range),     offsetof(mpx_opts, postcopy),
    offsetof(mpx_opts, cainfo),   offsetof(mpx_opts, ciphers),   offsetof(mpx_opts, unix_path),
    offsetof(mpx_opts, iface),    offsetof(mpx_opts, default_protocol), offsetof(mpx_opts, request_target),
    offsetof(mpx_opts, dns_servers),
#if MPX_PROXY
    offsetof(mpx_opts, proxy),    offsetof(mpx_opts, noproxy),   offsetof(mpx_opts, proxyuserpwd),
    offsetof(mpx_opts, proxyusername), offsetof(mpx_opts, proxypassword),
#endif
#if MPX_COOKIES
    offsetof(mpx_opts, cookiejar), offsetof(mpx_opts, cookie),
#endif
#if MPX_DECODE
    offsetof(mpx_opts, accept_encoding)
#endif
};
#define MPX_NOWNED (sizeof mpx_owned / sizeof mpx_owned[0])
#define MPX_OWNED(o, i) ((char **)(void *)((char *)(o) + mpx_owned[i]))

static void mpx_opts_free(mperf_easy *e)
{
    size_t i;
    if (e->o.cablob_owned) mpx_free(&e->al, e->o.cablob);
    mpx_free(&e->al, e->o.pins);
    e->o.cablob = e->o.pins = NULL;
    for (i = 0; i < MPX_NOWNED; i++) {
        char **owned = MPX_OWNED(&e->o, i);
        if (*owned == e->postcopy_old) e->postcopy_old = NULL;
        mpx_free(&e->al, *owned);
        *owned = NULL;
    }
}

/* A transfer of this handle is under way (sending from its options). */
static int mpx_easy_busy(const mperf_easy *e)
{
    return e->state > MPX_S_INIT && e->state < MPX_S_DONE;
}

static mperf_code mpx_set_string(mperf_easy *e, char **dst, const char *s)
{
    char *copy = NULL;
    if (s) {
        copy = mpx_strndup(&e->al, s, strlen(s));
        if (!copy) return MPERF_E_OUT_OF_MEMORY;
    }
    mpx_free(&e->al, *dst);
    *dst = copy;
    return MPERF_E_OK;
}

static mperf_easy *mpx_easy_new(const mperf_allocator *allocator)
{
    mperf_allocator al;
    mperf_easy *e;
    if (allocator) al = *allocator;
    else memset(&al, 0, sizeof al);
    e = (mperf_easy *)mpx_calloc(&al, sizeof *e);
    if (!e) return NULL;
    e->magic = MPX_MAGIC_EASY;
    e->al = al;
    e->heap_idx = -1;
    e->x.content_length = -1;
    mpx_opts_default(&e->o);
    return e;
}

static void mpx_easy_free(mperf_easy *e)
{
    if (e->multi) {
        mperf_multi *m = e->multi;
        mpx_multi_remove(m, e);
        mpx_graveyard_flush(m);
    }
    if (e->own_multi) mpx_multi_free(e->own_multi);
#if MPX_COOKIES
    mpx_cookie_free(e); /* (writes COOKIEJAR) */
#endif
    mpx_opts_free(e);
    mpx_free(&e->al, e->postcopy_old);
#if MPX_DIGEST
    mpx_free(&e->al, e->dg);
#endif
    mpx_free(&e->al, e->ctype);
    mpx_free(&e->al, e->location);
    mpx_free(&e->al, e->redirect_url);
    mpx_free(&e->al, e->effective_url);
    mpx_free(&e->al, e->prev_url);
#if MPX_PROXY
    mpx_free(&e->al, e->proxy_url);
#endif
#if MPX_HEADER_API
    mpx_free(&e->al, e->hfields.p);
    mpx_free(&e->al, e->htext.p);
#endif
    e->magic = 0;
    mpx_free(&e->al, e);
}

/* easy_reset: the options back to their defaults; a COPYPOSTFIELDS body
   still being sent is kept until the transfer ends. */
static void mpx_easy_reset(mperf_easy *e)
{
#if MPX_RAW
    mpx_raw_drop(e);
#endif
    if (mpx_easy_busy(e) && e->x.body_mem == e->o.postcopy && !e->postcopy_old) {
        e->postcopy_old = e->o.postcopy;
        e->o.postcopy = NULL;
    }
    mpx_opts_free(e);
    mpx_opts_default(&e->o);
#if MPX_COOKIES /* the cookies stay, as libcurl keeps them; the files to read go */
    e->cfiles.len = 0;
    e->cfiles_new = 0;
#endif
}

/* easy_duphandle: the options, with copies of the strings and blobs the
   handle owns. */
static mperf_easy *mpx_easy_dup(mperf_easy *src)
{
    mperf_easy *e = mpx_easy_new(&src->al);
    size_t i;
    if (!e) return NULL;
    e->o = src->o;
    for (i = 0; i < MPX_NOWNED; i++) *MPX_OWNED(&e->o, i) = NULL;
    for (i = 0; i < MPX_NOWNED; i++) {
        const char *from = *MPX_OWNED(&src->o, i);
        if (from && !(*MPX_OWNED(&e->o, i) = mpx_strndup(&e->al, from, strlen(from)))) {
            mpx_easy_free(e);
            return NULL;
        }
    }
    if (src->o.postfields == src->o.postcopy) e->o.postfields = e->o.postcopy;
    e->o.cablob = e->o.pins = NULL;
    if ((src->o.cablob && src->o.cablob_owned &&
         !(e->o.cablob = (unsigned char *)mpx_strndup(&e->al, (const char *)src->o.cablob, src->o.cabloblen))) ||
        (src->o.npins && !(e->o.pins = (unsigned char *)mpx_strndup(&e->al, (const char *)src->o.pins, 32 * src->o.npins)))) {
        e->o.cablob_owned = 0;
        mpx_easy_free(e);
        return NULL;
    }
    if (src->o.cablob && !src->o.cablob_owned) e->o.cablob = src->o.cablob;
    e->resolve_new = 1; /* a copy loads RESOLVE afresh, as in libcurl */
#if MPX_COOKIES /* a copy has the engine too, and reads the cookie files afresh (libcurl's way) */
    if (src->jar && (!mpx_cookie_engine(e) || !mpx_buf_add(&e->al, &e->cfiles, src->cfiles.p ? src->cfiles.p : "", src->cfiles.len))) {
        mpx_easy_free(e);
        return NULL;
    }
    e->cfiles_new = e->cfiles.len != 0;
#endif
    return e;
}


#if MPX_UPLOADS
/* COPYPOSTFIELDS: the handle keeps its own copy of the body. */
static mperf_code mpx_set_postcopy(mperf_easy *e, const char *data)
{
    size_t n;
    char *copy;
    if (!data) {
        e->o.postfields = NULL;
        return MPERF_E_OK;
    }
    n = e->o.postfieldsize >= 0 ? (size_t)e->o.postfieldsize : strlen(data);
    copy = (char *)mpx_alloc(&e->al, n + 1);
    if (!copy) return MPERF_E_OUT_OF_MEMORY;
    memcpy(copy, data, n);
    copy[n] = 0;
    if (mpx_easy_busy(e) && e->x.body_mem == e->o.postcopy && e->o.postcopy) { /* still being sent */
        mpx_free(&e->al, e->postcopy_old);
        e->postcopy_old = e->o.postcopy;
    } else {
        mpx_free(&e->al, e->o.postcopy);
    }
    e->o.postcopy = copy;
    e->o.postfields = copy;
    if (e->o.postfieldsize < 0) e->o.postfieldsize = (mperf_off_t)n;
    e->o.httpreq = MPX_REQ_POST;
    return MPERF_E_OK;
}

#endif

#if MPX_TLS
/* PINNEDPUBLICKEY: "sha256//<base64>" hashes separated by ';'. */
static mperf_code mpx_set_pins(mperf_easy *e, const char *s)
{
    size_t n = 0, cap;
    unsigned char *pins;
    mpx_free(&e->al, e->o.pins);
    e->o.pins = NULL;
    e->o.npins = 0;
    if (!s) return MPERF_E_OK;
    cap = strlen(s) / 7 + 1;
    pins = (unsigned char *)mpx_alloc(&e->al, cap * 32);
    if (!pins) return MPERF_E_OUT_OF_MEMORY;
    while (*s) {
        size_t l = mpx_upto(s, ';'), i, got = 0;
        unsigned acc = 0, bits = 0;
        if (l < 8 || memcmp(s, "sha256//", 8) != 0) break;
        for (i = 8; i < l && s[i] != '='; i++) {
            const char *pos = strchr(mpx_b64, s[i]);
            if (!pos || !s[i]) break;
            acc = (acc << 6) | (unsigned)(pos - mpx_b64);
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                if (got < 32) pins[32 * n + got] = (unsigned char)(acc >> bits);
                got++;
            }
        }
        if (got != 32) break;
        n++;
        s += l;
        if (*s == ';') s++;
    }
    if (*s || !n) { /* only the sha256// form is built in */
        mpx_free(&e->al, pins);
        return MPERF_E_NOT_BUILT_IN;
    }
    e->o.pins = pins;
    e->o.npins = n;
    return MPERF_E_OK;
}

#endif

/* "http,https" style protocol lists (CURLOPT_PROTOCOLS_STR). */
static mperf_code mpx_set_protocols(uint8_t *dst, const char *s)
{
    /* the names libcurl knows that are ours, and two it knows that are not */
    static const char names[][6] = {"all", "http", "https", "ftp", "ftps"};
    static const uint8_t bits[] = {MPX_PROTO_HTTP | MPX_PROTO_HTTPS, MPX_PROTO_HTTP, MPX_PROTO_HTTPS, 0, 0};
    uint8_t set = 0;
    if (!s) return MPERF_E_BAD_FUNCTION_ARGUMENT;
    while (*s) {
        size_t n = mpx_upto(s, ','), k;
        for (k = 0; n && k < sizeof bits && !(strlen(names[k]) == n && mpx_ieq_n(s, names[k], n)); k++) {}
        if (k == sizeof bits) return MPERF_E_BAD_FUNCTION_ARGUMENT;
        if (n) set |= bits[k];
        s += n;
        if (*s == ',') s++;
    }
    *dst = set;
    return MPERF_E_OK;
}

/* The plain options, by table: where each is stored and how. */
enum {
    MPX_K_STR,   /* string, copied */
    MPX_K_PTR,   /* pointer, kept as given */
    MPX_K_BOOL,  /* long, stored as 0 or 1 */
    MPX_K_LONG,  /* long >= 0 */
    MPX_K_ANY,   /* any long */
    MPX_K_SIZE,  /* size (long or mperf_off_t) >= -1 */
    MPX_K_SIZE0, /* size (long or mperf_off_t) >= 0 */
    MPX_K_FN,    /* callback */
    MPX_K_IGNORE /* long, accepted without effect on HTTP/1.1 without signals or multiplexing */
};
typedef struct mpx_optdef {
    uint16_t opt; /* option numbers fit: the largest is 40309 */
    uint16_t off;
    uint8_t kind;
} mpx_optdef;
#define MPX_O(opt, field, kind) {MPERF_OPT_##opt, (uint16_t)offsetof(mpx_opts, field), kind}
#define MPX_OI(opt) {MPERF_OPT_##opt, 0, MPX_K_IGNORE}
static const mpx_optdef mpx_optdefs[] = {
    MPX_O(URL, url, MPX_K_STR), MPX_O(USERAGENT, useragent, MPX_K_STR),
    MPX_O(CUSTOMREQUEST, customrequest, MPX_K_STR), MPX_O(REFERER, referer, MPX_K_STR),
#if MPX_AUTH
    MPX_O(USERPWD, userpwd, MPX_K_STR), MPX_O(USERNAME, username, MPX_K_STR), MPX_O(PASSWORD, password, MPX_K_STR),
#endif
#if MPX_RANGES
    MPX_O(RANGE, range, MPX_K_STR),
#endif
    MPX_O(CAINFO, cainfo, MPX_K_STR), MPX_O(SSL_CIPHER_LIST, ciphers, MPX_K_STR),
    MPX_O(HTTPHEADER, headers, MPX_K_PTR), MPX_O(WRITEDATA, write_data, MPX_K_PTR),
#if MPX_ROUTING
    MPX_O(RESOLVE, resolve, MPX_K_PTR), MPX_O(CONNECT_TO, connect_to, MPX_K_PTR),
    MPX_O(UNIX_SOCKET_PATH, unix_path, MPX_K_STR), MPX_O(ABSTRACT_UNIX_SOCKET, unix_path, MPX_K_STR),
    MPX_O(INTERFACE, iface, MPX_K_STR), MPX_O(OPENSOCKETFUNCTION, opensocket_cb, MPX_K_FN),
    MPX_O(OPENSOCKETDATA, opensocket_data, MPX_K_PTR), MPX_O(SOCKOPTFUNCTION, sockopt_cb, MPX_K_FN),
    MPX_O(SOCKOPTDATA, sockopt_data, MPX_K_PTR), MPX_O(CLOSESOCKETFUNCTION, closesocket_cb, MPX_K_FN),
    MPX_O(CLOSESOCKETDATA, closesocket_data, MPX_K_PTR),
#endif
    MPX_O(HEADERDATA, header_data, MPX_K_PTR), MPX_O(READDATA, read_data, MPX_K_PTR),
    MPX_O(SEEKDATA, seek_data, MPX_K_PTR), MPX_O(XFERINFODATA, progress_data, MPX_K_PTR),
    MPX_O(DEBUGDATA, debug_data, MPX_K_PTR), MPX_O(PRIVATE, private_ptr, MPX_K_PTR),
    MPX_O(ERRORBUFFER, errorbuffer, MPX_K_PTR), MPX_O(STDERR, stderr_stream, MPX_K_PTR),
#if MPX_VERBOSE
    MPX_O(VERBOSE, verbose, MPX_K_BOOL),
#endif
    MPX_O(HEADER, header, MPX_K_BOOL), MPX_O(NOPROGRESS, noprogress, MPX_K_BOOL),
    MPX_O(FRESH_CONNECT, fresh_connect, MPX_K_BOOL), MPX_O(FORBID_REUSE, forbid_reuse, MPX_K_BOOL),
    MPX_O(TCP_NODELAY, tcp_nodelay, MPX_K_BOOL), MPX_O(TCP_KEEPALIVE, tcp_keepalive, MPX_K_BOOL),
#if MPX_REDIRECTS
    MPX_O(FOLLOWLOCATION, followlocation, MPX_K_BOOL),
#endif
    MPX_O(FAILONERROR, failonerror, MPX_K_BOOL),
    MPX_O(AUTOREFERER, autoreferer, MPX_K_BOOL), MPX_O(UNRESTRICTED_AUTH, unrestricted_auth, MPX_K_BOOL),
    MPX_O(SSL_VERIFYPEER, ssl_verifypeer, MPX_K_BOOL), MPX_O(SSL_SESSIONID_CACHE, ssl_sessionid_cache, MPX_K_BOOL),
    MPX_O(TIMEOUT_MS, timeout_ms, MPX_K_LONG), MPX_O(CONNECTTIMEOUT_MS, connect_timeout_ms, MPX_K_LONG),
    MPX_O(EXPECT_100_TIMEOUT_MS, expect_100_ms, MPX_K_LONG), MPX_O(LOW_SPEED_LIMIT, low_speed_limit, MPX_K_LONG),
    MPX_O(LOW_SPEED_TIME, low_speed_time, MPX_K_LONG), MPX_O(MAXCONNECTS, maxconnects, MPX_K_LONG),
    MPX_O(DNS_CACHE_TIMEOUT, dns_cache_timeout, MPX_K_ANY),
    MPX_O(POSTFIELDSIZE, postfieldsize, MPX_K_SIZE), MPX_O(POSTFIELDSIZE_LARGE, postfieldsize, MPX_K_SIZE),
    MPX_O(INFILESIZE, infilesize, MPX_K_SIZE), MPX_O(INFILESIZE_LARGE, infilesize, MPX_K_SIZE),
    MPX_O(MAXFILESIZE, maxfilesize, MPX_K_SIZE0), MPX_O(MAXFILESIZE_LARGE, maxfilesize, MPX_K_SIZE0),
#if MPX_RANGES
    MPX_O(RESUME_FROM, resume_from, MPX_K_SIZE0), MPX_O(RESUME_FROM_LARGE, resume_from, MPX_K_SIZE0),
#endif
    MPX_O(WRITEFUNCTION, write_cb, MPX_K_FN), MPX_O(HEADERFUNCTION, header_cb, MPX_K_FN),
    MPX_O(SEEKFUNCTION, seek_cb, MPX_K_FN),
#if MPX_UPLOADS
    MPX_O(READFUNCTION, read_cb, MPX_K_FN),
#endif
#if MPX_PROGRESS
    MPX_O(XFERINFOFUNCTION, xferinfo_cb, MPX_K_FN), MPX_O(PROGRESSFUNCTION, progress_cb, MPX_K_FN),
#endif
#if MPX_VERBOSE
    MPX_O(DEBUGFUNCTION, debug_cb, MPX_K_FN),
#endif
    MPX_OI(NOSIGNAL), MPX_OI(PIPEWAIT), MPX_OI(STREAM_WEIGHT), MPX_OI(SSL_ENABLE_ALPN), MPX_OI(TCP_FASTOPEN),
    MPX_O(TCP_KEEPIDLE, keepalive[0], MPX_K_LONG), MPX_O(TCP_KEEPINTVL, keepalive[1], MPX_K_LONG),
    MPX_O(TCP_KEEPCNT, keepalive[2], MPX_K_LONG), MPX_O(DEFAULT_PROTOCOL, default_protocol, MPX_K_STR),
    MPX_O(REQUEST_TARGET, request_target, MPX_K_STR), MPX_OI(QUICK_EXIT),
#if MPX_COOKIES
    MPX_O(COOKIE, cookie, MPX_K_STR), MPX_O(COOKIESESSION, cookiesession, MPX_K_BOOL),
#endif
#if MPX_DECODE
    MPX_O(ACCEPT_ENCODING, accept_encoding, MPX_K_STR),
#else
    MPX_OI(HTTP_CONTENT_DECODING),
#endif
#if MPX_ROUTING
    MPX_O(HAPPY_EYEBALLS_TIMEOUT_MS, he_timeout_ms, MPX_K_LONG),
#endif
#if MPX_STUB
    MPX_O(DNS_SHUFFLE_ADDRESSES, dns_shuffle, MPX_K_BOOL),
#endif
#if MPX_PROXY
    MPX_O(NOPROXY, noproxy, MPX_K_STR), MPX_O(PROXYUSERPWD, proxyuserpwd, MPX_K_STR),
    MPX_O(PROXYUSERNAME, proxyusername, MPX_K_STR), MPX_O(PROXYPASSWORD, proxypassword, MPX_K_STR),
    MPX_O(PROXYHEADER, proxyheaders, MPX_K_PTR), MPX_O(HTTPPROXYTUNNEL, tunnel, MPX_K_BOOL),
    MPX_O(SUPPRESS_CONNECT_HEADERS, suppress_connect, MPX_K_BOOL),
#endif
    MPX_OI(UPLOAD_BUFFERSIZE)};

/* Options that decide where a transfer connects, through what, or how well
   it is protected: routing, proxies, TLS, authentication. When one of them
   is set and cannot be honoured here, setopt fails and so does every
   transfer of the handle, which does not start, until the option is set
   off again: a transfer never goes elsewhere, or less protected, than the
   program asked (libcurl, built without such an option, would go ahead).
   The first MPX_NROUTING are those MPERF_NO_ROUTING leaves out. */
static const uint16_t mpx_guarded[] = {
    MPERF_OPT_RESOLVE, MPERF_OPT_CONNECT_TO, MPERF_OPT_UNIX_SOCKET_PATH, MPERF_OPT_ABSTRACT_UNIX_SOCKET,
    MPERF_OPT_INTERFACE, MPERF_OPT_LOCALPORT, MPERF_OPT_LOCALPORTRANGE, MPERF_OPT_IPRESOLVE,
    MPERF_OPT_OPENSOCKETFUNCTION, MPERF_OPT_SOCKOPTFUNCTION, MPERF_OPT_CLOSESOCKETFUNCTION,
    MPERF_OPT_PROXY, MPERF_OPT_PROXYPORT, MPERF_OPT_HTTPPROXYTUNNEL, MPERF_OPT_PROXYUSERPWD, MPERF_OPT_PROXYAUTH,
    MPERF_OPT_PROXYTYPE,
    10262 /* PRE_PROXY */, MPERF_OPT_DNS_SERVERS, 10221 /* DNS_INTERFACE */, 10222 /* DNS_LOCAL_IP4 */,
    10223 /* DNS_LOCAL_IP6 */, 10279 /* DOH_URL */, 274 /* HAPROXYPROTOCOL */, MPERF_OPT_HTTPAUTH,
#if MPX_TLS /* without TLS no https transfer starts at all */
    10025 /* SSLCERT */, 10087 /* SSLKEY */, 10026 /* KEYPASSWD */, 10086 /* SSLCERTTYPE */, 10088 /* SSLKEYTYPE */,
    10089 /* SSLENGINE */, 40291 /* SSLCERT_BLOB */, 40292 /* SSLKEY_BLOB */, 10169 /* CRLFILE */,
    10170 /* ISSUERCERT */, 40295 /* ISSUERCERT_BLOB */, 232 /* SSL_VERIFYSTATUS */, MPERF_OPT_SSL_OPTIONS,
    10298 /* SSL_EC_CURVES */, 10276 /* TLS13_CIPHERS */, 20108 /* SSL_CTX_FUNCTION */, MPERF_OPT_CAPATH,
    MPERF_OPT_PINNEDPUBLICKEY, MPERF_OPT_SSLVERSION, MPERF_OPT_SSL_CIPHER_LIST
#endif
};
typedef char mpx_nguarded_is_right[sizeof mpx_guarded / sizeof mpx_guarded[0] == MPX_NGUARDED ? 1 : -1];

/* opt's place in mpx_guarded, MPX_NGUARDED when it is not there. */
static size_t mpx_guard_index(int opt)
{
    size_t g;
    for (g = 0; g < MPX_NGUARDED && mpx_guarded[g] != opt; g++) {}
    return g;
}

/* Options of the features a MPERF_NO_x switch left out: setting one (to
   anything but 0 or NULL) is MPERF_E_NOT_BUILT_IN. */
static int mpx_opt_left_out(int opt)
{
    (void)opt;
    return (!MPX_REDIRECTS && opt == MPERF_OPT_FOLLOWLOCATION) ||
           (!MPX_UPLOADS && (opt == MPERF_OPT_POST || opt == MPERF_OPT_UPLOAD || opt == MPERF_OPT_POSTFIELDS ||
                             opt == MPERF_OPT_COPYPOSTFIELDS || opt == MPERF_OPT_READFUNCTION)) ||
           (!MPX_VERBOSE && (opt == MPERF_OPT_VERBOSE || opt == MPERF_OPT_DEBUGFUNCTION)) ||
           (!MPX_AUTH && (opt == MPERF_OPT_USERPWD || opt == MPERF_OPT_USERNAME || opt == MPERF_OPT_PASSWORD ||
                          opt == MPERF_OPT_HTTPAUTH)) ||
           (!MPX_PROGRESS && (opt == MPERF_OPT_XFERINFOFUNCTION || opt == MPERF_OPT_PROGRESSFUNCTION)) ||
           (!MPX_RANGES && (opt == MPERF_OPT_RANGE || opt == MPERF_OPT_RESUME_FROM || opt == MPERF_OPT_RESUME_FROM_LARGE)) ||
           (!MPX_TLS && (opt == MPERF_OPT_PINNEDPUBLICKEY || opt == MPERF_OPT_CAINFO_BLOB)) ||
           (!MPX_ROUTING && (mpx_guard_index(opt) < MPX_NROUTING || opt == MPERF_OPT_HAPPY_EYEBALLS_TIMEOUT_MS)) ||
           (!MPX_UNIX && (opt == MPERF_OPT_UNIX_SOCKET_PATH || opt == MPERF_OPT_ABSTRACT_UNIX_SOCKET)) ||
           (!MPX_RAW && opt == MPERF_OPT_CONNECT_ONLY) ||
           (!MPX_STDIO && (opt == MPERF_OPT_STDERR || (MPX_COOKIES && opt == MPERF_OPT_COOKIEJAR)));
}

/* One option's value, fetched by its type (the option number says which):
   v for 0..9999, s any pointer (10000.. and 40000..), fn any callback
   (20000..: every callback type has one representation), off for 30000..
   and a long's value too. */
static mperf_code mpx_setopt_value(mperf_easy *e, int opt, long v, char *s, mperf_write_callback fn, mperf_off_t off)
{
    mpx_opts *o = &e->o;
    size_t i;
    if (mpx_opt_left_out(opt)) return v || s || off || fn ? MPERF_E_NOT_BUILT_IN : MPERF_E_OK;
    for (i = 0; i < sizeof mpx_optdefs / sizeof mpx_optdefs[0]; i++) {
        const mpx_optdef *d = &mpx_optdefs[i];
        char *field = (char *)o + d->off;
        if (d->opt != opt) continue;
        if (d->kind == MPX_K_STR) return mpx_set_string(e, (char **)(void *)field, s);
        if (d->kind == MPX_K_FN) {
            memcpy(field, &fn, sizeof fn);
        } else if (d->kind >= MPX_K_SIZE && d->kind <= MPX_K_SIZE0) {
            if (off < (d->kind == MPX_K_SIZE ? -1 : 0)) return MPERF_E_BAD_FUNCTION_ARGUMENT;
            memcpy(field, &off, sizeof off);
        } else if (d->kind == MPX_K_PTR) memcpy(field, &s, sizeof s);
        else if (d->kind == MPX_K_BOOL) *(uint8_t *)field = (uint8_t)(v != 0);
        else if (d->kind == MPX_K_LONG && v < 0) return MPERF_E_BAD_FUNCTION_ARGUMENT;
        else if (d->kind != MPX_K_IGNORE) memcpy(field, &v, sizeof v);
        return MPERF_E_OK;
    }
    switch (opt) {
#if MPX_UPLOADS
    case MPERF_OPT_COPYPOSTFIELDS: return mpx_set_postcopy(e, s);
    case MPERF_OPT_POSTFIELDS:
        o->postfields = s;
        o->httpreq = MPX_REQ_POST;
        return MPERF_E_OK;
#endif
    case MPERF_OPT_PROTOCOLS_STR: return mpx_set_protocols(&o->protocols, s);
    case MPERF_OPT_REDIR_PROTOCOLS_STR: return mpx_set_protocols(&o->redir_protocols, s);
#if MPX_TLS
    case MPERF_OPT_PINNEDPUBLICKEY: return mpx_set_pins(e, s);
    case MPERF_OPT_CAINFO_BLOB: {
        const mperf_blob *b = (const mperf_blob *)(const void *)s;
        if (o->cablob_owned) mpx_free(&e->al, o->cablob);
        o->cablob = NULL;
        o->cabloblen = 0;
        o->cablob_owned = 0;
        if (!b) return MPERF_E_OK;
        if (b->flags & MPERF_BLOB_COPY) {
            o->cablob = (unsigned char *)mpx_alloc(&e->al, b->len ? b->len : 1);
            if (!o->cablob) return MPERF_E_OUT_OF_MEMORY;
            memcpy(o->cablob, b->data, b->len);
            o->cablob_owned = 1;
        } else {
            o->cablob = (unsigned char *)b->data;
        }
        o->cabloblen = b->len;
        return MPERF_E_OK;
    }
#endif
#if MPX_DNSWIRE
    case MPERF_OPT_DNS_SERVERS: { /* checked now: a transfer never falls back to other servers */
        mpx_ns ns[MPX_DNS_MAXNS];
        if (s && *s && !mpx_ns_list(s, ns)) return MPERF_E_BAD_FUNCTION_ARGUMENT;
        return mpx_set_string(e, &o->dns_servers, s && *s ? s : NULL);
    }
#endif
    case MPERF_OPT_CAPATH: /* a directory of hashed certificates is not built in; CAINFO is */
        return s ? MPERF_E_NOT_BUILT_IN : MPERF_E_OK;
#if MPX_PROXY
    case MPERF_OPT_PROXY: /* checked when a transfer takes it (it may come from the environment too) */
        o->proxy_set = s != NULL;
        return mpx_set_string(e, &o->proxy, s);
    case MPERF_OPT_PROXYTYPE: /* HTTP proxies are built in, HTTPS and SOCKS proxies are not */
        if (v != MPERF_PROXY_HTTP && v != MPERF_PROXY_HTTP_1_0)
            return v == MPERF_PROXY_HTTPS || (v >= MPERF_PROXY_SOCKS4 && v <= MPERF_PROXY_SOCKS5_HOSTNAME)
                       ? MPERF_E_NOT_BUILT_IN
                       : MPERF_E_BAD_FUNCTION_ARGUMENT;
        o->proxytype = v;
        return MPERF_E_OK;
    case MPERF_OPT_PROXYAUTH: /* Basic is built in */
        if (!((unsigned long)v & MPERF_AUTH_BASIC)) return MPERF_E_NOT_BUILT_IN;
        o->proxyauth = (unsigned long)v;
        return MPERF_E_OK;
    case MPERF_OPT_PROXYPORT:
        if (v < 0 || v > 65535) return MPERF_E_BAD_FUNCTION_ARGUMENT;
        o->proxyport = v;
        return MPERF_E_OK;
    case MPERF_OPT_HEADEROPT: o->headers_unified = !(v & MPERF_HEADER_SEPARATE); return MPERF_E_OK;
#else
    case MPERF_OPT_PROXY: /* only "no proxy" is built in (MPERF_NO_PROXY) */
#endif
#if !MPX_DECODE
    case MPERF_OPT_ACCEPT_ENCODING: /* no decoders built in: advertise nothing */
#endif
#if !MPX_PROXY || !MPX_DECODE /* (with both built in, no case leads here) */
        return (!s || !*s) ? MPERF_E_OK : MPERF_E_NOT_BUILT_IN;
#endif
#if MPX_DECODE
    case MPERF_OPT_HTTP_CONTENT_DECODING: o->no_decoding = !v; return MPERF_E_OK;
#endif
#if MPX_COOKIES
    case MPERF_OPT_COOKIEFILE: /* a file to read when the next transfer starts ("": none); NULL forgets them */
        if (!s) {
            e->cfiles.len = 0;
            e->cfiles_new = 0;
            return MPERF_E_OK;
        }
        if (!MPX_STDIO && *s) return MPERF_E_NOT_BUILT_IN; /* (files need stdio; "" starts the engine) */
        if (!mpx_cookie_engine(e) || (*s && !mpx_buf_add(&e->al, &e->cfiles, s, strlen(s) + 1)))
            return MPERF_E_OUT_OF_MEMORY;
        e->cfiles_new = 1;
        return MPERF_E_OK;
    case MPERF_OPT_COOKIELIST: {
        mperf_code rc;
        mpx_share_lock(e);
        rc = mpx_cookie_list(e, s);
        mpx_share_unlock(e);
        return rc;
    }
    case MPERF_OPT_SHARE: return mpx_cookie_share(e, (mperf_share *)(void *)s);
    case MPERF_OPT_COOKIEJAR: /* written when the handle goes; it starts the engine too */
        if (s && !mpx_cookie_engine(e)) return MPERF_E_OUT_OF_MEMORY;
        return mpx_set_string(e, &o->cookiejar, s);
#endif
    /* the request method: the last of these wins, as in libcurl */
    case MPERF_OPT_NOBODY:
        if (v) o->httpreq = MPX_REQ_HEAD;
        else if (o->httpreq == MPX_REQ_HEAD) o->httpreq = MPX_REQ_GET;
        return MPERF_E_OK;
    case MPERF_OPT_HTTPGET:
        if (v) o->httpreq = MPX_REQ_GET;
        return MPERF_E_OK;
#if MPX_UPLOADS
    case MPERF_OPT_POST: o->httpreq = v ? MPX_REQ_POST : MPX_REQ_GET; return MPERF_E_OK;
    case MPERF_OPT_UPLOAD: o->httpreq = v ? MPX_REQ_PUT : MPX_REQ_GET; return MPERF_E_OK;
#endif
    /* numbers */
    case MPERF_OPT_TIMEOUT:
    case MPERF_OPT_CONNECTTIMEOUT:
        if (v < 0) return MPERF_E_BAD_FUNCTION_ARGUMENT;
        v = v > 0x7fffffffL / 1000 ? 0x7fffffffL : v * 1000;
        if (opt == MPERF_OPT_TIMEOUT) o->timeout_ms = v;
        else o->connect_timeout_ms = v;
        return MPERF_E_OK;
    case MPERF_OPT_MAXREDIRS:
        if (v < -1) return MPERF_E_BAD_FUNCTION_ARGUMENT;
        o->maxredirs = v;
        return MPERF_E_OK;
    case MPERF_OPT_POSTREDIR:
        if (v < 0) return MPERF_E_BAD_FUNCTION_ARGUMENT;
        o->postredir = v & MPERF_REDIR_POST_ALL;
        return MPERF_E_OK;
#if MPX_AUTH
    case MPERF_OPT_CA_CACHE_TIMEOUT: /* the CA store is kept for the multi handle's life: -1 in libcurl's terms */
        return v == -1 ? MPERF_E_OK : MPERF_E_NOT_BUILT_IN;
#if MPX_TLS
    case MPERF_OPT_SSL_OPTIONS: /* partial chains are what BearSSL's anchors allow: that one cannot be turned off */
        return v & ~(MPERF_SSLOPT_ALLOW_BEAST | MPERF_SSLOPT_NO_REVOKE | MPERF_SSLOPT_REVOKE_BEST_EFFORT |
                     MPERF_SSLOPT_NATIVE_CA | MPERF_SSLOPT_AUTO_CLIENT_CERT)
                   ? MPERF_E_NOT_BUILT_IN
                   : MPERF_E_OK;
#endif
    case MPERF_OPT_CERTINFO: /* certificate details are not collected */
        return v ? MPERF_E_NOT_BUILT_IN : MPERF_E_OK;
    case MPERF_OPT_HTTPAUTH: /* Basic, and Digest where built in */
        if ((unsigned long)v != MPERF_AUTH_NONE &&
            !((unsigned long)v & (MPERF_AUTH_BASIC | (MPX_DIGEST ? MPERF_AUTH_DIGEST : 0))))
            return MPERF_E_NOT_BUILT_IN;
        o->httpauth = (unsigned long)v;
        return MPERF_E_OK;
#endif
    case MPERF_OPT_PORT:
        if (v < 0 || v > 65535) return MPERF_E_BAD_FUNCTION_ARGUMENT;
        o->port = v;
        return MPERF_E_OK;
    case MPERF_OPT_BUFFERSIZE:
        o->buffersize = v < 1024 ? 1024 : v > 10485760L ? 10485760L : v;
        return MPERF_E_OK;
    case MPERF_OPT_HTTP_VERSION:
        if (v < 0 || (v > MPERF_HTTP_VERSION_2_PRIOR_KNOWLEDGE && v != MPERF_HTTP_VERSION_3 &&
                      v != MPERF_HTTP_VERSION_3ONLY))
            return MPERF_E_UNSUPPORTED_PROTOCOL;
        o->http_version = v; /* 2 and 3 fall back to 1.1, as libcurl does without them */
        return MPERF_E_OK;
#if MPX_ROUTING
    case MPERF_OPT_LOCALPORT:
    case MPERF_OPT_LOCALPORTRANGE:
    case MPERF_OPT_IPRESOLVE:
        if (v < 0 || v > (opt == MPERF_OPT_IPRESOLVE ? MPERF_IPRESOLVE_V6 : 65535)) return MPERF_E_BAD_FUNCTION_ARGUMENT;
        *(opt == MPERF_OPT_LOCALPORT ? &o->localport : opt == MPERF_OPT_IPRESOLVE ? &o->ipresolve : &o->localportrange) = v;
        return MPERF_E_OK;
#endif
    case MPERF_OPT_HTTP09_ALLOWED: return v ? MPERF_E_NOT_BUILT_IN : MPERF_E_OK;
#if MPX_RAW
    case MPERF_OPT_CONNECT_ONLY: /* 1: connect, then the program's own protocol; 2 (WebSocket) is not built in */
        if (v < 0 || v > 2) return MPERF_E_BAD_FUNCTION_ARGUMENT;
        if (v == 2) return MPERF_E_NOT_BUILT_IN;
        o->connect_only = (uint8_t)v;
        return MPERF_E_OK;
#endif
    case MPERF_OPT_HTTP_TRANSFER_DECODING: return v ? MPERF_E_OK : MPERF_E_NOT_BUILT_IN;
    case MPERF_OPT_SSL_VERIFYHOST: /* 1 means 2 since libcurl 7.66 */
        if (v < 0 || v > 2) return MPERF_E_BAD_FUNCTION_ARGUMENT;
        o->ssl_verifyhost = v ? 2 : 0;
        return MPERF_E_OK;
    case MPERF_OPT_SSLVERSION: { /* TLS 1.2 is what is built in: accept ranges that include it */
        long lo = v & 0xffff, hi = v >> 16;
        if (lo == MPERF_SSLVERSION_SSLv2 || lo == MPERF_SSLVERSION_SSLv3 || lo > MPERF_SSLVERSION_TLSv1_3 ||
            lo == MPERF_SSLVERSION_TLSv1_3 || (hi && hi != 1 && hi < MPERF_SSLVERSION_TLSv1_2))
            return MPERF_E_NOT_BUILT_IN;
        return MPERF_E_OK;
    }
    default:
        return MPERF_E_UNKNOWN_OPTION;
    }
}

static mperf_code mpx_setopt(mperf_easy *e, int opt, va_list ap)
{
    long v = 0;
    char *s = NULL;
    mperf_write_callback fn = NULL;
    mperf_off_t off = 0;
    mperf_code rc;
    size_t g;
    if (opt < MPERF_OPTTYPE_OBJECTPOINT) off = v = va_arg(ap, long);
    else if (opt < MPERF_OPTTYPE_FUNCTIONPOINT || opt >= MPERF_OPTTYPE_BLOB) s = va_arg(ap, char *);
    else if (opt < MPERF_OPTTYPE_OFF_T) fn = va_arg(ap, mperf_write_callback);
    else off = va_arg(ap, mperf_off_t);
    rc = mpx_setopt_value(e, opt, v, s, fn, off);
    if (MPX_ROUTING && opt == MPERF_OPT_RESOLVE) e->resolve_new = 1;
    if ((g = mpx_guard_index(opt)) < MPX_NGUARDED) e->o.refused[g] = (uint8_t)(s || fn || off ? rc : 0);
    if (MPX_UNIX && rc == MPERF_E_OK && (opt == MPERF_OPT_UNIX_SOCKET_PATH || opt == MPERF_OPT_ABSTRACT_UNIX_SOCKET))
        e->o.unix_abstract = opt == MPERF_OPT_ABSTRACT_UNIX_SOCKET;
    return rc;
}

static mperf_mcode mpx_multi_setopt(mperf_multi *m, int option, va_list ap)
{
    long v;
    switch (option) {
    case MPERF_MOPT_MAXCONNECTS:
    case MPERF_MOPT_MAX_HOST_CONNECTIONS:
    case MPERF_MOPT_MAX_TOTAL_CONNECTIONS:
        v = va_arg(ap, long);
        if (v < 0) return MPERF_M_BAD_FUNCTION_ARGUMENT;
        if (option == MPERF_MOPT_MAXCONNECTS) m->maxconnects = v;
        else if (option == MPERF_MOPT_MAX_HOST_CONNECTIONS) m->max_host_conns = v;
        else m->max_total_conns = MPERF_MAX_CONNECTIONS > 0 && (v == 0 || v > MPERF_MAX_CONNECTIONS) ? MPERF_MAX_CONNECTIONS : v;
        m->kick_pending = 1;
        return MPERF_M_OK;
    case MPERF_MOPT_BYTES_PER_CALL: {
        mperf_off_t b = va_arg(ap, mperf_off_t);
        if (b < 0) return MPERF_M_BAD_FUNCTION_ARGUMENT;
        m->bytes_per_call = (uint64_t)b > (size_t)-1 ? (size_t)-1 : (size_t)b;
        return MPERF_M_OK;
    }
#if MPX_TLS || MPX_STUB || MPX_DIGEST
    case MPERF_MOPT_RANDOM_FUNCTION: m->random_cb = va_arg(ap, mperf_random_callback); return MPERF_M_OK;
    case MPERF_MOPT_RANDOM_DATA: m->random_data = va_arg(ap, void *); return MPERF_M_OK;
#endif
#if MPX_TLS
    case MPERF_MOPT_TIME_FUNCTION: m->time_cb = va_arg(ap, mperf_time_callback); return MPERF_M_OK;
    case MPERF_MOPT_TIME_DATA: m->time_data = va_arg(ap, void *); return MPERF_M_OK;
#endif
#if MPX_TPORT
    case MPERF_MOPT_TRANSPORT:
    case MPERF_MOPT_TRANSPORT_DATA: { /* only while the multi has no socket: they all come from one */
        void *p = va_arg(ap, void *);
        const mperf_transport *t = (const mperf_transport *)p;
        if (m->num_easy || m->npfd) return MPERF_M_BAD_FUNCTION_ARGUMENT;
        if (option == MPERF_MOPT_TRANSPORT_DATA) {
            m->tport.data = p;
            return MPERF_M_OK;
        }
        if (t && (!t->open || !t->connect || !t->connect_result || !t->send || !t->recv || !t->close || !t->poll))
            return MPERF_M_BAD_FUNCTION_ARGUMENT;
        m->tport.t = t; /* its clock is read from the next step on */
        return MPERF_M_OK;
    }
#endif
#if MPX_SOCKACT
    case MPERF_MOPT_SOCKETFUNCTION: { /* set it before adding transfers: sockets are told as they change */
        mperf_socket_callback cb = va_arg(ap, mperf_socket_callback);
        if (cb && !mpx_fd_table(m, m->npfd)) return MPERF_M_OUT_OF_MEMORY;
        if (!cb) {
            mpx_free(&m->al, m->fdtab);
            m->fdtab = NULL;
            m->fdtab_n = 0;
        }
        m->socket_cb = cb;
        return MPERF_M_OK;
    }
    case MPERF_MOPT_SOCKETDATA: m->socket_data = va_arg(ap, void *); return MPERF_M_OK;
    case MPERF_MOPT_TIMERFUNCTION:
        m->timer_cb = va_arg(ap, mperf_multi_timer_callback);
        m->timer_told = MPX_TIMER_UNTOLD;
        return MPERF_M_OK;
    case MPERF_MOPT_TIMERDATA: m->timer_data = va_arg(ap, void *); return MPERF_M_OK;
#endif
#if MPX_STUB
    case MPERF_MOPT_RESOLVER_START: m->resolver_start = va_arg(ap, mperf_resolver_start_callback); return MPERF_M_OK;
    case MPERF_MOPT_RESOLVER_CANCEL: m->resolver_cancel = va_arg(ap, mperf_resolver_cancel_callback); return MPERF_M_OK;
    case MPERF_MOPT_RESOLVER_DATA: m->resolver_data = va_arg(ap, void *); return MPERF_M_OK;
#endif
#if MPX_DNSWIRE
    case MPERF_MOPT_RESOLV_CONF:
    case MPERF_MOPT_HOSTS_FILE: {
        const char *path = va_arg(ap, const char *);
        char **dst = option == MPERF_MOPT_RESOLV_CONF ? &m->resolv_path : &m->hosts_path, *copy = NULL;
        if (path && !(copy = mpx_strndup(&m->al, path, strlen(path)))) return MPERF_M_OUT_OF_MEMORY;
        mpx_free(&m->al, *dst);
        *dst = copy;
        if (option == MPERF_MOPT_RESOLV_CONF) { /* read again at the next query */
            mpx_free(&m->al, m->resconf);
            m->resconf = NULL;
        }
        return MPERF_M_OK;
    }
#endif
    case MPERF_MOPT_PIPELINING: /* HTTP/1.1 pipelining is gone from libcurl too */
    case MPERF_MOPT_MAX_PIPELINE_LENGTH:
    case MPERF_MOPT_MAX_CONCURRENT_STREAMS:
        (void)va_arg(ap, long);
        return MPERF_M_OK;
    case MPERF_MOPT_CONTENT_LENGTH_PENALTY_SIZE:
    case MPERF_MOPT_CHUNK_LENGTH_PENALTY_SIZE:
        (void)va_arg(ap, mperf_off_t);
        return MPERF_M_OK;
    case MPERF_MOPT_PIPELINING_SITE_BL:
    case MPERF_MOPT_PIPELINING_SERVER_BL:
    case MPERF_MOPT_PUSHDATA:
    case MPERF_MOPT_PUSHFUNCTION: /* HTTP/2 server push never happens here */
        (void)va_arg(ap, void *);
        return MPERF_M_OK;
    default:
        return MPERF_M_UNKNOWN_OPTION;
    }
}

/* One getinfo value into *out, of the type the info number says. */
#define MPX_IN(name) (MPERF_INFO_##name & MPERF_INFO_MASK) /* a getinfo number without its type */

/* The types each getinfo number comes in (bit 1 << the type, the top bits
   of libcurl's numbers: string 1, long 2, double 3, pointer 4, socket 5,
   off_t 6), for the numbers the engine answers. */
#define MPX_IT(t) (1 << ((t) >> 20))
static const unsigned char mpx_info_types[61] = {
    0, MPX_IT(MPERF_INFO_STRING), MPX_IT(MPERF_INFO_LONG), MPX_IT(MPERF_INFO_DOUBLE), MPX_IT(MPERF_INFO_DOUBLE),
    MPX_IT(MPERF_INFO_DOUBLE), MPX_IT(MPERF_INFO_DOUBLE), MPX_IT(MPERF_INFO_DOUBLE) | MPX_IT(MPERF_INFO_OFF_T),
    MPX_IT(MPERF_INFO_DOUBLE) | MPX_IT(MPERF_INFO_OFF_T), MPX_IT(MPERF_INFO_DOUBLE) | MPX_IT(MPERF_INFO_OFF_T),
    MPX_IT(MPERF_INFO_DOUBLE) | MPX_IT(MPERF_INFO_OFF_T),                  /* 10 */
    MPX_IT(MPERF_INFO_LONG), MPX_IT(MPERF_INFO_LONG), MPX_IT(MPERF_INFO_LONG), 0,
    MPX_IT(MPERF_INFO_DOUBLE) | MPX_IT(MPERF_INFO_OFF_T), MPX_IT(MPERF_INFO_DOUBLE) | MPX_IT(MPERF_INFO_OFF_T),
    MPX_IT(MPERF_INFO_DOUBLE), MPX_IT(MPERF_INFO_STRING), MPX_IT(MPERF_INFO_DOUBLE),
    MPX_IT(MPERF_INFO_LONG),                                                /* 20 */
    MPX_IT(MPERF_INFO_STRING), MPX_IT(MPERF_INFO_LONG), 0, 0, MPX_IT(MPERF_INFO_LONG), MPX_IT(MPERF_INFO_LONG), 0,
    MPX_COOKIES ? MPX_IT(MPERF_INFO_SLIST) : 0, MPX_IT(MPERF_INFO_LONG), 0, /* 30 */
    MPX_IT(MPERF_INFO_STRING), MPX_IT(MPERF_INFO_STRING), MPX_IT(MPERF_INFO_DOUBLE), MPX_IT(MPERF_INFO_PTR), 0, 0,
    0, 0, 0, MPX_IT(MPERF_INFO_LONG),                                       /* 40 */
    0, 0, 0, MPX_IT(MPERF_INFO_SOCKET), 0, MPX_IT(MPERF_INFO_LONG), 0, 0, MPX_IT(MPERF_INFO_STRING),
    MPX_IT(MPERF_INFO_OFF_T),                                               /* 50 */
    MPX_IT(MPERF_INFO_OFF_T), MPX_IT(MPERF_INFO_OFF_T), MPX_IT(MPERF_INFO_OFF_T), MPX_IT(MPERF_INFO_OFF_T),
    MPX_IT(MPERF_INFO_OFF_T), MPX_IT(MPERF_INFO_OFF_T), 0, MPX_IT(MPERF_INFO_STRING), 0,
    MPX_IT(MPERF_INFO_STRING)};                                             /* 60 */

static mperf_code mpx_getinfo(mperf_easy *e, int info, void *out)
{
    int64_t total, t = -1; /* a time in us, if the info is a time */
    mperf_off_t off = 0;
    long lv = 0;
    const char *str = NULL;
    unsigned n;
    total = e->state == MPX_S_DONE || !e->multi || !e->x.t_start ? e->x.t_total : e->multi->now - e->x.t_start;
    if ((unsigned)info > 0x6fffff || (n = info & MPERF_INFO_MASK) >= sizeof mpx_info_types ||
        !(mpx_info_types[n] >> (info >> 20) & 1))
        return MPERF_E_UNKNOWN_OPTION;
    switch (n) { /* the number; the type is checked above */
    case MPX_IN(EFFECTIVE_URL): str = e->effective_url && e->effective_url[0] ? e->effective_url : e->o.url; break;
    case MPX_IN(RESPONSE_CODE): lv = e->x.response_code; break;
    case MPX_IN(TOTAL_TIME): case MPX_IN(TOTAL_TIME_T): t = total; break;
    case MPX_IN(NAMELOOKUP_TIME): case MPX_IN(NAMELOOKUP_TIME_T): t = e->x.t_lookup; break;
    case MPX_IN(CONNECT_TIME): case MPX_IN(CONNECT_TIME_T): t = e->x.t_connect; break;
    case MPX_IN(APPCONNECT_TIME): case MPX_IN(APPCONNECT_TIME_T): t = e->x.t_appconnect; break;
    case MPX_IN(SSL_VERIFYRESULT): lv = e->x.verify_result; break;
    case MPX_IN(PRETRANSFER_TIME): case MPX_IN(PRETRANSFER_TIME_T): t = e->x.t_pretransfer; break;
    case MPX_IN(STARTTRANSFER_TIME): case MPX_IN(STARTTRANSFER_TIME_T): t = e->x.t_starttransfer; break;
    case MPX_IN(REDIRECT_TIME): case MPX_IN(REDIRECT_TIME_T): t = e->x.t_redirect; break;
    case MPX_IN(REDIRECT_COUNT): lv = e->x.redirect_count; break;
    case MPX_IN(REDIRECT_URL): str = e->redirect_url && e->redirect_url[0] ? e->redirect_url : NULL; break;
    case MPX_IN(SIZE_UPLOAD): off = e->x.uploaded; break;
    case MPX_IN(SPEED_UPLOAD):
        off = total > 0 ? (mperf_off_t)((double)e->x.uploaded * 1e6 / (double)total) : 0;
        break;
    case MPX_IN(SIZE_DOWNLOAD): off = e->x.downloaded; break;
    case MPX_IN(SPEED_DOWNLOAD):
        off = total > 0 ? (mperf_off_t)((double)e->x.downloaded * 1e6 / (double)total) : 0;
        break;
    case MPX_IN(CONTENT_LENGTH_DOWNLOAD): off = e->x.content_length; break;
    case MPX_IN(CONTENT_LENGTH_UPLOAD):
        off = MPX_UPLOADS && e->x.body_kind ? e->x.body_len : e->x.request_bytes ? 0 : -1; /* -1 until a request went out */
        break;
    case MPX_IN(HEADER_SIZE): lv = (long)e->x.header_bytes; break;
    case MPX_IN(REQUEST_SIZE):
        lv = (long)e->x.request_bytes;
#if MPX_PROXY
        lv += (long)e->x.connect_bytes;
#endif
        break;
    case MPX_IN(CONTENT_TYPE): str = e->ctype && e->ctype[0] ? e->ctype : NULL; break;
    case MPX_IN(PRIVATE): str = (const char *)e->o.private_ptr; break;
    case MPX_IN(REFERER):
        str = (e->o.autoreferer && e->x.redirect_count && e->prev_url) ? e->prev_url : e->o.referer;
        break;
    case MPX_IN(OS_ERRNO): lv = e->x.os_errno; break;
    case MPX_IN(HTTP_CONNECTCODE): /* (0 without proxies) */
#if MPX_PROXY
        lv = e->x.connect_code;
#endif
        break;
    case MPX_IN(NUM_CONNECTS): lv = e->x.num_connects; break;
    case MPX_IN(LASTSOCKET): lv = MPX_RAW && e->raw ? (long)e->raw->fd : e->x.conn ? (long)e->x.conn->fd : -1; break;
    case MPX_IN(PRIMARY_IP): /* the text is made when asked for */
        if (e->x.primary.family != 1) { /* a unix socket's was made at connect */
            e->x.primary_ip[0] = 0;
            if (e->x.primary.family) mpx_addr_to_text(&e->x.primary, e->x.primary_ip, sizeof e->x.primary_ip);
        }
        str = e->x.primary_ip;
        break;
    case MPX_IN(PRIMARY_PORT): lv = e->x.primary_port; break;
    case MPX_IN(HTTP_VERSION): lv = e->x.http_version_seen; break;
    case MPX_IN(SCHEME): str = e->x.primary.family ? (e->x.u.https ? "HTTPS" : "HTTP") : NULL; break; /* once connected */
    case MPX_IN(EFFECTIVE_METHOD): str = e->x.method[0] ? e->x.method : NULL; break;
    case MPX_IN(ACTIVESOCKET):
        *(mperf_socket_t *)out = MPX_RAW && e->raw ? e->raw->fd : e->x.conn ? e->x.conn->fd : MPERF_SOCKET_BAD;
        return MPERF_E_OK;
#if MPX_COOKIES
    case MPX_IN(COOKIELIST): { /* the cookies as lines of the jar's format, oldest first */
        mperf_slist *l = NULL, *more;
        size_t nc, i;
        mpx_cookie **a;
        char line[4 * MPX_COOKIE_TEXT + 64];
        mpx_share_lock(e);
        a = mpx_cookie_sorted(&e->al, e->jar, mpx_wall_time(e->multi), &nc);
        for (i = 0; i < nc; i++) {
            mpx_cookie_format(a[i], line, sizeof line);
            if (!(more = mperf_slist_append(l, line))) {
                mpx_share_unlock(e);
                mperf_slist_free_all(l);
                mpx_free(&e->al, a);
                return MPERF_E_OUT_OF_MEMORY;
            }
            l = more;
        }
        mpx_share_unlock(e);
        mpx_free(&e->al, a);
        *(mperf_slist **)out = l;
        return MPERF_E_OK;
    }
#endif
    case MPX_IN(CERTINFO): /* none collected (CERTINFO is not built in): an empty list, as libcurl without it */
        *(mperf_certinfo **)out = &e->certinfo; /* zeroed with the handle */
        return MPERF_E_OK;
    default:
        return MPERF_E_UNKNOWN_OPTION;
    }
    switch (info & MPERF_INFO_TYPEMASK) {
    case MPERF_INFO_STRING: *(const char **)out = str; break;
    case MPERF_INFO_LONG: *(long *)out = lv; break;
    case MPERF_INFO_DOUBLE: *(double *)out = t >= 0 ? (double)t / 1e6 : (double)off; break;
    default: *(mperf_off_t *)out = t >= 0 ? (mperf_off_t)t : off; break; /* MPERF_INFO_OFF_T */
    }
    return MPERF_E_OK;
}

#if MPX_HEADER_API
/* The header API's answer for the kept field at: its amount and index among
   the fields of its name in the request and origins asked for. */
static mperf_header *mpx_header_out(mperf_easy *e, size_t at, unsigned origin, long req)
{
    const mpx_hfield *f = (const mpx_hfield *)(void *)e->hfields.p;
    size_t n = e->hfields.len / sizeof *f, i, amount = 0, index = 0;
    const char *name = e->htext.p + f[at].name;
    size_t len = strlen(name) + 1; /* the NUL too: the same length */
    for (i = 0; i < n; i++)
        if (f[i].request == req && (f[i].origin & origin) && mpx_ncaseeq(e->htext.p + f[i].name, name, len)) {
            index += i < at;
            amount++;
        }
    e->hout.name = e->htext.p + f[at].name;
    e->hout.value = e->htext.p + f[at].value;
    e->hout.amount = amount;
    e->hout.index = index;
    e->hout.origin = f[at].origin | 1u << 27; /* libcurl sets bit 27 too */
    e->hout.anchor = (void *)(uintptr_t)(at + 1); /* where nextheader goes on */
    return &e->hout;
}

/* The request number asked for: -1 is the last; -2 when there is none. */
static long mpx_header_request(const mperf_easy *e, int request)
{
    return request < 0 ? e->x.redirect_count : request > e->x.redirect_count ? -2 : request;
}

static mperf_hcode mpx_easy_header(mperf_easy *e, const char *name, size_t index, unsigned origin, int request,
                                   mperf_header **hout)
{
    const mpx_hfield *f = (const mpx_hfield *)(void *)e->hfields.p;
    size_t n = e->hfields.len / sizeof *f, i, amount = 0, pick = 0;
    long req = mpx_header_request(e, request);
    size_t len = strlen(name) + 1;
    if (!n) return MPERF_HE_NOHEADERS;
    if (req < 0) return MPERF_HE_NOREQUEST;
    for (i = 0; i < n; i++)
        if (f[i].request == req && (f[i].origin & origin) && mpx_ncaseeq(e->htext.p + f[i].name, name, len)) {
            if (amount == index) pick = i;
            amount++;
        }
    if (!amount) return MPERF_HE_MISSING;
    if (index >= amount) return MPERF_HE_BADINDEX;
    *hout = mpx_header_out(e, pick, origin, req);
    return MPERF_HE_OK;
}

static mperf_header *mpx_easy_nextheader(mperf_easy *e, unsigned origin, int request, const mperf_header *prev)
{
    const mpx_hfield *f = (const mpx_hfield *)(void *)e->hfields.p;
    size_t n = e->hfields.len / sizeof *f, i = prev ? (size_t)(uintptr_t)prev->anchor : 0;
    long req = mpx_header_request(e, request);
    for (; req >= 0 && i < n; i++)
        if (f[i].request == req && (f[i].origin & origin)) return mpx_header_out(e, i, origin, req);
    return NULL;
}
#endif

/* -------------------------------------------------------------------- */
/* >>wrappers: the public functions: check arguments, call in           */
/* -------------------------------------------------------------------- */
/* Each checks its arguments and that it is not called where it may not be
   (from inside a callback), then calls in. */
MPERF_API mperf_multi *mperf_multi_init_alloc(const mperf_allocator *allocator)
{
    return mpx_multi_new(allocator);
}

MPERF_API mperf_multi *mperf_multi_init(void)
{
    return mpx_multi_new(NULL);
}

MPERF_API mperf_mcode mperf_multi_cleanup(mperf_multi *m)
{
    if (!mpx_multi_ok(m)) return MPERF_M_BAD_HANDLE;
    if (m->in_callback) return MPERF_M_RECURSIVE_API_CALL;
    mpx_multi_free(m);
    return MPERF_M_OK;
}

MPERF_API mperf_mcode mperf_multi_add_handle(mperf_multi *m, mperf_easy *e)
{
    mperf_mcode rc;
    if (!mpx_multi_ok(m)) return MPERF_M_BAD_HANDLE;
    if (!mpx_easy_ok(e)) return MPERF_M_BAD_EASY_HANDLE;
    if (e->multi) return MPERF_M_ADDED_ALREADY;
    if (m->in_callback) return MPERF_M_RECURSIVE_API_CALL;
#if MPERF_MAX_TRANSFERS > 0
    if (m->num_easy >= (unsigned)MPERF_MAX_TRANSFERS) return MPERF_M_OUT_OF_MEMORY; /* the compile-time cap */
#endif
    rc = mpx_multi_add(m, e);
    return rc == MPERF_M_OK ? mpx_timer_tell(m) : rc; /* an event loop hears it has work */
}

MPERF_API mperf_mcode mperf_multi_remove_handle(mperf_multi *m, mperf_easy *e)
{
    if (!mpx_multi_ok(m)) return MPERF_M_BAD_HANDLE;
    if (!mpx_easy_ok(e)) return MPERF_M_BAD_EASY_HANDLE;
    if (!e->multi) return MPERF_M_OK;
    if (e->multi != m) return MPERF_M_BAD_EASY_HANDLE;
    if (m->in_callback) return MPERF_M_RECURSIVE_API_CALL;
    mpx_multi_remove(m, e);
    mpx_graveyard_flush(m);
    return mpx_timer_tell(m);
}

MPERF_API mperf_mcode mperf_multi_perform(mperf_multi *m, int *running_handles)
{
    if (!mpx_multi_ok(m)) return MPERF_M_BAD_HANDLE;
    if (m->in_callback) return MPERF_M_RECURSIVE_API_CALL;
    mpx_multi_perform(m);
    if (running_handles) *running_handles = (int)m->num_alive;
    return mpx_timer_tell(m);
}

#if MPX_SOCKACT
MPERF_API mperf_mcode mperf_multi_socket_action(mperf_multi *m, mperf_socket_t s, int ev_bitmask, int *running_handles)
{
    mperf_mcode rc;
    if (!mpx_multi_ok(m)) return MPERF_M_BAD_HANDLE;
    if (m->in_callback) return MPERF_M_RECURSIVE_API_CALL;
    mpx_multi_socket(m, s, ev_bitmask);
    rc = mpx_timer_tell(m);
    if (running_handles) *running_handles = (int)m->num_alive;
    return rc;
}

MPERF_API mperf_mcode mperf_multi_socket_all(mperf_multi *m, int *running_handles)
{
    mperf_mcode rc;
    if (!mpx_multi_ok(m)) return MPERF_M_BAD_HANDLE;
    if (m->in_callback) return MPERF_M_RECURSIVE_API_CALL;
    mpx_multi_socket_all(m);
    rc = mpx_timer_tell(m);
    if (running_handles) *running_handles = (int)m->num_alive;
    return rc;
}

MPERF_API mperf_mcode mperf_multi_assign(mperf_multi *m, mperf_socket_t s, void *sockp)
{
    mpx_conn *c;
    if (!mpx_multi_ok(m)) return MPERF_M_BAD_HANDLE;
    if (!(c = mpx_fd_find(m, s))) return MPERF_M_BAD_SOCKET; /* (callable from the socket callback) */
    c->sockp = sockp;
    return MPERF_M_OK;
}
#else /* MPERF_NO_EVENTS */
MPERF_API mperf_mcode mperf_multi_socket_action(mperf_multi *m, mperf_socket_t s, int ev_bitmask, int *running_handles)
{
    (void)m, (void)s, (void)ev_bitmask, (void)running_handles;
    return MPERF_M_BAD_FUNCTION_ARGUMENT;
}

MPERF_API mperf_mcode mperf_multi_socket_all(mperf_multi *m, int *running_handles)
{
    (void)m, (void)running_handles;
    return MPERF_M_BAD_FUNCTION_ARGUMENT;
}

MPERF_API mperf_mcode mperf_multi_assign(mperf_multi *m, mperf_socket_t s, void *sockp)
{
    (void)m, (void)s, (void)sockp;
    return MPERF_M_BAD_FUNCTION_ARGUMENT;
}
#endif

MPERF_API mperf_mcode mperf_multi_poll(mperf_multi *m, mperf_waitfd *extra_fds, unsigned int extra_nfds,
                                       int timeout_ms, int *numfds)
{
    return mpx_multi_wait(m, extra_fds, extra_nfds, timeout_ms, numfds, 1);
}

MPERF_API mperf_mcode mperf_multi_wait(mperf_multi *m, mperf_waitfd *extra_fds, unsigned int extra_nfds,
                                       int timeout_ms, int *numfds)
{
    return mpx_multi_wait(m, extra_fds, extra_nfds, timeout_ms, numfds, 0);
}

MPERF_API mperf_mcode mperf_multi_waitfds(mperf_multi *m, mperf_waitfd *ufds, unsigned int size, unsigned int *fd_count)
{
    if (!mpx_multi_ok(m)) return MPERF_M_BAD_HANDLE;
    if (size && !ufds) return MPERF_M_BAD_FUNCTION_ARGUMENT;
    if (m->in_callback) return MPERF_M_RECURSIVE_API_CALL;
    return mpx_multi_waitfds(m, ufds, size, fd_count);
}

MPERF_API mperf_mcode mperf_multi_resolved(mperf_multi *m, void *token, const mperf_resolved_addr *addrs,
                                           unsigned int count, long ttl_seconds)
{
    if (!mpx_multi_ok(m)) return MPERF_M_BAD_HANDLE;
    if (count && !addrs) return MPERF_M_BAD_FUNCTION_ARGUMENT;
    if (m->in_callback) return MPERF_M_RECURSIVE_API_CALL;
#if MPX_STUB
    m->now = mpx_clock(m);
    if (!mpx_dnsq_resolved(m, (uintptr_t)token, addrs, count, ttl_seconds)) return MPERF_M_BAD_FUNCTION_ARGUMENT;
    return mpx_timer_tell(m); /* the waiters go on in the next step: at once */
#else
    (void)token, (void)ttl_seconds;
    return MPERF_M_BAD_FUNCTION_ARGUMENT; /* no resolver of the program's in this build */
#endif
}

MPERF_API mperf_mcode mperf_multi_wakeup(mperf_multi *m)
{
    if (!mpx_multi_ok(m)) return MPERF_M_BAD_HANDLE;
    return mpx_multi_wakeup(m);
}

MPERF_API mperf_mcode mperf_multi_timeout(mperf_multi *m, long *timeout_ms)
{
    if (!mpx_multi_ok(m)) return MPERF_M_BAD_HANDLE;
    if (!timeout_ms) return MPERF_M_BAD_FUNCTION_ARGUMENT;
    if (m->in_callback) return MPERF_M_RECURSIVE_API_CALL;
    *timeout_ms = mpx_multi_timeout_ms(m);
    return MPERF_M_OK;
}

MPERF_API mperf_mcode mperf_multi_fdset(mperf_multi *m, void *read_fd_set, void *write_fd_set, void *exc_fd_set,
                                        int *max_fd)
{
    int maxfd;
    (void)exc_fd_set;
    if (!mpx_multi_ok(m)) return MPERF_M_BAD_HANDLE;
    if (m->in_callback) return MPERF_M_RECURSIVE_API_CALL;
    maxfd = mpx_multi_fdset(m, (fd_set *)read_fd_set, (fd_set *)write_fd_set);
    if (max_fd) *max_fd = maxfd;
    return MPERF_M_OK;
}

MPERF_API mperf_msg *mperf_multi_info_read(mperf_multi *m, int *msgs_in_queue)
{
    mperf_msg *msg;
    if (msgs_in_queue) *msgs_in_queue = 0;
    if (!mpx_multi_ok(m) || !(msg = mpx_multi_info_read(m))) return NULL;
    if (msgs_in_queue) *msgs_in_queue = (int)m->num_msgs;
    return msg;
}

MPERF_API mperf_mcode mperf_multi_setopt(mperf_multi *m, int option, ...)
{
    va_list ap;
    mperf_mcode rc;
    if (!mpx_multi_ok(m)) return MPERF_M_BAD_HANDLE;
    if (m->in_callback) return MPERF_M_RECURSIVE_API_CALL;
    va_start(ap, option);
    rc = mpx_multi_setopt(m, option, ap);
    va_end(ap);
    return rc;
}

MPERF_API const char *mperf_multi_strerror(mperf_mcode code)
{
    return mpx_errtext(mpx_multi_errtext, sizeof mpx_multi_errtext, (int)code);
}

MPERF_API mperf_easy **mperf_multi_get_handles(mperf_multi *m)
{
    return mpx_multi_ok(m) ? mpx_multi_handles(m) : NULL;
}

#ifdef MPERF_ARENA
MPERF_API mperf_arena *mperf_arena_init(void *mem, size_t size)
{
    mperf_arena *a = (mperf_arena *)mem;
    size_t head = (sizeof *a + MPX_ARENA_HDR - 1) / MPX_ARENA_HDR * MPX_ARENA_HDR;
    if (!mem || size < head + 1024) return NULL;
    memset(a, 0, sizeof *a);
    a->al.alloc = mpx_arena_alloc;
    a->al.free = mpx_arena_free;
    a->al.user = a;
    a->start = a->next = (unsigned char *)mem + head;
    a->end = (unsigned char *)mem + size;
    return a;
}

MPERF_API const mperf_allocator *mperf_arena_allocator(mperf_arena *arena)
{
    return arena ? &arena->al : NULL;
}

MPERF_API size_t mperf_arena_used(const mperf_arena *arena)
{
    return arena ? arena->used : 0;
}

MPERF_API size_t mperf_arena_peak(const mperf_arena *arena)
{
    return arena ? (size_t)(arena->start - (const unsigned char *)arena) + arena->peak_top : 0;
}
#endif

MPERF_API void mperf_free(void *ptr)
{
    void *base;
    mperf_allocator al;
    if (!ptr) return;
    memcpy(&base, (char *)ptr - sizeof(void *), sizeof(void *));
    al = *(mperf_allocator *)base;
    mpx_free(&al, base);
}

MPERF_API mperf_easy *mperf_easy_init_alloc(const mperf_allocator *allocator)
{
    return mpx_easy_new(allocator);
}

MPERF_API mperf_easy *mperf_easy_init(void)
{
    return mpx_easy_new(NULL);
}

MPERF_API void mperf_easy_cleanup(mperf_easy *e)
{
    if (!mpx_easy_ok(e)) return;
    if (e->in_callback || (e->multi && e->multi->in_callback)) return; /* not from a callback */
    mpx_easy_free(e);
}

#if MPX_RAW
/* The connection CONNECT_ONLY kept, for mperf_easy_send/recv. */
static mperf_code mpx_raw_of(mperf_easy *e, const void *buf, size_t len, size_t *n, mpx_conn **c)
{
    if (n) *n = 0;
    if (!mpx_easy_ok(e) || !n || (!buf && len)) return MPERF_E_BAD_FUNCTION_ARGUMENT;
    if (e->in_callback || (e->multi && e->multi->in_callback)) return MPERF_E_RECURSIVE_API_CALL;
    if (!e->o.connect_only || !(*c = e->raw)) return MPERF_E_UNSUPPORTED_PROTOCOL; /* as libcurl: no such connection */
    return MPERF_E_OK;
}
#endif

MPERF_API mperf_code mperf_easy_send(mperf_easy *e, const void *buffer, size_t buflen, size_t *n)
{
#if MPX_RAW
    mpx_conn *c = NULL;
    int err = 0;
    long r;
    mperf_code rc = mpx_raw_of(e, buffer, buflen, n, &c);
    if (rc != MPERF_E_OK || !buflen) return rc;
    r = mpx_conn_send(c, (const char *)buffer, buflen, &err);
    if (r < 0) return MPERF_E_SEND_ERROR;
    if (r == 0) return MPERF_E_AGAIN;
    *n = (size_t)r;
    return MPERF_E_OK;
#else
    (void)e, (void)buffer, (void)buflen;
    if (n) *n = 0;
    return MPERF_E_NOT_BUILT_IN;
#endif
}

MPERF_API mperf_code mperf_easy_recv(mperf_easy *e, void *buffer, size_t buflen, size_t *n)
{
#if MPX_RAW
    mpx_conn *c = NULL;
    int err = 0;
    long r;
    mperf_code rc = mpx_raw_of(e, buffer, buflen, n, &c);
    if (rc != MPERF_E_OK || !buflen) return rc;
    if (c->rpos < c->rlen) { /* bytes the engine read before it let go of the connection */
        size_t k = MPX_MIN(buflen, c->rlen - c->rpos);
        memcpy(buffer, c->rbuf + c->rpos, k);
        c->rpos += k;
        *n = k;
        return MPERF_E_OK;
    }
    r = mpx_conn_recv(c, (char *)buffer, buflen, &err);
    if (r == -1) return MPERF_E_AGAIN;
    if (r < 0) return MPERF_E_RECV_ERROR;
    *n = (size_t)r;
    return MPERF_E_OK;
#else
    (void)e, (void)buffer, (void)buflen;
    if (n) *n = 0;
    return MPERF_E_NOT_BUILT_IN;
#endif
}

MPERF_API void mperf_easy_reset(mperf_easy *e)
{
    if (mpx_easy_ok(e)) mpx_easy_reset(e);
}

MPERF_API mperf_easy *mperf_easy_duphandle(mperf_easy *src)
{
    return mpx_easy_ok(src) ? mpx_easy_dup(src) : NULL; /* checked before any use of src, even &src->o */
}

MPERF_API mperf_code mperf_easy_setopt(mperf_easy *e, int option, ...)
{
    va_list ap;
    mperf_code rc;
    if (!mpx_easy_ok(e)) return MPERF_E_BAD_FUNCTION_ARGUMENT;
    va_start(ap, option);
    rc = mpx_setopt(e, option, ap);
    va_end(ap);
    return rc;
}

MPERF_API mperf_code mperf_easy_getinfo(mperf_easy *e, int info, ...)
{
    va_list ap;
    void *out;
    if (!mpx_easy_ok(e)) return MPERF_E_BAD_FUNCTION_ARGUMENT;
    va_start(ap, info);
    out = va_arg(ap, void *);
    va_end(ap);
    if (!out) return MPERF_E_BAD_FUNCTION_ARGUMENT;
    return mpx_getinfo(e, info, out);
}

/* The header API may be called from inside a callback (the header callback
   reading the fields so far): it only reads the handle. */
MPERF_API mperf_hcode mperf_easy_header(mperf_easy *e, const char *name, size_t index, unsigned int origin,
                                        int request, mperf_header **hout)
{
#if MPX_HEADER_API
    if (!mpx_easy_ok(e) || !name || !hout || !origin || origin > 31 || request < -1) return MPERF_HE_BAD_ARGUMENT;
    return mpx_easy_header(e, name, index, origin, request, hout);
#else
    (void)e, (void)name, (void)index, (void)origin, (void)request, (void)hout;
    return MPERF_HE_NOT_BUILT_IN;
#endif
}

MPERF_API mperf_header *mperf_easy_nextheader(mperf_easy *e, unsigned int origin, int request, mperf_header *prev)
{
#if MPX_HEADER_API
    if (!mpx_easy_ok(e) || !origin || origin > 31 || request < -1) return NULL;
    if (prev && prev != &e->hout) return NULL; /* not one of ours */
    return mpx_easy_nextheader(e, origin, request, prev);
#else
    (void)e, (void)origin, (void)request, (void)prev;
    return NULL;
#endif
}

MPERF_API mperf_code mperf_easy_perform(mperf_easy *e)
{
    if (!mpx_easy_ok(e)) return MPERF_E_BAD_FUNCTION_ARGUMENT;
    if (e->in_callback) return MPERF_E_RECURSIVE_API_CALL;
    if (e->multi) return e->multi->in_callback ? MPERF_E_RECURSIVE_API_CALL : MPERF_E_FAILED_INIT;
    return mpx_easy_perform(e);
}

MPERF_API mperf_code mperf_easy_pause(mperf_easy *e, int bitmask)
{
    if (!mpx_easy_ok(e)) return MPERF_E_BAD_FUNCTION_ARGUMENT;
    if (MPX_SOCKACT && e->multi && e->multi->in_event_cb) return MPERF_E_RECURSIVE_API_CALL;
    mpx_easy_pause(e, bitmask);
    if (MPX_SOCKACT && e->multi && !e->multi->in_callback) (void)mpx_timer_tell(e->multi); /* unpaused: due at once */
    return MPERF_E_OK;
}

MPERF_API const char *mperf_easy_strerror(mperf_code code)
{
    return mpx_errtext(mpx_easy_errtext, sizeof mpx_easy_errtext, (int)code);
}

#if MPX_COOKIES
MPERF_API mperf_share *mperf_share_init(void)
{
    mperf_share *sh = (mperf_share *)MPERF_MALLOC(sizeof *sh);
    if (!sh) return NULL;
    memset(sh, 0, sizeof *sh);
    sh->magic = MPX_MAGIC_SHARE;
    return sh;
}

/* SHARE / UNSHARE a kind of data (cookies are built in, and PSL changes
   nothing: the public suffixes are built in); the lock callbacks and their
   pointer. What is shared changes only while no handle uses the share. */
MPERF_API mperf_shcode mperf_share_setopt(mperf_share *sh, int option, ...)
{
    va_list ap;
    mperf_shcode rc = MPERF_SHE_OK;
    if (!sh || sh->magic != MPX_MAGIC_SHARE) return MPERF_SHE_INVALID;
    va_start(ap, option);
    switch (option) {
    case MPERF_SHOPT_SHARE:
    case MPERF_SHOPT_UNSHARE: {
        int what = va_arg(ap, int);
        if (sh->users) rc = MPERF_SHE_IN_USE;
        else if (what == MPERF_LOCK_DATA_COOKIE) sh->cookies = option == MPERF_SHOPT_SHARE;
        else if (what == MPERF_LOCK_DATA_DNS || what == MPERF_LOCK_DATA_SSL_SESSION || what == MPERF_LOCK_DATA_CONNECT)
            rc = option == MPERF_SHOPT_SHARE ? MPERF_SHE_NOT_BUILT_IN : MPERF_SHE_OK;
        else if (what != MPERF_LOCK_DATA_PSL && what != MPERF_LOCK_DATA_SHARE) rc = MPERF_SHE_BAD_OPTION;
        break;
    }
    case MPERF_SHOPT_LOCKFUNC: sh->lock = va_arg(ap, mperf_lock_function); break;
    case MPERF_SHOPT_UNLOCKFUNC: sh->unlock = va_arg(ap, mperf_unlock_function); break;
    case MPERF_SHOPT_USERDATA: sh->data = va_arg(ap, void *); break;
    default: rc = MPERF_SHE_BAD_OPTION; break;
    }
    va_end(ap);
    return rc;
}

MPERF_API mperf_shcode mperf_share_cleanup(mperf_share *sh)
{
    if (!sh) return MPERF_SHE_OK;
    if (sh->magic != MPX_MAGIC_SHARE) return MPERF_SHE_INVALID;
    if (sh->users) return MPERF_SHE_IN_USE;
    if (sh->jar) {
        mpx_jar *j = sh->jar;
        while (j->list) mpx_cookie_unlink(&sh->al, j, &j->list);
        mpx_free(&sh->al, j);
    }
    sh->magic = 0;
    MPERF_FREE(sh);
    return MPERF_SHE_OK;
}

MPERF_API const char *mperf_share_strerror(mperf_shcode code)
{
    static const char *const text[] = {"No error", "Unknown share option", "Share currently in use", "Invalid share handle",
                                       "Out of memory", "Feature not enabled in this library"};
    return (unsigned)code < sizeof text / sizeof text[0] ? text[code] : "CURLSHcode unknown";
}
#else /* cookies are all a share holds: without them there is none */
MPERF_API mperf_share *mperf_share_init(void)
{
    return NULL;
}

MPERF_API mperf_shcode mperf_share_setopt(mperf_share *sh, int option, ...)
{
    (void)sh;
    (void)option;
    return MPERF_SHE_NOT_BUILT_IN;
}

MPERF_API mperf_shcode mperf_share_cleanup(mperf_share *sh)
{
    (void)sh;
    return MPERF_SHE_OK;
}

MPERF_API const char *mperf_share_strerror(mperf_shcode code)
{
    (void)code;
    return mperf_easy_strerror(MPERF_E_NOT_BUILT_IN);
}
#endif

MPERF_API mperf_slist *mperf_slist_append(mperf_slist *list, const char *string)
{
    mperf_slist *node, *last;
    size_t n;
    if (!string) return NULL;
    n = strlen(string);
    node = (mperf_slist *)MPERF_MALLOC(sizeof *node);
    if (!node) return NULL;
    node->data = (char *)MPERF_MALLOC(n + 1);
    if (!node->data) {
        MPERF_FREE(node);
        return NULL;
    }
    memcpy(node->data, string, n + 1);
    node->next = NULL;
    if (!list) return node;
    for (last = list; last->next; last = last->next) {}
    last->next = node;
    return list;
}

MPERF_API void mperf_slist_free_all(mperf_slist *list)
{
    while (list) {
        mperf_slist *next = list->next;
        MPERF_FREE(list->data);
        MPERF_FREE(list);
        list = next;
    }
}

MPERF_API const char *mperf_version(void)
{
    return "multiperform/" MPERF_VERSION;
}

MPERF_API mperf_code mperf_global_init(long flags)
{
    (void)flags;
    return MPERF_E_OK;
}

MPERF_API void mperf_global_cleanup(void)
{
}

#endif /* MULTIPERFORM_IMPLEMENTATION */

/* ==================================================================== */
/* >>license: MIT                                                       */
/* ==================================================================== */
/*
Copyright (c) 2026 the multiperform authors

Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies
of the Software, and to permit persons to whom the Software is furnished to do
so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
*/
