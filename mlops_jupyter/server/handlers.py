"""REST handlers. Each is a thin face over the core; errors map to HTTP in one place."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, cast

import tornado.web
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin

from .. import __version__
from ..compare import compare_runs
from ..models import dumps_strict, json_safe
from ..query import parse_filter, parse_sort
from ..series import MAX_POINTS, MIN_POINTS
from ..store import get_store
from ..store.errors import InvalidArgumentError, StoreError

if TYPE_CHECKING:
    from ..store.base import RunStore
    from .app import MlopsJupyterApp

_RUN_ID_RE = re.compile(r"[0-9a-f]{32}")
_INT_RE = re.compile(r"[0-9]{1,12}")
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
DEFAULT_POINTS = 500
MIN_COMPARE, MAX_COMPARE = 2, 20
BLOB_KINDS = ("source", "notebook", "diff", "env", "history")
_TEXT = "text/plain; charset=utf-8"


class BaseHandler(ExtensionHandlerMixin, APIHandler):
    """Turns every error into ``{"message": ...}`` with the right status, never a traceback."""

    @property
    def app(self) -> MlopsJupyterApp:
        """The extension application serving this request."""
        return cast("MlopsJupyterApp", self.extensionapp)

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        # A client's mistake (bad filter, unknown id) is one warning line, not a traceback.
        if isinstance(value, StoreError) and value.code < 500:
            self.log.warning(
                "%d %s %s: %s", value.code, self.request.method, self.request.uri, value
            )
            return
        super().log_exception(typ, value, tb)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        message = self._reason
        exc_info = kwargs.get("exc_info")
        if exc_info is not None:
            exc = exc_info[1]
            if isinstance(exc, StoreError):
                status_code = exc.code
                message = str(exc)
            elif isinstance(exc, tornado.web.HTTPError):
                message = exc.log_message or exc.reason or message
            else:
                message = "internal error in the mlops-jupyter server extension (see server log)"
        self.set_status(status_code)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"message": message}))

    # -- helpers for the verbs ----------------------------------------------------------

    def store(self) -> RunStore:
        """The store this server uses (shared, opened on first use)."""
        return get_store(self.app.store_location())

    def finish_json(self, obj: Any) -> None:
        """Answer with ``obj`` as strict JSON (non-finite floats as strings)."""
        try:
            # Usually nothing is left to replace: skip json_safe's walk over the whole body.
            text = json.dumps(obj, allow_nan=False)
        except ValueError:
            text = json.dumps(json_safe(obj), allow_nan=False)
        self.finish(text)

    def int_argument(self, name: str, default: int, low: int, high: int) -> int:
        """An integer query argument within ``[low, high]``, else a 400 saying the range."""
        raw = self.get_query_argument(name, None)
        if raw is None:
            return default
        value = int(raw) if _INT_RE.fullmatch(raw.strip()) else None
        if value is None or not low <= value <= high:
            raise InvalidArgumentError(
                f"{name} must be an integer from {low} to {high}, got {raw!r:.40}"
            )
        return value


def validate_run_id(run_id: str) -> str:
    """Check a run id taken from a URL: 32 lowercase hex characters.

    Raises:
        InvalidArgumentError: Otherwise (a 400, before anything is looked up).
    """
    if _RUN_ID_RE.fullmatch(run_id) is None:
        raise InvalidArgumentError(f"invalid run id {run_id!r:.80}: expected 32 lowercase hex")
    return run_id


class StatusHandler(BaseHandler):
    """``GET /mlops-jupyter/api/status``: version and the store this server uses."""

    @tornado.web.authenticated
    def get(self) -> None:
        location = self.app.store_location()
        self.finish(
            json.dumps(
                {
                    "version": __version__,
                    "store": {
                        "location": location.description,
                        "kind": location.db_url.split(":", 1)[0].split("+", 1)[0],
                    },
                }
            )
        )


class RunsHandler(BaseHandler):
    """``GET runs``: one page of run summaries, filtered and sorted."""

    @tornado.web.authenticated
    def get(self) -> None:
        where = parse_filter(self.get_query_argument("filter", ""))
        sort = parse_sort(self.get_query_argument("sort", "started_at"))
        order = self.get_query_argument("order", "desc")
        if order not in ("asc", "desc"):
            raise InvalidArgumentError(f"order must be 'asc' or 'desc', got {order!r:.40}")
        limit = self.int_argument("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        offset = self.int_argument("offset", 0, 0, 10**12 - 1)
        experiment = self.get_query_argument("experiment", None)
        store = self.store()
        self.app.mark_stale_runs(store)
        page = store.list_runs(
            where=where,
            sort=sort,
            descending=order == "desc",
            limit=limit,
            offset=offset,
            experiment=experiment,
        )
        self.finish_json(
            {
                "runs": page.runs,
                "total": page.total,
                "offset": offset,
                "limit": limit,
                "version": page.version,
            }
        )


class RunHandler(BaseHandler):
    """``GET runs/{id}``: the full run."""

    @tornado.web.authenticated
    def get(self, run_id: str) -> None:
        run = self.store().get_run(validate_run_id(run_id))
        self.finish(dumps_strict(run.to_json()))


class RunBlobHandler(BaseHandler):
    """``GET runs/{id}/blobs/{kind}``: a large part of a run, fetched on demand."""

    @tornado.web.authenticated
    def get(self, run_id: str, kind: str) -> None:
        validate_run_id(run_id)
        if kind not in BLOB_KINDS:
            raise InvalidArgumentError(
                f"unknown blob kind {kind!r:.40}: use one of {', '.join(BLOB_KINDS)}"
            )
        store = self.store()
        run = store.get_run(run_id)
        missing = StoreError(f"run {run_id!r} has no {kind}", code=404)
        if kind in ("env", "history"):
            value = run.env if kind == "env" else run.history
            if not value:
                raise missing
            self.finish(dumps_strict(value))
            return
        if kind == "source":
            if not run.source:
                raise missing
            self.finish(run.source, set_content_type=_TEXT)
            return
        # Only a sha taken from the stored run reaches the blob store, which validates it.
        if kind == "notebook":
            sha = None if run.notebook is None else run.notebook.snapshot_sha256
            content_type = "application/json"
        else:
            sha = None if run.git is None else run.git.diff_sha256
            content_type = _TEXT
        if sha is None:
            raise missing
        self.finish(store.blobs.get_bytes(sha), set_content_type=content_type)


class RunMetricsHandler(BaseHandler):
    """``GET runs/{id}/metrics``: each metric's point count and final value."""

    @tornado.web.authenticated
    def get(self, run_id: str) -> None:
        summaries = self.store().metric_summaries(validate_run_id(run_id))
        self.finish_json({"metrics": summaries})


class MetricSeriesHandler(BaseHandler):
    """``GET runs/{id}/metrics/{key}?points=N``: a series, downsampled on the server."""

    @tornado.web.authenticated
    def get(self, run_id: str, key: str) -> None:
        validate_run_id(run_id)
        points = self.int_argument("points", DEFAULT_POINTS, MIN_POINTS, MAX_POINTS)
        series = self.store().sampled_metric_series(run_id, key, points)
        self.finish_json(
            {
                "key": key,
                "total": series.total,
                "downsampled": series.downsampled,
                "points": [[step, value] for step, value in series.points],
            }
        )


class CompareHandler(BaseHandler):
    """``GET compare?ids=a,b``: what differs between runs."""

    @tornado.web.authenticated
    def get(self) -> None:
        raw = self.get_query_argument("ids", "")
        ids = [part.strip() for part in raw.split(",") if part.strip()]
        if not MIN_COMPARE <= len(ids) <= MAX_COMPARE:
            raise InvalidArgumentError(
                f"ids must list {MIN_COMPARE} to {MAX_COMPARE} run ids separated by commas, "
                f"got {len(ids)}"
            )
        store = self.store()
        runs = [store.get_run(validate_run_id(run_id)) for run_id in ids]
        self.finish_json(compare_runs(runs))


class ExperimentsHandler(BaseHandler):
    """``GET experiments``: experiment names with run counts."""

    @tornado.web.authenticated
    def get(self) -> None:
        self.finish_json({"experiments": self.store().experiment_summaries()})


_JOB_ID_RE = re.compile(r"[0-9a-f]{32}")
MAX_BODY_BYTES = 64 * 1024


def validate_job_id(job_id: str) -> str:
    """Check a job id taken from a URL: 32 lowercase hex characters (a 400 otherwise)."""
    if _JOB_ID_RE.fullmatch(job_id) is None:
        raise InvalidArgumentError(f"invalid job id {job_id!r:.80}: expected 32 lowercase hex")
    return job_id


def parse_reproduce_body(body: bytes) -> tuple[float, bool]:
    """Read ``{"tolerance"?: number > 0, "twice"?: bool}``; an empty body means defaults.

    Raises:
        InvalidArgumentError: On anything else (a 400 naming the problem).
    """
    import math

    from ..reproduce import DEFAULT_TOLERANCE

    if len(body) > MAX_BODY_BYTES:
        raise InvalidArgumentError(f"the request body must be at most {MAX_BODY_BYTES} bytes")
    if not body.strip():
        return DEFAULT_TOLERANCE, False
    data = _json_object(body)
    unknown = sorted(set(data) - {"tolerance", "twice"})
    if unknown:
        raise InvalidArgumentError(f"unknown field {unknown[0]!r:.40}: use tolerance, twice")
    tolerance = data.get("tolerance", DEFAULT_TOLERANCE)
    if (
        isinstance(tolerance, bool)
        or not isinstance(tolerance, int | float)
        or not math.isfinite(tolerance)
        or tolerance <= 0
    ):
        raise InvalidArgumentError("tolerance must be a number > 0")
    twice = data.get("twice", False)
    if not isinstance(twice, bool):
        raise InvalidArgumentError("twice must be true or false")
    return float(tolerance), twice


class ReproduceHandler(BaseHandler):
    """``POST runs/{id}/reproduce``: start (or join) a reproduction job."""

    @tornado.web.authenticated
    def post(self, run_id: str) -> None:
        validate_run_id(run_id)
        tolerance, twice = parse_reproduce_body(self.request.body)
        self.store().get_run(run_id)  # 404 before anything is queued
        job, created = self.app.jobs().submit_reproduce(run_id, tolerance, twice)
        self.set_status(202 if created else 200)
        self.finish_json({"job": job.to_json()})


class JobHandler(BaseHandler):
    """``GET jobs/{id}``: a job's state; ``DELETE jobs/{id}``: cancel it."""

    @tornado.web.authenticated
    def get(self, job_id: str) -> None:
        job = self.app.jobs().get(validate_job_id(job_id))
        self.finish_json({"job": job.to_json()})

    @tornado.web.authenticated
    def delete(self, job_id: str) -> None:
        job = self.app.jobs().cancel(validate_job_id(job_id))
        self.finish_json({"job": job.to_json()})


class JobsHandler(BaseHandler):
    """``GET jobs?run_id=``: jobs kept by this server, newest first."""

    @tornado.web.authenticated
    def get(self) -> None:
        run_id = self.get_query_argument("run_id", None)
        if run_id is not None:
            validate_run_id(run_id)
        jobs = self.app.jobs().list(run_id=run_id)
        self.finish_json({"jobs": [job.to_json() for job in jobs]})


MAX_SWEEP_WORKERS = 8


def parse_sweep_body(body: bytes) -> tuple[str, dict[str, list[Any]], int]:
    """Read ``{"run_id": str, "grid": {name: [values...]}, "workers"?: 1..8}``.

    The grid is expanded here once, so a bad name, a non-JSON value or more than
    :data:`~mlops_jupyter.sweep.MAX_COMBINATIONS` combinations is a 400 before anything runs.

    Raises:
        InvalidArgumentError: On anything else (a 400 naming the problem).
    """
    from ..sweep import expand_grid

    data = _json_object(body)
    unknown = sorted(set(data) - {"run_id", "grid", "workers"})
    if unknown:
        raise InvalidArgumentError(f"unknown field {unknown[0]!r:.40}: use run_id, grid, workers")
    run_id = data.get("run_id")
    if not isinstance(run_id, str):
        raise InvalidArgumentError("run_id must be a run id (a string)")
    validate_run_id(run_id)
    grid = data.get("grid")
    if not isinstance(grid, dict) or not all(isinstance(v, list) for v in grid.values()):
        raise InvalidArgumentError("grid must be an object mapping parameter names to lists")
    expand_grid(grid)
    workers = data.get("workers", 1)
    if isinstance(workers, bool) or not isinstance(workers, int):
        raise InvalidArgumentError(f"workers must be an integer from 1 to {MAX_SWEEP_WORKERS}")
    if not 1 <= workers <= MAX_SWEEP_WORKERS:
        raise InvalidArgumentError(f"workers must be an integer from 1 to {MAX_SWEEP_WORKERS}")
    return run_id, grid, workers


def _json_object(body: bytes) -> dict[str, Any]:
    if len(body) > MAX_BODY_BYTES:
        raise InvalidArgumentError(f"the request body must be at most {MAX_BODY_BYTES} bytes")
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise InvalidArgumentError("the request body is not UTF-8") from None
    except (ValueError, RecursionError):
        raise InvalidArgumentError("the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise InvalidArgumentError("the request body must be a JSON object")
    return data


class SweepsHandler(BaseHandler):
    """``POST sweeps``: start a sweep of a run's pinned notebook over a grid (a job)."""

    @tornado.web.authenticated
    def post(self) -> None:
        run_id, grid, workers = parse_sweep_body(self.request.body)
        self.store().get_run(run_id)  # 404 before anything is queued
        job = self.app.jobs().submit_sweep(run_id, grid, workers)
        self.set_status(202)
        self.finish_json({"job": job.to_json()})


class SweepHandler(BaseHandler):
    """``GET sweeps/{id}``: a sweep's manifest, with each execution's status and runs."""

    @tornado.web.authenticated
    def get(self, sweep_id: str) -> None:
        from ..sweep import load_sweep

        sweep = load_sweep(sweep_id, self.app.store or None)
        self.finish_json({"sweep": sweep.to_json()})


ROUTES: list[tuple[str, type[BaseHandler]]] = [
    ("status", StatusHandler),
    ("runs", RunsHandler),
    (r"runs/(?P<run_id>[^/]+)", RunHandler),
    (r"runs/(?P<run_id>[^/]+)/blobs/(?P<kind>[^/]+)", RunBlobHandler),
    (r"runs/(?P<run_id>[^/]+)/metrics", RunMetricsHandler),
    # Metric keys may hold "/" (sent as %2F or as is) or spaces.
    (r"runs/(?P<run_id>[^/]+)/metrics/(?P<key>.+)", MetricSeriesHandler),
    (r"runs/(?P<run_id>[^/]+)/reproduce", ReproduceHandler),
    ("jobs", JobsHandler),
    (r"jobs/(?P<job_id>[^/]+)", JobHandler),
    ("sweeps", SweepsHandler),
    (r"sweeps/(?P<sweep_id>[^/]+)", SweepHandler),
    ("compare", CompareHandler),
    ("experiments", ExperimentsHandler),
]
