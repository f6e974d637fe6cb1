"""v2im: Python bindings for libv2im, a Tencent-IM-compatible messaging SDK core.

    import v2im
    with v2im.Client(sdk_app_id=1400000000, user_id="alice", secret_key="...",
                     server_url="http://127.0.0.1:8080") as client:
        sent = client.send(client.create_text("hello"), receiver="bob").result()
        print(sent.msg_id)

Pure Python over ctypes; the shared library is loaded on first use (see :mod:`v2im._lib` for
where it is looked up, ``V2IM_LIBRARY`` to point at it).
"""

from ._lib import LibraryNotFoundError, find_library
from .client import Client, EventHandler, MessageLike, error_str, version
from .errors import CANCELLATION_CODES, V2imError
from .message import AT_ALL_TAG, ElemType, Message, MessageStatus, OfflinePushInfo, Priority

__version__ = "0.1.0"

__all__ = [
    "AT_ALL_TAG",
    "CANCELLATION_CODES",
    "Client",
    "ElemType",
    "EventHandler",
    "LibraryNotFoundError",
    "Message",
    "MessageLike",
    "MessageStatus",
    "OfflinePushInfo",
    "Priority",
    "V2imError",
    "error_str",
    "find_library",
    "version",
]
