"""Webhooks: every firing's outcome POSTed as JSON, signed with HMAC-SHA256.

The receiver checks ``X-Mlops-Jupyter-Signature: sha256=HEX`` where HEX is
``hmac_sha256(secret, TIMESTAMP + "." + BODY)`` and ``X-Mlops-Jupyter-Timestamp`` is that
timestamp (Unix seconds; reject old ones to stop replays). The secret is read from the
environment variable the trigger names, when sending: it is never stored or logged.

Deliveries run on background threads with retries and backoff: a slow or failing receiver
never holds up evaluation. :meth:`WebhookSender.close` waits for them (bounded), so that
``monitor run --once`` delivers before it exits.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from ..redaction import mask_url

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "WebhookSender", "sign"]

SIGNATURE_HEADER = "X-Mlops-Jupyter-Signature"
TIMESTAMP_HEADER = "X-Mlops-Jupyter-Timestamp"
_log = logging.getLogger("mlops_jupyter.triggers")


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """The signature header's value: ``sha256=`` and the hex HMAC of ``timestamp.body``."""
    mac = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class WebhookSender:
    """Delivers webhook payloads in the background, retrying with exponential backoff.

    Args:
        attempts: Tries per delivery.
        backoff: Seconds before the second try (doubled each time).
        timeout: Seconds per try.
    """

    def __init__(self, attempts: int = 4, backoff: float = 1.0, timeout: float = 10.0) -> None:
        self.attempts = attempts
        self.backoff = backoff
        self.timeout = timeout
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="mlops-webhook")
        self._pending: list[Future[bool]] = []
        self._lock = threading.Lock()

    def send(self, url: str, payload: dict[str, Any], secret_env: str | None) -> None:
        """Queue a delivery (returns at once)."""
        future = self._pool.submit(self._deliver, url, payload, secret_env)
        with self._lock:
            self._pending = [f for f in self._pending if not f.done()] + [future]

    def _deliver(self, url: str, payload: dict[str, Any], secret_env: str | None) -> bool:
        body = json.dumps(payload, sort_keys=True, default=str).encode()
        headers = {"Content-Type": "application/json", "User-Agent": "mlops-jupyter-webhook"}
        if secret_env is not None:
            secret = os.environ.get(secret_env)
            if not secret:
                _log.error(
                    "webhook to %s not sent: the secret variable %s is not set",
                    mask_url(url), secret_env,
                )  # fmt: skip
                return False
            timestamp = str(int(time.time()))
            headers[TIMESTAMP_HEADER] = timestamp
            headers[SIGNATURE_HEADER] = sign(secret.encode(), timestamp, body)
        delay = self.backoff
        for attempt in range(1, self.attempts + 1):
            request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - http(s) checked at creation
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                    if 200 <= response.status < 300:
                        return True
                    problem = f"HTTP {response.status}"
            except urllib.error.HTTPError as exc:
                problem = f"HTTP {exc.code}"
            except (OSError, ValueError) as exc:
                problem = type(exc).__name__
            if attempt < self.attempts:
                time.sleep(delay)
                delay *= 2
        _log.error("webhook to %s failed %d times (%s)", mask_url(url), self.attempts, problem)
        return False

    def close(self, timeout: float = 60.0) -> None:
        """Wait (at most ``timeout`` seconds) for queued deliveries, then stop."""
        deadline = time.monotonic() + timeout
        with self._lock:
            pending = list(self._pending)
        for future in pending:
            try:
                future.result(timeout=max(0.0, deadline - time.monotonic()))
            except Exception:  # noqa: S112 - logged by the delivery itself, or timed out
                continue
        self._pool.shutdown(wait=False, cancel_futures=True)
