"""References to model versions: ``NAME``, ``NAME@ALIAS``, ``NAME/VERSION``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import InvalidArgumentError
from ..store.lifecycle import check_alias, check_model_name

__all__ = ["ModelRef", "parse_ref"]

_VERSION_RE = re.compile(r"[1-9][0-9]{0,8}")


@dataclass(frozen=True)
class ModelRef:
    """A parsed model reference.

    Attributes:
        name: The model's name.
        alias: ``champion`` in ``churn@champion`` (None otherwise).
        version: ``3`` in ``churn/3`` (None otherwise). With neither, the latest version.
    """

    name: str
    alias: str | None = None
    version: int | None = None

    def __str__(self) -> str:
        if self.alias is not None:
            return f"{self.name}@{self.alias}"
        if self.version is not None:
            return f"{self.name}/{self.version}"
        return self.name


def parse_ref(text: object, *, bare: bool = True) -> ModelRef:
    """Parse ``NAME``, ``NAME@ALIAS`` or ``NAME/VERSION`` (``NAME:VERSION`` is accepted too).

    Args:
        text: The reference.
        bare: Whether a bare ``NAME`` (the latest version) is allowed.

    Raises:
        InvalidArgumentError: If it is none of these.
    """
    if not isinstance(text, str) or not text:
        raise InvalidArgumentError("a model reference is NAME, NAME@ALIAS or NAME/VERSION")
    if "@" in text:
        name, _, alias = text.rpartition("@")
        return ModelRef(check_model_name(name), alias=check_alias(alias))
    for separator in ("/", ":"):
        if separator in text:
            name, _, number = text.rpartition(separator)
            if not _VERSION_RE.fullmatch(number):
                raise InvalidArgumentError(
                    f"invalid version {number!r:.40} in {text!r:.80}: a positive number"
                )
            return ModelRef(check_model_name(name), version=int(number))
    if not bare:
        raise InvalidArgumentError(
            f"{text!r:.80} names no version: give NAME@ALIAS or NAME/VERSION"
        )
    return ModelRef(check_model_name(text))
