/* libFuzzer harness for the ONNX loader: c8_model_load on the bytes, then an FP32/FP16/INT8 build
 * and a run on small inputs. The entry point lives in fuzz/targets.c (shared with the replay test);
 * run with tools/fuzz.sh onnx SECONDS. */
#include "fuzz/targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return c8_fuzz_onnx(data, size); }
