/* The CUDA backend module's one exported symbol (kernels/cuda/module.c), as engine/backend.c
 * looks it up with dlsym. Internal. The version and the table's size guard against loading a
 * module built from another calib8: the table is passed by pointer, so both sides must agree on
 * its layout. */
#ifndef C8_KERNELS_CUDA_MODULE_H
#define C8_KERNELS_CUDA_MODULE_H

#include "kernels/backend.h"

#include <stddef.h>

typedef struct c8_cuda_module_desc {
    const char *version;     /* C8_VERSION_STRING of the module's build */
    size_t vt_size;          /* sizeof(c8_backend_vt) there */
    const c8_backend_vt *vt; /* the CUDA backend */
} c8_cuda_module_desc;

#define C8_CUDA_MODULE_SYMBOL "c8_cuda_module_info"
#define C8_CUDA_MODULE_FILE "libcalib8_cuda.so"

typedef void (*c8_cuda_module_info_fn)(c8_cuda_module_desc *d);

#endif
