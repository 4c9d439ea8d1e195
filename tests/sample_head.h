/* tests/sample_head.h - the response head the parser is timed with
   (bench/parser.c) and proved linear on (tests/test_parser.c): 430 bytes,
   13 fields, the way nginx answers a GET. */
#ifndef MPT_SAMPLE_HEAD_H
#define MPT_SAMPLE_HEAD_H
static const char sample_head[] =
    "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Fri, 27 Nov 2026 01:33:09 GMT\r\n"
    "Content-Type: text/html; charset=utf-8\r\nContent-Length: 0\r\nLast-Modified: Thu, 26 Nov 2026 10:00:00 GMT\r\n"
    "Connection: keep-alive\r\nETag: \"6565a1b2-1a2b\"\r\nAccept-Ranges: bytes\r\nCache-Control: max-age=3600\r\n"
    "X-Frame-Options: SAMEORIGIN\r\nX-Content-Type-Options: nosniff\r\nVary: Accept-Encoding\r\n"
    "Strict-Transport-Security: max-age=31536000; includeSubDomains\r\n\r\n";
#endif
