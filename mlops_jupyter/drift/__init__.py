"""Data drift: profile a frame once, then check new batches against the stored profile.

>>> reference = profile_frame(train, name="train")      # doctest: +SKIP
>>> check_drift(batch, reference).to_json()["verdict"]  # doctest: +SKIP
'ok'

numpy only (pandas to read frames, scipy only for optional p-values). Importing this package
imports neither pandas, scipy nor numpy: the names below load their modules on first use.

- :mod:`.profile`: :class:`Profile`, :func:`profile_frame`, :func:`profile_file`;
- :mod:`.statistics`: the distances, PSI and noise floors (numpy only);
- :mod:`.check`: :func:`check_drift` -> :class:`DriftReport`;
- :mod:`.reference`: :func:`resolve_reference` (profile files; runs and models to come).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .check import ColumnDrift, DriftReport, Thresholds, check_drift
    from .errors import InvalidProfileError, MissingDependencyError
    from .profile import ColumnKind, ColumnProfile, Profile, profile_file, profile_frame
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
    "check_drift",
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
    "profile_file": "profile",
    "profile_frame": "profile",
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
