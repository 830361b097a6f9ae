"""The state of the git work tree a notebook lives in.

We are a read-only observer of a repository we do not trust: its ``.git/config`` may come
from an archive and name programs to run (``core.fsmonitor``, ``diff.external``, filter
drivers). Every git call therefore disables those, takes no lock (``GIT_OPTIONAL_LOCKS=0``),
never prompts and is killed after a timeout. GitPython is imported on first use only.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

from ..redaction import redact_text, strip_url_credentials

__all__ = ["GIT_ENV", "HARDENING_OPTIONS", "GitState", "capture_git", "extract_commit"]

_log = logging.getLogger(__name__)

# Options put before the subcommand of every call.
HARDENING_OPTIONS = (
    "-c",
    "core.fsmonitor=false",
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "diff.external=",
    "-c",
    "core.pager=cat",
    "-c",
    "color.ui=false",
)
_DIFF_OPTIONS = ("--no-ext-diff", "--no-textconv", "--no-color", "--ignore-submodules=dirty")
GIT_ENV = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_PAGER": "cat",
}
# Config scopes whose filter drivers we neutralise: the repository's own files. The user's
# global ones (git-lfs) are theirs and needed for a correct dirty check.
_UNTRUSTED_SCOPES = frozenset({"local", "worktree", "command", "unknown"})

# Read a little past the limit so that the cut can happen at a line boundary after redaction.
_DIFF_READ_MARGIN = 64 * 1024


@dataclass(frozen=True)
class GitState:
    """What git says about the work tree containing a notebook.

    Attributes:
        root: The top-level directory of the work tree.
        commit: The hex id of HEAD; None for a branch without commits (or on error).
        branch: The current branch; None when HEAD is detached (or on error).
        dirty: True if tracked files differ from HEAD (staged or not); None on error.
            Untracked files do not make the tree dirty; they are counted in
            ``untracked_count``.
        remote: The URL of ``origin`` (else of the first remote), credentials removed; None
            without remotes.
        diff: ``git diff HEAD`` of the tracked files with secrets masked, cut at a line
            boundary to at most ``max_diff_bytes`` UTF-8 bytes; ``""`` for a clean tree; None
            when it could not be computed (no commit yet, error, timeout).
        diff_truncated: True if ``diff`` was cut.
        untracked_count: Untracked, non-ignored entries (a wholly untracked directory counts
            once); None on error.
    """

    root: str
    commit: str | None
    branch: str | None
    dirty: bool | None
    remote: str | None
    diff: str | None
    diff_truncated: bool
    untracked_count: int | None


def capture_git(
    path: str | os.PathLike[str], *, timeout: float = 2.0, max_diff_bytes: int = 1_000_000
) -> GitState | None:
    """Describe the git work tree containing ``path``.

    Never raises for git problems: a field git could not provide is None (the cause is
    logged at debug level).

    Args:
        path: A file or directory inside the work tree (usually the notebook).
        timeout: The time budget in seconds for all git calls together; each call is killed
            when it runs out.
        max_diff_bytes: The largest diff stored, in UTF-8 bytes.

    Returns:
        The state, or None if ``path`` is not inside a git work tree, git is not installed,
        git refuses the repository (e.g. ``safe.directory``) or the time budget ran out
        before the work tree was found.
    """
    directory = os.path.abspath(os.fspath(path))
    if not os.path.isdir(directory):
        directory = os.path.dirname(directory)
    if not os.path.isdir(directory):
        return None
    runner = _GitRunner(directory, timeout)
    if runner.git is None:
        return None
    top = runner.run(["rev-parse", "--show-toplevel"])
    if top is None or not top.strip():
        return None
    root = top.decode("utf-8", "surrogateescape").strip()
    runner.working_dir = root

    remote, filter_overrides = _read_config(runner)
    if filter_overrides is None:
        # A filter we cannot neutralise: do not run anything that would apply it.
        return GitState(
            root, _head_commit(runner), _branch(runner), None, remote, None, False, None
        )
    runner.extra_options = filter_overrides

    status = runner.run(
        [
            "status",
            "--porcelain=v2",
            "--branch",
            "-z",
            "--untracked-files=normal",
            "--ignore-submodules=dirty",
        ]
    )
    if status is None:
        return GitState(
            root, _head_commit(runner), _branch(runner), None, remote, None, False, None
        )
    commit, branch, dirty, untracked = _parse_status(status)

    diff: str | None = None
    truncated = False
    if commit is None:
        diff = None  # nothing to diff against
    elif not dirty:
        diff = ""
    else:
        raw = runner.run_limited(
            ["diff", "HEAD", *_DIFF_OPTIONS, "--"], max_diff_bytes + _DIFF_READ_MARGIN
        )
        if raw is not None:
            data, cut = raw
            diff, truncated = _cap_diff(data, max_diff_bytes, already_cut=cut)
    return GitState(
        root=root,
        commit=commit,
        branch=branch,
        dirty=dirty,
        remote=remote,
        diff=diff,
        diff_truncated=truncated,
        untracked_count=untracked,
    )


# --------------------------------------------------------------------------- internals


class _GitRunner:
    """Runs hardened git commands through GitPython within one time budget."""

    def __init__(self, working_dir: str, timeout: float) -> None:
        self.working_dir = working_dir
        self.extra_options: tuple[str, ...] = ()
        self.git: Any = None
        try:
            # Without a git executable GitPython raises ImportError at import time.
            import git

            self.git = git
            self.executable = git.Git.GIT_PYTHON_GIT_EXECUTABLE or "git"
        except Exception as exc:
            _log.debug("GitPython is not usable: %s", exc)
        # The budget starts after the (one-time, possibly slow) import of GitPython.
        self.deadline = time.monotonic() + timeout

    def _remaining(self) -> float | None:
        remaining = self.deadline - time.monotonic()
        return remaining if remaining > 0.01 else None

    def _command(self, args: list[str]) -> list[str]:
        return [self.executable, *HARDENING_OPTIONS, *self.extra_options, *args]

    def run(self, args: list[str], *, ok_codes: tuple[int, ...] = (0,)) -> bytes | None:
        """stdout of a git command, or None on error, timeout or an unexpected exit code."""
        remaining = self._remaining()
        if remaining is None:
            _log.debug("git %s skipped: time budget exhausted", args[0])
            return None
        try:
            status, stdout, stderr = self.git.Git(self.working_dir).execute(
                self._command(args),
                with_extended_output=True,
                with_exceptions=False,
                stdout_as_string=False,
                strip_newline_in_stdout=False,
                # GitPython refuses kill_after_timeout on Windows.
                kill_after_timeout=None if sys.platform == "win32" else remaining,
                env=GIT_ENV,
            )
        except Exception as exc:
            _log.debug("git %s failed: %s", args[0], exc)
            return None
        if status not in ok_codes:
            _log.debug("git %s exited with %s: %r", args[0], status, stderr[:500])
            return None
        return stdout if isinstance(stdout, bytes) else None

    def run_limited(self, args: list[str], limit: int) -> tuple[bytes, bool] | None:
        """(first ``limit`` bytes of stdout, whether there was more), or None on error.

        Reads no more than needed: git is killed once ``limit`` bytes have arrived, so a
        multi-gigabyte diff costs neither the memory nor the time to produce it.
        """
        remaining = self._remaining()
        if remaining is None:
            return None
        try:
            handle = self.git.Git(self.working_dir).execute(
                self._command(args), as_process=True, env=GIT_ENV
            )
        except Exception as exc:
            _log.debug("git %s failed: %s", args[0], exc)
            return None
        process = handle.proc
        timed_out = threading.Event()

        def kill_on_timeout() -> None:
            timed_out.set()
            _kill(process)

        stderr: list[bytes] = []
        # Drain stderr concurrently: a full stderr pipe would block git, and us with it.
        drain = threading.Thread(target=lambda: stderr.append(process.stderr.read()), daemon=True)
        timer = threading.Timer(remaining, kill_on_timeout)
        timer.daemon = True
        chunks: list[bytes] = []
        size = 0
        try:
            drain.start()
            timer.start()
            while size <= limit:
                chunk = process.stdout.read1(1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            if size > limit:
                _kill(process)
            status = process.wait()
            drain.join(timeout=1.0)
        except Exception as exc:
            _log.debug("git %s failed while reading: %s", args[0], exc)
            _kill(process)
            process.wait()
            return None
        finally:
            timer.cancel()
            process.stdout.close()
            process.stderr.close()
        data = b"".join(chunks)
        if size > limit:
            return data[:limit], True
        if timed_out.is_set() or status != 0:
            _log.debug(
                "git %s exited with %s%s: %r",
                args[0],
                status,
                " (timed out)" if timed_out.is_set() else "",
                b"".join(stderr)[:500],
            )
            return None
        return data, False


def _kill(process: Any) -> None:
    try:
        process.kill()
    except OSError:  # already gone
        pass


def _read_config(runner: _GitRunner) -> tuple[str | None, tuple[str, ...] | None]:
    """The remote URL and the ``-c`` options neutralising untrusted filter drivers.

    The second item is None when a filter cannot be neutralised safely.
    """
    pattern = r"^(remote\..+\.url|filter\..+\.(clean|smudge|process|required))$"
    # Exit code 1 means "no such key", not an error.
    output = runner.run(["config", "-z", "--show-scope", "--get-regexp", pattern], ok_codes=(0, 1))
    scoped = True
    if output is None:  # git < 2.26 has no --show-scope: distrust every filter
        output = runner.run(["config", "-z", "--get-regexp", pattern], ok_codes=(0, 1))
        scoped = False
    if output is None:
        return None, None
    remotes: dict[str, str] = {}
    drivers: set[str] = set()
    fields = output.decode("utf-8", "surrogateescape").split("\0")
    step = 2 if scoped else 1
    for i in range(0, len(fields) - step + 1, step):
        scope = fields[i] if scoped else "unknown"
        key, _, value = fields[i + step - 1].partition("\n")
        section, _, rest = key.partition(".")
        subsection, _, name = rest.rpartition(".")
        if section.lower() == "remote" and name.lower() == "url":
            remotes.setdefault(subsection, value)
        elif section.lower() == "filter" and scope in _UNTRUSTED_SCOPES:
            drivers.add(subsection)
    url = remotes.get("origin") or next(iter(remotes.values()), None)
    remote = strip_url_credentials(url) if url else None
    overrides: list[str] = []
    for driver in sorted(drivers):
        if "=" in driver or "\n" in driver or not driver:
            return remote, None  # "-c" cannot express this name
        for key, value in (("clean", ""), ("smudge", ""), ("process", ""), ("required", "false")):
            overrides += ["-c", f"filter.{driver}.{key}={value}"]
    return remote, tuple(overrides)


def _head_commit(runner: _GitRunner) -> str | None:
    out = runner.run(["rev-parse", "--verify", "-q", "HEAD^{commit}"])
    text = out.decode("ascii", "replace").strip() if out else ""
    return text or None


def _branch(runner: _GitRunner) -> str | None:
    out = runner.run(["symbolic-ref", "-q", "--short", "HEAD"])
    text = out.decode("utf-8", "surrogateescape").strip() if out else ""
    return text or None


def _parse_status(output: bytes) -> tuple[str | None, str | None, bool, int]:
    """(commit, branch, dirty, untracked count) from ``git status --porcelain=v2 -z``."""
    commit: str | None = None
    branch: str | None = None
    dirty = False
    untracked = 0
    records = output.decode("utf-8", "surrogateescape").split("\0")
    skip_next = False
    for record in records:
        if skip_next:  # the original path of a rename/copy record
            skip_next = False
            continue
        if record.startswith("# branch.oid "):
            oid = record[len("# branch.oid ") :].strip()
            commit = None if oid == "(initial)" else oid
        elif record.startswith("# branch.head "):
            head = record[len("# branch.head ") :].strip()
            branch = None if head == "(detached)" else head
        elif record.startswith(("1 ", "u ")):
            dirty = True
        elif record.startswith("2 "):
            dirty = True
            skip_next = True
        elif record.startswith("? "):
            untracked += 1
    return commit, branch, dirty, untracked


def _cap_diff(data: bytes, max_bytes: int, *, already_cut: bool) -> tuple[str, bool]:
    """Redact the diff, then cut it to ``max_bytes`` at a line boundary."""
    text = redact_text(data.decode("utf-8", "replace"))
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes and not already_cut:
        return text, False
    head = encoded[:max_bytes]
    newline = head.rfind(b"\n")
    if newline >= 0:
        head = head[: newline + 1]
    # Without any newline, a cut inside a multi-byte character is dropped by "ignore".
    return head.decode("utf-8", "ignore"), True


def extract_commit(root: str, commit: str, destination: str, *, timeout: float = 60.0) -> list[str]:
    """Write the files of ``commit`` into ``destination`` without running any repository
    program.

    The tree is listed with ``git ls-tree`` and each file's content read raw with
    ``git cat-file --batch``: no filter (smudge, clean, process), no textconv, no hook, no
    fsmonitor and no attribute of the repository is applied, unlike ``git archive`` or a
    checkout. Every path is checked to stay inside ``destination``; symbolic links and
    submodules are skipped.

    Args:
        root: The repository (its work tree).
        commit: The full or abbreviated commit id (hex).
        destination: An existing or new folder.
        timeout: Seconds for the whole extraction.

    Returns:
        The paths skipped (links, submodules, paths that would leave ``destination``).

    Raises:
        OSError, subprocess.SubprocessError: If git fails or the commit is unknown.
    """
    import subprocess

    if not commit or len(commit) < 7 or any(c not in "0123456789abcdef" for c in commit):
        raise subprocess.SubprocessError(f"not a commit id: {commit!r}")
    git = ["git", *HARDENING_OPTIONS, "-c", "protocol.allow=never", "-C", root]
    env = {**os.environ, **GIT_ENV}
    listing = subprocess.run(  # noqa: S603 - fixed git argv, no shell
        [*git, "ls-tree", "-r", "-z", "--full-tree", commit],
        capture_output=True,
        env=env,
        timeout=timeout,
        check=True,
    ).stdout
    base = os.path.realpath(destination)
    os.makedirs(base, exist_ok=True)
    files: list[tuple[str, str, str]] = []
    skipped: list[str] = []
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, _tab, raw_path = entry.partition(b"\t")
        mode, kind, sha = meta.decode("ascii").split(" ")
        path = raw_path.decode("utf-8", "surrogateescape")
        target = os.path.realpath(os.path.join(base, *path.split("/")))
        if kind != "blob" or mode == "120000" or not target.startswith(base + os.sep):
            skipped.append(path)
            continue
        files.append((sha, target, mode))
    _write_blobs(git, env, files, timeout)
    return skipped


def _write_blobs(
    git: list[str], env: dict[str, str], files: list[tuple[str, str, str]], timeout: float
) -> None:
    import subprocess

    if not files:
        return
    process = subprocess.Popen(  # noqa: S603 - fixed git argv, no shell
        [*git, "cat-file", "--batch"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
    )
    assert process.stdin is not None and process.stdout is not None  # noqa: S101 - PIPEs
    deadline = time.monotonic() + timeout
    try:
        writer = threading.Thread(
            target=_feed, args=(process.stdin, [sha for sha, _, _ in files]), daemon=True
        )
        writer.start()
        for sha, target, mode in files:
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("git cat-file", timeout)
            header = process.stdout.readline().split()
            if len(header) != 3 or header[0].decode() != sha or header[1] != b"blob":
                raise subprocess.SubprocessError(f"git cat-file gave no blob for {sha}")
            remaining = int(header[2])
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as handle:
                while remaining:
                    chunk = process.stdout.read(min(remaining, 1 << 20))
                    if not chunk:
                        raise subprocess.SubprocessError("git cat-file ended early")
                    handle.write(chunk)
                    remaining -= len(chunk)
            process.stdout.read(1)  # the newline after each object
            if mode == "100755":
                os.chmod(target, 0o755)  # noqa: S103 - the file's mode in the commit
        writer.join(timeout=5)
    finally:
        _kill(process)
        process.wait(timeout=5)
        process.stdout.close()
        if not process.stdin.closed:
            process.stdin.close()


def _feed(stdin: Any, shas: list[str]) -> None:
    try:
        for sha in shas:
            stdin.write(sha.encode("ascii") + b"\n")
        stdin.close()
    except OSError:  # git died: the reader reports it
        pass
