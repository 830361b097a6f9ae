"""Faults on one machine: a full disk, an unreachable database, killed and interrupted kernels.

Each scenario uses real processes: an IPython shell or a Jupyter kernel writing to a real
SQLite file on a real (small) filesystem, or to a real PostgreSQL server that the test stops
and starts again.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from mlops_jupyter.models import RunStatus, utcnow
from mlops_jupyter.store import RunStore, open_store, resolve_store_location

if TYPE_CHECKING:
    from _postgres import PostgresCluster

pytestmark = pytest.mark.kernel

# Runs inside a private mount namespace (see _in_private_mounts): mounts a 4 MiB tmpfs at
# argv[1] for the store, keeps the spool in argv[2], and tracks cells in a real IPython
# shell; each scenario below ends by printing one JSON report.
SMALL_DISK = textwrap.dedent(
    r"""
    import contextlib, io, json, os, sqlite3, subprocess, sys
    from pathlib import Path

    disk, spool = Path(sys.argv[1]), Path(sys.argv[2])
    disk.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)], check=True)
    store = disk / "store"
    os.environ["MLOPS_JUPYTER_STORE"] = str(store)
    os.environ["MLOPS_JUPYTER_SPOOL"] = str(spool)

    from IPython.core.interactiveshell import InteractiveShell
    from mlops_jupyter.tracking import get_tracker

    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "mlops_jupyter")

    def cell(name, points):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            result = ip.run_cell(
                f"%%track --quiet --name {name}\n"
                "from mlops_jupyter import log_metric\n"
                f"for step in range({points}):\n"
                "    log_metric('loss', 1 / (step + 1))\n"
                f"'{name} done'\n",
                store_history=True,
            )
            get_tracker().drain(60)
        ok = result.error_in_exec is None and result.result == f"{name} done"
        return {"ok": ok, "stderr": err.getvalue()}

    def fill():
        # Take every free byte of the small disk (unbuffered: nothing left to flush).
        fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT, 0o644)
        for size in (65536, 512, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                pass
        os.close(fd)

    def database():
        with contextlib.closing(sqlite3.connect(store / "runs.db")) as conn:
            return {
                "integrity": conn.execute("PRAGMA integrity_check").fetchone()[0],
                "runs": dict(conn.execute("SELECT name, status FROM runs")),
                "points": dict(
                    conn.execute(
                        "SELECT r.name, count(*) FROM metric_steps m "
                        "JOIN runs r ON r.id = m.run_id GROUP BY r.name"
                    )
                ),
            }
    """
)

# The spool is on another disk: the run is kept there and synced once space is freed.
DISK_FULL = SMALL_DISK + textwrap.dedent(
    """
    cells = {"before": cell("before", 10)}
    fill()
    cells["full_spooled"] = cell("full_spooled", 20000)  # more than the WAL absorbs in place
    cells["still_full"] = cell("still_full", 10)  # shows the notice about the earlier run
    (disk / "filler").unlink()
    cells["after"] = cell("after", 10)  # the spool is synced, this run stored
    get_tracker().drain(60)
    spool_left = sorted(p.name for p in spool.rglob("*.jsonl"))
    print(json.dumps({"cells": cells, "spool_left": spool_left, **database()}))
    """
)

# The spool is on the full disk too: nothing can be kept, the user is told so clearly and the
# database stays valid.
DISK_FULL_NOWHERE = SMALL_DISK + textwrap.dedent(
    """
    cells = {"before": cell("before", 10)}
    fill()
    cells["lost"] = cell("lost", 20000)
    cells["next"] = cell("next", 1)
    (disk / "filler").unlink()
    print(json.dumps({"cells": cells, **database()}))
    """
)


def _in_private_mounts(script: str, *args: str) -> dict[str, object]:
    """Run ``script`` in its own mount namespace: its tmpfs vanishes with it, whatever
    happens to the test."""
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.fail("util-linux's unshare is needed for the disk-full tests")
    prefix = [unshare, "--mount", "--propagation", "private"]
    if os.geteuid() != 0:
        prefix.insert(1, "--map-root-user")
    proc = subprocess.run(
        [*prefix, sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0 and "Operation not permitted" in proc.stderr and os.geteuid() != 0:
        pytest.skip("this machine allows no user mount namespaces (CI runs as root)")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_disk_full_warns_spools_elsewhere_and_loses_nothing(tmp_path: Path) -> None:
    report = _in_private_mounts(DISK_FULL, str(tmp_path / "disk"), str(tmp_path / "spool"))
    cells: dict[str, dict[str, object]] = report["cells"]  # type: ignore[assignment]
    # Every cell completed normally: a full disk never breaks the user's code.
    assert all(c["ok"] for c in cells.values()), cells
    assert cells["before"]["stderr"] == ""
    notice = str(cells["still_full"]["stderr"])
    assert "is full" in notice and "spool" in notice, notice
    assert "synced" in str(cells["after"]["stderr"]), cells["after"]
    assert report["integrity"] == "ok"
    assert report["runs"] == {
        "before": "finished",
        "full_spooled": "finished",
        "still_full": "finished",
        "after": "finished",
    }
    assert report["points"] == {"before": 10, "full_spooled": 20000, "still_full": 10, "after": 10}
    assert report["spool_left"] == []


def test_disk_full_everywhere_is_a_clear_warning_and_the_database_stays_valid(
    tmp_path: Path,
) -> None:
    disk = tmp_path / "disk"
    report = _in_private_mounts(DISK_FULL_NOWHERE, str(disk), str(disk / "spool"))
    cells: dict[str, dict[str, object]] = report["cells"]  # type: ignore[assignment]
    assert cells["before"] == {"ok": True, "stderr": ""}
    assert cells["lost"]["ok"] and cells["next"]["ok"]  # the cells themselves never fail
    notice = str(cells["next"]["stderr"])
    assert "DISK FULL" in notice and "no space left" in notice, notice
    assert "Runs already stored are intact" in notice
    assert report["integrity"] == "ok"
    runs: dict[str, str] = report["runs"]  # type: ignore[assignment]
    assert runs["before"] == "finished"
    assert report["points"]["before"] == 10  # type: ignore[index]


# -- real kernels: killed, interrupted, and the database going away --------------------------


class Kernel:
    """A real IPython kernel (jupyter_client) with a blocking client."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        from jupyter_client.manager import KernelManager

        self.km = KernelManager(kernel_name="python3")
        self.km.start_kernel(cwd=str(cwd), env={**os.environ, **env})
        self.client = self.km.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=120)

    def run(self, code: str, timeout: float = 120) -> tuple[str, str]:
        """Execute ``code``; return its status and everything it wrote to stderr."""
        stderr: list[str] = []

        def output(msg: dict[str, object]) -> None:
            content: dict[str, str] = msg["content"]  # type: ignore[assignment]
            if msg["msg_type"] == "stream" and content.get("name") == "stderr":
                stderr.append(content["text"])
            elif msg["msg_type"] == "error":
                stderr.append(f"{content['ename']}: {content['evalue']}")

        reply = self.client.execute_interactive(code, timeout=timeout, output_hook=output)
        return str(reply["content"]["status"]), "".join(stderr)

    def submit(self, code: str) -> str:
        return str(self.client.execute(code))

    def wait_reply(self, msg_id: str, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while True:
            reply = self.client.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
            if reply["parent_header"].get("msg_id") == msg_id:
                return str(reply["content"]["status"])

    def pid(self) -> int:
        return int(self.km.provisioner.process.pid)  # type: ignore[union-attr]

    def close(self) -> None:
        self.client.stop_channels()
        if self.km.is_alive():
            self.km.shutdown_kernel(now=True)
        self.km.cleanup_resources()


def wait_for(predicate: Callable[[], bool], timeout: float = 60.0, what: str = "it") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def _store_for(setting: str) -> RunStore:
    return open_store(resolve_store_location(override=setting))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_setting(
    request: pytest.FixtureRequest, isolated_store: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """MLOPS_JUPYTER_STORE of the test and its kernels, on each backend."""
    if request.param == "sqlite":
        return str(isolated_store)
    url = str(request.getfixturevalue("postgres_url"))
    monkeypatch.setenv("MLOPS_JUPYTER_STORE", url)
    return url


TRACKED_SLEEP = (
    "%%track --quiet --name {name}\n"
    "import time\n"
    "log_metric('loss', 0.5)\n"
    "log_metric('loss', 0.25)\n"
    "time.sleep(600)\n"
)


def _running_with_metrics(store: RunStore, name: str) -> Callable[[], bool]:
    def check() -> bool:
        found = [r for r in store.search_runs() if r.name == name]
        return bool(found) and found[0].metrics.get("loss") == 0.25

    return check


def test_killed_kernel_becomes_crashed_with_its_metrics(store_setting: str, tmp_path: Path) -> None:
    # The lease is long: a SIGKILLed kernel on this host is noticed from its pid at once;
    # elsewhere (another machine of the team) after the lease without heartbeats.
    kernel = Kernel(tmp_path, {"MLOPS_JUPYTER_STORE": store_setting})
    store = _store_for(store_setting)
    try:
        assert (
            kernel.run("%load_ext mlops_jupyter\nfrom mlops_jupyter import log_metric")[0] == "ok"
        )
        kernel.submit(TRACKED_SLEEP.format(name="doomed"))
        wait_for(_running_with_metrics(store, "doomed"), what="the run and its metrics")
        os.kill(kernel.pid(), signal.SIGKILL)
        wait_for(lambda: not kernel.km.is_alive(), what="the kernel to die")
        assert store.mark_stale_runs_crashed(lease_seconds=3600) != []
        run = store.search_runs()[0]
        assert run.status is RunStatus.CRASHED and run.name == "doomed"
        assert run.metrics == {"loss": 0.25}
        assert [p.value for p in store.metric_series(run.id, "loss")] == [0.5, 0.25]
        assert "no longer exists" in str(run.extra.get("crash_reason"))
    finally:
        kernel.close()
        store.close()


def test_killed_kernel_on_another_host_is_crashed_after_the_lease(
    store_setting: str, tmp_path: Path
) -> None:
    # As seen from another machine of the team: the pid means nothing there, only the lease.
    kernel = Kernel(tmp_path, {"MLOPS_JUPYTER_STORE": store_setting})
    store = _store_for(store_setting)
    try:
        status, _ = kernel.run("%load_ext mlops_jupyter\nfrom mlops_jupyter import log_metric")
        assert status == "ok"
        kernel.submit(TRACKED_SLEEP.format(name="remote"))
        wait_for(_running_with_metrics(store, "remote"), what="the run and its metrics")
        run_id = store.search_runs()[0].id
        os.kill(kernel.pid(), signal.SIGKILL)
        wait_for(lambda: not kernel.km.is_alive(), what="the kernel to die")
        store._transact(  # type: ignore[attr-defined]
            lambda conn: (
                conn.exec_driver_sql(
                    f"UPDATE runs SET host = 'elsewhere.example' WHERE id = '{run_id}'"
                ).rowcount
            ),
            write=True,
        )
        assert store.mark_stale_runs_crashed(lease_seconds=30) == []  # within its lease
        later = utcnow() + timedelta(seconds=31)
        assert store.mark_stale_runs_crashed(lease_seconds=30, now=later) == [run_id]
        run = store.get_run(run_id)
        assert run.status is RunStatus.CRASHED and run.metrics == {"loss": 0.25}
        assert "no heartbeat for more than 30 s" in str(run.extra.get("crash_reason"))
    finally:
        kernel.close()
        store.close()


def test_interrupted_kernel_records_interrupted(store_setting: str, tmp_path: Path) -> None:
    kernel = Kernel(tmp_path, {"MLOPS_JUPYTER_STORE": store_setting})
    store = _store_for(store_setting)
    try:
        assert (
            kernel.run("%load_ext mlops_jupyter\nfrom mlops_jupyter import log_metric")[0] == "ok"
        )
        msg_id = kernel.submit(TRACKED_SLEEP.format(name="stopped"))
        wait_for(_running_with_metrics(store, "stopped"), what="the run and its metrics")
        kernel.km.interrupt_kernel()
        assert kernel.wait_reply(msg_id) == "error"  # the user sees KeyboardInterrupt
        assert kernel.run("1 + 1")[0] == "ok"  # and the kernel lives on
        assert (
            kernel.run(
                "from mlops_jupyter.tracking import get_tracker\nassert get_tracker().drain(60)"
            )[0]
            == "ok"
        )
        run = store.search_runs()[0]
        assert run.status is RunStatus.INTERRUPTED and run.metrics == {"loss": 0.25}
        assert run.error is not None and run.error.type == "KeyboardInterrupt"
    finally:
        kernel.close()
        store.close()


@pytest.mark.postgres
def test_database_unreachable_mid_run_spools_and_syncs_without_duplicates(
    private_postgres: PostgresCluster, tmp_path: Path
) -> None:
    url = private_postgres.create_database()
    spool_root = tmp_path / "spool"
    kernel = Kernel(tmp_path, {"MLOPS_JUPYTER_STORE": url, "MLOPS_JUPYTER_SPOOL": str(spool_root)})
    store = _store_for(url)
    try:
        status, err = kernel.run(
            "%load_ext mlops_jupyter\nfrom mlops_jupyter import log_metric\nimport time"
        )
        assert status == "ok", err
        assert kernel.run("%%track --quiet --name before\nlog_metric('loss', 1.0)") == ("ok", "")
        # The database goes away while a tracked cell is logging metrics.
        msg_id = kernel.submit(
            "%%track --quiet --name during\n"
            "for step in range(40):\n"
            "    log_metric('loss', 1 / (step + 1))\n"
            "    time.sleep(0.05)\n"
        )
        time.sleep(0.6)
        private_postgres.stop("immediate")
        assert kernel.wait_reply(msg_id) == "ok"  # the cell completes
        status, err = kernel.run("%%track --quiet --name down\nlog_metric('loss', 3.0)")
        assert status == "ok"
        assert "kept in the local spool" in err, err
        spooled = list(spool_root.rglob("*.jsonl"))
        assert len(spooled) == 1 and spooled[0].stat().st_size > 0
        assert url.rsplit("@", 1)[1] not in spooled[0].read_text()  # no URL in the spool

        private_postgres.start()

        def synced() -> bool:
            try:
                runs = {r.name: r for r in store.search_runs()}
            except Exception:
                return False
            return {n: r.status for n, r in runs.items()} == {
                "before": RunStatus.FINISHED,
                "during": RunStatus.FINISHED,
                "down": RunStatus.FINISHED,
            }

        wait_for(synced, timeout=60, what="the spool to be synced")
        runs = {r.name: r for r in store.search_runs()}
        assert [s for s, _ in store.metric_step_values(runs["during"].id, "loss")] == list(
            range(40)
        )
        assert runs["during"].metrics == {"loss": pytest.approx(1 / 40)}
        assert runs["down"].metrics == {"loss": 3.0}
        assert len(store.metric_step_values(runs["before"].id, "loss")) == 1
        status, err = kernel.run("%%track --quiet --name after\nlog_metric('loss', 4.0)")
        assert status == "ok" and "synced" in err, err
        assert not list(spool_root.rglob("*.jsonl"))
    finally:
        kernel.close()
        store.close()


@pytest.mark.postgres
async def test_spool_of_a_kernel_killed_while_the_database_was_down_is_synced_by_the_server(
    private_postgres: PostgresCluster,
    tmp_path: Path,
    jp_fetch: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = private_postgres.create_database()
    spool_root = tmp_path / "spool"
    env = {"MLOPS_JUPYTER_STORE": url, "MLOPS_JUPYTER_SPOOL": str(spool_root)}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    kernel = Kernel(tmp_path, env)
    try:
        assert (
            kernel.run("%load_ext mlops_jupyter\nfrom mlops_jupyter import log_metric")[0] == "ok"
        )
        assert kernel.run("%%track --quiet --name first\nlog_metric('loss', 1.0)")[0] == "ok"
        private_postgres.stop("immediate")
        status, _ = kernel.run(
            "%%track --quiet --name orphaned\nfor s in range(5):\n    log_metric('loss', s)"
        )
        assert status == "ok"
        assert (
            kernel.run("from mlops_jupyter.tracking import get_tracker\nget_tracker().drain(5)")[0]
            == "ok"
        )
        assert len(list(spool_root.rglob("*.jsonl"))) == 1
        os.kill(kernel.pid(), signal.SIGKILL)
        wait_for(lambda: not kernel.km.is_alive(), what="the kernel to die")
    finally:
        kernel.close()
    private_postgres.start()

    response = await jp_fetch("mlops-jupyter", "api", "runs")
    body = json.loads(response.body)
    by_name = {r["name"]: r for r in body["runs"]}
    assert by_name["orphaned"]["status"] == "finished"
    assert by_name["orphaned"]["metrics"] == {"loss": 4}
    assert not list(spool_root.rglob("*.jsonl"))
    store = _store_for(url)
    try:
        run_id = by_name["orphaned"]["id"]
        assert [s for s, _ in store.metric_step_values(run_id, "loss")] == [0, 1, 2, 3, 4]
    finally:
        store.close()


@pytest.mark.postgres
def test_database_down_before_the_first_tracked_cell_still_records_the_run(
    private_postgres: PostgresCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = private_postgres.create_database()
    monkeypatch.setenv("MLOPS_JUPYTER_BLOBS", str(tmp_path / "blobs"))
    spool_root = tmp_path / "spool"
    (tmp_path / "data.csv").write_text("a,b\n1,2\n")
    kernel = Kernel(
        tmp_path,
        {
            "MLOPS_JUPYTER_STORE": url,
            "MLOPS_JUPYTER_SPOOL": str(spool_root),
            "MLOPS_JUPYTER_BLOBS": str(tmp_path / "blobs"),
        },
    )
    private_postgres.stop("fast")
    store = None
    try:
        status, err = kernel.run("%load_ext mlops_jupyter\nfrom mlops_jupyter import log_metric")
        assert status == "ok", err
        started = time.monotonic()
        status, err = kernel.run(
            "%%track --quiet --name offline --artifact data.csv\nlr = 0.1\nlog_metric('acc', 0.9)"
        )
        took = time.monotonic() - started
        assert status == "ok"
        assert "unreachable" in err and "spool" in err, err
        assert took < 3, f"the cell waited {took:.1f} s for the database"
        status, err = kernel.run("%%track --quiet --name offline2\nlog_metric('acc', 0.8)")
        assert status == "ok", err
        assert list(spool_root.rglob("*.jsonl"))

        private_postgres.start()
        store = _store_for(url)

        def synced() -> bool:
            names = {r.name: r.status for r in store.search_runs()}
            return names == {"offline": RunStatus.FINISHED, "offline2": RunStatus.FINISHED}

        wait_for(synced, timeout=60, what="the offline runs to be synced")
        run = next(r for r in store.search_runs() if r.name == "offline")
        assert run.params == {"lr": 0.1} and run.metrics == {"acc": 0.9}
        assert run.env.get("python"), "the environment was captured offline too"
        assert [a.path for a in run.artifacts] == ["data.csv"]
        assert store.blobs.get_bytes(run.artifacts[0].sha256) == b"a,b\n1,2\n"
    finally:
        kernel.close()
        if store is not None:
            store.close()
