"""Benchmark: the run list endpoint over 10k and 100k runs, against MLflow's search_runs.

    python benchmarks/bench_list.py [--sizes 10000,100000] [--requests 50]
                                    [--mlflow-runs 10000] [--no-mlflow]
                                    [--competitor-python .venv-bench/bin/python]

Each store is filled in bulk (the store's own tables, plain executemany: not one
``update_run`` per run) with runs of 10 params and 5 metrics. A real Jupyter server is then
started in a subprocess on a free port (never 8888) with a token and ``MLOPS_JUPYTER_STORE``
pointing at the store, and the first page (100 runs, a param filter, sorted by
``metrics.m0`` descending) is fetched ``--requests`` times over one keep-alive connection:

* "repeat": ``params.p2 = "adam"`` each time, as the sidebar polls it (the total count is
  cached per filter and store change token, so it is computed once);
* "new filter": ``params.p0 < x`` with a different x each time, so the count is computed
  every time.

The cost of the count alone and the SQL plans are measured in-process. MLflow (in its own
virtual environment) logs the same synthetic runs into a SQLite store with ``log_batch`` and
answers the same ``search_runs`` (``params.p2 = 'adam'``: MLflow allows no ``<`` on params).
Target: HTTP p50 <= 20 ms at 100k runs.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FILTER = 'params.p2 = "adam"'
COMPOUND_FILTER = 'params.p0 < 0.5 and (params.p2 = "adam" or metrics.m1 > 0.5)'
SORT = "metrics.m0"
N_PARAMS, N_METRICS = 10, 5


def synthetic_runs(n: int, seed: int = 0) -> list[dict[str, Any]]:
    """Deterministic runs: ``p0..p9`` (floats, p1 int, p2 text), ``m0..m4`` floats."""
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    out = []
    for i in range(n):
        params: dict[str, Any] = {f"p{j}": round(rng.random(), 6) for j in range(N_PARAMS)}
        params["p1"] = rng.randrange(1, 100)
        params["p2"] = rng.choice(["adam", "sgd", "rmsprop"])
        out.append(
            {
                "id": uuid.UUID(int=rng.getrandbits(128)).hex,
                "experiment": f"exp{i % 10}",
                "name": f"run-{i}",
                "started_at": start + timedelta(seconds=i),
                "duration": rng.uniform(1, 100),
                "params": params,
                "metrics": {f"m{j}": rng.random() for j in range(N_METRICS)},
            }
        )
    return out


def fill_store(directory: Path, runs: list[dict[str, Any]]) -> float:
    """Create a store in ``directory`` and bulk-insert ``runs``; return the seconds taken."""
    import sqlite3

    from sqlalchemy.dialects import sqlite

    from mlops_jupyter.models import format_datetime
    from mlops_jupyter.store import StoreLocation, open_store
    from mlops_jupyter.store.schema import metrics, params, store_state
    from mlops_jupyter.store.schema import runs as runs_table

    t0 = time.perf_counter()
    open_store(StoreLocation.for_directory(str(directory))).close()  # schema via Alembic
    dialect = sqlite.dialect(paramstyle="qmark")

    def insert_sql(table: Any, columns: list[str]) -> str:
        return str(table.insert().compile(dialect=dialect, column_keys=columns))

    run_cols = ["id", "experiment", "name", "status", "started_at", "ended_at", "source"]
    run_cols += ["record", "duration"]
    run_rows, param_rows, metric_rows = [], [], []
    for r in runs:
        started = r["started_at"]
        ended = started + timedelta(seconds=r["duration"])
        run_rows.append(
            (
                r["id"],
                r["experiment"],
                r["name"],
                "finished",
                format_datetime(started),
                format_datetime(ended),
                "x = 1",
                "{}",
                r["duration"],
            )
        )
        for k, v in r["params"].items():
            num = float(v) if isinstance(v, int | float) else None
            text = v if isinstance(v, str) else None
            param_rows.append((r["id"], k, json.dumps(v), num, text))
        for k, v in r["metrics"].items():
            metric_rows.append((r["id"], k, v, 0, 0.0))
    conn = sqlite3.connect(directory / "runs.db")
    try:
        with conn:
            conn.executemany(insert_sql(runs_table, run_cols), run_rows)
            conn.executemany(
                insert_sql(params, ["run_id", "key", "value_json", "value_num", "value_text"]),
                param_rows,
            )
            conn.executemany(
                insert_sql(metrics, ["run_id", "key", "value", "step", "timestamp"]), metric_rows
            )
            conn.execute(f"UPDATE {store_state.name} SET change_seq = change_seq + 1 WHERE id = 1")
        conn.execute("ANALYZE")
    finally:
        conn.close()
    return time.perf_counter() - t0


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def in_process(directory: Path, repeat: int = 20) -> dict[str, Any]:
    """Store-level timings: the count alone, the page alone, and the SQL plans."""
    from mlops_jupyter.query import parse_filter, parse_sort
    from mlops_jupyter.store import StoreLocation, open_store
    from mlops_jupyter.store.sql.listing import compile_count

    store = open_store(StoreLocation.for_directory(str(directory)))
    try:
        where = parse_filter(FILTER)
        engine = store.engine
        counts: dict[str, float] = {}
        plans: dict[str, list[str]] = {}
        page_s: list[float] = []
        # One comparison (counted on the params index alone) and a compound filter (the
        # general count: runs.id IN (...) per condition).
        for label, text in (("count", FILTER), ("count_compound", COMPOUND_FILTER)):
            count_query = compile_count(parse_filter(text))
            samples = []
            with engine.connect() as conn:
                for _ in range(repeat):
                    t = time.perf_counter()
                    conn.execute(count_query).scalar_one()
                    samples.append(time.perf_counter() - t)
                compiled = count_query.compile(engine, compile_kwargs={"literal_binds": True})
                plans[label] = [
                    r[-1] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")
                ]
            counts[label] = statistics.median(samples) * 1e3
        sort = parse_sort(SORT)
        for _ in range(repeat):
            store._count_cache.clear()
            t = time.perf_counter()
            page = store.list_runs(where=where, sort=sort, limit=100)
            page_s.append(time.perf_counter() - t)
        cached_s = []
        for _ in range(repeat):
            t = time.perf_counter()
            store.list_runs(where=where, sort=sort, limit=100)
            cached_s.append(time.perf_counter() - t)
        plans["page"] = explain_page(store, where)
        return {
            "count_p50_ms": counts["count"],
            "count_compound_p50_ms": counts["count_compound"],
            "list_uncached_p50_ms": statistics.median(page_s) * 1e3,
            "list_cached_count_p50_ms": statistics.median(cached_s) * 1e3,
            "total": page.total,
            "plans": plans,
        }
    finally:
        store.close()


def explain_page(store: Any, where: Any) -> list[str]:
    """EXPLAIN QUERY PLAN of the page query (runs having the metric, best first)."""
    from sqlalchemy import and_, select

    from mlops_jupyter.store.schema import metrics, runs
    from mlops_jupyter.store.sql.listing import compile_filter
    from mlops_jupyter.store.sql.rows import LIST_COLUMNS

    m = metrics.alias("sort_metric")
    query = (
        select(*LIST_COLUMNS)
        .select_from(m.join(runs, runs.c.id == m.c.run_id))
        .where(and_(m.c.key == "m0", m.c.value.is_not(None)), compile_filter(where))
        .order_by(m.c.value.desc(), m.c.run_id.desc())
        .limit(100)
    )
    engine = store.engine
    compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
    with engine.connect() as conn:
        return [r[-1] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")]


def free_port() -> int:
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port != 8888:
            return port


def start_server(directory: Path, token: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {**os.environ, "MLOPS_JUPYTER_STORE": str(directory)}
    root = Path(tempfile.mkdtemp(prefix="bench-list-root-"))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter_server",
            "--no-browser",
            "--allow-root",
            "--ip=127.0.0.1",
            f"--port={port}",
            "--port-retries=0",
            f"--IdentityProvider.token={token}",
            "--ServerApp.jpserver_extensions={'mlops_jupyter': True}",
            f"--ServerApp.root_dir={root}",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            status, _ = get(port, token, "/mlops-jupyter/api/status")
            if status == 200:
                return proc, port
        except OSError:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("the Jupyter server did not start")


def get(port: int, token: str, path: str, conn: Any = None) -> tuple[int, bytes]:
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Authorization": f"token {token}"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        if own:
            conn.close()


def list_path(text: str) -> str:
    query = urllib.parse.urlencode({"filter": text, "sort": SORT, "order": "desc", "limit": 100})
    return f"/mlops-jupyter/api/runs?{query}"


def measure_http(directory: Path, requests: int) -> dict[str, Any]:
    token = uuid.uuid4().hex
    proc, port = start_server(directory, token)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        results: dict[str, Any] = {}
        for label, paths in (
            ("repeat", [list_path(FILTER)] * requests),
            (
                "new_filter",
                [list_path(f"params.p0 < {0.5 + i * 1e-6}") for i in range(1, requests + 1)],
            ),
        ):
            for _ in range(5):  # warm-up: store opening, statement caches
                status, body = get(port, token, list_path(FILTER), conn)
                assert status == 200, body
            samples = []
            for path in paths:
                t = time.perf_counter()
                status, body = get(port, token, path, conn)
                samples.append(time.perf_counter() - t)
                assert status == 200, body
            page = json.loads(body)
            assert len(page["runs"]) == 100
            results[label] = {
                "p50_ms": percentile(samples, 0.5) * 1e3,
                "p90_ms": percentile(samples, 0.9) * 1e3,
                "bytes": len(body),
            }
        conn.close()
        return results
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def run_mlflow(python: str, n: int, requests: int) -> dict[str, Any]:
    out = subprocess.run(
        [python, str(Path(__file__).with_name("_mlflow_list.py")), str(n), str(requests)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--mlflow-runs", default="10000", help="comma-separated sizes")
    parser.add_argument("--no-mlflow", action="store_true")
    parser.add_argument("--competitor-python", default=str(ROOT / ".venv-bench" / "bin" / "python"))
    args = parser.parse_args()
    ours: dict[int, dict[str, Any]] = {}
    for size in [int(s) for s in args.sizes.split(",")]:
        with tempfile.TemporaryDirectory(prefix="bench-list-") as tmp:
            directory = Path(tmp)
            runs = synthetic_runs(size)
            fill_s = fill_store(directory, runs)
            stats = in_process(directory)
            stats["fill_s"] = fill_s
            stats["http"] = measure_http(directory, args.requests)
            ours[size] = stats
        h = stats["http"]
        print(f"\n== mlops-jupyter, {size} runs (filled in {fill_s:.1f} s) ==")
        print(f"  matching runs (total): {stats['total']}")
        print(
            f"  HTTP first page, repeated:   p50 {h['repeat']['p50_ms']:.2f} ms, "
            f"p90 {h['repeat']['p90_ms']:.2f} ms ({h['repeat']['bytes']} bytes)"
        )
        print(
            f"  HTTP first page, new filter: p50 {h['new_filter']['p50_ms']:.2f} ms, "
            f"p90 {h['new_filter']['p90_ms']:.2f} ms (count computed every time)"
        )
        print(
            f"  in-process: count {stats['count_p50_ms']:.2f} ms (compound filter "
            f"{stats['count_compound_p50_ms']:.2f} ms), list with count "
            f"{stats['list_uncached_p50_ms']:.2f} ms, list with cached count "
            f"{stats['list_cached_count_p50_ms']:.2f} ms"
        )
        for name, plan in stats["plans"].items():
            print(f"  plan[{name}]: " + " | ".join(plan))
    if args.no_mlflow or not Path(args.competitor_python).exists():
        print("\n(MLflow skipped)")
        return
    for size in [int(s) for s in args.mlflow_runs.split(",")]:
        theirs = run_mlflow(args.competitor_python, size, args.requests)
        print(
            f"\n== MLflow {theirs['version']}, {size} runs (logged in {theirs['fill_s']:.1f} s, "
            f"{theirs['fill_s'] / size * 1e3:.1f} ms/run) =="
        )
        print(
            f"  search_runs first page: p50 {theirs['p50_ms']:.2f} ms, "
            f"p90 {theirs['p90_ms']:.2f} ms ({theirs['n_results']} runs)"
        )
        if size in ours:
            mine = ours[size]["http"]
            for label in ("repeat", "new_filter"):
                print(
                    f"  ratio MLflow / ours ({label}, HTTP): p50 "
                    f"{theirs['p50_ms'] / mine[label]['p50_ms']:.1f}x, p90 "
                    f"{theirs['p90_ms'] / mine[label]['p90_ms']:.1f}x"
                )


if __name__ == "__main__":
    main()
