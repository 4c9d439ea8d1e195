/* The man page's loop with a URL: the body goes to stdout through libcurl's
   default write callback. Usage: seed_with_url URL > out */
#include <curl/curl.h>

int main(int argc, char **argv)
{
  int still_running = 0;
  CURLM *multi;
  CURL *curl;
  CURLMsg *msg;
  int left;
  int result = 1;
  if(argc < 2)
    return 2;
  curl_global_init(CURL_GLOBAL_ALL);
  multi = curl_multi_init();
  curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, argv[1]);
  curl_multi_add_handle(multi, curl);
  do {
    CURLMcode mc = curl_multi_perform(multi, &still_running);
    if(!mc && still_running)
      mc = curl_multi_poll(multi, NULL, 0, 1000, NULL);
    if(mc) {
      fprintf(stderr, "curl_multi_poll() failed, code %d.\n", (int)mc);
      break;
    }
  } while(still_running);
  while((msg = curl_multi_info_read(multi, &left))) {
    if(msg->msg == CURLMSG_DONE) {
      fprintf(stderr, "done: %s\n", curl_easy_strerror(msg->data.result));
      result = msg->data.result != CURLE_OK;
    }
  }
  curl_multi_remove_handle(multi, curl);
  curl_easy_cleanup(curl);
  curl_multi_cleanup(multi);
  curl_global_cleanup();
  return result;
}
