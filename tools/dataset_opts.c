/* Dataset and preprocessing flags shared by the subcommands; see dataset_opts.h. */
#include "tools/dataset_opts.h"

#include "tools/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void c8_dataset_opts_init(c8_dataset_opts *o) {
    memset(o, 0, sizeof *o);
    c8_dataset_spec_init(&o->spec);
    c8_preprocess_init(&o->pre);
    c8_loader_opts_init(&o->loader);
}

static bool parse_u64(const char *s, uint64_t *out) {
    if (!s || !*s || *s == '-' || *s == '+') return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end) return false;
    *out = v;
    return true;
}

/* A preprocessing flag: checked now (so the error names the flag), applied in finish. */
static bool pre_flag(c8_dataset_opts *o, const char *flag, const char *key, const char *arg,
                     c8_error *err) {
    c8_preprocess scratch;
    c8_preprocess_init(&scratch);
    char where[64];
    snprintf(where, sizeof where, "--%s", flag);
    if (c8_preprocess_set(&scratch, key, arg, where, err) != C8_OK) {
        err->code = C8_ERR_USAGE;
        return true;
    }
    if (o->npre == C8_DATASET_OPTS_MAX_PRE) {
        c8_err(err, C8_ERR_USAGE, "too many preprocessing flags (at most %d)",
               C8_DATASET_OPTS_MAX_PRE);
        return true;
    }
    o->pre_key[o->npre] = key;
    o->pre_val[o->npre] = arg;
    o->npre++;
    return true;
}

bool c8_dataset_opts_handle(c8_dataset_opts *o, int opt, const char *arg, c8_error *err) {
    if (opt < C8_DSOPT_FIRST || opt > C8_DSOPT_LAST) return false;
    int64_t v;
    uint64_t u;
    switch (opt) {
    case C8_DSOPT_DATA:
        o->spec.path = arg;
        o->data_given = true;
        return true;
    case C8_DSOPT_LABELS:
        o->spec.labels_path = arg;
        o->data_given = true;
        return true;
    case C8_DSOPT_CLASSES: o->spec.classes_path = arg; return true;
    case C8_DSOPT_HDF5_DATASET: o->spec.hdf5_images = arg; return true;
    case C8_DSOPT_HDF5_LABELS: o->spec.hdf5_labels = arg; return true;
    case C8_DSOPT_PRESET: {
        c8_preprocess scratch;
        if (c8_preprocess_preset(&scratch, arg, err) != C8_OK) {
            c8_err_prefix(err, "--preset");
            err->code = C8_ERR_USAGE;
            return true;
        }
        o->preset = arg;
        return true;
    }
    case C8_DSOPT_PRE_CONFIG: o->config = arg; return true;
    case C8_DSOPT_RESIZE: return pre_flag(o, "resize", "resize", arg, err);
    case C8_DSOPT_CROP: return pre_flag(o, "crop", "crop", arg, err);
    case C8_DSOPT_ROUND_MULTIPLE:
        return pre_flag(o, "round-to-multiple", "round-to-multiple", arg, err);
    case C8_DSOPT_PAD_MULTIPLE: return pre_flag(o, "pad-to-multiple", "pad-to-multiple", arg, err);
    case C8_DSOPT_CHANNELS: return pre_flag(o, "channels", "channels", arg, err);
    case C8_DSOPT_SCALE: return pre_flag(o, "scale", "scale", arg, err);
    case C8_DSOPT_MEAN: return pre_flag(o, "mean", "mean", arg, err);
    case C8_DSOPT_STD: return pre_flag(o, "std", "std", arg, err);
    case C8_DSOPT_IMAGES:
        if (!c8_cli_parse_i64(arg, &v) || v < 0) {
            c8_err(err, C8_ERR_USAGE, "--images '%s': expected a count (0: all)", arg);
            return true;
        }
        o->spec.images = v; /* 0 (all) becomes -1 in c8_dataset_opts_finish */
        o->images_given = true;
        return true;
    case C8_DSOPT_SEED:
        if (!parse_u64(arg, &u)) {
            c8_err(err, C8_ERR_USAGE, "--seed '%s': expected an integer 0 to 2^64-1", arg);
            return true;
        }
        o->spec.seed = u;
        return true;
    case C8_DSOPT_NO_SHUFFLE: o->spec.shuffle = false; return true;
    case C8_DSOPT_STRATIFIED: o->spec.stratified = true; return true;
    case C8_DSOPT_SKIP_BAD: o->loader.skip_bad = true; return true;
    case C8_DSOPT_QUIET: o->quiet = true; return true;
    case C8_DSOPT_BATCH:
        if (!c8_cli_parse_i64(arg, &v) || v < 1 || v > (1 << 20)) {
            c8_err(err, C8_ERR_USAGE, "--batch '%s': expected 1 to 1048576", arg);
            return true;
        }
        o->loader.batch = v;
        o->batch_given = true;
        return true;
    case C8_DSOPT_PREFETCH:
        if (!c8_cli_parse_i64(arg, &v) || v < 1 || v > 16) {
            c8_err(err, C8_ERR_USAGE, "--prefetch '%s': expected 1 to 16", arg);
            return true;
        }
        o->loader.prefetch = (int)v;
        return true;
    default:
        c8_err(err, C8_ERR_USAGE, "option code %#x is reserved for dataset flags", opt);
        return true;
    }
}

c8_status c8_dataset_opts_finish(c8_dataset_opts *o, c8_error *err) {
    if (o->spec.images == 0) o->spec.images = -1; /* --images 0: all */
    c8_preprocess_init(&o->pre);
    if (o->preset) C8_TRY(c8_preprocess_preset(&o->pre, o->preset, err));
    if (o->config) C8_TRY(c8_preprocess_load(&o->pre, o->config, err));
    for (int i = 0; i < o->npre; i++) {
        char where[64];
        snprintf(where, sizeof where, "--%s", o->pre_key[i]);
        C8_TRY(c8_preprocess_set(&o->pre, o->pre_key[i], o->pre_val[i], where, err));
    }
    return C8_OK;
}

bool c8_dataset_opts_pre_given(const c8_dataset_opts *o) {
    return o->preset || o->config || o->npre > 0;
}

void c8_dataset_opts_adopt(c8_dataset_opts *o, const char *recorded, const char *from) {
    if (!recorded) return;
    c8_preprocess rec;
    c8_error e = {0};
    if (c8_preprocess_parse(&rec, recorded, from, &e) != C8_OK) {
        fprintf(stderr, "calib8: warning: the recorded preprocessing is not used: %s\n", e.msg);
        return;
    }
    char want[512], have[512];
    c8_preprocess_describe(&rec, want, sizeof want);
    if (!c8_dataset_opts_pre_given(o)) {
        o->pre = rec;
        o->pre_from = from;
        if (!o->quiet) printf("preprocess: %s (recorded in %s)\n", want, from);
        return;
    }
    c8_preprocess_describe(&o->pre, have, sizeof have);
    if (strcmp(want, have))
        fprintf(stderr,
                "calib8: warning: the preprocessing flags give '%s', but %s records '%s': using "
                "the flags\n",
                have, from, want);
}

c8_progress_mode c8_dataset_opts_progress(const c8_dataset_opts *o) {
    return o->quiet ? C8_PROGRESS_QUIET : C8_PROGRESS_AUTO;
}

void c8_dataset_opts_report(const c8_dataset_opts *o, const c8_dataset *ds, FILE *f) {
    if (o->quiet) return;
    const c8_dataset_spec *sp = &o->spec;
    int64_t n = c8_dataset_count(ds), total = c8_dataset_total(ds);
    fprintf(f, "data: %s (%s): %lld of %lld images, ", sp->path ? sp->path : sp->labels_path,
            c8_dataset_kind_name(c8_dataset_source_kind(ds)), (long long)n, (long long)total);
    if (sp->shuffle)
        fprintf(f, "shuffled (seed %llu)", (unsigned long long)sp->seed);
    else
        fprintf(f, "source order");
    if (sp->stratified) fprintf(f, ", stratified");
    if (c8_dataset_has_labels(ds))
        fprintf(f, ", %lld classes", (long long)c8_dataset_num_classes(ds));
    else
        fprintf(f, ", unlabelled");
    fprintf(f, ", manifest sha256 %s", c8_dataset_manifest_sha256(ds));
    if (c8_dataset_ignored(ds))
        fprintf(f, "; %lld other file%s ignored", (long long)c8_dataset_ignored(ds),
                c8_dataset_ignored(ds) == 1 ? "" : "s");
    fprintf(f, "\n");
    char d[512];
    fprintf(f, "preprocess: %s\n", c8_preprocess_describe(&o->pre, d, sizeof d));
}

void c8_dataset_print_skipped(c8_loader *l, FILE *f) {
    int64_t n = c8_loader_num_skipped(l);
    if (n == 0) return;
    fprintf(f, "skipped %lld bad image%s:\n", (long long)n, n == 1 ? "" : "s");
    for (int64_t k = 0; k < n && k < 20; k++) {
        int64_t id;
        const char *m = c8_loader_skipped(l, k, &id);
        fprintf(f, "  [%lld] %s\n", (long long)id, m);
    }
    if (n > 20) fprintf(f, "  ... and %lld more\n", (long long)(n - 20));
}

void c8_dataset_opts_help(FILE *f) {
    fputs(
        "data:\n"
        "  --data PATH              image folder (root/<class>/*.png|jpg: labels = sorted folder\n"
        "                           index), flat folder of images (no labels), or HDF5 file\n"
        "  --labels FILE            list of '<relative path> <label>' lines (paths relative to\n"
        "                           --data, else to the list's folder; split at the last space)\n"
        "  --classes FILE           class names, one per line (for reports; bounds the labels)\n"
        "  --hdf5-dataset NAME      HDF5 image dataset, (N,H,W,C) uint8 or (N,C,H,W) float\n"
        "                           (default /images)\n"
        "  --hdf5-labels NAME       HDF5 label dataset (default /labels, used when present)\n"
        "  --images N               use N images: the first N after the shuffle (default all;\n"
        "                           0: all)\n"
        "  --seed N                 shuffle seed (default 0: the same options give the same "
        "order)\n"
        "  --no-shuffle             keep the sorted / list / file order\n"
        "  --stratified             take the classes in turn (balanced; needs labels)\n"
        "  --skip-bad               skip unreadable or unfitting images (listed in the summary)\n"
        "  --batch N                images per batch (default 32)\n"
        "  --prefetch N             batches decoded ahead by the loader thread (default 3)\n"
        "  --quiet                  no progress, no opening lines: results and errors only\n",
        f);
    c8_preprocess_opts_help(f);
}

void c8_preprocess_opts_help(FILE *f) {
    fputs(
        "preprocessing (applied: --preset, --preprocess-config, then these flags in order):\n"
        "  --preset NAME            none (default) or imagenet (resize 256, crop 224, rgb,\n"
        "                           scale 1/255, mean 0.485,0.456,0.406, std 0.229,0.224,0.225)\n"
        "  --preprocess-config FILE 'key = value' lines with the keys below (# comments)\n"
        "  --resize S|HxW           bilinear (half-pixel centres, no antialias): shorter side to\n"
        "                           S keeping the aspect ratio, or exactly HxW; 'none'\n"
        "  --resize long:S|max:S    longer side to S keeping the aspect ratio; max: only when\n"
        "                           longer than S (PaddleOCR's limit_side_len)\n"
        "  --round-to-multiple M    resize each side to the nearest multiple of M (ties to even,\n"
        "                           at least M; PaddleOCR's detector resize, with M = 32)\n"
        "  --crop HxW               center crop (must give the model's H x W); 'none'\n"
        "  --pad-to-multiple M      pad bottom/right up to a multiple of M with 0 (after the\n"
        "                           normalisation: the mean colour); dynamic H/W models take\n"
        "                           each image's own size inside the --shape profile\n"
        "  --channels MODE          auto (gray for 1-channel models, else rgb), gray (BT.601;\n"
        "                           replicated for 3-channel models), rgb or bgr\n"
        "  --scale S                pixel (0..255) multiplier, e.g. 0.00392156862745098 or 1/255\n"
        "  --mean a[,b,c]           subtracted after scaling, per output channel\n"
        "  --std a[,b,c]            divided by last: out = (pixel * scale - mean) / std\n"
        "  without these flags, a plan's (or a calibration cache's) recorded preprocessing is\n"
        "  used; flags that differ from it win, with a warning naming both\n",
        f);
}

void c8_dataset_opts_warn_images(const c8_dataset_opts *o, const c8_dataset *ds) {
    int64_t total = c8_dataset_total(ds);
    if (o->images_given && o->spec.images > total)
        fprintf(stderr,
                "calib8: warning: --images %lld, but %s has %lld images: all %lld are used\n",
                (long long)o->spec.images, o->spec.path ? o->spec.path : o->spec.labels_path,
                (long long)total, (long long)total);
}
