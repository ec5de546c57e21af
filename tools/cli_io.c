/* Inputs and outputs of a command, checked before any work; see cli_io.h. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "tools/cli_io.h"

#include "calib8/util.h"
#include "tools/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void c8_cli_io_init(c8_cli_io *io, const char *cmd) {
    memset(io, 0, sizeof *io);
    io->cmd = cmd;
}

void c8_cli_io_free(c8_cli_io *io) {
    for (int i = 0; i < io->n; i++) free(io->e[i].path);
    io->n = 0;
}

static void add(c8_cli_io *io, c8_cli_io_kind kind, const char *opt, const char *suffix,
                const char *path, const char *tail) {
    if (!path) return;
    if (io->n == C8_CLI_IO_MAX) {
        io->overflow = true;
        return;
    }
    size_t n = strlen(path) + (tail ? strlen(tail) + 1 : 0) + 1;
    char *p = malloc(n);
    if (!p) {
        io->overflow = true;
        return;
    }
    if (tail)
        snprintf(p, n, "%s/%s", path, tail);
    else
        snprintf(p, n, "%s", path);
    io->e[io->n].kind = kind;
    snprintf(io->e[io->n].opt, sizeof io->e[io->n].opt, "%s%s", opt, suffix);
    io->e[io->n].path = p;
    io->n++;
}

void c8_cli_io_in(c8_cli_io *io, const char *opt, const char *path) {
    add(io, C8_IO_IN, opt, "", path, NULL);
}

static char *sidecar_path(const char *cache) {
    size_t n = strlen(cache) + 6;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s.json", cache);
    return p;
}

void c8_cli_io_in_sidecar(c8_cli_io *io, const char *opt, const char *cache_path) {
    if (!cache_path) return;
    char *p = sidecar_path(cache_path);
    if (!p) {
        io->overflow = true;
        return;
    }
    struct stat st;
    if (stat(p, &st) == 0) add(io, C8_IO_IN, opt, "'s sidecar", p, NULL);
    free(p);
}

void c8_cli_io_out(c8_cli_io *io, const char *opt, const char *path) {
    add(io, C8_IO_OUT, opt, "", path, NULL);
}

void c8_cli_io_out_sidecar(c8_cli_io *io, const char *opt, const char *cache_path) {
    if (!cache_path) return;
    char *p = sidecar_path(cache_path);
    if (!p) {
        io->overflow = true;
        return;
    }
    add(io, C8_IO_OUT, opt, "'s sidecar", p, NULL);
    free(p);
}

void c8_cli_io_out_dir(c8_cli_io *io, const char *opt, const char *path) {
    add(io, C8_IO_OUT_DIR, opt, "", path, NULL);
}

void c8_cli_io_out_in_dir(c8_cli_io *io, const char *opt, const char *dir, const char *name) {
    if (dir) add(io, C8_IO_OUT_IN_DIR, opt, "", dir, name);
}

/* The absolute, symlink-free form of path; for a path that does not exist (yet), its
 * folder's resolved form joined with its last component. malloc'd; NULL when the folder does
 * not resolve either. */
static char *resolve(const char *path) {
    char *r = realpath(path, NULL);
    if (r) return r;
    char *dir = c8_path_folder(path);
    if (!dir) return NULL;
    char *rd = realpath(dir, NULL);
    free(dir);
    if (!rd) return NULL;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char *out = c8_path_in_folder(rd, base);
    free(rd);
    return out;
}

bool c8_cli_same_file(const char *a, const char *b) {
    struct stat sa, sb;
    bool ea = stat(a, &sa) == 0, eb = stat(b, &sb) == 0;
    if (ea && eb) return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    if (ea != eb && (ea ? lstat(b, &sb) : lstat(a, &sa)) == 0)
        return false; /* a dangling symlink: it is replaced, not followed, by a rename */
    char *ra = resolve(a), *rb = resolve(b);
    bool same = ra && rb && !strcmp(ra, rb);
    free(ra);
    free(rb);
    return same;
}

/* Can a file be created in the folder dir? Creates and removes a probe file; errno on
 * failure. */
static int probe_dir(const char *dir) {
    char name[64];
    snprintf(name, sizeof name, ".calib8-probe.%ld", (long)getpid());
    char *p = c8_path_in_folder(dir, name);
    if (!p) return ENOMEM;
    int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
    int e = fd < 0 ? errno : 0;
    if (fd >= 0) {
        close(fd);
        unlink(p);
    }
    free(p);
    return e;
}

static c8_status check_out_file(const char *opt, const char *path, c8_error *err) {
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return c8_err(err, C8_ERR_USAGE, "%s %s is a directory; a file is expected", opt, path);
        if (!S_ISREG(st.st_mode)) return C8_OK; /* a device, FIFO or socket: written in place */
    }
    char *dir = c8_path_folder(path);
    if (!dir) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    c8_status s = C8_OK;
    if (stat(dir, &st) != 0)
        s = c8_err(err, C8_ERR_USAGE, "%s %s: the folder %s does not exist", opt, path, dir);
    else if (!S_ISDIR(st.st_mode))
        s = c8_err(err, C8_ERR_USAGE, "%s %s: %s is not a folder", opt, path, dir);
    else {
        int e = probe_dir(dir);
        if (e)
            s = c8_err(err, C8_ERR_USAGE, "%s %s: cannot create a file in %s: %s", opt, path, dir,
                       strerror(e));
    }
    free(dir);
    return s;
}

static c8_status check_out_dir(const char *opt, const char *path, c8_error *err) {
    struct stat st;
    if (stat(path, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return c8_err(err, C8_ERR_USAGE, "%s %s is a file; a folder is expected", opt, path);
        int e = probe_dir(path);
        if (e)
            return c8_err(err, C8_ERR_USAGE, "%s %s: cannot create a file in it: %s", opt, path,
                          strerror(e));
        return C8_OK;
    }
    /* created with its parents: the nearest existing ancestor must be a writable folder */
    char *dir = strdup(path);
    if (!dir) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    c8_status s = C8_OK;
    for (;;) {
        char *up = c8_path_folder(dir);
        if (!up) {
            s = c8_err(err, C8_ERR_NOMEM, "out of memory");
            break;
        }
        bool top = !strcmp(up, dir);
        free(dir);
        dir = up;
        if (stat(dir, &st) == 0) {
            if (!S_ISDIR(st.st_mode)) {
                s = c8_err(err, C8_ERR_USAGE, "%s %s: %s is a file, not a folder", opt, path, dir);
            } else {
                int e = probe_dir(dir);
                if (e)
                    s = c8_err(err, C8_ERR_USAGE, "%s %s: cannot create a folder in %s: %s", opt,
                               path, dir, strerror(e));
            }
            break;
        }
        if (top) break;
    }
    free(dir);
    return s;
}

static c8_status check_all(const c8_cli_io *io, c8_error *err) {
    if (io->overflow) return c8_err(err, C8_ERR_NOMEM, "too many files to check (or no memory)");
    for (int i = 0; i < io->n; i++) { /* a missing input is found now, not after the run */
        struct stat st;
        if (io->e[i].kind == C8_IO_IN && stat(io->e[i].path, &st) != 0)
            return c8_err(err, C8_ERR_IO, "%s: cannot open: %s (%s)", io->e[i].path,
                          strerror(errno), io->e[i].opt);
    }
    for (int i = 0; i < io->n; i++) {
        if (io->e[i].kind == C8_IO_IN) continue;
        const char *opt = io->e[i].opt, *path = io->e[i].path;
        for (int j = 0; j < io->n; j++) {
            if (j == i || (io->e[j].kind != C8_IO_IN && j > i)) continue;
            if (!c8_cli_same_file(path, io->e[j].path)) continue;
            if (io->e[j].kind == C8_IO_IN)
                return c8_err(err, C8_ERR_USAGE,
                              "%s %s is the same file as %s %s: calib8 never writes over its "
                              "inputs",
                              opt, path, io->e[j].opt, io->e[j].path);
            return c8_err(err, C8_ERR_USAGE, "%s %s and %s %s are the same file", io->e[j].opt,
                          io->e[j].path, opt, path);
        }
        struct stat st;
        if (io->e[i].kind == C8_IO_OUT)
            C8_TRY(check_out_file(opt, path, err));
        else if (io->e[i].kind == C8_IO_OUT_DIR)
            C8_TRY(check_out_dir(opt, path, err));
        else if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            return c8_err(err, C8_ERR_USAGE, "%s: %s is a directory; calib8 writes a file there",
                          opt, path);
    }
    return C8_OK;
}

int c8_cli_io_check(const c8_cli_io *io) {
    c8_error err = {0};
    c8_status s = check_all(io, &err);
    if (s == C8_OK) return 0;
    return s == C8_ERR_USAGE ? c8_cli_usage(io->cmd, "%s", err.msg) : c8_cli_fail(&err);
}

c8_status c8_cli_io_check_late(const c8_cli_io *io, const char *opt, const char *path,
                               c8_error *err) {
    for (int j = 0; j < io->n; j++)
        if (io->e[j].kind == C8_IO_IN && c8_cli_same_file(path, io->e[j].path))
            return c8_err(err, C8_ERR_USAGE,
                          "%s %s is the same file as %s %s: calib8 never writes over its inputs",
                          opt, path, io->e[j].opt, io->e[j].path);
    return C8_OK;
}
