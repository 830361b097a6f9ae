"""The errors of drift checking: branches of the one root in :mod:`mlops_jupyter.errors`."""

from __future__ import annotations

import importlib
from types import ModuleType

from ..errors import InvalidArgumentError, MlopsError

__all__ = ["InvalidProfileError", "MissingDependencyError", "require"]


class MissingDependencyError(MlopsError):
    """An optional package the operation needs is not installed (pandas, pyarrow, scipy).

    The message says which package and how to install it.
    """

    code = 501


class InvalidProfileError(InvalidArgumentError):
    """A profile (JSON) is malformed or of an unknown format version (400)."""


def require(module: str, needed_for: str, *, package: str | None = None) -> ModuleType:
    """Import an optional module, or say what needs it and how to install it.

    Args:
        module: The module (``"pandas"``, ``"scipy.stats"``).
        needed_for: What needs it, to start the message (``"profiling data"``).
        package: The distribution to install, when not the module's top-level name.

    Returns:
        The module.

    Raises:
        MissingDependencyError: If it is not installed.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        name = package or module.split(".")[0]
        raise MissingDependencyError(
            f"{needed_for} needs {name}, which is not installed: pip install {name}"
        ) from exc
