/* ONNX import and the host executor: valid storage forms give the float64 reference's results;
 * broken files give clear errors naming the file (and node), never a crash. The models come from
 * tests/engine/make_bad_models.py (committed under tests/engine/data/). */
#include "c8test.h"

#include "calib8/engine.h"
#include "engine/exec/memplan.h"
#include "util/npy.h"

#include <math.h>

#define DATA C8_SOURCE_DIR "/tests/engine/data/"
/* float32 conv of 18-term dot products of O(1) values vs float64: |err| / max(|ref|, 1) stays
 * near 1e-7; 1e-5 leaves room for accumulation order without hiding indexing bugs */
#define CONV_TOL 1e-5

static void expect_error(const char *file, c8_status want, const char *phrase) {
    c8_model *m = NULL;
    c8_error err = {0};
    c8_status s = c8_model_load(file, NULL, &m, &err);
    if (s != want || !strstr(err.msg, file) || (phrase && !strstr(err.msg, phrase)))
        printf("\n  %s: status %d (want %d), message: %s", file, s, want, err.msg);
    CU_ASSERT_EQUAL(s, want);
    CU_ASSERT_PTR_NULL(m);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, file));
    if (phrase) CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, phrase));
    c8_model_destroy(m);
}

static void test_bad_models(void) {
    expect_error(DATA "truncated.onnx", C8_ERR_PARSE, "truncated or corrupt");
    expect_error(DATA "empty.onnx", C8_ERR_PARSE, "empty");
    expect_error(DATA "missing_initializer.onnx", C8_ERR_PARSE, "'W'");
    expect_error(DATA "shape_mismatch.onnx", C8_ERR_SHAPE, "'add'");
    expect_error(DATA "string_input.onnx", C8_ERR_UNSUPPORTED, "'s'");
    expect_error(DATA "bfloat16_weight.onnx", C8_ERR_UNSUPPORTED, "bfloat16");
    expect_error(DATA "negative_dim.onnx", C8_ERR_PARSE, "negative dimension");
    expect_error(DATA "huge_dim.onnx", C8_ERR_LIMIT, "'W'");
    expect_error(DATA "raw_data_short.onnx", C8_ERR_PARSE, "raw_data holds 100 bytes");
    expect_error(DATA "cycle.onnx", C8_ERR_PARSE, "cycle");
    expect_error(DATA "unknown_op.onnx", C8_ERR_UNSUPPORTED, "FooBar (1 node, first 'mystery')");
    /* every unsupported op type in one message, with its node count, in order of appearance
     * (make_unsupported_ops_model.py) */
    expect_error(DATA "unsupported_ops.onnx", C8_ERR_UNSUPPORTED,
                 "3 op types are not supported by calib8");
    expect_error(DATA "unsupported_ops.onnx", C8_ERR_UNSUPPORTED,
                 ": Cos (3 nodes, first 'cos0'), Sin (2 nodes, first 'sin0'), "
                 "com.microsoft:FusedGelu (1 node, first 'fmm')");
    expect_error(DATA "custom_domain.onnx", C8_ERR_UNSUPPORTED, "com.microsoft");
    expect_error(DATA "bad_group.onnx", C8_ERR_SHAPE, "'conv3' (Conv)");
    expect_error(DATA "opset5.onnx", C8_ERR_UNSUPPORTED, "opset 5");
    expect_error(DATA "double_producer.onnx", C8_ERR_PARSE, "'y'");
    expect_error(DATA "ext_escape.onnx", C8_ERR_IO, "'W'");
    expect_error(DATA "ext_absolute.onnx", C8_ERR_INVALID, "absolute path");
    expect_error(DATA "ext_missing.onnx", C8_ERR_IO, "nope.bin");
    expect_error(DATA "no_such_file.onnx", C8_ERR_IO, "cannot open");
    /* corrupt bytes may still parse as some protobuf; whatever happens, no crash, and an error */
    c8_model *m = NULL;
    c8_error err = {0};
    CU_ASSERT_NOT_EQUAL(c8_model_load(DATA "corrupt.onnx", NULL, &m, &err), C8_OK);
    c8_model_destroy(m);
}

/* float64 reference: conv 3x3 pad 1 (3 out, 2 in channels) + bias + relu on N x 2 x 5 x 5 */
static void ref_conv_relu(const float *x, int n, const float *w, const float *b, double *y) {
    for (int i = 0; i < n; i++)
        for (int k = 0; k < 3; k++)
            for (int p = 0; p < 5; p++)
                for (int q = 0; q < 5; q++) {
                    double acc = b[k];
                    for (int c = 0; c < 2; c++)
                        for (int r = 0; r < 3; r++)
                            for (int s = 0; s < 3; s++) {
                                int h = p + r - 1, ww = q + s - 1;
                                if (h < 0 || h >= 5 || ww < 0 || ww >= 5) continue;
                                acc += (double)x[((i * 2 + c) * 5 + h) * 5 + ww] *
                                       w[((k * 2 + c) * 3 + r) * 3 + s];
                            }
                    y[((i * 3 + k) * 5 + p) * 5 + q] = acc > 0 ? acc : 0;
                }
}

static void run_and_check(const char *file, int batch, int expect_rank) {
    c8_error err = {0};
    c8_model *m = NULL;
    c8_status s = c8_model_load(file, NULL, &m, &err);
    if (s) printf("\n  %s", err.msg);
    CU_ASSERT_EQUAL_FATAL(s, C8_OK);
    CU_ASSERT_EQUAL(c8_model_num_inputs(m), 1);
    c8_npy w, b;
    CU_ASSERT_EQUAL_FATAL(c8_npy_read(DATA "good_conv_w.npy", &w, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_npy_read(DATA "good_conv_b.npy", &b, &err), C8_OK);
    c8_engine *e = NULL;
    c8_context *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(c8_engine_build(m, NULL, &e, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_context_create(e, &ctx, &err), C8_OK);
    c8t_rng rng = {42};
    size_t nx = (size_t)batch * 2 * 25;
    float *x = malloc(nx * sizeof *x);
    double *ref = malloc((size_t)batch * 75 * sizeof *ref);
    for (size_t i = 0; i < nx; i++) x[i] = c8t_uniform(&rng, -1, 1);
    ref_conv_relu(x, batch, w.data, b.data, ref);
    c8_host_tensor in = {NULL, C8_DT_FLOAT, {4, {batch, 2, 5, 5}}, x};
    s = c8_context_run(ctx, &in, 1, &err);
    if (s) printf("\n  %s", err.msg);
    CU_ASSERT_EQUAL_FATAL(s, C8_OK);
    c8_host_tensor out;
    CU_ASSERT_EQUAL_FATAL(c8_context_output(ctx, 0, &out, &err), C8_OK);
    CU_ASSERT_EQUAL(out.shape.rank, expect_rank);
    CU_ASSERT_EQUAL(out.shape.d[0], batch);
    CU_ASSERT_EQUAL(c8_shape_numel(&out.shape), batch * 75);
    const float *y = out.data;
    double worst = 0;
    int wi = -1;
    for (int i = 0; i < batch * 75; i++) {
        double d = fabs(y[i] - ref[i]) / fmax(fabs(ref[i]), 1.0);
        if (d > worst) {
            worst = d;
            wi = i;
        }
    }
    if (worst > CONV_TOL) printf("\n  %s: worst rel error %g at %d", file, worst, wi);
    CU_ASSERT(worst <= CONV_TOL);
    free(x);
    free(ref);
    c8_npy_free(&w);
    c8_npy_free(&b);
    c8_context_destroy(ctx);
    c8_engine_destroy(e);
    c8_model_destroy(m);
}

static void test_good_models(void) {
    run_and_check(DATA "good_conv.onnx", 1, 4);
    run_and_check(DATA "good_conv.onnx", 3, 4);
    run_and_check(DATA "good_init_as_input.onnx", 2, 4);
    run_and_check(DATA "external/model.onnx", 2, 4);
    /* the Shape->Gather->Unsqueeze->Concat->Reshape chain folds once the batch is known */
    run_and_check(DATA "good_shape_subgraph.onnx", 1, 2);
    run_and_check(DATA "good_shape_subgraph.onnx", 4, 2);
}

static void test_run_errors(void) {
    c8_error err = {0};
    c8_model *m = NULL;
    CU_ASSERT_EQUAL_FATAL(c8_model_load(DATA "good_conv.onnx", NULL, &m, &err), C8_OK);
    c8_engine *e = NULL;
    c8_context *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(c8_engine_build(m, NULL, &e, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_context_create(e, &ctx, &err), C8_OK);
    float x[2 * 2 * 6 * 6] = {0};
    c8_host_tensor in = {NULL, C8_DT_FLOAT, {4, {1, 2, 6, 6}}, x};
    CU_ASSERT_EQUAL(c8_context_run(ctx, &in, 1, &err), C8_ERR_SHAPE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "1x2x6x6"));
    in.shape = (c8_shape){3, {1, 2, 5}};
    CU_ASSERT_EQUAL(c8_context_run(ctx, &in, 1, &err), C8_ERR_SHAPE);
    in.shape = (c8_shape){4, {1, 2, 5, 5}};
    in.dtype = C8_DT_INT64;
    CU_ASSERT_EQUAL(c8_context_run(ctx, &in, 1, &err), C8_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "float32"));
    in.dtype = C8_DT_FLOAT;
    in.name = "nope";
    CU_ASSERT_EQUAL(c8_context_run(ctx, &in, 1, &err), C8_ERR_NOT_FOUND);
    /* pinning a wrong shape is refused */
    c8_shape bad = {4, {1, 3, 5, 5}};
    CU_ASSERT_EQUAL(c8_model_set_input_shape(m, NULL, &bad, &err), C8_ERR_SHAPE);
    c8_context_destroy(ctx);
    c8_engine_destroy(e);
    c8_model_destroy(m);
}

static void test_memplan(void) {
    /* random live ranges: blocks alive at the same time never overlap; deterministic */
    for (int trial = 0; trial < 50; trial++) {
        c8t_rng rng = {(uint64_t)trial + 1};
        int n = c8t_randint(&rng, 1, 60);
        c8_mem_block b[60], b2[60];
        for (int i = 0; i < n; i++) {
            int f = c8t_randint(&rng, 0, 40);
            b[i] = (c8_mem_block){(size_t)c8t_randint(&rng, 1, 5000), f,
                                  f + c8t_randint(&rng, 0, 10), 0};
        }
        memcpy(b2, b, sizeof b);
        int ovf;
        size_t total = c8_memplan(b, n, 64, &ovf);
        CU_ASSERT_FALSE(ovf);
        size_t total2 = c8_memplan(b2, n, 64, &ovf);
        CU_ASSERT_EQUAL(total, total2);
        size_t sum = 0;
        for (int i = 0; i < n; i++) {
            CU_ASSERT_EQUAL(b[i].offset, b2[i].offset);
            CU_ASSERT_EQUAL(b[i].offset % 64, 0);
            CU_ASSERT(b[i].offset + b[i].size <= total);
            sum += (b[i].size + 63) / 64 * 64;
            for (int j = 0; j < i; j++) {
                int live = !(b[i].last < b[j].first || b[j].last < b[i].first);
                int mem =
                    b[i].offset < b[j].offset + b[j].size && b[j].offset < b[i].offset + b[i].size;
                if (live && mem) printf("\n  seed %d: blocks %d and %d overlap", trial + 1, i, j);
                CU_ASSERT_FALSE(live && mem);
            }
        }
        CU_ASSERT(total <= sum); /* never worse than no reuse */
    }
}

static const c8_test_case cases[] = {
    {"bad_models", test_bad_models},
    {"good_models", test_good_models},
    {"run_errors", test_run_errors},
    {"memplan", test_memplan},
};
C8T_MAIN("import", cases)
