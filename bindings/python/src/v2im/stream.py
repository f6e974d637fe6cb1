"""Received messages as an iterator: :class:`MessageStream`, what :meth:`Client.messages` returns.

Buffering policy
----------------
Messages arrive on the library's callback thread, which must never wait for the application (it
also completes every future and runs every event handler). So each stream has a buffer of at
most ``maxsize`` messages (default 1000) between that thread and its reader, and when the reader
falls behind and the buffer is full, ``overflow`` decides, without ever blocking:

- ``"drop_oldest"`` (default): the oldest buffered message is dropped to make room: a slow
  reader sees the newest ``maxsize`` messages;
- ``"drop_newest"``: the arriving message is dropped: a slow reader sees the first ``maxsize``;
- ``"error"``: the stream stops taking messages; the reader gets the ``maxsize`` buffered ones,
  then :class:`MessageStreamOverflow` is raised from the iteration.

Every drop is counted in :attr:`MessageStream.dropped` and logged once per stream on the
``v2im`` logger (a warning). A dropped message is only dropped from this stream: it was received
and stored by the library, ``on_message``/``on_event`` and the other streams had it, and the
history methods return it.

A stream gets the messages received from the moment it is opened (:meth:`Client.messages`),
also those that arrive before its first ``next``. It ends — ``async for`` and ``for`` finish
after the buffered messages — when the client is closed or the stream is (:meth:`close`,
``async with``). A stream that is dropped without being closed stops buffering once it is
garbage-collected.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import threading
import time
import weakref
from typing import Any, Callable, Deque, List, Optional, Tuple

from .errors import V2IM_ERR_WOULD_DEADLOCK, error_from_code
from .message import Message

__all__ = ["MessageStream", "MessageStreamOverflow", "OVERFLOW_POLICIES"]

log = logging.getLogger("v2im")

#: The values of ``overflow``.
OVERFLOW_POLICIES = ("drop_oldest", "drop_newest", "error")


class MessageStreamOverflow(Exception):
    """Raised from a :class:`MessageStream` with ``overflow="error"`` whose buffer filled up
    (after the buffered messages were read). ``dropped`` counts the messages it did not take."""

    def __init__(self, maxsize: int, dropped: int) -> None:
        super().__init__(
            f"message stream overflow: {maxsize} messages were buffered and not read; "
            f"{dropped} more were not taken"
        )
        self.maxsize = maxsize
        self.dropped = dropped


def _set_done(fut: "asyncio.Future[None]") -> None:
    if not fut.done():
        fut.set_result(None)


class _Buffer:
    """The part of a stream the client's event sink holds: no reference to the stream or the
    client, so dropping a stream lets it be collected."""

    __slots__ = (
        "cond", "items", "maxsize", "overflow", "closed", "overflowed", "dropped", "warned",
        "waiters",
    )

    def __init__(self, maxsize: int, overflow: str) -> None:
        self.cond = threading.Condition(threading.Lock())
        self.items: Deque[Message] = collections.deque()
        self.maxsize = maxsize
        self.overflow = overflow
        #: No more messages will be added (stream or client closed). Set without the lock by
        #: the finalizer of a dropped stream (a plain attribute store), so readers and put()
        #: only ever read it.
        self.closed = False
        self.overflowed = False
        self.dropped = 0
        self.warned = False
        self.waiters: List[Tuple[asyncio.AbstractEventLoop, "asyncio.Future[None]"]] = []

    # --- the callback thread's side ----------------------------------------------------------
    def put(self, msg: Message) -> None:
        """Never blocks (beyond the buffer's own short lock)."""
        if self.closed:
            return
        warn = False
        with self.cond:
            if self.closed or self.overflowed:
                if self.overflowed:
                    self.dropped += 1
                return
            if len(self.items) >= self.maxsize:
                self.dropped += 1
                warn = not self.warned
                self.warned = True
                if self.overflow == "drop_oldest":
                    self.items.popleft()
                    self.items.append(msg)
                elif self.overflow == "error":
                    self.overflowed = True
                # drop_newest: nothing to do
            else:
                self.items.append(msg)
            self.cond.notify_all()
            wake, self.waiters = self.waiters, []
        if warn:
            log.warning(
                "v2im: a message stream's buffer is full (%d messages not read); policy %r: "
                "messages are being dropped from this stream (see MessageStream.dropped)",
                self.maxsize, self.overflow,
            )
        _wake(wake)

    def end(self) -> None:
        """No more messages: readers finish after the buffered ones."""
        with self.cond:
            self.closed = True
            self.cond.notify_all()
            wake, self.waiters = self.waiters, []
        _wake(wake)


def _wake(waiters: List[Tuple[asyncio.AbstractEventLoop, "asyncio.Future[None]"]]) -> None:
    for loop, fut in waiters:
        try:
            loop.call_soon_threadsafe(_set_done, fut)
        except RuntimeError:  # that loop is closed: nobody waits there any more
            pass


def _finalize_buffer(buf: _Buffer) -> None:
    # May run in any thread at any moment (garbage collection): no locks, one attribute store.
    buf.closed = True


class MessageStream:
    """Received messages, in the order they arrived, for ``async for`` (or plain ``for``).

        async with client.messages() as stream:
            async for message in stream:
                print(message.sender, message.text)

    Made by :meth:`Client.messages`; see this module's doc for the buffering policy. Iterating
    again after a ``break`` continues where it stopped. Any number of streams may be open on
    one client: each gets every message.
    """

    def __init__(self, buffer: _Buffer, on_close: Callable[[_Buffer], None]) -> None:
        self._buf = buffer
        self._on_close = on_close
        self._finalizer = weakref.finalize(self, _finalize_buffer, buffer)
        self._finalizer.atexit = False

    # --- state -------------------------------------------------------------------------------
    @property
    def maxsize(self) -> int:
        return self._buf.maxsize

    @property
    def overflow(self) -> str:
        return self._buf.overflow

    @property
    def dropped(self) -> int:
        """Messages this stream dropped under its ``overflow`` policy so far."""
        with self._buf.cond:
            return self._buf.dropped

    @property
    def closed(self) -> bool:
        """True once no more messages will be added (the buffered ones can still be read)."""
        return self._buf.closed

    def qsize(self) -> int:
        """Messages buffered and not read yet."""
        with self._buf.cond:
            return len(self._buf.items)

    def close(self) -> None:
        """Stop taking messages; iteration ends after those already buffered. Idempotent;
        may be called from any thread, also from a v2im callback."""
        self._buf.end()
        self._finalizer.detach()
        self._on_close(self._buf)

    async def aclose(self) -> None:
        self.close()

    async def __aenter__(self) -> "MessageStream":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.close()

    def __enter__(self) -> "MessageStream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # --- asyncio -------------------------------------------------------------------------------
    def __aiter__(self) -> "MessageStream":
        return self

    async def __anext__(self) -> Message:
        try:
            return await self._next()
        except EOFError:
            raise StopAsyncIteration from None

    async def _next(self) -> Message:
        loop = asyncio.get_running_loop()
        buf = self._buf
        while True:
            with buf.cond:
                if buf.items:
                    return buf.items.popleft()
                if buf.overflowed:
                    raise MessageStreamOverflow(buf.maxsize, buf.dropped)
                if buf.closed:
                    raise EOFError("the message stream has ended")
                fut: asyncio.Future[None] = loop.create_future()
                entry = (loop, fut)
                buf.waiters.append(entry)
            try:
                await fut
            finally:
                with buf.cond:  # woken (already gone from the list) or cancelled: forget it
                    try:
                        buf.waiters.remove(entry)
                    except ValueError:
                        pass

    async def get_async(self, timeout: Optional[float] = None) -> Message:
        """The next message: ``asyncio.TimeoutError`` after ``timeout`` seconds, ``EOFError``
        once the stream has ended (closed, and every buffered message read)."""
        return await asyncio.wait_for(self._next(), timeout)

    # --- threads -------------------------------------------------------------------------------
    def get(self, timeout: Optional[float] = None) -> Message:
        """The next message, blocking this thread: ``TimeoutError`` after ``timeout`` seconds,
        ``EOFError`` once the stream has ended (closed, and every buffered message read). Must
        not wait in a v2im callback (it would wait for its own thread): there it raises
        StateError 100006 unless a message is ready."""
        from .client import _in_callback  # the callback-thread marker lives with the trampolines

        buf = self._buf
        deadline = None if timeout is None else time.monotonic() + timeout
        with buf.cond:
            while True:
                if buf.items:
                    return buf.items.popleft()
                if buf.overflowed:
                    raise MessageStreamOverflow(buf.maxsize, buf.dropped)
                if buf.closed:
                    raise EOFError("the message stream has ended")
                if _in_callback():
                    raise error_from_code(
                        V2IM_ERR_WOULD_DEADLOCK,
                        "MessageStream.get() would wait in a v2im callback for its own thread",
                    )
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise TimeoutError(f"no message within {timeout} s")
                buf.cond.wait(left)

    def __iter__(self) -> "MessageStream":
        return self

    def __next__(self) -> Message:
        try:
            return self.get()
        except EOFError:
            raise StopIteration from None

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return (
            f"<v2im.MessageStream {state} buffered={self.qsize()} maxsize={self.maxsize} "
            f"overflow={self.overflow!r} dropped={self.dropped}>"
        )
