/* Internal access to an opened c8_dataset for the loader and the bench: reading one selected
 * item (file bytes decoded, or an HDF5 row) into a form the preprocessing reads. */
#ifndef C8_DATASETS_SOURCE_H
#define C8_DATASETS_SOURCE_H

#include "calib8/dataset.h"
#include "datasets/preprocess.h"

#include <stddef.h>

/* Per-thread buffers for c8_dataset_read_item; zero-initialise, free with c8_item_buf_free. */
typedef struct c8_item_buf {
    c8_image img; /* the last decoded image (file sources) */
    void *row;    /* the last HDF5 row */
    size_t row_cap;
    char *path; /* the last item's display path ("root/cat/1.png", "data.h5:/images[3]") */
} c8_item_buf;

void c8_item_buf_free(c8_item_buf *b);

/* Reads selected item i (0 <= i < count): *src points into b until the next call. On failure the
 * message names the file (and list line for list sources). b->path is set in both cases. The
 * dataset may be read from several threads, each with its own buffer. */
c8_status c8_dataset_read_item(const c8_dataset *ds, int64_t i, c8_item_buf *b, c8_src_image *src,
                               c8_error *err);

/* The splitmix64 generator and the Fisher-Yates shuffle used for selection (documented in
 * datasets/README.md so other tools can reproduce an order). */
uint64_t c8_splitmix64(uint64_t *state);
void c8_shuffle_i64(int64_t *v, int64_t n, uint64_t seed);

#endif
