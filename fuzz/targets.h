/* The fuzz targets' entry points, shared by the libFuzzer harnesses (fuzz/fuzz_<name>.c, built
 * with clang and -fsanitize=fuzzer when C8_BUILD_FUZZERS=ON) and by the plain-C replay test
 * (tests/reliability/test_fuzz_replay.c), which feeds every file under fuzz/regressions/ and
 * fuzz/corpus/ through the same functions on every CI run. Documentation: docs/reliability.md.
 *
 * Each entry takes arbitrary bytes, runs one parser on them (through a scratch file where the
 * public API takes a path) and returns 0. Errors are expected results; crashes, sanitizer
 * reports, leaks and broken invariants (c8_fuzz_fail) are the bugs. */
#ifndef C8_FUZZ_TARGETS_H
#define C8_FUZZ_TARGETS_H

#include <stddef.h>
#include <stdint.h>

typedef int (*c8_fuzz_fn)(const uint8_t *data, size_t size);

typedef struct c8_fuzz_target {
    const char *name; /* fuzz/corpus/<name>/, fuzz/regressions/<name>/, fuzz_<name> */
    c8_fuzz_fn fn;
} c8_fuzz_target;

int c8_fuzz_onnx(const uint8_t *data, size_t size);      /* c8_model_load (+ build, run) */
int c8_fuzz_cache(const uint8_t *data, size_t size);     /* c8_calib_cache_parse, round trip */
int c8_fuzz_sidecar(const uint8_t *data, size_t size);   /* c8_calib_sidecar_read */
int c8_fuzz_json(const uint8_t *data, size_t size);      /* c8_json_parse */
int c8_fuzz_plan(const uint8_t *data, size_t size);      /* c8_engine_load (+ run) */
int c8_fuzz_histfile(const uint8_t *data, size_t size);  /* c8_calib_histfile_load */
int c8_fuzz_png(const uint8_t *data, size_t size);       /* c8_image_decode */
int c8_fuzz_jpeg(const uint8_t *data, size_t size);      /* c8_image_decode */
int c8_fuzz_list(const uint8_t *data, size_t size);      /* c8_dataset_open with a list file */
int c8_fuzz_npy(const uint8_t *data, size_t size);       /* c8_npy_parse */
int c8_fuzz_h5dataset(const uint8_t *data, size_t size); /* c8_dataset_open on an HDF5 file */

/* Every target, in the order above; c8_fuzz_ntargets entries. */
extern const c8_fuzz_target c8_fuzz_targets[];
extern const int c8_fuzz_ntargets;

/* Called when a target finds a broken invariant (a round trip that changes the data, a result
 * outside its documented range). The default prints the message and aborts, which libFuzzer
 * records as a crash; the replay test installs a handler that counts the failure instead. */
extern void (*c8_fuzz_fail)(const char *target, const char *what);

#endif
