"""Seeding the random number generators of the libraries a notebook uses."""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["RANDOM_LIBRARIES", "random_libraries_in_use", "seed_everything"]

# Libraries with a process-wide random state that changes results, in reporting order.
RANDOM_LIBRARIES = ("random", "numpy", "torch", "tensorflow", "jax")

_MAX_SEED = 2**32 - 1  # NumPy's legacy RandomState accepts 0 .. 2**32 - 1


def seed_everything(seed: int) -> list[str]:
    """Seed the global random number generators.

    Seeds :mod:`random`; NumPy's legacy global generator (``numpy.random.seed``) if NumPy is
    installed (importing it if needed, so that a later ``import numpy`` sees the seeded
    state); torch (``manual_seed``, and every CUDA device when available) only if torch is
    already imported, since importing it takes seconds.

    Args:
        seed: An integer from 0 to 2**32 - 1.

    Returns:
        The names of the libraries seeded, e.g. ``["random", "numpy"]``.

    Raises:
        ValueError: If the seed is not an int in range.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be an int, got {type(seed).__name__}")
    if not 0 <= seed <= _MAX_SEED:
        raise ValueError(f"seed must be between 0 and {_MAX_SEED}, got {seed}")
    import random

    random.seed(seed)
    seeded = ["random"]

    numpy = _import_numpy()
    if numpy is not None:
        numpy.random.seed(seed)
        seeded.append("numpy")

    torch: Any = sys.modules.get("torch")
    if torch is not None and callable(getattr(torch, "manual_seed", None)):
        torch.manual_seed(seed)
        cuda = getattr(torch, "cuda", None)
        if cuda is not None and cuda.is_available():
            cuda.manual_seed_all(seed)
        seeded.append("torch")
    return seeded


def random_libraries_in_use() -> list[str]:
    """The random-number libraries imported in this process.

    Only looks at :data:`sys.modules` (nothing is imported).

    Returns:
        The names among random, numpy, torch, tensorflow and jax that are imported, in
        that order.
    """
    return [name for name in RANDOM_LIBRARIES if name in sys.modules]


def _import_numpy() -> Any:
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        return numpy
    import importlib.util

    if importlib.util.find_spec("numpy") is None:
        return None
    try:
        import numpy
    except Exception:  # a broken installation must not break seeding the others
        return None
    return numpy
