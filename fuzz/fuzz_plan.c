/* libFuzzer harness for the plan reader: c8_engine_load (header checksum fixed up), save/load
 * idempotence, a run. The entry point lives in fuzz/targets.c (shared with the replay test); run
 * with tools/fuzz.sh plan SECONDS. */
#include "fuzz/targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return c8_fuzz_plan(data, size); }
