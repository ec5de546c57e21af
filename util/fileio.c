/* File helpers; see fileio.h. */
#define _POSIX_C_SOURCE 200809L
#define _XOPEN_SOURCE 700 /* realpath */
#include "util/fileio.h"

#include "util/err.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

c8_status c8_read_file(const char *path, size_t max_bytes, unsigned char **data, size_t *len,
                       c8_error *err) {
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return c8_err(err, C8_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap + 1);
    if (!buf) {
        fclose(f);
        return c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
    }
    for (;;) {
        if (n == cap) {
            if (cap > SIZE_MAX / 2 - 1) break;
            size_t ncap = cap * 2;
            unsigned char *nb = realloc(buf, ncap + 1);
            if (!nb) {
                free(buf);
                fclose(f);
                return c8_err(err, C8_ERR_NOMEM, "%s: out of memory reading file", path);
            }
            buf = nb;
            cap = ncap;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (max_bytes && n > max_bytes) {
            free(buf);
            fclose(f);
            return c8_err(err, C8_ERR_LIMIT, "%s: file is larger than the limit of %zu bytes", path,
                          max_bytes);
        }
        if (r == 0) break;
    }
    if (ferror(f)) {
        int e = errno;
        free(buf);
        fclose(f);
        return c8_err(err, C8_ERR_IO, "%s: read error: %s", path, strerror(e));
    }
    fclose(f);
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return C8_OK;
}

struct c8_atomic_file {
    FILE *fp;
    char *path;  /* the destination (a symlink's target: the link itself is kept) */
    char *tmp;   /* NULL in direct mode */
    bool synced; /* c8_atomic_sync succeeded: the data is on disk, only the rename is left */
};

static atomic_uint g_tmp_counter; /* only makes temp names unique between threads */

/* Direct mode: the destination is a device, FIFO or socket (/dev/null, /dev/stdout, a pipe):
 * renaming a temporary file over it would replace the device node (as root, /dev/null itself),
 * so such outputs are opened and written in place; there is no old content to protect. */
static c8_status open_direct(const char *path, c8_atomic_file **out, c8_error *err) {
    c8_atomic_file *f = calloc(1, sizeof *f);
    if (!f || !(f->path = strdup(path))) {
        free(f);
        return c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
    }
    f->fp = fopen(path, "wb");
    if (!f->fp) {
        int e = errno;
        free(f->path);
        free(f);
        return c8_err(err, C8_ERR_IO, "%s: cannot open output: %s", path, strerror(e));
    }
    *out = f;
    return C8_OK;
}

c8_status c8_atomic_open(const char *path, c8_atomic_file **out, c8_error *err) {
    *out = NULL;
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return c8_err(err, C8_ERR_IO, "%s: cannot write the output: it is a directory", path);
        if (!S_ISREG(st.st_mode)) return open_direct(path, out, err);
    }
    c8_atomic_file *f = calloc(1, sizeof *f);
    if (!f) return c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
    /* A symlink to a file: the file it points to is replaced and the link kept. Messages name
     * the path as the caller gave it. */
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) f->path = realpath(path, NULL);
    if (!f->path) f->path = strdup(path);
    size_t n = f->path ? strlen(f->path) + 64 : 1;
    f->tmp = malloc(n);
    if (!f->path || !f->tmp) {
        free(f->path);
        free(f->tmp);
        free(f);
        return c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
    }
    unsigned k = atomic_fetch_add(&g_tmp_counter, 1u);
    snprintf(f->tmp, n, "%s.tmp.%ld.%u", f->path, (long)getpid(), k);
    int fd = open(f->tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
    if (fd < 0) {
        int e = errno;
        c8_status s = c8_err(err, C8_ERR_IO, "%s: cannot create output: %s", path, strerror(e));
        free(f->path);
        free(f->tmp);
        free(f);
        return s;
    }
    f->fp = fdopen(fd, "wb");
    if (!f->fp) {
        int e = errno;
        close(fd);
        unlink(f->tmp);
        c8_status s = c8_err(err, C8_ERR_IO, "%s: cannot open output: %s", path, strerror(e));
        free(f->path);
        free(f->tmp);
        free(f);
        return s;
    }
    *out = f;
    return C8_OK;
}

FILE *c8_atomic_file_fp(c8_atomic_file *f) { return f->fp; }

/* fsync of the folder holding path, so the rename itself survives a crash (best effort: some
 * file systems refuse to sync a directory, and the data is already safe in the file). */
static void sync_dir(const char *path) {
    char *dir = c8_path_dirname(path);
    if (!dir) return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

static void atomic_free(c8_atomic_file *f) {
    free(f->path);
    free(f->tmp);
    free(f);
}

/* flush + error check + fsync; returns 0 or the errno (-1 for a stream error) */
static int flush_sync(c8_atomic_file *f) {
    if (f->synced) return 0;
    if (ferror(f->fp)) return -1;
    if (fflush(f->fp) != 0) return errno ? errno : -1;
    /* a device or pipe (direct mode) cannot be fsynced; nothing to rename either */
    if (f->tmp && fsync(fileno(f->fp)) != 0) return errno ? errno : -1;
    f->synced = true;
    return 0;
}

c8_status c8_atomic_sync(c8_atomic_file *f, c8_error *err) {
    int e = flush_sync(f);
    if (e == 0) return C8_OK;
    return c8_err(err, C8_ERR_IO, "%s: write failed: %s%s", f->path,
                  e > 0 ? strerror(e) : "stream error",
                  f->tmp ? " (existing file left untouched)" : "");
}

c8_status c8_atomic_commit(c8_atomic_file *f, c8_error *err) {
    c8_status s = C8_OK;
    int e = flush_sync(f);
    int bad = e != 0;
    if (e < 0) e = 0;
    if (fclose(f->fp) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    f->fp = NULL;
    if (bad) {
        s = c8_err(err, C8_ERR_IO, "%s: write failed: %s%s", f->path,
                   e ? strerror(e) : "stream error",
                   f->tmp ? " (existing file left untouched)" : "");
        if (f->tmp) unlink(f->tmp);
        atomic_free(f);
        return s;
    }
    if (f->tmp && rename(f->tmp, f->path) != 0) {
        e = errno;
        s = c8_err(err, C8_ERR_IO,
                   "%s: cannot rename the temporary file into place: %s (existing file left "
                   "untouched)",
                   f->path, strerror(e));
        unlink(f->tmp);
    } else if (f->tmp) {
        sync_dir(f->path);
    }
    atomic_free(f);
    return s;
}

void c8_atomic_abort(c8_atomic_file *f) {
    if (!f) return;
    if (f->fp) fclose(f->fp);
    if (f->tmp) unlink(f->tmp);
    atomic_free(f);
}

c8_status c8_write_file_atomic(const char *path, const void *data, size_t len, c8_error *err) {
    c8_atomic_file *f;
    C8_TRY(c8_atomic_open(path, &f, err));
    if (len && fwrite(data, 1, len, f->fp) != len) {
        int e = errno;
        bool direct = f->tmp == NULL;
        c8_atomic_abort(f);
        return c8_err(err, C8_ERR_IO, "%s: write failed: %s%s", path, strerror(e),
                      direct ? "" : " (existing file left untouched)");
    }
    return c8_atomic_commit(f, err);
}

char *c8_path_dirname(const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    if (slash == path) return strdup("/");
    size_t n = (size_t)(slash - path);
    char *d = malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, path, n);
    d[n] = '\0';
    return d;
}

char *c8_path_join(const char *dir, const char *name) {
    size_t a = strlen(dir), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (!p) return NULL;
    memcpy(p, dir, a);
    size_t k = a;
    if (a && dir[a - 1] != '/') p[k++] = '/';
    memcpy(p + k, name, b + 1);
    return p;
}

c8_status c8_mkdirs(const char *path, c8_error *err) {
    char *p = strdup(path);
    if (!p) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    for (char *q = p + 1; *q; q++) {
        if (*q != '/') continue;
        *q = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            int e = errno;
            c8_status s = c8_err(err, C8_ERR_IO, "%s: cannot create directory: %s", p, strerror(e));
            free(p);
            return s;
        }
        *q = '/';
    }
    if (mkdir(p, 0777) != 0 && errno != EEXIST) {
        int e = errno;
        c8_status s = c8_err(err, C8_ERR_IO, "%s: cannot create directory: %s", p, strerror(e));
        free(p);
        return s;
    }
    struct stat st;
    if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
        c8_status s = c8_err(err, C8_ERR_IO, "%s: exists and is not a directory", p);
        free(p);
        return s;
    }
    free(p);
    return C8_OK;
}
