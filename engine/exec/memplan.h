/* Activation memory planning: tensors with known sizes and live ranges (first and last step
 * that touches them) get offsets in one arena so that tensors alive at the same time never
 * overlap. Greedy by decreasing size, first fit; deterministic. Used by the CPU and CUDA
 * runtimes. */
#ifndef C8_ENGINE_MEMPLAN_H
#define C8_ENGINE_MEMPLAN_H

#include <stddef.h>

typedef struct c8_mem_block {
    size_t size;   /* bytes */
    int first;     /* first step using it */
    int last;      /* last step using it (inclusive) */
    size_t offset; /* out: byte offset in the arena */
} c8_mem_block;

/* Assigns offsets (aligned to `align`, a power of two); returns the arena size, or 0 with
 * *overflow set when sizes overflow. */
size_t c8_memplan(c8_mem_block *blocks, int n, size_t align, int *overflow);

#endif
