# ops/: the network IR and the op table (per op: checks, shape inference, reference run),
# one file per op family.
list(APPEND C8_SOURCES
  ops/ir.c
  ops/ops.c
  ops/infer.c
  ops/compute.c
  ops/tensor.c
  ops/tensor_shape.c
  ops/tensor_resize.c
  ops/q8.c
  ops/math.c
  ops/logic.c
  ops/index.c
  ops/einsum.c
)
