/* libFuzzer harness for the .npy reader: c8_npy_parse.
 * The entry point lives in fuzz/targets.c (shared with the replay test); run with
 * tools/fuzz.sh npy SECONDS. */
#include "fuzz/targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return c8_fuzz_npy(data, size); }
