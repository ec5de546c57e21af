# kernels/cuda/: CUDA backend sources (only with C8_HAVE_CUDA)
list(APPEND C8_CUDA_SOURCES
)
