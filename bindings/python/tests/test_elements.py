"""Every element kind as a typed property of Message: against the library's element table, on
plain JSON, and on messages created and sent through a real server."""

from __future__ import annotations

import re
import struct
import typing
import zlib
from pathlib import Path
from typing import Dict, Optional

import pytest

import v2im
from v2im import ElemType, Message

from conftest import REPO, TEMPLATE_KEYS

TIMEOUT = 30


def library_elem_keys() -> Dict[str, str]:
    """``ElemType`` variant -> ``xxxElem`` key, from ``elem_entry_key`` in src/model/elem.rs."""
    src = (REPO / "src" / "model" / "elem.rs").read_text("utf-8")
    body = src.split("fn elem_entry_key", 1)[1].split("\n}", 1)[0]
    keys = dict(re.findall(r'ElemType::(\w+)\s*=>\s*key!\("(\w+)"\)', body))
    keys.pop("None", None)  # "elem": no element
    assert len(keys) >= 9, f"elem_entry_key not understood: {body}"
    return keys


def snake(camel: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", camel).lower()


def test_every_library_elem_kind_is_a_typed_property() -> None:
    for variant, key in library_elem_keys().items():
        kind = ElemType[snake(variant).upper()]
        prop = getattr(Message, snake(key), None)
        assert isinstance(prop, property), f"Message.{snake(key)} for {key}"
        hint = typing.get_type_hints(prop.fget)["return"]
        (cls,) = [a for a in typing.get_args(hint) if a is not type(None)]
        assert issubclass(cls, v2im.Elem) and cls is not v2im.Elem, (key, hint)
        assert cls.KIND is kind, (key, cls)
        assert cls.__name__ in v2im.__all__
        assert key in TEMPLATE_KEYS, f"{key} is not a key of the V2TimMessage template"


def png(width: int = 8, height: int = 6) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    rows = b"".join(b"\x00" + b"\x80\x40\x20" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def test_views_of_plain_json() -> None:
    m = Message({
        "elemType": 3,
        "imageElem": {"path": "/p.png", "imageFormat": 3, "imageList": [
            {"uuid": "u", "type": 0, "size": 10, "width": 8, "height": 6, "url": "http://x/u",
             "localUrl": "/p.png"},
            {"uuid": "u_thumb", "type": 1, "size": 5, "width": 4, "height": 3, "url": "", "localUrl": ""},
        ]},
        "textElem": None,
        "mergerElem": {"title": "t", "abstractList": ["a"], "compatibleText": "c",
                       "isLayersOverLimit": False,
                       "messageList": [{"id": "in", "textElem": {"text": "inner"}}]},
        "elemList": [{"elemType": 3, "path": "/p.png"}, {"elemType": 10, "title": "t"},
                     {"elemType": 42, "new": True}],
    })
    img = m.image_elem
    assert isinstance(img, v2im.ImageElem) and m.text_elem is None and m.sound_elem is None
    assert img.path == "/p.png" and img.image_format is v2im.ImageFormat.PNG
    assert [i.type for i in img.image_list] == [v2im.ImageType.ORIGIN, v2im.ImageType.THUMB]
    origin = img.image()
    assert origin is not None and (origin.width, origin.height, origin.url) == (8, 6, "http://x/u")
    assert img.image(v2im.ImageType.LARGE) is None
    assert img["imageFormat"] == 3 and dict(img) == m.raw["imageElem"]  # still a mapping
    assert img == m.raw["imageElem"]
    merger = m.merger_elem
    assert merger is not None and merger.title == "t" and merger.abstract_list == ["a"]
    assert [x.text for x in merger.messages] == ["inner"]
    kinds = [type(e) for e in m.elem_list]
    assert kinds == [v2im.ImageElem, v2im.MergerElem, v2im.Elem]
    assert m.elem_list[2].elem_type == 42  # a kind newer than this package stays readable
    # Missing fields read as empty, never as an exception.
    assert v2im.VideoElem({}).duration == 0 and v2im.FileElem({}).file_name == ""


def test_created_elements(client: v2im.Client) -> None:
    t = client.create_text("hi")
    assert isinstance(t.text_elem, v2im.TextElem) and t.text_elem.text == "hi"
    c = client.create_custom("d", desc="x", extension="e").custom_elem
    assert c is not None and (c.data, c.desc, c.extension) == ("d", "x", "e")
    loc = client.create_location("here", 1.5, 2.5).location_elem
    assert loc is not None and (loc.desc, loc.longitude, loc.latitude) == ("here", 1.5, 2.5)
    face = client.create_face(4, "wink").face_elem
    assert face is not None and (face.index, face.data) == (4, "wink")
    assert [e.elem_type for e in t.elem_list] == [ElemType.TEXT]


def test_media_elements_sent(client: v2im.Client, tmp_path: Path) -> None:
    image = tmp_path / "pic.png"
    image.write_bytes(png())
    sound = tmp_path / "voice.m4a"
    sound.write_bytes(b"\x00sound" * 100)
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"\x00video" * 200)
    doc = tmp_path / "notes.txt"
    doc.write_bytes(b"some notes\n" * 10)

    sent = [
        client.send(m, receiver="bob").result(TIMEOUT)
        for m in (
            client.create_image(str(image)),
            client.create_sound(str(sound), 3),
            client.create_video(str(video), "mp4", 7, str(image)),
            client.create_file(str(doc), "notes.txt"),
        )
    ]
    img: Optional[v2im.ImageElem] = sent[0].image_elem
    assert img is not None and img.image_format is v2im.ImageFormat.PNG
    origin = img.image(v2im.ImageType.ORIGIN)
    assert origin is not None and (origin.width, origin.height) == (8, 6), img.raw
    assert origin.url and origin.uuid and origin.size == image.stat().st_size

    snd = sent[1].sound_elem
    assert snd is not None and snd.url and snd.uuid, sent[1].raw
    assert (snd.duration, snd.data_size, snd.path) == (3, sound.stat().st_size, str(sound))

    vid = sent[2].video_elem
    assert vid is not None and vid.video_url and vid.snapshot_url, sent[2].raw
    assert (vid.duration, vid.video_type, vid.video_size) == (7, "mp4", video.stat().st_size)
    assert (vid.snapshot_width, vid.snapshot_height) == (8, 6)

    f = sent[3].file_elem
    assert f is not None and f.url and f.file_name == "notes.txt", sent[3].raw
    assert f.file_size == doc.stat().st_size

    for m, kind in zip(sent, (ElemType.IMAGE, ElemType.SOUND, ElemType.VIDEO, ElemType.FILE)):
        assert m.elem_type is kind
        (only,) = m.elem_list
        assert only.elem_type is kind and type(only) is v2im.message.ELEM_CLASSES[kind]


def test_merger_messages(client: v2im.Client) -> None:
    a = client.send(client.create_text("one"), receiver="bob").result(TIMEOUT)
    merger = client.create_merger([a], "chat", ["alice: one"], "[chat]").merger_elem
    assert merger is not None and merger.title == "chat"
    assert [m.text for m in merger.messages] == ["one"]
    assert all(isinstance(m, Message) for m in merger.messages)


@pytest.mark.parametrize("key", sorted(k for k in TEMPLATE_KEYS if k.endswith("Elem")))
def test_template_elem_keys_are_known(key: str) -> None:
    # groupTipsElem is V2TIM's, always null here: v2im makes no group tips.
    assert key == "groupTipsElem" or key in library_elem_keys().values()
