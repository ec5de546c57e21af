/* Internal preprocessing entry point shared by c8_preprocess_apply, the loader and the bench:
 * sources in either layout (decoded uint8 HWC, or HDF5 float32 CHW) and reusable scratch.
 * Semantics: include/calib8/dataset.h ("Preprocessing"); reference: tests/datasets/. */
#ifndef C8_DATASETS_PREPROCESS_H
#define C8_DATASETS_PREPROCESS_H

#include "calib8/dataset.h"

#include <stddef.h>
#include <stdint.h>

/* An image to preprocess: exactly one of u8 / f32 is set. c counts stored channels: 1 gray,
 * 2 gray+alpha, 3 RGB, 4 RGBA (alpha is dropped). */
typedef struct c8_src_image {
    int64_t h, w, c;
    const uint8_t *u8; /* (h, w, c) uint8 */
    const float *f32;  /* (c, h, w) float32 */
} c8_src_image;

/* Buffers reused from image to image (one per thread); zero-initialise, free with
 * c8_pre_scratch_free. */
typedef struct c8_pre_scratch {
    float *planes; /* (k, rows, cols) float32: the source's colour planes (or its crop window) */
    size_t planes_cap;
    int64_t *xo; /* (W) left source column of each output column */
    float *xw;   /* (W) weight of the right column */
    size_t xo_cap, xw_cap;
} c8_pre_scratch;

void c8_pre_scratch_free(c8_pre_scratch *s);

/* Preprocesses src into out: (c, h, w) float32. `name` names the image in messages. p must have
 * passed c8_preprocess_check for (c, h, w). */
c8_status c8_preprocess_run(const c8_preprocess *p, const c8_src_image *src, const char *name,
                            int64_t c, int64_t h, int64_t w, float *out, c8_pre_scratch *s,
                            c8_error *err);

/* c8_preprocess_check for a target whose H and W may each be anything in a range (the loader
 * over an optimization profile): everything but the sizes, which are checked per image. */
c8_status c8_preprocess_check_range(const c8_preprocess *p, int64_t c, int64_t h_min, int64_t h_max,
                                    int64_t w_min, int64_t w_max, c8_error *err);

/* The size after the resize step (with round_multiple) for a (h, w) image: (*rh, *rw). False
 * when it would be empty or overflow. */
int c8_preprocess_resized_size(const c8_preprocess *p, int64_t h, int64_t w, int64_t *rh,
                               int64_t *rw);

#endif
