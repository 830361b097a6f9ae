"""Print the fidelity table: every case of the corpus, its verdict and first cause.

    python tests/fidelity/table.py [-k SUBSTRING]

Each case runs against a store of its own in a temporary folder (never the user's).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import cases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-k", default="", help="only cases whose name contains this")
    args = parser.parse_args()
    rows = []
    for case in cases():
        if args.k not in case.name:
            continue
        with tempfile.TemporaryDirectory(prefix="fidelity-") as root:
            os.environ["MLOPS_JUPYTER_STORE"] = str(Path(root) / "store")
            os.environ["MLOPS_JUPYTER_SPOOL"] = str(Path(root) / "spool")
            from mlops_jupyter.store import reset_store_cache

            reset_store_cache()
            from test_fidelity import run_case

            started = time.monotonic()
            try:
                status, causes, _notes = run_case(case, Path(root))
            except Exception as exc:  # a harness failure is a row too
                status, causes = "error", [f"{type(exc).__name__}: {str(exc)[-400:]}"]
            seconds = time.monotonic() - started
        first = causes[0] if causes else ""
        verdict_ok = status == case.verdict
        cause_ok = verdict_ok and (first.startswith(case.first_cause) if case.first_cause else True)
        rows.append((case, status, first, verdict_ok, cause_ok, seconds))
        mark = "ok " if cause_ok else "BAD"
        print(f"{mark} {case.name:<48} {status:<10} {seconds:5.1f}s  {first[:110]}", flush=True)
    if not rows:
        return 1
    verdicts = sum(r[3] for r in rows)
    causes_checked = [r for r in rows if r[0].first_cause]
    print(
        f"\n{len(rows)} cases: right verdict {verdicts}/{len(rows)} "
        f"({100 * verdicts / len(rows):.0f} %); right first cause "
        f"{sum(r[4] for r in causes_checked)}/{len(causes_checked)} of the divergences and "
        f"failures; deterministic reproduced "
        f"{sum(r[3] for r in rows if r[0].deterministic)}/{sum(r[0].deterministic for r in rows)}"
    )
    return 0 if all(r[4] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
