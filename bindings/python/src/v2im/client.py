"""The :class:`Client`: a v2im client handle with a Pythonic API.

How callbacks reach Python
--------------------------
The library calls back through three C function pointers. Each is one module-level ``CFUNCTYPE``
object created at import and referenced by this module for the life of the process, so it can
never be garbage-collected while the library holds it. The ``user_data`` the library echoes back is
a small integer key into a module-level table of pending requests (or of event handlers) — never
the address of a Python object, which could be freed or moved. A request's entry is removed when
its one callback arrives (the library calls back exactly once per accepted request), or at once
when the library refuses the request (a non-zero return, after which it never calls back).

Threads
-------
``create_*``, ``find_messages`` and ``set_local_custom_data`` complete on the calling thread before
they return. ``send``, the history methods, ``cancel`` and the conversation and receipt methods
return a :class:`concurrent.futures.Future` that the library's callback thread completes
(``set_result`` is thread-safe); done-callbacks added to those futures, and event handlers
(``on_event``, ``on_message``), run on that thread, so they must not block on another v2im future.
Exceptions raised by user code there are logged to the ``v2im`` logger and never propagate into C.

Receiving
---------
With ``receive=True`` the library holds the server's live channel from the moment a listener is
set. This package sets its one C listener while anything consumes events — an ``on_event``
handler, an ``on_message`` handler or an open :class:`~v2im.MessageStream` — and removes it when
the last one goes (so events the library keeps for a listener, such as received messages, wait
there rather than be dropped here). Each event goes, on the callback thread and in this order, to
``on_event`` (a dict, or a typed :class:`~v2im.events.Event`), then for ``onRecvNewMessage`` to
every open stream (a non-blocking put into its bounded buffer, see :mod:`v2im.stream`) and to
``on_message`` (a :class:`~v2im.Message`). Attach everything before the first message matters:
the first consumer opens the channel, and a fresh channel starts "from now".

Every method may be called from any thread. :meth:`Client.close` waits for calls that are entering
the library on other threads, then frees the client: every request still pending completes (with a
cancellation code) before it returns. It must not be called from a v2im callback. A client that is
garbage-collected without close() is freed soon after by a reaper thread (never inline in the
collector, which may run on any thread at any time); clients still open at interpreter exit are
freed by an atexit handler.
"""

from __future__ import annotations

import asyncio
import atexit
import ctypes
import difflib
import itertools
import json
import logging
import queue
import threading
import time
import weakref
from concurrent.futures import Future
from typing import (
    Any,
    Callable,
    Dict,
    Iterable,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    TypeVar,
    Union,
)

from . import _lib
from .conversation import Conversation, ConversationPage, MessageReceipt
from .errors import (
    ERR_INVALID_PARAMETERS,
    V2IM_ERR_BAD_RESPONSE,
    V2IM_ERR_NO_CHANNEL,
    V2IM_ERR_SHUTTING_DOWN,
    V2IM_ERR_UNKNOWN_METHOD,
    V2IM_ERR_WOULD_DEADLOCK,
    V2imError,
    error_from_code,
)
from .events import ConnectionState, parse_event
from .message import Message, OfflinePushInfo, Priority
from .stream import OVERFLOW_POLICIES, MessageStream, _Buffer

__all__ = [
    "METHODS",
    "Client",
    "EventHandler",
    "MessageHandler",
    "MessageLike",
    "error_str",
    "version",
]

log = logging.getLogger("v2im")

T = TypeVar("T")
#: An event as a dict: ``{"event": "onSendMessageProgress", "data": {...}}`` (or, registered with
#: ``typed=True``, a :class:`v2im.events.Event`).
EventHandler = Callable[[Any], Any]
#: Called with each received message.
MessageHandler = Callable[[Message], Any]
#: A :class:`Message`, or the string the library knows it by (its ``id`` / ``msgID``).
MessageLike = Union[Message, str]
_Handler = Callable[[int, Dict[str, Any]], None]

#: Every library method (V2TIM's name): the :class:`Client` method that calls it, and whether it
#: goes over the network (then its result comes later, on the callback thread, and the Client
#: method has an ``await``-able ``..._async`` twin). A test holds this against the library's
#: method table.
METHODS: Dict[str, Tuple[str, bool]] = {
    "createTextMessage": ("create_text", False),
    "createCustomMessage": ("create_custom", False),
    "createLocationMessage": ("create_location", False),
    "createFaceMessage": ("create_face", False),
    "createTextAtMessage": ("create_text_at", False),
    "createAtSignedGroupMessage": ("create_at_signed_group", False),
    "createTargetedGroupMessage": ("create_targeted_group", False),
    "createForwardMessage": ("create_forward", False),
    "createMergerMessage": ("create_merger", False),
    "createImageMessage": ("create_image", False),
    "createSoundMessage": ("create_sound", False),
    "createVideoMessage": ("create_video", False),
    "createFileMessage": ("create_file", False),
    "sendMessage": ("send", True),
    "findMessages": ("find_messages", False),
    "setLocalCustomData": ("set_local_custom_data", False),
    "getC2CHistoryMessageList": ("get_c2c_history", True),
    "getGroupHistoryMessageList": ("get_group_history", True),
    "cancelSendMessage": ("cancel", True),
    "getConversationList": ("get_conversation_list", True),
    "getTotalUnreadMessageCount": ("get_total_unread_message_count", True),
    "markC2CMessageAsRead": ("mark_c2c_message_as_read", True),
    "markGroupMessageAsRead": ("mark_group_message_as_read", True),
    "sendMessageReadReceipts": ("send_message_read_receipts", True),
    "getMessageReadReceipts": ("get_message_read_receipts", True),
}


# ---------------------------------------------------------------------------------------------
# Module-level callback plumbing (lives as long as the process).
# ---------------------------------------------------------------------------------------------

_table_lock = threading.Lock()
_pending: Dict[int, _Handler] = {}
_event_sinks: Dict[int, "_EventSink"] = {}
_keys = itertools.count(1)
_tls = threading.local()
#: Callbacks that arrived for no pending request (must stay 0: exactly-once is the library's rule).
stray_callbacks = 0


def _in_callback() -> bool:
    """True while this thread runs inside a v2im callback (ours or user code called from it)."""
    return getattr(_tls, "depth", 0) > 0


def _parse(code: int, raw: Optional[bytes]) -> Dict[str, Any]:
    if raw is None:
        return {"code": code, "desc": "", "data": None}
    try:
        res = json.loads(raw)
    except ValueError as e:
        return {"code": code or V2IM_ERR_BAD_RESPONSE, "desc": f"result is not JSON: {e}", "data": None}
    if not isinstance(res, dict):
        return {"code": code or V2IM_ERR_BAD_RESPONSE, "desc": "result is not a JSON object", "data": res}
    return res


def _result_trampoline(user_data: Optional[int], code: int, result_json: Optional[bytes]) -> None:
    global stray_callbacks
    _tls.depth = getattr(_tls, "depth", 0) + 1
    try:
        key = user_data or 0
        with _table_lock:
            handler = _pending.pop(key, None)
            if handler is None:
                stray_callbacks += 1
        if handler is None:
            log.error("v2im: callback for unknown request key %d (code %d) ignored", key, code)
            return
        handler(int(code), _parse(int(code), result_json))
    except BaseException:  # never let anything propagate into C
        log.exception("v2im: exception in a result callback")
    finally:
        _tls.depth -= 1


def _event_trampoline(user_data: Optional[int], event_json: Optional[bytes]) -> None:
    _tls.depth = getattr(_tls, "depth", 0) + 1
    try:
        sink = _event_sinks.get(user_data or 0)
        if sink is None or event_json is None:
            return
        try:
            event = json.loads(event_json)
        except ValueError:
            log.error("v2im: event is not JSON: %r", event_json[:200])
            return
        if not isinstance(event, dict):
            log.error("v2im: event is not a JSON object: %r", event_json[:200])
            return
        sink.dispatch(event)
    except BaseException:
        log.exception("v2im: exception in an event handler")
    finally:
        _tls.depth -= 1


def _free_trampoline(user_data: Optional[int]) -> None:
    try:
        with _table_lock:
            _event_sinks.pop(user_data or 0, None)
    except BaseException:  # pragma: no cover
        log.exception("v2im: exception in free_user_data")


_RESULT_CB = _lib.RESULT_CALLBACK(_result_trampoline)
_EVENT_CB = _lib.EVENT_CALLBACK(_event_trampoline)
_FREE_CB = _lib.FREE_FN(_free_trampoline)
_NULL_EVENT_CB = _lib.EVENT_CALLBACK()  # NULL function pointers (ctypes refuses None here)
_NULL_FREE_CB = _lib.FREE_FN()


def _register(handler: _Handler) -> int:
    key = next(_keys)
    with _table_lock:
        _pending[key] = handler
    return key


def _unregister(key: int) -> Optional[_Handler]:
    with _table_lock:
        return _pending.pop(key, None)


def pending_count() -> int:
    """How many requests (of all clients) still wait for their callback."""
    with _table_lock:
        return len(_pending)


def version() -> str:
    """The library's version string."""
    v: Optional[bytes] = _lib.lib().v2im_version()
    return v.decode() if v else ""


def error_str(code: int) -> str:
    """The library's static text for a result code."""
    s = _lib.lib().v2im_error_str(int(code))
    return s.decode() if s else ""


def _error_from(code: int, res: Mapping[str, Any]) -> V2imError:
    data = res.get("data")
    msg: Optional[Message] = None
    if isinstance(data, Mapping) and ("id" in data or "msgID" in data):
        msg = Message(data)
    desc = res.get("desc") or ""
    if not desc:
        try:
            desc = error_str(code)
        except Exception:  # pragma: no cover
            desc = ""
    return error_from_code(code, str(desc), msg)


def _new_future() -> "Future[Any]":
    fut: Future[Any] = Future()
    # RUNNING: the request cannot be withdrawn through Future.cancel() (use Client.cancel()),
    # so the library's one completion always finds the future settable.
    fut.set_running_or_notify_cancel()
    return fut


# ---------------------------------------------------------------------------------------------
# Conversions of result data
# ---------------------------------------------------------------------------------------------

def _created(data: Any) -> Message:
    """``{"id", "messageInfo"}`` (or a bare V2TimMessage) -> Message."""
    if isinstance(data, Mapping) and isinstance(data.get("messageInfo"), Mapping):
        info = dict(data["messageInfo"])
        if not info.get("id") and data.get("id"):
            info["id"] = data["id"]
        return Message(info)
    if isinstance(data, Mapping):
        return Message(data)
    raise error_from_code(V2IM_ERR_BAD_RESPONSE, f"unexpected create result: {data!r}")


def _message(data: Any) -> Message:
    if isinstance(data, Mapping):
        return Message(data)
    raise error_from_code(V2IM_ERR_BAD_RESPONSE, f"expected a V2TimMessage, got {data!r}")


def _message_list(data: Any) -> List[Message]:
    if isinstance(data, Mapping):
        for k in ("messageList", "messages", "msgList"):
            if isinstance(data.get(k), list):
                data = data[k]
                break
    if data is None:
        return []
    if isinstance(data, list):
        return [Message(m) for m in data if isinstance(m, Mapping)]
    raise error_from_code(V2IM_ERR_BAD_RESPONSE, f"expected a list of V2TimMessage, got {data!r}")


def _nothing(data: Any) -> None:
    return None


def _conversation_page(data: Any) -> ConversationPage:
    if not isinstance(data, Mapping) or not isinstance(data.get("conversationList"), list):
        raise error_from_code(V2IM_ERR_BAD_RESPONSE, f"expected a V2TimConversationResult, got {data!r}")
    return ConversationPage(
        next_seq=str(data.get("nextSeq") or ""),
        is_finished=bool(data.get("isFinished")),
        conversations=[Conversation(c) for c in data["conversationList"] if isinstance(c, Mapping)],
        raw=dict(data),
    )


def _count(data: Any) -> int:
    if isinstance(data, int) and not isinstance(data, bool):
        return data
    raise error_from_code(V2IM_ERR_BAD_RESPONSE, f"expected an integer, got {data!r}")


def _receipt_list(data: Any) -> List[MessageReceipt]:
    if isinstance(data, list):
        return [MessageReceipt(r) for r in data if isinstance(r, Mapping)]
    raise error_from_code(V2IM_ERR_BAD_RESPONSE, f"expected a list of V2TimMessageReceipt, got {data!r}")


def _id_list(messages: Union[MessageLike, Iterable[MessageLike]]) -> List[str]:
    """msgIDs of one message or of several (Messages or msgID strings)."""
    if isinstance(messages, (str, Message)):
        messages = [messages]
    return [_server_id(m) for m in messages]


def _local_id(m: MessageLike) -> str:
    if isinstance(m, Message):
        return m.id
    if isinstance(m, str):
        return m
    raise TypeError(f"expected a Message or a message id string, not {type(m).__name__}")


def _server_id(m: MessageLike) -> str:
    """A message's msgID (for forward/merge/find), falling back to its local id."""
    if isinstance(m, Message):
        return m.msg_id or m.id
    if isinstance(m, str):
        return m
    raise TypeError(f"expected a Message or a msgID string, not {type(m).__name__}")


# ---------------------------------------------------------------------------------------------
# The handle: everything the finalizer needs, without a reference to the Client.
# ---------------------------------------------------------------------------------------------

_CONNECTION_STATES = {
    "onConnecting": ConnectionState.CONNECTING,
    "onConnectSuccess": ConnectionState.CONNECTED,
    "onConnectFailed": ConnectionState.FAILED,
}


class _EventSink:
    """What the event trampoline delivers to, for one client. It holds no reference to the
    Client (the module-level table keeps it until the library's free_user_data), so a client
    with consumers attached can still be garbage-collected."""

    __slots__ = (
        "handler", "on_message", "buffers", "lock", "state_cond", "state", "connect_error",
        "ended", "__weakref__",
    )

    def __init__(self) -> None:
        #: (handler, typed) or None; one attribute, so a swap is atomic for the callback thread.
        self.handler: Optional[Tuple[EventHandler, bool]] = None
        self.on_message: Optional[MessageHandler] = None
        self.buffers: List[_Buffer] = []
        self.lock = threading.Lock()
        self.state_cond = threading.Condition(threading.Lock())
        self.state = ConnectionState.IDLE
        self.connect_error: Optional[V2imError] = None
        self.ended = False

    def has_consumers(self) -> bool:
        with self.lock:
            self.buffers = [b for b in self.buffers if not b.closed]
            return self.handler is not None or self.on_message is not None or bool(self.buffers)

    def add_buffer(self, buf: _Buffer) -> None:
        with self.lock:
            if not self.ended:
                self.buffers.append(buf)
                return
        buf.end()  # the client was freed meanwhile: the stream ends at once

    def remove_buffer(self, buf: _Buffer) -> None:
        with self.lock:
            self.buffers = [b for b in self.buffers if b is not buf and not b.closed]

    def dispatch(self, event: Dict[str, Any]) -> None:
        """One event, on the callback thread: every consumer, each failure logged on its own."""
        name = event.get("event")
        data = event.get("data")
        state = _CONNECTION_STATES.get(name)  # type: ignore[arg-type]
        if state is not None:
            err = None
            if state is ConnectionState.FAILED:
                d = data if isinstance(data, Mapping) else {}
                err = error_from_code(int(d.get("code") or 0), str(d.get("desc") or ""))
            with self.state_cond:
                self.state = state
                if state is not ConnectionState.CONNECTING:
                    self.connect_error = err
                self.state_cond.notify_all()
        handler = self.handler
        if handler is not None:
            fn, typed = handler
            try:
                fn(parse_event(event) if typed else event)
            except BaseException:
                log.exception("v2im: exception in an event handler")
        if name != "onRecvNewMessage":
            return
        raw = data.get("message") if isinstance(data, Mapping) else None
        if not isinstance(raw, Mapping):
            log.error("v2im: onRecvNewMessage without a message: %r", data)
            return
        on_message = self.on_message
        with self.lock:
            buffers = self.buffers
        if on_message is None and not buffers:
            return
        msg = Message(raw)
        for b in buffers:
            b.put(msg)
        if on_message is not None:
            try:
                on_message(msg)
            except BaseException:
                log.exception("v2im: exception in an on_message handler")

    def end(self) -> None:
        """The client is freed: no event comes any more; streams end after their buffers."""
        with self.lock:
            self.ended = True
            buffers, self.buffers = self.buffers, []
        for b in buffers:
            b.end()
        with self.state_cond:
            self.state_cond.notify_all()


class _Handle:
    """The native pointer, and the bookkeeping that keeps it from being freed mid-call."""

    def __init__(self, ptr: int, sink: _EventSink) -> None:
        self.ptr: Optional[int] = ptr
        self.sink = sink
        self.cond = threading.Condition(threading.Lock())
        self.inflight = 0
        self.freed = threading.Event()

    def enter(self) -> Optional[int]:
        with self.cond:
            if self.ptr is None:
                return None
            self.inflight += 1
            return self.ptr

    def leave(self) -> None:
        with self.cond:
            self.inflight -= 1
            if self.inflight == 0:
                self.cond.notify_all()

    def free(self) -> None:
        """Idempotent; returns once the client is freed (by this call or a concurrent one)."""
        with self.cond:
            ptr = self.ptr
            self.ptr = None
            if ptr is not None:
                while self.inflight:
                    self.cond.wait()
        if ptr is None:
            self.freed.wait()
            return
        try:
            _lib.lib().v2im_client_free(ptr)
        finally:
            self.sink.end()
            self.freed.set()
            _open_handles.discard(self)

    def free_later(self) -> None:
        """Run by weakref.finalize when the Client is garbage-collected.

        Garbage collection can run at any allocation, on any thread, while that thread holds
        locks the callback thread may need (or *is* the callback thread); v2im_client_free waits
        for the callback thread. So a finalizer never frees inline: it hands the handle to the
        reaper thread (SimpleQueue.put is safe in finalizers) and returns at once.
        """
        if self.ptr is not None:
            _reaper_queue.put(self)


# Handles not yet freed (strong references): closed by _close_all at interpreter exit.
_open_handles: "set[_Handle]" = set()
_reaper_queue: "queue.SimpleQueue[_Handle]" = queue.SimpleQueue()
_reaper_lock = threading.Lock()
_reaper: Optional[threading.Thread] = None


def _reap() -> None:
    while True:
        h = _reaper_queue.get()
        try:
            h.free()
        except BaseException:  # pragma: no cover
            log.exception("v2im: freeing a garbage-collected client failed")


def _ensure_reaper() -> None:
    global _reaper
    with _reaper_lock:
        if _reaper is None or not _reaper.is_alive():
            _reaper = threading.Thread(target=_reap, name="v2im-reaper", daemon=True)
            _reaper.start()


@atexit.register
def _close_all() -> None:
    """Free every client still open at interpreter exit, before ctypes and this module go away
    (a library thread calling into a finalising interpreter would crash)."""
    for h in list(_open_handles):
        try:
            h.free()
        except BaseException:  # pragma: no cover
            log.exception("v2im: freeing a client at exit failed")


_SNAKE_TO_CONFIG = {
    "sdk_app_id": "sdkAppID",
    "sdkappid": "sdkAppID",
    "user_id": "userID",
    "user_sig": "userSig",
    "secret_key": "secretKey",
    "server_url": "serverUrl",
    "upload_url": "uploadUrl",
    "ca_file": "caFile",
    "data_dir": "dataDir",
}


def _config_key(k: str) -> str:
    if k in _SNAKE_TO_CONFIG:
        return _SNAKE_TO_CONFIG[k]
    if "_" not in k:
        return k  # already camelCase (or a single word)
    head, *rest = k.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class Client:
    """A v2im client: one sender identity talking to one IM server.

    >>> with Client(sdk_app_id=1400000000, user_id="alice", secret_key=KEY,
    ...             server_url="http://127.0.0.1:8080") as c:
    ...     msg = c.send(c.create_text("hi"), receiver="bob").result()

    Keyword arguments are the library's config keys (docs/config.md), in Python spelling
    (``request_timeout_ms=5000``, ``data_dir=...``) or as the library spells them
    (``requestTimeoutMs=5000``); ``None`` values are left out. A missing, mistyped or unknown key
    raises :class:`V2imError` with code 6017 (booleans such as ``receive`` must be ``bool``).

    ``receive=True`` makes the client a receiver (docs/config.md): received messages come
    through :meth:`messages` (an async iterator), ``on_message`` and ``on_event``.
    ``on_event`` and ``on_message`` given here are attached before the channel opens.
    """

    def __init__(
        self,
        sdk_app_id: Optional[int] = None,
        user_id: Optional[str] = None,
        *,
        secret_key: Optional[str] = None,
        user_sig: Optional[str] = None,
        server_url: Optional[str] = None,
        receive: Optional[bool] = None,
        on_event: Optional[EventHandler] = None,
        on_message: Optional[MessageHandler] = None,
        **config: Any,
    ) -> None:
        cfg: Dict[str, Any] = {}
        for k, v in (
            ("sdkAppID", sdk_app_id),
            ("userID", user_id),
            ("secretKey", secret_key),
            ("userSig", user_sig),
            ("serverUrl", server_url),
            ("receive", receive),
        ):
            if v is not None:
                cfg[k] = v
        for k, v in config.items():
            if v is not None:
                cfg[_config_key(k)] = v
        self.user_id: Optional[str] = user_id
        #: The library refuses a non-boolean ``receive``, so True here means a receiver.
        self._receive: bool = cfg.get("receive") is True
        for name, fn in (("on_event", on_event), ("on_message", on_message)):
            if fn is not None and not callable(fn):
                raise TypeError(f"{name} must be callable")
        if on_message is not None:
            self._require_receive("on_message")  # before there is a client to free
        cfg_json = _dumps(cfg)

        cdll = _lib.lib()
        outcome: Dict[str, Any] = {}
        key = _register(lambda code, res: outcome.update(code=code, res=res))
        out = ctypes.c_void_p()
        try:
            rc = cdll.v2im_client_new(cfg_json, ctypes.byref(out), _RESULT_CB, key)
        finally:
            _unregister(key)  # no-op if the callback ran
        if rc != 0 or not out.value:
            code = rc or outcome.get("code") or V2IM_ERR_BAD_RESPONSE
            raise _error_from(int(code), outcome.get("res") or {})

        self._sink = _EventSink()
        self._h = _Handle(out.value, self._sink)
        self._events_registered = False
        self._events_lock = threading.Lock()
        # If close() is never called: freed by the reaper thread after garbage collection, or
        # by _close_all at interpreter exit.
        _open_handles.add(self._h)
        _ensure_reaper()
        self._finalizer = weakref.finalize(self, _Handle.free_later, self._h)
        self._finalizer.atexit = False
        if on_message is not None:
            self._sink.on_message = on_message
        if on_event is not None:
            self._sink.handler = (on_event, False)
        self._sync_listener()  # one registration for both

    # --- lifetime -----------------------------------------------------------------------------
    def close(self) -> None:
        """Free the client (``v2im_client_free``).

        Every request still pending completes — its future gets a :class:`V2imError` with a
        cancellation code — before this returns; no callback runs after it. Idempotent. Raises
        :class:`V2imError` (100006, would deadlock) when called from a v2im callback.
        """
        if self._h.ptr is not None and _in_callback():
            raise error_from_code(
                V2IM_ERR_WOULD_DEADLOCK,
                "close() called from a v2im callback (it would wait for its own thread)",
            )
        self._h.free()
        self._finalizer.detach()

    @property
    def closed(self) -> bool:
        return self._h.ptr is None

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<v2im.Client user_id={self.user_id!r} {state}>"

    # --- events -----------------------------------------------------------------------------
    @property
    def on_event(self) -> Optional[EventHandler]:
        """Called with each event, on the callback thread (a dict, or a typed
        :class:`v2im.events.Event` if set with ``set_event_handler(fn, typed=True)``). Set to
        None to ignore events."""
        h = self._sink.handler
        return h[0] if h is not None else None

    @on_event.setter
    def on_event(self, handler: Optional[EventHandler]) -> None:
        self.set_event_handler(handler)

    def set_event_handler(self, handler: Optional[EventHandler], typed: bool = False) -> None:
        """Set the event handler, or with None remove it. Exceptions it raises are logged.

        ``typed=True``: the handler gets :class:`v2im.events.Event` objects
        (:class:`~v2im.events.NewMessage`, :class:`~v2im.events.ConnectFailed`, ...) instead of
        dicts. The library holds the registration; its ``free_user_data`` drops the Python side
        after the last event (once nothing consumes events any more, or in :meth:`close`).
        """
        if handler is not None and not callable(handler):
            raise TypeError("the event handler must be callable")
        self._set_consumer("handler", None if handler is None else (handler, bool(typed)))

    @property
    def on_message(self) -> Optional[MessageHandler]:
        """Called with each received :class:`Message` (``receive=True``), on the callback
        thread, after ``on_event``. Set to None to stop. Exceptions it raises are logged."""
        return self._sink.on_message

    @on_message.setter
    def on_message(self, handler: Optional[MessageHandler]) -> None:
        self.set_message_handler(handler)

    def set_message_handler(self, handler: Optional[MessageHandler]) -> Optional[MessageHandler]:
        """Set (or with None remove) the received-message handler; returns it, so it also
        works as a decorator::

            @client.set_message_handler
            def got(message: v2im.Message) -> None:
                print(message.sender, message.text)

        Raises :class:`V2imError` 6017 if the client was made without ``receive=True``.
        """
        if handler is not None:
            if not callable(handler):
                raise TypeError("the message handler must be callable")
            self._require_receive("on_message")
        self._set_consumer("on_message", handler)
        return handler

    def messages(self, maxsize: int = 1000, overflow: str = "drop_oldest") -> MessageStream:
        """Received messages as a :class:`~v2im.MessageStream`, for ``async for`` (or ``for``).

            async with client.messages() as stream:
                async for message in stream:
                    ...

        It has every message received from now on, buffers at most ``maxsize`` of them for a
        slow reader (``overflow``: ``"drop_oldest"``, ``"drop_newest"`` or ``"error"``; see
        :mod:`v2im.stream`), and ends when the client is closed or the stream is. Raises
        :class:`V2imError` 6017 without ``receive=True``, 100002 on a closed client.
        """
        if isinstance(maxsize, bool) or not isinstance(maxsize, int) or maxsize < 1:
            raise ValueError(f"maxsize must be a positive int, not {maxsize!r}")
        if overflow not in OVERFLOW_POLICIES:
            raise ValueError(f"overflow must be one of {OVERFLOW_POLICIES}, not {overflow!r}")
        self._require_receive("messages()")
        if self.closed:
            raise error_from_code(V2IM_ERR_SHUTTING_DOWN, "client is closed")
        buf = _Buffer(maxsize, overflow)
        self._sink.add_buffer(buf)
        try:
            self._sync_listener()
        except BaseException:
            self._sink.remove_buffer(buf)
            raise
        me = weakref.ref(self)

        def closed(b: _Buffer) -> None:
            c = me()
            if c is not None:
                c._stream_closed(b)

        return MessageStream(buf, closed)

    def _stream_closed(self, buf: _Buffer) -> None:
        self._sink.remove_buffer(buf)
        try:
            self._sync_listener()
        except V2imError as e:  # the client is going away: nothing to undo
            log.debug("v2im: removing the listener after a stream closed: %s", e)

    def _require_receive(self, what: str) -> None:
        if not self._receive:
            raise error_from_code(
                ERR_INVALID_PARAMETERS,
                f"{what}: this client was made without receive=True, so it receives nothing",
            )

    def _set_consumer(self, attr: str, value: Any) -> None:
        with self._events_lock:
            old = getattr(self._sink, attr)
            setattr(self._sink, attr, value)
            try:
                self._sync_listener_locked()
            except BaseException:
                setattr(self._sink, attr, old)
                raise

    def _sync_listener(self) -> None:
        with self._events_lock:
            self._sync_listener_locked()

    def _sync_listener_locked(self) -> None:
        """Keeps the one C listener set exactly while something consumes events."""
        want = self._sink.has_consumers()
        if want == self._events_registered:
            return  # already listening (the sink reaches the new consumer) / already removed
        ptr = self._h.enter()
        if ptr is None:
            if not want:
                return
            raise error_from_code(V2IM_ERR_SHUTTING_DOWN, "client is closed")
        try:
            if not want:
                rc = _lib.lib().v2im_set_event_callback(ptr, _NULL_EVENT_CB, None, _NULL_FREE_CB)
                key = 0
            else:
                key = next(_keys)
                with _table_lock:
                    _event_sinks[key] = self._sink
                rc = _lib.lib().v2im_set_event_callback(ptr, _EVENT_CB, key, _FREE_CB)
        finally:
            self._h.leave()
        if rc != 0:
            # Nothing was kept; free_user_data will not run: undo our side.
            if key:
                with _table_lock:
                    _event_sinks.pop(key, None)
            raise error_from_code(rc, error_str(rc))
        self._events_registered = want

    # --- the live channel's state --------------------------------------------------------------
    @property
    def connection_state(self) -> ConnectionState:
        """The channel's state as the last connection event reported it (``IDLE`` before any)."""
        return self._sink.state

    @property
    def connect_error(self) -> Optional[V2imError]:
        """Why the channel last failed (``onConnectFailed``), until it connects again."""
        return self._sink.connect_error

    def wait_connected(self, timeout: Optional[float] = None) -> bool:
        """Block until the live channel is open (``onConnectSuccess``): True, or False after
        ``timeout`` seconds (see :attr:`connect_error` for the last failure). Raises the
        :class:`V2imError` 100012 at once if the server has no channel, 100002 if the client is
        closed, and 6017 without ``receive=True`` or while nothing listens (attach ``on_event``,
        ``on_message`` or open :meth:`messages` first: the first of them opens the channel).
        """
        self._require_receive("wait_connected()")
        sink = self._sink
        with sink.state_cond:
            if sink.state is ConnectionState.CONNECTED:
                return True
        if not self._events_registered and not self.closed:
            raise error_from_code(
                ERR_INVALID_PARAMETERS,
                "wait_connected(): nothing listens yet, so the channel is not opened: set "
                "on_event or on_message, or open messages(), first",
            )
        if _in_callback():
            raise error_from_code(V2IM_ERR_WOULD_DEADLOCK, "wait_connected() in a v2im callback")
        deadline = None if timeout is None else time.monotonic() + timeout
        with sink.state_cond:
            while True:
                if sink.state is ConnectionState.CONNECTED:
                    return True
                err = sink.connect_error
                if sink.state is ConnectionState.FAILED and err is not None and (
                    err.code == V2IM_ERR_NO_CHANNEL
                ):
                    raise err
                if sink.ended:
                    raise error_from_code(V2IM_ERR_SHUTTING_DOWN, "client is closed")
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                sink.state_cond.wait(left)

    async def wait_connected_async(self, timeout: Optional[float] = None) -> bool:
        """``await``-able :meth:`wait_connected` (it waits on a worker thread)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self.wait_connected, timeout)

    # --- the generic entry point -------------------------------------------------------------
    def _submit(
        self, method: str, params: Any, handler: _Handler, raise_refused: bool = False
    ) -> None:
        """Hand one request to the library; ``handler(code, result)`` runs exactly once, or
        with ``raise_refused`` never when the library refuses the request outright (that error
        is raised instead)."""
        body = _dumps(params)  # serialisation errors surface here, before anything is registered
        key = _register(handler)
        ptr = self._h.enter()
        if ptr is None:
            rc = V2IM_ERR_SHUTTING_DOWN
            desc = "client is closed"
        else:
            try:
                rc = _lib.lib().v2im_call(ptr, method.encode("utf-8"), body, _RESULT_CB, key)
            finally:
                self._h.leave()
            desc = ""
        if rc != 0:
            # Refused: the library never calls back. Complete it here (unless, against the
            # rules, it did call back, in which case the entry is already gone).
            h = _unregister(key)
            if not desc and rc == V2IM_ERR_UNKNOWN_METHOD:
                close = difflib.get_close_matches(method, METHODS, n=1)
                desc = f"unknown method {method!r}" + (
                    f"; did you mean {close[0]!r}?" if close else ""
                )
            desc = desc or error_str(rc)
            if raise_refused:
                raise error_from_code(rc, desc)
            if h is not None:
                h(int(rc), {"code": int(rc), "desc": desc, "data": None})

    def call(self, method: str, params: Optional[Mapping[str, Any]] = None) -> "Future[Dict[str, Any]]":
        """Any library method by name: a future of the whole result ``{"code", "desc", "data"}``.

        The future never fails for a non-zero code of a request the library took (look at
        ``result["code"]``). A request it refuses outright raises here instead:
        :class:`~v2im.UnknownMethodError` for a method it does not have (the message names the
        closest one), :class:`~v2im.InvalidParametersError` for params that are not a JSON
        object, :class:`~v2im.RequestCancelledError` on a closed client.
        """
        fut = _new_future()
        self._submit(method, {} if params is None else params,
                     lambda code, res: fut.set_result(res), raise_refused=True)
        return fut

    async def call_async(
        self, method: str, params: Optional[Mapping[str, Any]] = None
    ) -> Dict[str, Any]:
        """``await``-able :meth:`call` (it raises the same way)."""
        return await asyncio.wrap_future(self.call(method, params))

    def _request(self, method: str, params: Mapping[str, Any], convert: Callable[[Any], T]) -> "Future[T]":
        fut = _new_future()

        def done(code: int, res: Dict[str, Any]) -> None:
            if code != 0:
                fut.set_exception(_error_from(code, res))
                return
            try:
                value = convert(res.get("data"))
            except BaseException as e:
                fut.set_exception(e)
            else:
                fut.set_result(value)

        self._submit(method, params, done)
        return fut

    def _local(self, method: str, params: Mapping[str, Any], convert: Callable[[Any], T]) -> T:
        fut = self._request(method, params, convert)
        if not fut.done() and _in_callback():
            raise error_from_code(V2IM_ERR_WOULD_DEADLOCK, f"{method} did not complete synchronously")
        return fut.result()

    # --- create ---------------------------------------------------------------------------------
    def create_text(self, text: str) -> Message:
        """A text message. Raises V2imError."""
        return self._local("createTextMessage", {"text": text}, _created)

    def create_custom(self, data: str, desc: str = "", extension: str = "") -> Message:
        """A custom message (``data`` is an opaque string). Raises V2imError."""
        return self._local(
            "createCustomMessage", {"data": data, "desc": desc, "extension": extension}, _created
        )

    def create_location(self, desc: str, longitude: float, latitude: float) -> Message:
        return self._local(
            "createLocationMessage",
            {"desc": desc, "longitude": float(longitude), "latitude": float(latitude)},
            _created,
        )

    def create_face(self, index: int, data: str) -> Message:
        return self._local("createFaceMessage", {"index": int(index), "data": data}, _created)

    def create_text_at(self, text: str, at_user_list: Sequence[str]) -> Message:
        """A text message that @-mentions users of a group (:data:`AT_ALL_TAG` for everyone)."""
        return self._local(
            "createTextAtMessage", {"text": text, "atUserList": list(at_user_list)}, _created
        )

    def create_at_signed_group(self, message: MessageLike, at_user_list: Sequence[str]) -> Message:
        return self._local(
            "createAtSignedGroupMessage",
            {"id": _local_id(message), "atUserList": list(at_user_list)},
            _created,
        )

    def create_targeted_group(self, message: MessageLike, receiver_list: Sequence[str]) -> Message:
        """A copy of a created message for only some members of a group."""
        return self._local(
            "createTargetedGroupMessage",
            {"id": _local_id(message), "receiverList": list(receiver_list)},
            _created,
        )

    def create_forward(self, message_or_msg_id: MessageLike) -> Message:
        """A forward of a message that was sent successfully (a Message or its ``msgID``)."""
        return self._local("createForwardMessage", {"msgID": _server_id(message_or_msg_id)}, _created)

    def create_merger(
        self,
        messages: Iterable[MessageLike],
        title: str,
        abstract_list: Sequence[str],
        compatible_text: str,
    ) -> Message:
        """A merged (chat history) message of sent messages."""
        return self._local(
            "createMergerMessage",
            {
                "msgIDList": [_server_id(m) for m in messages],
                "title": title,
                "abstractList": list(abstract_list),
                "compatibleText": compatible_text,
            },
            _created,
        )

    def create_image(self, image_path: str, image_name: Optional[str] = None) -> Message:
        p: Dict[str, Any] = {"imagePath": str(image_path)}
        if image_name is not None:
            p["imageName"] = image_name
        return self._local("createImageMessage", p, _created)

    def create_sound(self, sound_path: str, duration: int) -> Message:
        return self._local(
            "createSoundMessage", {"soundPath": str(sound_path), "duration": int(duration)}, _created
        )

    def create_video(self, video_file_path: str, type: str, duration: int, snapshot_path: str) -> Message:
        return self._local(
            "createVideoMessage",
            {
                "videoFilePath": str(video_file_path),
                "type": type,
                "duration": int(duration),
                "snapshotPath": str(snapshot_path),
            },
            _created,
        )

    def create_file(self, file_path: str, file_name: str) -> Message:
        return self._local(
            "createFileMessage", {"filePath": str(file_path), "fileName": file_name}, _created
        )

    # --- send -----------------------------------------------------------------------------------
    def send(
        self,
        message: MessageLike,
        receiver: Optional[str] = None,
        group_id: Optional[str] = None,
        priority: Union[Priority, int] = Priority.DEFAULT,
        online_user_only: bool = False,
        offline_push_info: Optional[Union[OfflinePushInfo, Mapping[str, Any]]] = None,
        need_read_receipt: bool = False,
        is_excluded_from_unread_count: bool = False,
        is_excluded_from_last_message: bool = False,
        is_support_message_extension: bool = False,
        cloud_custom_data: Optional[str] = None,
        local_custom_data: Optional[str] = None,
    ) -> "Future[Message]":
        """Send a created message; a future of the sent :class:`Message` (status 2, ``msg_id``).

        ``receiver`` only: one-to-one. ``group_id`` only: group. Both: a targeted group message
        to that one member. Every failure — neither target, unknown id, server or network error,
        cancellation — is a :class:`V2imError` set on the future (its ``message`` is the failed
        message, status 3); this method itself raises only for Python-level type errors.
        """
        params: Dict[str, Any] = {"id": _local_id(message)}
        if receiver is not None:
            params["receiver"] = receiver
        if group_id is not None:
            params["groupID"] = group_id
        params["priority"] = int(priority)
        params["onlineUserOnly"] = bool(online_user_only)
        if offline_push_info is not None:
            params["offlinePushInfo"] = dict(offline_push_info)
        params["needReadReceipt"] = bool(need_read_receipt)
        params["isExcludedFromUnreadCount"] = bool(is_excluded_from_unread_count)
        params["isExcludedFromLastMessage"] = bool(is_excluded_from_last_message)
        params["isSupportMessageExtension"] = bool(is_support_message_extension)
        if cloud_custom_data is not None:
            params["cloudCustomData"] = cloud_custom_data
        if local_custom_data is not None:
            params["localCustomData"] = local_custom_data
        return self._request("sendMessage", params, _message)

    async def send_async(self, message: MessageLike, **kwargs: Any) -> Message:
        """``await``-able :meth:`send` (same arguments)."""
        return await asyncio.wrap_future(self.send(message, **kwargs))

    def cancel(self, message: MessageLike) -> "Future[None]":
        """Cancel a send that is still queued. The future fails with 8020 (a
        :class:`~v2im.StateError`) if it is too late."""
        return self._request("cancelSendMessage", {"id": _local_id(message)}, _nothing)

    async def cancel_async(self, message: MessageLike) -> None:
        await asyncio.wrap_future(self.cancel(message))

    # --- history and local data -------------------------------------------------------------
    def get_c2c_history(
        self, user_id: str, count: int, last_msg_id: Optional[str] = None
    ) -> "Future[List[Message]]":
        """One-to-one history with ``user_id`` from the server, newest first."""
        p: Dict[str, Any] = {"userID": user_id, "count": int(count)}
        if last_msg_id is not None:
            p["lastMsgID"] = last_msg_id
        return self._request("getC2CHistoryMessageList", p, _message_list)

    async def get_c2c_history_async(
        self, user_id: str, count: int, last_msg_id: Optional[str] = None
    ) -> List[Message]:
        return await asyncio.wrap_future(self.get_c2c_history(user_id, count, last_msg_id))

    def get_group_history(
        self, group_id: str, count: int, last_msg_id: Optional[str] = None
    ) -> "Future[List[Message]]":
        """Group history from the server, newest first."""
        p: Dict[str, Any] = {"groupID": group_id, "count": int(count)}
        if last_msg_id is not None:
            p["lastMsgID"] = last_msg_id
        return self._request("getGroupHistoryMessageList", p, _message_list)

    async def get_group_history_async(
        self, group_id: str, count: int, last_msg_id: Optional[str] = None
    ) -> List[Message]:
        return await asyncio.wrap_future(self.get_group_history(group_id, count, last_msg_id))

    def find_messages(self, msg_ids: Iterable[MessageLike]) -> List[Message]:
        """The library's current copies of messages by ``msgID``. Raises V2imError."""
        ids = [_server_id(m) for m in ([msg_ids] if isinstance(msg_ids, (str, Message)) else msg_ids)]
        return self._local("findMessages", {"messageIDList": ids}, _message_list)

    def set_local_custom_data(self, message: MessageLike, local_custom_data: str) -> None:
        """Set a message's ``localCustomData`` (kept in this process / its data dir only)."""
        self._local(
            "setLocalCustomData",
            {"msgID": _server_id(message), "localCustomData": local_custom_data},
            _nothing,
        )

    # --- conversations and read receipts --------------------------------------------------------
    def get_conversation_list(self, next_seq: str = "0", count: int = 100) -> "Future[ConversationPage]":
        """One page of this user's conversations, newest first (``getConversationList``).

        Start with ``next_seq="0"``, then pass the page's ``next_seq`` until ``is_finished``;
        ``count`` is 1..100.
        """
        return self._request(
            "getConversationList", {"nextSeq": str(next_seq), "count": int(count)},
            _conversation_page,
        )

    async def get_conversation_list_async(
        self, next_seq: str = "0", count: int = 100
    ) -> ConversationPage:
        return await asyncio.wrap_future(self.get_conversation_list(next_seq, count))

    def get_total_unread_message_count(self) -> "Future[int]":
        """The total unread count: one-to-one plus every group (``getTotalUnreadMessageCount``).
        Messages sent with ``is_excluded_from_unread_count`` do not count."""
        return self._request("getTotalUnreadMessageCount", {}, _count)

    async def get_total_unread_message_count_async(self) -> int:
        return await asyncio.wrap_future(self.get_total_unread_message_count())

    def mark_c2c_message_as_read(self, user_id: str) -> "Future[None]":
        """Mark the one-to-one conversation with ``user_id`` read: its unread count goes to 0 and
        the peer gets ``onRecvC2CReadReceipt``."""
        return self._request("markC2CMessageAsRead", {"userID": user_id}, _nothing)

    async def mark_c2c_message_as_read_async(self, user_id: str) -> None:
        await asyncio.wrap_future(self.mark_c2c_message_as_read(user_id))

    def mark_group_message_as_read(self, group_id: str) -> "Future[None]":
        """Mark the group conversation read: its unread count goes to 0."""
        return self._request("markGroupMessageAsRead", {"groupID": group_id}, _nothing)

    async def mark_group_message_as_read_async(self, group_id: str) -> None:
        await asyncio.wrap_future(self.mark_group_message_as_read(group_id))

    def send_message_read_receipts(
        self, messages: Union[MessageLike, Iterable[MessageLike]]
    ) -> "Future[None]":
        """Send read receipts for received messages that were sent with ``need_read_receipt``
        (Messages or msgIDs): each sender gets ``onRecvMessageReadReceipts``. Any other message
        fails the future with 6017 naming it."""
        return self._request("sendMessageReadReceipts", {"messageIDList": _id_list(messages)}, _nothing)

    async def send_message_read_receipts_async(
        self, messages: Union[MessageLike, Iterable[MessageLike]]
    ) -> None:
        await asyncio.wrap_future(self.send_message_read_receipts(messages))

    def get_message_read_receipts(
        self, messages: Union[MessageLike, Iterable[MessageLike]]
    ) -> "Future[List[MessageReceipt]]":
        """Read counts of this client's group messages sent with ``need_read_receipt``
        (``read_count``, ``unread_count`` per message)."""
        return self._request(
            "getMessageReadReceipts", {"messageIDList": _id_list(messages)}, _receipt_list
        )

    async def get_message_read_receipts_async(
        self, messages: Union[MessageLike, Iterable[MessageLike]]
    ) -> List[MessageReceipt]:
        return await asyncio.wrap_future(self.get_message_read_receipts(messages))
