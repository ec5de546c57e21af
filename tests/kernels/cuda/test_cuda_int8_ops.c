/* GPU INT8 pooling, quantize / dequantize / requantize, Add, Mul by a float factor, Concat and
 * layout changes (kernels/cuda/int8/ops.cu) against the CPU references (kernels/ref/int8_pool.c,
 * int8_eltwise.c, quant/layout.c): exact bytes, pad channels 0, guard bytes untouched, outputs
 * poisoned first. Odd channel counts (1..129) and spatial sizes; floor and ceil mode pools,
 * asymmetric pads, count_include_pad, dilated MaxPool; quantize inputs with exact .5 ties.
 * Exits 77 without a GPU. */
#include "tests/kernels/cuda/cuda_test_util.h"

#include "kernels/ref/resize.h"

static c8_error g_err;

/* Runs `launch` into a guarded, poisoned device buffer of `bytes`, syncs, copies it to host;
 * returns 0 and prints on failure. */
#define RUN_INTO(buf, host, bytes, call)                                                           \
    do {                                                                                           \
        gbuf_poison(&(buf));                                                                       \
        CT_OK((call), &g_err);                                                                     \
        CT_CUDA(cudaStreamSynchronize(g_stream));                                                  \
        CT_CUDA(cudaMemcpy((host), (buf).body, (bytes), cudaMemcpyDeviceToHost));                  \
        CU_ASSERT(gbuf_guards_ok(&(buf)));                                                         \
    } while (0)

typedef struct pool_case {
    int64_t n, c, h, w, kh, kw, stride, pt, pl, pb, pr, dil;
    int ceil_mode, cip;
} pool_case;

static int64_t pool_out(int64_t in, int64_t pb, int64_t pe, int64_t k, int64_t st, int64_t dil,
                        int ceil_mode) {
    int64_t span = dil * (k - 1) + 1;
    if (!ceil_mode) return (in + pb + pe - span) / st + 1;
    int64_t o = (in + pb + pe - span + st - 1) / st + 1;
    if ((o - 1) * st >= in + pb) o--;
    return o;
}

static const pool_case kPools[] = {
    {1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0},     {3, 3, 7, 7, 3, 3, 2, 1, 1, 1, 1, 1, 0, 0},
    {1, 7, 31, 31, 3, 3, 2, 0, 0, 0, 0, 1, 1, 0},   {3, 31, 14, 14, 2, 2, 2, 0, 0, 0, 0, 1, 0, 1},
    {1, 33, 56, 56, 3, 3, 2, 1, 1, 1, 1, 1, 0, 1},  {1, 127, 7, 7, 7, 7, 1, 0, 0, 0, 0, 1, 0, 0},
    {3, 129, 31, 31, 5, 5, 3, 2, 1, 0, 2, 1, 1, 1}, {1, 64, 14, 14, 3, 3, 1, 2, 2, 2, 2, 2, 0, 0},
    {1, 129, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 0, 1},   {1, 33, 31, 31, 3, 3, 2, 1, 0, 0, 1, 1, 1, 0},
};

static void run_pool(const pool_case *pc, int is_max, uint64_t seed) {
    c8t_rng rng = {seed};
    c8_pool2d_desc d;
    memset(&d, 0, sizeof d);
    d.n = pc->n;
    d.c = pc->c;
    d.h = pc->h;
    d.w = pc->w;
    d.kh = pc->kh;
    d.kw = pc->kw;
    d.stride_h = d.stride_w = pc->stride;
    d.pad_t = pc->pt;
    d.pad_l = pc->pl;
    d.pad_b = pc->pb;
    d.pad_r = pc->pr;
    d.dil_h = d.dil_w = is_max ? pc->dil : 1;
    d.count_include_pad = pc->cip;
    d.p = pool_out(d.h, d.pad_t, d.pad_b, d.kh, d.stride_h, d.dil_h, pc->ceil_mode);
    d.q = pool_out(d.w, d.pad_l, d.pad_r, d.kw, d.stride_w, d.dil_w, pc->ceil_mode);
    if (c8_pool2d_desc_check("test", &d, is_max, &g_err) != C8_OK) {
        printf("\n  pool case skipped by the descriptor check: %s", g_err.msg);
        return;
    }
    const int64_t cp = c8t_cpad(d.c);
    const size_t xn = (size_t)(d.n * d.c * d.h * d.w), yn = (size_t)(d.n * d.c * d.p * d.q);
    const size_t ypn = (size_t)(d.n * d.p * d.q * cp);
    int8_t *x = rand_i8(&rng, xn), *y_ref = malloc(yn), *y_h = malloc(ypn), *y_c = malloc(yn);
    int8_t *x_nhwc = malloc((size_t)(d.n * d.h * d.w * cp));
    host_nchw_to_nhwc(1, d.n, d.c, d.h * d.w, x, x_nhwc);
    void *dx = dev_upload(x_nhwc, (size_t)(d.n * d.h * d.w * cp));
    gbuf y = gbuf_alloc(ypn);
    float *mults = NULL;
    void *dmul = NULL;
    if (is_max) {
        c8_ref_int8_maxpool2d(&d, x, y_ref);
        RUN_INTO(y, y_h, ypn, c8_cuda_int8_maxpool2d(&d, dx, y.body, g_stream, &g_err));
    } else {
        mults = malloc((size_t)(d.kh * d.kw + 1) * sizeof(float));
        float s_in = 0.05f, s_out = seed % 2 ? 0.05f : 0.031f; /* equal scales: exact .5 ties */
        CT_OK(c8_quant_avgpool_mults("test", s_in, s_out, d.kh * d.kw, mults, &g_err), &g_err);
        dmul = dev_upload(mults, (size_t)(d.kh * d.kw + 1) * sizeof(float));
        c8_ref_int8_avgpool2d(&d, x, mults, y_ref);
        RUN_INTO(y, y_h, ypn, c8_cuda_int8_avgpool2d(&d, dx, dmul, y.body, g_stream, &g_err));
    }
    char what[160];
    snprintf(
        what, sizeof what,
        "%s n%lld c%lld %lldx%lld k%lldx%lld s%lld pads %lld,%lld,%lld,%lld d%lld ceil%d cip%d",
        is_max ? "maxpool" : "avgpool", (long long)d.n, (long long)d.c, (long long)d.h,
        (long long)d.w, (long long)d.kh, (long long)d.kw, (long long)pc->stride, (long long)d.pad_t,
        (long long)d.pad_l, (long long)d.pad_b, (long long)d.pad_r, (long long)d.dil_h,
        pc->ceil_mode, pc->cip);
    CU_ASSERT(host_pad_is_zero(1, d.n * d.p * d.q, d.c, y_h));
    host_nhwc_to_nchw(1, d.n, d.c, d.p * d.q, y_h, y_c);
    CU_ASSERT_EQUAL(compare_exact(1, yn, y_c, y_ref, what, seed), 0);
    gbuf_free(&y);
    cudaFree(dx);
    if (dmul) cudaFree(dmul);
    free(mults);
    free(x);
    free(x_nhwc);
    free(y_ref);
    free(y_h);
    free(y_c);
}

static void test_maxpool(void) {
    for (size_t i = 0; i < sizeof kPools / sizeof kPools[0]; i++)
        run_pool(&kPools[i], 1, 0x900 + i);
}
static void test_avgpool(void) {
    for (size_t i = 0; i < sizeof kPools / sizeof kPools[0]; i++)
        run_pool(&kPools[i], 0, 0xA00 + i);
}

static void test_global_avgpool(void) {
    /* hw from 256 on: a block per image and 16 channels (global_avgpool_block_kernel) */
    static const int64_t cases[][3] = {{1, 1, 1},     {3, 7, 49},   {2, 129, 196},  {1, 2048, 49},
                                       {3, 33, 3136}, {1, 31, 7},   {2, 96, 25600}, {1, 17, 256},
                                       {2, 40, 255},  {8, 384, 400}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t seed = 0xB00 + i;
        c8t_rng rng = {seed};
        int64_t n = cases[i][0], c = cases[i][1], hw = cases[i][2], cp = c8t_cpad(c);
        float *tab = malloc((size_t)(hw + 1) * sizeof(float));
        CT_OK(c8_quant_avgpool_mults("test", 0.04f, i % 2 ? 0.04f : 0.013f, hw, tab, &g_err),
              &g_err);
        int8_t *x = rand_i8(&rng, (size_t)(n * c * hw)), *x_nhwc = malloc((size_t)(n * hw * cp));
        int8_t *y_ref = malloc((size_t)(n * c)), *y_h = malloc((size_t)(n * cp)),
               *y_c = malloc((size_t)(n * c));
        host_nchw_to_nhwc(1, n, c, hw, x, x_nhwc);
        c8_ref_int8_global_avgpool(n, c, hw, x, tab[hw], y_ref);
        void *dx = dev_upload(x_nhwc, (size_t)(n * hw * cp));
        gbuf y = gbuf_alloc((size_t)(n * cp));
        RUN_INTO(y, y_h, (size_t)(n * cp),
                 c8_cuda_int8_global_avgpool(n, c, hw, dx, tab[hw], y.body, g_stream, &g_err));
        CU_ASSERT(host_pad_is_zero(1, n, c, y_h));
        host_nhwc_to_nchw(1, n, c, 1, y_h, y_c);
        CU_ASSERT_EQUAL(compare_exact(1, (size_t)(n * c), y_c, y_ref, "global avgpool", seed), 0);
        gbuf_free(&y);
        cudaFree(dx);
        free(tab);
        free(x);
        free(x_nhwc);
        free(y_ref);
        free(y_h);
        free(y_c);
    }
}

/* quantize -> NHWC32, dequantize -> NCHW, and the round trip, per tensor and per channel. */
static void test_quantize_roundtrip(void) {
    static const int64_t cases[][3] = {{1, 1, 1},        {3, 3, 49}, {2, 7, 31 * 31},
                                       {1, 31, 14 * 14}, {3, 33, 7}, {1, 127, 56 * 56},
                                       {2, 129, 3}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int per_ch = 0; per_ch < 2; per_ch++) {
            uint64_t seed = 0xC00 + i * 2 + (uint64_t)per_ch;
            c8t_rng rng = {seed};
            int64_t n = cases[i][0], c = cases[i][1], hw = cases[i][2], cp = c8t_cpad(c);
            size_t cnt = (size_t)(n * c * hw), pcnt = (size_t)(n * hw * cp);
            int64_t ns = per_ch ? c : 1;
            float *s = malloc((size_t)ns * 4), *inv = malloc((size_t)ns * 4);
            for (int64_t j = 0; j < ns; j++) {
                /* powers of two (exact ties below) and ordinary scales, alternating */
                s[j] = j % 2 ? ldexpf(1.0f, -3 - (int)(j % 5)) : c8t_uniform(&rng, 0.01f, 0.2f);
                inv[j] = c8_quant_inv_scale(s[j]);
            }
            float *x = malloc(cnt * 4);
            for (size_t j = 0; j < cnt; j++) {
                int64_t ch = (int64_t)((j / (size_t)hw) % (size_t)c);
                float sc = s[per_ch ? ch : 0];
                /* exact .5 ties (x = (k + 0.5) * s), ordinary values, values beyond range */
                int kind = (int)(j % 3);
                if (kind == 0)
                    x[j] = ((float)c8t_randint(&rng, -140, 140) + 0.5f) * sc;
                else if (kind == 1)
                    x[j] = c8t_uniform(&rng, -130.0f, 130.0f) * sc;
                else
                    x[j] = c8t_uniform(&rng, -3.0f, 3.0f);
            }
            int8_t *q_ref = malloc(cnt), *q_h = malloc(pcnt), *q_c = malloc(cnt);
            float *xr_ref = malloc(cnt * 4), *xr = malloc(cnt * 4);
            if (per_ch) {
                c8_ref_int8_quantize(n, c, hw, x, inv, q_ref);
                c8_ref_int8_dequantize(n, c, hw, q_ref, s, xr_ref);
            } else {
                c8_ref_int8_quantize(1, 1, (int64_t)cnt, x, inv, q_ref);
                c8_ref_int8_dequantize(1, 1, (int64_t)cnt, q_ref, s, xr_ref);
            }
            void *dx = dev_upload(x, cnt * 4), *dinv = dev_upload(inv, (size_t)ns * 4);
            void *ds = dev_upload(s, (size_t)ns * 4);
            gbuf q = gbuf_alloc(pcnt), xo = gbuf_alloc(cnt * 4);
            RUN_INTO(q, q_h, pcnt,
                     c8_cuda_int8_quantize_nchw(n, c, hw, dx, dinv, ns, q.body, g_stream, &g_err));
            CU_ASSERT(host_pad_is_zero(1, n * hw, c, q_h));
            host_nhwc_to_nchw(1, n, c, hw, q_h, q_c);
            CU_ASSERT_EQUAL(compare_exact(1, cnt, q_c, q_ref, "quantize", seed), 0);
            RUN_INTO(
                xo, xr, cnt * 4,
                c8_cuda_int8_dequantize_nchw(n, c, hw, q.body, ds, ns, xo.body, g_stream, &g_err));
            CU_ASSERT_EQUAL(compare_exact(4, cnt, xr, xr_ref, "dequantize(quantize)", seed), 0);
            /* round trip error: at most half a step where nothing saturated */
            long far = 0;
            for (size_t j = 0; j < cnt; j++) {
                int64_t ch = (int64_t)((j / (size_t)hw) % (size_t)c);
                float sc = s[per_ch ? ch : 0];
                if (fabsf(x[j]) <= 126.0f * sc && fabsf(xr[j] - x[j]) > 0.5f * sc * 1.0001f) far++;
            }
            CU_ASSERT_EQUAL(far, 0);
            gbuf_free(&q);
            gbuf_free(&xo);
            cudaFree(dx);
            cudaFree(dinv);
            cudaFree(ds);
            free(s);
            free(inv);
            free(x);
            free(q_ref);
            free(q_h);
            free(q_c);
            free(xr_ref);
            free(xr);
        }
}

static void test_requantize(void) {
    static const int64_t cases[][3] = {{1, 1, 1}, {3, 7, 31}, {2, 33, 49}, {1, 129, 196}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int per_ch = 0; per_ch < 2; per_ch++) {
            uint64_t seed = 0xD00 + i * 2 + (uint64_t)per_ch;
            c8t_rng rng = {seed};
            int64_t n = cases[i][0], c = cases[i][1], hw = cases[i][2], cp = c8t_cpad(c);
            size_t cnt = (size_t)(n * c * hw), pcnt = (size_t)(n * hw * cp);
            int64_t ns = per_ch ? c : 1;
            float *m = malloc((size_t)ns * 4);
            for (int64_t j = 0; j < ns; j++)
                m[j] = j % 2 ? 0.5f : c8t_uniform(&rng, 0.3f, 2.5f); /* 0.5: ties */
            int8_t *q = rand_i8(&rng, cnt), *q_nhwc = malloc(pcnt), *y_ref = malloc(cnt);
            int8_t *y_h = malloc(pcnt), *y_c = malloc(cnt);
            host_nchw_to_nhwc(1, n, c, hw, q, q_nhwc);
            if (per_ch)
                c8_ref_int8_requantize(n, c, hw, q, m, y_ref);
            else
                c8_ref_int8_requantize(1, 1, (int64_t)cnt, q, m, y_ref);
            void *dq = dev_upload(q_nhwc, pcnt), *dm = dev_upload(m, (size_t)ns * 4);
            gbuf y = gbuf_alloc(pcnt);
            RUN_INTO(y, y_h, pcnt,
                     c8_cuda_int8_requantize(n * hw, c, dq, dm, ns, y.body, g_stream, &g_err));
            CU_ASSERT(host_pad_is_zero(1, n * hw, c, y_h));
            host_nhwc_to_nchw(1, n, c, hw, y_h, y_c);
            CU_ASSERT_EQUAL(compare_exact(1, cnt, y_c, y_ref, "requantize", seed), 0);
            gbuf_free(&y);
            cudaFree(dq);
            cudaFree(dm);
            free(m);
            free(q);
            free(q_nhwc);
            free(y_ref);
            free(y_h);
            free(y_c);
        }
}

/* Requantize with an activation (the detector's Clips after Concats ran on the host before
 * 2026-12-07): against c8_quant_epilogue_i8 element by element on the host (ops/q8.c's
 * run_requantize) and a few hand-worked values. */
static void test_requantize_act(void) {
    static const int64_t cases[][2] = {{1, 1}, {49, 7}, {31, 33}, {196, 129}, {3136, 64}};
    int idx = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int act = 0; act < 4; act++) {
            uint64_t seed = 0xE80 + (uint64_t)idx++;
            c8t_rng rng = {seed};
            int64_t pix = cases[i][0], c = cases[i][1], cp = c8t_cpad(c);
            size_t cnt = (size_t)(pix * c), pcnt = (size_t)(pix * cp);
            const int ties = idx % 2;
            const float m = ties ? 0.5f : c8t_uniform(&rng, 0.2f, 1.5f);
            c8_quant_act a = {act, -INFINITY, INFINITY, ties ? 0.125f : 0.1f};
            if (act == C8_QACT_CLIP) {
                a.lo = -40.5f;
                a.hi = 70.25f;
            }
            int8_t *q = rand_i8(&rng, cnt), *pq = calloc(pcnt, 1), *y_ref = malloc(cnt);
            int8_t *y_h = malloc(pcnt), *y_c = malloc(cnt);
            if (cnt >= 4) { /* hand-worked: 5 * 0.5 = 2.5 -> 2 (ties to even); -3; 127; -127 */
                q[0] = 5, q[1] = -3, q[2] = 127, q[3] = -127;
            }
            for (int64_t p = 0; p < pix; p++) memcpy(pq + p * cp, q + p * c, (size_t)c);
            for (size_t j = 0; j < cnt; j++) y_ref[j] = c8_quant_epilogue_i8(q[j], m, 0, 0, 0, a);
            void *dq = dev_upload(pq, pcnt);
            gbuf y = gbuf_alloc(pcnt);
            RUN_INTO(y, y_h, pcnt,
                     c8_cuda_int8_requantize_act(pix, c, dq, m, a, y.body, g_stream, &g_err));
            CU_ASSERT(host_pad_is_zero(1, pix, c, y_h));
            for (int64_t p = 0; p < pix; p++) memcpy(y_c + p * c, y_h + p * cp, (size_t)c);
            CU_ASSERT_EQUAL(compare_exact(1, cnt, y_c, y_ref, "requantize_act", seed), 0);
            if (cnt >= 4 && ties) {
                const int8_t want_relu[4] = {2, 0, 64, 0}, want_clip[4] = {2, -2, 64, -40};
                const int8_t *want = act == C8_QACT_RELU   ? want_relu
                                     : act == C8_QACT_CLIP ? want_clip
                                                           : NULL;
                for (int j = 0; want && j < 4; j++) CU_ASSERT_EQUAL(y_c[j], want[j]);
            }
            gbuf_free(&y);
            cudaFree(dq);
            free(q);
            free(pq);
            free(y_ref);
            free(y_h);
            free(y_c);
        }
}

static void test_add(void) {
    static const int64_t cases[][2] = {{1, 1}, {49, 7}, {31, 33}, {196, 129}, {3136, 64}};
    int idx = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int out = 0; out < 3; out++)
            for (int act = 0; act < 4; act++) {
                uint64_t seed = 0xE00 + (uint64_t)idx++;
                c8t_rng rng = {seed};
                int64_t pix = cases[i][0], c = cases[i][1], cp = c8t_cpad(c);
                size_t cnt = (size_t)(pix * c), pcnt = (size_t)(pix * cp);
                size_t el = out == C8_QOUT_INT8 ? 1 : out == C8_QOUT_FLOAT ? 4 : 2;
                int ties = idx % 2;
                float ma = ties ? 0.5f : c8t_uniform(&rng, 0.2f, 1.5f);
                float mb = ties ? 0.25f : c8t_uniform(&rng, 0.2f, 1.5f);
                c8_quant_act a = {act, -INFINITY, INFINITY, ties ? 0.125f : 0.1f};
                if (act == C8_QACT_CLIP) {
                    a.lo = -40.5f;
                    a.hi = 70.25f;
                }
                /* view (pix, c) with channels fastest: reference over NHWC order directly */
                int8_t *qa = rand_i8(&rng, cnt), *qb = rand_i8(&rng, cnt);
                int8_t *pa = calloc(pcnt, 1), *pb = calloc(pcnt, 1);
                for (int64_t p = 0; p < pix; p++) {
                    memcpy(pa + p * cp, qa + p * c, (size_t)c);
                    memcpy(pb + p * cp, qb + p * c, (size_t)c);
                }
                void *y_ref = malloc(cnt * el), *y_h = malloc(pcnt * el), *y_c = malloc(cnt * el);
                c8_ref_int8_add((int64_t)cnt, qa, ma, qb, mb, a, out, y_ref);
                void *da = dev_upload(pa, pcnt), *db = dev_upload(pb, pcnt);
                gbuf y = gbuf_alloc(pcnt * el);
                RUN_INTO(
                    y, y_h, pcnt * el,
                    c8_cuda_int8_add(pix, c, da, ma, db, mb, a, out, y.body, g_stream, &g_err));
                CU_ASSERT(host_pad_is_zero((int)el, pix, c, y_h));
                for (int64_t p = 0; p < pix; p++)
                    memcpy((char *)y_c + (size_t)(p * c) * el, (char *)y_h + (size_t)(p * cp) * el,
                           (size_t)c * el);
                CU_ASSERT_EQUAL(compare_exact((int)el, cnt, y_c, y_ref, "add", seed), 0);
                gbuf_free(&y);
                cudaFree(da);
                cudaFree(db);
                free(qa);
                free(qb);
                free(pa);
                free(pb);
                free(y_ref);
                free(y_h);
                free(y_c);
            }
}

/* Q8Mul (a squeeze-excitation gate on int8 data): factors per (item, channel), per channel and
 * one value, against c8_ref_int8_mul (NCHW) byte for byte; odd channel counts. */
static void test_mul(void) {
    static const int64_t cases[][3] = {
        {1, 1, 1}, {2, 7, 31}, {3, 33, 49}, {2, 129, 20}, {1, 96, 1600}};
    int idx = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int form = 0; form < 3; form++) {
            uint64_t seed = 0xF00 + (uint64_t)idx++;
            c8t_rng rng = {seed};
            int64_t n = cases[i][0], c = cases[i][1], hw = cases[i][2], cp = c8t_cpad(c);
            size_t cnt = (size_t)(n * c * hw), pcnt = (size_t)(n * hw * cp);
            /* form 0: per (item, channel); 1: per channel; 2: one value */
            const int64_t f_item = form == 0 ? c : 0, f_ch = form == 2 ? 0 : 1;
            const size_t nf = form == 0 ? (size_t)(n * c) : form == 1 ? (size_t)c : 1;
            float *f = malloc(nf * sizeof *f);
            for (size_t j = 0; j < nf; j++)
                f[j] = j % 3 == 1 ? 0.5f : c8t_uniform(&rng, -1.2f, 1.2f);
            const float m = idx % 2 ? 1.0f : c8t_uniform(&rng, 0.4f, 3.0f);
            int8_t *q = rand_i8(&rng, cnt), *q_nhwc = malloc(pcnt), *y_ref = malloc(cnt);
            int8_t *y_h = malloc(pcnt), *y_c = malloc(cnt);
            host_nchw_to_nhwc(1, n, c, hw, q, q_nhwc);
            c8_ref_int8_mul(n, c, hw, q, f, f_item, f_ch, m, y_ref);
            void *dq = dev_upload(q_nhwc, pcnt), *df = dev_upload(f, nf * sizeof *f);
            gbuf y = gbuf_alloc(pcnt);
            RUN_INTO(y, y_h, pcnt,
                     c8_cuda_int8_mul(n, c, hw, dq, df, f_item, f_ch, m, y.body, g_stream, &g_err));
            CU_ASSERT(host_pad_is_zero(1, n * hw, c, y_h));
            host_nhwc_to_nchw(1, n, c, hw, y_h, y_c);
            CU_ASSERT_EQUAL(compare_exact(1, cnt, y_c, y_ref, "mul", seed), 0);
            gbuf_free(&y);
            cudaFree(dq);
            cudaFree(df);
            free(f);
            free(q);
            free(q_nhwc);
            free(y_ref);
            free(y_h);
            free(y_c);
        }
}

/* Nearest Resize on NHWC32 (an INT8 tensor kept int8 through the detector's upsampling): the
 * per-axis maps from c8_resize_nearest_src, against c8_ref_resize_nearest_i8 (NCHW) byte for
 * byte; whole factors, a fractional one, half_pixel rounding, downsampling; odd channels. */
static void test_resize_nearest(void) {
    static const struct {
        int64_t n, c, h, w, oh, ow;
        double sh, sw;
        c8_resize_coord coord;
        c8_resize_nearest nearest;
    } cases[] = {
        {1, 3, 5, 9, 10, 18, 2, 2, C8_COORD_ASYMMETRIC, C8_NEAREST_FLOOR},
        {2, 33, 4, 20, 16, 80, 4, 4, C8_COORD_ASYMMETRIC, C8_NEAREST_FLOOR},
        {1, 96, 20, 20, 160, 160, 8, 8, C8_COORD_ASYMMETRIC, C8_NEAREST_FLOOR},
        {1, 7, 4, 6, 6, 12, 1.5, 2, C8_COORD_ASYMMETRIC, C8_NEAREST_FLOOR},
        {2, 129, 5, 7, 10, 14, 2, 2, C8_COORD_HALF_PIXEL, C8_NEAREST_ROUND_PREFER_FLOOR},
        {1, 5, 9, 8, 4, 4, 0.5, 0.5, C8_COORD_HALF_PIXEL, C8_NEAREST_ROUND_PREFER_CEIL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const uint64_t seed = 0xF80 + i;
        c8t_rng rng = {seed};
        c8_resize_desc d;
        memset(&d, 0, sizeof d);
        d.rank = 4;
        const int64_t in[4] = {cases[i].n, cases[i].c, cases[i].h, cases[i].w};
        const int64_t out[4] = {cases[i].n, cases[i].c, cases[i].oh, cases[i].ow};
        const double sc[4] = {1, 1, cases[i].sh, cases[i].sw};
        for (int k = 0; k < 4; k++) d.in[k] = in[k], d.out[k] = out[k], d.scale[k] = sc[k];
        d.mode = C8_RESIZE_NEAREST;
        d.coord = cases[i].coord;
        d.nearest = cases[i].nearest;
        const int64_t n = in[0], c = in[1], hw = in[2] * in[3], ohw = out[2] * out[3],
                      cp = c8t_cpad(c);
        const size_t cnt = (size_t)(n * c * hw), ocnt = (size_t)(n * c * ohw);
        int8_t *x = rand_i8(&rng, cnt), *x_nhwc = malloc((size_t)(n * hw * cp));
        int8_t *y_ref = malloc(ocnt), *y_h = malloc((size_t)(n * ohw * cp)), *y_c = malloc(ocnt);
        host_nchw_to_nhwc(1, n, c, hw, x, x_nhwc);
        c8_ref_resize_nearest_i8(&d, x, y_ref);
        int32_t *maps = malloc((size_t)(out[2] + out[3]) * sizeof *maps);
        for (int64_t k = 0; k < out[2]; k++) maps[k] = (int32_t)c8_resize_nearest_src(&d, 2, k);
        for (int64_t k = 0; k < out[3]; k++)
            maps[out[2] + k] = (int32_t)c8_resize_nearest_src(&d, 3, k);
        void *dx = dev_upload(x_nhwc, (size_t)(n * hw * cp));
        int32_t *dm = dev_upload(maps, (size_t)(out[2] + out[3]) * sizeof *maps);
        gbuf y = gbuf_alloc((size_t)(n * ohw * cp));
        RUN_INTO(y, y_h, (size_t)(n * ohw * cp),
                 c8_cuda_int8_resize_nearest(n, c, in[2], in[3], out[2], out[3], dm, dm + out[2],
                                             dx, y.body, g_stream, &g_err));
        CU_ASSERT(host_pad_is_zero(1, n * ohw, c, y_h));
        host_nhwc_to_nchw(1, n, c, ohw, y_h, y_c);
        CU_ASSERT_EQUAL(compare_exact(1, ocnt, y_c, y_ref, "resize nearest", seed), 0);
        gbuf_free(&y);
        cudaFree(dx);
        cudaFree(dm);
        free(maps);
        free(x);
        free(x_nhwc);
        free(y_ref);
        free(y_h);
        free(y_c);
    }
}

static void test_concat(void) {
    static const int64_t chans[][4] = {
        {1, 1, 0, 0}, {7, 33, 1, 0}, {64, 64, 0, 0}, {129, 3, 31, 2}, {48, 16, 5, 32}};
    /* 16-aligned inputs at 16-aligned places take the 16-byte kernel, the others 4 bytes */
    static const int64_t pixs[] = {1, 49, 3 * 14 * 14, 7, 3 * 7 * 7};
    for (size_t i = 0; i < sizeof pixs / sizeof pixs[0]; i++) {
        uint64_t seed = 0xF00 + i;
        c8t_rng rng = {seed};
        int64_t pix = pixs[i], ctot = 0;
        int nin = 0;
        while (nin < 4 && chans[i][nin]) ctot += chans[i][nin++];
        const int64_t cpo = c8t_cpad(ctot);
        int8_t *xs[4], *xps[4];
        const int8_t *dxs[4];
        float mults[4];
        for (int j = 0; j < nin; j++) {
            int64_t cj = chans[i][j], cpj = c8t_cpad(cj);
            xs[j] = rand_i8(&rng, (size_t)(pix * cj));
            xps[j] = calloc((size_t)(pix * cpj), 1);
            for (int64_t p = 0; p < pix; p++) memcpy(xps[j] + p * cpj, xs[j] + p * cj, (size_t)cj);
            dxs[j] = dev_upload(xps[j], (size_t)(pix * cpj));
            mults[j] = j == 0 ? 1.0f : j == 1 ? 0.5f : c8t_uniform(&rng, 0.3f, 2.0f);
        }
        /* reference on (outer = pix, C_i, inner = 1): channels fastest, as NHWC */
        int8_t *y_ref = malloc((size_t)(pix * ctot)), *y_h = malloc((size_t)(pix * cpo));
        int8_t *y_c = malloc((size_t)(pix * ctot));
        c8_ref_int8_concat(pix, 1, nin, (const int8_t *const *)xs, chans[i], mults, y_ref);
        gbuf y = gbuf_alloc((size_t)(pix * cpo));
        RUN_INTO(y, y_h, (size_t)(pix * cpo),
                 c8_cuda_int8_concat(pix, nin, dxs, chans[i], mults, y.body, g_stream, &g_err));
        CU_ASSERT(host_pad_is_zero(1, pix, ctot, y_h));
        for (int64_t p = 0; p < pix; p++) memcpy(y_c + p * ctot, y_h + p * cpo, (size_t)ctot);
        CU_ASSERT_EQUAL(compare_exact(1, (size_t)(pix * ctot), y_c, y_ref, "concat", seed), 0);
        gbuf_free(&y);
        for (int j = 0; j < nin; j++) {
            cudaFree((void *)dxs[j]);
            free(xs[j]);
            free(xps[j]);
        }
        free(y_ref);
        free(y_h);
        free(y_c);
    }
}

/* NCHW <-> NHWC32 for 1, 2 and 4-byte elements; int8 also against quant/layout.c. */
static void test_layouts(void) {
    static const int64_t cases[][3] = {
        {1, 1, 1}, {3, 3, 49}, {2, 33, 31}, {1, 129, 196}, {3, 64, 1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int elem = 1; elem <= 4; elem *= 2) {
            uint64_t seed = 0x1000 + i * 4 + (uint64_t)elem;
            c8t_rng rng = {seed};
            int64_t n = cases[i][0], c = cases[i][1], hw = cases[i][2], cp = c8t_cpad(c);
            size_t cnt = (size_t)(n * c * hw), pcnt = (size_t)(n * hw * cp);
            uint8_t *src = malloc(cnt * (size_t)elem), *want = malloc(pcnt * (size_t)elem);
            uint8_t *got = malloc(pcnt * (size_t)elem), *back = malloc(cnt * (size_t)elem);
            for (size_t j = 0; j < cnt * (size_t)elem; j++) src[j] = (uint8_t)c8t_next(&rng);
            host_nchw_to_nhwc(elem, n, c, hw, src, want);
            if (elem == 1) { /* the helper agrees with quant/layout.c */
                int8_t *l = malloc(pcnt);
                CT_OK(c8_quant_nchw_to_nhwc(n, c, 1, hw, 32, (const int8_t *)src, l, &g_err),
                      &g_err);
                CU_ASSERT(memcmp(l, want, pcnt) == 0);
                free(l);
            }
            void *ds = dev_upload(src, cnt * (size_t)elem);
            gbuf y = gbuf_alloc(pcnt * (size_t)elem), z = gbuf_alloc(cnt * (size_t)elem);
            RUN_INTO(y, got, pcnt * (size_t)elem,
                     c8_cuda_nchw_to_nhwc(elem, n, c, hw, ds, y.body, g_stream, &g_err));
            CU_ASSERT(memcmp(got, want, pcnt * (size_t)elem) == 0);
            RUN_INTO(z, back, cnt * (size_t)elem,
                     c8_cuda_nhwc_to_nchw(elem, n, c, hw, y.body, z.body, g_stream, &g_err));
            CU_ASSERT(memcmp(back, src, cnt * (size_t)elem) == 0);
            gbuf_free(&y);
            gbuf_free(&z);
            cudaFree(ds);
            free(src);
            free(want);
            free(got);
            free(back);
        }
}

static const c8_test_case kCases[] = {
    {"maxpool", test_maxpool},
    {"avgpool", test_avgpool},
    {"global_avgpool", test_global_avgpool},
    {"quantize_roundtrip", test_quantize_roundtrip},
    {"requantize", test_requantize},
    {"requantize_act", test_requantize_act},
    {"add", test_add},
    {"mul", test_mul},
    {"resize_nearest", test_resize_nearest},
    {"concat", test_concat},
    {"layouts", test_layouts},
};

int main(void) {
    return c8t_cuda_main("cuda_int8_ops", kCases, (int)(sizeof kCases / sizeof kCases[0]));
}
