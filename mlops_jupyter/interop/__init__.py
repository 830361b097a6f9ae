"""MLflow interop: our runs (and registered models) to MLflow, and MLflow runs to ours.

- :func:`export_runs` writes to any MLflow tracking URI (in bulk for SQL stores) or to the
  mlflow-export-import folder format (no MLflow needed), idempotently.
- :func:`import_runs` reads from a tracking URI or such a folder, idempotently.

MLflow is an optional extra (``pip install 'mlops-jupyter[mlflow]'``), imported only when a
tracking URI is used: importing this package never imports it.
"""

from __future__ import annotations

from .errors import MlflowMissingError, require_mlflow
from .export import ExportReport, export_runs
from .importer import NOT_REPRODUCIBLE, ImportReport, import_runs

__all__ = [
    "NOT_REPRODUCIBLE",
    "ExportReport",
    "ImportReport",
    "MlflowMissingError",
    "export_runs",
    "import_runs",
    "require_mlflow",
]
