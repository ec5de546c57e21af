/* The dataset and preprocessing flags, shared by every subcommand that reads images (dataset,
 * calibrate, eval, compare, ...). A command splices C8_DATASET_LONG_OPTIONS into its
 * getopt_long table and offers every option it does not know itself to c8_dataset_opts_handle:
 *
 *     static const struct option k_opts[] = {
 *         {"model", required_argument, NULL, 'm'},
 *         C8_DATASET_LONG_OPTIONS
 *         {NULL, 0, NULL, 0}};
 *     c8_dataset_opts d;
 *     c8_dataset_opts_init(&d);
 *     while ((c = getopt_long(argc, argv, "m:h", k_opts, NULL)) != -1) {
 *         c8_error e = {0};
 *         if (c8_dataset_opts_handle(&d, c, optarg, &e)) {
 *             if (e.code) return c8_cli_fail(&e);
 *             continue;
 *         }
 *         switch (c) { ... }
 *     }
 *     if (c8_dataset_opts_finish(&d, &e) != C8_OK) return c8_cli_fail(&e);
 *     ... c8_dataset_open(&d.spec, ...); c8_loader_create(ds, &d.pre, C, H, W, &d.loader, ...)
 *
 * Preprocessing is applied in this order: --preset, then --preprocess-config's lines, then the
 * single flags (--resize, --round-to-multiple, --crop, --pad-to-multiple, --channels, --scale,
 * --mean, --std) in command-line order.
 * The group owns every long name in C8_DATASET_LONG_OPTIONS, --quiet and --batch included: a
 * command reads them from c8_dataset_opts (quiet, loader.batch) instead of defining its own. */
#ifndef C8_TOOLS_DATASET_OPTS_H
#define C8_TOOLS_DATASET_OPTS_H

#include "calib8/dataset.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

/* getopt_long codes of the dataset flags: 0x1000..0x10ff (other commands keep theirs outside). */
enum {
    C8_DSOPT_FIRST = 0x1000,
    C8_DSOPT_DATA = 0x1000,
    C8_DSOPT_LABELS,
    C8_DSOPT_CLASSES,
    C8_DSOPT_HDF5_DATASET,
    C8_DSOPT_HDF5_LABELS,
    C8_DSOPT_PRESET,
    C8_DSOPT_PRE_CONFIG,
    C8_DSOPT_RESIZE,
    C8_DSOPT_CROP,
    C8_DSOPT_CHANNELS,
    C8_DSOPT_SCALE,
    C8_DSOPT_MEAN,
    C8_DSOPT_STD,
    C8_DSOPT_IMAGES,
    C8_DSOPT_SEED,
    C8_DSOPT_NO_SHUFFLE,
    C8_DSOPT_STRATIFIED,
    C8_DSOPT_SKIP_BAD,
    C8_DSOPT_QUIET,
    C8_DSOPT_BATCH,
    C8_DSOPT_PREFETCH,
    C8_DSOPT_ROUND_MULTIPLE,
    C8_DSOPT_PAD_MULTIPLE,
    C8_DSOPT_LAST = 0x10ff
};

/* Entries for a struct option table (no terminator): splice before your {NULL, 0, NULL, 0}.
 * C8_PREPROCESS_LONG_OPTIONS alone: the preprocessing flags, for a command that reads single
 * images rather than data sets (run). */
/* clang-format off */
#define C8_PREPROCESS_LONG_OPTIONS                                                                 \
    {"preset", required_argument, NULL, C8_DSOPT_PRESET},                                          \
    {"preprocess-config", required_argument, NULL, C8_DSOPT_PRE_CONFIG},                           \
    {"resize", required_argument, NULL, C8_DSOPT_RESIZE},                                          \
    {"crop", required_argument, NULL, C8_DSOPT_CROP},                                              \
    {"round-to-multiple", required_argument, NULL, C8_DSOPT_ROUND_MULTIPLE},                       \
    {"pad-to-multiple", required_argument, NULL, C8_DSOPT_PAD_MULTIPLE},                           \
    {"channels", required_argument, NULL, C8_DSOPT_CHANNELS},                                      \
    {"scale", required_argument, NULL, C8_DSOPT_SCALE},                                            \
    {"mean", required_argument, NULL, C8_DSOPT_MEAN},                                              \
    {"std", required_argument, NULL, C8_DSOPT_STD},
#define C8_DATASET_LONG_OPTIONS                                                                    \
    {"data", required_argument, NULL, C8_DSOPT_DATA},                                              \
    {"labels", required_argument, NULL, C8_DSOPT_LABELS},                                          \
    {"classes", required_argument, NULL, C8_DSOPT_CLASSES},                                        \
    {"hdf5-dataset", required_argument, NULL, C8_DSOPT_HDF5_DATASET},                              \
    {"hdf5-labels", required_argument, NULL, C8_DSOPT_HDF5_LABELS},                                \
    C8_PREPROCESS_LONG_OPTIONS                                                                     \
    {"images", required_argument, NULL, C8_DSOPT_IMAGES},                                          \
    {"seed", required_argument, NULL, C8_DSOPT_SEED},                                              \
    {"no-shuffle", no_argument, NULL, C8_DSOPT_NO_SHUFFLE},                                        \
    {"stratified", no_argument, NULL, C8_DSOPT_STRATIFIED},                                        \
    {"skip-bad", no_argument, NULL, C8_DSOPT_SKIP_BAD},                                            \
    {"quiet", no_argument, NULL, C8_DSOPT_QUIET},                                                  \
    {"batch", required_argument, NULL, C8_DSOPT_BATCH},                                            \
    {"prefetch", required_argument, NULL, C8_DSOPT_PREFETCH},
/* clang-format on */

#define C8_DATASET_OPTS_MAX_PRE 32

typedef struct c8_dataset_opts {
    c8_dataset_spec spec;  /* source and selection; strings point into argv */
    c8_preprocess pre;     /* complete after c8_dataset_opts_finish */
    c8_loader_opts loader; /* batch (--batch, default 32), prefetch, skip_bad */
    bool quiet;            /* --quiet: no progress, no opening lines (data, preprocess, the
                            * command's own); results and errors still print */
    bool data_given;       /* --data or --labels was given */
    bool images_given;     /* --images was given (0: all) */
    bool batch_given;      /* --batch was given (else a model's fixed batch replaces 32) */
    const char *pre_from;  /* where o->pre came from when no flag gave it (adopt), or NULL */
    /* raw preprocessing flags, applied by c8_dataset_opts_finish */
    const char *preset, *config;
    int npre;
    const char *pre_key[C8_DATASET_OPTS_MAX_PRE];
    const char *pre_val[C8_DATASET_OPTS_MAX_PRE];
} c8_dataset_opts;

void c8_dataset_opts_init(c8_dataset_opts *o);
/* True when `opt` is one of the dataset flags (it is then consumed); a bad value sets err
 * (C8_ERR_USAGE, message naming the flag). False, err untouched, for any other option. */
bool c8_dataset_opts_handle(c8_dataset_opts *o, int opt, const char *arg, c8_error *err);
/* Builds o->pre from --preset, --preprocess-config and the single flags (see above). */
c8_status c8_dataset_opts_finish(c8_dataset_opts *o, c8_error *err);
/* Whether a preprocessing flag was given: --preset, --preprocess-config or a single one. */
bool c8_dataset_opts_pre_given(const c8_dataset_opts *o);
/* After c8_dataset_opts_finish: the preprocessing recorded with the model, `recorded` (a
 * c8_preprocess_describe line from a plan or a cache's sidecar; NULL: none), `from` naming
 * where (a plan's or a sidecar's path; borrowed, kept in o->pre_from). Without preprocessing
 * flags, o->pre becomes the recorded one, said on stdout unless quiet ("preprocess: LINE
 * (recorded in FROM)"). With flags that describe another preprocessing, a warning on stderr
 * names both and the flags are used. A recorded line that does not parse is warned about on
 * stderr and left unused. */
void c8_dataset_opts_adopt(c8_dataset_opts *o, const char *recorded, const char *from);
/* The help text for the dataset flags (indented two spaces, fits 100 columns); the second
 * only the preprocessing flags' part of it. */
void c8_dataset_opts_help(FILE *f);
void c8_preprocess_opts_help(FILE *f);
/* QUIET with --quiet, else AUTO (a bar on a terminal, lines otherwise). */
c8_progress_mode c8_dataset_opts_progress(const c8_dataset_opts *o);
/* Prints what will be used, for every command alike (nothing with --quiet):
 *   data: fm/ (imagefolder): 500 of 10000 images, shuffled (seed 0), 10 classes,
 *         manifest sha256 3f71...; 1 other file ignored
 *   preprocess: resize=none crop=none channels=auto scale=0.0039... mean=0.286 std=0.353
 * plus a note when --images asked for more images than the source has. */
void c8_dataset_opts_report(const c8_dataset_opts *o, const c8_dataset *ds, FILE *f);
/* When --images asked for more images than the source has: a warning on stderr (also with
 * --quiet) "--images 500, but fm/ has 20 images: all 20 are used". */
void c8_dataset_opts_warn_images(const c8_dataset_opts *o, const c8_dataset *ds);
/* Prints the images the loader skipped (--skip-bad): the count, then up to 20 as
 * "[manifest id] message", then "... and N more". Nothing when none were skipped. */
void c8_dataset_print_skipped(c8_loader *l, FILE *f);

#endif
