/* The op list (ops/ops.def) and the op table built from it: names unique and round-tripping
 * through the ONNX lookup, every named op but Constant (folded at import) with a definition
 * (check / infer / run) and every definition named, builder-made ops unreachable from ONNX, and
 * the capability columns consistent with what the builder and the CUDA backend do with them. */
#include "c8test.h"

#include "ops/ops.h"

static void test_names_and_definitions(void) {
    int named = 0;
    for (int v = 1; v < C8_OP_COUNT_; v++) {
        const c8_op op = (c8_op)v;
        const c8_op_info *in = c8_op_info_of(op);
        const bool has_name = strcmp(in->name, "Unknown") != 0;
        const c8_op_def *d = c8_op_lookup(op);
        if (!has_name) {
            /* a hole in the values (44..63 reserved for ONNX ops, 77..96 for work in flight) */
            CU_ASSERT_PTR_NULL(d);
            continue;
        }
        named++;
        CU_ASSERT_STRING_EQUAL(c8_op_name(op), in->name);
        if (op != C8_OP_CONSTANT) {
            if (!d) printf("\n  %s has no definition", in->name);
            CU_ASSERT_PTR_NOT_NULL(d);
        }
        if (d) CU_ASSERT_EQUAL(d->op, op);
        /* ONNX names map back; the builder's and passes' own ops are not ONNX ops */
        CU_ASSERT_EQUAL(c8_op_from_onnx(in->name), c8_op_is_onnx(op) ? op : C8_OP_UNKNOWN);
        for (int u = 1; u < v; u++)
            if (!strcmp(c8_op_info_of((c8_op)u)->name, in->name)) {
                printf("\n  %s listed twice", in->name);
                CU_FAIL("duplicate op name");
            }
    }
    /* ONNX, FusedConv, Q8*, F16Cast, HostCopy, Reformat, Q8MatMul, Q8Mul, the second ONNX block
     * (ops/math.c, logic.c, index.c) */
    CU_ASSERT_EQUAL(named, 43 + 1 + 10 + 1 + 1 + 1 + 1 + 1 + 14 + 10 + 8 + 2 + 1 + 1 + 4);
    CU_ASSERT_STRING_EQUAL(c8_op_name(C8_OP_UNKNOWN), "Unknown");
    CU_ASSERT_STRING_EQUAL(c8_op_name(C8_OP_COUNT_), "Unknown");
    CU_ASSERT_EQUAL(c8_op_from_onnx("NoSuchOp"), C8_OP_UNKNOWN);
}

static void test_capabilities(void) {
    /* what the builder lowers (engine/build/builder.c) */
    CU_ASSERT_EQUAL(c8_op_info_of(C8_OP_CONV)->int8, C8_I8_CONV);
    CU_ASSERT_EQUAL(c8_op_info_of(C8_OP_FUSED_CONV)->int8, C8_I8_CONV);
    CU_ASSERT_EQUAL(c8_op_info_of(C8_OP_MATMUL)->int8, C8_I8_GEMM);
    CU_ASSERT_EQUAL(c8_op_info_of(C8_OP_CLIP)->int8, C8_I8_UNARY);
    CU_ASSERT_EQUAL(c8_op_info_of(C8_OP_SIGMOID)->int8, C8_I8_NONE);
    CU_ASSERT_EQUAL(c8_op_info_of(C8_OP_MUL)->int8, C8_I8_MUL);
    CU_ASSERT_EQUAL(c8_op_info_of(C8_OP_Q8_MUL)->gpu, C8_GPU_Q8_MUL);
    for (int v = 1; v < C8_OP_COUNT_; v++) {
        const c8_op_info *in = c8_op_info_of((c8_op)v);
        /* data movement follows its input and is a device copy on the GPU */
        if (in->int8 == C8_I8_FOLLOW) CU_ASSERT_EQUAL(in->gpu, C8_GPU_COPY);
        /* only the builder's own ops are stored NHWC32, and never an ONNX op */
        if (in->gpu_layout == C8_GL_NHWC32) CU_ASSERT(!c8_op_is_onnx((c8_op)v));
        /* an INT8 role is an ONNX op (or FusedConv) the builder lowers, never a Q8 op */
        if (in->int8 != C8_I8_NONE) CU_ASSERT(c8_op_is_onnx((c8_op)v) || v == C8_OP_FUSED_CONV);
    }
    /* the placement's copies and Shape / Constant have no GPU implementation */
    CU_ASSERT_EQUAL(c8_op_info_of(C8_OP_HOST_COPY)->gpu, C8_GPU_NONE);
    CU_ASSERT_EQUAL(c8_op_info_of(C8_OP_SHAPE)->gpu, C8_GPU_NONE);
    /* the second ONNX block has no INT8 kernel (FP32); on the GPU its float elementwise math
     * runs on the elementwise kernels, six reductions on the reduction kernel, everything else
     * on the host */
    for (int v = C8_OP_REDUCE_MEAN; v < C8_OP_COUNT_; v++) {
        const bool ew = (v >= C8_OP_POW && v <= C8_OP_ERF) || v == C8_OP_GELU;
        const bool red = v >= C8_OP_REDUCE_MEAN && v <= C8_OP_REDUCE_L2;
        CU_ASSERT_EQUAL(c8_op_info_of((c8_op)v)->gpu, ew    ? C8_GPU_EW
                                                      : red ? C8_GPU_REDUCE
                                                            : C8_GPU_NONE);
        CU_ASSERT_EQUAL(c8_op_info_of((c8_op)v)->int8, C8_I8_NONE);
    }
    CU_ASSERT_EQUAL(c8_op_info_of(C8_OP_CONSTANT)->gpu, C8_GPU_NONE);
    /* the placement's storage conversions run on the device they convert for */
    CU_ASSERT_EQUAL(c8_op_info_of(C8_OP_REFORMAT)->gpu, C8_GPU_REFORMAT);
    CU_ASSERT_EQUAL(c8_op_info_of(C8_OP_REFORMAT)->int8, C8_I8_NONE);
    /* the INT8 MatMul of two activations has no GPU kernel: host in a CUDA plan */
    CU_ASSERT_EQUAL(c8_op_info_of(C8_OP_Q8_MATMUL)->gpu, C8_GPU_NONE);
}

static const c8_test_case cases[] = {
    {"names_and_definitions", test_names_and_definitions},
    {"capabilities", test_capabilities},
};
C8T_MAIN("op_table", cases)
