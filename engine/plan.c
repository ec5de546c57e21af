/* Plan files: a built engine on disk (c8_engine_save / c8_engine_load).
 *
 * Layout (all integers little-endian):
 *   header  magic "C8PLAN\r\n" (8 bytes; the CR/LF catch text-mode mangling)
 *           u32 format version (C8_PLAN_FORMAT)   u32 header bytes (72)
 *           char[16] producing calib8 version, NUL-padded
 *           u64 payload bytes                     u8[32] SHA-256 of the payload
 *   payload the lowered graph and its layer table (see write_payload); floats are stored as
 *           their bit patterns, so a plan round-trips exactly. Nothing machine-specific (paths,
 *           times) is stored: the same model, cache and options give the same bytes.
 * Reading checks the magic, the version (newer formats are refused with the numbers), the
 * length (truncation) and the checksum (corruption) before parsing, then bounds-checks every
 * count and index, and finally re-validates the graph (ops, attributes, shapes). */
#include "calib8/config.h"
#include "calib8/engine.h"

#include "kernels/backend.h"
#include "engine/build/place.h"
#include "engine/engine_internal.h"
#include "ops/infer.h"
#include "util/arith.h"
#include "util/err.h"
#include "util/fileio.h"
#include "util/sha256.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define C8_PLAN_MAGIC "C8PLAN\r\n"
/* Format 2 adds each layer's placement (device, reason, layout, tuned candidates) and HostCopy
 * nodes; format 1 plans are read with their placement recomputed (engine/build/place.c).
 * Format 3: a device plan's storage conversions are Reformat nodes (engine/build/reformat.c);
 * format 2 plans get them inserted when read (the layout is the same, nothing else differs).
 * Format 4 appends the inputs' preprocessing (c8_engine_preprocessing; "" for none) and their
 * optimization profiles (a count, 0 or the number of inputs, then per input a flag and the
 * minimum, optimum and maximum shapes) after the layer table; older plans are read with
 * neither. */
#define C8_PLAN_FORMAT 4u
#define C8_PLAN_HEADER 72u

/* ---------------------------------------------------------------- writer */

typedef struct {
    unsigned char *p;
    size_t n, cap;
    int oom;
} wbuf;

static void put(wbuf *w, const void *src, size_t n) {
    if (w->oom) return;
    if (w->n + n > w->cap) {
        size_t nc = w->cap ? w->cap : 4096;
        while (nc < w->n + n) nc *= 2;
        unsigned char *np = realloc(w->p, nc);
        if (!np) {
            w->oom = 1;
            return;
        }
        w->p = np;
        w->cap = nc;
    }
    if (n) memcpy(w->p + w->n, src, n);
    w->n += n;
}

static void put_u32(wbuf *w, uint32_t v) {
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    put(w, b, 4);
}

static void put_u64(wbuf *w, uint64_t v) {
    put_u32(w, (uint32_t)v);
    put_u32(w, (uint32_t)(v >> 32));
}

static void put_i32(wbuf *w, int32_t v) { put_u32(w, (uint32_t)v); }
static void put_i64(wbuf *w, int64_t v) { put_u64(w, (uint64_t)v); }

static void put_f32(wbuf *w, float f) {
    uint32_t b;
    memcpy(&b, &f, 4);
    put_u32(w, b);
}

static void put_str(wbuf *w, const char *s) {
    size_t n = s ? strlen(s) : 0;
    put_u32(w, (uint32_t)n);
    put(w, s, n);
}

/* Raw element data, little-endian on a little-endian host (checked at import). */
static void put_bytes(wbuf *w, const void *p, size_t n) {
    put_u64(w, n);
    put(w, p, n);
}

static void put_shape(wbuf *w, const c8_shape *s) {
    put_i32(w, s->rank);
    for (int i = 0; i < s->rank; i++) put_i64(w, s->d[i]);
}

static void write_attr(wbuf *w, const c8_attr *a) {
    put_str(w, a->name);
    put_i32(w, a->type);
    switch (a->type) {
    case C8_ATTR_FLOAT: put_f32(w, a->f); break;
    case C8_ATTR_INT: put_i64(w, a->i); break;
    case C8_ATTR_STRING: put_str(w, a->s); break;
    case C8_ATTR_FLOATS:
        put_u64(w, a->n);
        for (size_t i = 0; i < a->n; i++) put_f32(w, a->floats[i]);
        break;
    case C8_ATTR_INTS:
        put_u64(w, a->n);
        for (size_t i = 0; i < a->n; i++) put_i64(w, a->ints[i]);
        break;
    case C8_ATTR_STRINGS:
        put_u64(w, a->n);
        for (size_t i = 0; i < a->n; i++) put_str(w, a->strings[i]);
        break;
    case C8_ATTR_TENSOR:
        put_i32(w, a->tensor.dtype);
        put_shape(w, &a->tensor.shape);
        put_bytes(w, a->tensor.data, a->tensor.nbytes);
        break;
    default: break;
    }
}

static void write_payload(wbuf *w, const c8_engine *e) {
    const c8_graph *g = e->g;
    put_str(w, e->model_sha256);
    put_str(w, e->cache_sha256);
    put_i32(w, e->device);
    put_i32(w, e->precision);
    put_i32(w, e->tf32);
    put_i64(w, g->opset);
    put_i64(w, g->ir_version);
    put_u32(w, (uint32_t)g->n_vals);
    for (int i = 0; i < g->n_vals; i++) {
        const c8_value *v = &g->vals[i];
        put_str(w, v->name);
        put_i32(w, v->kind);
        put_i32(w, v->dtype);
        put_shape(w, &v->shape);
        put_f32(w, v->scale);
        put_i32(w, v->is_output);
        if (v->kind == C8_VAL_CONST) put_bytes(w, v->data, v->nbytes);
    }
    put_u32(w, (uint32_t)g->n_nodes);
    for (int i = 0; i < g->n_nodes; i++) {
        const c8_node *n = &g->nodes[i];
        put_str(w, n->name);
        put_str(w, n->op_type);
        put_str(w, n->domain);
        put_i32(w, n->op);
        put_u32(w, (uint32_t)n->n_in);
        for (int k = 0; k < n->n_in; k++) put_i32(w, n->in[k]);
        put_u32(w, (uint32_t)n->n_out);
        for (int k = 0; k < n->n_out; k++) put_i32(w, n->out[k]);
        put_i32(w, n->layer);
        put_i32(w, n->fusion.act);
        put_f32(w, n->fusion.act_a);
        put_f32(w, n->fusion.act_b);
        put_i32(w, n->fusion.residual);
        put_str(w, n->fusion.label);
        put_u32(w, (uint32_t)n->n_attrs);
        for (int a = 0; a < n->n_attrs; a++) write_attr(w, &n->attrs[a]);
    }
    put_u32(w, (uint32_t)g->n_inputs);
    for (int i = 0; i < g->n_inputs; i++) put_i32(w, g->inputs[i]);
    put_u32(w, (uint32_t)g->n_outputs);
    for (int i = 0; i < g->n_outputs; i++) put_i32(w, g->outputs[i]);
    put_u32(w, (uint32_t)e->n_layers);
    for (int i = 0; i < e->n_layers; i++) {
        const c8_layer *l = &e->layers[i];
        put_str(w, l->name);
        put_str(w, l->op);
        put_i32(w, l->precision);
        put_i32(w, l->role);
        put_str(w, l->reason);
        put_str(w, l->kernel);
        put_i32(w, l->place);
        put_str(w, l->place_reason);
        put_str(w, l->layout);
        put_str(w, l->tuned);
    }
    put_str(w, e->preprocessing); /* format 4 */
    put_u32(w, e->prof ? (uint32_t)g->n_inputs : 0u);
    for (int i = 0; e->prof && i < g->n_inputs; i++) {
        put_i32(w, e->prof[i].set);
        put_shape(w, &e->prof[i].min);
        put_shape(w, &e->prof[i].opt);
        put_shape(w, &e->prof[i].max);
    }
}

c8_status c8_engine_save(const c8_engine *e, const char *path, c8_error *err) {
    wbuf pl = {0};
    write_payload(&pl, e);
    if (pl.oom) {
        free(pl.p);
        return c8_err(err, C8_ERR_NOMEM, "%s: out of memory serializing the plan", path);
    }
    unsigned char digest[32];
    c8_sha256 h;
    c8_sha256_init(&h);
    c8_sha256_update(&h, pl.p, pl.n);
    c8_sha256_final(&h, digest);
    wbuf hd = {0};
    put(&hd, C8_PLAN_MAGIC, 8);
    put_u32(&hd, C8_PLAN_FORMAT);
    put_u32(&hd, C8_PLAN_HEADER);
    char ver[16] = {0};
    snprintf(ver, sizeof ver, "%s", C8_VERSION_STRING);
    put(&hd, ver, 16);
    put_u64(&hd, pl.n);
    put(&hd, digest, 32);
    c8_status s;
    if (hd.oom || hd.n != C8_PLAN_HEADER) {
        s = c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
    } else {
        c8_atomic_file *f;
        s = c8_atomic_open(path, &f, err);
        if (s == C8_OK) {
            fwrite(hd.p, 1, hd.n, c8_atomic_file_fp(f));
            fwrite(pl.p, 1, pl.n, c8_atomic_file_fp(f));
            s = c8_atomic_commit(f, err);
        }
    }
    free(hd.p);
    free(pl.p);
    return s;
}

/* ---------------------------------------------------------------- reader */

typedef struct {
    const unsigned char *p;
    size_t n, off;
    const char *path;
    c8_error *err;
    int bad;
    uint32_t format; /* the file's format version */
} rbuf;

static int need(rbuf *r, size_t k) {
    if (r->bad) return 0;
    if (k > r->n - r->off) {
        c8_err(r->err, C8_ERR_PARSE, "%s: corrupt plan: record runs past the end (offset %zu)",
               r->path, r->off);
        r->bad = 1;
        return 0;
    }
    return 1;
}

static uint32_t get_u32(rbuf *r) {
    if (!need(r, 4)) return 0;
    const unsigned char *b = r->p + r->off;
    r->off += 4;
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t get_u64(rbuf *r) {
    uint64_t lo = get_u32(r);
    return lo | (uint64_t)get_u32(r) << 32;
}

static int32_t get_i32(rbuf *r) { return (int32_t)get_u32(r); }
static int64_t get_i64(rbuf *r) { return (int64_t)get_u64(r); }

static float get_f32(rbuf *r) {
    uint32_t b = get_u32(r);
    float f;
    memcpy(&f, &b, 4);
    return f;
}

static void fail(rbuf *r, const char *what) {
    if (r->bad) return;
    c8_err(r->err, C8_ERR_PARSE, "%s: corrupt plan: %s (offset %zu)", r->path, what, r->off);
    r->bad = 1;
}

/* malloc'd NUL-terminated string (NULL when bad). */
static char *get_str(rbuf *r) {
    uint32_t n = get_u32(r);
    if (!need(r, n)) return NULL;
    if (memchr(r->p + r->off, 0, n)) {
        fail(r, "string holds a NUL byte");
        return NULL;
    }
    char *s = malloc((size_t)n + 1);
    if (!s) {
        fail(r, "out of memory");
        return NULL;
    }
    memcpy(s, r->p + r->off, n);
    s[n] = '\0';
    r->off += n;
    return s;
}

static void *get_bytes(rbuf *r, size_t *len) {
    uint64_t n = get_u64(r);
    if (r->bad || n > r->n - r->off) {
        fail(r, "data runs past the end");
        return NULL;
    }
    void *p = malloc(n ? (size_t)n : 1);
    if (!p) {
        fail(r, "out of memory");
        return NULL;
    }
    memcpy(p, r->p + r->off, (size_t)n);
    r->off += (size_t)n;
    *len = (size_t)n;
    return p;
}

static void get_shape(rbuf *r, c8_shape *s) {
    s->rank = get_i32(r);
    if (s->rank < -1 || s->rank > C8_MAX_RANK) {
        fail(r, "bad rank");
        s->rank = 0;
        return;
    }
    for (int i = 0; i < s->rank; i++) s->d[i] = get_i64(r);
}

/* A count of records each at least `min_bytes` long must fit in what is left. */
static uint64_t get_count(rbuf *r, size_t min_bytes) {
    uint64_t n = get_u64(r);
    if (!r->bad && n > (r->n - r->off) / (min_bytes ? min_bytes : 1)) {
        fail(r, "count larger than the file");
        return 0;
    }
    return n;
}

static uint32_t get_count32(rbuf *r, size_t min_bytes) {
    uint32_t n = get_u32(r);
    if (!r->bad && n > (r->n - r->off) / (min_bytes ? min_bytes : 1)) {
        fail(r, "count larger than the file");
        return 0;
    }
    return n;
}

static void read_attr(rbuf *r, c8_attr *a) {
    memset(a, 0, sizeof *a);
    a->name = get_str(r);
    a->type = (c8_attr_type)get_i32(r);
    switch (a->type) {
    case C8_ATTR_FLOAT: a->f = get_f32(r); break;
    case C8_ATTR_INT: a->i = get_i64(r); break;
    case C8_ATTR_STRING: a->s = get_str(r); break;
    case C8_ATTR_FLOATS:
        a->n = (size_t)get_count(r, 4);
        a->floats = malloc((a->n ? a->n : 1) * sizeof(float));
        if (!a->floats) fail(r, "out of memory");
        for (size_t i = 0; a->floats && i < a->n; i++) a->floats[i] = get_f32(r);
        break;
    case C8_ATTR_INTS:
        a->n = (size_t)get_count(r, 8);
        a->ints = malloc((a->n ? a->n : 1) * sizeof(int64_t));
        if (!a->ints) fail(r, "out of memory");
        for (size_t i = 0; a->ints && i < a->n; i++) a->ints[i] = get_i64(r);
        break;
    case C8_ATTR_STRINGS:
        a->n = (size_t)get_count(r, 4);
        a->strings = calloc(a->n ? a->n : 1, sizeof(char *));
        if (!a->strings) fail(r, "out of memory");
        for (size_t i = 0; a->strings && i < a->n; i++) a->strings[i] = get_str(r);
        break;
    case C8_ATTR_TENSOR:
        a->tensor.dtype = (c8_dtype)get_i32(r);
        get_shape(r, &a->tensor.shape);
        a->tensor.data = get_bytes(r, &a->tensor.nbytes);
        break;
    default: fail(r, "unknown attribute type");
    }
}

static int valid_index(int32_t v, int n, bool allow_absent) {
    return (allow_absent && v == -1) || (v >= 0 && v < n);
}

static c8_status read_payload(rbuf *r, c8_engine **out) {
    char *model_sha = get_str(r), *cache_sha = get_str(r);
    int32_t device = get_i32(r), precision = get_i32(r), tf32 = get_i32(r);
    c8_graph *g = c8_graph_create(r->path);
    c8_engine *e = g ? c8_engine_new(g, (c8_device)device, (c8_precision)precision) : NULL;
    if (!e) {
        c8_graph_destroy(g);
        fail(r, "out of memory");
        goto done;
    }
    e->tf32 = tf32 != 0;
    if (model_sha) snprintf(e->model_sha256, sizeof e->model_sha256, "%s", model_sha);
    if (cache_sha) snprintf(e->cache_sha256, sizeof e->cache_sha256, "%s", cache_sha);
    g->opset = get_i64(r);
    g->ir_version = get_i64(r);
    uint32_t nv = get_count32(r, 20);
    for (uint32_t i = 0; i < nv && !r->bad; i++) {
        char *name = get_str(r);
        int32_t kind = get_i32(r), dtype = get_i32(r);
        c8_shape s;
        get_shape(r, &s);
        float scale = get_f32(r);
        int32_t is_out = get_i32(r);
        if (r->bad) {
            free(name);
            break;
        }
        if (kind < C8_VAL_ACTIVATION || kind > C8_VAL_CONST ||
            c8_dtype_size((c8_dtype)dtype) == 0) {
            free(name);
            fail(r, "bad value kind or type");
            break;
        }
        int v = c8_graph_add_value(g, name, (c8_value_kind)kind, (c8_dtype)dtype, &s);
        free(name);
        if (v < 0) {
            fail(r, "out of memory");
            break;
        }
        g->vals[v].scale = scale;
        g->vals[v].is_output = is_out != 0;
        if (kind == C8_VAL_CONST) {
            size_t len = 0;
            void *data = get_bytes(r, &len);
            int64_t numel = c8_shape_numel(&s);
            size_t want;
            if (!data) break;
            if (numel < 0 || !c8_mul_size((size_t)numel, c8_dtype_size((c8_dtype)dtype), &want) ||
                want != len) {
                free(data);
                fail(r, "constant size does not match its shape");
                break;
            }
            c8_graph_set_const(g, v, (c8_dtype)dtype, &s, data, len);
        }
    }
    uint32_t nn = get_count32(r, 40);
    for (uint32_t i = 0; i < nn && !r->bad; i++) {
        char *name = get_str(r), *op_type = get_str(r), *domain = get_str(r);
        int32_t op = get_i32(r);
        uint32_t n_in = get_count32(r, 4);
        int *in = malloc(((size_t)n_in + 1) * sizeof(int));
        for (uint32_t k = 0; in && k < n_in; k++) in[k] = get_i32(r);
        uint32_t n_out = get_count32(r, 4);
        int *outs = malloc(((size_t)n_out + 1) * sizeof(int));
        for (uint32_t k = 0; outs && k < n_out; k++) outs[k] = get_i32(r);
        int32_t layer = get_i32(r);
        c8_fusion fu = {0};
        fu.act = (c8_act)get_i32(r);
        fu.act_a = get_f32(r);
        fu.act_b = get_f32(r);
        fu.residual = get_i32(r);
        fu.label = get_str(r);
        int ok = !r->bad && name && op_type && domain && in && outs &&
                 valid_index(fu.residual, g->n_vals, true) && op > 0 && op < C8_OP_COUNT_;
        for (uint32_t k = 0; ok && k < n_in; k++) ok = valid_index(in[k], g->n_vals, true);
        for (uint32_t k = 0; ok && k < n_out; k++) ok = valid_index(outs[k], g->n_vals, true);
        int n = -1;
        if (ok)
            n = c8_graph_add_node(g, name, op_type, domain, (c8_op)op, in, (int)n_in, outs,
                                  (int)n_out);
        free(name);
        free(op_type);
        free(domain);
        free(in);
        free(outs);
        if (n < 0) {
            free(fu.label);
            fail(r, ok ? "out of memory" : "bad node record (index or op out of range)");
            break;
        }
        g->nodes[n].layer = layer;
        if (fu.label && !*fu.label) {
            free(fu.label);
            fu.label = NULL;
        }
        g->nodes[n].fusion = fu;
        uint32_t na = get_count32(r, 8);
        for (uint32_t a = 0; a < na && !r->bad; a++) {
            c8_attr at;
            read_attr(r, &at);
            if (r->bad || !at.name || c8_node_add_attr(g, n, &at, r->err) != C8_OK) {
                c8_attr_free(&at);
                fail(r, "bad attribute");
                break;
            }
        }
    }
    uint32_t ni = get_count32(r, 4);
    g->inputs = malloc(((size_t)ni + 1) * sizeof(int));
    for (uint32_t i = 0; g->inputs && i < ni && !r->bad; i++) {
        int32_t v = get_i32(r);
        if (!valid_index(v, g->n_vals, false) || g->vals[v].kind != C8_VAL_INPUT)
            fail(r, "bad input index");
        else
            g->inputs[g->n_inputs++] = v;
    }
    uint32_t no = get_count32(r, 4);
    g->outputs = malloc(((size_t)no + 1) * sizeof(int));
    for (uint32_t i = 0; g->outputs && i < no && !r->bad; i++) {
        int32_t v = get_i32(r);
        if (!valid_index(v, g->n_vals, false))
            fail(r, "bad output index");
        else
            g->outputs[g->n_outputs++] = v;
    }
    if (!g->inputs || !g->outputs) fail(r, "out of memory");
    uint32_t nl = get_count32(r, 24);
    for (uint32_t i = 0; i < nl && !r->bad; i++) {
        char *name = get_str(r), *op = get_str(r);
        int32_t prec = get_i32(r), role = get_i32(r);
        char *reason = get_str(r), *kernel = get_str(r);
        int l = -1;
        if (!r->bad && name && op && reason && kernel && prec >= C8_PREC_FP32 &&
            prec <= C8_PREC_INT8)
            l = c8_engine_add_layer(e, name, op, (c8_precision)prec, (c8_layer_role)role, reason);
        if (l >= 0) snprintf(e->layers[l].kernel, sizeof e->layers[l].kernel, "%s", kernel);
        if (r->format >= 2) {
            int32_t place = get_i32(r);
            char *why = get_str(r), *layout = get_str(r), *tuned = get_str(r);
            if (l >= 0 && !r->bad && why && layout && tuned &&
                (place == C8_PLACE_DEVICE || place == C8_PLACE_HOST)) {
                c8_layer *ly = &e->layers[l];
                ly->place = place;
                snprintf(ly->place_reason, sizeof ly->place_reason, "%s", why);
                snprintf(ly->layout, sizeof ly->layout, "%s", layout);
                snprintf(ly->tuned, sizeof ly->tuned, "%s", tuned);
            } else {
                l = -1;
            }
            free(why);
            free(layout);
            free(tuned);
        }
        free(name);
        free(op);
        free(reason);
        free(kernel);
        if (l < 0) fail(r, "bad layer record");
    }
    for (int i = 0; !r->bad && i < g->n_nodes; i++)
        if (!valid_index(g->nodes[i].layer, e->n_layers, true))
            fail(r, "node names a missing layer");
    if (r->format >= 4 && !r->bad) {
        char *pre = get_str(r);
        c8_error pe = {0};
        if (pre && c8_engine_set_preprocessing(e, pre, &pe) != C8_OK) fail(r, pe.msg);
        free(pre);
        uint32_t np = get_u32(r);
        if (np && np != (uint32_t)g->n_inputs) fail(r, "profile count is not the input count");
        if (np && !r->bad && !(e->prof = calloc(np, sizeof *e->prof))) fail(r, "out of memory");
        for (uint32_t i = 0; i < np && !r->bad; i++) {
            c8_profile *p = &e->prof[i];
            p->set = get_i32(r) != 0;
            get_shape(r, &p->min);
            get_shape(r, &p->opt);
            get_shape(r, &p->max);
            c8_error ve = {0};
            if (!r->bad && p->set &&
                c8_profile_validate(p, &g->vals[g->inputs[i]].shape, "profile", &ve) != C8_OK)
                fail(r, ve.msg);
        }
    }
    if (!r->bad && r->off != r->n) fail(r, "trailing bytes after the payload");
done:
    free(model_sha);
    free(cache_sha);
    if (r->bad) {
        c8_engine_destroy(e);
        return r->err ? r->err->code : C8_ERR_PARSE;
    }
    /* the graph must be valid as a graph, not only as bytes */
    c8_status s = c8_graph_finalize(g, r->err);
    if (s == C8_OK) s = c8_graph_check_ops(g, r->err);
    if (s == C8_OK) s = c8_graph_infer(g, false, NULL, r->err);
    if (s != C8_OK) {
        c8_err_prefix(r->err, "%s: invalid plan", r->path);
        c8_engine_destroy(e);
        return s;
    }
    *out = e;
    return C8_OK;
}

/* The producer field: a NUL-padded version string ("0.4.0"), no other bytes. */
static bool printable(const char *ver) {
    size_t n = strnlen(ver, 16);
    if (n == 0) return false;
    for (size_t i = 0; i < n; i++)
        if (ver[i] < 0x20 || ver[i] > 0x7e) return false;
    for (size_t i = n; i < 16; i++)
        if (ver[i]) return false;
    return true;
}

/* "1.2.3" -> comparable number; false when ver is not such a version. */
static bool version_key(const char *ver, uint64_t *key) {
    unsigned a = 0, b = 0, c = 0;
    int n = 0;
    if (sscanf(ver, "%u.%u.%u%n", &a, &b, &c, &n) != 3 || n == 0) return false;
    *key = ((uint64_t)a << 40) | ((uint64_t)b << 20) | c;
    return true;
}

/* A header announcing format fmt > C8_PLAN_FORMAT: really from a newer calib8, or a damaged
 * header (the header has no checksum of its own: a flipped bit in the format field must not
 * read as "newer")? A newer format counts up by one from 1, keeps the magic, a sane
 * header-size field and a printable producer, and is written by a calib8 newer than this one.
 * C8_OK when plausible, else the C8_ERR_PARSE error naming the damage. */
static c8_status check_newer(const char *path, size_t len, uint32_t fmt, uint32_t hdr,
                             const char *ver, c8_error *err) {
    if (fmt > 255 || hdr < C8_PLAN_HEADER || hdr > len || hdr > 4096 || !printable(ver))
        return c8_err(err, C8_ERR_PARSE,
                      "%s: corrupt plan header: the format field reads %u, not a format calib8 "
                      "writes (producer field '%s', header size %u); the file is damaged, "
                      "rebuild the plan",
                      path, fmt, printable(ver) ? ver : "(not text)", hdr);
    uint64_t theirs, ours;
    if (version_key(ver, &theirs) && version_key(C8_VERSION_STRING, &ours) && theirs <= ours)
        return c8_err(err, C8_ERR_PARSE,
                      "%s: corrupt plan header: format %u, but its producer, calib8 %s, is not "
                      "newer than this calib8 %s, which reads format %u; the file is damaged, "
                      "rebuild the plan",
                      path, fmt, ver, C8_VERSION_STRING, C8_PLAN_FORMAT);
    return C8_OK;
}

/* Reads the plan; with `device`, also makes the backend's engine state (a context can run it). */
static c8_status load_plan(const char *path, bool device, c8_engine **out, c8_error *err) {
    *out = NULL;
    unsigned char *buf;
    size_t len;
    C8_TRY(c8_read_file(path, 0, &buf, &len, err));
    c8_status s = C8_OK;
    rbuf r = {buf, len, 0, path, err, 0, 0};
    if (len < 8 || memcmp(buf, C8_PLAN_MAGIC, 8) != 0) {
        s = c8_err(err, C8_ERR_PARSE, "%s: not a calib8 plan (bad magic)", path);
        goto done;
    }
    if (len < C8_PLAN_HEADER) {
        s = c8_err(err, C8_ERR_PARSE, "%s: truncated plan (%zu bytes, the header alone is %u)",
                   path, len, C8_PLAN_HEADER);
        goto done;
    }
    r.off = 8;
    uint32_t fmt = get_u32(&r), hdr = get_u32(&r);
    char ver[17] = {0};
    memcpy(ver, buf + 16, 16);
    r.off = 32;
    uint64_t plen = get_u64(&r);
    const unsigned char *digest = buf + 40;
    if (fmt > C8_PLAN_FORMAT && (s = check_newer(path, len, fmt, hdr, ver, err)) != C8_OK)
        goto done;
    if (fmt > C8_PLAN_FORMAT) {
        s = c8_err(err, C8_ERR_UNSUPPORTED,
                   "%s: plan format %u (written by calib8 %s) is newer than this calib8 %s reads "
                   "(format %u); rebuild the plan or upgrade",
                   path, fmt, ver, C8_VERSION_STRING, C8_PLAN_FORMAT);
        goto done;
    }
    if (fmt == 0 || hdr != C8_PLAN_HEADER) {
        s = c8_err(err, C8_ERR_PARSE, "%s: corrupt plan header", path);
        goto done;
    }
    if (plen != len - C8_PLAN_HEADER) {
        s = c8_err(err, C8_ERR_PARSE,
                   "%s: truncated or padded plan: the header announces %llu payload bytes, the "
                   "file holds %zu",
                   path, (unsigned long long)plen, len - C8_PLAN_HEADER);
        goto done;
    }
    unsigned char got[32];
    c8_sha256 h;
    c8_sha256_init(&h);
    c8_sha256_update(&h, buf + C8_PLAN_HEADER, (size_t)plen);
    c8_sha256_final(&h, got);
    if (memcmp(got, digest, 32) != 0) {
        s = c8_err(err, C8_ERR_PARSE, "%s: corrupt plan: the payload checksum does not match",
                   path);
        goto done;
    }
    rbuf pr = {buf + C8_PLAN_HEADER, (size_t)plen, 0, path, err, 0, fmt};
    s = read_payload(&pr, out);
    if (s == C8_OK) {
        c8_error ve = {0};
        const c8_backend_vt *vt = c8_backend_get((*out)->device, device ? err : &ve);
        if (!vt && device)
            s = c8_err_prefix(err, "%s: plan built for another device", path);
        else if (vt && fmt < 2 && (s = c8_place(*out, vt, err)) != C8_OK)
            c8_err_prefix(err, "%s: placing the nodes of a format-%u plan", path, fmt);
        else if (vt && fmt == 2 &&
                 ((s = c8_place_reformats(*out, vt, err)) != C8_OK ||
                  (s = c8_place_layouts(*out, vt, err)) != C8_OK))
            c8_err_prefix(err, "%s: placing the conversions of a format-%u plan", path, fmt);
        c8_backend_engine be = c8_engine_backend_view(*out);
        if (s == C8_OK && device && vt->engine_init)
            s = vt->engine_init(&be, &(*out)->backend, err);
        if (s != C8_OK) {
            c8_engine_destroy(*out);
            *out = NULL;
        }
    }
done:
    free(buf);
    return s;
}

c8_status c8_engine_load(const char *path, c8_engine **out, c8_error *err) {
    return load_plan(path, true, out, err);
}

c8_status c8_engine_load_description(const char *path, c8_engine **out, c8_error *err) {
    return load_plan(path, false, out, err);
}
