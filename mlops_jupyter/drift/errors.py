"""The errors of drift checking: branches of the one root in :mod:`mlops_jupyter.errors`."""

from __future__ import annotations

from ..errors import InvalidArgumentError, MlopsError

__all__ = ["InvalidProfileError", "MissingDependencyError"]


class MissingDependencyError(MlopsError):
    """An optional package the operation needs is not installed (pandas, pyarrow, scipy).

    The message says which package and how to install it.
    """

    code = 501


class InvalidProfileError(InvalidArgumentError):
    """A profile (JSON) is malformed or of an unknown format version (400)."""
