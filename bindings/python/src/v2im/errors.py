"""The exceptions raised (or set on futures) for non-zero v2im result codes, by family.

Every error is a :class:`V2imError` (``code``, ``desc``, ``message``); its class says which
family the code is of, so that callers can catch what they handle::

    V2imError
    ├── InvalidParametersError   6017, 6027, 8001, 8005: the request itself is wrong
    │   └── UnknownMethodError   100001: no such library method
    ├── FileError                6022, 6031, 7004-7007: a local file (or the local store)
    ├── NetworkError             6007, 6008, 6012, 100007-100009: no usable answer came
    │   └── RequestTimeoutError  6012
    ├── AuthError                6006 and the server's UserSig/SDKAppID codes (60004, 60006, 700xx)
    ├── ServerRefusedError       any other code of the server (passed through), 10023, 100012
    ├── RequestCancelledError    8021, 100002: cancelled, or the client closed first
    └── StateError               8020, 100003-100006, 100010, 100011: not now, or not from here

:func:`error_from_code` makes the right one for a code; a code this package does not know is a
server's (the library passes the server's codes through), hence a :class:`ServerRefusedError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Optional, Tuple, Type

if TYPE_CHECKING:  # pragma: no cover
    from .message import Message

__all__ = [
    "V2imError",
    "InvalidParametersError",
    "UnknownMethodError",
    "FileError",
    "NetworkError",
    "RequestTimeoutError",
    "AuthError",
    "ServerRefusedError",
    "RequestCancelledError",
    "StateError",
    "FAMILIES",
    "SERVER_AUTH_CODES",
    "error_from_code",
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
    """A v2im call failed; the base of every family below.

    ``code`` is the result code (Tencent's, a server's passed through, or one of v2im's own
    100001+), ``desc`` its description, and ``message`` — for a failed send — the
    :class:`~v2im.Message` as the library reported it (status 3, with its ``id``), else None.
    ``V2imError(code, ...)`` makes the base class whatever the code; :func:`error_from_code`
    makes the family's.
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
        return f"{type(self).__name__}(code={self.code!r}, desc={self.desc!r})"

    def __reduce__(self) -> Tuple[Any, ...]:  # picklable across processes
        return (type(self), (self.code, self.desc, self.message))


class InvalidParametersError(V2imError):
    """The request is wrong as written: a missing, mistyped, unknown or out-of-range parameter or
    config key (the ``desc`` names it), params that are not a JSON object, a message over a
    limit. Sending it again unchanged fails the same way."""


class UnknownMethodError(InvalidParametersError):
    """``Client.call`` with a method name the library does not have (100001)."""


class FileError(V2imError):
    """A local file could not be used: missing, empty, too large, unreadable, not an image; or
    the local store (``dataDir``) could not be read or written."""


class NetworkError(V2imError):
    """No usable answer came: the connection failed, timed out, the server (or something in
    front of it) answered with an HTTP error status or with something that is not the IM
    protocol, or a media upload failed. The library has already retried; a later try may
    work."""


class RequestTimeoutError(NetworkError):
    """No answer within ``requestTimeoutMs``, after the retries (6012)."""


class AuthError(V2imError):
    """The server refused the credentials: the UserSig is expired, invalid or made for another
    user, app or key; the SDKAppID is unknown; or the upload server refused them (6006)."""


class ServerRefusedError(V2imError):
    """The server answered and refused the request with its own code (passed through): no
    such account or group, no permission, the app's backend refused the message, a rate
    limit, no live channel (100012)..."""


class RequestCancelledError(V2imError):
    """The request was cancelled (``cancel()``, 8021) or its client was closed before it
    completed (100002); :attr:`~V2imError.cancelled` is True."""


class StateError(V2imError):
    """Not possible in the current state, or not from this thread: too late to cancel, send
    queue full, client poisoned by a panic, a blocking call from a v2im callback, ``dataDir``
    in use by another client, an earlier run's send not resumed."""


#: The family of every code the library declares (a Rust test holds this against its table).
FAMILIES: Dict[int, Type[V2imError]] = {
    ERR_FILE_TRANS_AUTH_FAILED: AuthError,
    ERR_FILE_TRANS_NO_SERVER: NetworkError,
    ERR_FILE_TRANS_UPLOAD_FAILED: NetworkError,
    ERR_REQUEST_TIME_OUT: RequestTimeoutError,
    ERR_INVALID_PARAMETERS: InvalidParametersError,
    ERR_IO_OPERATION_FAILED: FileError,
    ERR_INVALID_JSON: InvalidParametersError,
    ERR_IMAGE_UPLOAD_FAILED_NOTIMAGE: FileError,
    ERR_FILE_NOT_FOUND: FileError,
    ERR_FILE_TOO_LARGE: FileError,
    ERR_FILE_SIZE_EMPTY: FileError,
    ERR_FILE_OPEN_FAILED: FileError,
    ERR_SDK_MSG_BODY_SIZE_LIMIT: InvalidParametersError,
    ERR_MERGER_MSG_LAYERS_OVER_LIMIT: InvalidParametersError,
    ERR_SDK_INVALID_CANCEL_MESSAGE: StateError,
    ERR_SDK_SEND_MESSAGE_FAILED_WITH_CANCEL: RequestCancelledError,
    ERR_SVR_GROUP_SEND_MSG_FREQ_LIMIT: ServerRefusedError,
    V2IM_ERR_UNKNOWN_METHOD: UnknownMethodError,
    V2IM_ERR_SHUTTING_DOWN: RequestCancelledError,
    V2IM_ERR_QUEUE_FULL: StateError,
    V2IM_ERR_PANIC: StateError,
    V2IM_ERR_POISONED: StateError,
    V2IM_ERR_WOULD_DEADLOCK: StateError,
    V2IM_ERR_HTTP_STATUS: NetworkError,
    V2IM_ERR_BAD_RESPONSE: NetworkError,
    V2IM_ERR_NETWORK: NetworkError,
    V2IM_ERR_DATA_DIR_IN_USE: StateError,
    V2IM_ERR_NOT_RESUMED: StateError,
    V2IM_ERR_NO_CHANNEL: ServerRefusedError,
}

#: The server's codes (passed through by the library) that refuse the credentials; every other
#: server code is a :class:`ServerRefusedError`. A Rust test holds these against the server's
#: code table.
SERVER_AUTH_CODES = frozenset({
    60004,  # identifier or UserSig missing or wrong in the URL
    60006,  # SDKAppID invalid or disabled
    70001,  # UserSig expired
    70002,  # UserSig empty
    70003,  # UserSig invalid
    70009,  # UserSig not made with this app's key
    70013,  # UserSig made for another identifier
    70014,  # UserSig made for another SDKAppID
})


def error_from_code(code: int, desc: str = "", message: Optional["Message"] = None) -> V2imError:
    """The exception of ``code``'s family (see the module's table), with ``desc`` and the
    failed ``message`` if any. Code 0 is no failure: it gives a plain :class:`V2imError`."""
    code = int(code)
    if code == OK:
        cls: Type[V2imError] = V2imError
    elif code in FAMILIES:
        cls = FAMILIES[code]
    elif code in SERVER_AUTH_CODES:
        cls = AuthError
    else:
        cls = ServerRefusedError
    return cls(code, desc, message)
