"""Data drift: profile a frame once, then check new batches against the stored profile.

>>> reference = profile_frame(train, name="train")      # doctest: +SKIP
>>> check_drift(batch, reference).to_json()["verdict"]  # doctest: +SKIP
'ok'

numpy only (pandas to read frames, scipy only for optional p-values). Importing this package
imports neither pandas, scipy nor numpy: the names below load their modules on first use.

- :mod:`.profile`: :class:`Profile`, :func:`profile_frame`, :func:`profile_file`;
- :mod:`.statistics`: the distances, PSI and noise floors (numpy only);
- :mod:`.check`: :func:`check_drift` -> :class:`DriftReport`;
- :mod:`.reference`: :func:`resolve_reference` (profile files, runs, ``NAME@alias``);
- :mod:`.record`: :func:`check` (resolve, check, record as a lifecycle event),
  :func:`list_checks`, :func:`get_check`.

The package itself is callable: ``mlops_jupyter.drift(batch, against="churn@champion")`` is
:func:`check`.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .check import ColumnDrift, DriftReport, Thresholds, check_drift
    from .errors import InvalidProfileError, MissingDependencyError
    from .profile import ColumnKind, ColumnProfile, Profile
    from .profiling import profile_file, profile_frame
    from .record import check, get_check, list_checks
    from .reference import register_resolver, resolve_reference, write_profile

__all__ = [
    "ColumnDrift",
    "ColumnKind",
    "ColumnProfile",
    "DriftReport",
    "InvalidProfileError",
    "MissingDependencyError",
    "Profile",
    "Thresholds",
    "check",
    "check_drift",
    "get_check",
    "list_checks",
    "profile_file",
    "profile_frame",
    "register_resolver",
    "resolve_reference",
    "write_profile",
]

_HOMES = {
    "ColumnDrift": "check",
    "DriftReport": "check",
    "Thresholds": "check",
    "check_drift": "check",
    "InvalidProfileError": "errors",
    "MissingDependencyError": "errors",
    "ColumnKind": "profile",
    "ColumnProfile": "profile",
    "Profile": "profile",
    "profile_file": "profiling",
    "profile_frame": "profiling",
    "check": "record",
    "get_check": "record",
    "list_checks": "record",
    "register_resolver": "reference",
    "resolve_reference": "reference",
    "write_profile": "reference",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


class _CallablePackage(types.ModuleType):
    """``mlops_jupyter.drift(batch, against=REF)``: the package called is :func:`check`."""

    def __call__(self, batch: Any, against: Any, **options: Any) -> Any:
        from .record import check

        return check(batch, against, **options)


sys.modules[__name__].__class__ = _CallablePackage
