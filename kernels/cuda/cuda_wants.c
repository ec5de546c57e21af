/* The static operand formats of the CUDA backend's kernels (vt->wants): what each op family takes
 * its inputs, residual and outputs in, answered at build time without a GPU, from the op, the
 * layer's precision, dtypes and which operands are constants. The placement pass
 * (engine/build/reformat.c) inserts a Reformat node wherever a value is stored otherwise, so the
 * run wrapper (backend_cuda.c) converts nothing.
 *
 * This is the mirror of the wants each op file's prepare sets (cuda_conv.c prepare_common,
 * cuda_gemm.c finish, cuda_ops.c, cuda_q8.c); cu_prepare checks that every operand of the
 * placed graph arrives as prepare asked, so a drift between the two is an error naming the node
 * and operand, never a silent conversion. Where prepare's choice depends on extents (a
 * convolution's residual: in the output's layout only when the fused cuDNN call may run, any
 * layout otherwise), the static want is the strictest choice, which satisfies each of them.
 * Tests: tests/engine/test_place.c (the placed conversions), tests/kernels/cuda/ (on a GPU). */
#include "kernels/cuda/cuda_backend_int.h"

#include "calib8/quant.h"
#include "ops/ops.h"

#include <string.h>

#define W_F32_ONNX ((cu_want){C8CU_F32, 0, 1})
#define W_NHWC32 ((cu_want){C8CU_I8, 1, C8_CUDA_INT8_CALIGN})

static int8_t q8_out_type(int64_t out) {
    return out == C8_QOUT_FLOAT ? C8CU_F32 : out == C8_QOUT_FLOAT16 ? C8CU_F16 : C8CU_I8;
}

static bool const_input(const c8_graph *g, const c8_node *n, int k) {
    const c8_value *v = c8_node_input(g, n, k);
    return v && v->kind == C8_VAL_CONST;
}

void cu_static_wants(const c8_layer *l, const c8_graph *g, const c8_node *n, int8_t out0_type,
                     cu_want *in, cu_want *res, cu_want *out) {
    const int n_in = n->n_in < CU_MAX_IO ? n->n_in : CU_MAX_IO;
    const int n_out = n->n_out < CU_MAX_IO ? n->n_out : CU_MAX_IO;
    for (int k = 0; k < CU_MAX_IO; k++) in[k] = out[k] = CU_WANT_ANY;
    *res = CU_WANT_ANY;
    const bool fp16 = cu_layer_fp16(l);
    /* FP16 layers read their float activations as binary16 (as the CPU rounds them) */
    const cu_want f16_any = fp16 ? (cu_want){C8CU_F16, -1, 0} : CU_WANT_ANY;
    const c8_value *x = c8_node_input(g, n, 0);
    switch (c8_op_info_of(n->op)->gpu) { /* the GPU column of ops/ops.def */
    case C8_GPU_CONV:
    case C8_GPU_CONVT: {
        /* x and y in the layer's compute format; the residual too (the fused call's need) */
        const cu_want io = fp16 ? (cu_want){C8CU_F16, 1, 1} : W_F32_ONNX;
        in[0] = out[0] = *res = io;
        break;
    }
    case C8_GPU_GEMM:
    case C8_GPU_MATMUL: {
        const cu_want w = fp16 ? (cu_want){C8CU_F16, 0, 1} : W_F32_ONNX;
        in[0] = w;
        if (n_in > 1) in[1] = const_input(g, n, 1) ? CU_WANT_ANY : w;
        out[0] = w;
        *res = fp16 ? (cu_want){C8CU_F16, -1, 0} : CU_WANT_ANY;
        /* C: a (broadcast) ONNX-layout view; FP16 layers round an activation C first */
        if (n_in > 2 && c8_node_input(g, n, 2))
            in[2] = (cu_want){(int8_t)(fp16 && !const_input(g, n, 2) ? C8CU_F16 : -1), 0, 1};
        break;
    }
    case C8_GPU_EW:
        for (int k = 0; k < n_in; k++)
            if (c8_node_input(g, n, k) && !const_input(g, n, k)) in[k] = f16_any;
        if (n->op == C8_OP_CLIP)
            for (int k = 1; k < n_in; k++) in[k] = CU_WANT_ANY;
        break;
    case C8_GPU_BN:
        in[0] = f16_any;
        for (int k = 1; k < 5 && k < n_in; k++) in[k] = W_F32_ONNX;
        break;
    case C8_GPU_POOL:
    case C8_GPU_GPOOL: in[0] = f16_any; break;
    case C8_GPU_SOFTMAX: /* float32 in ONNX layout (FP16 layers: rounded on the way out) */
    case C8_GPU_LRN:
        in[0] = W_F32_ONNX;
        out[0] = W_F32_ONNX;
        break;
    case C8_GPU_COPY: {
        const bool is_float = x && x->dtype == C8_DT_FLOAT;
        if (n->op == C8_OP_CONCAT) {
            for (int k = 0; is_float && k < n_in; k++) in[k] = f16_any;
        } else if (n->op == C8_OP_TRANSPOSE) {
            if (is_float) in[0] = f16_any;
        } else {
            if (is_float) in[0] = f16_any;
            if (n_out > 0) out[0] = (cu_want){-1, 0, 1};
        }
        break;
    }
    case C8_GPU_MAP:
        if (x && x->dtype == C8_DT_INT8) { /* an int8 Resize: NHWC32 (cu_prepare_resize8) */
            in[0] = out[0] = W_NHWC32;
            break;
        }
        /* input and outputs in ONNX layout, in the outputs' storage type */
        in[0] = (cu_want){out0_type, 0, 1};
        for (int k = 0; k < n_out; k++) out[k] = (cu_want){out0_type, 0, 1};
        break;
    case C8_GPU_Q8_QUANTIZE:
        if (n->op == C8_OP_Q8_QUANTIZE) {
            in[0] = W_F32_ONNX;
            out[0] = W_NHWC32;
        } else if (n->op == C8_OP_Q8_DEQUANTIZE) {
            in[0] = W_NHWC32;
            out[0] = W_F32_ONNX;
        } else {
            in[0] = out[0] = W_NHWC32;
        }
        break;
    case C8_GPU_Q8_CONV:
        in[0] = W_NHWC32;
        if (n->op == C8_OP_Q8_CONV && n_in > 4) in[4] = W_NHWC32;
        *res = W_NHWC32;
        out[0] =
            (cu_want){q8_out_type(c8_node_attr_i(n, "out", C8_QOUT_INT8)), 1, C8_CUDA_INT8_CALIGN};
        break;
    case C8_GPU_Q8_POOL: in[0] = out[0] = W_NHWC32; break;
    case C8_GPU_Q8_ADD:
        in[0] = W_NHWC32;
        if (n_in > 1) in[1] = W_NHWC32;
        out[0] =
            (cu_want){q8_out_type(c8_node_attr_i(n, "out", C8_QOUT_INT8)), 1, C8_CUDA_INT8_CALIGN};
        break;
    case C8_GPU_Q8_MUL: /* the factor: float32, ONNX layout (a constant: uploaded at prepare) */
        in[0] = out[0] = W_NHWC32;
        if (n_in > 1 && !const_input(g, n, 1)) in[1] = W_F32_ONNX;
        break;
    case C8_GPU_Q8_CONCAT:
        for (int k = 0; k < n_in; k++) in[k] = W_NHWC32;
        out[0] = W_NHWC32;
        break;
    default: break; /* F16Cast, Reformat: as stored */
    }
}
