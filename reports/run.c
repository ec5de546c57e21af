/* Engine runs over images for the report drivers (see run.h). */
#include "reports/run.h"

#include "util/err.h"

#include <stdlib.h>
#include <string.h>

#define R_LAYER_BATCH_MAX 8

c8_status r_image_input(const c8_engine *e, const char *what, const char **name, int64_t *c,
                        int64_t *h, int64_t *w, int64_t *batch, c8_error *err) {
    const char *in;
    c8_dtype dt;
    c8_shape s;
    if (c8_engine_num_inputs(e) != 1)
        return c8_err(err, C8_ERR_UNSUPPORTED,
                      "%s: the model has %d inputs; reports need one "
                      "image input",
                      what, c8_engine_num_inputs(e));
    c8_engine_input(e, 0, &in, &dt, &s);
    if (dt != C8_DT_FLOAT || s.rank != 4)
        return c8_err(err, C8_ERR_UNSUPPORTED,
                      "%s: input '%s' is not a 4-D float32 (N, C, H, W) "
                      "image tensor",
                      what, in);
    int64_t h0, h1, w0, w1;
    const bool ranged = c8_engine_image_range(e, &h0, &h1, &w0, &w1);
    if (ranged) { /* a profile's range: the largest image, for memory */
        s.d[2] = h1;
        s.d[3] = w1;
    }
    if (s.d[1] <= 0 || s.d[2] <= 0 || s.d[3] <= 0)
        return c8_err(err, C8_ERR_SHAPE, "%s: input '%s' has dynamic C, H or W; give --shape", what,
                      in);
    c8_shape lo;
    if (ranged && c8_engine_input_profile(e, 0, &lo, NULL, NULL) && lo.d[0] > 1)
        return c8_err(err, C8_ERR_USAGE,
                      "%s: input '%s' has dynamic H and W, so images of one size make batches of "
                      "any size from 1, but the profile's batch range starts at %lld (give "
                      "--shape %s:1..)",
                      what, in, (long long)lo.d[0], in);
    *name = in;
    *c = s.d[1];
    *h = s.d[2];
    *w = s.d[3];
    *batch = s.d[0] > 0 ? s.d[0] : 0;
    return C8_OK;
}

c8_status r_loader_create(const c8_engine *e, const c8_dataset *ds, const c8_preprocess *pre,
                          const c8_loader_opts *lo, int64_t c, int64_t h, int64_t w,
                          c8_loader **out, c8_error *err) {
    int64_t h0, h1, w0, w1;
    if (e && c8_engine_image_range(e, &h0, &h1, &w0, &w1))
        return c8_loader_create_ranged(ds, pre, c, h0, h1, w0, w1, lo, out, err);
    return c8_loader_create(ds, pre, c, h, w, lo, out, err);
}

void r_images_free(r_images *im) {
    free(im->data);
    free(im->labels);
    free(im->ids);
    memset(im, 0, sizeof *im);
}

c8_status r_images_load(const c8_model *m, const c8_dataset *ds, const c8_preprocess *pre,
                        const c8_loader_opts *lo, int64_t n, int64_t c, int64_t h, int64_t w,
                        r_images *out, c8_error *err) {
    memset(out, 0, sizeof *out);
    int64_t h0, h1, w0, w1;
    /* dynamic H and W: the images are held at the size they have after preprocessing, which
     * must be one size for all of them (the engines' observers compare tensors batch by batch,
     * and the logits are rows of one length) */
    const bool ranged = m && c8_model_image_range(m, &h0, &h1, &w0, &w1);
    int64_t total = c8_dataset_count(ds);
    if (n < 0 || n > total) n = total;
    out->c = c, out->h = h, out->w = w;
    out->labels = malloc((size_t)(n ? n : 1) * sizeof(int64_t));
    out->ids = malloc((size_t)(n ? n : 1) * sizeof(int64_t));
    if (!ranged) out->data = malloc((size_t)(n ? n : 1) * (size_t)(c * h * w) * sizeof(float));
    if ((!ranged && !out->data) || !out->labels || !out->ids) {
        r_images_free(out);
        return c8_err(err, C8_ERR_NOMEM, "out of memory for %lld images", (long long)n);
    }
    c8_loader_opts o = *lo;
    o.first = 0;
    o.count = n;
    c8_loader *ld = NULL;
    c8_status s = C8_OK;
    if (n)
        s = ranged ? c8_loader_create_ranged(ds, pre, c, h0, h1, w0, w1, &o, &ld, err)
                   : c8_loader_create(ds, pre, c, h, w, &o, &ld, err);
    while (s == C8_OK && ld) {
        const c8_batch *b;
        s = c8_loader_next(ld, &b, err);
        if (s != C8_OK || !b) break;
        if (ranged && !out->data) { /* the first batch sets the size */
            out->h = b->h;
            out->w = b->w;
            out->data = malloc((size_t)n * (size_t)(c * b->h * b->w) * sizeof(float));
            if (!out->data) {
                s = c8_err(err, C8_ERR_NOMEM, "out of memory for %lld images", (long long)n);
                break;
            }
        }
        if (b->h != out->h || b->w != out->w) {
            char a[1024], z[1024];
            s = c8_err(err, C8_ERR_UNSUPPORTED,
                       "the per-layer comparison, the sensitivity ranking and the fallback "
                       "search's ranking hold their %lld images in memory at one size, but with "
                       "dynamic H and W they differ: %s is %lldx%lld after preprocessing, %s "
                       "%lldx%lld (give these images one size, e.g. a --resize to a fixed HxW, "
                       "or pin H and W with --shape; compare: or --layer-images 0)",
                       (long long)n, c8_dataset_where(ds, out->ids[0], a, sizeof a),
                       (long long)out->h, (long long)out->w,
                       c8_dataset_where(ds, b->ids[0], z, sizeof z), (long long)b->h,
                       (long long)b->w);
            break;
        }
        size_t per = (size_t)(c * out->h * out->w);
        int64_t k = b->n;
        if (out->n + k > n) k = n - out->n;
        memcpy(out->data + (size_t)out->n * per, b->data, (size_t)k * per * sizeof(float));
        memcpy(out->labels + out->n, b->labels, (size_t)k * sizeof(int64_t));
        memcpy(out->ids + out->n, b->ids, (size_t)k * sizeof(int64_t));
        out->n += k;
    }
    c8_loader_destroy(ld);
    if (s == C8_OK && !out->data) { /* no image: an empty set, as without dynamic H and W */
        out->data = malloc(sizeof(float));
        if (!out->data) s = c8_err(err, C8_ERR_NOMEM, "out of memory");
    }
    if (s != C8_OK) r_images_free(out);
    return s;
}

int64_t r_layer_batch(int64_t want, int64_t fixed) {
    if (fixed > 0) return fixed;
    if (want < 1) want = 1;
    return want < R_LAYER_BATCH_MAX ? want : R_LAYER_BATCH_MAX;
}

c8_status r_output_logits(c8_context *ctx, int64_t n, const float **data, int64_t *k,
                          c8_error *err) {
    c8_host_tensor out;
    C8_TRY(c8_context_output(ctx, 0, &out, err));
    int64_t numel = c8_shape_numel(&out.shape);
    if (out.dtype != C8_DT_FLOAT || out.shape.rank < 1 || out.shape.d[0] != n || numel < n || n < 1)
        return c8_err(err, C8_ERR_SHAPE, "output '%s' is not (N, classes) float32", out.name);
    *data = out.data;
    *k = numel / n;
    return C8_OK;
}

c8_status r_logits(c8_context *ctx, const char *in_name, const r_images *im, int64_t b,
                   float **logits, int64_t *k, c8_error *err) {
    *logits = NULL;
    *k = 0;
    size_t per = (size_t)(im->c * im->h * im->w);
    float *all = NULL;
    for (int64_t i = 0; i < im->n; i += b) {
        int64_t nb = im->n - i < b ? im->n - i : b;
        c8_host_tensor in = {
            in_name, C8_DT_FLOAT, {4, {nb, im->c, im->h, im->w}}, im->data + (size_t)i * per};
        const float *o;
        int64_t kk;
        c8_status s = c8_context_run(ctx, &in, 1, err);
        if (s == C8_OK) s = r_output_logits(ctx, nb, &o, &kk, err);
        if (s == C8_OK && !all) {
            *k = kk;
            all = malloc((size_t)(im->n * kk) * sizeof(float));
            if (!all) s = c8_err(err, C8_ERR_NOMEM, "out of memory");
        }
        if (s == C8_OK && kk != *k) s = c8_err(err, C8_ERR_SHAPE, "output size changed");
        if (s != C8_OK) {
            free(all);
            return s;
        }
        memcpy(all + (size_t)(i * kk), o, (size_t)(nb * kk) * sizeof(float));
    }
    *logits = all;
    return C8_OK;
}

c8_status r_stream(const c8_engine *e, const c8_dataset *ds, const c8_preprocess *pre,
                   const c8_loader_opts *lo, int64_t count, int64_t c, int64_t h, int64_t w,
                   const char *what, c8_progress_mode pm, r_batch_fn fn, void *user,
                   c8_error *err) {
    c8_loader_opts o = *lo;
    o.first = 0;
    o.count = count;
    int64_t total = count >= 0 && count < c8_dataset_count(ds) ? count : c8_dataset_count(ds);
    c8_loader *ld = NULL;
    c8_progress *prog = NULL;
    int64_t done = 0;
    c8_status s = r_loader_create(e, ds, pre, &o, c, h, w, &ld, err);
    if (s == C8_OK) s = c8_progress_create(what, "img", total, pm, NULL, &prog, err);
    while (s == C8_OK) {
        const c8_batch *b;
        s = c8_loader_next(ld, &b, err);
        if (s != C8_OK || !b) break;
        s = fn(user, b, err);
        done += b->n;
        c8_progress_update(prog, done);
    }
    if (s == C8_OK) c8_progress_finish(prog);
    c8_progress_destroy(prog);
    c8_loader_destroy(ld);
    return s;
}

c8_status r_build(const c8_model *m, const c8_build_options *bo, c8_engine **e, c8_context **ctx,
                  c8_error *err) {
    *e = NULL;
    *ctx = NULL;
    c8_status s = c8_engine_build(m, bo, e, err);
    if (s == C8_OK) s = c8_context_create(*e, ctx, err);
    if (s != C8_OK) {
        c8_engine_destroy(*e);
        *e = NULL;
    }
    return s;
}
