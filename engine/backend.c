/* Backend registry: the one place that knows which backends this build has. */
#include "engine/engine_internal.h"
#include "kernels/backend.h"

#include "calib8/config.h"
#include "util/err.h"

#include <string.h>

#if C8_HAVE_CUDA
extern const c8_backend_vt c8_backend_cuda;
#endif
#if C8_HAVE_DNNL
extern const c8_backend_vt c8_backend_cpu_dnnl; /* kernels/cpu/dnnl_backend.c */
#endif

const c8_backend_vt *c8_backend_get(c8_device device, c8_error *err) {
    switch (device) {
    case C8_DEVICE_CPU:
#if C8_HAVE_DNNL
        return &c8_backend_cpu_dnnl;
#else
        return &c8_backend_cpu;
#endif
    case C8_DEVICE_CPU_REF: return &c8_backend_cpu;
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

bool c8_device_cpu_fast(void) { return C8_HAVE_DNNL != 0; }

const char *c8_device_name(c8_device d) {
    switch (d) {
    case C8_DEVICE_CPU: return "cpu";
    case C8_DEVICE_CUDA: return "cuda";
    case C8_DEVICE_CPU_REF: return "cpu-ref";
    }
    return "?";
}

bool c8_device_parse(const char *s, c8_device *d) {
    static const c8_device all[] = {C8_DEVICE_CPU, C8_DEVICE_CUDA, C8_DEVICE_CPU_REF};
    for (size_t i = 0; s && i < sizeof all / sizeof all[0]; i++)
        if (!strcmp(s, c8_device_name(all[i]))) {
            *d = all[i];
            return true;
        }
    return false;
}
