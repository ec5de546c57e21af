# util/: errors, files, hashing, .npy, JSON (internal helpers shared by every module).
list(APPEND C8_SOURCES
  util/err.c
  util/fileio.c
  util/sha256.c
  util/npy.c
  util/json.c
  util/bytes.c
  util/public.c
  util/h5lock.c
  util/h5util.c
  util/shape.c
)
