"""The package version (written into ``_version.py`` by the build from package.json)."""

from __future__ import annotations

try:
    from ._version import __version__
except ImportError:  # pragma: no cover - only in a source tree that was never built
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
