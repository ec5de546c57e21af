/* libFuzzer harness for the PNG decoder (libpng): c8_image_decode and preprocessing.
 * The entry point lives in fuzz/targets.c (shared with the replay test); run with
 * tools/fuzz.sh png SECONDS. */
#include "fuzz/targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return c8_fuzz_png(data, size); }
