"""``mlops-jupyter drift profile|check``: exit codes and JSON keys scripts depend on."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlops_jupyter.cli import main

KEYS = {"verdict", "drift_share", "columns", "schema_changes", "new_categories"}


def write(path: Path, n: int, *, seed: int, shift: float = 0.0) -> Path:
    rng = np.random.default_rng(seed)
    pd.DataFrame(
        {
            "x": rng.normal(shift, 1, n),
            "y": rng.exponential(size=n),
            "city": rng.choice(["paris", "rome", "oslo"], n),
        }
    ).to_csv(path, index=False)
    return path


@pytest.fixture
def reference(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    data = write(tmp_path / "train.csv", 20_000, seed=0)
    out = tmp_path / "train.profile.json"
    assert main(["drift", "profile", str(data), "--name", "train", "--out", str(out)]) == 0
    capsys.readouterr()
    return out


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_profile_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = write(tmp_path / "train.csv", 1000, seed=0)
    status, out, _ = run(capsys, "drift", "profile", str(data), "--name", "N", "--json")
    assert status == 0
    profile = json.loads(out)
    assert profile["name"] == "N" and profile["rows"] == 1000
    assert profile["format"] == "mlops-jupyter/profile@1"
    assert set(profile["columns"]) == {"x", "y", "city"}
    assert profile["digest"].startswith("sha256:")


def test_profile_summary_and_out(reference: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stored = json.loads(reference.read_text())
    assert stored["name"] == "train" and stored["rows"] == 20_000
    status, out, _ = run(capsys, "drift", "profile", str(reference.with_name("train.csv")))
    assert status == 0
    assert "rows: 20000, columns: 3" in out and "numeric" in out and "categorical" in out


@pytest.mark.parametrize(
    ("rows", "shift", "status", "verdict"),
    [(20_000, 0.0, 0, "ok"), (20_000, 2.0, 1, "drift"), (50, 0.0, 3, "insufficient_data")],
)
def test_check_exit_status_and_json(
    reference: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    rows: int,
    shift: float,
    status: int,
    verdict: str,
) -> None:
    batch = write(tmp_path / "batch.csv", rows, seed=1, shift=shift)
    args = ["drift", "check", str(batch), "--against", str(reference), "--json"]
    if shift:
        args += ["--critical", "x"]
    code, out, _ = run(capsys, *args)
    report = json.loads(out)
    assert code == status
    assert KEYS <= set(report) and report["verdict"] == verdict
    assert {"method", "score", "threshold", "drifted"} <= set(report["columns"]["x"])
    assert report["columns"]["x"]["drifted"] == (shift > 0)


def test_check_text_output(
    reference: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = write(tmp_path / "batch.csv", 5000, seed=2, shift=2.0)
    code, out, _ = run(
        capsys, "drift", "check", str(batch), "--against", str(reference), "--critical", "x"
    )
    assert code == 1
    assert out.startswith("verdict: drift")
    assert "wasserstein" in out and "critical column 'x' drifted" in out


def test_check_a_batch_profile(
    reference: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = write(tmp_path / "batch.csv", 5000, seed=3)
    stored = tmp_path / "batch.json"
    assert main(["drift", "profile", str(batch), "--out", str(stored)]) == 0
    capsys.readouterr()
    code, out, _ = run(capsys, "drift", "check", str(stored), "--against", str(reference), "--json")
    assert code == 0 and json.loads(out)["columns"]["x"]["exact"] is False


def test_check_options(reference: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    batch = write(tmp_path / "batch.csv", 5000, seed=4, shift=0.3)
    base = ["drift", "check", str(batch), "--against", str(reference), "--json"]
    _, out, _ = run(capsys, *base)
    assert json.loads(out)["columns"]["x"]["drifted"]
    _, out, _ = run(capsys, *base, "--threshold", "x=0.5", "--no-calibrate", "--pvalues")
    report = json.loads(out)
    assert not report["columns"]["x"]["drifted"]
    assert report["columns"]["x"]["thresholds"]["calibrated"] is None
    assert report["significance_tests"]["columns"]["x"]["test"] == "kolmogorov_smirnov"


@pytest.mark.parametrize(
    ("against", "message"),
    [
        ("missing.json", "no such profile file"),
        ("churn@champion", "no store here to find runs or models in"),
        ("churn/3", "no store here to find runs or models in"),
        ("1e4f3a9b", "no store here to find runs or models in"),
    ],
)
def test_unsupported_or_missing_references_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], against: str, message: str
) -> None:
    batch = write(tmp_path / "batch.csv", 200, seed=5)
    code, out, err = run(capsys, "drift", "check", str(batch), "--against", against, "--json")
    assert code == 2
    error = json.loads(out)
    assert message in error["error"] and message in err and error["status"] == 2


def test_errors_exit_2_never_1(
    reference: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 1 means drift: a missing file, a bad profile, a bad threshold must not look like one.
    code, _, err = run(
        capsys, "drift", "check", str(tmp_path / "nope.csv"), "--against", str(reference)
    )
    assert code == 2 and "no such file" in err
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "other"}')
    batch = write(tmp_path / "batch.csv", 200, seed=6)
    code, _, err = run(capsys, "drift", "check", str(batch), "--against", str(bad))
    assert code == 2 and "not a profile" in err
    code, _, err = run(
        capsys, "drift", "check", str(batch), "--against", str(reference), "--threshold", "x"
    )
    assert code == 2 and "COLUMN=NUMBER" in err
    code, _, err = run(
        capsys, "drift", "check", str(batch), "--against", str(reference), "--critical", "zz"
    )
    assert code == 2 and "zz" in err
    code, _, err = run(capsys, "drift", "profile", str(tmp_path / "data.txt"))
    assert code == 2


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["drift", "check", "batch.csv"])  # --against is required
    assert exc.value.code == 2
    assert "--against" in capsys.readouterr().err
