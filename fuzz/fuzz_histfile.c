/* libFuzzer harness for the HDF5 histogram-file reader: c8_calib_histfile_load and thresholds from
 * it. The entry point lives in fuzz/targets.c (shared with the replay test); run with tools/fuzz.sh
 * histfile SECONDS. */
#include "fuzz/targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return c8_fuzz_histfile(data, size);
}
