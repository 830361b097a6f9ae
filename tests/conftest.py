"""Shared fixtures. Every test gets its own store: none may touch the user's real one."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from _postgres import PostgresCluster

    from mlops_jupyter.store import StoreLocation
    from mlops_jupyter.store.base import RunStore

pytest_plugins = ["pytest_jupyter.jupyter_server"]


# -- The user's own store is never touched ------------------------------------------------
# Each test gets a store of its own (`isolated_store`), but code also runs between tests
# (module-scoped fixtures, writer threads and kernels finishing late) and some settings fall
# back to the per-user default folder by design (a PostgreSQL store without
# MLOPS_JUPYTER_BLOBS keeps its blobs in `<default>/blobs`). So the whole session runs with
# its own default folder (XDG_DATA_HOME) and store, and `default_store_untouched` fails the
# session if the user's real default store was created or changed anyway (e.g. by a
# subprocess started with a cleaned environment).


def _default_store_folders(environ: dict[str, str]) -> list[Path]:
    """The folders a process of this user without MLOPS_JUPYTER_STORE would use."""
    home = Path(environ.get("HOME") or os.path.expanduser("~"))
    folders = [home / ".local" / "share" / "mlops-jupyter"]
    xdg = environ.get("XDG_DATA_HOME", "")
    if xdg and os.path.isabs(xdg):
        folders.append(Path(xdg) / "mlops-jupyter")
    return list(dict.fromkeys(folders))


def _stat(path: Path) -> str | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return f"{info.st_size}:{info.st_mtime_ns}"


def _snapshot(folders: list[Path]) -> dict[str, str | None]:
    """The folders, their entries and the entries one level down (``blobs/ab``) with size and
    modification time: a new run or blob changes one of them, and it stays cheap."""
    seen: dict[str, str | None] = {}
    for folder in folders:
        if _stat(folder) is None:
            continue
        seen[str(folder)] = _stat(folder)
        for child in folder.iterdir():
            seen[str(child)] = _stat(child)
            if child.is_dir() and not child.is_symlink():
                for inner in child.iterdir():
                    seen[str(inner)] = _stat(inner)
    return seen


_USER_STORES = _default_store_folders(dict(os.environ))
_SESSION_DIR = Path(tempfile.mkdtemp(prefix="mlops-pytest-"))
_BEFORE = _snapshot(_USER_STORES)
os.environ["XDG_DATA_HOME"] = str(_SESSION_DIR / "data")
os.environ["MLOPS_JUPYTER_STORE"] = str(_SESSION_DIR / "store")
os.environ["MLOPS_JUPYTER_SPOOL"] = str(_SESSION_DIR / "spool")


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_SESSION_DIR, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def default_store_untouched() -> Iterator[None]:
    """Fail the session when the user's default store was created or changed by the tests."""
    yield
    after = _snapshot(_USER_STORES)
    changed = [f"created {p}" for p in after if p not in _BEFORE]
    changed += [f"changed {p}" for p in after if p in _BEFORE and after[p] != _BEFORE[p]]
    changed += [f"removed {p}" for p in _BEFORE if p not in after]
    if changed:
        pytest.fail(
            "the tests touched the user's default mlops-jupyter store (every test must use a "
            "temporary MLOPS_JUPYTER_STORE):\n  " + "\n  ".join(changed[:20]),
            pytrace=False,
        )


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


# -- A fresh store of each backend ---------------------------------------------------------
# For modules whose tests run on SQLite and on PostgreSQL alike (the registry, gates,
# triggers). A module that defines its own ``store`` or ``location`` uses that one.


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> StoreLocation:
    """Where a fresh store of each backend is (PostgreSQL: a new database on the server)."""
    from mlops_jupyter.store import StoreLocation

    if request.param == "sqlite":
        return StoreLocation.for_directory(tmp_path / "store")
    url = request.getfixturevalue("postgres_url")
    return StoreLocation(url, str(tmp_path / "blobs"), url)


@pytest.fixture
def store(location: StoreLocation) -> Iterator[RunStore]:
    """That store, opened (and closed after the test)."""
    from mlops_jupyter.store import open_store

    opened = open_store(location)
    try:
        yield opened
    finally:
        opened.close()
