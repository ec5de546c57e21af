/* libFuzzer harness for util/json.c's DOM parser: c8_json_parse.
 * The entry point lives in fuzz/targets.c (shared with the replay test); run with
 * tools/fuzz.sh json SECONDS. */
#include "fuzz/targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return c8_fuzz_json(data, size); }
