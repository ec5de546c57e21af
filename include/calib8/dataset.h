/* calib8 datasets: images on disk turned into preprocessed NCHW float32 batches.
 *
 * Pieces, in the order a caller uses them:
 *   c8_dataset    an opened source (image folder, folder + list file, HDF5 file) and its selection
 *                 (shuffle, first N, class balance), with a manifest that names every image used;
 *   c8_preprocess resize, center crop, channel order, scale, mean, std (a plain struct);
 *   c8_loader     decodes and preprocesses ahead in a background thread, hands out batches;
 *   c8_progress   a progress bar / periodic lines / silence, for any loop over items;
 *   c8_image      one decoded image (PNG through libpng, JPEG through libjpeg-turbo);
 *   c8_idx_convert  MNIST-family IDX files to an image folder or an HDF5 file.
 * Reference documentation: datasets/README.md (the conventions below are the normative summary).
 *
 * Pixel conventions.
 *   Decoded images are 8-bit samples 0..255, (H, W, C) with C = 1 (gray) or 3 (RGB). Alpha is
 *   dropped (not composited). 16-bit PNG samples become 8-bit with libpng's png_set_scale_16
 *   (round(v * 255 / 65535)); palette and low-bit gray are expanded; gAMA/iCCP/sRGB are ignored
 *   (samples are used as stored, as PIL does). CMYK/YCCK JPEGs are converted to RGB
 *   (R = C*K/255 for Adobe-inverted data). JPEGs are decoded with JDCT_ISLOW and libjpeg's default
 *   (fancy) upsampling, so results are the same on every machine.
 *
 * Preprocessing, in this order (datasets/README.md works an example by hand):
 *   1. resize (optional), bilinear without antialiasing, half-pixel centres: output pixel d maps
 *      to source coordinate s = (d + 0.5) * in / out - 0.5; s < 0 is clamped to 0 and
 *      s > in - 1 to in - 1 (OpenCV INTER_LINEAR's coordinate rule, computed in float, not
 *      OpenCV's fixed point). "shorter side to S" keeps the aspect ratio: the long side becomes
 *      floor(S * long / short) (as torchvision's Resize(S)). "longer side to S" (long:S) makes
 *      the short side max(1, floor(S * short / long)); max:S does that only when the longer side
 *      exceeds S (PaddleOCR's limit_side_len with limit_type max), else keeps the size.
 *      round_multiple M then rounds each resized side to the nearest multiple of M, ties to the
 *      even multiple, at least M (PaddleOCR's DetResizeForTest: round(side / M) * M), so the
 *      image is resampled to that size (also without a resize mode).
 *   2. center crop (optional) of HxW: top = round_half_even((H_img - H) / 2), likewise left
 *      (as torchvision's CenterCrop). A crop larger than the image is an error.
 *   3. pad (pad_multiple M, optional): H and W grow to the next multiple of M, the image in the
 *      top-left corner; the added bottom rows and right columns are 0 in the OUTPUT (after step
 *      5's normalisation, i.e. the mean colour), as a detector's zero-padded batch.
 *   4. channels: the output has the target C (1 or 3) from the model. gray from RGB uses ITU-R
 *      BT.601 weights 0.299 R + 0.587 G + 0.114 B (in double; R = G = B gives exactly that
 *      value); a gray image feeding a 3-channel model is replicated; "bgr" reverses the order.
 *   5. out = (pixel * scale - mean[c]) / std[c], with c the OUTPUT channel (so BGR models give
 *      their mean in BGR order), computed in double as pixel * (scale / std) - mean / std and
 *      rounded once to float32.
 *   If after steps 1-3 the image is not the target H x W, it is an error naming the file and both
 *   sizes (a loader over a range of sizes, c8_loader_create_ranged, takes each image's own size).
 *
 * Thread safety. A c8_dataset is immutable after c8_dataset_open: its accessors may be called from
 * any thread. A c8_loader is driven by one thread (the one calling c8_loader_next); it owns one
 * background thread. c8_progress is single-threaded. HDF5 access inside this module is
 * serialised by a module-wide mutex. c8_image and c8_preprocess functions are reentrant. */
#ifndef CALIB8_DATASET_H
#define CALIB8_DATASET_H

#include "calib8/status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================================== */
/* Decoded images                                                                           */
/* ======================================================================================== */

/* Decoders refuse images with more than this many samples (h * w * c): 256 Mi. */
#define C8_IMAGE_MAX_SAMPLES ((int64_t)1 << 28)

typedef struct c8_image {
    int64_t h, w, c; /* c = 1 (gray) or 3 (RGB) */
    uint8_t *data;   /* (h, w, c) uint8, row-major; malloc'd, owned by the struct */
} c8_image;

/* Decodes a PNG or JPEG held in memory (the format is taken from the first bytes, not from any
 * file name). `name` names the image in messages. Corrupt or truncated data is an error
 * (C8_ERR_PARSE), never a crash. On success *out owns its data (free with c8_image_free). */
c8_status c8_image_decode(const void *buf, size_t len, const char *name, c8_image *out,
                          c8_error *err);
/* Reads and decodes a file; as c8_image_decode. */
c8_status c8_image_read(const char *path, c8_image *out, c8_error *err);
/* Writes img as an 8-bit PNG (gray or RGB, no interlace), atomically. */
c8_status c8_image_write_png(const char *path, const c8_image *img, c8_error *err);
/* Frees img->data and zeroes the struct; NULL is a no-op. */
void c8_image_free(c8_image *img);

/* ======================================================================================== */
/* Preprocessing                                                                            */
/* ======================================================================================== */

typedef enum c8_resize_mode {
    C8_RESIZE_NONE = 0,
    C8_RESIZE_SHORTER = 1,   /* shorter side to `resize_short`, aspect ratio kept */
    C8_RESIZE_EXACT = 2,     /* exactly resize_h x resize_w */
    C8_RESIZE_LONGER = 3,    /* longer side to `resize_long`, aspect ratio kept */
    C8_RESIZE_LONGER_MAX = 4 /* as LONGER, only when the longer side exceeds `resize_long` */
} c8_resize_mode;

typedef enum c8_channels {
    C8_CHANNELS_AUTO = 0, /* gray for a 1-channel model, rgb for a 3-channel model */
    C8_CHANNELS_GRAY = 1, /* gray; replicated when the model wants 3 channels */
    C8_CHANNELS_RGB = 2,
    C8_CHANNELS_BGR = 3
} c8_channels;

#define C8_PRE_MAX_CHANNELS 3

/* A plain struct: fill with c8_preprocess_init, then a preset, a config file or set(). */
typedef struct c8_preprocess {
    c8_resize_mode resize;
    int64_t resize_short;       /* C8_RESIZE_SHORTER */
    int64_t resize_h, resize_w; /* C8_RESIZE_EXACT */
    int64_t crop_h, crop_w;     /* 0 x 0: no crop */
    c8_channels channels;
    double scale;
    int nmean, nstd; /* 1 (every channel) or the model's channel count */
    double mean[C8_PRE_MAX_CHANNELS];
    double std[C8_PRE_MAX_CHANNELS];
    /* added for dynamic H and W (after the fields above, so older layouts stay a prefix) */
    int64_t resize_long;    /* C8_RESIZE_LONGER, C8_RESIZE_LONGER_MAX */
    int64_t round_multiple; /* > 0: the resized H and W rounded to a multiple of it (step 1) */
    int64_t pad_multiple;   /* > 0: H and W padded up to a multiple of it (step 3) */
} c8_preprocess;

/* Preset "none": no resize, no crop, channels auto, scale 1, mean 0, std 1. */
void c8_preprocess_init(c8_preprocess *p);
/* Replaces *p by a preset: "none" or "imagenet" (resize 256, crop 224x224, rgb, scale 1/255,
 * mean 0.485,0.456,0.406, std 0.229,0.224,0.225). Unknown names: C8_ERR_INVALID listing them. */
c8_status c8_preprocess_preset(c8_preprocess *p, const char *name, c8_error *err);
/* Sets one key from text; the keys and syntax of the config file and of the CLI flags:
 *   preset NAME | resize S, short:S, long:S, max:S or HxW | crop HxW or S |
 *   round-to-multiple M | pad-to-multiple M | channels auto|gray|rgb|bgr |
 *   scale X (also "1/255") | mean a[,b,c] | std a[,b,c]   ("resize none", "crop none" clear;
 *   a multiple of 0 or "none" clears it).
 * `where` prefixes messages ("pre.cfg:3"); may be NULL. */
c8_status c8_preprocess_set(c8_preprocess *p, const char *key, const char *value, const char *where,
                            c8_error *err);
/* Applies a config file: `key = value` lines in order, '#' starts a comment, blank lines
 * ignored; an unknown key or bad value is an error naming file:line. */
c8_status c8_preprocess_load(c8_preprocess *p, const char *path, c8_error *err);
/* One canonical line, "resize=256 crop=224x224 channels=rgb scale=0.0039215686274509803
 * mean=0.485,0.456,0.406 std=0.229,0.224,0.225", numbers round-trippable: for logs, reports and
 * cache keys. round-to-multiple=M follows resize and pad-to-multiple=M follows crop only when
 * set, so lines written before they existed read back and describe as they were. Returns buf
 * (truncated to len). */
const char *c8_preprocess_describe(const c8_preprocess *p, char *buf, size_t len);
/* The inverse of c8_preprocess_describe: *p becomes the preprocessing a description line
 * states ("key=value" words separated by spaces, the keys of c8_preprocess_set except preset;
 * keys left out keep c8_preprocess_init's values). describe(parse(line)) == line for every line
 * describe writes. On an error (C8_ERR_PARSE / C8_ERR_INVALID, prefixed with `where`, may be
 * NULL) *p is unchanged. For descriptions recorded in sidecars and plans. */
c8_status c8_preprocess_parse(c8_preprocess *p, const char *line, const char *where, c8_error *err);
/* Checks p against a target (C, H, W): C must be 1 or 3, mean/std counts 1 or C, std != 0 and
 * finite, rgb/bgr need C = 3, a crop (padded to pad_multiple) must be H x W, and an exact resize
 * without crop (rounded and padded) must be H x W (otherwise no image could fit). */
c8_status c8_preprocess_check(const c8_preprocess *p, int64_t c, int64_t h, int64_t w,
                              c8_error *err);
/* The size an (h, w) image has after steps 1-3 (resize, rounding, crop, pad): (*oh, *ow).
 * C8_ERR_SHAPE naming `name` when the crop is larger than the resized image or the size would
 * be empty or too large. */
c8_status c8_preprocess_output_size(const c8_preprocess *p, int64_t h, int64_t w, const char *name,
                                    int64_t *oh, int64_t *ow, c8_error *err);
/* Preprocesses img into out: (c, h, w) float32, caller-allocated. `name` names the image in
 * messages (size mismatch, crop larger than the image). Allocates scratch internally. */
c8_status c8_preprocess_apply(const c8_preprocess *p, const c8_image *img, const char *name,
                              int64_t c, int64_t h, int64_t w, float *out, c8_error *err);

/* ======================================================================================== */
/* Datasets: sources, selection and manifest                                                */
/* ======================================================================================== */

typedef enum c8_dataset_kind {
    C8_DATASET_AUTO = 0,        /* decide from the path (see c8_dataset_open) */
    C8_DATASET_IMAGEFOLDER = 1, /* root/<class>/.../<image>, label = index of the sorted folder */
    C8_DATASET_FOLDER = 2,      /* root/<image>, no labels */
    C8_DATASET_LIST = 3,        /* list file "<relative path> <label>" under a root folder */
    C8_DATASET_HDF5 = 4         /* HDF5 file, images (N,H,W,C) uint8 or (N,C,H,W) float */
} c8_dataset_kind;

/* What to open and which images to take. Strings are borrowed during c8_dataset_open only. */
typedef struct c8_dataset_spec {
    const char *path;         /* folder or HDF5 file; may be NULL with labels_path (root = the
                                 list file's folder) */
    const char *labels_path;  /* list file of "<relative path> <label>" lines, or NULL */
    const char *classes_path; /* class names, one per line, or NULL */
    const char *hdf5_images;  /* image dataset in an HDF5 file; default "/images" */
    const char *hdf5_labels;  /* label dataset, used when present; default "/labels" */
    c8_dataset_kind kind;     /* default C8_DATASET_AUTO */
    int64_t images;           /* take at most this many; -1 (default): all */
    uint64_t seed;            /* shuffle seed; default 0 */
    bool shuffle;             /* default true; false keeps the sorted / list / HDF5 order */
    bool stratified;          /* round-robin over classes (needs labels); default false */
} c8_dataset_spec;

void c8_dataset_spec_init(c8_dataset_spec *s);

typedef struct c8_dataset c8_dataset;

/* Opens a source and makes its selection.
 * AUTO: a regular file is HDF5; labels_path set: LIST; a folder with subfolders: IMAGEFOLDER
 *   (loose images beside the class folders are an error); a folder of images: FOLDER.
 * Image files are those ending in .png, .jpg or .jpeg (any case); other files are ignored and
 *   counted (c8_dataset_ignored); names starting with '.' are skipped. Names and folders are
 *   sorted bytewise (strcmp), never by locale.
 *   ImageFolder recurses into class folders; an empty class folder still takes its label.
 * Labels: negative labels are errors; with a class-names file, labels must be below its count
 *   (and an ImageFolder must have exactly that many class folders); without one the class count
 *   is max label + 1 (ImageFolder: the folder count).
 * Selection: with shuffle, a Fisher-Yates shuffle driven by splitmix64(seed) (datasets/README.md
 *   gives the exact algorithm, so other tools can reproduce it), then the first `images`;
 *   stratified takes, from the shuffled order, one image of each class in turn (classes visited in
 *   the order of their first appearance in the shuffled order) until `images` are taken.
 * Errors name the file and the problem (empty folder, bad list line, missing HDF5 dataset, wrong
 *   shape or type, label out of range). Files listed but missing surface when loaded.
 * On success *out is owned by the caller (c8_dataset_destroy). */
c8_status c8_dataset_open(const c8_dataset_spec *spec, c8_dataset **out, c8_error *err);
void c8_dataset_destroy(c8_dataset *ds);

c8_dataset_kind c8_dataset_source_kind(const c8_dataset *ds);
/* "imagefolder", "folder", "list", "hdf5"; never NULL. */
const char *c8_dataset_kind_name(c8_dataset_kind k);
/* Number of selected images (the manifest's length) and of images in the source. */
int64_t c8_dataset_count(const c8_dataset *ds);
int64_t c8_dataset_total(const c8_dataset *ds);
/* Files skipped while listing folders because they are not .png/.jpg/.jpeg. */
int64_t c8_dataset_ignored(const c8_dataset *ds);
bool c8_dataset_has_labels(const c8_dataset *ds);
/* Label of selected image i (0 <= i < count), -1 when unlabeled or i out of range. */
int64_t c8_dataset_label(const c8_dataset *ds, int64_t i);
/* Name of selected image i as written in the manifest (unescaped): the path relative to the root
 * ("cat/001.png"), or "<dataset>[<index>]" for HDF5 ("/images[42]"). Owned by ds; NULL if out
 * of range. */
const char *c8_dataset_name(const c8_dataset *ds, int64_t i);
/* Selected image i as error messages name it, written into buf (cap bytes, cut to fit) and
 * returned: the file as the loader opens it ("root/cat/001.png"), or for HDF5 the file and the
 * row ("data.h5:/images[42]", the index in the file), so that a message about a row says which
 * file it is in. "?" when i is out of range. */
const char *c8_dataset_where(const c8_dataset *ds, int64_t i, char *buf, size_t cap);
/* Class count (0 when unlabeled) and class names (from the names file, else the ImageFolder
 * folder names, else "0", "1", ...). Owned by ds; NULL if out of range. */
int64_t c8_dataset_num_classes(const c8_dataset *ds);
const char *c8_dataset_class_name(const c8_dataset *ds, int64_t k);
/* The manifest text, owned by ds. Format v1 (bytes hashed exactly as returned):
 *   "calib8-manifest 1\n" "source <kind>\n" "count <n>\n"
 *   then n lines "<label>\t<name>\n" in load order (label -1 when unlabeled); in names, '\\',
 *   TAB, LF and CR are written as "\\\\", "\\t", "\\n", "\\r".
 * It names images, not their contents, and not the root folder (so it is the same on every
 * machine). */
const char *c8_dataset_manifest(const c8_dataset *ds);
/* sha256 of the manifest text: 64 lowercase hex digits, owned by ds. */
const char *c8_dataset_manifest_sha256(const c8_dataset *ds);
/* Writes the manifest text to path (atomically). */
c8_status c8_dataset_write_manifest(const c8_dataset *ds, const char *path, c8_error *err);

/* ======================================================================================== */
/* Loader: batches decoded ahead by a background thread                                     */
/* ======================================================================================== */

typedef struct c8_loader_opts {
    int64_t batch; /* images per batch; default 32 */
    int prefetch;  /* batches decoded ahead (queue depth), 1..16; default 3 */
    bool skip_bad; /* skip (and record) images that fail to load instead of failing */
    int64_t first; /* manifest range [first, first + count) to load; default 0 */
    int64_t count; /* -1 (default): to the end */
} c8_loader_opts;

void c8_loader_opts_init(c8_loader_opts *o);

/* One batch, borrowed from the loader: valid until the next c8_loader_next or destroy. */
typedef struct c8_batch {
    int64_t n;             /* images in this batch: opts.batch, or fewer for the last one (a
                              ranged loader: or fewer where the next image's size differs) */
    int64_t c, h, w;       /* the target shape (a ranged loader: this batch's image size) */
    const float *data;     /* (n, c, h, w) float32 */
    const int64_t *labels; /* (n) label, -1 when unlabeled */
    const int64_t *ids;    /* (n) index of each image in the dataset's manifest */
} c8_batch;

typedef struct c8_loader c8_loader;

/* Bytes a loader holds for batches of `batch` (c, h, w) float32 images with `prefetch` batches
 * decoded ahead: prefetch + 1 slots of images, labels and ids (for memory budgets; the CLI's
 * --max-memory). UINT64_MAX on overflow or a negative extent. */
uint64_t c8_loader_memory(int64_t batch, int prefetch, int64_t c, int64_t h, int64_t w);

/* Starts a loader over ds (which must outlive it) producing (c, h, w) images preprocessed by p
 * (copied). Checks p against the target first (c8_preprocess_check). The background thread
 * starts at once. On success *out is owned by the caller (c8_loader_destroy). */
c8_status c8_loader_create(const c8_dataset *ds, const c8_preprocess *p, int64_t c, int64_t h,
                           int64_t w, const c8_loader_opts *opts, c8_loader **out, c8_error *err);
/* A loader whose images keep their own size (dynamic H and W, as an optimization profile's
 * ranges allow): each image's size after preprocessing (c8_preprocess_output_size: with an
 * aspect-keeping resize and round-to-multiple / pad-to-multiple, a detector's input) must lie
 * in [h_min, h_max] x [w_min, w_max], else it is an error (C8_ERR_SHAPE; skip_bad skips it)
 * naming the file, its size and the range. Consecutive images of one size share a batch: a
 * size change or opts.batch ends a batch, so any batch may hold fewer than opts.batch images,
 * and the batches depend on the order (the manifest's), never the images' values. Slots are
 * sized for h_max x w_max (c8_loader_memory with those). Otherwise as c8_loader_create. */
c8_status c8_loader_create_ranged(const c8_dataset *ds, const c8_preprocess *p, int64_t c,
                                  int64_t h_min, int64_t h_max, int64_t w_min, int64_t w_max,
                                  const c8_loader_opts *opts, c8_loader **out, c8_error *err);
/* Hands out the next batch: *out points into the loader (valid until the next call) or is NULL
 * when every image has been delivered. Batches come in manifest order, full except the last;
 * skipped images (skip_bad) are left out, not zero-filled. An image that fails to load (without
 * skip_bad) is returned as that error, naming the file, once the batches before it have been
 * handed out; the error then repeats on every later call. */
c8_status c8_loader_next(c8_loader *l, const c8_batch **out, c8_error *err);
/* Images skipped so far (skip_bad) and, for k < that count, the manifest id and the message
 * ("data/x.png: truncated PNG ..."), owned by the loader. Call from the consumer thread. */
int64_t c8_loader_num_skipped(c8_loader *l);
const char *c8_loader_skipped(c8_loader *l, int64_t k, int64_t *id);
/* Seconds the consumer spent blocked in c8_loader_next waiting for data, and seconds the
 * background thread spent decoding and preprocessing: for "does the engine wait on data?". */
double c8_loader_wait_seconds(const c8_loader *l);
double c8_loader_work_seconds(const c8_loader *l);
/* Stops the thread (at any time, also mid-stream) and frees everything; NULL is a no-op. */
void c8_loader_destroy(c8_loader *l);

/* ======================================================================================== */
/* Progress reporting (for any loop: loading, calibration, evaluation)                      */
/* ======================================================================================== */

typedef enum c8_progress_mode {
    C8_PROGRESS_AUTO = 0,  /* BAR when the stream is a terminal, else LINES */
    C8_PROGRESS_BAR = 1,   /* one line redrawn in place (\r), at most every 0.1 s */
    C8_PROGRESS_LINES = 2, /* a plain line every 10 s (and at the end) */
    C8_PROGRESS_QUIET = 3  /* nothing */
} c8_progress_mode;

typedef struct c8_progress c8_progress;

/* `what` labels the line ("calibrate"), `unit` the items ("img"); total <= 0 when unknown.
 * out: NULL means stderr. On success *out_p is owned by the caller (c8_progress_destroy). */
c8_status c8_progress_create(const char *what, const char *unit, int64_t total,
                             c8_progress_mode mode, FILE *out, c8_progress **out_p, c8_error *err);
/* Minimum seconds between two outputs (BAR default 0.1, LINES default 10); 0 prints on every
 * update (tests). */
void c8_progress_set_interval(c8_progress *p, double seconds);
/* Reports `done` items so far (monotonic); prints when the interval has passed. */
void c8_progress_update(c8_progress *p, int64_t done);
/* Prints the final state ("done in 3.2 s, 3125 img/s") and ends the bar's line. Idempotent. */
void c8_progress_finish(c8_progress *p);
/* Frees p; NULL is a no-op. Without a finish (an error path) it prints no summary, only ends a
 * drawn bar's line so the next message starts on its own line. */
void c8_progress_destroy(c8_progress *p);

/* ======================================================================================== */
/* IDX (MNIST family) conversion                                                            */
/* ======================================================================================== */

typedef struct c8_idx_convert_opts {
    const char *images_path;  /* IDX images, magic 0x00000803, (N, H, W) uint8; gzip or plain */
    const char *labels_path;  /* IDX labels, magic 0x00000801, (N) uint8; gzip or plain */
    const char *out_path;     /* folder, or a file ending in .h5 / .hdf5 */
    const char *classes_path; /* class names, one per line, or NULL */
    const char *const *class_names; /* or built-in names (c8_idx_builtin_classes); NULL */
    int64_t num_class_names;
    int64_t limit; /* convert only the first N images; -1: all */
    bool force;    /* replace an existing non-empty output */
} c8_idx_convert_opts;

void c8_idx_convert_opts_init(c8_idx_convert_opts *o);

/* Built-in class names: "fashion-mnist" (T-shirt/top, Trouser, ...) and "mnist" ("0".."9").
 * Returns a static array and its length in *n, or NULL for an unknown name. */
const char *const *c8_idx_builtin_classes(const char *name, int64_t *n);

/* Converts IDX images + labels.
 * Folder output: out/<k>-<name>/<i>.png, 8-bit gray PNGs; k is zero-padded to the digits of the
 *   largest label so sorted folder names give label order; <name> is the class name with every
 *   byte outside [A-Za-z0-9._-] replaced by '_' (default "class<k>"); <i> is the image's index in
 *   the IDX file, zero-padded to the digits of N-1. out/classes.txt lists the class names, one per
 *   line. The tree is built in a sibling temporary folder and renamed into place at the end, so
 *   a failed run leaves nothing half-written; an existing empty folder is replaced, a non-empty
 *   one only with force.
 * HDF5 output: /images (N, H, W, 1) uint8 and /labels (N) int64, contiguous, written to a
 *   temporary file and renamed (an existing file needs force).
 * The class count is that of the names (labels must be below it), else max label + 1.
 * Headers and sizes are validated (magic, N equal in both files, exact data length). */
c8_status c8_idx_convert(const c8_idx_convert_opts *o, int64_t *n_written, c8_error *err);

#ifdef __cplusplus
}
#endif
#endif
