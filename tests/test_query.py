"""The filter language: parsing, error positions, round trips, and SQL semantics."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from mlops_jupyter.models import Run, RunStatus
from mlops_jupyter.query import (
    MAX_DEPTH,
    And,
    Comparison,
    Field,
    FilterNode,
    Not,
    Or,
    QuerySyntaxError,
    SortKey,
    format_filter,
    parse_filter,
    parse_sort,
)
from mlops_jupyter.store import InvalidArgumentError, get_store
from mlops_jupyter.store.base import RunStore


def cmp(kind: str, name: str, op: str, value: object) -> Comparison:
    return Comparison(Field(kind, name), op, value)  # type: ignore[arg-type]


def test_parse_comparisons_and_values() -> None:
    assert parse_filter("params.lr < 0.1") == cmp("params", "lr", "<", 0.1)
    assert parse_filter("metrics.acc>=9e-1") == cmp("metrics", "acc", ">=", 0.9)
    assert parse_filter("status = 'finished'") == cmp("column", "status", "=", "finished")
    assert parse_filter('name ~ "a \\"b\\""') == cmp("column", "name", "~", 'a "b"')
    assert parse_filter("params.`learning rate` != -3") == cmp("params", "learning rate", "!=", -3)
    assert parse_filter("params.flag = TRUE") == cmp("params", "flag", "=", True)
    assert parse_filter("tags.k = null") == cmp("tags", "k", "=", None)
    assert parse_filter("started_at > '2025-01-01'") == cmp(
        "column", "started_at", ">", "2025-01-01T00:00:00.000000+00:00"
    )
    assert parse_filter("   ") is None


def test_precedence_not_over_and_over_or() -> None:
    a, b, c = (cmp("params", n, "=", 1) for n in "abc")
    assert parse_filter("params.a = 1 or params.b = 1 and params.c = 1") == Or((a, And((b, c))))
    assert parse_filter("(params.a = 1 or params.b = 1) and params.c = 1") == And((Or((a, b)), c))
    assert parse_filter("not params.a = 1 and params.b = 1") == And((Not(a), b))
    assert parse_filter("NOT (params.a = 1 AND params.b = 1)") == Not(And((a, b)))


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("params.lr < 0.1 and and", 21, "unexpected 'and' at column 21: expected an attribute"),
        ("status = and", 10, "unexpected 'and' at column 10: expected a value"),
        ("params.lr <", 12, "unexpected end of input at column 12: expected a value"),
        ("params.lr 0.1", 11, "unexpected '0.1' at column 11: expected an operator"),
        ("colour = 1", 1, "unexpected 'colour' at column 1: expected an attribute"),
        ("params = 1", 8, "unexpected '=' at column 8: expected '.'"),
        ("(name = 'a'", 12, "unexpected end of input at column 12: expected ')'"),
        ("name = 'a' name", 12, "unexpected 'name' at column 12: expected 'and', 'or'"),
        ("name = 'abc", 8, "unexpected \"'\" at column 8: expected a closing '"),
        ("name = 1", 8, "unexpected '1' at column 8: expected a quoted string"),
        ("metrics.acc = 'x'", 15, "unexpected \"'x'\" at column 15: expected a number"),
        ("metrics.acc ~ 'x'", 13, "unexpected '~' at column 13"),
        ("params.x < true", 12, "unexpected 'true' at column 12"),
        (
            "started_at > 'yesterday'",
            14,
            "unexpected \"'yesterday'\" at column 14: expected an ISO",
        ),
        ("name = 'a' $", 12, "unexpected '$' at column 12"),
    ],
)
def test_syntax_errors_say_where(text: str, column: int, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse_filter(text)
    assert str(info.value).startswith(message)
    assert info.value.column == column and info.value.position == column - 1
    assert isinstance(info.value, InvalidArgumentError) and info.value.code == 400


def test_nesting_and_length_are_bounded() -> None:
    deep = "(" * (MAX_DEPTH + 1) + "name = 'x'" + ")" * (MAX_DEPTH + 1)
    with pytest.raises(QuerySyntaxError, match="nested"):
        parse_filter(deep)
    ok = "(" * MAX_DEPTH + "name = 'x'" + ")" * MAX_DEPTH
    assert parse_filter(ok) == cmp("column", "name", "=", "x")
    with pytest.raises(QuerySyntaxError, match="nested"):
        parse_filter("not " * 1000 + "name = 'x'")
    with pytest.raises(InvalidArgumentError, match="too long"):
        parse_filter("name = 'x' or " * 1000 + "name = 'y'")


def test_sort_keys() -> None:
    assert parse_sort("duration") == SortKey("column", "duration")
    assert parse_sort("params.a b/c") == SortKey("params", "a b/c")
    assert str(parse_sort("metrics.acc")) == "metrics.acc"
    for bad in ("", "id", "params.", "tags.x", "source", "metrics"):
        with pytest.raises(InvalidArgumentError):
            parse_sort(bad)


# -- generated inputs -----------------------------------------------------------------------

_NAMES = ["lr", "acc", "a_b", "x1", "my key", "train/loss", "and", "`"[:0] + "q"]


def random_node(rng: random.Random, depth: int = 0) -> FilterNode:
    roll = rng.random()
    if depth >= 3 or roll < 0.4:
        kind = rng.choice(["params", "metrics", "tags", "column"])
        op = rng.choice(["=", "!=", "<", "<=", ">", ">=", "~"])
        if kind == "column":
            name = rng.choice(["name", "experiment", "status", "id", "duration"])
            value: object = rng.uniform(-5, 5) if name == "duration" else "v'\"\\x"
            if name == "duration" and op == "~":
                op = "="
        else:
            name = rng.choice(_NAMES)
            value = rng.choice([rng.randint(-9, 9), round(rng.uniform(-1e6, 1e6), 3), "s p"])
            if kind == "metrics":
                value = rng.randint(0, 9) if op != "~" else None
                op = op if op != "~" else "="
            if kind == "tags" or op == "~":
                value = "t\\"
            if kind == "params" and op in ("=", "!=") and rng.random() < 0.2:
                value = rng.choice([True, False, None])
        return cmp(kind, name, op, value)
    if roll < 0.55:
        return Not(random_node(rng, depth + 1))
    items = tuple(random_node(rng, depth + 1) for _ in range(rng.randint(2, 3)))
    return And(items) if roll < 0.8 else Or(items)


def test_generated_filters_round_trip() -> None:
    rng = random.Random(1234)
    for _ in range(2000):
        node = random_node(rng)
        assert parse_filter(format_filter(node)) == node


def test_generated_garbage_fails_cleanly() -> None:
    rng = random.Random(99)
    alphabet = [*"()<>=!~'\"`. ", "and", "or", "not", "params", "name", "1", "x", "null"]
    parsed = failed = 0
    for _ in range(3000):
        text = " ".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        try:
            parse_filter(text)
            parsed += 1
        except QuerySyntaxError as exc:
            assert 0 <= exc.position <= len(text)
            assert f"at column {exc.column}:" in str(exc)
            failed += 1
    assert failed > 1000


# -- semantics on a real store --------------------------------------------------------------

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)


def evaluate(node: FilterNode | None, run: Run) -> bool:
    """Reference semantics in Python, for checking the SQL against."""
    if node is None:
        return True
    if isinstance(node, Not):
        return not evaluate(node.item, run)
    if isinstance(node, And):
        return all(evaluate(i, run) for i in node.items)
    if isinstance(node, Or):
        return any(evaluate(i, run) for i in node.items)
    kind, name = node.field.kind, node.field.name
    source = {"params": run.params, "metrics": run.metrics, "tags": run.tags}.get(kind)
    if source is None:
        present, actual = True, {"name": run.name, "status": run.status.value}.get(name)
    else:
        present, actual = name in source, source.get(name)
    value, op = node.value, node.op
    if value is None:
        return (actual is None or not present) == (op == "=")
    if not present or actual is None:
        return False
    if op == "~":
        return isinstance(actual, str) and str(value).lower() in actual.lower()
    if isinstance(value, bool) or isinstance(actual, bool):
        if not (isinstance(value, bool) and isinstance(actual, bool)):
            return False
    elif isinstance(value, str) != isinstance(actual, str):
        return False
    ops = {
        "=": lambda a, b: a == b,
        "!=": lambda a, b: a != b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
    }
    return bool(ops[op](actual, value))


def test_sql_agrees_with_reference_semantics() -> None:
    rng = random.Random(7)
    store: RunStore = get_store()
    runs = []
    for i in range(40):
        params: dict[str, object] = {}
        for key in ("lr", "opt", "flag"):
            if rng.random() < 0.7:
                params[key] = {
                    "lr": rng.choice([0.1, 0.01, 1, 3]),
                    "opt": rng.choice(["adam", "SGD", "AdamW"]),
                    "flag": rng.choice([True, False]),
                }[key]
        metrics = {"acc": rng.choice([0.5, 0.9])} if rng.random() < 0.7 else {}
        tags = {"k": rng.choice(["x", "y"])} if rng.random() < 0.5 else {}
        run = Run.new(
            "e",
            id=f"{i:032x}",
            name=rng.choice(["Base", "other", None]),
            status=rng.choice([RunStatus.FINISHED, RunStatus.FAILED]),
            started_at=T0 + timedelta(seconds=i),
            params=params,
            metrics=metrics,
            tags=tags,
        )
        store.create_run(run)
        runs.append(run)
    atoms = [
        "params.lr < 0.5", "params.lr = 1", "params.lr != 0.1", "params.opt = 'adam'",
        "params.opt ~ 'ADAM'", "params.opt > 'b'", "params.flag = true", "params.flag = null",
        "params.lr != null", "metrics.acc >= 0.9", "metrics.acc = null", "tags.k = 'x'",
        "tags.k != 'x'", "name ~ 'as'", "name = null", "status = 'failed'",
    ]  # fmt: skip
    for _ in range(150):
        parts = rng.sample(atoms, rng.randint(1, 3))
        text = parts[0]
        for part in parts[1:]:
            text = (
                f"{'not ' if rng.random() < 0.3 else ''}({text}) {rng.choice(['and', 'or'])} {part}"
            )
        node = parse_filter(text)
        expected = {r.id for r in runs if evaluate(node, r)}
        page = store.list_runs(where=node, limit=100)
        assert {r["id"] for r in page.runs} == expected, text
        assert page.total == len(expected), text
