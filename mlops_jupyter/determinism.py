"""The determinism check: does a run's pinned notebook give the same results every time?

:func:`check_determinism` executes the notebook a run pinned several times, each a full
reproduction in a fresh kernel (:func:`mlops_jupyter.reproduce.reproduce`, which records each
execution as a reproduction of the run), and compares the executions with each other:
parameters, every metric's full step series (exactly, or within a relative tolerance) and
the sha256 of every artifact. It names the first metric and step that differ.

Without ``strict`` every execution runs with the same settings: ``PYTHONHASHSEED`` fixed (the
run's own when it recorded one, else 0), the thread variables as they are. With ``strict`` one
more execution per setting changes only that setting from the first execution's, to expose
dependencies that should not exist:

* ``PYTHONHASHSEED`` (the iteration order of sets and dicts of strings);
* ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``, ``OPENBLAS_NUM_THREADS`` (1 against several: the
  summation order of parallel reductions);
* the working directory's absolute path (a longer, deeper one).

Because each of those executions differs from the first in one setting only, a difference
names its culprit: hash-order dependence, thread-count dependence, path dependence. A
difference between executions with the same settings is nondeterminism proper, explained by
what the session shows: a library drawing random numbers without a seed (measured after
every cell by :mod:`mlops_jupyter.capture.randomness`), framework determinism switches left
off (recorded with the environment), or, failing those, something not recorded.

Plain Python: no Tornado, no IPython.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .errors import InvalidArgumentError
from .execution import ExecutionCancelled
from .formatting import format_value
from .models import Run, json_safe

if TYPE_CHECKING:
    from .store.base import RunStore
    from .verdict import Verdict

__all__ = [
    "MAX_REPEATS",
    "DeterminismReport",
    "DeterminismVerdict",
    "check_determinism",
    "compare_executions",
    "framework_causes",
]

DeterminismVerdict = Literal["deterministic", "nondeterministic", "failed"]

#: At most this many repeats (each a kernel and a full execution of the notebook).
MAX_REPEATS = 10
#: What ``strict`` varies, one execution each.
HASH_SEED = "PYTHONHASHSEED"
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
WORKING_DIRECTORY = "working directory"
#: Where the deeper working directory of ``strict`` goes, under the scratch folder.
_DEEP_PATH = ("a-longer-and-deeper-working-directory", "to", "vary", "its", "absolute", "path")

#: ``progress(done, running, total)`` as executions start and end.
DeterminismProgress = Callable[[int, int, int], None]


@dataclass
class _Execution:
    """One execution: its settings and what came out."""

    index: int
    variant: str | None  # None: the baseline settings; else the setting varied
    env: dict[str, str]
    deep: bool = False
    verdict: Verdict | None = None
    run: Run | None = None
    series: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    artifacts: dict[str, str] = field(default_factory=dict)
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        failure = self.verdict.failure if self.verdict is not None else None
        return {
            "index": self.index,
            "varied": self.variant,
            "env": dict(self.env),
            "run_id": None if self.run is None else self.run.id,
            "status": self._status(),
            "failure": failure,
            "error": self.error,
        }

    def _status(self) -> str:
        if self.error is not None:
            return "error"
        if self.run is None:
            return "failed"
        return self.run.status.value

    @property
    def ok(self) -> bool:
        return self.error is None and self.run is not None and self.run.status.value == "finished"


@dataclass
class DeterminismReport:
    """The outcome of a determinism check.

    Attributes:
        verdict: ``deterministic``, ``nondeterministic`` or ``failed`` (an execution with
            the run's own settings failed, so nothing could be compared).
        run_id: The run checked.
        repeats: Executions with the same settings.
        strict: Whether settings that should not matter were varied.
        tolerance: Relative tolerance of float comparisons (0: exact).
        first_difference: The first difference found: ``{"kind", "metric", "step",
            "values", "executions", "varied"}`` (``kind``: ``metric``, ``missing``,
            ``steps``, ``param`` or ``artifact``; ``metric``/``step`` None for the last two),
            or None.
        differences: Every metric, parameter or artifact that differs (its first
            difference each), at most 50.
        varied: What differed between executions (``PYTHONHASHSEED``,
            ``OMP_NUM_THREADS``..., ``working directory``); empty without ``strict``.
        causes: The likely culprits, most likely first.
        executions: Each execution's settings, run id and status.
        notes: What else is worth knowing.
    """

    verdict: DeterminismVerdict
    run_id: str
    repeats: int
    strict: bool
    tolerance: float
    first_difference: dict[str, Any] | None = None
    differences: list[dict[str, Any]] = field(default_factory=list)
    varied: list[str] = field(default_factory=list)
    causes: list[str] = field(default_factory=list)
    executions: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The report as strict-JSON-ready data (non-finite values as strings)."""
        data: dict[str, Any] = json_safe(
            {
                "verdict": self.verdict,
                "run_id": self.run_id,
                "repeats": self.repeats,
                "strict": self.strict,
                "tolerance": self.tolerance,
                "first_difference": self.first_difference,
                "differences": list(self.differences),
                "varied": list(self.varied),
                "causes": list(self.causes),
                "executions": list(self.executions),
                "notes": list(self.notes),
            }
        )
        return data


# --------------------------------------------------------------------------- comparing


def _equal(a: float, b: float, tolerance: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if a == b:
        return True
    if tolerance <= 0 or math.isinf(a) or math.isinf(b):
        return False
    return math.isclose(a, b, rel_tol=tolerance, abs_tol=0.0)


def compare_executions(
    a: Mapping[str, Any], b: Mapping[str, Any], tolerance: float = 0.0
) -> list[dict[str, Any]]:
    """The differences between two executions' results.

    Args:
        a: ``{"params", "series": {key: [(step, value)]}, "artifacts": {path: sha256}}``.
        b: The same for the other execution.
        tolerance: Relative tolerance of float values (0: exactly equal; NaN equals NaN).

    Returns:
        One difference per metric (its first differing point: the smallest step, point by
        point in logging order), then per parameter and artifact, metrics ordered by the
        step of their difference then name.
    """
    found: list[dict[str, Any]] = []
    series_a, series_b = a.get("series") or {}, b.get("series") or {}
    for key in sorted(set(series_a) | set(series_b)):
        one, two = series_a.get(key), series_b.get(key)
        if one is None or two is None:
            present = one if one is not None else two
            found.append(
                {
                    "kind": "missing",
                    "metric": key,
                    "step": present[0][0] if present else None,
                    "values": [
                        None if one is None else "logged",
                        None if two is None else "logged",
                    ],
                }
            )
            continue
        for (step_a, value_a), (step_b, value_b) in zip(one, two, strict=False):
            if step_a != step_b:
                found.append(
                    {
                        "kind": "steps",
                        "metric": key,
                        "step": min(step_a, step_b),
                        "values": [step_a, step_b],
                    }
                )
                break
            if not _equal(value_a, value_b, tolerance):
                found.append(
                    {"kind": "metric", "metric": key, "step": step_a, "values": [value_a, value_b]}
                )
                break
        else:
            if len(one) != len(two):
                shorter = one if len(one) < len(two) else two
                longer = two if shorter is one else one
                found.append(
                    {
                        "kind": "steps",
                        "metric": key,
                        "step": longer[len(shorter)][0],
                        "values": [len(one), len(two)],
                    }
                )
    found.sort(
        key=lambda d: (d["step"] is None, d["step"] if d["step"] is not None else 0, d["metric"])
    )
    params_a, params_b = a.get("params") or {}, b.get("params") or {}
    for key in sorted(set(params_a) | set(params_b)):
        one, two = params_a.get(key, "(unset)"), params_b.get(key, "(unset)")
        if json.dumps(one, sort_keys=True, default=str) != json.dumps(
            two, sort_keys=True, default=str
        ):
            found.append(
                {"kind": "param", "metric": None, "step": None, "param": key, "values": [one, two]}
            )
    arts_a, arts_b = a.get("artifacts") or {}, b.get("artifacts") or {}
    for path in sorted(set(arts_a) | set(arts_b)):
        if arts_a.get(path) != arts_b.get(path):
            found.append(
                {
                    "kind": "artifact",
                    "metric": None,
                    "step": None,
                    "path": path,
                    "values": [arts_a.get(path), arts_b.get(path)],
                }
            )
    return found


def _results(execution: _Execution) -> dict[str, Any]:
    run = execution.run
    return {
        "params": {} if run is None else run.params,
        "series": execution.series,
        "artifacts": execution.artifacts,
    }


def _describe(difference: Mapping[str, Any]) -> str:
    kind = difference["kind"]
    one, two = difference["values"]
    if kind == "metric":
        return (
            f"{difference['metric']} at step {difference['step']}: "
            f"{format_value(one)} vs {format_value(two)}"
        )
    if kind == "missing":
        return f"{difference['metric']} was logged by one execution only"
    if kind == "steps":
        return f"{difference['metric']} logged other steps from step {difference['step']}"
    if kind == "param":
        return f"parameter {difference['param']}: {format_value(one)} vs {format_value(two)}"
    return f"artifact {difference['path']}: sha256 {str(one)[:12]} vs {str(two)[:12]}"


# --------------------------------------------------------------------------- causes


def framework_causes(env: Mapping[str, Any]) -> list[str]:
    """Framework determinism switches left off, from an environment manifest's
    ``frameworks`` (recorded only for the frameworks the session had imported)."""
    frameworks = env.get("frameworks") if isinstance(env, Mapping) else None
    if not isinstance(frameworks, Mapping):
        return []
    causes: list[str] = []
    torch = frameworks.get("torch")
    if isinstance(torch, Mapping):
        if torch.get("deterministic_algorithms") is False:
            causes.append(
                "torch's deterministic algorithms are off "
                "(torch.use_deterministic_algorithms(True) turns them on)"
            )
        if torch.get("cudnn_benchmark") is True:
            causes.append(
                "torch.backends.cudnn.benchmark is on: cuDNN picks its algorithms by timing"
            )
        if torch.get("cudnn_deterministic") is False and torch.get("cuda_available"):
            causes.append("torch.backends.cudnn.deterministic is off")
        if torch.get("cuda_available") and not torch.get("cublas_workspace_config"):
            causes.append(
                "CUBLAS_WORKSPACE_CONFIG is not set: cuBLAS reductions are not deterministic "
                "(set it to :4096:8)"
            )
    tensorflow = frameworks.get("tensorflow")
    if isinstance(tensorflow, Mapping) and tensorflow.get("op_determinism") is False:
        causes.append(
            "TensorFlow op determinism is off "
            "(tf.config.experimental.enable_op_determinism() turns it on)"
        )
    return causes


def _unseeded_causes(executions: list[_Execution], original: Run) -> list[str]:
    """Libraries that drew random numbers without a seed, as measured in the executions
    (else in the original session)."""
    libraries: dict[str, Any] = {}
    for run in [*(e.run for e in executions if e.run is not None), original]:
        randomness = run.extra.get("randomness")
        if isinstance(randomness, dict):
            unseeded = randomness.get("unseeded")
            if isinstance(unseeded, dict):
                for name, cell in unseeded.items():
                    libraries.setdefault(str(name), cell)
            for name in randomness.get("unknown") or []:
                libraries.setdefault(str(name), None)
    if not libraries:
        return []
    where = ", ".join(
        f"{name} (cell [{cell}])" if isinstance(cell, int) else name
        for name, cell in sorted(libraries.items())
    )
    return [f"random numbers drawn without a seed: {where}"]


# --------------------------------------------------------------------------- running


def _baseline_env(original: Run) -> dict[str, str]:
    recorded = (original.env or {}).get("env_vars") or {}
    seed = recorded.get(HASH_SEED) if isinstance(recorded, dict) else None
    env = {HASH_SEED: seed if isinstance(seed, str) and seed.isdigit() else "0"}
    for name in THREAD_VARIABLES:
        value = recorded.get(name) if isinstance(recorded, dict) else None
        if isinstance(value, str) and value:
            env[name] = value
    return env


def _plan(original: Run, repeats: int, strict: bool) -> list[_Execution]:
    base = _baseline_env(original)
    plan = [_Execution(i, None, dict(base)) for i in range(repeats)]
    if not strict:
        return plan
    seed = int(base[HASH_SEED])
    plan.append(_Execution(len(plan), HASH_SEED, {**base, HASH_SEED: str((seed + 4242) % 2**32)}))
    current = base.get("OMP_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
    threads = str(max(2, os.cpu_count() or 2)) if current == "1" else "1"
    plan.append(
        _Execution(len(plan), "threads", {**base, **dict.fromkeys(THREAD_VARIABLES, threads)})
    )
    plan.append(_Execution(len(plan), WORKING_DIRECTORY, dict(base), deep=True))
    return plan


def _observe(store: RunStore, execution: _Execution) -> None:
    verdict = execution.verdict
    if verdict is None or verdict.reproduction_run_id is None:
        return
    run = store.get_run(verdict.reproduction_run_id)
    execution.run = run
    execution.series = {
        key: [(p.step, p.value) for p in store.metric_series(run.id, key)]
        for key in sorted(run.metrics)
    }
    execution.artifacts = {a.path: a.sha256 for a in run.artifacts}


def check_determinism(
    run_id: str,
    *,
    repeats: int = 2,
    strict: bool = False,
    tolerance: float = 0.0,
    workers: int | None = None,
    store: RunStore | None = None,
    progress: DeterminismProgress | None = None,
    cancel: threading.Event | None = None,
    kernel_env: Mapping[str, str] | None = None,
) -> DeterminismReport:
    """Execute a run's pinned notebook several times and compare the executions.

    Args:
        run_id: The run.
        repeats: Executions with the same settings (2 to :data:`MAX_REPEATS`).
        strict: Add one execution per setting that should not matter (see the module).
        tolerance: Relative tolerance of float values (0: exact).
        workers: Executions at the same time (default: as many as there are cores, at most
            the number of executions).
        store: The store (default: the shared one).
        progress: Called as executions start and end.
        cancel: Set it to stop: running cells are interrupted.
        kernel_env: Variables added for every kernel (e.g. the server's store).

    Returns:
        The report.

    Raises:
        InvalidArgumentError: Bad repeats, tolerance or workers; a parameter that cannot be
            injected.
        RunNotFoundError: No such run.
        ConflictError: The run pinned nothing runnable (an imported MLflow run).
        ExecutionCancelled: If ``cancel`` was set.
    """
    if isinstance(repeats, bool) or not isinstance(repeats, int) or not 2 <= repeats <= MAX_REPEATS:
        raise InvalidArgumentError(f"repeats must be an integer from 2 to {MAX_REPEATS}")
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float):
        raise InvalidArgumentError("tolerance must be a number")
    if not (math.isfinite(tolerance) and tolerance >= 0):
        raise InvalidArgumentError(f"tolerance must be a finite number >= 0, got {tolerance!r}")
    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
    ):
        raise InvalidArgumentError("workers must be a positive integer")
    if store is None:
        from .store import get_store

        store = get_store()
    from .pin import injectable_params, missing_kernel, run_kernel, runnable_pin

    original = store.get_run(run_id)
    runnable_pin(original, "checked for determinism")  # ConflictError before anything runs
    injectable_params(original)
    report = DeterminismReport("failed", original.id, repeats, strict, float(tolerance))
    missing = missing_kernel(run_kernel(store, original))
    if missing is not None:
        report.causes.append(missing)
        return report
    plan = _plan(original, repeats, strict)
    cancel = cancel or threading.Event()
    _execute(
        store,
        original.id,
        plan,
        workers,
        progress,
        cancel,
        dict(kernel_env or {}),
        float(tolerance),
    )
    if cancel.is_set():
        raise ExecutionCancelled()
    for execution in plan:
        _observe(store, execution)
    report.executions = [e.to_json() for e in plan]
    _judge(original, plan, report)
    return report


def _execute(
    store: RunStore,
    run_id: str,
    plan: list[_Execution],
    workers: int | None,
    progress: DeterminismProgress | None,
    cancel: threading.Event,
    kernel_env: dict[str, str],
    tolerance: float,
) -> None:
    from .reproduce import reproduce

    lock = threading.Lock()
    counts = {"done": 0, "running": 0}
    total = len(plan)
    count = workers or max(1, min(total, os.cpu_count() or 1))

    def report_progress() -> None:
        if progress is not None:
            progress(counts["done"], counts["running"], total)

    with tempfile.TemporaryDirectory(prefix="mlops-determinism-") as scratch:
        deep = os.path.join(scratch, *_DEEP_PATH)
        os.makedirs(deep)

        def one(execution: _Execution) -> None:
            if cancel.is_set():
                return
            with lock:
                counts["running"] += 1
                report_progress()
            try:
                execution.verdict = reproduce(
                    run_id,
                    tolerance=tolerance if tolerance > 0 else 1e-9,
                    store=store,
                    cancel=cancel,
                    workdir=deep if execution.deep else scratch,
                    kernel_env={**kernel_env, **execution.env},
                )
            except ExecutionCancelled:
                return
            except Exception as exc:  # one execution's error is reported, not raised
                execution.error = f"{type(exc).__name__}: {exc}"
            finally:
                with lock:
                    counts["running"] -= 1
                    counts["done"] += 1
                    report_progress()

        with ThreadPoolExecutor(count, thread_name_prefix="mlops-determinism") as pool:
            list(pool.map(one, plan))


def _failure_text(execution: _Execution) -> str:
    if execution.error is not None:
        return execution.error
    verdict = execution.verdict
    if verdict is not None and verdict.causes:
        return verdict.causes[0]
    if execution.run is not None:
        return f"the tracked cell ended {execution.run.status.value}"
    return "the execution recorded no run"


_VARIANT_CAUSES = {
    HASH_SEED: (
        "hash-order dependence: only PYTHONHASHSEED differed ({detail}); the result depends on "
        "the iteration order of a set or dict of strings (sort it, e.g. sorted(the_set))"
    ),
    "threads": (
        "thread-count dependence: only OMP_NUM_THREADS/MKL_NUM_THREADS/OPENBLAS_NUM_THREADS "
        "differed ({detail}); parallel reductions sum in another order"
    ),
    WORKING_DIRECTORY: (
        "working-directory dependence: only the absolute path of the working directory "
        "differed ({detail})"
    ),
}


def _variant_detail(base: _Execution, other: _Execution) -> str:
    if other.variant == HASH_SEED:
        return f"{base.env.get(HASH_SEED)} → {other.env.get(HASH_SEED)}"
    if other.variant == "threads":
        before = base.env.get("OMP_NUM_THREADS") or "unset"
        return f"{before} → {other.env.get('OMP_NUM_THREADS')}"
    return "a longer, deeper path"


def _varied_names(variant: str | None) -> list[str]:
    if variant is None:
        return []
    if variant == "threads":
        return list(THREAD_VARIABLES)
    return [variant]


def _judge(original: Run, plan: list[_Execution], report: DeterminismReport) -> None:
    baseline = [e for e in plan if e.variant is None]
    variants = [e for e in plan if e.variant is not None]
    report.varied = [name for e in variants for name in _varied_names(e.variant)]
    first = baseline[0]
    broken = [e for e in baseline if not e.ok]
    if broken:
        report.verdict = "failed"
        for execution in broken:
            cause = f"execution {execution.index + 1} failed: {_failure_text(execution)}"
            if cause not in report.causes:
                report.causes.append(cause)
        return
    if first.verdict is not None and first.verdict.status == "diverged":
        report.notes.append(
            "the executions do not give the original run's metrics: `mlops-jupyter reproduce "
            f"{original.id[:12]}` says why"
        )
    differences: list[tuple[_Execution, _Execution, list[dict[str, Any]]]] = []
    for other in baseline[1:]:
        found = compare_executions(_results(first), _results(other), report.tolerance)
        if found:
            differences.append((first, other, found))
    plain = bool(differences)
    _judge_variants(first, variants, plain, differences, report)
    if not differences and not report.causes:
        report.verdict = "deterministic"
        return
    report.verdict = "nondeterministic"
    if differences:
        _list_differences(differences, report)
    if plain:
        report.causes[:0] = _session_causes(original, plan) or [
            "unknown: executions with the same settings differ "
            f"({_describe(differences[0][2][0])}) and no unseeded generator or framework "
            "switch explains it; the result may depend on time, the network, or thread "
            "scheduling"
        ]
        if variants:
            report.notes.append(
                "executions with the same settings already differ: the strict variations "
                "cannot be told apart from that"
            )


def _judge_variants(
    first: _Execution,
    variants: list[_Execution],
    plain: bool,
    differences: list[tuple[_Execution, _Execution, list[dict[str, Any]]]],
    report: DeterminismReport,
) -> None:
    """Compare each strict execution with the first; name the setting it changed."""
    for other in variants:
        if not other.ok:
            report.causes.append(
                f"with only {', '.join(_varied_names(other.variant))} changed the notebook "
                f"fails: {_failure_text(other)}"
            )
            continue
        found = compare_executions(_results(first), _results(other), report.tolerance)
        if not found:
            continue
        differences.append((first, other, found))
        if not plain:
            template = _VARIANT_CAUSES[str(other.variant)]
            report.causes.append(
                template.format(detail=_variant_detail(first, other)) + f": {_describe(found[0])}"
            )


def _list_differences(
    differences: list[tuple[_Execution, _Execution, list[dict[str, Any]]]],
    report: DeterminismReport,
) -> None:
    one, two, found = differences[0]
    head = dict(found[0])
    head["executions"] = [one.index + 1, two.index + 1]
    head["varied"] = _varied_names(two.variant)
    report.first_difference = head
    seen: set[tuple[Any, ...]] = set()
    for _a, _b, items in differences:
        for item in items:
            key = (item["kind"], item.get("metric"), item.get("param"), item.get("path"))
            if key not in seen and len(report.differences) < 50:
                seen.add(key)
                report.differences.append(item)


def _session_causes(original: Run, plan: list[_Execution]) -> list[str]:
    """What the sessions show about plain nondeterminism: unseeded generators, framework
    determinism switches left off."""
    causes = [*_unseeded_causes(plan, original), *framework_causes(original.env)]
    for execution in plan:
        if execution.run is not None:
            for cause in framework_causes(execution.run.env):
                if cause not in causes:
                    causes.append(cause)
    return causes
