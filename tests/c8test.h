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

/* Prints a skip line (CTest shows it with --output-on-failure / -V) and counts it. */
#define C8_SKIP(...)                                                                               \
    do {                                                                                           \
        printf("\n  SKIP %s: ", __func__);                                                         \
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
 * 0 only if every assertion passed. */
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
    return (failures == 0 && run > 0) ? 0 : 1;
}

#define C8T_MAIN(suite, cases)                                                                     \
    int main(void) { return c8t_run_suite(suite, cases, (int)(sizeof(cases) / sizeof(cases[0]))); }

#endif
