/* calib8 cache show|check|diff: inspect, validate and compare TensorRT calibration caches
 * (library: include/calib8/calib.h; formats: docs/calibration.md). */
#include "calib8/calib.h"
#include "calib8/engine.h"
#include "calib8/util.h"
#include "tools/cli.h"
#include "tools/commands.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *k_usage =
    "usage: calib8 cache show FILE\n"
    "       calib8 cache check FILE [--tensors LIST] [--model M.onnx] [--algo NAME]\n"
    "                               [--allow-extra] [--no-sidecar]\n"
    "       calib8 cache diff A B [--tol REL] [--exit-code]\n"
    "\n"
    "TensorRT calibration caches ('TRT-<version>-<algorithm>', then '<tensor>: <hex scale>').\n"
    "\n"
    "  show   print each tensor's scale, bit pattern, threshold = 127 x scale and algorithm\n"
    "  check  validate the file; with its sidecar FILE.json (if present) also check that the\n"
    "         sidecar describes this cache; exit 1 listing every problem\n"
    "           --tensors LIST  file with one tensor name per line that must all have a scale\n"
    "                           (and no others, unless --allow-extra)\n"
    "           --model M.onnx  the cache must have been made for this model (sha256 in the\n"
    "                           sidecar)\n"
    "           --algo NAME     the cache must have been made with this algorithm\n"
    "           --allow-extra   scales for tensors not in --tensors are fine\n"
    "           --no-sidecar    ignore FILE.json\n"
    "  diff   list tensors whose scales differ (relative difference |a-b|/max(|a|,|b|)) and\n"
    "         tensors only in one file\n"
    "           --tol REL       ignore relative differences up to REL (default 0: any bit)\n"
    "           --exit-code     exit 1 when the caches differ\n";

/* "8.5.1" from "8501", "10.3.0" from "100300" (TensorRT's header numbering). */
static void trt_version_str(const char *v, char *buf, size_t cap) {
    long n = strtol(v, NULL, 10);
    if (n >= 10000)
        snprintf(buf, cap, "TensorRT %ld.%ld.%ld", n / 10000, (n / 100) % 100, n % 100);
    else
        snprintf(buf, cap, "TensorRT %ld.%ld.%ld", n / 1000, (n / 100) % 10, n % 100);
}

static int name_width(const c8_calib_cache *c) {
    size_t w = 6;
    for (int64_t i = 0; i < c8_calib_cache_count(c); i++) {
        size_t k = strlen(c8_calib_cache_name(c, i));
        if (k > w) w = k;
    }
    return w > 60 ? 60 : (int)w;
}

/* Reads FILE.json if it exists: *out NULL when there is none. */
static c8_status read_sidecar_if_any(const char *cache_path, c8_calib_sidecar **out,
                                     c8_error *err) {
    *out = NULL;
    char *sp = c8_calib_sidecar_path(cache_path);
    if (!sp) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    FILE *f = fopen(sp, "rb");
    c8_status st = C8_OK;
    if (f) {
        fclose(f);
        st = c8_calib_sidecar_read(sp, out, err);
    }
    free(sp);
    return st;
}

static int cmd_show(int argc, char **argv) {
    if (argc != 2) return c8_cli_usage("cache", "show takes one FILE");
    c8_error err = {0};
    c8_calib_cache *c;
    if (c8_calib_cache_read(argv[1], &c, &err)) return c8_cli_fail(&err);
    char ver[64];
    trt_version_str(c8_calib_cache_trt_version(c), ver, sizeof ver);
    printf("%s: TRT-%s-%s (%s), %lld tensors\n", argv[1], c8_calib_cache_trt_version(c),
           c8_calib_cache_trt_algorithm(c), ver, (long long)c8_calib_cache_count(c));
    c8_calib_sidecar *sc = NULL;
    if (read_sidecar_if_any(argv[1], &sc, &err) == C8_OK && sc) {
        const c8_calib_info *in = c8_calib_sidecar_info(sc);
        printf("sidecar: calib8 %s, algorithm %s, %lld bins, %lld images (batch %lld), model "
               "sha256 %s\n",
               in->calib8_version ? in->calib8_version : "?", in->algorithm ? in->algorithm : "?",
               (long long)in->nbins, (long long)in->images, (long long)in->batch_size,
               in->model_sha256 ? in->model_sha256 : "?");
    } else if (err.code != C8_OK) {
        fprintf(stderr, "calib8: warning: %s\n", err.msg);
    }
    int w = name_width(c);
    printf("%-*s  %-15s  %-8s  %-15s  %s\n", w, "tensor", "scale", "hex", "threshold", "algo");
    for (int64_t i = 0; i < c8_calib_cache_count(c); i++) {
        float s = c8_calib_cache_scale(c, i);
        const char *algo = NULL; /* the sidecar's record of the algorithm (auto's choice) */
        for (int64_t k = 0; sc && k < c8_calib_sidecar_tensor_count(sc) && !algo; k++)
            if (!strcmp(c8_calib_sidecar_tensor(sc, k)->name, c8_calib_cache_name(c, i)))
                algo = c8_calib_sidecar_tensor(sc, k)->algo ? c8_calib_sidecar_tensor(sc, k)->algo
                                                            : "?";
        printf("%-*s  %-15.9g  %-8x  %-15.9g  %s\n", w, c8_calib_cache_name(c, i), (double)s,
               (unsigned)c8_calib_cache_bits(c, i), 127.0 * (double)s, algo ? algo : "-");
    }
    c8_calib_sidecar_destroy(sc);
    c8_calib_cache_destroy(c);
    return C8_EXIT_OK;
}

/* One name per line (trailing CR tolerated, empty lines skipped). */
static c8_status read_tensor_list(const char *path, char **buf, char ***names, int64_t *n,
                                  c8_error *err) {
    unsigned char *b;
    size_t len;
    *names = NULL;
    *n = 0;
    C8_TRY(c8_file_read_all(path, 0, &b, &len, err));
    size_t cap = 1;
    for (size_t i = 0; i < len; i++) cap += b[i] == '\n';
    char **v = calloc(cap, sizeof *v);
    if (!v) {
        free(b);
        return c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
    }
    int64_t k = 0;
    char *save = NULL;
    for (char *l = strtok_r((char *)b, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        size_t ll = strlen(l);
        if (ll && l[ll - 1] == '\r') l[--ll] = '\0';
        if (ll) v[k++] = l;
    }
    *buf = (char *)b;
    *names = v;
    *n = k;
    return C8_OK;
}

/* The tensors of M.onnx that need a scale (every float tensor an INT8 layer may consume or
 * produce, network inputs included: c8_model_calibration_tensors), as one malloc'd block (the
 * pointer array followed by the strings) so that free(*names) releases everything; and the
 * model file's sha256. */
static c8_status model_tensor_list(const char *model, char ***names, int64_t *n, bool *have,
                                   char sha[65], c8_error *err) {
    *names = NULL;
    *n = 0;
    *have = false;
    c8_model *m = NULL;
    C8_TRY(c8_model_load(model, NULL, &m, err));
    snprintf(sha, 65, "%s", c8_model_sha256(m));
    const char *const *mn;
    int cnt = c8_model_calibration_tensors(m, &mn);
    size_t bytes = (size_t)(cnt ? cnt : 1) * sizeof(char *);
    for (int i = 0; i < cnt; i++) bytes += strlen(mn[i]) + 1;
    char **block = malloc(bytes);
    if (!block) {
        c8_model_destroy(m);
        return c8_err(err, C8_ERR_NOMEM, "out of memory");
    }
    char *p = (char *)(block + (cnt ? cnt : 1));
    for (int i = 0; i < cnt; i++) {
        size_t l = strlen(mn[i]) + 1;
        memcpy(p, mn[i], l);
        block[i] = p;
        p += l;
    }
    c8_model_destroy(m);
    *names = block;
    *n = cnt;
    *have = true;
    return C8_OK;
}

static void print_problem(void *ctx, const char *problem) {
    fprintf(stderr, "  %s: %s\n", (const char *)ctx, problem);
}

static int cmd_check(int argc, char **argv) {
    static const struct option opts[] = {{"tensors", required_argument, NULL, 't'},
                                         {"model", required_argument, NULL, 'm'},
                                         {"algo", required_argument, NULL, 'a'},
                                         {"allow-extra", no_argument, NULL, 'x'},
                                         {"no-sidecar", no_argument, NULL, 'n'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *tensors = NULL, *model = NULL, *algo = NULL;
    bool allow_extra = false, no_sidecar = false;
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 't': tensors = optarg; break;
        case 'm': model = optarg; break;
        case 'a': algo = optarg; break;
        case 'x': allow_extra = true; break;
        case 'n': no_sidecar = true; break;
        case 'h': fputs(k_usage, stdout); return C8_EXIT_OK;
        default: return c8_cli_usage("cache", "bad option for check");
        }
    }
    if (argc - optind != 1) return c8_cli_usage("cache", "check takes one FILE");
    if (algo && !c8_calib_algo_find(algo))
        return c8_cli_usage("cache", "unknown algorithm '%s'", algo);
    const char *path = argv[optind];
    c8_error err = {0};
    c8_calib_cache *c = NULL;
    c8_calib_sidecar *sc = NULL;
    char *list_buf = NULL, **list = NULL, **mlist = NULL;
    int64_t nlist = 0, nm = 0;
    bool have_mlist = false;
    char model_sha[65];
    int rc = C8_EXIT_FAIL;
    c8_calib_expect ex = {0};
    if (c8_calib_cache_read(path, &c, &err) ||
        (!no_sidecar && read_sidecar_if_any(path, &sc, &err)) ||
        (tensors && read_tensor_list(tensors, &list_buf, &list, &nlist, &err)) ||
        (model && model_tensor_list(model, &mlist, &nm, &have_mlist, model_sha, &err))) {
        rc = c8_cli_fail(&err);
        goto done;
    }
    if (model) {
        ex.model_sha256 = model_sha;
        if (!sc)
            fprintf(stderr,
                    "calib8: note: %s has no sidecar: cannot tell which model it was "
                    "made for\n",
                    path);
        if (have_mlist) {
            ex.tensors = (const char *const *)mlist;
            ex.ntensors = nm;
            ex.check_tensors = true;
        } else if (!tensors) {
            fprintf(stderr, "calib8: note: --model does not list the model's tensors yet; pass "
                            "--tensors LIST to check coverage\n");
        }
    }
    if (tensors) {
        ex.tensors = (const char *const *)list;
        ex.ntensors = nlist;
        ex.check_tensors = true;
    }
    ex.algorithm = algo;
    ex.allow_extra = allow_extra;
    if (c8_calib_check(path, c, sc, &ex, print_problem, (void *)path, &err)) {
        rc = c8_cli_fail(&err);
        goto done;
    }
    if (c8_calib_cache_noncanonical(c))
        printf("%s: note: %lld scale(s) written with uppercase hex or leading zeros (TensorRT "
               "writes lowercase, no leading zeros)\n",
               path, (long long)c8_calib_cache_noncanonical(c));
    printf("%s: ok: TRT-%s-%s, %lld tensors%s\n", path, c8_calib_cache_trt_version(c),
           c8_calib_cache_trt_algorithm(c), (long long)c8_calib_cache_count(c),
           sc ? ", matches its sidecar" : "");
    rc = C8_EXIT_OK;
done:
    free(list);
    free(list_buf);
    free(mlist);
    c8_calib_sidecar_destroy(sc);
    c8_calib_cache_destroy(c);
    return rc;
}

static int cmd_diff(int argc, char **argv) {
    static const struct option opts[] = {{"tol", required_argument, NULL, 't'},
                                         {"exit-code", no_argument, NULL, 'e'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    double tol = 0.0;
    bool exit_code = false;
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 't':
            if (!c8_cli_parse_f64(optarg, &tol) || !(tol >= 0.0))
                return c8_cli_usage("cache", "--tol wants a number >= 0, not '%s'", optarg);
            break;
        case 'e': exit_code = true; break;
        case 'h': fputs(k_usage, stdout); return C8_EXIT_OK;
        default: return c8_cli_usage("cache", "bad option for diff");
        }
    }
    if (argc - optind != 2) return c8_cli_usage("cache", "diff takes two files A and B");
    const char *pa = argv[optind], *pb = argv[optind + 1];
    c8_error err = {0};
    c8_calib_cache *a = NULL, *b = NULL;
    c8_calib_diff *d = NULL;
    int64_t n = 0;
    int rc = C8_EXIT_OK;
    if (c8_calib_cache_read(pa, &a, &err) || c8_calib_cache_read(pb, &b, &err) ||
        c8_calib_cache_diff(a, b, tol, &d, &n, &err)) {
        rc = c8_cli_fail(&err);
        goto done;
    }
    printf("A: %s (TRT-%s-%s, %lld tensors)\nB: %s (TRT-%s-%s, %lld tensors)\n", pa,
           c8_calib_cache_trt_version(a), c8_calib_cache_trt_algorithm(a),
           (long long)c8_calib_cache_count(a), pb, c8_calib_cache_trt_version(b),
           c8_calib_cache_trt_algorithm(b), (long long)c8_calib_cache_count(b));
    int64_t ns = 0, na = 0, nb = 0;
    for (int64_t i = 0; i < n; i++) {
        ns += d[i].kind == C8_CALIB_DIFF_SCALE;
        na += d[i].kind == C8_CALIB_DIFF_ONLY_A;
        nb += d[i].kind == C8_CALIB_DIFF_ONLY_B;
    }
    if (ns) {
        int w = 6;
        for (int64_t i = 0; i < n; i++) {
            int k = (int)strlen(d[i].name);
            if (d[i].kind == C8_CALIB_DIFF_SCALE && k > w) w = k > 60 ? 60 : k;
        }
        printf("%-*s  %-15s  %-15s  %s\n", w, "tensor", "scale A", "scale B", "rel. diff");
        for (int64_t i = 0; i < n; i++)
            if (d[i].kind == C8_CALIB_DIFF_SCALE)
                printf("%-*s  %-15.9g  %-15.9g  %.3g\n", w, d[i].name, (double)d[i].scale_a,
                       (double)d[i].scale_b, d[i].rel);
    }
    for (int64_t i = 0; i < n; i++)
        if (d[i].kind != C8_CALIB_DIFF_SCALE)
            printf("only in %s: %s\n", d[i].kind == C8_CALIB_DIFF_ONLY_A ? "A" : "B", d[i].name);
    if (n == 0)
        printf("same scales for all %lld tensors%s\n", (long long)c8_calib_cache_count(a),
               tol > 0 ? " (within --tol)" : "");
    else
        printf("%lld scale(s) differ, %lld tensor(s) only in A, %lld only in B\n", (long long)ns,
               (long long)na, (long long)nb);
    if (n && exit_code) rc = C8_EXIT_FAIL;
done:
    free(d);
    c8_calib_cache_destroy(a);
    c8_calib_cache_destroy(b);
    return rc;
}

int c8_cmd_cache(int argc, char **argv) {
    if (argc < 2) return c8_cli_usage("cache", "expected show, check or diff");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        fputs(k_usage, stdout);
        return C8_EXIT_OK;
    }
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(k_usage, stdout);
            return C8_EXIT_OK;
        }
    if (!strcmp(argv[1], "show")) return cmd_show(argc - 1, argv + 1);
    if (!strcmp(argv[1], "check")) return cmd_check(argc - 1, argv + 1);
    if (!strcmp(argv[1], "diff")) return cmd_diff(argc - 1, argv + 1);
    return c8_cli_usage("cache", "unknown action '%s' (expected show, check or diff)", argv[1]);
}
