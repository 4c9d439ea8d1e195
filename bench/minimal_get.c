/* minimal_get.c - the smallest useful program: GET a URL, body to stdout.
   bench/run.sh builds it in each configuration and measures its code size. */
#define MULTIPERFORM_IMPLEMENTATION
#include "../multiperform.h"

int main(int argc, char **argv)
{
    mperf_easy *e = mperf_easy_init();
    int rc;
    if (argc < 2 || !e) return 2;
    mperf_easy_setopt(e, MPERF_OPT_URL, argv[1]);
    rc = (int)mperf_easy_perform(e);
    mperf_easy_cleanup(e);
    return rc;
}
