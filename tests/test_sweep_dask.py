"""Sweeps on a real ``dask.distributed`` cluster: a scheduler and two worker processes on
127.0.0.1, writing to the test's store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _notebooks import LOAD, write_notebook

from mlops_jupyter.models import RunStatus
from mlops_jupyter.store import get_store
from mlops_jupyter.sweep import expand_grid, run_sweep

pytestmark = [
    pytest.mark.kernel,
    # distributed's own shutdown chatter is not ours to fix.
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]


@pytest.fixture
def cluster_address() -> Iterator[str]:
    from distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    try:
        yield str(cluster.scheduler_address)
    finally:
        cluster.close()


def test_dask_executor_records_runs(tmp_path: Path, cluster_address: str) -> None:
    assert cluster_address.startswith("tcp://127.0.0.1:")
    notebook = write_notebook(
        tmp_path / "dask.ipynb",
        LOAD,
        "%%track --quiet\nimport mlops_jupyter\nx = 1\nmlops_jupyter.log_metric('y', x * 2)",
    )
    seen: list[dict[str, Any]] = []
    result = run_sweep(
        str(notebook),
        expand_grid({"x": [1, 2, 3]}),
        workers=2,
        executor="dask://" + cluster_address[len("tcp://") :],
        progress=lambda counts: seen.append(dict(counts)),
    )
    assert result.ok, [e.error for e in result.sweep.executions]
    assert max(c["running"] for c in seen) == 2
    runs = {r.id: r for r in get_store().search_runs()}
    assert len(runs) == 3
    hosts = set()
    for execution in result.sweep.executions:
        (run_id,) = execution.run_ids
        run = runs[run_id]
        assert run.sweep_id == result.sweep.id
        assert run.status is RunStatus.FINISHED
        assert run.metrics == {"y": 2.0 * execution.params["x"]}
        hosts.add(run.pid)
    assert len(hosts) == 3  # one kernel per execution
