/* libFuzzer harness for the TensorRT calibration cache reader: c8_calib_cache_parse and its format
 * round trip. The entry point lives in fuzz/targets.c (shared with the replay test); run with
 * tools/fuzz.sh cache SECONDS. */
#include "fuzz/targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return c8_fuzz_cache(data, size); }
