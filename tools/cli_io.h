/* The files a command reads and writes, checked before it does any work (issue 15,
 * docs/cli.md "Outputs and inputs"):
 *   - no output is one of the command's inputs (same st_dev and st_ino, or, for an output that
 *     does not exist yet, the same resolved path), nor another of its outputs;
 *   - an output file's folder exists and calib8 can create a file in it (a probe file is made
 *     and removed: this is what refuses /proc, a read-only folder, a missing folder);
 *   - an output file is not an existing directory, an output folder not an existing file.
 * A command collects its paths with the add functions, then calls c8_cli_io_check once, after
 * parsing its options and before it opens anything big:
 *
 *     c8_cli_io io;
 *     c8_cli_io_init(&io, "calibrate");
 *     c8_cli_io_in(&io, "--model", model_path);
 *     c8_cli_io_out(&io, "--cache", cache);
 *     c8_cli_io_out_sidecar(&io, "--cache", cache); // CACHE.json
 *     int rc = c8_cli_io_check(&io);
 *     if (rc) return rc;   // message printed, C8_EXIT_USAGE
 *
 * NULL paths are ignored, so optional options need no test at the call site. */
#ifndef C8_TOOLS_CLI_IO_H
#define C8_TOOLS_CLI_IO_H

#include "calib8/status.h"

#include <stdbool.h>

#define C8_CLI_IO_MAX 48

typedef enum c8_cli_io_kind {
    C8_IO_IN = 0,         /* a file or folder the command reads */
    C8_IO_OUT = 1,        /* a file the command writes */
    C8_IO_OUT_DIR = 2,    /* a folder the command writes into (created if missing) */
    C8_IO_OUT_IN_DIR = 3, /* a file inside such a folder (whose folder may not exist yet) */
} c8_cli_io_kind;

typedef struct c8_cli_io {
    const char *cmd;
    int n;
    bool overflow;
    struct {
        c8_cli_io_kind kind;
        char opt[64]; /* "--cache", "--cache (sidecar)" */
        char *path;   /* owned copy */
    } e[C8_CLI_IO_MAX];
} c8_cli_io;

void c8_cli_io_init(c8_cli_io *io, const char *cmd);
/* Frees the copied paths (c8_cli_io_check does not). */
void c8_cli_io_free(c8_cli_io *io);
void c8_cli_io_in(c8_cli_io *io, const char *opt, const char *path);
/* An input cache's sidecar, PATH.json, when it exists. */
void c8_cli_io_in_sidecar(c8_cli_io *io, const char *opt, const char *cache_path);
void c8_cli_io_out(c8_cli_io *io, const char *opt, const char *path);
/* The sidecar written beside an output cache: PATH.json. */
void c8_cli_io_out_sidecar(c8_cli_io *io, const char *opt, const char *cache_path);
void c8_cli_io_out_dir(c8_cli_io *io, const char *opt, const char *path);
/* A file inside an output folder: dir/name, checked as an output file named by opt. */
void c8_cli_io_out_in_dir(c8_cli_io *io, const char *opt, const char *dir, const char *name);

/* Checks everything above and that every input exists; on the first problem prints it and
 * returns the exit code: C8_EXIT_FAIL for a missing input ("m.onnx: cannot open: No such file
 * or directory (--model)"), C8_EXIT_USAGE (c8_cli_usage) for an output problem; 0 when all is
 * well. */
int c8_cli_io_check(const c8_cli_io *io);
/* The same check for one output path found later (a file a run names after loading the
 * model): C8_ERR_USAGE naming both paths when it is one of io's inputs. */
c8_status c8_cli_io_check_late(const c8_cli_io *io, const char *opt, const char *path,
                               c8_error *err);

/* True when a and b name the same existing file (st_dev, st_ino), or, when a does not exist,
 * when a resolves to the same path as b. */
bool c8_cli_same_file(const char *a, const char *b);

#endif
