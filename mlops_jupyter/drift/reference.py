"""Where a drift check's reference comes from: ``resolve_reference("train.profile.json")``.

Today a reference is a profile JSON file. Run ids (the profiles their logged inputs
recorded) and ``NAME@alias`` (the training data of that model version's run) come with the
data-aware runs and the model registry: each is a resolver added to :data:`RESOLVERS` (see
:func:`register_resolver`), tried in order before the file fallback. A form that no
resolver takes is refused with a message saying what is supported.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InvalidArgumentError, NotFoundError
from .profile import Profile

if TYPE_CHECKING:
    from ..store.base import RunStore

__all__ = ["RESOLVERS", "Resolver", "register_resolver", "resolve_reference", "write_profile"]

#: A resolver returns the profile ``ref`` names, or None when ``ref`` is not its form.
Resolver = Callable[[str, "RunStore | None"], "Profile | None"]
#: The resolvers tried, in order, before ``ref`` is read as a profile file.
RESOLVERS: list[Resolver] = []

_MODEL_ALIAS = re.compile(r"^[^@/\s]+@[a-z][a-z0-9_-]*$")
_MODEL_VERSION = re.compile(r"^[^@/\s]+/\d+$")
_RUN_ID = re.compile(r"^[0-9a-f]{4,32}$")


def register_resolver(resolver: Resolver) -> Resolver:
    """Add a resolver for a new form of reference (usable as a decorator).

    Args:
        resolver: ``resolver(ref, store)`` returns a Profile, or None when ``ref`` is not
            its form; it raises :class:`~mlops_jupyter.errors.NotFoundError` when ``ref`` is
            its form but names nothing.

    Returns:
        The resolver.
    """
    RESOLVERS.append(resolver)
    return resolver


def _read_file(path: Path) -> Profile:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidArgumentError(f"{path}: cannot read the profile: {exc}") from exc
    return Profile.loads(text)


def resolve_reference(ref: str, store: RunStore | None = None) -> Profile:
    """The reference profile that ``ref`` names.

    Args:
        ref: A profile JSON file (``train.profile.json``, as ``drift profile --out``
            writes it); later also a run id or ``NAME@alias``.
        store: The run store, for resolvers that read it.

    Returns:
        The profile.

    Raises:
        NotFoundError: If ``ref`` looks like a file that does not exist.
        InvalidArgumentError: If ``ref`` is a form not supported yet (a model alias or
            version, a run id), or the file is not a profile.
    """
    for resolver in RESOLVERS:
        found = resolver(ref, store)
        if found is not None:
            return found
    path = Path(ref)
    if path.is_file():
        return _read_file(path)
    hint = "pass a profile JSON file (mlops-jupyter drift profile DATA --out FILE)"
    if _MODEL_ALIAS.match(ref) or _MODEL_VERSION.match(ref):
        raise InvalidArgumentError(
            f"{ref}: no such profile file, and model references (NAME@alias, NAME/version) "
            f"are not supported yet; {hint}"
        )
    if _RUN_ID.match(ref) and not path.suffix:
        raise InvalidArgumentError(
            f"{ref}: no such profile file, and run references are not supported yet; {hint}"
        )
    raise NotFoundError(f"{ref}: no such profile file")


def write_profile(profile: Profile, path: str | Path) -> None:
    """Write a profile as JSON to ``path`` (what :func:`resolve_reference` reads back)."""
    Path(path).write_text(profile.dumps(), encoding="utf-8")
