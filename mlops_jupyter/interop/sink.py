"""What every export target shares: the sink protocol, the runs found at a target, the
report of an export, and writing a run's artifact files into a folder."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import InvalidArgumentError
from .mlflow_format import ArtifactFile, MlflowRunData

if TYPE_CHECKING:
    from ..store.base import RunStore

__all__ = ["Existing", "ExportReport", "Sink", "stage_artifacts"]


@dataclass(frozen=True)
class Existing:
    """A run found at the target.

    Attributes:
        mlflow_id: Its MLflow run id.
        fingerprint: Its export fingerprint tag (None: not exported by us).
        deleted: Whether MLflow marks it deleted.
    """

    mlflow_id: str
    fingerprint: str | None
    deleted: bool = False


class Sink(Protocol):
    """Where an export writes: an MLflow tracking server or database, or a folder."""

    description: str

    def experiment(self, name: str) -> str:
        """The id of experiment ``name`` at the target (created if missing)."""

    def existing(self, experiment_id: str, run_ids: list[str]) -> dict[str, Existing]:
        """The target's runs that are some of ``run_ids`` (our ids), by our id."""

    def create(self, experiment_id: str, runs: list[MlflowRunData], store: RunStore) -> list[str]:
        """Create the runs (with their points and artifacts); return their MLflow ids."""

    def update(
        self, existing: Existing, data: MlflowRunData, store: RunStore, report: ExportReport
    ) -> None:
        """Bring an exported run up to date: new points, params and tags, status, times."""

    def close(self) -> None:
        """Release connections."""


@dataclass
class ExportReport:
    """What an export did.

    Attributes:
        target: Where it wrote (credentials masked).
        method: ``client``, ``sql`` or ``dir``.
        created: Runs exported for the first time.
        updated: Runs exported before and changed since.
        unchanged: Runs exported before and unchanged.
        skipped: ``{"run_id", "reason"}`` of runs not written (deleted at the target...).
        failed: ``{"run_id", "error"}`` of runs that could not be written.
        run_ids: Our run id -> MLflow run id, for the runs created or updated.
        experiments: Experiment name -> MLflow experiment id.
        notes: What could not be kept exactly (renamed keys, cut values), one per kind.
        models: What ``--models`` did (None without it).
        seconds: Wall time.
    """

    target: str
    method: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    run_ids: dict[str, str] = field(default_factory=dict)
    experiments: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    models: dict[str, Any] | None = None
    seconds: float = 0.0
    #: Our run id -> MLflow run id of every run at the target, unchanged ones included.
    known: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        """Whether every selected run (and model) was written or already up to date."""
        return not self.failed and not (self.models or {}).get("failed")

    def note(self, text: str) -> None:
        """Keep a note once (at most 50)."""
        if text not in self.notes and len(self.notes) < 50:
            self.notes.append(text)

    def to_json(self) -> dict[str, Any]:
        """The report as JSON."""
        return {
            "target": self.target,
            "method": self.method,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": list(self.skipped),
            "failed": list(self.failed),
            "run_ids": dict(self.run_ids),
            "experiments": dict(self.experiments),
            "notes": list(self.notes),
            "models": self.models,
            "seconds": round(self.seconds, 3),
        }


def stage_artifacts(files: list[ArtifactFile], store: RunStore, folder: str) -> None:
    """Write ``files`` under ``folder`` (blobs are streamed and checked against their hash).

    Raises:
        InvalidArgumentError: If a path would leave ``folder`` (never, by construction).
    """
    import shutil

    root = os.path.realpath(folder)
    for item in files:
        target = os.path.realpath(os.path.join(root, *item.path.split("/")))
        if not target.startswith(root + os.sep):
            raise InvalidArgumentError(f"artifact path {item.path!r} leaves its folder")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if item.data is not None:
            with open(target, "wb") as handle:
                handle.write(item.data)
        elif item.sha256 is not None:
            with store.blobs.open(item.sha256) as source, open(target, "wb") as handle:
                shutil.copyfileobj(source, handle)
