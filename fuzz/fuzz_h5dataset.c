/* libFuzzer harness for the HDF5 dataset source: c8_dataset_open on an HDF5 file and reading rows.
 * The entry point lives in fuzz/targets.c (shared with the replay test); run with
 * tools/fuzz.sh h5dataset SECONDS. */
#include "fuzz/targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return c8_fuzz_h5dataset(data, size);
}
