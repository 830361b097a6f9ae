"""Shared fixtures. Every test gets its own store: none may touch the user's real one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from _postgres import PostgresCluster

pytest_plugins = ["pytest_jupyter.jupyter_server"]


@pytest.fixture(autouse=True)
def isolated_store(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Point MLOPS_JUPYTER_STORE at a fresh directory for the test (and its kernels)."""
    store_dir = tmp_path_factory.mktemp("store")
    monkeypatch.setenv("MLOPS_JUPYTER_STORE", str(store_dir))
    # Spools of writes that could not reach a database: never in the user's home either.
    monkeypatch.setenv("MLOPS_JUPYTER_SPOOL", str(tmp_path_factory.mktemp("spool")))
    try:
        from mlops_jupyter.store import reset_store_cache
    except ImportError:  # pragma: no cover - the store package is always present
        reset_store_cache = None
    if reset_store_cache is not None:
        reset_store_cache()
    yield store_dir
    if reset_store_cache is not None:
        reset_store_cache()


@pytest.fixture
def jp_server_config(isolated_store: Path) -> dict[str, Any]:
    """The Jupyter server of every handler test: our extension, and no unauthenticated access
    (jupyter_server's default would let an undecorated verb through)."""
    return {
        "ServerApp": {
            "jpserver_extensions": {"mlops_jupyter": True},
            "allow_unauthenticated_access": False,
        }
    }


# -- PostgreSQL ------------------------------------------------------------------------------
# A real server started by the tests (see tests/_postgres.py). Missing server binaries make
# these fixtures fail with how to install them: CI must never skip the PostgreSQL tests.


def _new_cluster() -> PostgresCluster:
    from _postgres import PostgresCluster, find_pg_bin, make_base_dir

    try:
        find_pg_bin()
        missing = ""
    except RuntimeError as exc:
        missing = str(exc)
    if missing:  # failed outside the except block: the message alone, no chained traceback
        pytest.fail(missing, pytrace=False)
    cluster = PostgresCluster(make_base_dir())
    try:
        cluster.start()
    except BaseException:
        cluster.close()
        raise
    return cluster


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """One PostgreSQL server for the whole session, started on first use.

    Tests should not stop it (use ``private_postgres`` for that) nor change its settings.
    """
    cluster = _new_cluster()
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.fixture
def postgres_url(postgres_cluster: PostgresCluster) -> Iterator[str]:
    """The URL of a new, empty database (no tables) on the session's server.

    ``postgresql+psycopg://postgres@127.0.0.1:PORT/t_...``; dropped after the test (with
    any connection still open to it).
    """
    url = postgres_cluster.create_database()
    yield url
    postgres_cluster.drop_database(url.rsplit("/", 1)[1])


@pytest.fixture
def private_postgres() -> Iterator[PostgresCluster]:
    """A started PostgreSQL server of the test's own, which it may stop and start again.

    ``private_postgres.create_database()`` gives a database URL; ``stop()`` / ``start()``
    take the server down and back up on the same port with the same data. Removed after the
    test. Costs about a second (``initdb``).
    """
    cluster = _new_cluster()
    try:
        yield cluster
    finally:
        cluster.close()
