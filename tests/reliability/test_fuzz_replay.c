/* Replays every file under fuzz/regressions/<target>/ (inputs that once crashed a fuzzer, kept
 * after their fix) and fuzz/corpus/<target>/ (the committed seeds) through the fuzz targets'
 * own entry points (fuzz/targets.c), in plain C without libFuzzer, so CI re-checks them on every
 * run and under ASan+UBSan. A crash or sanitizer report fails the test by ending the process; a
 * broken invariant (c8_fuzz_fail) is counted and reported with the file's name. */
#include "c8test.h"
#include "fuzz/targets.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int g_failures;
static const char *g_current;

static void count_failure(const char *target, const char *what) {
    printf("\n  FAIL %s on %s: %s\n", target, g_current ? g_current : "?", what);
    g_failures++;
}

static unsigned char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    unsigned char *b = malloc(cap);
    while (b) {
        size_t r = fread(b + n, 1, cap - n, f);
        n += r;
        if (n < cap) break;
        unsigned char *nb = realloc(b, cap * 2);
        if (!nb) {
            free(b);
            b = NULL;
            break;
        }
        b = nb;
        cap *= 2;
    }
    fclose(f);
    *len = n;
    return b;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs fn on every regular file in dir (sorted, so failures are reproducible); returns the
 * count, -1 when the folder is missing. */
static int replay_dir(const char *dir, const c8_fuzz_target *t) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            names = realloc(names, cap * sizeof *names);
            CU_ASSERT_PTR_NOT_NULL_FATAL(names);
        }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, cmp_str);
    int done = 0;
    for (size_t i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
        size_t len = 0;
        unsigned char *buf = slurp(path, &len);
        CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
        g_current = path;
        fflush(stdout);
        t->fn(buf, len);
        g_current = NULL;
        free(buf);
        done++;
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    return done;
}

static void replay(const char *kind) {
    c8_fuzz_fail = count_failure;
    g_failures = 0;
    int total = 0;
    for (int i = 0; i < c8_fuzz_ntargets; i++) {
        char dir[512];
        snprintf(dir, sizeof dir, "%s/fuzz/%s/%s", C8_SOURCE_DIR, kind, c8_fuzz_targets[i].name);
        int n = replay_dir(dir, &c8_fuzz_targets[i]);
        printf("\n  %s/%s: %d input(s)", kind, c8_fuzz_targets[i].name, n < 0 ? 0 : n);
        if (n > 0) total += n;
    }
    printf("\n  %d input(s) replayed, %d invariant failure(s)\n", total, g_failures);
    CU_ASSERT_EQUAL(g_failures, 0);
}

static void test_regressions(void) { replay("regressions"); }

static void test_corpus(void) {
    replay("corpus");
    /* the committed corpus exists for every target (a missing folder means a broken checkout) */
    for (int i = 0; i < c8_fuzz_ntargets; i++) {
        char dir[512];
        snprintf(dir, sizeof dir, "%s/fuzz/corpus/%s", C8_SOURCE_DIR, c8_fuzz_targets[i].name);
        DIR *d = opendir(dir);
        CU_ASSERT_PTR_NOT_NULL(d);
        if (d) closedir(d);
    }
}

/* Short fixed inputs every target must survive: empty, one byte, a truncated header. */
static void test_trivial_inputs(void) {
    c8_fuzz_fail = count_failure;
    g_failures = 0;
    static const unsigned char junk[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\xff\xd8\xff\xe0"
                                        "C8PLAN\r\n\x01\0\0\0\x48\0\0\0\x93NUMPY\x01\0{";
    g_current = "<built-in>";
    for (int i = 0; i < c8_fuzz_ntargets; i++) {
        c8_fuzz_targets[i].fn(junk, 0);
        c8_fuzz_targets[i].fn(junk, 1);
        for (size_t k = 2; k < sizeof junk; k += 7) c8_fuzz_targets[i].fn(junk, k);
        c8_fuzz_targets[i].fn(junk + 8, sizeof junk - 8);
    }
    g_current = NULL;
    CU_ASSERT_EQUAL(g_failures, 0);
}

static const c8_test_case k_cases[] = {
    {"regressions", test_regressions},
    {"corpus", test_corpus},
    {"trivial inputs", test_trivial_inputs},
};

C8T_MAIN("reliability: fuzz replay", k_cases)
