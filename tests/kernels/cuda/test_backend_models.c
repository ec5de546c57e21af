/* The CUDA backend end to end: ONNX conformance models on the GPU (every case the CPU passes must
 * pass on the GPU with the same tolerances), the bundled Fashion-MNIST models and test models in
 * FP32 / FP16 / INT8 against the CPU engine, the GPU calibration histogram against c8_hist_add on
 * the same data (bit-exact bins, absmax, min, max, range; the same NaN / Inf errors), calibration
 * caches from GPU and CPU observers compared byte for byte, CUDA Graph replay against the run it
 * was captured from, and several contexts of one engine running from several threads.
 * Exits 77 without a GPU. */
#include "tests/kernels/cuda/backend_test_util.h"

#include "calib/hist.h"
#include "engine/onnx/onnx_import.h"
#include "kernels/ref/fp16.h"

#include <dirent.h>
#include <pthread.h>
#include <sys/stat.h>

/* ---------------------------------------------------------------- conformance */

#define CONF_RTOL 1e-4 /* as tests/engine/test_conformance.c */
#define CONF_ATOL 1e-5

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_dir(const char *dir, const char *prefix, char ***out) {
    DIR *d = opendir(dir);
    *out = NULL;
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0) continue;
        *out = realloc(*out, (size_t)(n + 1) * sizeof(char *));
        (*out)[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(*out, (size_t)n, sizeof(char *), cmp_str);
    return n;
}

static void free_list(char **l, int n) {
    for (int i = 0; i < n; i++) free(l[i]);
    free(l);
}

static c8_status read_pb(const char *path, c8_const *c, c8_error *err) {
    unsigned char *buf;
    size_t len;
    C8_TRY(c8_read_file(path, 0, &buf, &len, err));
    c8_status s = c8_onnx_parse_tensor(buf, len, path, c, NULL, err);
    free(buf);
    return s;
}

static double elem(c8_dtype dt, const void *p, size_t i) {
    switch (dt) {
    case C8_DT_FLOAT: return ((const float *)p)[i];
    case C8_DT_DOUBLE: return ((const double *)p)[i];
    case C8_DT_INT64: return (double)((const int64_t *)p)[i];
    case C8_DT_INT32: return ((const int32_t *)p)[i];
    case C8_DT_INT16: return ((const int16_t *)p)[i];
    case C8_DT_INT8: return ((const int8_t *)p)[i];
    case C8_DT_UINT8:
    case C8_DT_BOOL: return ((const uint8_t *)p)[i];
    case C8_DT_UINT16: return ((const uint16_t *)p)[i];
    case C8_DT_UINT32: return ((const uint32_t *)p)[i];
    case C8_DT_UINT64: return (double)((const uint64_t *)p)[i];
    case C8_DT_FLOAT16: return c8_fp16_to_f32(((const uint16_t *)p)[i]);
    default: return NAN;
    }
}

/* 1 when got matches ONNX's expected output (tolerances of the CPU conformance suite). */
static int conf_match(const c8_host_tensor *got, const c8_const *want, char *why, size_t wl) {
    if (got->dtype != want->dtype || got->shape.rank != want->shape.rank) {
        snprintf(why, wl, "dtype or rank differs");
        return 0;
    }
    for (int d = 0; d < got->shape.rank; d++)
        if (got->shape.d[d] != want->shape.d[d]) {
            snprintf(why, wl, "shape differs");
            return 0;
        }
    const int64_t n = c8_shape_numel(&want->shape);
    const int is_float =
        want->dtype == C8_DT_FLOAT || want->dtype == C8_DT_DOUBLE || want->dtype == C8_DT_FLOAT16;
    for (int64_t i = 0; i < n; i++) {
        double g = elem(got->dtype, got->data, (size_t)i),
               w = elem(want->dtype, want->data, (size_t)i);
        if (is_float) {
            if (isnan(w) && isnan(g)) continue;
            if (isinf(w) && g == w) continue;
            if (!(fabs(g - w) <= CONF_ATOL + CONF_RTOL * fabs(w))) {
                snprintf(why, wl, "element %lld is %.9g, expected %.9g", (long long)i, g, w);
                return 0;
            }
        } else if (g != w) {
            snprintf(why, wl, "element %lld is %.17g, expected %.17g", (long long)i, g, w);
            return 0;
        }
    }
    return 1;
}

enum { R_PASS, R_FAIL, R_SKIP };

/* Runs one test_data_set on dev; R_SKIP when the model or engine is unsupported. */
static int conf_run(c8_model *m, c8_device dev, const char *sdir, char *why, size_t wl) {
    char path[4096];
    char **ins, **outs;
    int nin = list_dir(sdir, "input_", &ins), nout = list_dir(sdir, "output_", &outs);
    c8_const *cin = calloc((size_t)nin + 1, sizeof *cin),
             *cout = calloc((size_t)nout + 1, sizeof *cout);
    c8_host_tensor *hin = calloc((size_t)nin + 1, sizeof *hin);
    c8_error err = {0};
    int r = R_PASS;
    for (int k = 0; k < nin && r == R_PASS; k++) {
        snprintf(path, sizeof path, "%s/input_%d.pb", sdir, k);
        if (read_pb(path, &cin[k], &err) != C8_OK) r = R_SKIP;
        hin[k] = (c8_host_tensor){NULL, cin[k].dtype, cin[k].shape, cin[k].data};
    }
    for (int k = 0; k < nout && r == R_PASS; k++) {
        snprintf(path, sizeof path, "%s/output_%d.pb", sdir, k);
        if (read_pb(path, &cout[k], &err) != C8_OK) r = R_SKIP;
    }
    if (r == R_PASS && nin != c8_model_num_inputs(m)) r = R_SKIP;
    c8_engine *e = NULL;
    c8_context *ctx = NULL;
    if (r == R_PASS) {
        c8_build_options bo;
        c8_build_options_init(&bo);
        bo.device = dev;
        c8_status s = c8_engine_build(m, &bo, &e, &err);
        if (s == C8_OK) s = c8_context_create(e, &ctx, &err);
        if (s == C8_OK) s = c8_context_run(ctx, hin, nin, &err);
        if (s != C8_OK) {
            snprintf(why, wl, "%s", err.msg);
            r = s == C8_ERR_UNSUPPORTED ? R_SKIP : R_FAIL;
        }
    }
    if (r == R_PASS && nout != c8_engine_num_outputs(e)) r = R_SKIP;
    for (int k = 0; k < nout && r == R_PASS; k++) {
        c8_host_tensor got;
        if (c8_context_output(ctx, k, &got, &err) != C8_OK || !conf_match(&got, &cout[k], why, wl))
            r = R_FAIL;
    }
    c8_context_destroy(ctx);
    c8_engine_destroy(e);
    for (int k = 0; k < nin; k++) c8_const_free(&cin[k]);
    for (int k = 0; k < nout; k++) c8_const_free(&cout[k]);
    free(cin);
    free(cout);
    free(hin);
    free_list(ins, nin);
    free_list(outs, nout);
    return r;
}

static void test_conformance_gpu(void) {
    const char *root = getenv("C8_ONNX_TESTDATA");
    if (!root) root = "/usr/share/libonnx-testdata/data";
    struct stat st;
    if (stat(root, &st) != 0) C8_SKIP("%s not found (set C8_ONNX_TESTDATA)", root);
    const char *filter = getenv("C8_CONFORMANCE_FILTER");
    static const char *groups[] = {"node", "pytorch-converted", "pytorch-operator", "simple"};
    int pass = 0, fail = 0, skipped = 0;
    char rp[1100];
    bt_tmp_path(rp, sizeof rp, "conformance_gpu_report.txt");
    FILE *rep = fopen(rp, "w");
    printf("\n  per-case report: %s", rp);
    for (size_t gi = 0; gi < sizeof groups / sizeof groups[0]; gi++) {
        char gdir[1024];
        snprintf(gdir, sizeof gdir, "%s/%s", root, groups[gi]);
        char **cs;
        int nc = list_dir(gdir, "test_", &cs);
        for (int i = 0; i < nc; i++) {
            if (filter && !strstr(cs[i], filter)) continue;
            char dir[2048], path[4096], why[1024] = "";
            snprintf(dir, sizeof dir, "%s/%s", gdir, cs[i]);
            snprintf(path, sizeof path, "%s/model.onnx", dir);
            c8_error err = {0};
            c8_model *m = NULL;
            if (c8_model_load(path, NULL, &m, &err) != C8_OK) {
                skipped++;
                continue;
            }
            char **sets;
            int ns = list_dir(dir, "test_data_set_", &sets);
            int r = ns ? R_PASS : R_SKIP;
            for (int t = 0; t < ns && r == R_PASS; t++) {
                char sdir[4096];
                snprintf(sdir, sizeof sdir, "%s/%s", dir, sets[t]);
                /* only cases the CPU reference passes */
                char cwhy[1024] = "";
                if (conf_run(m, C8_DEVICE_CPU, sdir, cwhy, sizeof cwhy) != R_PASS)
                    r = R_SKIP;
                else
                    r = conf_run(m, bt_gpu(), sdir, why, sizeof why);
            }
            free_list(sets, ns);
            c8_model_destroy(m);
            if (r == R_PASS)
                pass++;
            else if (r == R_SKIP)
                skipped++;
            else {
                fail++;
                printf("\n  GPU FAIL %s/%s: %s", groups[gi], cs[i], why);
            }
            if (rep && r != R_SKIP)
                fprintf(rep, "%-5s %s/%s%s%s\n", r == R_PASS ? "PASS" : "FAIL", groups[gi], cs[i],
                        why[0] ? ": " : "", why);
        }
        free_list(cs, nc);
    }
    if (rep) fclose(rep);
    printf("\n  conformance on the GPU: %d passed, %d failed, %d not run (unsupported or failing "
           "on the CPU)\n",
           pass, fail, skipped);
    CU_ASSERT_EQUAL(fail, 0);
    if (!filter) CU_ASSERT(pass > 0);
}

/* ---------------------------------------------------------------- whole models */

/* Compares CPU and GPU engines of one model in FP32, FP16 and INT8 on random inputs of batch b
 * (the first axis when dynamic). */
static void check_model(const char *path, int64_t batch, bool want_int8) {
    c8_error err = {0};
    c8_model *m = NULL;
    if (c8_model_load(path, NULL, &m, &err) != C8_OK) {
        printf("\n  %s: %s", path, err.msg);
        CU_FAIL("model load");
        return;
    }
    const char *iname;
    c8_shape s;
    c8_model_input(m, 0, &iname, NULL, &s);
    if (s.rank > 0 && s.d[0] < 0) {
        s.d[0] = batch;
        BT_OK(c8_model_set_input_shape(m, iname, &s, &err), &err);
    }
    c8t_rng rng = {42};
    bt_inputs in;
    bt_random_inputs(m, &rng, &in);
    static const c8_precision precs[] = {C8_PREC_FP32, C8_PREC_FP16, C8_PREC_INT8};
    char cache[512];
    bt_tmp_path(cache, sizeof cache, "model.cache");
    c8_calib_cache *cc = NULL;
    if (want_int8) BT_OK(bt_make_cache(m, &in, cache, &err), &err);
    if (want_int8) BT_OK(c8_calib_cache_read(cache, &cc, &err), &err);
    c8_scale_source src = c8_calib_cache_scales(cc);
    for (int pi = 0; pi < (want_int8 ? 3 : 2); pi++) {
        c8_build_options bo;
        c8_build_options_init(&bo);
        bo.precision = precs[pi];
        bo.scales = precs[pi] == C8_PREC_INT8 ? &src : NULL;
        c8_engine *ec = NULL, *eg = NULL;
        pu_result rc, rg;
        c8_status s1 = c8_engine_build(m, &bo, &ec, &err);
        BT_OK(s1, &err);
        bo.device = bt_gpu();
        c8_status s2 = s1 == C8_OK ? c8_engine_build(m, &bo, &eg, &err) : C8_ERR_INTERNAL;
        if (s1 == C8_OK) BT_OK(s2, &err);
        if (s1 == C8_OK && s2 == C8_OK) {
            c8_status r1 = pu_run_engine(ec, in.t, &rc, &err);
            BT_OK(r1, &err);
            c8_status r2 = r1 == C8_OK ? pu_run_engine(eg, in.t, &rg, &err) : C8_ERR_INTERNAL;
            if (r1 == C8_OK) BT_OK(r2, &err);
            if (r1 == C8_OK && r2 == C8_OK) {
                double worst;
                char why[512] = "";
                bool ok = pu_compare(&rc, &rg, &worst, why, sizeof why);
                bool exact = precs[pi] == C8_PREC_INT8 && bt_int8_exact(eg);
                double tol = precs[pi] == C8_PREC_FP16 ? BT_FP16_MODEL_RTOL : BT_FP32_RTOL;
                bool pass = ok && (exact ? worst == 0 : worst <= tol);
                /* top-1 agreement over the batch (first output, (N, classes)) */
                int64_t agree = 0, rows = 0;
                const c8_host_tensor *a = &rc.out[0], *b = &rg.out[0];
                if (a->dtype == C8_DT_FLOAT && a->shape.rank == 2) {
                    rows = a->shape.d[0];
                    const int64_t cls = a->shape.d[1];
                    for (int64_t r = 0; r < rows; r++) {
                        int64_t ia = 0, ib = 0;
                        const float *pa = (const float *)a->data + r * cls;
                        const float *pb = (const float *)b->data + r * cls;
                        for (int64_t k = 1; k < cls; k++) {
                            if (pa[k] > pa[ia]) ia = k;
                            if (pb[k] > pb[ib]) ib = k;
                        }
                        agree += ia == ib;
                    }
                }
                printf("\n    %-36s %s: GPU vs CPU rel %.3g%s, top-1 agreement %lld/%lld", path,
                       c8_precision_name(precs[pi]), worst, exact ? " (must be exact)" : "",
                       (long long)agree, (long long)rows);
                if (!pass) printf("\n  %s %s: %s", path, c8_precision_name(precs[pi]), why);
                CU_ASSERT(pass);
                /* the bundled models' INT8 layers all have GPU kernels: a host fallback would
                 * make "GPU equals CPU" hold trivially (it once did: a NULL multiplier in the
                 * backend's support query sent every INT8 conv to the host) */
                if (precs[pi] == C8_PREC_INT8 && strstr(path, "fmnist")) {
                    /* the placement, as the engine records it (engine.h) */
                    int host_nodes = c8_engine_num_host_nodes(eg), copies = 0;
                    for (int i = 0; i < c8_engine_num_nodes(eg); i++) {
                        c8_node_placement pl;
                        c8_engine_node_placement(eg, i, &pl);
                        copies += !strcmp(pl.role, "copy");
                        if (!strcmp(pl.device, "host"))
                            printf("\n    host node '%s' (%s): %s", pl.name, pl.op, pl.reason);
                    }
                    printf(", nodes on the host: %d, host copies: %d", host_nodes, copies);
                    CU_ASSERT_EQUAL(host_nodes, 0);
                    CU_ASSERT_EQUAL(copies, 0);
                    CU_ASSERT_EQUAL(c8_engine_check_no_host(eg, "--strict", &err), C8_OK);
                }
            }
            if (r1 == C8_OK) pu_result_free(&rc);
            if (r2 == C8_OK) pu_result_free(&rg);
        }
        c8_engine_destroy(ec);
        c8_engine_destroy(eg);
    }
    if (want_int8) unlink(cache);
    bt_inputs_free(&in);
    c8_calib_cache_destroy(cc);
    c8_model_destroy(m);
}

static void test_bundled_models(void) {
    static const char *names[] = {"fmnist_cnn", "fmnist_resnet"};
    const char *dir = getenv("C8_TEST_MODELS");
    int found = 0;
    for (int i = 0; i < 2; i++) {
        char p[1024];
        snprintf(p, sizeof p, "%s/models/%s.onnx", bt_src_dir(), names[i]);
        struct stat st;
        if (stat(p, &st) != 0 && dir) snprintf(p, sizeof p, "%s/%s.onnx", dir, names[i]);
        if (stat(p, &st) != 0) continue;
        found++;
        check_model(p, 64, true);
    }
    if (!found) C8_SKIP("models/fmnist_*.onnx not present (C8_TEST_MODELS=DIR to point at them)");
}

static void test_engine_data_models(void) {
    char p[1024];
    snprintf(p, sizeof p, "%s/tests/engine/data/good_conv.onnx", bt_src_dir());
    check_model(p, 3, true);
}

/* ---------------------------------------------------------------- histograms */

/* A CUDA context on a trivial engine, for c8_hist_add_observed (c8_context_bin_tensor). */
static c8_status relu_ctx(c8_engine **e, c8_context **ctx, c8_error *err) {
    c8_graph *g = pu_graph(13);
    int x = pu_input(g, "x", PU_SHAPE(1, 4));
    pu_output(g, PU_OP(g, "r", "Relu", "y", x));
    c8_model *m;
    C8_TRY(bt_model(g, &m, err));
    c8_build_options bo;
    c8_build_options_init(&bo);
    bo.device = bt_gpu();
    c8_status s = c8_engine_build(m, &bo, e, err);
    c8_model_destroy(m);
    if (s == C8_OK) s = c8_context_create(*e, ctx, err);
    return s;
}

static bool hist_equal(const c8_hist *a, const c8_hist *b, char *why, size_t wl) {
    if (c8_hist_range_exp(a) != c8_hist_range_exp(b) || c8_hist_count(a) != c8_hist_count(b)) {
        snprintf(why, wl, "range 2^%d / count %llu vs 2^%d / %llu", c8_hist_range_exp(a),
                 (unsigned long long)c8_hist_count(a), c8_hist_range_exp(b),
                 (unsigned long long)c8_hist_count(b));
        return false;
    }
    if (memcmp(&(float){c8_hist_absmax(a)}, &(float){c8_hist_absmax(b)}, 4) ||
        memcmp(&(float){c8_hist_min(a)}, &(float){c8_hist_min(b)}, 4) ||
        memcmp(&(float){c8_hist_max(a)}, &(float){c8_hist_max(b)}, 4)) {
        snprintf(why, wl, "absmax/min/max %.9g %.9g %.9g vs %.9g %.9g %.9g",
                 (double)c8_hist_absmax(a), (double)c8_hist_min(a), (double)c8_hist_max(a),
                 (double)c8_hist_absmax(b), (double)c8_hist_min(b), (double)c8_hist_max(b));
        return false;
    }
    const uint64_t *ca = c8_hist_counts(a), *cb = c8_hist_counts(b);
    for (int64_t j = 0; j < c8_hist_nbins(a); j++)
        if (ca[j] != cb[j]) {
            snprintf(why, wl, "bin %lld: %llu vs %llu", (long long)j, (unsigned long long)ca[j],
                     (unsigned long long)cb[j]);
            return false;
        }
    return true;
}

/* Batch generators: ordinary values, edge values, growing and shrinking ranges. */
static void fill_batch(float *x, size_t n, int kind, int batch, c8t_rng *r) {
    for (size_t i = 0; i < n; i++) {
        float v = c8t_uniform(r, -1.0f, 1.0f);
        switch (kind) {
        case 0: v *= ldexpf(1.0f, batch * 3 - 4); break; /* ranges grow, then shrink */
        case 1: {
            /* bin edges of the current range, zeros, -0, subnormals, powers of two */
            const int pick = (int)(c8t_next(r) % 8);
            if (pick == 0)
                v = 0.0f;
            else if (pick == 1)
                v = -0.0f;
            else if (pick == 2)
                v = ldexpf((float)(c8t_next(r) % 2048), -12);
            else if (pick == 3)
                v = -ldexpf((float)(c8t_next(r) % 2048), -12);
            else if (pick == 4)
                v = ldexpf(1.0f, -149 + (int)(c8t_next(r) % 23));
            else if (pick == 5)
                v = ldexpf(1.0f, (int)(c8t_next(r) % 40) - 20);
            break;
        }
        default: v = 0.0f; break;
        }
        x[i] = v;
    }
}

static void test_hist_exact(void) {
    c8_error err = {0};
    c8_engine *e = NULL;
    c8_context *ctx = NULL;
    if (relu_ctx(&e, &ctx, &err) != C8_OK) {
        printf("\n  %s", err.msg);
        CU_FAIL("context");
        c8_engine_destroy(e);
        return;
    }
    static const size_t sizes[] = {1, 7, 4096, 1000003};
    static const int64_t bins[] = {2048, 128, 16384};
    for (int kind = 0; kind < 3; kind++)
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
            const int64_t nb = bins[(kind + si) % 3];
            c8_hist *hc = NULL, *hg = NULL;
            BT_OK(c8_hist_create(nb, &hc, &err), &err);
            BT_OK(c8_hist_create(nb, &hg, &err), &err);
            c8t_rng r = {900 + (uint64_t)(kind * 10 + (int)si)};
            const size_t n = sizes[si];
            float *x = malloc(n * sizeof *x);
            void *dx = NULL;
            const bool dry = bt_dryrun(); /* host memory for the CPU stand-in */
            if (dry)
                dx = malloc(n * sizeof *x);
            else
                CU_ASSERT_FATAL(cudaMalloc(&dx, n * sizeof *x) == cudaSuccess);
            for (int b = 0; b < 4; b++) {
                fill_batch(x, n, kind, b, &r);
                if (dry)
                    memcpy(dx, x, n * sizeof *x);
                else
                    cudaMemcpy(dx, x, n * sizeof *x, cudaMemcpyHostToDevice);
                c8_host_tensor t = {"t", C8_DT_FLOAT, {1, {(int64_t)n}}, dx};
                BT_OK(c8_hist_add(hc, x, n, "t", b, &err), &err);
                BT_OK(c8_hist_add_observed(ctx, &t, hg, b, &err), &err);
            }
            char why[256] = "";
            bool eq = hist_equal(hc, hg, why, sizeof why);
            if (!eq)
                printf("\n  histogram kind %d n %zu bins %lld: GPU differs: %s", kind, n,
                       (long long)nb, why);
            CU_ASSERT(eq);
            /* NaN and Inf: the same error as the CPU */
            if (n >= 7) {
                x[n / 2] = kind == 0 ? NAN : -INFINITY;
                if (dry)
                    memcpy(dx, x, n * sizeof *x);
                else
                    cudaMemcpy(dx, x, n * sizeof *x, cudaMemcpyHostToDevice);
                c8_host_tensor t = {"t", C8_DT_FLOAT, {1, {(int64_t)n}}, dx};
                c8_error e1 = {0}, e2 = {0};
                c8_status a = c8_hist_add(hc, x, n, "t", 9, &e1);
                c8_status b = c8_hist_add_observed(ctx, &t, hg, 9, &e2);
                CU_ASSERT(a == C8_ERR_INVALID && b == C8_ERR_INVALID);
                if (strcmp(e1.msg, e2.msg) != 0)
                    printf("\n  NaN/Inf message differs: '%s' vs '%s'", e1.msg, e2.msg);
                CU_ASSERT_STRING_EQUAL(e1.msg, e2.msg);
                CU_ASSERT(hist_equal(hc, hg, why, sizeof why)); /* both unchanged */
            }
            if (dry)
                free(dx);
            else
                cudaFree(dx);
            free(x);
            c8_hist_destroy(hc);
            c8_hist_destroy(hg);
        }
    c8_context_destroy(ctx);
    c8_engine_destroy(e);
}

/* ---------------------------------------------------------------- calibration caches */

/* A small CNN: conv-bn-relu, maxpool, conv-relu, residual, global pool, gemm, softmax. */
static c8_graph *small_cnn(c8t_rng *r, int64_t batch) {
    c8_graph *g = pu_graph(13);
    int x = pu_input(g, "input", PU_SHAPE(batch, 3, 16, 16));
    int w1 = pu_const(g, "w1", PU_SHAPE(16, 3, 3, 3), r, -0.5f, 0.5f);
    int b1 = pu_const(g, "b1", PU_SHAPE(16), r, -0.1f, 0.1f);
    int y = PU_OP(g, "conv1", "Conv", "conv1", x, w1, b1);
    PU_INTS(g, pu_last_node(g), "pads", 1, 1, 1, 1);
    int s = pu_const(g, "s", PU_SHAPE(16), r, 0.5f, 1.5f),
        bb = pu_const(g, "bb", PU_SHAPE(16), r, -0.1f, 0.1f);
    int mu = pu_const(g, "mu", PU_SHAPE(16), r, -0.1f, 0.1f),
        va = pu_const(g, "va", PU_SHAPE(16), r, 0.5f, 1.5f);
    y = PU_OP(g, "bn1", "BatchNormalization", "bn1", y, s, bb, mu, va);
    y = PU_OP(g, "relu1", "Relu", "relu1", y);
    y = PU_OP(g, "pool1", "MaxPool", "pool1", y);
    PU_INTS(g, pu_last_node(g), "kernel_shape", 2, 2);
    PU_INTS(g, pu_last_node(g), "strides", 2, 2);
    int w2 = pu_const(g, "w2", PU_SHAPE(16, 16, 3, 3), r, -0.3f, 0.3f);
    int z = PU_OP(g, "conv2", "Conv", "conv2", y, w2);
    PU_INTS(g, pu_last_node(g), "pads", 1, 1, 1, 1);
    z = PU_OP(g, "relu2", "Relu", "relu2", z);
    z = PU_OP(g, "add", "Add", "add", z, y);
    z = PU_OP(g, "gap", "GlobalAveragePool", "gap", z);
    z = PU_OP(g, "flat", "Flatten", "flat", z);
    int wf = pu_const(g, "wf", PU_SHAPE(10, 16), r, -0.5f, 0.5f);
    int bf = pu_const(g, "bf", PU_SHAPE(10), r, -0.1f, 0.1f);
    z = PU_OP(g, "fc", "Gemm", "fc", z, wf, bf);
    pu_attr_i(g, pu_last_node(g), "transB", 1);
    z = PU_OP(g, "prob", "Softmax", "prob", z);
    pu_output(g, z);
    return g;
}

typedef struct obs_hists {
    c8_context *ctx;
    const char *const *names;
    c8_hist **h;
    int n;
    int64_t batch;
    c8_status st;
} obs_hists;

static c8_status obs_hist(void *user, const char *name, const c8_host_tensor *t, c8_error *err) {
    obs_hists *o = user;
    if (t->dtype != C8_DT_FLOAT) return C8_OK;
    for (int i = 0; i < o->n; i++)
        if (!strcmp(o->names[i], name))
            return c8_hist_add_observed(o->ctx, t, o->h[i], o->batch, err);
    return C8_OK;
}

/* The calibration loop of calib/calibrate.c on dev: FP32 engine without passes, a device
 * observer building histograms, entropy thresholds, the cache written to path. */
static c8_status calibrate_on(const c8_model *m, c8_device dev, const bt_inputs *batches, int nb,
                              const char *path, c8_hist ***hists_out, c8_error *err) {
    const char *const *names;
    int n = c8_model_calibration_tensors(m, &names);
    obs_hists o = {NULL, names, calloc((size_t)n, sizeof(c8_hist *)), n, 0, C8_OK};
    c8_build_options bo;
    c8_build_options_init(&bo);
    bo.device = dev;
    bo.passes = false;
    c8_engine *e = NULL;
    c8_status s = C8_OK;
    for (int i = 0; s == C8_OK && i < n; i++) s = c8_hist_create(2048, &o.h[i], err);
    if (s == C8_OK) s = c8_engine_build(m, &bo, &e, err);
    if (s == C8_OK) s = c8_context_create(e, &o.ctx, err);
    if (s == C8_OK) s = c8_context_set_device_observer(o.ctx, obs_hist, &o, names, n, err);
    for (int b = 0; s == C8_OK && b < nb; b++) {
        o.batch = b;
        s = c8_context_run(o.ctx, batches[b].t, batches[b].n, err);
    }
    c8_calib_tensor_stat *stats = calloc((size_t)n, sizeof *stats);
    if (s == C8_OK)
        s = c8_calib_compute(c8_calib_algo_find("entropy"), NULL, names,
                             (const c8_hist *const *)o.h, n, stats, err);
    if (s == C8_OK) {
        c8_calib_info info;
        c8_calib_info_init(&info);
        info.algorithm = "entropy";
        info.nbins = 2048;
        info.model_sha256 = c8_model_sha256(m);
        s = c8_calib_save(path, NULL, NULL, &info, stats, n, err);
    }
    free(stats);
    c8_context_destroy(o.ctx);
    c8_engine_destroy(e);
    *hists_out = o.h;
    return s;
}

static void test_calibration_caches(void) {
    c8t_rng r = {1000};
    c8_model *m = NULL;
    c8_error err = {0};
    BT_OK(bt_model(small_cnn(&r, 8), &m, &err), &err);
    if (!m) return;
    bt_inputs batches[4];
    for (int b = 0; b < 4; b++) bt_random_inputs(m, &r, &batches[b]);
    char pc[512], pg[512];
    bt_tmp_path(pc, sizeof pc, "calib_cpu.cache");
    bt_tmp_path(pg, sizeof pg, "calib_gpu.cache");
    c8_hist **hc = NULL, **hg = NULL;
    BT_OK(calibrate_on(m, C8_DEVICE_CPU, batches, 4, pc, &hc, &err), &err);
    BT_OK(calibrate_on(m, bt_gpu(), batches, 4, pg, &hg, &err), &err);
    const char *const *names;
    int n = c8_model_calibration_tensors(m, &names);
    int same_hist = 0;
    for (int i = 0; i < n; i++) {
        char why[256] = "";
        bool eq = hc && hg && hist_equal(hc[i], hg[i], why, sizeof why);
        same_hist += eq;
        if (!eq) printf("\n    histogram of '%s' differs: %s", names[i], why);
        /* the network input is the same data on both devices: its bins must be identical */
        if (!strcmp(names[i], "input")) CU_ASSERT(eq);
    }
    unsigned char *a = NULL, *b = NULL;
    size_t la = 0, lb = 0;
    BT_OK(c8_read_file(pc, 0, &a, &la, &err), &err);
    BT_OK(c8_read_file(pg, 0, &b, &lb, &err), &err);
    bool same = a && b && la == lb && memcmp(a, b, la) == 0;
    printf("\n    calibration: %d of %d histograms identical (the rest differ only through float32 "
           "summation order in GPU convolutions); caches %s",
           same_hist, n, same ? "byte-identical" : "DIFFER");
    if (!same && a && b) printf("\n--- cpu\n%s--- gpu\n%s", (char *)a, (char *)b);
    CU_ASSERT(same);
    free(a);
    free(b);
    for (int i = 0; i < n; i++) {
        if (hc) c8_hist_destroy(hc[i]);
        if (hg) c8_hist_destroy(hg[i]);
    }
    free(hc);
    free(hg);
    for (int bi = 0; bi < 4; bi++) bt_inputs_free(&batches[bi]);
    unlink(pc);
    unlink(pg);
    c8_model_destroy(m);
}

/* ---------------------------------------------------------------- graph replay, contexts */

static c8_status run_copy(c8_context *ctx, const bt_inputs *in, float **out, int64_t *cnt,
                          c8_error *err) {
    C8_TRY(c8_context_run(ctx, in->t, in->n, err));
    c8_host_tensor t;
    C8_TRY(c8_context_output(ctx, 0, &t, err));
    *cnt = c8_shape_numel(&t.shape);
    *out = malloc((size_t)*cnt * sizeof(float));
    memcpy(*out, t.data, (size_t)*cnt * sizeof(float));
    return C8_OK;
}

static void test_graph_replay(void) {
    static const c8_precision precs[] = {C8_PREC_FP32, C8_PREC_FP16};
    for (int pi = 0; pi < 2; pi++) {
        c8t_rng r = {1100};
        c8_model *m = NULL;
        c8_error err = {0};
        BT_OK(bt_model(small_cnn(&r, 4), &m, &err), &err);
        if (!m) return;
        bt_inputs a, b;
        bt_random_inputs(m, &r, &a);
        bt_random_inputs(m, &r, &b);
        c8_build_options bo;
        c8_build_options_init(&bo);
        bo.device = bt_gpu();
        bo.precision = precs[pi];
        c8_engine *e = NULL;
        c8_context *ctx = NULL;
        BT_OK(c8_engine_build(m, &bo, &e, &err), &err);
        if (e) BT_OK(c8_context_create(e, &ctx, &err), &err);
        /* run 1 node by node, run 2 captured, then replays; B between two replays of A */
        float *o[6] = {0};
        int64_t cnt = 0;
        const bt_inputs *seq[6] = {&a, &a, &a, &b, &a, &b};
        for (int i = 0; ctx && i < 6; i++) BT_OK(run_copy(ctx, seq[i], &o[i], &cnt, &err), &err);
        if (o[5]) {
            const size_t bytes = (size_t)cnt * sizeof(float);
            CU_ASSERT(memcmp(o[0], o[1], bytes) == 0); /* captured run == uncaptured run */
            CU_ASSERT(memcmp(o[0], o[2], bytes) == 0); /* replay == uncaptured run */
            CU_ASSERT(memcmp(o[0], o[4], bytes) == 0);
            CU_ASSERT(memcmp(o[3], o[5], bytes) == 0);
            CU_ASSERT(memcmp(o[0], o[3], bytes) != 0); /* the replay reads the new inputs */
            /* run again on the resident inputs (calib8 bench --io device): B's inputs are still
             * in the arena after two forwards; without download the outputs are refused */
            c8_host_tensor t;
            BT_OK(c8_context_run_again(ctx, false, &err), &err);
            CU_ASSERT_EQUAL(c8_context_output(ctx, 0, &t, &err), C8_ERR_INVALID);
            BT_OK(c8_context_run_again(ctx, false, &err), &err);
            BT_OK(c8_context_run_again(ctx, true, &err), &err);
            if (c8_context_output(ctx, 0, &t, &err) == C8_OK) {
                CU_ASSERT(memcmp(t.data, o[5], bytes) == 0);
            } else {
                CU_FAIL("no output after run_again with download");
            }
        }
        /* with an observer nothing is captured; results still equal */
        for (int i = 0; i < 6; i++) free(o[i]);
        c8_context_destroy(ctx);
        c8_engine_destroy(e);
        bt_inputs_free(&a);
        bt_inputs_free(&b);
        c8_model_destroy(m);
    }
}

typedef struct mc_job {
    c8_engine *e;
    const bt_inputs *in;
    const float *ref;
    int64_t cnt;
    int bad;
    c8_status st;
    char msg[sizeof(((c8_error *)0)->msg)];
} mc_job;

static void *mc_main(void *arg) {
    mc_job *j = arg;
    c8_error err = {0};
    c8_context *ctx = NULL;
    j->st = c8_context_create(j->e, &ctx, &err);
    for (int it = 0; j->st == C8_OK && it < 10; it++) {
        float *o = NULL;
        int64_t cnt;
        j->st = run_copy(ctx, j->in, &o, &cnt, &err);
        if (j->st != C8_OK) break;
        double maxref = 0, maxd = 0;
        for (int64_t k = 0; k < cnt; k++) {
            maxref = fabs(j->ref[k]) > maxref ? fabs(j->ref[k]) : maxref;
            double d = fabs((double)o[k] - j->ref[k]);
            maxd = d > maxd ? d : maxd;
        }
        if (cnt != j->cnt || !(maxd <= BT_FP32_RTOL * (maxref > 1e-6 ? maxref : 1e-6))) j->bad++;
        free(o);
    }
    if (j->st != C8_OK) snprintf(j->msg, sizeof j->msg, "%s", err.msg);
    c8_context_destroy(ctx);
    return NULL;
}

static void test_contexts_threads(void) {
    enum { NT = 4 };
    c8t_rng r = {1200};
    c8_model *m = NULL;
    c8_error err = {0};
    BT_OK(bt_model(small_cnn(&r, 2), &m, &err), &err);
    if (!m) return;
    c8_build_options bo;
    c8_build_options_init(&bo);
    bo.device = bt_gpu();
    c8_engine *e = NULL;
    BT_OK(c8_engine_build(m, &bo, &e, &err), &err);
    bt_inputs in[NT];
    float *ref[NT] = {0};
    int64_t cnt = 0;
    c8_context *c0 = NULL;
    if (e) BT_OK(c8_context_create(e, &c0, &err), &err);
    for (int i = 0; i < NT; i++) {
        bt_random_inputs(m, &r, &in[i]);
        if (c0) BT_OK(run_copy(c0, &in[i], &ref[i], &cnt, &err), &err);
    }
    c8_context_destroy(c0);
    pthread_t th[NT];
    mc_job jobs[NT];
    for (int i = 0; e && i < NT; i++) {
        jobs[i] = (mc_job){e, &in[i], ref[i], cnt, 0, C8_OK, ""};
        pthread_create(&th[i], NULL, mc_main, &jobs[i]);
    }
    for (int i = 0; e && i < NT; i++) {
        pthread_join(th[i], NULL);
        if (jobs[i].st != C8_OK) printf("\n  context %d: %s", i, jobs[i].msg);
        CU_ASSERT(jobs[i].st == C8_OK);
        CU_ASSERT_EQUAL(jobs[i].bad, 0);
    }
    for (int i = 0; i < NT; i++) {
        free(ref[i]);
        bt_inputs_free(&in[i]);
    }
    c8_engine_destroy(e);
    c8_model_destroy(m);
}

static const c8_test_case cases[] = {
    {"hist_exact", test_hist_exact},
    {"calibration_caches", test_calibration_caches},
    {"graph_replay", test_graph_replay},
    {"contexts_threads", test_contexts_threads},
    {"engine_data_models", test_engine_data_models},
    {"bundled_models", test_bundled_models},
    {"conformance_gpu", test_conformance_gpu},
};
BT_MAIN("cuda_backend_models", cases)
