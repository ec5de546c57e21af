"""calib8 from Python: INT8 calibration, engines and accuracy-drift reports over libcalib8's
public C API (ctypes; numpy arrays in and out). See docs/python.md.

    import calib8
    model = calib8.Model("model.onnx")
    cal = calib8.calibrate(model, loader)             # any iterable of arrays, or a data path
    engine = calib8.build(model, "int8", calibration=cal)
    logits = engine(x)["logits"]
"""

from .errors import (  # noqa: F401
    DeviceError,
    Error,
    FileError,
    InternalError,
    Interrupted,
    InvalidError,
    LimitError,
    MismatchError,
    NotFoundError,
    OutOfMemoryError,
    ParseError,
    ShapeError,
    UnsupportedError,
)
from .model import Model, TensorInfo  # noqa: F401
from .engine import Context, Engine, build, device_check, export_qdq  # noqa: F401
from .calibration import Calibration, calibrate  # noqa: F401
from .report import Report, compare  # noqa: F401

__version__ = "0.1.0"


def library_path():
    """The libcalib8 shared library this package loaded (see README: how it is found)."""
    from . import _lib

    return _lib.lib().c8_library_path
