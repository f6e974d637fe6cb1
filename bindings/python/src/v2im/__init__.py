"""v2im: Python bindings for libv2im, a Tencent-IM-compatible messaging SDK core.

    import v2im
    with v2im.Client(sdk_app_id=1400000000, user_id="alice", secret_key="...",
                     server_url="http://127.0.0.1:8080") as client:
        sent = client.send(client.create_text("hello"), receiver="bob").result()
        print(sent.msg_id)

Receiving (``receive=True``): ``async for message in client.messages(): ...``, or
``client.on_message = fn``; typed events with ``client.set_event_handler(fn, typed=True)``.

Pure Python over ctypes; the shared library is loaded on first use (see :mod:`v2im._lib` for
where it is looked up, ``V2IM_LIBRARY`` to point at it).
"""

from . import events
from ._lib import LibraryNotFoundError, find_library
from .client import Client, EventHandler, MessageHandler, MessageLike, error_str, version
from .conversation import Conversation, ConversationPage, ConversationType, MessageReceipt
from .errors import (
    CANCELLATION_CODES,
    AuthError,
    FileError,
    InvalidParametersError,
    NetworkError,
    RequestCancelledError,
    RequestTimeoutError,
    ServerRefusedError,
    StateError,
    UnknownMethodError,
    V2imError,
    error_from_code,
)
from .events import (
    C2CReadReceipt,
    ConnectFailed,
    Connecting,
    ConnectionState,
    ConnectSuccess,
    ConversationChanged,
    Event,
    LogEvent,
    MessageReadReceipts,
    MessageStatusChanged,
    NewMessage,
    SendProgress,
    TotalUnreadCountChanged,
    parse_event,
)
from .message import (
    AT_ALL_TAG,
    CustomElem,
    Elem,
    ElemType,
    FaceElem,
    FileElem,
    Image,
    ImageElem,
    ImageFormat,
    ImageType,
    LocationElem,
    MergerElem,
    Message,
    MessageStatus,
    OfflinePushInfo,
    Priority,
    SoundElem,
    TextElem,
    VideoElem,
)
from .stream import MessageStream, MessageStreamOverflow

__version__ = "0.1.0"

__all__ = [
    "AT_ALL_TAG",
    "AuthError",
    "C2CReadReceipt",
    "CANCELLATION_CODES",
    "Client",
    "ConnectFailed",
    "ConnectSuccess",
    "Connecting",
    "ConnectionState",
    "Conversation",
    "ConversationChanged",
    "ConversationPage",
    "ConversationType",
    "CustomElem",
    "Elem",
    "ElemType",
    "Event",
    "EventHandler",
    "FaceElem",
    "FileElem",
    "FileError",
    "Image",
    "ImageElem",
    "ImageFormat",
    "ImageType",
    "InvalidParametersError",
    "LibraryNotFoundError",
    "LocationElem",
    "LogEvent",
    "MergerElem",
    "Message",
    "MessageHandler",
    "MessageLike",
    "MessageReadReceipts",
    "MessageReceipt",
    "MessageStatus",
    "MessageStatusChanged",
    "MessageStream",
    "MessageStreamOverflow",
    "NetworkError",
    "NewMessage",
    "OfflinePushInfo",
    "Priority",
    "RequestCancelledError",
    "RequestTimeoutError",
    "SendProgress",
    "ServerRefusedError",
    "SoundElem",
    "StateError",
    "TextElem",
    "TotalUnreadCountChanged",
    "UnknownMethodError",
    "V2imError",
    "VideoElem",
    "error_from_code",
    "error_str",
    "events",
    "find_library",
    "parse_event",
    "version",
]
