/* INT8 reference: the shared epilogue store, Add with rescale, Concat, quantize / dequantize /
 * requantize. Semantics: include/calib8/quant.h; declarations: kernels/ref/int8.h. */
#include "kernels/ref/int8.h"

#include "kernels/ref/fp16.h"
#include "util/err.h"

#include <float.h>

#if !defined(FLT_EVAL_METHOD) || FLT_EVAL_METHOD != 0
#error "calib8 INT8 semantics need FLT_EVAL_METHOD == 0 (float ops rounded to float)"
#endif

/* Stores the float32 value y as output kind `out` at y_out[idx]. */
static void store_float(int32_t out, float v, int64_t idx, void *y) {
    if (out == C8_QOUT_FLOAT)
        ((float *)y)[idx] = v;
    else
        ((uint16_t *)y)[idx] = c8_fp16_from_f32(v);
}

void c8_ref_int8_epilogue_store(const c8_int8_epilogue *ep, int64_t k, int64_t idx, int32_t acc,
                                void *y) {
    int has_r = ep->residual != NULL;
    int32_t r = has_r ? ep->residual[idx] : 0;
    if (ep->out == C8_QOUT_INT8)
        ((int8_t *)y)[idx] =
            c8_quant_epilogue_i8(acc, ep->mult[k], has_r, r, ep->res_mult, ep->act);
    else
        store_float(ep->out,
                    c8_quant_epilogue_f32(acc, ep->mult[k], has_r, r, ep->res_mult, ep->act), idx,
                    y);
}

void c8_ref_int8_add(int64_t count, const int8_t *a, float ma, const int8_t *b, float mb,
                     c8_quant_act act, c8_quant_out out, void *y) {
    C8_ASSERT(count >= 0);
    for (int64_t i = 0; i < count; i++) {
        if (out == C8_QOUT_INT8)
            ((int8_t *)y)[i] = c8_quant_add_i8(a[i], ma, b[i], mb, act);
        else
            store_float(out, c8_quant_epilogue_f32(a[i], ma, 1, b[i], mb, act), i, y);
    }
}

void c8_ref_int8_mul(int64_t outer, int64_t c, int64_t inner, const int8_t *x, const float *f,
                     int64_t f_outer, int64_t f_c, float m, int8_t *y) {
    C8_ASSERT(outer >= 0 && c >= 0 && inner >= 0);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t k = 0; k < c; k++) {
            const float mk = c8_quant_mul_factor(f[o * f_outer + k * f_c], m);
            const int64_t base = (o * c + k) * inner;
            for (int64_t i = 0; i < inner; i++) y[base + i] = c8_quant_requantize(x[base + i], mk);
        }
}

void c8_ref_int8_concat(int64_t outer, int64_t inner, int n_inputs, const int8_t *const *xs,
                        const int64_t *channels, const float *mults, int8_t *y) {
    C8_ASSERT(outer >= 0 && inner >= 0 && n_inputs >= 1);
    int64_t ctot = 0;
    for (int i = 0; i < n_inputs; i++) ctot += channels[i];
    int64_t c0 = 0; /* first output channel of input i */
    for (int i = 0; i < n_inputs; i++) {
        int64_t ci = channels[i];
        for (int64_t o = 0; o < outer; o++)
            for (int64_t c = 0; c < ci; c++)
                for (int64_t j = 0; j < inner; j++)
                    y[(o * ctot + c0 + c) * inner + j] =
                        c8_quant_requantize(xs[i][(o * ci + c) * inner + j], mults[i]);
        c0 += ci;
    }
}

void c8_ref_int8_quantize(int64_t outer, int64_t c, int64_t inner, const float *x,
                          const float *inv_s, int8_t *q) {
    for (int64_t o = 0; o < outer; o++)
        for (int64_t ch = 0; ch < c; ch++)
            for (int64_t j = 0; j < inner; j++) {
                int64_t i = (o * c + ch) * inner + j;
                q[i] = c8_quant_quantize(x[i], inv_s[ch]);
            }
}

void c8_ref_int8_dequantize(int64_t outer, int64_t c, int64_t inner, const int8_t *q,
                            const float *s, float *x) {
    for (int64_t o = 0; o < outer; o++)
        for (int64_t ch = 0; ch < c; ch++)
            for (int64_t j = 0; j < inner; j++) {
                int64_t i = (o * c + ch) * inner + j;
                x[i] = c8_quant_dequantize(q[i], s[ch]);
            }
}

void c8_ref_int8_requantize(int64_t outer, int64_t c, int64_t inner, const int8_t *q,
                            const float *m, int8_t *y) {
    for (int64_t o = 0; o < outer; o++)
        for (int64_t ch = 0; ch < c; ch++)
            for (int64_t j = 0; j < inner; j++) {
                int64_t i = (o * c + ch) * inner + j;
                y[i] = c8_quant_requantize(q[i], m[ch]);
            }
}
