/* libFuzzer harness for the dataset list-file parser: c8_dataset_open with a list (and class-names)
 * file. The entry point lives in fuzz/targets.c (shared with the replay test); run with
 * tools/fuzz.sh list SECONDS. */
#include "fuzz/targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return c8_fuzz_list(data, size); }
