"""The summary under a tracked cell: data for the extension, escaped HTML, plain text."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

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


@pytest.mark.kernel
def test_a_running_cell_shows_its_charts_live_then_the_final_summary(
    isolated_store: Path, tmp_path: Path
) -> None:
    """A real kernel: the live view appears under the running cell once points come, is
    updated in place (same display id, at most twice a second), then replaced by the summary."""
    from jupyter_client.manager import KernelManager

    km = KernelManager(kernel_name="python3")
    km.start_kernel(
        cwd=str(tmp_path), env={**os.environ, "MLOPS_JUPYTER_STORE": str(isolated_store)}
    )
    client = km.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        cell = "%load_ext mlops_jupyter\nimport mlops_jupyter, time\n"
        client.execute_interactive(cell, timeout=60)
        messages: list[dict[str, Any]] = []
        client.execute_interactive(
            "%%track --name live\nfor step in range(12):\n"
            "    mlops_jupyter.log_metric('loss', 1 / (step + 1))\n    time.sleep(0.3)\n",
            output_hook=messages.append,
            timeout=120,
        )
    finally:
        client.stop_channels()
        km.shutdown_kernel(now=True)
    displays = [m for m in messages if m["msg_type"] in ("display_data", "update_display_data")]
    assert displays, [m["msg_type"] for m in messages]
    first, *updates = displays
    assert first["msg_type"] == "display_data"
    run_id = first["content"]["transient"]["display_id"]
    live = first["content"]["data"][RUN_MIME_TYPE]
    assert live["live"] is True and live["id"] == run_id and live["series"]["loss"][0] == [0, 1.0]
    assert all(m["content"]["transient"]["display_id"] == run_id for m in updates)
    assert all(m["msg_type"] == "update_display_data" for m in updates)
    final = updates[-1]["content"]["data"][RUN_MIME_TYPE]
    assert "live" not in final and final["status"] == "finished"
    assert len(final["series"]["loss"]) == 12 and final["series"]["loss"][-1] == [11, 1 / 12]
    assert 1 <= len(updates) <= 10  # ~3.6 s of points: updated in place, not per point
