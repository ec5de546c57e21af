/* Dataset sources (image folder, flat folder, list file, HDF5), selection and manifest.
 * Contract: include/calib8/dataset.h; algorithms written out: datasets/README.md; tests:
 * tests/datasets/test_sources.c. */
#include "datasets/source.h"

#include "datasets/h5.h"
#include "util/arith.h"
#include "util/err.h"
#include "util/fileio.h"
#include "util/sha256.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* Labels (and so class counts) above this are refused: class names are kept in memory. */
#define C8_MAX_CLASSES ((int64_t)1 << 20)
/* Class folders are searched at most this deep (a guard against symlink loops). */
#define C8_MAX_DEPTH 32

typedef struct ds_item {
    char *name;    /* path relative to the root (file sources); NULL for HDF5 rows */
    int64_t label; /* -1 when unlabeled */
    int64_t line;  /* line in the list file (list sources), else 0 */
} ds_item;

struct c8_dataset {
    c8_dataset_kind kind;
    char *root;      /* the folder images are relative to, or the HDF5 file */
    char *list_path; /* the list file (messages) */
    char *h5_images; /* the HDF5 image dataset's name */
    char *h5_labels; /* the HDF5 label dataset's name */
    c8_h5src *h5;
    int64_t total;
    ds_item *items; /* (total) in source order */
    size_t items_cap;
    int64_t n;
    int64_t *sel;     /* (n) source index of each selected image, in load order */
    char **sel_names; /* (n) HDF5 only: "/images[42]" */
    bool labeled;
    int64_t nclasses;
    char **classes; /* (nclasses) */
    int64_t ignored;
    char *manifest;
    char sha[65];
};

/* ---------------------------------------------------------------------------------------- */
/* Small helpers                                                                            */
/* ---------------------------------------------------------------------------------------- */

void c8_dataset_spec_init(c8_dataset_spec *s) {
    memset(s, 0, sizeof *s);
    s->kind = C8_DATASET_AUTO;
    s->images = -1;
    s->seed = 0;
    s->shuffle = true;
    s->stratified = false;
}

const char *c8_dataset_kind_name(c8_dataset_kind k) {
    switch (k) {
    case C8_DATASET_AUTO: return "auto";
    case C8_DATASET_IMAGEFOLDER: return "imagefolder";
    case C8_DATASET_FOLDER: return "folder";
    case C8_DATASET_LIST: return "list";
    case C8_DATASET_HDF5: return "hdf5";
    }
    return "unknown";
}

static int is_image_name(const char *name) {
    const char *dot = strrchr(name, '.');
    if (!dot || dot == name) return 0;
    return !strcasecmp(dot, ".png") || !strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg");
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_item_name(const void *a, const void *b) {
    return strcmp(((const ds_item *)a)->name, ((const ds_item *)b)->name);
}

static char *join_rel(const char *prefix, const char *name) {
    if (!prefix || !*prefix) return strdup(name);
    return c8_path_join(prefix, name);
}

static c8_status add_item(c8_dataset *ds, char *name, int64_t label, int64_t line, c8_error *err) {
    if (!name) return c8_err(err, C8_ERR_NOMEM, "out of memory listing images");
    if ((size_t)ds->total == ds->items_cap) {
        size_t cap = ds->items_cap ? ds->items_cap * 2 : 256;
        ds_item *ni = realloc(ds->items, cap * sizeof *ni);
        if (!ni) {
            free(name);
            return c8_err(err, C8_ERR_NOMEM, "out of memory listing images");
        }
        ds->items = ni;
        ds->items_cap = cap;
    }
    ds->items[ds->total].name = name;
    ds->items[ds->total].label = label;
    ds->items[ds->total].line = line;
    ds->total++;
    return C8_OK;
}

/* One folder's entries, names sorted bytewise; dot-names are left out. */
typedef struct dir_list {
    char **names;
    unsigned char *is_dir; /* parallel to names: 1 dir, 0 regular file, 2 other */
    size_t n;
} dir_list;

static void dir_list_free(dir_list *d) {
    for (size_t i = 0; i < d->n; i++) free(d->names[i]);
    free(d->names);
    free(d->is_dir);
    memset(d, 0, sizeof *d);
}

static c8_status read_dir(const char *path, dir_list *out, c8_error *err) {
    memset(out, 0, sizeof *out);
    DIR *dir = opendir(path);
    if (!dir) return c8_err(err, C8_ERR_IO, "%s: cannot open folder: %s", path, strerror(errno));
    size_t cap = 0;
    c8_status s = C8_OK;
    struct dirent *e;
    errno = 0;
    while ((e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.') continue; /* ".", "..", and hidden files and folders */
        if (out->n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(out->names, cap * sizeof *nn);
            if (!nn) {
                s = c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
                break;
            }
            out->names = nn;
        }
        out->names[out->n] = strdup(e->d_name);
        if (!out->names[out->n]) {
            s = c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
            break;
        }
        out->n++;
    }
    if (s == C8_OK && errno != 0)
        s = c8_err(err, C8_ERR_IO, "%s: cannot read folder: %s", path, strerror(errno));
    closedir(dir);
    if (s == C8_OK && out->n) {
        qsort(out->names, out->n, sizeof *out->names, cmp_str);
        out->is_dir = malloc(out->n);
        if (!out->is_dir) s = c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
        for (size_t i = 0; s == C8_OK && i < out->n; i++) {
            char *full = c8_path_join(path, out->names[i]);
            struct stat st;
            if (!full) {
                s = c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
                break;
            }
            /* stat follows links; a dangling link counts as "other" and is ignored */
            if (stat(full, &st) != 0)
                out->is_dir[i] = 2;
            else
                out->is_dir[i] = S_ISDIR(st.st_mode) ? 1 : S_ISREG(st.st_mode) ? 0 : 2;
            free(full);
        }
    }
    if (s != C8_OK) dir_list_free(out);
    return s;
}

/* Adds every image below dir (relative name prefix `rel`) with `label`. */
static c8_status walk_class(c8_dataset *ds, const char *dir, const char *rel, int64_t label,
                            int depth, c8_error *err) {
    if (depth > C8_MAX_DEPTH)
        return c8_err(err, C8_ERR_LIMIT, "%s: folders nested more than %d deep (a symlink loop?)",
                      dir, C8_MAX_DEPTH);
    dir_list d;
    C8_TRY(read_dir(dir, &d, err));
    c8_status s = C8_OK;
    for (size_t i = 0; i < d.n && s == C8_OK; i++) {
        if (d.is_dir[i] == 1) {
            char *sub = c8_path_join(dir, d.names[i]), *subrel = join_rel(rel, d.names[i]);
            if (!sub || !subrel)
                s = c8_err(err, C8_ERR_NOMEM, "out of memory");
            else
                s = walk_class(ds, sub, subrel, label, depth + 1, err);
            free(sub);
            free(subrel);
        } else if (d.is_dir[i] == 0 && is_image_name(d.names[i])) {
            s = add_item(ds, join_rel(rel, d.names[i]), label, 0, err);
        } else {
            ds->ignored++;
        }
    }
    dir_list_free(&d);
    return s;
}

/* Splits text into lines in place (LF or CRLF); returns a malloc'd array of pointers. */
static char **split_lines(char *text, size_t len, size_t *n) {
    size_t cap = 16, k = 0;
    char **v = malloc(cap * sizeof *v);
    if (!v) return NULL;
    char *p = text, *end = text + len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *e = nl ? nl : end;
        if (e > p && e[-1] == '\r') e[-1] = '\0';
        *e = '\0';
        if (k == cap) {
            cap *= 2;
            char **nv = realloc(v, cap * sizeof *nv);
            if (!nv) {
                free(v);
                return NULL;
            }
            v = nv;
        }
        v[k++] = p;
        p = e + 1;
    }
    *n = k;
    return v;
}

static c8_status read_text(const char *path, const char *what, char **text, size_t *len,
                           c8_error *err) {
    unsigned char *t;
    C8_TRY(c8_read_file(path, (size_t)1 << 30, &t, len, err));
    if (memchr(t, '\0', *len)) {
        free(t);
        return c8_err(err, C8_ERR_PARSE, "%s: not a text file (%s)", path, what);
    }
    *text = (char *)t;
    return C8_OK;
}

/* Class names: one per line; trailing empty lines ignored; other empty lines are errors. */
static c8_status read_classes(c8_dataset *ds, const char *path, c8_error *err) {
    char *text = NULL;
    size_t len, n;
    C8_TRY(read_text(path, "class names", &text, &len, err));
    char **lines = split_lines(text, len, &n);
    c8_status s = C8_OK;
    if (!lines) {
        free(text);
        return c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
    }
    while (n > 0 && lines[n - 1][0] == '\0') n--;
    if (n == 0) s = c8_err(err, C8_ERR_PARSE, "%s: no class names", path);
    if (s == C8_OK && (int64_t)n > C8_MAX_CLASSES)
        s = c8_err(err, C8_ERR_LIMIT, "%s: more than %lld class names", path,
                   (long long)C8_MAX_CLASSES);
    if (s == C8_OK) {
        ds->classes = calloc(n, sizeof *ds->classes);
        if (!ds->classes) s = c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
    }
    for (size_t i = 0; s == C8_OK && i < n; i++) {
        if (lines[i][0] == '\0') {
            s = c8_err(err, C8_ERR_PARSE, "%s:%zu: empty class name", path, i + 1);
            break;
        }
        ds->classes[i] = strdup(lines[i]);
        ds->nclasses = (int64_t)i + 1;
        if (!ds->classes[i]) s = c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
    }
    if (s == C8_OK) ds->nclasses = (int64_t)n;
    free(lines);
    free(text);
    return s;
}

/* Default class names "0".."k-1" (list and HDF5 sources without a names file). */
static c8_status numbered_classes(c8_dataset *ds, int64_t k, c8_error *err) {
    ds->classes = calloc((size_t)(k ? k : 1), sizeof *ds->classes);
    if (!ds->classes) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; i < k; i++) {
        char b[32];
        snprintf(b, sizeof b, "%lld", (long long)i);
        ds->classes[i] = strdup(b);
        ds->nclasses = i + 1;
        if (!ds->classes[i]) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    }
    ds->nclasses = k;
    return C8_OK;
}

/* ---------------------------------------------------------------------------------------- */
/* Sources                                                                                  */
/* ---------------------------------------------------------------------------------------- */

static c8_status open_imagefolder(c8_dataset *ds, const dir_list *top, int strict,
                                  const char *classes_path, c8_error *err) {
    int64_t nfold = 0;
    for (size_t i = 0; i < top->n; i++) {
        if (top->is_dir[i] == 1) {
            nfold++;
        } else if (top->is_dir[i] == 0 && is_image_name(top->names[i])) {
            if (strict)
                return c8_err(err, C8_ERR_INVALID,
                              "%s: has both class folders and loose images "
                              "('%s'); an image folder keeps images in root/<class>/ (pass a "
                              "list file with --labels to use other layouts)",
                              ds->root, top->names[i]);
            ds->ignored++;
        } else {
            ds->ignored++;
        }
    }
    if (nfold == 0) return c8_err(err, C8_ERR_NOT_FOUND, "%s: no class folders", ds->root);
    if (classes_path) {
        C8_TRY(read_classes(ds, classes_path, err));
        if (ds->nclasses != nfold)
            return c8_err(err, C8_ERR_MISMATCH,
                          "%s: %lld class names but %s has %lld class "
                          "folders",
                          classes_path, (long long)ds->nclasses, ds->root, (long long)nfold);
    } else {
        ds->classes = calloc((size_t)nfold, sizeof *ds->classes);
        if (!ds->classes) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    }
    int64_t label = 0;
    for (size_t i = 0; i < top->n; i++) {
        if (top->is_dir[i] != 1) continue;
        if (!classes_path) {
            ds->classes[label] = strdup(top->names[i]);
            ds->nclasses = label + 1;
            if (!ds->classes[label]) return c8_err(err, C8_ERR_NOMEM, "out of memory");
        }
        char *dir = c8_path_join(ds->root, top->names[i]);
        if (!dir) return c8_err(err, C8_ERR_NOMEM, "out of memory");
        int64_t first = ds->total;
        c8_status s = walk_class(ds, dir, top->names[i], label, 1, err);
        free(dir);
        if (s != C8_OK) return s;
        /* within a class, order by the relative path (bytewise) */
        if (ds->total - first > 1)
            qsort(ds->items + first, (size_t)(ds->total - first), sizeof *ds->items, cmp_item_name);
        label++;
    }
    if (ds->total == 0)
        return c8_err(err, C8_ERR_NOT_FOUND,
                      "%s: no .png/.jpg/.jpeg images in its %lld class "
                      "folders",
                      ds->root, (long long)nfold);
    ds->labeled = true;
    return C8_OK;
}

static c8_status open_folder(c8_dataset *ds, const dir_list *top, const char *classes_path,
                             c8_error *err) {
    for (size_t i = 0; i < top->n; i++) {
        if (top->is_dir[i] == 0 && is_image_name(top->names[i]))
            C8_TRY(add_item(ds, strdup(top->names[i]), -1, 0, err));
        else
            ds->ignored++;
    }
    if (ds->total == 0)
        return c8_err(err, C8_ERR_NOT_FOUND, "%s: no .png/.jpg/.jpeg images", ds->root);
    if (classes_path) C8_TRY(read_classes(ds, classes_path, err));
    return C8_OK;
}

/* Checks labels against the class names (if any) or derives the class count. */
static c8_status check_labels(c8_dataset *ds, const char *classes_path, c8_error *err) {
    int64_t maxl = -1;
    for (int64_t i = 0; i < ds->total; i++) {
        int64_t l = ds->items[i].label;
        char where[1100];
        if (ds->kind == C8_DATASET_LIST)
            snprintf(where, sizeof where, "%s:%lld", ds->list_path, (long long)ds->items[i].line);
        else
            snprintf(where, sizeof where, "%s: %s[%lld]", ds->root, ds->h5_labels, (long long)i);
        if (l < 0)
            return c8_err(err, C8_ERR_INVALID, "%s: negative label %lld", where, (long long)l);
        if (classes_path && l >= ds->nclasses)
            return c8_err(err, C8_ERR_INVALID,
                          "%s: label %lld is out of range for the %lld "
                          "classes named in %s",
                          where, (long long)l, (long long)ds->nclasses, classes_path);
        if (l >= C8_MAX_CLASSES)
            return c8_err(err, C8_ERR_LIMIT,
                          "%s: label %lld: calib8 handles at most %lld "
                          "classes",
                          where, (long long)l, (long long)C8_MAX_CLASSES);
        if (l > maxl) maxl = l;
    }
    if (!classes_path) C8_TRY(numbered_classes(ds, maxl + 1, err));
    ds->labeled = true;
    return C8_OK;
}

static c8_status open_list(c8_dataset *ds, const char *list, const char *classes_path,
                           c8_error *err) {
    char *text = NULL;
    size_t len, n;
    C8_TRY(read_text(list, "list file", &text, &len, err));
    char **lines = split_lines(text, len, &n);
    if (!lines) {
        free(text);
        return c8_err(err, C8_ERR_NOMEM, "%s: out of memory", list);
    }
    c8_status s = C8_OK;
    for (size_t i = 0; i < n && s == C8_OK; i++) {
        char *l = lines[i];
        while (isspace((unsigned char)*l)) l++;
        size_t k = strlen(l);
        while (k && isspace((unsigned char)l[k - 1])) l[--k] = '\0';
        if (k == 0 || l[0] == '#') continue;
        /* split at the last run of whitespace: paths may contain spaces */
        char *lab = l + k;
        while (lab > l && !isspace((unsigned char)lab[-1])) lab--;
        char *pe = lab;
        while (pe > l && isspace((unsigned char)pe[-1])) pe--;
        if (pe == l) {
            s = c8_err(err, C8_ERR_PARSE, "%s:%zu: expected '<relative path> <label>', got '%s'",
                       list, i + 1, l);
            break;
        }
        *pe = '\0';
        char *end;
        errno = 0;
        long long v = strtoll(lab, &end, 10);
        if (errno || *end || end == lab) {
            s = c8_err(err, C8_ERR_PARSE, "%s:%zu: label '%s' is not an integer", list, i + 1, lab);
            break;
        }
        s = add_item(ds, strdup(l), v, (int64_t)i + 1, err);
    }
    free(lines);
    free(text);
    C8_TRY(s);
    if (ds->total == 0) return c8_err(err, C8_ERR_NOT_FOUND, "%s: no entries", list);
    if (classes_path) C8_TRY(read_classes(ds, classes_path, err));
    return check_labels(ds, classes_path, err);
}

static c8_status open_hdf5(c8_dataset *ds, const c8_dataset_spec *sp, c8_error *err) {
    const char *images = sp->hdf5_images ? sp->hdf5_images : "/images";
    const char *labels = sp->hdf5_labels ? sp->hdf5_labels : "/labels";
    ds->h5_images = strdup(images);
    ds->h5_labels = strdup(labels);
    if (!ds->h5_images || !ds->h5_labels) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    int64_t n, *lab;
    C8_TRY(
        c8_h5src_open(ds->root, images, labels, sp->hdf5_labels != NULL, &ds->h5, &n, &lab, err));
    ds->items = calloc((size_t)n, sizeof *ds->items);
    if (!ds->items) {
        free(lab);
        return c8_err(err, C8_ERR_NOMEM, "%s: out of memory for %lld images", ds->root,
                      (long long)n);
    }
    ds->total = n;
    for (int64_t i = 0; i < n; i++) ds->items[i].label = lab ? lab[i] : -1;
    c8_status s = C8_OK;
    if (sp->classes_path) s = read_classes(ds, sp->classes_path, err);
    if (s == C8_OK && lab) s = check_labels(ds, sp->classes_path, err);
    free(lab);
    return s;
}

/* ---------------------------------------------------------------------------------------- */
/* Selection and manifest                                                                   */
/* ---------------------------------------------------------------------------------------- */

uint64_t c8_splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, n): draws r until r >= 2^64 mod n (no modulo bias), returns r mod n. */
static uint64_t uniform_below(uint64_t *state, uint64_t n) {
    uint64_t threshold = (0 - n) % n;
    for (;;) {
        uint64_t r = c8_splitmix64(state);
        if (r >= threshold) return r % n;
    }
}

void c8_shuffle_i64(int64_t *v, int64_t n, uint64_t seed) {
    uint64_t st = seed;
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)uniform_below(&st, (uint64_t)i + 1);
        int64_t t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
}

static c8_status select_items(c8_dataset *ds, const c8_dataset_spec *sp, c8_error *err) {
    int64_t total = ds->total;
    int64_t *order = malloc(sizeof(int64_t) * (size_t)total);
    if (!order) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; i < total; i++) order[i] = i;
    if (sp->shuffle) c8_shuffle_i64(order, total, sp->seed);
    int64_t want = sp->images < 0 || sp->images > total ? total : sp->images;
    if (sp->stratified) {
        /* Buckets by label (each keeping the shuffled order), classes in order of first
         * appearance, then one from each non-empty bucket per round. */
        int64_t k = ds->nclasses;
        int64_t *count = calloc((size_t)k + 1, sizeof *count);
        int64_t *start = calloc((size_t)k + 1, sizeof *start);
        int64_t *firstseen = malloc(sizeof(int64_t) * (size_t)(k ? k : 1));
        int64_t *bucketed = malloc(sizeof(int64_t) * (size_t)total);
        int64_t *taken = calloc((size_t)k + 1, sizeof *taken);
        int64_t *out = malloc(sizeof(int64_t) * (size_t)(want ? want : 1));
        if (!count || !start || !firstseen || !bucketed || !taken || !out) {
            free(count), free(start), free(firstseen), free(bucketed), free(taken), free(out);
            free(order);
            return c8_err(err, C8_ERR_NOMEM, "out of memory");
        }
        int64_t nseen = 0;
        for (int64_t i = 0; i < total; i++) {
            int64_t l = ds->items[order[i]].label;
            if (count[l]++ == 0) firstseen[nseen++] = l;
        }
        for (int64_t l = 1; l <= k; l++) start[l] = start[l - 1] + count[l - 1];
        int64_t *fill = taken; /* reused as the fill cursor, reset below */
        for (int64_t i = 0; i < total; i++) {
            int64_t l = ds->items[order[i]].label;
            bucketed[start[l] + fill[l]++] = order[i];
        }
        memset(taken, 0, sizeof(int64_t) * ((size_t)k + 1));
        int64_t got = 0;
        while (got < want) {
            for (int64_t c = 0; c < nseen && got < want; c++) {
                int64_t l = firstseen[c];
                if (taken[l] < count[l]) out[got++] = bucketed[start[l] + taken[l]++];
            }
        }
        free(count), free(start), free(firstseen), free(bucketed), free(taken);
        free(order);
        order = out;
    }
    ds->n = want;
    ds->sel = order;
    return C8_OK;
}

/* Appends s to a growing buffer; returns 0 on allocation failure. */
typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

static int sb_put(sbuf *b, const char *s, size_t len) {
    if (len + 1 > b->cap - b->n) {
        size_t cap = b->cap ? b->cap : 4096;
        while (len + 1 > cap - b->n) {
            if (cap > SIZE_MAX / 2) return 0;
            cap *= 2;
        }
        char *np = realloc(b->p, cap);
        if (!np) return 0;
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, len);
    b->n += len;
    b->p[b->n] = '\0';
    return 1;
}

static int sb_escaped(sbuf *b, const char *s) {
    int ok = 1;
    for (const char *p = s; *p && ok; p++) {
        switch (*p) {
        case '\\': ok = sb_put(b, "\\\\", 2); break;
        case '\t': ok = sb_put(b, "\\t", 2); break;
        case '\n': ok = sb_put(b, "\\n", 2); break;
        case '\r': ok = sb_put(b, "\\r", 2); break;
        default: ok = sb_put(b, p, 1); break;
        }
    }
    return ok;
}

static c8_status build_manifest(c8_dataset *ds, c8_error *err) {
    sbuf b = {0};
    char line[96];
    int ok = 1;
    snprintf(line, sizeof line, "calib8-manifest 1\nsource %s\ncount %lld\n",
             c8_dataset_kind_name(ds->kind), (long long)ds->n);
    ok = sb_put(&b, line, strlen(line));
    if (ds->kind == C8_DATASET_HDF5) {
        ds->sel_names = calloc((size_t)(ds->n ? ds->n : 1), sizeof *ds->sel_names);
        if (!ds->sel_names) ok = 0;
    }
    for (int64_t i = 0; ok && i < ds->n; i++) {
        const ds_item *it = &ds->items[ds->sel[i]];
        snprintf(line, sizeof line, "%lld\t", (long long)it->label);
        ok = sb_put(&b, line, strlen(line));
        if (ds->kind == C8_DATASET_HDF5) {
            size_t k = strlen(ds->h5_images) + 32;
            ds->sel_names[i] = malloc(k);
            if (!ds->sel_names[i]) {
                ok = 0;
                break;
            }
            snprintf(ds->sel_names[i], k, "%s[%lld]", ds->h5_images, (long long)ds->sel[i]);
            ok = ok && sb_escaped(&b, ds->sel_names[i]);
        } else {
            ok = ok && sb_escaped(&b, it->name);
        }
        ok = ok && sb_put(&b, "\n", 1);
    }
    if (!ok) {
        free(b.p);
        return c8_err(err, C8_ERR_NOMEM, "out of memory building the manifest");
    }
    ds->manifest = b.p;
    c8_sha256_buf_hex(b.p, b.n, ds->sha);
    return C8_OK;
}

/* ---------------------------------------------------------------------------------------- */
/* Open / destroy / accessors                                                               */
/* ---------------------------------------------------------------------------------------- */

void c8_dataset_destroy(c8_dataset *ds) {
    if (!ds) return;
    if (ds->items && ds->kind != C8_DATASET_HDF5)
        for (int64_t i = 0; i < ds->total; i++) free(ds->items[i].name);
    free(ds->items);
    if (ds->sel_names)
        for (int64_t i = 0; i < ds->n; i++) free(ds->sel_names[i]);
    free(ds->sel_names);
    free(ds->sel);
    if (ds->classes)
        for (int64_t i = 0; i < ds->nclasses; i++) free(ds->classes[i]);
    free(ds->classes);
    c8_h5src_close(ds->h5);
    free(ds->root);
    free(ds->list_path);
    free(ds->h5_images);
    free(ds->h5_labels);
    free(ds->manifest);
    free(ds);
}

c8_status c8_dataset_open(const c8_dataset_spec *sp, c8_dataset **out, c8_error *err) {
    *out = NULL;
    if (!sp->path && !sp->labels_path)
        return c8_err(err, C8_ERR_USAGE, "no data given (--data PATH, or --labels LIST)");
    if (sp->images == 0 || sp->images < -1)
        return c8_err(err, C8_ERR_INVALID, "number of images %lld: give a positive count",
                      (long long)sp->images);
    c8_dataset *ds = calloc(1, sizeof *ds);
    if (!ds) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    c8_status s = C8_OK;
    ds->root = sp->path ? strdup(sp->path) : c8_path_dirname(sp->labels_path);
    if (!ds->root) {
        free(ds);
        return c8_err(err, C8_ERR_NOMEM, "out of memory");
    }
    c8_dataset_kind kind = sp->kind;
    struct stat st;
    if (sp->path && stat(sp->path, &st) != 0) {
        s = c8_err(err, C8_ERR_IO, "%s: cannot open: %s", sp->path, strerror(errno));
        goto done;
    }
    if (kind == C8_DATASET_AUTO) {
        if (sp->labels_path)
            kind = C8_DATASET_LIST;
        else if (S_ISREG(st.st_mode))
            kind = C8_DATASET_HDF5;
    }
    if (kind == C8_DATASET_LIST) {
        if (sp->path && !S_ISDIR(st.st_mode)) {
            s = c8_err(err, C8_ERR_INVALID,
                       "%s: a list file's images are read relative to a "
                       "folder, and this is not one",
                       sp->path);
            goto done;
        }
        if (!sp->labels_path) {
            s = c8_err(err, C8_ERR_USAGE, "a list source needs a list file (--labels)");
            goto done;
        }
        ds->kind = kind;
        ds->list_path = strdup(sp->labels_path);
        s = ds->list_path ? open_list(ds, sp->labels_path, sp->classes_path, err)
                          : c8_err(err, C8_ERR_NOMEM, "out of memory");
    } else if (kind == C8_DATASET_HDF5) {
        ds->kind = kind;
        s = open_hdf5(ds, sp, err);
    } else {
        if (!S_ISDIR(st.st_mode)) {
            s = c8_err(err, C8_ERR_INVALID, "%s: not a folder", sp->path);
            goto done;
        }
        dir_list top;
        s = read_dir(ds->root, &top, err);
        if (s != C8_OK) goto done;
        if (kind == C8_DATASET_AUTO) {
            kind = C8_DATASET_FOLDER;
            for (size_t i = 0; i < top.n; i++)
                if (top.is_dir[i] == 1) kind = C8_DATASET_IMAGEFOLDER;
        }
        ds->kind = kind;
        if (kind == C8_DATASET_IMAGEFOLDER)
            s = open_imagefolder(ds, &top, sp->kind == C8_DATASET_AUTO, sp->classes_path, err);
        else
            s = open_folder(ds, &top, sp->classes_path, err);
        if (s == C8_ERR_NOT_FOUND && top.n == 0)
            s = c8_err(err, C8_ERR_NOT_FOUND, "%s: empty folder (no images, no class folders)",
                       ds->root);
        dir_list_free(&top);
    }
    if (s != C8_OK) goto done;
    if (sp->stratified && !ds->labeled) {
        s = c8_err(err, C8_ERR_INVALID,
                   "%s: stratified selection needs labels, and this %s "
                   "source has none",
                   ds->root, c8_dataset_kind_name(ds->kind));
        goto done;
    }
    s = select_items(ds, sp, err);
    if (s == C8_OK) s = build_manifest(ds, err);
done:
    if (s != C8_OK) {
        c8_dataset_destroy(ds);
        return s;
    }
    *out = ds;
    return C8_OK;
}

c8_dataset_kind c8_dataset_source_kind(const c8_dataset *ds) { return ds->kind; }
int64_t c8_dataset_count(const c8_dataset *ds) { return ds->n; }
int64_t c8_dataset_total(const c8_dataset *ds) { return ds->total; }
int64_t c8_dataset_ignored(const c8_dataset *ds) { return ds->ignored; }
bool c8_dataset_has_labels(const c8_dataset *ds) { return ds->labeled; }
int64_t c8_dataset_num_classes(const c8_dataset *ds) { return ds->nclasses; }

int64_t c8_dataset_label(const c8_dataset *ds, int64_t i) {
    if (i < 0 || i >= ds->n) return -1;
    return ds->items[ds->sel[i]].label;
}

const char *c8_dataset_name(const c8_dataset *ds, int64_t i) {
    if (i < 0 || i >= ds->n) return NULL;
    return ds->kind == C8_DATASET_HDF5 ? ds->sel_names[i] : ds->items[ds->sel[i]].name;
}

const char *c8_dataset_where(const c8_dataset *ds, int64_t i, char *buf, size_t cap) {
    if (!cap) return buf;
    if (i < 0 || i >= ds->n) {
        snprintf(buf, cap, "?");
        return buf;
    }
    /* as c8_dataset_read_item names it (b->path), without allocating */
    const char *name = c8_dataset_name(ds, i), *root = ds->root ? ds->root : "";
    if (ds->kind == C8_DATASET_HDF5)
        snprintf(buf, cap, "%s:%s", root, name);
    else if (name[0] == '/' || !root[0])
        snprintf(buf, cap, "%s", name);
    else
        snprintf(buf, cap, "%s%s%s", root, root[strlen(root) - 1] == '/' ? "" : "/", name);
    return buf;
}

const char *c8_dataset_class_name(const c8_dataset *ds, int64_t k) {
    if (k < 0 || k >= ds->nclasses) return NULL;
    return ds->classes[k];
}

const char *c8_dataset_manifest(const c8_dataset *ds) { return ds->manifest; }
const char *c8_dataset_manifest_sha256(const c8_dataset *ds) { return ds->sha; }

c8_status c8_dataset_write_manifest(const c8_dataset *ds, const char *path, c8_error *err) {
    return c8_write_file_atomic(path, ds->manifest, strlen(ds->manifest), err);
}

/* ---------------------------------------------------------------------------------------- */
/* Reading items                                                                            */
/* ---------------------------------------------------------------------------------------- */

void c8_item_buf_free(c8_item_buf *b) {
    if (!b) return;
    c8_image_free(&b->img);
    free(b->row);
    free(b->path);
    memset(b, 0, sizeof *b);
}

c8_status c8_dataset_read_item(const c8_dataset *ds, int64_t i, c8_item_buf *b, c8_src_image *src,
                               c8_error *err) {
    c8_image_free(&b->img);
    free(b->path);
    b->path = NULL;
    if (i < 0 || i >= ds->n)
        return c8_err(err, C8_ERR_INTERNAL, "item %lld of %lld", (long long)i, (long long)ds->n);
    const ds_item *it = &ds->items[ds->sel[i]];
    if (ds->kind == C8_DATASET_HDF5) {
        size_t k = strlen(ds->root) + strlen(ds->sel_names[i]) + 2;
        b->path = malloc(k);
        if (!b->path) return c8_err(err, C8_ERR_NOMEM, "out of memory");
        snprintf(b->path, k, "%s:%s", ds->root, ds->sel_names[i]);
        c8_status s = c8_h5src_read(ds->h5, ds->sel[i], &b->row, &b->row_cap, src, err);
        if (s != C8_OK) c8_err_prefix(err, "%s", ds->root);
        return s;
    }
    b->path = it->name[0] == '/' ? strdup(it->name) : c8_path_join(ds->root, it->name);
    if (!b->path) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    c8_status s = c8_image_read(b->path, &b->img, err);
    if (s != C8_OK) {
        if (ds->kind == C8_DATASET_LIST && err) {
            char sfx[300];
            snprintf(sfx, sizeof sfx, " (listed at %.256s:%lld)", ds->list_path,
                     (long long)it->line);
            size_t k = strlen(err->msg);
            if (k + strlen(sfx) < sizeof err->msg) strcat(err->msg, sfx);
        }
        return s;
    }
    src->h = b->img.h;
    src->w = b->img.w;
    src->c = b->img.c;
    src->u8 = b->img.data;
    src->f32 = NULL;
    return C8_OK;
}
