/* Descriptor and epilogue validation for the INT8 kernels (kernels/ref/int8.h); the builder calls
 * these once per layer, the reference kernels assert them. */
#include "kernels/ref/int8.h"

#include "util/arith.h"
#include "util/err.h"

#include <float.h>

#define NAME(n) ((n) ? (n) : "?")
/* Dims are bounded so every index product below stays far from int64 overflow. */
#define DIM_MAX ((int64_t)1 << 31)

static int dim_ok(int64_t v) { return v >= 1 && v <= DIM_MAX; }
static int pad_ok(int64_t v) { return v >= 0 && v <= DIM_MAX; }

/* a*b*c*d without int64 overflow (all >= 0)? */
static int numel_ok(int64_t a, int64_t b, int64_t c, int64_t d) {
    int64_t t;
    return c8_mul_i64(a, b, &t) && c8_mul_i64(t, c, &t) && c8_mul_i64(t, d, &t);
}

/* Floor-mode output size, or -1 if the (dilated) window does not fit the padded input. */
static int64_t out_floor(int64_t in, int64_t pb, int64_t pe, int64_t k, int64_t st, int64_t dil) {
    int64_t span = dil * (k - 1) + 1;
    if (in + pb + pe < span) return -1;
    return (in + pb + pe - span) / st + 1;
}

/* Ceil-mode size with the ONNX Runtime / PyTorch rule: the last window starts inside the input or
 * the begin padding. */
static int64_t out_ceil(int64_t in, int64_t pb, int64_t pe, int64_t k, int64_t st, int64_t dil) {
    int64_t span = dil * (k - 1) + 1;
    if (in + pb + pe < span) return -1;
    int64_t o = (in + pb + pe - span + st - 1) / st + 1;
    if ((o - 1) * st >= in + pb) o--;
    return o;
}

c8_status c8_conv2d_desc_check(const char *name, const c8_conv2d_desc *d, c8_error *err) {
    if (!dim_ok(d->n) || !dim_ok(d->c) || !dim_ok(d->h) || !dim_ok(d->w) || !dim_ok(d->k) ||
        !dim_ok(d->r) || !dim_ok(d->s) || !dim_ok(d->p) || !dim_ok(d->q) || !dim_ok(d->group) ||
        !dim_ok(d->stride_h) || !dim_ok(d->stride_w) || !dim_ok(d->dil_h) || !dim_ok(d->dil_w) ||
        !pad_ok(d->pad_t) || !pad_ok(d->pad_l) || !pad_ok(d->pad_b) || !pad_ok(d->pad_r))
        return c8_err(err, C8_ERR_INVALID, "layer '%s' (Conv): a dimension is out of range",
                      NAME(name));
    if (d->c % d->group || d->k % d->group)
        return c8_err(err, C8_ERR_SHAPE,
                      "layer '%s' (Conv): group=%lld does not divide %lld input and %lld output "
                      "channels",
                      NAME(name), (long long)d->group, (long long)d->c, (long long)d->k);
    int64_t p = out_floor(d->h, d->pad_t, d->pad_b, d->r, d->stride_h, d->dil_h);
    int64_t q = out_floor(d->w, d->pad_l, d->pad_r, d->s, d->stride_w, d->dil_w);
    if (p != d->p || q != d->q)
        return c8_err(err, C8_ERR_SHAPE,
                      "layer '%s' (Conv): output %lldx%lld does not match the %lldx%lld that "
                      "input, kernel, strides, pads and dilations give",
                      NAME(name), (long long)d->p, (long long)d->q, (long long)p, (long long)q);
    if (!numel_ok(d->n, d->c, d->h, d->w) || !numel_ok(d->n, d->k, d->p, d->q) ||
        !numel_ok(d->k, d->c / d->group, d->r, d->s))
        return c8_err(err, C8_ERR_LIMIT, "layer '%s' (Conv): tensor sizes overflow", NAME(name));
    return c8_quant_check_reduce_len(name, (d->c / d->group) * d->r * d->s, err);
}

c8_status c8_int8_gemm_desc_check(const char *name, const c8_int8_gemm_desc *d, c8_error *err) {
    if (!dim_ok(d->m) || !dim_ok(d->n) || !dim_ok(d->k) ||
        (d->b_layout != C8_INT8_B_NK && d->b_layout != C8_INT8_B_KN))
        return c8_err(err, C8_ERR_INVALID, "layer '%s' (Gemm): invalid dims or B layout",
                      NAME(name));
    if (!numel_ok(d->m, d->n, d->k, 1))
        return c8_err(err, C8_ERR_LIMIT, "layer '%s' (Gemm): tensor sizes overflow", NAME(name));
    return c8_quant_check_reduce_len(name, d->k, err);
}

c8_status c8_int8_matmul_desc_check(const char *name, const c8_int8_matmul_desc *d, c8_error *err) {
    if (!dim_ok(d->batch) || !dim_ok(d->m) || !dim_ok(d->n) || !dim_ok(d->k) ||
        (d->a_stride != 0 && d->a_stride != d->m * d->k) ||
        (d->b_stride != 0 && d->b_stride != d->k * d->n))
        return c8_err(err, C8_ERR_INVALID, "layer '%s' (MatMul): invalid dims or batch strides",
                      NAME(name));
    if (!numel_ok(d->batch, d->m, d->n, 1) || !numel_ok(d->batch, d->m, d->k, 1) ||
        !numel_ok(d->batch, d->k, d->n, 1))
        return c8_err(err, C8_ERR_LIMIT, "layer '%s' (MatMul): tensor sizes overflow", NAME(name));
    return c8_quant_check_reduce_len(name, d->k, err);
}

c8_status c8_pool2d_desc_check(const char *name, const c8_pool2d_desc *d, int is_max,
                               c8_error *err) {
    const char *op = is_max ? "MaxPool" : "AveragePool";
    if (!dim_ok(d->n) || !dim_ok(d->c) || !dim_ok(d->h) || !dim_ok(d->w) || !dim_ok(d->p) ||
        !dim_ok(d->q) || !dim_ok(d->kh) || !dim_ok(d->kw) || !dim_ok(d->stride_h) ||
        !dim_ok(d->stride_w) || !dim_ok(d->dil_h) || !dim_ok(d->dil_w) || !pad_ok(d->pad_t) ||
        !pad_ok(d->pad_l) || !pad_ok(d->pad_b) || !pad_ok(d->pad_r) || d->kh > 65536 ||
        d->kw > 65536)
        return c8_err(err, C8_ERR_INVALID, "layer '%s' (%s): a dimension is out of range",
                      NAME(name), op);
    int64_t pf = out_floor(d->h, d->pad_t, d->pad_b, d->kh, d->stride_h, d->dil_h);
    int64_t pc = out_ceil(d->h, d->pad_t, d->pad_b, d->kh, d->stride_h, d->dil_h);
    int64_t qf = out_floor(d->w, d->pad_l, d->pad_r, d->kw, d->stride_w, d->dil_w);
    int64_t qc = out_ceil(d->w, d->pad_l, d->pad_r, d->kw, d->stride_w, d->dil_w);
    if ((d->p != pf && d->p != pc) || (d->q != qf && d->q != qc) || pf < 1 || qf < 1)
        return c8_err(err, C8_ERR_SHAPE,
                      "layer '%s' (%s): output %lldx%lld is neither the floor-mode %lldx%lld nor "
                      "the ceil-mode %lldx%lld size",
                      NAME(name), op, (long long)d->p, (long long)d->q, (long long)pf,
                      (long long)qf, (long long)pc, (long long)qc);
    if (!numel_ok(d->n, d->c, d->h, d->w) || !numel_ok(d->n, d->c, d->p, d->q))
        return c8_err(err, C8_ERR_LIMIT, "layer '%s' (%s): tensor sizes overflow", NAME(name), op);
    if (!is_max) return c8_quant_check_pool_count(name, d->kh * d->kw, err);
    return C8_OK;
}

c8_status c8_int8_epilogue_check(const char *name, const c8_int8_epilogue *ep, int64_t channels,
                                 c8_error *err) {
    if (ep->out != C8_QOUT_INT8 && ep->out != C8_QOUT_FLOAT && ep->out != C8_QOUT_FLOAT16)
        return c8_err(err, C8_ERR_INVALID, "layer '%s': unknown epilogue output kind %d",
                      NAME(name), (int)ep->out);
    if (!ep->mult)
        return c8_err(err, C8_ERR_INVALID, "layer '%s': epilogue without multipliers", NAME(name));
    for (int64_t k = 0; k < channels; k++)
        if (!(ep->mult[k] >= FLT_MIN && ep->mult[k] <= FLT_MAX))
            return c8_err(err, C8_ERR_INVALID,
                          "layer '%s': epilogue multiplier %.9g of channel %lld is not a positive "
                          "normal float",
                          NAME(name), (double)ep->mult[k], (long long)k);
    if (ep->residual && !(ep->res_mult >= FLT_MIN && ep->res_mult <= FLT_MAX))
        return c8_err(err, C8_ERR_INVALID,
                      "layer '%s': residual multiplier %.9g is not a positive normal float",
                      NAME(name), (double)ep->res_mult);
    switch (ep->act.kind) {
    case C8_QACT_NONE:
    case C8_QACT_RELU: break;
    case C8_QACT_CLIP:
        if (ep->act.lo != ep->act.lo || ep->act.hi != ep->act.hi || ep->act.lo > ep->act.hi)
            return c8_err(err, C8_ERR_INVALID, "layer '%s': invalid Clip bounds", NAME(name));
        break;
    case C8_QACT_LEAKY_RELU:
        if (!(ep->act.alpha >= -FLT_MAX && ep->act.alpha <= FLT_MAX))
            return c8_err(err, C8_ERR_INVALID, "layer '%s': LeakyReLU alpha is not finite",
                          NAME(name));
        break;
    case C8_QACT_SIGMOID:
        if (ep->out == C8_QOUT_INT8)
            return c8_err(err, C8_ERR_UNSUPPORTED,
                          "layer '%s': Sigmoid cannot be fused into an int8-output epilogue",
                          NAME(name));
        break;
    case C8_QACT_HARDSWISH:
        if (!(ep->act.alpha >= FLT_MIN && ep->act.alpha <= FLT_MAX) ||
            !(ep->act.lo >= -FLT_MAX && ep->act.lo <= FLT_MAX) ||
            !(ep->act.hi >= -FLT_MAX && ep->act.hi <= FLT_MAX))
            return c8_err(err, C8_ERR_INVALID,
                          "layer '%s': hard-swish's scale or affine is not finite", NAME(name));
        break;
    default:
        return c8_err(err, C8_ERR_INVALID, "layer '%s': unknown activation kind %d", NAME(name),
                      (int)ep->act.kind);
    }
    return C8_OK;
}
