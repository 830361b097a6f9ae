"""Drift checks over REST: the recorded checks, one check's full report, and a new check of a
data file under the server's root against a reference."""

from __future__ import annotations

import os
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized

from ...errors import InvalidArgumentError
from .base import BaseHandler, json_object

__all__ = ["DriftCheckHandler", "DriftChecksHandler"]


class DriftChecksHandler(BaseHandler):
    """``GET drift/checks[?model=&limit=]`` and ``POST drift/checks``."""

    @tornado.web.authenticated
    @authorized("read")
    def get(self) -> None:
        """The recorded checks, newest first."""
        from ...drift.record import list_checks

        model = self.get_query_argument("model", None) or None
        limit = self.int_argument("limit", 100, 1, 1000)
        self.finish_json({"checks": list_checks(self.store(), model=model, limit=limit)})

    @tornado.web.authenticated
    @authorized("write")
    def post(self) -> None:
        """Body ``{"file", "against", "critical"?}``: check a .csv/.parquet file under the
        server's root against a reference (a run, NAME@alias...) and record it -> the check."""
        from ...drift.profile import read_frame
        from ...drift.record import check, get_check
        from ...drift.reference import is_store_reference

        body = json_object(self.json_body())
        file, against = body.get("file"), body.get("against")
        if not isinstance(file, str) or not file or not isinstance(against, str) or not against:
            raise InvalidArgumentError("give 'file' (a path under the server's root) and 'against'")
        critical = body.get("critical") or []
        if not isinstance(critical, list) or not all(isinstance(c, str) for c in critical):
            raise InvalidArgumentError("'critical' must be a list of column names")
        root = os.path.realpath(str(self.settings.get("server_root_dir") or os.getcwd()))
        path = os.path.realpath(os.path.join(root, file))
        if not path.startswith(root.rstrip(os.sep) + os.sep) or not os.path.isfile(path):
            raise InvalidArgumentError(f"{file!r:.100} is not a file under the server's root")
        if not is_store_reference(against):
            raise InvalidArgumentError(
                "over REST the reference is a run id, NAME@ALIAS or NAME/VERSION, not a file"
            )
        user = self.current_user
        actor = str(getattr(user, "username", None) or "unknown")
        report = check(
            read_frame(path), against, store=self.store(), critical=critical, actor=actor,
            batch_name=os.path.relpath(path, root),
        )  # fmt: skip
        assert report.check_id is not None  # noqa: S101 - record=True
        self.set_status(201)
        self.finish_json(get_check(self.store(), report.check_id))


class DriftCheckHandler(BaseHandler):
    """``GET drift/checks/{id}``: one check with its full report (per-column distributions)."""

    @tornado.web.authenticated
    @authorized("read")
    def get(self, check_id: str) -> None:
        """The check."""
        from ...drift.record import get_check

        if not check_id.isdigit() or len(check_id) > 12:
            raise InvalidArgumentError(f"invalid check id {check_id!r:.20}: a number")
        data: dict[str, Any] = get_check(self.store(), int(check_id))
        self.finish_json(data)
