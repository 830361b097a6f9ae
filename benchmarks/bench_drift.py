"""Benchmark: drift profiles and checks, beside Evidently's DataDriftPreset.

    python benchmarks/bench_drift.py [--rows 1000000] [--repeat 5] [--no-evidently]
                                     [--evidently-python .venv-bench-drift/bin/python]

Ours, in this process: the import, profiling 1M rows x 20 columns (target <= 1 s), the
profile's size (<= 100 KB, also for 200 wide columns), checking 1M x 20 against the stored
profile (<= 1 s) and 10k x 20 (<= 20 ms), medians of --repeat runs with wall and CPU time
(the machine's load average is printed: other jobs share its 2 cores). Then the verdicts on
synthetic cases with known truth, and the share of columns called drifted in batches drawn
from the reference itself (no drift) at 200 and 1,000 rows.

Evidently, in its own virtual environment (``.venv-bench-drift``; created on first use with
``pip install evidently``, and ``pandas<3`` when the fresh install does not import): the same
frames (generated once, saved to .npz, rebuilt on each side), its DataDriftPreset with
defaults, the same timings and verdicts. If it does not install or import, the benchmark
says why and prints ours alone.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
import _drift_data as data  # noqa: E402

BENCH_VENV = ROOT / ".venv-bench-drift"
SMALL_BATCHES = 20


def timed(function: Callable[[], Any], repeat: int) -> tuple[dict[str, float], Any]:
    """Median and best wall seconds and median CPU seconds of ``repeat`` calls, and the last
    result (CPU time shows the cost when other jobs share the cores)."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    times = {"wall": statistics.median(walls), "best": min(walls), "cpu": statistics.median(cpus)}
    return times, result


def import_seconds(statement: str, python: str = sys.executable, repeat: int = 5) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    samples = []
    for _ in range(repeat):
        out = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
        samples.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(samples)


def scenarios(rows: int) -> dict[str, dict[str, Any]]:
    """The verdict cases: name -> arrays of the batch (the reference is seed 0, ``rows``)."""
    numeric = tuple(data.NUMERIC)
    n = min(rows, 100_000)
    return {
        "same data": data.arrays(n, 0),
        "0.01 std shift, all numeric": data.arrays(n, 1, shift=0.01, shift_columns=numeric),
        "2 std shift in f0 only": data.arrays(n, 1, shift=2.0),
        "2 std shift, all numeric": data.arrays(n, 1, shift=2.0, shift_columns=numeric),
        "new category at 5 % in s0": data.arrays(n, 1, new_category=0.05),
        "50-row batch, no drift": data.arrays(50, 2),
    }


def ours(args: argparse.Namespace, frames: dict[str, Any], report: dict[str, Any]) -> None:
    import pandas as pd

    from mlops_jupyter.drift import Profile, check_drift, profile_frame

    report["import mlops_jupyter"] = import_seconds("import mlops_jupyter")
    report["import mlops_jupyter.drift"] = import_seconds("import mlops_jupyter.drift")
    report["import check_drift (numpy)"] = import_seconds(
        "from mlops_jupyter.drift import check_drift; check_drift"
    )
    reference, big, small = frames["reference"], frames["big"], frames["small"]
    profile_frame(small)  # warm-up: first-use imports
    report["profile big"], profile = timed(
        lambda: profile_frame(reference, name="reference"), args.repeat
    )
    stored = Profile.loads(profile.dumps())
    report["profile size (bytes)"] = len(profile.dumps().encode())
    wide = pd.DataFrame(
        {f"c{i}": big[data.NUMERIC[i % 16]].to_numpy()[:10_000] for i in range(150)}
    )
    for i in range(50):
        wide[f"id{i}"] = [f"{i}-{j}-{j * 7919 % 100_003:06d}" for j in range(10_000)]
    wide_profile = profile_frame(wide)
    wide_size = len(wide_profile.dumps().encode())
    report["profile size, 200 columns incl. 50 identifiers (bytes)"] = wide_size
    report["profile grid, 200 columns"] = wide_profile.grid
    report["check big"], _ = timed(lambda: check_drift(big, stored), args.repeat)
    report["check 10k"], _ = timed(lambda: check_drift(small, stored), max(args.repeat * 10, 20))

    small_reference = profile_frame(frames["reference_100k"])
    verdicts = {}
    for name in scenarios(args.rows):
        batch = frames[f"case/{name}"]
        result = check_drift(batch, small_reference, critical=["f0"]).to_json()
        verdicts[name] = {
            "verdict": result["verdict"],
            "drifted": result["drifted_columns"],
            "new_categories": result["new_categories"],
        }
    report["verdicts (f0 critical)"] = verdicts
    for size in (200, 1000):
        drifted = verdicts_drift = insufficient = 0
        for seed in range(SMALL_BATCHES):
            result = check_drift(frames[f"small{size}/{seed}"], small_reference)
            drifted += len(result.drifted_columns)
            verdicts_drift += result.verdict == "drift"
            insufficient += result.verdict == "insufficient_data"
        report[f"no-drift batches of {size} rows"] = {
            "columns called drifted": drifted / (20 * SMALL_BATCHES),
            "datasets called drift": verdicts_drift / SMALL_BATCHES,
            "datasets called insufficient_data": insufficient / SMALL_BATCHES,
        }


def ensure_evidently(python: Path) -> str | None:
    """Create the Evidently venv if needed; None when it imports, else why not."""
    check = [
        str(python),
        "-c",
        "import evidently, pandas; print(evidently.__version__, pandas.__version__)",
    ]
    if not python.exists():
        print(f"installing Evidently into {BENCH_VENV} (about 1 GB, a few minutes)...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
        pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
        installed = subprocess.run(
            [*pip, "evidently"], capture_output=True, text=True, timeout=1200
        )
        if installed.returncode:
            return f"pip install evidently failed: {installed.stderr.strip()[-500:]}"
        if subprocess.run(check, capture_output=True, text=True).returncode:
            # Evidently 0.7 uses a pandas function that pandas 3 removed.
            subprocess.run([*pip, "pandas<3"], capture_output=True, text=True, timeout=600)
    imported = subprocess.run(check, capture_output=True, text=True)
    if imported.returncode:
        return f"Evidently does not import: {imported.stderr.strip().splitlines()[-1:]}"
    return None


def evidently(args: argparse.Namespace, npz: Path, report: dict[str, Any]) -> None:
    python = Path(args.evidently_python)
    problem = ensure_evidently(python)
    if problem:
        report["evidently"] = problem
        return
    report["import evidently"] = import_seconds(
        "import evidently; from evidently import Report; "
        "from evidently.presets import DataDriftPreset",
        str(python),
        repeat=3,
    )
    helper = Path(__file__).resolve().parent / "_evidently_drift.py"
    cases = list(scenarios(args.rows))
    out = subprocess.run(
        [
            str(python),
            str(helper),
            str(npz),
            json.dumps(cases),
            str(SMALL_BATCHES),
            str(args.repeat),
        ],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if out.returncode:
        report["evidently"] = f"the Evidently run failed: {out.stderr.strip()[-800:]}"
        return
    report["evidently"] = json.loads(out.stdout.strip().splitlines()[-1])


def build_frames(args: argparse.Namespace, npz: Path) -> dict[str, Any]:
    import pandas as pd

    arrays = {
        "reference": data.arrays(args.rows, 0),
        "big": data.arrays(args.rows, 1),
        "small": data.arrays(10_000, 3),
        "reference_100k": data.arrays(min(args.rows, 100_000), 0),
    }
    for name, case in scenarios(args.rows).items():
        arrays[f"case/{name}"] = case
    for size in (200, 1000):
        for seed in range(SMALL_BATCHES):
            arrays[f"small{size}/{seed}"] = data.arrays(size, 1000 + seed)
    data.save(npz, **arrays)
    return data.load(npz, pd)


def print_report(report: dict[str, Any]) -> None:
    load = os.getloadavg()
    averages = " ".join(f"{value:.2f}" for value in load)
    print(f"\nload average after the run: {averages} ({os.cpu_count()} cores)")
    print(json.dumps(report, indent=2, default=str))
    rows = report["rows"]
    print(
        f"\ntargets: 1M x 20 profiled and checked <= 1 s, 10k x 20 checked <= 20 ms (big: {rows:,})"
    )
    for key, limit in (("profile big", 1.0), ("check big", 1.0), ("check 10k", 0.020)):
        wall, best, cpu = (report[key][k] * 1000 for k in ("wall", "best", "cpu"))
        verdict = "ok" if wall <= limit * 1000 else "OVER"
        print(f"  {key}: {wall:.0f} ms wall (best {best:.0f}), {cpu:.0f} ms CPU ({verdict})")
    print(f"  profile size: {report['profile size (bytes)']:,} bytes")
    theirs = report.get("evidently")
    print("\nverdicts against 100k reference rows (ours: f0 critical) | Evidently DataDriftPreset")
    for name, mine in report["verdicts (f0 critical)"].items():
        other = theirs["verdicts"][name] if isinstance(theirs, dict) else None
        their_text = f"{other['verdict']} {other['drifted'][:6]}" if other else "-"
        extra = f" new {mine['new_categories']}" if mine["new_categories"] else ""
        print(f"  {name:<28} {mine['verdict']} {mine['drifted'][:6]}{extra} | {their_text}")
    for size in (200, 1000):
        key = f"no-drift batches of {size} rows"
        mine = report[key]
        other = theirs.get(key) if isinstance(theirs, dict) else None
        print(
            f"  {key}: columns called drifted {mine['columns called drifted']:.1%}, "
            f"datasets {mine['datasets called drift']:.0%} "
            f"(insufficient_data {mine['datasets called insufficient_data']:.0%})"
            + (
                f" | Evidently {other['columns called drifted']:.1%}, "
                f"{other['datasets called drift']:.0%}"
                if other
                else ""
            )
        )
    if isinstance(theirs, dict):
        for key in ("check big", "check 10k"):
            if key in theirs:
                ratio = theirs[key]["wall"] / report[key]["wall"]
                print(
                    f"  Evidently {key}: {theirs[key]['wall']:.2f} s wall ({ratio:.0f}x ours; "
                    "it reads the raw reference, ours a stored profile)"
                )
        print(
            f"  import: Evidently {report['import evidently']:.2f} s, ours (numpy included) "
            f"{report['import check_drift (numpy)']:.2f} s"
        )
    elif theirs:
        print(f"  Evidently: {theirs}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-evidently", action="store_true")
    parser.add_argument("--evidently-python", default=str(BENCH_VENV / "bin" / "python"))
    args = parser.parse_args()
    report: dict[str, Any] = {"rows": args.rows}
    with tempfile.TemporaryDirectory(prefix="bench-drift-") as folder:
        npz = Path(folder) / "frames.npz"
        frames = build_frames(args, npz)
        ours(args, frames, report)
        del frames
        if not args.no_evidently:
            evidently(args, npz, report)
    print_report(report)


if __name__ == "__main__":
    main()
