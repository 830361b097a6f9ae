"""The compact run summary shown under a ``%%track`` cell.

One display with three representations, the richest one a frontend knows wins:

* ``application/vnd.mlops-jupyter.run+json`` -- the run as data; the JupyterLab extension
  renders it with a button opening the run in the sidebar;
* ``text/html`` -- a small table; every value is escaped text (run names, parameters and
  error messages are user data, never markup);
* ``text/plain`` -- for terminals and papermill outputs.

No widget: a plain display costs a fraction of a millisecond, a widget tree several.
"""

from __future__ import annotations

import html
from typing import Any

from .formatting import format_value
from .models import Run, json_safe

__all__ = [
    "RUN_MIME_TYPE",
    "LiveView",
    "display_summary",
    "summary_bundle",
    "summary_lines",
    "summary_text",
]

#: The MIME type of the run summary the JupyterLab extension renders.
RUN_MIME_TYPE = "application/vnd.mlops-jupyter.run+json"
_MAX_ITEMS = 8


def _fmt(value: Any) -> str:
    return format_value(value, width=40, missing="null")


def _items(mapping: dict[str, Any]) -> str:
    shown = [f"{k}={_fmt(v)}" for k, v in list(mapping.items())[:_MAX_ITEMS]]
    if len(mapping) > _MAX_ITEMS:
        shown.append(f"(+{len(mapping) - _MAX_ITEMS} more)")
    return ", ".join(shown)


def summary_lines(run: Run) -> list[tuple[str, str]]:
    """The summary as (label, text) pairs."""
    duration = run.duration
    head = f"{run.status.value}"
    if duration is not None:
        head += f" in {duration:.3g} s"
    lines = [("run", f"{run.name + ' · ' if run.name else ''}{run.id[:12]} · {head}")]
    if run.params:
        lines.append(("params", _items(run.params)))
    if run.metrics:
        lines.append(("metrics", _items(run.metrics)))
    if run.inputs:
        lines.append(("inputs", _inputs(run)))
    registered = run.extra.get("registered")
    if isinstance(registered, str):
        lines.append(("model", f"registered {registered}"))
    drift = run.extra.get("drift_summary")
    if isinstance(drift, str):
        lines.append(("drift", drift))
    if run.error is not None and run.error.type != "KeyboardInterrupt":
        lines.append(("error", f"{run.error.type}: {_fmt(run.error.message)}"))
    return lines


def _inputs(run: Run) -> str:
    names = [record.path for record in run.inputs[:3]]
    more = len(run.inputs) - len(names)
    return ", ".join(names) + (f" (+{more} more)" if more > 0 else "")


def summary_text(run: Run) -> str:
    """The summary as plain text, one line per item."""
    return "\n".join(f"mlops-jupyter {label}: {text}" for label, text in summary_lines(run))


def _html(run: Run) -> str:
    rows = "".join(
        f"<tr><th style='text-align:left;padding-right:1em'>{html.escape(label)}</th>"
        f"<td style='text-align:left'>{html.escape(text)}</td></tr>"
        for label, text in summary_lines(run)
    )
    return (
        "<table class='jp-mlops-summary' style='font-family:var(--jp-code-font-family);"
        f"font-size:var(--jp-code-font-size)'>{rows}</table>"
    )


def summary_bundle(
    run: Run, *, series: dict[str, list[list[float]]] | None = None, live: bool = False
) -> dict[str, Any]:
    """The display bundle of a run's summary (see the module docstring).

    Args:
        run: The run.
        series: Per metric, ``[[step, value], ...]`` (the live view's charts).
        live: Whether the cell still runs (the bundle is replaced as points come).
    """
    data = {
        "id": run.id,
        "name": run.name,
        "experiment": run.experiment,
        "status": run.status.value,
        "duration": run.duration,
        "params": dict(list(run.params.items())[:_MAX_ITEMS]),
        "params_total": len(run.params),
        "metrics": dict(list(run.metrics.items())[:_MAX_ITEMS]),
        "metrics_total": len(run.metrics),
        "inputs": [record.path for record in run.inputs[:_MAX_ITEMS]],
        "inputs_total": len(run.inputs),
        "error": None
        if run.error is None or run.error.type == "KeyboardInterrupt"
        else {"type": run.error.type, "message": run.error.message[:500]},
        "reproduction_of": run.reproduction_of,
        "registered": run.extra.get("registered"),
        "drift": run.extra.get("drift_summary"),
    }
    if live:
        data["live"] = True
    if series:
        data["series"] = series
    return {
        RUN_MIME_TYPE: json_safe(data),
        "text/html": _html(run),
        "text/plain": summary_text(run),
    }


def _encodable(value: Any) -> Any:
    """``value`` with text that UTF-8 cannot carry (lone surrogates) backslash-escaped."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {_encodable(k): _encodable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_encodable(v) for v in value]
    return value


def display_summary(run: Run, live: LiveView | None = None) -> None:
    """Display the summary under the current cell (in place of its live view, if shown)."""
    from IPython.display import display

    if live is not None and live.shown:
        live.finish(run)
        return
    display(_encodable(summary_bundle(run)), raw=True)


class LiveView:
    """The run's charts under its cell while it runs: the summary bundle with ``live: true``
    and each metric's series, shown once points come and replaced in place (``display_id``
    = the run id) at most twice a second, then replaced by the final summary.

    Called from the writer thread: the display is sent with the cell's own parent header (an
    output of the running cell, not of whatever cell runs next).

    Args:
        run: The run (its fields are read when a bundle is built).
        publisher: The shell's display publisher (ipykernel's: it can set a thread's parent).
        max_points: Points kept per metric (older ones thinned, the newest kept).
    """

    MIN_INTERVAL = 0.5

    def __init__(self, run: Run, publisher: Any, max_points: int = 400) -> None:
        import threading

        self.run = run
        self.publisher = publisher
        self.parent = dict(getattr(publisher, "parent_header", None) or {})
        self.max_points = max_points
        self.series: dict[str, list[list[float]]] = {}
        self.shown = False
        self._last = 0.0
        self._lock = threading.Lock()

    @classmethod
    def for_shell(cls, run: Run, shell: Any) -> LiveView | None:
        """A live view when the kernel can send displays from another thread (ipykernel)."""
        publisher = getattr(shell, "display_pub", None)
        if publisher is None or not hasattr(publisher, "set_thread_parent"):
            return None
        return cls(run, publisher)

    #: Points of one batch looked at (a loop logging a million points a second must not pay
    #: for its chart): a larger batch is sampled evenly, its last point always kept.
    BATCH_SAMPLE = 2000

    def _add(self, points: list[Any]) -> None:
        import math

        if len(points) > self.BATCH_SAMPLE:
            sampled = points[:: len(points) // self.BATCH_SAMPLE]
            points = sampled if sampled[-1] is points[-1] else [*sampled, points[-1]]
        for point in points:
            value = point.value
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                continue
            series = self.series.setdefault(point.key, [])
            series.append([point.step, float(value)])
            if len(series) > self.max_points:  # keep every other older point, the newest
                keep = series[-self.max_points // 4 :]
                series[:] = series[: -len(keep)][::2] + keep

    def __call__(self, points: list[Any]) -> None:
        """New points (from the writer thread)."""
        import time

        with self._lock:
            self._add(points)
            now = time.monotonic()
            if not self.series or (self.shown and now - self._last < self.MIN_INTERVAL):
                return
            self._last = now
            bundle = summary_bundle(self.run, series=self.series, live=True)
            self._send(bundle, update=self.shown)
            self.shown = True

    def finish(self, run: Run) -> None:
        """Replace the live view with the final summary (its charts kept)."""
        with self._lock:
            self._send(summary_bundle(run, series=self.series or None), update=True)

    def _send(self, bundle: dict[str, Any], *, update: bool) -> None:
        from IPython.display import display, update_display

        token = self.publisher.set_thread_parent(self.parent) if self.parent else None
        try:
            if update:
                update_display(_encodable(bundle), raw=True, display_id=self.run.id)
            else:
                display(_encodable(bundle), raw=True, display_id=self.run.id)
        finally:
            if token is not None:
                self.publisher.reset_thread_parent(token)
