/* Stock CUTLASS tiles, part B. */
#include "stock.cuh"
void stock_tiles_b(std::vector<stock_tile> &out) {
    out.push_back(STOCK_TILE(256, 128, 64, 64, 64, 3, 4, 16));
    out.push_back(STOCK_TILE(256, 128, 128, 64, 64, 3, 4, 16));
}
