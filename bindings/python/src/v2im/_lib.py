"""Loading libv2im with ctypes and declaring its six functions.

The library is looked up, in order:

1. bundled in this package directory (``v2im/libv2im.so``; ``.dylib`` / ``.dll`` elsewhere);
2. the path in the ``V2IM_LIBRARY`` environment variable (it must exist if set);
3. in a source checkout: ``target/debug`` and ``target/release`` (or ``$CARGO_TARGET_DIR``) of
   the first parent directory of this file that has a ``Cargo.toml``; the most recently built
   of the two wins.

It is loaded with :class:`ctypes.CDLL`, never ``PyDLL``: ``CDLL`` releases the GIL during each
call, which ``v2im_client_free`` needs (it waits for the callback thread, which may be waiting
for the GIL to run a Python callback).
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
from pathlib import Path
from typing import List, Optional

__all__ = [
    "LibraryNotFoundError",
    "RESULT_CALLBACK",
    "EVENT_CALLBACK",
    "FREE_FN",
    "candidate_paths",
    "find_library",
    "lib",
]

if sys.platform == "darwin":
    LIBRARY_FILE = "libv2im.dylib"
elif sys.platform == "win32":
    LIBRARY_FILE = "v2im.dll"
else:
    LIBRARY_FILE = "libv2im.so"

ENV_VAR = "V2IM_LIBRARY"

# typedef void (*v2im_callback)(void *user_data, int32_t code, const char *result_json);
RESULT_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int32, ctypes.c_char_p)
# typedef void (*v2im_event_callback)(void *user_data, const char *event_json);
EVENT_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p)
# typedef void (*v2im_free_fn)(void *user_data);
FREE_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


class LibraryNotFoundError(OSError):
    """libv2im could not be found or loaded. The message lists every place that was tried."""


def candidate_paths() -> List[Path]:
    """Every path :func:`find_library` considers, in order (existing or not)."""
    here = Path(__file__).resolve().parent
    out: List[Path] = [here / LIBRARY_FILE]
    env = os.environ.get(ENV_VAR)
    if env:
        out.append(Path(env))
        return out  # an explicit setting is never silently replaced by a guess
    target_dirs: List[Path] = []
    if os.environ.get("CARGO_TARGET_DIR"):
        target_dirs.append(Path(os.environ["CARGO_TARGET_DIR"]))
    for parent in here.parents:
        if (parent / "Cargo.toml").is_file():
            target_dirs.append(parent / "target")
            break
    for t in target_dirs:
        out.append(t / "debug" / LIBRARY_FILE)
        out.append(t / "release" / LIBRARY_FILE)
    return out


def find_library() -> Optional[Path]:
    """The library file that would be loaded, or None if there is none."""
    here = Path(__file__).resolve().parent
    bundled = here / LIBRARY_FILE
    if bundled.is_file():
        return bundled
    env = os.environ.get(ENV_VAR)
    if env:
        # An explicit setting is never silently replaced by a guess.
        return Path(env) if Path(env).is_file() else None
    built = [p for p in candidate_paths()[1:] if p.is_file()]
    if not built:
        return None
    return max(built, key=lambda p: p.stat().st_mtime)


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


def lib() -> ctypes.CDLL:
    """The loaded library (loaded on first use). Raises :class:`LibraryNotFoundError`."""
    global _lib
    if _lib is not None:
        return _lib
    with _lock:
        if _lib is None:
            path = find_library()
            if path is None:
                tried = "\n  ".join(str(p) for p in candidate_paths())
                hint = (
                    f"{ENV_VAR} is set to {os.environ[ENV_VAR]!r}, which is not a file"
                    if os.environ.get(ENV_VAR)
                    else f"build it with `cargo build -p v2im` or set {ENV_VAR} to its path"
                )
                raise LibraryNotFoundError(
                    f"libv2im not found ({hint}). Looked for:\n  {tried}"
                )
            try:
                loaded = ctypes.CDLL(str(path))
            except OSError as e:
                raise LibraryNotFoundError(f"cannot load {path}: {e}") from e
            try:
                _lib = _declare(loaded)
            except AttributeError as e:
                raise LibraryNotFoundError(
                    f"{path} is not a compatible libv2im (missing symbol: {e})"
                ) from e
    return _lib
