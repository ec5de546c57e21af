/* Backend registry: the one place that knows which backends this build has. */
#include "engine/engine_internal.h"
#include "kernels/backend.h"

#include "calib8/config.h"
#include "util/err.h"

#if C8_HAVE_CUDA
extern const c8_backend_vt c8_backend_cuda;
#endif

const c8_backend_vt *c8_backend_get(c8_device device, c8_error *err) {
    switch (device) {
    case C8_DEVICE_CPU: return &c8_backend_cpu;
    case C8_DEVICE_CUDA:
#if C8_HAVE_CUDA
        return &c8_backend_cuda;
#else
        c8_err(err, C8_ERR_UNSUPPORTED,
               "this calib8 was built without CUDA (configure with -DC8_CUDA=ON on a machine with "
               "the CUDA toolkit and cuDNN)");
        return NULL;
#endif
    }
    c8_err(err, C8_ERR_INVALID, "unknown device %d", (int)device);
    return NULL;
}
