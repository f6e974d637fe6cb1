"""Only for wheels that bundle the shared library: metadata lives in pyproject.toml.

A plain build is pure Python (py3-none-any). When libv2im has been copied into src/v2im/ before
`pip wheel`, the wheel must say which platform it is for, so the distribution reports native
content and bdist_wheel tags it for this platform.
"""

from pathlib import Path

from setuptools import setup
from setuptools.dist import Distribution

_BUNDLED = ("libv2im.so", "libv2im.dylib", "v2im.dll")


class _MaybeBinaryDistribution(Distribution):
    def has_ext_modules(self) -> bool:  # type: ignore[override]
        pkg = Path(__file__).resolve().parent / "src" / "v2im"
        return any((pkg / name).is_file() for name in _BUNDLED)


setup(distclass=_MaybeBinaryDistribution)
