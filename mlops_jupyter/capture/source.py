"""Parameters read from (and written into) the source of a notebook cell.

A tracked cell's parameters are its top-level assignments of Python literals::

    lr = 0.01
    layers = [64, 32]
    name: str = "baseline"

They are found with :mod:`ast` (the cell is never executed for this) and can be rewritten in
place for reproductions and sweeps, leaving every other byte of the cell untouched.
"""

from __future__ import annotations

import ast
import keyword
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .values import to_json_value

__all__ = [
    "MAX_PARAM_NAME_LENGTH",
    "apply_param_overrides",
    "extract_literal_params",
    "is_valid_param_name",
    "mask_code",
    "parse_key_value",
    "parse_papermill_parameters",
    "validate_param_name",
]

MAX_PARAM_NAME_LENGTH = 100

# The tokenizer only knows these three line endings; str.splitlines() knows more (\x0c,
# \u2028, ...) and would shift the line numbers that ast reports.
_NEWLINE_RE = re.compile(r"\r\n|\r|\n")

# IPython-only syntax that ast.parse rejects: line/cell magics (%x, %%x), shell escapes
# (!ls, !!ls), help (?x, x?, x??), the auto-call prefixes (/f x, ,f x, ;f x) and captures
# of magics or shell output (files = !ls, t = %timeit -o f()). Only lines that make the
# parse fail are blanked, so a "%s" or "why?" inside a string literal is left alone.
_IPYTHON_LINE_SOURCE = r"""
    ^[ \t]*(?:
        [%!?/,;]                                      # magic, shell, help, auto-call
      | [A-Za-z_][\w.]*(?:[ \t]*,[ \t]*[A-Za-z_][\w.]*)*[ \t]*=[ \t]*[%!]  # x = !ls
      | [\w.*\[\]()]+[ \t]*\?\??[ \t]*$                # obj? / obj.attr??
    )
    """
_ipython_line_re: re.Pattern[str] | None = None  # compiled on first use (import stays cheap)

# Blanking is one parse per offending line; a cell with more is not worth the time.
_MAX_BLANKED_LINES = 200

# Exceptions ast.literal_eval raises on input it refuses (deep nesting gives RecursionError,
# huge literals MemoryError).
_LITERAL_ERRORS = (ValueError, TypeError, SyntaxError, MemoryError, RecursionError)


def is_valid_param_name(name: str) -> bool:
    """Tell whether ``name`` can be used as a parameter name.

    A valid name is an ASCII Python identifier of at most 100 characters that is not a
    keyword: exactly the names that can be assigned to in a cell, so a name can never smuggle
    code into a rewritten cell or a papermill call.

    Args:
        name: The candidate name.

    Returns:
        True if the name is valid.
    """
    return (
        isinstance(name, str)
        and 0 < len(name) <= MAX_PARAM_NAME_LENGTH
        and name.isascii()
        and name.isidentifier()
        and not keyword.iskeyword(name)
    )


def validate_param_name(name: str) -> str:
    """Return ``name`` unchanged if it is a valid parameter name.

    Args:
        name: The candidate name.

    Returns:
        The name.

    Raises:
        ValueError: If the name is not valid (see :func:`is_valid_param_name`).
    """
    if is_valid_param_name(name):
        return name
    shown = repr(name) if len(repr(name)) <= 120 else repr(name)[:117] + "..."
    if not isinstance(name, str):
        reason = f"must be a Python identifier, not {type(name).__name__}"
    elif keyword.iskeyword(name):
        reason = "must be a Python identifier, not a keyword"
    elif len(name) > MAX_PARAM_NAME_LENGTH:
        reason = f"must be a Python identifier of at most {MAX_PARAM_NAME_LENGTH} characters"
    elif name.isidentifier() and not name.isascii():
        reason = "must be a Python identifier (ASCII letters, digits and underscores only)"
    else:
        reason = "must be a Python identifier"
    raise ValueError(f"invalid parameter name {shown}: {reason}")


def extract_literal_params(source: str) -> dict[str, Any]:
    """Read the parameters of a cell: its top-level assignments of literal values.

    Recognised: ``x = 1``, ``x: int = 1``, chained ``a = b = 1`` (both names) and unpacking
    ``a, b = 1, 2`` (each name whose own value is a literal). Values are anything
    :func:`ast.literal_eval` accepts (negative numbers, strings, lists, tuples, dicts, sets,
    None, booleans) and that can be stored as JSON; sets are returned as sorted lists.
    Ignored: non-literal values, attribute and subscript targets, names starting with ``_``,
    and assignments nested in ``if``/``for``/``def``/... blocks. When a name is assigned
    several literals, the last one wins (a later non-literal assignment is ignored).

    IPython-only lines (``%magic``, ``!shell``, ``x = !ls``, ``obj?``) are blanked before
    parsing; a cell that still does not parse has no parameters.

    Args:
        source: The cell's source.

    Returns:
        Parameter names mapped to their values, in order of first assignment. Never raises.
    """
    tree = _parse_cell(source)
    if tree is None:
        return {}
    params: dict[str, Any] = {}
    for binding in _iter_bindings(tree):
        ok, value = _literal_value(binding.value)
        if ok:
            params[binding.name] = value
    return params


def apply_param_overrides(source: str, overrides: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """Rewrite the literal assignments of some parameters in a cell's source.

    Every top-level literal assignment of an overridden name (the ones
    :func:`extract_literal_params` reports) gets the new value, written as its ``repr``; all
    other bytes of the cell are preserved, comments and formatting included. A name bound in a
    chained assignment together with names that are not overridden (``a = b = 1`` with only
    ``a`` overridden) keeps its statement and gets ``; a = <value>`` appended on the same line,
    so line numbers never change. Names the cell does not assign are not applied.

    Args:
        source: The cell's source.
        overrides: Parameter names mapped to new values. Values must be Python literals
            (None, bool, int, finite float, complex, str, bytes and lists, tuples, sets and
            dicts of those) so that the rewritten cell evaluates back to the same value;
            NumPy scalars are accepted and written as the equivalent Python number.

    Returns:
        ``(new_source, applied)``: the rewritten source and the overrides that were applied
        (the subset of ``overrides`` assigned in the cell, NumPy scalars made plain).

    Raises:
        ValueError: If a name is not a valid parameter name or a value is not a literal.
    """
    replacement_text: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name, value in overrides.items():
        validate_param_name(name)
        values[name] = _plain_value(value)
        replacement_text[name] = _literal_repr(name, values[name])
    tree = _parse_cell(source)
    if tree is None or not replacement_text:
        return source, {}

    # Group the bindings by value node: a chained assignment binds several names to one
    # node, which can only be replaced when all of them get the same new text.
    by_node: dict[int, list[_Binding]] = {}
    for binding in _iter_bindings(tree):
        if binding.name in replacement_text and _literal_value(binding.value)[0]:
            by_node.setdefault(id(binding.value), [])
    for binding in _iter_bindings(tree):
        if id(binding.value) in by_node:
            by_node[id(binding.value)].append(binding)

    offsets = _LineOffsets(source)
    edits: list[tuple[int, int, str]] = []
    appends: dict[int, list[str]] = {}  # statement end offset -> "; name = value" parts
    applied: dict[str, Any] = {}
    for bindings in by_node.values():
        node = bindings[0].value
        stmt = bindings[0].stmt
        texts = {replacement_text.get(b.name) for b in bindings}
        text = next(iter(texts)) if len(texts) == 1 else None
        if text is not None and not _is_chained_unpacking(stmt):
            start = offsets.offset(node.lineno, node.col_offset)
            end = offsets.offset(_end_lineno(node), _end_col(node))
            edits.append((start, end, text))
        else:
            # Value nodes shared with other names (a = b = 1) or nested in another bound
            # value (c = (a, b) = 1, 2) cannot be replaced: assign again after the statement.
            end = offsets.offset(_end_lineno(stmt), _end_col(stmt))
            appends.setdefault(end, []).extend(
                f"; {b.name} = {replacement_text[b.name]}"
                for b in bindings
                if b.name in replacement_text
            )
        for b in bindings:
            if b.name in replacement_text:
                applied[b.name] = values[b.name]
    edits.extend((end, end, "".join(parts)) for end, parts in appends.items())

    # Splice from the end so earlier offsets stay valid.
    new_source = source
    for start, end, text in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        new_source = new_source[:start] + text + new_source[end:]
    return new_source, {name: values[name] for name in values if name in applied}


def parse_papermill_parameters(source: str) -> dict[str, Any] | None:
    """Read the parameters of a cell injected by papermill.

    Papermill writes the values it was given into a new cell whose source starts with the
    comment line ``# Parameters``, followed by one literal assignment per parameter.

    Args:
        source: A cell's source.

    Returns:
        The literal parameters of the cell, or None if it is not a papermill parameters cell.
    """
    for line in _NEWLINE_RE.split(source):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped != "# Parameters":
            return None
        return extract_literal_params(source)
    return None


def parse_key_value(text: str) -> tuple[str, Any]:
    """Parse a ``KEY=VALUE`` command-line argument (``--param lr=0.1``, ``--tag k=v``).

    The text is split on the first ``=``. The value is read as a Python literal when it is
    one (``0.1``, ``[1, 2]``, ``'a b'``, ``True``) and kept as the raw string otherwise
    (``adam``); sets become sorted lists, as in :func:`extract_literal_params`.

    Args:
        text: The argument, e.g. ``"lr=0.1"``.

    Returns:
        ``(key, value)``.

    Raises:
        ValueError: If there is no ``=`` or the key is not a valid parameter name.
    """
    key, sep, raw = text.partition("=")
    if not sep:
        raise ValueError(f"expected KEY=VALUE, got {text!r}")
    key = key.strip()
    if not is_valid_param_name(key):
        raise ValueError(f"invalid parameter name {key!r} in {text!r}: must be a Python identifier")
    try:
        value = ast.literal_eval(raw.strip())
    except _LITERAL_ERRORS:
        return key, raw
    return key, _normalize(value)


# --------------------------------------------------------------------------- internals


class _Binding:
    """One name bound to one value node by a top-level statement."""

    __slots__ = ("name", "stmt", "value")

    def __init__(self, name: str, value: ast.expr, stmt: ast.stmt) -> None:
        self.name = name
        self.value = value
        self.stmt = stmt


def _parse_cell(source: str) -> ast.Module | None:
    """Parse a cell, blanking the IPython-only lines that plain Python rejects."""
    lines: list[str] | None = None
    text = source
    for _ in range(_MAX_BLANKED_LINES + 1):
        try:
            return ast.parse(text)
        except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
            lineno = exc.lineno if isinstance(exc, SyntaxError) else None
        if lines is None:
            lines = _NEWLINE_RE.split(source)
        if lineno is None or not 1 <= lineno <= len(lines):
            return None
        line = lines[lineno - 1]
        if not _ipython_line().match(line):
            return None
        # ``pass`` with the same indentation keeps the line numbers (and the columns of the
        # other lines) those of the original source, which apply_param_overrides relies on.
        lines[lineno - 1] = line[: len(line) - len(line.lstrip(" \t"))] + "pass"
        text = "\n".join(lines)
    return None


def _ipython_line() -> re.Pattern[str]:
    global _ipython_line_re
    if _ipython_line_re is None:
        _ipython_line_re = re.compile(_IPYTHON_LINE_SOURCE, re.VERBOSE)
    return _ipython_line_re


def _iter_bindings(tree: ast.Module) -> Iterator[_Binding]:
    """Yield the (name, value node) pairs of the module's top-level assignments."""
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                yield from _bind_target(target, stmt.value, stmt)
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            yield from _bind_target(stmt.target, stmt.value, stmt)


def _is_chained_unpacking(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Assign)
        and len(stmt.targets) > 1
        and any(isinstance(t, ast.Tuple | ast.List) for t in stmt.targets)
    )


def _bind_target(target: ast.expr, value: ast.expr, stmt: ast.stmt) -> Iterator[_Binding]:
    if isinstance(target, ast.Name):
        if not target.id.startswith("_") and is_valid_param_name(target.id):
            yield _Binding(target.id, value, stmt)
    elif isinstance(target, ast.Tuple | ast.List) and isinstance(value, ast.Tuple | ast.List):
        # Only element-wise unpacking of a literal display: a, b = 1, 2 / [a, b] = [1, 2].
        if len(target.elts) == len(value.elts) and not any(
            isinstance(e, ast.Starred) for e in (*target.elts, *value.elts)
        ):
            for sub_target, sub_value in zip(target.elts, value.elts, strict=True):
                yield from _bind_target(sub_target, sub_value, stmt)


def _literal_value(node: ast.expr) -> tuple[bool, Any]:
    """Evaluate a literal node; ``(False, None)`` if it is not a storable literal."""
    try:
        value = _normalize(ast.literal_eval(node))
        # Keep only what the run model can store (no bytes, complex, tuple keys...).
        to_json_value(value)
    except _LITERAL_ERRORS:
        return False, None
    return True, value


def _normalize(value: Any) -> Any:
    """Turn sets into sorted lists, recursively, so parameters are deterministic."""
    if isinstance(value, set | frozenset):
        items = [_normalize(v) for v in value]
        try:
            return sorted(items)
        except TypeError:
            return sorted(items, key=repr)
    if isinstance(value, list):
        return [_normalize(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_normalize(v) for v in value)
    if isinstance(value, dict):
        return {k: _normalize(v) for k, v in value.items()}
    return value


_LITERAL_SCALARS = (type(None), bool, int, float, complex, str, bytes)


def _plain_value(value: Any) -> Any:
    """Replace NumPy-like scalars (``.item()`` and a ``dtype``, no dimensions) by Python ones.

    Sweeps are often built with ``np.linspace``; ``repr(np.float64(0.1))`` is not a literal.
    """
    kind = type(value)
    if kind in _LITERAL_SCALARS:
        return value
    if kind in (list, tuple):
        return kind(_plain_value(v) for v in value)
    if kind is set:
        return {_plain_value(v) for v in value}
    if kind is dict:
        return {_plain_value(k): _plain_value(v) for k, v in value.items()}
    if hasattr(value, "dtype") and callable(getattr(value, "item", None)):
        if getattr(value, "shape", None) == ():
            return value.item()
    return value


def _literal_repr(name: str, value: Any) -> str:
    """``repr(value)`` if it is a literal that evaluates back to ``value``, else ValueError."""
    problem = _non_literal_part(value, depth=0)
    if problem is None:
        text = repr(value)
        try:
            if ast.literal_eval(text) == value:
                return text
        except _LITERAL_ERRORS:
            pass
        problem = f"{type(value).__name__} whose repr is not a literal"
    raise ValueError(
        f"cannot override parameter {name!r}: value {_short_repr(value)} is not a Python "
        f"literal ({problem}); use None, bool, int, finite float, str, bytes or "
        "lists/tuples/sets/dicts of them"
    )


def _non_literal_part(value: Any, depth: int) -> str | None:
    """Describe the first part of ``value`` that has no literal repr, or None."""
    if depth > 100:
        return "nested too deeply"
    kind = type(value)
    if kind in _LITERAL_SCALARS:
        if kind is float and not math.isfinite(value):
            return f"{value!r} has no literal form"
        if kind is complex and not (math.isfinite(value.real) and math.isfinite(value.imag)):
            return f"{value!r} has no literal form"
        return None
    if kind in (list, tuple):
        parts: Any = value
    elif kind is set:
        if not value:
            return "an empty set has no literal form"
        parts = value
    elif kind is dict:
        parts = [*value.keys(), *value.values()]
    else:
        return f"type {kind.__module__}.{kind.__qualname__}"
    for part in parts:
        problem = _non_literal_part(part, depth + 1)
        if problem is not None:
            return problem
    return None


def _short_repr(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:  # a broken __repr__ must not hide the real error
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 80 else text[:77] + "..."


class _LineOffsets:
    """Convert ast (line, UTF-8 byte column) positions to offsets in the source string."""

    def __init__(self, source: str) -> None:
        self._source = source
        self._starts = [0]
        for match in _NEWLINE_RE.finditer(source):
            self._starts.append(match.end())

    def offset(self, lineno: int, col_byte: int) -> int:
        start = self._starts[lineno - 1]
        end = self._starts[lineno] if lineno < len(self._starts) else len(self._source)
        line = self._source[start:end]
        if line.isascii():
            return start + col_byte
        # ast columns count UTF-8 bytes, not characters.
        return start + len(line.encode("utf-8", "surrogatepass")[:col_byte].decode("utf-8"))


def _end_lineno(node: ast.AST) -> int:
    end = getattr(node, "end_lineno", None)
    if not isinstance(end, int):  # pragma: no cover - ast always sets it since Python 3.8
        raise ValueError(f"no end position on {type(node).__name__}")
    return end


def _end_col(node: ast.AST) -> int:
    end = getattr(node, "end_col_offset", None)
    if not isinstance(end, int):  # pragma: no cover - ast always sets it since Python 3.8
        raise ValueError(f"no end position on {type(node).__name__}")
    return end


def mask_code(source: str, names: Iterable[str] = ()) -> str:
    """``source`` with credentials masked: token formats anywhere (see
    :func:`mlops_jupyter.redaction.redact_text`), and the literal values assigned to
    ``names`` (parameters found to be secrets) replaced by ``***REDACTED***``.

    The code keeps its shape: a masked parameter can be given back by injection (a
    reproduction injects it from the environment when it is set there).
    """
    from ..redaction import REDACTED, redact_text

    text = redact_text(source)
    wanted = [name for name in names if name]
    if not wanted:
        return text
    try:
        text, _applied = apply_param_overrides(text, dict.fromkeys(wanted, REDACTED))
    except (ValueError, SyntaxError):
        pass
    return text
