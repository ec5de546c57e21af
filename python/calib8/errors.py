"""calib8's errors: one exception class per c8_status (include/calib8/status.h), all subclasses
of calib8.Error, each carrying the C library's message (which names the file, tensor or layer
and the problem) and its status code."""

C8_ERR_IO = 1
C8_ERR_PARSE = 2
C8_ERR_UNSUPPORTED = 3
C8_ERR_INVALID = 4
C8_ERR_SHAPE = 5
C8_ERR_NOMEM = 6
C8_ERR_DEVICE = 7
C8_ERR_MISMATCH = 8
C8_ERR_INTERNAL = 9
C8_ERR_USAGE = 10
C8_ERR_INTERRUPTED = 11
C8_ERR_NOT_FOUND = 12
C8_ERR_LIMIT = 13


class Error(Exception):
    """A calib8 failure. `code` is the c8_status value, `status` its short name ("io", ...),
    `message` the library's message."""

    status = "error"

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


class FileError(Error):
    """C8_ERR_IO: a file could not be opened, read or written."""

    status = "io"


class ParseError(Error, ValueError):
    """C8_ERR_PARSE: a file's content is malformed (ONNX, cache, plan, image, ...)."""

    status = "parse"


class UnsupportedError(Error):
    """C8_ERR_UNSUPPORTED: valid input that calib8 does not handle."""

    status = "unsupported"


class InvalidError(Error, ValueError):
    """C8_ERR_INVALID (and C8_ERR_USAGE): an invalid argument or inconsistent input, e.g. a
    tensor of the wrong dtype."""

    status = "invalid"


class ShapeError(InvalidError):
    """C8_ERR_SHAPE: tensor shapes do not fit."""

    status = "shape"


class OutOfMemoryError(Error, MemoryError):
    """C8_ERR_NOMEM: an allocation failed or a size overflowed."""

    status = "nomem"


class DeviceError(Error):
    """C8_ERR_DEVICE: a CUDA, cuDNN or cuBLAS failure, or a device this build lacks."""

    status = "device"


class MismatchError(Error):
    """C8_ERR_MISMATCH: an artifact does not match (a cache for another model, a stale plan)."""

    status = "mismatch"


class InternalError(Error):
    """C8_ERR_INTERNAL: a bug in calib8."""

    status = "internal"


class Interrupted(Error):
    """C8_ERR_INTERRUPTED: stopped by a signal or by the data source."""

    status = "interrupted"


class NotFoundError(Error, LookupError):
    """C8_ERR_NOT_FOUND: a named thing (tensor, data set, file) does not exist."""

    status = "not_found"


class LimitError(Error):
    """C8_ERR_LIMIT: a memory or size limit would be exceeded."""

    status = "limit"


_BY_CODE = {
    C8_ERR_IO: FileError,
    C8_ERR_PARSE: ParseError,
    C8_ERR_UNSUPPORTED: UnsupportedError,
    C8_ERR_INVALID: InvalidError,
    C8_ERR_SHAPE: ShapeError,
    C8_ERR_NOMEM: OutOfMemoryError,
    C8_ERR_DEVICE: DeviceError,
    C8_ERR_MISMATCH: MismatchError,
    C8_ERR_INTERNAL: InternalError,
    C8_ERR_USAGE: InvalidError,
    C8_ERR_INTERRUPTED: Interrupted,
    C8_ERR_NOT_FOUND: NotFoundError,
    C8_ERR_LIMIT: LimitError,
}


def from_status(code, message):
    """The exception for a c8_status code and its message."""
    return _BY_CODE.get(code, Error)(code, message)
