"""Evidently's side of bench_drift.py, run by ``.venv-bench-drift/bin/python``.

    _evidently_drift.py FRAMES.npz CASES_JSON SMALL_BATCHES REPEAT

Reads the frames bench_drift.py saved, runs ``Report([DataDriftPreset()])`` with its
defaults, and prints one JSON line: timings, and per case the dataset verdict (drifted share
>= 0.5, the preset's rule) and the columns it called drifted.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _drift_data as data

DRIFT_SHARE = 0.5  # DataDriftPreset's default


def run(current: pd.DataFrame, reference: pd.DataFrame) -> dict[str, Any]:
    snapshot = Report([DataDriftPreset()]).run(current, reference)
    drifted, methods, share = [], {}, 0.0
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        if config["type"].endswith("DriftedColumnsCount"):
            share = float(metric["value"]["share"])
        elif config["type"].endswith("ValueDrift"):
            method, value, threshold = config["method"], metric["value"], config["threshold"]
            methods[config["column"]] = method
            # p-value tests drift below their threshold, distances at or above it.
            is_drift = value < threshold if "p_value" in method else value >= threshold
            if is_drift:
                drifted.append(config["column"])
    return {
        "verdict": "drift" if share >= DRIFT_SHARE else "no drift",
        "drift_share": share,
        "drifted": drifted,
        "methods": sorted(set(methods.values())),
    }


def timed(current: pd.DataFrame, reference: pd.DataFrame, repeat: int) -> dict[str, float]:
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        run(current, reference)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return {"wall": statistics.median(walls), "cpu": statistics.median(cpus)}


def main() -> None:
    npz, cases, small_batches, repeat = (
        sys.argv[1],
        json.loads(sys.argv[2]),
        *map(int, sys.argv[3:5]),
    )
    frames = data.load(Path(npz), pd)
    import evidently

    result: dict[str, Any] = {"version": evidently.__version__, "pandas": pd.__version__}
    run(frames["small"], frames["reference_100k"])  # warm-up
    # Evidently has no stored profile: every check reads the whole raw reference again.
    result["check 10k"] = timed(frames["small"], frames["reference"], min(repeat, 3))
    result["check big"] = timed(frames["big"], frames["reference"], min(repeat, 2))
    reference = frames["reference_100k"]
    result["verdicts"] = {name: run(frames[f"case/{name}"], reference) for name in cases}
    for size in (200, 1000):
        drifted = datasets = 0
        for seed in range(small_batches):
            outcome = run(frames[f"small{size}/{seed}"], reference)
            drifted += len(outcome["drifted"])
            datasets += outcome["verdict"] == "drift"
        result[f"no-drift batches of {size} rows"] = {
            "columns called drifted": drifted / (20 * small_batches),
            "datasets called drift": datasets / small_batches,
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
