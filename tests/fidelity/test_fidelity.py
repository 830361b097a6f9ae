"""Fidelity: third-party and scikit-learn notebooks, run as people run them, reproduce; and
engineered divergences get the right verdict and the right first cause (see corpus.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus import Case, cases, reproduction_env

from mlops_jupyter.models import RunStatus
from mlops_jupyter.reproduce import reproduce
from mlops_jupyter.store import get_store

pytestmark = [pytest.mark.kernel, pytest.mark.fidelity]

CASES = cases()


def run_case(case: Case, root: Path) -> tuple[str, list[str], list[str]]:
    """Build, run the original, change the world, reproduce: (verdict, causes, notes)."""
    notebook = case.build(root / "project")
    case.original(notebook)
    originals = [
        r
        for r in get_store().search_runs()
        if r.reproduction_of is None and r.source.startswith("%%track")
    ]
    assert len(originals) == 1, [r.name for r in originals]
    original = originals[0]
    assert original.status is RunStatus.FINISHED, original.error
    case.change(notebook)
    verdict = reproduce(original.id, workdir=str(root), kernel_env=reproduction_env(case, notebook))
    return verdict.status, verdict.causes, verdict.notes


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Case, tmp_path: Path) -> None:
    status, causes, notes = run_case(case, tmp_path)
    assert status == case.verdict, (causes, notes)
    if case.first_cause:
        assert causes and causes[0].startswith(case.first_cause), (causes, notes)
    if case.verdict == "diverged":
        assert causes, "a divergence always names a cause"
