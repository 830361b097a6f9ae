"""Row <-> model mapping of the SQL store: how a :class:`~mlops_jupyter.models.Run` is laid
out in the ``runs`` table, its child tables (params, final metrics, tags) and blobs.

Large, repeated parts of a run (environment, execution history) live in JSON blobs; the
columns lists filter and sort on are real columns; everything else is one ``record`` JSON.

Text the databases cannot hold, the same way on every backend: PostgreSQL text has no NUL
character, and no backend stores a lone surrogate (``"\\ud800"``, which is not UTF-8). In
text columns (name, experiment, source, host, tag keys and values, parameter names) they
are written as backslash escapes (:func:`storable_text`), so the run is kept and shows where
they were; JSON (parameter values, the record, blobs) escapes them itself and keeps them
exactly. Metric names are refused instead (:func:`check_metric_key`): a metric is asked for
by its name, and an escaped name would be another metric.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Double, Text, cast, literal_column, null, select, union_all
from sqlalchemy.engine import Connection

from ...errors import InvalidArgumentError
from ...models import Run, RunStatus, json_safe
from ..schema import metrics, params, runs, tags
from .statements import RUN_COLUMNS, chunks

__all__ = [
    "LIST_COLUMNS",
    "ChildRow",
    "Row",
    "build_run",
    "check_metric_key",
    "check_run_id",
    "child_rows",
    "dumps_internal",
    "filter_text",
    "lineage_rows",
    "metric_values",
    "nan_to_none",
    "param_row",
    "read_children",
    "run_columns",
    "run_summary_from_row",
    "status_value",
    "storable_text",
    "validate_run",
]

#: A database row, used by attribute name. Row is generic over a tuple in SQLAlchemy 2.0
#: and variadic in 2.1: spelled as Any to type-check against both.
Row = Any
#: ``(kind, key, text, num)`` of a param ("p"), final metric ("m") or tag ("t").
ChildRow = Any

#: Everything a run summary needs: the source may be large and is left out of lists.
LIST_COLUMNS = tuple(c for c in runs.columns if c.name != "source")
# Fields kept outside the ``record`` JSON: in columns, in their own tables, in blobs, or
# derived (duration).
_NOT_IN_RECORD = frozenset(RUN_COLUMNS) | {
    "params",
    "metrics",
    "tags",
    "env",
    "history",
    "duration",
}


# What no text column may hold: NUL (PostgreSQL) and lone surrogates (not UTF-8).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# Text columns that hold what users and their code chose (ids and statuses are validated).
_FREE_TEXT_COLUMNS = ("name", "experiment", "source", "host", "reproduction_of", "sweep_id")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return "\\x00" if char == "\x00" else f"\\u{ord(char):04x}"


def storable_text(text: str) -> str:
    """``text`` as a text column keeps it: NUL and lone surrogates written as backslash
    escapes (``\\x00``, ``\\ud800``), everything else unchanged."""
    if _UNSTORABLE.search(text) is None:
        return text
    return _UNSTORABLE.sub(_escape, text)


def filter_text(text: str) -> str:
    """``text`` as the ``value_text`` column of a parameter keeps it for filters and sorts:
    NUL and lone surrogates become U+FFFD (the value itself is kept exactly in JSON)."""
    if _UNSTORABLE.search(text) is None:
        return text
    return _UNSTORABLE.sub("\ufffd", text)


def check_metric_key(key: str) -> str:
    """Refuse a metric name holding a NUL or a lone surrogate (see the module).

    Raises:
        InvalidArgumentError: Naming the metric (a 400).
    """
    if _UNSTORABLE.search(key) is not None:
        raise InvalidArgumentError(
            f"metric name {key!r:.80} contains a NUL character or a lone surrogate, "
            "which the run database cannot store: rename the metric"
        )
    return key


def check_run_id(run_id: str) -> str:
    """Refuse a run id holding a NUL or a lone surrogate: no run has one (a 400)."""
    if _UNSTORABLE.search(run_id) is not None:
        raise InvalidArgumentError(
            f"invalid run id {run_id!r:.80}: it contains a NUL character or a lone surrogate"
        )
    return run_id


def _json_default(value: Any) -> Any:
    # Params and extras come from user code: NumPy scalars and arrays, sets, paths... A
    # tracked cell must not fail because of them, so keep what JSON can express.
    item = getattr(value, "item", None)
    if callable(item):
        try:
            return item()
        except (TypeError, ValueError):
            pass
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        return tolist()
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    return str(value)


def dumps_internal(value: Any) -> str:
    """JSON for internal columns: NaN/Infinity kept as tokens, odd values made JSON."""
    # Internal columns keep NaN/Infinity as JSON's non-standard tokens, which json.loads
    # reads back as floats: stored runs come back exactly as written. Strict JSON is
    # produced at the API boundary (Run.to_json).
    return json.dumps(value, separators=(",", ":"), default=_json_default)


def nan_to_none(value: float) -> float | None:
    """None for NaN (the store keeps NaN as NULL), else the value."""
    return None if value != value else value


def param_row(run_id: str, key: str, value: Any) -> dict[str, Any]:
    """The ``params`` row of one parameter, with its numeric and text forms for filters."""
    value_num: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            value_num = nan_to_none(float(value))
        except OverflowError:  # an int too large for a double
            value_num = None
    return {
        "run_id": run_id,
        "key": key,
        "value_json": dumps_internal(value),
        "value_num": value_num,
        # Only filters and sorts read value_text (value_json is the value): a NUL, which
        # PostgreSQL text cannot hold, or a lone surrogate becomes U+FFFD there.
        "value_text": filter_text(value) if isinstance(value, str) else None,
    }


def validate_run(run: Run) -> None:
    """Refuse a run without a valid id, experiment or status."""
    if not isinstance(run, Run):
        raise InvalidArgumentError(f"expected a Run, got {type(run).__name__}")
    if not isinstance(run.id, str) or not run.id or len(run.id) > 64:
        raise InvalidArgumentError(f"invalid run id {run.id!r:.80}: 1 to 64 characters")
    check_run_id(run.id)
    if not isinstance(run.experiment, str) or not run.experiment:
        raise InvalidArgumentError("a run needs a non-empty experiment name")
    try:
        RunStatus(run.status)
    except ValueError:
        raise InvalidArgumentError(f"invalid run status {run.status!r}") from None


def metric_values(run: Run) -> dict[str, float | None]:
    """The run's final metric values as floats (NaN as None)."""
    try:
        values = {str(k): nan_to_none(float(v)) for k, v in run.metrics.items()}
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(f"metric values must be numbers: {exc}") from None
    for key in values:
        check_metric_key(key)
    return values


def status_value(status: RunStatus | str | None) -> str | None:
    """The stored form of a status filter (None: no filter)."""
    if status is None:
        return None
    try:
        return RunStatus(status).value
    except ValueError:
        raise InvalidArgumentError(f"unknown run status {status!r}") from None


def run_columns(run: Run, put_json_blob: Callable[[Any], str]) -> dict[str, Any]:
    """The ``runs`` row of ``run``; its environment and history are stored as JSON blobs.

    Blobs are written before the transaction: it may be retried, and an orphan blob left by
    a failed transaction is harmless (content-addressed, immutable).
    """
    env_sha = put_json_blob(run.env) if run.env else None
    history_sha = put_json_blob(run.history) if run.history else None
    data = run.to_json(strict=False)
    columns = {name: data.get(name) for name in RUN_COLUMNS}
    columns["source"] = run.source or ""
    for name in _FREE_TEXT_COLUMNS:
        value = columns[name]
        if isinstance(value, str):
            columns[name] = storable_text(value)
    columns["record"] = dumps_internal({k: v for k, v in data.items() if k not in _NOT_IN_RECORD})
    columns["env_sha256"] = env_sha
    columns["history_sha256"] = history_sha
    return columns


def child_rows(run: Run) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The ``params`` and ``tags`` rows of ``run``."""
    # Keyed by the stored key first: {1: a, "1": b} must not collide on the primary key.
    param_values = {storable_text(str(k)): v for k, v in run.params.items()}
    param_rows = [param_row(run.id, k, v) for k, v in param_values.items()]
    tag_values = {storable_text(str(k)): storable_text(str(v)) for k, v in run.tags.items()}
    tag_rows = [{"run_id": run.id, "key": k, "value": v} for k, v in tag_values.items()]
    return param_rows, tag_rows


def build_run(
    row: Row, children: Sequence[ChildRow], load_blob: Callable[[str | None, Any], Any]
) -> Run:
    """The :class:`Run` of a ``runs`` row and its child rows.

    Args:
        row: The row (a list row lacks the source column, see :data:`LIST_COLUMNS`).
        children: Its ``(kind, key, text, num)`` rows (see :func:`read_children`).
        load_blob: ``load_blob(sha, empty)`` reads a JSON blob, ``empty`` when missing.
    """
    data: dict[str, Any] = json.loads(row.record)
    for name in RUN_COLUMNS:
        data[name] = getattr(row, name, None)
    run_params: dict[str, Any] = {}
    run_metrics: dict[str, float] = {}
    run_tags: dict[str, str] = {}
    for kind, key, text, num in sorted(children, key=lambda c: c[1]):
        if kind == "p":
            run_params[key] = json.loads(text)
        elif kind == "m":
            run_metrics[key] = math.nan if num is None else float(num)
        else:
            run_tags[key] = text
    data["params"] = run_params
    data["tags"] = run_tags
    data["env"] = load_blob(row.env_sha256, {})
    data["history"] = load_blob(row.history_sha256, [])
    run = Run.from_json(data)
    # from_json would read these again; set them directly (NaN arrives as None).
    run.metrics = run_metrics
    return run


def read_children(
    conn: Connection, run_ids: Sequence[str], *, raw: bool = False
) -> dict[str, list[Row]]:
    """(kind, key, text, num) rows of params ("p"), final metrics ("m") and tags ("t").

    ``raw`` reads the driver's plain tuples, skipping SQLAlchemy's row objects (a page of
    runs has about fifteen children per run).
    """
    no_text = cast(null(), Text)
    no_num = cast(null(), Double)
    children: dict[str, list[Row]] = {}
    for chunk in chunks(run_ids):
        ids = list(chunk)
        child_query = union_all(
            select(
                params.c.run_id, literal_column("'p'"), params.c.key, params.c.value_json, no_num
            ).where(params.c.run_id.in_(ids)),
            select(
                metrics.c.run_id, literal_column("'m'"), metrics.c.key, no_text, metrics.c.value
            ).where(metrics.c.run_id.in_(ids)),
            select(tags.c.run_id, literal_column("'t'"), tags.c.key, tags.c.value, no_num).where(
                tags.c.run_id.in_(ids)
            ),
        )
        result = conn.execute(child_query)
        if raw and result.cursor is not None:
            found: Any = result.cursor.fetchall()
            result.close()
        else:
            found = result
        for r in found:
            children.setdefault(r[0], []).append(tuple(r)[1:])
    return children


def run_summary_from_row(row: Row, children: Sequence[Row]) -> dict[str, Any]:
    """The run summary (see :func:`mlops_jupyter.query.run_summary`) straight from a row.

    Building a whole :class:`Run` first would cost several times more for a page of runs; a
    test checks that both give the same result.
    """
    record = json.loads(row.record)
    run_metrics: dict[str, Any] = {}
    run_tags: dict[str, str] = {}
    param_keys: list[str] = []
    param_texts: list[str] = []
    for kind, key, text, num in sorted(children, key=lambda c: c[1]):
        if kind == "p":
            param_keys.append(key)
            param_texts.append(text)
        elif kind == "m":
            run_metrics[key] = "NaN" if num is None else num
        else:
            run_tags[key] = text
    # One parse for all the params of the run instead of one per param.
    run_params = dict(zip(param_keys, json.loads(f"[{','.join(param_texts)}]"), strict=True))
    git = record.get("git")
    notebook = record.get("notebook")
    error = record.get("error")
    return {
        "id": row.id,
        "name": row.name,
        "experiment": row.experiment,
        "status": row.status,
        "started_at": row.started_at,
        "ended_at": row.ended_at,
        "duration": row.duration,
        "params": json_safe(run_params),
        "metrics": json_safe(run_metrics),
        "tags": run_tags,
        "reproduction_of": row.reproduction_of,
        "sweep_id": row.sweep_id,
        "git": None
        if git is None
        else {
            "commit": git.get("commit"),
            "branch": git.get("branch"),
            "dirty": bool(git.get("dirty", False)),
        },
        "notebook_path": None if notebook is None else notebook.get("path"),
        "error_type": None if error is None else error.get("type", ""),
    }


#: ``name/3``: a model version a run loaded (an evaluation of it).
_VERSION_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}/[1-9][0-9]{0,8}")


def lineage_rows(run: Run) -> list[dict[str, str]]:
    """The lineage edges of a run: the data, files and URLs it read, the code it ran (notebook
    snapshot, commit), the run it reproduces or the sweep it belongs to, and the model
    versions it loaded (the run evaluates them)."""
    found: dict[tuple[str, str, str], None] = {}
    base = run.notebook.path if run.notebook is not None else None
    cwd = run.extra.get("cwd")
    base_dir = os.path.dirname(base) if base else (cwd if isinstance(cwd, str) else None)
    for record in run.inputs:
        if record.kind == "url":
            found[("url", record.path, "input")] = None
            continue
        if record.sha256:
            found[("data", record.sha256, "input")] = None
        if record.kind in ("file", "folder") and base_dir is not None:
            path = os.path.normpath(os.path.join(base_dir, record.path))
            found[("file", path, "input")] = None
    if run.notebook is not None and run.notebook.snapshot_sha256:
        found[("snapshot", run.notebook.snapshot_sha256, "code")] = None
    if run.git is not None and run.git.commit:
        found[("commit", run.git.commit, "code")] = None
    if run.reproduction_of:
        found[("run", run.reproduction_of, "reproduction")] = None
    if run.sweep_id:
        found[("sweep", run.sweep_id, "sweep")] = None
    loaded = run.extra.get("models_loaded")
    for ref in loaded if isinstance(loaded, list) else []:
        if isinstance(ref, str) and _VERSION_REF.fullmatch(ref):
            found[("version", ref, "evaluation")] = None
    return [
        {
            "src_kind": kind,
            "src": storable_text(src),
            "dst_kind": "run",
            "dst": run.id,
            "relation": relation,
        }
        for kind, src, relation in found
    ]
