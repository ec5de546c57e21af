/* HDF5 access for the datasets module: image sources and the IDX converter's writer. Every HDF5
 * call is checked through one macro (H5CHK in h5.c) and serialised by a module-wide mutex, so
 * the loader thread and the caller never enter HDF5 at the same time through this module. */
#ifndef C8_DATASETS_H5_H
#define C8_DATASETS_H5_H

#include "calib8/status.h"
#include "datasets/preprocess.h"

#include <stddef.h>
#include <stdint.h>

typedef struct c8_h5src c8_h5src;

/* Opens path and its image dataset `images` ((N,H,W,C) or (N,H,W) 8-bit unsigned, or
 * (N,C,H,W) or (N,H,W) float), and, when present, `labels` ((N) or (N,1) integers). With
 * labels_required a missing label dataset is an error. *labels is malloc'd (N int64) or NULL when
 * there are none; *n receives N. */
c8_status c8_h5src_open(const char *path, const char *images, const char *labels,
                        int labels_required, c8_h5src **out, int64_t *n, int64_t **labels_out,
                        c8_error *err);
/* Reads row i into *buf (grown as needed, caller frees) and describes it in *src. */
c8_status c8_h5src_read(c8_h5src *s, int64_t i, void **buf, size_t *cap, c8_src_image *src,
                        c8_error *err);
void c8_h5src_close(c8_h5src *s);

/* Writes /images (n, h, w, c) uint8 and /labels (n) int64 to path (temporary file, fsync,
 * rename). */
c8_status c8_h5_write_images(const char *path, const uint8_t *images, int64_t n, int64_t h,
                             int64_t w, int64_t c, const int64_t *labels, c8_error *err);

#endif
