"""Compiling a run list to SQL: the filter language's AST, sort keys and pages.

:func:`compile_filter` turns a :mod:`mlops_jupyter.query` AST into a boolean SQLAlchemy
expression over the ``runs`` table (values are always bound parameters, never spliced into
SQL text); :func:`sorted_query` and :func:`page_by_metric` give one page in order.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    exists,
    func,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.engine import Connection

from ...errors import InvalidArgumentError
from ...query import And, Comparison, FilterNode, Not, SortKey
from ..schema import metrics, params, runs, tags
from .rows import LIST_COLUMNS, Row, filter_text, storable_text

__all__ = [
    "check_page",
    "compile_count",
    "compile_filter",
    "page_by_metric",
    "sorted_query",
]


def _compare(column: Any, op: str, value: Any) -> ColumnElement[bool]:
    if op == "~":
        result: ColumnElement[bool] = column.icontains(value, autoescape=True)
        return result
    ops: dict[str, Any] = {
        "=": column.__eq__,
        "!=": column.__ne__,
        "<": column.__lt__,
        "<=": column.__le__,
        ">": column.__gt__,
        ">=": column.__ge__,
    }
    compared: ColumnElement[bool] = ops[op](value)
    return compared


def _compile_comparison(node: Comparison, membership: bool) -> ColumnElement[bool]:
    field, op, value = node.field, node.op, node.value
    column: Any
    if field.kind == "column":
        column = runs.c[field.name]
        if isinstance(value, str):  # compared as stored (see rows.storable_text)
            value = storable_text(value)
        if value is None:
            result: ColumnElement[bool] = column.is_(None) if op == "=" else column.is_not(None)
            return result
        compared = _compare(column, op, value)
        if column.nullable:
            # NULL would make the comparison NULL, and "not" of it NULL too: a missing
            # value must compare false, so that "not" of it is true.
            return and_(column.is_not(None), compared)
        return compared

    table = {"params": params, "metrics": metrics, "tags": tags}[field.kind]
    conditions = _keyed_conditions(node)

    def present() -> ColumnElement[bool]:
        if membership:
            return runs.c.id.in_(select(table.c.run_id).where(*conditions))
        return exists(select(1).where(table.c.run_id == runs.c.id, *conditions))

    if value is None and op == "=":
        return not_(present())
    return present()


def _keyed_conditions(node: Comparison) -> list[ColumnElement[bool]]:
    """Conditions on the child table (params, metrics, tags) for one comparison."""
    field, op, value = node.field, node.op, node.value
    table = {"params": params, "metrics": metrics, "tags": tags}[field.kind]
    conditions: list[ColumnElement[bool]] = [table.c.key == storable_text(field.name)]
    column: Any
    if value is None:
        if field.kind == "params":
            conditions.append(params.c.value_json != "null")
        elif field.kind == "metrics":
            conditions.append(metrics.c.value.is_not(None))
        return conditions
    if field.kind == "params":
        if op == "~":
            column = func.coalesce(params.c.value_text, params.c.value_json)
        elif isinstance(value, bool):
            column, value = params.c.value_json, "true" if value else "false"
        elif isinstance(value, int | float):
            column = params.c.value_num
        else:
            column = params.c.value_text
        if isinstance(value, str):
            value = filter_text(value)
    else:
        column = table.c.value
        if isinstance(value, str):
            value = storable_text(value)
    conditions.append(_compare(column, op, value))
    return conditions


def compile_filter(node: FilterNode | None, *, membership: bool = False) -> ColumnElement[bool]:
    """Compile a filter AST into a boolean SQLAlchemy expression over the ``runs`` table.

    Args:
        node: The AST (None: every run).
        membership: How conditions on params, metrics and tags are written. False:
            correlated ``EXISTS`` subqueries, probing the child table's primary key
            (``run_id``, ``key``) once per run examined: best when the query stops early
            (a page). True: ``runs.id IN (SELECT run_id ...)``, reading the matching child
            rows once from the ``(key, value, run_id)`` index: best when every run is
            examined (a count).

    Returns:
        An expression for ``select(runs).where(...)``.
    """
    if node is None:
        return true()
    if isinstance(node, Comparison):
        return _compile_comparison(node, membership)
    if isinstance(node, Not):
        return not_(compile_filter(node.item, membership=membership))
    parts = [compile_filter(i, membership=membership) for i in node.items]
    return and_(*parts) if isinstance(node, And) else or_(*parts)


def compile_count(node: FilterNode | None) -> Select[Any]:
    """Compile a query counting the runs that match a filter.

    A filter that is one comparison on a param, metric or tag (not ``= null``) is counted
    on that table alone: (``run_id``, ``key``) is its primary key, so each run has at most
    one row there, and the ``(key, value, run_id)`` index answers without touching the runs.

    Args:
        node: The AST (None: every run).

    Returns:
        A ``SELECT count(*)`` statement.
    """
    if (
        isinstance(node, Comparison)
        and node.field.kind != "column"
        and not (node.value is None and node.op == "=")
    ):
        table = {"params": params, "metrics": metrics, "tags": tags}[node.field.kind]
        return select(func.count()).select_from(table).where(*_keyed_conditions(node))
    return select(func.count()).select_from(runs).where(compile_filter(node, membership=True))


def sorted_query(condition: Any, sort: SortKey, descending: bool) -> Any:
    """The runs matching ``condition`` ordered by a column or a param (see :class:`SortKey`)."""
    query = select(*LIST_COLUMNS).where(condition)
    by_id = _direction(runs.c.id, descending)
    if sort.kind == "column":
        column = runs.c[sort.name]
        if sort.name == "started_at":  # never NULL: let the index give the order
            return query.order_by(_direction(column, descending), by_id)
        return query.order_by(column.is_(None), _direction(column, descending), by_id)
    # A param: numbers (numerically), then strings, then runs lacking it (or holding
    # a boolean, list, ...), in both directions.
    p = params.alias("sort_param")
    group = case((p.c.value_num.is_not(None), 0), (p.c.value_text.is_not(None), 1), else_=2)
    key = storable_text(sort.name)
    joined = runs.outerjoin(p, and_(p.c.run_id == runs.c.id, p.c.key == key))
    return query.select_from(joined).order_by(
        group,
        _direction(p.c.value_num, descending),
        _direction(p.c.value_text, descending),
        by_id,
    )


def page_by_metric(
    conn: Connection, condition: Any, key: str, descending: bool, limit: int, offset: int
) -> list[Row]:
    """One page sorted by a metric: walks its ``(key, value, run_id)`` index, then the
    runs lacking the metric."""
    key = storable_text(key)  # a name no metric can have matches none, on every backend
    m = metrics.alias("sort_metric")
    has_value = and_(m.c.key == key, m.c.value.is_not(None))
    with_metric = (
        select(*LIST_COLUMNS)
        .select_from(m.join(runs, runs.c.id == m.c.run_id))
        .where(has_value, condition)
    )
    rows = list(
        conn.execute(
            with_metric.order_by(
                _direction(m.c.value, descending), _direction(m.c.run_id, descending)
            )
            .limit(limit)
            .offset(offset)
        ).all()
    )
    if len(rows) == limit:
        return rows
    # The page reaches past the runs having the metric: how many there are is known
    # unless this page holds none of them.
    if rows or offset == 0:
        n_with = offset + len(rows)
    else:
        n_with = int(
            conn.execute(select(func.count()).select_from(with_metric.subquery())).scalar_one()
        )
    lacking = not_(
        exists(
            select(1).where(
                metrics.c.run_id == runs.c.id,
                metrics.c.key == key,
                metrics.c.value.is_not(None),
            )
        )
    )
    rest = conn.execute(
        select(*LIST_COLUMNS)
        .where(condition, lacking)
        .order_by(_direction(runs.c.id, descending))
        .limit(limit - len(rows))
        .offset(max(0, offset - n_with))
    ).all()
    return rows + list(rest)


def _direction(column: Any, descending: bool) -> Any:
    return column.desc() if descending else column.asc()


def check_page(limit: object, offset: object) -> None:
    """Refuse a limit or offset that is not a non-negative integer."""
    for name, value in (("limit", limit), ("offset", offset)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidArgumentError(f"{name} must be a non-negative integer, got {value!r}")
