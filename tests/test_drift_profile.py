"""Profiles: what they hold per column, their digest, their JSON and its 100 KB limit,
files, and what happens without pandas or pyarrow."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlops_jupyter.drift import ColumnKind, MissingDependencyError, Profile, profile_frame
from mlops_jupyter.drift.errors import InvalidProfileError
from mlops_jupyter.drift.profile import MAX_PROFILE_BYTES
from mlops_jupyter.drift.profiling import profile_file
from mlops_jupyter.errors import InvalidArgumentError, NotFoundError


def mixed_frame(n: int = 20_000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(10, 2, n)
    x[:100] = np.nan
    return pd.DataFrame(
        {
            "x": x,
            "count": rng.poisson(3, n),
            "nullable": pd.array(
                np.where(rng.random(n) < 0.1, None, rng.integers(0, 9, n)), "Int64"
            ),
            "city": rng.choice(["paris", "rome", "oslo"], n, p=[0.5, 0.3, 0.2]),
            "flag": rng.random(n) < 0.25,
            "when": pd.date_range("2024-01-01", periods=n, freq="min"),
            "id": [f"id-{i}" for i in range(n)],
            "level": pd.Categorical(rng.choice(["low", "high"], n)),
        }
    )


def test_profile_per_column() -> None:
    frame = mixed_frame()
    profile = profile_frame(frame, name="train")
    assert profile.name == "train" and profile.rows == len(frame)
    assert list(profile.columns) == list(frame.columns)
    kinds = {name: column.kind for name, column in profile.columns.items()}
    assert kinds == {
        "x": ColumnKind.NUMERIC,
        "count": ColumnKind.NUMERIC,
        "nullable": ColumnKind.NUMERIC,
        "city": ColumnKind.CATEGORICAL,
        "flag": ColumnKind.BOOLEAN,
        "when": ColumnKind.DATETIME,
        "id": ColumnKind.CATEGORICAL,
        "level": ColumnKind.CATEGORICAL,
    }
    assert profile.schema["nullable"] == "Int64"
    x = profile.columns["x"]
    assert x.count == len(frame) - 100 and x.nulls == pytest.approx(100 / len(frame))
    assert x.numeric is not None
    values = frame["x"].dropna()
    assert x.numeric.mean == pytest.approx(values.mean(), abs=1e-3)
    assert x.numeric.std == pytest.approx(values.std(ddof=0), abs=1e-3)
    assert x.numeric.min == pytest.approx(values.min(), abs=1e-3)
    assert len(x.numeric.quantiles) == 101
    assert x.numeric.quantiles[50] == pytest.approx(values.median(), abs=1e-3)
    assert sum(x.numeric.bin_counts) == x.count and len(x.numeric.bin_counts) == 10
    assert all(abs(c / x.count - 0.1) < 0.01 for c in x.numeric.bin_counts)
    assert profile.columns["nullable"].nulls == pytest.approx(frame["nullable"].isna().mean())
    city = profile.columns["city"].categories
    assert city is not None
    assert list(city.top) == ["paris", "rome", "oslo"] and city.other == 0
    assert sum(city.top.values()) == len(frame)
    flag = profile.columns["flag"].categories
    assert flag is not None and flag.top["True"] == int(frame["flag"].sum())
    assert profile.columns["when"].time_range == (
        "2024-01-01T00:00:00",
        str(frame["when"].iloc[-1].isoformat()),
    )


def test_top_k_and_other() -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"c": rng.choice([f"c{i}" for i in range(80)], 50_000)})
    categories = profile_frame(frame, top_k=10).columns["c"].categories
    assert categories is not None
    assert len(categories.top) == 10 and categories.distinct == 80
    assert categories.other + sum(categories.top.values()) == 50_000
    assert min(categories.top.values()) >= max(
        frame["c"].value_counts().iloc[10:]
    )  # the 10 most frequent


def test_identifiers_are_high_cardinality_and_not_named_in_full() -> None:
    column = profile_frame(mixed_frame()).columns["id"]
    assert column.categories is not None and column.categories.high_cardinality
    assert len(column.categories.top) <= 5 and column.chunks is None


def test_tied_decile_edges_are_merged() -> None:
    # 70 % zeros: most decile edges coincide; no bin may hold under 5 % of the values.
    rng = np.random.default_rng(2)
    frame = pd.DataFrame(
        {"z": np.where(rng.random(10_000) < 0.7, 0.0, rng.exponential(size=10_000))}
    )
    numeric = profile_frame(frame).columns["z"].numeric
    assert numeric is not None
    assert len(numeric.bin_counts) == len(numeric.bin_edges) + 1 < 10
    assert min(numeric.bin_counts) >= 0.05 * 10_000
    assert sum(numeric.bin_counts) == 10_000


def test_chunk_scores_only_for_long_frames() -> None:
    long = profile_frame(mixed_frame(20_000)).columns["x"].chunks
    # 20 chunks over the 19,900 values present
    assert long is not None and long.n == 20 and long.rows == 995
    assert 0 < long.mean < 0.2 and long.std > 0
    assert profile_frame(mixed_frame(4000)).columns["x"].chunks is None  # 8 chunks of 500


def test_digest_covers_every_cell_dtype_order_and_index() -> None:
    frame = mixed_frame(2000)
    digest = profile_frame(frame).digest
    assert digest.startswith("sha256:") and len(digest) == 7 + 64
    assert profile_frame(frame.copy()).digest == digest
    changed = frame.copy()
    changed.loc[1234, "city"] = "rome" if changed.loc[1234, "city"] != "rome" else "paris"
    assert profile_frame(changed).digest != digest
    nudged = frame.copy()
    nudged.loc[1999, "x"] += 1e-9
    assert profile_frame(nudged).digest != digest
    assert profile_frame(frame.astype({"count": "int32"})).digest != digest
    assert profile_frame(frame[list(reversed(frame.columns))]).digest != digest
    assert profile_frame(frame.set_axis(range(1, 2001))).digest != digest
    assert profile_frame(frame.iloc[:-1]).digest != digest


def test_json_round_trip() -> None:
    profile = profile_frame(mixed_frame(), name="train")
    text = profile.dumps()
    data = json.loads(text)
    assert data["format"] == "mlops-jupyter/profile@1"
    assert {"name", "rows", "digest", "schema", "grid", "columns"} <= set(data)
    numeric = profile.columns["x"].numeric
    assert numeric is not None
    assert data["columns"]["x"]["bins"]["counts"] == list(numeric.bin_counts)
    assert len(data["columns"]["x"]["quantiles"]) == 101
    assert Profile.from_json(data) == profile
    assert Profile.loads(text) == profile


def test_malformed_profiles_are_refused() -> None:
    with pytest.raises(InvalidProfileError, match="format"):
        Profile.from_json({"format": "something-else"})
    data = profile_frame(mixed_frame(500)).to_json()
    del data["columns"]["x"]["count"]
    with pytest.raises(InvalidProfileError, match="malformed"):
        Profile.from_json(data)
    with pytest.raises(InvalidProfileError, match="JSON"):
        Profile.loads("{not json")


def wide_frame(rows: int = 2000) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    columns: dict[str, object] = {}
    for i in range(100):
        columns[f"numeric_column_with_a_long_name_{i:03d}"] = rng.normal(i, 1 + i, rows)
    long_levels = [f"category {j} " + "x" * 150 for j in range(300)]
    for i in range(50):
        columns[f"categorical_{i:03d}"] = rng.choice(long_levels, rows)
    for i in range(50):
        columns[f"uuid_{i:03d}"] = [
            str(uuid.UUID(int=int(v))) for v in rng.integers(0, 2**62, rows)
        ]
    return pd.DataFrame(columns)


def test_a_wide_frame_fits_in_100_kb_and_says_what_it_kept() -> None:
    frame = wide_frame()
    profile = profile_frame(frame)
    size = len(profile.dumps().encode())
    assert size <= MAX_PROFILE_BYTES
    assert profile.grid < 101  # detail was reduced
    assert len(profile.columns) == 200 and profile.omitted_columns == 0
    # still enough to check a batch against
    from mlops_jupyter.drift import check_drift

    report = check_drift(frame, profile)
    assert report.columns["numeric_column_with_a_long_name_000"].score == 0.0


def test_narrow_frames_keep_every_percentile() -> None:
    profile = profile_frame(mixed_frame())
    assert profile.grid == 101
    assert len(profile.dumps().encode()) < 20_000


def test_thousands_of_columns_still_fit() -> None:
    frame = pd.DataFrame(np.zeros((3, 6000)), columns=[f"c{i:05d}" + "y" * 20 for i in range(6000)])
    profile = profile_frame(frame)
    assert len(profile.dumps().encode()) <= MAX_PROFILE_BYTES
    assert profile.omitted_columns > 0
    assert len(profile.columns) + profile.omitted_columns == 6000


def test_profile_refuses_what_is_not_a_frame() -> None:
    with pytest.raises(InvalidArgumentError, match="DataFrame"):
        profile_frame([1, 2, 3])  # type: ignore[arg-type]
    duplicated = pd.DataFrame([[1, 2]], columns=["a", "a"])
    with pytest.raises(InvalidArgumentError, match="duplicate"):
        profile_frame(duplicated)


def test_unhashable_objects_are_profiled_as_other() -> None:
    frame = pd.DataFrame({"lists": [[1], [2], None] * 100})
    column = profile_frame(frame).columns["lists"]
    assert column.kind is ColumnKind.OTHER and column.count == 200


def test_without_pandas_the_error_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(MissingDependencyError, match="needs pandas"):
        profile_frame(object())  # type: ignore[arg-type]


def test_profile_csv_file(tmp_path: Path) -> None:
    path = tmp_path / "train.csv"
    mixed_frame(1000).to_csv(path, index=False)
    profile = profile_file(path)
    assert profile.name == "train" and profile.rows == 1000
    assert profile.columns["x"].kind is ColumnKind.NUMERIC


def test_profile_file_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(NotFoundError, match="no such file"):
        profile_file(tmp_path / "missing.csv")
    (tmp_path / "data.txt").write_text("a\n1\n")
    with pytest.raises(InvalidArgumentError, match=r"\.csv and \.parquet"):
        profile_file(tmp_path / "data.txt")
    (tmp_path / "data.parquet").write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(MissingDependencyError, match="pyarrow"):
        profile_file(tmp_path / "data.parquet")


def test_profile_parquet_file(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    path = tmp_path / "train.parquet"
    mixed_frame(1000).to_parquet(path)
    assert profile_file(path).rows == 1000


def test_importing_the_package_imports_neither_pandas_nor_numpy_nor_scipy() -> None:
    code = (
        "import sys, mlops_jupyter.drift as d\n"
        "d.Profile\n"  # the data model is stdlib only too
        "print(sorted(m for m in ('pandas', 'numpy', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
