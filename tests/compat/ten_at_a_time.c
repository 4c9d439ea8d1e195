/* Many downloads, at most MAX_PARALLEL at a time: each finished transfer is
   removed inside the info_read loop and a new one is added, libcurl style.
   Usage: ten_at_a_time BASEURL COUNT  (fetches BASEURL + "?n=<i>") */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PARALLEL 10

struct job {
  char url[512];
  size_t bytes;
};

static size_t write_cb(char *data, size_t n, size_t l, void *userp)
{
  struct job *j = (struct job *)userp;
  (void)data;
  j->bytes += n * l;
  return n * l;
}

static void add_transfer(CURLM *cm, struct job *j)
{
  CURL *eh = curl_easy_init();
  curl_easy_setopt(eh, CURLOPT_WRITEFUNCTION, write_cb);
  curl_easy_setopt(eh, CURLOPT_WRITEDATA, j);
  curl_easy_setopt(eh, CURLOPT_URL, j->url);
  curl_easy_setopt(eh, CURLOPT_PRIVATE, j);
  if(getenv("CAINFO")) /* a private CA for https tests */
    curl_easy_setopt(eh, CURLOPT_CAINFO, getenv("CAINFO"));
  curl_multi_add_handle(cm, eh);
}

int main(int argc, char **argv)
{
  CURLM *cm;
  CURLMsg *msg;
  int count, added = 0, left = -1, still_alive = 1, done = 0, bad = 0, i;
  struct job *jobs;
  long expect;
  if(argc < 4)
    return 2;
  count = atoi(argv[2]);
  expect = atol(argv[3]);
  jobs = calloc((size_t)count, sizeof(*jobs));
  for(i = 0; i < count; i++)
    snprintf(jobs[i].url, sizeof(jobs[i].url), "%s?n=%d", argv[1], i);
  curl_global_init(CURL_GLOBAL_ALL);
  cm = curl_multi_init();
  curl_multi_setopt(cm, CURLMOPT_MAXCONNECTS, (long)MAX_PARALLEL);
  for(added = 0; added < MAX_PARALLEL && added < count; added++)
    add_transfer(cm, &jobs[added]);
  do {
    curl_multi_perform(cm, &still_alive);
    while((msg = curl_multi_info_read(cm, &left))) {
      if(msg->msg == CURLMSG_DONE) {
        struct job *j;
        long code = 0;
        CURL *e = msg->easy_handle;
        curl_easy_getinfo(e, CURLINFO_PRIVATE, &j);
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
        if(msg->data.result != CURLE_OK || code != 200 || (long)j->bytes != expect) {
          fprintf(stderr, "%s: %s, code %ld, %lu bytes\n", j->url,
                  curl_easy_strerror(msg->data.result), code, (unsigned long)j->bytes);
          bad++;
        }
        done++;
        curl_multi_remove_handle(cm, e);
        curl_easy_cleanup(e);
      }
      if(added < count)
        add_transfer(cm, &jobs[added++]);
    }
    if(done < count)
      curl_multi_wait(cm, NULL, 0, 1000, NULL);
  } while(done < count);
  curl_multi_cleanup(cm);
  curl_global_cleanup();
  free(jobs);
  printf("%d transfers, %d bad\n", done, bad);
  return (done == count && !bad) ? 0 : 1;
}
