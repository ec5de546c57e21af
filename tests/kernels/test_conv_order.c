/* The FP32 reference convolution's documented accumulation order (kernels/ref/ref.h: one float32
 * sum per output starting at 0, over c ascending, then taps in C order, bias last) checked bit
 * for bit against a naive loop written in that order, over 2-D shapes with strides, dilations,
 * asymmetric pads and groups. The kernel accumulates whole planes tap by tap for speed; this is
 * what keeps that rewrite honest. */
#include "c8test.h"

#include "kernels/ref/ref.h"

static void naive(const c8_conv_desc *d, const float *x, const float *w, const float *b, float *y) {
    int64_t cg = d->C / d->group, kg = d->K / d->group;
    int64_t H = d->in[0], W = d->in[1], P = d->out[0], Q = d->out[1];
    int64_t R = d->kernel[0], S = d->kernel[1];
    for (int64_t n = 0; n < d->N; n++)
        for (int64_t k = 0; k < d->K; k++)
            for (int64_t p = 0; p < P; p++)
                for (int64_t q = 0; q < Q; q++) {
                    float acc = 0.0f;
                    for (int64_t c = 0; c < cg; c++)
                        for (int64_t r = 0; r < R; r++)
                            for (int64_t s = 0; s < S; s++) {
                                int64_t h = p * d->stride[0] - d->pad_begin[0] + r * d->dilation[0];
                                int64_t ww =
                                    q * d->stride[1] - d->pad_begin[1] + s * d->dilation[1];
                                if (h < 0 || h >= H || ww < 0 || ww >= W) continue;
                                float xv = x[((n * d->C + (k / kg) * cg + c) * H + h) * W + ww];
                                acc += xv * w[((k * cg + c) * R + r) * S + s];
                            }
                    y[((n * d->K + k) * P + p) * Q + q] = b ? acc + b[k] : acc;
                }
}

static void test_conv_exact_order(void) {
    c8t_rng rng = {2024};
    for (int trial = 0; trial < 60; trial++) {
        c8_conv_desc d = {0};
        d.nsp = 2;
        d.group = c8t_randint(&rng, 1, 3);
        d.C = d.group * c8t_randint(&rng, 1, 5);
        d.K = d.group * c8t_randint(&rng, 1, 4);
        d.N = c8t_randint(&rng, 1, 2);
        for (int a = 0; a < 2; a++) {
            d.in[a] = c8t_randint(&rng, 1, 13);
            d.kernel[a] = c8t_randint(&rng, 1, 5);
            d.stride[a] = c8t_randint(&rng, 1, 3);
            d.dilation[a] = c8t_randint(&rng, 1, 2);
            d.pad_begin[a] = c8t_randint(&rng, 0, 3);
            d.pad_end[a] = c8t_randint(&rng, 0, 3);
            int64_t span = (d.kernel[a] - 1) * d.dilation[a] + 1;
            int64_t tot = d.in[a] + d.pad_begin[a] + d.pad_end[a] - span;
            if (tot < 0) {
                d.pad_end[a] += -tot;
                tot = 0;
            }
            d.out[a] = tot / d.stride[a] + 1;
        }
        size_t nx = (size_t)(d.N * d.C * d.in[0] * d.in[1]);
        size_t nw = (size_t)(d.K * (d.C / d.group) * d.kernel[0] * d.kernel[1]);
        size_t ny = (size_t)(d.N * d.K * d.out[0] * d.out[1]);
        float *x = malloc(nx * 4), *w = malloc(nw * 4), *b = malloc((size_t)d.K * 4);
        float *y1 = malloc(ny * 4), *y2 = malloc(ny * 4);
        for (size_t i = 0; i < nx; i++) x[i] = c8t_uniform(&rng, -3, 3);
        for (size_t i = 0; i < nw; i++) w[i] = c8t_uniform(&rng, -1, 1);
        for (int64_t i = 0; i < d.K; i++) b[i] = c8t_uniform(&rng, -1, 1);
        const float *bias = trial % 3 ? b : NULL;
        c8_ref_conv(&d, x, w, bias, y1);
        naive(&d, x, w, bias, y2);
        if (memcmp(y1, y2, ny * 4) != 0)
            printf("\n  trial %d (seed 2024): plane-accumulated conv differs from the naive order",
                   trial);
        CU_ASSERT_EQUAL(memcmp(y1, y2, ny * 4), 0);
        free(x);
        free(w);
        free(b);
        free(y1);
        free(y2);
    }
}

static const c8_test_case cases[] = {{"conv_exact_order", test_conv_exact_order}};
C8T_MAIN("conv_order", cases)
