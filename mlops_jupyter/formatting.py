"""How values, durations and sizes read in plain text: one formatter for every face.

The summary under a tracked cell, the command line and the reproduction's causes all show
parameters and metrics the same way. Stdlib only.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["clip", "format_bytes", "format_duration", "format_value"]


def clip(text: str, width: int) -> str:
    """``text`` on one line, cut to ``width`` characters with an ellipsis."""
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def format_value(value: Any, *, width: int | None = None, missing: str = "(missing)") -> str:
    """A parameter or metric value as text: floats with 6 significant digits, strings as
    they are, anything else as JSON.

    Args:
        value: The value.
        width: Cut the text to this many characters (None: whole).
        missing: What None reads as.
    """
    if value is None:
        text = missing
    elif isinstance(value, float):
        text = f"{value:.6g}"
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, default=str)
    return text if width is None else clip(text, width)


def format_duration(seconds: float | None) -> str:
    """``1.25s``, ``3m07s`` or ``2h05m`` (``-`` for None)."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.2f}s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def format_bytes(size: int) -> str:
    """``512 B``, ``1.5 kB``, ``3.2 MB``, ``1.1 GB`` (decimal units)."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"  # pragma: no cover - the loop always returns
