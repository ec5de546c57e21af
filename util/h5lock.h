/* One process-wide lock for libhdf5, which Debian builds without thread safety: every module
 * that calls HDF5 (datasets/h5.c, calib/histfile.c, reports/dump.c) holds it around its calls,
 * so a loader thread reading an HDF5 dataset never runs HDF5 code at the same time as the main
 * thread writing a histogram file or a tensor dump. Not recursive: take it in the outermost
 * function only. (No HDF5 types here; the lock itself is a plain pthread mutex.) */
#ifndef C8_UTIL_H5LOCK_H
#define C8_UTIL_H5LOCK_H

void c8_h5_lock(void);
void c8_h5_unlock(void);

#endif
