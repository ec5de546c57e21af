/* Limits: a run whose memory would exceed the context's limit (--max-memory) is refused before
 * anything is allocated, with the numbers; shapes whose sizes overflow are errors, not wrapped
 * allocations; the CLI's --max-memory reaches run and eval (engine and loader memory); byte
 * counts parse and print as documented (util/bytes.h). */
#include "c8test.h"

#include "calib8/engine.h"
#include "datasets/h5.h"
#include "util/bytes.h"
#include "util/npy.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define WORK C8_BINARY_DIR "/test_limits"
#define CALIB8 C8_BINARY_DIR "/calib8"
#define MODEL C8_SOURCE_DIR "/tests/reports/data/tiny_cls.onnx" /* x: ?x1x8x8 -> logits ?x6 */

static void test_parse_bytes(void) {
    static const struct {
        const char *s;
        bool ok;
        uint64_t v;
    } k[] = {
        {"0", true, 0},
        {"1000", true, 1000},
        {"1K", true, 1024},
        {"1k", true, 1024},
        {"1KB", true, 1024},
        {"1KiB", true, 1024},
        {"512M", true, 512ull << 20},
        {"8G", true, 8ull << 30},
        {"8gib", true, 8ull << 30},
        {"1.5G", true, 3ull << 29},
        {"2T", true, 2ull << 40},
        {"10B", true, 10},
        {"", false, 0},
        {"-1G", false, 0},
        {"G", false, 0},
        {"8X", false, 0},
        {"8GB5", false, 0},
        {" 8G", false, 0},
        {"1e30", false, 0},
        {"nan", false, 0},
        {"16777216T", false, 0}, /* 2^64 */
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        uint64_t v = 12345;
        bool ok = c8_parse_bytes(k[i].s, &v);
        if (ok != k[i].ok || (ok && v != k[i].v))
            printf("\n  '%s': ok %d value %llu", k[i].s, ok, (unsigned long long)v);
        CU_ASSERT_EQUAL(ok, k[i].ok);
        if (ok && k[i].ok) CU_ASSERT_EQUAL(v, k[i].v);
    }
    char b[32];
    CU_ASSERT_STRING_EQUAL(c8_bytes_str(0, b, sizeof b), "0 bytes");
    CU_ASSERT_STRING_EQUAL(c8_bytes_str(1023, b, sizeof b), "1023 bytes");
    CU_ASSERT_STRING_EQUAL(c8_bytes_str(1024, b, sizeof b), "1.0 KiB");
    CU_ASSERT_STRING_EQUAL(c8_bytes_str(3ull << 29, b, sizeof b), "1.5 GiB");
    CU_ASSERT_STRING_EQUAL(c8_bytes_str(UINT64_MAX, b, sizeof b), "16.0 EiB");
    CU_ASSERT_TRUE(c8_mem_available() > 0); /* Linux: /proc/meminfo has MemAvailable */
}

typedef struct fixture {
    c8_model *m;
    c8_engine *e;
    c8_context *c;
} fixture;

static void open_fixture(fixture *f) {
    c8_error err = {0};
    memset(f, 0, sizeof *f);
    CU_ASSERT_EQUAL_FATAL(c8_model_load(MODEL, NULL, &f->m, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_engine_build(f->m, NULL, &f->e, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_context_create(f->e, &f->c, &err), C8_OK);
}

static void close_fixture(fixture *f) {
    c8_context_destroy(f->c);
    c8_engine_destroy(f->e);
    c8_model_destroy(f->m);
}

static void test_context_limit(void) {
    fixture f;
    open_fixture(&f);
    c8_error err = {0};
    static float x[4 * 64];
    c8_host_tensor in = {NULL, C8_DT_FLOAT, {4, {4, 1, 8, 8}}, x};
    CU_ASSERT_EQUAL(c8_context_memory(f.c), 0);
    /* batch 4: activations of 4x4x8x8 floats (and smaller) need a few KiB, more than 1000 */
    c8_context_set_max_memory(f.c, 1000);
    c8_status s = c8_context_run(f.c, &in, 1, &err);
    printf("\n  %s", err.msg);
    CU_ASSERT_EQUAL(s, C8_ERR_LIMIT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "needs "));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "of activation memory for batch 4"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "--max-memory) is 1000 bytes"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "tiny_cls.onnx"));
    CU_ASSERT_EQUAL(c8_context_memory(f.c), 0);
    /* a limit that fits: runs, and holds no more than the limit */
    c8_context_set_max_memory(f.c, 1 << 20);
    CU_ASSERT_EQUAL(c8_context_run(f.c, &in, 1, &err), C8_OK);
    uint64_t used = c8_context_memory(f.c);
    CU_ASSERT_TRUE(used > 1000 && used <= (1 << 20));
    /* the exact need is accepted, one byte less is not */
    c8_context_destroy(f.c);
    CU_ASSERT_EQUAL_FATAL(c8_context_create(f.e, &f.c, &err), C8_OK);
    c8_context_set_max_memory(f.c, used);
    CU_ASSERT_EQUAL(c8_context_run(f.c, &in, 1, &err), C8_OK);
    c8_context_destroy(f.c);
    CU_ASSERT_EQUAL_FATAL(c8_context_create(f.e, &f.c, &err), C8_OK);
    c8_context_set_max_memory(f.c, used - 1);
    CU_ASSERT_EQUAL(c8_context_run(f.c, &in, 1, &err), C8_ERR_LIMIT);
    /* 0: no limit */
    c8_context_set_max_memory(f.c, 0);
    CU_ASSERT_EQUAL(c8_context_run(f.c, &in, 1, &err), C8_OK);
    close_fixture(&f);
}

/* A batch whose activations would take terabytes is refused with the numbers before anything
 * is allocated or read (the input pointer is never touched: only the shape is looked at). */
static void test_huge_batch_refused(void) {
    fixture f;
    open_fixture(&f);
    c8_error err = {0};
    static float x[64];
    c8_context_set_max_memory(f.c, (uint64_t)8 << 30);
    c8_host_tensor in = {NULL, C8_DT_FLOAT, {4, {(int64_t)1 << 32, 1, 8, 8}}, x};
    c8_status s = c8_context_run(f.c, &in, 1, &err);
    printf("\n  %s", err.msg);
    CU_ASSERT_EQUAL(s, C8_ERR_LIMIT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "TiB of activation memory for batch 4294967296"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "is 8.0 GiB"));
    close_fixture(&f);
}

/* Shapes whose byte sizes overflow 64 bits are errors (no limit set: the overflow check, not
 * the limit, must catch them). */
static void test_overflowing_shapes(void) {
    fixture f;
    open_fixture(&f);
    c8_error err = {0};
    static float x[64];
    const int64_t bad[][4] = {
        {(int64_t)1 << 62, 1, 8, 8}, /* numel overflows int64 */
        {(int64_t)1 << 58, 1, 8, 8}, /* numel fits, bytes overflow */
        {INT64_MAX, 1, 8, 8},
        {-5, 1, 8, 8}, /* negative extent */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        c8_host_tensor in = {
            NULL, C8_DT_FLOAT, {4, {bad[i][0], bad[i][1], bad[i][2], bad[i][3]}}, x};
        c8_status s = c8_context_run(f.c, &in, 1, &err);
        printf("\n  batch %lld: %s", (long long)bad[i][0], err.msg);
        CU_ASSERT_TRUE(s == C8_ERR_SHAPE || s == C8_ERR_LIMIT || s == C8_ERR_NOMEM);
    }
    close_fixture(&f);
}

/* Runs the CLI; returns its exit status and its stderr in err_out (malloc'd). */
static int run_cli(char *const argv[], char **err_out) {
    char errp[512];
    snprintf(errp, sizeof errp, "%s/cli.err", WORK);
    fflush(stdout);
    pid_t pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        int fe = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int fo = open("/dev/null", O_WRONLY);
        if (fe < 0 || fo < 0) _exit(126);
        dup2(fo, 1);
        dup2(fe, 2);
        execv(CALIB8, argv);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    FILE *f = fopen(errp, "rb");
    *err_out = calloc(1, 4096);
    if (f && *err_out) {
        size_t n = fread(*err_out, 1, 4095, f);
        (*err_out)[n] = '\0';
    }
    if (f) fclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void test_cli_max_memory(void) {
    if (!c8t_exists(CALIB8)) C8_SKIP("%s not built", CALIB8);
    mkdir(WORK, 0777);
    c8_error err = {0};
    float x[64] = {0};
    int64_t dims[4] = {1, 1, 8, 8};
    CU_ASSERT_EQUAL_FATAL(c8_npy_write(WORK "/x.npy", C8_NPY_F32, 4, dims, x, &err), C8_OK);
    char *msg = NULL;
    /* run: the engine's memory */
    char *const run_small[] = {
        "calib8",       "run",       "--model",      MODEL, "--input", WORK "/x.npy",
        "--output-dir", WORK "/out", "--max-memory", "1K",  NULL};
    CU_ASSERT_EQUAL(run_cli(run_small, &msg), 1);
    printf("\n  run: %s", msg);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "memory limit (--max-memory) is 1.0 KiB"));
    free(msg);
    char *const run_ok[] = {"calib8",      "run",          "--model",   MODEL,          "--input",
                            WORK "/x.npy", "--output-dir", WORK "/out", "--max-memory", "64M",
                            NULL};
    CU_ASSERT_EQUAL(run_cli(run_ok, &msg), 0);
    free(msg);
    char *const run_bad[] = {"calib8",      "run",          "--model",   MODEL,          "--input",
                             WORK "/x.npy", "--output-dir", WORK "/out", "--max-memory", "lots",
                             NULL};
    CU_ASSERT_EQUAL(run_cli(run_bad, &msg), 2);
    free(msg);
    /* eval: the loader's batches count too */
    uint8_t px[16 * 64] = {0};
    int64_t lab[16] = {0};
    CU_ASSERT_EQUAL_FATAL(c8_h5_write_images(WORK "/d.h5", px, 16, 8, 8, 1, lab, &err), C8_OK);
    char *const eval_big[] = {"calib8",  "eval",         "--model", MODEL,
                              "--data",  WORK "/d.h5",   "--batch", "100000",
                              "--quiet", "--max-memory", "100M",    NULL};
    CU_ASSERT_EQUAL(run_cli(eval_big, &msg), 1);
    printf("\n  eval: %s", msg);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "batches of 100000 x 1x8x8 images need"));
    free(msg);
    char *const eval_ok[] = {"calib8",  "eval", "--model", MODEL,          "--data", WORK "/d.h5",
                             "--batch", "8",    "--quiet", "--max-memory", "100M",   NULL};
    CU_ASSERT_EQUAL(run_cli(eval_ok, &msg), 0);
    free(msg);
}

static const c8_test_case k_cases[] = {
    {"byte counts", test_parse_bytes},
    {"context memory limit", test_context_limit},
    {"huge batch refused with the numbers", test_huge_batch_refused},
    {"overflowing shapes", test_overflowing_shapes},
    {"CLI --max-memory", test_cli_max_memory},
};

C8T_MAIN("reliability: limits", k_cases)
