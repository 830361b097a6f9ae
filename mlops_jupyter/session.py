"""What the kernel extension follows across cells, from ``%load_ext`` on (the IPython side).

Every cell, tracked or not, may set up what a tracked cell uses: the files it reads, the
random numbers it draws, whether it raised. :class:`KernelSession` listens to IPython's
``pre_run_cell`` / ``post_run_cell`` events and keeps, cheaply:

* the cell being executed (its number is the one IPython shows, ``In [n]``) and its id;
* the cells that raised (a replay of the history skips them);
* the files and URLs read (:mod:`mlops_jupyter.capture.inputs`);
* unseeded draws from global random generators (:mod:`mlops_jupyter.capture.randomness`).
"""

from __future__ import annotations

import os
from typing import Any

from .capture.inputs import INPUTS_ENV_VAR, InputMonitor, get_monitor, watch_fsspec
from .capture.randomness import RandomnessMonitor

__all__ = ["KernelSession", "get_session"]


class KernelSession:
    """The state a kernel's tracked cells share.

    Args:
        shell: The IPython shell.
    """

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self.raw_cell: str | None = None
        self.cell_id: str | None = None
        self.cell: int | None = None
        self.failed: set[int] = set()
        self.inputs: InputMonitor = get_monitor()
        self.randomness = RandomnessMonitor()
        self.capture_inputs = os.environ.get(INPUTS_ENV_VAR, "1").strip().lower() not in (
            "0",
            "false",
            "no",
            "off",
        )
        if self.capture_inputs:
            self._exclude_store()
            self.inputs.install()

    def _exclude_store(self) -> None:
        """The store's own files are never inputs."""
        from .store.location import default_spool_root, resolve_store_location

        location = resolve_store_location()
        if "://" not in location.blob_root:
            self.inputs.exclude(location.blob_root)
            self.inputs.exclude(os.path.dirname(location.blob_root))
        if location.sqlite_path is not None:
            self.inputs.exclude(os.path.dirname(location.sqlite_path))
        self.inputs.exclude(str(default_spool_root()))

    def set_capture_inputs(self, enabled: bool) -> None:
        """Turn automatic input capture on or off for this kernel."""
        self.capture_inputs = enabled
        if enabled:
            self.inputs.install()
        else:
            self.inputs.enabled = False

    def register(self) -> None:
        """Listen to the shell's cell events (idempotent)."""
        self.unregister()
        self.shell.events.register("pre_run_cell", self.pre_run_cell)
        self.shell.events.register("post_run_cell", self.post_run_cell)

    def unregister(self) -> None:
        """Stop listening (idempotent); the audit hook stays installed but is switched off."""
        for event, callback in (
            ("pre_run_cell", self.pre_run_cell),
            ("post_run_cell", self.post_run_cell),
        ):
            try:
                self.shell.events.unregister(event, callback)
            except ValueError:
                pass

    def pre_run_cell(self, info: Any) -> None:
        """A cell starts: remember it, and number the reads it makes."""
        self.raw_cell = getattr(info, "raw_cell", None)
        self.cell_id = getattr(info, "cell_id", None)
        if getattr(info, "store_history", True):
            # The index the cell gets in the history: the number IPython shows.
            self.cell = len(self.shell.history_manager.input_hist_raw)
        else:
            self.cell = None
        self.inputs.cell = self.cell
        try:
            self.randomness.before_cell()
        except Exception:  # noqa: S110 - never break the user's cell for a bookkeeping step
            pass
        if self.capture_inputs:
            watch_fsspec(self.inputs)

    def post_run_cell(self, result: Any) -> None:
        """A cell ended: note whether it raised and whether it drew random numbers."""
        count = getattr(result, "execution_count", None)
        if not getattr(result, "success", True) and isinstance(count, int):
            self.failed.add(count)
        try:
            self.randomness.after_cell(count, self.raw_cell or "")
        except Exception:  # noqa: S110 - never break the user's cell for a bookkeeping step
            pass
        self.inputs.cell = None


_session: KernelSession | None = None


def get_session(shell: Any | None = None) -> KernelSession | None:
    """This kernel's session (created by ``%load_ext`` with its shell), or None."""
    global _session
    if shell is not None and (_session is None or _session.shell is not shell):
        _session = KernelSession(shell)
    return _session
