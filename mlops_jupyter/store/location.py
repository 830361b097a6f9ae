"""Where the run store lives: resolved the same way by the kernel and the Jupyter server.

Stdlib only, so the kernel extension can resolve the location without importing SQLAlchemy.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..redaction import mask_url

__all__ = [
    "BLOBS_ENV_VAR",
    "DB_FILENAME",
    "SPOOL_ENV_VAR",
    "STORE_ENV_VAR",
    "StoreLocation",
    "default_spool_root",
    "default_store_dir",
    "normalize_db_url",
    "resolve_store_location",
    "sweeps_folder",
]

STORE_ENV_VAR = "MLOPS_JUPYTER_STORE"
SPOOL_ENV_VAR = "MLOPS_JUPYTER_SPOOL"
BLOBS_ENV_VAR = "MLOPS_JUPYTER_BLOBS"
DB_FILENAME = "runs.db"
_BLOBS_DIRNAME = "blobs"
# PostgreSQL URLs without a driver: SQLAlchemy would pick psycopg2 (and reject "postgres:",
# which libpq and many hosting services use); the store's driver is psycopg 3.
_PG_DEFAULT_DRIVER = "postgresql+psycopg"
_PG_BARE_SCHEMES = frozenset({"postgresql", "postgres"})


@dataclass(frozen=True)
class StoreLocation:
    """A resolved store: the database and the blob directory.

    Attributes:
        db_url: SQLAlchemy database URL (``sqlite:////abs/path/runs.db`` for local stores).
            It may hold a password, so it is left out of ``repr()``.
        blob_root: Absolute directory of the content-addressed blob store, or an fsspec URL
            (``s3://bucket/blobs``) kept as given; as it may hold credentials, it is left out
            of ``repr()`` (show :attr:`blobs_description` instead).
        description: Human-readable location for logs and the UI (a directory path, or the
            URL with any password masked).
    """

    db_url: str = field(repr=False)
    blob_root: str = field(repr=False)
    description: str

    @classmethod
    def for_directory(cls, directory: str | os.PathLike[str]) -> StoreLocation:
        """Build the location of a store kept in one directory (``runs.db`` + ``blobs/``).

        Args:
            directory: The store directory; ``~`` is expanded and relative paths are made
                absolute against the current directory.

        Returns:
            The location.
        """
        path = _absolute(os.fspath(directory))
        return cls(
            db_url=_sqlite_url(path / DB_FILENAME),
            blob_root=str(path / _BLOBS_DIRNAME),
            description=str(path),
        )

    @property
    def scheme(self) -> str:
        """Database kind without the driver, e.g. ``"sqlite"`` or ``"postgresql"``."""
        return self.db_url.split(":", 1)[0].split("+", 1)[0].lower()

    @property
    def blobs_description(self) -> str:
        """The blob root safe to log or show: a directory, or the URL with secrets masked."""
        if "://" not in self.blob_root:
            return self.blob_root
        return mask_url(self.blob_root)

    @property
    def sqlite_path(self) -> str | None:
        """Path of the SQLite database file, or None (not SQLite, or in-memory)."""
        return _sqlite_path(self.db_url)


def _absolute(path: str) -> Path:
    # abspath rather than resolve(): keep symlinked paths as the user wrote them.
    return Path(os.path.abspath(os.path.expanduser(path)))


def _sqlite_url(path: Path) -> str:
    # sqlite:/// + absolute path gives the four-slash form on POSIX (sqlite:////home/...).
    return "sqlite:///" + path.as_posix()


def _sqlite_path(url: str) -> str | None:
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.split("+", 1)[0].lower() != "sqlite":
        return None
    path = rest[1:] if rest.startswith("/") else rest
    path = path.split("?", 1)[0]
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return path


def default_store_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Return the per-user default store directory.

    ``$XDG_DATA_HOME/mlops-jupyter`` when ``XDG_DATA_HOME`` is an absolute path, else
    ``~/.local/share/mlops-jupyter``. It does not depend on the current directory, so a
    kernel started next to any notebook and the Jupyter server agree on it.

    Args:
        environ: Environment to read (default ``os.environ``).

    Returns:
        The absolute directory (not created).
    """
    env = os.environ if environ is None else environ
    xdg = env.get("XDG_DATA_HOME", "")
    # The XDG spec says relative values are invalid and must be ignored.
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "mlops-jupyter"
    home = env.get("HOME") or os.path.expanduser("~")
    return Path(os.path.abspath(home)) / ".local" / "share" / "mlops-jupyter"


def normalize_db_url(url: str) -> str:
    """Give a PostgreSQL URL without a driver the store's driver, psycopg 3.

    Args:
        url: A database URL.

    Returns:
        ``postgresql+psycopg://...`` for ``postgresql://...`` and ``postgres://...``; any
        other URL unchanged.
    """
    scheme, sep, rest = url.partition("://")
    if sep and scheme.lower() in _PG_BARE_SCHEMES:
        return f"{_PG_DEFAULT_DRIVER}://{rest}"
    return url


def resolve_store_location(
    environ: Mapping[str, str] | None = None, override: str | None = None
) -> StoreLocation:
    """Work out where the run store is.

    The setting is ``override`` (the server's ``store`` traitlet) if non-empty, else the
    ``MLOPS_JUPYTER_STORE`` environment variable, else the per-user default directory (see
    :func:`default_store_dir`).

    A setting containing ``://`` is a database URL; ``postgresql://`` and ``postgres://``
    without a driver mean ``postgresql+psycopg://`` (psycopg 3). Its blobs go to
    ``MLOPS_JUPYTER_BLOBS`` if set, else (for ``sqlite:///path/x.db``) to ``blobs/`` beside
    the database file, else to ``<default dir>/blobs``. Relative SQLite paths are made
    absolute.

    Any other setting is a directory (``~`` expanded, made absolute against the current
    directory) holding ``runs.db`` and ``blobs/``. Prefer absolute paths: a kernel's
    current directory is its notebook's folder, the server's is where it was started.

    ``MLOPS_JUPYTER_BLOBS`` may be a directory or an fsspec URL (``s3://bucket/blobs``,
    see :func:`mlops_jupyter.store.blobs.open_blob_store`); a URL is kept as given.

    Args:
        environ: Environment to read (default ``os.environ``).
        override: Explicit setting that wins over the environment.

    Returns:
        The resolved location (nothing is created on disk).
    """
    env = os.environ if environ is None else environ
    setting = (override or "").strip() or env.get(STORE_ENV_VAR, "").strip()
    if not setting:
        return StoreLocation.for_directory(default_store_dir(env))
    if "://" not in setting:
        return StoreLocation.for_directory(setting)

    db_url = normalize_db_url(setting)
    sqlite_path = _sqlite_path(setting)
    if sqlite_path is not None:
        absolute = _absolute(sqlite_path)
        query = setting.split("?", 1)[1] if "?" in setting else ""
        db_url = setting.split("://", 1)[0] + ":///" + absolute.as_posix()
        if query:
            db_url += "?" + query
    blobs = env.get(BLOBS_ENV_VAR, "").strip()
    blob_root: str | Path
    if blobs:
        # An fsspec URL (s3://bucket/blobs) is kept as given; a path is made absolute.
        blob_root = blobs if "://" in blobs else _absolute(blobs)
    elif sqlite_path is not None:
        blob_root = _absolute(sqlite_path).parent / _BLOBS_DIRNAME
    else:
        blob_root = default_store_dir(env) / _BLOBS_DIRNAME
    return StoreLocation(db_url=db_url, blob_root=str(blob_root), description=mask_url(db_url))


def sweeps_folder(location: StoreLocation) -> str:
    """Where the manifests of the store's sweeps are kept: ``sweeps/`` beside its blobs.

    Blobs on an fsspec URL (``MLOPS_JUPYTER_BLOBS=s3://...``) have no local folder beside
    them, and a manifest is rewritten with a local atomic rename: the manifests then go where
    the blobs would be without that setting (beside a SQLite database, else in the default
    store directory), so setting it does not move them.

    Args:
        location: The store.

    Returns:
        The folder (not created).
    """
    if "://" not in location.blob_root:
        return os.path.join(os.path.dirname(location.blob_root), "sweeps")
    database = location.sqlite_path
    base = os.path.dirname(database) if database is not None else str(default_store_dir())
    return os.path.join(base, "sweeps")


def default_spool_root(environ: Mapping[str, str] | None = None) -> Path:
    """Return the folder holding every store's spool.

    ``$MLOPS_JUPYTER_SPOOL`` if set, else ``$XDG_STATE_HOME/mlops-jupyter/spool`` (absolute
    values only, as the XDG spec says), else ``~/.local/state/mlops-jupyter/spool``.
    """
    env = os.environ if environ is None else environ
    explicit = env.get(SPOOL_ENV_VAR, "").strip()
    if explicit:
        return Path(os.path.abspath(os.path.expanduser(explicit)))
    state = env.get("XDG_STATE_HOME", "")
    if state and os.path.isabs(state):
        return Path(state) / "mlops-jupyter" / "spool"
    home = env.get("HOME") or os.path.expanduser("~")
    return Path(os.path.abspath(home)) / ".local" / "state" / "mlops-jupyter" / "spool"
