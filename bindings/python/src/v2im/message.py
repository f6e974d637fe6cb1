"""Messages: a thin typed view of the library's ``V2TimMessage`` JSON, and V2TIM's enums."""

from __future__ import annotations

import copy
import enum
from typing import Any, Dict, Iterator, List, Mapping, Optional, Type, TypedDict, TypeVar, Union

_E = TypeVar("_E", bound=enum.IntEnum)

__all__ = [
    "AT_ALL_TAG",
    "ElemType",
    "Message",
    "MessageStatus",
    "OfflinePushInfo",
    "Priority",
]

#: Put in ``at_user_list`` to @ everyone in the group (V2TIM's spelling, three "s").
AT_ALL_TAG = "__kImSDK_MesssageAtALL__"


class Priority(enum.IntEnum):
    """V2TIM message priority (``V2TIMMessagePriority``)."""

    DEFAULT = 0
    HIGH = 1
    NORMAL = 2
    LOW = 3


class MessageStatus(enum.IntEnum):
    """V2TIM message status."""

    SENDING = 1
    SEND_SUCC = 2
    SEND_FAIL = 3
    HAS_DELETED = 4
    LOCAL_IMPORTED = 5
    LOCAL_REVOKED = 6


class ElemType(enum.IntEnum):
    """V2TIM element type (``elemType``); not the C API's numbering."""

    NONE = 0
    TEXT = 1
    CUSTOM = 2
    IMAGE = 3
    SOUND = 4
    VIDEO = 5
    FILE = 6
    LOCATION = 7
    FACE = 8
    GROUP_TIPS = 9
    MERGER = 10


class OfflinePushInfo(TypedDict, total=False):
    """``offlinePushInfo`` of ``send()``: V2TIM's keys (any other key is passed through)."""

    title: str
    desc: str
    ext: str
    disablePush: bool
    iOSSound: str
    ignoreIOSBadge: bool
    androidSound: str
    androidOPPOChannelID: str
    androidVIVOClassification: int


def _enum_or_int(cls: Type[_E], v: Any) -> Union[_E, int, None]:
    """The enum member for ``v``; a value the enum does not know stays a plain int."""
    if v is None:
        return None
    try:
        return cls(v)
    except ValueError:
        return int(v)


class Message(Mapping[str, Any]):
    """A ``V2TimMessage`` as the library returned it.

    The common fields are attributes in Python spelling (``msg.msg_id``, ``msg.status``,
    ``msg.text``...); every key of the JSON is also available as ``msg["camelKey"]`` and the
    whole dict as :attr:`raw`. A Message is a snapshot: it does not change when the library's
    copy does (``send()`` resolves with a new one).
    """

    __slots__ = ("_raw",)

    def __init__(self, raw: Mapping[str, Any]) -> None:
        if not isinstance(raw, Mapping):
            raise TypeError(f"a V2TimMessage must be a JSON object, not {type(raw).__name__}")
        self._raw: Dict[str, Any] = dict(raw)

    # --- mapping protocol -------------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        return self._raw[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    @property
    def raw(self) -> Dict[str, Any]:
        """The V2TimMessage JSON object (a dict; changing it does not affect the library)."""
        return self._raw

    def to_dict(self) -> Dict[str, Any]:
        """A deep copy of :attr:`raw`."""
        return copy.deepcopy(self._raw)

    # --- identity ---------------------------------------------------------------------
    @property
    def id(self) -> str:
        """The local handle returned at creation; what ``send()``/``cancel()`` take."""
        return self._raw.get("id") or ""

    @property
    def msg_id(self) -> Optional[str]:
        """The server-unique ``msgID``, set once sent."""
        return self._raw.get("msgID") or None

    @property
    def status(self) -> Union[MessageStatus, int, None]:
        return _enum_or_int(MessageStatus, self._raw.get("status"))

    @property
    def elem_type(self) -> Union[ElemType, int, None]:
        return _enum_or_int(ElemType, self._raw.get("elemType"))

    @property
    def priority(self) -> Union[Priority, int, None]:
        return _enum_or_int(Priority, self._raw.get("priority"))

    # --- who, where, when -------------------------------------------------------------
    @property
    def sender(self) -> Optional[str]:
        return self._raw.get("sender")

    @property
    def nick_name(self) -> Optional[str]:
        """The sender's nickname, on received messages whose server knows it."""
        return self._raw.get("nickName")

    @property
    def face_url(self) -> Optional[str]:
        """The sender's avatar URL, on received messages whose server knows it."""
        return self._raw.get("faceUrl")

    @property
    def user_id(self) -> Optional[str]:
        """The peer of a one-to-one message."""
        return self._raw.get("userID")

    @property
    def group_id(self) -> Optional[str]:
        return self._raw.get("groupID")

    @property
    def timestamp(self) -> Optional[int]:
        return self._raw.get("timestamp")

    @property
    def seq(self) -> Optional[str]:
        s = self._raw.get("seq")
        return None if s is None else str(s)

    @property
    def random(self) -> Optional[int]:
        return self._raw.get("random")

    @property
    def is_self(self) -> Optional[bool]:
        return self._raw.get("isSelf")

    @property
    def progress(self) -> Optional[int]:
        return self._raw.get("progress")

    # --- content ----------------------------------------------------------------------
    @property
    def text(self) -> Optional[str]:
        """The text of a text (or text-@) message, else None."""
        elem = self._raw.get("textElem")
        return elem.get("text") if isinstance(elem, Mapping) else None

    @property
    def text_elem(self) -> Optional[Dict[str, Any]]:
        return self._raw.get("textElem")

    @property
    def custom_elem(self) -> Optional[Dict[str, Any]]:
        return self._raw.get("customElem")

    @property
    def location_elem(self) -> Optional[Dict[str, Any]]:
        return self._raw.get("locationElem")

    @property
    def face_elem(self) -> Optional[Dict[str, Any]]:
        return self._raw.get("faceElem")

    @property
    def merger_elem(self) -> Optional[Dict[str, Any]]:
        return self._raw.get("mergerElem")

    @property
    def group_at_user_list(self) -> List[str]:
        return list(self._raw.get("groupAtUserList") or [])

    @property
    def target_group_member_list(self) -> List[str]:
        return list(self._raw.get("targetGroupMemberList") or [])

    @property
    def is_forward_message(self) -> bool:
        return bool(self._raw.get("isForwardMessage"))

    # --- options ------------------------------------------------------------------------
    @property
    def cloud_custom_data(self) -> Optional[str]:
        return self._raw.get("cloudCustomData")

    @property
    def local_custom_data(self) -> Optional[str]:
        return self._raw.get("localCustomData")

    @property
    def offline_push_info(self) -> Optional[Dict[str, Any]]:
        return self._raw.get("offlinePushInfo")

    @property
    def need_read_receipt(self) -> Optional[bool]:
        return self._raw.get("needReadReceipt")

    @property
    def is_excluded_from_unread_count(self) -> Optional[bool]:
        return self._raw.get("isExcludedFromUnreadCount")

    @property
    def is_excluded_from_last_message(self) -> Optional[bool]:
        return self._raw.get("isExcludedFromLastMessage")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Message):
            return self._raw == other._raw
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable view

    def __repr__(self) -> str:
        parts = [f"id={self.id!r}"]
        if self.msg_id:
            parts.append(f"msg_id={self.msg_id!r}")
        if self.status is not None:
            st = self.status
            parts.append(f"status={st.name if isinstance(st, MessageStatus) else st}")
        if self.elem_type is not None:
            et = self.elem_type
            parts.append(f"elem_type={et.name if isinstance(et, ElemType) else et}")
        if self.text is not None:
            t = self.text
            parts.append(f"text={(t[:40] + '...') if len(t) > 40 else t!r}")
        return f"Message({', '.join(parts)})"
