"""The package's method table against the library's: every method reachable, every network
method awaitable; and the awaitable forms against a real server."""

from __future__ import annotations

import asyncio
import inspect
import re
from typing import Any, Dict

import pytest

import v2im
from v2im.client import METHODS

from conftest import REPO

TIMEOUT = 30


def library_methods() -> Dict[str, bool]:
    """Method name -> whether it goes over the network, from src/api/methods.rs's table."""
    src = (REPO / "src" / "api" / "methods.rs").read_text("utf-8")
    table = src.split("static METHODS", 1)[1].split("\n];", 1)[0]
    found = re.findall(r'method!\("(\w+)",\s*(local|network)\b', table)
    assert found, "the method table was not understood"
    return {name: kind == "network" for name, kind in found}


def test_method_table_is_the_librarys() -> None:
    assert {n: net for n, (_, net) in METHODS.items()} == library_methods()


@pytest.mark.parametrize("name", sorted(METHODS))
def test_each_method_has_its_client_method(name: str) -> None:
    attr, network = METHODS[name]
    fn = getattr(v2im.Client, attr)
    assert f'"{name}"' in inspect.getsource(fn), f"Client.{attr} does not call {name}"
    twin = getattr(v2im.Client, attr + "_async", None)
    if network:
        assert twin is not None and inspect.iscoroutinefunction(twin), f"no Client.{attr}_async"
        params = list(inspect.signature(twin).parameters)
        if params[-1] != "kwargs":  # send_async passes everything on
            assert params == list(inspect.signature(fn).parameters), f"Client.{attr}_async"
    else:
        assert twin is None, f"{name} completes at once: no awaitable twin"


def test_every_network_method_awaited(client: v2im.Client, make_client: Any,
                                      server: Dict[str, Any]) -> None:
    group = server["group_id"]

    async def main() -> None:
        sent = await client.send_async(client.create_text("a1"), receiver="dave",
                                       need_read_receipt=True)
        g = await client.send_async(client.create_text("g1"), group_id=group,
                                    need_read_receipt=True)
        assert sent.msg_id in {m.msg_id for m in await client.get_c2c_history_async("dave", 5)}
        assert g.msg_id in {m.msg_id for m in await client.get_group_history_async(group, 5)}
        with pytest.raises(v2im.StateError):
            await client.cancel_async(sent)  # it was sent: too late
        page = await client.get_conversation_list_async("0", 10)
        assert any(c.user_id == "dave" or c.group_id == group for c in page.conversations)
        assert isinstance(await client.get_total_unread_message_count_async(), int)
        await client.mark_c2c_message_as_read_async("dave")
        await client.mark_group_message_as_read_async(group)
        receipts = await client.get_message_read_receipts_async([g])
        assert [r.msg_id for r in receipts] == [g.msg_id]
        res = await client.call_async("createTextMessage", {"text": "raw"})
        assert res["code"] == 0
        with pytest.raises(v2im.UnknownMethodError):
            await client.call_async("sendMesage")

    asyncio.run(main())

    # Read receipts go for received messages: dave receives one, then sends its receipt.
    dave = make_client("dave", receive=True)

    async def receipts() -> None:
        async with dave.messages() as stream:
            assert await dave.wait_connected_async(TIMEOUT)
            sent = await client.send_async(client.create_text("confirm"), receiver="dave",
                                           need_read_receipt=True)
            got = await stream.get_async(TIMEOUT)
            while got.msg_id != sent.msg_id:
                got = await stream.get_async(TIMEOUT)
            await dave.send_message_read_receipts_async([got])

    asyncio.run(receipts())


def test_cancel_async_of_a_queued_send(make_client: Any) -> None:
    """A send still queued is cancelled through the awaitable form too."""
    c = make_client(sender_threads=1, server_url="http://127.0.0.1:1", max_retries=3,
                    request_timeout_ms=1000)

    async def main() -> None:
        c.send(c.create_text("holds the conversation"), receiver="bob")
        queued_msg = c.create_text("queued")
        queued = c.send(queued_msg, receiver="bob")
        await c.cancel_async(queued_msg)
        err = await asyncio.wrap_future(queued)
        raise AssertionError(f"cancelled send completed: {err}")

    with pytest.raises(v2im.RequestCancelledError):
        asyncio.run(main())
