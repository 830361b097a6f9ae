"""When a trigger's condition holds, and why: each cause has a key naming exactly what made
it hold (the newest run read, the drift check, the data's digest, the period), so that a cause
fires once however many evaluators see it."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import MlopsError
from ..formatting import format_value
from ..models import Run, RunStatus
from ..query import Field, evaluate_filter, fields_of, parse_filter
from .definition import Trigger, content_digest, parse_period

if TYPE_CHECKING:
    from ..registry import Registry
    from ..store.lifecycle import Event

__all__ = ["Cause", "cause_of"]

_MAX_SCANNED = 500


@dataclass
class Cause:
    """Why a trigger fires now.

    Attributes:
        key: Names the cause exactly (one firing per key, ever).
        summary: In words.
        details: What was read (runs and values, the check, the digest...).
    """

    key: str
    summary: str
    details: dict[str, Any] = field(default_factory=dict)


def _mine(run: Run, trigger: Trigger) -> bool:
    launched = run.extra.get("triggered_by")
    return isinstance(launched, dict) and launched.get("trigger") == trigger.name


def _experiment_runs(registry: Registry, trigger: Trigger) -> list[Run]:
    runs = registry.store.search_runs(
        experiment=trigger.experiment, status=RunStatus.FINISHED, limit=_MAX_SCANNED
    )
    return [r for r in runs if not _mine(r, trigger)]


def _evaluation_runs(registry: Registry, trigger: Trigger) -> tuple[list[Run], str]:
    """The alias's version's evaluations, newest first (else its producing run)."""
    assert trigger.model is not None  # noqa: S101 - validated
    version = registry.resolve(trigger.model)
    runs: list[Run] = []
    for edge in registry.log.edges_from("version", [version.ref]):
        if edge.relation == "evaluation" and edge.dst_kind == "run":
            try:
                run = registry.store.get_run(edge.dst)
            except MlopsError:
                continue
            if run.status is RunStatus.FINISHED and not _mine(run, trigger):
                runs.append(run)
    runs.sort(key=lambda r: r.started_at, reverse=True)
    if not runs and version.run_id:
        try:
            runs = [registry.store.get_run(version.run_id)]
        except MlopsError:
            runs = []
    return runs, version.ref


def _metric(registry: Registry, trigger: Trigger) -> Cause | None:
    node = parse_filter(trigger.when)
    if node is None:
        return None
    if trigger.model is not None:
        runs, about = _evaluation_runs(registry, trigger)
    else:
        runs, about = _experiment_runs(registry, trigger), str(trigger.experiment)
    window = runs[: trigger.window]
    if len(window) < trigger.window:
        return None

    def lookup(named: Field) -> Any:
        if named.kind == "params":
            return window[0].params.get(named.name)
        values = [r.metrics.get(named.name) for r in window]
        if any(v is None or not math.isfinite(v) for v in values):
            return None
        return sum(values) / len(values)  # type: ignore[arg-type]

    if not evaluate_filter(node, lookup):
        return None
    values = {f"{f.kind}.{f.name}": lookup(f) for f in fields_of(node)}
    shown = ", ".join(f"{k} = {format_value(v)}" for k, v in values.items())
    over = (
        f"the mean of the last {len(window)} runs" if len(window) > 1 else f"run {window[0].id[:8]}"
    )
    return Cause(
        key=f"{trigger.name}|metric|{about}|{window[0].id}",
        summary=f"{trigger.when}: {shown} ({over} of {about})",
        details={"runs": [r.id for r in window], "values": values, "of": about},
    )


def _drift(registry: Registry, trigger: Trigger) -> Cause | None:
    assert trigger.model is not None  # noqa: S101 - validated
    name = trigger.model.rpartition("@")[0]
    after = int(trigger.baseline or 0)
    checks: list[Event] = registry.log.events(model=name, kinds=["drift_check"], after=after)
    if not checks:
        return None
    latest = checks[-1]
    details = latest.details if isinstance(latest.details, dict) else {}
    column = trigger.drift_column
    if column is not None:
        holds = column in (details.get("drifted_columns") or [])
    else:
        holds = details.get("verdict") == "drift"
    if not holds:
        return None
    drifted = ", ".join(details.get("drifted_columns") or []) or "-"
    return Cause(
        key=f"{trigger.name}|drift|{latest.seq}",
        summary=f"drift check {latest.seq} against {name}: {details.get('verdict')} "
        f"(drifted: {drifted})",
        details={"check_id": latest.seq, "verdict": details.get("verdict"), "drifted": drifted},
    )


def _data(trigger: Trigger, last_seen: str | None) -> Cause | None:
    path = trigger.watched
    if path is None:
        return None
    try:
        digest = content_digest(path)
    except MlopsError:
        return None  # gone for now: nothing new to train on
    if digest == (last_seen or trigger.baseline):
        return None
    return Cause(
        key=f"{trigger.name}|data|{digest}",
        summary=f"new data in {path} (sha256 {digest[:12]})",
        details={"path": path, "digest": digest, "before": last_seen or trigger.baseline},
    )


def _schedule(trigger: Trigger, now: float) -> Cause | None:
    period = parse_period(trigger.when)
    bucket = int(now // period)
    if trigger.baseline is not None and bucket <= int(trigger.baseline):
        return None
    return Cause(
        key=f"{trigger.name}|every|{bucket}",
        summary=f"{trigger.when}: period {bucket}",
        details={"period": period, "bucket": bucket},
    )


def cause_of(
    registry: Registry, trigger: Trigger, *, now: float | None = None, last_seen: str | None = None
) -> Cause | None:
    """Why ``trigger`` fires now, or None (its condition does not hold).

    Args:
        registry: The registry over the store.
        trigger: The trigger.
        now: The time (Unix), for schedules.
        last_seen: For ``new-data``: the digest its last firing saw.
    """
    if trigger.kind == "metric":
        return _metric(registry, trigger)
    if trigger.kind == "drift":
        return _drift(registry, trigger)
    if trigger.kind == "data":
        return _data(trigger, last_seen)
    if trigger.kind == "schedule":
        return _schedule(trigger, time.time() if now is None else now)
    return None
