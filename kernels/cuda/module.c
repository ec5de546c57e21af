/* The entry point of the CUDA backend module (libcalib8_cuda.so; kernels/cuda/module.h).
 *
 * Why a module: linking cuBLAS(Lt) and cuDNN into every calib8 binary costs each process start
 * about 0.15 s of libcublasLt's static initialisation (measured 2026-12-07: `calib8 --version`
 * 0.15 s with, a few ms without), on machines that never touch a GPU too, and makes the binary
 * refuse to start where the CUDA libraries are not installed. The engine loads this module the
 * first time a CUDA backend is asked for (engine/backend.c). The module carries its own copy of
 * the core it calls (no global state, so a second copy is harmless) and exports this one
 * function (kernels/cuda/module.map). */
#include "kernels/cuda/module.h"

#include "calib8/config.h"

extern const c8_backend_vt c8_backend_cuda; /* kernels/cuda/backend_cuda.c */

__attribute__((visibility("default"))) void c8_cuda_module_info(c8_cuda_module_desc *d) {
    d->version = C8_VERSION_STRING;
    d->vt_size = sizeof(c8_backend_vt);
    d->vt = &c8_backend_cuda;
}
