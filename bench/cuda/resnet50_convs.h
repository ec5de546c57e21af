/* ResNet-50's convolutions as the GPU benchmarks time them (bench_int8_conv.c, and without conv1
 * bench_cutlass_stock.cu): one list, C and C++. */
#ifndef C8_BENCH_CUDA_RESNET50_CONVS_H
#define C8_BENCH_CUDA_RESNET50_CONVS_H

typedef struct layer {
    const char *name;
    int c, h, k, r, stride, pad;
    int count;    /* how often the shape occurs in ResNet-50 */
    int residual; /* the epilogue adds the block's residual (the expanding 1x1 of a block) */
} layer;

/* ResNet-50 v1.5 (stride in the 3x3 of each stage's first block); H is the input size. The
 * stage-1 downsample (1x1 64->256, stride 1) has the shape of the block's expanding 1x1 and is
 * counted with it (4), timed with the residual. */
static const layer kLayers[] = {
    {"conv1 7x7/2", 3, 224, 64, 7, 2, 3, 1, 0},
    {"s1 1x1 64->64", 64, 56, 64, 1, 1, 0, 1, 0},
    {"s1 3x3 64->64", 64, 56, 64, 3, 1, 1, 3, 0},
    {"s1 1x1 64->256", 64, 56, 256, 1, 1, 0, 4, 1},
    {"s1 1x1 256->64", 256, 56, 64, 1, 1, 0, 2, 0},
    {"s2 1x1 256->128", 256, 56, 128, 1, 1, 0, 1, 0},
    {"s2 3x3/2 128", 128, 56, 128, 3, 2, 1, 1, 0},
    {"s2 3x3 128->128", 128, 28, 128, 3, 1, 1, 3, 0},
    {"s2 1x1 128->512", 128, 28, 512, 1, 1, 0, 4, 1},
    {"s2 1x1 512->128", 512, 28, 128, 1, 1, 0, 3, 0},
    {"s2 ds 1x1/2 256->512", 256, 56, 512, 1, 2, 0, 1, 0},
    {"s3 1x1 512->256", 512, 28, 256, 1, 1, 0, 1, 0},
    {"s3 3x3/2 256", 256, 28, 256, 3, 2, 1, 1, 0},
    {"s3 3x3 256->256", 256, 14, 256, 3, 1, 1, 5, 0},
    {"s3 1x1 256->1024", 256, 14, 1024, 1, 1, 0, 6, 1},
    {"s3 1x1 1024->256", 1024, 14, 256, 1, 1, 0, 5, 0},
    {"s3 ds 1x1/2 512->1024", 512, 28, 1024, 1, 2, 0, 1, 0},
    {"s4 1x1 1024->512", 1024, 14, 512, 1, 1, 0, 1, 0},
    {"s4 3x3/2 512", 512, 14, 512, 3, 2, 1, 1, 0},
    {"s4 3x3 512->512", 512, 7, 512, 3, 1, 1, 2, 0},
    {"s4 1x1 512->2048", 512, 7, 2048, 1, 1, 0, 3, 1},
    {"s4 1x1 2048->512", 2048, 7, 512, 1, 1, 0, 2, 0},
    {"s4 ds 1x1/2 1024->2048", 1024, 14, 2048, 1, 2, 0, 1, 0},
};
#define N_LAYERS ((int)(sizeof kLayers / sizeof kLayers[0]))

#endif
