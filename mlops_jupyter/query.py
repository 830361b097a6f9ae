"""The run filter language, sort keys, and the shape of a page of listed runs.

A filter such as ``params.lr < 0.1 and (status = "finished" or name ~ "base")`` is parsed
into a small immutable AST (:func:`parse_filter`). Backends compile the AST themselves (the
SQL store in :mod:`mlops_jupyter.store.sql.listing`, with values always bound parameters,
never spliced into SQL text); this module imports no database library.

Grammar (keywords are case-insensitive)::

    expr       := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | "(" expr ")" | comparison
    comparison := attribute OP value
    attribute  := name | experiment | status | id | started_at | ended_at | duration
                | (params | metrics | tags) "." (identifier | `any text`)
    OP         := "=" | "!=" | "<" | "<=" | ">" | ">=" | "~"
    value      := number | "text" | 'text' | true | false | null

Semantics: ``~`` is a case-insensitive substring match. A comparison on an attribute the run
lacks is false, ``!=`` included (write ``not params.x = 1`` to keep runs without ``x``);
``= null`` matches runs lacking the attribute (for metrics also NaN, stored as NULL).
Params are typed: a number compares numerically, a string textually, ``true``/``false`` with
JSON booleans. Metrics and ``duration`` take numbers; ``started_at``/``ended_at`` take
ISO-8601 strings.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Union

from .errors import InvalidArgumentError
from .models import GitInfo, Run, RunStatus, format_datetime, json_safe, parse_datetime

__all__ = [
    "COLUMN_ATTRIBUTES",
    "DEFAULT_SORT",
    "MAX_DEPTH",
    "MAX_FILTER_LENGTH",
    "And",
    "Comparison",
    "Field",
    "FilterNode",
    "Not",
    "Or",
    "QuerySyntaxError",
    "RunPage",
    "SortKey",
    "evaluate_filter",
    "fields_of",
    "format_filter",
    "parse_filter",
    "parse_sort",
    "run_summary",
]

#: Attributes that are columns of the runs table, with the type of value they take.
COLUMN_ATTRIBUTES: dict[str, str] = {
    "id": "text",
    "name": "text",
    "experiment": "text",
    "status": "text",
    "started_at": "time",
    "ended_at": "time",
    "duration": "number",
}
_KEYED = ("params", "metrics", "tags")
_OPERATORS = ("=", "!=", "<", "<=", ">", ">=", "~")
_ORDERING = frozenset({"<", "<=", ">", ">="})
#: Longest filter accepted, and deepest nesting of parentheses and ``not``: both keep a
#: hostile filter from costing more than a moment (or the parser's recursion).
MAX_FILTER_LENGTH = 10_000
MAX_DEPTH = 50

Value = Union[float, int, str, bool, None]  # noqa: UP007 - a runtime alias, py3.10 safe


class QuerySyntaxError(InvalidArgumentError):
    """A filter that cannot be parsed (or compares an attribute with the wrong kind of value).

    Attributes:
        position: 0-based offset in the query text of the offending token.
        column: The same, 1-based (as shown in the message).
        token: The offending token's text ("" at the end of the input).
        expected: What would have been accepted there.
    """

    def __init__(self, position: int, token: str, expected: str) -> None:
        where = f"unexpected {token!r}" if token else "unexpected end of input"
        super().__init__(f"{where} at column {position + 1}: expected {expected}")
        self.position = position
        self.column = position + 1
        self.token = token
        self.expected = expected


# -- AST ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """An attribute of a run: ``kind`` is ``column``, ``params``, ``metrics`` or ``tags``."""

    kind: str
    name: str


@dataclass(frozen=True)
class Comparison:
    """``field op value``."""

    field: Field
    op: str
    value: Value


@dataclass(frozen=True)
class And:
    """All of ``items`` hold (two or more)."""

    items: tuple[FilterNode, ...]


@dataclass(frozen=True)
class Or:
    """Any of ``items`` holds (two or more)."""

    items: tuple[FilterNode, ...]


@dataclass(frozen=True)
class Not:
    """``item`` does not hold."""

    item: FilterNode


FilterNode = Union[Comparison, And, Or, Not]  # noqa: UP007 - a runtime alias, py3.10 safe


# -- tokenizer ----------------------------------------------------------------------------

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(?![\w.])
  | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<bq>`[^`]+`)
  | (?P<ident>[A-Za-z_]\w*)
  | (?P<op><=|>=|!=|=|<|>|~)
  | (?P<punct>[().])
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPE_RE = re.compile(r"\\(.)", re.DOTALL)


@dataclass(frozen=True)
class _Token:
    kind: str  # num, str, bq, ident, op, punct, end
    text: str
    pos: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if match is None:
            bad = text[pos]
            if bad in "\"'`":
                raise QuerySyntaxError(pos, bad, f"a closing {bad}")
            raise QuerySyntaxError(pos, bad, "an attribute, operator, value or parenthesis")
        kind = match.lastgroup or ""
        if kind != "ws":
            tokens.append(_Token(kind, match.group(), pos))
        pos = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


# -- parser -------------------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def fail(self, expected: str, tok: _Token | None = None) -> QuerySyntaxError:
        tok = tok or self.tok
        return QuerySyntaxError(tok.pos, tok.text, expected)

    def keyword(self, word: str) -> bool:
        if self.tok.kind == "ident" and self.tok.text.lower() == word:
            self.i += 1
            return True
        return False

    def parse(self) -> FilterNode:
        node = self.or_expr()
        if self.tok.kind != "end":
            raise self.fail("'and', 'or' or the end of the filter")
        return node

    def or_expr(self) -> FilterNode:
        items = [self.and_expr()]
        while self.keyword("or"):
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self) -> FilterNode:
        items = [self.not_expr()]
        while self.keyword("and"):
            items.append(self.not_expr())
        return items[0] if len(items) == 1 else And(tuple(items))

    def not_expr(self) -> FilterNode:
        nests = self.tok.text.lower() in ("not", "(")
        if nests:
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise self.fail(f"at most {MAX_DEPTH} nested parentheses or 'not'")
        try:
            if self.keyword("not"):
                return Not(self.not_expr())
            if self.tok.kind == "punct" and self.tok.text == "(":
                self.i += 1
                node = self.or_expr()
                if not (self.tok.kind == "punct" and self.tok.text == ")"):
                    raise self.fail("')'")
                self.i += 1
                return node
            return self.comparison()
        finally:
            if nests:
                self.depth -= 1

    def attribute(self) -> Field:
        tok = self.tok
        name = tok.text.lower()
        if tok.kind != "ident" or (name not in COLUMN_ATTRIBUTES and name not in _KEYED):
            raise self.fail("an attribute (name, experiment, status, params.<name>, ...)")
        self.i += 1
        if name in COLUMN_ATTRIBUTES:
            return Field("column", name)
        if not (self.tok.kind == "punct" and self.tok.text == "."):
            raise self.fail(f"'.' and a name after {name!r}")
        self.i += 1
        key = self.tok
        if key.kind == "ident":
            self.i += 1
            return Field(name, key.text)
        if key.kind == "bq":
            self.i += 1
            return Field(name, key.text[1:-1])
        raise self.fail(f"a {name[:-1] if name != 'metrics' else 'metric'} name")

    def comparison(self) -> FilterNode:
        field = self.attribute()
        op_tok = self.tok
        if op_tok.kind != "op":
            raise self.fail("an operator (= != < <= > >= ~)")
        self.i += 1
        value_tok = self.tok
        value = self.value()
        _check_types(field, op_tok, value_tok, value)
        if field.kind == "column" and COLUMN_ATTRIBUTES[field.name] == "time":
            if isinstance(value, str) and op_tok.text != "~":
                try:
                    value = format_datetime(parse_datetime(value))
                except ValueError:
                    raise QuerySyntaxError(
                        value_tok.pos, value_tok.text, "an ISO-8601 date or time"
                    ) from None
        return Comparison(field, op_tok.text, value)

    def value(self) -> Value:
        tok = self.tok
        if tok.kind == "num":
            self.i += 1
            text = tok.text
            if re.fullmatch(r"[-+]?\d+", text):
                return int(text)
            number = float(text)
            if number != number or number in (float("inf"), float("-inf")):
                raise self.fail("a finite number", tok)
            return number
        if tok.kind == "str":
            self.i += 1
            return _ESCAPE_RE.sub(r"\1", tok.text[1:-1])
        if tok.kind == "ident" and tok.text.lower() in ("true", "false", "null"):
            self.i += 1
            return {"true": True, "false": False, "null": None}[tok.text.lower()]
        raise self.fail("a value")


def _check_types(field: Field, op_tok: _Token, value_tok: _Token, value: Value) -> None:
    op = op_tok.text
    kind = (
        COLUMN_ATTRIBUTES[field.name]
        if field.kind == "column"
        else {"params": "any", "metrics": "number", "tags": "text"}[field.kind]
    )

    def bad(expected: str) -> QuerySyntaxError:
        return QuerySyntaxError(value_tok.pos, value_tok.text, expected)

    if op == "~":
        if not isinstance(value, str):
            raise bad("a quoted string after '~'")
        if kind == "number":
            raise QuerySyntaxError(op_tok.pos, op, "a numeric operator: '~' needs text")
        return
    if value is None:
        if op not in ("=", "!="):
            raise bad(f"a number or string after {op!r}")
        return
    if isinstance(value, bool):
        if kind != "any" or op in _ORDERING:
            raise bad(f"a {'number' if kind == 'number' else 'string'}")
        return
    is_num = isinstance(value, int | float)
    if kind == "number" and not is_num:
        raise bad("a number")
    if kind in ("text", "time") and is_num:
        raise bad("a quoted string")


def parse_filter(text: str) -> FilterNode | None:
    """Parse a filter expression.

    Args:
        text: The filter, e.g. ``params.lr < 0.1 and status = "finished"``. Empty or blank
            text means "no filter".

    Returns:
        The AST, or None for an empty filter.

    Raises:
        QuerySyntaxError: If the text is not a valid filter; the message and attributes say
            where.
    """
    if len(text) > MAX_FILTER_LENGTH:
        raise InvalidArgumentError(
            f"the filter is too long ({len(text)} characters, at most {MAX_FILTER_LENGTH})"
        )
    if not text.strip():
        return None
    return _Parser(text).parse()


def fields_of(node: FilterNode) -> list[Field]:
    """Every field a filter names, in order, once each."""
    if isinstance(node, Comparison):
        return [node.field]
    items = (node.item,) if isinstance(node, Not) else node.items
    found: list[Field] = []
    for item in items:
        for named in fields_of(item):
            if named not in found:
                found.append(named)
    return found


def evaluate_filter(node: FilterNode, lookup: Callable[[Field], Any]) -> bool:
    """Whether values (``lookup(field)``, None when absent) satisfy a filter, in memory, with
    the semantics of the run list: a comparison with an absent value is false (``= null``
    asks for it), ``~`` is a case-insensitive substring."""
    if isinstance(node, And):
        return all(evaluate_filter(item, lookup) for item in node.items)
    if isinstance(node, Or):
        return any(evaluate_filter(item, lookup) for item in node.items)
    if isinstance(node, Not):
        return not evaluate_filter(node.item, lookup)
    actual = lookup(node.field)
    value, op = node.value, node.op
    if value is None:
        return (actual is None) == (op == "=")
    if actual is None:
        return False
    if op == "~":
        return str(value).lower() in str(actual).lower()
    if isinstance(value, bool) or isinstance(actual, bool):
        equal = actual == value and isinstance(actual, bool) == isinstance(value, bool)
        return equal if op == "=" else (not equal if op == "!=" else False)
    if isinstance(value, (int, float)) != isinstance(actual, (int, float)):
        return op == "!="
    try:
        return bool(
            {
                "=": actual == value,
                "!=": actual != value,
                "<": actual < value,
                "<=": actual <= value,
                ">": actual > value,
                ">=": actual >= value,
            }[op]
        )
    except TypeError:
        return False


def _format_value(value: Value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def format_filter(node: FilterNode) -> str:
    """Write an AST back as filter text that :func:`parse_filter` reads as the same AST.

    Args:
        node: The AST.

    Returns:
        The filter text (fully parenthesized).
    """
    if isinstance(node, Comparison):
        f = node.field
        if f.kind == "column":
            attr = f.name
        elif re.fullmatch(r"[A-Za-z_]\w*", f.name):
            attr = f"{f.kind}.{f.name}"
        else:
            attr = f"{f.kind}.`{f.name}`"
        return f"{attr} {node.op} {_format_value(node.value)}"
    if isinstance(node, Not):
        return f"not ({format_filter(node.item)})"
    joiner = " and " if isinstance(node, And) else " or "
    return "(" + joiner.join(f"({format_filter(i)})" for i in node.items) + ")"


# -- sorting ------------------------------------------------------------------------------

_SORT_COLUMNS = ("started_at", "ended_at", "duration", "name", "status", "experiment")


@dataclass(frozen=True)
class SortKey:
    """What to sort runs by: a runs column (``kind`` = ``column``) or a param or metric."""

    kind: str
    name: str

    def __str__(self) -> str:
        return self.name if self.kind == "column" else f"{self.kind}.{self.name}"


#: Newest first.
DEFAULT_SORT = SortKey("column", "started_at")


def parse_sort(text: str) -> SortKey:
    """Parse a sort key: a column name, ``params.<name>`` or ``metrics.<name>``.

    Args:
        text: The key. After ``params.``/``metrics.`` any non-empty name is taken verbatim.

    Returns:
        The key.

    Raises:
        InvalidArgumentError: If the key is unknown.
    """
    if text in _SORT_COLUMNS:
        return SortKey("column", text)
    kind, dot, name = text.partition(".")
    if dot and kind in ("params", "metrics") and name:
        return SortKey(kind, name)
    raise InvalidArgumentError(
        f"invalid sort key {text!r:.80}: use one of {', '.join(_SORT_COLUMNS)}, "
        "params.<name> or metrics.<name>"
    )


# -- results ------------------------------------------------------------------------------


@dataclass
class RunPage:
    """One page of listed runs.

    Attributes:
        runs: Run summaries (see :func:`run_summary`), strict-JSON ready.
        total: How many runs match the filter in all.
        version: Change token of the store when the page was read: it differs after any run
            is created or updated.
        skipped: ``{"id", "reason"}`` of the runs of the page whose record could not be read
            (left out of ``runs``, still counted in ``total``).
    """

    runs: list[dict[str, Any]]
    total: int
    version: str
    skipped: list[dict[str, str]] = field(default_factory=list)


def _git_summary(git: GitInfo | None) -> dict[str, Any] | None:
    if git is None:
        return None
    return {"commit": git.commit, "branch": git.branch, "dirty": git.dirty}


def run_summary(run: Run) -> dict[str, Any]:
    """Return the small, strict-JSON view of a run used by lists and comparisons.

    It leaves out the source, environment, history and outputs, which can be large.

    Args:
        run: The run.

    Returns:
        ``{id, name, experiment, status, started_at, ended_at, duration, params, metrics,
        tags, reproduction_of, sweep_id, git, notebook_path, error_type}``.
    """
    summary: dict[str, Any] = json_safe(
        {
            "id": run.id,
            "name": run.name,
            "experiment": run.experiment,
            "status": RunStatus(run.status).value,
            "started_at": format_datetime(run.started_at),
            "ended_at": None if run.ended_at is None else format_datetime(run.ended_at),
            "duration": run.duration,
            "params": run.params,
            "metrics": run.metrics,
            "tags": run.tags,
            "reproduction_of": run.reproduction_of,
            "sweep_id": run.sweep_id,
            "git": _git_summary(run.git),
            "notebook_path": None if run.notebook is None else run.notebook.path,
            "error_type": None if run.error is None else run.error.type,
        }
    )
    return summary
