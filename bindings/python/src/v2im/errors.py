"""The exception raised (or set on futures) for every non-zero v2im result code."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Tuple

if TYPE_CHECKING:  # pragma: no cover
    from .message import Message

__all__ = [
    "V2imError",
    "OK",
    "ERR_FILE_TRANS_AUTH_FAILED",
    "ERR_FILE_TRANS_NO_SERVER",
    "ERR_FILE_TRANS_UPLOAD_FAILED",
    "ERR_REQUEST_TIME_OUT",
    "ERR_INVALID_PARAMETERS",
    "ERR_IO_OPERATION_FAILED",
    "ERR_INVALID_JSON",
    "ERR_IMAGE_UPLOAD_FAILED_NOTIMAGE",
    "ERR_FILE_NOT_FOUND",
    "ERR_FILE_TOO_LARGE",
    "ERR_FILE_SIZE_EMPTY",
    "ERR_FILE_OPEN_FAILED",
    "ERR_SDK_MSG_BODY_SIZE_LIMIT",
    "ERR_MERGER_MSG_LAYERS_OVER_LIMIT",
    "ERR_SDK_INVALID_CANCEL_MESSAGE",
    "ERR_SDK_SEND_MESSAGE_FAILED_WITH_CANCEL",
    "ERR_SVR_GROUP_SEND_MSG_FREQ_LIMIT",
    "V2IM_ERR_UNKNOWN_METHOD",
    "V2IM_ERR_SHUTTING_DOWN",
    "V2IM_ERR_QUEUE_FULL",
    "V2IM_ERR_PANIC",
    "V2IM_ERR_POISONED",
    "V2IM_ERR_WOULD_DEADLOCK",
    "V2IM_ERR_HTTP_STATUS",
    "V2IM_ERR_BAD_RESPONSE",
    "V2IM_ERR_NETWORK",
    "V2IM_ERR_DATA_DIR_IN_USE",
    "V2IM_ERR_NOT_RESUMED",
    "V2IM_ERR_NO_CHANNEL",
    "CANCELLATION_CODES",
]

# The library's result codes, as in v2im.h (a Rust test holds this list against the library's
# table). Tencent's codes keep Tencent's names and values.
OK = 0
ERR_FILE_TRANS_AUTH_FAILED = 6006
ERR_FILE_TRANS_NO_SERVER = 6007
ERR_FILE_TRANS_UPLOAD_FAILED = 6008
ERR_REQUEST_TIME_OUT = 6012
ERR_INVALID_PARAMETERS = 6017
ERR_IO_OPERATION_FAILED = 6022
ERR_INVALID_JSON = 6027
ERR_IMAGE_UPLOAD_FAILED_NOTIMAGE = 6031
ERR_FILE_NOT_FOUND = 7004
ERR_FILE_TOO_LARGE = 7005
ERR_FILE_SIZE_EMPTY = 7006
ERR_FILE_OPEN_FAILED = 7007
ERR_SDK_MSG_BODY_SIZE_LIMIT = 8001
ERR_MERGER_MSG_LAYERS_OVER_LIMIT = 8005
ERR_SDK_INVALID_CANCEL_MESSAGE = 8020
ERR_SDK_SEND_MESSAGE_FAILED_WITH_CANCEL = 8021
ERR_SVR_GROUP_SEND_MSG_FREQ_LIMIT = 10023

# v2im's own block (100001 upwards, never reused).
V2IM_ERR_UNKNOWN_METHOD = 100001
V2IM_ERR_SHUTTING_DOWN = 100002
V2IM_ERR_QUEUE_FULL = 100003
V2IM_ERR_PANIC = 100004
V2IM_ERR_POISONED = 100005
#: Raised by this package for a blocking call made from a v2im callback.
V2IM_ERR_WOULD_DEADLOCK = 100006
V2IM_ERR_HTTP_STATUS = 100007
V2IM_ERR_BAD_RESPONSE = 100008
V2IM_ERR_NETWORK = 100009
#: Another client has the same ``data_dir`` open (one client per dataDir at a time).
V2IM_ERR_DATA_DIR_IN_USE = 100010
#: A send an earlier run on this ``data_dir`` never finished, not resent
#: (``resume_pending_on_start=False``).
V2IM_ERR_NOT_RESUMED = 100011
#: ``receive`` is on but the server has no live channel (Tencent's cloud, or an older server).
V2IM_ERR_NO_CHANNEL = 100012

#: Codes with which a request ends when it was cancelled (``cancel()``) or its client closed.
CANCELLATION_CODES = frozenset(
    {V2IM_ERR_SHUTTING_DOWN, ERR_SDK_SEND_MESSAGE_FAILED_WITH_CANCEL}
)


class V2imError(Exception):
    """A v2im call failed.

    ``code`` is the result code (Tencent's, a server's passed through, or one of v2im's own
    100001+), ``desc`` its description, and ``message`` — for a failed send — the
    :class:`~v2im.Message` as the library reported it (status 3, with its ``id``), else None.
    """

    def __init__(self, code: int, desc: str = "", message: Optional["Message"] = None) -> None:
        super().__init__(code, desc)
        self.code = int(code)
        self.desc = desc
        self.message = message

    @property
    def cancelled(self) -> bool:
        """True when the request was cancelled (by ``cancel()`` or by closing the client)."""
        return self.code in CANCELLATION_CODES

    def __str__(self) -> str:
        return f"[{self.code}] {self.desc}" if self.desc else f"[{self.code}]"

    def __repr__(self) -> str:
        return f"V2imError(code={self.code!r}, desc={self.desc!r})"

    def __reduce__(self) -> Tuple[Any, ...]:  # picklable across processes
        return (type(self), (self.code, self.desc, self.message))
