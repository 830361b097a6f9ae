"""Jupyter server configuration for the Galata tests: an isolated store and root folder.

The store is a fresh temporary folder (`MLOPS_UI_STORE`, made by playwright.config.js; kernels,
papermill reproductions and sweeps started by this server inherit `MLOPS_JUPYTER_STORE`), seeded
with the gallery runs of `seed_runs.py`; specs add models with `seed_models.py`. Nothing
here may reach the user's own store: `helpers/store-guard.ts` fails the run if it changed.
"""

import os
import sys
import tempfile
from pathlib import Path

from jupyterlab.galata import configure_jupyter_server

c = get_config()  # noqa: F821 - provided by the traitlets config loader
configure_jupyter_server(c)
c.ServerApp.allow_root = True
c.ServerApp.allow_unauthenticated_access = False

# A fresh store per test server (made by playwright.config.js, which tells the specs where it
# is so they can seed it): kernels started by this server inherit the variable.
_store = Path(os.environ.get("MLOPS_UI_STORE") or tempfile.mkdtemp(prefix="mlops-ui-store-"))
os.environ["MLOPS_JUPYTER_STORE"] = str(_store)
os.environ["MLOPS_JUPYTER_SPOOL"] = str(_store.with_name(_store.name + "-spool"))
os.environ.setdefault("MLOPS_JUPYTER_LEASE_SECONDS", "10")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seed_runs import seed_store  # noqa: E402 - needs the store variable above

seed_store(c.ServerApp.root_dir)
