"""REST API over the run store: lists, runs, blobs, metric series, comparison, experiments."""

from __future__ import annotations

import json
import logging
import math
import urllib.parse
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import tornado.httpclient

from mlops_jupyter.models import GitInfo, MetricPoint, NotebookInfo, Run, RunStatus
from mlops_jupyter.query import parse_filter, run_summary
from mlops_jupyter.store import get_store

T0 = datetime(2025, 3, 1, tzinfo=timezone.utc)


def make_run(i: int, **kw: Any) -> Run:
    kw.setdefault("status", RunStatus.FINISHED)
    kw.setdefault("ended_at", T0 + timedelta(minutes=i, seconds=10 + i))
    return Run.new(
        kw.pop("experiment", "exp"),
        id=f"{i:032x}",
        started_at=T0 + timedelta(minutes=i),
        **kw,
    )


def add(*runs: Run) -> list[Run]:
    store = get_store()
    for run in runs:
        store.create_run(run)
    return list(runs)


async def get(jp_fetch: Any, *path: str, **params: Any) -> Any:
    response = await jp_fetch("mlops-jupyter", "api", *path, params=params or None)
    assert response.code == 200
    return json.loads(response.body)


async def error(jp_fetch: Any, *path: str, **params: Any) -> tuple[int, str]:
    with pytest.raises(tornado.httpclient.HTTPClientError) as info:
        await jp_fetch("mlops-jupyter", "api", *path, params=params or None)
    assert info.value.response is not None
    body = json.loads(info.value.response.body)
    assert set(body) == {"message"}
    assert "Traceback" not in body["message"]
    return info.value.code, body["message"]


@pytest.fixture
def three_runs() -> list[Run]:
    return add(
        make_run(1, name="baseline", params={"lr": 0.1, "opt": "adam"}, metrics={"acc": 0.8}),
        make_run(2, name="Base-large", params={"lr": 0.01, "opt": "sgd"}, metrics={"acc": 0.9}),
        make_run(3, name="other", params={"opt": "adam"}, experiment="exp2", tags={"k": "v"}),
    )


# -- GET runs -------------------------------------------------------------------------------


async def test_list_defaults_newest_first(jp_fetch: Any, three_runs: list[Run]) -> None:
    body = await get(jp_fetch, "runs")
    assert [r["id"] for r in body["runs"]] == [three_runs[i].id for i in (2, 1, 0)]
    assert (body["total"], body["offset"], body["limit"]) == (3, 0, 100)
    assert body["runs"][2] == run_summary(get_store().get_run(three_runs[0].id))
    assert set(body["runs"][0]) == {
        "id", "name", "experiment", "status", "started_at", "ended_at", "duration", "params",
        "metrics", "tags", "reproduction_of", "sweep_id", "git", "notebook_path", "error_type",
    }  # fmt: skip


async def test_list_filter_substring_and_precedence(jp_fetch: Any, three_runs: list[Run]) -> None:
    def ids(body: Any) -> set[str]:
        return {r["id"][-1] for r in body["runs"]}

    assert ids(await get(jp_fetch, "runs", filter='name ~ "BASE"')) == {"1", "2"}
    # and binds tighter than or: (opt = adam and lr < 0.05) or name = other -> run 3 only
    q = 'params.opt = "adam" and params.lr < 0.05 or name = "other"'
    assert ids(await get(jp_fetch, "runs", filter=q)) == {"3"}
    q = 'params.opt = "adam" and (params.lr < 0.05 or name = "other")'
    assert ids(await get(jp_fetch, "runs", filter=q)) == {"3"}
    q = 'not params.opt = "adam" or metrics.acc >= 0.8 and experiment != "exp2"'
    assert ids(await get(jp_fetch, "runs", filter=q)) == {"1", "2"}
    body = await get(jp_fetch, "runs", filter="params.lr = 0.1", experiment="exp")
    assert ids(body) == {"1"} and body["total"] == 1
    assert (await get(jp_fetch, "runs", experiment="exp2"))["total"] == 1


async def test_list_sort_by_param_and_metric_missing_last(
    jp_fetch: Any, three_runs: list[Run]
) -> None:
    for order in ("asc", "desc"):
        body = await get(jp_fetch, "runs", sort="params.lr", order=order)
        expected = ["2", "1", "3"] if order == "asc" else ["1", "2", "3"]
        assert [r["id"][-1] for r in body["runs"]] == expected
        body = await get(jp_fetch, "runs", sort="metrics.acc", order=order)
        expected = ["1", "2", "3"] if order == "asc" else ["2", "1", "3"]
        assert [r["id"][-1] for r in body["runs"]] == expected
    # Paging across the runs having the metric and those lacking it.
    pages = [
        (await get(jp_fetch, "runs", sort="metrics.acc", limit="1", offset=str(i)))["runs"]
        for i in range(4)
    ]
    assert [[r["id"][-1] for r in p] for p in pages] == [["2"], ["1"], ["3"], []]


async def test_list_sort_by_metric_pages_agree_with_one_page(jp_fetch: Any) -> None:
    runs = [
        make_run(i, metrics={} if i % 3 == 0 else {"m": (i * 7) % 11 + (math.nan if i == 5 else 0)})
        for i in range(1, 23)
    ]
    add(*runs)
    whole = await get(jp_fetch, "runs", sort="metrics.m", order="asc", limit="50")
    paged: list[str] = []
    for offset in range(0, 25, 4):
        page = await get(jp_fetch, "runs", sort="metrics.m", order="asc", limit="4",
                         offset=str(offset))  # fmt: skip
        paged += [r["id"] for r in page["runs"]]
    assert paged == [r["id"] for r in whole["runs"]]
    values = [r["metrics"].get("m") for r in whole["runs"]]
    finite = [v for v in values if isinstance(v, float | int)]
    assert finite == sorted(finite) and len(finite) == 14
    assert all(not isinstance(v, float | int) for v in values[14:])  # missing and NaN last
    assert "NaN" in values


async def test_list_bad_arguments_are_400(jp_fetch: Any) -> None:
    for params in (
        {"limit": "0"},
        {"limit": "1001"},
        {"limit": "99999999999999999999999"},
        {"limit": "-1"},
        {"limit": "ten"},
        {"offset": "-1"},
        {"offset": "1e3"},
        {"offset": "9" * 40},
        {"order": "sideways"},
        {"sort": "colour"},
        {"sort": "params."},
        {"filter": "params.lr <"},
        {"filter": "(" * 500 + "name = 'x'" + ")" * 500},
    ):
        code, message = await error(jp_fetch, "runs", **params)
        assert code == 400, (params, code, message)
    code, message = await error(jp_fetch, "runs", limit="5000")
    assert "from 1 to 1000" in message


async def test_bad_filter_message_says_where(jp_fetch: Any) -> None:
    code, message = await error(jp_fetch, "runs", filter="params.lr < 0.1 and and")
    assert code == 400
    assert message == "unexpected 'and' at column 21: expected an attribute (name, " \
        "experiment, status, params.<name>, ...)"  # fmt: skip
    code, message = await error(jp_fetch, "runs", filter="status = and")
    assert message == "unexpected 'and' at column 10: expected a value"


async def test_html_in_names_comes_back_verbatim(jp_fetch: Any) -> None:
    evil = "<img src=x onerror=alert(1)>"
    add(make_run(1, name=evil, params={"p": evil}))
    response = await jp_fetch("mlops-jupyter", "api", "runs")
    assert response.headers["Content-Type"].startswith("application/json")
    body = json.loads(response.body)
    assert body["runs"][0]["name"] == evil
    assert body["runs"][0]["params"]["p"] == evil
    full = await get(jp_fetch, "runs", f"{1:032x}")
    assert full["name"] == evil


async def test_version_changes_on_create_and_update_only(jp_fetch: Any) -> None:
    v0 = (await get(jp_fetch, "runs"))["version"]
    (run,) = add(make_run(1, status=RunStatus.RUNNING, ended_at=None))
    v1 = (await get(jp_fetch, "runs"))["version"]
    assert v1 != v0
    store = get_store()
    store.heartbeat([run.id])
    assert (await get(jp_fetch, "runs"))["version"] == v1
    run.status = RunStatus.FINISHED
    store.update_run(run)
    v2 = (await get(jp_fetch, "runs"))["version"]
    store.log_metric_points(run.id, [MetricPoint("loss", 1.0, 1, 0.0)])
    v3 = (await get(jp_fetch, "runs"))["version"]
    assert len({v0, v1, v2, v3}) == 4


async def test_listing_marks_stale_runs_crashed(jp_fetch: Any) -> None:
    old = T0 - timedelta(days=1)
    add(Run.new("exp", id="f" * 32, started_at=old, heartbeat_at=old))
    body = await get(jp_fetch, "runs")
    assert body["runs"][0]["status"] == "crashed"
    assert body["runs"][0]["duration"] == 0


# -- GET runs/{id} and blobs ----------------------------------------------------------------


async def test_get_run_and_bad_ids(jp_fetch: Any, three_runs: list[Run]) -> None:
    body = await get(jp_fetch, "runs", three_runs[0].id)
    assert body["params"] == {"lr": 0.1, "opt": "adam"} and body["source"] == ""
    assert await error(jp_fetch, "runs", "a" * 32) == (404, f"run {'a' * 32!r} not found")
    for bad in ("ABC", "0" * 31, "g" * 32, "0" * 33, "..%2F..%2Fetc"):
        code, _ = await error(jp_fetch, "runs", bad)
        assert code == 400, bad


async def test_blobs(jp_fetch: Any) -> None:
    store = get_store()
    notebook_sha = store.blobs.put_bytes(b'{"cells": []}')
    diff_sha = store.blobs.put_bytes(b"--- a\n+++ b\n")
    full = make_run(
        1,
        source="x = 1\n",
        env={"python": {"version": "3.11"}},
        history=[{"n": 1}],
        notebook=NotebookInfo(path="a.ipynb", snapshot_sha256=notebook_sha),
        git=GitInfo(root="/r", commit="c", diff_sha256=diff_sha, dirty=True),
    )
    empty = make_run(2)
    add(full, empty)
    expected = {
        "source": ("text/plain", b"x = 1\n"),
        "notebook": ("application/json", b'{"cells": []}'),
        "diff": ("text/plain", b"--- a\n+++ b\n"),
        "env": ("application/json", b'{"python": {"version": "3.11"}}'),
        "history": ("application/json", b'[{"n": 1}]'),
    }
    for kind, (content_type, data) in expected.items():
        response = await jp_fetch("mlops-jupyter", "api", "runs", full.id, "blobs", kind)
        assert response.headers["Content-Type"].startswith(content_type)
        assert response.body == data
        code, message = await error(jp_fetch, "runs", empty.id, "blobs", kind)
        assert (code, message) == (404, f"run {empty.id!r} has no {kind}")
    assert (await error(jp_fetch, "runs", full.id, "blobs", "passwd"))[0] == 400
    assert (await error(jp_fetch, "runs", "x" * 32, "blobs", "source"))[0] == 400
    assert (await error(jp_fetch, "runs", "e" * 32, "blobs", "source"))[0] == 404


# -- metrics --------------------------------------------------------------------------------


async def test_metric_list_and_encoded_keys(
    jp_fetch: Any, http_server_client: Any, jp_base_url: str, jp_auth_header: dict[str, str]
) -> None:
    (run,) = add(make_run(1, metrics={"final only": 2.0}))
    get_store().log_metric_points(
        run.id,
        [MetricPoint("train/loss", float(10 - s), s, float(s)) for s in range(10)]
        + [MetricPoint("bad", math.nan, 3, 0.0)],
    )
    body = await get(jp_fetch, "runs", run.id, "metrics")
    assert body["metrics"] == [
        {"key": "bad", "count": 1, "last": "NaN", "last_step": 3},
        {"key": "final only", "count": 0, "last": 2.0, "last_step": 0},
        {"key": "train/loss", "count": 10, "last": 1.0, "last_step": 9},
    ]
    # The raw URL, as a browser's encodeURIComponent writes it, and with a bare "/".
    for encoded in ("train%2Floss", "train/loss"):
        url = f"{jp_base_url}mlops-jupyter/api/runs/{run.id}/metrics/{encoded}?points=5"
        response = await http_server_client.fetch(url, headers=jp_auth_header)
        series = json.loads(response.body)
        assert series["key"] == "train/loss" and series["total"] == 10
        assert series["downsampled"] is True and len(series["points"]) <= 5
        assert series["points"][0] == [0, 10.0] and series["points"][-1] == [9, 1.0]
    series = await get(jp_fetch, "runs", run.id, "metrics", "bad")
    assert series == {"key": "bad", "total": 1, "downsampled": False, "points": [[3, "NaN"]]}
    (other,) = add(make_run(2))
    get_store().log_metric_points(other.id, [MetricPoint("val loss", 0.5, 0, 0.0)])
    url = f"{jp_base_url}mlops-jupyter/api/runs/{other.id}/metrics/val%20loss"
    spaced = json.loads((await http_server_client.fetch(url, headers=jp_auth_header)).body)
    assert spaced == {"key": "val loss", "total": 1, "downsampled": False, "points": [[0, 0.5]]}
    # A final value without a series has no points to plot.
    assert (await error(jp_fetch, "runs", run.id, "metrics", "final only"))[0] == 404
    assert (await error(jp_fetch, "runs", run.id, "metrics", "nope"))[0] == 404
    assert (await error(jp_fetch, "runs", "b" * 32, "metrics"))[0] == 404
    assert (await error(jp_fetch, "runs", "B" * 32, "metrics", "x"))[0] == 400
    for points in ("1", "5001", "-3", "x"):
        code, message = await error(jp_fetch, "runs", run.id, "metrics", "bad", points=points)
        assert code == 400 and "from 2 to 5000" in message


async def test_downsampling_a_long_series_keeps_spikes(jp_fetch: Any) -> None:
    (run,) = add(make_run(1))
    n = 100_000
    values = [math.sin(s / 1000) for s in range(n)]
    values[31_337] = 50.0
    values[77_777] = -50.0
    get_store().log_metric_points(
        run.id, [MetricPoint("loss", v, s, 0.0) for s, v in enumerate(values)]
    )
    key = urllib.parse.quote("loss", safe="")
    body = await get(jp_fetch, "runs", run.id, "metrics", key)
    assert body["total"] == n and body["downsampled"] is True
    points = body["points"]
    assert len(points) <= 500
    steps = [p[0] for p in points]
    assert steps == sorted(steps) and steps[0] == 0 and steps[-1] == n - 1
    assert [31_337, 50.0] in points and [77_777, -50.0] in points


# -- compare and experiments ----------------------------------------------------------------


async def test_compare(jp_fetch: Any) -> None:
    env1 = {"python": {"version": "3.11"}, "platform": {"system": "Linux"},
            "packages": {"numpy": "1.0", "old": "1"}}  # fmt: skip
    env2 = {"python": {"version": "3.12"}, "platform": {"system": "Linux"},
            "packages": {"numpy": "2.0", "new": "3"}}  # fmt: skip
    a, b = add(
        make_run(1, params={"lr": 0.1, "seed": 1}, metrics={"acc": 0.5}, env=env1, source="a"),
        make_run(2, params={"lr": 0.2, "seed": 1}, env=env2, source="b"),
    )
    body = await get(jp_fetch, "compare", ids=f"{a.id},{b.id}")
    assert [r["id"] for r in body["runs"]] == [a.id, b.id]
    assert body["params"] == [
        {"key": "lr", "values": [0.1, 0.2], "differs": True},
        {"key": "seed", "values": [1, 1], "differs": False},
    ]
    assert body["metrics"] == [{"key": "acc", "values": [0.5, None], "differs": True}]
    assert body["sources"] == ["a", "b"]
    assert body["env"]["python"]["differs"] is True
    assert body["env"]["platform"] == {"values": [{"system": "Linux"}] * 2, "differs": False}
    assert body["env"]["packages"] == {
        "added": {"new": "3"},
        "removed": {"old": "1"},
        "changed": {"numpy": ["1.0", "2.0"]},
    }
    assert body["env"]["packages_by_run"] == [body["env"]["packages"]]


async def test_compare_bad_ids(jp_fetch: Any, three_runs: list[Run]) -> None:
    ok = three_runs[0].id
    code, message = await error(jp_fetch, "compare", ids=f"{ok},{'d' * 32}")
    assert (code, message) == (404, f"run {'d' * 32!r} not found")
    assert (await error(jp_fetch, "compare", ids=ok))[0] == 400
    assert (await error(jp_fetch, "compare", ids=",".join([ok] * 21)))[0] == 400
    assert (await error(jp_fetch, "compare", ids=f"{ok},nothex"))[0] == 400
    assert (await error(jp_fetch, "compare"))[0] == 400


async def test_experiments(jp_fetch: Any, three_runs: list[Run]) -> None:
    body = await get(jp_fetch, "experiments")
    assert body == {
        "experiments": [
            {"name": "exp", "runs": 2, "last_started_at": "2025-03-01T00:02:00.000000+00:00"},
            {"name": "exp2", "runs": 1, "last_started_at": "2025-03-01T00:03:00.000000+00:00"},
        ]
    }


def test_list_summary_matches_run_summary_for_rich_runs() -> None:
    from mlops_jupyter.models import ErrorInfo

    run = make_run(
        1,
        params={"nan": math.nan, "l": [1, 2]},
        metrics={"inf": math.inf, "nan": math.nan},
        git=GitInfo(root="/r", commit="abc", branch="main", dirty=True),
        notebook=NotebookInfo(path="n.ipynb"),
        error=ErrorInfo("ValueError", "bad", "tb"),
        status=RunStatus.FAILED,
        reproduction_of="r" * 32,
        sweep_id="s",
        tags={"t": "1"},
    )
    store = get_store()
    store.create_run(run)
    page = store.list_runs(where=parse_filter("metrics.inf > 1"))
    assert page.runs == [run_summary(store.get_run(run.id))]
    json.dumps(page.runs, allow_nan=False)


async def test_bad_input_is_not_logged_as_an_uncaught_exception(
    jp_fetch: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="tornado.application")
    with pytest.raises(tornado.httpclient.HTTPClientError) as info:
        await jp_fetch("mlops-jupyter", "api", "runs", params={"filter": "params.lr <"})
    assert info.value.code == 400
    uncaught = [r for r in caplog.records if "Uncaught exception" in r.getMessage()]
    assert uncaught == []
