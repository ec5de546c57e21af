/* libFuzzer harness for the JPEG decoder (libjpeg-turbo): c8_image_decode and preprocessing.
 * The entry point lives in fuzz/targets.c (shared with the replay test); run with
 * tools/fuzz.sh jpeg SECONDS. */
#include "fuzz/targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return c8_fuzz_jpeg(data, size); }
