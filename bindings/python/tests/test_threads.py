"""Futures, asyncio, threads, shutdown with pending sends, events, and garbage-collection stress."""

from __future__ import annotations

import asyncio
import gc
import logging
import socket
import threading
import time
import weakref
from concurrent.futures import Future, wait
from typing import Any, Dict, Iterator, List

import pytest

import v2im
from v2im import MessageStatus, V2imError
from v2im import client as cmod

TIMEOUT = 60


@pytest.fixture
def blackhole() -> Iterator[str]:
    """A URL whose server accepts TCP connections (backlog) and never answers."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(1024)
    yield f"http://127.0.0.1:{s.getsockname()[1]}"
    s.close()


def test_asyncio_send(client: v2im.Client, server: Dict[str, Any]) -> None:
    async def main() -> List[v2im.Message]:
        tasks = [client.send_async(client.create_text(f"async {i}"), receiver="bob") for i in range(20)]
        tasks.append(client.send_async(client.create_text("async group"), group_id=server["group_id"]))
        sent = await asyncio.gather(*tasks)
        hist = await asyncio.wrap_future(client.get_c2c_history("bob", 5))
        assert hist and hist[0].msg_id
        return sent

    sent = asyncio.run(main())
    assert len(sent) == 21
    assert all(m.status == MessageStatus.SEND_SUCC for m in sent)
    assert len({m.msg_id for m in sent}) == 21


def test_asyncio_error(client: v2im.Client) -> None:
    async def main() -> None:
        await client.send_async(client.create_text("no target"))

    with pytest.raises(V2imError) as ei:
        asyncio.run(main())
    assert ei.value.code == 6017


def test_many_threads_exactly_once(client: v2im.Client, server: Dict[str, Any]) -> None:
    threads_n, per_thread = 8, 40
    futures: List[Future] = []
    lock = threading.Lock()
    completions: Dict[int, int] = {}
    start = threading.Barrier(threads_n)
    errors: List[BaseException] = []

    def on_done(f: Future) -> None:
        with lock:
            completions[id(f)] = completions.get(id(f), 0) + 1

    def worker(t: int) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                # Group messages go HIGH: the server (like Tencent) drops Normal/Low group
                # messages past its per-group rate (10023), which is not what this test is about.
                target: Dict[str, Any] = (
                    {"group_id": server["group_id"], "priority": v2im.Priority.HIGH}
                    if i % 4 == 0 else {"receiver": ("bob", "carol", "dave")[i % 3]}
                )
                f = client.send(client.create_text(f"t{t}-{i}"), **target)
                f.add_done_callback(on_done)
                with lock:
                    futures.append(f)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    base_pending = cmod.pending_count()
    ts = [threading.Thread(target=worker, args=(t,)) for t in range(threads_n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(TIMEOUT)
    assert not errors, errors
    done, not_done = wait(futures, timeout=TIMEOUT)
    assert not not_done, f"{len(not_done)} futures never resolved"
    assert len(futures) == threads_n * per_thread
    results = [f.result() for f in futures]
    assert len({m.msg_id for m in results}) == len(results)
    assert all(n == 1 for n in completions.values()) and len(completions) == len(futures)
    assert cmod.pending_count() == base_pending


def test_close_with_pending_sends_resolves_every_future(make_client: Any, blackhole: str) -> None:
    c = make_client(server_url=blackhole, request_timeout_ms=3000, max_retries=0)
    futures = [c.send(c.create_text(f"pending {i}"), receiver="bob") for i in range(200)]
    t0 = time.monotonic()
    c.close()
    elapsed = time.monotonic() - t0
    assert elapsed < 30, f"close took {elapsed:.1f} s"
    # After close() returns, every future has its one result, and nothing is left registered.
    assert all(f.done() for f in futures)
    excs = [f.exception(0) for f in futures]
    assert all(isinstance(e, V2imError) for e in excs), excs[:3]
    cancelled = [e for e in excs if e.cancelled]
    assert cancelled, sorted({e.code for e in excs})
    for e in cancelled:
        assert e.message is None or e.message.id
    assert cmod.pending_count() == 0 or all(f.done() for f in futures)


def test_close_with_pending_sends_real_server(make_client: Any) -> None:
    c = make_client()
    futures = [c.send(c.create_text(f"burst {i}"), receiver="bob") for i in range(300)]
    c.close()
    assert all(f.done() for f in futures)
    for f in futures:
        e = f.exception(0)
        assert e is None or isinstance(e, V2imError)
        if e is None:
            assert f.result().status == MessageStatus.SEND_SUCC


def test_cancel_queued_send(make_client: Any, blackhole: str) -> None:
    c = make_client(server_url=blackhole, request_timeout_ms=3000, max_retries=0)
    msgs = [c.create_text(f"c{i}") for i in range(50)]
    sends = [c.send(m, receiver="bob") for m in msgs]
    last = c.cancel(msgs[-1])
    try:
        last.result(TIMEOUT)
        cancelled = True
    except V2imError as e:
        assert e.code == 8020, e  # too late: already in flight
        cancelled = False
    if cancelled:
        err = sends[-1].exception(TIMEOUT)
        assert isinstance(err, V2imError) and err.cancelled, err
    c.close()
    assert all(f.done() for f in sends)


def test_send_from_done_callback(client: v2im.Client) -> None:
    second: List[Future] = []
    fired = threading.Event()

    def chain(f: Future) -> None:
        second.append(client.send(client.create_text("second"), receiver="bob"))
        fired.set()

    client.send(client.create_text("first"), receiver="bob").add_done_callback(chain)
    assert fired.wait(TIMEOUT)
    assert second[0].result(TIMEOUT).status == MessageStatus.SEND_SUCC


def test_close_from_callback_is_refused(client: v2im.Client) -> None:
    # Event handlers always run on the library's callback thread (a future's done-callback may
    # run on the caller's thread if the future is already done when it is added).
    seen: List[BaseException] = []
    fired = threading.Event()

    def bad(ev: Dict[str, Any]) -> None:
        if fired.is_set():
            return
        try:
            client.close()
        except BaseException as e:
            seen.append(e)
        fired.set()

    client.on_event = bad
    client.send(client.create_text("x"), receiver="bob").result(TIMEOUT)
    assert fired.wait(TIMEOUT)
    assert seen and isinstance(seen[0], V2imError), seen
    assert seen[0].code == v2im.errors.V2IM_ERR_WOULD_DEADLOCK
    seen.clear()  # its traceback references the client
    assert not client.closed
    assert client.send(client.create_text("still works"), receiver="bob").result(TIMEOUT)


def test_events_and_handler_exceptions(client: v2im.Client, caplog: Any) -> None:
    events: List[Dict[str, Any]] = []
    got = threading.Event()

    def handler(ev: Dict[str, Any]) -> None:
        events.append(ev)
        got.set()
        raise RuntimeError("handler bug")  # must be logged, never reach C

    client.on_event = handler
    assert client.on_event is handler
    with caplog.at_level(logging.ERROR, logger="v2im"):
        for i in range(3):
            client.send(client.create_text(f"ev{i}"), receiver="bob").result(TIMEOUT)
        got.wait(5)
    assert events, "no event arrived for three sends"
    assert all(isinstance(e, dict) and "event" in e for e in events)
    assert any("handler bug" in r.getMessage() or (r.exc_info and "handler bug" in str(r.exc_info[1]))
               for r in caplog.records)
    sinks = len(cmod._event_sinks)
    client.set_event_handler(None)  # unregisters: the library's free_user_data drops our side
    deadline = time.monotonic() + 5
    while len(cmod._event_sinks) != sinks - 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(cmod._event_sinks) == sinks - 1
    n = len(events)
    client.send(client.create_text("quiet"), receiver="bob").result(TIMEOUT)
    assert len(events) == n
    # Registering again works, and replacing a handler keeps one registration.
    again: List[Dict[str, Any]] = []
    client.on_event = lambda ev: None
    client.on_event = again.append
    client.send(client.create_text("loud"), receiver="bob").result(TIMEOUT)
    deadline = time.monotonic() + 5
    while not again and time.monotonic() < deadline:
        time.sleep(0.01)
    assert again and len(cmod._event_sinks) == sinks


def test_event_handler_kept_alive_by_library(make_client: Any) -> None:
    """A handler referenced by nobody but the client must survive gc.collect()."""
    c = make_client()
    box: List[Dict[str, Any]] = []
    c.set_event_handler(lambda ev: box.append(ev))
    gc.collect()
    c.send(c.create_text("after gc"), receiver="bob").result(TIMEOUT)
    deadline = time.monotonic() + 5
    while not box and time.monotonic() < deadline:
        time.sleep(0.01)
    assert box
    n_sinks = len(cmod._event_sinks)
    c.close()
    # free_user_data released the Python side of the registration.
    assert len(cmod._event_sinks) == n_sinks - 1


def test_gc_stress(server: Dict[str, Any]) -> None:
    cfg = dict(sdk_app_id=server["sdk_app_id"], user_id="alice",
               secret_key=server["secret_key"], server_url=server["url"])
    results: List[v2im.Message] = []
    lock = threading.Lock()

    def keep(f: Future) -> None:
        with lock:
            results.append(f.result())

    c = v2im.Client(**cfg)
    c.on_event = lambda ev: None
    for i in range(150):
        f = c.send(c.create_text(f"gc {i}"), receiver="bob")
        f.add_done_callback(keep)
        del f
        gc.collect()
    deadline = time.monotonic() + TIMEOUT
    while len(results) < 150 and time.monotonic() < deadline:
        gc.collect()
        time.sleep(0.01)
    assert len(results) == 150
    c.close()

    # Clients dropped without close(): collected, then freed by the reaper thread, and every
    # pending send still gets its one result.
    refs = []
    handles = []
    all_futs: List[Future] = []
    sinks_before = len(cmod._event_sinks)
    for i in range(5):
        d = v2im.Client(**cfg)
        d.on_event = lambda ev: None
        all_futs += [d.send(d.create_text(f"drop {i}/{j}"), receiver="bob") for j in range(20)]
        refs.append(weakref.ref(d))
        handles.append(d._h)
        del d
        gc.collect()
    assert all(r() is None for r in refs)
    done, not_done = wait(all_futs, timeout=TIMEOUT)
    assert not not_done, f"{len(not_done)} sends of collected clients never completed"
    deadline = time.monotonic() + TIMEOUT
    while not all(h.freed.is_set() for h in handles) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert all(h.freed.is_set() for h in handles), "the reaper did not free every collected client"
    assert not any(h in cmod._open_handles for h in handles)
    while len(cmod._event_sinks) != sinks_before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(cmod._event_sinks) == sinks_before  # each free ran free_user_data


def test_client_dropped_inside_callback(server: Dict[str, Any]) -> None:
    """The last reference to a client dropped on the callback thread: freed without deadlock."""
    cfg = dict(sdk_app_id=server["sdk_app_id"], user_id="alice",
               secret_key=server["secret_key"], server_url=server["url"])
    holder: Dict[str, Any] = {"c": v2im.Client(**cfg)}
    ref = weakref.ref(holder["c"])
    fired = threading.Event()
    on_thread: List[str] = []

    def drop(ev: Dict[str, Any]) -> None:  # an event handler: always on the callback thread
        if holder:
            on_thread.append(threading.current_thread().name)
            holder.clear()
            gc.collect()
            fired.set()

    holder["c"].on_event = drop
    fut = holder["c"].send(holder["c"].create_text("drop me"), receiver="bob")
    assert fired.wait(TIMEOUT)
    assert on_thread and on_thread[0] != threading.current_thread().name
    deadline = time.monotonic() + 10
    while ref() is not None and time.monotonic() < deadline:
        gc.collect()
        time.sleep(0.01)
    assert ref() is None
    # Freed from a helper thread: the send completed (sent, or cancelled by the free).
    assert isinstance(fut.exception(TIMEOUT) or fut.result(), (V2imError, v2im.Message))
