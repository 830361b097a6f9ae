"""Tests for mlops_jupyter.capture.environment (cached environment snapshots)."""

from __future__ import annotations

import os
import platform
import stat
import sys
import time
from pathlib import Path

import pytest

from mlops_jupyter.capture.environment import (
    EnvironmentCapture,
    normalize_package_name,
    query_gpus,
    scan_packages,
)

GHP = "ghp_" + "Z" * 36


@pytest.fixture
def site_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty directory at the front of sys.path."""
    directory = tmp_path / "site"
    directory.mkdir()
    monkeypatch.setattr(sys, "path", [str(directory), *sys.path])
    return directory


def _set_mtime(path: Path, mtime_ns: int) -> None:
    os.utime(path, ns=(mtime_ns, mtime_ns))


def test_snapshot_keys() -> None:
    snapshot = EnvironmentCapture(environ={}).snapshot()
    assert set(snapshot) == {
        "python",
        "packages",
        "platform",
        "cpu",
        "memory_total_bytes",
        "gpus",
        "env_vars",
    }
    assert snapshot["python"] == {
        "version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
    }
    assert snapshot["python"]["version"].count(".") == 2
    assert snapshot["platform"]["system"] == platform.system()
    assert snapshot["platform"]["platform"] == platform.platform()
    assert snapshot["cpu"]["count"] == os.cpu_count()
    assert isinstance(snapshot["cpu"]["model"], str)
    assert snapshot["memory_total_bytes"] > 0
    assert isinstance(snapshot["gpus"], list)
    assert snapshot["env_vars"] == {}
    packages = snapshot["packages"]
    assert list(packages) == sorted(packages)
    assert "pytest" in packages
    assert packages["pytest"] == pytest.__version__


def test_package_appears_when_dist_info_is_added(site_dir: Path) -> None:
    capture = EnvironmentCapture(environ={})
    before = capture.packages_fingerprint
    assert "foo" not in capture.snapshot()["packages"]
    # Ensure the new entry changes the mtime even on coarse-timestamp file systems.
    old_mtime = site_dir.stat().st_mtime_ns
    (site_dir / "foo-1.0.dist-info").mkdir()
    _set_mtime(site_dir, old_mtime + 10_000_000)
    assert capture.packages_fingerprint != before
    assert capture.snapshot()["packages"]["foo"] == "1.0"
    (site_dir / "foo-1.0.dist-info").rmdir()
    _set_mtime(site_dir, old_mtime + 20_000_000)
    assert "foo" not in capture.snapshot()["packages"]


def test_packages_are_not_rescanned_while_the_fingerprint_is_unchanged(site_dir: Path) -> None:
    capture = EnvironmentCapture(environ={})
    capture.snapshot()
    fingerprint = capture.packages_fingerprint
    old_mtime = site_dir.stat().st_mtime_ns
    (site_dir / "sneaky-2.0.dist-info").mkdir()
    _set_mtime(site_dir, old_mtime)  # hide the change from the fingerprint
    assert capture.packages_fingerprint == fingerprint
    assert "sneaky" not in capture.snapshot()["packages"]
    # A fresh capture does scan, proving the package is visible once rescanned.
    assert EnvironmentCapture(environ={}).snapshot()["packages"]["sneaky"] == "2.0"


def test_fingerprint_changes_when_sys_path_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    capture = EnvironmentCapture(environ={})
    before = capture.packages_fingerprint
    monkeypatch.setattr(sys, "path", [*sys.path, str(tmp_path)])
    assert capture.packages_fingerprint != before


def test_names_are_normalized_and_versions_parsed(site_dir: Path) -> None:
    (site_dir / "Foo_Bar.baz-2.0.dist-info").mkdir()
    (site_dir / "old_style-0.3-py3.11.egg-info").mkdir()
    dev = site_dir / "devpkg.egg-info"
    dev.mkdir()
    (dev / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: devpkg\nVersion: 0.0.1.dev3\n")
    (site_dir / "file_style-1.2.egg-info").write_text("Version: 1.2\n")
    (site_dir / "not_metadata-1.0").mkdir()
    packages = scan_packages([str(site_dir)])
    assert packages == {
        "devpkg": "0.0.1.dev3",
        "file-style": "1.2",
        "foo-bar-baz": "2.0",
        "old-style": "0.3",
    }


def test_first_occurrence_on_sys_path_wins(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    (first / "dup-1.0.dist-info").mkdir(parents=True)
    (second / "Dup-2.0.dist-info").mkdir(parents=True)
    assert scan_packages([str(first), str(second)]) == {"dup": "1.0"}
    assert scan_packages([str(second), str(first)]) == {"dup": "2.0"}
    assert scan_packages([str(tmp_path / "missing"), "", str(second)])["dup"] == "2.0"


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Foo_Bar", "foo-bar"), ("a.-_b", "a-b"), ("ZOPE.Interface", "zope-interface")],
)
def test_normalize_package_name(name: str, expected: str) -> None:
    assert normalize_package_name(name) == expected


def test_env_vars_are_allowlisted_and_secret_free() -> None:
    environ = {
        "MY_API_TOKEN": GHP,
        "OMP_NUM_THREADS": "8",
        "HOME": "/root",
        "XLA_FLAGS": f"--token={GHP}",
    }
    env_vars = EnvironmentCapture(environ=environ).snapshot()["env_vars"]
    assert env_vars == {"OMP_NUM_THREADS": "8", "XLA_FLAGS": "--token=***REDACTED***"}
    assert GHP not in repr(EnvironmentCapture(environ=environ).snapshot())


def test_env_vars_follow_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    capture = EnvironmentCapture()
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3")
    monkeypatch.setenv("MY_API_TOKEN", GHP)
    env_vars = capture.snapshot()["env_vars"]
    assert env_vars["CUDA_VISIBLE_DEVICES"] == "3"
    assert "MY_API_TOKEN" not in env_vars
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    assert capture.snapshot()["env_vars"]["CUDA_VISIBLE_DEVICES"] == "1"


def test_snapshot_returns_independent_copies() -> None:
    capture = EnvironmentCapture(environ={})
    first = capture.snapshot()
    first["packages"]["injected"] = "1"
    first["python"]["version"] = "0"
    second = capture.snapshot()
    assert "injected" not in second["packages"]
    assert second["python"]["version"] == platform.python_version()


def test_fingerprint_and_cached_snapshot_are_cheap() -> None:
    capture = EnvironmentCapture(environ={})
    capture.snapshot()
    start = time.perf_counter()
    for _ in range(100):
        capture.packages_fingerprint  # noqa: B018 - the property access is what is timed
    per_fingerprint = (time.perf_counter() - start) / 100
    start = time.perf_counter()
    for _ in range(100):
        capture.snapshot()
    per_snapshot = (time.perf_counter() - start) / 100
    # Budgets are well above the measured cost (~15 us / ~0.1 ms) to stay stable on CI.
    assert per_fingerprint < 0.001, f"fingerprint took {per_fingerprint * 1e3:.3f} ms"
    assert per_snapshot < 0.005, f"cached snapshot took {per_snapshot * 1e3:.3f} ms"


def _fake_nvidia_smi(directory: Path, body: str) -> None:
    script = directory / "nvidia-smi"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


@pytest.mark.skipif(os.name != "posix", reason="uses a shell script as nvidia-smi")
def test_query_gpus_parses_nvidia_smi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_nvidia_smi(
        tmp_path,
        'case "$*" in *--query-gpu=name,driver_version,memory.total*--format=csv,noheader*)\n'
        '  echo "NVIDIA A100-SXM4-40GB, 535.104.05, 40960 MiB"\n'
        '  echo "Tesla T4, 535.104.05, [N/A]"\n;;\n'
        "*) exit 3;;\nesac\n",
    )
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert query_gpus() == [
        {"name": "NVIDIA A100-SXM4-40GB", "driver": "535.104.05", "memory_total_mb": 40960},
        {"name": "Tesla T4", "driver": "535.104.05", "memory_total_mb": None},
    ]


@pytest.mark.skipif(os.name != "posix", reason="uses a shell script as nvidia-smi")
def test_query_gpus_failures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert query_gpus() == []  # not installed
    _fake_nvidia_smi(tmp_path, "echo 'NVIDIA-SMI has failed'; exit 9\n")
    assert query_gpus() == []
    _fake_nvidia_smi(tmp_path, "sleep 30 &\nsleep 30\necho 'GPU, 1, 2 MiB'\n")
    start = time.perf_counter()
    assert query_gpus(timeout=0.3) == []
    assert time.perf_counter() - start < 5
