/* Shared helpers for the calib8 subcommands: exit codes, error printing, option parsing.
 * Exit codes: 0 success, 1 runtime or input error, 2 usage error. Only the CLI exits. */
#ifndef C8_TOOLS_CLI_H
#define C8_TOOLS_CLI_H

#include "calib8/status.h"
#include "calib8/tensor.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The commands report errors through the public helpers (status.h) under the short names the
 * library uses for its own (tools/ includes no internal header). */
#define c8_err c8_error_set
#define c8_err_prefix c8_error_prefix
#ifndef C8_TRY
#define C8_TRY(expr)                                                                               \
    do {                                                                                           \
        c8_status c8_try_s_ = (expr);                                                              \
        if (c8_try_s_ != C8_OK) return c8_try_s_;                                                  \
    } while (0)
#endif

/* 130 = 128 + SIGINT, what shells report for a command killed by Ctrl-C: a command stopped by
 * SIGINT (C8_ERR_INTERRUPTED) exits with it after writing nothing (docs/reliability.md). */
enum { C8_EXIT_OK = 0, C8_EXIT_FAIL = 1, C8_EXIT_USAGE = 2, C8_EXIT_INTERRUPTED = 130 };

/* Each subcommand: int c8_cmd_<name>(int argc, char **argv), argv[0] being the subcommand. */
typedef int (*c8_cmd_fn)(int argc, char **argv);

/* Prints "calib8 <cmd>: <message>" and a hint to run --help; returns C8_EXIT_USAGE. */
int c8_cli_usage(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Prints "calib8: error: <err->msg>" to stderr; returns C8_EXIT_FAIL (C8_EXIT_USAGE for
 * C8_ERR_USAGE, C8_EXIT_INTERRUPTED for C8_ERR_INTERRUPTED). */
int c8_cli_fail(const c8_error *err);

/* Strict number parsing: the whole string must be a number. */
bool c8_cli_parse_i64(const char *s, int64_t *out);
bool c8_cli_parse_f64(const char *s, double *out);
/* Comma-separated lists ("0.485,0.456,0.406"); returns count or -1 on a bad item/overflow. */
int c8_cli_parse_f64_list(const char *s, double *out, int max);
int c8_cli_parse_i64_list(const char *s, int64_t *out, int max);

/* "--shape NAME:DIMS" (NAME: optional for single-input models). DIMS are extents joined by 'x',
 * each a fixed value N, a range MIN..MAX (optimum MAX) or MIN..OPT..MAX: an optimization
 * profile (TensorRT's model; c8_model_set_input_profile), "x:1..8..64x3x48x192". The trtexec
 * spellings --minShapes / --optShapes / --maxShapes NAME:DIMS[,NAME:DIMS...] give the three
 * parts separately (fixed extents only; --optShapes defaults to --maxShapes), and --shapes is
 * --shape. */
typedef struct c8_cli_shape {
    char name[256]; /* "" when omitted */
    c8_shape shape; /* the fixed shape (the minimum when ranged) */
    c8_shape min, opt, max;
    bool ranged;    /* some extent is a range: a profile */
    unsigned parts; /* trtexec spellings: which of min (1), opt (2), max (4) were given */
} c8_cli_shape;
/* One --shape value; false with the reason in why (may be NULL) when it is not NAME:DIMS. */
bool c8_cli_parse_shape_why(const char *s, c8_cli_shape *out, char *why, size_t why_len);
/* The same for fixed shapes only (no ranges; e.g. dataset --target). */
bool c8_cli_parse_shape(const char *s, c8_cli_shape *out);

/* getopt_long codes and option entries of the shape flags (0x1100..0x1103). */
enum { C8_SHOPT_SHAPE = 0x1100, C8_SHOPT_MIN, C8_SHOPT_OPT, C8_SHOPT_MAX };
/* clang-format off */
#define C8_CLI_SHAPE_OPTIONS                                                                       \
    {"shape", required_argument, NULL, C8_SHOPT_SHAPE},                                            \
    {"shapes", required_argument, NULL, C8_SHOPT_SHAPE},                                           \
    {"minShapes", required_argument, NULL, C8_SHOPT_MIN},                                          \
    {"optShapes", required_argument, NULL, C8_SHOPT_OPT},                                          \
    {"maxShapes", required_argument, NULL, C8_SHOPT_MAX},
/* clang-format on */
#define C8_CLI_MAX_SHAPES 16
/* The shape flags of a command: consumes `opt` when it is one of them (true), adding arg to
 * shapes / *n; *rc is then 0, or the usage exit code after the message naming the flag and the
 * problem was printed ("calib8 build: bad --shape 'x:4..2': extent 0: 4..2 needs
 * MIN <= OPT <= MAX"). */
bool c8_cli_shape_option(const char *cmd, int opt, const char *arg, c8_cli_shape *shapes, int *n,
                         int *rc);

/* True if isatty(stderr) and not quiet: for progress bars. */
bool c8_cli_stderr_is_tty(void);

/* ---- interruption and memory limits (docs/reliability.md) ---- */
#include <signal.h>

/* Installs a SIGINT handler that only sets a flag, and makes that flag calib8's interrupt flag
 * (c8_set_interrupt_flag, engine.h): runs stop between layers, the library's loops (calibrate,
 * eval, compare, the fallback search) between batches, writing nothing; commands check
 * c8_interrupt_pending before they write. SA_RESETHAND: a second Ctrl-C finds the default
 * action again and kills the process at once. */
void c8_cli_catch_sigint(void);

/* The flag every command that runs a model takes. */
#define C8_CLI_MAX_MEMORY_HELP                                                                     \
    "  --max-memory SIZE       refuse inputs whose engine and loader memory would exceed\n"        \
    "                          SIZE (8G, 512M, 1.5GiB; 0 or none: no limit; default: the\n"        \
    "                          machine's available memory, MemAvailable)\n"
#define C8_CLI_THREADS_HELP                                                                        \
    "  --threads N             CPU threads (default: all cores, or OMP_NUM_THREADS); results\n"    \
    "                          do not depend on N (docs/cli.md, \"Threads\")\n"
/* Parses --threads: an integer 1..4096. */
bool c8_cli_parse_threads(const char *s, int *out);
/* Parses --max-memory: a size (c8_size_parse syntax), or "none" / "0" for no limit (*out = 0). */
bool c8_cli_parse_max_memory(const char *s, uint64_t *out);
/* --max-memory's default: MemAvailable from /proc/meminfo (0, no limit, if unreadable). */
uint64_t c8_cli_default_max_memory(void);
/* Checks the loader's memory against max_memory (0: no limit) and returns what is left for the
 * engine's context (0 when no limit): C8_ERR_LIMIT "batches of 256 x 3x224x224 images need
 * 1.2 GiB (prefetch 3), the memory limit (--max-memory) is 1.0 GiB" otherwise. */
c8_status c8_cli_budget_loader(uint64_t max_memory, int64_t batch, int prefetch, int64_t c,
                               int64_t h, int64_t w, uint64_t *context_limit, c8_error *err);

/* The engine reports the context's limit, which is --max-memory minus the loader's share
 * (c8_cli_budget_loader): a C8_ERR_LIMIT message saying "the memory limit (--max-memory) is
 * 302.6 MiB" for --max-memory 1G is rewritten to say what is left for the engine and why. */
void c8_cli_explain_memory_limit(c8_error *err, uint64_t max_memory, int64_t batch, int prefetch,
                                 int64_t c, int64_t h, int64_t w);

/* ---- model helpers shared by subcommands ---- */
#include "calib8/calib.h"
#include "calib8/engine.h"

/* --calib FILE and --allow-cache-mismatch of the commands that build engines. */
typedef struct c8_cli_calib {
    const char *path; /* --calib, or NULL */
    bool allow_mismatch;
    c8_calib_cache *cache;  /* owned; NULL until loaded */
    c8_scale_source scales; /* over cache */
    char *preprocessing;    /* owned: the line its sidecar records, or NULL */
    char *sidecar;          /* owned: "<path>.json", naming where preprocessing comes from */
} c8_cli_calib;
/* Reads and checks path against m (c8_calib_cache_load_for_model; warnings to log) and points
 * bo->scales at it, and bo->preprocessing at the preprocessing its sidecar records (the plan
 * keeps it; a command with preprocessing flags may replace it); nothing when path is NULL. */
c8_status c8_cli_calib_load(c8_cli_calib *c, const c8_model *m, c8_build_options *bo, FILE *log,
                            c8_error *err);
void c8_cli_calib_free(c8_cli_calib *c);

/* Pins each --shape on the model: a fixed shape with c8_model_set_input_shape, a range with
 * c8_model_set_input_profile; trtexec parts without both --minShapes and --maxShapes are an
 * error (C8_ERR_USAGE) naming the input. */
c8_status c8_cli_apply_shapes(c8_model *m, const c8_cli_shape *shapes, int n, c8_error *err);
/* The model's single image input: its name and (C, H, W), after --shape; an extent with a
 * profile range is taken at the profile's optimum. Errors when the model has several inputs, a
 * non-4-D input, or leaves C/H/W dynamic without a profile ("give --shape"). */
c8_status c8_cli_image_input(const c8_model *m, const char **name, int64_t *c, int64_t *h,
                             int64_t *w, c8_error *err);
/* The same for a built engine (plans carry their input shapes). */
c8_status c8_cli_engine_image_input(const c8_engine *e, const char *what, const char **name,
                                    int64_t *c, int64_t *h, int64_t *w, c8_error *err);
/* --batch against the batch extent of the single input (model m, or engine e when m is NULL;
 * `what` names it): a fixed batch must equal `batch` and divide `images` (no partial last
 * batch), a profile's range must hold `batch` and the last batch (images % batch). Refused
 * before any work, C8_ERR_USAGE naming both ("--batch 16 is outside the profile's batch
 * range 1..8 of input 'x'"). Without --batch (batch_given false) a fixed batch replaces
 * *batch first, so a model pinned to batch 1 reads its data one image at a time. */
c8_status c8_cli_check_batch(const c8_model *m, const c8_engine *e, const char *what,
                             int64_t *batch, bool batch_given, int64_t images, c8_error *err);
/* "fp32", "fp16", "int8", "fp16,int8" (INT8 with FP16 fallback) -> precision and fallback. */
bool c8_cli_parse_precision(const char *s, c8_precision *p, c8_precision *fallback);
/* A file-safe version of a tensor name ([A-Za-z0-9._-] kept, others '_'), malloc'd. */
char *c8_cli_safe_name(const char *name);
#endif
