"""Start real worker processes so that they all begin at the same instant."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def run_together(
    script: str,
    argvs: Sequence[Sequence[str]],
    go: Path,
    *,
    forbidden: Sequence[str] = ("Traceback",),
    timeout: float = 120,
) -> list[dict[str, Any]]:
    """Run ``python -c script *argv`` once per ``argv``, released together; return their
    results.

    Each worker imports what it needs, prints ``ready``, waits until the file ``go`` exists
    (its path is one of its arguments), does its work and prints one JSON line last. The
    workers must all exit 0 and write none of ``forbidden`` to stderr.
    """
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for argv in argvs
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line.strip() == "ready", proc.stderr.read() if proc.stderr else line
        go.touch()
        results = []
        for proc in procs:
            out, err = proc.communicate(timeout=timeout)
            assert proc.returncode == 0, err
            for word in forbidden:
                assert word not in err, err
            results.append(json.loads(out.strip().splitlines()[-1]))
        return results
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
