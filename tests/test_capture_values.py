"""Tests for mlops_jupyter.capture.values (JSON conversion of params and metrics)."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import math
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from mlops_jupyter.capture.values import to_json_value, to_metric_value


class Color(enum.Enum):
    RED = "red"
    BLUE = 2


class Level(enum.IntEnum):
    HIGH = 3


class FakeScalar:
    """A NumPy-like scalar: ``item()`` and ``dtype``, no dimensions."""

    shape = ()
    ndim = 0

    def __init__(self, value: Any, dtype: str = "int64") -> None:
        self._value = value
        self.dtype = dtype

    def item(self) -> Any:
        return self._value


class FakeArray:
    """A NumPy-like array of numbers."""

    dtype = "float64"

    def __init__(self, values: list[Any]) -> None:
        self._values = values
        self.shape = (len(values),)
        self.ndim = 1
        self.size = len(values)

    def item(self) -> Any:
        raise ValueError("only size-1 arrays")

    def tolist(self) -> list[Any]:
        return list(self._values)


@pytest.mark.parametrize("value", [None, True, False, 0, -5, 2**70, "text", "", 1.5, -0.0])
def test_plain_values_are_kept(value: Any) -> None:
    result = to_json_value(value)
    assert result == value
    assert type(result) is type(value)


def test_non_finite_floats_are_kept_as_floats() -> None:
    assert math.isnan(to_json_value(float("nan")))
    assert to_json_value(float("inf")) == float("inf")
    assert to_json_value([float("-inf")]) == [float("-inf")]


def test_duck_typed_numpy_scalars_and_arrays() -> None:
    assert to_json_value(FakeScalar(7)) == 7
    assert to_json_value(FakeScalar(True, "bool")) is True
    assert to_json_value(FakeArray([1.0, 2.5])) == [1.0, 2.5]
    assert to_json_value(FakeArray(list(range(100)))) == list(range(100))
    with pytest.raises(ValueError) as info:
        to_json_value(FakeArray(list(range(101))))
    assert str(info.value) == "array of 101 elements is not a parameter; log it as an artifact"


def test_real_numpy_values() -> None:
    np = pytest.importorskip("numpy")
    assert to_json_value(np.float32(0.5)) == 0.5
    assert type(to_json_value(np.int64(3))) is int
    assert to_json_value(np.bool_(True)) is True
    assert to_json_value(np.array(4)) == 4
    assert to_json_value(np.arange(6).reshape(2, 3)) == [[0, 1, 2], [3, 4, 5]]
    assert to_json_value(np.datetime64("2024-01-02T03:04:05")) == "2024-01-02T03:04:05"
    with pytest.raises(ValueError, match="array of 1000 elements"):
        to_json_value(np.zeros(1000))
    assert to_metric_value(np.float32(0.25)) == 0.25
    assert to_metric_value(np.array(3)) == 3.0
    with pytest.raises(ValueError):
        to_metric_value(np.zeros(2))


def test_dates_decimal_path_enum() -> None:
    assert to_json_value(dt.datetime(2024, 1, 2, 3, 4, 5)) == "2024-01-02T03:04:05"
    aware = dt.datetime(2024, 1, 2, tzinfo=dt.timezone.utc)
    assert to_json_value(aware) == "2024-01-02T00:00:00+00:00"
    assert to_json_value(dt.date(2024, 1, 2)) == "2024-01-02"
    assert to_json_value(dt.time(3, 4)) == "03:04:00"
    assert to_json_value(Decimal("1.10")) == "1.10"
    assert to_json_value(Path("/data/x.csv")) == "/data/x.csv"
    assert to_json_value(PurePosixPath("rel/y")) == "rel/y"
    assert to_json_value(Color.RED) == "red"
    assert to_json_value(Color.BLUE) == 2
    assert to_json_value(Level.HIGH) == 3


def test_containers_are_converted_recursively() -> None:
    value = {"a": (1, 2), "b": [dt.date(2020, 1, 1), {"c": Decimal("2")}], "d": frozenset()}
    assert to_json_value(value) == {"a": [1, 2], "b": ["2020-01-01", {"c": "2"}], "d": []}


def test_sets_are_sorted_by_repr() -> None:
    assert to_json_value({3, 1, 2}) == [1, 2, 3]
    # repr("a") is "'a'", and "'" sorts before "1"
    assert to_json_value({"b", "a", 10}) == ["a", "b", 10]
    assert to_json_value({"b", "a", 10}) == to_json_value({10, "a", "b"})


def test_dict_keys_are_converted_like_json_dumps() -> None:
    value = {0: 1.0, 7: 5.0, None: "n", True: "t", 1.5: "f"}
    assert to_json_value(value) == json.loads(json.dumps(value))
    with pytest.raises(ValueError, match="collide"):
        to_json_value({1: "a", "1": "b"})
    with pytest.raises(ValueError, match="not a string"):
        to_json_value({(1, 2): "tuple key"})


def test_long_strings_are_truncated_deterministically() -> None:
    text = "x" * 5000 + "é"
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    result = to_json_value(text)
    assert result == "x" * 4096 + f"…[truncated, 5001 chars, sha256 {digest}]"
    assert to_json_value(text) == result
    assert (
        to_json_value(text, max_str=10) == "x" * 10 + f"…[truncated, 5001 chars, sha256 {digest}]"
    )
    other = "x" * 4999 + "y" + "é"
    assert to_json_value(other) != result  # same prefix, different hash
    assert to_json_value("y" * 4096) == "y" * 4096
    assert to_json_value({"k": [text]}) == {"k": [result]}


@pytest.mark.parametrize(
    ("value", "type_name"),
    [(b"bytes", "bytes"), (object(), "object"), (1j, "complex"), (print, "builtin_function")],
)
def test_unsupported_values_raise(value: Any, type_name: str) -> None:
    with pytest.raises(ValueError, match=f"parameter value of type {type_name}.*not JSON"):
        to_json_value(value)


def test_cyclic_values_raise() -> None:
    cyclic: list[Any] = []
    cyclic.append(cyclic)
    with pytest.raises(ValueError, match="nested"):
        to_json_value(cyclic)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, 1.0), (0.5, 0.5), (True, 1.0), (False, 0.0), (FakeScalar(2.5, "float32"), 2.5)],
)
def test_metric_values(value: Any, expected: float) -> None:
    result = to_metric_value(value)
    assert result == expected
    assert type(result) is float


def test_metric_nan_is_kept() -> None:
    assert math.isnan(to_metric_value(float("nan")))


@pytest.mark.parametrize("value", ["0.5", None, [1.0], FakeArray([1.0]), 10**400, Decimal("1")])
def test_metric_rejects_non_numbers(value: Any) -> None:
    with pytest.raises(ValueError, match="metric value"):
        to_metric_value(value)
