"""Profiles: the compact summary of a data frame that drift checks compare batches against.

A profile holds the frame's digest (every row, every column, dtypes, shape), its schema and,
per column, what a drift check needs: counts and the missing share; for numbers min, max,
mean, std, 101 quantiles (every percentile) and the decile bins with their counts; for
categories the 50 most frequent with counts and the count of all others. Long frames also
carry calibration statistics: how far consecutive chunks of the frame score from the whole.

Why 101 quantiles: the Wasserstein distance is computed from them. Measured against the
exact distance on 1M vs 100k samples, a 101-level grid is within 0.002 standard deviations
for smooth shape changes (normal, exponential, bimodal) and 0.01-0.015 for heavy tails
(lognormal, Pareto), where 51 levels double those errors and 21 reach 0.03 (a third of the
0.1 threshold); a pure shift is exact at any grid. It also holds the deciles (PSI's bins)
exactly and costs under 1 KB per column in JSON.

A profile is at most 100 KB as JSON, whatever the frame: wide frames get a coarser grid
(51, 21, 11 levels), fewer named categories and shorter labels, and as a last resort
columns without detail; the profile says what it kept.

This module holds the profile's types and rules and imports only the standard library;
making a profile from a frame or a file is :mod:`.profiling`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ..errors import InvalidArgumentError, NotFoundError
from ..models import json_safe
from .errors import InvalidProfileError, require

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "BIN_MIN_SHARE",
    "FORMAT",
    "GRID",
    "LABEL_CHARS",
    "MAX_PROFILE_BYTES",
    "TOP_K",
    "CategorySummary",
    "ChunkScores",
    "ColumnKind",
    "ColumnProfile",
    "NumericSummary",
    "Profile",
    "clip_label",
    "require_pandas",
    "round_to",
]

#: The format written in every profile's ``format`` key.
FORMAT = "mlops-jupyter/profile@1"
#: Quantile levels of a profile: 0, 0.01, ..., 1 (see the module's header for why).
GRID = 101
#: Categories named per column; the rest are counted together as OTHER.
TOP_K = 50
#: Category labels are clipped to this many characters (a batch's the same way).
LABEL_CHARS = 200
#: The largest profile, in bytes of JSON.
MAX_PROFILE_BYTES = 100_000
#: A decile bin holding less than this share of the reference is merged into a neighbour.
BIN_MIN_SHARE = 0.05
#: A column with more distinct values than this share of its values (and more than top_k)
#: is text or identifiers: profiled, not compared.
HIGH_CARDINALITY_SHARE = 0.5
#: Such a column names only its few most frequent values (for display).
HIGH_CARDINALITY_TOP = 5
#: Coarser and coarser detail (grid levels, named categories, label length), tried in order
#: until the profile fits in MAX_PROFILE_BYTES; then columns lose their detail.
_DETAIL_LEVELS = ((GRID, TOP_K, LABEL_CHARS), (51, 20, 100), (21, 10, 50), (11, 5, 20))
#: Frames at least this large (rows x columns) are profiled by several threads.
PARALLEL_CELLS = 1_000_000


class ColumnKind(str, Enum):
    """How a column is profiled and compared."""

    NUMERIC = "numeric"
    CATEGORICAL = "categorical"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    OTHER = "other"


def round_to(value: float, decimals: int) -> float:
    """``round(value, decimals)`` as a float (the rounding every stored number goes through)."""
    return float(round(value, decimals))


def clip_label(value: Any, chars: int) -> str:
    """The text of a category as stored: ``str(value)``, clipped to ``chars`` characters."""
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= chars else text[: chars - 1] + "\u2026"


@dataclass(frozen=True)
class NumericSummary:
    """What a profile keeps of a numeric column's values.

    Attributes:
        min: The smallest value.
        max: The largest value.
        mean: The mean.
        std: The standard deviation (population).
        decimals: The decimal places every number here was rounded to (a batch is rounded
            the same way, so that equal data gives equal numbers).
        quantiles: The quantiles at evenly spaced levels from 0 to 1 (empty when the frame
            was too wide to keep them).
        bin_edges: The inner edges of the decile bins ``(-inf, e1), [e1, e2), ..., [ek,
            inf)``; bins under 5 % of the values (ties) are merged into a neighbour.
        bin_counts: The values in each bin.
    """

    min: float
    max: float
    mean: float
    std: float
    decimals: int
    quantiles: tuple[float, ...]
    bin_edges: tuple[float, ...]
    bin_counts: tuple[int, ...]

    @property
    def scale(self) -> float:
        """What distances are divided by: the std (1 for a constant column, whose chunks
        cannot differ; a check divides by the batch's std then, see check_drift)."""
        return self.std if self.std > 0 else 1.0


@dataclass(frozen=True)
class CategorySummary:
    """What a profile keeps of a categorical (or boolean) column's values.

    Attributes:
        top: The most frequent categories (their text, clipped) and their counts, most
            frequent first.
        other: The count of every other value.
        distinct: The number of distinct values.
        label_chars: The length labels were clipped to.
        high_cardinality: More distinct values than half the values (and than the named
            categories): text or identifiers, which are profiled but not compared.
    """

    top: dict[str, int]
    other: int
    distinct: int
    label_chars: int
    high_cardinality: bool = False


@dataclass(frozen=True)
class ChunkScores:
    """How far consecutive chunks of a reference column score from the whole column.

    A check raises the column's threshold to ``mean + 3 std`` of these scores when that is
    higher: a reference whose own chunks differ that much varies by nature.

    Attributes:
        n: The number of chunks (10 to 20).
        rows: The values per chunk (500 to 10,000).
        mean: The mean of the chunks' scores.
        std: Their standard deviation.
    """

    n: int
    rows: int
    mean: float
    std: float


@dataclass(frozen=True)
class ColumnProfile:
    """The profile of one column.

    Attributes:
        kind: How the column is profiled and compared.
        dtype: The pandas dtype, as text.
        count: The values present.
        nulls: The share of rows missing (or, in numeric columns, not finite).
        numeric: The summary of a numeric column.
        categories: The summary of a categorical or boolean column.
        time_range: The first and last time of a datetime column (ISO 8601).
        chunks: Calibration scores, when the frame had at least 10 chunks of 500 values.
    """

    kind: ColumnKind
    dtype: str
    count: int
    nulls: float
    numeric: NumericSummary | None = None
    categories: CategorySummary | None = None
    time_range: tuple[str, str] | None = None
    chunks: ChunkScores | None = None

    def to_json(self) -> dict[str, Any]:
        """The column as a JSON object (without its dtype, which the profile's schema has)."""
        data: dict[str, Any] = {"kind": self.kind.value, "count": self.count, "nulls": self.nulls}
        if self.numeric is not None:
            n = self.numeric
            data.update(min=n.min, max=n.max, mean=n.mean, std=n.std, decimals=n.decimals)
            if n.quantiles:
                data["quantiles"] = list(n.quantiles)
                data["bins"] = {"edges": list(n.bin_edges), "counts": list(n.bin_counts)}
        if self.categories is not None:
            c = self.categories
            data.update(distinct=c.distinct, top=c.top, other=c.other, label_chars=c.label_chars)
            if c.high_cardinality:
                data["high_cardinality"] = True
        if self.time_range is not None:
            data["time_range"] = list(self.time_range)
        if self.chunks is not None:
            ch = self.chunks
            data["chunks"] = {"n": ch.n, "rows": ch.rows, "mean": ch.mean, "std": ch.std}
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any], dtype: str) -> ColumnProfile:
        """A column profile from :meth:`to_json` and the dtype the schema gives it."""
        numeric = categories = chunks = None
        if "mean" in data:
            bins = data.get("bins", {"edges": [], "counts": []})
            numeric = NumericSummary(
                min=float(data["min"]),
                max=float(data["max"]),
                mean=float(data["mean"]),
                std=float(data["std"]),
                decimals=int(data["decimals"]),
                quantiles=tuple(float(q) for q in data.get("quantiles", ())),
                bin_edges=tuple(float(e) for e in bins["edges"]),
                bin_counts=tuple(int(c) for c in bins["counts"]),
            )
        if "top" in data:
            top = sorted(((str(k), int(v)) for k, v in data["top"].items()), key=lambda kv: -kv[1])
            categories = CategorySummary(
                top=dict(top),
                other=int(data["other"]),
                distinct=int(data["distinct"]),
                label_chars=int(data["label_chars"]),
                high_cardinality=bool(data.get("high_cardinality", False)),
            )
        if "chunks" in data:
            ch = data["chunks"]
            chunks = ChunkScores(int(ch["n"]), int(ch["rows"]), float(ch["mean"]), float(ch["std"]))
        time_range = data.get("time_range")
        return cls(
            kind=ColumnKind(data["kind"]),
            dtype=dtype,
            count=int(data["count"]),
            nulls=float(data["nulls"]),
            numeric=numeric,
            categories=categories,
            time_range=(str(time_range[0]), str(time_range[1])) if time_range else None,
            chunks=chunks,
        )


@dataclass(frozen=True)
class Profile:
    """The profile of a data frame: what drift checks compare a batch against.

    Attributes:
        rows: The frame's rows.
        digest: ``"sha256:..."`` over every row, every column, the dtypes and the shape.
        columns: Each column's profile, by name, in the frame's order.
        name: A name for the data (e.g. ``"train"``).
        grid: The number of quantile levels of its numeric columns (101 unless the frame was
            too wide for that in 100 KB).
        omitted_columns: Columns left out entirely to stay within 100 KB (thousands of
            columns); a check cannot tell whether a batch's extra columns are new.
        pandas_version: The pandas that computed the digest.
    """

    rows: int
    digest: str
    columns: dict[str, ColumnProfile]
    name: str | None = None
    grid: int = GRID
    omitted_columns: int = 0
    pandas_version: str | None = None

    @property
    def schema(self) -> dict[str, str]:
        """Column name -> pandas dtype (text), in the frame's order."""
        return {name: column.dtype for name, column in self.columns.items()}

    def to_json(self) -> dict[str, Any]:
        """The profile as a JSON object (see :meth:`from_json`)."""
        data: dict[str, Any] = {
            "format": FORMAT,
            "name": self.name,
            "rows": self.rows,
            "digest": self.digest,
            "schema": self.schema,
            "grid": self.grid,
            "columns": {name: column.to_json() for name, column in self.columns.items()},
        }
        if self.omitted_columns:
            data["omitted_columns"] = self.omitted_columns
        if self.pandas_version:
            data["pandas"] = self.pandas_version
        result: dict[str, Any] = json_safe(data)
        return result

    def dumps(self) -> str:
        """The profile as JSON text (at most 100 KB for a profile made by profile_frame)."""
        return json.dumps(self.to_json(), allow_nan=False, ensure_ascii=False)

    @classmethod
    def from_json(cls, data: Any) -> Profile:
        """A profile from :meth:`to_json`'s object.

        Raises:
            InvalidProfileError: If ``data`` is not a profile of a known format.
        """
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            found = data.get("format") if isinstance(data, Mapping) else type(data).__name__
            raise InvalidProfileError(f"not a profile of format {FORMAT} (found {found!r})")
        try:
            schema = data["schema"]
            columns = {
                str(name): ColumnProfile.from_json(column, str(schema[name]))
                for name, column in data["columns"].items()
            }
            return cls(
                rows=int(data["rows"]),
                digest=str(data["digest"]),
                columns=columns,
                name=data.get("name"),
                grid=int(data["grid"]),
                omitted_columns=int(data.get("omitted_columns", 0)),
                pandas_version=data.get("pandas"),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InvalidProfileError(f"malformed profile: {type(exc).__name__}: {exc}") from exc

    @classmethod
    def loads(cls, text: str) -> Profile:
        """A profile from JSON text.

        Raises:
            InvalidProfileError: If the text is not JSON or not a profile.
        """
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise InvalidProfileError(f"a profile must be JSON: {exc}") from exc
        return cls.from_json(data)


def require_pandas() -> Any:
    """Import pandas, or say that profiling needs it.

    Raises:
        MissingDependencyError: If pandas is not installed.
    """
    return require("pandas", "profiling data")


# -- profiling ----------------------------------------------------------------------------

_T = TypeVar("_T")
_R = TypeVar("_R")


def map_columns(function: Callable[[_T], _R], items: Iterable[_T], *, parallel: bool) -> list[_R]:
    """``[function(item) for item in items]``, on a few threads when ``parallel``.

    numpy's sorts and hashing release the GIL, so a 2-core machine profiles a large frame
    in about 60 % of the time.
    """
    items = list(items)
    if not parallel or len(items) < 2:
        return [function(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor

    workers = min(len(items), max(2, os.cpu_count() or 1), 8)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mlops-profile") as pool:
        return list(pool.map(function, items))


# -- the size limit -----------------------------------------------------------------------


def _coarser(column: ColumnProfile, grid: int, top_k: int, label_chars: int) -> ColumnProfile:
    numeric, categories = column.numeric, column.categories
    if numeric is not None and len(numeric.quantiles) > grid:
        step = (len(numeric.quantiles) - 1) // (grid - 1)
        numeric = replace(numeric, quantiles=numeric.quantiles[::step])
    if categories is not None and (
        len(categories.top) > top_k or categories.label_chars > label_chars
    ):
        top: dict[str, int] = {}
        for label, count in list(categories.top.items())[:top_k]:
            clipped = (
                clip_label(label, label_chars) if label_chars < categories.label_chars else label
            )
            top[clipped] = top.get(clipped, 0) + count
        other = categories.other + sum(categories.top.values()) - sum(top.values())
        categories = replace(
            categories, top=top, other=other, label_chars=min(label_chars, categories.label_chars)
        )
    return replace(column, numeric=numeric, categories=categories)


def _bare(column: ColumnProfile) -> ColumnProfile:
    numeric, categories = column.numeric, column.categories
    if numeric is not None:
        numeric = replace(numeric, quantiles=(), bin_edges=(), bin_counts=())
    if categories is not None:
        other = categories.other + sum(categories.top.values())
        categories = replace(categories, top={}, other=other)
    return replace(column, numeric=numeric, categories=categories, chunks=None)


def _size(data: Any) -> int:
    return len(json.dumps(data, allow_nan=False, ensure_ascii=False).encode())


def fit_to_size(profile: Profile, max_bytes: int = MAX_PROFILE_BYTES) -> Profile:
    """The profile with as much detail as fits in ``max_bytes`` of JSON.

    Tries 101/51/21/11 quantile levels with 50/20/10/5 named categories and labels of
    200/100/50/20 characters, then columns without quantiles or categories (not compared),
    then leaves columns out from the end (``omitted_columns``).

    Args:
        profile: A profile at full detail.
        max_bytes: The limit.

    Returns:
        A profile whose :meth:`Profile.dumps` is at most ``max_bytes`` long.

    Raises:
        InvalidArgumentError: If even the profile's fixed part does not fit.
    """
    if _size(profile.to_json()) <= max_bytes:
        return profile
    for grid, top_k, label_chars in _DETAIL_LEVELS[1:]:
        columns = {
            name: _coarser(column, grid, top_k, label_chars)
            for name, column in profile.columns.items()
        }
        grid_used = min(grid, profile.grid)
        candidate = replace(profile, columns=columns, grid=grid_used)
        if _size(candidate.to_json()) <= max_bytes:
            return candidate
    bare = {name: _bare(column) for name, column in candidate.columns.items()}
    candidate = replace(candidate, columns=bare)
    if _size(candidate.to_json()) <= max_bytes:
        return candidate
    # Thousands of columns: keep those that fit, in order.
    kept: dict[str, ColumnProfile] = {}
    base = replace(candidate, columns={}, omitted_columns=len(bare))
    used = _size(base.to_json())
    if used > max_bytes:
        raise InvalidArgumentError(f"a profile cannot fit in {max_bytes} bytes")
    for name, column in bare.items():
        # The column's entry in "columns" and in "schema", with separators.
        cost = _size(name) * 2 + _size(column.to_json()) + _size(column.dtype) + 8
        if used + cost > max_bytes:
            break
        kept[name] = column
        used += cost
    return replace(candidate, columns=kept, omitted_columns=len(bare) - len(kept))


# -- files --------------------------------------------------------------------------------


def read_frame(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a ``.csv`` or ``.parquet`` file into a DataFrame.

    Raises:
        NotFoundError: If the file does not exist.
        InvalidArgumentError: If its extension is neither, or it cannot be parsed.
        MissingDependencyError: If pandas (or, for parquet, pyarrow) is not installed.
    """
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise InvalidArgumentError(f"{file}: only .csv and .parquet files can be profiled")
    if not file.is_file():
        raise NotFoundError(f"{file}: no such file")
    pandas = require_pandas()
    if suffix == ".csv":
        try:
            frame = pandas.read_csv(file)
        except (ValueError, UnicodeDecodeError, pandas.errors.ParserError) as exc:
            raise InvalidArgumentError(f"{file}: not a readable CSV file: {exc}") from exc
        return cast("pd.DataFrame", frame)
    require("pyarrow", f"{file}: reading parquet")  # pandas reads parquet through it
    try:
        frame = pandas.read_parquet(file)
    except (OSError, ValueError) as exc:
        raise InvalidArgumentError(f"{file}: not a readable parquet file: {exc}") from exc
    return cast("pd.DataFrame", frame)
