"""Creating and sending every kind of message through the Python API, against a real server."""

from __future__ import annotations

import json
from typing import Any, Dict

import pytest

import v2im
from v2im import ElemType, Message, MessageStatus, Priority, V2imError

from conftest import TEMPLATE_KEYS

TIMEOUT = 30


def assert_template(msg: Message) -> None:
    keys = set(msg.raw)
    assert keys == TEMPLATE_KEYS, (
        f"V2TimMessage keys: missing {sorted(TEMPLATE_KEYS - keys)}, "
        f"unexpected {sorted(keys - TEMPLATE_KEYS)}: {msg.raw}"
    )


def assert_sent(msg: Message, sender: str = "alice") -> None:
    assert_template(msg)
    assert msg.status == MessageStatus.SEND_SUCC, msg.raw
    assert msg.msg_id, msg.raw
    assert msg.id
    assert isinstance(msg.timestamp, int) and msg.timestamp > 0
    assert msg.seq not in (None, "")
    assert isinstance(msg.random, int)
    assert msg.sender == sender
    assert msg.is_self is True


def test_version_and_error_str() -> None:
    assert v2im.version()
    assert v2im.error_str(6017)
    assert v2im.error_str(0) is not None
    assert v2im.error_str(123456789)  # unknown codes still get a text


def test_create_every_kind(client: v2im.Client) -> None:
    text = client.create_text("hello")
    assert text.elem_type == ElemType.TEXT and text.text == "hello"
    custom = client.create_custom('{"k":1}', desc="d", extension="e")
    assert custom.elem_type == ElemType.CUSTOM
    assert custom.custom_elem["data"] == '{"k":1}'
    assert custom.custom_elem["desc"] == "d" and custom.custom_elem["extension"] == "e"
    loc = client.create_location("office", 113.93, 22.54)
    assert loc.elem_type == ElemType.LOCATION
    assert loc.location_elem["longitude"] == pytest.approx(113.93)
    assert loc.location_elem["latitude"] == pytest.approx(22.54)
    face = client.create_face(3, "smile")
    assert face.elem_type == ElemType.FACE and face.face_elem["index"] == 3
    at = client.create_text_at("hi @bob", ["bob", v2im.AT_ALL_TAG])
    assert at.text == "hi @bob" and "bob" in at.group_at_user_list
    targeted = client.create_targeted_group(client.create_text("psst"), ["bob", "carol"])
    assert set(targeted.target_group_member_list) == {"bob", "carol"}
    ids = set()
    for m in (text, custom, loc, face, at, targeted):
        assert_template(m)
        assert m.id and m.id not in ids
        ids.add(m.id)
        assert m.msg_id is None or m.msg_id == ""
        assert m["id"] == m.id and dict(m) == m.raw  # mapping access


def test_send_c2c_text(client: v2im.Client) -> None:
    msg = client.create_text("hello bob")
    sent = client.send(msg, receiver="bob").result(TIMEOUT)
    assert_sent(sent)
    assert sent.id == msg.id
    assert sent.user_id == "bob"
    assert sent.text == "hello bob"


def test_send_group_text(client: v2im.Client, server: Dict[str, Any]) -> None:
    sent = client.send(client.create_text("hello group"), group_id=server["group_id"]).result(TIMEOUT)
    assert_sent(sent)
    assert sent.group_id == server["group_id"]


def test_send_every_kind_and_option(client: v2im.Client, server: Dict[str, Any]) -> None:
    group = server["group_id"]
    futures = [
        client.send(client.create_custom("data", "desc", "ext"), receiver="bob",
                    priority=Priority.HIGH, offline_push_info={"title": "T", "desc": "D", "ext": "E"},
                    cloud_custom_data="cloud", local_custom_data="local",
                    is_excluded_from_unread_count=True, is_excluded_from_last_message=True,
                    is_support_message_extension=True),
        client.send(client.create_location("here", 1.5, 2.5), group_id=group,
                    priority=Priority.LOW, need_read_receipt=True),
        client.send(client.create_face(1, "x"), receiver="carol", online_user_only=True),
        client.send(client.create_text_at("@bob", ["bob"]), group_id=group, priority=Priority.NORMAL),
        client.send(client.create_targeted_group(client.create_text("only you"), ["bob"]),
                    group_id=group),
        client.send(client.create_text("targeted one"), receiver="bob", group_id=group),
    ]
    results = [f.result(TIMEOUT) for f in futures]
    for r in results:
        assert_sent(r)
    custom = results[0]
    assert custom.cloud_custom_data == "cloud"
    assert custom.local_custom_data == "local"
    assert custom.priority == Priority.HIGH
    assert custom.is_excluded_from_unread_count is True
    assert custom.is_excluded_from_last_message is True
    assert results[1].group_id == group and results[1].priority == Priority.LOW


def test_forward_and_merger(client: v2im.Client, server: Dict[str, Any]) -> None:
    a = client.send(client.create_text("one"), receiver="bob").result(TIMEOUT)
    b = client.send(client.create_text("two"), receiver="bob").result(TIMEOUT)
    fwd = client.create_forward(a)
    assert fwd.is_forward_message and fwd.text == "one"
    assert_sent(client.send(fwd, group_id=server["group_id"]).result(TIMEOUT))
    fwd2 = client.create_forward(b.msg_id)  # by msgID string
    assert fwd2.text == "two"
    merger = client.create_merger([a, b.msg_id], "chat", ["alice: one", "alice: two"], "[chat]")
    assert merger.elem_type == ElemType.MERGER
    assert merger.merger_elem["title"] == "chat"
    assert_sent(client.send(merger, receiver="carol").result(TIMEOUT))


def test_forward_unsent_message_fails(client: v2im.Client) -> None:
    with pytest.raises(V2imError) as ei:
        client.create_forward(client.create_text("never sent"))
    assert ei.value.code == 6017


def test_history(client: v2im.Client, server: Dict[str, Any]) -> None:
    sent = [client.send(client.create_text(f"h{i}"), receiver="dave").result(TIMEOUT) for i in range(3)]
    hist = client.get_c2c_history("dave", 10).result(TIMEOUT)
    assert all(isinstance(m, Message) for m in hist)
    got = {m.msg_id for m in hist}
    assert {m.msg_id for m in sent} <= got, (got, [m.msg_id for m in sent])
    for m in hist:
        assert_template(m)

    g = client.send(client.create_text("group history"), group_id=server["group_id"]).result(TIMEOUT)
    ghist = client.get_group_history(server["group_id"], 20).result(TIMEOUT)
    assert g.msg_id in {m.msg_id for m in ghist}


def test_find_and_local_custom_data(client: v2im.Client) -> None:
    sent = client.send(client.create_text("find me"), receiver="bob").result(TIMEOUT)
    found = client.find_messages([sent])
    assert [m.msg_id for m in found] == [sent.msg_id]
    assert found[0].text == "find me"
    client.set_local_custom_data(sent, "mine")
    again = client.find_messages([sent.msg_id])
    assert again[0].local_custom_data == "mine"


def test_raw_call(client: v2im.Client) -> None:
    res = client.call("createTextMessage", {"text": "raw", "@extra": "corr-1"}).result(TIMEOUT)
    assert res["code"] == 0 and res["data"]["messageInfo"]["textElem"]["text"] == "raw"
    assert res.get("@extra") == "corr-1"
    # A method the library does not know is refused outright (never called back by C): call()
    # raises at once, naming the closest method.
    with pytest.raises(v2im.UnknownMethodError) as ei:
        client.call("sendMesage", {})
    assert ei.value.code == v2im.errors.V2IM_ERR_UNKNOWN_METHOD
    assert isinstance(ei.value, v2im.InvalidParametersError)
    assert "'sendMessage'" in ei.value.desc, ei.value.desc
    # Params that are not a JSON object are refused outright too.
    with pytest.raises(v2im.InvalidParametersError) as ei2:
        client.call("createTextMessage", ["text"])  # type: ignore[arg-type]
    assert ei2.value.code == v2im.errors.ERR_INVALID_JSON


# --- errors -----------------------------------------------------------------------------------

def test_send_unknown_id(client: v2im.Client) -> None:
    fut = client.send("no-such-message-id", receiver="bob")
    with pytest.raises(V2imError) as ei:
        fut.result(TIMEOUT)
    assert ei.value.code == 6017, ei.value
    assert ei.value.desc


def test_send_without_target(client: v2im.Client) -> None:
    msg = client.create_text("nowhere")
    fut = client.send(msg)
    with pytest.raises(V2imError) as ei:
        fut.result(TIMEOUT)
    err = ei.value
    assert err.code == 6017, err
    # The failure still names the message, so the caller can tell which one failed.
    assert err.message is not None and err.message.id == msg.id
    assert err.message.status == MessageStatus.SEND_FAIL


@pytest.mark.parametrize(
    "cfg, key",
    [
        (dict(user_id="alice", secret_key="k", server_url="http://127.0.0.1:1"), "sdkAppID"),
        (dict(sdk_app_id="not a number", user_id="alice", secret_key="k"), "sdkAppID"),
        (dict(sdk_app_id=1400000000, secret_key="k"), "userID"),
        (dict(sdk_app_id=1400000000, user_id="alice"), "userSig"),
    ],
)
def test_bad_config(cfg: Dict[str, Any], key: str) -> None:
    with pytest.raises(V2imError) as ei:
        v2im.Client(**cfg)
    assert ei.value.code == 6017, ei.value
    assert key.lower() in ei.value.desc.lower() or (
        key == "userSig" and "secretkey" in ei.value.desc.lower()
    ), ei.value.desc


def test_create_with_bad_params(client: v2im.Client) -> None:
    with pytest.raises(V2imError) as ei:
        client.create_text(123)  # type: ignore[arg-type]
    assert ei.value.code == 6017
    with pytest.raises(V2imError):
        client.create_targeted_group("no-such-id", ["bob"])


def test_error_is_exception_with_fields() -> None:
    e = V2imError(6017, "invalid parameters")
    assert isinstance(e, Exception) and e.code == 6017 and e.desc == "invalid parameters"
    assert "6017" in str(e) and e.message is None and not e.cancelled
    assert V2imError(v2im.errors.V2IM_ERR_SHUTTING_DOWN).cancelled


def test_use_after_close(make_client: Any) -> None:
    c = make_client()
    msg = c.create_text("late")
    c.close()
    assert c.closed
    c.close()  # idempotent
    with pytest.raises(V2imError) as ei:
        c.create_text("x")
    assert ei.value.code == v2im.errors.V2IM_ERR_SHUTTING_DOWN
    fut = c.send(msg, receiver="bob")
    assert isinstance(fut.exception(TIMEOUT), V2imError)


def test_context_manager(server: Dict[str, Any]) -> None:
    with v2im.Client(sdk_app_id=server["sdk_app_id"], user_id="bob",
                     secret_key=server["secret_key"], server_url=server["url"],
                     request_timeout_ms=10000) as c:
        sent = c.send(c.create_text("from bob"), receiver="alice").result(TIMEOUT)
        assert sent.sender == "bob"
    assert c.closed


def test_user_sig_config(server: Dict[str, Any]) -> None:
    from conftest import _runner

    sig = _runner().gen_usersig(server["sdk_app_id"], server["secret_key"], "carol")
    with v2im.Client(sdk_app_id=server["sdk_app_id"], user_id="carol", user_sig=sig,
                     server_url=server["url"]) as c:
        assert_sent(c.send(c.create_text("signed"), receiver="bob").result(TIMEOUT), sender="carol")


def test_message_wrapper_roundtrip() -> None:
    raw = {"id": "x", "msgID": "m", "status": 2, "elemType": 1, "textElem": {"text": "t"},
           "priority": 9, "seq": 5}
    m = Message(raw)
    assert m.status is MessageStatus.SEND_SUCC and m.elem_type is ElemType.TEXT
    assert m.priority == 9  # unknown enum values pass through as ints
    assert m.seq == "5" and m.text == "t"
    assert json.loads(json.dumps(m.raw)) == raw
    assert "msg_id='m'" in repr(m)
