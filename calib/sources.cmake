# calib/: histograms, threshold algorithms, TensorRT caches, sidecars, HDF5 histogram files.
list(APPEND C8_SOURCES
  calib/hist.c
  calib/algos.c
  calib/strmap.c
  calib/cache.c
  calib/sidecar.c
  calib/histfile.c
  calib/calibrate.c
)
