"""Print one closing line counting every test of `make test`: `N passed, N failed`.

Reads pytest's JUnit XML, jest's JSON and Playwright's JSON report from the results folder.
Exits 1 when anything failed or when a suite that should have run left no report.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def pytest_counts(path: Path) -> tuple[int, int, int]:
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    total = failed = skipped = 0
    for suite in suites:
        total += int(suite.get("tests", 0))
        failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped += int(suite.get("skipped", 0))
    return total - failed - skipped, failed, skipped


def jest_counts(path: Path) -> tuple[int, int, int]:
    data = json.loads(path.read_text())
    failed = data["numFailedTests"] + data.get("numRuntimeErrorTestSuites", 0)
    return data["numPassedTests"], failed, data.get("numPendingTests", 0)


def playwright_counts(path: Path) -> tuple[int, int, int]:
    stats = json.loads(path.read_text())["stats"]
    return stats["expected"], stats["unexpected"] + stats.get("flaky", 0), stats["skipped"]


def main(folder: str) -> int:
    results = Path(folder)
    readers = {
        "pytest": (results / "pytest.xml", pytest_counts),
        "jest": (results / "jest.json", jest_counts),
        "galata": (results / "playwright.json", playwright_counts),
    }
    passed = failed = skipped = 0
    ok = True
    for name, (path, read) in readers.items():
        if not path.exists():
            print(f"{name}: no report at {path} (the suite did not run)")
            failed += 1
            ok = False
            continue
        p, f, s = read(path)
        print(f"{name}: {p} passed, {f} failed, {s} skipped")
        passed, failed, skipped = passed + p, failed + f, skipped + s
    if (results / "lint.failed").exists():
        print("lint: failed")
        failed += 1
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 0 if ok and failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ".test-results"))
