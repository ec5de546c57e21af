/* GPU allocation failures are clear errors, not crashes: with C8_CUDA_FAIL_ALLOC_AFTER=N in the
 * environment the CUDA backend lets N device allocations succeed and fails every later one as
 * cudaMalloc would (cudaErrorMemoryAllocation). For every N from 0 until a build + run needs no
 * more allocations, a child process builds the bundled-style test model for the GPU, creates a
 * context and runs it: each step either works or fails with C8_ERR_DEVICE / C8_ERR_NOMEM and a
 * message that names the allocation, and nothing crashes or leaks (the suite also runs under
 * ASan). Once N is large enough the outputs match the CPU's.
 * Exits 77 (skipped) when built without CUDA or when no GPU is present. Children are forked
 * before the parent touches CUDA, so each starts with a fresh allocation counter. */
#include "c8test.h"

#include "calib8/config.h"
#include "calib8/engine.h"

#include <math.h>
#include <sys/wait.h>
#include <unistd.h>

#if C8_HAVE_CUDA
#define MODEL C8_SOURCE_DIR "/tests/reports/data/tiny_cls.onnx"
#define MAX_N 64
/* GPU FP32 vs CPU FP32 on a 5-layer model: TF32 is off; differences come from summation
 * order only. */
#define GPU_RTOL 1e-4

enum {
    CHILD_OK = 0,
    CHILD_CLEAN_FAIL = 10,
    CHILD_BAD_MSG = 11,
    CHILD_NO_GPU = 12,
    CHILD_WRONG = 13
};

static int run_child(int n) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) return CHILD_WRONG; /* (no CUnit assert: main calls this before any suite) */
    if (pid == 0) {
        char v[16];
        snprintf(v, sizeof v, "%d", n);
        if (n >= 0) setenv("C8_CUDA_FAIL_ALLOC_AFTER", v, 1);
        c8_error err = {0};
        c8_model *m = NULL;
        c8_engine *e = NULL, *ecpu = NULL;
        c8_context *c = NULL, *ccpu = NULL;
        if (c8_model_load(MODEL, NULL, &m, &err) != C8_OK) _exit(CHILD_WRONG);
        c8_build_options o;
        c8_build_options_init(&o);
        o.device = C8_DEVICE_CUDA;
        c8_status s = c8_engine_build(m, &o, &e, &err);
        float x[2 * 64];
        for (int i = 0; i < 2 * 64; i++) x[i] = (float)((i * 37) % 17) / 17.0f - 0.5f;
        c8_host_tensor in = {NULL, C8_DT_FLOAT, {4, {2, 1, 8, 8}}, x};
        if (s == C8_OK) s = c8_context_create(e, &c, &err);
        if (s == C8_OK) s = c8_context_run(c, &in, 1, &err);
        if (s != C8_OK) {
            printf("\n  N=%d: %s", n, err.msg);
            bool no_gpu = strstr(err.msg, "no CUDA") || strstr(err.msg, "no GPU") ||
                          strstr(err.msg, "cudaErrorNoDevice") ||
                          strstr(err.msg, "cudaErrorInsufficientDriver");
            if (n < 0 && no_gpu) _exit(CHILD_NO_GPU);
            if (n < 0) _exit(CHILD_WRONG);
            if ((s == C8_ERR_DEVICE || s == C8_ERR_NOMEM || s == C8_ERR_LIMIT) &&
                (strstr(err.msg, "cudaMalloc") || strstr(err.msg, "device memory") ||
                 strstr(err.msg, "out of memory")))
                _exit(CHILD_CLEAN_FAIL);
            _exit(CHILD_BAD_MSG);
        }
        /* it worked: compare with the CPU */
        c8_host_tensor y, ycpu;
        if (c8_context_output(c, 0, &y, &err) != C8_OK) _exit(CHILD_WRONG);
        if (c8_engine_build(m, NULL, &ecpu, &err) != C8_OK ||
            c8_context_create(ecpu, &ccpu, &err) != C8_OK ||
            c8_context_run(ccpu, &in, 1, &err) != C8_OK ||
            c8_context_output(ccpu, 0, &ycpu, &err) != C8_OK)
            _exit(CHILD_WRONG);
        int64_t k = c8_shape_numel(&y.shape);
        for (int64_t i = 0; i < k; i++) {
            float a = ((float *)y.data)[i], b = ((float *)ycpu.data)[i];
            if (fabsf(a - b) > GPU_RTOL * fmaxf(1.0f, fabsf(b))) _exit(CHILD_WRONG);
        }
        c8_context_destroy(c);
        c8_context_destroy(ccpu);
        c8_engine_destroy(e);
        c8_engine_destroy(ecpu);
        c8_model_destroy(m);
        _exit(CHILD_OK);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static void test_alloc_failures(void) {
    int first_ok = -1;
    for (int n = 0; n <= MAX_N && first_ok < 0; n++) {
        int rc = run_child(n);
        if (rc == CHILD_OK)
            first_ok = n;
        else if (rc != CHILD_CLEAN_FAIL)
            printf("\n  N=%d: child status %d", n, rc);
        CU_ASSERT_TRUE(rc == CHILD_OK || rc == CHILD_CLEAN_FAIL);
    }
    printf("\n  the first build + run needing no failed allocation: N=%d", first_ok);
    CU_ASSERT_TRUE(first_ok > 0); /* N=0 must fail: a GPU engine allocates something */
}

static const c8_test_case k_cases[] = {
    {"injected cudaMalloc failures", test_alloc_failures},
};

#endif /* C8_HAVE_CUDA */

int main(void) {
#if !C8_HAVE_CUDA
    printf("SKIP: test_cuda_alloc: built without CUDA\n");
    return 77;
#else
    if (run_child(-1) == CHILD_NO_GPU) {
        printf("SKIP: test_cuda_alloc: no GPU\n");
        return 77;
    }
    return c8t_run_suite("reliability: CUDA allocation failures", k_cases,
                         (int)(sizeof k_cases / sizeof k_cases[0]));
#endif
}
