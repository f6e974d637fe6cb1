"""The receiving side (``receive=True``) against the real v2im-server the conftest starts:
received messages through ``async for`` and through ``on_message``, online-only messages,
read receipts, the conversation list and unread counts, typed events, and the ends of streams.

Each test that counts something uses accounts (and groups) of its own, imported over REST, so
the session's shared server state never leaks from one test into another.
"""

from __future__ import annotations

import asyncio
import http.server
import secrets
import threading
import time
from typing import Any, Callable, Dict, Iterator, List

import pytest

import v2im
from v2im import (
    ConnectionState,
    ConversationType,
    Message,
    MessageStatus,
    MessageStreamOverflow,
    V2imError,
)
from v2im import events as ev
from v2im.errors import (
    ERR_INVALID_PARAMETERS,
    V2IM_ERR_NO_CHANNEL,
    V2IM_ERR_SHUTTING_DOWN,
)

from conftest import TEMPLATE_KEYS

TIMEOUT = 30


# --- helpers ----------------------------------------------------------------------------------

def new_user(server: Dict[str, Any], prefix: str, **profile: str) -> str:
    """An account of this test alone (`Nick`, `FaceUrl`: its profile)."""
    user = f"{prefix}-{secrets.token_hex(4)}"
    server["rest"].call("im_open_login_svc/account_import", {"UserID": user, **profile})
    return user


def new_group(server: Dict[str, Any], owner: str, members: List[str]) -> str:
    group = f"g-{secrets.token_hex(4)}"
    server["rest"].call(
        "group_open_http_svc/create_group",
        {
            "Owner_Account": owner,
            "Type": "Public",
            "GroupId": group,
            "Name": "receive test",
            "MemberList": [{"Member_Account": m} for m in members],
        },
    )
    return group


class Recorder:
    """Collects what a handler is given (from the callback thread) and waits for a match."""

    def __init__(self) -> None:
        self.items: List[Any] = []
        self.cond = threading.Condition()

    def __call__(self, item: Any) -> None:
        with self.cond:
            self.items.append(item)
            self.cond.notify_all()

    def wait_for(self, pred: Callable[[Any], bool], timeout: float = TIMEOUT, what: str = "") -> Any:
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for item in self.items:
                    if pred(item):
                        return item
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"nothing matching {what or pred} within {timeout} s; got "
                        f"{[getattr(i, 'name', i) for i in self.items]}"
                    )
                self.cond.wait(left)

    def last(self, pred: Callable[[Any], bool]) -> Any:
        with self.cond:
            found = [i for i in self.items if pred(i)]
        return found[-1] if found else None

    def count(self, pred: Callable[[Any], bool]) -> int:
        with self.cond:
            return sum(1 for i in self.items if pred(i))


def receiver(make_client: Any, user: str, **kw: Any) -> v2im.Client:
    return make_client(user, receive=True, **kw)


def assert_received(m: Message, sent: Message, sender: str) -> None:
    keys = set(m.raw)
    assert keys == TEMPLATE_KEYS, (sorted(TEMPLATE_KEYS - keys), sorted(keys - TEMPLATE_KEYS))
    assert m.msg_id == sent.msg_id, (m.raw, sent.raw)
    assert m.sender == sender
    assert m.user_id == sender  # the peer of a received one-to-one message is its sender
    assert m.is_self is False
    assert m.status == MessageStatus.SEND_SUCC
    assert m.elem_type == sent.elem_type
    assert m.timestamp == sent.timestamp


# --- receiving messages -----------------------------------------------------------------------

def test_async_for_receives_a_text(make_client: Any, server: Dict[str, Any]) -> None:
    alice_id, bob_id = new_user(server, "alice", Nick="Alice"), new_user(server, "bob")
    bob = receiver(make_client, bob_id)
    alice = make_client(alice_id)

    async def main() -> List[Any]:
        async with bob.messages() as stream:
            assert await bob.wait_connected_async(TIMEOUT)
            assert bob.connection_state is ConnectionState.CONNECTED
            sent = await alice.send_async(alice.create_text("hello through async for"),
                                          receiver=bob_id, cloud_custom_data="ccd")
            async for message in stream:
                return [message, sent, stream]
        raise AssertionError("the stream ended without a message")

    got, sent, stream = asyncio.run(asyncio.wait_for(main(), TIMEOUT))
    assert isinstance(got, Message)
    assert_received(got, sent, alice_id)
    assert got.text == "hello through async for"
    assert got.cloud_custom_data == "ccd"
    assert (got.nick_name, got.face_url) == ("Alice", None)
    assert stream.closed and stream.dropped == 0


def test_on_message_callback_coexists_with_on_event(make_client: Any, server: Dict[str, Any]) -> None:
    alice_id, bob_id = new_user(server, "alice"), new_user(server, "bob")
    raw_events = Recorder()
    bob = receiver(make_client, bob_id, on_event=raw_events)
    got = Recorder()
    threads: List[str] = []

    @bob.set_message_handler  # also a decorator: it returns the handler
    def on_message(message: Message) -> None:
        threads.append(threading.current_thread().name)
        got(message)

    assert bob.on_message is on_message and bob.on_event is raw_events
    assert bob.wait_connected(TIMEOUT)
    alice = make_client(alice_id)
    sent = alice.send(alice.create_text("hello through on_message"), receiver=bob_id).result(TIMEOUT)

    m = got.wait_for(lambda m: m.msg_id == sent.msg_id)
    assert_received(m, sent, alice_id)
    assert m.text == "hello through on_message"
    assert threads[0] != threading.current_thread().name  # the library's callback thread
    # The dict handler had the same message, as the library's JSON.
    e = raw_events.wait_for(lambda e: e["event"] == "onRecvNewMessage")
    assert e["data"]["message"]["msgID"] == sent.msg_id
    assert "redelivered" not in e["data"]
    # A second stream and the handler both get the next one; removing the handler keeps the
    # stream's delivery going.
    stream = bob.messages()
    bob.on_message = None
    sent2 = alice.send(alice.create_text("second"), receiver=bob_id).result(TIMEOUT)
    assert stream.get(TIMEOUT).msg_id == sent2.msg_id
    assert got.count(lambda m: m.msg_id == sent2.msg_id) == 0
    stream.close()


def test_online_only_reaches_only_an_open_receiver(make_client: Any, server: Dict[str, Any]) -> None:
    alice_id, bob_id = new_user(server, "alice"), new_user(server, "bob")
    alice = make_client(alice_id)
    # Nobody receives for bob yet: an online-only message is not kept for later.
    missed = alice.send(alice.create_custom('{"typing":0}'), receiver=bob_id,
                        online_user_only=True).result(TIMEOUT)
    bob = receiver(make_client, bob_id)
    with bob.messages() as stream:
        assert bob.wait_connected(TIMEOUT)
        typing = alice.send(alice.create_custom('{"typing":1}', desc="typing"), receiver=bob_id,
                            online_user_only=True).result(TIMEOUT)
        after = alice.send(alice.create_text("after typing"), receiver=bob_id).result(TIMEOUT)
        first, second = stream.get(TIMEOUT), stream.get(TIMEOUT)
    assert first.msg_id == typing.msg_id, (first.raw, missed.msg_id)
    assert first["isOnlineOnly"] is True
    assert first.custom_elem["data"] == '{"typing":1}'
    assert second.msg_id == after.msg_id and second["isOnlineOnly"] is False
    # Online-only messages are never stored: not in the history either.
    hist = bob.get_c2c_history(alice_id, 20).result(TIMEOUT)
    ids = {m.msg_id for m in hist}
    assert after.msg_id in ids and typing.msg_id not in ids and missed.msg_id not in ids


# --- read receipts ----------------------------------------------------------------------------

def test_mark_c2c_read_sends_the_peer_a_receipt(make_client: Any, server: Dict[str, Any]) -> None:
    alice_id, bob_id = new_user(server, "alice"), new_user(server, "bob")
    alice_events = Recorder()
    alice = receiver(make_client, alice_id)
    alice.set_event_handler(alice_events, typed=True)
    bob = receiver(make_client, bob_id)
    stream = bob.messages()
    assert alice.wait_connected(TIMEOUT) and bob.wait_connected(TIMEOUT)

    sent = alice.send(alice.create_text("read me"), receiver=bob_id).result(TIMEOUT)
    assert stream.get(TIMEOUT).msg_id == sent.msg_id
    before = int(time.time())
    assert bob.mark_c2c_message_as_read(alice_id).result(TIMEOUT) is None

    e = alice_events.wait_for(lambda e: isinstance(e, ev.C2CReadReceipt), what="C2CReadReceipt")
    assert e.name == "onRecvC2CReadReceipt" and len(e.receipts) == 1, e.data
    r = e.receipts[0]
    assert isinstance(r, v2im.MessageReceipt)
    assert r.user_id == bob_id and r.is_peer_read is True and r.msg_id == ""
    assert r.timestamp >= before - 5, r.raw
    # alice's own sends never come back to her as received messages.
    assert alice_events.count(lambda e: isinstance(e, ev.NewMessage)) == 0
    stream.close()


def test_group_read_receipts(make_client: Any, server: Dict[str, Any]) -> None:
    alice_id, bob_id, carol_id = (new_user(server, n) for n in ("alice", "bob", "carol"))
    group = new_group(server, alice_id, [bob_id, carol_id])
    alice_events = Recorder()
    alice = receiver(make_client, alice_id)
    alice.set_event_handler(alice_events, typed=True)
    bob = receiver(make_client, bob_id)
    stream = bob.messages()
    assert alice.wait_connected(TIMEOUT) and bob.wait_connected(TIMEOUT)

    plain = alice.send(alice.create_text("no receipt wanted"), group_id=group).result(TIMEOUT)
    sent = alice.send(alice.create_text_at(f"@{bob_id} please confirm", [bob_id]), group_id=group,
                      need_read_receipt=True).result(TIMEOUT)
    got_plain, got = stream.get(TIMEOUT), stream.get(TIMEOUT)
    assert got_plain.msg_id == plain.msg_id
    assert got.msg_id == sent.msg_id and got.group_id == group
    assert got.group_at_user_list == [bob_id] and got.need_read_receipt is True

    # A message sent without needReadReceipt is refused, naming it.
    with pytest.raises(V2imError) as ei:
        bob.send_message_read_receipts(got_plain).result(TIMEOUT)
    assert ei.value.code == ERR_INVALID_PARAMETERS and plain.msg_id in ei.value.desc

    assert bob.send_message_read_receipts([got]).result(TIMEOUT) is None
    e = alice_events.wait_for(lambda e: isinstance(e, ev.MessageReadReceipts), what="receipts")
    [r] = e.receipts
    assert (r.msg_id, r.group_id, r.read_count, r.unread_count) == (sent.msg_id, group, 1, 1), r.raw

    async def counts() -> List[v2im.MessageReceipt]:
        return await alice.get_message_read_receipts_async(sent)

    [c] = asyncio.run(counts())
    assert (c.msg_id, c.group_id, c.read_count, c.unread_count) == (sent.msg_id, group, 1, 1), c.raw
    stream.close()


# --- conversations and unread counts ----------------------------------------------------------

def test_conversations_and_unread_counts_honour_exclusions(
    make_client: Any, server: Dict[str, Any]
) -> None:
    s_id, r_id = new_user(server, "sender"), new_user(server, "reader")
    group = new_group(server, s_id, [r_id])
    events = Recorder()
    r = receiver(make_client, r_id)
    r.set_event_handler(events, typed=True)
    stream = r.messages()
    assert r.wait_connected(TIMEOUT)
    s = make_client(s_id)

    one = s.send(s.create_text("one"), receiver=r_id).result(TIMEOUT)
    two = s.send(s.create_text("two (not counted)"), receiver=r_id,
                 is_excluded_from_unread_count=True).result(TIMEOUT)
    three = s.send(s.create_text("three (not last)"), receiver=r_id,
                   is_excluded_from_last_message=True).result(TIMEOUT)
    g1 = s.send(s.create_text("group one"), group_id=group).result(TIMEOUT)
    g2 = s.send(s.create_text("group two (not counted, not last)"), group_id=group,
                is_excluded_from_unread_count=True,
                is_excluded_from_last_message=True).result(TIMEOUT)
    got = [stream.get(TIMEOUT).msg_id for _ in range(5)]
    assert got == [m.msg_id for m in (one, two, three, g1, g2)]
    stream.close()

    c2c_id, group_conv_id = f"c2c_{s_id}", f"group_{group}"
    # The events: conversation states and the total when it changed. The server gives each
    # conversation's state after a batch of events, so changes that arrive together may come as
    # one: the totals only grow, one at a time or more, up to 3 (1, 2 after "three", 3 after
    # "group one").
    total = events.wait_for(
        lambda e: isinstance(e, ev.TotalUnreadCountChanged) and e.total_unread_count == 3,
        what="total unread 3")
    assert total.name == "onTotalUnreadMessageCountChanged"
    totals = [e.total_unread_count for e in events.items if isinstance(e, ev.TotalUnreadCountChanged)]
    assert totals == sorted(set(totals)) and set(totals) <= {1, 2, 3} and totals[-1] == 3, totals
    last_c2c = events.last(lambda e: isinstance(e, ev.ConversationChanged)
                           and any(c.conversation_id == c2c_id for c in e.conversations))
    [conv] = [c for c in last_c2c.conversations if c.conversation_id == c2c_id]
    assert conv.unread_count == 2 and conv.last_message.msg_id == two.msg_id, conv.raw
    assert conv.type is ConversationType.C2C and conv.user_id == s_id
    events.wait_for(
        lambda e: isinstance(e, ev.ConversationChanged)
        and any(c.conversation_id == group_conv_id and c.unread_count == 1
                and c.last_message is not None and c.last_message.msg_id == g1.msg_id
                for c in e.conversations),
        what="the group conversation with 1 unread, last message g1")

    # The list, one conversation per page, nextSeq carried along; newest first.
    pages, seq = [], "0"
    for _ in range(10):
        page = r.get_conversation_list(seq, 1).result(TIMEOUT)
        assert isinstance(page, v2im.ConversationPage) and len(page) <= 1
        pages.append(page)
        if page.is_finished:
            break
        seq = page.next_seq
    convs = [c for p in pages for c in p]
    assert sorted(c.conversation_id for c in convs) == sorted([group_conv_id, c2c_id]), [
        p.raw for p in pages]
    assert convs[0].order_key >= convs[1].order_key  # (seconds: the two may tie)
    g, c = sorted(convs, key=lambda c: c.type)[::-1]
    assert g.type == ConversationType.GROUP and g.group_id == group and g.user_id is None
    assert g.unread_count == 1 and g.last_message.msg_id == g1.msg_id
    assert isinstance(g.last_message, Message) and g.last_message.text == "group one"
    assert c.type == ConversationType.C2C and c.user_id == s_id and c.group_id is None
    assert c.unread_count == 2 and c.last_message.msg_id == two.msg_id
    assert c.last_message.text == "two (not counted)"
    for conv in convs:
        assert {"conversationID", "type", "userID", "groupID", "showName", "faceUrl", "groupType",
                "unreadCount", "lastMessage", "draftText", "draftTimestamp", "groupAtInfoList",
                "isPinned", "recvOpt", "orderkey", "customData"} <= set(conv.raw), conv.raw
    assert r.get_total_unread_message_count().result(TIMEOUT) == 3

    # Read marks bring the counts to 0, and say so through the events.
    r.mark_c2c_message_as_read(s_id).result(TIMEOUT)
    r.mark_group_message_as_read(group).result(TIMEOUT)
    events.wait_for(lambda e: isinstance(e, ev.TotalUnreadCountChanged)
                    and e.total_unread_count == 0, what="total unread 0")

    async def after() -> List[Any]:
        return [await r.get_total_unread_message_count_async(),
                await r.get_conversation_list_async("0", 100)]

    total_after, page = asyncio.run(after())
    assert total_after == 0
    assert page.is_finished and [c.unread_count for c in page] == [0, 0]


# --- typed events and the channel's state -----------------------------------------------------

def test_typed_events_and_connection_state(make_client: Any, server: Dict[str, Any]) -> None:
    alice_id, bob_id = new_user(server, "alice"), new_user(server, "bob")
    events = Recorder()
    bob = receiver(make_client, bob_id)
    assert bob.connection_state is ConnectionState.IDLE  # nothing listens: no channel yet
    with pytest.raises(V2imError) as ei:
        bob.wait_connected(1)
    assert ei.value.code == ERR_INVALID_PARAMETERS
    bob.set_event_handler(events, typed=True)
    assert bob.wait_connected(TIMEOUT)
    assert bob.connect_error is None
    kinds = [type(e) for e in events.items]
    assert kinds[:2] == [ev.Connecting, ev.ConnectSuccess], kinds

    alice = make_client(alice_id)
    sent = alice.send(alice.create_text("typed"), receiver=bob_id).result(TIMEOUT)
    e = events.wait_for(lambda e: isinstance(e, ev.NewMessage), what="NewMessage")
    assert e.name == "onRecvNewMessage" and e.redelivered is False
    assert e.message.msg_id == sent.msg_id and e.message.text == "typed"


def test_parse_event_offline() -> None:
    msg = {"msgID": "1_2_3", "elemType": 1, "textElem": {"text": "t"}}
    cases = [
        ({"event": "onConnecting", "data": {}}, ev.Connecting),
        ({"event": "onConnectSuccess", "data": {}}, ev.ConnectSuccess),
        ({"event": "onConnectFailed", "data": {"code": 100012, "desc": "no"}}, ev.ConnectFailed),
        ({"event": "onRecvNewMessage", "data": {"message": msg, "redelivered": True}},
         ev.NewMessage),
        ({"event": "onRecvC2CReadReceipt", "data": [{"userID": "b", "msgID": "",
                                                     "isPeerRead": True, "timestamp": 5}]},
         ev.C2CReadReceipt),
        ({"event": "onRecvMessageReadReceipts", "data": [{"msgID": "m", "groupID": "g",
                                                          "readCount": 1, "unreadCount": 2}]},
         ev.MessageReadReceipts),
        ({"event": "onConversationChanged", "data": [{"conversationID": "c2c_a", "type": 1,
                                                      "unreadCount": 4, "lastMessage": None}]},
         ev.ConversationChanged),
        ({"event": "onTotalUnreadMessageCountChanged", "data": {"totalUnreadCount": 7}},
         ev.TotalUnreadCountChanged),
        ({"event": "onSendMessageProgress", "data": {"id": "i", "msgID": "m", "progress": 100}},
         ev.SendProgress),
        ({"event": "onMessageStatusChanged",
          "data": {"message": msg, "status": 2, "code": 0, "desc": ""}}, ev.MessageStatusChanged),
        ({"event": "onLog", "data": {"level": "warn", "message": "m"}}, ev.LogEvent),
        ({"event": "onSomethingNew", "data": {"x": 1}}, ev.Event),
    ]
    for raw, cls in cases:
        e = v2im.parse_event(raw)
        assert type(e) is cls and e.name == raw["event"] and e.data == raw["data"], (raw, e)
    failed = v2im.parse_event(cases[2][0])
    assert (failed.code, failed.desc) == (100012, "no")
    new = v2im.parse_event(cases[3][0])
    assert new.redelivered is True and new.message.text == "t"
    assert v2im.parse_event(cases[4][0]).receipts[0].is_peer_read is True
    progress = v2im.parse_event(cases[8][0])
    assert (progress.id, progress.msg_id, progress.progress) == ("i", "m", 100)
    assert v2im.parse_event(cases[5][0]).receipts[0].unread_count == 2
    conv = v2im.parse_event(cases[6][0]).conversations[0]
    assert conv.type is ConversationType.C2C and conv.unread_count == 4 and conv.last_message is None
    assert v2im.parse_event(cases[7][0]).total_unread_count == 7


@pytest.fixture
def no_channel_server() -> Iterator[str]:
    """An HTTP server without v2im's channel: every request is answered 404."""

    class NotFound(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = b"not found"
            self.send_response(404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET  # noqa: N815

        def log_message(self, *args: Any) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotFound)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_server_without_channel(make_client: Any, no_channel_server: str) -> None:
    events = Recorder()
    c = make_client("bob", server_url=no_channel_server, receive=True)
    c.set_event_handler(events, typed=True)
    with pytest.raises(V2imError) as ei:
        c.wait_connected(TIMEOUT)
    assert ei.value.code == V2IM_ERR_NO_CHANNEL
    failed = events.wait_for(lambda e: isinstance(e, ev.ConnectFailed))
    assert failed.code == V2IM_ERR_NO_CHANNEL and failed.desc
    assert c.connection_state is ConnectionState.FAILED
    assert c.connect_error is not None and c.connect_error.code == V2IM_ERR_NO_CHANNEL
    time.sleep(1)  # no retry after 100012
    assert events.count(lambda e: isinstance(e, ev.Connecting)) == 1


# --- the ends of streams, buffering, argument checks ------------------------------------------

def test_async_iterator_ends_when_the_client_closes(make_client: Any, server: Dict[str, Any]) -> None:
    alice_id, bob_id = new_user(server, "alice"), new_user(server, "bob")
    bob = receiver(make_client, bob_id)
    alice = make_client(alice_id)
    arrived = Recorder()
    bob.on_message = arrived

    async def main() -> List[Any]:
        waiting = bob.messages()   # its reader waits when the client closes
        buffered = bob.messages()  # holds two messages nobody read yet when the client closes
        assert await bob.wait_connected_async(TIMEOUT)
        reader = asyncio.ensure_future(_collect(waiting))
        sent = [await alice.send_async(alice.create_text(f"m{i}"), receiver=bob_id)
                for i in range(2)]
        await asyncio.get_running_loop().run_in_executor(
            None, lambda: arrived.wait_for(lambda m: m.msg_id == sent[1].msg_id))
        await asyncio.sleep(0.1)
        await asyncio.get_running_loop().run_in_executor(None, bob.close)
        got_waiting = await asyncio.wait_for(reader, TIMEOUT)      # ended, not hanging
        got_buffered = await asyncio.wait_for(_collect(buffered), TIMEOUT)
        return [sent, got_waiting, got_buffered, waiting, buffered]

    sent, got_waiting, got_buffered, waiting, buffered = asyncio.run(main())
    ids = [m.msg_id for m in sent]
    assert [m.msg_id for m in got_waiting] == ids
    assert [m.msg_id for m in got_buffered] == ids  # buffered messages are still read after close
    assert waiting.closed and buffered.closed
    assert list(buffered) == []  # a plain for ends at once too
    with pytest.raises(EOFError):
        buffered.get(1)
    with pytest.raises(V2imError) as ei:
        bob.messages()
    assert ei.value.code == V2IM_ERR_SHUTTING_DOWN


async def _collect(stream: v2im.MessageStream) -> List[Message]:
    return [m async for m in stream]


def test_stream_overflow_policies(make_client: Any, server: Dict[str, Any]) -> None:
    alice_id, bob_id = new_user(server, "alice"), new_user(server, "bob")
    bob = receiver(make_client, bob_id)
    arrived = Recorder()
    bob.on_message = arrived
    oldest = bob.messages(maxsize=2)  # default policy: drop_oldest
    newest = bob.messages(maxsize=2, overflow="drop_newest")
    error = bob.messages(maxsize=2, overflow="error")
    assert oldest.overflow == "drop_oldest"
    assert bob.wait_connected(TIMEOUT)
    alice = make_client(alice_id)
    sent = [alice.send(alice.create_text(f"m{i}"), receiver=bob_id).result(TIMEOUT) for i in range(5)]
    arrived.wait_for(lambda m: m.msg_id == sent[-1].msg_id)
    texts = lambda s: [s.get(1).text for _ in range(s.qsize())]  # noqa: E731
    assert (oldest.dropped, newest.dropped, error.dropped) == (3, 3, 3)
    assert texts(oldest) == ["m3", "m4"]
    assert texts(newest) == ["m0", "m1"]

    async def drain() -> List[str]:
        out = []
        async for m in error:
            out.append(m.text)
        return out

    with pytest.raises(MessageStreamOverflow) as ei:
        asyncio.run(drain())
    assert ei.value.dropped == 3 and ei.value.maxsize == 2
    for s in (oldest, newest, error):
        s.close()
    assert "closed" in repr(oldest)


def test_receive_argument_checks(make_client: Any, server: Dict[str, Any]) -> None:
    plain = make_client("alice")  # receive not set
    for attempt in (plain.messages, lambda: setattr(plain, "on_message", print),
                    lambda: plain.wait_connected(1)):
        with pytest.raises(V2imError) as ei:
            attempt()
        assert ei.value.code == ERR_INVALID_PARAMETERS and "receive" in ei.value.desc
    with pytest.raises(V2imError) as ei:
        make_client("alice", on_message=print)
    assert ei.value.code == ERR_INVALID_PARAMETERS
    # The library takes only a JSON boolean, and names the key.
    with pytest.raises(V2imError) as ei:
        make_client("alice", receive="yes")
    assert ei.value.code == ERR_INVALID_PARAMETERS and "receive" in ei.value.desc, ei.value.desc
    rx = receiver(make_client, "bob")
    with pytest.raises(ValueError):
        rx.messages(maxsize=0)
    with pytest.raises(ValueError):
        rx.messages(overflow="block")
    # Parameters of the new methods are checked by the library (6017 on the future).
    for fut in (rx.get_conversation_list("0", 0), rx.get_conversation_list("nonsense", 10),
                rx.send_message_read_receipts([]), rx.get_message_read_receipts(["no-such-id"])):
        with pytest.raises(V2imError) as ei:
            fut.result(TIMEOUT)
        assert ei.value.code == ERR_INVALID_PARAMETERS, ei.value
    res = rx.call("markC2CMessageAsRead", {"userID": "alice", "userId": "x"}).result(TIMEOUT)
    assert res["code"] == ERR_INVALID_PARAMETERS and "userId" in res["desc"], res


def test_listener_follows_the_consumers(make_client: Any) -> None:
    """One C registration while anything consumes events; none once nothing does."""
    from v2im import client as cmod

    rx = make_client("carol", receive=True)
    before = len(cmod._event_sinks)
    s1 = rx.messages()
    rx.on_event = lambda e: None
    s2 = rx.messages()
    assert rx._events_registered and len(cmod._event_sinks) == before + 1
    s1.close()
    rx.on_event = None
    assert rx._events_registered  # s2 is still open
    s2.close()
    assert not rx._events_registered
    deadline = time.monotonic() + 5
    while len(cmod._event_sinks) != before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(cmod._event_sinks) == before  # free_user_data ran
