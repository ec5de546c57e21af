/* calib8 element types and host tensors, shared by every public header. */
#ifndef CALIB8_TENSOR_H
#define CALIB8_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define C8_MAX_RANK 8

/* Element types, numbered as ONNX's TensorProto.DataType so values pass through unchanged. */
typedef enum c8_dtype {
    C8_DT_UNDEFINED = 0,
    C8_DT_FLOAT = 1,
    C8_DT_UINT8 = 2,
    C8_DT_INT8 = 3,
    C8_DT_UINT16 = 4,
    C8_DT_INT16 = 5,
    C8_DT_INT32 = 6,
    C8_DT_INT64 = 7,
    C8_DT_STRING = 8,
    C8_DT_BOOL = 9,
    C8_DT_FLOAT16 = 10,
    C8_DT_DOUBLE = 11,
    C8_DT_UINT32 = 12,
    C8_DT_UINT64 = 13
} c8_dtype;

/* Bytes per element, 0 for types calib8 cannot hold (string, undefined). */
size_t c8_dtype_size(c8_dtype t);
/* "float32", "int64", ...; never NULL. */
const char *c8_dtype_name(c8_dtype t);

/* A tensor shape; a negative extent means "not known until run time" (a dynamic dimension). */
typedef struct c8_shape {
    int rank;
    int64_t d[C8_MAX_RANK];
} c8_shape;

/* Number of elements, or -1 if any extent is unknown or the product overflows int64. */
int64_t c8_shape_numel(const c8_shape *s);
/* Writes "1x3x224x224" (with '?' for unknown extents, "scalar" for rank 0) into buf. */
const char *c8_shape_str(const c8_shape *s, char *buf, size_t len);

/* A tensor in host memory, as passed to and returned from engines. The struct never owns
 * data unless the function that fills it says so. */
typedef struct c8_host_tensor {
    const char *name;
    c8_dtype dtype;
    c8_shape shape;
    void *data; /* C order, dtype elements */
} c8_host_tensor;

#ifdef __cplusplus
}
#endif
#endif
