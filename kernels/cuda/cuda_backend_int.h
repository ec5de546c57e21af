/* Internals of the CUDA backend shared by kernels/cuda/backend_cuda.c (the backend table,
 * contexts, memory, value layouts, the host fallback, graph capture, histograms) and the op
 * files cuda_conv.c (cuDNN convolutions), cuda_gemm.c (cuBLASLt), cuda_ops.c (own kernels) and
 * cuda_q8.c (INT8 kernels of kernels/cuda/int8/). Not a public header.
 *
 * Value storage. The executor plans one arena for every activation; the backend decides per
 * value how it is stored (cu_fmt) and tells the executor the bytes (vt->plan):
 *   - ONNX layout and dtype ("canonical"): graph inputs and outputs, constants, FP32 layers;
 *   - FP16 layers' float outputs: binary16, channels-last (NHWC) for the tensors that convolutions
 *     and pools exchange, ONNX layout otherwise;
 *   - INT8 tensors of rank >= 2: the INT8 kernels' NHWC32 layout (channels last, padded to 32
 *     with zeros), and so are the float / half outputs of INT8 convolutions and Gemms.
 * Each node says which formats it wants for its inputs and outputs (cu_want): statically at build
 * time (cu_static_wants, cuda_wants.c, vt->wants), where the placement pass inserts a Reformat
 * node for every difference from the stored format (engine/build/reformat.c), and again at
 * prepare, where the run wrapper checks that each operand arrives as wanted (an error
 * otherwise): the wrapper converts nothing, so an op implementation sees exactly what it asked
 * for and every conversion is a node of the plan. */
#ifndef C8_KERNELS_CUDA_CUDA_BACKEND_INT_H
#define C8_KERNELS_CUDA_CUDA_BACKEND_INT_H

#include "kernels/backend.h"
#include "ops/ir.h"
#include "kernels/cuda/cu_kernels.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/int8/int8_cuda.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- storage formats ---- */

typedef struct cu_fmt {
    int8_t type;  /* c8cu_type of the stored elements */
    int8_t cl;    /* channels-last: axis 1 stored innermost (rank >= 2) */
    int16_t cpad; /* with cl: the channel extent is padded to a multiple of cpad (1 or 32) */
} cu_fmt;

/* What a node wants for one operand: -1 fields accept what is stored. */
typedef struct cu_want {
    int8_t type;   /* c8cu_type or -1 */
    int8_t layout; /* -1 any, 0 ONNX layout, 1 channels-last */
    int16_t cpad;  /* with layout 1 */
} cu_want;

#define CU_WANT_ANY ((cu_want){-1, -1, 0})

/* The view type of a dtype in ONNX layout. */
int cu_canon_type(c8_dtype dt);
cu_fmt cu_canon(c8_dtype dt);
bool cu_fmt_eq(cu_fmt a, cu_fmt b);
/* The format an operand ends up in: the stored one adjusted by the want. */
cu_fmt cu_fmt_want(cu_fmt stored, cu_want w, int rank);
/* Bytes of a tensor of shape s stored as f. */
size_t cu_fmt_bytes(const c8_shape *s, cu_fmt f);
/* The view of a tensor of shape s stored as f at data. Rank-0 shapes give a rank-1 view of 1. */
c8cu_view cu_view(void *data, const c8_shape *s, cu_fmt f);

/* ---- engine and context state ---- */

/* Device copies of packed weights, shared by every context of an engine (created on first use
 * under the mutex, read-only afterwards, freed with the engine). key: the host data of the
 * constant (owned by the engine's graph) and the packing kind. */
typedef struct cu_wcache {
    const void *key;
    int kind;
    void *dev;
    size_t bytes;
    struct cu_wcache *next;
} cu_wcache;

typedef struct cu_engine {
    int device;
    int sm_count;
    pthread_mutex_t mu;
    cu_wcache *weights;
} cu_engine;

enum { CU_IMPL_NATIVE = 0, CU_IMPL_HOST = 1 };

#define CU_MAX_IO 16 /* operands handled by the wrapper without allocation */

typedef struct cu_ctx cu_ctx;
typedef struct cu_node cu_node;

/* An operand as an op implementation sees it. */
typedef struct cu_tensor {
    void *data;       /* device memory in format fmt (NULL: absent) */
    const void *host; /* constants: the host data of the specialized graph, else NULL */
    c8_dtype dtype;
    c8_shape shape;
    cu_fmt fmt;
    int v; /* value index in the specialized graph, -1 absent */
} cu_tensor;

typedef c8_status (*cu_run_fn)(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                               cu_tensor *in, cu_tensor *out, cu_tensor *res, c8_error *err);

/* Per node and specialization (vt->prepare's node_state). */
struct cu_node {
    int impl;        /* CU_IMPL_* */
    const char *why; /* CU_IMPL_HOST: the reason (static string) */
    cu_run_fn run;   /* NATIVE */
    int n_in, n_out;
    cu_want want_in[CU_MAX_IO], want_out[CU_MAX_IO], want_res;
    size_t ws_bytes; /* workspace the op needs in scratch */
    void *op;        /* op-specific state, freed with op_free */
    void (*op_free)(cu_ctx *c, void *op);
    bool lazy; /* the op still picks an algorithm on its first run (no capture before) */
};

typedef struct cu_plan {
    const c8_graph *g; /* the specialization the formats belong to (borrowed) */
    int n_vals;
    cu_fmt *fmt; /* per value */
} cu_plan;

struct cu_ctx {
    c8_backend_engine e; /* the engine's graph and layers (borrowed), tf32, engine state */
    cu_engine *eng;
    int device;
    int sm_count;
    cudaStream_t stream;
    cudnnHandle_t dnn;
    cublasLtHandle_t lt;
    c8_cuda_int8_ctx *i8; /* created on first use */
    /* pinned staging for uploads (a ring, reset at every sync) and downloads */
    unsigned char *pin;
    size_t pin_bytes, pin_used;
    /* scratch: the running node's workspace */
    unsigned char *scratch;
    size_t scratch_bytes;
    void *ws; /* the running node's workspace in the scratch (nd->ws_bytes), or NULL */
    size_t ws_bytes;
    /* a copy of an observed tensor in ONNX layout (vt->observe) */
    void *obs;
    size_t obs_bytes;
    /* histogram buffers: device header + counts, pinned host copy */
    void *hist_dev;
    void *hist_host;
    int64_t hist_nbins;
    /* the current specialization */
    cu_plan plan;
    int n_lazy_nodes;
    /* CUDA Graph capture of the whole forward */
    cudaGraphExec_t gexec;
    bool capturing;
    bool capture_failed; /* for this specialization: run node by node */
    int capture_tries;   /* broken captures of this specialization */
    int runs;            /* runs of this specialization so far */
    bool graphs_enabled; /* C8_CUDA_GRAPHS=0 turns capture off */
    /* while capturing: every node's run call, replayed node by node if the capture fails */
    struct cu_rec *rec;
    int n_rec, cap_rec;
    /* timing marks (calib8 bench) */
    cudaEvent_t marks[C8_BACKEND_MARKS];
    /* C8_CUDA_PROFILE=1: per-op time (synchronized around every node; no graph capture),
     * printed to stderr when the context is destroyed */
    bool profile;
    bool profile_nodes; /* C8_CUDA_PROFILE=2: also one line per node and run on stderr */
    double prof_ms[C8_OP_COUNT_];
    int64_t prof_n[C8_OP_COUNT_];
};

/* ---- helpers in backend_cuda.c ---- */

/* cudaMalloc for every device allocation of the backend. C8_CUDA_FAIL_ALLOC_AFTER=N in the
 * environment (reliability tests) lets N allocations of the process succeed and fails every
 * later one with cudaErrorMemoryAllocation, as cudaMalloc would. */
cudaError_t cu_malloc(void **p, size_t bytes);

/* Carves bytes (256-aligned) from the scratch at *off; the scratch was sized at prepare. */
void *cu_scratch(cu_ctx *c, size_t *off, size_t bytes);
/* Makes sure the scratch holds at least bytes (prepare time only). */
c8_status cu_scratch_reserve(cu_ctx *c, size_t bytes, c8_error *err);
/* y (format fy) = x (format fx), both shape s of dtype dt; zeroes padded channels of y. */
c8_status cu_convert(cu_ctx *c, void *y, cu_fmt fy, const void *x, cu_fmt fx, c8_dtype dt,
                     const c8_shape *s, c8_error *err);
/* Device copy of host weights packed by the caller, cached per engine when key is stable
 * (non-NULL), else allocated for the caller (*owned true: free with cudaFree). */
c8_status cu_weights(cu_ctx *c, const void *key, int kind, const void *host, size_t bytes,
                     void **dev, bool *owned, c8_error *err);
/* The INT8 kernel context of c (created on first use). */
c8_status cu_i8(cu_ctx *c, c8_cuda_int8_ctx **out, c8_error *err);
/* Whether value v's constant data belongs to the engine's graph (stable for its lifetime). */
bool cu_const_stable(const c8_graph *g, int v);

/* ---- op implementations: prepare fills nd (wants, workspace, run, op state) or sets
 * nd->impl = CU_IMPL_HOST with nd->why, which cu_prepare turns into an error (the placement
 * pass already put what the GPU cannot run on the host: cu_supports). ---- */
c8_status cu_prepare_conv(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                          const c8_layer *l, c8_error *err);
c8_status cu_prepare_convt(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                           const c8_layer *l, c8_error *err);
c8_status cu_prepare_gemm(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                          const c8_layer *l, c8_error *err);
c8_status cu_prepare_matmul(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                            const c8_layer *l, c8_error *err);
c8_status cu_prepare_misc(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                          const c8_layer *l, c8_error *err);
/* Nearest Resize on int8 data (an INT8 tensor kept int8 through it; cuda_q8.c): NULL when the GPU
 * takes node n (rank 4, the spatial axes only, constant parameters), else why not (static, as
 * the placement asks); and its prepare (NHWC32 in and out). */
const char *cu_resize8_refusal(const c8_graph *g, const c8_node *n);
c8_status cu_prepare_resize8(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                             c8_error *err);
c8_status cu_prepare_q8(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                        const c8_layer *l, c8_error *err);

/* Build-time kernel choice (vt->tune) for convolutions and INT8 layers. */
c8_status cu_tune_conv(cu_ctx *c, const c8_backend_engine *e, const c8_graph *g, const c8_node *n,
                       c8_layer *l, const c8_tune_options *opt, c8_error *err);
/* The batch bucket an INT8 layer is being tuned at: index of n (n == 0: the graph's batch is
 * fixed, one choice in the old "int8:<name>#<id>" form), and its batch size. */
typedef struct c8_q8_bucket {
    int index, n;
    int64_t batch;
} c8_q8_bucket;
c8_status cu_tune_q8(cu_ctx *c, const c8_backend_engine *e, const c8_graph *g, const c8_node *n,
                     c8_layer *l, const c8_tune_options *opt, const c8_q8_bucket *bk,
                     c8_error *err);

/* The formats node n's kernel takes its operands in, known at build time (cuda_wants.c; the
 * mirror of what the op files' prepare sets): in and out have CU_MAX_IO entries (operands past
 * that: CU_WANT_ANY), l is n's layer (NULL: none), out0_type the stored type of n's first
 * output (index maps work in it). */
void cu_static_wants(const c8_layer *l, const c8_graph *g, const c8_node *n, int8_t out0_type,
                     cu_want *in, cu_want *res, cu_want *out);

/* Whether FP16 computation applies to node n's layer (FP16 compute layer). */
static inline bool cu_layer_fp16(const c8_layer *l) {
    return l && l->precision == C8_LAYER_PREC_FP16 && l->role == C8_LAYER_COMPUTE;
}

/* Geometry of an ONNX sliding-window node (Conv, pools) with 1 or 2 spatial axes, lifted to 2-D
 * (a 1-D window has H = 1): from attributes and the input shape x (N, C, spatial...). */
typedef struct cu_win {
    int nsp;
    int64_t in_h, in_w, out_h, out_w;
    int64_t kh, kw, sh, sw, dh, dw;
    int64_t pt, pl, pb, pr;
} cu_win;
/* kernel: the kernel extents (from weights for convs, kernel_shape for pools). ceil_mode for
 * pools. C8_ERR_UNSUPPORTED for 3-D windows. */
c8_status cu_window(const c8_graph *g, const c8_node *n, const c8_shape *x, const int64_t *kernel,
                    bool ceil_mode, cu_win *w, c8_error *err);

#endif
