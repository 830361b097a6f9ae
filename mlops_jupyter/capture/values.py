"""Deterministic conversion of parameter and metric values to what the run model stores.

NumPy, pandas and torch are never imported: their scalars and arrays are recognised by duck
typing (an ``item()`` method and a ``dtype``). The date/time, Decimal and path types are only
looked up when their module is already loaded, since no instance can exist otherwise.
"""

from __future__ import annotations

import enum
import sys
from typing import Any

__all__ = ["MAX_ARRAY_PARAM_ELEMENTS", "to_json_value", "to_metric_value"]

MAX_ARRAY_PARAM_ELEMENTS = 100

# Containers deeper than this are almost certainly cyclic or not meant as a parameter.
_MAX_DEPTH = 100


def to_json_value(value: Any, *, max_str: int = 4096) -> Any:
    """Convert a parameter value to a JSON-compatible value, deterministically.

    Conversions: None, bool, int and str are kept (int and str subclasses become plain int
    and str); floats are kept, non-finite ones included (the model layer encodes them); NumPy
    scalars and 0-d arrays via ``.item()``; arrays of at most 100 elements become (nested)
    lists; ``datetime``/``date``/``time`` become ISO 8601 strings; ``Decimal`` and paths
    become strings; enum members become their value; lists and tuples become lists; sets
    become lists sorted by the ``repr`` of their elements; dicts keep their str keys and get
    int, float, bool and None keys converted as :func:`json.dumps` does. Strings longer than
    ``max_str`` are cut to ``max_str`` characters followed by
    ``"…[truncated, <n> chars, sha256 <first 12 hex digits>]"``.

    Args:
        value: The value to convert.
        max_str: The longest string stored unchanged.

    Returns:
        A value made of dict, list, str, int, float, bool and None.

    Raises:
        ValueError: If the value (or a part of it) cannot be stored as a parameter: an
            array of more than 100 elements, bytes, an arbitrary object, a dict whose keys
            collide once converted, a cyclic or too deeply nested container.
    """
    return _convert(value, max_str, 0)


def to_metric_value(value: Any) -> float:
    """Convert a metric value to a float.

    Args:
        value: An int, float or bool, or a NumPy (or torch) scalar or 0-d array of one.

    Returns:
        The value as a float (NaN and infinities are kept).

    Raises:
        ValueError: If the value is not a real number.
    """
    kind = type(value)
    if kind is float:
        return value  # type: ignore[no-any-return]
    if isinstance(value, bool | int | float) and not isinstance(value, enum.Enum):
        try:
            return float(value)
        except OverflowError:
            raise ValueError(f"metric value {value} is too large for a float") from None
    if _is_array_like(value) and getattr(value, "ndim", None) == 0:
        try:
            item = value.item()
        except Exception as exc:  # a foreign .item() can raise anything
            raise ValueError(f"metric value of type {_type_name(value)}: {exc}") from exc
        if isinstance(item, bool | int | float):
            return to_metric_value(item)
    raise ValueError(
        f"metric value must be a real number (int, float, bool or a NumPy scalar), "
        f"got {_type_name(value)}"
    )


# --------------------------------------------------------------------------- internals


def _convert(value: Any, max_str: int, depth: int) -> Any:
    if depth > _MAX_DEPTH:
        raise ValueError(
            f"parameter value is nested more than {_MAX_DEPTH} levels deep (or is cyclic)"
        )
    if value is None or value is True or value is False:
        return value
    if isinstance(value, enum.Enum):
        return _convert(value.value, max_str, depth + 1)
    kind = type(value)
    if kind is str:
        return _truncate(value, max_str)
    if kind is int or kind is float:
        return value
    if isinstance(value, bool):  # bool subclasses cannot exist, but be exact anyway
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):  # includes numpy.float64, a float subclass
        return float(value)
    if isinstance(value, str):
        return _truncate(str(value), max_str)
    if isinstance(value, list | tuple):
        return [_convert(v, max_str, depth + 1) for v in value]
    if isinstance(value, set | frozenset):
        return [_convert(v, max_str, depth + 1) for v in sorted(value, key=repr)]
    if isinstance(value, dict):
        return _convert_dict(value, max_str, depth)
    if _is_array_like(value):
        return _convert_array(value, max_str, depth)
    text = _stdlib_text(value)
    if text is not None:
        return _truncate(text, max_str)
    raise ValueError(f"parameter value of type {_type_name(value)} is not JSON-serializable")


def _convert_dict(value: dict[Any, Any], max_str: int, depth: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, item in value.items():
        json_key = _json_key(key, max_str, depth)
        if json_key in out:
            raise ValueError(
                f"parameter dict has keys that collide once converted to strings: {json_key!r}"
            )
        out[json_key] = _convert(item, max_str, depth + 1)
    return out


def _json_key(key: Any, max_str: int, depth: int) -> str:
    converted = _convert(key, max_str, depth + 1)
    # Same spelling as json.dumps, so a dict keyed by class ids ({0: 1.0, 1: 5.0}) is stored
    # the way it would be serialized anyway.
    if isinstance(converted, str):
        return converted
    if converted is None:
        return "null"
    if converted is True:
        return "true"
    if converted is False:
        return "false"
    if isinstance(converted, int | float):
        return _float_key(converted) if isinstance(converted, float) else str(converted)
    raise ValueError(f"parameter dict key of type {_type_name(key)} is not a string")


def _float_key(value: float) -> str:
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(value)


def _is_array_like(value: Any) -> bool:
    return hasattr(value, "dtype") and callable(getattr(value, "item", None))


def _convert_array(value: Any, max_str: int, depth: int) -> Any:
    shape = getattr(value, "shape", ())
    if shape == () or getattr(value, "ndim", 0) == 0:
        return _convert(value.item(), max_str, depth + 1)
    size = getattr(value, "size", None)
    if not isinstance(size, int):  # torch: size is a method
        size = 1
        for dim in shape:
            size *= int(dim)
    if size > MAX_ARRAY_PARAM_ELEMENTS:
        raise ValueError(f"array of {size} elements is not a parameter; log it as an artifact")
    tolist = getattr(value, "tolist", None)
    if not callable(tolist):
        raise ValueError(f"parameter value of type {_type_name(value)} is not JSON-serializable")
    return _convert(tolist(), max_str, depth + 1)


def _stdlib_text(value: Any) -> str | None:
    """The string form of date/time, Decimal and path values; None for anything else."""
    datetime = sys.modules.get("datetime")
    if datetime is not None and isinstance(
        value, datetime.datetime | datetime.date | datetime.time
    ):
        return str(value.isoformat())
    decimal = sys.modules.get("decimal")
    if decimal is not None and isinstance(value, decimal.Decimal):
        return str(value)
    pathlib = sys.modules.get("pathlib")
    if pathlib is not None and isinstance(value, pathlib.PurePath):
        return str(value)
    return None


def _truncate(text: str, max_str: int) -> str:
    if len(text) <= max_str:
        return text
    import hashlib

    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{text[:max_str]}…[truncated, {len(text)} chars, sha256 {digest}]"


def _type_name(value: Any) -> str:
    kind = type(value)
    if kind.__module__ == "builtins":
        return kind.__qualname__
    return f"{kind.__module__}.{kind.__qualname__}"
