"""``POST runs/{id}/determinism``: start a determinism check as a background job."""

from __future__ import annotations

import math

import tornado.web
from jupyter_server.auth.decorator import authorized

from ...errors import InvalidArgumentError
from .base import MAX_BODY_BYTES, BaseHandler, json_object, validate_run_id

__all__ = ["DeterminismHandler", "parse_determinism_body"]


def parse_determinism_body(body: bytes) -> tuple[int, bool, float]:
    """Read ``{"repeats"?: 2..10, "strict"?: bool, "tolerance"?: number >= 0}``; an empty
    body means the defaults (2, false, 0).

    Raises:
        InvalidArgumentError: On anything else (a 400 naming the problem).
    """
    from ...determinism import MAX_REPEATS

    if len(body) > MAX_BODY_BYTES:
        raise InvalidArgumentError(f"the request body must be at most {MAX_BODY_BYTES} bytes")
    if not body.strip():
        return 2, False, 0.0
    data = json_object(body)
    unknown = sorted(set(data) - {"repeats", "strict", "tolerance"})
    if unknown:
        raise InvalidArgumentError(
            f"unknown field {unknown[0]!r:.40}: use repeats, strict, tolerance"
        )
    repeats = data.get("repeats", 2)
    if isinstance(repeats, bool) or not isinstance(repeats, int) or not 2 <= repeats <= MAX_REPEATS:
        raise InvalidArgumentError(f"repeats must be an integer from 2 to {MAX_REPEATS}")
    strict = data.get("strict", False)
    if not isinstance(strict, bool):
        raise InvalidArgumentError("strict must be true or false")
    tolerance = data.get("tolerance", 0.0)
    try:
        valid = (
            not isinstance(tolerance, bool)
            and isinstance(tolerance, int | float)
            and math.isfinite(tolerance)
            and tolerance >= 0
        )
    except OverflowError:  # an integer too large for a float
        valid = False
    if not valid:
        raise InvalidArgumentError("tolerance must be a number >= 0")
    return repeats, strict, float(tolerance)


class DeterminismHandler(BaseHandler):
    """``POST runs/{id}/determinism``: start (or join) a determinism check job."""

    @tornado.web.authenticated
    @authorized("execute")
    def post(self, run_id: str) -> None:
        """Start a determinism check of the run (202), or join the one running (200)."""
        validate_run_id(run_id)
        repeats, strict, tolerance = parse_determinism_body(self.json_body())
        self.store().get_run(run_id)  # 404 before anything is queued
        job, created = self.services.jobs().submit_determinism(run_id, repeats, strict, tolerance)
        self.set_status(202 if created else 200)
        self.finish_json({"job": job.to_json()})
