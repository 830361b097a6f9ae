"""Hardening (issue 18): records and blobs of a shared store, and requests, are untrusted input.

Each test reproduces one failure found by attacking a running server the way a hostile or
unlucky teammate with write access to a team store could, against the real components: a
real Jupyter server (pytest-jupyter), real SQLite and PostgreSQL stores, a real IPython
shell. The paths reproductions and sweeps resolve, pinned code and secrets in captured text
have tests of their own in the modules of that code.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tornado.httpclient
from IPython.core.interactiveshell import InteractiveShell
from jupyter_server.auth.authorizer import Authorizer

from mlops_jupyter.models import GitInfo, Run, RunStatus
from mlops_jupyter.server.handlers import ROUTES, BaseHandler
from mlops_jupyter.store import get_store
from mlops_jupyter.store.blobs import FsspecBlobStore, LocalBlobStore
from mlops_jupyter.store.errors import BlobCorruptedError
from mlops_jupyter.tracking import get_tracker

API = ("mlops-jupyter", "api")


async def raw_fetch(jp_fetch: Any, *parts: str, **kwargs: Any) -> tuple[int, bytes, Any]:
    """Any verb below /mlops-jupyter/api/: (status, raw body, headers), errors included."""
    try:
        response = await jp_fetch(*API, *parts, **kwargs)
    except tornado.httpclient.HTTPClientError as exc:
        assert exc.response is not None
        return exc.code, exc.response.body, exc.response.headers
    return response.code, response.body, response.headers


def error_message(body: bytes) -> str:
    """The ``message`` of an error answer, checking it is nothing else (no traceback)."""
    data = json.loads(body)
    assert set(data) == {"message"}, data
    assert "Traceback" not in data["message"]
    return str(data["message"])


async def served_diff(jp_fetch: Any, sha: str) -> tuple[int, bytes]:
    """What ``GET runs/{id}/blobs/diff`` answers for a new run whose git diff is ``sha``."""
    run = Run.new(
        "security",
        status=RunStatus.FINISHED,
        git=GitInfo("/repo", "c" * 40, "main", True, None, sha),
    )
    get_store().create_run(run)
    code, body, _ = await raw_fetch(jp_fetch, "runs", run.id, "blobs", "diff")
    return code, body


# --------------------------------------------------------------------------- 1. blobs


@pytest.fixture
def outside_secret(tmp_path: Path) -> Path:
    """A file outside the store that a hostile blob tries to expose."""
    secret = tmp_path / "outside" / "passwd"
    secret.parent.mkdir()
    secret.write_bytes(b"root:x:0:0:SECRET-OUTSIDE-THE-STORE:/root:/bin/sh\n")
    return secret


async def test_a_symlinked_blob_is_not_served(jp_fetch: Any, outside_secret: Path) -> None:
    blobs = get_store().blobs
    assert isinstance(blobs, LocalBlobStore)
    sha = blobs.put_bytes(b"diff --git a/x b/x\n")
    path = blobs.path_for(sha)
    path.unlink()
    path.symlink_to(outside_secret)

    code, body = await served_diff(jp_fetch, sha)
    assert b"SECRET-OUTSIDE" not in body
    assert code == 500
    message = error_message(body)
    assert sha in message and "link" in message
    with pytest.raises(BlobCorruptedError, match="link"):
        blobs.get_bytes(sha)
    with pytest.raises(BlobCorruptedError):
        blobs.open(sha)
    assert not blobs.exists(sha)
    assert os.readlink(path) == str(outside_secret)  # reported, left as it is


def test_a_symlinked_blob_folder_is_neither_read_nor_written(
    tmp_path: Path, outside_secret: Path
) -> None:
    # blobs/ab -> a folder elsewhere: reading through it would serve that folder's files,
    # writing through it would create files there.
    blobs = LocalBlobStore(tmp_path / "blobs")
    data = b"planted"
    sha = hashlib.sha256(data).hexdigest()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / sha).write_bytes(data)
    (tmp_path / "blobs").mkdir()
    (tmp_path / "blobs" / sha[:2]).symlink_to(elsewhere)
    with pytest.raises(BlobCorruptedError, match="link"):
        blobs.get_bytes(sha)
    assert not blobs.exists(sha)
    before = sorted(p.name for p in elsewhere.iterdir())
    with pytest.raises(BlobCorruptedError, match="link"):
        blobs.put_bytes(data)
    source = tmp_path / "src"
    source.write_bytes(data)
    with pytest.raises(BlobCorruptedError, match="link"):
        blobs.put_file(source)
    assert sorted(p.name for p in elsewhere.iterdir()) == before
    assert list(blobs.iter_blobs()) == []


def test_a_fifo_under_a_blob_name_fails_at_once(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs")
    sha = blobs.put_bytes(b"x")
    path = blobs.path_for(sha)
    path.unlink()
    os.mkfifo(path)  # opening it for reading would wait for a writer forever
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            blobs.get_bytes(sha)
        except BaseException as exc:
            outcome.append(exc)

    reader = threading.Thread(target=read, daemon=True)  # left behind if it blocks
    reader.start()
    reader.join(10)
    assert not reader.is_alive(), "reading a FIFO blob blocked"
    assert isinstance(outcome[0], BlobCorruptedError), outcome
    assert "not a regular file" in str(outcome[0])


async def test_a_tampered_blob_is_refused(jp_fetch: Any) -> None:
    blobs = get_store().blobs
    assert isinstance(blobs, LocalBlobStore)
    sha = blobs.put_bytes(b"diff --git a/x b/x\n+harmless\n")
    blobs.path_for(sha).write_bytes(b"diff --git a/x b/x\n+import os; os.system('evil')\n")

    code, body = await served_diff(jp_fetch, sha)
    assert b"evil" not in body
    assert code == 500
    message = error_message(body)
    assert sha in message and "does not match" in message
    with pytest.raises(BlobCorruptedError, match=sha):
        blobs.get_bytes(sha)


@pytest.mark.parametrize("kind", ["local", "memory"])
def test_streamed_reads_verify_the_content_at_the_end(
    kind: str, tmp_path: Path, memory_base: str
) -> None:
    store: LocalBlobStore | FsspecBlobStore
    if kind == "local":
        store = LocalBlobStore(tmp_path / "blobs")
    else:
        store = FsspecBlobStore(f"memory://{memory_base}")
    data = os.urandom(3 << 20)  # a few chunks
    source = tmp_path / "artifact.bin"
    source.write_bytes(data)
    sha = store.put_file(source).sha256
    with store.open(sha) as f:  # untouched: reads whole
        assert f.read() == data
    tampered = bytearray(data)
    tampered[-1] ^= 1
    if isinstance(store, LocalBlobStore):
        store.path_for(sha).write_bytes(bytes(tampered))
    else:
        store._fs.pipe_file(store._key(sha), bytes(tampered))
    with store.open(sha) as f, pytest.raises(BlobCorruptedError, match=sha):
        while f.read(1 << 20):
            pass
    with pytest.raises(BlobCorruptedError, match=sha):
        store.get_bytes(sha)


@pytest.fixture
def memory_base() -> Iterator[str]:
    """A fresh folder of fsspec's memory filesystem, removed afterwards."""
    import fsspec

    base = f"/sec{uuid.uuid4().hex}"
    yield base
    fs = fsspec.filesystem("memory")
    if fs.exists(base):
        fs.rm(base, recursive=True)


# --------------------------------------------------------------------------- 5. the token


TOKEN = "tok-" + uuid.uuid4().hex  # long and unique: a byte grep cannot match by chance


class TestTheTokenIsNeverLogged:
    @pytest.fixture
    def jp_server_config(self, jp_server_config: dict[str, Any]) -> dict[str, Any]:
        return {**jp_server_config, "IdentityProvider": {"token": TOKEN}}

    async def test_errors_log_the_url_without_its_token(
        self,
        jp_serverapp: Any,
        http_server_client: Any,
        jp_base_url: str,
        isolated_store: Path,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        caplog.set_level(logging.DEBUG)

        async def get(query: str) -> int:
            url = f"{jp_base_url}mlops-jupyter/api/runs?token={TOKEN}&{query}"
            response = await http_server_client.fetch(url, raise_error=False)
            return int(response.code)

        # The store opens on first use: a damaged database makes a server-side failure.
        (isolated_store / "runs.db").write_bytes(b"not a database " * 512)
        assert await get("order=sideways") == 400  # a client's mistake: one warning line
        assert await get("limit=5") == 500  # a failure: logged with its traceback
        logged = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
        assert TOKEN not in logged
        assert "runs?token=[secret]&order=sideways" in logged  # the URL is still there
        assert "runs?token=[secret]&limit=5" in logged


def test_the_log_scrubber_masks_every_secret_looking_parameter() -> None:
    from mlops_jupyter.redaction import scrub_url_query

    assert scrub_url_query("/a/runs?token=abc&limit=5") == "/a/runs?token=[secret]&limit=5"
    assert scrub_url_query("/x?_xsrf=1&Access_Token=2&%74oken=3&ids=a,b") == (
        "/x?_xsrf=[secret]&Access_Token=[secret]&%74oken=[secret]&ids=a,b"
    )
    assert scrub_url_query("/x?auth") == "/x?auth"  # no value: nothing to hide
    assert scrub_url_query("/x/token=1") == "/x/token=1"  # a path, not a query
    assert scrub_url_query("https://h/p?sig=s#f") == "https://h/p?sig=[secret]#f"


# --------------------------------------------------------------------------- 6. authorization


class ReadOnlyAuthorizer(Authorizer):
    """A deployment's authorizer that lets users read and nothing else."""

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        return action == "read"


def _route_path(pattern: str, values: dict[str, str]) -> str:
    """A concrete path for a route regex, each named group filled from ``values``."""

    def fill(match: re.Match[str]) -> str:
        return values.get(match.group(1), "0123456789abcdef0123456789abcdef")

    return re.sub(r"\(\?P<(\w+)>[^)]*\)", fill, pattern).replace("\\", "")


def _our_verbs(handler: type[BaseHandler]) -> list[str]:
    verbs = []
    for verb in ("get", "post", "put", "patch", "delete"):
        owner = next(k for k in handler.__mro__ if verb in vars(k))
        if owner.__module__.startswith("mlops_jupyter."):
            verbs.append(verb.upper())
    return verbs


class TestReadOnlyAuthorizer:
    @pytest.fixture
    def jp_server_config(self, jp_server_config: dict[str, Any]) -> dict[str, Any]:
        server = {**jp_server_config["ServerApp"], "authorizer_class": ReadOnlyAuthorizer}
        return {
            **jp_server_config,
            "ServerApp": server,
            "IdentityProvider": {"token": TOKEN},
        }

    async def test_reads_pass_and_every_state_changing_verb_is_403(
        self, jp_fetch: Any, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.DEBUG)
        run = Run.new("ro", status=RunStatus.FINISHED, source="x = 1", metrics={"acc": 1.0})
        get_store().create_run(run)
        values = {"run_id": run.id, "kind": "source", "key": "acc"}
        changing = []
        for pattern, handler in ROUTES:
            path = _route_path(pattern, values)
            for verb in _our_verbs(handler):
                params = {"ids": f"{run.id},{run.id}"} if pattern == "compare" else None
                if verb == "GET":
                    code, body, _ = await raw_fetch(jp_fetch, path, params=params)
                    assert code != 403, f"GET {pattern} was refused to a reader: {body!r}"
                    continue
                changing.append((verb, pattern))
                body_text = json.dumps({"run_id": run.id, "grid": {"x": [1]}})
                code, body, _ = await raw_fetch(
                    jp_fetch,
                    path,
                    method=verb,
                    body=body_text if verb != "DELETE" else None,
                    headers={"Content-Type": "application/json"} if verb != "DELETE" else {},
                    allow_nonstandard_methods=True,
                )
                assert code == 403, f"{verb} {pattern} answered {code} to a reader"
                assert "not authorized" in error_message(body)
        # Reproduce, sweeps, job cancellation at least; future routes are enumerated too.
        assert {("POST", r"runs/(?P<run_id>[^/]+)/reproduce"), ("POST", "sweeps")} <= set(changing)
        assert ("DELETE", r"jobs/(?P<job_id>[^/]+)") in changing
        for path in ("status", "runs", "experiments", f"runs/{run.id}"):
            code, _, _ = await raw_fetch(jp_fetch, path)
            assert code == 200, path
        code, body, _ = await raw_fetch(jp_fetch, "jobs")
        assert code == 200 and json.loads(body) == {"jobs": []}  # nothing was started

    async def test_a_refusal_logs_no_token(
        self,
        jp_serverapp: Any,
        http_server_client: Any,
        jp_base_url: str,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        caplog.set_level(logging.DEBUG)
        url = f"{jp_base_url}mlops-jupyter/api/sweeps?token={TOKEN}"
        response = await http_server_client.fetch(
            url,
            method="POST",
            body="{}",
            headers={"Content-Type": "application/json"},
            raise_error=False,
        )
        assert response.code == 403
        logged = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
        assert TOKEN not in logged and "token=[secret]" in logged


# --------------------------------------------------------------------------- 9. requests


@pytest.fixture
def some_run() -> Run:
    run = Run.new("req", status=RunStatus.FINISHED, metrics={"x": 1.0})
    get_store().create_run(run)
    return run


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "text/json", "application/jsonx"],
)
async def test_json_posts_with_another_content_type_are_415(
    jp_fetch: Any, some_run: Run, content_type: str
) -> None:
    posts = [
        (("runs", some_run.id, "reproduce"), json.dumps({"tolerance": 1e-3})),
        (("sweeps",), json.dumps({"run_id": some_run.id, "grid": {"x": [1, 2]}})),
    ]
    for parts, body in posts:
        code, answer, _ = await raw_fetch(
            jp_fetch, *parts, method="POST", body=body, headers={"Content-Type": content_type}
        )
        assert code == 415, (parts, answer)
        assert "application/json" in error_message(answer)
    code, body, _ = await raw_fetch(jp_fetch, "jobs")
    assert json.loads(body) == {"jobs": []}


async def test_json_with_a_charset_and_empty_bodies_are_accepted(jp_fetch: Any) -> None:
    unknown = "f" * 32  # answers 404 once the body was accepted: nothing is started
    for content_type in ("application/json", "application/json; charset=utf-8", "APPLICATION/JSON"):
        code, body, _ = await raw_fetch(
            jp_fetch,
            "runs",
            unknown,
            "reproduce",
            method="POST",
            body='{"twice": true}',
            headers={"Content-Type": content_type},
        )
        assert code == 404, (content_type, body)
    # An empty body means the defaults, whatever the client says its type is.
    code, body, _ = await raw_fetch(
        jp_fetch, "runs", unknown, "reproduce", method="POST", body="",
        headers={"Content-Type": "text/plain"},
    )  # fmt: skip
    assert code == 404, body
    # sweeps needs a body: an empty one is a 400 saying so, not a 415.
    code, body, _ = await raw_fetch(
        jp_fetch, "sweeps", method="POST", body="", headers={"Content-Type": "text/plain"}
    )
    assert code == 400, body


async def test_a_tolerance_too_large_for_a_float_is_400(jp_fetch: Any, some_run: Run) -> None:
    huge = '{"tolerance": 1' + "0" * 4000 + "}"  # an integer, 1e4000: float() overflows
    code, body, _ = await raw_fetch(
        jp_fetch, "runs", some_run.id, "reproduce", method="POST", body=huge,
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    assert code == 400
    assert "tolerance" in error_message(body)


# --------------------------------------------------------------------------- 9. the job queue


def test_the_job_queue_is_bounded() -> None:
    from mlops_jupyter.errors import TooManyRequestsError
    from mlops_jupyter.jobs import JobManager

    release = threading.Event()

    def slow(run_id: str, **kwargs: Any) -> Any:
        release.wait(30)
        raise RuntimeError("stopped by the test")

    manager = JobManager(1, runner=slow, sweep_runner=slow, max_queued=2)
    try:
        first, _ = manager.submit_reproduce("a" * 32)
        manager.submit_reproduce("b" * 32)
        manager.submit_sweep("c" * 32, {"x": [1]})
        with pytest.raises(TooManyRequestsError, match="queued"):
            manager.submit_reproduce("d" * 32)
        with pytest.raises(TooManyRequestsError):
            manager.submit_sweep("d" * 32, {"x": [1]})
        again, created = manager.submit_reproduce("a" * 32)  # joining is not queuing
        assert again is first and not created
        release.set()
        for job in manager.list():
            manager.wait(job.id, timeout=30)
        manager.submit_reproduce("d" * 32)  # room again
    finally:
        release.set()
        manager.shutdown()


@pytest.mark.kernel
class TestTooManyJobs:
    @pytest.fixture
    def jp_server_config(self, jp_server_config: dict[str, Any]) -> dict[str, Any]:
        app = {"reproduce_workers": 1, "max_queued_jobs": 1}
        return {**jp_server_config, "MlopsJupyterApp": app}

    async def test_past_the_queue_bound_posts_are_429(self, jp_fetch: Any, tmp_path: Path) -> None:
        from _api_helpers import stored_run

        sleeping = "%%track --quiet\nimport time\ntime.sleep(60)"
        runs = [stored_run(tmp_path / str(i), sleeping, metrics={"x": 1.0}) for i in range(3)]
        json_type = {"Content-Type": "application/json"}
        jobs = []
        for run in runs[:2]:
            code, body, _ = await raw_fetch(
                jp_fetch, "runs", run.id, "reproduce", method="POST", body="{}", headers=json_type
            )
            assert code == 202, body
            jobs.append(json.loads(body)["job"]["id"])
        try:
            code, body, headers = await raw_fetch(
                jp_fetch, "runs", runs[2].id, "reproduce", method="POST", body="{}",
                headers=json_type,
            )  # fmt: skip
            assert code == 429
            assert "queued" in error_message(body)
            assert int(headers["Retry-After"]) > 0
            code, body, _ = await raw_fetch(
                jp_fetch, "sweeps", method="POST", headers=json_type,
                body=json.dumps({"run_id": runs[2].id, "grid": {"x": [1]}}),
            )  # fmt: skip
            assert code == 429
            # Asking again for a run already queued joins its job: no new queue entry.
            code, body, _ = await raw_fetch(
                jp_fetch, "runs", runs[1].id, "reproduce", method="POST", body="",
                headers=json_type,
            )  # fmt: skip
            assert code == 200 and json.loads(body)["job"]["id"] == jobs[1]
        finally:
            for job_id in jobs:
                await raw_fetch(jp_fetch, "jobs", job_id, method="DELETE")
            for job_id in jobs:
                for _ in range(300):
                    code, body, _ = await raw_fetch(jp_fetch, "jobs", job_id)
                    if json.loads(body)["job"]["state"] not in ("queued", "running"):
                        break
                    await asyncio.sleep(0.1)


# --------------------------------------------------------------------------- 9. one bad record


def break_record(run_id: str, record: str = "{not json") -> None:
    """Write a record no reader can parse, as a hostile or broken writer could."""
    from sqlalchemy import text

    store: Any = get_store()
    with store.engine.begin() as conn:
        conn.execute(
            text("UPDATE runs SET record = :r WHERE id = :id"), {"r": record, "id": run_id}
        )


async def test_one_unreadable_record_does_not_break_the_list(jp_fetch: Any) -> None:
    store = get_store()
    good = [Run.new("e", name=f"good{i}", status=RunStatus.FINISHED) for i in range(2)]
    bad = Run.new("e", name="bad", status=RunStatus.FINISHED)
    for run in (*good, bad):
        store.create_run(run)
    break_record(bad.id)

    code, body, _ = await raw_fetch(jp_fetch, "runs")
    assert code == 200, body
    page = json.loads(body)
    assert sorted(r["id"] for r in page["runs"]) == sorted(r.id for r in good)
    assert [s["id"] for s in page["skipped"]] == [bad.id]
    assert page["skipped"][0]["reason"]
    for run in good:
        code, _, _ = await raw_fetch(jp_fetch, "runs", run.id)
        assert code == 200
    ids = f"{good[0].id},{good[1].id}"
    code, body, _ = await raw_fetch(jp_fetch, "compare", params={"ids": ids})
    assert code == 200
    code, body, _ = await raw_fetch(jp_fetch, "runs", bad.id)
    assert code == 500
    message = error_message(body)
    assert bad.id in message and "unreadable" in message
    assert [r.id for r in store.search_runs()] == [r.id for r in reversed(good)]


def test_the_cli_lists_the_readable_runs_and_names_the_other() -> None:
    store = get_store()
    good = Run.new("e", name="good", status=RunStatus.FINISHED)
    bad = Run.new("e", name="bad", status=RunStatus.FINISHED)
    store.create_run(good)
    store.create_run(bad)
    break_record(bad.id, "[]")
    exe = Path(sys.executable).with_name("mlops-jupyter")
    out = subprocess.run(
        [str(exe) if exe.exists() else "mlops-jupyter", "runs", "list"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert good.id[:12] in out.stdout and bad.id[:12] not in out.stdout
    assert bad.id in out.stderr and "Traceback" not in out.stderr


# --------------------------------------------------------------------------- 9. temporaries


def test_store_check_prunes_temporaries_left_by_a_killed_writer(tmp_path: Path) -> None:
    from mlops_jupyter.store import StoreLocation, open_store
    from mlops_jupyter.store.maintenance import check_location

    location = StoreLocation.for_directory(tmp_path / "store")
    open_store(location).close()
    root = Path(location.blob_root)
    fifo = tmp_path / "endless"
    os.mkfifo(fifo)
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys\nfrom mlops_jupyter.store.blobs import LocalBlobStore\n"
            "LocalBlobStore(sys.argv[1]).put_file(sys.argv[2])",
            str(root),
            str(fifo),
        ]
    )
    try:
        with open(fifo, "wb") as feed:
            feed.write(b"x" * (1 << 20))
            feed.flush()
            deadline = time.monotonic() + 30
            while not list(root.glob(".tmp-*")) and time.monotonic() < deadline:
                time.sleep(0.05)
            writer.kill()  # killed in the middle of storing an artifact
            writer.wait(30)
    except BrokenPipeError:
        pass
    left = list(root.glob(".tmp-*"))
    assert len(left) == 1, "the killed writer left no temporary file"
    # put_bytes stages in the blob's folder: one left there too, and a young one.
    (root / "ab").mkdir(exist_ok=True)
    (root / "ab" / ".tmp-0123456789abcdef").write_bytes(b"half")
    young = root / ".tmp-fedcba9876543210"
    young.write_bytes(b"being written")
    old = time.time() - 2 * 86400
    for path in (left[0], root / "ab" / ".tmp-0123456789abcdef"):
        os.utime(path, (old, old))

    report = check_location(location)
    assert report.to_json()["blobs"]["temporaries"] == 3
    assert left[0].exists()  # a check alone changes nothing
    report = check_location(location, prune_orphans_older_than=86400)
    assert report.to_json()["blobs"]["temporaries_pruned"] == 2
    assert not left[0].exists() and not (root / "ab" / ".tmp-0123456789abcdef").exists()
    assert young.exists()
    assert any("temporary" in note for note in report.notes)


# --------------------------------------------------------------------------- 8/9. %%track


@pytest.fixture(scope="module")
def shell() -> Iterator[InteractiveShell]:
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "mlops_jupyter")
    yield ip
    ip.run_line_magic("unload_ext", "mlops_jupyter")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    return tmp_path


def last_run() -> Run:
    get_tracker().drain()
    found = get_store().search_runs(limit=1)
    assert found, "no run was recorded"
    return get_store().get_run(found[0].id)


def test_a_lone_surrogate_in_a_tracked_cell_is_recorded(
    shell: InteractiveShell, workdir: Path, capsys: Any
) -> None:
    before = get_store().count_runs()
    result = shell.run_cell(
        '%%track --tag k=v\ns = "\\ud800"\nt = "ok"\nprint(s.encode("utf-8", "surrogatepass"))',
        store_history=True,
    )
    assert result.error_in_exec is None
    get_tracker().drain()  # the run is written by the writer thread
    assert get_store().count_runs() == before + 1, capsys.readouterr().err
    recorded = last_run()
    assert recorded.params == {"s": "\ud800", "t": "ok"}  # JSON keeps the value exactly
    assert "not recorded" not in capsys.readouterr().err


def test_metric_names_a_database_cannot_hold_are_skipped_with_a_note(
    shell: InteractiveShell, workdir: Path, capsys: Any
) -> None:
    result = shell.run_cell(
        "%%track --quiet\nimport mlops_jupyter\n"
        "mlops_jupyter.log_metric('a\\x00b', 1)\n"
        "mlops_jupyter.log_metric('c\\ud800', 2)\n"
        "mlops_jupyter.log_metric('ok', 3)\n",
        store_history=True,
    )
    assert result.error_in_exec is None
    recorded = last_run()
    assert recorded.metrics == {"ok": 3.0}
    err = capsys.readouterr().err
    assert "'a\\x00b'" in err and "'c\\ud800'" in err and "NUL" in err


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("--name ''", "--name must not be empty"),
        ('--name "  "', "--name must not be empty"),
        ("--experiment ''", "--experiment must not be empty"),
        ("--name 'unbalanced", "quotation"),
        ('--tag "k=v', "quotation"),
    ],
)
def test_bad_magic_lines_are_usage_errors(
    shell: InteractiveShell, workdir: Path, line: str, message: str, capsys: Any
) -> None:
    get_tracker().drain()
    before = get_store().count_runs()
    shell.user_ns.pop("ran", None)
    shell.run_cell(f"%%track {line}\nran = True", store_history=True)
    out = capsys.readouterr()
    assert "ran" not in shell.user_ns
    get_tracker().drain()
    assert get_store().count_runs() == before
    assert "UsageError" in out.err and message in out.err
    assert "Traceback" not in out.out + out.err


def test_a_cut_output_tail_says_how_much_was_dropped(
    shell: InteractiveShell, workdir: Path
) -> None:
    from mlops_jupyter.tracking.lifecycle import OUTPUT_TAIL_CHARS

    total = 50_000
    shell.run_cell(
        f"%%track --quiet\nimport sys\nsys.stdout.write('a' * {total - 3} + 'END')\n"
        "sys.stderr.write('short')",
        store_history=True,
    )
    recorded = last_run()
    dropped = total - OUTPUT_TAIL_CHARS
    marker = f"…[{dropped} earlier characters not kept]\n"
    assert recorded.stdout_tail == marker + "a" * (OUTPUT_TAIL_CHARS - 3) + "END"
    assert recorded.stderr_tail == "short"  # nothing cut: no marker
