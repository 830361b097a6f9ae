"""Drift checks on synthetic data with known truth (issue 15's acceptance), and the
properties the defaults must hold at any sample size."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mlops_jupyter.drift import Profile, Thresholds, check_drift, profile_frame
from mlops_jupyter.drift.profile import ColumnKind
from mlops_jupyter.errors import InvalidArgumentError

N = 100_000
CITIES = ["paris", "rome", "oslo", "lima"]


def frame(
    n: int = N,
    *,
    seed: int,
    shift: float = 0.0,
    new_city: float = 0.0,
    columns: int = 1,
) -> pd.DataFrame:
    """``x0..`` normal(10, 2), ``income`` lognormal, ``city`` 4 categories, ``member`` bool."""
    rng = np.random.default_rng(seed)
    data: dict[str, object] = {f"x{i}": rng.normal(10, 2, n) for i in range(columns)}
    data["x0"] = rng.normal(10 + 2 * shift, 2, n)  # `shift` in reference std
    data["income"] = rng.lognormal(10, 0.5, n)
    city = rng.choice(CITIES, n, p=[0.4, 0.3, 0.2, 0.1]).astype(object)
    city[rng.random(n) < new_city] = "atlantis"
    data["city"] = city
    data["member"] = rng.random(n) < 0.3
    return pd.DataFrame(data)


@pytest.fixture(scope="module")
def reference() -> Profile:
    return profile_frame(frame(seed=0), name="train")


# -- the acceptance cases ---------------------------------------------------------------------


def test_a_tiny_shift_at_100k_rows_is_ok(reference: Profile) -> None:
    report = check_drift(frame(seed=1, shift=0.01), reference)
    assert report.verdict == "ok"
    x0 = report.columns["x0"]
    assert x0.method == "wasserstein" and not x0.drifted
    assert 0.0 < x0.score < 0.05  # type: ignore[operator]
    assert report.drift_share == 0.0


def test_a_two_sigma_shift_is_drift_naming_the_column(reference: Profile) -> None:
    report = check_drift(frame(seed=1, shift=2.0), reference, critical=["x0"])
    assert report.verdict == "drift"
    assert report.drifted_columns == ["x0"]
    assert report.columns["x0"].score == pytest.approx(2.0, abs=0.05)
    assert any("x0" in reason for reason in report.reasons)
    # without marking it critical, one column of four is not the dataset drifting ...
    alone = check_drift(frame(seed=1, shift=2.0), reference)
    assert alone.verdict == "ok" and alone.drifted_columns == ["x0"]
    # ... but one of one is
    single = profile_frame(frame(seed=0)[["x0"]])
    assert check_drift(frame(seed=1, shift=2.0)[["x0"]], single).verdict == "drift"


def test_a_50_row_batch_is_insufficient_data_even_when_shifted(reference: Profile) -> None:
    for shift in (0.0, 2.0):
        report = check_drift(frame(50, seed=2, shift=shift), reference, critical=["x0"])
        assert report.verdict == "insufficient_data"
        assert "50 rows" in report.reasons[0]


def test_a_new_category_at_5_percent_is_flagged_by_name(reference: Profile) -> None:
    report = check_drift(frame(seed=3, new_city=0.05), reference)
    assert list(report.new_categories) == ["city"]
    assert report.new_categories["city"]["atlantis"] == pytest.approx(0.05, abs=0.005)
    city = report.columns["city"]
    assert city.method == "jensen_shannon" and city.new_share == pytest.approx(0.05, abs=0.005)
    assert city.drifted  # a 5 % bucket the reference never had moves JS above 0.1


def test_a_rare_new_category_is_not_named(reference: Profile) -> None:
    report = check_drift(frame(seed=3, new_city=0.005), reference)
    assert report.new_categories == {}
    assert report.columns["city"].new_share == pytest.approx(0.005, abs=0.002)


def test_a_dropped_column_is_a_schema_change(reference: Profile) -> None:
    report = check_drift(frame(seed=4).drop(columns="income"), reference)
    assert report.schema_changes == [
        {"column": "income", "change": "removed", "reference": "float64", "batch": None}
    ]
    assert "income" not in report.columns


def test_added_and_retyped_columns_are_schema_changes(reference: Profile) -> None:
    batch = frame(seed=4).assign(extra=1.0).astype({"x0": "float32"})
    changes = {c["column"]: c for c in check_drift(batch, reference).schema_changes}
    assert changes["extra"]["change"] == "added"
    assert changes["x0"] == {
        "column": "x0",
        "change": "retyped",
        "reference": "float64",
        "batch": "float32",
    }


def test_the_same_data_scores_zero_everywhere(reference: Profile) -> None:
    report = check_drift(frame(seed=0), reference)
    assert report.verdict == "ok"
    assert report.batch_digest == reference.digest
    for name, column in report.columns.items():
        assert column.score == 0.0, name
        assert column.psi in (None, 0.0), name


# -- the verdict --------------------------------------------------------------------------------


def test_half_the_columns_drifting_is_drift() -> None:
    reference = profile_frame(frame(20_000, seed=0)[["x0", "income"]])
    batch = frame(20_000, seed=1, shift=1.0)[["x0", "income"]]
    report = check_drift(batch, reference)
    assert report.drift_share == 0.5 and report.verdict == "drift"
    strict = check_drift(batch, reference, thresholds=Thresholds(drift_share=0.6))
    assert strict.verdict == "ok"


def test_a_missing_critical_column_is_drift(reference: Profile) -> None:
    report = check_drift(frame(seed=5).drop(columns="x0"), reference, critical=["x0"])
    assert report.verdict == "drift"
    assert any("critical column 'x0' is missing" in reason for reason in report.reasons)


def test_unknown_critical_columns_are_refused(reference: Profile) -> None:
    with pytest.raises(InvalidArgumentError, match="nope"):
        check_drift(frame(200, seed=5), reference, critical=["nope"])


def test_too_few_values_in_a_column_is_never_ok() -> None:
    # 1,000 rows but the critical column is 97 % missing: 30 values cannot fill 10 bins.
    reference = profile_frame(frame(20_000, seed=0, columns=3))
    batch = frame(1000, seed=6, columns=3)
    batch.loc[batch.index[30:], "x0"] = np.nan
    report = check_drift(batch, reference, critical=["x0"])
    assert report.columns["x0"].status == "insufficient"
    assert "expect" in (report.columns["x0"].reason or "")
    assert report.verdict == "insufficient_data"
    # not critical: one undecided column of six cannot make half of them drift
    assert check_drift(batch, reference).verdict == "ok"


def test_a_batch_within_noise_is_not_called_drift_nor_ok() -> None:
    """At 150 rows a fixed 0.1 threshold is inside sampling noise: the noise floor decides."""
    reference = profile_frame(frame(50_000, seed=0))
    verdicts = []
    false_drift = 0
    for seed in range(40):
        report = check_drift(frame(150, seed=100 + seed), reference)
        verdicts.append(report.verdict)
        for column in report.columns.values():
            assert column.noise is not None and column.threshold is not None
            assert column.threshold >= column.noise
            false_drift += column.drifted
    assert false_drift <= 4  # of 160 column checks: ~1 % expected; a fixed 0.1 gives ~40 %
    assert "drift" not in verdicts


def test_every_column_reports_its_missing_share(reference: Profile) -> None:
    batch = frame(10_000, seed=7)
    batch.loc[batch.index[:2000], "income"] = np.nan
    income = check_drift(batch, reference).to_json()["columns"]["income"]
    assert income["missing"] == {"reference": 0.0, "batch": 0.2, "change": 0.2}


def test_a_column_that_changed_kind_drifts(reference: Profile) -> None:
    batch = frame(1000, seed=8).astype({"x0": str})
    column = check_drift(batch, reference).columns["x0"]
    assert column.drifted and "was numeric" in (column.reason or "")


def test_a_fully_missing_column_drifts(reference: Profile) -> None:
    batch = frame(1000, seed=8).assign(income=np.nan, city=np.nan)  # city: float64 now
    columns = check_drift(batch, reference).columns
    for name in ("income", "city"):
        assert columns[name].drifted and "every value is missing" in (columns[name].reason or "")


def test_datetime_and_identifier_columns_are_not_compared() -> None:
    rng = np.random.default_rng(9)
    data = pd.DataFrame(
        {
            "when": pd.date_range("2024-01-01", periods=5000, freq="h"),
            "id": [f"user-{i}" for i in range(5000)],
            "x": rng.normal(size=5000),
        }
    )
    reference = profile_frame(data)
    later = data.assign(
        when=data["when"] + pd.Timedelta(days=365), id=[f"u{i}" for i in range(5000)]
    )
    report = check_drift(later, reference)
    assert report.columns["when"].status == "not_compared"
    assert report.columns["id"].status == "not_compared"
    assert report.verdict == "ok" and report.drift_share == 0.0


# -- properties -------------------------------------------------------------------------------


def test_scores_grow_with_the_shift(reference: Profile) -> None:
    scores = [
        check_drift(frame(20_000, seed=10, shift=s), reference).columns["x0"].score
        for s in (0.0, 0.05, 0.1, 0.3, 1.0, 3.0)
    ]
    assert scores == sorted(scores)  # type: ignore[type-var]
    assert scores[-1] == pytest.approx(3.0, abs=0.05)
    js = [
        check_drift(frame(20_000, seed=11, new_city=p), reference).columns["city"].score
        for p in (0.0, 0.02, 0.05, 0.2, 0.5)
    ]
    assert js == sorted(js)  # type: ignore[type-var]


@pytest.mark.parametrize(
    ("shift", "band"), [(0.0, "stable"), (0.4, "moderate"), (0.7, "significant")]
)
def test_psi_bands_are_reported_not_judged(reference: Profile, shift: float, band: str) -> None:
    x0 = check_drift(frame(50_000, seed=12, shift=shift), reference).to_json()["columns"]["x0"]
    assert x0["psi_band"] == band
    assert x0["drifted"] == (x0["score"] >= x0["threshold"])  # the verdict is Wasserstein's


def noisy(n: int, seed: int) -> pd.DataFrame:
    """A column whose level moves by 0.3 std from one stretch of 2,000 rows to the next."""
    rng = np.random.default_rng(seed)
    levels = np.repeat(rng.normal(0, 0.3, n // 2000 + 1), 2000)[:n]
    return pd.DataFrame({"x": rng.normal(levels, 1.0)})


def test_calibration_raises_the_threshold_of_a_noisy_reference() -> None:
    reference = profile_frame(noisy(40_000, seed=13))
    chunks = reference.columns["x"].chunks
    assert chunks is not None and chunks.n == 20
    batch = noisy(2000, seed=14)  # one stretch: moved by up to ~0.3 std, by nature
    calibrated = check_drift(batch, reference).columns["x"]
    fixed = check_drift(batch, reference, calibrate=False).columns["x"]
    assert calibrated.calibrated is not None and calibrated.calibrated > 0.1
    assert calibrated.threshold == pytest.approx(max(0.1, calibrated.calibrated, calibrated.noise))  # type: ignore[type-var]
    assert fixed.calibrated is None and fixed.threshold == pytest.approx(max(0.1, fixed.noise))  # type: ignore[type-var]
    # a calm reference is not raised
    calm = profile_frame(pd.DataFrame({"x": np.random.default_rng(15).normal(size=40_000)}))
    quiet = check_drift(pd.DataFrame({"x": np.random.default_rng(16).normal(size=2000)}), calm)
    assert quiet.columns["x"].calibrated is not None and quiet.columns["x"].calibrated < 0.1


def test_calibration_needs_ten_chunks_of_500() -> None:
    short = profile_frame(noisy(4999, seed=17))
    assert short.columns["x"].chunks is None
    assert check_drift(noisy(1000, seed=18), short).columns["x"].calibrated is None


def test_pvalues_only_when_asked(reference: Profile) -> None:
    batch = frame(20_000, seed=19, shift=0.05)
    plain = check_drift(batch, reference).to_json()
    assert "significance_tests" not in plain
    asked = check_drift(batch, reference, pvalues=True).to_json()
    tests = asked["significance_tests"]
    assert "significance" in tests["note"] and "never decide the verdict" in tests["note"]
    assert tests["columns"]["x0"]["test"] == "kolmogorov_smirnov"
    assert tests["columns"]["city"]["test"] == "chi_square"
    assert 0.0 <= tests["columns"]["city"]["pvalue"] <= 1.0
    assert tests["columns"]["x0"]["pvalue"] < 0.01  # "significant" ...
    assert asked["verdict"] == plain["verdict"] == "ok"  # ... and still ok
    assert asked["columns"] == plain["columns"]


def test_pvalues_without_scipy_say_so(reference: Profile, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlops_jupyter.drift import MissingDependencyError

    monkeypatch.setitem(__import__("sys").modules, "scipy.stats", None)
    with pytest.raises(MissingDependencyError, match="scipy"):
        check_drift(frame(200, seed=20), reference, pvalues=True)


def test_per_column_thresholds(reference: Profile) -> None:
    batch = frame(20_000, seed=21, shift=0.3)  # x0 scores about 0.3
    assert check_drift(batch, reference).columns["x0"].drifted
    relaxed = check_drift(batch, reference, thresholds={"x0": 0.5})
    assert not relaxed.columns["x0"].drifted and relaxed.columns["x0"].fixed == 0.5
    with pytest.raises(InvalidArgumentError, match="positive"):
        check_drift(batch, reference, thresholds={"x0": -1})


# -- a stored profile as the batch --------------------------------------------------------------


def test_a_profile_as_the_batch_gives_the_same_verdicts(reference: Profile) -> None:
    for shift, verdict in ((0.01, "ok"), (2.0, "drift")):
        batch = frame(seed=22, shift=shift)
        exact = check_drift(batch, reference, critical=["x0"])
        stored = check_drift(profile_frame(batch), reference, critical=["x0"])
        assert exact.verdict == stored.verdict == verdict
        assert stored.columns["x0"].score == pytest.approx(exact.columns["x0"].score, abs=1e-9)
        assert stored.columns["x0"].psi == pytest.approx(exact.columns["x0"].psi, rel=0.1, abs=0.01)
        assert not stored.columns["x0"].exact
        assert stored.batch_digest == profile_frame(batch).digest == exact.batch_digest


# -- the JSON contract ------------------------------------------------------------------------


def test_report_json_keys(reference: Profile) -> None:
    report = check_drift(frame(5000, seed=23, new_city=0.05), reference)
    data = json.loads(json.dumps(report.to_json(), allow_nan=False))
    assert {"verdict", "drift_share", "columns", "schema_changes", "new_categories"} <= set(data)
    assert {"n_reference", "n_batch", "batch_digest", "reference_digest", "reasons"} <= set(data)
    assert data["verdict"] in ("ok", "drift", "insufficient_data")
    for column in data["columns"].values():
        assert {"method", "score", "threshold", "drifted"} <= set(column)
    assert data["columns"]["x0"]["method"] == "wasserstein"
    assert data["columns"]["city"]["method"] == "jensen_shannon"
    assert {"psi", "psi_band"} <= set(data["columns"]["income"])
    assert data["new_categories"] == {"city": {"atlantis": pytest.approx(0.05, abs=0.01)}}
    assert data["n_batch"] == 5000 and data["n_reference"] == N
    distribution = data["columns"]["city"]["distribution"]
    assert distribution["categories"] == CITIES and distribution["new"]["batch"] > 0.03


def test_boolean_columns_compare_as_categories(reference: Profile) -> None:
    assert reference.columns["member"].kind is ColumnKind.BOOLEAN
    batch = frame(20_000, seed=24)
    batch["member"] = np.random.default_rng(0).random(20_000) < 0.7
    member = check_drift(batch, reference).columns["member"]
    assert member.method == "jensen_shannon" and member.drifted


def test_a_constant_column_that_starts_to_vary_drifts() -> None:
    reference = profile_frame(pd.DataFrame({"x": [5.0] * 5000}))
    same = check_drift(pd.DataFrame({"x": [5.0] * 500}), reference).columns["x"]
    assert same.status == "ok" and same.score == 0.0
    varied = check_drift(pd.DataFrame({"x": [5.0] * 400 + [6.0] * 100}), reference).columns["x"]
    assert varied.drifted and "constant" in (varied.reason or "")
    moved = check_drift(pd.DataFrame({"x": [6.0] * 500}), reference).columns["x"]
    assert moved.drifted
