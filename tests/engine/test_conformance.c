/* ONNX operator conformance: runs every case of Debian's libonnx-testdata whose ops calib8
 * supports (model.onnx + test_data_set_N/{input,output}_K.pb) through FP32 engines on the
 * reference CPU device (cpu-ref) and, where calib8 has it, the fast one (cpu, oneDNN), and
 * compares with ONNX's expected outputs (float: rtol 1e-4, atol 1e-5; integers exactly).
 * Prints "N passed, N failed, N unsupported"; a failing case is an error unless it is listed with
 * its reason in tests/engine/conformance_exceptions.txt; a case listed in
 * tests/engine/conformance_required.txt must not come back unsupported. A per-case log goes to
 * <build>/conformance_report.txt. C8_CONFORMANCE_FILTER=substring runs a subset. */
#include "c8test.h"

#include "calib8/engine.h"
#include "ops/ir.h"
#include "engine/onnx/onnx_import.h"
#include "kernels/ref/fp16.h"
#include "util/err.h"
#include "util/fileio.h"

#include <dirent.h>
#include <math.h>
#include <sys/stat.h>

#define TESTDATA "/usr/share/libonnx-testdata/data"
/* ONNX's own backend test harness compares with rtol 1e-3/atol 1e-7 by default; the issue asks
 * for rtol 1e-4 / atol 1e-5, which float32 reference kernels meet. */
#define CONF_RTOL 1e-4
#define CONF_ATOL 1e-5

typedef struct {
    char **names;
    char **reasons;
    int n;
} exceptions;

static void load_exceptions(exceptions *ex) {
    memset(ex, 0, sizeof *ex);
    FILE *f = fopen(C8_SOURCE_DIR "/tests/engine/conformance_exceptions.txt", "r");
    if (!f) return;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        line[strcspn(line, "\r\n")] = '\0';
        char *sp = strpbrk(line, " \t");
        if (!sp) continue;
        *sp = '\0';
        char *reason = sp + 1;
        while (*reason == ' ' || *reason == '\t') reason++;
        ex->names = realloc(ex->names, (size_t)(ex->n + 1) * sizeof(char *));
        ex->reasons = realloc(ex->reasons, (size_t)(ex->n + 1) * sizeof(char *));
        ex->names[ex->n] = strdup(line);
        ex->reasons[ex->n] = strdup(reason);
        ex->n++;
    }
    fclose(f);
}

static const char *exception_reason(const exceptions *ex, const char *name) {
    for (int i = 0; i < ex->n; i++)
        if (!strcmp(ex->names[i], name)) return ex->reasons[i];
    return NULL;
}

/* The case names of tests/engine/conformance_required.txt (cases that must not come back
 * unsupported), one per line, '#' comments. */
static int load_required(char ***names) {
    *names = NULL;
    int n = 0;
    FILE *f = fopen(C8_SOURCE_DIR "/tests/engine/conformance_required.txt", "r");
    if (!f) return 0;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, " \t\r\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0') continue;
        *names = realloc(*names, (size_t)(n + 1) * sizeof(char *));
        (*names)[n++] = strdup(line);
    }
    fclose(f);
    return n;
}

static int find_name(char *const *names, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], name)) return i;
    return -1;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted list of entries in dir starting with prefix. */
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
    if (n > 1) qsort(*out, (size_t)n, sizeof(char *), cmp_str);
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

static double elem_as_double(c8_dtype dt, const void *p, size_t i) {
    switch (dt) {
    case C8_DT_FLOAT: return ((const float *)p)[i];
    case C8_DT_DOUBLE: return ((const double *)p)[i];
    case C8_DT_INT64: return (double)((const int64_t *)p)[i];
    case C8_DT_INT32: return ((const int32_t *)p)[i];
    case C8_DT_INT16: return ((const int16_t *)p)[i];
    case C8_DT_INT8: return ((const int8_t *)p)[i];
    case C8_DT_UINT8: return ((const uint8_t *)p)[i];
    case C8_DT_UINT16: return ((const uint16_t *)p)[i];
    case C8_DT_UINT32: return ((const uint32_t *)p)[i];
    case C8_DT_UINT64: return (double)((const uint64_t *)p)[i];
    case C8_DT_BOOL: return ((const uint8_t *)p)[i] != 0;
    case C8_DT_FLOAT16: return c8_fp16_to_f32(((const uint16_t *)p)[i]);
    default: return NAN;
    }
}

/* Compares one output; writes a reason on mismatch. */
static int compare(const c8_host_tensor *got, const c8_const *want, char *why, size_t wl) {
    char a[96], b[96];
    if (got->dtype != want->dtype) {
        snprintf(why, wl, "output '%s': dtype %s, expected %s", got->name,
                 c8_dtype_name(got->dtype), c8_dtype_name(want->dtype));
        return 0;
    }
    int same = got->shape.rank == want->shape.rank;
    for (int d = 0; same && d < got->shape.rank; d++) same = got->shape.d[d] == want->shape.d[d];
    if (!same) {
        snprintf(why, wl, "output '%s': shape %s, expected %s", got->name,
                 c8_shape_str(&got->shape, a, sizeof a), c8_shape_str(&want->shape, b, sizeof b));
        return 0;
    }
    int64_t n = c8_shape_numel(&want->shape);
    int is_float =
        want->dtype == C8_DT_FLOAT || want->dtype == C8_DT_DOUBLE || want->dtype == C8_DT_FLOAT16;
    double worst = 0;
    int64_t worst_i = -1;
    for (int64_t i = 0; i < n; i++) {
        double g = elem_as_double(got->dtype, got->data, (size_t)i);
        double w = elem_as_double(want->dtype, want->data, (size_t)i);
        if (is_float) {
            if (isnan(w) && isnan(g)) continue;
            if (isinf(w) && g == w) continue;
            double excess = fabs(g - w) - (CONF_ATOL + CONF_RTOL * fabs(w));
            if (!(excess <= 0) && (worst_i < 0 || excess > worst || isnan(excess))) {
                worst = excess;
                worst_i = i;
            }
        } else if (g != w) {
            snprintf(why, wl, "output '%s': element %lld is %.17g, expected %.17g", got->name,
                     (long long)i, g, w);
            return 0;
        }
    }
    if (worst_i >= 0) {
        snprintf(why, wl, "output '%s': element %lld is %.9g, expected %.9g (rtol %g atol %g)",
                 got->name, (long long)worst_i,
                 elem_as_double(got->dtype, got->data, (size_t)worst_i),
                 elem_as_double(want->dtype, want->data, (size_t)worst_i), CONF_RTOL, CONF_ATOL);
        return 0;
    }
    return 1;
}

enum { R_PASS, R_FAIL, R_UNSUPPORTED };

static int run_case(const char *dir, c8_device dev, char *why, size_t wl) {
    char path[4096];
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    c8_error err = {0};
    c8_model *m = NULL;
    c8_status s = c8_model_load(path, NULL, &m, &err);
    if (s != C8_OK) {
        snprintf(why, wl, "%s", err.msg);
        return s == C8_ERR_UNSUPPORTED ? R_UNSUPPORTED : R_FAIL;
    }
    char **sets;
    int nsets = list_dir(dir, "test_data_set_", &sets);
    int result = nsets ? R_PASS : R_FAIL;
    if (!nsets) snprintf(why, wl, "no test_data_set_* folders");
    for (int t = 0; t < nsets && result == R_PASS; t++) {
        char sdir[2048];
        snprintf(sdir, sizeof sdir, "%s/%s", dir, sets[t]);
        char **ins, **outs;
        int nin = list_dir(sdir, "input_", &ins), nout = list_dir(sdir, "output_", &outs);
        c8_const *cin = calloc((size_t)nin + 1, sizeof *cin);
        c8_const *cout = calloc((size_t)nout + 1, sizeof *cout);
        c8_host_tensor *hin = calloc((size_t)nin + 1, sizeof *hin);
        c8_engine *e = NULL;
        c8_context *ctx = NULL;
        /* input_K.pb sort as strings: input_10 before input_2; order numerically */
        for (int k = 0; k < nin && result == R_PASS; k++) {
            snprintf(path, sizeof path, "%s/input_%d.pb", sdir, k);
            s = read_pb(path, &cin[k], &err);
            if (s != C8_OK) {
                snprintf(why, wl, "%s", err.msg);
                result = R_FAIL;
                break;
            }
            hin[k].name = NULL;
            hin[k].dtype = cin[k].dtype;
            hin[k].shape = cin[k].shape;
            hin[k].data = cin[k].data;
        }
        for (int k = 0; k < nout && result == R_PASS; k++) {
            snprintf(path, sizeof path, "%s/output_%d.pb", sdir, k);
            s = read_pb(path, &cout[k], &err);
            if (s != C8_OK) {
                snprintf(why, wl, "%s", err.msg);
                result = R_FAIL;
            }
        }
        if (result == R_PASS && nin != c8_model_num_inputs(m)) {
            snprintf(why, wl, "%d input files for %d model inputs", nin, c8_model_num_inputs(m));
            result = R_UNSUPPORTED; /* optional inputs omitted by the case, e.g. */
        }
        if (result == R_PASS) {
            c8_build_options bo;
            c8_build_options_init(&bo);
            bo.device = dev;
            s = c8_engine_build(m, &bo, &e, &err);
            if (s == C8_OK) s = c8_context_create(e, &ctx, &err);
            if (s == C8_OK) s = c8_context_run(ctx, hin, nin, &err);
            if (s != C8_OK) {
                snprintf(why, wl, "%s", err.msg);
                result = s == C8_ERR_UNSUPPORTED ? R_UNSUPPORTED : R_FAIL;
            }
        }
        if (result == R_PASS && nout != c8_engine_num_outputs(e)) {
            snprintf(why, wl, "%d output files for %d model outputs", nout,
                     c8_engine_num_outputs(e));
            result = R_FAIL;
        }
        for (int k = 0; k < nout && result == R_PASS; k++) {
            c8_host_tensor got;
            s = c8_context_output(ctx, k, &got, &err);
            if (s != C8_OK) {
                snprintf(why, wl, "%s", err.msg);
                result = R_FAIL;
            } else if (!compare(&got, &cout[k], why, wl)) {
                result = R_FAIL;
            }
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
    }
    free_list(sets, nsets);
    c8_model_destroy(m);
    return result;
}

static void test_conformance(void) {
    struct stat st;
    if (stat(TESTDATA, &st) != 0)
        C8_SKIP("%s not installed (Debian package libonnx-testdata)", TESTDATA);
    exceptions ex;
    load_exceptions(&ex);
    const char *filter = getenv("C8_CONFORMANCE_FILTER");
    FILE *rep = fopen(C8_BINARY_DIR "/conformance_report.txt", "w");
    static const char *groups[] = {"node", "pytorch-converted", "pytorch-operator", "simple"};
    /* the reference CPU device, and the fast one (oneDNN) where this calib8 has it */
    c8_device devs[2] = {C8_DEVICE_CPU_REF, C8_DEVICE_CPU};
    int n_devs = c8_device_cpu_fast() ? 2 : 1;
    char **req;
    int n_req = load_required(&req);
    bool *req_seen = calloc((size_t)n_req + 1, sizeof *req_seen);
    int req_unsup = 0;
    for (int di = 0; di < n_devs; di++) {
        const c8_device dev = devs[di];
        int pass = 0, fail = 0, unsup = 0, excepted = 0;
        for (size_t gi = 0; gi < sizeof groups / sizeof groups[0]; gi++) {
            char gdir[512];
            snprintf(gdir, sizeof gdir, "%s/%s", TESTDATA, groups[gi]);
            char **cases;
            int nc = list_dir(gdir, "test_", &cases);
            for (int i = 0; i < nc; i++) {
                if (filter && !strstr(cases[i], filter)) continue;
                char dir[1024], why[1200] = "";
                snprintf(dir, sizeof dir, "%s/%s", gdir, cases[i]);
                int r = run_case(dir, dev, why, sizeof why);
                const char *reason = exception_reason(&ex, cases[i]);
                int ri = find_name(req, n_req, cases[i]);
                if (ri >= 0) req_seen[ri] = true;
                if (ri >= 0 && r == R_UNSUPPORTED) {
                    req_unsup++;
                    printf("\n  REQUIRED BUT UNSUPPORTED %s/%s (--device %s; "
                           "conformance_required.txt): %s",
                           groups[gi], cases[i], c8_device_name(dev), why);
                }
                const char *tag = r == R_PASS          ? "PASS"
                                  : r == R_UNSUPPORTED ? "UNSUPPORTED"
                                                       : "FAIL";
                if (r == R_PASS)
                    pass++;
                else if (r == R_UNSUPPORTED)
                    unsup++;
                else if (reason) {
                    excepted++;
                    tag = "EXCEPTED";
                } else {
                    fail++;
                    printf("\n  FAIL %s/%s (--device %s): %s", groups[gi], cases[i],
                           c8_device_name(dev), why);
                }
                if (rep)
                    fprintf(rep, "%-8s %-12s %s/%s%s%s%s%s\n", c8_device_name(dev), tag, groups[gi],
                            cases[i], why[0] ? ": " : "", why,
                            reason && r == R_FAIL ? " | exception: " : "",
                            reason && r == R_FAIL ? reason : "");
            }
            free_list(cases, nc);
        }
        printf("\n  conformance (--device %s): %d passed, %d failed, %d unsupported, %d failed but "
               "excepted (see tests/engine/conformance_exceptions.txt; per-case log in "
               "conformance_report.txt)\n",
               c8_device_name(dev), pass, fail, unsup, excepted);
        CU_ASSERT_EQUAL(fail, 0);
        if (!filter) CU_ASSERT(pass > 0);
    }
    if (rep) fclose(rep);
    for (int i = 0; i < n_req && !filter; i++)
        if (!req_seen[i])
            printf("  note: required case %s is not in the installed test data\n", req[i]);
    CU_ASSERT_EQUAL(req_unsup, 0);
    for (int i = 0; i < n_req; i++) free(req[i]);
    free(req);
    free(req_seen);
    for (int i = 0; i < ex.n; i++) {
        free(ex.names[i]);
        free(ex.reasons[i]);
    }
    free(ex.names);
    free(ex.reasons);
}

static const c8_test_case cases[] = {{"onnx_conformance", test_conformance}};
C8T_MAIN("conformance", cases)
