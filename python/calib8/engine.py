"""calib8.build, calib8.Engine (c8_engine), Engine.context() (c8_context) and export_qdq."""

import ctypes
import os

from . import _lib, errors
from .model import as_array, as_model, check_not_input, copy_out, fill_tensor, infos

_PRECISIONS = {"fp32": 1, "fp16": 2, "int8": 3}
_PRECISION_NAMES = {v: k for k, v in _PRECISIONS.items()}


def _device(name):
    d = ctypes.c_int()
    if not _lib.lib().c8_device_parse(_lib.enc(name), ctypes.byref(d)):
        raise errors.InvalidError(
            errors.C8_ERR_INVALID, "device '%s': expected cpu, cpu-ref or cuda" % (name,)
        )
    return d.value


def device_check(device):
    """Where the backend of device ("cpu", "cpu-ref", "cuda") comes from: None for the CPU
    devices, the CUDA backend module's path (or "linked in") for "cuda"; raises
    calib8.UnsupportedError saying why when it cannot be used (c8_device_check). Whether a GPU
    is present is found when an engine is built."""
    L = _lib.lib()
    where = ctypes.c_char_p()
    err = _lib.Error()
    _lib.check(L.c8_device_check(_device(device), ctypes.byref(where), ctypes.byref(err)), err)
    return _lib.dec(where.value)


def _precision(p, what="precision"):
    """(precision, fallback) codes for "fp32", "fp16", "int8" or "fp16,int8" (as calib8 build)."""
    key = str(p).replace(" ", "")
    if key in ("fp16,int8", "int8,fp16"):
        return 3, 2
    if key not in _PRECISIONS:
        raise errors.InvalidError(
            errors.C8_ERR_INVALID, "%s '%s': expected fp32, fp16, int8 or fp16,int8" % (what, p)
        )
    return _PRECISIONS[key], 1


def layer_spec(layer_precision):
    """A --layer-precision spec from a dict {glob: precision} (or a spec string as is)."""
    if layer_precision is None or isinstance(layer_precision, str):
        return layer_precision or None
    items = []
    for glob, p in layer_precision.items():
        if "," in glob:
            raise errors.InvalidError(
                errors.C8_ERR_INVALID, "layer_precision: pattern '%s' contains ','" % glob
            )
        _precision(p, "layer_precision['%s']" % glob)
        items.append("%s:%s" % (glob, p))
    return ",".join(items) or None


def check_layer_spec(model, spec):
    """c8_model_check_layer_spec: every pattern must match a layer of the model."""
    if spec:
        err = _lib.Error()
        _lib.check(_lib.lib().c8_model_check_layer_spec(model.handle, _lib.enc(spec), ctypes.byref(err)), err)


_libc_free = ctypes.CDLL(None).free
_libc_free.argtypes = [ctypes.c_void_p]
_libc_free.restype = None


class _Scales:
    """A calibration cache loaded for a model (c8_calib_cache_load_for_model, as calib8 build
    reads --calib) and its scale source; the cache must outlive the build."""

    def __init__(self, model, calibration, allow_mismatch):
        from .calibration import Calibration

        if not isinstance(calibration, Calibration):
            calibration = Calibration.load(calibration)
        L = _lib.lib()
        err = _lib.Error()
        self._L = L
        self.h = ctypes.c_void_p()
        self.calibration = calibration
        _lib.check(
            L.c8_calib_cache_load_for_model(
                _lib.enc(calibration.path),
                _lib.enc(model.sha256),
                bool(allow_mismatch),
                None,
                ctypes.byref(self.h),
                ctypes.byref(err),
            ),
            err,
        )
        self.source = L.c8_calib_cache_scales(self.h)
        # the preprocessing its sidecar records, which a build copies into the plan (as calib8
        # build --calib does); malloc'd by the library, freed with the C library's free
        line = ctypes.c_void_p()
        _lib.check(
            L.c8_calib_cache_preprocessing(_lib.enc(calibration.path), ctypes.byref(line),
                                           ctypes.byref(err)),
            err,
        )
        self.preprocessing = ctypes.string_at(line.value) if line.value else None
        if line.value:
            _libc_free(line)

    def close(self):
        if self.h:
            self._L.c8_calib_cache_destroy(self.h)
            self.h = None


def _build_options(model, precision, calibration, layer_precision, device, fallback, passes, strict,
                   allow_cache_mismatch):
    L = _lib.lib()
    bo = _lib.BuildOptions()
    L.c8_build_options_init(ctypes.byref(bo))
    bo.precision, bo.fallback = _precision(precision)
    if fallback is not None:
        bo.fallback, _ = _precision(fallback, "fallback")
    bo.device = _device(device)
    bo.passes = bool(passes)
    bo.strict = bool(strict)
    spec = layer_spec(layer_precision)
    check_layer_spec(model, spec)
    bo.layer_precision = _lib.enc(spec)
    scales = None
    if calibration is not None:
        scales = _Scales(model, calibration, allow_cache_mismatch)
        bo.scales = ctypes.pointer(scales.source)
        bo.preprocessing = scales.preprocessing  # kept alive by scales until the build ends
    return bo, scales


def build(model, precision="int8", calibration=None, layer_precision=None, device="cpu",
          fallback=None, passes=True, strict=False, allow_cache_mismatch=False, shapes=None):
    """Compiles model (a calib8.Model or an ONNX path) into an Engine, as `calib8 build` does.

    precision: "fp32", "fp16", "int8" or "fp16,int8" (INT8 with FP16 where INT8 is not
    possible); calibration: a Calibration or a cache path (needed for INT8; read and checked
    against the model as `build --calib` does); layer_precision: {glob: precision} over node
    names (every glob must match a layer) or a spec string "conv1:fp32,fc*:fp16"; device:
    "cpu", "cpu-ref" or "cuda"; fallback: "fp32" (default) or "fp16"."""
    m = as_model(model, shapes)
    bo, scales = _build_options(m, precision, calibration, layer_precision, device, fallback, passes,
                                strict, allow_cache_mismatch)
    err = _lib.Error()
    h = ctypes.c_void_p()
    try:
        _lib.check(_lib.lib().c8_engine_build(m.handle, ctypes.byref(bo), ctypes.byref(h), ctypes.byref(err)), err)
    finally:
        if scales:
            scales.close()
    return Engine(h)


def export_qdq(model, calibration, path, layer_precision=None, allow_cache_mismatch=False):
    """Writes model with QuantizeLinear/DequantizeLinear pairs carrying calibration's scales
    (`calib8 export-qdq`); returns (activation Q/DQ pairs, int8 weights)."""
    m = as_model(model)
    cal_path = calibration.path if hasattr(calibration, "path") else calibration
    check_not_input(path, [m.path, cal_path, cal_path and os.fspath(cal_path) + ".json"], "output")
    # the build options of `calib8 export-qdq` (c8_build_options_init's: graph passes on)
    bo, scales = _build_options(m, "int8", calibration, layer_precision, "cpu", None, True, False,
                                allow_cache_mismatch)
    err = _lib.Error()
    na, nw = ctypes.c_int64(), ctypes.c_int64()
    try:
        _lib.check(
            _lib.lib().c8_export_qdq(
                _lib.enc(m.path), ctypes.byref(bo), _lib.enc(os.fspath(path)), ctypes.byref(na),
                ctypes.byref(nw), ctypes.byref(err),
            ),
            err,
        )
    finally:
        scales.close()
    return na.value, nw.value


class Engine(_lib.Handle):
    """A compiled model (c8_engine): immutable, shareable across threads. Call it with the
    inputs (an array for a single-input model, or {name: array}) to get {output name: array};
    each call runs on its own execution context, or use engine.context() to reuse one."""

    _destroy = "c8_engine_destroy"

    def __init__(self, handle):
        self._L = _lib.lib()
        self._h = handle

    @classmethod
    def load(cls, path):
        """Reads a plan written by Engine.save or `calib8 build --plan`."""
        L = _lib.lib()
        err = _lib.Error()
        h = ctypes.c_void_p()
        _lib.check(L.c8_engine_load(_lib.enc(os.fspath(path)), ctypes.byref(h), ctypes.byref(err)), err)
        return cls(h)

    @property
    def handle(self):
        if not self._h:
            raise errors.InvalidError(errors.C8_ERR_INVALID, "the engine was closed")
        return self._h

    def save(self, path):
        """Writes the plan file atomically (same engine -> same bytes)."""
        err = _lib.Error()
        _lib.check(self._L.c8_engine_save(self.handle, _lib.enc(os.fspath(path)), ctypes.byref(err)), err)

    @property
    def inputs(self):
        return infos(self.handle, self._L.c8_engine_num_inputs, self._L.c8_engine_input)

    @property
    def outputs(self):
        return infos(self.handle, self._L.c8_engine_num_outputs, self._L.c8_engine_output)

    @property
    def device(self):
        return _lib.dec(self._L.c8_device_name(self._L.c8_engine_device(self.handle)))

    @property
    def model_sha256(self):
        return _lib.dec(self._L.c8_engine_model_sha256(self.handle))

    @property
    def cache_sha256(self):
        """SHA-256 of the calibration cache the engine was built with ("" if none)."""
        return _lib.dec(self._L.c8_engine_cache_sha256(self.handle))

    @property
    def layers(self):
        """The layer table as data: one dict per node in execution order (compute layers,
        reformats and copies) with the columns of `calib8 build`'s table: name, op, precision,
        role, device, reason, layout, kernel, tuned."""
        L, h = self._L, self.handle
        out = []
        for i in range(L.c8_engine_num_nodes(h)):
            p = _lib.NodePlacement()
            L.c8_engine_node_placement(h, i, ctypes.byref(p))
            out.append(
                {
                    "name": _lib.dec(p.name),
                    "op": _lib.dec(p.op),
                    "precision": _PRECISION_NAMES.get(p.precision, str(p.precision)),
                    "role": _lib.dec(p.role),
                    "device": _lib.dec(p.device),
                    "reason": _lib.dec(p.reason) or "",
                    "layout": _lib.dec(p.layout),
                    "kernel": _lib.dec(p.kernel),
                    "tuned": _lib.dec(p.tuned) or "",
                }
            )
        return out

    def context(self):
        """A reusable execution context (one thread at a time)."""
        return Context(self)

    def __call__(self, inputs):
        with Context(self) as c:
            return c(inputs)



class Context(_lib.Handle):
    """One execution context of an engine (c8_context): its activation memory is kept between
    calls. Use from one thread at a time; several contexts may run one engine concurrently."""

    _destroy = "c8_context_destroy"

    def __init__(self, engine):
        self.engine = engine  # keeps the engine alive
        self._L = engine._L
        err = _lib.Error()
        h = ctypes.c_void_p()
        _lib.check(self._L.c8_context_create(engine.handle, ctypes.byref(h), ctypes.byref(err)), err)
        self._h = h

    def __call__(self, inputs):
        if not self._h:
            raise errors.InvalidError(errors.C8_ERR_INVALID, "the context was closed")
        if isinstance(inputs, dict):
            named = [(k, as_array(v, "input '%s'" % k)) for k, v in inputs.items()]
        else:
            named = [(None, as_array(inputs, "input"))]
        ts = (_lib.HostTensor * max(1, len(named)))()
        for t, (name, a) in zip(ts, named):
            fill_tensor(t, name, a)
        err = _lib.Error()
        L, h = self._L, self._h
        _lib.check(L.c8_context_run(h, ts, len(named), ctypes.byref(err)), err)
        out = {}
        for i, info in enumerate(self.engine.outputs):
            t = _lib.HostTensor()
            _lib.check(L.c8_context_output(h, i, ctypes.byref(t), ctypes.byref(err)), err)
            out[info.name] = copy_out(t)
        del named  # the arrays were borrowed by the run
        return out

