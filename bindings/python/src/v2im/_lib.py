"""Loading libv2im with ctypes and declaring its six functions.

The library is looked up the way a C program's is, after two places of the package's own. In
order:

1. ``V2IM_LIBRARY``: if set, the library at that path and nowhere else (an explicit setting is
   never silently replaced by a guess);
2. next to the package: ``v2im/libv2im.so``, which a wheel built by ``bindings/python/build_wheel``
   bundles;
3. the system's search path: each directory of ``LD_LIBRARY_PATH``, then what
   ``ctypes.util.find_library("v2im")`` finds (the ``ldconfig`` cache, the compiler's and the
   linker's directories);
4. an install prefix's ``lib/``: the ``libdir`` of pkg-config's ``v2im.pc`` (when ``pkg-config``
   finds it, e.g. through ``PKG_CONFIG_PATH``), then ``lib/`` of Python's prefix (a venv) and of
   ``/usr/local`` (cmake's default prefix);
5. in a source checkout: ``target/debug`` and ``target/release`` (or ``$CARGO_TARGET_DIR``) of the
   first parent directory of this file that has a ``Cargo.toml``; the most recently built wins.

In each directory the name ``cmake --install`` gives the library, its SONAME ``libv2im.so.0.1``
(for this package's ABI), comes before the development link ``libv2im.so``. A file that exists
but cannot be loaded (another architecture, a broken copy) is passed over like a C program's
loader does, and named in the error. :class:`LibraryNotFoundError` lists every place looked at.

It is loaded with :class:`ctypes.CDLL`, never ``PyDLL``: ``CDLL`` releases the GIL during each
call, which ``v2im_client_free`` needs (it waits for the callback thread, which may be waiting
for the GIL to run a Python callback).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Iterator, List, NamedTuple, Optional, Tuple

__all__ = [
    "ABI",
    "LibraryNotFoundError",
    "RESULT_CALLBACK",
    "EVENT_CALLBACK",
    "FREE_FN",
    "candidate_paths",
    "find_library",
    "lib",
]

#: ``<major>.<minor>`` of the library this package speaks: the ABI in its SONAME (a minor release
#: may change the ABI while the version is 0.x). A test holds it against Cargo.toml's version.
ABI = "0.1"

if sys.platform == "darwin":
    LIBRARY_FILE = "libv2im.dylib"
    _NAMES: Tuple[str, ...] = (LIBRARY_FILE,)
    _SEARCH_PATH_VAR = "DYLD_LIBRARY_PATH"
elif sys.platform == "win32":
    LIBRARY_FILE = "v2im.dll"
    _NAMES = (LIBRARY_FILE,)
    _SEARCH_PATH_VAR = "PATH"
else:
    LIBRARY_FILE = "libv2im.so"
    _NAMES = (f"libv2im.so.{ABI}", LIBRARY_FILE)
    _SEARCH_PATH_VAR = "LD_LIBRARY_PATH"

ENV_VAR = "V2IM_LIBRARY"
#: cmake's default install prefix.
_DEFAULT_PREFIX = Path("/usr/local")

# typedef void (*v2im_callback)(void *user_data, int32_t code, const char *result_json);
RESULT_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int32, ctypes.c_char_p)
# typedef void (*v2im_event_callback)(void *user_data, const char *event_json);
EVENT_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p)
# typedef void (*v2im_free_fn)(void *user_data);
FREE_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


class LibraryNotFoundError(OSError):
    """libv2im could not be found or loaded. The message lists every place that was looked at,
    in order, and what was found there; ``tried`` has the same lines."""

    def __init__(self, message: str, tried: Optional[List[str]] = None) -> None:
        super().__init__(message)
        self.tried: List[str] = list(tried or [])


class _Place(NamedTuple):
    """One place of the search: why it is looked at, and the files tried there, in order; with
    ``system``, the turn of ``ctypes.util.find_library``; with neither, why a place could not
    be asked."""

    why: str
    files: List[Path]
    system: bool = False


def _here() -> Path:
    return Path(__file__).resolve().parent


def _in_dir(directory: Path) -> List[Path]:
    return [directory / name for name in _NAMES]


def _pkg_config_libdir() -> Tuple[Optional[Path], str]:
    """``libdir`` of v2im.pc, and what happened (for the error)."""
    exe = shutil.which("pkg-config")
    if exe is None:
        return None, "pkg-config is not installed"
    try:
        out = subprocess.run(
            [exe, "--variable=libdir", "v2im"],
            capture_output=True, text=True, timeout=10, check=False,
        )
    except (OSError, subprocess.SubprocessError) as e:
        return None, f"pkg-config failed: {e}"
    libdir = out.stdout.strip()
    if out.returncode != 0 or not libdir:
        where = os.environ.get("PKG_CONFIG_PATH")
        return None, "pkg-config finds no v2im.pc" + (
            f" (PKG_CONFIG_PATH={where})" if where else " (PKG_CONFIG_PATH is not set)"
        )
    resolved = Path(libdir).resolve()  # v2im.pc's libdir is relative to its own place
    return resolved, f"pkg-config's libdir of v2im.pc, {resolved}"


def _checkout_targets() -> List[Path]:
    targets: List[Path] = []
    if os.environ.get("CARGO_TARGET_DIR"):
        targets.append(Path(os.environ["CARGO_TARGET_DIR"]))
    for parent in _here().parents:
        if (parent / "Cargo.toml").is_file():
            targets.append(parent / "target")
            break
    return targets


def _places() -> Iterator[_Place]:
    """Steps 2 to 5, lazily (pkg-config runs only when its turn comes)."""
    yield _Place("next to the package", [_here() / LIBRARY_FILE])
    dirs = [d for d in os.environ.get(_SEARCH_PATH_VAR, "").split(os.pathsep) if d]
    if not dirs:
        yield _Place(f"{_SEARCH_PATH_VAR}: not set", [])
    for d in dirs:
        yield _Place(f"{_SEARCH_PATH_VAR} entry", _in_dir(Path(d)))
    yield _Place("ctypes.util.find_library", [], system=True)
    libdir, note = _pkg_config_libdir()
    yield _Place(note, [] if libdir is None else _in_dir(libdir))
    yield _Place("Python's prefix", _in_dir(Path(sys.prefix) / "lib"))
    if Path(sys.prefix) != _DEFAULT_PREFIX:
        yield _Place("cmake's default prefix", _in_dir(_DEFAULT_PREFIX / "lib"))
    built: List[Path] = []
    for t in _checkout_targets():
        built += [t / "debug" / LIBRARY_FILE, t / "release" / LIBRARY_FILE]
    if not built:
        yield _Place("no source checkout: no Cargo.toml above the package", [])
        return
    existing = sorted((p for p in built if p.is_file()), key=lambda p: -p.stat().st_mtime)
    yield _Place("source checkout, newest build first",
                 existing + [p for p in built if p not in existing])


def candidate_paths() -> List[Path]:
    """Every file :func:`find_library` considers, in order (existing or not); besides these it
    asks ``ctypes.util.find_library`` after the ``LD_LIBRARY_PATH`` entries."""
    env = os.environ.get(ENV_VAR)
    if env:
        return [Path(env)]
    return [f for place in _places() for f in place.files]


def _system_name() -> Tuple[Optional[str], str]:
    """What ``ctypes.util.find_library("v2im")`` found, if it is this package's ABI."""
    name = ctypes.util.find_library("v2im")
    if not name:
        return None, "ctypes.util.find_library('v2im') (the ldconfig cache, the linker's paths): nothing"
    if os.path.basename(name) not in _NAMES:
        return None, (
            f"ctypes.util.find_library('v2im') found {name}, not {_NAMES[0]} (another ABI): passed over"
        )
    return name, f"ctypes.util.find_library('v2im') found {name}"


class _DlInfo(ctypes.Structure):
    _fields_ = [
        ("dli_fname", ctypes.c_char_p),
        ("dli_fbase", ctypes.c_void_p),
        ("dli_sname", ctypes.c_char_p),
        ("dli_saddr", ctypes.c_void_p),
    ]


def _file_of(cdll: ctypes.CDLL) -> Optional[Path]:
    """The file a library loaded by name came from (``dladdr`` of one of its functions)."""
    try:
        dladdr = ctypes.CDLL(None).dladdr
    except (OSError, AttributeError, TypeError):
        return None
    dladdr.argtypes = [ctypes.c_void_p, ctypes.POINTER(_DlInfo)]
    dladdr.restype = ctypes.c_int
    info = _DlInfo()
    addr = ctypes.cast(cdll.v2im_version, ctypes.c_void_p)
    if dladdr(addr, ctypes.byref(info)) == 0 or not info.dli_fname:
        return None
    return Path(os.fsdecode(info.dli_fname))


def _search(load: bool) -> Tuple[Optional[Path], Optional[ctypes.CDLL], List[str]]:
    """Walks the places in order. Without ``load``, the first existing file wins (only
    ``find_library``'s name is loaded, since only the loader can say where it is); with it, the
    first that loads. Returns the path, the loaded library (if loaded) and every place looked
    at with what was found there."""
    tried: List[str] = []
    env = os.environ.get(ENV_VAR)
    if env:
        path = Path(env)
        if not path.is_file():
            tried.append(f"{path} ({ENV_VAR}): no such file")
            return None, None, tried
        if not load:
            return path, None, tried
        try:
            return path, ctypes.CDLL(str(path)), tried
        except OSError as e:
            tried.append(f"{path} ({ENV_VAR}): cannot be loaded: {e}")
            return None, None, tried
    tried.append(f"{ENV_VAR}: not set")
    for place in _places():
        if place.system:
            name, what = _system_name()
            if name is None:
                tried.append(what)
                continue
            try:
                cdll = ctypes.CDLL(name)
            except OSError as e:
                tried.append(f"{what}, which cannot be loaded: {e}")
                continue
            return _file_of(cdll) or Path(name), cdll, tried
        if not place.files:
            tried.append(place.why)
        for f in place.files:
            if not f.is_file():
                tried.append(f"{f} ({place.why}): no such file")
                continue
            if not load:
                return f, None, tried
            try:
                return f, ctypes.CDLL(str(f)), tried
            except OSError as e:
                tried.append(f"{f} ({place.why}): cannot be loaded: {e}")
    return None, None, tried


def find_library() -> Optional[Path]:
    """The library file that would be loaded, or None if there is none."""
    if _lib is not None and _lib_path is not None:
        return _lib_path
    return _search(load=False)[0]


def _declare(cdll: ctypes.CDLL) -> ctypes.CDLL:
    c = ctypes
    cdll.v2im_version.argtypes = []
    cdll.v2im_version.restype = c.c_char_p
    cdll.v2im_error_str.argtypes = [c.c_int32]
    cdll.v2im_error_str.restype = c.c_char_p
    cdll.v2im_client_new.argtypes = [c.c_char_p, c.POINTER(c.c_void_p), RESULT_CALLBACK, c.c_void_p]
    cdll.v2im_client_new.restype = c.c_int32
    cdll.v2im_client_free.argtypes = [c.c_void_p]
    cdll.v2im_client_free.restype = None
    cdll.v2im_set_event_callback.argtypes = [c.c_void_p, EVENT_CALLBACK, c.c_void_p, FREE_FN]
    cdll.v2im_set_event_callback.restype = c.c_int32
    cdll.v2im_call.argtypes = [c.c_void_p, c.c_char_p, c.c_char_p, RESULT_CALLBACK, c.c_void_p]
    cdll.v2im_call.restype = c.c_int32
    return cdll


_lock = threading.Lock()
_lib: Optional[ctypes.CDLL] = None
_lib_path: Optional[Path] = None


def _hint(env_set: bool) -> str:
    """What the error says to do."""
    if env_set:
        return f"{ENV_VAR} names the one library to load; unset it to search"
    return (
        "install the wheel that bundles it (bindings/python/build_wheel), or install the "
        f"library (`cmake --install build --prefix P`, then P/lib on {_SEARCH_PATH_VAR}), or "
        f"set {ENV_VAR} to its path"
    )


def lib() -> ctypes.CDLL:
    """The loaded library (loaded on first use). Raises :class:`LibraryNotFoundError`."""
    global _lib, _lib_path
    if _lib is not None:
        return _lib
    with _lock:
        if _lib is None:
            path, loaded, tried = _search(load=True)
            if loaded is None or path is None:
                lines = "\n  ".join(tried)
                raise LibraryNotFoundError(
                    f"libv2im not found ({_hint(bool(os.environ.get(ENV_VAR)))}). "
                    f"Looked at, in order:\n  {lines}",
                    tried,
                )
            try:
                _lib = _declare(loaded)
            except AttributeError as e:
                raise LibraryNotFoundError(
                    f"{path} is not a compatible libv2im (missing symbol: {e})", tried
                ) from e
            _lib_path = path
    return _lib
