"""The errors of MLflow interop, and importing MLflow only when it is used."""

from __future__ import annotations

import importlib
from types import ModuleType

from ..errors import MlopsError

__all__ = ["MlflowMissingError", "require_mlflow"]

#: How to install what the MLflow commands need.
INSTALL_HINT = "pip install 'mlops-jupyter[mlflow]' (or mlflow itself)"


class MlflowMissingError(MlopsError):
    """MLflow is not installed: the message says how to install it (501)."""

    code = 501


def require_mlflow(needed_for: str) -> ModuleType:
    """Import ``mlflow`` (a second or two), or say that ``needed_for`` needs it.

    Raises:
        MlflowMissingError: If it is not installed.
    """
    try:
        return importlib.import_module("mlflow")
    except ImportError as exc:
        raise MlflowMissingError(
            f"{needed_for} needs MLflow, which is not installed: {INSTALL_HINT}; "
            "`--to DIR` writes the mlflow-export-import folder format without it"
        ) from exc
