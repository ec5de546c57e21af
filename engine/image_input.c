/* c8_model_image_input / c8_engine_image_input: the single (N, C, H, W) float32 input that image
 * data sets (dataset.h) feed, with C, H and W known. Shared by the CLI (calibrate, eval, compare,
 * build --max-drift) and the Python package, which say the same thing about the same model. */
#include "calib8/engine.h"

#include "util/err.h"

static c8_status image_input(const char *what, int n_inputs, const char *in_name, c8_dtype dt,
                             c8_shape s, const char **name, int64_t *c, int64_t *h, int64_t *w,
                             c8_error *err) {
    if (n_inputs != 1)
        return c8_err(err, C8_ERR_UNSUPPORTED,
                      "%s: the model has %d inputs; image datasets feed single-input models", what,
                      n_inputs);
    *name = in_name;
    char sb[96];
    if (dt != C8_DT_FLOAT || s.rank != 4)
        return c8_err(err, C8_ERR_UNSUPPORTED,
                      "%s: input '%s' is %s %s; image datasets need a float32 N x C x H x W input",
                      what, *name, c8_dtype_name(dt), c8_shape_str(&s, sb, sizeof sb));
    if (s.d[1] < 0 || s.d[2] < 0 || s.d[3] < 0)
        return c8_err(err, C8_ERR_USAGE,
                      "%s: input '%s' has shape %s: give the missing extents with --shape "
                      "%s:NxCxHxW",
                      what, *name, c8_shape_str(&s, sb, sizeof sb), *name);
    *c = s.d[1];
    *h = s.d[2];
    *w = s.d[3];
    return C8_OK;
}

/* An input with an optimization profile: the extents after the batch that the model leaves
 * open take the profile's value: C its optimum; H and W (a range: every image keeps its own size
 * inside it, c8_model_image_range) the maximum, the largest image, which memory is planned for. */
static void at_profile(c8_shape *s, const c8_shape *opt, const c8_shape *max) {
    if (opt->rank != s->rank || max->rank != s->rank) return;
    for (int d = 1; d < s->rank; d++)
        if (s->d[d] < 0) s->d[d] = d >= 2 ? max->d[d] : opt->d[d];
}

c8_status c8_model_image_input(const c8_model *m, const char **name, int64_t *c, int64_t *h,
                               int64_t *w, c8_error *err) {
    const char *in;
    c8_dtype dt;
    c8_shape s;
    c8_model_input(m, 0, &in, &dt, &s);
    c8_shape opt, max;
    if (c8_model_input_profile(m, 0, NULL, &opt, &max)) at_profile(&s, &opt, &max);
    return image_input(c8_model_path(m), c8_model_num_inputs(m), in, dt, s, name, c, h, w, err);
}

c8_status c8_engine_image_input(const c8_engine *e, const char *what, const char **name, int64_t *c,
                                int64_t *h, int64_t *w, c8_error *err) {
    const char *in;
    c8_dtype dt;
    c8_shape s;
    c8_engine_input(e, 0, &in, &dt, &s);
    c8_shape opt, max;
    if (c8_engine_input_profile(e, 0, NULL, &opt, &max)) at_profile(&s, &opt, &max);
    return image_input(what, c8_engine_num_inputs(e), in, dt, s, name, c, h, w, err);
}

/* H (extent 2) or W (extent 3) open: the input's own shape leaves it dynamic (-1) and the
 * profile gives its range. */
static bool image_range(c8_shape s, bool prof, const c8_shape *lo, const c8_shape *hi,
                        int64_t *h_min, int64_t *h_max, int64_t *w_min, int64_t *w_max) {
    if (!prof || s.rank != 4 || lo->rank != 4 || hi->rank != 4 || (s.d[2] >= 0 && s.d[3] >= 0))
        return false;
    *h_min = lo->d[2];
    *h_max = hi->d[2];
    *w_min = lo->d[3];
    *w_max = hi->d[3];
    return true;
}

bool c8_engine_image_range(const c8_engine *e, int64_t *h_min, int64_t *h_max, int64_t *w_min,
                           int64_t *w_max) {
    c8_shape s, lo, hi;
    if (c8_engine_num_inputs(e) < 1) return false;
    c8_engine_input(e, 0, NULL, NULL, &s);
    bool prof = c8_engine_input_profile(e, 0, &lo, NULL, &hi);
    return image_range(s, prof, &lo, &hi, h_min, h_max, w_min, w_max);
}

bool c8_model_image_range(const c8_model *m, int64_t *h_min, int64_t *h_max, int64_t *w_min,
                          int64_t *w_max) {
    c8_shape s, lo, hi;
    if (c8_model_num_inputs(m) < 1) return false;
    c8_model_input(m, 0, NULL, NULL, &s);
    bool prof = c8_model_input_profile(m, 0, &lo, NULL, &hi);
    return image_range(s, prof, &lo, &hi, h_min, h_max, w_min, w_max);
}
