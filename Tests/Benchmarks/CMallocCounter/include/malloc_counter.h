#pragma once
#include <stdint.h>

/// Number of allocation calls (malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign) so far on
/// the calling thread. Only meaningful in an executable that links this target: its definitions of the malloc
/// family take precedence over libc's for every library in the process.
uint64_t cla_malloc_count(void);
