"""Shared fixtures. Every test gets its own store: none may touch the user's real one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["pytest_jupyter.jupyter_server"]


@pytest.fixture(autouse=True)
def isolated_store(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Point MLOPS_JUPYTER_STORE at a fresh directory for the test (and its kernels)."""
    store_dir = tmp_path_factory.mktemp("store")
    monkeypatch.setenv("MLOPS_JUPYTER_STORE", str(store_dir))
    try:
        from mlops_jupyter.store import reset_store_cache
    except ImportError:  # pragma: no cover - the store package is always present
        reset_store_cache = None
    if reset_store_cache is not None:
        reset_store_cache()
    yield store_dir
    if reset_store_cache is not None:
        reset_store_cache()


@pytest.fixture
def jp_server_config(isolated_store: Path) -> dict[str, Any]:
    """The Jupyter server of every handler test: our extension, and no unauthenticated access
    (jupyter_server's default would let an undecorated verb through)."""
    return {
        "ServerApp": {
            "jpserver_extensions": {"mlops_jupyter": True},
            "allow_unauthenticated_access": False,
        }
    }
