/* minimal_get.c - the smallest useful program: GET a URL, body to stdout.
   bench/run.sh builds it in each configuration and measures its code size.
   Built with -DMPERF_ARENA -DMINIMAL_ARENA=BYTES it is a program without a
   heap, as firmware often is: every byte the engine uses comes from a
   static arena of that size, and the default allocator gives nothing. */
#ifdef MINIMAL_ARENA
#define MPERF_MALLOC(n) ((void)(n), (void *)0)
#define MPERF_FREE(p) ((void)(p))
#endif
#define MULTIPERFORM_IMPLEMENTATION
#include "../multiperform.h"

#ifdef MINIMAL_ARENA
static long double arena_mem[MINIMAL_ARENA / sizeof(long double)];
#endif

int main(int argc, char **argv)
{
#ifdef MINIMAL_ARENA
    mperf_arena *a = mperf_arena_init(arena_mem, sizeof arena_mem);
    mperf_easy *e = a ? mperf_easy_init_alloc(mperf_arena_allocator(a)) : NULL;
#else
    mperf_easy *e = mperf_easy_init();
#endif
    int rc;
    if (argc < 2 || !e) return 2;
    mperf_easy_setopt(e, MPERF_OPT_URL, argv[1]);
    rc = (int)mperf_easy_perform(e);
    mperf_easy_cleanup(e);
    return rc;
}
