/* The EXAMPLE of libcurl's curl_multi_perform man page, as printed there,
   with the include it needs. It sets no URL, so its one transfer completes
   at once with an error and the loop ends. */
#include <curl/curl.h>

int main(void)
{
  int still_running;
  CURL *multi = curl_multi_init();
  CURL *curl = curl_easy_init();
  if(curl) {
    curl_multi_add_handle(multi, curl);
    do {
      CURLMcode mc = curl_multi_perform(multi, &still_running);

      if(!mc && still_running)
        /* wait for activity, timeout or "nothing" */
        mc = curl_multi_poll(multi, NULL, 0, 1000, NULL);

      if(mc) {
        fprintf(stderr, "curl_multi_poll() failed, code %d.\n", (int)mc);
        break;
      }

    /* if there are still transfers, loop! */
    } while(still_running);
  }
}
