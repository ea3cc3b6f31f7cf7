// Counts allocations for the benchmarks by interposing the malloc family and forwarding to glibc's own entry
// points (__libc_*). Written by hand because the benchmark packages on the mirror would pull in jemalloc or a
// package plugin for what is twenty lines here. Linked only into benchmark executables.
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include "malloc_counter.h"

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void __libc_free(void *pointer);

// Per thread, so that counting is a plain increment: an atomic read-modify-write (a locked instruction, about
// 20 cycles) on each of the ~600 allocations of a report decode would add several microseconds to the times
// measured alongside. The benchmarks count on the thread that runs them.
static _Thread_local uint64_t allocations;

uint64_t cla_malloc_count(void) { return allocations; }

static inline void count(void) { allocations += 1; }

void *malloc(size_t size) { count(); return __libc_malloc(size); }
void *calloc(size_t n, size_t size) { count(); return __libc_calloc(n, size); }
void *realloc(void *pointer, size_t size) { count(); return __libc_realloc(pointer, size); }
void free(void *pointer) { __libc_free(pointer); }
void *memalign(size_t alignment, size_t size) { count(); return __libc_memalign(alignment, size); }
void *aligned_alloc(size_t alignment, size_t size) { count(); return __libc_memalign(alignment, size); }

int posix_memalign(void **out, size_t alignment, size_t size) {
    count();
    void *pointer = __libc_memalign(alignment, size);
    if (pointer == NULL) return ENOMEM;
    *out = pointer;
    return 0;
}
