/* calib8 dataset: inspect, check and export data sources, and convert IDX files.
 * Library side: include/calib8/dataset.h; flags: tools/dataset_opts.h. */
#include "calib8/dataset.h"
#include "calib8/util.h"
#include "tools/cli.h"
#include "tools/cli_io.h"
#include "tools/commands.h"
#include "tools/dataset_opts.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *k_usage =
    "usage: calib8 dataset <action> [options]\n"
    "\n"
    "actions:\n"
    "  info      describe a data source and its selection (counts, classes, manifest sha256)\n"
    "  check     decode and preprocess every selected image; report bad images, value ranges\n"
    "            and loader speed\n"
    "  export    write the preprocessed images (N,C,H,W float32) and labels (N int64) as .npy\n"
    "  convert   turn IDX (MNIST-family) files into an image folder or an HDF5 file\n"
    "\n"
    "calib8 dataset <action> --help shows each action's options.\n";

enum {
    OPT_TARGET = 0x2000,
    OPT_MANIFEST,
    OPT_SHOW,
    OPT_OUT,
    OPT_LABELS_OUT,
    OPT_IDX,
    OPT_BUILTIN,
    OPT_LIMIT,
    OPT_FORCE,
    OPT_CLASSES_FILE,
    OPT_QUIET_CONVERT
};

/* "CxHxW" */
/* *out = a * b; false on overflow. */
static bool mul_size(size_t a, size_t b, size_t *out) {
    if (a != 0 && b > SIZE_MAX / a) return false;
    *out = a * b;
    return true;
}

static bool parse_target(const char *s, int64_t *c, int64_t *h, int64_t *w) {
    c8_cli_shape sh;
    if (strchr(s, ':') || !c8_cli_parse_shape(s, &sh) || sh.shape.rank != 3) return false;
    *c = sh.shape.d[0];
    *h = sh.shape.d[1];
    *w = sh.shape.d[2];
    return true;
}

/* ---- info / check / export share the option parsing ---- */

typedef struct data_cmd {
    c8_dataset_opts d;
    int64_t c, h, w;
    bool have_target;
    const char *manifest_out, *out, *labels_out;
    int64_t show;
} data_cmd;

static int parse_data_cmd(const char *action, int argc, char **argv, data_cmd *dc) {
    static const struct option opts[] = {
        C8_DATASET_LONG_OPTIONS{"target", required_argument, NULL, OPT_TARGET},
        {"manifest", required_argument, NULL, OPT_MANIFEST},
        {"show", required_argument, NULL, OPT_SHOW},
        {"out", required_argument, NULL, OPT_OUT},
        {"labels-out", required_argument, NULL, OPT_LABELS_OUT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    char cmd[32];
    snprintf(cmd, sizeof cmd, "dataset %s", action);
    memset(dc, 0, sizeof *dc);
    c8_dataset_opts_init(&dc->d);
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        c8_error e = {0};
        if (c8_dataset_opts_handle(&dc->d, c, optarg, &e)) {
            if (e.code) return c8_cli_usage(cmd, "%s", e.msg);
            continue;
        }
        switch (c) {
        case 'h': {
            printf("usage: calib8 dataset %s --data PATH [options]\n\n", action);
            if (!strcmp(action, "info"))
                printf("Describes a data source and the selection the options make.\n"
                       "  --show N                 list the first N selected images\n"
                       "  --manifest FILE          write the manifest (the ordered image list)\n"
                       "  --target CxHxW           also check the preprocessing against an "
                       "input shape\n\n");
            else if (!strcmp(action, "check"))
                printf("Loads every selected image as a model input of the given shape; reports "
                       "bad images,\nper-channel statistics of the preprocessed values and "
                       "loader speed.\n"
                       "  --target CxHxW           the model input (required), e.g. 1x28x28\n\n");
            else
                printf("Writes the preprocessed images as one (N,C,H,W) float32 .npy file.\n"
                       "  --target CxHxW           the model input (required)\n"
                       "  --out FILE.npy           output (required)\n"
                       "  --labels-out FILE.npy    labels as (N) int64 (-1 when unlabeled)\n\n");
            c8_dataset_opts_help(stdout);
            return -1;
        }
        case OPT_TARGET:
            if (!parse_target(optarg, &dc->c, &dc->h, &dc->w))
                return c8_cli_usage(cmd, "--target '%s': expected CxHxW, e.g. 3x224x224", optarg);
            dc->have_target = true;
            break;
        case OPT_MANIFEST: dc->manifest_out = optarg; break;
        case OPT_OUT: dc->out = optarg; break;
        case OPT_LABELS_OUT: dc->labels_out = optarg; break;
        case OPT_SHOW:
            if (!c8_cli_parse_i64(optarg, &dc->show) || dc->show < 0)
                return c8_cli_usage(cmd, "--show '%s': expected a count", optarg);
            break;
        case ':': return c8_cli_usage(cmd, "%s needs a value", argv[optind - 1]);
        default: return c8_cli_usage(cmd, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return c8_cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
    if (!dc->d.data_given) return c8_cli_usage(cmd, "no data: give --data PATH (or --labels)");
    /* options without an effect here are errors (docs/cli.md) */
    bool info = !strcmp(action, "info"), exp = !strcmp(action, "export");
    const char *idle = !exp && dc->out             ? "--out"
                       : !exp && dc->labels_out    ? "--labels-out"
                       : !info && dc->manifest_out ? "--manifest"
                       : !info && dc->show         ? "--show"
                                                   : NULL;
    if (idle)
        return c8_cli_usage(cmd, "%s has no effect with dataset %s (%s)", idle, action,
                            !strcmp(idle, "--out") || !strcmp(idle, "--labels-out")
                                ? "only export writes images"
                                : "only info writes the manifest and shows images");
    c8_error e = {0};
    if (c8_dataset_opts_finish(&dc->d, &e) != C8_OK) return c8_cli_usage(cmd, "%s", e.msg);
    c8_cli_io io;
    c8_cli_io_init(&io, cmd);
    c8_cli_io_in(&io, "--data", dc->d.spec.path);
    c8_cli_io_in(&io, "--labels", dc->d.spec.labels_path);
    c8_cli_io_in(&io, "--classes", dc->d.spec.classes_path);
    c8_cli_io_in(&io, "--preprocess-config", dc->d.config);
    c8_cli_io_out(&io, "--manifest", dc->manifest_out);
    c8_cli_io_out(&io, "--out", dc->out);
    c8_cli_io_out(&io, "--labels-out", dc->labels_out);
    int rc = c8_cli_io_check(&io);
    c8_cli_io_free(&io);
    return rc;
}

static int cmd_info(int argc, char **argv) {
    data_cmd dc;
    int rc = parse_data_cmd("info", argc, argv, &dc);
    if (rc) return rc < 0 ? C8_EXIT_OK : rc;
    c8_error e = {0};
    c8_dataset *ds;
    if (c8_dataset_open(&dc.d.spec, &ds, &e) != C8_OK) return c8_cli_fail(&e);
    const c8_dataset_spec *sp = &dc.d.spec;
    int64_t n = c8_dataset_count(ds);
    printf("source:     %s (%s)\n", sp->path ? sp->path : sp->labels_path,
           c8_dataset_kind_name(c8_dataset_source_kind(ds)));
    printf("images:     %lld selected of %lld", (long long)n, (long long)c8_dataset_total(ds));
    if (c8_dataset_ignored(ds))
        printf(" (%lld other files ignored)", (long long)c8_dataset_ignored(ds));
    printf("\norder:      %s%s", sp->shuffle ? "shuffled" : "source order",
           sp->stratified ? ", stratified" : "");
    if (sp->shuffle) printf(" (seed %llu)", (unsigned long long)sp->seed);
    printf("\n");
    int64_t k = c8_dataset_num_classes(ds);
    if (c8_dataset_has_labels(ds)) {
        printf("classes:    %lld (selected images per class)\n", (long long)k);
        int64_t *cnt = calloc((size_t)(k ? k : 1), sizeof *cnt);
        if (cnt) {
            for (int64_t i = 0; i < n; i++) cnt[c8_dataset_label(ds, i)]++;
            for (int64_t i = 0; i < k && i < 1000; i++)
                printf("  %4lld  %-32s %lld\n", (long long)i, c8_dataset_class_name(ds, i),
                       (long long)cnt[i]);
            if (k > 1000) printf("  ... %lld more classes\n", (long long)(k - 1000));
            free(cnt);
        }
    } else {
        printf("labels:     none%s\n", k ? " (class names given)" : "");
    }
    printf("manifest:   sha256 %s\n", c8_dataset_manifest_sha256(ds));
    if (sp->images > c8_dataset_total(ds))
        printf("note:       --images %lld, but the source has %lld images: using all of them\n",
               (long long)sp->images, (long long)c8_dataset_total(ds));
    char pd[512];
    printf("preprocess: %s\n", c8_preprocess_describe(&dc.d.pre, pd, sizeof pd));
    if (dc.have_target && c8_preprocess_check(&dc.d.pre, dc.c, dc.h, dc.w, &e) != C8_OK) {
        c8_dataset_destroy(ds);
        return c8_cli_fail(&e);
    }
    for (int64_t i = 0; i < n && i < dc.show; i++)
        printf("  [%lld] %lld %s\n", (long long)i, (long long)c8_dataset_label(ds, i),
               c8_dataset_name(ds, i));
    if (dc.manifest_out && c8_dataset_write_manifest(ds, dc.manifest_out, &e) != C8_OK) {
        c8_dataset_destroy(ds);
        return c8_cli_fail(&e);
    }
    c8_dataset_destroy(ds);
    return C8_EXIT_OK;
}

/* check and export: load everything through the loader. */
static int cmd_load(const char *action, int argc, char **argv) {
    data_cmd dc;
    int rc = parse_data_cmd(action, argc, argv, &dc);
    if (rc) return rc < 0 ? C8_EXIT_OK : rc;
    char cmd[32];
    snprintf(cmd, sizeof cmd, "dataset %s", action);
    bool export = !strcmp(action, "export");
    if (!dc.have_target) return c8_cli_usage(cmd, "give the model input with --target CxHxW");
    if (export && !dc.out) return c8_cli_usage(cmd, "give the output with --out FILE.npy");
    /* check lists every bad image instead of stopping at the first one (and then fails) */
    if (!export) dc.d.loader.skip_bad = true;

    c8_error e = {0};
    c8_dataset *ds = NULL;
    c8_loader *l = NULL;
    c8_progress *pg = NULL;
    float *all = NULL;
    int64_t *labels = NULL;
    int64_t n = 0, got = 0, nonfinite_images = 0, nonfinite_values = 0;
    size_t chw = (size_t)(dc.c * dc.h * dc.w);
    double *sum = NULL, *sq = NULL, *mn = NULL, *mx = NULL;
    int exit_code = C8_EXIT_FAIL;

    if (c8_dataset_open(&dc.d.spec, &ds, &e) != C8_OK) goto out;
    n = c8_dataset_count(ds);
    c8_dataset_opts_report(&dc.d, ds, stderr);
    c8_dataset_opts_warn_images(&dc.d, ds);
    if (export) {
        size_t bytes;
        if (!mul_size((size_t)n, chw, &bytes) || !mul_size(bytes, sizeof(float), &bytes) ||
            bytes > ((size_t)8 << 30)) {
            fprintf(stderr,
                    "calib8: error: %lld images of %zu values do not fit one .npy "
                    "file of at most 8 GiB (use --images)\n",
                    (long long)n, chw);
            goto out;
        }
        all = malloc(bytes ? bytes : 1);
        labels = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
        if (!all || !labels) {
            fprintf(stderr, "calib8: error: out of memory for %zu bytes\n", bytes);
            goto out;
        }
    }
    sum = calloc((size_t)dc.c, sizeof *sum);
    sq = calloc((size_t)dc.c, sizeof *sq);
    mn = malloc(sizeof *mn * (size_t)dc.c);
    mx = malloc(sizeof *mx * (size_t)dc.c);
    if (!sum || !sq || !mn || !mx) goto out;
    for (int64_t ci = 0; ci < dc.c; ci++) {
        mn[ci] = INFINITY;
        mx[ci] = -INFINITY;
    }
    if (c8_loader_create(ds, &dc.d.pre, dc.c, dc.h, dc.w, &dc.d.loader, &l, &e) != C8_OK) goto out;
    if (c8_progress_create(action, "img", n, c8_dataset_opts_progress(&dc.d), stderr, &pg, &e) !=
        C8_OK)
        goto out;
    const c8_batch *b;
    size_t hw = (size_t)(dc.h * dc.w);
    char where[1024]; /* a bad image's file (and HDF5 row) */
    for (;;) {
        if (c8_loader_next(l, &b, &e) != C8_OK) goto out;
        if (!b) break;
        for (int64_t i = 0; i < b->n; i++) {
            const float *img = b->data + (size_t)i * chw;
            int64_t bad = 0;
            for (size_t j = 0; j < chw; j++) bad += !isfinite(img[j]);
            if (bad) {
                if (nonfinite_images < 20)
                    fprintf(stderr, "  [%lld] %s: %lld NaN/Inf value%s after preprocessing\n",
                            (long long)b->ids[i],
                            c8_dataset_where(ds, b->ids[i], where, sizeof where), (long long)bad,
                            bad == 1 ? "" : "s");
                nonfinite_images++;
                nonfinite_values += bad;
            }
            for (int64_t ci = 0; ci < dc.c; ci++) {
                const float *p = img + (size_t)ci * hw;
                double s = 0, s2 = 0, lo = mn[ci], hi = mx[ci];
                for (size_t j = 0; j < hw; j++) {
                    double v = p[j];
                    s += v;
                    s2 += v * v;
                    if (v < lo) lo = v;
                    if (v > hi) hi = v;
                }
                sum[ci] += s;
                sq[ci] += s2;
                mn[ci] = lo;
                mx[ci] = hi;
            }
            if (export) {
                memcpy(all + (size_t)got * chw, img, chw * sizeof(float));
                labels[got] = b->labels[i];
            }
            got++;
        }
        c8_progress_update(pg, got + c8_loader_num_skipped(l));
    }
    c8_progress_finish(pg);
    c8_dataset_print_skipped(l, stderr);
    if (nonfinite_images > 20)
        fprintf(stderr, "  ... and %lld more images with NaN/Inf values\n",
                (long long)(nonfinite_images - 20));
    if (got == 0) {
        fprintf(stderr, "calib8: error: no image could be loaded\n");
        goto out;
    }
    if (!dc.d.quiet || !export) {
        printf("images:     %lld loaded, %lld skipped (manifest sha256 %s)\n", (long long)got,
               (long long)c8_loader_num_skipped(l), c8_dataset_manifest_sha256(ds));
        for (int64_t ci = 0; ci < dc.c; ci++) {
            double cnt = (double)got * (double)hw, m = sum[ci] / cnt;
            double var = sq[ci] / cnt - m * m;
            printf("channel %lld:  mean %.6g  std %.6g  min %.6g  max %.6g%s\n", (long long)ci, m,
                   sqrt(var > 0 ? var : 0), mn[ci], mx[ci],
                   isfinite(m) ? "" : "  <- not finite: some pixels are NaN/Inf");
        }
        printf("loader:     %.2f s decoding+preprocessing (background thread), consumer waited "
               "%.2f s\n",
               c8_loader_work_seconds(l), c8_loader_wait_seconds(l));
    }
    if (nonfinite_images || (!export && c8_loader_num_skipped(l))) {
        int64_t sk = export ? 0 : c8_loader_num_skipped(l);
        char what[160] = "";
        if (sk)
            snprintf(what, sizeof what, "%lld bad image%s (listed above)", (long long)sk,
                     sk == 1 ? "" : "s");
        if (nonfinite_images)
            snprintf(what + strlen(what), sizeof what - strlen(what),
                     "%s%lld image%s with %lld NaN/Inf value%s", sk ? " and " : "",
                     (long long)nonfinite_images, nonfinite_images == 1 ? "" : "s",
                     (long long)nonfinite_values, nonfinite_values == 1 ? "" : "s");
        fprintf(stderr, "calib8: error: %s: %s\n",
                dc.d.spec.path ? dc.d.spec.path : dc.d.spec.labels_path, what);
        goto out;
    }
    if (export) {
        c8_host_tensor images = {"images", C8_DT_FLOAT, {4, {got, dc.c, dc.h, dc.w}}, all};
        c8_host_tensor labs = {"labels", C8_DT_INT64, {1, {got}}, labels};
        if (c8_tensor_write_npy(dc.out, &images, &e) != C8_OK) goto out;
        if (dc.labels_out && c8_tensor_write_npy(dc.labels_out, &labs, &e) != C8_OK) goto out;
    }
    exit_code = C8_EXIT_OK;
out:
    if (exit_code != C8_EXIT_OK && e.code != C8_OK) {
        c8_progress_destroy(pg);
        pg = NULL;
        if (l) c8_dataset_print_skipped(l, stderr);
        c8_cli_fail(&e);
    }
    c8_progress_destroy(pg);
    c8_loader_destroy(l);
    c8_dataset_destroy(ds);
    free(all);
    free(labels);
    free(sum);
    free(sq);
    free(mn);
    free(mx);
    return exit_code;
}

/* ---- convert ---- */

static int cmd_convert(int argc, char **argv) {
    static const struct option opts[] = {{"idx", required_argument, NULL, OPT_IDX},
                                         {"out", required_argument, NULL, OPT_OUT},
                                         {"classes", required_argument, NULL, OPT_CLASSES_FILE},
                                         {"builtin-classes", required_argument, NULL, OPT_BUILTIN},
                                         {"limit", required_argument, NULL, OPT_LIMIT},
                                         {"force", no_argument, NULL, OPT_FORCE},
                                         {"quiet", no_argument, NULL, OPT_QUIET_CONVERT},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    c8_idx_convert_opts o;
    c8_idx_convert_opts_init(&o);
    const char *builtin = NULL;
    bool quiet = false;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'h':
            printf("usage: calib8 dataset convert --idx IMAGES LABELS --out DIR|FILE.h5 "
                   "[options]\n\n"
                   "Converts IDX files (MNIST, Fashion-MNIST, ...; gzip-compressed or plain) into\n"
                   "  DIR/<k>-<class>/<i>.png   an image folder (8-bit gray PNGs; sorting the\n"
                   "                            folder names gives label order) + DIR/classes.txt\n"
                   "  FILE.h5                   HDF5: /images (N,H,W,1) uint8, /labels (N) int64\n"
                   "\n"
                   "  --idx IMAGES LABELS       the IDX image file (magic 0x803) and label file "
                   "(0x801)\n"
                   "  --out DIR|FILE.h5         output; a .h5/.hdf5 name writes HDF5\n"
                   "  --classes FILE            class names, one per line\n"
                   "  --builtin-classes NAME    fashion-mnist or mnist names (default: class<k>)\n"
                   "  --limit N                 convert only the first N images\n"
                   "  --force                   replace an existing output (a folder only if it "
                   "holds\n"
                   "                            a classes.txt, i.e. an earlier conversion)\n"
                   "  --quiet                   print nothing on success\n"
                   "\nThe output appears only when complete (built aside, then renamed).\n");
            return C8_EXIT_OK;
        case OPT_IDX:
            o.images_path = optarg;
            if (optind >= argc || argv[optind][0] == '-')
                return c8_cli_usage("dataset convert", "--idx needs two files: IMAGES LABELS");
            o.labels_path = argv[optind++];
            break;
        case OPT_OUT: o.out_path = optarg; break;
        case OPT_CLASSES_FILE: o.classes_path = optarg; break;
        case OPT_BUILTIN:
            builtin = optarg;
            o.class_names = c8_idx_builtin_classes(optarg, &o.num_class_names);
            if (!o.class_names)
                return c8_cli_usage("dataset convert",
                                    "--builtin-classes '%s': known names are "
                                    "fashion-mnist and mnist",
                                    optarg);
            break;
        case OPT_LIMIT:
            if (!c8_cli_parse_i64(optarg, &o.limit) || o.limit < 1)
                return c8_cli_usage("dataset convert", "--limit '%s': expected a positive count",
                                    optarg);
            break;
        case OPT_FORCE: o.force = true; break;
        case OPT_QUIET_CONVERT: quiet = true; break;
        case ':': return c8_cli_usage("dataset convert", "%s needs a value", argv[optind - 1]);
        default: return c8_cli_usage("dataset convert", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return c8_cli_usage("dataset convert", "unexpected argument '%s'", argv[optind]);
    if (!o.images_path || !o.out_path)
        return c8_cli_usage("dataset convert", "give --idx IMAGES LABELS and --out");
    if (builtin && o.classes_path)
        return c8_cli_usage("dataset convert", "give --classes or --builtin-classes, not both");
    c8_cli_io io;
    c8_cli_io_init(&io, "dataset convert");
    c8_cli_io_in(&io, "--idx", o.images_path);
    c8_cli_io_in(&io, "--idx", o.labels_path);
    c8_cli_io_in(&io, "--classes", o.classes_path);
    size_t ol = strlen(o.out_path);
    bool h5 = (ol > 3 && !strcmp(o.out_path + ol - 3, ".h5")) ||
              (ol > 5 && !strcmp(o.out_path + ol - 5, ".hdf5"));
    if (h5)
        c8_cli_io_out(&io, "--out", o.out_path);
    else
        c8_cli_io_out_dir(&io, "--out", o.out_path);
    int rc = c8_cli_io_check(&io);
    c8_cli_io_free(&io);
    if (rc) return rc;
    c8_error e = {0};
    int64_t n;
    if (c8_idx_convert(&o, &n, &e) != C8_OK) return c8_cli_fail(&e);
    if (!quiet) printf("wrote %lld images to %s\n", (long long)n, o.out_path);
    return C8_EXIT_OK;
}

int c8_cmd_dataset(int argc, char **argv) {
    if (argc < 2) {
        fputs(k_usage, stderr);
        return C8_EXIT_USAGE;
    }
    const char *a = argv[1];
    if (!strcmp(a, "--help") || !strcmp(a, "-h") || !strcmp(a, "help")) {
        fputs(k_usage, stdout);
        return C8_EXIT_OK;
    }
    if (!strcmp(a, "info")) return cmd_info(argc - 1, argv + 1);
    if (!strcmp(a, "check")) return cmd_load("check", argc - 1, argv + 1);
    if (!strcmp(a, "export")) return cmd_load("export", argc - 1, argv + 1);
    if (!strcmp(a, "convert")) return cmd_convert(argc - 1, argv + 1);
    return c8_cli_usage("dataset", "unknown action '%s' (info, check, export, convert)", a);
}
