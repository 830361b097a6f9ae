"""Checks as lifecycle facts: each recorded check is a ``drift_check`` event in the store's
hash-chained log -- reference, batch digest and size, verdict, per-column scores, thresholds
and methods -- with its full report as a blob, linked in the lineage to the batch's data, the
reference's data and the model version, so that continuous training can trigger on it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import InvalidArgumentError, NotFoundError
from .check import DriftReport, Thresholds, check_drift
from .reference import Reference, resolve

if TYPE_CHECKING:
    import pandas as pd

    from ..store.base import RunStore
    from ..store.lifecycle import Event
    from .profile import Profile

__all__ = [
    "CHECK_KIND",
    "check",
    "check_summary",
    "frame_drift_line",
    "get_check",
    "list_checks",
    "record_check",
]

#: The event kind of a recorded check.
CHECK_KIND = "drift_check"


def check_summary(
    report: DriftReport, reference: Reference, batch_name: str | None
) -> dict[str, Any]:
    """What the event keeps of a check (the full report is a blob)."""
    return {
        "reference": {
            "ref": reference.ref,
            "source": reference.source,
            "name": report.reference_name,
            "digest": report.reference_digest,
            "rows": report.n_reference,
            "run_id": reference.run_id,
            "version": reference.version,
        },
        "batch": {"name": batch_name, "digest": report.batch_digest, "rows": report.n_batch},
        "verdict": report.verdict,
        "drift_share": round(report.drift_share, 6),
        "drifted_columns": report.drifted_columns,
        "columns": {
            name: {
                "method": column.method,
                "score": None if column.score is None else round(column.score, 6),
                "threshold": None if column.threshold is None else round(column.threshold, 6),
                "status": column.status,
            }
            for name, column in report.columns.items()
        },
        "schema_changes": report.schema_changes,
        "new_categories": report.new_categories,
    }


def _digest(value: str) -> str:
    return value.removeprefix("sha256:")


def record_check(
    store: RunStore,
    report: DriftReport,
    reference: Reference,
    *,
    actor: str,
    batch_name: str | None = None,
) -> Event:
    """Record a check: its event (with the report as a blob) and its lineage edges."""
    from ..store.lifecycle import THIS_EVENT, Edge

    summary = check_summary(report, reference, batch_name)
    summary["report_sha256"] = store.put_json_blob(report.to_json(), fsync=True)
    model = version = None
    if reference.version is not None:
        model, _, number = reference.version.rpartition("/")
        version = int(number)
    node = THIS_EVENT  # the event's number, known once appended
    edges = [
        Edge("data", _digest(report.batch_digest), "drift", node, "batch"),
        Edge("data", _digest(report.reference_digest), "drift", node, "reference"),
    ]
    if reference.run_id:
        edges.append(Edge("run", reference.run_id, "drift", node, "reference"))
    if reference.version:
        edges.append(Edge("version", reference.version, "drift", node, "checked"))
    return store.lifecycle.append_event(
        CHECK_KIND,
        actor=actor,
        model=model,
        to_version=version,
        reason=(
            f"{report.verdict}: {len(report.drifted_columns)} of {len(report.columns)} "
            "columns drifted"
        ),
        payload=summary,
        edges=edges,
    )


def check(
    batch: pd.DataFrame | Profile,
    against: str | Profile,
    *,
    store: RunStore | None = None,
    critical: Collection[str] = (),
    thresholds: Thresholds | Mapping[str, float] | None = None,
    calibrate: bool = True,
    pvalues: bool = False,
    record: bool = True,
    actor: str | None = None,
    batch_name: str | None = None,
) -> DriftReport:
    """Check ``batch`` against a reference and (by default) record the check.

    Args:
        batch: A DataFrame, or a stored profile of one.
        against: A profile, or a reference: a profile file, a run id, ``NAME@alias`` or
            ``NAME/VERSION`` (the training data of that version's run), ``#FRAME`` to pick
            one of several logged frames.
        store: The store to resolve references in and record to (default: this process's).
        critical, thresholds, calibrate, pvalues: See
            :func:`~mlops_jupyter.drift.check.check_drift`.
        record: Record the check (a ``drift_check`` event, its report, its lineage).
        actor: Who checks (default: ``$MLOPS_JUPYTER_USER`` or the login).
        batch_name: What to call the batch in the record (e.g. its file).

    Returns:
        The report; ``report.check_id`` is the recorded check's number.
    """
    if isinstance(against, str):
        reference = resolve(against, store)
    else:
        reference = Reference(against, against.name or "profile")
    report = check_drift(
        batch, reference.profile, critical=critical, thresholds=thresholds,
        calibrate=calibrate, pvalues=pvalues,
    )  # fmt: skip
    report.reference_ref = reference.ref
    if record:
        from ..registry.actor import default_actor
        from ..store import get_store

        event = record_check(
            store or get_store(), report, reference, actor=actor or default_actor(),
            batch_name=batch_name,
        )  # fmt: skip
        report.check_id = event.seq
    return report


def list_checks(
    store: RunStore, *, model: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """Recorded checks, newest first (of one model's versions, or all)."""
    events = store.lifecycle.events(model=model, kinds=[CHECK_KIND])
    return [
        {"check_id": e.seq, "at": e.at, "actor": e.actor, "model": e.model,
         "version": e.to_version, **(e.details if isinstance(e.details, dict) else {})}
        for e in reversed(events[-limit:])
    ]  # fmt: skip


def get_check(store: RunStore, check_id: int) -> dict[str, Any]:
    """One recorded check with its full report.

    Raises:
        NotFoundError: If there is no such check.
    """
    if isinstance(check_id, bool) or not isinstance(check_id, int) or check_id < 1:
        raise InvalidArgumentError("a check id is a positive number")
    events = store.lifecycle.events(after=check_id - 1, limit=1)
    if not events or events[0].seq != check_id or events[0].kind != CHECK_KIND:
        raise NotFoundError(f"no drift check {check_id}")
    event = events[0]
    summary = event.details if isinstance(event.details, dict) else {}
    report = store.get_json_blob(summary["report_sha256"]) if summary.get("report_sha256") else None
    return {"check_id": event.seq, "at": event.at, "actor": event.actor, "model": event.model,
            "version": event.to_version, **summary, "report": report}  # fmt: skip


def _frame_profile(store: RunStore, run: Any, name: str) -> Profile | None:
    from .profile import Profile

    for record in run.inputs:
        if record.kind == "frame" and record.path == name and record.profile_sha256:
            return Profile.loads(store.blobs.get_bytes(record.profile_sha256).decode("utf-8"))
    return None


def frame_drift_line(store: RunStore, run: Any, *, model: str | None = None) -> str | None:
    """One line comparing the frames ``run`` logged with their references (``%%track``
    prints it): the same-named frame of the champion's run when the cell registers into
    ``model``, else of the newest earlier finished run of the experiment. Not recorded (a
    courtesy; ``check`` records). None when no frame has a reference."""
    from ..errors import MlopsError
    from ..models import RunStatus

    frames = [r for r in run.inputs if r.kind == "frame" and r.profile_sha256]
    if not frames:
        return None
    parts: list[str] = []
    earlier = None
    for record in frames:
        reference_run, where = None, ""
        if model is not None:
            try:
                from ..registry import Registry

                champion = Registry(store).resolve(f"{model}@champion")
                if champion.run_id and champion.run_id != run.id:
                    reference_run = store.get_run(champion.run_id)
                    where = f"{model}@champion's"
            except MlopsError:
                reference_run = None
        if reference_run is None:
            if earlier is None:
                earlier = [
                    r for r in store.search_runs(experiment=run.experiment, limit=50)
                    if r.id != run.id and r.status is RunStatus.FINISHED
                ]  # fmt: skip
            reference_run = next(
                (
                    r
                    for r in earlier
                    if any(i.kind == "frame" and i.path == record.path for i in r.inputs)
                ),
                None,
            )
            where = "the last run's" if reference_run is not None else ""
        if reference_run is None:
            continue
        try:
            reference = _frame_profile(store, reference_run, record.path)
            batch = _frame_profile(store, run, record.path)
            if reference is None or batch is None:
                continue
            report = check_drift(batch, reference)
        except MlopsError:
            continue
        drifted = report.drifted_columns
        if report.verdict == "insufficient_data":
            verdict = "too little data to tell"
        elif drifted:
            shown = ", ".join(drifted[:4]) + (" ..." if len(drifted) > 4 else "")
            verdict = f"drift in {shown}" + (
                " (the data as a whole: ok)" if report.verdict == "ok" else ""
            )
        else:
            verdict = "no drift"
        parts.append(
            f"{record.path} vs {where} (run {reference_run.id[:8]}): {verdict} "
            f"({len(drifted)} of {len(report.columns)} columns)"
        )
    return "; ".join(parts) or None
