/* ONNX ModelProto -> c8_graph, through the protobuf-c code generated from engine/onnx/onnx.proto.
 * Field meanings follow the ONNX IR spec (docs/IR.md in the ONNX repository). */
#define _GNU_SOURCE /* realpath */
#include "engine/onnx/onnx_import.h"

#include "engine/onnx/onnx.pb-c.h"
#include "util/arith.h"
#include "util/err.h"
#include "util/fileio.h"
#include "util/sha256.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "calib8 reads ONNX raw_data (little-endian) directly and needs a little-endian host"
#endif

typedef C8onnx__TensorProto TensorProto;

/* ---- name -> value index map used during import (open addressing, FNV-1a) ---- */
typedef struct {
    int *slots; /* value index + 1, 0 = empty */
    size_t cap;
    c8_graph *g;
} name_map;

static uint64_t fnv1a(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static int map_find(const name_map *m, const char *name) {
    size_t i = fnv1a(name) & (m->cap - 1);
    while (m->slots[i]) {
        int v = m->slots[i] - 1;
        if (!strcmp(m->g->vals[v].name, name)) return v;
        i = (i + 1) & (m->cap - 1);
    }
    return -1;
}

static int map_insert(name_map *m, int v) {
    if ((size_t)(m->g->n_vals) * 2 >= m->cap) {
        size_t nc = m->cap * 2;
        int *ns = calloc(nc, sizeof *ns);
        if (!ns) return 0;
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->slots[i]) continue;
            size_t j = fnv1a(m->g->vals[m->slots[i] - 1].name) & (nc - 1);
            while (ns[j]) j = (j + 1) & (nc - 1);
            ns[j] = m->slots[i];
        }
        free(m->slots);
        m->slots = ns;
        m->cap = nc;
    }
    size_t i = fnv1a(m->g->vals[v].name) & (m->cap - 1);
    while (m->slots[i]) i = (i + 1) & (m->cap - 1);
    m->slots[i] = v + 1;
    return 1;
}

/* Adds a value and indexes it; -1 when out of memory. */
static int add_value(name_map *m, const char *name, c8_value_kind kind, c8_dtype dt,
                     const c8_shape *shape) {
    int v = c8_graph_add_value(m->g, name, kind, dt, shape);
    if (v < 0 || !map_insert(m, v)) return -1;
    return v;
}

/* ---- tensors ---- */

static int dtype_supported(int32_t t) {
    switch (t) {
    case C8_DT_FLOAT:
    case C8_DT_UINT8:
    case C8_DT_INT8:
    case C8_DT_UINT16:
    case C8_DT_INT16:
    case C8_DT_INT32:
    case C8_DT_INT64:
    case C8_DT_BOOL:
    case C8_DT_FLOAT16:
    case C8_DT_DOUBLE:
    case C8_DT_UINT32:
    case C8_DT_UINT64: return 1;
    default: return 0;
    }
}

static const char *onnx_dtype_name(int32_t t) {
    switch (t) {
    case 8: return "string";
    case 14: return "complex64";
    case 15: return "complex128";
    case 16: return "bfloat16";
    case 17: return "float8e4m3fn";
    case 18: return "float8e4m3fnuz";
    case 19: return "float8e5m2";
    case 20: return "float8e5m2fnuz";
    case 21: return "uint4";
    case 22: return "int4";
    default: return dtype_supported(t) ? c8_dtype_name((c8_dtype)t) : "unknown";
    }
}

/* Reads external data for tensor t (what = tensor name) relative to model_dir. */
static c8_status read_external(const TensorProto *t, const char *model_path, const char *what,
                               void *dst, size_t nbytes, c8_error *err) {
    const char *location = NULL;
    int64_t offset = 0, length = -1;
    for (size_t i = 0; i < t->n_external_data; i++) {
        const char *k = t->external_data[i]->key, *v = t->external_data[i]->value;
        if (!k || !v) continue;
        char *end;
        if (!strcmp(k, "location"))
            location = v;
        else if (!strcmp(k, "offset") || !strcmp(k, "length")) {
            errno = 0;
            long long x = strtoll(v, &end, 10);
            if (errno || *end || x < 0)
                return c8_err(err, C8_ERR_PARSE, "%s: tensor '%s': bad external data %s '%s'",
                              model_path, what, k, v);
            if (!strcmp(k, "offset"))
                offset = x;
            else
                length = x;
        }
    }
    if (!location || !*location)
        return c8_err(err, C8_ERR_PARSE, "%s: tensor '%s': external data without a location",
                      model_path, what);
    if (location[0] == '/')
        return c8_err(err, C8_ERR_INVALID,
                      "%s: tensor '%s': external data location '%s' is an absolute path; it must "
                      "be relative to the model's folder",
                      model_path, what, location);
    char *dir = c8_path_dirname(model_path);
    char *full = dir ? c8_path_join(dir, location) : NULL;
    if (!full) {
        free(dir);
        return c8_err(err, C8_ERR_NOMEM, "%s: out of memory", model_path);
    }
    /* The resolved file must stay inside the model's folder (no '..' or symlink escapes). */
    char rdir[PATH_MAX], rfile[PATH_MAX];
    c8_status s = C8_OK;
    if (!realpath(dir, rdir)) {
        s = c8_err(err, C8_ERR_IO, "%s: cannot resolve the model's folder: %s", model_path,
                   strerror(errno));
        goto out;
    }
    if (!realpath(full, rfile)) {
        s = c8_err(err, C8_ERR_IO, "%s: tensor '%s': external data file '%s': %s", model_path, what,
                   full, strerror(errno));
        goto out;
    }
    size_t dl = strlen(rdir);
    if (strncmp(rfile, rdir, dl) != 0 || (rfile[dl] != '/' && dl != 1)) {
        s = c8_err(err, C8_ERR_INVALID,
                   "%s: tensor '%s': external data location '%s' leaves the model's folder",
                   model_path, what, location);
        goto out;
    }
    if (length >= 0 && (uint64_t)length != nbytes) {
        s = c8_err(err, C8_ERR_PARSE,
                   "%s: tensor '%s': external data length %lld does not match the tensor's %zu "
                   "bytes",
                   model_path, what, (long long)length, nbytes);
        goto out;
    }
    FILE *f = fopen(rfile, "rb");
    if (!f) {
        s = c8_err(err, C8_ERR_IO, "%s: tensor '%s': cannot open external data '%s': %s",
                   model_path, what, full, strerror(errno));
        goto out;
    }
    if (fseeko(f, (off_t)offset, SEEK_SET) != 0 || fread(dst, 1, nbytes, f) != nbytes) {
        s = c8_err(err, C8_ERR_PARSE,
                   "%s: tensor '%s': external data file '%s' is too short (needs %zu bytes at "
                   "offset %lld)",
                   model_path, what, full, nbytes, (long long)offset);
    }
    fclose(f);
out:
    free(dir);
    free(full);
    return s;
}

/* Converts a TensorProto to a c8_const. model_path is used for messages and external data. */
static c8_status tensor_to_const(const TensorProto *t, const char *model_path, c8_const *out,
                                 c8_error *err) {
    memset(out, 0, sizeof *out);
    const char *name = t->name ? t->name : "";
    if (!t->has_data_type || !dtype_supported(t->data_type))
        return c8_err(err, C8_ERR_UNSUPPORTED, "%s: tensor '%s': data type %s (%d) not supported",
                      model_path, name, onnx_dtype_name(t->data_type), (int)t->data_type);
    if (t->n_dims > C8_MAX_RANK)
        return c8_err(err, C8_ERR_UNSUPPORTED, "%s: tensor '%s': rank %zu above %d", model_path,
                      name, t->n_dims, C8_MAX_RANK);
    c8_dtype dt = (c8_dtype)t->data_type;
    size_t esize = c8_dtype_size(dt), count = 1, nbytes;
    out->dtype = dt;
    out->shape.rank = (int)t->n_dims;
    for (size_t i = 0; i < t->n_dims; i++) {
        if (t->dims[i] < 0)
            return c8_err(err, C8_ERR_PARSE, "%s: tensor '%s': negative dimension %lld", model_path,
                          name, (long long)t->dims[i]);
        out->shape.d[i] = t->dims[i];
        if ((uint64_t)t->dims[i] > SIZE_MAX || !c8_mul_size(count, (size_t)t->dims[i], &count))
            return c8_err(err, C8_ERR_LIMIT, "%s: tensor '%s': element count overflows", model_path,
                          name);
    }
    if (!c8_mul_size(count, esize, &nbytes))
        return c8_err(err, C8_ERR_LIMIT, "%s: tensor '%s': size overflows", model_path, name);
    int external =
        t->has_data_location && t->data_location == C8ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    /* Validate the stored element count before allocating (a tiny file may claim huge dims). */
    size_t have = 0;
    int typed = 0;
    if (!external) {
        if (t->has_raw_data) {
            have = t->raw_data.len;
            if (have != nbytes)
                return c8_err(err, C8_ERR_PARSE,
                              "%s: tensor '%s': raw_data holds %zu bytes, shape %s needs %zu",
                              model_path, name, have, c8_shape_str(&out->shape, (char[96]){0}, 96),
                              nbytes);
        } else {
            typed = 1;
            switch (dt) {
            case C8_DT_FLOAT: have = t->n_float_data; break;
            case C8_DT_INT64: have = t->n_int64_data; break;
            case C8_DT_DOUBLE: have = t->n_double_data; break;
            case C8_DT_UINT32:
            case C8_DT_UINT64: have = t->n_uint64_data; break;
            default: have = t->n_int32_data; break;
            }
            if (have != count)
                return c8_err(err, C8_ERR_PARSE,
                              "%s: tensor '%s': holds %zu elements, shape %s needs %zu%s",
                              model_path, name, have, c8_shape_str(&out->shape, (char[96]){0}, 96),
                              count, have == 0 ? " (missing data?)" : "");
        }
    }
    out->data = malloc(nbytes ? nbytes : 1);
    if (!out->data)
        return c8_err(err, C8_ERR_NOMEM, "%s: tensor '%s': cannot allocate %zu bytes", model_path,
                      name, nbytes);
    out->nbytes = nbytes;
    if (external) {
        c8_status s = read_external(t, model_path, name, out->data, nbytes, err);
        if (s != C8_OK) {
            c8_const_free(out);
            return s;
        }
        return C8_OK;
    }
    if (!typed) {
        if (nbytes) memcpy(out->data, t->raw_data.data, nbytes);
        return C8_OK;
    }
    for (size_t i = 0; i < count; i++) {
        switch (dt) {
        case C8_DT_FLOAT: ((float *)out->data)[i] = t->float_data[i]; break;
        case C8_DT_INT64: ((int64_t *)out->data)[i] = t->int64_data[i]; break;
        case C8_DT_DOUBLE: ((double *)out->data)[i] = t->double_data[i]; break;
        case C8_DT_UINT32: ((uint32_t *)out->data)[i] = (uint32_t)t->uint64_data[i]; break;
        case C8_DT_UINT64: ((uint64_t *)out->data)[i] = t->uint64_data[i]; break;
        case C8_DT_INT32: ((int32_t *)out->data)[i] = t->int32_data[i]; break;
        case C8_DT_INT16: ((int16_t *)out->data)[i] = (int16_t)t->int32_data[i]; break;
        case C8_DT_UINT16:
        case C8_DT_FLOAT16: /* float16 bits are stored in the low 16 bits of int32_data */
            ((uint16_t *)out->data)[i] = (uint16_t)t->int32_data[i];
            break;
        case C8_DT_INT8: ((int8_t *)out->data)[i] = (int8_t)t->int32_data[i]; break;
        case C8_DT_UINT8: ((uint8_t *)out->data)[i] = (uint8_t)t->int32_data[i]; break;
        case C8_DT_BOOL: ((uint8_t *)out->data)[i] = t->int32_data[i] != 0; break;
        default: break;
        }
    }
    return C8_OK;
}

c8_status c8_onnx_parse_tensor(const unsigned char *buf, size_t len, const char *what,
                               c8_const *out, char **name, c8_error *err) {
    memset(out, 0, sizeof *out);
    if (name) *name = NULL;
    TensorProto *t = c8onnx__tensor_proto__unpack(NULL, len, buf);
    if (!t) return c8_err(err, C8_ERR_PARSE, "%s: not a valid ONNX TensorProto", what);
    c8_status s = tensor_to_const(t, what, out, err);
    if (s == C8_OK && name) {
        *name = strdup(t->name ? t->name : "");
        if (!*name) {
            c8_const_free(out);
            s = c8_err(err, C8_ERR_NOMEM, "%s: out of memory", what);
        }
    }
    c8onnx__tensor_proto__free_unpacked(t, NULL);
    return s;
}

/* ---- value infos ---- */

static c8_status value_info_type(const C8onnx__ValueInfoProto *vi, const char *path, c8_dtype *dt,
                                 c8_shape *shape, c8_error *err) {
    *dt = C8_DT_UNDEFINED;
    shape->rank = -1;
    if (!vi->type) return C8_OK;
    if (vi->type->value_case != C8ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE)
        return c8_err(err, C8_ERR_UNSUPPORTED,
                      "%s: value '%s' is not a tensor (sequences, maps and optionals are not "
                      "supported)",
                      path, vi->name ? vi->name : "");
    const C8onnx__TypeProto__Tensor *tt = vi->type->tensor_type;
    if (tt->has_elem_type) {
        if (!dtype_supported(tt->elem_type))
            return c8_err(err, C8_ERR_UNSUPPORTED, "%s: value '%s': data type %s not supported",
                          path, vi->name ? vi->name : "", onnx_dtype_name(tt->elem_type));
        *dt = (c8_dtype)tt->elem_type;
    }
    if (!tt->shape) return C8_OK;
    if (tt->shape->n_dim > C8_MAX_RANK)
        return c8_err(err, C8_ERR_UNSUPPORTED, "%s: value '%s': rank %zu above %d", path,
                      vi->name ? vi->name : "", tt->shape->n_dim, C8_MAX_RANK);
    shape->rank = (int)tt->shape->n_dim;
    for (size_t i = 0; i < tt->shape->n_dim; i++) {
        const C8onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
        if (d->value_case == C8ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
            if (d->dim_value < 0)
                return c8_err(err, C8_ERR_PARSE, "%s: value '%s': negative dimension %lld", path,
                              vi->name ? vi->name : "", (long long)d->dim_value);
            shape->d[i] = d->dim_value;
        } else {
            shape->d[i] = -1; /* dim_param or unset: dynamic */
        }
    }
    return C8_OK;
}

/* ---- attributes ---- */

static c8_status convert_attr(const C8onnx__AttributeProto *a, const char *path, const char *node,
                              const char *op_type, c8_attr *out, c8_error *err) {
    memset(out, 0, sizeof *out);
    out->name = strdup(a->name ? a->name : "");
    if (!out->name) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    int type = a->has_type ? (int)a->type : 0;
    if (type == 0) { /* very old writers omit the type: infer it from the field that is set */
        if (a->has_f)
            type = C8_ATTR_FLOAT;
        else if (a->has_i)
            type = C8_ATTR_INT;
        else if (a->has_s)
            type = C8_ATTR_STRING;
        else if (a->t)
            type = C8_ATTR_TENSOR;
        else if (a->g)
            type = C8_ATTR_GRAPH;
        else if (a->n_floats)
            type = C8_ATTR_FLOATS;
        else if (a->n_ints)
            type = C8_ATTR_INTS;
        else if (a->n_strings)
            type = C8_ATTR_STRINGS;
    }
    if (a->ref_attr_name && *a->ref_attr_name)
        return c8_err(err, C8_ERR_UNSUPPORTED,
                      "%s: node '%s' (%s): attribute '%s' refers to a function attribute", path,
                      node, op_type, out->name);
    out->type = (c8_attr_type)type;
    switch (type) {
    case C8_ATTR_FLOAT: out->f = a->f; break;
    case C8_ATTR_INT: out->i = a->i; break;
    case C8_ATTR_STRING:
        out->s = malloc(a->s.len + 1);
        if (!out->s) return c8_err(err, C8_ERR_NOMEM, "out of memory");
        if (a->s.len) memcpy(out->s, a->s.data, a->s.len);
        out->s[a->s.len] = '\0';
        break;
    case C8_ATTR_FLOATS:
        out->n = a->n_floats;
        out->floats = malloc((a->n_floats ? a->n_floats : 1) * sizeof(float));
        if (!out->floats) return c8_err(err, C8_ERR_NOMEM, "out of memory");
        if (a->n_floats) memcpy(out->floats, a->floats, a->n_floats * sizeof(float));
        break;
    case C8_ATTR_INTS:
        out->n = a->n_ints;
        out->ints = malloc((a->n_ints ? a->n_ints : 1) * sizeof(int64_t));
        if (!out->ints) return c8_err(err, C8_ERR_NOMEM, "out of memory");
        if (a->n_ints) memcpy(out->ints, a->ints, a->n_ints * sizeof(int64_t));
        break;
    case C8_ATTR_STRINGS:
        out->n = a->n_strings;
        out->strings = calloc(a->n_strings ? a->n_strings : 1, sizeof(char *));
        if (!out->strings) return c8_err(err, C8_ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < a->n_strings; i++) {
            out->strings[i] = malloc(a->strings[i].len + 1);
            if (!out->strings[i]) return c8_err(err, C8_ERR_NOMEM, "out of memory");
            if (a->strings[i].len) memcpy(out->strings[i], a->strings[i].data, a->strings[i].len);
            out->strings[i][a->strings[i].len] = '\0';
        }
        break;
    case C8_ATTR_TENSOR:
        if (!a->t)
            return c8_err(err, C8_ERR_PARSE, "%s: node '%s' (%s): tensor attribute '%s' is empty",
                          path, node, op_type, out->name);
        return tensor_to_const(a->t, path, &out->tensor, err);
    case C8_ATTR_GRAPH:
        return c8_err(err, C8_ERR_UNSUPPORTED,
                      "%s: node '%s' (%s): graph attribute '%s' (control flow) is not supported",
                      path, node, op_type, out->name);
    default:
        return c8_err(err, C8_ERR_UNSUPPORTED,
                      "%s: node '%s' (%s): attribute '%s' has unsupported type %d", path, node,
                      op_type, out->name, type);
    }
    return C8_OK;
}

/* Constant node -> constant value (the node itself is not kept). */
static c8_status constant_node(const C8onnx__NodeProto *np, const char *path, const char *node,
                               c8_const *out, c8_error *err) {
    memset(out, 0, sizeof *out);
    if (np->n_attribute != 1)
        return c8_err(err, C8_ERR_PARSE,
                      "%s: node '%s' (Constant): needs exactly one value attribute, has %zu", path,
                      node, np->n_attribute);
    const C8onnx__AttributeProto *a = np->attribute[0];
    const char *an = a->name ? a->name : "";
    if (!strcmp(an, "value")) {
        if (!a->t)
            return c8_err(err, C8_ERR_PARSE, "%s: node '%s' (Constant): empty value", path, node);
        return tensor_to_const(a->t, path, out, err);
    }
    if (!strcmp(an, "value_float") || !strcmp(an, "value_int")) {
        int isf = an[6] == 'f';
        out->dtype = isf ? C8_DT_FLOAT : C8_DT_INT64;
        out->shape.rank = 0;
        out->nbytes = isf ? 4 : 8;
        out->data = malloc(out->nbytes);
        if (!out->data) return c8_err(err, C8_ERR_NOMEM, "out of memory");
        if (isf)
            *(float *)out->data = a->f;
        else
            *(int64_t *)out->data = a->i;
        return C8_OK;
    }
    if (!strcmp(an, "value_floats") || !strcmp(an, "value_ints")) {
        int isf = an[6] == 'f';
        size_t n = isf ? a->n_floats : a->n_ints;
        out->dtype = isf ? C8_DT_FLOAT : C8_DT_INT64;
        out->shape.rank = 1;
        out->shape.d[0] = (int64_t)n;
        out->nbytes = n * (isf ? 4 : 8);
        out->data = malloc(out->nbytes ? out->nbytes : 1);
        if (!out->data) return c8_err(err, C8_ERR_NOMEM, "out of memory");
        if (n) memcpy(out->data, isf ? (void *)a->floats : (void *)a->ints, out->nbytes);
        return C8_OK;
    }
    return c8_err(
        err, C8_ERR_UNSUPPORTED,
        "%s: node '%s' (Constant): attribute '%s' is not supported (value, value_float(s) "
        "and value_int(s) are)",
        path, node, an);
}

/* ---- the model ---- */

/* An op type the importer cannot take: an unknown op_type, or one outside the default domain. */
static bool op_unsupported(const C8onnx__NodeProto *np) {
    if (!np->op_type || !*np->op_type) return false; /* the node loop reports a missing op_type */
    const char *domain = np->domain ? np->domain : "";
    if (*domain && strcmp(domain, "ai.onnx") != 0) return true;
    return c8_op_from_onnx(np->op_type) == C8_OP_UNKNOWN;
}

/* Every unsupported op type of the graph in one message, with its node count, in the order of
 * first appearance: a user converting a model learns the whole gap at once, not one op per
 * attempt ("model.onnx: 3 op types are not supported by calib8: ReduceMean (10 nodes, first
 * 'mean0'), Pow (5 nodes, first 'pow0'), com.microsoft:Gelu (1 node, first 'g')"). */
static c8_status check_op_types(const C8onnx__GraphProto *gp, const char *path, c8_error *err) {
    size_t n_types = 0;
    size_t *first = malloc((gp->n_node ? gp->n_node : 1) * sizeof *first); /* node of each type */
    size_t *count = calloc(gp->n_node ? gp->n_node : 1, sizeof *count);
    if (!first || !count) {
        free(first);
        free(count);
        return c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
    }
    for (size_t i = 0; i < gp->n_node; i++) {
        const C8onnx__NodeProto *np = gp->node[i];
        if (!op_unsupported(np)) continue;
        size_t t = 0;
        for (; t < n_types; t++) {
            const C8onnx__NodeProto *f = gp->node[first[t]];
            if (!strcmp(f->op_type, np->op_type) &&
                !strcmp(f->domain ? f->domain : "", np->domain ? np->domain : ""))
                break;
        }
        if (t == n_types) first[n_types++] = i;
        count[t]++;
    }
    c8_status s = C8_OK;
    if (n_types) {
        char list[C8_ERROR_MSG_MAX];
        size_t len = 0;
        list[0] = '\0';
        for (size_t t = 0; t < n_types; t++) {
            const C8onnx__NodeProto *np = gp->node[first[t]];
            const char *domain = np->domain ? np->domain : "";
            /* an unnamed node is called as the node loop names it: "<op_type>_<index>" */
            char autoname[64], one[256];
            snprintf(autoname, sizeof autoname, "%.40s_%zu", np->op_type, first[t]);
            snprintf(one, sizeof one, "%s%.40s%s%.60s (%zu node%s, first '%.60s')", t ? ", " : "",
                     domain, *domain ? ":" : "", np->op_type, count[t], count[t] == 1 ? "" : "s",
                     np->name && *np->name ? np->name : autoname);
            /* keep room for the tail; the count says how many were left out */
            if (len + strlen(one) + 40 >= sizeof list - 200) {
                snprintf(list + len, sizeof list - len, ", and %zu more", n_types - t);
                break;
            }
            len += (size_t)snprintf(list + len, sizeof list - len, "%s", one);
        }
        s = c8_err(err, C8_ERR_UNSUPPORTED,
                   "%s: %zu op type%s not supported by calib8 (docs/ops.md lists the supported "
                   "ops; only the default ONNX domain is): %s",
                   path, n_types, n_types == 1 ? " is" : "s are", list);
    }
    free(first);
    free(count);
    return s;
}

static c8_status import_graph(const C8onnx__ModelProto *mp, c8_graph *g, c8_error *err) {
    const char *path = g->path;
    const C8onnx__GraphProto *gp = mp->graph;
    name_map m = {calloc(1024, sizeof(int)), 1024, g};
    if (!m.slots) return c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
    c8_status s = C8_OK;
    c8_const c = {0};
    c8_attr attr = {0};
    s = check_op_types(gp, path, err);
    if (s != C8_OK) goto out;

    /* initializers first: graph inputs with the same name are constants */
    for (size_t i = 0; i < gp->n_initializer; i++) {
        const TensorProto *t = gp->initializer[i];
        const char *name = t->name ? t->name : "";
        if (!*name) {
            s = c8_err(err, C8_ERR_PARSE, "%s: initializer %zu has no name", path, i);
            goto out;
        }
        if (map_find(&m, name) >= 0) {
            s = c8_err(err, C8_ERR_PARSE, "%s: initializer '%s' appears twice", path, name);
            goto out;
        }
        s = tensor_to_const(t, path, &c, err);
        if (s != C8_OK) goto out;
        int v = add_value(&m, name, C8_VAL_CONST, c.dtype, &c.shape);
        if (v < 0) {
            s = c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
            goto out;
        }
        c8_graph_set_const(g, v, c.dtype, &c.shape, c.data, c.nbytes);
        memset(&c, 0, sizeof c);
    }
    g->inputs = malloc((gp->n_input ? gp->n_input : 1) * sizeof(int));
    g->outputs = malloc((gp->n_output ? gp->n_output : 1) * sizeof(int));
    if (!g->inputs || !g->outputs) {
        s = c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
        goto out;
    }
    for (size_t i = 0; i < gp->n_input; i++) {
        const C8onnx__ValueInfoProto *vi = gp->input[i];
        const char *name = vi->name ? vi->name : "";
        if (!*name) {
            s = c8_err(err, C8_ERR_PARSE, "%s: graph input %zu has no name", path, i);
            goto out;
        }
        int v = map_find(&m, name);
        c8_dtype dt;
        c8_shape shape;
        s = value_info_type(vi, path, &dt, &shape, err);
        if (s != C8_OK) goto out;
        if (v >= 0 && g->vals[v].kind == C8_VAL_CONST) continue; /* initializer listed as input */
        if (v >= 0) {
            s = c8_err(err, C8_ERR_PARSE, "%s: graph input '%s' is listed twice", path, name);
            goto out;
        }
        if (dt == C8_DT_UNDEFINED) {
            s = c8_err(err, C8_ERR_PARSE, "%s: graph input '%s' has no element type", path, name);
            goto out;
        }
        if (shape.rank < 0) {
            s = c8_err(err, C8_ERR_UNSUPPORTED, "%s: graph input '%s' has no shape", path, name);
            goto out;
        }
        v = add_value(&m, name, C8_VAL_INPUT, dt, &shape);
        if (v < 0) {
            s = c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
            goto out;
        }
        g->inputs[g->n_inputs++] = v;
    }

    for (size_t i = 0; i < gp->n_node; i++) {
        const C8onnx__NodeProto *np = gp->node[i];
        const char *op_type = np->op_type ? np->op_type : "";
        const char *domain = np->domain ? np->domain : "";
        char autoname[64];
        const char *nname = np->name && *np->name ? np->name : NULL;
        if (!nname) {
            snprintf(autoname, sizeof autoname, "%.40s_%zu", *op_type ? op_type : "node", i);
            nname = autoname;
        }
        if (!*op_type) {
            s = c8_err(err, C8_ERR_PARSE, "%s: node '%s' has no op_type", path, nname);
            goto out;
        }
        if (*domain && strcmp(domain, "ai.onnx") != 0) {
            s = c8_err(err, C8_ERR_UNSUPPORTED,
                       "%s: node '%s' (%s): op domain '%s' is not supported (only the default "
                       "ONNX domain is)",
                       path, nname, op_type, domain);
            goto out;
        }
        c8_op op = c8_op_from_onnx(op_type);
        if (op == C8_OP_UNKNOWN) {
            s = c8_err(err, C8_ERR_UNSUPPORTED,
                       "%s: node '%s' (%s): op '%s' is not supported by calib8 (docs/ops.md lists "
                       "the supported ops)",
                       path, nname, op_type, op_type);
            goto out;
        }
        for (size_t k = 0; k < np->n_output; k++) {
            const char *on = np->output[k];
            if (!on || !*on) continue;
            int v = map_find(&m, on);
            if (v >= 0) {
                const c8_value *val = &g->vals[v];
                s = c8_err(err, C8_ERR_PARSE, "%s: node '%s' (%s): output '%s' is already %s", path,
                           nname, op_type, on,
                           val->kind == C8_VAL_INPUT   ? "a graph input"
                           : val->kind == C8_VAL_CONST ? "an initializer or constant"
                                                       : "produced by another node");
                goto out;
            }
        }
        if (op == C8_OP_CONSTANT) {
            if (np->n_output != 1 || !np->output[0] || !*np->output[0]) {
                s = c8_err(err, C8_ERR_PARSE, "%s: node '%s' (Constant): needs one output", path,
                           nname);
                goto out;
            }
            s = constant_node(np, path, nname, &c, err);
            if (s != C8_OK) goto out;
            int v = add_value(&m, np->output[0], C8_VAL_CONST, c.dtype, &c.shape);
            if (v < 0) {
                s = c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
                goto out;
            }
            c8_graph_set_const(g, v, c.dtype, &c.shape, c.data, c.nbytes);
            memset(&c, 0, sizeof c);
            continue;
        }
        int *ins = malloc((np->n_input ? np->n_input : 1) * sizeof(int));
        int *outs = malloc((np->n_output ? np->n_output : 1) * sizeof(int));
        if (!ins || !outs) {
            free(ins);
            free(outs);
            s = c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
            goto out;
        }
        for (size_t k = 0; k < np->n_input; k++) {
            const char *in = np->input[k];
            if (!in || !*in) {
                ins[k] = -1;
                continue;
            }
            int v = map_find(&m, in);
            if (v < 0) v = add_value(&m, in, C8_VAL_ACTIVATION, C8_DT_UNDEFINED, NULL);
            ins[k] = v;
            if (v < 0) s = c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
        }
        for (size_t k = 0; k < np->n_output && s == C8_OK; k++) {
            const char *on = np->output[k];
            if (!on || !*on) {
                outs[k] = -1;
                continue;
            }
            int v = map_find(&m, on);
            if (v < 0) v = add_value(&m, on, C8_VAL_ACTIVATION, C8_DT_UNDEFINED, NULL);
            outs[k] = v;
            if (v < 0) s = c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
        }
        int n = -1;
        if (s == C8_OK)
            n = c8_graph_add_node(g, nname, op_type, domain, op, ins, (int)np->n_input, outs,
                                  (int)np->n_output);
        free(ins);
        free(outs);
        if (s != C8_OK) goto out;
        if (n < 0) {
            s = c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
            goto out;
        }
        for (size_t k = 0; k < np->n_attribute; k++) {
            s = convert_attr(np->attribute[k], path, nname, op_type, &attr, err);
            if (s == C8_OK) s = c8_node_add_attr(g, n, &attr, err);
            if (s != C8_OK) {
                c8_attr_free(&attr);
                goto out;
            }
            memset(&attr, 0, sizeof attr);
        }
    }

    for (size_t i = 0; i < gp->n_output; i++) {
        const C8onnx__ValueInfoProto *vi = gp->output[i];
        const char *name = vi->name ? vi->name : "";
        int v = map_find(&m, name);
        if (v < 0) {
            s = c8_err(err, C8_ERR_PARSE, "%s: graph output '%s' is not produced by any node", path,
                       name);
            goto out;
        }
        c8_dtype dt;
        c8_shape shape;
        s = value_info_type(vi, path, &dt, &shape, err);
        if (s != C8_OK) goto out;
        if (g->vals[v].dtype == C8_DT_UNDEFINED) g->vals[v].dtype = dt;
        g->vals[v].is_output = true;
        g->outputs[g->n_outputs++] = v;
    }
    if (g->n_outputs == 0) {
        s = c8_err(err, C8_ERR_PARSE, "%s: the graph has no outputs", path);
        goto out;
    }
    /* value_info gives declared shapes for intermediate tensors: used as hints only (shape
     * inference overwrites them), but their element types help for untyped values. */
    for (size_t i = 0; i < gp->n_value_info; i++) {
        const C8onnx__ValueInfoProto *vi = gp->value_info[i];
        int v = vi->name ? map_find(&m, vi->name) : -1;
        if (v < 0 || g->vals[v].kind != C8_VAL_ACTIVATION) continue;
        c8_dtype dt;
        c8_shape shape;
        if (value_info_type(vi, path, &dt, &shape, NULL) == C8_OK &&
            g->vals[v].dtype == C8_DT_UNDEFINED)
            g->vals[v].dtype = dt;
    }
out:
    c8_const_free(&c);
    free(m.slots);
    return s;
}

c8_status c8_onnx_import(const char *path, uint64_t max_file_bytes, c8_graph **out, c8_error *err) {
    *out = NULL;
    if (max_file_bytes == 0) max_file_bytes = (uint64_t)4 << 30;
    unsigned char *buf;
    size_t len;
    C8_TRY(c8_read_file(path, (size_t)max_file_bytes, &buf, &len, err));
    if (len == 0) {
        free(buf);
        return c8_err(err, C8_ERR_PARSE, "%s: empty file", path);
    }
    C8onnx__ModelProto *mp = c8onnx__model_proto__unpack(NULL, len, buf);
    c8_graph *g = c8_graph_create(path);
    c8_status s = C8_OK;
    if (!g) {
        s = c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    c8_sha256_buf_hex(buf, len, g->sha256);
    if (!mp) {
        s = c8_err(err, C8_ERR_PARSE,
                   "%s: not a valid ONNX model (the protobuf data is truncated or corrupt)", path);
        goto done;
    }
    if (!mp->graph) {
        s = c8_err(err, C8_ERR_PARSE, "%s: the model has no graph", path);
        goto done;
    }
    g->ir_version = mp->has_ir_version ? mp->ir_version : 0;
    g->opset = -1;
    for (size_t i = 0; i < mp->n_opset_import; i++) {
        const char *d = mp->opset_import[i]->domain ? mp->opset_import[i]->domain : "";
        if (!*d || !strcmp(d, "ai.onnx")) g->opset = mp->opset_import[i]->version;
    }
    if (g->opset < 0) {
        if (mp->n_opset_import == 0 && g->ir_version > 0 && g->ir_version < 3)
            g->opset = 1;
        else {
            s = c8_err(err, C8_ERR_UNSUPPORTED,
                       "%s: the model imports no default-domain (ai.onnx) opset; other domains "
                       "are not supported",
                       path);
            goto done;
        }
    }
    if (g->opset < C8_ONNX_MIN_OPSET || g->opset > C8_ONNX_MAX_OPSET) {
        s = c8_err(err, C8_ERR_UNSUPPORTED,
                   "%s: opset %lld is not supported (calib8 supports opsets %d to %d)", path,
                   (long long)g->opset, C8_ONNX_MIN_OPSET, C8_ONNX_MAX_OPSET);
        goto done;
    }
    {
        char prod[256];
        snprintf(prod, sizeof prod, "%s%s%s", mp->producer_name ? mp->producer_name : "",
                 mp->producer_version && *mp->producer_version ? " " : "",
                 mp->producer_version ? mp->producer_version : "");
        free(g->producer);
        g->producer = strdup(prod);
        if (!g->producer) {
            s = c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
            goto done;
        }
    }
    s = import_graph(mp, g, err);
    if (s == C8_OK) s = c8_graph_finalize(g, err);
done:
    if (mp) c8onnx__model_proto__free_unpacked(mp, NULL);
    free(buf);
    if (s != C8_OK) {
        c8_graph_destroy(g);
        return s;
    }
    *out = g;
    return C8_OK;
}
