"""Benchmark: team-scale write throughput of the run store against MLflow, SQLite and PostgreSQL.

    python benchmarks/bench_store.py [--writers 8] [--runs 100] [--competitor-runs 25]
                                     [--backends sqlite,postgresql] [--no-mlflow] [--json]
                                     [--competitor-python .venv-bench/bin/python]

``--writers`` processes each record runs as fast as they can, all starting together (each
imports its library and opens the store, says "ready", then waits for a "go" file). One run
is: create, 10 params, 10 points for each of 2 metrics, finish.

* ours: ``open_store(resolve_store_location(...))``, ``Run.new(params=...)`` +
  ``create_run``, one ``log_metric_points`` with the 20 points, ``update_run`` (finished);
* MLflow (in its own virtual environment, run by ``--competitor-python``):
  ``mlflow.start_run(run_name=...)``, ``log_params``, ``MlflowClient().log_batch`` with the 20
  points (its one-transaction equivalent of ours), ``end_run``.

A failed run (an exception anywhere in it) is counted per writer with its error text and the
writer goes on with the next run; MLflow's half-written run is ended as FAILED if it can be.

An observer process of the same side creates the store first (schema, experiment), then
polls the first page of the run list every 200 ms while the writers run (ours:
``store.list_runs(limit=50)``, which also counts the runs; MLflow:
``MlflowClient().search_runs(max_results=50)``), and afterwards checks what is in the store:
a run written is a finished run with its 10 params and 10 points of each metric. "Lost" are
the runs a writer reported as written that the store does not hold whole.

Backends: SQLite in a fresh temporary directory per side, and one throwaway PostgreSQL server
(``tests/_postgres.py``, fsync off as in the tests) with one database per side; MLflow uses
psycopg2 (``pip install psycopg2-binary`` in the competitor's environment), named in its URL
(``postgresql+psycopg2://``): with SQLAlchemy 2.1 a bare ``postgresql://`` means psycopg 3.

Wall time runs from "go" to the last writer's last run; runs/s is runs written / wall time,
so the ratio ours/MLflow is fair even though MLflow writes fewer runs per writer.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXPERIMENT = "bench-store"
N_PARAMS = 10
METRIC_KEYS = ("loss", "acc")
N_STEPS = 10
POLL_INTERVAL_S = 0.2
PAGE = 50


# -- the workload, shared by both sides ---------------------------------------------------


def run_params(worker: int, i: int) -> dict[str, Any]:
    """The 10 params of run ``i`` of ``worker``: floats, an int and a string."""
    params: dict[str, Any] = {f"p{j}": round((worker * 1000 + i) * 1e-4 + j, 6) for j in range(10)}
    params["p1"] = 32 + i
    params["p2"] = ("adam", "sgd", "rmsprop")[i % 3]
    return params


def metric_value(key: str, step: int) -> float:
    return 1.0 / (step + 1) if key == "loss" else step / N_STEPS


def error_text(exc: BaseException) -> str:
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first[:240]}"


def wait_for(path: Path) -> None:
    while not path.exists():
        time.sleep(0.001)


def done_file(cfg: dict[str, Any], worker: int) -> Path:
    return Path(cfg["go"]).with_name(f"done-{worker}")


def poll(list_page: Any, cfg: dict[str, Any]) -> dict[str, Any]:
    """Call ``list_page()`` every 200 ms until every writer is done; return the latencies."""
    stop = Path(cfg["stop"])  # the parent's word, should a writer die
    done = [done_file(cfg, w) for w in range(cfg["writers"])]
    samples: list[float] = []
    errors: dict[str, int] = {}
    next_at = time.perf_counter()
    while not stop.exists() and not all(path.exists() for path in done):
        t = time.perf_counter()
        try:
            list_page()
            samples.append(time.perf_counter() - t)
        except Exception as exc:
            errors[error_text(exc)] = errors.get(error_text(exc), 0) + 1
        next_at += POLL_INTERVAL_S
        delay = next_at - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        else:
            next_at = time.perf_counter()
    return {"poll_s": samples, "poll_errors": errors}


def write_loop(cfg: dict[str, Any], write_one: Any, on_error: Any = None) -> dict[str, Any]:
    """Write ``cfg["runs"]`` runs, counting failures; then say so with the done file."""
    done: list[int] = []
    latencies: list[float] = []
    errors: dict[str, int] = {}
    for i in range(cfg["runs"]):
        t = time.perf_counter()
        try:
            write_one(i)
        except Exception as exc:
            errors[error_text(exc)] = errors.get(error_text(exc), 0) + 1
            if on_error is not None:
                on_error()
            continue
        latencies.append(time.perf_counter() - t)
        done.append(i)
    end = time.time()
    done_file(cfg, cfg["worker"]).touch()
    return {"done": done, "latency_s": latencies, "errors": errors, "end": end}


# -- ours (run by this environment's Python) ----------------------------------------------


def ours_worker(cfg: dict[str, Any]) -> dict[str, Any]:
    from mlops_jupyter.models import MetricPoint, Run, RunStatus, utcnow
    from mlops_jupyter.store import open_store, resolve_store_location

    location = resolve_store_location(
        {"MLOPS_JUPYTER_STORE": cfg["store"], "MLOPS_JUPYTER_BLOBS": cfg["blobs"]}
    )
    store = open_store(location)  # the observer creates the schema, writers find it
    go = Path(cfg["go"])
    try:
        if cfg["role"] == "observer":
            print("ready", flush=True)
            wait_for(go)
            result = poll(lambda: store.list_runs(limit=PAGE), cfg)
            result.update(ours_check(store))
            return result

        worker = cfg["worker"]
        finals = {k: metric_value(k, N_STEPS - 1) for k in METRIC_KEYS}

        def write_one(i: int) -> None:
            run = Run.new(EXPERIMENT, name=f"w{worker}-{i}", params=run_params(worker, i))
            store.create_run(run)
            now = time.time()
            points = [
                MetricPoint(k, metric_value(k, s), s, now)
                for k in METRIC_KEYS
                for s in range(N_STEPS)
            ]
            store.log_metric_points(run.id, points)
            run.status = RunStatus.FINISHED
            run.ended_at = utcnow()
            run.metrics = dict(finals)
            store.update_run(run)

        print("ready", flush=True)
        wait_for(go)
        return write_loop(cfg, write_one)
    finally:
        store.close()


def ours_check(store: Any) -> dict[str, Any]:
    from mlops_jupyter.models import RunStatus

    runs = store.search_runs(experiment=EXPERIMENT)
    complete = [
        r.name
        for r in runs
        if r.status is RunStatus.FINISHED
        and len(r.params) == N_PARAMS
        and all(len(store.metric_series(r.id, k)) == N_STEPS for k in METRIC_KEYS)
    ]
    return {"in_store": len(runs), "complete": complete}


# -- MLflow (run by the competitor's Python) ----------------------------------------------


def mlflow_worker(cfg: dict[str, Any]) -> dict[str, Any]:
    import mlflow
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    mlflow.set_tracking_uri(cfg["store"])
    client = MlflowClient()
    go = Path(cfg["go"])
    if cfg["role"] == "observer":
        # Creates the schema and the experiment before any writer opens the store.
        exp_id = client.create_experiment(EXPERIMENT, artifact_location=Path(cfg["blobs"]).as_uri())
        print("ready", flush=True)
        wait_for(go)
        result = poll(lambda: client.search_runs([exp_id], max_results=PAGE), cfg)
        result.update(mlflow_check(client, exp_id))
        result["version"] = mlflow.__version__
        return result

    mlflow.set_experiment(EXPERIMENT)
    worker = cfg["worker"]

    def write_one(i: int) -> None:
        run = mlflow.start_run(run_name=f"w{worker}-{i}")
        mlflow.log_params(run_params(worker, i))
        now = int(time.time() * 1000)
        client.log_batch(
            run.info.run_id,
            metrics=[
                Metric(k, metric_value(k, s), now, s) for k in METRIC_KEYS for s in range(N_STEPS)
            ],
        )
        mlflow.end_run()

    def on_error() -> None:
        if mlflow.active_run() is not None:
            try:
                mlflow.end_run("FAILED")  # pops the run first: the next start_run works
            except Exception:
                pass

    print("ready", flush=True)
    wait_for(go)
    return write_loop(cfg, write_one, on_error)


def mlflow_check(client: Any, exp_id: str) -> dict[str, Any]:
    runs: list[Any] = []
    token = None
    while True:
        page = client.search_runs([exp_id], max_results=1000, page_token=token)
        runs.extend(page)
        token = page.token
        if not token:
            break
    complete = [
        r.info.run_name
        for r in runs
        if r.info.status == "FINISHED"
        and len(r.data.params) == N_PARAMS
        and all(len(client.get_metric_history(r.info.run_id, k)) == N_STEPS for k in METRIC_KEYS)
    ]
    return {"in_store": len(runs), "complete": complete}


def worker_main(cfg: dict[str, Any]) -> None:
    result = (ours_worker if cfg["side"] == "ours" else mlflow_worker)(cfg)
    print(json.dumps(result), flush=True)


# -- the parent ---------------------------------------------------------------------------


def percentile(samples: list[float], q: float) -> float | None:
    if not samples:
        return None
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def tail(path: Path, chars: int = 2000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


class Phase:
    """One side on one backend: an observer and ``writers`` writer processes."""

    def __init__(self, python: str, directory: Path, env: dict[str, str]) -> None:
        self.python, self.directory, self.env = python, directory, env
        self.procs: list[tuple[subprocess.Popen[str], Path]] = []

    def spawn(self, cfg: dict[str, Any], label: str) -> subprocess.Popen[str]:
        err_path = self.directory / f"{label}.stderr"
        with open(err_path, "w") as err:
            proc = subprocess.Popen(
                [self.python, str(Path(__file__).resolve()), "--worker", json.dumps(cfg)],
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
                cwd=self.directory,  # MLflow may create ./mlruns; keep it in the temp dir
                env=self.env,
            )
        self.procs.append((proc, err_path))
        return proc

    def wait_ready(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.strip() == "ready":
                return
        proc.wait()
        raise RuntimeError(f"worker died before ready:\n{tail(self.err_path(proc))}")

    def err_path(self, proc: subprocess.Popen[str]) -> Path:
        return next(path for p, path in self.procs if p is proc)

    def result(self, proc: subprocess.Popen[str], timeout: float) -> dict[str, Any] | str:
        """The worker's JSON result, or the reason there is none."""
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            return f"timed out after {timeout:.0f} s"
        lines = [line for line in out.strip().splitlines() if line.startswith("{")]
        if proc.returncode != 0 or not lines:
            return f"exit {proc.returncode}: {tail(self.err_path(proc), 600).strip()}"
        parsed: dict[str, Any] = json.loads(lines[-1])
        return parsed

    def kill_all(self) -> None:
        for proc, _ in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def run_phase(
    side: str, python: str, store: str, directory: Path, writers: int, runs: int, timeout: float
) -> dict[str, Any]:
    """Run one side against one store and summarize it."""
    directory.mkdir(parents=True)
    blobs = directory / "blobs"
    blobs.mkdir()
    go, stop = directory / "go", directory / "stop"
    env = dict(
        os.environ,
        PYTHONUNBUFFERED="1",
        MLFLOW_DISABLE_TELEMETRY="true",
        DO_NOT_TRACK="true",
    )
    base = {"side": side, "store": store, "blobs": str(blobs), "go": str(go), "stop": str(stop)}
    base["writers"] = writers
    phase = Phase(python, directory, env)
    try:
        observer = phase.spawn({**base, "role": "observer"}, "observer")
        phase.wait_ready(observer)  # the store and its schema exist from now on
        procs = [
            phase.spawn({**base, "role": "writer", "worker": w, "runs": runs}, f"writer{w}")
            for w in range(writers)
        ]
        for proc in procs:
            phase.wait_ready(proc)
        go.touch()
        go_time = time.time()
        results = [phase.result(proc, timeout) for proc in procs]
        stop.touch()
        observed = phase.result(observer, 300)
    finally:
        phase.kill_all()
    if isinstance(observed, str):
        raise RuntimeError(f"{side} observer failed: {observed}")

    errors_per_writer: list[int] = []
    messages: dict[str, int] = {}
    reported: set[str] = set()
    latencies: list[float] = []
    ends: list[float] = []
    for w, res in enumerate(results):
        if isinstance(res, str):  # the whole writer failed: every run it had left counts
            errors_per_writer.append(runs)
            messages[f"writer crashed: {res}"] = messages.get(f"writer crashed: {res}", 0) + 1
            continue
        errors_per_writer.append(sum(res["errors"].values()))
        for text, count in res["errors"].items():
            messages[text] = messages.get(text, 0) + count
        reported.update(f"w{w}-{i}" for i in res["done"])
        latencies.extend(res["latency_s"])
        ends.append(res["end"])
    wall = (max(ends) - go_time) if ends else float("nan")
    complete = set(observed["complete"])
    polls = observed["poll_s"]
    return {
        "side": side,
        "version": observed.get("version"),
        "writers": writers,
        "runs_per_writer": runs,
        "attempted": writers * runs,
        "written": len(reported),
        "lost": len(reported - complete),
        "in_store": observed["in_store"],
        "complete_in_store": len(complete),
        "errors": sum(errors_per_writer),
        "errors_per_writer": errors_per_writer,
        "error_messages": messages,
        "wall_s": wall,
        "runs_per_s": len(reported) / wall if ends and wall > 0 else 0.0,
        "run_latency_p50_s": percentile(latencies, 0.5),
        "run_latency_p95_s": percentile(latencies, 0.95),
        "list_polls": len(polls),
        "list_p50_s": percentile(polls, 0.5),
        "list_p95_s": percentile(polls, 0.95),
        "list_errors": observed["poll_errors"],
    }


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1e3:.1f} ms"


def print_phase(label: str, r: dict[str, Any]) -> None:
    def row(name: str, value: str) -> None:
        print(f"  {name:<40}{value:>20}")

    print(f"\n== {label} ==")
    row("runs written / attempted", f"{r['written']} / {r['attempted']}")
    row("runs lost (reported, not in store)", str(r["lost"]))
    row("runs in store (whole)", f"{r['in_store']} ({r['complete_in_store']})")
    row("errors (failed runs)", str(r["errors"]))
    if r["errors"]:
        row("  per writer", " ".join(str(e) for e in r["errors_per_writer"]))
        for text, count in sorted(r["error_messages"].items(), key=lambda kv: -kv[1]):
            print(f"    {count:>5} x {text}")
    row("wall time", f"{r['wall_s']:.2f} s")
    row("runs/s (all writers)", f"{r['runs_per_s']:.1f}")
    row("one run, p50 / p95", f"{ms(r['run_latency_p50_s'])} / {ms(r['run_latency_p95_s'])}")
    row(
        f"list first {PAGE} while writing, p50/p95",
        f"{ms(r['list_p50_s'])} / {ms(r['list_p95_s'])}",
    )
    row("  polls (every 200 ms)", str(r["list_polls"]))
    for text, count in r["list_errors"].items():
        print(f"    {count:>5} x list error: {text}")


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.1f}x" if a and b else "-"


def start_postgres() -> Any:
    sys.path.insert(0, str(ROOT / "tests"))
    from _postgres import PostgresCluster, make_base_dir

    cluster = PostgresCluster(make_base_dir(prefix="bench-store-pg-"))
    try:
        cluster.start()
    except BaseException:
        cluster.close()
        raise
    return cluster


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        worker_main(json.loads(sys.argv[2]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--runs", type=int, default=100, help="runs per writer (ours)")
    parser.add_argument("--competitor-runs", type=int, default=25, help="runs per MLflow writer")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--no-mlflow", action="store_true")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per writer")
    parser.add_argument("--competitor-python", default=str(ROOT / ".venv-bench" / "bin" / "python"))
    args = parser.parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(backends) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}")
    mlflow_python = None
    notes: list[str] = []
    if not args.no_mlflow:
        if Path(args.competitor_python).exists():
            mlflow_python = args.competitor_python
        else:
            notes.append(f"MLflow skipped: {args.competitor_python} not found (`make bench`)")

    say = (lambda *a: None) if args.json else print
    say(
        f"\nRun store write benchmark ({os.cpu_count()} cores, Python {sys.version.split()[0]}): "
        f"{args.writers} writer processes; a run = create + {N_PARAMS} params + "
        f"{N_STEPS} points x {len(METRIC_KEYS)} metrics + finish"
    )
    report: dict[str, Any] = {
        "cpu_count": os.cpu_count(),
        "writers": args.writers,
        "backends": {},
        "notes": notes,
    }
    t_start = time.perf_counter()
    cluster = None
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        try:
            for backend in backends:
                stores: dict[str, str] = {}
                if backend == "sqlite":
                    stores = {"ours": str(Path(tmp) / "sqlite-ours" / "store")}
                    stores["mlflow"] = f"sqlite:///{Path(tmp) / 'sqlite-mlflow' / 'mlflow.db'}"
                else:
                    try:
                        cluster = cluster or start_postgres()
                    except (RuntimeError, ImportError, OSError) as exc:
                        notes.append(f"PostgreSQL skipped: {str(exc).splitlines()[0]}")
                        say(f"\n({notes[-1]})")
                        continue
                    stores = {"ours": cluster.create_database("bench_ours")}
                    # psycopg2 named explicitly: with SQLAlchemy 2.1 (MLflow's),
                    # postgresql:// means psycopg 3, which the competitor's venv lacks.
                    stores["mlflow"] = cluster.create_database("bench_mlflow").replace(
                        "postgresql+psycopg://", "postgresql+psycopg2://"
                    )
                sides = [("ours", sys.executable, args.runs)]
                if mlflow_python:
                    sides.append(("mlflow", mlflow_python, args.competitor_runs))
                results: dict[str, Any] = {}
                for side, python, runs in sides:
                    res = run_phase(
                        side,
                        python,
                        stores[side],
                        Path(tmp) / f"{backend}-{side}",
                        args.writers,
                        runs,
                        args.timeout,
                    )
                    results[side] = res
                    name = "mlops-jupyter" if side == "ours" else f"MLflow {res['version']}"
                    if not args.json:
                        print_phase(f"{name}, {backend}, {args.writers} x {runs} runs", res)
                if "mlflow" in results:
                    mine, theirs = results["ours"], results["mlflow"]
                    results["ratios"] = {
                        "runs_per_s_ours_over_mlflow": (
                            mine["runs_per_s"] / theirs["runs_per_s"]
                            if theirs["runs_per_s"]
                            else None
                        ),
                        "run_latency_p50_mlflow_over_ours": (
                            theirs["run_latency_p50_s"] / mine["run_latency_p50_s"]
                            if theirs["run_latency_p50_s"] and mine["run_latency_p50_s"]
                            else None
                        ),
                        "list_p50_mlflow_over_ours": (
                            theirs["list_p50_s"] / mine["list_p50_s"]
                            if theirs["list_p50_s"] and mine["list_p50_s"]
                            else None
                        ),
                    }
                    say(f"\n  Ratios on {backend}")
                    say(
                        f"    runs/s ours / MLflow            "
                        f"{ratio(mine['runs_per_s'], theirs['runs_per_s']):>10}"
                    )
                    say(
                        f"    one run p50 MLflow / ours       "
                        f"{ratio(theirs['run_latency_p50_s'], mine['run_latency_p50_s']):>10}"
                    )
                    say(
                        f"    list p50 MLflow / ours          "
                        f"{ratio(theirs['list_p50_s'], mine['list_p50_s']):>10}"
                    )
                report["backends"][backend] = results
        finally:
            if cluster is not None:
                cluster.close()
    report["total_s"] = time.perf_counter() - t_start
    say(f"\n(total {report['total_s']:.0f} s)")
    if args.json:
        print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
