# datasets/: image sources, decoding, preprocessing, the batch loader, progress, IDX conversion.
list(APPEND C8_SOURCES
  datasets/image.c
  datasets/preprocess.c
  datasets/source.c
  datasets/h5.c
  datasets/loader.c
  datasets/progress.c
  datasets/idx.c
)
# The IDX converter reads gzip through zlib (libpng links it too; this makes it explicit).
# The top-level CMakeLists.txt adds C8_EXTRA_LIBS to calib8_obj (PRIVATE) and C8_LINK_LIBS.
find_package(ZLIB REQUIRED)
list(APPEND C8_EXTRA_LIBS ZLIB::ZLIB)
