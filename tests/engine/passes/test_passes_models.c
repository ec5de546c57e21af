/* The whole optimizer on real graphs: every ONNX conformance case under
 * /usr/share/libonnx-testdata/data/{node,pytorch-converted,pytorch-operator} that loads and runs,
 * the bundled Fashion-MNIST models (models/fmnist_*.onnx, when present), the PaddleOCR detector
 * (../shared fixture, input 1x3x64x64) and, when C8_PASSES_RESNET50 names a file, a ResNet-50.
 * Each runs on the same inputs (the case's test_data_set_0, or seeded random data) as an engine
 * built with passes off (the reference), as an engine around c8_graph_optimize's result, and as
 * a default build (passes on); outputs must agree within PASSES_RTOL in the max-norm relative
 * error of tests/kit/graph.h. Cases that do not load or do not run without passes
 * are skipped (counted); a failure of the optimizer or of the optimized graph is an error.
 * C8_PASSES_FILTER=substring runs a subset of the conformance cases. */
#include "kit/graph.h"

#include "calib8/engine.h"
#include "engine/model_internal.h"
#include "engine/onnx/onnx_import.h"
#include "util/fileio.h"

#include <dirent.h>
#include <sys/stat.h>

#define TESTDATA "/usr/share/libonnx-testdata/data"
#define SEED 0xc0ffee11ULL
/* A deep random-weight network (ResNet-50: about 1e-5 at the logits) amplifies the float32
 * rounding of its weights beyond PASSES_RTOL, and folding BN rounds every weight once more; for
 * such a model the passes may move the outputs by at most this many times what that rounding
 * alone does (measured: 1.55e-5 after passes, 1.1e-5 from rounding). */
#define PASSES_SENS_FACTOR 3.0

typedef struct tally {
    int compared, changed, skipped, failed;
    double worst;
    char worst_case[512];
    int nodes_before, nodes_after; /* summed over compared cases */
} tally;

enum { R_OK, R_SKIP, R_FAIL };

/* Runs model m three ways on `in`: the reference is c8_engine_build with passes off; the
 * optimized engine wraps c8_graph_optimize of a copy of the model's graph; a default build
 * (passes on, as the library wires them) must agree too. Compares and updates t. */
static int compare_model(const c8_model *m, const c8_host_tensor *in, const char *what, double tol,
                         tally *t, char *why, size_t wl) {
    c8_error err = {0};
    c8_build_options bo;
    c8_build_options_init(&bo);
    bo.passes = false;
    c8_engine *ref_e = NULL, *def_e = NULL;
    pu_result ref, got, def;
    memset(&got, 0, sizeof got);
    memset(&def, 0, sizeof def);
    if (c8_engine_build(m, &bo, &ref_e, &err) != C8_OK ||
        pu_run_engine(ref_e, in, &ref, &err) != C8_OK) {
        snprintf(why, wl, "does not run without passes: %s", err.msg);
        c8_engine_destroy(ref_e);
        return R_SKIP;
    }
    c8_engine_destroy(ref_e);
    c8_graph *o = c8_graph_clone(c8_model_graph(m));
    c8_pass_log *log = c8_pass_log_create();
    int res = R_OK;
    double worst = 0, worst_def = 0;
    char detail[600] = "";
    if (!o || !log) {
        snprintf(why, wl, "out of memory");
        res = R_FAIL;
    } else if (c8_graph_optimize(o, NULL, log, &err) != C8_OK) {
        snprintf(why, wl, "c8_graph_optimize: %s", err.msg);
        res = R_FAIL;
    } else if (pu_run(o, in, &got, &err) != C8_OK) {
        snprintf(why, wl, "optimized graph does not run: %s", err.msg);
        res = R_FAIL;
    } else if (!pu_compare(&ref, &got, &worst, detail, sizeof detail)) {
        snprintf(why, wl, "outputs differ: %s", detail);
        res = R_FAIL;
    } else if (c8_engine_build(m, NULL, &def_e, &err) != C8_OK ||
               pu_run_engine(def_e, in, &def, &err) != C8_OK) {
        snprintf(why, wl, "default build (passes on) fails: %s", err.msg);
        res = R_FAIL;
    } else if (!pu_compare(&ref, &def, &worst_def, why, wl)) {
        res = R_FAIL;
    }
    if (res == R_OK) {
        if (worst_def > worst) worst = worst_def;
        if (worst > t->worst) {
            t->worst = worst;
            snprintf(t->worst_case, sizeof t->worst_case, "%s (%s)", what, detail);
        }
        if (worst > tol) {
            snprintf(why, wl, "relative error %.3g > %.3g: %s", worst, tol, detail);
            res = R_FAIL;
        }
        t->compared++;
        if (c8_pass_log_size(log) > 0) t->changed++;
        t->nodes_before += c8_pass_log_nodes_before(log);
        t->nodes_after += c8_pass_log_nodes_after(log);
    }
    c8_engine_destroy(def_e);
    pu_result_free(&def);
    pu_result_free(&got);
    c8_pass_log_destroy(log);
    c8_graph_destroy(o);
    pu_result_free(&ref);
    return res;
}

/* ---- conformance ---- */

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

static int run_conformance_case(const char *dir, const char *what, tally *t, char *why, size_t wl) {
    char path[1100];
    snprintf(path, sizeof path, "%.1000s/model.onnx", dir);
    c8_error err = {0};
    c8_model *m = NULL;
    if (c8_model_load(path, NULL, &m, &err) != C8_OK) {
        snprintf(why, wl, "does not load: %s", err.msg);
        return R_SKIP;
    }
    const c8_graph *g = c8_model_graph(m);
    const int nin = g->n_inputs;
    c8_const *cin = calloc((size_t)nin + 1, sizeof *cin);
    c8_host_tensor *hin = calloc((size_t)nin + 1, sizeof *hin);
    int res = R_OK;
    for (int k = 0; k < nin && res == R_OK; k++) {
        snprintf(path, sizeof path, "%.1000s/test_data_set_0/input_%d.pb", dir, k);
        unsigned char *buf;
        size_t len;
        if (c8_read_file(path, 0, &buf, &len, &err) != C8_OK) {
            snprintf(why, wl, "no input %d: %s", k, err.msg);
            res = R_SKIP;
            break;
        }
        c8_status s = c8_onnx_parse_tensor(buf, len, path, &cin[k], NULL, &err);
        free(buf);
        if (s != C8_OK) {
            snprintf(why, wl, "input %d: %s", k, err.msg);
            res = R_SKIP;
            break;
        }
        hin[k].name = NULL;
        hin[k].dtype = cin[k].dtype;
        hin[k].shape = cin[k].shape;
        hin[k].data = cin[k].data;
    }
    if (res == R_OK) res = compare_model(m, hin, what, PASSES_RTOL, t, why, wl);
    for (int k = 0; k < nin; k++) c8_const_free(&cin[k]);
    free(cin);
    free(hin);
    c8_model_destroy(m);
    return res;
}

static void test_conformance(void) {
    struct stat st;
    if (stat(TESTDATA, &st) != 0)
        C8_SKIP("%s not installed (Debian package libonnx-testdata)", TESTDATA);
    static const char *groups[] = {"node", "pytorch-converted", "pytorch-operator"};
    const char *filter = getenv("C8_PASSES_FILTER");
    tally t;
    memset(&t, 0, sizeof t);
    FILE *rep = fopen(C8_BINARY_DIR "/passes_conformance_report.txt", "w");
    for (size_t gi = 0; gi < sizeof groups / sizeof groups[0]; gi++) {
        char gdir[512];
        snprintf(gdir, sizeof gdir, "%s/%s", TESTDATA, groups[gi]);
        char **cases;
        int nc = list_dir(gdir, "test_", &cases);
        for (int i = 0; i < nc; i++) {
            if (filter && !strstr(cases[i], filter)) continue;
            char dir[1024], what[600], why[1400] = "";
            snprintf(dir, sizeof dir, "%s/%s", gdir, cases[i]);
            snprintf(what, sizeof what, "%s/%s", groups[gi], cases[i]);
            int r = run_conformance_case(dir, what, &t, why, sizeof why);
            if (r == R_SKIP) t.skipped++;
            if (r == R_FAIL) {
                t.failed++;
                printf("\n  FAIL %s: %s", what, why);
            }
            if (rep)
                fprintf(rep, "%-5s %s%s%s\n",
                        r == R_OK     ? "OK"
                        : r == R_SKIP ? "SKIP"
                                      : "FAIL",
                        what, why[0] ? ": " : "", why);
        }
        free_list(cases, nc);
    }
    if (rep) fclose(rep);
    printf("\n  passes on conformance cases: %d compared with and without passes (%d changed by "
           "the passes: %d nodes -> %d), %d failed, %d skipped (do not load or run); worst "
           "relative error %.3g%s%s (per-case log: passes_conformance_report.txt)\n",
           t.compared, t.changed, t.nodes_before, t.nodes_after, t.failed, t.skipped, t.worst,
           t.worst_case[0] ? " in " : "", t.worst_case);
    CU_ASSERT_EQUAL(t.failed, 0);
    if (!filter) CU_ASSERT(t.compared > 100);
}

/* ---- whole models ---- */

/* Float32 sensitivity of g: the max-norm relative change of its outputs when every weight (float
 * constant of 64 elements or more) is multiplied by (1 + u * 2^-24), u uniform in [-1, 1): the
 * size of the rounding that folding a BatchNormalization into the weights makes. < 0 on error. */
static double weight_rounding_sensitivity(const c8_graph *g, const c8_host_tensor *in) {
    c8_error err = {0};
    c8_graph *p = c8_graph_clone(g);
    if (!p) return -1;
    c8t_rng r = {SEED ^ 0x51};
    for (int v = 0; v < p->n_vals; v++) {
        c8_value *val = &p->vals[v];
        if (val->kind != C8_VAL_CONST || val->dtype != C8_DT_FLOAT || val->nbytes < 64 * 4)
            continue;
        float *d = val->data;
        for (size_t i = 0; i < val->nbytes / sizeof(float); i++)
            d[i] = (float)((double)d[i] * (1.0 + (double)c8t_uniform(&r, -1.0f, 1.0f) * 0x1p-24));
    }
    pu_result a, b;
    double worst = -1;
    char why[600];
    if (pu_run(g, in, &a, &err) == C8_OK && pu_run(p, in, &b, &err) == C8_OK &&
        !pu_compare(&a, &b, &worst, why, sizeof why))
        worst = -1;
    pu_result_free(&a);
    pu_result_free(&b);
    c8_graph_destroy(p);
    return worst;
}

/* Loads path, pins the first input to `shape` (rank 0: use the declared shape, dynamic extent
 * 0 as `batch`), runs with and without passes on seeded random data. With sens, a graph whose
 * outputs move by more than PASSES_RTOL under weight rounding alone (a deep random-weight
 * network) is held to PASSES_SENS_FACTOR times that movement instead. */
static void model_case(const char *path, const c8_shape *shape, int64_t batch, bool need,
                       bool sens) {
    struct stat st;
    if (stat(path, &st) != 0) {
        c8t_skip_line(path, "not present");
        CU_ASSERT(!need);
        return;
    }
    c8_error err = {0};
    c8_model *m = NULL;
    c8_status s = c8_model_load(path, NULL, &m, &err);
    if (s != C8_OK) {
        char why[sizeof err.msg + 32];
        snprintf(why, sizeof why, "does not load (%s)", err.msg);
        c8t_skip_line(path, why);
        CU_ASSERT(!need);
        return;
    }
    const c8_graph *mg = c8_model_graph(m);
    c8_shape want;
    if (shape && shape->rank > 0) {
        want = *shape;
    } else {
        want = mg->vals[mg->inputs[0]].shape;
        for (int d = 0; d < want.rank; d++)
            if (want.d[d] < 0) want.d[d] = d == 0 ? batch : 1;
    }
    s = c8_model_set_input_shape(m, mg->n_inputs == 1 ? NULL : mg->vals[mg->inputs[0]].name, &want,
                                 &err);
    if (s != C8_OK) {
        printf("\n  %s: cannot set the input shape: %s\n", path, err.msg);
        CU_FAIL("c8_model_set_input_shape");
        c8_model_destroy(m);
        return;
    }
    const c8_graph *g = c8_model_graph(m);
    c8t_rng r = {SEED};
    c8_host_tensor *in = pu_random_inputs(g, NULL, &r);
    double tol = PASSES_RTOL, sensitivity = -1;
    if (sens) {
        sensitivity = weight_rounding_sensitivity(g, in);
        CU_ASSERT(sensitivity >= 0);
        if (PASSES_SENS_FACTOR * sensitivity > tol) tol = PASSES_SENS_FACTOR * sensitivity;
    }
    tally t;
    memset(&t, 0, sizeof t);
    char why[1400] = "";
    int res = compare_model(m, in, path, tol, &t, why, sizeof why);
    char sb[64];
    if (res == R_OK)
        printf("\n  %s (input %s): %d nodes -> %d with passes, relative error %.3g\n", path,
               c8_shape_str(&want, sb, sizeof sb), t.nodes_before, t.nodes_after, t.worst);
    else if (res == R_SKIP && !need)
        c8t_skip_line(path, why);
    else
        printf("\n  %s %s: %s\n", res == R_SKIP ? "SKIP" : "FAIL", path, why);
    if (sens)
        printf("  float32 sensitivity (outputs under +-0.5 ulp weight rounding): %.3g; bound "
               "used: %.3g\n",
               sensitivity, tol);
    CU_ASSERT(res == R_OK || (res == R_SKIP && !need));
    CU_ASSERT(t.worst <= tol);
    pu_free_inputs(g, in);
    c8_model_destroy(m);
}

static void test_fmnist_cnn(void) {
    model_case(C8_SOURCE_DIR "/models/fmnist_cnn.onnx", NULL, 1, false, false);
    model_case(C8_SOURCE_DIR "/models/fmnist_cnn.onnx", NULL, 8, false, false);
}

static void test_fmnist_resnet(void) {
    model_case(C8_SOURCE_DIR "/models/fmnist_resnet.onnx", NULL, 1, false, false);
    model_case(C8_SOURCE_DIR "/models/fmnist_resnet.onnx", NULL, 8, false, false);
}

static void test_paddleocr_det(void) {
    c8_shape s = PU_SHAPE(1, 3, 64, 64);
    model_case(C8_SHARED_DIR "/fixtures/models/paddleocr/ch_PP-OCRv4_det_infer.onnx", &s, 1, false,
               false);
}

static void test_resnet50(void) {
    const char *p = getenv("C8_PASSES_RESNET50");
    if (!p)
        C8_NOT_REQUESTED(
            "set C8_PASSES_RESNET50 to a ResNet-50 ONNX file (models/make_resnet50.py)");
    c8_shape s = PU_SHAPE(1, 3, 224, 224);
    model_case(p, &s, 1, true, true);
}

static const c8_test_case cases[] = {
    {"conformance", test_conformance},     {"fmnist_cnn", test_fmnist_cnn},
    {"fmnist_resnet", test_fmnist_resnet}, {"paddleocr_det", test_paddleocr_det},
    {"resnet50", test_resnet50},
};
C8T_MAIN("passes_models", cases)
