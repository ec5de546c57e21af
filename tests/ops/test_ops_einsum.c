/* Einsum (ops/einsum.c, kernels/ref/einsum.c) in the forms MatMul covers, against a float64
 * matrix product written out directly: plain, batched, transposed operands (attention's
 * "bhqd,bhkd->bhqk"), broadcast batch axes through an ellipsis and the implicit output, on the
 * style guide's sizes; then the rejected equations with their messages. ONNX's own Einsum test
 * data (float64: diagonal, inner product, sum, transpose, batched MatMul) runs in
 * tests/engine/test_conformance.c. */
#include "kit/graph.h"

/* A float64 sum of K float32 products rounded once: half a float32 ulp of the result, plus an
 * absolute floor for sums that cancel to near 0. */
#define EIN_RTOL 6e-8
#define EIN_ATOL 1e-12

static const uint64_t SEED = 0x5eed0e15;

/* y[b][m][n] = sum_k a[b][m][k] * b[b][k][n], a's and b's elements read through strides (so
 * one loop serves transposed operands and broadcast batches). */
static void ref_bmm(int64_t B, int64_t M, int64_t K, int64_t N, const float *a, int64_t sab,
                    int64_t sam, int64_t sak, const float *b, int64_t sbb, int64_t sbk, int64_t sbn,
                    double *y) {
    for (int64_t i = 0; i < B; i++)
        for (int64_t m = 0; m < M; m++)
            for (int64_t n = 0; n < N; n++) {
                double acc = 0;
                for (int64_t k = 0; k < K; k++)
                    acc += (double)a[i * sab + m * sam + k * sak] * b[i * sbb + k * sbk + n * sbn];
                y[(i * M + m) * N + n] = acc;
            }
}

static float *rand_f(c8t_rng *r, int64_t n) {
    float *p = malloc((size_t)(n ? n : 1) * sizeof *p);
    for (int64_t i = 0; i < n; i++) p[i] = c8t_uniform(r, -1.0f, 1.0f);
    return p;
}

static bool run_eq(const char *eq, int ra, const int64_t *da, const float *a, int rb,
                   const int64_t *db, const float *b, const double *want, int64_t ny,
                   const char *shape) {
    t_op *t = t_new(13, "Einsum");
    t_in(t, C8_DT_FLOAT, ra, da, a);
    t_in(t, C8_DT_FLOAT, rb, db, b);
    t_attr_s(t, "equation", eq);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load_run(t));
    bool ok = t->y[0] && !strcmp(t_shape(t, 0), shape) &&
              t_close_f32(t->y[0], want, ny, EIN_RTOL, EIN_ATOL, eq);
    if (!ok)
        printf("    (%s: shape %s, want %s, seed %#llx)\n", eq, t_shape(t, 0), shape,
               (unsigned long long)SEED);
    t_free(t);
    return ok;
}

static void test_matmul_forms(void) {
    static const int64_t sizes[] = {1, 3, 7, 31, 33};
    c8t_rng r = {SEED};
    for (int s = 0; s < 5; s++) {
        int64_t M = sizes[s], K = sizes[(s + 2) % 5], N = sizes[(s + 4) % 5], B = 3;
        char shp[64];
        float *a = rand_f(&r, B * M * K), *b = rand_f(&r, B * K * N);
        double *y = malloc((size_t)(B * M * N) * sizeof *y);
        /* plain: ij,jk->ik */
        ref_bmm(1, M, K, N, a, 0, K, 1, b, 0, N, 1, y);
        snprintf(shp, sizeof shp, "%lldx%lld", (long long)M, (long long)N);
        CU_ASSERT(
            run_eq("ij,jk->ik", 2, (int64_t[]){M, K}, a, 2, (int64_t[]){K, N}, b, y, M * N, shp));
        /* implicit output: the same */
        CU_ASSERT(run_eq("ij,jk", 2, (int64_t[]){M, K}, a, 2, (int64_t[]){K, N}, b, y, M * N, shp));
        /* batched: bij,bjk->bik */
        ref_bmm(B, M, K, N, a, M * K, K, 1, b, K * N, N, 1, y);
        snprintf(shp, sizeof shp, "3x%lldx%lld", (long long)M, (long long)N);
        CU_ASSERT(run_eq("bij,bjk->bik", 3, (int64_t[]){B, M, K}, a, 3, (int64_t[]){B, K, N}, b, y,
                         B * M * N, shp));
        /* attention's Q K^T: b stored as (B, N, K) */
        ref_bmm(B, M, K, N, a, M * K, K, 1, b, N * K, 1, K, y);
        CU_ASSERT(run_eq("bqd,bkd->bqk", 3, (int64_t[]){B, M, K}, a, 3, (int64_t[]){B, N, K}, b, y,
                         B * M * N, shp));
        /* ellipsis with a broadcast batch: (3, M, K) x (1, K, N) */
        ref_bmm(B, M, K, N, a, M * K, K, 1, b, 0, N, 1, y);
        CU_ASSERT(run_eq("...ij,...jk->...ik", 3, (int64_t[]){B, M, K}, a, 3, (int64_t[]){1, K, N},
                         b, y, B * M * N, shp));
        free(a);
        free(b);
        free(y);
    }
}

static void test_einsum_errors(void) {
    static const struct {
        const char *eq;
        c8_status code;
        const char *needle;
    } k[] = {
        {"ij,jk->i$", C8_ERR_INVALID, "character '$'"},
        {"ij->ij", C8_ERR_INVALID, "1 terms for 2 inputs"},
        {"ij,kl->iz", C8_ERR_INVALID, "output label 'z' appears in no input"},
        {"ij,ik->jk", C8_ERR_SHAPE, "label 'i' has extent 3 in input 1 but 2 before"},
        {"ijk,jk->ik", C8_ERR_SHAPE, "input 0 has rank 2 but its term has 3 labels"},
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        t_op *t = t_new(13, "Einsum");
        t_in(t, C8_DT_FLOAT, 2, (int64_t[]){2, 3}, NULL);
        t_in(t, C8_DT_FLOAT, 2, (int64_t[]){3, 4}, NULL);
        t_attr_s(t, "equation", k[i].eq);
        t_outs(t, 1);
        T_EXPECT_ERR(t, t_load(t), k[i].code, k[i].needle);
        t_free(t);
    }
}

static const c8_test_case cases[] = {
    {"matmul_forms", test_matmul_forms},
    {"einsum_errors", test_einsum_errors},
};
C8T_MAIN("ops_einsum", cases)
