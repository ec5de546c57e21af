/* Graphviz DOT writer for graphs (see dot.h). Tests: tests/engine/passes/test_passes.c. */
#include "engine/passes/dot.h"

#include "util/err.h"
#include "util/fileio.h"

#include <string.h>

/* Writes s as the inside of a DOT double-quoted string: quotes and backslashes escaped, control
 * characters dropped. */
static void put_escaped(FILE *fp, const char *s) {
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            fputc('\\', fp);
            fputc(c, fp);
        } else if (c >= 0x20) {
            fputc(c, fp);
        }
    }
}

static void put_shape(FILE *fp, const c8_value *v) {
    char sb[128];
    if (v->shape.rank < 0)
        fputs("?", fp);
    else
        fputs(c8_shape_str(&v->shape, sb, sizeof sb), fp);
}

static const char *act_name(c8_act a) {
    switch (a) {
    case C8_ACT_RELU: return "relu";
    case C8_ACT_CLIP: return "clip";
    case C8_ACT_LEAKY_RELU: return "leaky_relu";
    case C8_ACT_SIGMOID: return "sigmoid";
    case C8_ACT_HARDSWISH: return "hardswish";
    default: return NULL;
    }
}

c8_status c8_graph_write_dot_fp(const c8_graph *g, const char *title, FILE *fp, c8_error *err) {
    fputs("digraph \"", fp);
    put_escaped(fp, title ? title : g->path);
    fputs("\" {\n", fp);
    fputs("  graph [rankdir=TB, labelloc=t, fontname=\"Helvetica\", label=\"", fp);
    put_escaped(fp, title ? title : g->path);
    fputs("\"];\n", fp);
    fputs("  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", "
          "fontname=\"Helvetica\", fontsize=10];\n",
          fp);
    fputs("  edge [fontname=\"Helvetica\", fontsize=8];\n", fp);
    for (int i = 0; i < g->n_inputs; i++) {
        const c8_value *v = &g->vals[g->inputs[i]];
        fprintf(fp, "  in%d [shape=ellipse, fillcolor=\"#dde8f5\", label=\"", i);
        put_escaped(fp, v->name);
        fputs("\\n", fp);
        put_shape(fp, v);
        fputs("\"];\n", fp);
    }
    for (int i = 0; i < g->n_nodes; i++) {
        const c8_node *n = &g->nodes[i];
        if (n->dead) continue;
        const bool fused = n->fusion.label != NULL;
        fprintf(fp, "  n%d [%slabel=\"", i,
                fused ? "fillcolor=\"#ffe4b5\", "
                      : (n->op == C8_OP_SPLIT ? "fillcolor=\"#eeeeee\", " : ""));
        put_escaped(fp, fused ? n->fusion.label : n->name);
        fputs("\\n", fp);
        put_escaped(fp, n->op_type);
        const char *an = act_name(n->fusion.act);
        if (an) fprintf(fp, " +%s", an);
        if (n->fusion.residual >= 0) fputs(" +residual", fp);
        if (c8_node_attr_i(n, "c8_inplace", 0) == 1) fputs(" (in place)", fp);
        const c8_value *y = c8_node_output(g, n, 0);
        if (y) {
            fputs("\\n", fp);
            put_shape(fp, y);
        }
        int consts = 0;
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= 0 && g->vals[n->in[k]].kind == C8_VAL_CONST) consts++;
        if (consts) fprintf(fp, "\\n%d constant input%s", consts, consts > 1 ? "s" : "");
        fputs("\"];\n", fp);
    }
    /* edges: from the producer (or the graph input) of each tensor read */
    for (int i = 0; i < g->n_nodes; i++) {
        const c8_node *n = &g->nodes[i];
        if (n->dead) continue;
        for (int k = 0; k <= n->n_in; k++) {
            const bool res = k == n->n_in;
            const int v = res ? n->fusion.residual : n->in[k];
            if (v < 0) continue;
            const c8_value *val = &g->vals[v];
            if (val->kind == C8_VAL_CONST) continue;
            if (val->kind == C8_VAL_INPUT) {
                int gi = -1;
                for (int j = 0; j < g->n_inputs; j++)
                    if (g->inputs[j] == v) gi = j;
                if (gi < 0) continue;
                fprintf(fp, "  in%d -> n%d [label=\"", gi, i);
            } else {
                if (val->producer < 0) continue;
                fprintf(fp, "  n%d -> n%d [label=\"", val->producer, i);
            }
            put_escaped(fp, val->name);
            fputs(res ? " (residual)\", style=dashed];\n" : "\"];\n", fp);
        }
    }
    for (int i = 0; i < g->n_outputs; i++) {
        const c8_value *v = &g->vals[g->outputs[i]];
        fprintf(fp, "  out%d [shape=ellipse, fillcolor=\"#e2f0d9\", label=\"", i);
        put_escaped(fp, v->name);
        fputs("\\n", fp);
        put_shape(fp, v);
        fputs("\"];\n", fp);
        if (v->kind == C8_VAL_ACTIVATION && v->producer >= 0)
            fprintf(fp, "  n%d -> out%d;\n", v->producer, i);
        else if (v->kind == C8_VAL_INPUT)
            for (int j = 0; j < g->n_inputs; j++)
                if (g->inputs[j] == g->outputs[i]) fprintf(fp, "  in%d -> out%d;\n", j, i);
    }
    fputs("}\n", fp);
    if (ferror(fp)) return c8_err(err, C8_ERR_IO, "%s: error writing the DOT graph", g->path);
    return C8_OK;
}

c8_status c8_graph_write_dot(const c8_graph *g, const char *title, const char *path,
                             c8_error *err) {
    c8_atomic_file *f;
    C8_TRY(c8_atomic_open(path, &f, err));
    c8_status s = c8_graph_write_dot_fp(g, title, c8_atomic_file_fp(f), err);
    if (s != C8_OK) {
        c8_atomic_abort(f);
        return c8_err_prefix(err, "%s", path);
    }
    return c8_atomic_commit(f, err);
}
