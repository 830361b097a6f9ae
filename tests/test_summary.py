"""The summary under a tracked cell: data for the extension, escaped HTML, plain text."""

from __future__ import annotations

import json

from mlops_jupyter.models import ErrorInfo, FileRecord, Run, RunStatus
from mlops_jupyter.summary import RUN_MIME_TYPE, summary_bundle


def test_bundle_has_the_run_as_data_html_and_text() -> None:
    run = Run.new(
        "exp",
        name="<script>alert(1)</script>",
        status=RunStatus.FAILED,
        params={"lr": 0.1, "note": "<b>bold</b>"},
        metrics={"acc": 0.5},
        inputs=[FileRecord("data/train.csv", "a" * 64, 10)],
        error=ErrorInfo("ValueError", "bad <value>", ""),
    )
    bundle = summary_bundle(run)
    data = bundle[RUN_MIME_TYPE]
    assert data["id"] == run.id and data["status"] == "failed"
    assert data["params"] == {"lr": 0.1, "note": "<b>bold</b>"} and data["metrics_total"] == 1
    assert data["inputs"] == ["data/train.csv"]
    assert data["error"] == {"type": "ValueError", "message": "bad <value>"}
    json.dumps(data, allow_nan=False)
    page = bundle["text/html"]
    assert "<script>" not in page and "<b>bold" not in page and "bad <value>" not in page
    assert "&lt;script&gt;" in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    assert "data/train.csv" in bundle["text/plain"] and run.id[:12] in bundle["text/plain"]


def test_non_finite_metrics_are_strict_json() -> None:
    run = Run.new("exp", metrics={"loss": float("nan")})
    data = summary_bundle(run)[RUN_MIME_TYPE]
    assert json.dumps(data, allow_nan=False)


def test_text_utf8_cannot_carry_is_escaped_for_display() -> None:
    from mlops_jupyter.summary import _encodable

    run = Run.new("exp", params={"s": "\ud800"})
    shown = _encodable(summary_bundle(run))
    assert "\\ud800" in shown["text/plain"]
    json.dumps(shown).encode("utf-8")
