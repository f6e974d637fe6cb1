"""The exception families: each code's class, and each family raised by a real failure."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any, Dict

import pytest

import v2im
from v2im import errors

TIMEOUT = 30


def test_every_family_is_a_v2im_error() -> None:
    families = {
        v2im.InvalidParametersError, v2im.UnknownMethodError, v2im.FileError, v2im.NetworkError,
        v2im.RequestTimeoutError, v2im.AuthError, v2im.ServerRefusedError,
        v2im.RequestCancelledError, v2im.StateError,
    }
    assert set(errors.FAMILIES.values()) <= families
    for cls in families:
        assert issubclass(cls, v2im.V2imError), cls
    assert issubclass(v2im.UnknownMethodError, v2im.InvalidParametersError)
    assert issubclass(v2im.RequestTimeoutError, v2im.NetworkError)


@pytest.mark.parametrize(
    "code, cls",
    [
        (6017, v2im.InvalidParametersError),
        (6027, v2im.InvalidParametersError),
        (8001, v2im.InvalidParametersError),
        (100001, v2im.UnknownMethodError),
        (7004, v2im.FileError),
        (6031, v2im.FileError),
        (6022, v2im.FileError),
        (6012, v2im.RequestTimeoutError),
        (100009, v2im.NetworkError),
        (100007, v2im.NetworkError),
        (6006, v2im.AuthError),
        (70001, v2im.AuthError),  # the server's codes, passed through
        (70009, v2im.AuthError),
        (60006, v2im.AuthError),
        (10010, v2im.ServerRefusedError),
        (20006, v2im.ServerRefusedError),
        (90003, v2im.ServerRefusedError),
        (123456, v2im.ServerRefusedError),  # a code of no table: some server's
        (100012, v2im.ServerRefusedError),
        (8021, v2im.RequestCancelledError),
        (100002, v2im.RequestCancelledError),
        (8020, v2im.StateError),
        (100006, v2im.StateError),
        (100010, v2im.StateError),
    ],
)
def test_error_from_code(code: int, cls: type) -> None:
    e = v2im.error_from_code(code, "d")
    assert type(e) is cls and e.code == code and e.desc == "d"
    assert e.cancelled == (code in v2im.CANCELLATION_CODES)
    assert repr(e) == f"{cls.__name__}(code={code}, desc='d')"
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is cls and back.code == code


def test_cancellation_codes_are_the_cancelled_family() -> None:
    cancelled = {c for c, cls in errors.FAMILIES.items() if cls is v2im.RequestCancelledError}
    assert cancelled == set(v2im.CANCELLATION_CODES)


def test_base_class_constructor_still_works() -> None:
    e = v2im.V2imError(6017, "x")
    assert type(e) is v2im.V2imError and e.code == 6017


# --- each family from a real failure -------------------------------------------------------------

def test_invalid_parameters(client: v2im.Client) -> None:
    with pytest.raises(v2im.InvalidParametersError) as ei:
        client.create_text(123)  # type: ignore[arg-type]
    assert ei.value.code == errors.ERR_INVALID_PARAMETERS
    with pytest.raises(v2im.InvalidParametersError):
        v2im.Client(sdk_app_id=1400000000, user_id="alice")  # neither userSig nor secretKey
    with pytest.raises(v2im.InvalidParametersError):
        client.send(client.create_text("nowhere")).result(TIMEOUT)


def test_file_error(client: v2im.Client, tmp_path: Path) -> None:
    with pytest.raises(v2im.FileError) as ei:
        client.create_image(str(tmp_path / "missing.png"))
    assert ei.value.code == errors.ERR_FILE_NOT_FOUND
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    with pytest.raises(v2im.FileError) as ei:
        client.create_file(str(empty), "empty.bin")
    assert ei.value.code == errors.ERR_FILE_SIZE_EMPTY


def test_network_error(make_client: Any) -> None:
    c = make_client(server_url="http://127.0.0.1:1", max_retries=0, request_timeout_ms=2000)
    with pytest.raises(v2im.NetworkError) as ei:
        c.send(c.create_text("x"), receiver="bob").result(TIMEOUT)
    assert ei.value.code in (errors.V2IM_ERR_NETWORK, errors.ERR_REQUEST_TIME_OUT), ei.value
    assert ei.value.message is not None  # the failed message comes with it


def test_auth_error(make_client: Any) -> None:
    c = make_client(secret_key="not-the-key")
    with pytest.raises(v2im.AuthError) as ei:
        c.send(c.create_text("x"), receiver="bob").result(TIMEOUT)
    assert ei.value.code >= 60000, ei.value
    c = make_client(secret_key=None, user_sig="garbage")
    with pytest.raises(v2im.AuthError):
        c.get_c2c_history("bob", 1).result(TIMEOUT)


def test_server_refused(client: v2im.Client) -> None:
    with pytest.raises(v2im.ServerRefusedError) as ei:
        client.send(client.create_text("x"), group_id="no-such-group").result(TIMEOUT)
    assert ei.value.code not in errors.FAMILIES, ei.value  # the server's own code


def test_cancelled_and_state(make_client: Any) -> None:
    c = make_client()
    sent = c.send(c.create_text("done"), receiver="bob").result(TIMEOUT)
    with pytest.raises(v2im.StateError) as ei:
        c.cancel(sent).result(TIMEOUT)  # too late: it was sent
    assert ei.value.code == errors.ERR_SDK_INVALID_CANCEL_MESSAGE
    msg = c.create_text("late")
    c.close()
    err = c.send(msg, receiver="bob").exception(TIMEOUT)
    assert isinstance(err, v2im.RequestCancelledError) and err.cancelled, err
    with pytest.raises(v2im.RequestCancelledError):
        c.create_text("x")


def test_state_error_from_a_callback(make_client: Any) -> None:
    c = make_client()
    caught: list = []

    def on_event(_: Any) -> None:  # on the library's callback thread
        try:
            c.close()
        except v2im.V2imError as e:
            caught.append(e)

    c.on_event = on_event
    c.send(c.create_text("cb"), receiver="bob").result(TIMEOUT)
    assert caught and isinstance(caught[0], v2im.StateError), caught
    assert caught[0].code == errors.V2IM_ERR_WOULD_DEADLOCK
