"""Tests for mlops_jupyter.capture.git, on real repositories created with the git CLI."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import time
from pathlib import Path

import pytest

from mlops_jupyter.capture.git import GitState, capture_git

pytestmark = [
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
    pytest.mark.skipif(os.name != "posix", reason="hook scripts are shell scripts"),
]

GHP = "ghp_" + "R" * 36


@pytest.fixture(autouse=True)
def isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No user or system git configuration leaks into the tests."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Test")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "test@example.com")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Test")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "test@example.com")
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_CONFIG_GLOBAL"):
        monkeypatch.delenv(name, raising=False)


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True, timeout=30
    )
    return result.stdout.strip()


def make_repo(path: Path, files: dict[str, str] | None = None) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q")
    git(path, "symbolic-ref", "HEAD", "refs/heads/main")
    for name, content in (files or {"train.py": "lr = 0.1\n"}).items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(content)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    return path


def hook_script(path: Path, marker: Path, output: str = "") -> Path:
    """An executable that records it ran by creating ``marker``."""
    path.write_text(f"#!/bin/sh\ntouch '{marker}'\n{output}")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def capture(path: Path, **kwargs: float) -> GitState:
    state = capture_git(path, **kwargs)  # type: ignore[arg-type]
    assert state is not None
    return state


def test_clean_repo(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    state = capture(repo)
    assert state == GitState(
        root=str(repo),
        commit=git(repo, "rev-parse", "HEAD"),
        branch="main",
        dirty=False,
        remote=None,
        diff="",
        diff_truncated=False,
        untracked_count=0,
    )


def test_path_may_be_a_file_or_subdirectory(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"nb/analysis.ipynb": "{}", "a.py": ""})
    assert capture(repo / "nb" / "analysis.ipynb").root == str(repo)
    assert capture(repo / "nb").root == str(repo)


def test_not_a_repository(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    assert capture_git(tmp_path / "plain") is None
    assert capture_git(tmp_path / "does" / "not" / "exist") is None


def test_git_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "repo")
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert capture_git(repo) is None


def test_dirty_tracked_file_in_diff_untracked_not(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"train.py": "lr = 0.1\n", "keep.py": "x = 1\n"})
    (repo / "train.py").write_text("lr = 0.2\n")
    (repo / "notes.txt").write_text("untracked content\n")
    (repo / "untracked_dir").mkdir()
    (repo / "untracked_dir" / "a.txt").write_text("a")
    (repo / "untracked_dir" / "b.txt").write_text("b")
    state = capture(repo)
    assert state.dirty is True
    assert state.diff is not None
    assert "-lr = 0.1\n+lr = 0.2\n" in state.diff
    assert "diff --git a/train.py b/train.py" in state.diff
    assert "untracked content" not in state.diff
    assert "keep.py" not in state.diff
    assert state.untracked_count == 2  # notes.txt and untracked_dir/
    assert state.diff_truncated is False


def test_untracked_only_is_not_dirty(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "new.txt").write_text("n")
    state = capture(repo)
    assert state.dirty is False
    assert state.diff == ""
    assert state.untracked_count == 1


def test_staged_change_is_dirty(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "train.py").write_text("lr = 0.3\n")
    git(repo, "add", "train.py")
    (repo / "renamed_source.py").write_text("y = 2\n")
    state = capture(repo)
    assert state.dirty is True
    assert state.diff is not None and "+lr = 0.3" in state.diff


def test_rename_is_parsed(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"old.py": "content\n" * 20})
    git(repo, "mv", "old.py", "new.py")
    (repo / "stray.txt").write_text("s")
    state = capture(repo)
    assert state.dirty is True
    assert state.untracked_count == 1


def test_detached_head(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    commit = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "--detach", "HEAD")
    state = capture(repo)
    assert state.branch is None
    assert state.commit == commit


def test_no_commits_yet(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "symbolic-ref", "HEAD", "refs/heads/trunk")
    state = capture(repo)
    assert (state.commit, state.branch, state.dirty, state.diff) == (None, "trunk", False, None)
    (repo / "a.py").write_text("a = 1\n")
    git(repo, "add", "a.py")
    state = capture(repo)
    assert state.commit is None
    assert state.dirty is True
    assert state.diff is None


def test_remote_credentials_are_stripped(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    git(repo, "remote", "add", "origin", "https://user:ghp_xxx@github.com/o/r.git")
    state = capture(repo)
    assert state.remote == "https://github.com/o/r.git"
    assert "ghp_xxx" not in repr(state)


def test_remote_other_than_origin_and_scp_like(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    git(repo, "remote", "add", "upstream", "git@github.com:org/repo.git")
    assert capture(repo).remote == "git@github.com:org/repo.git"
    git(repo, "remote", "add", "origin", f"https://{GHP}@example.com/x.git")
    assert capture(repo).remote == "https://example.com/x.git"


def test_secrets_in_diff_are_redacted(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "train.py").write_text(f"lr = 0.1\ntoken = '{GHP}'\n")
    state = capture(repo)
    assert state.diff is not None
    assert GHP not in state.diff
    assert "+token = '***REDACTED***'" in state.diff


def test_diff_is_capped_at_a_line_boundary(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"data.txt": "".join(f"line {i}\n" for i in range(3000))})
    (repo / "data.txt").write_text("".join(f"changed {i}\n" for i in range(3000)))
    state = capture(repo, max_diff_bytes=2000)
    assert state.diff_truncated is True
    assert state.diff is not None
    assert 1900 < len(state.diff.encode()) <= 2000
    assert state.diff.startswith("diff --git a/data.txt b/data.txt\n")
    assert state.diff.endswith("\n")
    last_line = state.diff.splitlines()[-1]
    assert last_line in {f"-line {i}" for i in range(3000)} | {f"+changed {i}" for i in range(3000)}
    full = capture(repo)
    assert full.diff_truncated is False
    assert full.diff is not None and full.diff.startswith(state.diff)


def test_huge_diff_is_read_only_up_to_the_cap(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"big.txt": "a\n"})
    (repo / "big.txt").write_text("x" * 100 + "\n" * 1 + ("y" * 99 + "\n") * 60_000)  # ~6 MB
    start = time.perf_counter()
    state = capture(repo, max_diff_bytes=10_000)
    assert time.perf_counter() - start < 2
    assert state.diff_truncated is True
    assert state.diff is not None and len(state.diff.encode()) <= 10_000


def test_fsmonitor_hook_is_never_run(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    marker = tmp_path / "fsmonitor-ran"
    script = hook_script(tmp_path / "fsmonitor.sh", marker)
    git(repo, "config", "core.fsmonitor", str(script))
    (repo / "train.py").write_text("lr = 0.5\n")
    # Plain git does run it: the repository really is booby-trapped.
    git(repo, "status", "--porcelain")
    assert marker.exists()
    marker.unlink()
    state = capture(repo)
    assert not marker.exists()
    assert state.dirty is True


def test_external_diff_is_never_run(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    marker = tmp_path / "external-diff-ran"
    script = hook_script(tmp_path / "extdiff.sh", marker, "echo FAKE DIFF\n")
    git(repo, "config", "diff.external", str(script))
    (repo / "train.py").write_text("lr = 0.5\n")
    assert "FAKE DIFF" in git(repo, "diff", "HEAD")
    marker.unlink()
    state = capture(repo)
    assert not marker.exists()
    assert state.diff is not None
    assert "FAKE DIFF" not in state.diff
    assert "+lr = 0.5" in state.diff


def test_textconv_is_never_run(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {".gitattributes": "*.py diff=conv\n", "a.py": "x\n"})
    marker = tmp_path / "textconv-ran"
    script = hook_script(tmp_path / "conv.sh", marker, 'cat "$1"\n')
    git(repo, "config", "diff.conv.textconv", str(script))
    git(repo, "config", "diff.conv.command", str(script))
    (repo / "a.py").write_text("y\n")
    git(repo, "diff", "HEAD")
    assert marker.exists()
    marker.unlink()
    state = capture(repo)
    assert not marker.exists()
    assert state.diff is not None and "+y" in state.diff


def test_repository_filter_drivers_are_never_run(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {".gitattributes": "*.dat filter=evil\n", "x.dat": "1\n"})
    marker = tmp_path / "filter-ran"
    script = hook_script(tmp_path / "clean.sh", marker, "cat\n")
    git(repo, "config", "filter.evil.clean", str(script))
    git(repo, "config", "filter.evil.required", "true")
    (repo / "x.dat").write_text("2\n")
    git(repo, "diff", "HEAD")
    assert marker.exists()  # plain git runs the repository's clean filter
    marker.unlink()
    git(repo, "config", "filter.evil.process", str(script))  # the long-running variant too
    state = capture(repo)
    assert not marker.exists()
    assert state.dirty is True
    assert state.diff is not None and "+2" in state.diff


def test_user_global_filter_drivers_still_apply(tmp_path: Path) -> None:
    # A filter from the user's own config (git-lfs style) is trusted and keeps the dirty
    # check right: the clean filter maps the work tree content back to the committed blob.
    home = Path(os.environ["HOME"])
    marker = tmp_path / "global-filter-ran"
    script = hook_script(tmp_path / "upper.sh", marker, "tr a-z A-Z\n")
    git(home, "config", "--global", "filter.upper.clean", str(script))
    repo = make_repo(tmp_path / "repo", {".gitattributes": "*.txt filter=upper\n", "t.txt": "a\n"})
    assert git(repo, "show", "HEAD:t.txt") == "A"
    time.sleep(0.01)
    (repo / "t.txt").write_text("a\n")  # same content, new mtime: git must re-clean it
    marker.unlink()
    state = capture(repo)
    assert state.dirty is False
    assert marker.exists()


def test_index_is_not_rewritten(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    index = repo / ".git" / "index"
    before = index.read_bytes()
    # Same content, new mtime: a plain "git status" would refresh and rewrite the index.
    stat_before = (repo / "train.py").stat()
    os.utime(repo / "train.py", ns=(stat_before.st_atime_ns, stat_before.st_mtime_ns + 10**9))
    state = capture(repo)
    assert state.dirty is False
    assert index.read_bytes() == before
    assert not (repo / ".git" / "index.lock").exists()


def test_exhausted_time_budget_gives_none(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    assert capture_git(repo, timeout=0) is None


def test_capture_cost_on_a_small_repo(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "train.py").write_text("lr = 0.2\n")
    capture(repo)  # GitPython import
    start = time.perf_counter()
    for _ in range(5):
        capture(repo)
    per_call = (time.perf_counter() - start) / 5
    assert per_call < 0.5, f"capture_git took {per_call * 1e3:.1f} ms"
