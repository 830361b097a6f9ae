"""Re-evaluating the champion on the candidate's data: the champion's evaluation run's pinned
notebook is executed again with papermill (as a rerun: a fresh kernel, its parameters
injected), with the parameters that named its data pointed at the candidate's data.

A parameter names the data when its value is the path of one of the evaluation's inputs
(``eval_path = "data/feb.csv"``); it is given the path the candidate's evaluation read (made
absolute, so the scratch folder reads it in place). When no parameter names it but both read
the same path (the file was replaced), the notebook runs as it is. The new run must have read
exactly the candidate's data, or the gate still refuses to compare.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..errors import ConflictError, MlopsError
from ..models import RunStatus
from ..store.lifecycle import VersionRecord
from .gates import Evaluation, evaluation_of

if TYPE_CHECKING:
    from ..models import Run
    from .registry import VersionRegistry

__all__ = ["SweepReevaluator"]


def _base(run: Run) -> str:
    if run.notebook is not None and run.notebook.path and os.path.isabs(run.notebook.path):
        return os.path.dirname(run.notebook.path)
    cwd = run.extra.get("cwd")
    return cwd if isinstance(cwd, str) and os.path.isabs(cwd) else os.getcwd()


def data_parameters(champion: Run, candidate: Run, champion_eval: Evaluation,
                    candidate_eval: Evaluation) -> dict[str, Any]:  # fmt: skip
    """The parameter overrides that point the champion's evaluation at the candidate's data."""
    champion_paths = {os.path.normpath(d["path"]) for d in champion_eval.data}
    candidate_paths = [d["path"] for d in candidate_eval.data]
    overrides: dict[str, Any] = {}
    for name, value in champion.params.items():
        if not isinstance(value, str) or os.path.normpath(value) not in champion_paths:
            continue
        theirs = candidate.params.get(name)
        if isinstance(theirs, str) and theirs in candidate_paths:
            target = theirs
        elif len(candidate_paths) == 1:
            target = candidate_paths[0]
        else:
            continue
        overrides[name] = (
            target
            if os.path.isabs(target)
            else os.path.normpath(os.path.join(_base(candidate), target))
        )
    return overrides


class SweepReevaluator:
    """Runs the champion's evaluation again on the candidate's data (see the module).

    Args:
        registry: The registry.
        store_setting: The store the kernels record into (a directory or URL; None: the
            environment's).
        workdir: Where scratch folders go.
    """

    def __init__(
        self,
        registry: VersionRegistry,
        store_setting: str | None = None,
        workdir: str | None = None,
    ) -> None:
        self.registry = registry
        self.store_setting = store_setting
        self.workdir = workdir
        self.notes: list[str] = []

    def __call__(
        self, champion: VersionRecord, champion_eval: Evaluation, candidate_eval: Evaluation
    ) -> Evaluation:
        """The champion's evaluation on the candidate's data (raises ConflictError when it
        cannot be pointed there)."""
        from ..sweep import run_sweep

        store = self.registry.store
        original = store.get_run(champion_eval.run_id)
        candidate_run = store.get_run(candidate_eval.run_id)
        overrides = data_parameters(original, candidate_run, champion_eval, candidate_eval)
        same_paths = sorted(d["path"] for d in champion_eval.data) == sorted(
            d["path"] for d in candidate_eval.data
        )
        if not overrides and not same_paths:
            raise ConflictError(
                f"cannot point the champion's evaluation (run {original.id[:12]}) at the "
                "candidate's data: none of its parameters names its data file (make the data "
                "path a papermill parameter of the evaluation notebook)"
            )
        result = run_sweep(
            from_run=original.id,
            combinations=[{**original.params, **overrides}],
            store=self.store_setting,
            workdir=self.workdir,
        )
        run_ids = [rid for e in result.sweep.executions for rid in e.run_ids]
        runs = []
        for run_id in run_ids:
            try:
                runs.append(store.get_run(run_id))
            except MlopsError:
                continue
        finished = [r for r in runs if r.status is RunStatus.FINISHED and r.metrics]
        if not finished:
            errors = "; ".join(e.error or e.status for e in result.sweep.executions)
            raise ConflictError(f"the champion's re-evaluation did not finish ({errors})")
        try:
            exclude = {f.sha256 for f in self.registry.manifest(champion).files}
        except MlopsError:
            exclude = set()
        evaluation = evaluation_of(finished[-1], "re-evaluation", exclude, None)
        if evaluation.data_digest != candidate_eval.data_digest:
            # The run read more (or other) files: keep only what the candidate's evaluation
            # read, when that is all there.
            wanted = {d["sha256"] for d in candidate_eval.data}
            if wanted <= {d["sha256"] for d in evaluation.data}:
                evaluation.data = [d for d in evaluation.data if d["sha256"] in wanted]
                evaluation.data_digest = candidate_eval.data_digest
        return evaluation
