/* The HDF5 dump of `calib8 compare --dump` (layout in dump.c and docs/report.md). Internal. */
#ifndef C8_REPORTS_DUMP_H
#define C8_REPORTS_DUMP_H

#include "calib8/status.h"
#include "calib8/tensor.h"

#include <stdint.h>

typedef struct r_dump r_dump;

/* Starts "<path>.tmp.<pid>" for `images` images. *out is owned by the caller: r_dump_finish or
 * r_dump_abort releases it. */
c8_status r_dump_open(const char *path, int64_t images, r_dump **out, c8_error *err);
/* One batch of compared tensor idx: b images from image `first`, shape s (s->d[0] == b; other
 * tensors are skipped and counted), the FP32 values and the other engine's as float32. */
c8_status r_dump_add(r_dump *d, int idx, const c8_shape *s, int64_t first, int64_t b,
                     const float *ref, const float *x, c8_error *err);
/* Tensors skipped because their first dimension is not the batch. */
int64_t r_dump_skipped(const r_dump *d);

typedef struct r_dump_meta {
    int n_tensors;
    const char *const *tensors;       /* (n_tensors) ONNX names */
    const char *const *engine_values; /* (n_tensors) the INT8 engine's values */
    const char *const *forms;         /* (n_tensors) */
    const float *scales;              /* (n_tensors) int8 scales, 0 for float */
    int64_t n_images;
    const char *const *images; /* (n_images) */
    const char *model_sha256, *cache_sha256;
} r_dump_meta;

/* Writes the names and attributes, closes, fsyncs and renames into place; d is released
 * whatever the outcome (the temporary file is removed on failure). */
c8_status r_dump_finish(r_dump *d, const r_dump_meta *meta, c8_error *err);
void r_dump_abort(r_dump *d);

#endif
