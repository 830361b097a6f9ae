"""The ``%%track`` cell magic: a thin IPython face over :mod:`mlops_jupyter.tracking`."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring


@magics_class
class TrackMagics(Magics):
    """Magics of mlops-jupyter."""

    @magic_arguments()
    @argument("--name", help="A name for the run.")
    @argument("--experiment", help="The experiment to group the run in (default: notebook path).")
    @argument(
        "--param", action="append", default=[], metavar="K=V", help="A parameter (repeatable)."
    )
    @argument(
        "--metric",
        action="append",
        default=[],
        metavar="VAR",
        help="A variable to record as a metric after the cell (repeatable).",
    )
    @argument(
        "--input",
        action="append",
        default=[],
        metavar="PATH",
        help="A data file the cell reads: its sha256 and size are recorded (repeatable).",
    )
    @argument(
        "--artifact",
        action="append",
        default=[],
        metavar="PATH",
        help="A file the cell writes: stored with the run (repeatable).",
    )
    @argument(
        "--register",
        metavar="NAME",
        help="Register the --artifact files as the next version of model NAME when the cell "
        "finishes.",
    )
    @argument("--tag", action="append", default=[], metavar="K=V", help="A tag (repeatable).")
    @argument(
        "--seed", type=int, help="Seed random, NumPy and (if imported) torch before the cell."
    )
    @argument("--quiet", action="store_true", help="Do not display the run summary.")
    @argument(
        "--no-inputs",
        action="store_true",
        help="Do not record the files the session read as inputs of this run.",
    )
    @cell_magic
    def track(self, line: str, cell: str) -> Any:
        """Run the cell and record it as an experiment run.

        A bare ``%%track`` records the cell source, notebook snapshot, execution history,
        literal parameters, environment, git state and status.
        """
        __tracebackhide__ = True
        try:
            args = parse_argstring(self.track, line)
        except ValueError as exc:  # shlex: an unbalanced quote ("No closing quotation")
            raise UsageError(f"%%track {line.strip()}: {exc}") from None
        from .kernel import track_cell

        return track_cell(self.shell, args, line, cell)


def load(ipython: Any, package: ModuleType) -> None:
    """Register the magics and the event hooks on ``ipython``.

    ``package`` (the ``mlops_jupyter`` module, handed in by ``load_ipython_extension``) is put
    in the user namespace, so ``mlops_jupyter.log_metric`` works right after
    ``%load_ext mlops_jupyter``.
    """
    ipython.register_magics(TrackMagics)
    from .kernel import install_hooks

    install_hooks(ipython)
    ipython.user_ns.setdefault("mlops_jupyter", package)


def unload(ipython: Any) -> None:
    """Remove the event hooks registered by :func:`load`."""
    from .kernel import remove_hooks

    remove_hooks(ipython)
