"""Conversations and read receipts: typed views of ``V2TimConversation`` and
``V2TimMessageReceipt``, as :class:`~v2im.Message` is of ``V2TimMessage``."""

from __future__ import annotations

import copy
import enum
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Mapping, Optional, Union

from .message import Message

__all__ = ["Conversation", "ConversationPage", "ConversationType", "MessageReceipt"]


class ConversationType(enum.IntEnum):
    """V2TIM conversation type (``V2TIMConversationType``)."""

    C2C = 1
    GROUP = 2


class _View(Mapping[str, Any]):
    """A read-only typed view of one JSON object of the library; every key stays reachable as
    ``view["camelKey"]`` and the whole object as :attr:`raw` (keys a newer library adds too)."""

    __slots__ = ("_raw",)
    _kind = "JSON object"

    def __init__(self, raw: Mapping[str, Any]) -> None:
        if not isinstance(raw, Mapping):
            raise TypeError(f"a {self._kind} must be a JSON object, not {type(raw).__name__}")
        self._raw: Dict[str, Any] = dict(raw)

    def __getitem__(self, key: str) -> Any:
        return self._raw[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    @property
    def raw(self) -> Dict[str, Any]:
        """The JSON object as the library gave it (a dict; changing it changes nothing else)."""
        return self._raw

    def to_dict(self) -> Dict[str, Any]:
        """A deep copy of :attr:`raw`."""
        return copy.deepcopy(self._raw)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, type(self)):
            return self._raw == other._raw
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable view


class Conversation(_View):
    """A ``V2TimConversation``: one one-to-one or group conversation as this user sees it.

    From :meth:`Client.get_conversation_list` and the ``onConversationChanged`` event.
    """

    __slots__ = ()
    _kind = "V2TimConversation"

    @property
    def conversation_id(self) -> str:
        """``c2c_<userID>`` or ``group_<groupID>``."""
        return self._raw.get("conversationID") or ""

    @property
    def type(self) -> Union[ConversationType, int, None]:
        v = self._raw.get("type")
        if v is None:
            return None
        try:
            return ConversationType(v)
        except ValueError:
            return int(v)

    @property
    def user_id(self) -> Optional[str]:
        """The peer of a one-to-one conversation (None for a group)."""
        return self._raw.get("userID")

    @property
    def group_id(self) -> Optional[str]:
        """The group of a group conversation (None for one-to-one)."""
        return self._raw.get("groupID")

    @property
    def show_name(self) -> Optional[str]:
        return self._raw.get("showName")

    @property
    def face_url(self) -> Optional[str]:
        return self._raw.get("faceUrl")

    @property
    def group_type(self) -> Optional[str]:
        return self._raw.get("groupType")

    @property
    def unread_count(self) -> int:
        """Unread messages (messages sent with ``isExcludedFromUnreadCount`` do not count)."""
        return int(self._raw.get("unreadCount") or 0)

    @property
    def last_message(self) -> Optional[Message]:
        """The last message not sent with ``isExcludedFromLastMessage``, or None."""
        m = self._raw.get("lastMessage")
        return Message(m) if isinstance(m, Mapping) else None

    @property
    def draft_text(self) -> Optional[str]:
        return self._raw.get("draftText")

    @property
    def draft_timestamp(self) -> Optional[int]:
        return self._raw.get("draftTimestamp")

    @property
    def group_at_info_list(self) -> List[Any]:
        return list(self._raw.get("groupAtInfoList") or [])

    @property
    def is_pinned(self) -> bool:
        return bool(self._raw.get("isPinned"))

    @property
    def recv_opt(self) -> Optional[int]:
        return self._raw.get("recvOpt")

    @property
    def order_key(self) -> Optional[int]:
        """The list's order (newest first): V2TIM's ``orderkey``."""
        return self._raw.get("orderkey")

    @property
    def custom_data(self) -> Optional[str]:
        return self._raw.get("customData")

    def __repr__(self) -> str:
        return (
            f"Conversation({self.conversation_id!r}, unread_count={self.unread_count}, "
            f"last_message={self.last_message!r})"
        )


class MessageReceipt(_View):
    """A ``V2TimMessageReceipt``.

    - ``onRecvC2CReadReceipt``: the peer ``user_id`` read our one-to-one messages up to
      ``timestamp`` (``msg_id`` is empty, ``is_peer_read`` true);
    - ``onRecvMessageReadReceipts`` and :meth:`Client.get_message_read_receipts`: a group
      message's ``read_count`` / ``unread_count`` (``msg_id``, ``group_id``), or a one-to-one
      message ``msg_id`` the peer ``user_id`` read (``is_peer_read``).
    """

    __slots__ = ()
    _kind = "V2TimMessageReceipt"

    @property
    def msg_id(self) -> str:
        """The message's msgID; empty in a receipt for a whole one-to-one conversation."""
        return self._raw.get("msgID") or ""

    @property
    def user_id(self) -> Optional[str]:
        """The reader of a one-to-one message (empty or None for group receipts)."""
        return self._raw.get("userID")

    @property
    def group_id(self) -> Optional[str]:
        return self._raw.get("groupID")

    @property
    def timestamp(self) -> int:
        return int(self._raw.get("timestamp") or 0)

    @property
    def is_peer_read(self) -> bool:
        return bool(self._raw.get("isPeerRead"))

    @property
    def read_count(self) -> int:
        return int(self._raw.get("readCount") or 0)

    @property
    def unread_count(self) -> int:
        return int(self._raw.get("unreadCount") or 0)

    def __repr__(self) -> str:
        if self.group_id:
            return (
                f"MessageReceipt(msg_id={self.msg_id!r}, group_id={self.group_id!r}, "
                f"read_count={self.read_count}, unread_count={self.unread_count})"
            )
        return (
            f"MessageReceipt(msg_id={self.msg_id!r}, user_id={self.user_id!r}, "
            f"is_peer_read={self.is_peer_read}, timestamp={self.timestamp})"
        )


@dataclass(frozen=True)
class ConversationPage:
    """One page of :meth:`Client.get_conversation_list` (V2TIM's ``V2TimConversationResult``).

    Pass ``next_seq`` to the next call until ``is_finished``.
    """

    next_seq: str
    is_finished: bool
    conversations: List[Conversation] = field(default_factory=list)
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __iter__(self) -> Iterator[Conversation]:
        return iter(self.conversations)

    def __len__(self) -> int:
        return len(self.conversations)
