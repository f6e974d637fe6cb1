"""Messages: a thin typed view of the library's ``V2TimMessage`` JSON, its elements, and V2TIM's
enums."""

from __future__ import annotations

import copy
import enum
from typing import (
    Any,
    ClassVar,
    Dict,
    Iterator,
    List,
    Mapping,
    Optional,
    Type,
    TypedDict,
    TypeVar,
    Union,
)

_E = TypeVar("_E", bound=enum.IntEnum)
_El = TypeVar("_El", bound="Elem")

__all__ = [
    "AT_ALL_TAG",
    "CustomElem",
    "Elem",
    "ElemType",
    "FaceElem",
    "FileElem",
    "Image",
    "ImageElem",
    "ImageFormat",
    "ImageType",
    "LocationElem",
    "MergerElem",
    "Message",
    "MessageStatus",
    "OfflinePushInfo",
    "Priority",
    "SoundElem",
    "TextElem",
    "VideoElem",
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


def _enum_or(cls: Type[_E], v: Any, default: _E) -> Union[_E, int]:
    """As :func:`_enum_or_int`, with ``default`` for a missing value."""
    got = _enum_or_int(cls, v)
    return default if got is None else got


class ImageFormat(enum.IntEnum):
    """``imageElem.imageFormat``: the format read from the file's header at creation."""

    JPG = 1
    GIF = 2
    PNG = 3
    BMP = 4
    OTHER = 255


class ImageType(enum.IntEnum):
    """``V2TimImage.type``: which rendition of an image."""

    ORIGIN = 0
    THUMB = 1
    LARGE = 2


def _str(raw: Mapping[str, Any], key: str) -> str:
    v = raw.get(key)
    return "" if v is None else str(v)


def _int(raw: Mapping[str, Any], key: str) -> int:
    v = raw.get(key)
    return int(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else 0


def _float(raw: Mapping[str, Any], key: str) -> float:
    v = raw.get(key)
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else 0.0


class _JsonView(Mapping[str, Any]):
    """A read-only view of one JSON object: typed attributes, and every key by ``view["key"]``
    (so code that read the plain dicts these used to be keeps working)."""

    __slots__ = ("_raw",)

    def __init__(self, raw: Mapping[str, Any]) -> None:
        if not isinstance(raw, Mapping):
            raise TypeError(f"expected a JSON object, not {type(raw).__name__}")
        self._raw: Dict[str, Any] = dict(raw)

    def __getitem__(self, key: str) -> Any:
        return self._raw[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    @property
    def raw(self) -> Dict[str, Any]:
        """The JSON object as the library gave it."""
        return self._raw

    __hash__ = None  # type: ignore[assignment]  # equal to a dict with the same items

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._raw!r})"


class Elem(_JsonView):
    """One element of a message, as under its ``xxxElem`` key or in ``elemList``. Each kind is
    a subclass with typed attributes; missing strings read as ``""`` and numbers as 0. An
    element of a kind this package does not know is a plain ``Elem``."""

    __slots__ = ()
    #: The kind of element this class is for.
    KIND: ClassVar[ElemType] = ElemType.NONE

    @property
    def elem_type(self) -> Union[ElemType, int]:
        """``elemType`` where the JSON has it (``elemList`` entries), else the class's kind."""
        return _enum_or(ElemType, self._raw.get("elemType"), self.KIND)


class TextElem(Elem):
    """``textElem``."""

    __slots__ = ()
    KIND = ElemType.TEXT

    @property
    def text(self) -> str:
        return _str(self._raw, "text")


class CustomElem(Elem):
    """``customElem``: an app-defined payload."""

    __slots__ = ()
    KIND = ElemType.CUSTOM

    @property
    def data(self) -> str:
        return _str(self._raw, "data")

    @property
    def desc(self) -> str:
        return _str(self._raw, "desc")

    @property
    def extension(self) -> str:
        return _str(self._raw, "extension")


class LocationElem(Elem):
    """``locationElem``."""

    __slots__ = ()
    KIND = ElemType.LOCATION

    @property
    def desc(self) -> str:
        return _str(self._raw, "desc")

    @property
    def longitude(self) -> float:
        return _float(self._raw, "longitude")

    @property
    def latitude(self) -> float:
        return _float(self._raw, "latitude")


class FaceElem(Elem):
    """``faceElem``."""

    __slots__ = ()
    KIND = ElemType.FACE

    @property
    def index(self) -> int:
        return _int(self._raw, "index")

    @property
    def data(self) -> str:
        return _str(self._raw, "data")


class MergerElem(Elem):
    """``mergerElem``: merged (chat history) messages."""

    __slots__ = ()
    KIND = ElemType.MERGER

    @property
    def title(self) -> str:
        return _str(self._raw, "title")

    @property
    def abstract_list(self) -> List[str]:
        return [str(a) for a in self._raw.get("abstractList") or []]

    @property
    def compatible_text(self) -> str:
        return _str(self._raw, "compatibleText")

    @property
    def is_layers_over_limit(self) -> bool:
        return bool(self._raw.get("isLayersOverLimit"))

    @property
    def messages(self) -> List["Message"]:
        """The merged messages (``messageList``; empty in an ``elemList`` entry that repeats the
        merger shown under ``mergerElem``)."""
        return [Message(m) for m in self._raw.get("messageList") or [] if isinstance(m, Mapping)]


class Image(_JsonView):
    """One rendition of an image (``imageElem.imageList`` entry, ``V2TimImage``)."""

    __slots__ = ()

    @property
    def uuid(self) -> str:
        return _str(self._raw, "uuid")

    @property
    def type(self) -> Union[ImageType, int]:
        return _enum_or(ImageType, self._raw.get("type"), ImageType.ORIGIN)

    @property
    def size(self) -> int:
        return _int(self._raw, "size")

    @property
    def width(self) -> int:
        return _int(self._raw, "width")

    @property
    def height(self) -> int:
        return _int(self._raw, "height")

    @property
    def url(self) -> str:
        """Where the rendition can be downloaded, once uploaded (else ``""``)."""
        return _str(self._raw, "url")

    @property
    def local_url(self) -> str:
        """The local file (the original's only)."""
        return _str(self._raw, "localUrl")


class ImageElem(Elem):
    """``imageElem``: the local path, the format and the renditions."""

    __slots__ = ()
    KIND = ElemType.IMAGE

    @property
    def path(self) -> str:
        return _str(self._raw, "path")

    @property
    def image_format(self) -> Union[ImageFormat, int]:
        return _enum_or(ImageFormat, self._raw.get("imageFormat"), ImageFormat.OTHER)

    @property
    def image_list(self) -> List[Image]:
        return [Image(i) for i in self._raw.get("imageList") or [] if isinstance(i, Mapping)]

    def image(self, type: Union[ImageType, int] = ImageType.ORIGIN) -> Optional[Image]:
        """The rendition of ``type`` (original, thumbnail or large), if there is one."""
        return next((i for i in self.image_list if i.type == type), None)


class SoundElem(Elem):
    """``soundElem``."""

    __slots__ = ()
    KIND = ElemType.SOUND

    @property
    def path(self) -> str:
        return _str(self._raw, "path")

    @property
    def uuid(self) -> str:
        return _str(self._raw, "UUID")

    @property
    def data_size(self) -> int:
        return _int(self._raw, "dataSize")

    @property
    def duration(self) -> int:
        """Seconds."""
        return _int(self._raw, "duration")

    @property
    def url(self) -> str:
        return _str(self._raw, "url")

    @property
    def local_url(self) -> str:
        return _str(self._raw, "localUrl")


class VideoElem(Elem):
    """``videoElem``: the video and its snapshot."""

    __slots__ = ()
    KIND = ElemType.VIDEO

    @property
    def video_path(self) -> str:
        return _str(self._raw, "videoPath")

    @property
    def uuid(self) -> str:
        """The video's UUID."""
        return _str(self._raw, "UUID")

    @property
    def video_size(self) -> int:
        return _int(self._raw, "videoSize")

    @property
    def duration(self) -> int:
        """Seconds."""
        return _int(self._raw, "duration")

    @property
    def video_type(self) -> str:
        """The container, e.g. ``"mp4"``."""
        return _str(self._raw, "videoType")

    @property
    def video_url(self) -> str:
        return _str(self._raw, "videoUrl")

    @property
    def snapshot_path(self) -> str:
        return _str(self._raw, "snapshotPath")

    @property
    def snapshot_uuid(self) -> str:
        return _str(self._raw, "snapshotUUID")

    @property
    def snapshot_size(self) -> int:
        return _int(self._raw, "snapshotSize")

    @property
    def snapshot_width(self) -> int:
        return _int(self._raw, "snapshotWidth")

    @property
    def snapshot_height(self) -> int:
        return _int(self._raw, "snapshotHeight")

    @property
    def snapshot_url(self) -> str:
        return _str(self._raw, "snapshotUrl")

    @property
    def local_video_url(self) -> str:
        return _str(self._raw, "localVideoUrl")

    @property
    def local_snapshot_url(self) -> str:
        return _str(self._raw, "localSnapshotUrl")


class FileElem(Elem):
    """``fileElem``."""

    __slots__ = ()
    KIND = ElemType.FILE

    @property
    def path(self) -> str:
        return _str(self._raw, "path")

    @property
    def file_name(self) -> str:
        return _str(self._raw, "fileName")

    @property
    def uuid(self) -> str:
        return _str(self._raw, "UUID")

    @property
    def url(self) -> str:
        return _str(self._raw, "url")

    @property
    def file_size(self) -> int:
        return _int(self._raw, "fileSize")

    @property
    def local_url(self) -> str:
        return _str(self._raw, "localUrl")


#: The element class of each kind.
ELEM_CLASSES: Dict[ElemType, Type[Elem]] = {
    cls.KIND: cls
    for cls in (TextElem, CustomElem, LocationElem, FaceElem, MergerElem, ImageElem, SoundElem,
                VideoElem, FileElem)
}


def elem_from_json(raw: Mapping[str, Any]) -> Elem:
    """An ``elemList`` entry as its kind's class (by its ``elemType``)."""
    kind = _enum_or(ElemType, raw.get("elemType"), ElemType.NONE)
    cls = ELEM_CLASSES.get(kind, Elem) if isinstance(kind, ElemType) else Elem
    return cls(raw)


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
        elem = self.text_elem
        return None if elem is None else elem.text

    def _elem(self, key: str, cls: Type[_El]) -> Optional[_El]:
        v = self._raw.get(key)
        return cls(v) if isinstance(v, Mapping) else None

    @property
    def text_elem(self) -> Optional[TextElem]:
        return self._elem("textElem", TextElem)

    @property
    def custom_elem(self) -> Optional[CustomElem]:
        return self._elem("customElem", CustomElem)

    @property
    def location_elem(self) -> Optional[LocationElem]:
        return self._elem("locationElem", LocationElem)

    @property
    def face_elem(self) -> Optional[FaceElem]:
        return self._elem("faceElem", FaceElem)

    @property
    def merger_elem(self) -> Optional[MergerElem]:
        return self._elem("mergerElem", MergerElem)

    @property
    def image_elem(self) -> Optional[ImageElem]:
        return self._elem("imageElem", ImageElem)

    @property
    def sound_elem(self) -> Optional[SoundElem]:
        return self._elem("soundElem", SoundElem)

    @property
    def video_elem(self) -> Optional[VideoElem]:
        return self._elem("videoElem", VideoElem)

    @property
    def file_elem(self) -> Optional[FileElem]:
        return self._elem("fileElem", FileElem)

    @property
    def elem_list(self) -> List[Elem]:
        """Every element, in order, each as its kind's class (``elemList``)."""
        return [elem_from_json(e) for e in self._raw.get("elemList") or [] if isinstance(e, Mapping)]

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
