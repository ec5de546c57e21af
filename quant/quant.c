/* Build-time INT8 quantization: scale validation, per-channel weight scales and int8 weights,
 * int32 biases, float32 multipliers and fused-activation parameters. The rules are in
 * include/calib8/quant.h (and docs/int8-semantics.md); tests in tests/quant/test_quant.c. */
#include "calib8/quant.h"

#include "util/err.h"

#include <float.h>
#include <math.h>
#include <stdint.h>

#if !defined(FLT_EVAL_METHOD) || FLT_EVAL_METHOD != 0
#error "calib8 INT8 semantics need FLT_EVAL_METHOD == 0 (float ops rounded to float)"
#endif

#define NAME(n) ((n) ? (n) : "?")

/* A positive, normal, finite float: what every scale and multiplier must be. */
static int is_pos_normal(float v) { return v >= FLT_MIN && v <= FLT_MAX; }

c8_status c8_quant_check_scale(const char *name, float s, c8_error *err) {
    if (!is_pos_normal(s))
        return c8_err(err, C8_ERR_INVALID,
                      "tensor '%s': scale %.9g is not a positive finite number >= %.9g "
                      "(zero, infinite, NaN or subnormal scales cannot quantize)",
                      NAME(name), (double)s, (double)FLT_MIN);
    return C8_OK;
}

c8_status c8_quant_check_reduce_len(const char *name, int64_t k, c8_error *err) {
    if (k < 1 || k > C8_QUANT_MAX_K)
        return c8_err(err, C8_ERR_LIMIT,
                      "layer '%s': reduction length K=%lld is outside [1, %d]: 127*127*K must "
                      "fit int32 accumulation (split the reduction or run the layer in float)",
                      NAME(name), (long long)k, C8_QUANT_MAX_K);
    return C8_OK;
}

c8_status c8_quant_check_pool_count(const char *name, int64_t count, c8_error *err) {
    if (count < 1 || count > C8_QUANT_MAX_POOL_COUNT)
        return c8_err(err, C8_ERR_LIMIT,
                      "layer '%s': pooling window of %lld elements is outside [1, %d]: 127*count "
                      "must fit int32 accumulation",
                      NAME(name), (long long)count, C8_QUANT_MAX_POOL_COUNT);
    return C8_OK;
}

int32_t c8_quant_bias_limit(int64_t k) {
    C8_ASSERT(k >= 1 && k <= C8_QUANT_MAX_K);
    return (int32_t)(INT32_MAX - (int64_t)C8_QMAX * C8_QMAX * k);
}

static c8_status check_view(const char *name, int64_t outer, int64_t channels, int64_t inner,
                            c8_error *err) {
    if (outer < 1 || channels < 1 || inner < 1 || outer > INT64_MAX / channels ||
        outer * channels > INT64_MAX / inner)
        return c8_err(err, C8_ERR_SHAPE,
                      "tensor '%s': invalid weight view (outer %lld, channels %lld, inner %lld)",
                      NAME(name), (long long)outer, (long long)channels, (long long)inner);
    return C8_OK;
}

static c8_status bad_weight(const char *name, float v, int64_t ch, int64_t idx, c8_error *err) {
    return c8_err(err, C8_ERR_INVALID, "tensor '%s': weight %s at channel %lld (flat index %lld)",
                  NAME(name), v != v ? "is NaN" : "is infinite", (long long)ch, (long long)idx);
}

c8_status c8_quant_weight_scales(const char *name, const float *w, int64_t outer, int64_t channels,
                                 int64_t inner, float *scales, int64_t *n_zero_channels,
                                 c8_error *err) {
    C8_TRY(check_view(name, outer, channels, inner, err));
    for (int64_t k = 0; k < channels; k++) scales[k] = 0.0f; /* running absmax */
    for (int64_t o = 0; o < outer; o++)
        for (int64_t k = 0; k < channels; k++) {
            const float *row = w + (o * channels + k) * inner;
            float m = scales[k];
            for (int64_t i = 0; i < inner; i++) {
                float v = row[i];
                if (!isfinite(v))
                    return bad_weight(name, v, k, (o * channels + k) * inner + i, err);
                float a = fabsf(v);
                if (a > m) m = a;
            }
            scales[k] = m;
        }
    int64_t zeros = 0;
    for (int64_t k = 0; k < channels; k++) {
        float s = scales[k] / 127.0f;
        if (s < FLT_MIN) { /* all-zero channel, or one so tiny its scale would be subnormal */
            s = 1.0f;
            zeros++;
        }
        scales[k] = s;
    }
    if (n_zero_channels) *n_zero_channels = zeros;
    return C8_OK;
}

c8_status c8_quant_weights(const char *name, const float *w, int64_t outer, int64_t channels,
                           int64_t inner, const float *scales, int8_t *q, c8_error *err) {
    C8_TRY(check_view(name, outer, channels, inner, err));
    for (int64_t k = 0; k < channels; k++)
        if (!is_pos_normal(scales[k]))
            return c8_err(err, C8_ERR_INVALID,
                          "tensor '%s': weight scale %.9g of channel %lld is not a positive "
                          "normal finite number",
                          NAME(name), (double)scales[k], (long long)k);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t k = 0; k < channels; k++) {
            int64_t base = (o * channels + k) * inner;
            for (int64_t i = 0; i < inner; i++) {
                float v = w[base + i];
                if (!isfinite(v)) return bad_weight(name, v, k, base + i, err);
                q[base + i] = c8_quant_weight(v, scales[k]);
            }
        }
    return C8_OK;
}

/* Round half to even of a finite double, saturated to [-lim, lim]; *sat set when clamped. */
static int32_t rne_f64_sat(double v, int32_t lim, int *sat) {
    *sat = 0;
    if (v >= 4294967296.0 || v <= -4294967296.0) {
        *sat = 1;
        return v > 0 ? lim : -lim;
    }
    int64_t t = (int64_t)v;   /* truncation; |v| < 2^32 */
    double f = v - (double)t; /* exact fractional part */
    if (f > 0.5 || (f == 0.5 && (t & 1)))
        t += 1;
    else if (f < -0.5 || (f == -0.5 && (t & 1)))
        t -= 1;
    if (t > lim) {
        *sat = 1;
        return lim;
    }
    if (t < -(int64_t)lim) {
        *sat = 1;
        return -lim;
    }
    return (int32_t)t;
}

c8_status c8_quant_bias(const char *name, const float *b, int64_t channels, float s_in,
                        const float *s_w, int64_t reduce_len, int32_t *bq, int64_t *n_saturated,
                        c8_error *err) {
    if (channels < 1)
        return c8_err(err, C8_ERR_SHAPE, "tensor '%s': bias with %lld channels", NAME(name),
                      (long long)channels);
    C8_TRY(c8_quant_check_reduce_len(name, reduce_len, err));
    C8_TRY(c8_quant_check_scale(name, s_in, err));
    int32_t lim = c8_quant_bias_limit(reduce_len);
    int64_t nsat = 0;
    for (int64_t k = 0; k < channels; k++) {
        if (!is_pos_normal(s_w[k]))
            return c8_err(err, C8_ERR_INVALID,
                          "tensor '%s': weight scale %.9g of channel %lld is not a positive "
                          "normal finite number",
                          NAME(name), (double)s_w[k], (long long)k);
        if (!isfinite(b[k]))
            return c8_err(err, C8_ERR_INVALID, "tensor '%s': bias %s at channel %lld", NAME(name),
                          b[k] != b[k] ? "is NaN" : "is infinite", (long long)k);
        double den = (double)s_in * (double)s_w[k]; /* exact: 24 x 24 bits fit 53 */
        int sat;
        bq[k] = rne_f64_sat((double)b[k] / den, lim, &sat);
        nsat += sat;
    }
    if (n_saturated) *n_saturated = nsat;
    return C8_OK;
}

/* Rounds a positive double multiplier once to float and checks it is a positive normal float. */
static c8_status to_mult(const char *name, const char *what, double v, float *out, c8_error *err) {
    float f = (float)v;
    if (!is_pos_normal(f))
        return c8_err(err, C8_ERR_INVALID,
                      "layer '%s': %s %.9g is not a positive normal float32 (scales too far "
                      "apart or invalid)",
                      NAME(name), what, v);
    *out = f;
    return C8_OK;
}

static c8_status check_scale_arg(const char *name, const char *what, float s, c8_error *err) {
    if (!is_pos_normal(s))
        return c8_err(err, C8_ERR_INVALID,
                      "layer '%s': %s %.9g is not a positive normal finite number", NAME(name),
                      what, (double)s);
    return C8_OK;
}

c8_status c8_quant_ratio(const char *name, float num, float den, float *out, c8_error *err) {
    C8_TRY(check_scale_arg(name, "input scale", num, err));
    C8_TRY(check_scale_arg(name, "output scale", den, err));
    return to_mult(name, "multiplier", (double)num / (double)den, out, err);
}

c8_status c8_quant_requant_mults(const char *name, float s_in, const float *s_w, int64_t channels,
                                 float s_out, float *m, c8_error *err) {
    C8_TRY(check_scale_arg(name, "input scale", s_in, err));
    C8_TRY(check_scale_arg(name, "output scale", s_out, err));
    for (int64_t k = 0; k < channels; k++) {
        C8_TRY(check_scale_arg(name, "weight scale", s_w[k], err));
        C8_TRY(to_mult(name, "requantization multiplier",
                       ((double)s_in * (double)s_w[k]) / (double)s_out, &m[k], err));
    }
    return C8_OK;
}

c8_status c8_quant_dequant_mults(const char *name, float s_in, const float *s_w, int64_t channels,
                                 float *d, c8_error *err) {
    C8_TRY(check_scale_arg(name, "input scale", s_in, err));
    for (int64_t k = 0; k < channels; k++) {
        C8_TRY(check_scale_arg(name, "weight scale", s_w[k], err));
        C8_TRY(
            to_mult(name, "dequantization multiplier", (double)s_in * (double)s_w[k], &d[k], err));
    }
    return C8_OK;
}

/* The average-pool multiplier for c taps, scales already checked. */
static c8_status pool_mult(const char *name, float s_in, float s_out, int64_t c, float *m,
                           c8_error *err) {
    return to_mult(name, "average-pool multiplier", (double)s_in / ((double)s_out * (double)c), m,
                   err);
}

c8_status c8_quant_avgpool_mults(const char *name, float s_in, float s_out, int64_t max_count,
                                 float *table, c8_error *err) {
    C8_TRY(c8_quant_check_pool_count(name, max_count, err));
    C8_TRY(check_scale_arg(name, "input scale", s_in, err));
    C8_TRY(check_scale_arg(name, "output scale", s_out, err));
    table[0] = 0.0f;
    for (int64_t c = 1; c <= max_count; c++)
        C8_TRY(pool_mult(name, s_in, s_out, c, &table[c], err));
    return C8_OK;
}

c8_status c8_quant_avgpool_mult(const char *name, float s_in, float s_out, int64_t count,
                                float *mult, c8_error *err) {
    C8_TRY(c8_quant_check_pool_count(name, count, err));
    C8_TRY(check_scale_arg(name, "input scale", s_in, err));
    C8_TRY(check_scale_arg(name, "output scale", s_out, err));
    return pool_mult(name, s_in, s_out, count, mult, err);
}

c8_status c8_quant_act_make(const char *name, c8_quant_act_kind kind, float a, float b, float alpha,
                            c8_quant_out out, float s_out, c8_quant_act *act, c8_error *err) {
    c8_quant_act r = {(int32_t)kind, -INFINITY, INFINITY, 0.0f};
    if (out != C8_QOUT_INT8 && out != C8_QOUT_FLOAT && out != C8_QOUT_FLOAT16)
        return c8_err(err, C8_ERR_INVALID, "layer '%s': unknown output kind %d", NAME(name),
                      (int)out);
    if (out == C8_QOUT_INT8) C8_TRY(check_scale_arg(name, "output scale", s_out, err));
    switch (kind) {
    case C8_QACT_NONE:
    case C8_QACT_RELU: break;
    case C8_QACT_CLIP:
        if (a != a || b != b || a > b)
            return c8_err(err, C8_ERR_INVALID, "layer '%s': Clip bounds [%g, %g] are invalid",
                          NAME(name), (double)a, (double)b);
        if (out == C8_QOUT_INT8) {
            /* inf / s_out stays inf, so absent bounds stay absent */
            r.lo = (float)((double)a / (double)s_out);
            r.hi = (float)((double)b / (double)s_out);
        } else {
            r.lo = a;
            r.hi = b;
        }
        break;
    case C8_QACT_LEAKY_RELU:
        if (!isfinite(alpha))
            return c8_err(err, C8_ERR_INVALID, "layer '%s': LeakyReLU alpha %g is not finite",
                          NAME(name), (double)alpha);
        r.alpha = alpha;
        break;
    case C8_QACT_HARDSWISH:
        if (!isfinite(a) || !isfinite(b))
            return c8_err(err, C8_ERR_INVALID,
                          "layer '%s': hard-swish's affine (%g, %g) is not finite", NAME(name),
                          (double)a, (double)b);
        /* (y * s_out) * t / 6 * a / s_out = y * t * (a / 6): the units cancel in the product */
        r.lo = (float)((double)a / 6.0);
        r.alpha = out == C8_QOUT_INT8 ? s_out : 1.0f;
        r.hi = out == C8_QOUT_INT8 ? (float)((double)b / (double)s_out) : b;
        break;
    case C8_QACT_SIGMOID:
        if (out == C8_QOUT_INT8)
            return c8_err(err, C8_ERR_UNSUPPORTED,
                          "layer '%s': Sigmoid cannot be fused into an int8-output epilogue "
                          "(float output only)",
                          NAME(name));
        break;
    default:
        return c8_err(err, C8_ERR_INVALID, "layer '%s': unknown activation kind %d", NAME(name),
                      (int)kind);
    }
    *act = r;
    return C8_OK;
}
