"""Where a sweep's executions run: a registry of executors, chosen by the ``--executor`` URL.

``local`` is a pool of spawned processes on this machine; ``dask://HOST:PORT`` (or
``tcp://HOST:PORT``) the workers of a ``dask.distributed`` scheduler, which must reach the
same store. Another executor registers a factory in :data:`EXECUTORS` under its URL scheme.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from .combinations import SweepError
from .worker import ExecutionTask, execute_combination

__all__ = ["EXECUTORS", "Executor", "open_executor", "validate_executor"]


class Executor(ABC):
    """Runs :func:`execute_combination` tasks in workers; futures are polled with ``done()``."""

    @abstractmethod
    def submit(self, task: ExecutionTask) -> Any:
        """Start ``task``; return a future with ``done()`` and ``result()``."""

    @abstractmethod
    def close(self) -> None:
        """Stop the workers (running tasks are cancelled)."""


class LocalExecutor(Executor):
    """A pool of ``workers`` spawned processes on this machine.

    Args:
        address: Unused (``local`` has no address).
        workers: Executions at once.
    """

    def __init__(self, address: str, workers: int) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # spawn: forking a process with threads (a server's, the store's writer) is unsafe.
        self._pool = ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("spawn"), initializer=_ignore_sigint
        )

    def submit(self, task: ExecutionTask) -> Any:
        """Start ``task`` in a pool process."""
        return self._pool.submit(execute_combination, task)

    def close(self) -> None:
        """Shut the pool down, cancelling what has not started."""
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor(Executor):
    """The workers of a ``dask.distributed`` scheduler.

    Args:
        address: ``HOST:PORT`` of the scheduler.
        workers: Unused (the cluster decides).

    Raises:
        SweepError: If the scheduler cannot be reached.
    """

    def __init__(self, address: str, workers: int) -> None:
        import distributed

        client_class: Any = distributed.Client  # untyped library
        try:
            self._client: Any = client_class(f"tcp://{address}", set_as_default=False, timeout=10)
        except (OSError, TimeoutError) as exc:
            raise SweepError(f"cannot reach the dask scheduler at tcp://{address}: {exc}") from None

    def submit(self, task: ExecutionTask) -> Any:
        """Start ``task`` on a dask worker (one key per sweep and index)."""
        return self._client.submit(
            execute_combination, task, pure=False, key=f"mlops-sweep-{task.sweep_id}-{task.index}"
        )

    def close(self) -> None:
        """Disconnect from the scheduler."""
        self._client.close()


def _ignore_sigint() -> None:
    """Ctrl-C reaches the pool's processes too: the coordinator alone handles it, through
    the cancel file, so each execution still records how it ended."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


#: Executor factories by scheme: ``EXECUTORS[scheme](address, workers)``.
EXECUTORS: dict[str, Callable[[str, int], Executor]] = {
    "local": LocalExecutor,
    "dask": DaskExecutor,
    "tcp": DaskExecutor,
}


def _split(spec: str) -> tuple[str, str]:
    scheme, sep, address = spec.partition("://")
    return (scheme, address) if sep else (spec, "")


def validate_executor(spec: str) -> str:
    """Check an executor setting (``local`` or ``dask://HOST:PORT``) without connecting.

    Raises:
        SweepError: If no executor has that scheme (or a remote one lacks an address).
    """
    scheme, address = _split(spec)
    if scheme not in EXECUTORS or (scheme != "local" and not address):
        raise SweepError(f"unknown executor {spec!r}: use local or dask://HOST:PORT")
    return spec


def open_executor(spec: str, workers: int) -> Executor:
    """Open the executor a setting names.

    Raises:
        SweepError: If the setting is unknown or the executor cannot be reached.
    """
    validate_executor(spec)
    scheme, address = _split(spec)
    return EXECUTORS[scheme](address, workers)
