"""Background work: reproductions, jobs and sweeps."""

from __future__ import annotations

from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized

from ...errors import InvalidArgumentError
from .base import MAX_BODY_BYTES, BaseHandler, json_object, validate_job_id, validate_run_id

__all__ = [
    "JobHandler",
    "JobsHandler",
    "ReproduceHandler",
    "SweepHandler",
    "SweepsHandler",
    "parse_reproduce_body",
    "parse_sweep_body",
]


def parse_reproduce_body(body: bytes) -> tuple[float, bool]:
    """Read ``{"tolerance"?: number > 0, "twice"?: bool}``; an empty body means defaults.

    Raises:
        InvalidArgumentError: On anything else (a 400 naming the problem).
    """
    import math

    from ...verdict import DEFAULT_TOLERANCE

    if len(body) > MAX_BODY_BYTES:
        raise InvalidArgumentError(f"the request body must be at most {MAX_BODY_BYTES} bytes")
    if not body.strip():
        return DEFAULT_TOLERANCE, False
    data = json_object(body)
    unknown = sorted(set(data) - {"tolerance", "twice"})
    if unknown:
        raise InvalidArgumentError(f"unknown field {unknown[0]!r:.40}: use tolerance, twice")
    tolerance = data.get("tolerance", DEFAULT_TOLERANCE)
    try:
        valid = (
            not isinstance(tolerance, bool)
            and isinstance(tolerance, int | float)
            and math.isfinite(tolerance)
            and tolerance > 0
        )
    except OverflowError:  # an integer too large for a float (JSON allows 4000 digits)
        valid = False
    if not valid:
        raise InvalidArgumentError("tolerance must be a number > 0")
    twice = data.get("twice", False)
    if not isinstance(twice, bool):
        raise InvalidArgumentError("twice must be true or false")
    return float(tolerance), twice


class ReproduceHandler(BaseHandler):
    """``POST runs/{id}/reproduce``: start (or join) a reproduction job."""

    @tornado.web.authenticated
    @authorized("execute")
    def post(self, run_id: str) -> None:
        """Start a reproduction of the run (202), or join the one running (200)."""
        validate_run_id(run_id)
        tolerance, twice = parse_reproduce_body(self.json_body())
        self.store().get_run(run_id)  # 404 before anything is queued
        job, created = self.services.jobs().submit_reproduce(run_id, tolerance, twice)
        self.set_status(202 if created else 200)
        self.finish_json({"job": job.to_json()})


class JobHandler(BaseHandler):
    """``GET jobs/{id}``: a job's state; ``DELETE jobs/{id}``: cancel it."""

    @tornado.web.authenticated
    @authorized("read")
    def get(self, job_id: str) -> None:
        """The job's state, progress, log tail and verdict."""
        job = self.services.jobs().get(validate_job_id(job_id))
        self.finish_json({"job": job.to_json()})

    @tornado.web.authenticated
    @authorized("write")
    def delete(self, job_id: str) -> None:
        """Cancel the job (the running cell is interrupted)."""
        job = self.services.jobs().cancel(validate_job_id(job_id))
        self.finish_json({"job": job.to_json()})


class JobsHandler(BaseHandler):
    """``GET jobs?run_id=``: jobs kept by this server, newest first."""

    @tornado.web.authenticated
    @authorized("read")
    def get(self) -> None:
        """This server's jobs, newest first (``?run_id=`` for one run's)."""
        run_id = self.get_query_argument("run_id", None)
        if run_id is not None:
            validate_run_id(run_id)
        jobs = self.services.jobs().list(run_id=run_id)
        self.finish_json({"jobs": [job.to_json() for job in jobs]})


MAX_SWEEP_WORKERS = 8


def parse_sweep_body(body: bytes) -> tuple[str, dict[str, list[Any]], int]:
    """Read ``{"run_id": str, "grid": {name: [values...]}, "workers"?: 1..8}``.

    The grid is expanded here once, so a bad name, a non-JSON value or more than
    :data:`~mlops_jupyter.sweep.MAX_COMBINATIONS` combinations is a 400 before anything runs.

    Raises:
        InvalidArgumentError: On anything else (a 400 naming the problem).
    """
    from ...sweep import expand_grid

    data = json_object(body)
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


class SweepsHandler(BaseHandler):
    """``POST sweeps``: start a sweep of a run's pinned notebook over a grid (a job)."""

    @tornado.web.authenticated
    @authorized("execute")
    def post(self) -> None:
        """Start a sweep of a run's pinned notebook over a grid (202)."""
        run_id, grid, workers = parse_sweep_body(self.json_body())
        self.store().get_run(run_id)  # 404 before anything is queued
        job = self.services.jobs().submit_sweep(run_id, grid, workers)
        self.set_status(202)
        self.finish_json({"job": job.to_json()})


class SweepHandler(BaseHandler):
    """``GET sweeps/{id}``: a sweep's manifest, with each execution's status and runs."""

    @tornado.web.authenticated
    @authorized("read")
    def get(self, sweep_id: str) -> None:
        """The sweep's manifest."""
        from ...sweep import load_sweep

        sweep = load_sweep(sweep_id, self.services.location())
        self.finish_json({"sweep": sweep.to_json()})
