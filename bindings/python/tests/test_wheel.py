"""The wheel that bundles libv2im: built by bindings/python/build_wheel, installed into a fresh
venv, imported and used from outside the source tree with no V2IM_LIBRARY set."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path
from typing import Any, Dict

import pytest

import v2im
from v2im._lib import LIBRARY_FILE as LIBRARY_NAME

from conftest import LIBRARY, PKG_SRC

BUILD_WHEEL = PKG_SRC.parent / "build_wheel"

USE = """
import json, sys, v2im
from v2im import _lib
url, sdk_app_id, key = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with v2im.Client(sdk_app_id=sdk_app_id, user_id="alice", secret_key=key, server_url=url) as c:
    sent = c.send(c.create_text("from the wheel"), receiver="bob").result(30)
print(json.dumps({"package": v2im.__file__, "library": str(_lib.find_library()),
                  "version": v2im.version(), "msg_id": sent.msg_id,
                  "status": sent.status.name}))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert LIBRARY is not None
    out = tmp_path_factory.mktemp("wheel")
    run = subprocess.run(
        [sys.executable, str(BUILD_WHEEL), "--library", str(LIBRARY), "--out", str(out)],
        capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stderr
    path = Path(run.stdout.strip().splitlines()[-1])
    assert path.is_file() and path.parent == out, run.stdout
    return path


def test_wheel_is_for_this_platform(wheel: Path) -> None:
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    assert wheel.name == f"v2im-{v2im.__version__}-py3-none-{plat}.whl"
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        meta = z.read(f"v2im-{v2im.__version__}.dist-info/WHEEL").decode()
        assert f"Tag: py3-none-{plat}\n" in meta and "Root-Is-Purelib: false\n" in meta
        bundled = z.getinfo("v2im/" + LIBRARY_NAME)
        assert bundled.file_size == Path(str(LIBRARY)).stat().st_size
        assert (bundled.external_attr >> 16) & 0o111, "the library is executable"
        for f in ("v2im/__init__.py", "v2im/_lib.py", "v2im/py.typed"):
            assert f in names
        # RECORD: every other file, with its sha256 and size.
        record = z.read(f"v2im-{v2im.__version__}.dist-info/RECORD").decode()
        rows = {r[0]: r for r in csv.reader(io.StringIO(record))}
        assert set(rows) == names
        for name, digest, size in rows.values():
            if name.endswith("/RECORD"):
                continue
            data = z.read(name)
            want = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            assert digest == f"sha256={want}" and int(size) == len(data), name


def test_same_inputs_same_wheel(tmp_path: Path) -> None:
    # The bytes of the library do not matter here: a small stand-in keeps this quick.
    lib = tmp_path / "libv2im.so"
    lib.write_bytes(b"\x7fELF stand-in" * 64)
    wheels = []
    for out in (tmp_path / "a", tmp_path / "b"):
        run = subprocess.run(
            [sys.executable, str(BUILD_WHEEL), "--library", str(lib), "--out", str(out)],
            capture_output=True, text=True, timeout=300,
        )
        assert run.returncode == 0, run.stderr
        wheels.append(Path(run.stdout.strip().splitlines()[-1]).read_bytes())
    assert wheels[0] == wheels[1]


def test_installed_in_a_fresh_venv(wheel: Path, tmp_path: Path, server: Dict[str, Any]) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    py = venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    env = {k: v for k, v in os.environ.items()
           if k not in ("V2IM_LIBRARY", "LD_LIBRARY_PATH", "PYTHONPATH", "CARGO_TARGET_DIR",
                        "PKG_CONFIG_PATH", "VIRTUAL_ENV")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    pip = subprocess.run([str(py), "-m", "pip", "install", "--no-index", "--no-deps", str(wheel)],
                         env=env, capture_output=True, text=True, timeout=300)
    assert pip.returncode == 0, pip.stdout + pip.stderr

    away = tmp_path / "elsewhere"  # no source tree above, no package in the working directory
    away.mkdir()
    run = subprocess.run([str(py), "-c", USE, server["url"], str(server["sdk_app_id"]),
                          server["secret_key"]],
                         cwd=away, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout)
    package = Path(got["package"]).parent
    assert venv in package.parents, got  # the installed copy, not this checkout
    assert got["library"] == str(package / LIBRARY_NAME), got  # the bundled library
    assert got["version"] == v2im.version()
    assert got["msg_id"] and got["status"] == "SEND_SUCC", got
