/* PUT with libcurl's default read callback: the body comes from stdin and
   the response goes to stdout. Usage: upload_stdin URL [SIZE] < file */
#include <curl/curl.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
  CURL *curl;
  CURLcode res;
  if(argc < 2)
    return 2;
  curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, argv[1]);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  if(argc > 2)
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)atol(argv[2]));
  res = curl_easy_perform(curl);
  curl_easy_cleanup(curl);
  if(res != CURLE_OK)
    fprintf(stderr, "upload failed: %s\n", curl_easy_strerror(res));
  return res != CURLE_OK;
}
