/* A select() loop over curl_multi_fdset and curl_multi_timeout, the way older
   programs and RTOS ports drive libcurl. Usage: fdset_loop URL EXPECTED_BYTES */
#include <curl/curl.h>
#include <stdlib.h>
#include <sys/select.h>

static size_t sink(char *ptr, size_t size, size_t nmemb, void *userp)
{
  (void)ptr;
  *(long *)userp += (long)(size * nmemb);
  return size * nmemb;
}

int main(int argc, char **argv)
{
  CURLM *multi;
  CURL *h;
  int running = 1, rounds = 0, left;
  long got = 0;
  CURLMsg *msg;
  CURLcode result = CURLE_FAILED_INIT;
  if(argc < 3)
    return 2;
  multi = curl_multi_init();
  h = curl_easy_init();
  curl_easy_setopt(h, CURLOPT_URL, argv[1]);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &got);
  curl_multi_add_handle(multi, h);
  while(running && rounds++ < 100000) {
    fd_set fdread, fdwrite, fdexcep;
    int maxfd = -1;
    long timeo = -1;
    struct timeval timeout;
    curl_multi_perform(multi, &running);
    if(!running)
      break;
    FD_ZERO(&fdread);
    FD_ZERO(&fdwrite);
    FD_ZERO(&fdexcep);
    curl_multi_timeout(multi, &timeo);
    if(timeo < 0 || timeo > 1000)
      timeo = 1000;
    timeout.tv_sec = timeo / 1000;
    timeout.tv_usec = (timeo % 1000) * 1000;
    curl_multi_fdset(multi, &fdread, &fdwrite, &fdexcep, &maxfd);
    if(maxfd == -1) {
      struct timeval wait = {0, 100 * 1000};
      select(0, NULL, NULL, NULL, &wait);
    }
    else
      select(maxfd + 1, &fdread, &fdwrite, &fdexcep, &timeout);
  }
  while((msg = curl_multi_info_read(multi, &left)))
    if(msg->msg == CURLMSG_DONE)
      result = msg->data.result;
  curl_multi_remove_handle(multi, h);
  curl_easy_cleanup(h);
  curl_multi_cleanup(multi);
  printf("result %d, %ld bytes\n", (int)result, got);
  return (result == CURLE_OK && got == atol(argv[2])) ? 0 : 1;
}
