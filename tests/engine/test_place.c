/* The placement pass (engine/build/place.c) without a GPU: a fake device backend (the CPU
 * kernels behind device-style memory, a support table that refuses MaxPool and Flatten) places
 * the bundled CNN; the test checks the decisions and reasons, the inserted HostCopy nodes (one
 * download per device value a host segment reads, one upload per host value the device reads,
 * none between two host nodes), --strict's refusal naming the nodes, that the executor's placed
 * segments compute bit-identical outputs to the CPU engine, the plan round trip of the
 * placement, and `calib8 inspect --plan --json` / `--strict` on that plan. */
#include "c8test.h"

#include "calib8/config.h"
#include "calib8/engine.h"
#include "engine/build/place.h"
#include "engine/engine_internal.h"
#include "engine/exec/exec.h"
#include "engine/model_internal.h"
#include "kit/graph.h"
#include "util/err.h"
#include "util/fileio.h"
#include "util/sha256.h"
#include "util/json.h"

#include <sys/wait.h>

#define MODEL C8_SOURCE_DIR "/models/fmnist_cnn.onnx"
#define OUT C8_BINARY_DIR "/test_place_"

/* ---- the fake device: host memory behind the device interface, no MaxPool / Flatten ---- */

static c8_status fake_alloc(void *ctx, size_t bytes, void **ptr, c8_error *err) {
    (void)ctx;
    *ptr = calloc(1, bytes ? bytes : 1);
    return *ptr ? C8_OK : c8_err(err, C8_ERR_NOMEM, "out of memory");
}

static void fake_free(void *ctx, void *ptr) {
    (void)ctx;
    free(ptr);
}

static int n_copies_down, n_copies_up;

static c8_status fake_upload(void *ctx, void *dst, const void *src, size_t bytes, c8_error *err) {
    (void)ctx;
    (void)err;
    n_copies_up++;
    if (bytes) memcpy(dst, src, bytes);
    return C8_OK;
}

static c8_status fake_download(void *ctx, void *dst, const void *src, size_t bytes, c8_error *err) {
    (void)ctx;
    (void)err;
    n_copies_down++;
    if (bytes) memcpy(dst, src, bytes);
    return C8_OK;
}

static bool fake_supports(const c8_graph *g, const c8_node *n, const c8_layer *l,
                          const char **why) {
    (void)g;
    (void)l;
    if (n->op == C8_OP_MAXPOOL || n->op == C8_OP_FLATTEN) {
        *why = "fake device: no kernel for this op";
        return false;
    }
    return true;
}

static int n_device_runs;

static int n_device_segments;

/* Device segments: the CPU kernels, nodes counted; a host-placed node or a copy here would be a
 * placement bug. */
static c8_status fake_run_segment(void *ctx, const c8_segment *seg, c8_error *err) {
    n_device_segments++;
    for (int i = seg->first; i < seg->first + seg->count; i++) {
        const c8_node *n = &seg->g->nodes[i];
        CU_ASSERT(n->op != C8_OP_MAXPOOL && n->op != C8_OP_FLATTEN && n->op != C8_OP_HOST_COPY);
        n_device_runs++;
    }
    return c8_backend_cpu.run_segment(ctx, seg, err);
}

static c8_status fake_sync(void *ctx, c8_error *err) {
    (void)ctx;
    (void)err;
    return C8_OK;
}

static c8_backend_vt fake_vt(void) {
    c8_backend_vt vt;
    memset(&vt, 0, sizeof vt);
    vt.name = "fake";
    vt.host_memory = false;
    vt.alloc = fake_alloc;
    vt.free = fake_free;
    vt.upload = fake_upload;
    vt.download = fake_download;
    vt.supports = fake_supports;
    vt.run_segment = fake_run_segment;
    vt.sync = fake_sync;
    return vt;
}

/* ---- helpers ---- */

/* An FP32 engine of MODEL on the CPU device dev. */
static c8_engine *build_on(c8_device dev) {
    c8_error err = {0};
    c8_model *m = NULL;
    if (c8_model_load(MODEL, NULL, &m, &err) != C8_OK) {
        printf("\n  %s", err.msg);
        return NULL;
    }
    c8_build_options o;
    c8_build_options_init(&o);
    o.device = dev;
    c8_engine *e = NULL;
    CU_ASSERT_EQUAL(c8_engine_build(m, &o, &e, &err), C8_OK);
    c8_model_destroy(m);
    return e;
}

/* The reference CPU device: every layer's kernel is "ref", which the placement pass replaces with
 * a device backend's name (the fake device below). */
static c8_engine *build_cpu(void) { return build_on(C8_DEVICE_CPU_REF); }

/* A batch of 3 deterministic images. */
typedef struct batch {
    float data[3 * 28 * 28];
    c8_host_tensor t;
} batch;

static void make_batch(const c8_engine *e, batch *b) {
    c8t_rng r = {1234};
    for (size_t i = 0; i < sizeof b->data / sizeof b->data[0]; i++)
        b->data[i] = c8t_uniform(&r, 0.0f, 1.0f);
    const char *name;
    c8_dtype dt;
    c8_shape s;
    c8_engine_input(e, 0, &name, &dt, &s);
    s.d[0] = 3;
    b->t = (c8_host_tensor){name, dt, s, b->data};
}

/* Output 0 of e on b through executor backend vt, copied (malloc'd). */
static float *run_with(const c8_engine *e, const c8_backend_vt *vt, const batch *b, size_t *n) {
    c8_error err = {0};
    c8_exec *x = NULL;
    float *copy = NULL;
    CU_ASSERT_EQUAL_FATAL(c8_exec_create(e, vt, NULL, &x, &err), C8_OK);
    /* twice: the second run of a specialization moves only activations (the constants went
     * up with the first); the counters describe the second */
    c8_status s = c8_exec_run(x, &b->t, 1, &err);
    n_copies_down = n_copies_up = n_device_runs = n_device_segments = 0;
    if (s == C8_OK) s = c8_exec_run(x, &b->t, 1, &err);
    if (s != C8_OK) printf("\n  run: %s", err.msg);
    CU_ASSERT_EQUAL(s, C8_OK);
    c8_host_tensor o;
    if (s == C8_OK && c8_exec_output(x, 0, &o, &err) == C8_OK) {
        *n = (size_t)c8_shape_numel(&o.shape);
        copy = malloc(*n * sizeof(float));
        memcpy(copy, o.data, *n * sizeof(float));
    }
    c8_exec_destroy(x);
    return copy;
}

static const c8_layer *layer_of(const c8_engine *e, const char *node, int *index) {
    for (int i = 0; i < e->g->n_nodes; i++)
        if (!strcmp(e->g->nodes[i].name, node)) {
            if (index) *index = i;
            return &e->layers[e->g->nodes[i].layer];
        }
    return NULL;
}

/* ---- tests ---- */

/* Both CPU devices place every node on the CPU; the reference runs every node with "ref", the
 * fast device (where built with oneDNN) names its oneDNN kernels ("dnnl:...") for the
 * convolutions and Gemms, its own kernels for MaxPool, Relu and BatchNormalization ("cpu:maxpool",
 * "cpu:relu", "cpu:batchnorm") and "ref" for the rest. */
static void test_cpu_placement(void) {
    c8_device devs[2] = {C8_DEVICE_CPU_REF, C8_DEVICE_CPU};
    for (int d = 0; d < 2; d++) {
        c8_engine *e = build_on(devs[d]);
        CU_ASSERT_PTR_NOT_NULL_FATAL(e);
        CU_ASSERT_EQUAL(c8_engine_num_host_nodes(e), 0);
        bool fast = devs[d] == C8_DEVICE_CPU && c8_device_cpu_fast();
        int dnnl = 0;
        for (int i = 0; i < c8_engine_num_nodes(e); i++) {
            c8_node_placement p;
            c8_engine_node_placement(e, i, &p);
            CU_ASSERT_STRING_EQUAL(p.device, "cpu");
            bool is_dnnl = !strncmp(p.kernel, "dnnl:", 5);
            dnnl += is_dnnl;
            bool conv_or_gemm =
                !strcmp(p.op, "FusedConv") || !strcmp(p.op, "Conv") || !strcmp(p.op, "Gemm");
            const char *own = !strcmp(p.op, "MaxPool")              ? "cpu:maxpool"
                              : !strcmp(p.op, "Relu")               ? "cpu:relu"
                              : !strcmp(p.op, "BatchNormalization") ? "cpu:batchnorm"
                                                                    : NULL;
            if (fast && conv_or_gemm) {
                CU_ASSERT(is_dnnl);
            } else if (fast && own) {
                CU_ASSERT_STRING_EQUAL(p.kernel, own);
            } else {
                CU_ASSERT_STRING_EQUAL(p.kernel, "ref");
            }
            CU_ASSERT_STRING_EQUAL(p.reason, "");
            CU_ASSERT_PTR_NOT_NULL(strstr(p.layout, "float32"));
            CU_ASSERT_STRING_NOT_EQUAL(p.role, "copy");
        }
        if (fast) CU_ASSERT(dnnl > 0);
        c8_error err = {0};
        CU_ASSERT_EQUAL(c8_engine_check_no_host(e, "--strict", &err), C8_OK);
        c8_engine_destroy(e);
    }
}

static void test_fake_device_placement(void) {
    c8_engine *ref = build_cpu(), *e = build_cpu();
    CU_ASSERT_PTR_NOT_NULL_FATAL(ref);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    const int before = e->g->n_nodes;
    c8_backend_vt vt = fake_vt();
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_place(e, &vt, &err), C8_OK);
    /* decisions: the pools and the flatten on the host, with the support table's reason */
    const char *host_nodes[] = {"/pool1/MaxPool", "/pool2/MaxPool", "/flatten/Flatten"};
    for (int k = 0; k < 3; k++) {
        const c8_layer *l = layer_of(e, host_nodes[k], NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(l);
        CU_ASSERT_EQUAL(l->place, C8_PLACE_HOST);
        CU_ASSERT_STRING_EQUAL(l->place_reason, "fake device: no kernel for this op");
    }
    CU_ASSERT_EQUAL(c8_engine_num_host_nodes(e), 3);
    /* copies: conv2 -> [download] pool1 [upload] -> conv3 -> [download] pool2 -> flatten
     * (host to host: flatten reads pool2's host output; pool2's output still goes up, for
     * observers) [upload] -> fc1 */
    int downs = 0, ups = 0;
    for (int i = 0; i < e->g->n_nodes; i++) {
        const c8_node *n = &e->g->nodes[i];
        const c8_layer *l = &e->layers[n->layer];
        if (n->op != C8_OP_HOST_COPY) {
            if (l->place == C8_PLACE_DEVICE) CU_ASSERT_STRING_EQUAL(l->kernel, "fake");
            continue;
        }
        CU_ASSERT_EQUAL(l->role, C8_LAYER_COPY);
        const char *dir = c8_node_attr_s(n, "direction", "");
        if (!strcmp(dir, "download")) {
            downs++;
            CU_ASSERT_EQUAL(l->place, C8_PLACE_HOST);
            /* its consumer is a host node */
            const int y = n->out[0];
            for (int j = 0; j < e->g->n_nodes; j++)
                for (int k = 0; k < e->g->nodes[j].n_in; k++)
                    if (e->g->nodes[j].in[k] == y)
                        CU_ASSERT_EQUAL(e->layers[e->g->nodes[j].layer].place, C8_PLACE_HOST);
        } else {
            ups++;
            CU_ASSERT_EQUAL(l->place, C8_PLACE_DEVICE);
            CU_ASSERT_STRING_EQUAL(dir, "upload");
        }
    }
    CU_ASSERT_EQUAL(downs, 2);
    CU_ASSERT_EQUAL(ups, 3);
    CU_ASSERT_EQUAL(e->g->n_nodes, before + 5);
    /* the flatten reads pool2's host output directly */
    int fi = -1;
    layer_of(e, "/flatten/Flatten", &fi);
    CU_ASSERT_FATAL(fi >= 0);
    const c8_value *fin = &e->g->vals[e->g->nodes[fi].in[0]];
    CU_ASSERT_EQUAL(e->layers[e->g->nodes[fin->producer].layer].place, C8_PLACE_HOST);
    CU_ASSERT_NOT_EQUAL(e->g->nodes[fin->producer].op, C8_OP_HOST_COPY);
    /* --strict names every host node and its reason */
    c8_status s = c8_engine_check_no_host(e, "--strict", &err);
    CU_ASSERT_EQUAL(s, C8_ERR_UNSUPPORTED);
    for (int k = 0; k < 3; k++) CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, host_nodes[k]));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "fake device: no kernel for this op"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "3 node(s)"));
    /* placed segments on the fake device compute what the CPU engine computes, bit for bit */
    batch b;
    make_batch(ref, &b);
    size_t n1 = 0, n2 = 0;
    float *y1 = run_with(ref, &c8_backend_cpu, &b, &n1);
    float *y2 = run_with(e, &vt, &b, &n2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(y1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(y2);
    CU_ASSERT_EQUAL(n1, n2);
    CU_ASSERT(n1 == n2 && memcmp(y1, y2, n1 * sizeof(float)) == 0);
    CU_ASSERT_EQUAL(n_device_runs, before - 3);
    /* three device segments: the first two convolutions, the third, the two Gemms */
    CU_ASSERT_EQUAL(n_device_segments, 3);
    /* two downloads between segments and one for the graph output; input + three uploads */
    CU_ASSERT_EQUAL(n_copies_down, 3);
    CU_ASSERT_EQUAL(n_copies_up, 4);
    free(y1);
    free(y2);
    c8_engine_destroy(ref);
    c8_engine_destroy(e);
}

/* ---- observers: every tensor once, under its own name, with the same values ---- */

typedef struct seen {
    char names[64][128];
    uint64_t sums[64];
    int n;
} seen;

static c8_status record(void *user, const char *name, const c8_host_tensor *t, c8_error *err) {
    (void)err;
    seen *sn = user;
    uint64_t h = 1469598103934665603ull;
    size_t bytes = (size_t)c8_shape_numel(&t->shape) * c8_dtype_size(t->dtype);
    for (size_t i = 0; i < bytes; i++)
        h = (h ^ ((const unsigned char *)t->data)[i]) * 1099511628211ull;
    if (sn->n < 64) {
        snprintf(sn->names[sn->n], sizeof sn->names[0], "%s", name);
        sn->sums[sn->n++] = h;
    }
    return C8_OK;
}

static void observe_with(const c8_engine *e, const c8_backend_vt *vt, const batch *b, seen *sn) {
    c8_error err = {0};
    c8_exec *x = NULL;
    memset(sn, 0, sizeof *sn);
    CU_ASSERT_EQUAL_FATAL(c8_exec_create(e, vt, NULL, &x, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_exec_set_observer(x, record, sn, NULL, 0, false, &err), C8_OK);
    c8_status s = c8_exec_run(x, &b->t, 1, &err);
    if (s != C8_OK) printf("\n  observed run: %s", err.msg);
    CU_ASSERT_EQUAL(s, C8_OK);
    c8_exec_destroy(x);
}

static void test_observers(void) {
    c8_engine *ref = build_cpu(), *e = build_cpu();
    CU_ASSERT_PTR_NOT_NULL_FATAL(ref);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    c8_backend_vt vt = fake_vt();
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_place(e, &vt, &err), C8_OK);
    batch b;
    make_batch(ref, &b);
    seen *a = calloc(1, sizeof *a), *c = calloc(1, sizeof *c);
    observe_with(ref, &c8_backend_cpu, &b, a);
    observe_with(e, &vt, &b, c);
    CU_ASSERT_EQUAL(a->n, c->n);
    for (int i = 0; i < a->n; i++) {
        int hit = -1;
        for (int j = 0; j < c->n; j++)
            if (!strcmp(a->names[i], c->names[j])) hit = hit < 0 ? j : -2;
        if (hit < 0) printf("\n  '%s' observed %s", a->names[i], hit == -1 ? "never" : "twice");
        CU_ASSERT_FATAL(hit >= 0);
        CU_ASSERT_EQUAL(a->sums[i], c->sums[hit]);
    }
    free(a);
    free(c);
    c8_engine_destroy(ref);
    c8_engine_destroy(e);
}

static void test_forced_host(void) {
    c8_engine *e = build_cpu();
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    c8_backend_vt vt = fake_vt();
    c8_error err = {0};
    setenv("C8_CUDA_HOST_OPS", "Gemm", 1);
    c8_status s = c8_place(e, &vt, &err);
    unsetenv("C8_CUDA_HOST_OPS");
    CU_ASSERT_EQUAL_FATAL(s, C8_OK);
    int gemms = 0;
    for (int i = 0; i < e->g->n_nodes; i++) {
        const c8_node *n = &e->g->nodes[i];
        if (n->op != C8_OP_GEMM) continue;
        gemms++;
        CU_ASSERT_EQUAL(e->layers[n->layer].place, C8_PLACE_HOST);
        CU_ASSERT_STRING_EQUAL(e->layers[n->layer].place_reason, "forced by C8_CUDA_HOST_OPS");
    }
    CU_ASSERT_EQUAL(gemms, 2);
    CU_ASSERT_EQUAL(c8_engine_num_host_nodes(e), 5); /* 2 Gemm + 2 MaxPool + Flatten */
    c8_engine_destroy(e);
}

static int run_cli(const char *args, const char *out) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s/calib8 %s > %s 2>&1", C8_BINARY_DIR, args, out);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ---- a CUDA plan's storage conversions, placed without a GPU ---- */

#if C8_HAVE_CUDA
/* The CUDA backend's build-time half (supports, layouts, wants) is static: no device needed. */
extern const c8_backend_vt c8_backend_cuda;

static bool every_scale(void *user, const char *name, float *scale) {
    (void)user;
    (void)name;
    *scale = 0.05f;
    return true;
}

static c8_model *fmnist_model(void) {
    c8_error err = {0};
    c8_model *m = NULL;
    if (c8_model_load(MODEL, NULL, &m, &err) != C8_OK) printf("\n  %s", err.msg);
    return m;
}

/* x (N, 3, 6, 6) -> Conv (8 filters 3x3, pads 1, bias) -> Softmax over the channels: a
 * convolution feeding an op that takes only ONNX layout in float32. */
static c8_model *conv_softmax_model(void) {
    c8_error err = {0};
    c8_graph *g = pu_graph(13);
    c8t_rng r = {99};
    int x = pu_input(g, "x", PU_SHAPE(-1, 3, 6, 6));
    int w = pu_const(g, "w", PU_SHAPE(8, 3, 3, 3), &r, -0.5f, 0.5f);
    int b = pu_const(g, "b", PU_SHAPE(8), &r, -0.1f, 0.1f);
    int y = PU_OP(g, "conv", "Conv", "y", x, w, b);
    PU_INTS(g, pu_last_node(g), "pads", 1, 1, 1, 1);
    int sm = PU_OP(g, "softmax", "Softmax", "s", y);
    pu_attr_i(g, pu_last_node(g), "axis", 1);
    pu_output(g, sm);
    c8_model *m = NULL;
    if (c8_model_from_graph(g, true, &m, &err) != C8_OK) printf("\n  %s", err.msg);
    return m;
}

/* Device segments of a plan the CUDA placement made: any op but a copy, on the CPU kernels (a
 * Reformat is the identity on values there). */
static c8_status any_run_segment(void *ctx, const c8_segment *seg, c8_error *err) {
    for (int i = seg->first; i < seg->first + seg->count; i++)
        CU_ASSERT(seg->g->nodes[i].op != C8_OP_HOST_COPY);
    return c8_backend_cpu.run_segment(ctx, seg, err);
}

/* x (3, 3, 6, 6) -> Conv (8 filters) -> Concat on the channels with a constant (3, 2, 6, 6): a
 * constant operand that an FP16 layer takes as binary16. */
static c8_model *conv_concat_const_model(void) {
    c8_error err = {0};
    c8_graph *g = pu_graph(13);
    c8t_rng r = {98};
    int x = pu_input(g, "x", PU_SHAPE(3, 3, 6, 6));
    int w = pu_const(g, "w", PU_SHAPE(8, 3, 3, 3), &r, -0.5f, 0.5f);
    int y = PU_OP(g, "conv", "Conv", "y", x, w);
    PU_INTS(g, pu_last_node(g), "pads", 1, 1, 1, 1);
    int c = pu_const(g, "c", PU_SHAPE(3, 2, 6, 6), &r, -1.0f, 1.0f);
    int cat = PU_OP(g, "concat", "Concat", "cat", y, c);
    pu_attr_i(g, pu_last_node(g), "axis", 1);
    pu_output(g, cat);
    c8_model *m = NULL;
    if (c8_model_from_graph(g, true, &m, &err) != C8_OK) printf("\n  %s", err.msg);
    return m;
}

/* A squeeze-excitation gate and an upsampling between two convolutions (the PP-OCRv4 detector's
 * neck): x (N, 8, 6, 6) -> Conv -> c; GlobalAveragePool -> Sigmoid -> gate; Mul(c, gate) ->
 * Resize x2 (nearest, asymmetric, floor) -> Conv -> y. */
static c8_model *se_resize_model(void) {
    c8_error err = {0};
    c8_graph *g = pu_graph(13);
    c8t_rng r = {97};
    int x = pu_input(g, "x", PU_SHAPE(-1, 8, 6, 6));
    int w = pu_const(g, "w", PU_SHAPE(8, 8, 3, 3), &r, -0.5f, 0.5f);
    int c = PU_OP(g, "conv", "Conv", "c", x, w);
    PU_INTS(g, pu_last_node(g), "pads", 1, 1, 1, 1);
    int p = PU_OP(g, "gap", "GlobalAveragePool", "p", c);
    int gate = PU_OP(g, "sig", "Sigmoid", "gate", p);
    int m = PU_OP(g, "mul", "Mul", "m", c, gate);
    const float sc[4] = {1, 1, 2, 2};
    int scv = pu_const_vals(g, "scales", PU_SHAPE(4), C8_DT_FLOAT, sc);
    int u = pu_op(g, "resize", "Resize", (int[]){m, -1, scv}, 3, "u");
    pu_attr_s(g, pu_last_node(g), "mode", "nearest");
    pu_attr_s(g, pu_last_node(g), "coordinate_transformation_mode", "asymmetric");
    pu_attr_s(g, pu_last_node(g), "nearest_mode", "floor");
    int w2 = pu_const(g, "w2", PU_SHAPE(4, 8, 1, 1), &r, -0.5f, 0.5f);
    int y = PU_OP(g, "conv2", "Conv", "y", u, w2);
    pu_output(g, y);
    c8_model *md = NULL;
    if (c8_model_from_graph(g, true, &md, &err) != C8_OK) printf("\n  %s", err.msg);
    return md;
}

static c8_engine *build_prec(c8_model *(*model)(void), c8_precision p) {
    c8_error err = {0};
    c8_model *m = model();
    if (!m) return NULL;
    c8_build_options o;
    c8_build_options_init(&o);
    o.precision = p;
    c8_scale_source src = {every_scale, NULL, NULL};
    if (p == C8_PREC_INT8) o.scales = &src;
    c8_engine *e = NULL;
    c8_status s = c8_engine_build(m, &o, &e, &err);
    if (s != C8_OK) printf("\n  build: %s", err.msg);
    CU_ASSERT_EQUAL(s, C8_OK);
    c8_model_destroy(m);
    return e;
}

/* The placed node sequence, one line per node: the op, and for a Reformat its conversion
 * ("from -> to", from its layer's reason) and side. */
static void node_sequence(const c8_engine *e, char *buf, size_t n) {
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < e->g->n_nodes && used < n; i++) {
        const c8_node *nd = &e->g->nodes[i];
        const c8_layer *l = &e->layers[nd->layer];
        int w;
        if (nd->op == C8_OP_REFORMAT) {
            const char *r = l->reason, *cut = strstr(r, " for '");
            if (!cut) cut = strstr(r, " from '");
            w = snprintf(buf + used, n - used, "Reformat %.*s (%s)\n", (int)(cut ? cut - r : 0), r,
                         c8_node_attr_s(nd, "side", "?"));
        } else {
            w = snprintf(buf + used, n - used, "%s\n", c8_op_name(nd->op));
        }
        if (w < 0) break;
        used += (size_t)w;
    }
}

/* e placed as a CUDA plan: the sequence must be `want`; run through the fake device (a Reformat
 * is the identity on values there) it computes bit for bit what the CPU plan computes, and its
 * observers see the same tensors. */
static void check_cuda_placement(c8_model *(*model)(void), c8_precision p, const char *want) {
    c8_engine *ref = build_prec(model, p), *e = build_prec(model, p);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ref);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    c8_error err = {0};
    c8_status s = c8_place(e, &c8_backend_cuda, &err);
    if (s != C8_OK) printf("\n  place: %s", err.msg);
    CU_ASSERT_EQUAL_FATAL(s, C8_OK);
    char got[4096];
    node_sequence(e, got, sizeof got);
    if (strcmp(got, want) != 0)
        printf("\n  %s plan, placed:\n%s  expected:\n%s", c8_precision_name(p), got, want);
    CU_ASSERT_STRING_EQUAL(got, want);
    /* every conversion has its layer: role reformat, on the GPU, kernel cuda, its layout */
    for (int i = 0; i < e->g->n_nodes; i++) {
        const c8_node *nd = &e->g->nodes[i];
        if (nd->op != C8_OP_REFORMAT) continue;
        const c8_layer *l = &e->layers[nd->layer];
        CU_ASSERT_EQUAL(l->role, C8_LAYER_REFORMAT);
        CU_ASSERT_EQUAL(l->place, C8_PLACE_DEVICE);
        CU_ASSERT_STRING_EQUAL(l->kernel, "cuda");
        CU_ASSERT_STRING_EQUAL(l->op, "Reformat");
    }
    c8_backend_vt vt = fake_vt();
    vt.run_segment = any_run_segment;
    batch b;
    make_batch(ref, &b);
    size_t n1 = 0, n2 = 0;
    float *y1 = run_with(ref, &c8_backend_cpu, &b, &n1);
    float *y2 = run_with(e, &vt, &b, &n2);
    CU_ASSERT_FATAL(y1 && y2 && n1 == n2);
    CU_ASSERT(memcmp(y1, y2, n1 * sizeof(float)) == 0);
    free(y1);
    free(y2);
    seen *a = calloc(1, sizeof *a), *c = calloc(1, sizeof *c);
    observe_with(ref, &c8_backend_cpu, &b, a);
    observe_with(e, &vt, &b, c);
    CU_ASSERT_EQUAL(a->n, c->n);
    for (int i = 0; i < a->n && i < c->n; i++) CU_ASSERT_STRING_EQUAL(a->names[i], c->names[i]);
    free(a);
    free(c);
    c8_engine_destroy(ref);
    c8_engine_destroy(e);
}
#endif

/* The conversions are part of the plan: they come back from the file, and `calib8 inspect
 * --plan` lists them with their from / to layouts (text and JSON). */
#if C8_HAVE_CUDA
/* Turns a plan of this build (format 4) of an engine without preprocessing or profiles into the
 * format-2 plan an older calib8 wrote for it: the 8 bytes format 4 appends (an empty string and
 * a profile count of 0, engine/plan.c) dropped, the payload's length and SHA-256 in the header
 * redone, the format set to 2. 0 on success. */
static int rewrite_as_format2(const char *plan) {
    unsigned char *buf = NULL;
    size_t len = 0;
    c8_error err = {0};
    if (c8_read_file(plan, (size_t)1 << 26, &buf, &len, &err) != C8_OK || len < 72 + 8) return -1;
    static const unsigned char tail[8] = {0};
    if (memcmp(buf + len - 8, tail, 8) != 0) { /* not the empty format-4 additions */
        free(buf);
        return -1;
    }
    len -= 8;
    const uint64_t n = (uint64_t)(len - 72);
    buf[8] = 2, buf[9] = buf[10] = buf[11] = 0; /* u32 format after the 8-byte magic */
    for (int i = 0; i < 8; i++) buf[32 + i] = (unsigned char)(n >> (8 * i)); /* u64 payload bytes */
    c8_sha256 h;
    c8_sha256_init(&h);
    c8_sha256_update(&h, buf + 72, (size_t)n);
    c8_sha256_final(&h, buf + 40);
    int rc = c8_write_file_atomic(plan, buf, len, &err) == C8_OK ? 0 : -1;
    free(buf);
    return rc;
}
#endif

static void test_cuda_conversions_plan(void) {
#if C8_HAVE_CUDA
    c8_engine *e = build_prec(conv_softmax_model, C8_PREC_FP16);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_place(e, &c8_backend_cuda, &err), C8_OK);
    e->device = C8_DEVICE_CUDA;
    const char *plan = OUT "conv_fp16_cuda.plan";
    CU_ASSERT_EQUAL_FATAL(c8_engine_save(e, plan, &err), C8_OK);
    e->device = C8_DEVICE_CPU;
    c8_engine *d = NULL;
    c8_status s = c8_engine_load_description(plan, &d, &err);
    if (s != C8_OK) printf("\n  load_description: %s", err.msg);
    CU_ASSERT_EQUAL_FATAL(s, C8_OK);
    char a[1024], b[1024];
    node_sequence(e, a, sizeof a);
    node_sequence(d, b, sizeof b);
    CU_ASSERT_STRING_EQUAL(a, b);
    c8_engine_destroy(d);
    const char *js = OUT "conv_inspect.json", *txt = OUT "conv_inspect.txt";
    CU_ASSERT_EQUAL(run_cli("inspect --plan " OUT "conv_fp16_cuda.plan --json", js), 0);
    c8_json *j = NULL;
    CU_ASSERT_EQUAL_FATAL(c8_json_parse_file(js, &j, &err), C8_OK);
    const c8_json *nodes = c8_json_get(j, "nodes");
    CU_ASSERT_PTR_NOT_NULL_FATAL(nodes);
    const char *want[2][2] = {{"NCHW float32", "NHWC float16"}, {"NHWC float16", "NCHW float32"}};
    int k = 0;
    for (size_t i = 0; i < nodes->n; i++) {
        const c8_json *n = &nodes->kids[i];
        if (strcmp(c8_json_get_str(n, "op"), "Reformat") != 0) {
            CU_ASSERT_PTR_NULL(c8_json_get(n, "from"));
            continue;
        }
        CU_ASSERT_FATAL(k < 2);
        CU_ASSERT_STRING_EQUAL(c8_json_get_str(n, "role"), "reformat");
        CU_ASSERT_STRING_EQUAL(c8_json_get_str(n, "device"), "gpu");
        CU_ASSERT_STRING_EQUAL(c8_json_get_str(n, "from"), want[k][0]);
        CU_ASSERT_STRING_EQUAL(c8_json_get_str(n, "to"), want[k][1]);
        CU_ASSERT_STRING_EQUAL(c8_json_get_str(n, "layout"), want[k][1]);
        k++;
    }
    CU_ASSERT_EQUAL(k, 2);
    c8_json_free(j);
    CU_ASSERT_EQUAL(run_cli("inspect --plan " OUT "conv_fp16_cuda.plan", txt), 0);
    char buf[8192] = {0};
    FILE *f = fopen(txt, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    size_t nr = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[nr] = '\0';
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "NCHW float32 -> NHWC float16 for 'conv'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "NHWC float16 -> NCHW float32 for 'softmax'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "layout conversions: 2"));
    /* conversions are no host steps: --strict accepts the plan */
    CU_ASSERT_EQUAL(run_cli("inspect --plan " OUT "conv_fp16_cuda.plan --strict", txt), 0);
    /* a format-2 plan (written before conversions were nodes: placed without vt->wants) gets
     * them inserted when read, the same as a fresh placement */
    c8_engine *old = build_prec(conv_softmax_model, C8_PREC_FP16);
    CU_ASSERT_PTR_NOT_NULL_FATAL(old);
    c8_backend_vt no_wants = c8_backend_cuda;
    no_wants.wants = NULL;
    CU_ASSERT_EQUAL_FATAL(c8_place(old, &no_wants, &err), C8_OK);
    old->device = C8_DEVICE_CUDA;
    CU_ASSERT_EQUAL_FATAL(c8_engine_save(old, plan, &err), C8_OK);
    c8_engine_destroy(old);
    CU_ASSERT_EQUAL_FATAL(rewrite_as_format2(plan), 0);
    s = c8_engine_load_description(plan, &d, &err);
    if (s != C8_OK) printf("\n  format-2 load: %s", err.msg);
    CU_ASSERT_EQUAL_FATAL(s, C8_OK);
    node_sequence(d, b, sizeof b);
    CU_ASSERT_STRING_EQUAL(a, b);
    c8_engine_destroy(d);
    remove(plan);
    remove(js);
    remove(txt);
    c8_engine_destroy(e);
#else
    C8_SKIP("the CUDA backend is not built: its placement query cannot be asked");
#endif
}

static void test_cuda_conversions(void) {
#if C8_HAVE_CUDA
    /* FP32 layers take ONNX layout: nothing to convert */
    check_cuda_placement(conv_softmax_model, C8_PREC_FP32, "Conv\nSoftmax\n");
    /* the FP16 convolution reads and writes binary16 channels-last; Softmax takes float32 in
     * ONNX layout and writes the output as it is stored (float32, ONNX layout) */
    check_cuda_placement(conv_softmax_model, C8_PREC_FP16,
                         "Reformat NCHW float32 -> NHWC float16 (in)\n"
                         "Conv\n"
                         "Reformat NHWC float16 -> NCHW float32 (in)\n"
                         "Softmax\n");
    /* the INT8 convolution writes float32 in the INT8 kernels' padded layout */
    check_cuda_placement(conv_softmax_model, C8_PREC_INT8,
                         "Q8Quantize\n"
                         "Q8Conv\n"
                         "Reformat NHWC32 float32 -> NCHW float32 (in)\n"
                         "Softmax\n");
    /* a constant read as binary16 is converted on the device too (never folded on the host) */
    check_cuda_placement(conv_concat_const_model, C8_PREC_FP16,
                         "Reformat NCHW float32 -> NHWC float16 (in)\n"
                         "Conv\n"
                         "Reformat NCHW float32 -> NCHW float16 (in)\n"
                         "Concat\n");
    check_cuda_placement(fmnist_model, C8_PREC_FP32,
                         "FusedConv\nFusedConv\nMaxPool\nFusedConv\nMaxPool\nFlatten\nGemm\n"
                         "Gemm\n");
    /* Flatten (an FP32 copy) reads the pool's binary16 NHWC as it is and writes float32; the
     * FP16 Gemm takes binary16, and the last one writes the model's float32 output through an
     * output-side conversion */
    check_cuda_placement(fmnist_model, C8_PREC_FP16,
                         "Reformat NCHW float32 -> NHWC float16 (in)\n"
                         "FusedConv\nFusedConv\nMaxPool\nFusedConv\nMaxPool\nFlatten\n"
                         "Reformat NC float32 -> NC float16 (in)\n"
                         "Gemm\nGemm\n"
                         "Reformat NC float16 -> NC float32 (out)\n");
    /* the INT8 Gemm takes its rows padded to 32 channels and writes float32 so */
    check_cuda_placement(fmnist_model, C8_PREC_INT8,
                         "Q8Quantize\nQ8Conv\nQ8Conv\nQ8MaxPool\nQ8Conv\nQ8MaxPool\nFlatten\n"
                         "Reformat NC int8 -> NC32 int8 (in)\n"
                         "Q8Gemm\nQ8Gemm\n"
                         "Reformat NC32 float32 -> NC float32 (out)\n");
    /* the gate: float32 in ONNX layout (the Sigmoid's output as it is stored); the Mul, the
     * Resize and the second convolution read and write NHWC32 int8, no conversion */
    check_cuda_placement(se_resize_model, C8_PREC_INT8,
                         "Q8Quantize\nQ8Conv\nQ8GlobalAveragePool\nQ8Dequantize\nSigmoid\nQ8Mul\n"
                         "Resize\nQ8Conv\n"
                         "Reformat NHWC32 float32 -> NCHW float32 (out)\n");
#else
    C8_SKIP("the CUDA backend is not built: its placement query cannot be asked");
#endif
}

static void test_plan_roundtrip_and_inspect(void) {
    c8_engine *e = build_cpu();
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    c8_backend_vt vt = fake_vt();
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_place(e, &vt, &err), C8_OK);
    const char *plan = OUT "fake.plan";
    CU_ASSERT_EQUAL_FATAL(c8_engine_save(e, plan, &err), C8_OK);
    c8_engine *l = NULL;
    c8_status s = c8_engine_load(plan, &l, &err);
    if (s != C8_OK) printf("\n  load: %s", err.msg);
    CU_ASSERT_EQUAL_FATAL(s, C8_OK);
    /* every node's placement comes back */
    CU_ASSERT_EQUAL_FATAL(c8_engine_num_nodes(l), c8_engine_num_nodes(e));
    for (int i = 0; i < c8_engine_num_nodes(e); i++) {
        c8_node_placement a, b;
        c8_engine_node_placement(e, i, &a);
        c8_engine_node_placement(l, i, &b);
        CU_ASSERT_STRING_EQUAL(a.name, b.name);
        CU_ASSERT_STRING_EQUAL(a.device, b.device);
        CU_ASSERT_STRING_EQUAL(a.reason, b.reason);
        CU_ASSERT_STRING_EQUAL(a.layout, b.layout);
        CU_ASSERT_STRING_EQUAL(a.kernel, b.kernel);
        CU_ASSERT_STRING_EQUAL(a.role, b.role);
    }
    CU_ASSERT_EQUAL(c8_engine_num_host_nodes(l), 3);
    /* the same bytes when saved again */
    const char *plan2 = OUT "fake2.plan";
    CU_ASSERT_EQUAL(c8_engine_save(l, plan2, &err), C8_OK);
    FILE *f1 = fopen(plan, "rb"), *f2 = fopen(plan2, "rb");
    CU_ASSERT_FATAL(f1 && f2);
    int c1, c2, same = 1;
    do {
        c1 = fgetc(f1);
        c2 = fgetc(f2);
        same &= c1 == c2;
    } while (c1 != EOF && c2 != EOF);
    fclose(f1);
    fclose(f2);
    CU_ASSERT(same);
    /* inspect --plan --json parses and says the same */
    const char *js = OUT "inspect.json";
    CU_ASSERT_EQUAL(run_cli("inspect --plan " OUT "fake.plan --json", js), 0);
    c8_json *j = NULL;
    s = c8_json_parse_file(js, &j, &err);
    if (s != C8_OK) printf("\n  json: %s", err.msg);
    CU_ASSERT_EQUAL_FATAL(s, C8_OK);
    CU_ASSERT_EQUAL(c8_json_get_num(j, "host_nodes", -1), 3);
    CU_ASSERT_EQUAL(c8_json_get_num(j, "copies", -1), 5);
    /* the plan's device as --device spells it (build_cpu: the reference CPU device) */
    CU_ASSERT_STRING_EQUAL(c8_json_get_str(j, "device"), "cpu-ref");
    const c8_json *nodes = c8_json_get(j, "nodes");
    CU_ASSERT_PTR_NOT_NULL_FATAL(nodes);
    int host = 0, total = 0;
    for (size_t i = 0; i < nodes->n; i++) {
        const c8_json *n = &nodes->kids[i];
        total++;
        const char *dev = c8_json_get_str(n, "device");
        CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
        if (!strcmp(dev, "host") && !strcmp(c8_json_get_str(n, "role"), "compute")) {
            host++;
            CU_ASSERT_STRING_EQUAL(c8_json_get_str(n, "reason"),
                                   "fake device: no kernel for this op");
        }
        CU_ASSERT_PTR_NOT_NULL(c8_json_get_str(n, "layout"));
        CU_ASSERT_PTR_NOT_NULL(c8_json_get_str(n, "kernel"));
    }
    CU_ASSERT_EQUAL(host, 3);
    CU_ASSERT_EQUAL(total, c8_engine_num_nodes(e));
    c8_json_free(j);
    /* text, and --strict refuses naming the nodes */
    const char *txt = OUT "inspect.txt";
    CU_ASSERT_EQUAL(run_cli("inspect --plan " OUT "fake.plan", txt), 0);
    CU_ASSERT_EQUAL(run_cli("inspect --plan " OUT "fake.plan --strict", txt), 1);
    char buf[8192] = {0};
    FILE *f = fopen(txt, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    size_t nr = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[nr] = '\0';
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "/pool1/MaxPool"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "refuses host steps"));
    /* the same placement as a CUDA plan: inspect reads it without a device (this machine may
     * have neither a GPU nor the CUDA backend), shows gpu / host, and --strict refuses it */
    e->device = C8_DEVICE_CUDA;
    CU_ASSERT_EQUAL_FATAL(c8_engine_save(e, OUT "cuda.plan", &err), C8_OK);
    e->device = C8_DEVICE_CPU;
    c8_engine *d = NULL;
    s = c8_engine_load_description(OUT "cuda.plan", &d, &err);
    if (s != C8_OK) printf("\n  load_description: %s", err.msg);
    CU_ASSERT_EQUAL_FATAL(s, C8_OK);
    CU_ASSERT_EQUAL(c8_engine_device(d), C8_DEVICE_CUDA);
    CU_ASSERT_EQUAL(c8_engine_num_host_nodes(d), 3);
    c8_engine_destroy(d);
    CU_ASSERT_EQUAL(run_cli("inspect --plan " OUT "cuda.plan --json", js), 0);
    CU_ASSERT_EQUAL_FATAL(c8_json_parse_file(js, &j, &err), C8_OK);
    CU_ASSERT_STRING_EQUAL(c8_json_get_str(j, "device"), "cuda");
    nodes = c8_json_get(j, "nodes");
    int gpu = 0, hosted = 0;
    for (size_t i = 0; nodes && i < nodes->n; i++) {
        const char *dev = c8_json_get_str(&nodes->kids[i], "device");
        gpu += !strcmp(dev, "gpu");
        hosted += !strcmp(dev, "host");
    }
    CU_ASSERT_EQUAL(hosted, 3 + 2); /* the pools and the flatten, and the two downloads */
    CU_ASSERT_EQUAL(gpu + hosted, c8_engine_num_nodes(e));
    c8_json_free(j);
    CU_ASSERT_EQUAL(run_cli("inspect --plan " OUT "cuda.plan --strict", txt), 1);
    f = fopen(txt, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    nr = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[nr] = '\0';
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "in this CUDA plan"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "/flatten/Flatten"));
    remove(OUT "cuda.plan");
    /* a CPU plan passes --strict */
    c8_engine *cpu = build_cpu();
    CU_ASSERT_EQUAL(c8_engine_save(cpu, OUT "cpu.plan", &err), C8_OK);
    CU_ASSERT_EQUAL(run_cli("inspect --plan " OUT "cpu.plan --strict --json", txt), 0);
    c8_engine_destroy(cpu);
    remove(plan);
    remove(plan2);
    remove(js);
    remove(txt);
    remove(OUT "cpu.plan");
    c8_engine_destroy(l);
    c8_engine_destroy(e);
}

/* A format-1 plan (written by calib8 before plans stored a placement, committed as data) is read
 * with its placement recomputed and computes what a fresh build computes. */
static void test_format1_plan(void) {
    const char *v1 = C8_SOURCE_DIR "/tests/engine/data/good_conv_format1.plan";
    c8_error err = {0};
    c8_engine *old = NULL, *fresh = NULL;
    c8_status s = c8_engine_load(v1, &old, &err);
    if (s != C8_OK) printf("\n  load: %s", err.msg);
    CU_ASSERT_EQUAL_FATAL(s, C8_OK);
    CU_ASSERT(c8_engine_num_nodes(old) >= 1);
    for (int i = 0; i < c8_engine_num_nodes(old); i++) {
        c8_node_placement p;
        c8_engine_node_placement(old, i, &p);
        CU_ASSERT_STRING_EQUAL(p.device, "cpu");
        CU_ASSERT_STRING_EQUAL(p.layout, "NCHW float32");
    }
    c8_model *m = NULL;
    CU_ASSERT_EQUAL_FATAL(
        c8_model_load(C8_SOURCE_DIR "/tests/engine/data/good_conv.onnx", NULL, &m, &err), C8_OK);
    c8_build_options o;
    c8_build_options_init(&o);
    CU_ASSERT_EQUAL_FATAL(c8_engine_build(m, &o, &fresh, &err), C8_OK);
    c8_model_destroy(m);
    /* same outputs on one input */
    const char *name;
    c8_dtype dt;
    c8_shape sh;
    c8_engine_input(fresh, 0, &name, &dt, &sh);
    for (int d = 0; d < sh.rank; d++)
        if (sh.d[d] < 0) sh.d[d] = 1;
    int64_t cnt = c8_shape_numel(&sh);
    float *x = malloc((size_t)cnt * sizeof *x);
    c8t_rng r = {77};
    for (int64_t k = 0; k < cnt; k++) x[k] = c8t_uniform(&r, -1.0f, 1.0f);
    c8_host_tensor in = {name, dt, sh, x};
    size_t n1 = 0, n2 = 0;
    batch b;
    b.t = in;
    float *y1 = run_with(old, &c8_backend_cpu, &b, &n1);
    float *y2 = run_with(fresh, &c8_backend_cpu, &b, &n2);
    CU_ASSERT_FATAL(y1 && y2 && n1 == n2);
    CU_ASSERT(memcmp(y1, y2, n1 * sizeof(float)) == 0);
    free(y1);
    free(y2);
    free(x);
    c8_engine_destroy(old);
    c8_engine_destroy(fresh);
}

static const c8_test_case cases[] = {
    {"format1_plan", test_format1_plan},
    {"cpu_placement", test_cpu_placement},
    {"fake_device_placement", test_fake_device_placement},
    {"observers", test_observers},
    {"forced_host", test_forced_host},
    {"plan_roundtrip_and_inspect", test_plan_roundtrip_and_inspect},
    {"cuda_conversions", test_cuda_conversions},
    {"cuda_conversions_plan", test_cuda_conversions_plan},
};
C8T_MAIN("place", cases)
