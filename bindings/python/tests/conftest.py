"""Fixtures: the v2im package from this source tree, and a real v2im-server per test session.

The server is started and provisioned (accounts alice, bob, carol, dave; Public group
``demo-group`` owned by alice) by the same code the C examples' runner uses: this file imports
``Server``, ``Rest`` and ``provision`` from ``c_examples/with_server.py`` rather than repeating
them, so keep those names (and ``SDKAPPID``, ``ADMIN``, ``USERS``, ``GROUP_ID``) stable there.

Library missing -> every test is skipped with the list of places looked at, unless
``V2IM_REQUIRE_LIBRARY=1`` (set under ctest/CI), which turns that into a failure. A library that
exists but cannot be loaded, or a missing server binary, always fails.
"""

from __future__ import annotations

import faulthandler
import json
import os
import secrets
import sys
import threading
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest

HERE = Path(__file__).resolve().parent
PKG_SRC = HERE.parent / "src"
REPO = HERE.parents[2]

if os.environ.get("V2IM_TEST_INSTALLED") != "1":
    sys.path.insert(0, str(PKG_SRC))  # test this checkout, not some installed copy

import v2im  # noqa: E402
from v2im import _lib  # noqa: E402

LIBRARY = v2im.find_library()
REQUIRE_LIBRARY = os.environ.get("V2IM_REQUIRE_LIBRARY") == "1"


def _no_library_reason() -> str:
    """The loader's own account of every place it looked at."""
    try:
        _lib.lib()
    except v2im.LibraryNotFoundError as e:
        return f"{e}\n(in this checkout: `cargo build -p v2im`)"
    return "libv2im not found"


NO_LIBRARY_REASON = "" if LIBRARY is not None else _no_library_reason()

# Every key of a V2TimMessage in a result (V2TIM's returned template and what v2im adds), from
# the list the Rust and Python tests share.
_KEYS = json.loads(
    (Path(__file__).resolve().parents[3] / "tests" / "v2tim_message_keys.json").read_text("utf-8")
)
TEMPLATE_KEYS = frozenset(_KEYS["template"] + _KEYS["added"])


def pytest_report_header(config: Any) -> str:
    return f"v2im library: {LIBRARY or 'NOT FOUND'}"


def pytest_collection_modifyitems(config: Any, items: list) -> None:
    if LIBRARY is not None:
        return
    if REQUIRE_LIBRARY:
        raise pytest.UsageError("V2IM_REQUIRE_LIBRARY=1 but " + NO_LIBRARY_REASON)
    skip = pytest.mark.skip(reason=NO_LIBRARY_REASON)
    for item in items:
        item.add_marker(skip)


def _server_exe() -> Path:
    env = os.environ.get("V2IM_SERVER")
    if env:
        return Path(env)
    targets = []
    if os.environ.get("CARGO_TARGET_DIR"):
        targets.append(Path(os.environ["CARGO_TARGET_DIR"]))
    targets.append(REPO / "target")
    for t in targets:
        for profile in ("debug", "release"):
            exe = t / profile / "v2im-server"
            if exe.is_file():
                return exe
    return targets[-1] / "debug" / "v2im-server"


def _runner():
    sys.path.insert(0, str(REPO / "c_examples"))
    try:
        import with_server  # the C examples' runner: server start + REST provisioning
    finally:
        sys.path.pop(0)
    return with_server


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dict[str, Any]]:
    """A running, provisioned v2im-server: {"url", "sdk_app_id", "secret_key", "group_id", ...}."""
    exe = _server_exe()
    if not exe.is_file():
        pytest.fail(f"v2im-server not found at {exe}: build it with `cargo build -p v2im-server` "
                    "or set V2IM_SERVER", pytrace=False)
    ws = _runner()
    key = secrets.token_hex(32)
    tmp = tmp_path_factory.mktemp("v2im-server")
    srv = ws.Server(str(exe), str(tmp), key)
    _servers.append(srv)
    try:
        url = srv.url()
        ws.provision(ws.Rest(url, ws.SDKAPPID, key, ws.ADMIN))
        yield {
            "url": url,
            "sdk_app_id": ws.SDKAPPID,
            "secret_key": key,
            "admin": ws.ADMIN,
            "users": list(ws.USERS),
            "group_id": ws.GROUP_ID,
            "rest": ws.Rest(url, ws.SDKAPPID, key, ws.ADMIN),
            "process": srv,
        }
    finally:
        rc = srv.stop()
        if srv.proc.stdout is not None:
            srv.proc.stdout.close()  # Server.stop() leaves the pipe to the garbage collector
        if rc not in (0, None, -15, 143):
            print(f"v2im-server exited with {rc}; log tail:\n{srv.tail()}", file=sys.stderr)


_servers: list = []
TEST_TIME_LIMIT = float(os.environ.get("V2IM_TEST_TIME_LIMIT", "180"))


@pytest.fixture(autouse=True)
def watchdog(request: Any) -> Iterator[None]:
    """A hung test (a deadlock) fails the run within TEST_TIME_LIMIT seconds, with every
    thread's stack, instead of hanging until an outer timeout kills it without a word."""

    def fire() -> None:
        capman = request.config.pluginmanager.getplugin("capturemanager")
        if capman is not None:
            capman.suspend_global_capture(in_=True)  # so that this reaches the real stderr
        sys.stderr.write(f"\n*** {request.node.nodeid} still running after {TEST_TIME_LIMIT:.0f} s;"
                         " stacks of all threads:\n")
        sys.stderr.flush()
        faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
        sys.stderr.flush()
        for srv in _servers:
            try:
                srv.proc.kill()
            except Exception:
                pass
        os._exit(3)

    t = threading.Timer(TEST_TIME_LIMIT, fire)
    t.daemon = True
    t.start()
    yield
    t.cancel()


@pytest.fixture
def make_client(server: Dict[str, Any]) -> Iterator[Any]:
    """A factory of clients (alice by default) that are all closed after the test."""
    made = []

    def make(user_id: str = "alice", **kw: Any) -> v2im.Client:
        cfg: Dict[str, Any] = dict(
            sdk_app_id=server["sdk_app_id"],
            user_id=user_id,
            secret_key=server["secret_key"],
            server_url=server["url"],
        )
        cfg.update(kw)
        c = v2im.Client(**cfg)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


@pytest.fixture
def client(make_client: Any) -> v2im.Client:
    return make_client()


@pytest.fixture(autouse=True)
def no_stray_callbacks() -> Iterator[None]:
    """Exactly once: no test may cause a callback for a request that was already completed."""
    from v2im import client as cmod

    before = cmod.stray_callbacks
    yield
    assert cmod.stray_callbacks == before, "a callback arrived for an already-completed request"
