/* Greedy interval packing for the activation arena; see memplan.h. */
#include "engine/exec/memplan.h"

#include "util/arith.h"

#include <stdlib.h>

typedef struct {
    const c8_mem_block *blocks;
    int idx;
} order_item;

static int cmp_items(const void *pa, const void *pb) {
    const order_item *a = pa, *b = pb;
    size_t sa = a->blocks[a->idx].size, sb = b->blocks[b->idx].size;
    if (sa != sb) return sa < sb ? 1 : -1;
    return a->idx - b->idx; /* stable tie-break keeps the plan deterministic */
}

size_t c8_memplan(c8_mem_block *blocks, int n, size_t align, int *overflow) {
    *overflow = 0;
    if (n <= 0) return 0;
    order_item *ord = malloc((size_t)n * sizeof *ord);
    int *placed = malloc((size_t)n * sizeof *placed);
    if (!ord || !placed) {
        free(ord);
        free(placed);
        *overflow = 1;
        return 0;
    }
    for (int i = 0; i < n; i++) ord[i] = (order_item){blocks, i};
    qsort(ord, (size_t)n, sizeof *ord, cmp_items);
    size_t total = 0;
    int np = 0;
    for (int oi = 0; oi < n; oi++) {
        c8_mem_block *b = &blocks[ord[oi].idx];
        size_t sz;
        if (!c8_align_size(b->size ? b->size : 1, align, &sz)) {
            *overflow = 1;
            break;
        }
        /* Lowest offset that fits between the blocks whose live ranges intersect ours. */
        size_t best = 0;
        for (int j = 0; j < np; j++) { /* placed[] is kept sorted by offset */
            const c8_mem_block *p = &blocks[placed[j]];
            if (p->last < b->first || p->first > b->last) continue;
            if (best + sz <= p->offset) break;
            size_t end;
            if (!c8_align_size(p->offset + p->size, align, &end)) end = (size_t)-1;
            if (end > best) best = end;
        }
        b->offset = best;
        int pos = np;
        while (pos > 0 && blocks[placed[pos - 1]].offset > best) {
            placed[pos] = placed[pos - 1];
            pos--;
        }
        placed[pos] = ord[oi].idx;
        np++;
        size_t end;
        if (!c8_add_size(best, sz, &end)) {
            *overflow = 1;
            break;
        }
        if (end > total) total = end;
    }
    free(ord);
    free(placed);
    return *overflow ? 0 : total;
}
