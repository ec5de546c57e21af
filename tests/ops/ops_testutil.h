/* Test harness for the op registry (tests/ops/): builds a one-node graph with the IR API, runs
 * the registry's check and infer on it (as model loading does) and then the op's run on host
 * tensors, with guard bytes after every output buffer. */
#ifndef C8_TESTS_OPS_TESTUTIL_H
#define C8_TESTS_OPS_TESTUTIL_H

#include "c8test.h"

#include "ops/infer.h"
#include "ops/ir.h"
#include "ops/ops.h"

#include <stdbool.h>
#include <stdint.h>

#define T_MAX_IO 8

typedef struct t_op {
    c8_graph *g;
    const char *op_type;
    int in[T_MAX_IO], n_in;
    int out[T_MAX_IO], n_out;
    const void *data[T_MAX_IO]; /* run-time data of each input (INPUT values) */
    int node;                   /* -1 until t_load */
    c8_error err;
    void *y[T_MAX_IO]; /* outputs of t_run, owned (with guard bytes after) */
    size_t ybytes[T_MAX_IO];
    c8_attr attrs[16];
    int n_attrs;
} t_op;

/* A graph at the given default-domain opset with one node of op_type still to be added. */
t_op *t_new(int64_t opset, const char *op_type);
void t_free(t_op *t);

/* Appends an input: a graph input fed with data at run time (data may be NULL for load-only
 * tests), a constant (data copied), or an absent optional input. rank < 0: unknown rank. */
void t_in(t_op *t, c8_dtype dt, int rank, const int64_t *dims, const void *data);
void t_const(t_op *t, c8_dtype dt, int rank, const int64_t *dims, const void *data);
void t_absent(t_op *t);
/* Appends n outputs (y0, y1, ...). */
void t_outs(t_op *t, int n);

void t_attr_i(t_op *t, const char *name, int64_t v);
void t_attr_f(t_op *t, const char *name, float v);
void t_attr_s(t_op *t, const char *name, const char *v);
void t_attr_ints(t_op *t, const char *name, int n, const int64_t *v);
void t_attr_floats(t_op *t, const char *name, int n, const float *v);

/* Adds the node, finalizes the graph and runs the registry's count checks, check and infer.
 * On failure t->err holds the message. */
c8_status t_load(t_op *t);
/* Runs the node (after a successful t_load): allocates outputs per the inferred shapes, calls the
 * op's run and checks the guard bytes (a CUnit failure if any was overwritten). */
c8_status t_run(t_op *t);
/* t_load then t_run. */
c8_status t_load_run(t_op *t);

/* The output value k (dtype and inferred shape). */
const c8_value *t_outv(const t_op *t, int k);
/* The inferred shape of output k as "2x3x4" (static buffer per call site, test use only). */
const char *t_shape(const t_op *t, int k);

/* Asserts that status s is code and that the message names the node and contains needle. */
#define T_EXPECT_ERR(t, s, code, needle)                                                           \
    do {                                                                                           \
        c8_status t_s_ = (s);                                                                      \
        CU_ASSERT_EQUAL(t_s_, code);                                                               \
        CU_ASSERT_PTR_NOT_NULL(strstr((t)->err.msg, "node 'n0'"));                                 \
        CU_ASSERT_PTR_NOT_NULL(strstr((t)->err.msg, needle));                                      \
        if (t_s_ != (code) || !strstr((t)->err.msg, needle))                                       \
            printf("\n    status %d, message: %s\n", (int)t_s_, (t)->err.msg);                     \
    } while (0)

#define T_EXPECT_OK(t, s)                                                                          \
    do {                                                                                           \
        c8_status t_s_ = (s);                                                                      \
        CU_ASSERT_EQUAL(t_s_, C8_OK);                                                              \
        if (t_s_ != C8_OK) printf("\n    unexpected error: %s\n", (t)->err.msg);                   \
    } while (0)

/* Compares n floats with |got - want| <= atol + rtol*|want|; prints the worst element. */
int t_close_f32(const float *got, const double *want, int64_t n, double rtol, double atol,
                const char *what);

#endif
