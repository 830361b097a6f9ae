"""Loading the IPython extension in a real IPython shell, and its import cost."""

from __future__ import annotations

import json
import subprocess
import sys

from IPython.core.interactiveshell import InteractiveShell


def test_load_ext_registers_track_magic() -> None:
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "mlops_jupyter")
    assert "track" in ip.magics_manager.magics["cell"]
    ip.run_line_magic("unload_ext", "mlops_jupyter")


def test_load_ext_imports_no_heavy_module() -> None:
    """`%load_ext mlops_jupyter` in a fresh interpreter must not import the heavy stack."""
    code = (
        "import sys, json\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "ip = InteractiveShell.instance()\n"
        "before = set(sys.modules)\n"
        "ip.run_line_magic('load_ext', 'mlops_jupyter')\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    heavy = (
        "sqlalchemy",
        "alembic",
        "git",
        "nbformat",
        "jsonschema",
        "papermill",
        "tornado",
        "ipywidgets",
        "pandas",
        "numpy",
        "jupyter_server",
        "fsspec",
        "psycopg",
    )
    offenders = [m for m in loaded if m.split(".")[0] in heavy]
    assert offenders == []
