"""Reading runs: status, the run list, one run and its blobs, metric series, comparisons."""

from __future__ import annotations

import json
import re

import tornado.web
from jupyter_server.auth.decorator import authorized

from ...compare import compare_runs
from ...errors import InvalidArgumentError, NotFoundError
from ...models import FileRecord, Run, dumps_strict
from ...query import parse_filter, parse_sort
from ...series import MAX_POINTS, MIN_POINTS
from ...version import __version__
from .base import BaseHandler, validate_run_id

__all__ = [
    "ArtifactHandler",
    "CompareHandler",
    "ExperimentsHandler",
    "MetricSeriesHandler",
    "RunBlobHandler",
    "RunHandler",
    "RunMetricsHandler",
    "RunsHandler",
    "StatusHandler",
]

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
DEFAULT_POINTS = 500
MIN_COMPARE, MAX_COMPARE = 2, 20
BLOB_KINDS = ("source", "notebook", "diff", "env", "history")
_TEXT = "text/plain; charset=utf-8"
_SHA256_RE = re.compile(r"[0-9a-f]{64}")
_INDEX_RE = re.compile(r"[0-9]{1,6}")


class StatusHandler(BaseHandler):
    """``GET /mlops-jupyter/api/status``: version and the store this server uses."""

    @tornado.web.authenticated
    @authorized("read")
    def get(self) -> None:
        """The version and the store this server uses."""
        location = self.services.location()
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
    @authorized("read")
    def get(self) -> None:
        """One page of run summaries, filtered and sorted, with a change token."""
        where = parse_filter(self.get_query_argument("filter", ""))
        sort = parse_sort(self.get_query_argument("sort", "started_at"))
        order = self.get_query_argument("order", "desc")
        if order not in ("asc", "desc"):
            raise InvalidArgumentError(f"order must be 'asc' or 'desc', got {order!r:.40}")
        limit = self.int_argument("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        offset = self.int_argument("offset", 0, 0, 10**12 - 1)
        experiment = self.get_query_argument("experiment", None)
        store = self.store()
        self.services.housekeeping(store)
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
                "skipped": page.skipped,
            }
        )


class RunHandler(BaseHandler):
    """``GET runs/{id}``: the full run."""

    @tornado.web.authenticated
    @authorized("read")
    def get(self, run_id: str) -> None:
        """The whole run."""
        run = self.store().get_run(validate_run_id(run_id))
        self.finish(dumps_strict(run.to_json()))


class RunBlobHandler(BaseHandler):
    """``GET runs/{id}/blobs/{kind}``: a large part of a run, fetched on demand."""

    @tornado.web.authenticated
    @authorized("read")
    def get(self, run_id: str, kind: str) -> None:
        """One large part of the run: source, notebook snapshot, diff, env or history."""
        validate_run_id(run_id)
        if kind not in BLOB_KINDS:
            raise InvalidArgumentError(
                f"unknown blob kind {kind!r:.40}: use one of {', '.join(BLOB_KINDS)}"
            )
        store = self.store()
        run = store.get_run(run_id)
        missing = NotFoundError(f"run {run_id!r} has no {kind}")
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


def find_artifact(run: Run, ref: str) -> FileRecord:
    """The artifact of ``run`` that ``ref`` names: its index in the run (from 0) or its sha256.

    Raises:
        InvalidArgumentError: If ``ref`` is neither.
        NotFoundError: If the run has no such artifact (a sha256 must be one of the run's own
            artifacts: any other blob of the store is never served here).
    """
    if _INDEX_RE.fullmatch(ref):
        index = int(ref)
        if index < len(run.artifacts):
            return run.artifacts[index]
    elif _SHA256_RE.fullmatch(ref):
        for artifact in run.artifacts:
            if artifact.sha256 == ref:
                return artifact
    else:
        raise InvalidArgumentError(
            f"invalid artifact {ref!r:.80}: expected its index (from 0) or its sha256"
        )
    raise NotFoundError(f"run {run.id!r} has no artifact {ref!r:.80}")


class ArtifactHandler(BaseHandler):
    """``GET runs/{id}/artifacts/{ref}``: an artifact of a run, as a download."""

    @tornado.web.authenticated
    @authorized("read")
    async def get(self, run_id: str, ref: str) -> None:
        """Stream the artifact as an attachment (``application/octet-stream``).

        The blob is the one the stored run names, read through the blob store (which checks
        its name); it is never rendered by the browser. A blob whose content turns out not to
        match its name at the end of the file aborts the response: the client sees a broken
        download, never a complete-looking corrupted file.
        """
        store = self.store()
        run = store.get_run(validate_run_id(run_id))
        artifact = find_artifact(run, ref)
        await self.send_attachment(artifact.sha256, artifact.path)


class RunMetricsHandler(BaseHandler):
    """``GET runs/{id}/metrics``: each metric's point count and final value."""

    @tornado.web.authenticated
    @authorized("read")
    def get(self, run_id: str) -> None:
        """Each metric's point count and final value."""
        summaries = self.store().metric_summaries(validate_run_id(run_id))
        self.finish_json({"metrics": summaries})


class MetricSeriesHandler(BaseHandler):
    """``GET runs/{id}/metrics/{key}?points=N``: a series, downsampled on the server."""

    @tornado.web.authenticated
    @authorized("read")
    def get(self, run_id: str, key: str) -> None:
        """One metric series, downsampled to at most ``?points=`` points."""
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
    @authorized("read")
    def get(self) -> None:
        """What differs between the runs of ``?ids=``."""
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
    @authorized("read")
    def get(self) -> None:
        """Experiment names with run counts."""
        self.finish_json({"experiments": self.store().experiment_summaries()})
