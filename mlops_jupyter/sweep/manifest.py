"""A sweep's manifest: the grid, the notebook and each execution's status.

The manifest is ``sweeps/<id>.json`` beside the store's blobs (see
:func:`mlops_jupyter.store.location.sweeps_folder`), written atomically by the coordinating
process alone, so an interrupted sweep can be resumed.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import InvalidArgumentError, NotFoundError
from ..models import format_datetime, utcnow
from ..store.location import StoreLocation, resolve_store_location, sweeps_folder

__all__ = [
    "Execution",
    "ExecutionStatus",
    "Sweep",
    "SweepProgress",
    "SweepResult",
    "load_sweep",
]

ExecutionStatus = Literal["pending", "running", "finished", "failed", "interrupted"]
#: ``progress({"done", "running", "failed", "total"})`` after every change.
SweepProgress = Callable[[Mapping[str, int]], None]


@dataclass
class Execution:
    """One combination of a sweep and what became of it.

    Attributes:
        index: Position in the sweep, from 0.
        params: The parameters injected (with ``from_run``: the run's, overridden).
        status: ``pending``, ``running``, ``finished``, ``failed`` or ``interrupted``.
        run_ids: The runs it recorded (its ``%%track`` cells, else one notebook-level run).
        error: Why it failed, if it did.
        from_run: The run whose pinned notebook it executes, if any.
        cell: The notebook cell that raised (from 1; 0: the injected parameters), if known.
    """

    index: int
    params: dict[str, Any]
    status: ExecutionStatus = "pending"
    run_ids: list[str] = field(default_factory=list)
    error: str | None = None
    from_run: str | None = None
    cell: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The execution as the API and ``--json`` show it (``cell`` only when known)."""
        data: dict[str, Any] = {
            "index": self.index,
            "params": dict(self.params),
            "status": self.status,
            "run_ids": list(self.run_ids),
            "error": self.error,
        }
        if self.cell is not None:
            data["cell"] = self.cell
        return data


@dataclass
class Sweep:
    """A sweep's manifest.

    Attributes:
        id: uuid4 hex; every run the sweep records has it as ``sweep_id``.
        notebook: The notebook swept (for ``from_run``: the run's notebook, if known).
        grid: The grid expanded, or None for explicit combinations.
        executions: One per combination.
        from_run: The run whose pinned notebook is swept, if any.
        created_at: When the sweep was created.
    """

    id: str
    notebook: str | None
    grid: dict[str, list[Any]] | None
    executions: list[Execution]
    from_run: str | None = None
    created_at: str = field(default_factory=lambda: format_datetime(utcnow()))

    def to_json(self) -> dict[str, Any]:
        """The sweep as ``GET sweeps/{id}`` shows it."""
        return {
            "id": self.id,
            "notebook": self.notebook,
            "grid": self.grid,
            "created_at": self.created_at,
            "executions": [e.to_json() for e in self.executions],
        }

    def counts(self) -> dict[str, int]:
        """``{"done", "running", "failed", "total"}``: done counts every ended execution."""
        statuses = [e.status for e in self.executions]
        return {
            "done": sum(s in ("finished", "failed", "interrupted") for s in statuses),
            "running": statuses.count("running"),
            "failed": statuses.count("failed"),
            "total": len(statuses),
        }

    def save(self, folder: str) -> None:
        """Write the manifest atomically (a reader never sees half of it)."""
        os.makedirs(folder, exist_ok=True)
        data = self.to_json()
        data["from_run"] = self.from_run
        for entry, execution in zip(data["executions"], self.executions, strict=True):
            entry["from_run"] = execution.from_run
        fd, tmp = tempfile.mkstemp(prefix=f".{self.id}.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=1)
            os.replace(tmp, os.path.join(folder, f"{self.id}.json"))
        except BaseException:
            os.unlink(tmp)
            raise

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Sweep:
        """Rebuild a sweep from its manifest."""
        return cls(
            id=str(data["id"]),
            notebook=data.get("notebook"),
            grid=data.get("grid"),
            from_run=data.get("from_run"),
            created_at=str(data.get("created_at", "")),
            executions=[
                Execution(
                    index=int(e["index"]),
                    params=dict(e.get("params") or {}),
                    status=e.get("status", "pending"),
                    run_ids=list(e.get("run_ids") or []),
                    error=e.get("error"),
                    from_run=e.get("from_run"),
                    cell=e.get("cell") if isinstance(e.get("cell"), int) else None,
                )
                for e in data.get("executions", [])
            ],
        )


@dataclass
class SweepResult:
    """What :func:`run_sweep` did.

    Attributes:
        sweep: The manifest, as saved at the end.
        executed: Executions started by this call (a resumed sweep skips finished ones).
    """

    sweep: Sweep
    executed: int

    @property
    def ok(self) -> bool:
        """Whether every execution finished."""
        return all(e.status == "finished" for e in self.sweep.executions)


def load_sweep(sweep_id: str, location: StoreLocation | None = None) -> Sweep:
    """The manifest of sweep ``sweep_id`` of the store at ``location`` (default: the
    environment's store).

    Raises:
        InvalidArgumentError: If the id is not 32 lowercase hex characters.
        NotFoundError: If there is no such sweep.
    """
    if len(sweep_id) != 32 or not all(c in "0123456789abcdef" for c in sweep_id):
        raise InvalidArgumentError(f"invalid sweep id {sweep_id!r:.80}: expected 32 lowercase hex")
    path = os.path.join(sweeps_folder(location or resolve_store_location()), f"{sweep_id}.json")
    try:
        with open(path, encoding="utf-8") as handle:
            return Sweep.from_json(json.load(handle))
    except FileNotFoundError:
        raise NotFoundError(f"sweep {sweep_id!r} not found") from None
