"""Writes tests/engine/data/unsupported_ops.onnx: a chain of nodes in which several op types are
unsupported (Cos three times, Sin twice, one node of the com.microsoft domain) between supported
ones, for the import's one-message list of every unsupported op type with its node count
(tests/engine/test_import.c). The protobuf is written by hand (the ONNX field numbers of
engine/onnx/onnx.proto), so the script needs no package beyond Python itself."""
import os


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(num, payload):  # length-delimited
    return varint(num << 3 | 2) + varint(len(payload)) + payload


def field_int(num, v):
    return varint(num << 3) + varint(v)


def s(text):
    return text.encode()


def node(name, op, x, y, domain=""):
    b = field(1, s(x)) + field(2, s(y)) + field(3, s(name)) + field(4, s(op))
    return b + (field(7, s(domain)) if domain else b"")


def value_info(name, dims):
    shape = b"".join(field(1, field_int(1, d)) for d in dims)  # Dimension.dim_value
    tensor = field_int(1, 1) + field(2, shape)  # elem_type FLOAT, shape
    return field(1, s(name)) + field(2, field(1, tensor))  # TypeProto.tensor_type


chain = [("cos0", "Cos", ""), ("relu0", "Relu", ""), ("cos1", "Cos", ""), ("sin0", "Sin", ""),
         ("cos2", "Cos", ""), ("sin1", "Sin", ""), ("fmm", "FusedGelu", "com.microsoft")]
nodes = b""
for i, (name, op, dom) in enumerate(chain):
    src = "x" if i == 0 else "t%d" % (i - 1)
    dst = "y" if i == len(chain) - 1 else "t%d" % i
    nodes += field(1, node(name, op, src, dst, dom))
graph = nodes + field(2, s("g")) + field(11, value_info("x", [1, 4])) + \
    field(12, value_info("y", [1, 4]))
model = field_int(1, 8) + field(7, graph) + field(8, field_int(2, 9))  # ir 8, opset 9
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "unsupported_ops.onnx")
with open(out, "wb") as f:
    f.write(model)
print(out)
