/* libFuzzer harness for the calibration sidecar reader: c8_calib_sidecar_read and c8_calib_check.
 * The entry point lives in fuzz/targets.c (shared with the replay test); run with
 * tools/fuzz.sh sidecar SECONDS. */
#include "fuzz/targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return c8_fuzz_sidecar(data, size); }
