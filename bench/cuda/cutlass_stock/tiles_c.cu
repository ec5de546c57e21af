/* Stock CUTLASS tiles, part C, and the identity swizzle of calib8's own kernel for comparison. */
#include "stock.cuh"
void stock_tiles_c(std::vector<stock_tile> &out) {
    out.push_back(STOCK_TILE(128, 256, 64, 64, 64, 3, 4, 16));
    out.push_back(STOCK_TILE(128, 256, 128, 64, 64, 3, 4, 16));
    out.push_back(STOCK_TILE(128, 64, 64, 64, 32, 4, 1, 8));
}
