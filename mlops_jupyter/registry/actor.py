"""Who does something: the authenticated user on the server, the login in a kernel or CLI."""

from __future__ import annotations

import getpass
import os

__all__ = ["USER_ENV", "default_actor"]

#: Names the actor in kernels and the CLI (else the OS login).
USER_ENV = "MLOPS_JUPYTER_USER"


def default_actor() -> str:
    """``$MLOPS_JUPYTER_USER``, else the OS login, else ``"unknown"``."""
    named = os.environ.get(USER_ENV, "").strip()
    if named:
        return named[:200]
    try:
        return getpass.getuser() or "unknown"
    except (KeyError, OSError):  # no passwd entry (containers)
        return "unknown"
