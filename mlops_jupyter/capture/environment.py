"""The software and hardware environment a run executed in.

A snapshot is taken for every tracked cell, so it must be cheap: hardware and platform facts
are computed once per process, and the package list is re-read only when the fingerprint of
the ``sys.path`` directories changes (installing or removing a package adds or removes a
``*.dist-info`` entry, which changes the directory's mtime). Packages are read from the
metadata folder names, not through :mod:`importlib.metadata` (hundreds of ms).
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from ..redaction import capture_environment_variables

__all__ = [
    "EnvironmentCapture",
    "framework_settings",
    "normalize_package_name",
    "query_gpus",
    "scan_packages",
]


_NORMALIZE_RE = re.compile(r"[-_.]+")
_METADATA_SUFFIXES = (".dist-info", ".egg-info")

_Fingerprint = tuple[tuple[str, int], ...]

_hardware_lock = threading.Lock()
_hardware: dict[str, Any] | None = None


def _debug(message: str, *args: object) -> None:
    # logging is imported only on these rare failure paths: importing it costs milliseconds.
    import logging

    logging.getLogger(__name__).debug(message, *args)


def normalize_package_name(name: str) -> str:
    """Normalize a distribution name as PEP 503 does (``Foo_Bar.baz`` -> ``foo-bar-baz``).

    Args:
        name: The distribution name.

    Returns:
        The lowercase name with runs of ``-``, ``_`` and ``.`` replaced by ``-``.
    """
    return _NORMALIZE_RE.sub("-", name).lower()


class EnvironmentCapture:
    """Snapshots of the Python environment, cached until the installed packages change.

    One instance is meant to live as long as the kernel. Thread-safe.
    """

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        """Create a capture.

        Args:
            environ: The environment variables to capture from; ``os.environ`` (read at each
                snapshot) by default.
        """
        self._environ = environ
        self._lock = threading.Lock()
        self._fingerprint: _Fingerprint | None = None
        self._packages: dict[str, str] = {}

    @property
    def packages_fingerprint(self) -> _Fingerprint:
        """The current fingerprint of the package directories.

        A tuple of ``(directory, mtime_ns)`` for each ``sys.path`` entry, in order (-1 for an
        entry that is not an existing directory). Costs one ``stat`` per entry.
        """
        entries = []
        for entry in sys.path:
            try:
                mtime = os.stat(entry or ".").st_mtime_ns
            except (OSError, ValueError, TypeError):  # sys.path may hold anything
                mtime = -1
            entries.append((entry, mtime))
        return tuple(entries)

    def packages(self) -> dict[str, str]:
        """The installed distributions, re-read only if the fingerprint changed.

        Returns:
            A new dict of normalized distribution names to versions, sorted by name.
        """
        fingerprint = self.packages_fingerprint
        with self._lock:
            if fingerprint != self._fingerprint:
                self._packages = scan_packages(entry for entry, _ in fingerprint)
                self._fingerprint = fingerprint
            return dict(self._packages)

    def snapshot(self) -> dict[str, Any]:
        """Describe the environment.

        Returns:
            A new dict with the keys ``python`` (version, implementation, executable),
            ``packages`` (name -> version, sorted), ``platform`` (system, release, machine,
            platform, libc), ``cpu`` (model, count), ``memory_total_bytes``, ``gpus`` (list of
            name, driver, memory_total_mb; empty without ``nvidia-smi``) and ``env_vars``
            (allowlisted, secret-free variables); ``frameworks`` too when the session
            imported torch or TensorFlow (see :func:`framework_settings`).
        """
        hardware = _hardware_facts()
        environ = os.environ if self._environ is None else self._environ
        snapshot = {
            "python": dict(hardware["python"]),
            "packages": self.packages(),
            "platform": dict(hardware["platform"]),
            "cpu": dict(hardware["cpu"]),
            "memory_total_bytes": hardware["memory_total_bytes"],
            "gpus": [dict(gpu) for gpu in hardware["gpus"]],
            "env_vars": capture_environment_variables(environ),
        }
        frameworks = framework_settings(environ)
        if frameworks:
            snapshot["frameworks"] = frameworks
        return snapshot


def framework_settings(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The determinism switches of the ML frameworks the session has imported.

    Only frameworks already in ``sys.modules`` are read (importing torch takes seconds):
    ``torch`` gives ``deterministic_algorithms`` (``are_deterministic_algorithms_enabled``),
    ``cudnn_benchmark``, ``cudnn_deterministic``, ``cuda_available`` (asked only once CUDA
    is initialized) and ``cublas_workspace_config``; ``tensorflow`` gives
    ``op_determinism`` (``tf.config.experimental.is_op_determinism_enabled``) and
    ``tf_deterministic_ops``. A value that cannot be read is left out.

    Args:
        environ: Where ``CUBLAS_WORKSPACE_CONFIG`` and ``TF_DETERMINISTIC_OPS`` are read
            (default ``os.environ``).

    Returns:
        ``{"torch": {...}, "tensorflow": {...}}`` for the imported ones; empty if none.
    """
    environ = os.environ if environ is None else environ
    found: dict[str, Any] = {}
    torch = sys.modules.get("torch")
    if torch is not None:
        settings: dict[str, Any] = {}
        _read(
            settings,
            "deterministic_algorithms",
            lambda: torch.are_deterministic_algorithms_enabled(),
        )
        _read(settings, "cudnn_benchmark", lambda: torch.backends.cudnn.benchmark)
        _read(settings, "cudnn_deterministic", lambda: torch.backends.cudnn.deterministic)
        _read(
            settings,
            "cuda_available",
            lambda: bool(torch.cuda.is_initialized() and torch.cuda.is_available()),
        )
        settings["cublas_workspace_config"] = environ.get("CUBLAS_WORKSPACE_CONFIG")
        found["torch"] = settings
    tensorflow = sys.modules.get("tensorflow")
    if tensorflow is not None:
        settings = {}
        _read(
            settings,
            "op_determinism",
            lambda: tensorflow.config.experimental.is_op_determinism_enabled(),
        )
        settings["tf_deterministic_ops"] = environ.get("TF_DETERMINISTIC_OPS")
        found["tensorflow"] = settings
    return found


def _read(settings: dict[str, Any], name: str, getter: Any) -> None:
    try:
        value = getter()
    except Exception as exc:  # an odd build or version: that setting is not recorded
        _debug("cannot read %s: %s", name, exc)
        return
    if isinstance(value, bool):
        settings[name] = value


def scan_packages(entries: Iterable[str]) -> dict[str, str]:
    """Read the distributions installed in some directories from their metadata folders.

    Args:
        entries: Iterable of ``sys.path``-like directory names; the first occurrence of a
            distribution wins, as for imports.

    Returns:
        Normalized distribution names mapped to versions, sorted by name.
    """
    found: dict[str, str] = {}
    for entry in entries:
        try:
            with os.scandir(entry or ".") as iterator:
                names = [e.name for e in iterator if e.name.endswith(_METADATA_SUFFIXES)]
        except (OSError, ValueError, TypeError):
            continue
        for folder in sorted(names):
            parsed = _parse_metadata_name(os.path.join(entry or ".", folder), folder)
            if parsed is not None and parsed[0] not in found:
                found[parsed[0]] = parsed[1]
    return dict(sorted(found.items()))


def _parse_metadata_name(path: str, folder: str) -> tuple[str, str] | None:
    """``("foo-bar", "1.0")`` from ``Foo_Bar-1.0.dist-info`` or ``foo_bar-1.0-py3.11.egg-info``."""
    stem = folder.removesuffix(".dist-info").removesuffix(".egg-info")
    name, _, rest = stem.partition("-")
    if not name:
        return None
    version = rest.split("-", 1)[0] if rest else _version_from_pkg_info(path)
    return normalize_package_name(name), version


def _version_from_pkg_info(path: str) -> str:
    # Development installs write "foo.egg-info" without a version; it is in PKG-INFO.
    metadata = os.path.join(path, "PKG-INFO") if os.path.isdir(path) else path
    try:
        with open(metadata, encoding="utf-8", errors="replace") as handle:
            for _, line in zip(range(50), handle, strict=False):
                if line.startswith("Version:"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return ""


def _hardware_facts() -> dict[str, Any]:
    """Facts that cannot change while the process lives, computed on first use."""
    global _hardware
    if _hardware is not None:
        return _hardware
    with _hardware_lock:
        if _hardware is None:
            _hardware = _compute_hardware_facts()
        return _hardware


def _compute_hardware_facts() -> dict[str, Any]:
    import platform

    libc = ""
    try:
        libc = os.confstr("CS_GNU_LIBC_VERSION") or ""
    except (AttributeError, ValueError, OSError):
        pass
    try:
        import psutil

        memory_total: int | None = int(psutil.virtual_memory().total)
    except Exception as exc:  # psutil can fail in odd containers; the rest is still useful
        _debug("cannot read the total memory: %s", exc)
        memory_total = None
    return {
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
        },
        "platform": {
            "system": platform.system(),
            "release": platform.release(),
            "machine": platform.machine(),
            "platform": platform.platform(),
            "libc": libc,
        },
        "cpu": {"model": _cpu_model(), "count": os.cpu_count()},
        "memory_total_bytes": memory_total,
        "gpus": query_gpus(),
    }


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            fallback = ""
            for line in handle:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name":
                    return value.strip()
                if key in ("Hardware", "Processor", "cpu model") and not fallback:
                    fallback = value.strip()
            if fallback:
                return fallback
    except OSError:
        pass
    import platform

    return platform.processor()


def query_gpus(timeout: float = 2.0) -> list[dict[str, Any]]:
    """List the NVIDIA GPUs with ``nvidia-smi`` (not cached; snapshots cache it).

    Args:
        timeout: Seconds to wait for ``nvidia-smi``; a hung driver must not hang the kernel.

    Returns:
        One dict per GPU with ``name``, ``driver`` and ``memory_total_mb`` (int or None);
        empty when ``nvidia-smi`` is not on PATH, fails or times out.
    """
    import shutil

    executable = shutil.which("nvidia-smi")
    if executable is None:
        return []
    import subprocess

    command = [
        executable,
        "--query-gpu=name,driver_version,memory.total",
        "--format=csv,noheader",
    ]
    try:
        process = subprocess.Popen(  # noqa: S603 - nvidia-smi found on PATH, fixed argv
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # so a timeout can kill any helper it spawned
        )
    except OSError as exc:
        _debug("cannot run nvidia-smi: %s", exc)
        return []
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _debug("nvidia-smi did not answer within %s s", timeout)
        _kill_group(process)
        return []
    if process.returncode != 0:
        return []
    return _parse_gpus(output.decode("utf-8", "replace"))


def _kill_group(process: Any) -> None:
    import signal

    try:
        if hasattr(os, "killpg"):
            os.killpg(process.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows
            process.kill()
    except OSError:
        pass
    try:
        # A process stuck in the driver may not die; do not wait for it forever.
        process.communicate(timeout=0.5)
    except Exception:  # noqa: S110 - a stuck driver process is abandoned, not our problem
        pass


def _parse_gpus(output: str) -> list[dict[str, Any]]:
    gpus = []
    for line in output.splitlines():
        # rsplit: the last two fields are numbers and versions, a name may contain a comma.
        parts = [part.strip() for part in line.rsplit(",", 2)]
        if len(parts) < 3 or not parts[0]:
            continue
        memory = parts[2].split()[0] if parts[2] else ""
        gpus.append(
            {
                "name": parts[0],
                "driver": parts[1],
                "memory_total_mb": int(memory) if memory.isdigit() else None,
            }
        )
    return gpus
