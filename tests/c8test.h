/* Shared test scaffolding for the CUnit suites: a runner that returns non-zero when any
 * assertion failed, skip reporting, fixture paths and a seeded RNG that prints its seed. */
#ifndef C8_TESTS_C8TEST_H
#define C8_TESTS_C8TEST_H

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Paths baked in by tests/CMakeLists.txt. */
#ifndef C8_SOURCE_DIR
#define C8_SOURCE_DIR "."
#endif
#ifndef C8_BINARY_DIR
#define C8_BINARY_DIR "."
#endif
/* ../shared beside the checkout: fixtures that may be absent (tests skip cleanly then). */
#define C8_SHARED_DIR C8_SOURCE_DIR "/../shared"

typedef struct c8_test_case {
    const char *name;
    void (*fn)(void);
} c8_test_case;

/* Skipping. A case that cannot run here (no GPU, a fixture, package or tool absent) calls
 * C8_SKIP("reason", ...): it prints one line "SKIP: <case>: <reason>" and returns. A suite in which
 * any case skipped and none failed exits C8T_SKIP_CODE, which CTest reports as skipped (never as
 * passed: SKIP_RETURN_CODE in tests/CMakeLists.txt); .ci/run lists the SKIP lines. */
#define C8T_SKIP_CODE 77

/* The number of skips so far in this process (one counter per translation unit: skip from the
 * suite's own file, or count through this from a helper compiled with it). */
static inline int *c8t_skips(void) {
    static int n;
    return &n;
}

/* Prints the skip line for a whole suite or a part of a case and counts it. */
static inline void c8t_skip_line(const char *where, const char *reason) {
    printf("\nSKIP: %s: %s\n", where, reason);
    fflush(stdout);
    (*c8t_skips())++;
}

#define C8_SKIP(...)                                                                               \
    do {                                                                                           \
        printf("\nSKIP: %s: ", __func__);                                                          \
        printf(__VA_ARGS__);                                                                       \
        printf("\n");                                                                              \
        fflush(stdout);                                                                            \
        (*c8t_skips())++;                                                                          \
        return;                                                                                    \
    } while (0)

/* An opt-in case (one that runs only when asked for, e.g. through an environment variable naming
 * a large model) that was not asked for: not a skip (the suite's default scope never includes
 * it), so it prints "NOT REQUESTED: <case>: <how to request it>" and returns without counting. */
#define C8_NOT_REQUESTED(...)                                                                      \
    do {                                                                                           \
        printf("\nNOT REQUESTED: %s: ", __func__);                                                 \
        printf(__VA_ARGS__);                                                                       \
        printf("\n");                                                                              \
        return;                                                                                    \
    } while (0)

/* Returns 1 if path exists (file or directory). */
static inline int c8t_exists(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f) {
        fclose(f);
        return 1;
    }
    return 0;
}

/* Deterministic RNG (splitmix64); tests print the seed they use on failure. */
typedef struct c8t_rng {
    uint64_t s;
} c8t_rng;
static inline uint64_t c8t_next(c8t_rng *r) {
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
/* Uniform in [lo, hi). */
static inline float c8t_uniform(c8t_rng *r, float lo, float hi) {
    return lo + (hi - lo) * (float)((c8t_next(r) >> 40) * (1.0 / 16777216.0));
}
static inline int c8t_randint(c8t_rng *r, int lo, int hi) { /* [lo, hi] */
    return lo + (int)(c8t_next(r) % (uint64_t)(hi - lo + 1));
}

/* Registers one suite with the given cases and runs everything; returns the process exit code:
 * 1 if any assertion failed (or nothing ran), C8T_SKIP_CODE if a case skipped, else 0. */
static inline int c8t_run_suite(const char *suite, const c8_test_case *cases, int n) {
    if (CU_initialize_registry() != CUE_SUCCESS) return 2;
    CU_pSuite s = CU_add_suite(suite, NULL, NULL);
    if (!s) return 2;
    for (int i = 0; i < n; i++)
        if (!CU_add_test(s, cases[i].name, cases[i].fn)) return 2;
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failures = CU_get_number_of_failures();
    unsigned run = CU_get_number_of_tests_run();
    CU_cleanup_registry();
    if (failures != 0 || run == 0) return 1;
    if (*c8t_skips() > 0) {
        printf("%s: %d skip(s), everything else passed: reported as skipped\n", suite,
               *c8t_skips());
        return C8T_SKIP_CODE;
    }
    return 0;
}

#define C8T_MAIN(suite, cases)                                                                     \
    int main(void) { return c8t_run_suite(suite, cases, (int)(sizeof(cases) / sizeof(cases[0]))); }

#endif
