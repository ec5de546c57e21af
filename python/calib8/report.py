"""calib8.compare and calib8.Report: c8_report_compare, the library call behind `calib8 compare`."""

import ctypes
import json
import os
import tempfile

from . import _lib, errors
from .calibration import Calibration, Dataset, _is_path
from .engine import _device, _precision, check_layer_spec, layer_spec
from .model import as_model

_KINDS = {"auto": 0, "classes": 1, "map": 2, "sequence": 3, "generic": 4}


class Report(_lib.Handle):
    """An accuracy-drift report (c8_report). `data` is report.json's content as a dict (the
    schema of docs/report.md); save(dir) writes report.json, report.md and report.html."""

    _destroy = "c8_report_destroy"

    def __init__(self, handle):
        self._L = _lib.lib()
        self._h = handle
        self._data = None

    @property
    def data(self):
        if self._data is None:
            with tempfile.TemporaryDirectory(prefix="calib8-") as d:
                p = os.path.join(d, "report.json")
                err = _lib.Error()
                _lib.check(self._L.c8_report_write_json(self._h, _lib.enc(p), ctypes.byref(err)), err)
                with open(p, encoding="utf-8") as f:
                    self._data = json.load(f)
        return self._data

    @property
    def precisions(self):
        """{precision name: end-to-end statistics} (report.json's "precisions")."""
        return self.data["precisions"]

    @property
    def drift(self):
        return self.data["drift"]

    @property
    def layers(self):
        return self.data["layers"]

    def save(self, directory):
        """Writes DIR/report.json, report.md and report.html (each atomically; DIR is made)."""
        err = _lib.Error()
        _lib.check(self._L.c8_report_write(self._h, _lib.enc(os.fspath(directory)), ctypes.byref(err)), err)



def compare(model, calibration, data, precisions=("fp32", "fp16", "int8"), fallback=None,
            layer_precision=None, device="cpu", passes=True, allow_cache_mismatch=False,
            layer_images=64, sensitivity=True, histograms=None, bins=None, map_threshold=None,
            ctc_blank=None, output_kind="auto", batch=32, images=None, preprocess=None, **dataset):
    """`calib8 compare`: every precision against FP32 on the images of data (a path the CLI's
    readers take, with the same keywords as calibrate: batch=, preprocess=, images= (default
    all), shuffle=, seed=, labels=, ...): the drift of every output, top-1/top-5 with labels,
    the per-layer comparison and the sensitivity analysis on the first layer_images images.
    calibration: a Calibration or a cache path (needed for int8). histograms: an HDF5 histogram
    file, or True to use the calibration's own (default: collected on the layer images, as the
    CLI without --histograms). Returns a Report with the numbers of the CLI's report.json."""
    if not _is_path(data):
        raise errors.UnsupportedError(
            errors.C8_ERR_UNSUPPORTED,
            "compare reads its images with the CLI's data set readers: give a folder, list or "
            "HDF5 path (in-memory batches are not supported by compare yet)",
        )
    L = _lib.lib()
    m = as_model(model)
    co = _lib.CompareOptions()
    L.c8_compare_options_init(ctypes.byref(co))
    names = [p.strip() for p in (precisions.split(",") if isinstance(precisions, str) else precisions)]
    for p in names:
        _precision(p, "precisions")
    co.fp16, co.int8 = "fp16" in names, "int8" in names
    keep = []
    if calibration is not None:
        if not isinstance(calibration, Calibration):
            calibration = Calibration.load(calibration)
        keep.append(_lib.enc(calibration.path))
        co.calib_cache = keep[-1]
        if histograms is True:
            histograms = calibration.histograms_path
    if co.int8 and calibration is None:
        raise errors.InvalidError(errors.C8_ERR_INVALID, "a calibration is required to compare int8")
    if fallback is not None:
        co.fallback, _ = _precision(fallback, "fallback")
    spec = layer_spec(layer_precision)
    check_layer_spec(m, spec)
    keep.append(_lib.enc(spec))
    co.layer_precision = keep[-1]
    co.device = _device(device)
    co.passes = bool(passes)
    co.allow_cache_mismatch = bool(allow_cache_mismatch)
    co.layer_images = int(layer_images)
    co.sensitivity = bool(sensitivity)
    if histograms:
        keep.append(_lib.enc(os.fspath(histograms)))
        co.histograms_path = keep[-1]
    if bins is not None:
        co.hist_bins = int(bins)
    if map_threshold is not None:
        co.drift.map_threshold = float(map_threshold)
    if ctc_blank is not None:
        co.drift.ctc_blank = int(ctc_blank)
    if output_kind not in _KINDS:
        raise errors.InvalidError(errors.C8_ERR_INVALID, "output_kind '%s': expected one of %s" % (output_kind, ", ".join(_KINDS)))
    co.drift.kind = _KINDS[output_kind]
    co.progress = _lib.C8_PROGRESS_QUIET
    ds = Dataset(data, images=images, batch=batch, preprocess=preprocess, **dataset)
    err = _lib.Error()
    rep = ctypes.c_void_p()
    _lib.check(L.c8_report_create(ctypes.byref(rep), ctypes.byref(err)), err)
    report = Report(rep)
    try:
        # the settings `calib8 compare` records, by the library call the CLI makes
        _lib.check(
            L.c8_report_set_compare_settings(
                rep, m.handle, ds.handle, ctypes.byref(ds.pre), ctypes.byref(ds.loader), ctypes.byref(co),
                _lib.enc(os.fspath(data)), _lib.enc(",".join(names)), ctypes.byref(err),
            ),
            err,
        )
        _lib.check(
            L.c8_report_compare(rep, m.handle, ds.handle, ctypes.byref(ds.pre), ctypes.byref(ds.loader), ctypes.byref(co), ctypes.byref(err)),
            err,
        )
    except BaseException:
        report.close()
        raise
    finally:
        ds.close()
    return report
