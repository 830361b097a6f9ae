"""Errors of the run store: the store's own branch of :class:`~mlops_jupyter.errors.MlopsError`.

Bad arguments are the generic :class:`~mlops_jupyter.errors.InvalidArgumentError`; what is
here is specific to keeping runs: an unknown run or blob, a duplicate id, and a database
that is corrupted, unreachable or full.
"""

from __future__ import annotations

from ..errors import ConflictError, MlopsError, NotFoundError, UnavailableError

__all__ = [
    "BlobCorruptedError",
    "BlobNotFoundError",
    "RunAlreadyExistsError",
    "RunNotFoundError",
    "RunUnreadableError",
    "StoreCorruptedError",
    "StoreError",
    "StoreFullError",
    "StoreUnavailableError",
]


class StoreError(MlopsError):
    """A failure of the run store itself (code 500 unless a subclass or the caller says).

    Attributes:
        code: HTTP-ish status code describing the failure.
    """


class RunNotFoundError(StoreError, NotFoundError):
    """No run has the requested id.

    Attributes:
        run_id: The id that was looked up.
    """

    code = 404

    def __init__(self, run_id: str) -> None:
        super().__init__(f"run {run_id!r} not found")
        self.run_id = run_id


class RunAlreadyExistsError(StoreError, ConflictError):
    """``create_run`` was given an id that is already stored.

    Attributes:
        run_id: The duplicate id.
    """

    code = 409

    def __init__(self, run_id: str) -> None:
        super().__init__(f"run {run_id!r} already exists")
        self.run_id = run_id


class RunUnreadableError(StoreError):
    """A stored run cannot be read back: its record is damaged or was not written by
    mlops-jupyter (a broken or hostile writer of a shared database).

    Only that run is affected: lists skip it and say so, every other run reads as usual.
    Nothing is changed in the database.

    Attributes:
        run_id: The run.
        reason: What failed when it was read.
    """

    code = 500

    def __init__(self, run_id: str, reason: str) -> None:
        super().__init__(
            f"run {run_id!r} is unreadable: its stored record is damaged ({reason}); the "
            "other runs are not affected"
        )
        self.run_id = run_id
        self.reason = reason


class BlobNotFoundError(StoreError, NotFoundError):
    """No blob has the requested sha256.

    Attributes:
        sha256: The hash that was looked up.
    """

    code = 404

    def __init__(self, sha256: str) -> None:
        super().__init__(f"blob {sha256} not found")
        self.sha256 = sha256


class BlobCorruptedError(StoreError):
    """A stored blob cannot be trusted, so it is neither served nor executed.

    Blobs are content-addressed: a blob whose bytes do not hash to its name, that is a
    symbolic link (or stands in a linked folder), or that is not a regular file was put
    there by something else than the store, e.g. by someone who can write a shared blob
    folder. The entry is left as it is, for someone to look at.

    Attributes:
        sha256: The blob's name.
        reason: What is wrong with it.
    """

    code = 500

    def __init__(self, sha256: str, location: str, reason: str) -> None:
        super().__init__(
            f"blob {sha256} in {location} cannot be trusted: {reason}. It was not used; "
            "delete it and the next write of the same content stores it again"
        )
        self.sha256 = sha256
        self.reason = reason


class StoreCorruptedError(StoreError):
    """The database file exists but cannot be read as a database.

    The store never repairs, overwrites or deletes such a file: it may hold the only copy of
    the user's runs.

    Attributes:
        path: The database file (or masked URL) that failed.
    """

    code = 500

    def __init__(self, path: str, detail: str = "") -> None:
        reason = f" ({detail})" if detail else ""
        super().__init__(
            f"the run database {path} is corrupted or not a database{reason}. The file was "
            "NOT overwritten or deleted: move it aside (or restore a backup) and a new, "
            "empty store will be created in its place."
        )
        self.path = path


class StoreUnavailableError(StoreError, UnavailableError):
    """The database cannot be reached: server down, network, refused or dropped connection.

    Nothing was written by the failed operation (or, for a connection lost during a commit,
    it may have been: the outcome is unknown). The same store object works again once the
    database is back: connections are checked before use and re-opened.

    Attributes:
        location: The database file or masked URL (never a password).
        detail: The driver's reason.
    """

    code = 503

    def __init__(self, location: str, detail: str = "") -> None:
        reason = f": {detail}" if detail else ""
        super().__init__(f"the run database {location} is unreachable{reason}")
        self.location = location
        self.detail = detail


class StoreFullError(StoreError):
    """The database ran out of space (disk full, quota or file size limit).

    The transaction was rolled back: the database is unchanged and still readable.

    Attributes:
        location: The database file or masked URL (never a password).
        detail: The driver's reason.
    """

    code = 507

    def __init__(self, location: str, detail: str = "") -> None:
        reason = f" ({detail})" if detail else ""
        super().__init__(
            f"no space left for the run database {location}{reason}; the database is "
            "unchanged: free some space and try again"
        )
        self.location = location
        self.detail = detail
