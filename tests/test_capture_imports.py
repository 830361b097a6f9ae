"""Importing the capture modules must stay cheap and pull in no heavy dependency."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

MODULES = [
    "mlops_jupyter.capture",
    "mlops_jupyter.capture.source",
    "mlops_jupyter.capture.values",
    "mlops_jupyter.redaction",
    "mlops_jupyter.capture.files",
    "mlops_jupyter.capture.environment",
    "mlops_jupyter.capture.git",
    "mlops_jupyter.capture.notebook",
    "mlops_jupyter.capture.seeds",
]
HEAVY = [
    "git",
    "psutil",
    "IPython",
    "tornado",
    "nbformat",
    "jsonschema",
    "papermill",
    "numpy",
    "torch",
    "importlib.metadata",
    "platform",
    "subprocess",
]


def test_importing_capture_modules_loads_no_heavy_module() -> None:
    code = (
        "import sys, json\n"
        + "".join(f"import {name}\n" for name in MODULES)
        + f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert json.loads(result.stdout) == []
