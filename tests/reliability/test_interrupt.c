/* Stopping at any moment: a calibration (and an evaluation) interrupted by SIGINT stops between
 * batches, exits with 130 and "interrupted by SIGINT after N of M images; nothing written", and
 * leaves the earlier cache, sidecar and JSON byte for byte, with no temporary file behind. The
 * CLI is run as a child process on an HDF5 set of 200000 8x8 images at batch 1, so the signal
 * arrives long before the end (or, on a slow machine, while it is still loading: a
 * clean stop too). Also the library side: a context run with the interrupt flag set
 * stops with C8_ERR_INTERRUPTED, and runs again once it is cleared. */
#include "c8test.h"

#include "calib8/engine.h"
#include "datasets/h5.h"
#include "util/fileio.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WORK C8_BINARY_DIR "/test_interrupt"
#define CALIB8 C8_BINARY_DIR "/calib8"
#define MODEL C8_SOURCE_DIR "/tests/reports/data/tiny_cls.onnx" /* x: ?x1x8x8, 6 classes */
#define IMAGES 200000
/* How long the child runs before the signal: model load and dataset open take well under this
 * (also under ASan), the whole set at batch 1 takes many times more. */
#define SIGNAL_AFTER_S 3.0
#define WAIT_LIMIT_S 60.0

static void make_data(void) {
    static bool done = false;
    if (done) return;
    done = true;
    mkdir(WORK, 0777);
    uint8_t *px = malloc((size_t)IMAGES * 64);
    int64_t *lab = malloc((size_t)IMAGES * sizeof *lab);
    CU_ASSERT_FATAL(px && lab);
    for (int64_t i = 0; i < (int64_t)IMAGES * 64; i++) px[i] = (uint8_t)(i * 37 % 251);
    for (int64_t i = 0; i < IMAGES; i++) lab[i] = i % 6;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_h5_write_images(WORK "/data.h5", px, IMAGES, 8, 8, 1, lab, &err),
                          C8_OK);
    free(px);
    free(lab);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Runs argv with stdout/stderr to WORK/<tag>.out / .err; with signal_after > 0 sends SIGINT
 * after that many seconds. Returns the exit status (256 + signal if killed, -1 on timeout). */
static int run_cli(const char *tag, char *const argv[], double signal_after) {
    char out[512], errp[512];
    snprintf(out, sizeof out, "%s/%s.out", WORK, tag);
    snprintf(errp, sizeof errp, "%s/%s.err", WORK, tag);
    fflush(stdout);
    pid_t pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int fe = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fo < 0 || fe < 0) _exit(126);
        dup2(fo, 1);
        dup2(fe, 2);
        execv(CALIB8, argv);
        _exit(127);
    }
    double t0 = now_s();
    bool sent = false;
    int st = 0;
    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) break;
        double t = now_s() - t0;
        if (signal_after > 0 && !sent && t >= signal_after) {
            kill(pid, SIGINT);
            sent = true;
        }
        if (t > WAIT_LIMIT_S) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return -1;
        }
        struct timespec ten_ms = {0, 10000000};
        nanosleep(&ten_ms, NULL);
    }
    if (signal_after > 0 && !sent) printf("\n  %s finished before the signal", tag);
    /* killed by a signal (the handler was not installed): 256 + signal, never 130 */
    return WIFEXITED(st) ? WEXITSTATUS(st) : 256 + WTERMSIG(st);
}

static char *slurp(const char *path, size_t *len) {
    unsigned char *b = NULL;
    c8_error err = {0};
    if (c8_read_file(path, 0, &b, len, &err) != C8_OK) return NULL;
    return (char *)b;
}

static bool same_file(const char *path, const char *bytes, size_t len) {
    size_t n;
    char *b = slurp(path, &n);
    bool same = b && n == len && !memcmp(b, bytes, n);
    free(b);
    return same;
}

static int leftovers(void) {
    DIR *d = opendir(WORK);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strstr(e->d_name, ".tmp.")) {
            printf("\n  leftover %s", e->d_name);
            n++;
        }
    if (d) closedir(d);
    return n;
}

static void test_calibrate_sigint(void) {
    if (!c8t_exists(CALIB8)) C8_SKIP("%s not built", CALIB8);
    make_data();
    const char *cache = WORK "/c.cache", *side = WORK "/c.cache.json", *hist = WORK "/h.h5";
    unlink(hist);
    /* the earlier calibration that must survive */
    char *const first[] = {"calib8",        "calibrate", "--model",     MODEL,     "--data",
                           WORK "/data.h5", "--images",  "64",          "--batch", "8",
                           "--quiet",       "--cache",   (char *)cache, NULL};
    CU_ASSERT_EQUAL_FATAL(run_cli("calibrate-first", first, 0), 0);
    size_t cl, sl;
    char *cold = slurp(cache, &cl), *sold = slurp(side, &sl);
    CU_ASSERT_FATAL(cold && sold);
    char *const second[] = {
        "calib8",     "calibrate", "--model", MODEL,     "--data",      WORK "/data.h5",
        "--images",   "200000",    "--batch", "1",       "--prefetch",  "1",
        "--algo",     "minmax",    "--quiet", "--cache", (char *)cache, "--save-histograms",
        (char *)hist, NULL};
    int rc = run_cli("calibrate-int", second, SIGNAL_AFTER_S);
    CU_ASSERT_EQUAL(rc, 130);
    size_t el;
    char *msg = slurp(WORK "/calibrate-int.err", &el);
    CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
    if (!msg) return; /* (the FATAL assert returns; this tells the compiler) */
    printf("\n  stderr: %s", msg);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "interrupted by SIGINT after "));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, " of 200000 images; nothing written"));
    CU_ASSERT_TRUE(same_file(cache, cold, cl));
    CU_ASSERT_TRUE(same_file(side, sold, sl));
    CU_ASSERT_FALSE(c8t_exists(hist));
    CU_ASSERT_EQUAL(leftovers(), 0);
    free(msg);
    free(cold);
    free(sold);
}

static void test_eval_sigint(void) {
    if (!c8t_exists(CALIB8)) C8_SKIP("%s not built", CALIB8);
    make_data();
    const char *json = WORK "/eval.json";
    const char *old = "{\"old\": true}\n";
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_write_file_atomic(json, old, strlen(old), &err), C8_OK);
    char *const argv[] = {"calib8",        "eval",    "--model",    MODEL,        "--data",
                          WORK "/data.h5", "--batch", "1",          "--prefetch", "1",
                          "--quiet",       "--json",  (char *)json, NULL};
    int rc = run_cli("eval-int", argv, SIGNAL_AFTER_S);
    CU_ASSERT_EQUAL(rc, 130);
    size_t el;
    char *msg = slurp(WORK "/eval-int.err", &el);
    CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
    if (!msg) return; /* (the FATAL assert returns; this tells the compiler) */
    printf("\n  stderr: %s", msg);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "interrupted by SIGINT after "));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "nothing written"));
    CU_ASSERT_TRUE(same_file(json, old, strlen(old)));
    CU_ASSERT_EQUAL(leftovers(), 0);
    free(msg);
}

/* The library: a run with the process-wide interrupt flag set stops before any layer. */
static volatile sig_atomic_t g_flag;

static void test_context_flag(void) {
    c8_error err = {0};
    c8_model *m = NULL;
    c8_engine *e = NULL;
    c8_context *c = NULL;
    CU_ASSERT_EQUAL_FATAL(c8_model_load(MODEL, NULL, &m, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_engine_build(m, NULL, &e, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_context_create(e, &c, &err), C8_OK);
    float x[64] = {0};
    c8_host_tensor in = {NULL, C8_DT_FLOAT, {4, {1, 1, 8, 8}}, x};
    c8_set_interrupt_flag(&g_flag, "the test");
    g_flag = 1;
    CU_ASSERT_EQUAL(c8_context_run(c, &in, 1, &err), C8_ERR_INTERRUPTED);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "interrupted by the test"));
    g_flag = 0;
    CU_ASSERT_EQUAL(c8_context_run(c, &in, 1, &err), C8_OK);
    c8_set_interrupt_flag(NULL, NULL);
    c8_context_destroy(c);
    c8_engine_destroy(e);
    c8_model_destroy(m);
}

static const c8_test_case k_cases[] = {
    {"calibrate + SIGINT keeps the old cache", test_calibrate_sigint},
    {"eval + SIGINT keeps the old JSON", test_eval_sigint},
    {"interrupt flag stops a run", test_context_flag},
};

C8T_MAIN("reliability: interruption", k_cases)
