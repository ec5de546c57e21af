/* Einsum: the equation parsed into one loop per label (kernels/ref/einsum.h): explicit
 * ("ij,jk->ik") and implicit ("ij,jk": the labels that appear once, alphabetically) outputs, an
 * ellipsis for broadcast leading axes (summed when an explicit output leaves it out), repeated
 * labels (diagonals), sums and transposes; the forms MatMul, batched MatMul, Transpose and
 * ReduceSum cover included. float32, computed in float64. No INT8 or GPU kernel: a CUDA plan runs
 * it on the host (ops/ops.def). Tests: tests/ops/test_ops_einsum.c and the ONNX conformance cases.
 * Supported forms: docs/ops.md. */
#include "ops/tensor_int.h"

#include "kernels/ref/einsum.h"
#include "util/err.h"
#include "util/shape.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define ELL_BASE 52 /* labels 0..51 are the letters; ellipsis axes follow */

static int letter_label(char c) { return islower((unsigned char)c) ? c - 'a' : c - 'A' + 26; }

/* One term of the equation: per axis its label, or -1 for the axes of the ellipsis. */
typedef struct {
    int lab[C8_MAX_RANK + 1];
    int n;   /* letters + (ellipsis ? 1 : 0) entries in lab */
    int ell; /* position of the ellipsis in lab, or -1 */
} term;

static c8_status parse_term(const c8_graph *g, const c8_node *n, const char *s, size_t len, term *t,
                            c8_error *err) {
    t->n = 0;
    t->ell = -1;
    for (size_t i = 0; i < len; i++) {
        if (t->n > C8_MAX_RANK)
            return c8_node_err(err, g, n, C8_ERR_INVALID, "a term has more than %d axes",
                               C8_MAX_RANK);
        if (isalpha((unsigned char)s[i])) {
            t->lab[t->n++] = letter_label(s[i]);
        } else if (s[i] == '.' && i + 2 < len && s[i + 1] == '.' && s[i + 2] == '.') {
            if (t->ell >= 0)
                return c8_node_err(err, g, n, C8_ERR_INVALID, "a term has two ellipses");
            t->ell = t->n;
            t->lab[t->n++] = -1;
            i += 2;
        } else {
            return c8_node_err(err, g, n, C8_ERR_INVALID, "equation character '%c' is invalid",
                               s[i]);
        }
    }
    return C8_OK;
}

/* The equation without spaces, split into input terms and the output term (*has_out false: the
 * implicit output). */
static c8_status parse_equation(const c8_graph *g, const c8_node *n, term *in, int n_in, term *out,
                                bool *has_out, c8_error *err) {
    const char *eq = c8_node_attr_s(n, "equation", "");
    char buf[256];
    size_t len = 0;
    for (const char *p = eq; *p; p++)
        if (!isspace((unsigned char)*p)) {
            if (len + 1 >= sizeof buf)
                return c8_node_err(err, g, n, C8_ERR_INVALID, "equation is too long");
            buf[len++] = *p;
        }
    buf[len] = '\0';
    char *arrow = strstr(buf, "->");
    *has_out = arrow != NULL;
    size_t lhs_len = arrow ? (size_t)(arrow - buf) : len;
    int k = 0;
    size_t start = 0;
    for (size_t i = 0; i <= lhs_len; i++) {
        if (i < lhs_len && buf[i] != ',') continue;
        if (k >= n_in)
            return c8_node_err(err, g, n, C8_ERR_INVALID,
                               "equation '%s' has more terms than the %d inputs", eq, n_in);
        C8_TRY(parse_term(g, n, buf + start, i - start, &in[k++], err));
        start = i + 1;
    }
    if (k != n_in)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "equation '%s' has %d terms for %d inputs",
                           eq, k, n_in);
    if (arrow) C8_TRY(parse_term(g, n, arrow + 2, strlen(arrow + 2), out, err));
    return C8_OK;
}

/* Plans the loops from the operands' shapes (unknown rank: *y gets rank -1). */
static c8_status einsum_plan(const c8_graph *g, const c8_node *n, const c8_shape *const *xs,
                             c8_einsum_plan *p, c8_shape *y, c8_error *err) {
    int n_in = n->n_in;
    if (n_in < 1 || n_in > C8_EINSUM_MAX_IN)
        return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED, "%d inputs (1 to %d are supported)", n_in,
                           C8_EINSUM_MAX_IN);
    term in[C8_EINSUM_MAX_IN], out;
    bool has_out;
    C8_TRY(parse_equation(g, n, in, n_in, &out, &has_out, err));
    for (int k = 0; k < n_in; k++)
        if (xs[k]->rank < 0) {
            *y = c8_ot_unknown_shape(-1);
            return C8_OK;
        }
    /* the ellipsis axes: each operand's count, the broadcast count E */
    int ell_n[C8_EINSUM_MAX_IN], E = 0;
    for (int k = 0; k < n_in; k++) {
        int letters = in[k].n - (in[k].ell >= 0);
        ell_n[k] = xs[k]->rank - letters;
        if (in[k].ell < 0 ? ell_n[k] != 0 : ell_n[k] < 0)
            return c8_node_err(err, g, n, C8_ERR_SHAPE,
                               "input %d has rank %d but its term has %d labels%s", k, xs[k]->rank,
                               letters, in[k].ell >= 0 ? " and an ellipsis" : "");
        if (ell_n[k] > E) E = ell_n[k];
    }
    /* extents of the labels (-2: unused so far); count of appearances of each letter */
    int64_t ext[C8_EINSUM_MAX_LABELS];
    int seen[C8_EINSUM_MAX_LABELS] = {0};
    for (int l = 0; l < C8_EINSUM_MAX_LABELS; l++) ext[l] = -2;
    if (ELL_BASE + E > C8_EINSUM_MAX_LABELS)
        return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED, "%d ellipsis axes", E);
    /* per operand and axis: its label */
    int axlab[C8_EINSUM_MAX_IN][C8_MAX_RANK];
    for (int k = 0; k < n_in; k++) {
        int a = 0;
        for (int j = 0; j < in[k].n; j++) {
            if (in[k].lab[j] >= 0) {
                axlab[k][a++] = in[k].lab[j];
                seen[in[k].lab[j]]++;
                continue;
            }
            for (int e = 0; e < ell_n[k]; e++) axlab[k][a++] = ELL_BASE + E - ell_n[k] + e;
        }
        for (int a2 = 0; a2 < xs[k]->rank; a2++) {
            int l = axlab[k][a2];
            int64_t d = xs[k]->d[a2];
            bool ell = l >= ELL_BASE;
            if (ext[l] == -2 || (ell && ext[l] == 1) || ext[l] == -1) {
                if (!(ext[l] > 1 && d == 1 && ell)) ext[l] = d;
            } else if (d >= 0 && d != ext[l] && !(ell && d == 1)) {
                char c = l < 26 ? (char)('a' + l) : l < 52 ? (char)('A' + l - 26) : '.';
                return c8_node_err(err, g, n, C8_ERR_SHAPE,
                                   "label '%c' has extent %lld in input %d but %lld before", c,
                                   (long long)d, k, (long long)ext[l]);
            }
        }
    }
    /* the output labels, in order */
    int olab[C8_EINSUM_MAX_LABELS], n_out = 0;
    if (has_out) {
        for (int j = 0; j < out.n; j++) {
            if (out.lab[j] < 0) {
                for (int e = 0; e < E; e++) olab[n_out++] = ELL_BASE + e;
                continue;
            }
            int l = out.lab[j];
            if (!seen[l])
                return c8_node_err(err, g, n, C8_ERR_INVALID,
                                   "output label '%c' appears in no input",
                                   l < 26 ? 'a' + l : 'A' + l - 26);
            for (int i = 0; i < n_out; i++)
                if (olab[i] == l)
                    return c8_node_err(err, g, n, C8_ERR_INVALID, "an output label repeats");
            olab[n_out++] = l;
        }
    } else {
        for (int e = 0; e < E; e++) olab[n_out++] = ELL_BASE + e;
        for (int l = 0; l < ELL_BASE; l++) /* 'A'..'Z' sort before 'a'..'z' (ASCII) */
            if (seen[(l + 26) % 52] == 1) olab[n_out++] = (l + 26) % 52;
    }
    /* loops: the output labels, then every other used label */
    memset(p, 0, sizeof *p);
    p->n_in = n_in;
    int loop_of[C8_EINSUM_MAX_LABELS];
    for (int l = 0; l < C8_EINSUM_MAX_LABELS; l++) loop_of[l] = -1;
    for (int i = 0; i < n_out; i++) {
        loop_of[olab[i]] = p->n_labels;
        p->extent[p->n_labels++] = ext[olab[i]];
    }
    p->n_out = n_out;
    for (int l = 0; l < C8_EINSUM_MAX_LABELS; l++)
        if (ext[l] != -2 && loop_of[l] < 0) {
            loop_of[l] = p->n_labels;
            p->extent[p->n_labels++] = ext[l];
        }
    for (int k = 0; k < n_in; k++) {
        int64_t st = 1;
        for (int a = xs[k]->rank - 1; a >= 0; a--) {
            int l = axlab[k][a];
            bool bcast = xs[k]->d[a] == 1 && ext[l] != 1;
            if (!bcast) p->stride[k][loop_of[l]] += st;
            st *= xs[k]->d[a] > 0 ? xs[k]->d[a] : 1;
        }
    }
    memset(y, 0, sizeof *y);
    if (n_out > C8_MAX_RANK)
        return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED, "output rank %d", n_out);
    y->rank = n_out;
    for (int i = 0; i < n_out; i++) y->d[i] = p->extent[i];
    return C8_OK;
}

static c8_status check_einsum(const c8_graph *g, const c8_node *n, c8_error *err) {
    static const char *const attrs[] = {"equation", NULL};
    if (g->opset < 12)
        return c8_node_err(err, g, n, C8_ERR_INVALID,
                           "Einsum exists from opset 12 (model opset %lld)", (long long)g->opset);
    C8_TRY(c8_ot_known_attrs(g, n, attrs, err));
    C8_TRY(c8_ot_attr_required(g, n, "equation", C8_ATTR_STRING, err));
    term in[C8_EINSUM_MAX_IN], out;
    bool has_out;
    if (n->n_in > C8_EINSUM_MAX_IN)
        return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED, "%d inputs (at most %d)", n->n_in,
                           C8_EINSUM_MAX_IN);
    return parse_equation(g, n, in, n->n_in, &out, &has_out, err);
}

static c8_status infer_einsum(c8_graph *g, c8_node *n, c8_error *err) {
    const c8_shape *xs[C8_EINSUM_MAX_IN];
    for (int k = 0; k < n->n_in && k < C8_EINSUM_MAX_IN; k++) {
        const c8_value *x;
        C8_TRY(c8_ot_input(g, n, k, &x, err));
        if (x->dtype != C8_DT_FLOAT && x->dtype != C8_DT_DOUBLE)
            return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED,
                               "input '%s' is %s; Einsum is implemented for float32 and float64",
                               x->name, c8_dtype_name(x->dtype));
        if (x->dtype != c8_node_input(g, n, 0)->dtype)
            return c8_node_err(err, g, n, C8_ERR_INVALID, "inputs of different dtypes ('%s' is %s)",
                               x->name, c8_dtype_name(x->dtype));
        xs[k] = &x->shape;
    }
    c8_einsum_plan p;
    c8_shape y;
    C8_TRY(einsum_plan(g, n, xs, &p, &y, err));
    c8_ot_set_out(g, n, 0, c8_node_input(g, n, 0)->dtype, &y);
    return C8_OK;
}

static c8_status run_einsum(const c8_op_run *r, c8_error *err) {
    const c8_shape *xs[C8_EINSUM_MAX_IN];
    const void *xd[C8_EINSUM_MAX_IN];
    for (int k = 0; k < r->n->n_in; k++) {
        xs[k] = &r->in[k].shape;
        xd[k] = r->in[k].data;
    }
    c8_einsum_plan p;
    c8_shape y;
    C8_TRY(einsum_plan(r->g, r->n, xs, &p, &y, err));
    C8_TRY(c8_ot_check_out(r, 0, &y, err));
    if (c8_shape_numel(&y) > 0) c8_ref_einsum(&p, r->in[0].dtype, xd, r->out[0].data);
    return C8_OK;
}

const c8_op_def c8_ops_einsum_table[] = {
    {C8_OP_EINSUM, 1, -1, 1, 1, check_einsum, infer_einsum, run_einsum},
    {C8_OP_UNKNOWN, 0, 0, 0, 0, NULL, NULL, NULL},
};
