"""Comparison of runs (pure logic over Run objects)."""

from __future__ import annotations

import json
import math

import pytest

from mlops_jupyter.compare import compare_runs, diff_packages, input_rows, value_rows
from mlops_jupyter.models import FileRecord, GitInfo, NotebookInfo, Run


def test_value_rows_align_keys_and_flag_differences() -> None:
    rows = value_rows([{"a": 1, "b": math.nan, "c": None}, {"a": 1, "b": math.nan}, {"a": 1.0}])
    assert rows == [
        {"key": "a", "values": [1, 1, 1.0], "differs": True},  # 1 and 1.0 show differently
        {"key": "b", "values": ["NaN", "NaN", None], "differs": True},
        {"key": "c", "values": [None, None, None], "differs": True},  # None vs absent
    ]
    same = value_rows([{"x": math.nan, "y": [1, {"z": 2}]}] * 3)
    assert [r["differs"] for r in same] == [False, False]


def test_diff_packages() -> None:
    first = {"numpy": "1.26", "pandas": "2.1", "gone": "0.1"}
    other = {"numpy": "2.0", "pandas": "2.1", "new": "1.0"}
    assert diff_packages(first, other) == {
        "added": {"new": "1.0"},
        "removed": {"gone": "0.1"},
        "changed": {"numpy": ["1.26", "2.0"]},
    }
    assert diff_packages(first, first) == {"added": {}, "removed": {}, "changed": {}}


def run(name: str, **kw: object) -> Run:
    return Run.new("e", name=name, **kw)  # type: ignore[arg-type]


def test_compare_runs_against_the_first() -> None:
    env = {"python": {"version": "3.11"}, "platform": {"system": "Linux"}}
    a = run("a", env={**env, "packages": {"x": "1", "y": "1"}}, source="print(1)",
            git=GitInfo(root="/r", commit="c1", branch="main"), params={"lr": 0.1},
            notebook=NotebookInfo(path="n.ipynb", snapshot_sha256="ab" * 32))  # fmt: skip
    b = run("b", env={**env, "packages": {"x": "2"}}, source="print(2)",
            git=GitInfo(root="/r", commit="c1", branch="main"), params={"lr": 0.1})  # fmt: skip
    c = run("c", env={"python": {"version": "3.12"}}, metrics={"acc": math.inf})
    result = compare_runs([a, b, c])
    json.dumps(result, allow_nan=False)
    assert [r["name"] for r in result["runs"]] == ["a", "b", "c"]
    assert result["params"] == [{"key": "lr", "values": [0.1, 0.1, None], "differs": True}]
    assert result["metrics"] == [
        {"key": "acc", "values": [None, None, "Infinity"], "differs": True}
    ]
    assert result["sources"] == ["print(1)", "print(2)", ""]
    assert result["notebooks"] == [
        {"path": "n.ipynb", "snapshot_sha256": "ab" * 32}, None, None
    ]  # fmt: skip
    env_out = result["env"]
    assert env_out["python"] == {
        "values": [{"version": "3.11"}, {"version": "3.11"}, {"version": "3.12"}],
        "differs": True,
    }
    assert env_out["platform"]["values"][2] is None and env_out["platform"]["differs"]
    git = {"commit": "c1", "branch": "main", "dirty": False}
    assert env_out["git"] == {"values": [git, git, None], "differs": True}
    assert env_out["packages"] == {
        "added": {}, "removed": {"y": "1"}, "changed": {"x": ["1", "2"]}
    }  # fmt: skip
    # Run c has no package list: its diff is empty rather than "everything removed".
    assert env_out["packages_by_run"] == [
        env_out["packages"], {"added": {}, "removed": {}, "changed": {}}
    ]  # fmt: skip
    assert env_out["packages_known"] == [True, True, False]


def test_compare_identical_runs_differs_nowhere() -> None:
    a = run("a", params={"p": 1}, env={"python": {"v": 1}, "packages": {"x": "1"}})
    b = run("a", params={"p": 1}, env={"python": {"v": 1}, "packages": {"x": "1"}})
    result = compare_runs([a, b])
    assert not any(r["differs"] for r in result["params"])
    assert not result["env"]["python"]["differs"] and not result["env"]["git"]["differs"]
    assert result["env"]["packages"] == {"added": {}, "removed": {}, "changed": {}}
    with pytest.raises(ValueError):
        compare_runs([])


def test_inputs_are_aligned_by_path_same_changed_or_only_in_some_runs() -> None:
    def read(path: str, sha: str, **kw: object) -> FileRecord:
        return FileRecord(path=path, sha256=sha, size=1, **kw)  # type: ignore[arg-type]

    remote = {"kind": "url"}
    a = run("a", inputs=[read("train.csv", "11"), read("test.csv", "22"),
                         read("s3://b/x", "", version="v1", **remote)])  # fmt: skip
    b = run("b", inputs=[read("train.csv", "33"), read("test.csv", "22"),
                         read("s3://b/x", "", version="v2", **remote),
                         read("extra.csv", "44")])  # fmt: skip
    assert input_rows([a, b]) == [
        {"path": "extra.csv", "values": [None, "44"], "status": "only"},
        {"path": "s3://b/x", "values": ["v1", "v2"], "status": "changed"},
        {"path": "test.csv", "values": ["22", "22"], "status": "same"},
        {"path": "train.csv", "values": ["11", "33"], "status": "changed"},
    ]
    assert compare_runs([a, b])["inputs"] == input_rows([a, b])
    assert input_rows([run("c"), run("d")]) == []


def test_core_modules_import_neither_tornado_nor_ipython() -> None:
    import subprocess
    import sys

    code = (
        "import sys; import mlops_jupyter.query, mlops_jupyter.compare, mlops_jupyter.series, "
        "mlops_jupyter.store.sql; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'tornado', 'IPython'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
