"""Helpers shared by the REST tests that start kernels (reproduce, sweep)."""

from __future__ import annotations

import json
from typing import Any

import nbformat
import tornado.httpclient
from _notebooks import LOAD, new_notebook

from mlops_jupyter.models import NotebookInfo, Run, RunStatus
from mlops_jupyter.store import get_store


def stored_run(
    tmp_path: Any,
    tracked: str,
    *,
    params: dict[str, Any] | None = None,
    metrics: dict[str, float] | None = None,
) -> Run:
    """A finished run as the kernel would record it, its notebook snapshot in the store."""
    nb = new_notebook(LOAD, tracked)
    store = get_store()
    sha = store.blobs.put_bytes(nbformat.writes(nb).encode())
    run = Run.new(
        "api",
        source=tracked,
        cell_id=nb.cells[1].id,
        status=RunStatus.FINISHED,
        params=dict(params or {}),
        metrics=dict(metrics or {}),
        kernel_name="python3",
        notebook=NotebookInfo(
            path=str(tmp_path / "nb.ipynb"), snapshot_sha256=sha, saved_matches_source=True
        ),
        extra={"cwd": str(tmp_path), "pin": {"kind": "snapshot", "sha256": sha}, "risks": []},
    )
    store.create_run(run)
    return run


async def fetch(jp_fetch: Any, *parts: str, **kwargs: Any) -> tuple[int, Any]:
    """GET (or any verb) below /mlops-jupyter/api/: (status, decoded JSON), errors included.

    A body is sent as JSON (``Content-Type: application/json``) unless ``headers`` say.
    """
    if kwargs.get("body") is not None and "headers" not in kwargs:
        kwargs["headers"] = {"Content-Type": "application/json"}
    try:
        response = await jp_fetch("mlops-jupyter", "api", *parts, **kwargs)
    except tornado.httpclient.HTTPClientError as exc:
        assert exc.response is not None
        return exc.code, json.loads(exc.response.body)
    return response.code, json.loads(response.body)
