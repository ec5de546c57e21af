/* The algorithm-id -> CUTLASS entry table (kernels/cuda/int8/cutlass/conv_cutlass.h). Compiled in
 * every CUDA build; without CUTLASS (config.h: C8_HAVE_CUTLASS 0) it holds no entry and every
 * CUTLASS algorithm reports "built without CUTLASS". */
#include "calib8/config.h"
#include "kernels/cuda/int8/cutlass/conv_cutlass.h"

#if C8_HAVE_CUTLASS
C8I_CUTLASS_SM80_TILES(C8I_CUTLASS_SM80_DECLARE)
#define C8I_IF(ALGO, BM, BN, BK, WM, WN, ST, EPI)                                                  \
    if (algo == ALGO) return &c8i_cutlass_entry_##ALGO;
#if C8_HAVE_CUTLASS_SM90
C8I_CUTLASS_SM90_TILES(C8I_CUTLASS_SM90_DECLARE)
#define C8I_IF90(ALGO, BM, BN, BK)                                                                 \
    if (algo == ALGO) return &c8i_cutlass_entry_##ALGO;
#endif
#endif

const c8i_cutlass_entry *c8i_cutlass_find(int32_t algo, const char **why) {
#if C8_HAVE_CUTLASS
    C8I_CUTLASS_SM80_TILES(C8I_IF)
#if C8_HAVE_CUTLASS_SM90
    C8I_CUTLASS_SM90_TILES(C8I_IF90)
#endif
#endif
    if (why)
        *why = C8_HAVE_CUTLASS ? "not a CUTLASS algorithm"
                               : "calib8 was built without CUTLASS (tools/install-deps.sh, "
                                 "C8_CUTLASS_DIR)";
    return nullptr;
}
