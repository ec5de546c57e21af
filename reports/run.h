/* Running engines over images for the report drivers: the model's image input, images held in
 * memory (the layer subset), logits of an engine over them, and streaming a data set through
 * a loader. Internal to reports/. */
#ifndef C8_REPORTS_RUN_H
#define C8_REPORTS_RUN_H

#include "calib8/dataset.h"
#include "calib8/engine.h"

#include <stdbool.h>
#include <stdint.h>

/* The engine's single image input: name and (C, H, W); *batch is the fixed batch extent or 0
 * when it is dynamic. what names the model in messages. With dynamic H and W (a profile's
 * range, c8_engine_image_range) H and W are the largest, and the profile's batch range must
 * start at 1 (a size change ends a batch). */
c8_status r_image_input(const c8_engine *e, const char *what, const char **name, int64_t *c,
                        int64_t *h, int64_t *w, int64_t *batch, c8_error *err);

/* A loader for e's image input: ranged (every image its own size) when e's profile leaves H
 * or W open, else of (c, h, w). e may be NULL (fixed). */
c8_status r_loader_create(const c8_engine *e, const c8_dataset *ds, const c8_preprocess *pre,
                          const c8_loader_opts *lo, int64_t c, int64_t h, int64_t w,
                          c8_loader **out, c8_error *err);

/* The first n images of a data set, preprocessed, in memory at one size: (c, h, w), or where
 * m's H and W are dynamic (a profile's range) the size they all have after preprocessing (h, w
 * are then set from the images; images of different sizes are refused, naming two of them and
 * the ways out). m may be NULL (fixed). */
typedef struct r_images {
    int64_t n, c, h, w;
    float *data;     /* (n, c, h, w) float32 */
    int64_t *labels; /* (n), -1 when unlabeled */
    int64_t *ids;    /* (n) manifest index */
} r_images;

/* Loads the first n images of ds (through a loader with lo's options; the loader is gone when
 * this returns, so HDF5 is free for the caller afterwards). */
c8_status r_images_load(const c8_model *m, const c8_dataset *ds, const c8_preprocess *pre,
                        const c8_loader_opts *lo, int64_t n, int64_t c, int64_t h, int64_t w,
                        r_images *out, c8_error *err);
void r_images_free(r_images *im);

/* Batch size for runs over r_images: min(want, 8) for a dynamic batch (observed runs keep every
 * tensor of a batch alive), the fixed extent otherwise (n must then be a multiple of it). */
int64_t r_layer_batch(int64_t want, int64_t fixed);

/* Output 0 of the last run of ctx as (n, k) float32 (k = elements / n). */
c8_status r_output_logits(c8_context *ctx, int64_t n, const float **data, int64_t *k,
                          c8_error *err);

/* Runs ctx over im in batches of b; *logits is malloc'd (n, *k), caller frees. */
c8_status r_logits(c8_context *ctx, const char *in_name, const r_images *im, int64_t b,
                   float **logits, int64_t *k, c8_error *err);

/* Streams the first `count` images of ds (-1: all) through a loader and calls fn per batch. */
typedef c8_status (*r_batch_fn)(void *user, const c8_batch *b, c8_error *err);
c8_status r_stream(const c8_engine *e, const c8_dataset *ds, const c8_preprocess *pre,
                   const c8_loader_opts *lo, int64_t count, int64_t c, int64_t h, int64_t w,
                   const char *what, c8_progress_mode pm, r_batch_fn fn, void *user, c8_error *err);

/* Engines used by the drivers. */
c8_status r_build(const c8_model *m, const c8_build_options *bo, c8_engine **e, c8_context **ctx,
                  c8_error *err);

#endif
