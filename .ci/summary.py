"""Print the summary that ends `make test`: a line per suite, the failures by name, then one
closing line counting every test, `N passed, N failed, N skipped`.

Reads pytest's JUnit XML, jest's JSON and Playwright's JSON report from the results folder.
Exits 1 when anything failed or when a suite that should have run left no report. Errors
outside any test (Playwright's global teardown, which fails when the browser tests touched the
user's default store) count as failures.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

#: Failures named in the summary, per suite (the rest is counted).
MAX_NAMED = 10


def pytest_counts(path: Path) -> tuple[int, int, int, list[str]]:
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    total = failed = skipped = 0
    for suite in suites:
        total += int(suite.get("tests", 0))
        failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped += int(suite.get("skipped", 0))
    names = [
        f"{case.get('classname', '')}::{case.get('name', '')}"
        for case in root.iter("testcase")
        if case.find("failure") is not None or case.find("error") is not None
    ]
    return total - failed - skipped, failed, skipped, names


def jest_counts(path: Path) -> tuple[int, int, int, list[str]]:
    data = json.loads(path.read_text())
    failed = data["numFailedTests"] + data.get("numRuntimeErrorTestSuites", 0)
    names = []
    for suite in data.get("testResults", []):
        file = Path(suite.get("name", "")).name
        failing = [a for a in suite.get("assertionResults", []) if a.get("status") == "failed"]
        names += [f"{file}: {a.get('fullName', '')}" for a in failing]
        if not failing and suite.get("status") == "failed":
            message = (suite.get("message") or "").strip().splitlines()
            names.append(f"{file}: {message[0] if message else 'failed to run'}")
    return data["numPassedTests"], failed, data.get("numPendingTests", 0), names


def _playwright_failures(suite: dict[str, Any]) -> list[str]:
    names = []
    for spec in suite.get("specs", []):
        for test in spec.get("tests", []):
            if test.get("status") in ("unexpected", "flaky"):
                names.append(f"{spec.get('file', '')}: {spec.get('title', '')}")
    for child in suite.get("suites", []):
        names += _playwright_failures(child)
    return names


def playwright_counts(path: Path) -> tuple[int, int, int, list[str]]:
    data = json.loads(path.read_text())
    stats = data["stats"]
    names = [n for suite in data.get("suites", []) for n in _playwright_failures(suite)]
    errors = [
        (error.get("message") or "").strip().splitlines()[0] for error in data.get("errors", [])
    ]
    names += [f"outside the tests: {message}" for message in errors]
    failed = stats["unexpected"] + stats.get("flaky", 0) + len(errors)
    return stats["expected"], failed, stats["skipped"], names


def main(folder: str) -> int:
    results = Path(folder)
    readers = {
        "pytest": (results / "pytest.xml", pytest_counts),
        "jest": (results / "jest.json", jest_counts),
        "galata": (results / "playwright.json", playwright_counts),
    }
    passed = failed = skipped = 0
    ok = True
    lines: list[str] = []
    named: list[str] = []
    for name, (path, read) in readers.items():
        if not path.exists():
            lines.append(f"{name}: no report at {path} (the suite did not run)")
            failed += 1
            ok = False
            continue
        p, f, s, failures = read(path)
        lines.append(f"{name}: {p} passed, {f} failed, {s} skipped")
        named += [f"  {name} {n}" for n in failures[:MAX_NAMED]]
        if len(failures) > MAX_NAMED:
            named.append(f"  {name}: and {len(failures) - MAX_NAMED} more")
        passed, failed, skipped = passed + p, failed + f, skipped + s
    if (results / "lint.failed").exists():
        lines.append("lint: failed (see its output above)")
        failed += 1
    print("\n── summary " + "─" * 60)
    print("\n".join(lines))
    if named:
        print("failed:")
        print("\n".join(named))
    server_log = results / "jupyter-server.log"
    if server_log.exists() and any("galata" in n for n in named):
        print(f"the browser tests' Jupyter server log: {server_log}")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 0 if ok and failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ".test-results"))
