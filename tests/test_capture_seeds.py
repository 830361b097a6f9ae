"""Tests for mlops_jupyter.capture.seeds."""

from __future__ import annotations

import random
import sys
import types
from typing import Any

import pytest

from mlops_jupyter.capture.seeds import random_libraries_in_use, seed_everything


def test_seed_random_is_reproducible() -> None:
    seeded = seed_everything(1234)
    first = [random.random() for _ in range(3)]
    seed_everything(1234)
    assert [random.random() for _ in range(3)] == first
    seed_everything(4321)
    assert [random.random() for _ in range(3)] != first
    assert seeded[0] == "random"


def test_seed_numpy() -> None:
    np = pytest.importorskip("numpy")
    assert "numpy" in seed_everything(7)
    first = np.random.rand(3).tolist()
    seed_everything(7)
    assert np.random.rand(3).tolist() == first


def test_numpy_reported_only_when_installed() -> None:
    import importlib.util

    installed = importlib.util.find_spec("numpy") is not None
    assert ("numpy" in seed_everything(3)) is installed


class FakeCuda:
    def __init__(self, available: bool) -> None:
        self.available = available
        self.seeds: list[int] = []

    def is_available(self) -> bool:
        return self.available

    def manual_seed_all(self, seed: int) -> None:
        self.seeds.append(seed)


def fake_torch(cuda_available: bool) -> Any:
    module: Any = types.ModuleType("torch")
    module.seeds = []
    module.manual_seed = module.seeds.append
    module.cuda = FakeCuda(cuda_available)
    return module


def test_torch_is_seeded_only_when_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    assert "torch" not in seed_everything(5)
    assert "torch" not in sys.modules  # never imported by seeding

    torch = fake_torch(cuda_available=True)
    monkeypatch.setitem(sys.modules, "torch", torch)
    assert "torch" in seed_everything(11)
    assert torch.seeds == [11]
    assert torch.cuda.seeds == [11]

    cpu_only = fake_torch(cuda_available=False)
    monkeypatch.setitem(sys.modules, "torch", cpu_only)
    assert seed_everything(12)[-1] == "torch"
    assert cpu_only.seeds == [12]
    assert cpu_only.cuda.seeds == []


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, "1", True, None])
def test_invalid_seeds(seed: Any) -> None:
    with pytest.raises(ValueError, match="seed must be"):
        seed_everything(seed)


def test_seed_bounds_are_accepted() -> None:
    assert seed_everything(0)[0] == "random"
    assert seed_everything(2**32 - 1)[0] == "random"


def test_random_libraries_in_use(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("numpy", "torch", "tensorflow", "jax"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.setitem(sys.modules, "random", random)
    assert random_libraries_in_use() == ["random"]
    monkeypatch.setitem(sys.modules, "jax", types.ModuleType("jax"))
    monkeypatch.setitem(sys.modules, "torch", types.ModuleType("torch"))
    assert random_libraries_in_use() == ["random", "torch", "jax"]
