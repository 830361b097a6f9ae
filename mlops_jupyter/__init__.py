"""mlops-jupyter: experiment tracking and verified reproduction inside JupyterLab.

This module is imported by every kernel that runs ``%load_ext mlops_jupyter``, so it must
stay cheap: the tracking core, the store and the server extension are imported lazily.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

# log_metric sits in training loops: export the buffering functions themselves, not wrappers
# (tracking imports only the standard library and our models).
from .tracking import log_metric, log_metrics
from .version import __version__

if TYPE_CHECKING:
    from .models import Run
    from .registry import Lineage, Registry
    from .store.lifecycle import Event, VersionRecord

__all__ = [
    "__version__",
    "add_trigger",
    "approve",
    "check_drift",
    "drift",
    "gate",
    "get_run",
    "lineage",
    "load_model",
    "log_input",
    "log_metric",
    "log_metrics",
    "log_predictions",
    "model_history",
    "model_versions",
    "promote",
    "register_model",
    "reject",
    "request_approval",
    "rollback",
    "run_monitor",
    "runs",
    "set_alias",
    "set_policy",
]


def __getattr__(name: str) -> Any:
    # ``mlops_jupyter.drift(df, against="churn@champion")``: the drift package is callable,
    # imported on first use (it imports neither numpy nor pandas until a check runs).
    if name == "drift":
        import importlib

        return importlib.import_module(".drift", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def check_drift(batch: Any, against: Any, **options: Any) -> Any:
    """Check a batch (a DataFrame) against a reference and record the check.

    ``against`` is a profile, a profile file, a run id or ``NAME@alias`` / ``NAME/VERSION``
    (the data the version was trained on; ``#FRAME`` picks a logged frame). Options: see
    :func:`mlops_jupyter.drift.record.check` (``critical``, ``thresholds``, ``record``...).
    Returns the report: ``.verdict`` (``ok``, ``drift``, ``insufficient_data``),
    ``.drifted_columns``, ``.to_json()``; ``.check_id`` once recorded. Same as
    ``mlops_jupyter.drift(batch, against=...)``.
    """
    from .capture.inputs import get_monitor
    from .drift.record import check

    with get_monitor().paused():
        return check(batch, against, **options)


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "mlops-jupyter"}]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .server.app import MlopsJupyterApp

    return [{"module": "mlops_jupyter", "app": MlopsJupyterApp}]


def load_ipython_extension(ipython: Any) -> None:
    """Register the ``%%track`` magic (``%load_ext mlops_jupyter``)."""
    from .magics import load

    load(ipython, sys.modules[__name__])


def unload_ipython_extension(ipython: Any) -> None:
    """Unregister the extension's event hooks (``%unload_ext mlops_jupyter``)."""
    from .magics import unload

    unload(ipython)


def runs(
    experiment: str | None = None, *, status: str | None = None, limit: int | None = None
) -> Any:
    """Read runs back from the store, newest first.

    Returns:
        A pandas DataFrame (one row per run, ``params.*`` and ``metrics.*`` columns) when
        pandas is installed, else a list of :class:`mlops_jupyter.models.Run`.
    """
    from .tracking import runs as _runs

    return _runs(experiment, status=status, limit=limit)


def get_run(run_id: str) -> Run:
    """Return one run by id (raises ``RunNotFoundError`` if unknown)."""
    from .capture.inputs import get_monitor
    from .store import get_store
    from .tracking import drain_own_writes

    drain_own_writes()  # this kernel's own runs first
    with get_monitor().paused():  # the store's files are not the session's data
        return get_store().get_run(run_id)


def log_input(frame: Any, name: str | None = None) -> dict[str, Any]:
    """Record a pandas DataFrame as an input of the run, with its digest and profile.

    The digest covers every row, every column, the dtypes and the shape (not a sample); the
    profile (counts, missing share, dtype; quantiles, mean, std for numbers; top categories
    for the others; at most 100 KB) is stored with the run and is the reference drift checks
    compare new data against. Called inside a ``%%track`` cell, the frame is an input of that
    run; called before it, of the next tracked run.

    Args:
        frame: The DataFrame.
        name: What to call it (e.g. ``"train"``; default ``"frame"``).

    Returns:
        ``{"name", "digest", "rows", "columns", "profile_sha256"}``.

    Raises:
        MissingDependencyError: If pandas is not installed.
        InvalidArgumentError: If ``frame`` is not a DataFrame.
    """
    from .capture.inputs import get_monitor
    from .drift.profiling import profile_frame
    from .tracking import record_frame

    label = name or "frame"
    with get_monitor().paused():
        profile = profile_frame(frame, name=label)
        record = record_frame(label, profile.digest, profile.rows, profile.dumps().encode())
    return {
        "name": label,
        "digest": profile.digest,
        "rows": profile.rows,
        "columns": len(profile.columns),
        "profile_sha256": record.profile_sha256,
    }


# -- the model registry ----------------------------------------------------------------------


def _registry() -> Registry:
    from .registry import Registry
    from .store import get_store
    from .tracking import drain_own_writes

    drain_own_writes()  # the runs this kernel recorded are in the store first
    return Registry(get_store())


def _last_run_with(paths: list[str]) -> str | None:
    """The newest run of this kernel that stored one of ``paths`` as an artifact, unchanged."""
    import os

    from .registry.artifacts import file_sha256
    from .store import get_store
    from .tracking import get_tracker

    run_id = get_tracker().last_run_id
    if run_id is None:
        return None
    run = get_store().get_run(run_id)
    for path in paths:
        sha = file_sha256(path)
        name = os.path.basename(path)
        if sha and any(r.sha256 == sha and os.path.basename(r.path) == name for r in run.artifacts):
            return run.id
    return None


def register_model(
    name: str,
    run: str | None = None,
    artifact: str | list[str] | None = None,
    *,
    model: Any = None,
    signature: Any = None,
    description: str = "",
    tags: dict[str, str] | None = None,
) -> VersionRecord:
    """Register the next version of model ``name``.

    Args:
        name: The model (created with its first version).
        run: The run that produced it (an id). Default: this kernel's last tracked run, when
            it stored ``artifact`` unchanged.
        artifact: The model's file(s): the run's artifacts by path or name, or local files
            (copied into the blob store). Default: all the run's artifacts.
        model: An object to store instead (pickled with joblib when installed, else pickle).
        signature: Input columns and dtypes: a DataFrame, ``{column: dtype}``, or (default)
            the ``feature_names_in_`` of ``model``.
        description: Free text.
        tags: Free strings.

    Returns:
        The version (``.version``, ``.ref`` is ``"name/3"``).
    """
    import os
    import tempfile

    from .capture.inputs import get_monitor

    paths = [artifact] if isinstance(artifact, str) else list(artifact or [])
    with get_monitor().paused(), tempfile.TemporaryDirectory() as scratch:
        if model is not None:
            paths.append(_dump_model(model, scratch))
            if signature is None and hasattr(model, "feature_names_in_"):
                signature = model
        registry = _registry()
        if run is None and paths:
            run = _last_run_with([p for p in paths if not p.startswith(scratch + os.sep)])
        return registry.register(
            name,
            run=run,
            artifacts=paths,
            description=description,
            tags=tags,
            signature=signature,
        )


def _dump_model(model: Any, folder: str) -> str:
    import os
    import pickle

    try:
        import joblib  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        path = os.path.join(folder, "model.pkl")
        with open(path, "wb") as f:
            pickle.dump(model, f, protocol=pickle.HIGHEST_PROTOCOL)
        return path
    path = os.path.join(folder, "model.joblib")
    joblib.dump(model, path)
    return path


def load_model(ref: str, *, unpickle: bool = False, dest: str | None = None) -> Any:
    """A registered version's file path (``NAME@alias``, ``NAME/3`` or ``NAME`` for the
    latest): its one file, or the folder of its files, checked against their hashes.

    With ``unpickle=True``, the object unpickled from its pickle or joblib file instead:
    unpickling runs code from the file, so ask for it only for models you trust.
    """
    from .capture.inputs import get_monitor
    from .tracking import record_model_load

    with get_monitor().paused():
        registry = _registry()
        version = registry.resolve(ref)
        loaded = registry.load(f"{version.model}/{version.version}", unpickle=unpickle, dest=dest)
    # A tracked cell that loads a version evaluates it (gates read its metrics and data).
    record_model_load(version.ref)
    return loaded


def log_predictions(y_true: Any, y_pred: Any) -> dict[str, Any]:
    """Record per-example predictions with the run (of this tracked cell, else the next).

    A gate with ``--bootstrap N`` resamples them to tell a real improvement from noise: log
    them in the evaluations of both versions, for the same examples in the same order.

    Args:
        y_true: The true labels or values (a list or 1-d array).
        y_pred: The predictions: labels, values, scores, or one row of class probabilities
            per example.

    Returns:
        ``{"sha256", "n"}``.

    Raises:
        InvalidArgumentError: If they are empty, of different lengths, or not numbers.
    """
    import math

    from .errors import InvalidArgumentError
    from .tracking import record_predictions

    truth = y_true.tolist() if hasattr(y_true, "tolist") else list(y_true)
    predicted = y_pred.tolist() if hasattr(y_pred, "tolist") else list(y_pred)
    if not truth or len(truth) != len(predicted):
        raise InvalidArgumentError(
            f"log_predictions: {len(truth)} true values and {len(predicted)} predictions"
        )

    def finite(value: Any) -> bool:
        if isinstance(value, list):
            return all(finite(v) for v in value)
        return (
            isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        )

    if not (finite(truth) and finite(predicted)):
        raise InvalidArgumentError("log_predictions: every value must be a finite number")
    return record_predictions(truth, predicted)


def set_alias(name: str, alias: str, version: int | None, *, reason: str) -> Event:
    """Point ``name@alias`` at ``version`` (None removes it); the move is in its history."""
    return _registry().set_alias(name, alias, version, reason=reason)


def rollback(name: str, alias: str, *, reason: str) -> Event:
    """Move ``name@alias`` back to the version it pointed at before its last move."""
    return _registry().rollback(name, alias, reason=reason)


def model_versions(name: str) -> list[VersionRecord]:
    """The versions of model ``name``, oldest first."""
    return _registry().log.list_versions(name)


def model_history(name: str, alias: str | None = None) -> list[Event]:
    """A model's events, oldest first (only ``alias``'s moves when given)."""
    return _registry().history(name, alias)


def lineage(ref: str, *, reverse: bool = False) -> Lineage:
    """What a model version (``NAME@alias``, ``NAME/3``) or run was made from: its run, data
    (sha256), cell source, notebook snapshot, commit; ``reverse``: every run and version
    that used a file or digest."""
    from .registry import lineage as walk

    return walk(_registry(), ref, reverse=reverse)


def gate(
    name: str,
    candidate: int,
    against: str = "champion",
    rules: list[Any] | None = None,
    *,
    data: str | None = None,
    reevaluate: bool = False,
    bootstrap: int | None = None,
    seed: int = 0,
) -> Any:
    """Gate version ``candidate`` of ``name`` against the version ``against`` holds.

    Rules are ``"auc:higher,min=0.8,abs=0.01"`` strings or dicts (default: the policy's).
    Both versions must have been evaluated on the same data (a tracked cell that loaded the
    version with :func:`load_model` and logged metrics; else the producing run), or the gate
    refuses to compare -- unless ``reevaluate`` re-runs the champion's evaluation notebook on
    the candidate's data. ``bootstrap=N`` adds a seeded paired bootstrap interval from
    :func:`log_predictions`. The result (``.passed``, ``.reasons``, ``.deltas``,
    ``.same_eval_data``) is recorded as an immutable event.
    """
    registry = _registry()
    reevaluator = None
    if reevaluate:
        from .registry.reevaluate import SweepReevaluator

        reevaluator = SweepReevaluator(registry)
    return registry.gate(
        name, candidate, against=against, rules=rules, data=data, bootstrap=bootstrap,
        seed=seed, reevaluate=reevaluator,
    )  # fmt: skip


def request_approval(
    name: str, version: int, alias: str, *, comment: str | None = None
) -> dict[str, Any]:
    """Ask for approval to promote ``name/version`` to ``alias``; returns the request
    (``["id"]`` is what approvers approve)."""
    return _registry().request_approval(name, version, alias, comment=comment)


def approve(request_id: str, *, comment: str | None = None) -> dict[str, Any]:
    """Approve a request (not your own under the default policy). The identity is the OS
    login or ``$MLOPS_JUPYTER_USER``: self-declared, fine on one machine only; on a shared
    server approve through JupyterLab, where the user is authenticated."""
    return _registry().approve(request_id, comment=comment)


def reject(request_id: str, *, comment: str) -> dict[str, Any]:
    """Reject a request, saying why."""
    return _registry().reject(request_id, comment=comment)


def promote(name: str, version: int, alias: str, *, reason: str) -> Event:
    """Move ``name@alias`` to ``version`` if its policy allows it now (a passing gate against
    the current holder, the approvals); else nothing moves and
    :class:`~mlops_jupyter.store.lifecycle.GuardRefusedError` lists every missing condition."""
    return _registry().promote(name, version, alias, reason=reason)


def set_policy(name: str, policy: dict[str, Any] | None, *, reason: str | None = None) -> Any:
    """Set a model's approval policy (None: back to the defaults), e.g.
    ``{"aliases": {"champion": {"gate": True, "approvals": 2, "approvers": ["ana", "raj"]}}}``."""
    return _registry().set_policy(name, policy, reason=reason)


def add_trigger(
    name: str,
    when: str,
    *,
    retrain: str,
    experiment: str | None = None,
    model: str | None = None,
    **options: Any,
) -> Any:
    """Define a continuous-training trigger (checked now: a bad condition fails here).

    ``when`` is a metric filter (``"metrics.accuracy < 0.9"``, on ``experiment``'s runs or
    ``model``'s evaluations, ``NAME@ALIAS``), ``"drift"`` / ``"drift:COLUMN"`` (``model``'s
    drift checks), ``"new-data:PATH"`` or ``"every 6h"``. ``retrain`` is a run id or
    ``NAME@ALIAS``: its pinned notebook runs again with ``params``, the result is registered
    (``register``), gated (``against``, ``rules``) and put up for approval. Other options:
    ``window``, ``cooldown``, ``executor``, ``promote``, ``webhook``, ``webhook_secret_env``.
    """
    from .store import get_store
    from .triggers import Monitor, Trigger

    params = options.pop("params", {})
    rules = tuple(options.pop("rules", ()))
    trigger = Trigger(
        name=name, when=when, kind="", retrain=retrain, experiment=experiment, model=model,
        params=dict(params), rules=rules, **options,
    )  # fmt: skip
    return Monitor(get_store()).add(trigger)


def run_monitor() -> list[dict[str, Any]]:
    """Evaluate the triggers once (as ``mlops-jupyter monitor run --once``) and return the
    firings with their outcomes."""
    from .store import get_store
    from .triggers import Monitor

    monitor = Monitor(get_store())
    try:
        return [firing.to_json() for firing in monitor.evaluate()]
    finally:
        monitor.close()
