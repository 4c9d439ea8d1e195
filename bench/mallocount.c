/* mallocount.c - LD_PRELOAD shim counting heap allocations (glibc). The
   benchmark reads the count through bench_mallocs(). */
#include <stddef.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static unsigned long count;

unsigned long bench_mallocs(void);
unsigned long bench_mallocs(void) { return __atomic_load_n(&count, __ATOMIC_RELAXED); }

void *malloc(size_t n)
{
    __atomic_add_fetch(&count, 1, __ATOMIC_RELAXED);
    return __libc_malloc(n);
}

void *calloc(size_t a, size_t b)
{
    __atomic_add_fetch(&count, 1, __ATOMIC_RELAXED);
    return __libc_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
    __atomic_add_fetch(&count, 1, __ATOMIC_RELAXED);
    return __libc_realloc(p, n);
}

void *memalign(size_t a, size_t n)
{
    __atomic_add_fetch(&count, 1, __ATOMIC_RELAXED);
    return __libc_memalign(a, n);
}

int posix_memalign(void **out, size_t a, size_t n)
{
    void *p = memalign(a, n);
    if (!p) return 12;
    *out = p;
    return 0;
}

void *aligned_alloc(size_t a, size_t n) { return memalign(a, n); }
