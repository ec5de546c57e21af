/* Checked calls into the CUDA runtime, cuBLAS / cuBLASLt and cuDNN: one macro per library. Each
 * records the failing expression (#expr), the file and line and the library's own error name and
 * text into a c8_error (code C8_ERR_DEVICE), e.g.
 *   "kernels/cuda/int8/dispatch.cu:212: cudaMalloc(&p, bytes) failed: cudaErrorMemoryAllocation
 *    (out of memory)".
 *
 * Two forms per library:
 *   C8_CUDA_CHECK(err, expr)   an expression: C8_OK or C8_ERR_DEVICE (for cleanup paths: goto)
 *   C8_CUDA_TRY(err, expr)     returns C8_ERR_DEVICE from the enclosing function on failure
 * and likewise C8_CUBLAS_CHECK / C8_CUBLAS_TRY (cublasStatus_t: cuBLAS and cuBLASLt share it) and
 * C8_CUDNN_CHECK / C8_CUDNN_TRY. C8_CUDA_LAUNCH_TRY(err) checks the launch just made
 * (cudaGetLastError) and names the kernel launch site.
 *
 * Includers need the CUDA toolkit's and cuDNN's include directories (CUDNN_INCLUDE_DIR); the
 * top-level CMakeLists.txt gives them to every target that compiles CUDA code. Usable from C and
 * CUDA C++. Internal header: never included by include/calib8/. */
#ifndef C8_KERNELS_CUDA_CUDA_CHECK_H
#define C8_KERNELS_CUDA_CUDA_CHECK_H

#include "calib8/status.h"
#ifdef __cplusplus
extern "C" { /* util/err.h has no C++ guards of its own */
#endif
#include "util/err.h"
#ifdef __cplusplus
}
#endif

#include <cublasLt.h>
#include <cublas_api.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

static inline c8_status c8_cuda_status_(cudaError_t e, const char *expr, const char *file, int line,
                                        c8_error *err) {
    if (e == cudaSuccess) return C8_OK;
    return c8_err(err, C8_ERR_DEVICE, "%s:%d: %s failed: %s (%s)", file, line, expr,
                  cudaGetErrorName(e), cudaGetErrorString(e));
}

static inline c8_status c8_cublas_status_(cublasStatus_t e, const char *expr, const char *file,
                                          int line, c8_error *err) {
    if (e == CUBLAS_STATUS_SUCCESS) return C8_OK;
    return c8_err(err, C8_ERR_DEVICE, "%s:%d: %s failed: %s (%s)", file, line, expr,
                  cublasGetStatusName(e), cublasGetStatusString(e));
}

static inline c8_status c8_cudnn_status_(cudnnStatus_t e, const char *expr, const char *file,
                                         int line, c8_error *err) {
    if (e == CUDNN_STATUS_SUCCESS) return C8_OK;
    return c8_err(err, C8_ERR_DEVICE, "%s:%d: %s failed: %s (status %d)", file, line, expr,
                  cudnnGetErrorString(e), (int)e);
}

#define C8_CUDA_CHECK(err, expr) c8_cuda_status_((expr), #expr, __FILE__, __LINE__, (err))
#define C8_CUBLAS_CHECK(err, expr) c8_cublas_status_((expr), #expr, __FILE__, __LINE__, (err))
#define C8_CUDNN_CHECK(err, expr) c8_cudnn_status_((expr), #expr, __FILE__, __LINE__, (err))

#define C8_CUDA_TRY(err, expr)                                                                     \
    do {                                                                                           \
        c8_status c8_cuda_s_ = C8_CUDA_CHECK(err, expr);                                           \
        if (c8_cuda_s_ != C8_OK) return c8_cuda_s_;                                                \
    } while (0)
#define C8_CUBLAS_TRY(err, expr)                                                                   \
    do {                                                                                           \
        c8_status c8_cublas_s_ = C8_CUBLAS_CHECK(err, expr);                                       \
        if (c8_cublas_s_ != C8_OK) return c8_cublas_s_;                                            \
    } while (0)
#define C8_CUDNN_TRY(err, expr)                                                                    \
    do {                                                                                           \
        c8_status c8_cudnn_s_ = C8_CUDNN_CHECK(err, expr);                                         \
        if (c8_cudnn_s_ != C8_OK) return c8_cudnn_s_;                                              \
    } while (0)

/* After a kernel launch (<<<...>>>): the launch configuration error, if any. */
#define C8_CUDA_LAUNCH_TRY(err) C8_CUDA_TRY(err, cudaGetLastError())

#endif
