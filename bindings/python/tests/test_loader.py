"""Where the package finds libv2im: each place of the search, run in a fresh interpreter with a
copy of the package outside the source tree, so that only the place under test can supply it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Optional

import pytest

import v2im
from v2im import _lib

from conftest import LIBRARY, PKG_SRC, REPO

SONAME = f"libv2im.so.{_lib.ABI}"
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SONAME layout is Linux's")

PROBE = """
import json, v2im
from v2im import _lib
try:
    v2im.version()
except v2im.LibraryNotFoundError as e:
    print(json.dumps({"error": str(e), "tried": e.tried}))
else:
    print(json.dumps({"path": str(_lib.find_library()), "version": v2im.version()}))
"""


@pytest.fixture
def pkg(tmp_path: Path) -> Path:
    """A copy of the package alone (no library next to it), outside any source checkout."""
    dest = tmp_path / "site"
    shutil.copytree(PKG_SRC / "v2im", dest / "v2im",
                    ignore=shutil.ignore_patterns("__pycache__", "libv2im.*"))
    return dest


def install_tree(prefix: Path) -> Path:
    """What `cmake --install --prefix P` lays out for the library: lib/libv2im.so.<ABI>, the
    libv2im.so link, and a relocatable lib/pkgconfig/v2im.pc."""
    assert LIBRARY is not None
    lib = prefix / "lib"
    (lib / "pkgconfig").mkdir(parents=True)
    shutil.copy(LIBRARY, lib / SONAME)
    (lib / "libv2im.so").symlink_to(SONAME)
    (lib / "pkgconfig" / "v2im.pc").write_text(
        "prefix=${pcfiledir}/../..\nlibdir=${prefix}/lib\nincludedir=${prefix}/include\n\n"
        "Name: v2im\nDescription: test\nVersion: 0.0.0\nLibs: -L${libdir} -lv2im\n"
        "Cflags: -I${includedir}\n"
    )
    return lib


def probe(pkg: Path, cwd: Path, **env: str) -> Dict[str, Any]:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("V2IM_LIBRARY", "LD_LIBRARY_PATH", "PKG_CONFIG_PATH", "CARGO_TARGET_DIR",
                          "PYTHONPATH", "DYLD_LIBRARY_PATH")}
    clean.update(env, PYTHONPATH=str(pkg))
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=cwd, env=clean, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    result: Dict[str, Any] = json.loads(out.stdout)
    return result


def system_copy(pkg: Path, cwd: Path) -> Optional[str]:
    """A libv2im the machine itself supplies (installed under /usr/local, in the ldconfig
    cache...), which would answer before the places under test."""
    r = probe(pkg, cwd)
    return r.get("path")


@linux_only
def test_ld_library_path(pkg: Path, tmp_path: Path) -> None:
    lib = install_tree(tmp_path / "prefix")
    r = probe(pkg, tmp_path, LD_LIBRARY_PATH=f"{tmp_path / 'nothing-here'}:{lib}")
    assert r.get("path") == str(lib / SONAME), r  # the ABI's name before the link
    assert r["version"] == v2im.version()


@linux_only
def test_pkg_config(pkg: Path, tmp_path: Path) -> None:
    if shutil.which("pkg-config") is None:
        pytest.skip("pkg-config is not installed")
    lib = install_tree(tmp_path / "prefix")
    if system_copy(pkg, tmp_path) is not None:
        pytest.skip("this machine supplies a libv2im of its own")
    r = probe(pkg, tmp_path, PKG_CONFIG_PATH=str(lib / "pkgconfig"))
    assert r.get("path") is not None and Path(r["path"]).resolve() == (lib / SONAME).resolve(), r


def test_next_to_the_package_and_v2im_library_first(pkg: Path, tmp_path: Path) -> None:
    assert LIBRARY is not None
    shutil.copy(LIBRARY, pkg / "v2im" / _lib.LIBRARY_FILE)
    lib = install_tree(tmp_path / "prefix")
    r = probe(pkg, tmp_path, LD_LIBRARY_PATH=str(lib))
    assert r.get("path") == str(pkg / "v2im" / _lib.LIBRARY_FILE), r
    r = probe(pkg, tmp_path, LD_LIBRARY_PATH=str(lib), V2IM_LIBRARY=str(lib / SONAME))
    assert r.get("path") == str(lib / SONAME), r
    # An explicit setting that names no file is an error, never replaced by a guess.
    r = probe(pkg, tmp_path, V2IM_LIBRARY=str(tmp_path / "nope.so"))
    assert "error" in r and r["tried"] == [f"{tmp_path / 'nope.so'} (V2IM_LIBRARY): no such file"]


@linux_only
def test_a_file_that_cannot_load_is_passed_over(pkg: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / SONAME).write_bytes(b"not a shared object")
    lib = install_tree(tmp_path / "prefix")
    r = probe(pkg, tmp_path, LD_LIBRARY_PATH=f"{broken}:{lib}")
    assert r.get("path") == str(lib / SONAME), r


def test_not_found_lists_every_place(pkg: Path, tmp_path: Path) -> None:
    if system_copy(pkg, tmp_path) is not None:
        pytest.skip("this machine supplies a libv2im of its own")
    r = probe(pkg, tmp_path, LD_LIBRARY_PATH=str(tmp_path / "empty"))
    assert "error" in r, r
    tried = "\n".join(r["tried"])
    for place in (
        "V2IM_LIBRARY: not set",
        f"{pkg / 'v2im' / _lib.LIBRARY_FILE} (next to the package): no such file",
        "ctypes.util.find_library('v2im')",
        f"{Path(sys.prefix) / 'lib'}",
        "no source checkout",
    ):
        assert place in tried, f"{place!r} not in:\n{tried}"
    if sys.platform.startswith("linux"):
        assert f"{tmp_path / 'empty' / SONAME} (LD_LIBRARY_PATH entry): no such file" in tried
        assert "/usr/local/lib/" + SONAME in tried
        assert "pkg-config" in tried
    assert r["error"].endswith(tried.replace("\n", "\n  ")), r["error"]


def test_source_checkout_build(tmp_path: Path) -> None:
    """Run from the checkout (as the suite does) without V2IM_LIBRARY: target/ is found."""
    built = [REPO / "target" / profile / _lib.LIBRARY_FILE for profile in ("debug", "release")]
    if not any(p.is_file() for p in built):
        pytest.skip("no build in this checkout's target/")
    r = probe(PKG_SRC, tmp_path)
    assert r.get("path") is not None, r


def test_versions_in_step() -> None:
    """The package's version is the library's (Cargo.toml), and ABI its SONAME's."""
    cargo = (REPO / "Cargo.toml").read_text("utf-8")
    package = cargo.split("\n[package]\n", 1)[1].split("\n[", 1)[0]
    m = re.search(r'^version\s*=\s*"([^"]+)"', package, re.M)
    assert m, package
    version = m.group(1)
    pyproject = (PKG_SRC.parent / "pyproject.toml").read_text("utf-8")
    assert f'\nversion = "{version}"\n' in pyproject
    assert v2im.__version__ == version
    assert _lib.ABI == ".".join(version.split(".")[:2])
