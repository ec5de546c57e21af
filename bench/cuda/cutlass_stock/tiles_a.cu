/* Stock CUTLASS tiles, part A (one file per few tiles so that they compile in parallel). */
#include "stock.cuh"
void stock_tiles_a(std::vector<stock_tile> &out) {
    out.push_back(STOCK_TILE(128, 128, 64, 64, 64, 3, 4, 16));
    out.push_back(STOCK_TILE(128, 128, 128, 64, 64, 3, 4, 16));
    out.push_back(STOCK_TILE(128, 64, 64, 64, 32, 4, 4, 8));
}
