"""The ctypes binding of libcalib8's public C API (include/calib8/*.h).

Only what the package uses is declared. The structures mirror the public headers field by
field (the headers promise no layout that depends on build flags); a change there must be
made here too. How the shared library is found is in `find_library`.
"""

import ctypes
import ctypes.util
import os

from . import errors

c_int64 = ctypes.c_int64
c_char_p = ctypes.c_char_p
c_void_p = ctypes.c_void_p
c_bool = ctypes.c_bool
c_int = ctypes.c_int
c_double = ctypes.c_double

C8_MAX_RANK = 8
C8_PRE_MAX_CHANNELS = 3
C8_PROGRESS_QUIET = 3


class Error(ctypes.Structure):
    _fields_ = [("code", c_int), ("msg", ctypes.c_char * 1024)]


class Shape(ctypes.Structure):
    _fields_ = [("rank", c_int), ("d", c_int64 * C8_MAX_RANK)]


class HostTensor(ctypes.Structure):
    _fields_ = [("name", c_char_p), ("dtype", c_int), ("shape", Shape), ("data", c_void_p)]


class ScaleSource(ctypes.Structure):
    _fields_ = [("get", c_void_p), ("user", c_void_p), ("sha256", c_char_p)]


class BuildOptions(ctypes.Structure):
    _fields_ = [
        ("device", c_int),
        ("precision", c_int),
        ("fallback", c_int),
        ("scales", ctypes.POINTER(ScaleSource)),
        ("layer_precision", c_char_p),
        ("strict", c_bool),
        ("passes", c_bool),
        ("tf32", c_bool),
        ("tune_batches", ctypes.POINTER(c_int64)),
        ("n_tune_batches", c_int),
        ("preprocessing", c_char_p),
        ("threads", c_int),
        ("verbose", c_bool),
        ("log", c_void_p),
    ]


class NodePlacement(ctypes.Structure):
    _fields_ = [
        ("name", c_char_p),
        ("op", c_char_p),
        ("precision", c_int),
        ("role", c_char_p),
        ("device", c_char_p),
        ("reason", c_char_p),
        ("layout", c_char_p),
        ("kernel", c_char_p),
        ("tuned", c_char_p),
    ]


class CalibParams(ctypes.Structure):
    _fields_ = [("percentile", c_double), ("mxnet_eps", c_double)]


class CalibrateOpts(ctypes.Structure):
    _fields_ = [
        ("algo", c_char_p),
        ("input_algo", c_char_p),
        ("params", CalibParams),
        ("nbins", c_int64),
        ("device", c_int),
        ("trt_version", c_char_p),
        ("histograms_path", c_char_p),
        ("preprocessing_json", c_char_p),
        ("progress", c_int),
        ("log", c_void_p),
        ("max_memory", ctypes.c_uint64),
        ("threads", c_int),
    ]


class CalibrateResult(ctypes.Structure):
    _fields_ = [
        ("images", c_int64),
        ("tensors", c_int64),
        ("t_total", c_double),
        ("t_load", c_double),
        ("t_infer", c_double),
        ("t_hist", c_double),
        ("t_search", c_double),
    ]


# c8_status (*next)(void *user, c8_host_tensor *inputs, int n_inputs, bool *done, c8_error *err)
SourceNextFn = ctypes.CFUNCTYPE(
    c_int, c_void_p, ctypes.POINTER(HostTensor), c_int, ctypes.POINTER(c_bool), ctypes.POINTER(Error)
)


class CalibSource(ctypes.Structure):
    _fields_ = [
        ("next", SourceNextFn),
        ("user", c_void_p),
        ("total", c_int64),
        ("dataset_sha256", c_char_p),
        ("dataset_images", c_int64),
        ("batch_size", c_int64),
        ("image_name", c_void_p),
    ]


class DatasetSpec(ctypes.Structure):
    _fields_ = [
        ("path", c_char_p),
        ("labels_path", c_char_p),
        ("classes_path", c_char_p),
        ("hdf5_images", c_char_p),
        ("hdf5_labels", c_char_p),
        ("kind", c_int),
        ("images", c_int64),
        ("seed", ctypes.c_uint64),
        ("shuffle", c_bool),
        ("stratified", c_bool),
    ]


class Preprocess(ctypes.Structure):
    _fields_ = [
        ("resize", c_int),
        ("resize_short", c_int64),
        ("resize_h", c_int64),
        ("resize_w", c_int64),
        ("crop_h", c_int64),
        ("crop_w", c_int64),
        ("channels", c_int),
        ("scale", c_double),
        ("nmean", c_int),
        ("nstd", c_int),
        ("mean", c_double * C8_PRE_MAX_CHANNELS),
        ("std", c_double * C8_PRE_MAX_CHANNELS),
        ("resize_long", c_int64),
        ("round_multiple", c_int64),
        ("pad_multiple", c_int64),
    ]


class LoaderOpts(ctypes.Structure):
    _fields_ = [
        ("batch", c_int64),
        ("prefetch", c_int),
        ("skip_bad", c_bool),
        ("first", c_int64),
        ("count", c_int64),
    ]


class DriftOptions(ctypes.Structure):
    _fields_ = [("map_threshold", c_double), ("ctc_blank", c_int64), ("kind", c_int)]


class CompareOptions(ctypes.Structure):
    _fields_ = [
        ("calib_cache", c_char_p),
        ("fp16", c_bool),
        ("int8", c_bool),
        ("fallback", c_int),
        ("layer_precision", c_char_p),
        ("device", c_int),
        ("threads", c_int),
        ("passes", c_bool),
        ("allow_cache_mismatch", c_bool),
        ("layer_images", c_int64),
        ("sensitivity", c_bool),
        ("histograms_path", c_char_p),
        ("hist_bins", c_int64),
        ("dump_path", c_char_p),
        ("drift", DriftOptions),
        ("progress", c_int),
        ("log", c_void_p),
    ]


P = ctypes.POINTER
E = P(Error)
# name: (restype, argtypes). Handles are opaque void pointers.
_PROTOTYPES = {
    "c8_status_name": (c_char_p, [c_int]),
    "c8_dtype_name": (c_char_p, [c_int]),
    # models
    "c8_model_load": (c_int, [c_char_p, c_void_p, P(c_void_p), E]),
    "c8_model_destroy": (None, [c_void_p]),
    "c8_model_path": (c_char_p, [c_void_p]),
    "c8_model_sha256": (c_char_p, [c_void_p]),
    "c8_model_num_nodes": (c_int, [c_void_p]),
    "c8_model_node_name": (c_char_p, [c_void_p, c_int]),
    "c8_model_num_inputs": (c_int, [c_void_p]),
    "c8_model_num_outputs": (c_int, [c_void_p]),
    "c8_model_input": (None, [c_void_p, c_int, P(c_char_p), P(c_int), P(Shape)]),
    "c8_model_output": (None, [c_void_p, c_int, P(c_char_p), P(c_int), P(Shape)]),
    "c8_model_set_input_shape": (c_int, [c_void_p, c_char_p, P(Shape), E]),
    "c8_model_check_layer_spec": (c_int, [c_void_p, c_char_p, E]),
    "c8_model_image_input": (c_int, [c_void_p, P(c_char_p), P(c_int64), P(c_int64), P(c_int64), E]),
    # engines and contexts
    "c8_device_parse": (c_bool, [c_char_p, P(c_int)]),
    "c8_device_check": (c_int, [c_int, P(c_char_p), E]),
    "c8_device_name": (c_char_p, [c_int]),
    "c8_precision_name": (c_char_p, [c_int]),
    "c8_build_options_init": (None, [P(BuildOptions)]),
    "c8_engine_build": (c_int, [c_void_p, P(BuildOptions), P(c_void_p), E]),
    "c8_engine_destroy": (None, [c_void_p]),
    "c8_engine_save": (c_int, [c_void_p, c_char_p, E]),
    "c8_engine_load": (c_int, [c_char_p, P(c_void_p), E]),
    "c8_engine_num_inputs": (c_int, [c_void_p]),
    "c8_engine_num_outputs": (c_int, [c_void_p]),
    "c8_engine_input": (None, [c_void_p, c_int, P(c_char_p), P(c_int), P(Shape)]),
    "c8_engine_output": (None, [c_void_p, c_int, P(c_char_p), P(c_int), P(Shape)]),
    "c8_engine_device": (c_int, [c_void_p]),
    "c8_engine_model_sha256": (c_char_p, [c_void_p]),
    "c8_engine_cache_sha256": (c_char_p, [c_void_p]),
    "c8_engine_num_nodes": (c_int, [c_void_p]),
    "c8_engine_node_placement": (None, [c_void_p, c_int, P(NodePlacement)]),
    "c8_engine_num_layers": (c_int, [c_void_p]),
    "c8_engine_layer": (None, [c_void_p, c_int, P(c_char_p), P(c_char_p), P(c_int), P(c_char_p)]),
    "c8_context_create": (c_int, [c_void_p, P(c_void_p), E]),
    "c8_context_destroy": (None, [c_void_p]),
    "c8_context_run": (c_int, [c_void_p, P(HostTensor), c_int, E]),
    "c8_context_output": (c_int, [c_void_p, c_int, P(HostTensor), E]),
    "c8_export_qdq": (c_int, [c_char_p, P(BuildOptions), c_char_p, P(c_int64), P(c_int64), E]),
    # calibration
    "c8_calibrate_opts_init": (None, [P(CalibrateOpts)]),
    "c8_calib_algo_find": (c_void_p, [c_char_p]),
    "c8_calibrate_source": (
        c_int,
        [c_void_p, P(CalibSource), P(CalibrateOpts), c_char_p, P(CalibrateResult), E],
    ),
    "c8_calibrate": (
        c_int,
        [c_void_p, c_void_p, c_void_p, c_int64, P(CalibrateOpts), c_char_p, P(CalibrateResult), E],
    ),
    "c8_calib_cache_read": (c_int, [c_char_p, P(c_void_p), E]),
    "c8_calib_cache_destroy": (None, [c_void_p]),
    "c8_calib_cache_count": (c_int64, [c_void_p]),
    "c8_calib_cache_name": (c_char_p, [c_void_p, c_int64]),
    "c8_calib_cache_scale": (ctypes.c_float, [c_void_p, c_int64]),
    "c8_calib_cache_preprocessing": (c_int, [c_char_p, P(c_void_p), E]),
    "c8_calib_cache_load_for_model": (c_int, [c_char_p, c_char_p, c_bool, c_void_p, P(c_void_p), E]),
    "c8_calib_cache_scales": (ScaleSource, [c_void_p]),
    "c8_calib_histfile_load": (c_int, [c_char_p, P(c_void_p), E]),
    "c8_calib_histfile_destroy": (None, [c_void_p]),
    "c8_calib_histfile_count": (c_int64, [c_void_p]),
    "c8_calib_histfile_name": (c_char_p, [c_void_p, c_int64]),
    "c8_calib_histfile_hist": (c_void_p, [c_void_p, c_int64]),
    "c8_hist_nbins": (c_int64, [c_void_p]),
    "c8_hist_counts": (P(ctypes.c_uint64), [c_void_p]),
    "c8_hist_range": (c_double, [c_void_p]),
    "c8_hist_absmax": (ctypes.c_float, [c_void_p]),
    "c8_hist_min": (ctypes.c_float, [c_void_p]),
    "c8_hist_max": (ctypes.c_float, [c_void_p]),
    "c8_hist_count": (ctypes.c_uint64, [c_void_p]),
    # data sets
    "c8_dataset_spec_init": (None, [P(DatasetSpec)]),
    "c8_dataset_open": (c_int, [P(DatasetSpec), P(c_void_p), E]),
    "c8_dataset_destroy": (None, [c_void_p]),
    "c8_dataset_count": (c_int64, [c_void_p]),
    "c8_dataset_manifest_sha256": (c_char_p, [c_void_p]),
    "c8_preprocess_init": (None, [P(Preprocess)]),
    "c8_preprocess_preset": (c_int, [P(Preprocess), c_char_p, E]),
    "c8_preprocess_set": (c_int, [P(Preprocess), c_char_p, c_char_p, c_char_p, E]),
    "c8_preprocess_describe": (c_char_p, [P(Preprocess), c_char_p, ctypes.c_size_t]),
    "c8_loader_opts_init": (None, [P(LoaderOpts)]),
    "c8_loader_create": (
        c_int,
        [c_void_p, P(Preprocess), c_int64, c_int64, c_int64, P(LoaderOpts), P(c_void_p), E],
    ),
    "c8_loader_destroy": (None, [c_void_p]),
    # reports
    "c8_compare_options_init": (None, [P(CompareOptions)]),
    "c8_report_create": (c_int, [P(c_void_p), E]),
    "c8_report_destroy": (None, [c_void_p]),
    "c8_report_set": (c_int, [c_void_p, c_char_p, c_char_p, E]),
    "c8_report_compare": (
        c_int,
        [c_void_p, c_void_p, c_void_p, P(Preprocess), P(LoaderOpts), P(CompareOptions), E],
    ),
    "c8_report_set_compare_settings": (
        c_int,
        [c_void_p, c_void_p, c_void_p, P(Preprocess), P(LoaderOpts), P(CompareOptions), c_char_p, c_char_p, E],
    ),
    "c8_report_write": (c_int, [c_void_p, c_char_p, E]),
    "c8_report_write_json": (c_int, [c_void_p, c_char_p, E]),
}


def find_library():
    """The path of libcalib8's shared library, in this order:
    1. $CALIB8_LIBRARY (a file path);
    2. the CMake build folder of the source tree: <tree>/build/libcalib8.so, <tree> being the
       checkout the package was installed from (recorded at install time) or the one this file
       lies in (python/calib8/ run from the source tree);
    3. the system loader (an installed libcalib8.so.0, ldconfig / LD_LIBRARY_PATH)."""
    env = os.environ.get("CALIB8_LIBRARY")
    if env:
        if not os.path.isfile(env):
            raise errors.FileError(errors.C8_ERR_IO, "CALIB8_LIBRARY=%s: no such file" % env)
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    trees = []
    try:
        from . import _install_paths  # written by setup.py at install time

        trees.append(_install_paths.SOURCE_TREE)
    except ImportError:
        pass
    trees.append(os.path.dirname(os.path.dirname(here)))
    for tree in trees:
        cand = os.path.join(tree, "build", "libcalib8.so")
        if os.path.isfile(cand):
            return cand
    name = ctypes.util.find_library("calib8")
    if name:
        return name
    raise errors.FileError(
        errors.C8_ERR_IO,
        "libcalib8.so not found: set CALIB8_LIBRARY to its path, build it with CMake into "
        "<calib8>/build (cmake -S . -B build && cmake --build build), or install it "
        "(cmake --install build)",
    )


_lib = None


def lib():
    """The loaded library with its prototypes declared (loaded on first use)."""
    global _lib
    if _lib is None:
        path = find_library()
        handle = ctypes.CDLL(path)
        for name, (res, args) in _PROTOTYPES.items():
            fn = getattr(handle, name)
            fn.restype = res
            fn.argtypes = args
        handle.c8_library_path = path
        _lib = handle
    return _lib


def enc(s):
    """str/bytes/path-like -> bytes (NULL for None)."""
    if s is None:
        return None
    if isinstance(s, bytes):
        return s
    return os.fsencode(s)


def dec(b):
    return b.decode("utf-8", "replace") if b is not None else None


def check(status, err):
    """Raises the calib8.Error subclass of status with err's message (no-op for C8_OK)."""
    if status != 0:
        raise errors.from_status(status, dec(err.msg))


class Handle:
    """An owner of one C handle (self._h, destroyed by the C function named _destroy): close()
    frees it once, also when the object is collected or leaves a with-block."""

    _destroy = None

    def close(self):
        if getattr(self, "_h", None):
            getattr(self._L, self._destroy)(self._h)
            self._h = None

    def __del__(self):
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()
