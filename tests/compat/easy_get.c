/* curl_easy_perform with the usual options and getinfo calls.
   Usage: easy_get URL EXPECTED_BYTES */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

static size_t sink(void *ptr, size_t size, size_t nmemb, void *userp)
{
  (void)ptr;
  *(curl_off_t *)userp += (curl_off_t)(size * nmemb);
  return size * nmemb;
}

int main(int argc, char **argv)
{
  CURL *curl;
  CURLcode res;
  char errbuf[CURL_ERROR_SIZE];
  curl_off_t got = 0, dl = 0, total_us = 0;
  long code = 0;
  char *ct = NULL, *eff = NULL;
  struct curl_slist *headers = NULL;
  int ok;
  if(argc < 3)
    return 2;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  printf("using %s\n", curl_version());
  curl = curl_easy_init();
  if(!curl)
    return 1;
  headers = curl_slist_append(headers, "X-Test: compat");
  curl_easy_setopt(curl, CURLOPT_URL, argv[1]);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, sink);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &got);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "compat-test/1.0");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
  if(getenv("CAINFO")) /* a private CA for https tests */
    curl_easy_setopt(curl, CURLOPT_CAINFO, getenv("CAINFO"));
  res = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ct);
  curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &eff);
  curl_easy_getinfo(curl, CURLINFO_SIZE_DOWNLOAD_T, &dl);
  curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME_T, &total_us);
  printf("result %d (%s) code %ld type %s url %s size %" CURL_FORMAT_CURL_OFF_T " time %" CURL_FORMAT_CURL_OFF_T " us\n",
         (int)res, res ? errbuf : "ok", code, ct ? ct : "-", eff ? eff : "-", dl, total_us);
  ok = res == CURLE_OK && code == 200 && got == atol(argv[2]) && dl == got && eff && strcmp(eff, argv[1]) == 0;
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  curl_global_cleanup();
  return ok ? 0 : 1;
}
