/* Graphviz DOT output of a graph (calib8 inspect --dot): one box per node labelled with its
 * name (or fusion label, e.g. "CBR(conv1+bn1+relu1)"), op and output shape; one edge per tensor
 * read, labelled with the tensor name; graph inputs and outputs as ellipses; constants are not
 * drawn (a node's label counts its constant inputs). Internal to libcalib8. */
#ifndef C8_ENGINE_DOT_H
#define C8_ENGINE_DOT_H

#include "calib8/status.h"
#include "ops/ir.h"

#include <stdio.h>

/* Writes g as a DOT digraph titled `title` (may be NULL) to fp. Returns C8_ERR_IO if a write
 * fails (ferror). */
c8_status c8_graph_write_dot_fp(const c8_graph *g, const char *title, FILE *fp, c8_error *err);

/* Same, to path, written atomically (util/fileio.h). */
c8_status c8_graph_write_dot(const c8_graph *g, const char *title, const char *path, c8_error *err);

#endif
