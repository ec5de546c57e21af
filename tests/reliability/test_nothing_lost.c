/* Nothing lost: every kind of file calib8 writes (caches, cache + sidecar pairs, sidecars, plans,
 * histogram files, .npy outputs, PNGs, dataset manifests, DOT graphs, reports, converted HDF5
 * datasets) goes through a temporary file that is renamed only when complete. For each writer,
 * over an existing output holding "OLD CONTENT":
 *   - a full disk (RLIMIT_FSIZE in a child process: writes past 8 bytes fail with EFBIG),
 *   - a destination that is a directory (the final rename cannot happen),
 *   - a read-only folder (as root: in a child that drops to uid/gid 65534 first; skipped when
 *     that is impossible), and
 *   - /dev/full for the writers of util/fileio.h (direct mode: a device is written in place,
 *     never replaced, and ENOSPC is an error),
 * must return an error naming the file, leave the old content byte for byte, and leave no
 * temporary file behind. The SIGINT half of the promise is in test_interrupt.c. */
#include "c8test.h"

#include "calib8/calib.h"
#include "calib8/dataset.h"
#include "calib8/engine.h"
#include "calib8/report.h"
#include "datasets/h5.h"
#include "engine/passes/dot.h"
#include "engine/model_internal.h"
#include "util/err.h"
#include "util/fileio.h"
#include "util/npy.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define WORK C8_BINARY_DIR "/test_nothing_lost"
#define OLD "OLD CONTENT\n"

/* ---------------------------------------------------------------- the writers */

static c8_model *g_model;   /* tests/engine/data/good_conv.onnx */
static c8_engine *g_engine; /* its FP32 engine */

typedef c8_status (*writer_fn)(const char *path, c8_error *err);

static c8_status w_cache(const char *path, c8_error *err) {
    c8_calib_cache *c;
    C8_TRY(c8_calib_cache_create(NULL, "EntropyCalibration2", &c, err));
    c8_status s = c8_calib_cache_set(c, "x", 0.25f, err);
    if (s == C8_OK) s = c8_calib_cache_write(c, path, err);
    c8_calib_cache_destroy(c);
    return s;
}

static const c8_calib_tensor_stat k_stats[] = {{"x", 1.0f, 1.0, 1.0f / 127, NULL},
                                               {"c", 3.5f, 3.0, 3.0f / 127, NULL}};

static c8_status w_calib_save(const char *path, c8_error *err) {
    c8_calib_info info;
    c8_calib_info_init(&info);
    info.algorithm = "minmax";
    return c8_calib_save(path, NULL, NULL, &info, k_stats, 2, err);
}

static c8_status w_sidecar(const char *path, c8_error *err) {
    c8_calib_info info;
    c8_calib_info_init(&info);
    info.algorithm = "minmax";
    c8_calib_cache *c;
    C8_TRY(c8_calib_cache_create(NULL, "MinMaxCalibration", &c, err));
    c8_status s = c8_calib_sidecar_write(path, &info, c, k_stats, 2, err);
    c8_calib_cache_destroy(c);
    return s;
}

static c8_status w_plan(const char *path, c8_error *err) {
    return c8_engine_save(g_engine, path, err);
}

static c8_status w_histfile(const char *path, c8_error *err) {
    c8_hist *h;
    C8_TRY(c8_hist_create(128, &h, err));
    float v[4] = {0.5f, -1.0f, 2.0f, 0.25f};
    c8_status s = c8_hist_add(h, v, 4, "x", 0, err);
    c8_calib_info info;
    c8_calib_info_init(&info);
    const char *names[1] = {"x"};
    const c8_hist *hs[1] = {h};
    if (s == C8_OK) s = c8_calib_histfile_save(path, &info, names, hs, 1, err);
    c8_hist_destroy(h);
    return s;
}

static c8_status w_npy(const char *path, c8_error *err) {
    float v[6] = {1, 2, 3, 4, 5, 6};
    int64_t dims[2] = {2, 3};
    return c8_npy_write(path, C8_NPY_F32, 2, dims, v, err);
}

static c8_status w_png(const char *path, c8_error *err) {
    uint8_t px[12] = {0, 50, 100, 150, 200, 250, 1, 2, 3, 4, 5, 6};
    c8_image img = {2, 2, 3, px};
    return c8_image_write_png(path, &img, err);
}

static c8_status w_manifest(const char *path, c8_error *err) {
    /* a list source (written by setup): listed files need not exist until loaded */
    char list[512];
    snprintf(list, sizeof list, "%s/manifest-src.txt", WORK);
    c8_dataset_spec sp;
    c8_dataset_spec_init(&sp);
    sp.labels_path = list;
    c8_dataset *ds;
    C8_TRY(c8_dataset_open(&sp, &ds, err));
    c8_status s = c8_dataset_write_manifest(ds, path, err);
    c8_dataset_destroy(ds);
    return s;
}

static c8_status w_dot(const char *path, c8_error *err) {
    return c8_graph_write_dot(c8_model_graph(g_model), "good_conv", path, err);
}

static c8_status w_report(const char *path, c8_error *err) {
    c8_report *r;
    C8_TRY(c8_report_create(&r, err));
    c8_status s = c8_report_set(r, "model", "good_conv.onnx", err);
    if (s == C8_OK) s = c8_report_write_json(r, path, err);
    c8_report_destroy(r);
    return s;
}

static c8_status w_h5_images(const char *path, c8_error *err) {
    uint8_t px[2 * 3 * 3] = {0};
    int64_t labels[2] = {0, 1};
    return c8_h5_write_images(path, px, 2, 3, 3, 1, labels, err);
}

typedef struct writer {
    const char *name;
    writer_fn fn;
    bool fileio; /* goes through util/fileio.h's c8_atomic_open (so /dev/full applies) */
} writer;

static const writer k_writers[] = {
    {"cache", w_cache, true},   {"cache+sidecar", w_calib_save, true}, {"sidecar", w_sidecar, true},
    {"plan", w_plan, true},     {"histfile", w_histfile, true},        {"npy", w_npy, true},
    {"png", w_png, true},       {"manifest", w_manifest, true},        {"dot", w_dot, true},
    {"report", w_report, true}, {"h5 images", w_h5_images, false},
};
#define N_WRITERS (int)(sizeof k_writers / sizeof k_writers[0])

/* ---------------------------------------------------------------- helpers */

static void setup(void) {
    static bool done = false;
    if (done) return;
    done = true;
    mkdir(WORK, 0777);
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(
        c8_model_load(C8_SOURCE_DIR "/tests/engine/data/good_conv.onnx", NULL, &g_model, &err),
        C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_engine_build(g_model, NULL, &g_engine, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(
        c8_write_file_atomic(WORK "/manifest-src.txt", "a.png 0\nb.png 1\n", 16, &err), C8_OK);
}

static void write_plain(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    fclose(f);
}

static bool has_content(const char *path, const char *text) {
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    char buf[256] = {0};
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    return n == strlen(text) && !memcmp(buf, text, n);
}

/* Number of leftover temporary files ("*.tmp.*") in dir. */
static int leftovers(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".tmp.")) {
            printf("\n  leftover temporary file %s/%s", dir, e->d_name);
            n++;
        }
    closedir(d);
    return n;
}

/* A fresh folder WORK/<tag>-<k> with "out" holding OLD (and "out.json" for the cache+sidecar
 * writer). */
static void fresh_dir(char *dir, size_t len, const char *tag, int k, char *out, size_t olen) {
    snprintf(dir, len, "%s/%s-%d", WORK, tag, k);
    mkdir(dir, 0777);
    chmod(dir, 0777);
    snprintf(out, olen, "%s/out", dir);
    write_plain(out, OLD);
    char side[600];
    snprintf(side, sizeof side, "%s.json", out);
    write_plain(side, OLD);
}

static void check_intact(const char *dir, const char *out, const char *what, const char *wname) {
    char side[600];
    snprintf(side, sizeof side, "%s.json", out);
    bool ok = has_content(out, OLD) && has_content(side, OLD);
    if (!ok) printf("\n  %s / %s: the old output changed", wname, what);
    CU_ASSERT_TRUE(ok);
    CU_ASSERT_EQUAL(leftovers(dir), 0);
}

/* Runs fn(out) in a child after `prepare` (RLIMIT_FSIZE or dropping to nobody); the child exits
 * 0 when the writer failed with a message naming the file, 1 when it succeeded, 2 when the
 * message was wrong, 3 when preparing failed. */
typedef enum { PREP_FSIZE, PREP_NOBODY } prep_kind;

static int child_write(const writer *w, const char *out, prep_kind prep) {
    fflush(stdout);
    pid_t pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        if (prep == PREP_FSIZE) {
            signal(SIGXFSZ, SIG_IGN); /* the write fails with EFBIG instead of killing us */
            struct rlimit rl = {8, 8};
            if (setrlimit(RLIMIT_FSIZE, &rl) != 0) _exit(3);
        } else if (geteuid() == 0) {
            if (setgid(65534) != 0 || setuid(65534) != 0) _exit(3);
        }
        c8_error e = {0};
        c8_status s = w->fn(out, &e);
        if (s == C8_OK) _exit(1);
        if (!strstr(e.msg, "/out")) {
            printf("\n  %s: message does not name the file: %s", w->name, e.msg);
            _exit(2);
        }
        _exit(0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

/* ---------------------------------------------------------------- tests */

static void test_writers_work(void) {
    setup();
    for (int k = 0; k < N_WRITERS; k++) {
        char dir[512], out[600];
        fresh_dir(dir, sizeof dir, "ok", k, out, sizeof out);
        c8_error err = {0};
        c8_status s = k_writers[k].fn(out, &err);
        if (s) printf("\n  %s: %s", k_writers[k].name, err.msg);
        CU_ASSERT_EQUAL(s, C8_OK);
        CU_ASSERT_FALSE(has_content(out, OLD)); /* replaced */
        CU_ASSERT_EQUAL(leftovers(dir), 0);
    }
}

static void test_full_disk(void) {
    setup();
    for (int k = 0; k < N_WRITERS; k++) {
        char dir[512], out[600];
        fresh_dir(dir, sizeof dir, "full", k, out, sizeof out);
        int rc = child_write(&k_writers[k], out, PREP_FSIZE);
        if (rc) printf("\n  %s: full disk: child status %d", k_writers[k].name, rc);
        CU_ASSERT_EQUAL(rc, 0);
        check_intact(dir, out, "full disk", k_writers[k].name);
    }
}

static void test_directory_target(void) {
    setup();
    for (int k = 0; k < N_WRITERS; k++) {
        char dir[512], out[600], target[700];
        fresh_dir(dir, sizeof dir, "isdir", k, out, sizeof out);
        snprintf(target, sizeof target, "%s/target", dir);
        mkdir(target, 0777);
        c8_error err = {0};
        c8_status s = k_writers[k].fn(target, &err);
        CU_ASSERT_NOT_EQUAL(s, C8_OK);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "target"));
        struct stat st;
        CU_ASSERT_TRUE(stat(target, &st) == 0 && S_ISDIR(st.st_mode));
        CU_ASSERT_EQUAL(leftovers(dir), 0);
        CU_ASSERT_EQUAL(leftovers(target), 0);
        check_intact(dir, out, "directory target", k_writers[k].name);
        rmdir(target);
    }
}

static void test_read_only_folder(void) {
    setup();
    /* as root, the child drops to uid 65534, which must be able to reach WORK */
    struct stat bst;
    if (geteuid() == 0 && (stat(C8_BINARY_DIR, &bst) != 0 || !(bst.st_mode & S_IXOTH)))
        C8_SKIP("%s is not reachable for uid 65534", C8_BINARY_DIR);
    for (int k = 0; k < N_WRITERS; k++) {
        char dir[512], out[600];
        fresh_dir(dir, sizeof dir, "ro", k, out, sizeof out);
        chmod(dir, 0555);
        int rc = child_write(&k_writers[k], out, PREP_NOBODY);
        chmod(dir, 0777);
        if (rc == 3) C8_SKIP("cannot drop privileges to uid 65534");
        if (rc) printf("\n  %s: read-only folder: child status %d", k_writers[k].name, rc);
        CU_ASSERT_EQUAL(rc, 0);
        check_intact(dir, out, "read-only folder", k_writers[k].name);
    }
}

static void test_dev_full(void) {
    setup();
    struct stat st;
    if (stat("/dev/full", &st) != 0 || !S_ISCHR(st.st_mode)) C8_SKIP("no /dev/full");
    for (int k = 0; k < N_WRITERS; k++) {
        if (!k_writers[k].fileio) continue;
        if (!strcmp(k_writers[k].name, "cache+sidecar")) continue; /* would write /dev/full.json */
        c8_error err = {0};
        c8_status s = k_writers[k].fn("/dev/full", &err);
        if (s == C8_OK) printf("\n  %s: writing /dev/full succeeded", k_writers[k].name);
        CU_ASSERT_EQUAL(s, C8_ERR_IO);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "/dev/full"));
        /* still the device: never replaced by a renamed temporary file (as root it could be) */
        CU_ASSERT_TRUE(stat("/dev/full", &st) == 0 && S_ISCHR(st.st_mode));
    }
    CU_ASSERT_EQUAL(leftovers("/dev"), 0);
}

/* A symlink to an output: the file it points to is replaced and the link survives. */
static void test_symlink_kept(void) {
    setup();
    char dir[512], out[600], link[700];
    fresh_dir(dir, sizeof dir, "link", 0, out, sizeof out);
    snprintf(link, sizeof link, "%s/link.cache", dir);
    unlink(link);
    CU_ASSERT_EQUAL_FATAL(symlink("out", link), 0);
    c8_error err = {0};
    CU_ASSERT_EQUAL(w_cache(link, &err), C8_OK);
    struct stat st;
    CU_ASSERT_TRUE(lstat(link, &st) == 0 && S_ISLNK(st.st_mode));
    CU_ASSERT_FALSE(has_content(out, OLD));
    CU_ASSERT_EQUAL(leftovers(dir), 0);
}

static void test_teardown(void) {
    c8_engine_destroy(g_engine);
    c8_model_destroy(g_model);
    g_engine = NULL;
    g_model = NULL;
}

static const c8_test_case k_cases[] = {
    {"every writer works", test_writers_work},
    {"full disk leaves old outputs", test_full_disk},
    {"directory target leaves old outputs", test_directory_target},
    {"read-only folder leaves old outputs", test_read_only_folder},
    {"/dev/full is an error, never replaced", test_dev_full},
    {"symlinked output keeps its link", test_symlink_kept},
    {"teardown", test_teardown},
};

C8T_MAIN("reliability: nothing lost", k_cases)
