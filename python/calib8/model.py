"""calib8.Model (c8_model) and the numpy <-> c8_host_tensor conversions."""

import ctypes
import os
from collections import namedtuple

import numpy as np

from . import _lib, errors

# c8_dtype (numbered as ONNX's TensorProto.DataType) <-> numpy
_DTYPES = {
    1: np.float32,
    2: np.uint8,
    3: np.int8,
    4: np.uint16,
    5: np.int16,
    6: np.int32,
    7: np.int64,
    9: np.bool_,
    10: np.float16,
    11: np.float64,
    12: np.uint32,
    13: np.uint64,
}
_CODES = {np.dtype(v): k for k, v in _DTYPES.items()}

TensorInfo = namedtuple("TensorInfo", "name shape dtype")
TensorInfo.__doc__ = """A model or engine input/output: name, shape (a tuple; None for a dynamic
extent) and dtype (a numpy dtype; None for a type numpy cannot hold)."""


def numpy_dtype(code):
    t = _DTYPES.get(code)
    return np.dtype(t) if t is not None else None


def shape_tuple(s):
    return tuple(int(s.d[i]) if s.d[i] >= 0 else None for i in range(s.rank))


def infos(handle, count_fn, get_fn):
    out = []
    for i in range(count_fn(handle)):
        name, dt, shape = ctypes.c_char_p(), ctypes.c_int(), _lib.Shape()
        get_fn(handle, i, ctypes.byref(name), ctypes.byref(dt), ctypes.byref(shape))
        out.append(TensorInfo(_lib.dec(name.value), shape_tuple(shape), numpy_dtype(dt.value)))
    return out


def as_array(x, what):
    """x (a numpy array or anything with __array__, e.g. a torch tensor) as a C-contiguous numpy
    array of a dtype calib8 holds. The dtype is kept: the library checks it against the model
    and says what it wants."""
    if isinstance(x, np.ndarray):
        a = x
    elif hasattr(x, "__array__") or isinstance(x, (list, tuple, int, float)):
        if hasattr(x, "detach") and hasattr(x, "cpu"):  # a torch tensor that may need grad
            x = x.detach().cpu()
        a = np.asarray(x)
    else:
        raise errors.InvalidError(
            errors.C8_ERR_INVALID,
            "%s: expected a numpy array or an object with __array__, got %s" % (what, type(x).__name__),
        )
    if a.dtype not in _CODES:
        raise errors.InvalidError(
            errors.C8_ERR_INVALID, "%s: dtype %s is not one calib8 holds" % (what, a.dtype)
        )
    if a.ndim > _lib.C8_MAX_RANK:
        raise errors.ShapeError(
            errors.C8_ERR_SHAPE, "%s: rank %d is above calib8's %d" % (what, a.ndim, _lib.C8_MAX_RANK)
        )
    return np.ascontiguousarray(a)


_KEEP_NAME = object()


def fill_tensor(t, name, a):
    """Points the c8_host_tensor t at array a (which the caller keeps alive). name=_KEEP_NAME
    leaves t.name as calib8 preset it: a bytes object stored into a struct that lives in C
    memory would not be kept alive by it."""
    if name is not _KEEP_NAME:
        t.name = _lib.enc(name)
    t.dtype = _CODES[a.dtype]
    t.shape.rank = a.ndim
    for i, d in enumerate(a.shape):
        t.shape.d[i] = d
    t.data = a.ctypes.data_as(ctypes.c_void_p) if a.size else ctypes.c_void_p(a.ctypes.data or 1)


def copy_out(t):
    """A numpy copy of a c8_host_tensor's data."""
    dt = numpy_dtype(t.dtype)
    shape = tuple(int(t.shape.d[i]) for i in range(t.shape.rank))
    n = 1
    for d in shape:
        n *= d
    if n == 0:
        return np.zeros(shape, dt)
    buf = (ctypes.c_char * (n * dt.itemsize)).from_address(t.data)
    return np.frombuffer(buf, dtype=dt).reshape(shape).copy()


class Model(_lib.Handle):
    """An imported ONNX model (c8_model_load): parsed, checked and shape-inferred.

    shapes pins dynamic input extents (c8_model_set_input_shape): a dict {input name: shape}
    or, for a single-input model, one shape, e.g. (1, 1, 28, 28); every extent a number.
    """

    _destroy = "c8_model_destroy"

    def __init__(self, path, shapes=None):
        L = _lib.lib()
        self._h = None
        err = _lib.Error()
        h = ctypes.c_void_p()
        _lib.check(L.c8_model_load(_lib.enc(path), None, ctypes.byref(h), ctypes.byref(err)), err)
        self._h = h
        self._L = L
        if shapes is not None:
            if not isinstance(shapes, dict):
                shapes = {None: shapes}
            for name, shape in shapes.items():
                s = _lib.Shape()
                shape = tuple(shape)
                if len(shape) > _lib.C8_MAX_RANK:
                    raise errors.ShapeError(errors.C8_ERR_SHAPE, "shape %r: rank too large" % (shape,))
                s.rank = len(shape)
                for i, d in enumerate(shape):
                    s.d[i] = -1 if d is None else int(d)
                _lib.check(
                    L.c8_model_set_input_shape(h, _lib.enc(name), ctypes.byref(s), ctypes.byref(err)),
                    err,
                )

    @property
    def handle(self):
        if not self._h:
            raise errors.InvalidError(errors.C8_ERR_INVALID, "the model was closed")
        return self._h

    @property
    def path(self):
        return _lib.dec(self._L.c8_model_path(self.handle))

    @property
    def sha256(self):
        """SHA-256 of the model file (64 hex digits)."""
        return _lib.dec(self._L.c8_model_sha256(self.handle))

    @property
    def inputs(self):
        """[TensorInfo(name, shape, dtype)] of the model's inputs."""
        return infos(self.handle, self._L.c8_model_num_inputs, self._L.c8_model_input)

    @property
    def outputs(self):
        return infos(self.handle, self._L.c8_model_num_outputs, self._L.c8_model_output)

    @property
    def nodes(self):
        """Node names (the names layer_precision patterns match)."""
        L = self._L
        return [_lib.dec(L.c8_model_node_name(self.handle, i)) for i in range(L.c8_model_num_nodes(self.handle))]


    def __repr__(self):
        return "calib8.Model(%r)" % (self.path if self._h else "<closed>")


def as_model(m, shapes=None):
    """(Model, owned) for a Model or a path."""
    if isinstance(m, Model):
        return m
    return Model(m, shapes=shapes)


def check_not_input(out, inputs, what):
    """Refuses an output path that is one of the inputs (by any path), as the CLI does: calib8
    never writes over a file it reads. inputs: paths (None entries ignored)."""
    out = os.fspath(out)
    targets = [out, out + ".json"] if what == "cache" else [out]
    for t in targets:
        for i in inputs:
            if i is not None and os.path.exists(t) and os.path.exists(i) and os.path.samefile(t, i):
                raise errors.InvalidError(
                    errors.C8_ERR_USAGE,
                    "%s %s is an input of this call (%s): calib8 never writes over its inputs"
                    % (what, t, os.fspath(i)),
                )
