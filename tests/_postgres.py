"""A real, throwaway PostgreSQL server for the tests (no mocks, no Docker).

:class:`PostgresCluster` runs ``initdb`` and ``pg_ctl`` from the machine's PostgreSQL server
binaries (Debian's ``postgresql`` package, see ``make postgres``) on a directory of its own,
listening on a free port of 127.0.0.1 with ``trust`` authentication for the ``postgres``
role. PostgreSQL refuses to run as root: as root, every server command runs as the
``postgres`` system user, on a directory chowned to it.

The server is stopped by :meth:`PostgresCluster.close` (the fixtures call it), at interpreter
exit (``atexit``), and by a small watchdog process when the test process dies without
running either (killed, or a harness timeout): an aborted run leaves no ``postgres``
behind. Only the cluster's own postmaster PID is ever signalled.

Typical use (see the fixtures in ``conftest.py``)::

    cluster = PostgresCluster(make_base_dir())
    cluster.start()
    url = cluster.create_database()  # postgresql+psycopg://postgres@127.0.0.1:PORT/t_...
    ...
    cluster.close()
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

__all__ = ["PostgresCluster", "find_pg_bin", "make_base_dir"]

_MISSING = "PostgreSQL server binaries not found: run `make postgres` (apt-get install postgresql)"
_START_TIMEOUT_S = 30.0
_PORT_ATTEMPTS = 3
_SYSTEM_USER = "postgres"
# A linguistic default collation, as on most production servers (en_US.UTF-8), so that the
# tests see where PostgreSQL orders strings differently from SQLite's byte order. ICU keeps
# this independent of which glibc locales the machine has generated.
_INITDB_LOCALE = ["--locale=C.UTF-8", "--locale-provider=icu", "--icu-locale=en-US"]

# Runs beside the test process, reading a pipe only the test process holds: at EOF (the
# test process exited, however it died) it kills the postmaster whose PID is in the data
# directory, if that is still this cluster's postmaster, and removes the base directory.
_WATCHDOG = r"""
import os, shutil, signal, sys, time
base, data = sys.argv[1], sys.argv[2]
sys.stdin.buffer.read()
def postmaster():
    try:
        with open(os.path.join(data, "postmaster.pid")) as f:
            pid = int(f.readline())
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read()
    except (OSError, ValueError):
        return None
    return pid if data.encode() in cmdline else None
pid = postmaster()
if pid is not None:
    os.kill(pid, signal.SIGQUIT)  # immediate shutdown: the data is thrown away anyway
    for _ in range(100):
        if postmaster() is None:
            break
        time.sleep(0.05)
shutil.rmtree(base, ignore_errors=True)
"""


def find_pg_bin() -> Path:
    """Return the directory of the PostgreSQL server binaries (``initdb``, ``pg_ctl``).

    The highest ``/usr/lib/postgresql/<version>/bin`` (Debian's layout), else what
    ``pg_config --bindir`` says.

    Returns:
        The directory holding ``initdb`` and ``pg_ctl``.

    Raises:
        RuntimeError: If no server binaries are installed.
    """

    def version(path: str) -> tuple[int, ...]:
        name = Path(path).parent.name
        return tuple(int(p) for p in name.split(".") if p.isdigit())

    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True):
        if (Path(candidate) / "initdb").is_file() and (Path(candidate) / "pg_ctl").is_file():
            return Path(candidate)
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        bindir = Path(out.stdout.strip())
        if out.returncode == 0 and (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    raise RuntimeError(_MISSING)


def make_base_dir(prefix: str = "mlops-pg-") -> Path:
    """Create a directory for a cluster where the ``postgres`` user can reach it.

    pytest's temporary directories live under a 0700 directory of root's, which the
    ``postgres`` user cannot traverse, hence a directory of its own under the system's
    temporary directory.

    Args:
        prefix: Name prefix of the new directory.

    Returns:
        The new directory (mode 0755; :class:`PostgresCluster` gives it to the ``postgres``
        user when running as root).
    """
    base = Path(tempfile.mkdtemp(prefix=prefix))
    base.chmod(0o755)
    return base


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresCluster:
    """One PostgreSQL server on a directory of its own, for tests.

    Args:
        base_dir: Directory for the cluster: ``data/`` (the data directory), ``sock/`` (the
            Unix socket) and ``postgres.log``. It must be reachable by the ``postgres`` user
            when running as root (see :func:`make_base_dir`); it is removed by
            :meth:`close`.

    Attributes:
        base_dir: The directory given.
        port: TCP port on 127.0.0.1, picked free when the cluster is created (a new one if
            another process took it before the server bound it).
        bin_dir: Directory of ``initdb`` and ``pg_ctl``.
        data_dir: The data directory (``base_dir/data``).
        log_path: The server log (``base_dir/postgres.log``), quoted by start errors.

    Raises:
        RuntimeError: If the PostgreSQL server binaries are missing.
    """

    def __init__(self, base_dir: Path) -> None:
        self.bin_dir = find_pg_bin()
        self.base_dir = Path(base_dir)
        self.data_dir = self.base_dir / "data"
        self.socket_dir = self.base_dir / "sock"
        self.log_path = self.base_dir / "postgres.log"
        self.port = _free_port()
        self._as_root = os.geteuid() == 0
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._closed = False
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        if self._as_root:
            for path in (self.base_dir, self.socket_dir):
                shutil.chown(path, _SYSTEM_USER, _SYSTEM_USER)
        atexit.register(self.close)

    def __repr__(self) -> str:
        return f"PostgresCluster(port={self.port}, base_dir={str(self.base_dir)!r})"

    # -- server commands ---------------------------------------------------------------

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a server binary, as the ``postgres`` user when we are root."""
        command = [str(self.bin_dir / args[0]), *args[1:]]
        as_user: dict[str, Any] = {}
        if self._as_root:
            as_user = {"user": _SYSTEM_USER, "group": _SYSTEM_USER, "extra_groups": []}
        result: subprocess.CompletedProcess[str] = subprocess.run(
            command,
            capture_output=True,
            text=True,
            cwd=self.base_dir,  # the postgres user cannot enter root's working directory
            timeout=120,
            **as_user,
        )
        if check and result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(args[:2])} failed ({result.returncode}):\n"
                f"{result.stdout}{result.stderr}{self.log_tail()}"
            )
        return result

    def log_tail(self, lines: int = 30) -> str:
        """Return the last ``lines`` lines of the server log (for error messages)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n--- postgres.log ---\n" + "\n".join(text.splitlines()[-lines:])

    @property
    def running(self) -> bool:
        """Whether the postmaster of this cluster is running."""
        return self._run("pg_ctl", "status", "-D", str(self.data_dir), check=False).returncode == 0

    def postmaster_pid(self) -> int | None:
        """Return the PID of this cluster's postmaster, or None if it is not running."""
        try:
            pid = int((self.data_dir / "postmaster.pid").read_text().splitlines()[0])
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            return None
        return pid if str(self.data_dir).encode() in cmdline else None

    def start(self) -> None:
        """Start the server (running ``initdb`` first if the cluster is new).

        Returns once the server accepts connections on :attr:`port`.

        Raises:
            RuntimeError: If the server does not start within 30 s (the message ends with
                the server log).
        """
        if self._closed:
            raise RuntimeError(f"{self!r} is closed")
        if not (self.data_dir / "PG_VERSION").exists():
            # -N: no fsync of the new files; the cluster lives for one test session.
            self._run(
                "initdb",
                "-D",
                str(self.data_dir),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "-N",
                *_INITDB_LOCALE,
            )
        self._start_watchdog()
        for attempt in range(_PORT_ATTEMPTS):
            options = (
                f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1"
                # No fsync: faster, and only an OS crash could lose data. Commits still reach
                # the OS before they return (synchronous_commit stays on), so data committed
                # before stop("immediate") - a crash of PostgreSQL - survives, as in production.
                " -c fsync=off -c full_page_writes=off"
            )
            self._run(
                "pg_ctl", "start", "-D", str(self.data_dir), "-l", str(self.log_path), "-W",
                "-o", options,
            )  # fmt: skip
            try:
                self._wait_ready()
                return
            except RuntimeError:
                log = self.log_tail(200)
                if attempt + 1 < _PORT_ATTEMPTS and "could not bind" in log:
                    # Another process took the port between _free_port and the bind.
                    self.port = _free_port()
                    continue
                raise

    def _wait_ready(self) -> None:
        import psycopg

        start = time.monotonic()
        error: Exception | None = None
        while time.monotonic() - start < _START_TIMEOUT_S:
            try:
                with psycopg.connect(self.conninfo("postgres"), connect_timeout=2):
                    return
            except psycopg.OperationalError as exc:
                error = exc
            # The postmaster exits at once on a bad option or a taken port; give it a moment
            # to write its PID file before concluding it is gone.
            if time.monotonic() - start > 2 and self.postmaster_pid() is None:
                break
            time.sleep(0.05)
        raise RuntimeError(
            f"PostgreSQL on port {self.port} did not accept connections: {error}{self.log_tail()}"
        )

    def _start_watchdog(self) -> None:
        if self._watchdog is not None:
            return
        self._watchdog = subprocess.Popen(
            [sys.executable, "-c", _WATCHDOG, str(self.base_dir), str(self.data_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # Its own session: a Ctrl-C meant for pytest must not end it before pytest.
            start_new_session=True,
        )

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``pg_ctl stop -m MODE -w``); nothing happens if it is stopped.

        Args:
            mode: ``smart``, ``fast`` (the default: disconnects clients) or ``immediate``
                (like a crash: no shutdown checkpoint).
        """
        if self.postmaster_pid() is None:
            return
        self._run("pg_ctl", "stop", "-D", str(self.data_dir), "-m", mode, "-w")

    def close(self) -> None:
        """Stop the server and remove :attr:`base_dir` (idempotent; also run at exit)."""
        if self._closed:
            return
        self._closed = True
        atexit.unregister(self.close)
        try:
            self.stop("immediate")
        except (RuntimeError, OSError, subprocess.SubprocessError):
            pid = self.postmaster_pid()
            if pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGQUIT)
        finally:
            if self._watchdog is not None:
                # EOF on its stdin: it checks (nothing left to kill) and removes base_dir.
                assert self._watchdog.stdin is not None
                self._watchdog.stdin.close()
                self._watchdog.wait(timeout=30)
            shutil.rmtree(self.base_dir, ignore_errors=True)

    # -- databases ---------------------------------------------------------------------

    def conninfo(self, dbname: str = "postgres") -> str:
        """Return the libpq connection string of ``dbname`` (for ``psycopg.connect``)."""
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={dbname}"

    def url(self, dbname: str = "postgres") -> str:
        """Return the SQLAlchemy URL of database ``dbname`` on this server.

        Args:
            dbname: Database name.

        Returns:
            ``postgresql+psycopg://postgres@127.0.0.1:PORT/dbname``.
        """
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def execute(self, sql: str, dbname: str = "postgres") -> list[tuple[object, ...]]:
        """Run one statement in autocommit mode as ``postgres`` and return its rows.

        Args:
            sql: The statement (no parameters: tests only).
            dbname: Database to run it in.

        Returns:
            The rows, or ``[]`` for a statement that returns none.
        """
        import psycopg

        with psycopg.connect(self.conninfo(dbname), autocommit=True) as conn:
            cursor = conn.execute(sql.encode())
            return list(cursor.fetchall()) if cursor.description is not None else []

    def create_database(self, name: str | None = None, *, template: str | None = None) -> str:
        """Create a database and return its URL.

        Args:
            name: Database name; a random ``t_...`` one if None.
            template: Database to copy (it must have no open connection); PostgreSQL's
                empty ``template1`` if None.

        Returns:
            The URL of the new database (see :meth:`url`).
        """
        name = name or f"t_{uuid.uuid4().hex[:16]}"
        copy = f' TEMPLATE "{template}"' if template else ""
        self.execute(f'CREATE DATABASE "{name}"{copy}')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, ending the sessions still connected to it.

        Args:
            name: Database name.
        """
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
