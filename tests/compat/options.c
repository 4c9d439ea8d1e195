/* Options outside the supported subset answer CURLE_UNKNOWN_OPTION; the ones
   libcurl itself accepts and ignores for HTTP/1.1 are accepted. */
#include <curl/curl.h>

static int fails;
#define EXPECT(call, want)                                                  \
  do {                                                                      \
    int got_ = (int)(call);                                                 \
    if(got_ != (int)(want)) {                                               \
      fprintf(stderr, "%s: %d, expected %d\n", #call, got_, (int)(want));   \
      fails++;                                                              \
    }                                                                       \
  } while(0)

int main(void)
{
  CURL *c = curl_easy_init();
  CURLM *m = curl_multi_init();
  long l = 0;
  EXPECT(curl_easy_setopt(c, CURLOPT_HSTS, "hsts.txt"), CURLE_UNKNOWN_OPTION);
  EXPECT(curl_easy_setopt(c, CURLOPT_COOKIEFILE, ""), CURLE_OK);
  EXPECT(curl_easy_setopt(c, CURLOPT_SSLCERT, "x.pem"), CURLE_UNKNOWN_OPTION);
  EXPECT(curl_easy_setopt(c, CURLOPT_PIPEWAIT, 1L), CURLE_OK);
  EXPECT(curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L), CURLE_OK);
  EXPECT(curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS), CURLE_OK);
  EXPECT(curl_easy_setopt(c, CURLOPT_STREAM_WEIGHT, 10L), CURLE_OK);
  EXPECT(curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L), CURLE_OK);
  EXPECT(curl_multi_setopt(m, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX), CURLM_OK);
  EXPECT(curl_multi_setopt(m, CURLMOPT_MAX_PIPELINE_LENGTH, 5L), CURLM_OK);
  EXPECT(curl_multi_setopt(m, CURLMOPT_MAX_CONCURRENT_STREAMS, 100L), CURLM_OK);
  EXPECT(curl_multi_setopt(m, (CURLMoption)9999, 1L), CURLM_UNKNOWN_OPTION);
  EXPECT(curl_easy_getinfo(c, CURLINFO_FILETIME, &l), CURLE_UNKNOWN_OPTION);
  EXPECT(curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &l), CURLE_OK);
  EXPECT(curl_multi_add_handle(m, c), CURLM_OK);
  EXPECT(curl_multi_add_handle(m, c), CURLM_ADDED_ALREADY);
  EXPECT(curl_multi_remove_handle(m, c), CURLM_OK);
  curl_easy_cleanup(c);
  curl_multi_cleanup(m);
  printf("%d unexpected results\n", fails);
  return fails != 0;
}
