"""Which global random number generators a session drew from before seeding them.

Importing NumPy is not a risk; drawing from its global generator without a seed is. After
each cell, :class:`RandomnessMonitor` compares the global generators' states with the
previous ones (a few microseconds): a state that moved in a cell that did not seed, while
the generator had never been seeded, is an unseeded draw, remembered with its cell.

A freshly seeded Mersenne Twister sits at position 624 (``random``, and NumPy's legacy global
``RandomState`` after ``seed()``) or 623 (NumPy's, seeded from entropy at import): a
generator seen for the first time at another position was drawn from.
torch's global generators start from a fixed seed (draws are repeatable) and are not
watched; TensorFlow's global seed cannot be read, so an imported TensorFlow without a seed
call is reported as such.

Stdlib only: NumPy is looked up in ``sys.modules``, never imported.
"""

from __future__ import annotations

import re
import sys
from typing import Any

__all__ = ["RandomnessMonitor", "mentions_seed"]

_SEED_CALL = re.compile(r"\b(?:seed|manual_seed|set_seed|seed_everything)\s*\(")
_FRESH_POSITIONS = {"random": (624,), "numpy": (623, 624)}


def mentions_seed(source: str) -> bool:
    """Whether code ``source`` calls a seeding function (``seed(``, ``manual_seed(``...)."""
    return _SEED_CALL.search(source) is not None


def _states() -> dict[str, Any]:
    """The states of the global generators that are imported."""
    import random

    states: dict[str, Any] = {"random": random.getstate()}
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        try:
            states["numpy"] = numpy.random.get_state(legacy=True)
        except Exception:  # noqa: S110 - an exotic NumPy: not watched
            pass
    return states


def _position(name: str, state: Any) -> int | None:
    try:
        if name == "random":
            return int(state[1][-1])
        return int(state[2])
    except (TypeError, IndexError, ValueError):
        return None


def _same(a: Any, b: Any) -> bool:
    if type(a) is tuple and type(b) is tuple and len(a) == len(b):
        return all(_same(x, y) for x, y in zip(a, b, strict=True))
    try:
        equal = a == b
        if isinstance(equal, bool):
            return equal
        return bool(equal.all())  # an array
    except Exception:
        return False


class RandomnessMonitor:
    """Unseeded draws from global generators, per library, with the first cell seen doing it."""

    def __init__(self) -> None:
        self._last: dict[str, Any] = _states()
        self.seeded: set[str] = set()
        self.unseeded: dict[str, int | None] = {}

    def seeded_all(self) -> None:
        """Every generator was seeded (``%%track --seed``)."""
        self._last = _states()
        self.seeded.update(self._last)

    def before_cell(self) -> None:
        """A cell starts: what it draws is measured from here.

        Draws made between cells (another thread, or code run outside any cell) are not
        charged to the next cell.
        """
        self._last = _states()

    def after_cell(self, cell: int | None, source: str) -> None:
        """Compare the generators with their states before the cell ``source`` ran."""
        now = _states()
        seeds = mentions_seed(source)
        if seeds and "tensorflow" in sys.modules:
            self.seeded.add("tensorflow")
        for name, state in now.items():
            before = self._last.get(name)
            if before is None:
                position = _position(name, state)
                moved = position is not None and position not in _FRESH_POSITIONS[name]
            else:
                moved = not _same(before, state)
            if not moved:
                continue
            if seeds:
                self.seeded.add(name)
            elif name not in self.seeded and name not in self.unseeded:
                self.unseeded[name] = cell
        self._last = now

    def report(self) -> dict[str, Any]:
        """``{"unseeded": {library: cell}, "seeded": [...], "unknown": [...]}`` for the run."""
        unknown = [
            name for name in ("tensorflow",) if name in sys.modules and name not in self.seeded
        ]
        return {
            "unseeded": dict(self.unseeded),
            "seeded": sorted(self.seeded),
            "unknown": unknown,
        }
