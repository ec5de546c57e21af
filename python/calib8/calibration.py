"""calib8.calibrate and calib8.Calibration: c8_calibrate (a data set the CLI's readers take) and
c8_calibrate_source (the caller's batches: numpy arrays, dicts of them, a torch DataLoader)."""

import ctypes
import os
import shutil
import tempfile

import numpy as np

from . import _lib, errors
from .engine import _device
from .model import _KEEP_NAME, as_array, as_model, check_not_input, fill_tensor

# `calib8 calibrate`'s default --images
DEFAULT_PATH_IMAGES = 500


class Calibration:
    """A calibration: a TensorRT-format cache file (`path`), its provenance sidecar
    (`path + ".json"`) and, when the calibration was run here, the histograms."""

    def __init__(self, path, histograms_path=None, _tmp=None):
        self.path = os.fspath(path)
        self.histograms_path = os.fspath(histograms_path) if histograms_path else None
        self._tmp = _tmp  # a TemporaryDirectory holding the files when no cache path was given
        self._scales = None
        self._hists = None

    @classmethod
    def load(cls, path, histograms=None):
        """An existing cache (and its sidecar, if any); histograms: an HDF5 histogram file
        (`calibrate --save-histograms`) or None."""
        c = cls(path, histograms)
        c.scales  # read (and checked) now, so a bad file fails here
        return c

    @property
    def scales(self):
        """{tensor name: scale (float)} in cache order."""
        if self._scales is None:
            L = _lib.lib()
            err = _lib.Error()
            h = ctypes.c_void_p()
            _lib.check(L.c8_calib_cache_read(_lib.enc(self.path), ctypes.byref(h), ctypes.byref(err)), err)
            try:
                self._scales = {
                    _lib.dec(L.c8_calib_cache_name(h, i)): float(L.c8_calib_cache_scale(h, i))
                    for i in range(L.c8_calib_cache_count(h))
                }
            finally:
                L.c8_calib_cache_destroy(h)
        return dict(self._scales)

    @property
    def cache_bytes(self):
        with open(self.path, "rb") as f:
            return f.read()

    @property
    def sidecar_path(self):
        p = self.path + ".json"
        return p if os.path.exists(p) else None

    def _load_histograms(self):
        if self._hists is None:
            if not self.histograms_path:
                raise errors.NotFoundError(
                    errors.C8_ERR_NOT_FOUND,
                    "%s: no histograms (load the calibration with histograms=FILE.h5)" % self.path,
                )
            L = _lib.lib()
            err = _lib.Error()
            h = ctypes.c_void_p()
            _lib.check(L.c8_calib_histfile_load(_lib.enc(self.histograms_path), ctypes.byref(h), ctypes.byref(err)), err)
            try:
                counts, info = {}, {}
                for i in range(L.c8_calib_histfile_count(h)):
                    name = _lib.dec(L.c8_calib_histfile_name(h, i))
                    hist = L.c8_calib_histfile_hist(h, i)
                    n = L.c8_hist_nbins(hist)
                    counts[name] = np.ctypeslib.as_array(L.c8_hist_counts(hist), shape=(n,)).copy()
                    info[name] = {
                        "range": L.c8_hist_range(hist),
                        "absmax": float(L.c8_hist_absmax(hist)),
                        "min": float(L.c8_hist_min(hist)),
                        "max": float(L.c8_hist_max(hist)),
                        "count": int(L.c8_hist_count(hist)),
                    }
            finally:
                L.c8_calib_histfile_destroy(h)
            self._hists = (counts, info)
        return self._hists

    @property
    def histograms(self):
        """{tensor name: (nbins,) uint64 numpy array}: the histogram of |x| per tensor; bin k
        covers [k, k + 1) * range / nbins (histogram_info gives range, absmax, min, max)."""
        return dict(self._load_histograms()[0])

    @property
    def histogram_info(self):
        return dict(self._load_histograms()[1])

    def save(self, path, histograms=None):
        """Writes the cache to path and its sidecar to path + ".json" (and, with histograms=FILE,
        the histogram file), each through a temporary file and a rename."""
        path = os.fspath(path)
        pairs = [(self.path, path)]
        if self.sidecar_path:
            pairs.append((self.sidecar_path, path + ".json"))
        if histograms:
            if not self.histograms_path:
                self._load_histograms()  # raises: there are none
            pairs.append((self.histograms_path, os.fspath(histograms)))
        for src, dst in pairs:
            check_not_input(dst, [p for p, _ in pairs if p != src], "output")
            if os.path.exists(dst) and os.path.samefile(src, dst):
                continue
            tmp = dst + ".tmp-%d" % os.getpid()
            try:
                shutil.copyfile(src, tmp)
                os.replace(tmp, dst)
            except OSError as e:
                if os.path.exists(tmp):
                    os.unlink(tmp)
                raise errors.FileError(errors.C8_ERR_IO, "%s: %s" % (dst, e.strerror or e)) from e

    def __repr__(self):
        return "calib8.Calibration(%r)" % self.path


def _opts(model, algo, input_algo, bins, percentile, device, trt_version, hist_path):
    L = _lib.lib()
    co = _lib.CalibrateOpts()
    L.c8_calibrate_opts_init(ctypes.byref(co))
    if not L.c8_calib_algo_find(_lib.enc(algo)):
        raise errors.InvalidError(errors.C8_ERR_INVALID, "unknown calibration algorithm '%s'" % algo)
    co.algo = _lib.enc(algo)
    if input_algo == "same":
        co.input_algo = None
    elif input_algo is not None:
        if not L.c8_calib_algo_find(_lib.enc(input_algo)):
            raise errors.InvalidError(errors.C8_ERR_INVALID, "unknown input algorithm '%s'" % input_algo)
        co.input_algo = _lib.enc(input_algo)
    if bins is not None:
        co.nbins = int(bins)
    if percentile is not None:
        co.params.percentile = float(percentile)
    co.device = _device(device)
    co.trt_version = _lib.enc(trt_version)
    co.histograms_path = _lib.enc(hist_path)
    co.progress = _lib.C8_PROGRESS_QUIET
    return co


def image_input(model):
    """(C, H, W) of the model's single (N, C, H, W) float32 input, which the CLI's data sets
    feed (c8_model_image_input: the CLI's check and messages)."""
    err = _lib.Error()
    name = ctypes.c_char_p()
    c, h, w = ctypes.c_int64(), ctypes.c_int64(), ctypes.c_int64()
    _lib.check(
        _lib.lib().c8_model_image_input(model.handle, ctypes.byref(name), ctypes.byref(c), ctypes.byref(h), ctypes.byref(w), ctypes.byref(err)),
        err,
    )
    return c.value, h.value, w.value


class Dataset(_lib.Handle):
    """A data set opened by the CLI's readers (c8_dataset_open), with its preprocessing and
    loader options: what `--data PATH` and the data set flags say."""

    _destroy = "c8_dataset_destroy"

    def __init__(self, path, labels=None, classes=None, hdf5_dataset=None, hdf5_labels=None,
                 images=None, seed=0, shuffle=True, stratified=False, batch=32, preprocess=None,
                 skip_bad=False):
        L = _lib.lib()
        self._L = L
        self.spec = _lib.DatasetSpec()
        L.c8_dataset_spec_init(ctypes.byref(self.spec))
        self._keep = [_lib.enc(os.fspath(path)) if path is not None else None, _lib.enc(labels),
                      _lib.enc(classes), _lib.enc(hdf5_dataset), _lib.enc(hdf5_labels)]
        s = self.spec
        s.path, s.labels_path, s.classes_path = self._keep[0], self._keep[1], self._keep[2]
        if hdf5_dataset:
            s.hdf5_images = self._keep[3]
        if hdf5_labels:
            s.hdf5_labels = self._keep[4]
        s.images = -1 if not images else int(images)
        s.seed = int(seed)
        s.shuffle = bool(shuffle)
        s.stratified = bool(stratified)
        self.pre = _lib.Preprocess()
        L.c8_preprocess_init(ctypes.byref(self.pre))
        err = _lib.Error()
        for key, value in (preprocess or {}).items():
            if isinstance(value, (list, tuple)):
                value = ",".join(repr(float(v)) if not isinstance(v, str) else v for v in value)
            where = _lib.enc("preprocess['%s']" % key)
            _lib.check(L.c8_preprocess_set(ctypes.byref(self.pre), _lib.enc(key), _lib.enc(str(value)), where, ctypes.byref(err)), err)
        self.loader = _lib.LoaderOpts()
        L.c8_loader_opts_init(ctypes.byref(self.loader))
        self.loader.batch = int(batch)
        self.loader.skip_bad = bool(skip_bad)
        self._h = ctypes.c_void_p()
        _lib.check(L.c8_dataset_open(ctypes.byref(self.spec), ctypes.byref(self._h), ctypes.byref(err)), err)
        self.path = path

    @property
    def handle(self):
        return self._h

    @property
    def count(self):
        return self._L.c8_dataset_count(self._h)

    @property
    def manifest_sha256(self):
        return _lib.dec(self._L.c8_dataset_manifest_sha256(self._h))

    def describe_preprocessing(self):
        buf = ctypes.create_string_buffer(512)
        self._L.c8_preprocess_describe(ctypes.byref(self.pre), buf, 512)
        return _lib.dec(buf.value)



def _is_path(data):
    return isinstance(data, (str, bytes, os.PathLike))


def _batches(data, batch):
    """Items of data: an ndarray (or one object with __array__ that is not iterable as batches)
    is split along axis 0 into batches of `batch`."""
    if isinstance(data, np.ndarray) or (hasattr(data, "__array__") and not hasattr(data, "__iter__")):
        a = np.asarray(data)
        for i in range(0, a.shape[0], batch):
            yield a[i:i + batch]
        return
    yield from data


class _Source:
    """The c8_calib_source over a Python iterable (the callback runs on the calling thread)."""

    def __init__(self, model, data, input_fn, images, batch):
        self.inputs = model.inputs
        self.it = iter(_batches(data, batch))
        self.input_fn = input_fn
        self.left = images  # None: all
        self.keep = None  # the arrays of the batch being run (borrowed by calib8)
        self.exc = None
        self.batch_size = 0
        self.index = 0
        self.fn = _lib.SourceNextFn(self._next)

    def _arrays(self, item):
        if self.input_fn is not None:
            item = self.input_fn(item)
        elif isinstance(item, (tuple, list)) and not hasattr(item, "__array__"):
            # (images, labels) as a torch DataLoader yields them: the first element
            if not item:
                raise errors.InvalidError(errors.C8_ERR_INVALID, "batch %d: an empty tuple" % self.index)
            item = item[0]
        if isinstance(item, dict):
            named = {k: as_array(v, "batch %d, input '%s'" % (self.index, k)) for k, v in item.items()}
        else:
            if len(self.inputs) != 1:
                raise errors.InvalidError(
                    errors.C8_ERR_INVALID,
                    "batch %d: the model has %d inputs: give a dict {input name: array}"
                    % (self.index, len(self.inputs)),
                )
            named = {self.inputs[0].name: as_array(item, "batch %d" % self.index)}
        for info in self.inputs:
            a = named.get(info.name)
            if a is None:
                raise errors.NotFoundError(
                    errors.C8_ERR_NOT_FOUND, "batch %d: no array for input '%s'" % (self.index, info.name)
                )
            if a.ndim == len(info.shape) - 1:  # one image: a batch of one
                named[info.name] = a = a[np.newaxis]
        for k in named:
            if k not in [i.name for i in self.inputs]:
                raise errors.NotFoundError(
                    errors.C8_ERR_NOT_FOUND, "batch %d: the model has no input '%s'" % (self.index, k)
                )
        return named

    def _next(self, user, inputs, n_inputs, done, err):
        try:
            self.keep = None
            if self.left is not None and self.left <= 0:
                done[0] = True
                return 0
            try:
                item = next(self.it)
            except StopIteration:
                done[0] = True
                return 0
            named = self._arrays(item)
            if self.left is not None:
                n = next(iter(named.values())).shape[0]
                if n > self.left:
                    named = {k: v[: self.left] for k, v in named.items()}
                    n = self.left
                self.left -= n
            self.keep = named
            for i in range(n_inputs):
                name = _lib.dec(inputs[i].name)
                fill_tensor(inputs[i], _KEEP_NAME, named[name])
            if not self.batch_size:
                self.batch_size = next(iter(named.values())).shape[0]
            self.index += 1
            return 0
        except BaseException as e:  # handed back to the caller after the C call returns
            self.exc = e
            code = e.code if isinstance(e, errors.Error) else errors.C8_ERR_INVALID
            msg = ("data: %s" % (e,)).encode("utf-8", "replace")[:1000]
            err[0].code = code
            err[0].msg = msg
            return code


def calibrate(model, data, algo="auto", bins=None, cache=None, input_algo="minmax", percentile=None,
              device="cpu", input_fn=None, images=None, batch=32, preprocess=None, trt_version=None,
              **dataset):
    """Runs the FP32 model over data, collects a histogram of |x| per calibration tensor,
    picks thresholds and writes a TensorRT-format cache (`cache`, or a temporary file) with its
    sidecar; returns the Calibration (with its histograms).

    data is either
      - a path the CLI's readers take (image folder, list file, HDF5), with the data set flags
        as keywords (labels=, classes=, hdf5_dataset=, seed=, shuffle=, stratified=), batch=,
        preprocess={key: value} in the CLI's terms ({"scale": "1/255", "mean": 0.286, ...},
        applied in order), images= (default 500, as `calib8 calibrate`; 0: all); or
      - any iterable of batches: numpy arrays, objects with __array__ (torch tensors), dicts
        {input name: array} for several inputs, or tuples whose first element is the batch (a
        torch DataLoader's (images, labels)); input_fn(item) maps an item to an array or dict
        instead. An array of the input's rank minus one is one image. A single ndarray is split
        into batches of `batch`. images= stops after that many images. The arrays are used as
        they are (dtype included: a float32 model needs float32 arrays).
    """
    m = as_model(model)
    tmp = tempfile.TemporaryDirectory(prefix="calib8-")
    cache_path = os.fspath(cache) if cache is not None else os.path.join(tmp.name, "calibration.cache")
    if cache is not None:
        check_not_input(cache_path, [m.path, data if _is_path(data) else None], "cache")
    hist_path = os.path.join(tmp.name, "histograms.h5")
    co = _opts(m, algo, input_algo, bins, percentile, device, trt_version, hist_path)
    L = _lib.lib()
    err = _lib.Error()
    res = _lib.CalibrateResult()
    if _is_path(data):
        c, h, w = image_input(m)
        ds = Dataset(data, images=DEFAULT_PATH_IMAGES if images is None else images, batch=batch,
                     preprocess=preprocess, **dataset)
        pre_json = _lib.enc('"%s"' % ds.describe_preprocessing())
        co.preprocessing_json = pre_json
        loader = ctypes.c_void_p()
        try:
            _lib.check(L.c8_loader_create(ds.handle, ctypes.byref(ds.pre), c, h, w, ctypes.byref(ds.loader), ctypes.byref(loader), ctypes.byref(err)), err)
            _lib.check(L.c8_calibrate(m.handle, ds.handle, loader, ds.loader.batch, ctypes.byref(co), _lib.enc(cache_path), ctypes.byref(res), ctypes.byref(err)), err)
        finally:
            L.c8_loader_destroy(loader)
            ds.close()
    else:
        if dataset or preprocess:
            raise errors.InvalidError(
                errors.C8_ERR_INVALID,
                "%s: only a data set path takes data set and preprocessing options"
                % ", ".join(sorted(dataset) + (["preprocess"] if preprocess else [])),
            )
        src = _Source(m, data, input_fn, images, batch)
        cs = _lib.CalibSource()
        cs.next = src.fn
        cs.total = -1
        s = L.c8_calibrate_source(m.handle, ctypes.byref(cs), ctypes.byref(co), _lib.enc(cache_path), ctypes.byref(res), ctypes.byref(err))
        src.keep = None
        if src.exc is not None:
            raise src.exc
        _lib.check(s, err)
    return Calibration(cache_path, hist_path, _tmp=tmp)
