"""The base of every REST handler: services from the settings, errors mapped to HTTP once.

Every error the core raises is a :class:`~mlops_jupyter.errors.MlopsError` with a code: it
becomes that status and ``{"message": ...}``, never a traceback; anything else is a 500 that
says to look at the server log. Every verb is authenticated and authorized on the resource
``mlops-jupyter`` (reads ``read``, what runs code ``execute``, other changes ``write``), and
URLs are logged with their secret query values (``?token=``) hidden.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

import tornado.web
from jupyter_server.base.handlers import APIHandler

from ...errors import InvalidArgumentError, MlopsError
from ...models import json_safe
from ...redaction import scrub_url_query
from ..services import SETTINGS_KEY, Services

if TYPE_CHECKING:
    from ...store.base import RunStore

__all__ = [
    "AUTH_RESOURCE",
    "MAX_BODY_BYTES",
    "RETRY_AFTER_S",
    "BaseHandler",
    "UnsupportedMediaTypeError",
    "attachment_header",
    "json_object",
    "validate_job_id",
    "validate_run_id",
]

_RUN_ID_RE = re.compile(r"[0-9a-f]{32}")
_JOB_ID_RE = re.compile(r"[0-9a-f]{32}")
_INT_RE = re.compile(r"[0-9]{1,12}")
#: Largest request body accepted.
MAX_BODY_BYTES = 64 * 1024
_ATTACHMENT_CHUNK = 1024 * 1024
#: The resource every verb is authorized on (JupyterHub scopes, custom authorizers).
AUTH_RESOURCE = "mlops-jupyter"
#: What a 429 (the job queue is full) tells the client to wait, in seconds.
RETRY_AFTER_S = 30


class UnsupportedMediaTypeError(InvalidArgumentError):
    """A request body that is not declared as JSON (415)."""

    code = 415


class BaseHandler(APIHandler):
    """Turns every error into ``{"message": ...}`` with the right status, never a traceback.

    Every verb of a subclass is decorated ``@tornado.web.authenticated`` then
    ``@authorized(action)`` (``jupyter_server.auth.decorator``) on :data:`AUTH_RESOURCE`:
    ``read`` for what only reads, ``execute`` for what runs code (reproductions, sweeps),
    ``write`` for other changes; ``tests/test_server.py`` checks every route.
    """

    auth_resource = AUTH_RESOURCE

    @property
    def services(self) -> Services:
        """The core as this server uses it (see :mod:`mlops_jupyter.server.services`)."""
        return cast("Services", self.settings[SETTINGS_KEY])

    def _request_summary(self) -> str:
        # Tornado's own log lines use this: the URI may carry ?token=.
        uri = scrub_url_query(self.request.uri or "")
        return f"{self.request.method} {uri} ({self.request.remote_ip})"

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        """Log a client's mistake as one warning line; anything else with its traceback.

        The URL is logged with its secret query values hidden (``?token=[secret]``), as in
        Jupyter's access log.
        """
        # A client's mistake (bad filter, unknown id) is one warning line, not a traceback.
        if isinstance(value, MlopsError) and value.code < 500:
            self.log.warning("%d %s: %s", value.code, self._request_summary(), value)
            return
        if isinstance(value, tornado.web.HTTPError):
            super().log_exception(typ, value, tb)  # a warning with _request_summary()
            return
        # Tornado's default would also log repr(self.request), which holds the raw URI.
        self.log.error("Uncaught exception %s", self._request_summary(), exc_info=(typ, value, tb))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Answer ``{"message": ...}`` with the status the error's code says."""
        message = self._reason
        extra: dict[str, Any] = {}
        exc_info = kwargs.get("exc_info")
        if exc_info is not None:
            exc = exc_info[1]
            if isinstance(exc, MlopsError):
                status_code = exc.code
                message = str(exc)
                reasons = getattr(exc, "reasons", None)
                if isinstance(reasons, list):  # a refused promotion: every missing condition
                    extra["reasons"] = reasons
            elif isinstance(exc, tornado.web.HTTPError):
                message = exc.log_message or exc.reason or message
            else:
                message = "internal error in the mlops-jupyter server extension (see server log)"
        self.set_status(status_code)
        if status_code == 429:
            self.set_header("Retry-After", str(RETRY_AFTER_S))
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"message": message, **extra}))

    # -- helpers for the verbs ----------------------------------------------------------

    def json_body(self) -> bytes:
        """The request body, if it is declared as JSON (an empty body needs no type).

        ``application/json`` with parameters (``; charset=utf-8``) is JSON; anything else
        (``text/plain``, a form, no type at all) is a 415.

        Raises:
            UnsupportedMediaTypeError: If a body is sent with another content type.
        """
        body = self.request.body
        if body.strip():
            declared = self.request.headers.get("Content-Type", "")
            if declared.split(";", 1)[0].strip().lower() != "application/json":
                raise UnsupportedMediaTypeError(
                    "the request body must be JSON, sent with Content-Type: application/json "
                    f"(got {declared or 'no Content-Type'!r:.60})"
                )
        return body

    def store(self) -> RunStore:
        """The store this server uses (shared, opened on first use)."""
        return self.services.store()

    async def send_attachment(self, sha: str, path: str) -> None:
        """Stream blob ``sha`` as a download named after ``path``, never rendered.

        The blob is read through the blob store, which checks it against its name: one whose
        content turns out not to match at the end of the file aborts the response, so the
        client sees a broken download, never a complete-looking corrupted file.
        """
        from ...store.errors import BlobCorruptedError

        with self.store().blobs.open(sha) as stream:
            self.set_header("Content-Type", "application/octet-stream")
            self.set_header("Content-Disposition", attachment_header(path))
            self.set_header("X-Content-Type-Options", "nosniff")
            self.set_header("Content-Security-Policy", "sandbox")
            self.set_header("Cache-Control", "private, no-store")
            try:
                while chunk := stream.read(_ATTACHMENT_CHUNK):
                    self.write(chunk)
                    await self.flush()
            except BlobCorruptedError as exc:
                if not self._headers_written:
                    raise
                self.log.error("%s: download aborted: %s", self._request_summary(), exc)
                self.request.connection.close()  # type: ignore[union-attr]
                return
        self.finish()

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


def attachment_header(path: str) -> str:
    """A ``Content-Disposition`` that downloads the file under its own name, never shows it.

    The name is the last part of ``path``; ``filename`` is an ASCII stand-in (quotes,
    backslashes and control characters dropped), ``filename*`` the name itself (RFC 6266).
    """
    name = path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1] or "artifact"
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    plain = re.sub(r'["\\]', "", plain).strip() or "artifact"
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"


def validate_run_id(run_id: str) -> str:
    """Check a run id taken from a URL: 32 lowercase hex characters.

    Raises:
        InvalidArgumentError: Otherwise (a 400, before anything is looked up).
    """
    if _RUN_ID_RE.fullmatch(run_id) is None:
        raise InvalidArgumentError(f"invalid run id {run_id!r:.80}: expected 32 lowercase hex")
    return run_id


def validate_job_id(job_id: str) -> str:
    """Check a job id taken from a URL: 32 lowercase hex characters (a 400 otherwise)."""
    if _JOB_ID_RE.fullmatch(job_id) is None:
        raise InvalidArgumentError(f"invalid job id {job_id!r:.80}: expected 32 lowercase hex")
    return job_id


def json_object(body: bytes) -> dict[str, Any]:
    """The request body as a JSON object (at most 64 KiB of UTF-8), else a 400."""
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
