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
they return. ``send``, the history methods and ``cancel`` return a
:class:`concurrent.futures.Future` that the library's callback thread completes (``set_result`` is
thread-safe); done-callbacks added to those futures, and event handlers, run on that thread, so
they must not block on another v2im future. Exceptions raised by user code there are logged to the
``v2im`` logger and never propagate into C.

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
import itertools
import json
import logging
import queue
import threading
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
    TypeVar,
    Union,
)

from . import _lib
from .errors import (
    V2IM_ERR_BAD_RESPONSE,
    V2IM_ERR_SHUTTING_DOWN,
    V2IM_ERR_WOULD_DEADLOCK,
    V2imError,
)
from .message import Message, OfflinePushInfo, Priority

__all__ = ["Client", "EventHandler", "MessageLike", "error_str", "version"]

log = logging.getLogger("v2im")

T = TypeVar("T")
#: An event as a dict: ``{"event": "onSendMessageProgress", "data": {...}}``.
EventHandler = Callable[[Dict[str, Any]], Any]
#: A :class:`Message`, or the string the library knows it by (its ``id`` / ``msgID``).
MessageLike = Union[Message, str]
_Handler = Callable[[int, Dict[str, Any]], None]


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
        handler = sink.handler if sink is not None else None
        if handler is None or event_json is None:
            return
        try:
            event = json.loads(event_json)
        except ValueError:
            log.error("v2im: event is not JSON: %r", event_json[:200])
            return
        handler(event)
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
    return V2imError(code, str(desc), msg)


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
    raise V2imError(V2IM_ERR_BAD_RESPONSE, f"unexpected create result: {data!r}")


def _message(data: Any) -> Message:
    if isinstance(data, Mapping):
        return Message(data)
    raise V2imError(V2IM_ERR_BAD_RESPONSE, f"expected a V2TimMessage, got {data!r}")


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
    raise V2imError(V2IM_ERR_BAD_RESPONSE, f"expected a list of V2TimMessage, got {data!r}")


def _nothing(data: Any) -> None:
    return None


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

class _EventSink:
    __slots__ = ("handler", "__weakref__")

    def __init__(self) -> None:
        self.handler: Optional[EventHandler] = None


class _Handle:
    """The native pointer, and the bookkeeping that keeps it from being freed mid-call."""

    def __init__(self, ptr: int) -> None:
        self.ptr: Optional[int] = ptr
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

    Keyword arguments are the library's config keys (see the README), in Python spelling
    (``request_timeout_ms=5000``, ``data_dir=...``) or as the library spells them
    (``requestTimeoutMs=5000``); ``None`` values are left out. A missing or mistyped required key
    raises :class:`V2imError` with code 6017.
    """

    def __init__(
        self,
        sdk_app_id: Optional[int] = None,
        user_id: Optional[str] = None,
        *,
        secret_key: Optional[str] = None,
        user_sig: Optional[str] = None,
        server_url: Optional[str] = None,
        on_event: Optional[EventHandler] = None,
        **config: Any,
    ) -> None:
        cfg: Dict[str, Any] = {}
        for k, v in (
            ("sdkAppID", sdk_app_id),
            ("userID", user_id),
            ("secretKey", secret_key),
            ("userSig", user_sig),
            ("serverUrl", server_url),
        ):
            if v is not None:
                cfg[k] = v
        for k, v in config.items():
            if v is not None:
                cfg[_config_key(k)] = v
        self.user_id: Optional[str] = user_id
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

        self._h = _Handle(out.value)
        self._sink = _EventSink()
        self._events_registered = False
        self._events_lock = threading.Lock()
        # If close() is never called: freed by the reaper thread after garbage collection, or
        # by _close_all at interpreter exit.
        _open_handles.add(self._h)
        _ensure_reaper()
        self._finalizer = weakref.finalize(self, _Handle.free_later, self._h)
        self._finalizer.atexit = False
        if on_event is not None:
            self.set_event_handler(on_event)

    # --- lifetime -----------------------------------------------------------------------------
    def close(self) -> None:
        """Free the client (``v2im_client_free``).

        Every request still pending completes — its future gets a :class:`V2imError` with a
        cancellation code — before this returns; no callback runs after it. Idempotent. Raises
        :class:`V2imError` (100006, would deadlock) when called from a v2im callback.
        """
        if self._h.ptr is not None and _in_callback():
            raise V2imError(
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
        """Called with each event as a dict, on the callback thread. Set to None to ignore events."""
        return self._sink.handler

    @on_event.setter
    def on_event(self, handler: Optional[EventHandler]) -> None:
        self.set_event_handler(handler)

    def set_event_handler(self, handler: Optional[EventHandler]) -> None:
        """Set the event handler, or with None remove it. Exceptions it raises are logged.

        The library holds the registration; its ``free_user_data`` drops the Python side after
        the last event (on replacement/removal, or in :meth:`close`).
        """
        if handler is not None and not callable(handler):
            raise TypeError("the event handler must be callable")
        with self._events_lock:
            self._sink.handler = handler
            if (handler is not None) == self._events_registered:
                return  # already listening (the sink calls the new handler) / already removed
            ptr = self._h.enter()
            if ptr is None:
                if handler is None:
                    return
                raise V2imError(V2IM_ERR_SHUTTING_DOWN, "client is closed")
            try:
                if handler is None:
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
                raise V2imError(rc, error_str(rc))
            self._events_registered = handler is not None

    # --- the generic entry point -------------------------------------------------------------
    def _submit(self, method: str, params: Mapping[str, Any], handler: _Handler) -> None:
        """Hand one request to the library; ``handler(code, result)`` runs exactly once."""
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
            if h is not None:
                h(int(rc), {"code": int(rc), "desc": desc or error_str(rc), "data": None})

    def call(self, method: str, params: Optional[Mapping[str, Any]] = None) -> "Future[Dict[str, Any]]":
        """Any library method by name: a future of the whole result ``{"code", "desc", "data"}``.

        The future never fails for a non-zero code (look at ``result["code"]``); a request the
        library refused outright resolves with that return code.
        """
        fut = _new_future()
        self._submit(method, params or {}, lambda code, res: fut.set_result(res))
        return fut

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
            raise V2imError(V2IM_ERR_WOULD_DEADLOCK, f"{method} did not complete synchronously")
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
        """Cancel a send that is still queued. The future fails with 8020 if it is too late."""
        return self._request("cancelSendMessage", {"id": _local_id(message)}, _nothing)

    # --- history and local data -------------------------------------------------------------
    def get_c2c_history(
        self, user_id: str, count: int, last_msg_id: Optional[str] = None
    ) -> "Future[List[Message]]":
        """One-to-one history with ``user_id`` from the server, newest first."""
        p: Dict[str, Any] = {"userID": user_id, "count": int(count)}
        if last_msg_id is not None:
            p["lastMsgID"] = last_msg_id
        return self._request("getC2CHistoryMessageList", p, _message_list)

    def get_group_history(
        self, group_id: str, count: int, last_msg_id: Optional[str] = None
    ) -> "Future[List[Message]]":
        """Group history from the server, newest first."""
        p: Dict[str, Any] = {"groupID": group_id, "count": int(count)}
        if last_msg_id is not None:
            p["lastMsgID"] = last_msg_id
        return self._request("getGroupHistoryMessageList", p, _message_list)

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
