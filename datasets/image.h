/* Internal image helpers beside the public c8_image API (include/calib8/dataset.h): PNG encoding
 * to memory (for c8_image_write_png, the IDX converter and the tests). */
#ifndef C8_DATASETS_IMAGE_H
#define C8_DATASETS_IMAGE_H

#include "calib8/dataset.h"

#include <stddef.h>

/* Upper bound on an image file's size that the decoders will read (512 MiB). */
#define C8_IMAGE_MAX_FILE_BYTES ((size_t)512 << 20)

/* Encodes img (c = 1 or 3) as an 8-bit, non-interlaced PNG with zlib level `level` (0..9) into a
 * malloc'd buffer (*buf, caller frees). `name` names the image in messages. */
c8_status c8_png_encode(const c8_image *img, int level, const char *name, unsigned char **buf,
                        size_t *len, c8_error *err);

/* True if buf starts with the PNG or the JPEG signature. */
int c8_image_is_png(const void *buf, size_t len);
int c8_image_is_jpeg(const void *buf, size_t len);

#endif
