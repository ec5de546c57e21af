/* c8_tensor_read_onnx (engine.h): a serialized ONNX TensorProto file (the input_0.pb of ONNX's
 * test data) as a host tensor, through the importer's own tensor parser. */
#include "calib8/engine.h"

#include "engine/onnx/onnx_import.h"
#include "util/err.h"
#include "util/fileio.h"

#include <stdlib.h>
#include <string.h>

c8_status c8_tensor_read_onnx(const char *path, c8_host_tensor *out, c8_error *err) {
    memset(out, 0, sizeof *out);
    unsigned char *buf;
    size_t len;
    C8_TRY(c8_read_file(path, 0, &buf, &len, err));
    c8_const c;
    c8_status s = c8_onnx_parse_tensor(buf, len, path, &c, NULL, err);
    free(buf);
    if (s != C8_OK) return s;
    out->dtype = c.dtype;
    out->shape = c.shape;
    out->data = c.data; /* malloc'd by the parser, now the tensor's (c8_host_tensor_free) */
    return C8_OK;
}
