"""Jupyter server configuration for the Galata tests: an isolated store and root folder."""

import os
import shutil
import tempfile
from pathlib import Path

from jupyterlab.galata import configure_jupyter_server

c = get_config()  # noqa: F821 - provided by the traitlets config loader
configure_jupyter_server(c)
c.ServerApp.allow_root = True
c.ServerApp.allow_unauthenticated_access = False

# A fresh store per test server: kernels started by this server inherit the variable.
_store = Path(tempfile.mkdtemp(prefix="mlops-ui-store-"))
os.environ["MLOPS_JUPYTER_STORE"] = str(_store)
os.environ.setdefault("MLOPS_JUPYTER_LEASE_SECONDS", "10")
shutil.rmtree(_store / "blobs", ignore_errors=True)
