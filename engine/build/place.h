/* The placement pass (engine/build/place.c), run by c8_engine_build after lowering and by
 * c8_engine_load for plans of format 1 (written before plans stored a placement). Internal. */
#ifndef C8_ENGINE_BUILD_PLACE_H
#define C8_ENGINE_BUILD_PLACE_H

#include "engine/engine_internal.h"
#include "kernels/backend.h"

/* Places every node of e->g for backend vt and records the decision in its layer (place,
 * place_reason, layout, kernel). On a backend with its own memory (!vt->host_memory), nodes the
 * backend does not support (vt->supports, or listed in C8_CUDA_HOST_OPS, a debugging aid:
 * "Conv,Add") go to the host, and the pass inserts HostCopy nodes: a download for each device
 * value a host node reads (once), and an upload for each host-computed value under the value's
 * own name (also when only host nodes read it: observers such as calibration see every tensor
 * once, on the device); two host nodes in a row read each other's output in host memory.
 * Host-memory backends (the CPU) get no copies and an unchanged graph. */
c8_status c8_place(c8_engine *e, const c8_backend_vt *vt, c8_error *err);

/* Inserts a Reformat node (with its layer, role C8_LAYER_REFORMAT) wherever backend vt stores
 * a value otherwise than a device node's kernel wants it (vt->layouts, vt->wants), and before
 * every download of a value not stored in ONNX layout (engine/build/reformat.c). Nothing for
 * host-memory backends or backends without vt->wants. Run by c8_place, and by c8_engine_load
 * for device plans of format 2 (written before conversions were nodes). */
c8_status c8_place_reformats(c8_engine *e, const c8_backend_vt *vt, c8_error *err);

/* A Reformat node's "from" or "to" storage (which) as text, "NHWC float16", into buf. */
const char *c8_place_reformat_layout(const c8_graph *g, const c8_node *n, const char *which,
                                     char *buf, size_t len);

/* The name of a storage layout of a value of rank `rank`: "NCHW", "NHWC", "NHWC32", "NC", ... */
const char *c8_place_layout_name(int rank, const c8_value_layout *f, char *buf, size_t n);

/* Computes only the layouts (vt->layouts) into e's layer records; used after c8_place. */
c8_status c8_place_layouts(c8_engine *e, const c8_backend_vt *vt, c8_error *err);

/* Number of compute or reformat nodes placed on the host in a device plan (HostCopy nodes are
 * not counted). */
int c8_place_host_nodes(const c8_engine *e);

/* C8_ERR_UNSUPPORTED when some node of a device plan is placed on the host, naming every such
 * node (up to the message's room) and its reason; C8_OK otherwise. what: e.g. "--strict". */
c8_status c8_place_check_strict(const c8_engine *e, const char *what, c8_error *err);

#endif
