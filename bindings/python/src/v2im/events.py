"""Typed events: one small class per event the library reports (docs/events.md).

:func:`parse_event` turns the ``{"event": name, "data": ...}`` dict an ``on_event`` handler gets
into one of these; ``client.set_event_handler(fn, typed=True)`` does it for every event. Each
keeps the event's name and its whole ``data`` (``event.data``), so nothing the library sends is
lost, including keys and events newer than this package (an unknown event is a plain
:class:`Event`).

    def on_event(ev):
        if isinstance(ev, v2im.NewMessage):
            print(ev.message.sender, ev.message.text)
        elif isinstance(ev, v2im.ConnectFailed):
            print("channel:", ev.code, ev.desc)

    client.set_event_handler(on_event, typed=True)
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional

from .conversation import Conversation, MessageReceipt
from .message import Message

__all__ = [
    "C2CReadReceipt",
    "ConnectFailed",
    "ConnectSuccess",
    "Connecting",
    "ConnectionState",
    "ConversationChanged",
    "Event",
    "LogEvent",
    "MessageReadReceipts",
    "MessageStatusChanged",
    "NewMessage",
    "SendProgress",
    "TotalUnreadCountChanged",
    "parse_event",
]


class ConnectionState(enum.Enum):
    """The live channel's state as the last connection event reported it."""

    #: No connection event yet (``receive`` off, or nothing listens yet).
    IDLE = "idle"
    #: ``onConnecting``: opening (or opening again after a loss).
    CONNECTING = "connecting"
    #: ``onConnectSuccess``: open; messages arrive.
    CONNECTED = "connected"
    #: ``onConnectFailed``: lost or refused; the library retries unless the failure is final
    #: (100012 no channel, refused credentials).
    FAILED = "failed"


@dataclass(frozen=True)
class Event:
    """Any event: its ``name`` (``"onRecvNewMessage"``...) and its ``data`` as the library sent
    it. Events this package has no class for are plain ``Event`` objects."""

    name: str
    data: Any = field(repr=False, compare=False)


@dataclass(frozen=True)
class Connecting(Event):
    """``onConnecting``: the live channel is being opened."""


@dataclass(frozen=True)
class ConnectSuccess(Event):
    """``onConnectSuccess``: the live channel is open."""


@dataclass(frozen=True)
class ConnectFailed(Event):
    """``onConnectFailed``: the channel could not be opened or was lost. 100012
    (``V2IM_ERR_NO_CHANNEL``) and refused credentials end the attempts; otherwise the library
    connects again with backoff."""

    code: int
    desc: str


@dataclass(frozen=True)
class NewMessage(Event):
    """``onRecvNewMessage``: a received message. ``redelivered`` is true when it is given again
    after a restart (with a ``data_dir``) because it may not have been seen before."""

    message: Message
    redelivered: bool = False


@dataclass(frozen=True)
class C2CReadReceipt(Event):
    """``onRecvC2CReadReceipt``: peers marked our one-to-one messages read."""

    receipts: List[MessageReceipt]


@dataclass(frozen=True)
class MessageReadReceipts(Event):
    """``onRecvMessageReadReceipts``: receipts for our messages sent with
    ``need_read_receipt`` (group read counts, or one-to-one ``is_peer_read``)."""

    receipts: List[MessageReceipt]


@dataclass(frozen=True)
class ConversationChanged(Event):
    """``onConversationChanged``: the new state of some conversations."""

    conversations: List[Conversation]


@dataclass(frozen=True)
class TotalUnreadCountChanged(Event):
    """``onTotalUnreadMessageCountChanged``."""

    total_unread_count: int


@dataclass(frozen=True)
class SendProgress(Event):
    """``onSendMessageProgress``: ``progress`` 0..100 of the message ``id`` being sent
    (``msg_id`` is ``""`` until it is sent; the whole message comes with
    :class:`MessageStatusChanged`)."""

    id: str
    msg_id: str
    progress: int


@dataclass(frozen=True)
class MessageStatusChanged(Event):
    """``onMessageStatusChanged``: a send started (1), succeeded (2) or failed (3)."""

    message: Message
    status: int
    code: int
    desc: str


@dataclass(frozen=True)
class LogEvent(Event):
    """``onLog``: ``level`` is ``"error"``, ``"warn"``, ``"info"`` or ``"debug"``."""

    level: str
    message: str


def _obj(data: Any) -> Mapping[str, Any]:
    return data if isinstance(data, Mapping) else {}


def _list(data: Any) -> List[Mapping[str, Any]]:
    return [x for x in data if isinstance(x, Mapping)] if isinstance(data, list) else []


def _message(data: Any) -> Message:
    return Message(_obj(_obj(data).get("message")))


_PARSERS: Dict[str, Callable[[str, Any], Event]] = {
    "onConnecting": lambda n, d: Connecting(n, d),
    "onConnectSuccess": lambda n, d: ConnectSuccess(n, d),
    "onConnectFailed": lambda n, d: ConnectFailed(
        n, d, int(_obj(d).get("code") or 0), str(_obj(d).get("desc") or "")
    ),
    "onRecvNewMessage": lambda n, d: NewMessage(
        n, d, _message(d), bool(_obj(d).get("redelivered"))
    ),
    "onRecvC2CReadReceipt": lambda n, d: C2CReadReceipt(
        n, d, [MessageReceipt(r) for r in _list(d)]
    ),
    "onRecvMessageReadReceipts": lambda n, d: MessageReadReceipts(
        n, d, [MessageReceipt(r) for r in _list(d)]
    ),
    "onConversationChanged": lambda n, d: ConversationChanged(
        n, d, [Conversation(c) for c in _list(d)]
    ),
    "onTotalUnreadMessageCountChanged": lambda n, d: TotalUnreadCountChanged(
        n, d, int(_obj(d).get("totalUnreadCount") or 0)
    ),
    "onSendMessageProgress": lambda n, d: SendProgress(
        n,
        d,
        str(_obj(d).get("id") or ""),
        str(_obj(d).get("msgID") or ""),
        int(_obj(d).get("progress") or 0),
    ),
    "onMessageStatusChanged": lambda n, d: MessageStatusChanged(
        n,
        d,
        _message(d),
        int(_obj(d).get("status") or 0),
        int(_obj(d).get("code") or 0),
        str(_obj(d).get("desc") or ""),
    ),
    "onLog": lambda n, d: LogEvent(
        n, d, str(_obj(d).get("level") or ""), str(_obj(d).get("message") or "")
    ),
}


def parse_event(event: Mapping[str, Any]) -> Event:
    """The typed form of an event dict ``{"event": name, "data": ...}``.

    Never raises for a well-formed dict: an unknown name gives a plain :class:`Event`.
    """
    name = str(event.get("event") or "")
    data = event.get("data")
    parser: Optional[Callable[[str, Any], Event]] = _PARSERS.get(name)
    if parser is None:
        return Event(name, data)
    return parser(name, data)
