/* FP32 reference activations and the fused epilogue (bias already added by the producing kernel,
 * then residual, then activation); the contract is in kernels/ref/ref.h.
 * Tests: tests/kernels/test_ref_kernels.c. */
#include "kernels/ref/ref.h"

#include <math.h>

float c8_ref_act(int act, float a, float b, float x) {
    switch (act) {
    case C8_REF_ACT_RELU: return x < 0.0f ? 0.0f : x;
    case C8_REF_ACT_CLIP: /* min(max(x, a), b) as ONNX Clip: b wins when a > b */
        x = x < a ? a : x;
        return x > b ? b : x;
    case C8_REF_ACT_LEAKY_RELU: return x < 0.0f ? a * x : x;
    case C8_REF_ACT_SIGMOID:
        /* exp of a non-positive argument only, so neither branch overflows */
        if (x >= 0.0f)
            return 1.0f / (1.0f + expf(-x));
        else {
            const float e = expf(x);
            return e / (1.0f + e);
        }
    case C8_REF_ACT_HARDSWISH: {
        float t = x + 3.0f;
        t = t < 0.0f ? 0.0f : t;
        t = t > 6.0f ? 6.0f : t;
        const float h = (x * t) / 6.0f;
        return h * a + b;
    }
    default: return x;
    }
}

void c8_ref_epilogue(const c8_epilogue *e, const float *residual, float *y, int64_t n) {
    const int act = e ? e->act : C8_REF_ACT_NONE;
    const float a = e ? e->a : 0.0f, b = e ? e->b : 0.0f;
    for (int64_t i = 0; i < n; i++) {
        const float v = residual ? y[i] + residual[i] : y[i];
        y[i] = c8_ref_act(act, a, b, v);
    }
}
