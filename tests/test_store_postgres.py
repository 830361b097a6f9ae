"""The run store on a real PostgreSQL server: what only PostgreSQL has.

The store contract itself runs on PostgreSQL too, in ``test_store.py``. Here: concurrent
first opens migrating once, the Jupyter server on a PostgreSQL URL, an unreachable server,
URL handling and secrets, deadlock retries and the translation of server errors.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy
from _api_helpers import fetch
from _postgres import PostgresCluster
from _processes import run_together

from mlops_jupyter.models import MetricPoint, Run, RunStatus
from mlops_jupyter.store import (
    InvalidArgumentError,
    RunStore,
    StoreError,
    StoreFullError,
    StoreLocation,
    StoreUnavailableError,
    open_store,
    resolve_store_location,
)
from mlops_jupyter.store.schema import SCHEMA_REVISION

pytestmark = pytest.mark.postgres

SECRET = "s3cret-Pa55"


def location(url: str, tmp_path: Path) -> StoreLocation:
    return resolve_store_location({"MLOPS_JUPYTER_BLOBS": str(tmp_path / "blobs")}, override=url)


def with_password(url: str) -> str:
    # The servers trust local connections: libpq never sends the password, but the store
    # still holds it and must never show it.
    return url.replace("postgres@", f"postgres:{SECRET}@", 1)


@pytest.fixture
def pg_store(postgres_url: str, tmp_path: Path) -> Iterator[RunStore]:
    store = open_store(location(postgres_url, tmp_path))
    try:
        yield store
    finally:
        store.close()


# -- concurrent first open ----------------------------------------------------------------

# Each worker imports everything, says "ready", waits for the go file (so that all open the
# fresh database at the same instant), opens the store and writes a few runs.
WORKER = r"""
import json, sys, time
from pathlib import Path

from mlops_jupyter.models import MetricPoint, Run, RunStatus, utcnow
from mlops_jupyter.store import StoreLocation, open_store
import mlops_jupyter.store.sql, psycopg  # imported before the start signal

url, blobs, go, worker = sys.argv[1], sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
print("ready", flush=True)
while not go.exists():
    time.sleep(0.001)
store = open_store(StoreLocation(url, blobs, "pg"))
result = {"migrated": store.migrated, "runs": 0}
for i in range(5):
    run = Run.new("concurrency", name=f"w{worker}-{i}", params={"worker": worker, "i": i})
    store.create_run(run)
    store.log_metric_points(run.id, [MetricPoint("loss", 1.0 / (s + 1), s, 1.0) for s in range(5)])
    run.status = RunStatus.FINISHED
    run.ended_at = utcnow()
    run.metrics = {"loss": 0.2, "worker": float(worker)}
    store.update_run(run)
    result["runs"] += 1
store.close()
print(json.dumps(result), flush=True)
"""


def test_processes_opening_a_fresh_database_at_once_migrate_it_once(
    postgres_url: str, postgres_cluster: PostgresCluster, tmp_path: Path
) -> None:
    n_workers = 5
    argvs = [
        [postgres_url, str(tmp_path / "blobs"), str(tmp_path / "go"), str(w)]
        for w in range(n_workers)
    ]
    results = run_together(WORKER, argvs, tmp_path / "go")

    assert sorted(bool(r["migrated"]) for r in results) == [False] * (n_workers - 1) + [True]
    assert [r["runs"] for r in results] == [5] * n_workers
    dbname = postgres_url.rsplit("/", 1)[1]
    assert postgres_cluster.execute("SELECT version_num FROM alembic_version", dbname) == [
        (SCHEMA_REVISION,)
    ]
    assert postgres_cluster.execute("SELECT count(*) FROM store_state", dbname) == [(1,)]
    with open_store(location(postgres_url, tmp_path)) as store:
        assert not store.migrated  # type: ignore[attr-defined]
        runs = store.search_runs(experiment="concurrency")
        assert {r.name for r in runs} == {f"w{w}-{i}" for w in range(n_workers) for i in range(5)}
        assert all(r.status is RunStatus.FINISHED for r in runs)
        assert all(r.metrics == {"loss": 0.2, "worker": r.params["worker"]} for r in runs)


def test_migrations_create_exactly_the_schema_the_code_uses(
    pg_store: RunStore, postgres_url: str, postgres_cluster: PostgresCluster
) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from mlops_jupyter.store.schema import metadata

    assert pg_store.migrated  # type: ignore[attr-defined]
    engine = sqlalchemy.create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    finally:
        engine.dispose()
    # Byte-order collation on every string column: the test server's default is en-US.
    collations = postgres_cluster.execute(
        "SELECT DISTINCT collation_name FROM information_schema.columns WHERE table_schema ="
        " 'public' AND table_name <> 'store_state' AND table_name <> 'alembic_version'"
        " AND data_type IN ('text', 'character varying')",
        postgres_url.rsplit("/", 1)[1],
    )
    assert collations == [("C",)]


def test_newer_schema_is_refused_without_touching_it(
    postgres_url: str, postgres_cluster: PostgresCluster, tmp_path: Path
) -> None:
    dbname = postgres_url.rsplit("/", 1)[1]
    with open_store(location(postgres_url, tmp_path)) as store:
        store.create_run(Run.new("e"))
    postgres_cluster.execute("UPDATE alembic_version SET version_num = '9999'", dbname)
    with pytest.raises(StoreError, match="upgrade mlops-jupyter"):
        open_store(location(postgres_url, tmp_path))
    assert postgres_cluster.execute("SELECT version_num FROM alembic_version", dbname) == [
        ("9999",)
    ]
    assert postgres_cluster.execute("SELECT count(*) FROM runs", dbname) == [(1,)]


# -- the Jupyter server on PostgreSQL -----------------------------------------------------


@pytest.fixture
def server_store_url(request: pytest.FixtureRequest) -> str:
    """The database the server of a test uses: on the test's ``private_postgres`` if it has
    one (to stop it), else ``postgres_url``."""
    if "private_postgres" in request.fixturenames:
        cluster: PostgresCluster = request.getfixturevalue("private_postgres")
        return cluster.create_database()
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def jp_server_config(
    jp_server_config: dict[str, Any],
    server_store_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, Any]:
    """conftest's server, its store set by the traitlet to a PostgreSQL URL (with password)."""
    # A URL store keeps its blobs where MLOPS_JUPYTER_BLOBS says: here, not in ~.
    monkeypatch.setenv("MLOPS_JUPYTER_BLOBS", str(tmp_path / "blobs"))
    return {**jp_server_config, "MlopsJupyterApp": {"store": with_password(server_store_url)}}


async def test_server_with_a_postgresql_store_serves_the_runs_a_kernel_wrote(
    jp_fetch: Any, postgres_url: str, tmp_path: Path
) -> None:
    # Written as a kernel would: its own store, found from the same setting.
    writer = open_store(location(with_password(postgres_url), tmp_path))
    try:
        run = Run.new(
            "pg",
            name="on-postgres",
            params={"lr": 0.1, "opt": "adam"},
            tags={"db": "pg"},
            env={"python": "3.11"},
        )
        writer.create_run(run)
        writer.log_metric_points(
            run.id, [MetricPoint("loss", 1.0 / (s + 1), s, 1.0) for s in range(3)]
        )
        other = Run.new("pg", name="other", params={"lr": 0.5}, status=RunStatus.FINISHED)
        writer.create_run(other)
    finally:
        writer.close()

    code, status = await fetch(jp_fetch, "status")
    assert code == 200 and status["store"]["kind"] == "postgresql"
    assert SECRET not in json.dumps(status) and ":***@" in status["store"]["location"]

    code, page = await fetch(jp_fetch, "runs", params={"filter": "params.lr < 0.2"})
    assert code == 200 and page["total"] == 1
    assert [r["id"] for r in page["runs"]] == [run.id]
    assert page["runs"][0]["metrics"] == {"loss": 1.0 / 3}

    code, body = await fetch(jp_fetch, "runs", run.id)
    assert code == 200
    assert body["name"] == "on-postgres" and body["tags"] == {"db": "pg"}
    assert body["env"] == {"python": "3.11"}  # from the blob store both sides share

    code, series = await fetch(jp_fetch, "runs", run.id, "metrics", "loss")
    assert code == 200 and series["points"] == [[0, 1.0], [1, 0.5], [2, 1.0 / 3]]
    code, experiments = await fetch(jp_fetch, "experiments")
    assert code == 200 and [e["runs"] for e in experiments["experiments"]] == [2]


async def test_server_answers_503_while_the_database_is_down(
    jp_fetch: Any, private_postgres: PostgresCluster
) -> None:
    code, page = await fetch(jp_fetch, "runs")
    assert code == 200 and page["total"] == 0
    private_postgres.stop()
    code, body = await fetch(jp_fetch, "runs")
    assert code == 503
    assert "unreachable" in body["message"] and SECRET not in body["message"]
    assert f"127.0.0.1:{private_postgres.port}" in body["message"]
    private_postgres.start()
    code, page = await fetch(jp_fetch, "runs")
    assert code == 200 and page["total"] == 0


# -- an unreachable server ----------------------------------------------------------------


def test_unreachable_database_fails_fast_and_the_store_recovers(
    private_postgres: PostgresCluster, tmp_path: Path
) -> None:
    url = with_password(private_postgres.create_database())
    store = open_store(location(url, tmp_path))
    try:
        run = Run.new("e", params={"a": 1})
        store.create_run(run)
        private_postgres.stop()

        operations: dict[str, Callable[[], object]] = {
            "get_run": lambda: store.get_run(run.id),
            "create_run": lambda: store.create_run(Run.new("e")),
            "log_metric_points": lambda: store.log_metric_points(
                run.id, [MetricPoint("m", 1.0, 0, 1.0)]
            ),
            "list_runs": lambda: store.list_runs(),
            "change_token": store.change_token,
            "open_store": lambda: open_store(location(url, tmp_path)),
        }
        for name, operation in operations.items():
            start = time.monotonic()
            with pytest.raises(StoreUnavailableError) as info:
                operation()
            assert time.monotonic() - start < 3, name
            message = str(info.value)
            assert info.value.code == 503, name
            assert message.startswith(
                f"the run database postgresql+psycopg://postgres:***@127.0.0.1:"
                f"{private_postgres.port}/"
            ), message
            assert "is unreachable: " in message and SECRET not in message, message
            assert SECRET not in repr(info.value.__cause__)  # SQLAlchemy masks it too

        private_postgres.start()
        # The same object: its dead pooled connections are replaced, nothing to reopen.
        assert store.get_run(run.id).params == {"a": 1}
        store.log_metric_points(run.id, [MetricPoint("m", 2.0, 1, 2.0)])
        assert store.get_run(run.id).metrics == {"m": 2.0}
        assert store.count_runs() == 1  # the failed create_run wrote nothing
    finally:
        store.close()


def test_a_server_that_never_answers_times_out(tmp_path: Path) -> None:
    # Accepts TCP connections (the kernel completes the handshake) and never says a word,
    # like a wedged server or a firewall that swallows packets after the connect.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        url = f"postgresql://u:{SECRET}@127.0.0.1:{port}/db?connect_timeout=2"
        start = time.monotonic()
        with pytest.raises(StoreUnavailableError) as info:
            open_store(location(url, tmp_path))
        assert 1.5 < time.monotonic() - start < 6
    assert SECRET not in str(info.value) and "timeout" in str(info.value)


def test_connections_time_out_after_5_s_unless_the_url_says(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PGCONNECT_TIMEOUT", raising=False)

    def timeout_of(url: str) -> str | None:
        with open_store(location(url, tmp_path)) as store:
            engine = store.engine  # type: ignore[attr-defined]
            with engine.connect() as conn:
                params: dict[str, str] = conn.connection.driver_connection.info.get_parameters()
                return params.get("connect_timeout")

    assert timeout_of(postgres_url) == "5"
    assert timeout_of(postgres_url + "?connect_timeout=17") == "17"


# -- URLs and secrets ---------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_url_without_a_driver_uses_psycopg_3(
    scheme: str, postgres_url: str, tmp_path: Path
) -> None:
    bare = postgres_url.replace("postgresql+psycopg://", f"{scheme}://", 1)
    loc = location(bare, tmp_path)
    assert loc.db_url == postgres_url
    with open_store(loc) as store:
        assert store.engine.dialect.driver == "psycopg"  # type: ignore[attr-defined]
        store.create_run(Run.new("e"))
        assert store.count_runs() == 1


def test_password_is_never_shown(
    postgres_url: str, postgres_cluster: PostgresCluster, tmp_path: Path
) -> None:
    url = with_password(postgres_url)
    from mlops_jupyter.store.sql import SqlRunStore

    with open_store(location(url, tmp_path)) as store:
        assert isinstance(store, SqlRunStore)
        assert SECRET not in repr(store) and SECRET not in repr(store.location)
        assert SECRET not in str(store.engine.url)
        assert SECRET not in store.location.description and SECRET in store.location.db_url
    missing = with_password(postgres_cluster.url("no_such_database"))
    with pytest.raises(StoreUnavailableError) as info:
        open_store(location(missing, tmp_path))
    assert SECRET not in str(info.value) and "no_such_database" in str(info.value)
    # A driver message quoting the password is scrubbed too.
    with open_store(location(url, tmp_path)) as store:
        assert isinstance(store, SqlRunStore)
        quoting = sqlalchemy.exc.OperationalError(
            "SELECT 1", None, psycopg.OperationalError(f"bad password {SECRET!r}")
        )
        assert SECRET not in str(store.database.faults.translate(quoting))


def test_missing_driver_says_what_to_install(postgres_url: str, tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['psycopg'] = None\n"  # import psycopg now raises ImportError
        "from mlops_jupyter.store import StoreError, StoreLocation, open_store\n"
        "try:\n"
        f"    open_store(StoreLocation({postgres_url!r}, {str(tmp_path)!r}, 'pg'))\n"
        "except StoreError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "install mlops-jupyter[postgres] (psycopg)" in out.stdout, out.stdout + out.stderr


# -- PostgreSQL's own limits and failures -------------------------------------------------


def test_nul_never_reaches_postgresql_text(pg_store: RunStore) -> None:
    # PostgreSQL text cannot hold NUL: the store escapes it in text columns and refuses it
    # in metric names, the same as on SQLite (see the contract tests), so a run is never
    # refused for it. Metric points go through COPY, past SQLAlchemy: refused before it.
    run = Run.new("e\x00", name="x\x00", tags={"k": "a\x00b"}, source="\x00")
    pg_store.create_run(run)
    assert pg_store.get_run(run.id).tags == {"k": "a\\x00b"}
    points = [MetricPoint("ok", 1.0, 0, 1.0), MetricPoint("a\x00b", 1.0, 0, 1.0)]
    with pytest.raises(InvalidArgumentError, match="NUL"):
        pg_store.log_metric_points(run.id, points)
    assert pg_store.metric_series(run.id, "ok") == []
    pg_store.log_metric_points(run.id, points[:1])  # the connection is still usable
    assert len(pg_store.metric_series(run.id, "ok")) == 1


def test_a_nul_that_reaches_the_server_is_a_clear_400(pg_store: RunStore) -> None:
    # The translator's fallback, for a value that took another path than the store's.
    from sqlalchemy import text

    engine: Any = pg_store.engine  # type: ignore[attr-defined]
    with pytest.raises(Exception) as raised, engine.begin() as conn:
        conn.execute(text("SELECT CAST(:v AS text)"), {"v": "a\x00b"})
    error = pg_store.database.faults.translate(raised.value)  # type: ignore[attr-defined]
    assert isinstance(error, InvalidArgumentError) and "NUL" in str(error)


def test_deadlock_victim_transaction_is_retried(
    pg_store: RunStore, postgres_url: str, postgres_cluster: PostgresCluster
) -> None:
    run = Run.new("e", params={"a": 1})
    pg_store.create_run(run)
    engine = pg_store.engine  # type: ignore[attr-defined]
    failures: list[str | None] = []

    @sqlalchemy.event.listens_for(engine, "handle_error")
    def seen(context: Any) -> None:
        failures.append(getattr(context.original_exception, "sqlstate", None))

    dbname = postgres_url.rsplit("/", 1)[1]
    other = psycopg.connect(postgres_cluster.conninfo(dbname))
    errors: list[BaseException] = []
    try:
        # The other transaction locks store_state, which every store write updates last...
        other.execute("SET deadlock_timeout = '10s'")  # the store's backend checks first (1 s)
        other.execute("UPDATE store_state SET change_seq = change_seq WHERE id = 1")

        def update() -> None:
            try:
                run.params = {"a": 2}
                pg_store.update_run(run)
            except BaseException as exc:  # checked by the main thread
                errors.append(exc)

        writer = threading.Thread(target=update)
        writer.start()
        # ...the store's update_run, holding the run's row, waits for it...
        deadline = time.monotonic() + 10
        while not postgres_cluster.execute(
            "SELECT 1 FROM pg_locks WHERE NOT granted AND locktype = 'transactionid'", dbname
        ):
            assert time.monotonic() < deadline, "the store's transaction never blocked"
            time.sleep(0.01)
        # ...and the other transaction now wants the run's row: a deadlock. PostgreSQL
        # aborts the store's transaction, which the store runs again after this commit.
        other.execute("UPDATE runs SET name = 'other' WHERE id = %s", (run.id,))
        other.commit()
        writer.join(timeout=30)
    finally:
        other.close()
    assert errors == []
    assert "40P01" in failures
    got = pg_store.get_run(run.id)
    assert got.params == {"a": 2} and got.name is None  # the retried update won, whole


def test_errors_are_translated_by_what_they_mean(pg_store: RunStore) -> None:
    from mlops_jupyter.store.sql import SqlRunStore

    assert isinstance(pg_store, SqlRunStore)

    def wrapped(orig: Exception) -> sqlalchemy.exc.StatementError:
        # What SQLAlchemy raises for a driver error (an OperationalError, IntegrityError...).
        return sqlalchemy.exc.DBAPIError.instance("INSERT INTO runs ...", None, orig, psycopg.Error)

    # Real psycopg exceptions, as the server would raise them (a full disk cannot be made
    # on demand here).
    full = pg_store.database.faults.translate(
        wrapped(psycopg.errors.DiskFull('could not extend file "base/1/2": No space left'))
    )
    assert isinstance(full, StoreFullError) and full.code == 507
    assert "unchanged" in str(full) and "could not extend" in str(full)
    quota = pg_store.database.faults.translate(
        wrapped(psycopg.errors.IoError("could not write to file: Disk quota exceeded"))
    )
    assert isinstance(quota, StoreFullError)
    for unavailable in (
        psycopg.errors.AdminShutdown("terminating connection due to administrator command"),
        psycopg.errors.CannotConnectNow("the database system is starting up"),
        psycopg.errors.ConnectionFailure("connection failure"),
        psycopg.OperationalError("connection failed: Connection refused"),
    ):
        error = pg_store.database.faults.translate(wrapped(unavailable))
        assert isinstance(error, StoreUnavailableError) and error.code == 503, unavailable
    generic = pg_store.database.faults.translate(
        wrapped(psycopg.errors.UniqueViolation("duplicate key"))
    )
    assert type(generic) is StoreError and generic.code == 500
    # Retried in _transact, never translated into a failure of their own.
    from mlops_jupyter.store.sql.faults import classify as _classify

    for retried in (psycopg.errors.SerializationFailure(), psycopg.errors.DeadlockDetected()):
        assert _classify(wrapped(retried), "postgresql") == "retry"
    assert _classify(OSError(28, os.strerror(28)), "postgresql") == "full"
