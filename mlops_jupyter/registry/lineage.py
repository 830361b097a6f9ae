"""Lineage: walk the store's edge table back from a model version (or a run) to the data, code
and parameters that made it, or forward from data to every run and version that used it.

Nodes are ``(kind, id)``: ``alias`` (``name@alias``), ``version`` (``name/3``), ``run``,
``data`` (a content sha256), ``file`` (an absolute path), ``url``, ``snapshot`` (a notebook
snapshot blob), ``commit``, ``sweep``. Each walk is a handful of indexed queries, one per
level, whatever the store's size.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import InvalidArgumentError, MlopsError, NotFoundError
from ..models import Run
from ..store.lifecycle import Edge
from .artifacts import file_sha256
from .refs import parse_ref

if TYPE_CHECKING:
    from .registry import VersionRegistry

__all__ = ["Lineage", "Node", "lineage", "resolve_node"]

_SHA_RE = re.compile(r"[0-9a-f]{64}")
_RUN_PREFIX_RE = re.compile(r"[0-9a-f]{4,32}")
#: A walk stops after this many nodes (``truncated`` says so).
MAX_NODES = 2000
#: Runs described in full (parameters, metrics, source); the others by id only.
MAX_DESCRIBED_RUNS = 200
_MAX_DEPTH = 8


@dataclass
class Node:
    """One node of a lineage graph.

    Attributes:
        kind: ``alias``, ``version``, ``run``, ``data``, ``file``, ``url``, ``snapshot``,
            ``commit`` or ``sweep``.
        id: Its id (``churn@champion``, ``churn/3``, a run id, a sha256, a path...).
        label: A short human description.
        detail: What the store knows about it (a run's parameters, metrics and source; a
            data node's paths and size; a version's flavor and files...).
    """

    kind: str
    id: str
    label: str = ""
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The node as JSON."""
        return {"kind": self.kind, "id": self.id, "label": self.label, "detail": self.detail}


@dataclass
class Lineage:
    """The answer of a walk.

    Attributes:
        ref: What was asked for.
        direction: ``back`` (what it came from) or ``forward`` (what came from it).
        roots: The nodes the reference resolved to.
        nodes: Every node reached, roots first, by distance.
        edges: Every edge walked (source -> destination, whatever the direction).
        truncated: Whether the walk stopped at :data:`MAX_NODES`.
    """

    ref: str
    direction: str
    roots: list[tuple[str, str]]
    nodes: dict[tuple[str, str], Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    truncated: bool = False

    def of_kind(self, kind: str) -> list[Node]:
        """The nodes of one kind, in walk order."""
        return [n for n in self.nodes.values() if n.kind == kind]

    def to_json(self) -> dict[str, Any]:
        """The graph as ``lineage --json`` and the API give it."""
        return {
            "ref": self.ref,
            "direction": self.direction,
            "roots": [{"kind": k, "id": i} for k, i in self.roots],
            "nodes": [n.to_json() for n in self.nodes.values()],
            "edges": [_edge_json(e) for e in self.edges],
            "truncated": self.truncated,
        }


def _edge_json(edge: Edge) -> dict[str, str]:
    return {
        "src_kind": edge.src_kind,
        "src": edge.src,
        "dst_kind": edge.dst_kind,
        "dst": edge.dst,
        "relation": edge.relation,
    }


def _path_nodes(path: str) -> list[tuple[str, str]]:
    """A path, the folders above it (a folder input holding it), and its content's digest."""
    found = [("file", path)]
    parent = os.path.dirname(path)
    while parent and parent != os.path.dirname(parent):
        found.append(("file", parent))
        parent = os.path.dirname(parent)
    if os.path.isfile(path):
        sha = file_sha256(path)
        if sha is not None:
            found.insert(1, ("data", sha))
    return found


def _looks_like_path(ref: str) -> bool:
    return "/" in ref or os.sep in ref or ref.startswith((".", "~"))


def _inside(path: str, folder: str) -> bool:
    real, root = os.path.realpath(path), os.path.realpath(folder)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def _run_node(registry: VersionRegistry, ref: str) -> list[tuple[str, str]]:
    ref = ref.lower()
    ids = [ref] if len(ref) == 32 else registry.store.run_ids_with_prefix(ref, 2)
    if len(ids) > 1:
        raise InvalidArgumentError(f"ambiguous: several runs start with {ref}")
    if not ids:
        return []
    registry.store.get_run(ids[0])  # RunNotFoundError if unknown
    return [("run", ids[0])]


def _model_nodes(registry: VersionRegistry, ref: str, cwd: str) -> list[tuple[str, str]]:
    """A model reference's nodes, or [] when ``ref`` is not one (a path, a run id)."""
    if "@" in ref:
        parsed = parse_ref(ref)
        return [("alias", str(parsed)), ("version", registry.resolve(parsed).ref)]
    try:
        parsed = parse_ref(ref)
    except InvalidArgumentError:
        return []
    try:
        return [("version", registry.resolve(parsed).ref)]
    except NotFoundError:
        if parsed.version is not None and not os.path.exists(os.path.join(cwd, ref)):
            raise
        return []


def resolve_node(
    registry: VersionRegistry, ref: str, *, cwd: str | None = None, confine: str | None = None
) -> list[tuple[str, str]]:
    """The nodes a reference names: a model reference (``NAME@ALIAS``, ``NAME/VERSION``, a
    model's name), a sha256, a run id (or a prefix of one), or a file or folder path (with
    the digest of the file's current content).

    Args:
        registry: The registry.
        ref: The reference.
        cwd: Folder relative paths are resolved in.
        confine: A folder file paths must stay inside (requests from the network: the
            server's root); a path outside is refused before anything is read.

    Raises:
        InvalidArgumentError: If it is empty, or a path leaves ``confine``.
        NotFoundError: If it names nothing the store knows.
    """
    if not isinstance(ref, str) or not ref.strip():
        raise InvalidArgumentError("give a run id, NAME@ALIAS, NAME/VERSION, a file or a digest")
    ref = ref.strip()
    cwd = cwd or os.getcwd()
    if _SHA_RE.fullmatch(ref.lower()):
        return [("data", ref.lower())]
    model = _model_nodes(registry, ref, cwd)
    if model:
        return model
    path = os.path.abspath(os.path.join(cwd, ref if confine else os.path.expanduser(ref)))
    is_path = _looks_like_path(ref) or os.path.lexists(path)
    if confine is not None and is_path and not _inside(path, confine):
        raise InvalidArgumentError(f"{ref!r:.100} is outside the server's root folder")
    found = (_path_nodes(path) if is_path else []) or (
        _run_node(registry, ref) if _RUN_PREFIX_RE.fullmatch(ref.lower()) else []
    )
    if not found:
        raise NotFoundError(
            f"{ref!r:.100} names nothing in the store: not a run id, a model (NAME@ALIAS, "
            "NAME/VERSION), a file or a sha256"
        )
    return found


class _Walk:
    def __init__(self, registry: VersionRegistry, result: Lineage) -> None:
        self.registry = registry
        self.log = registry.log
        self.result = result
        self.runs: dict[str, Run] = {}
        #: sha256 -> "name/3:model.pkl" for the versions' own files.
        self.model_files: dict[str, str] = {}

    def add(self, kind: str, ident: str) -> bool:
        key = (kind, ident)
        if key in self.result.nodes:
            return False
        if len(self.result.nodes) >= MAX_NODES:
            self.result.truncated = True
            return False
        self.result.nodes[key] = Node(kind, ident)
        return True

    def _by_kind(self, frontier: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
        grouped: dict[str, list[str]] = {}
        for kind, ident in frontier:
            grouped.setdefault(kind, []).append(ident)
        return grouped

    def back(self, roots: list[tuple[str, str]]) -> None:
        frontier = [r for r in roots if self.add(*r) or True]
        for _ in range(_MAX_DEPTH):
            following: list[tuple[str, str]] = []
            for kind, ids in self._by_kind(frontier).items():
                for edge in self.log.edges_to(kind, ids):
                    self.result.edges.append(edge)
                    if self.add(edge.src_kind, edge.src):
                        following.append((edge.src_kind, edge.src))
            if not following:
                break
            frontier = following

    def forward(self, roots: list[tuple[str, str]]) -> None:
        frontier = [r for r in roots if self.add(*r) or True]
        for _ in range(_MAX_DEPTH):
            following: list[tuple[str, str]] = []
            for kind, ids in self._by_kind(frontier).items():
                if kind == "version":
                    following += self._aliases_of(ids)
                for edge in self.log.edges_from(kind, ids):
                    self.result.edges.append(edge)
                    if self.add(edge.dst_kind, edge.dst):
                        following.append((edge.dst_kind, edge.dst))
            if not following or self.result.truncated:
                break
            frontier = following

    def _aliases_of(self, refs: list[str]) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        by_model: dict[str, set[int]] = {}
        for ref in refs:
            name, _, number = ref.rpartition("/")
            by_model.setdefault(name, set()).add(int(number))
        for name, numbers in by_model.items():
            for alias, holder in self.log.aliases(name).items():
                if holder in numbers:
                    ident = f"{name}@{alias}"
                    self.result.edges.append(
                        Edge("version", f"{name}/{holder}", "alias", ident, "alias")
                    )
                    if self.add("alias", ident):
                        found.append(("alias", ident))
        return found

    # -- describing the nodes -----------------------------------------------------------------

    def describe(self) -> None:
        nodes = list(self.result.nodes.values())
        run_ids = [n.id for n in nodes if n.kind == "run"][:MAX_DESCRIBED_RUNS]
        for run_id in run_ids:
            try:
                self.runs[run_id] = self.registry.store.get_run(run_id)
            except MlopsError:
                pass
        inputs: dict[str, list[dict[str, Any]]] = {}
        for run in self.runs.values():
            for record in run.inputs:
                if record.sha256:
                    inputs.setdefault(record.sha256, []).append({"run": run.id, **record.to_json()})
        nodes.sort(key=lambda n: n.kind != "version")  # the versions' files label data nodes
        for node in nodes:
            describe = getattr(self, f"_describe_{node.kind}", None)
            if describe is not None:
                describe(node, inputs)
            elif not node.label:
                node.label = node.id

    def _describe_alias(self, node: Node, _: Any) -> None:
        node.label = node.id

    def _describe_version(self, node: Node, _: Any) -> None:
        name, _, number = node.id.rpartition("/")
        try:
            version = self.log.get_version(name, int(number))
        except (MlopsError, ValueError):
            node.label = f"{node.id} (unknown)"
            return
        node.detail = version.to_json()
        node.label = f"{name} version {number} ({version.flavor}, {version.files} file(s))"
        try:
            files = self.registry.manifest(version).files
        except MlopsError:
            return
        node.detail["manifest"] = [f.to_json() for f in files]
        for entry in files:
            self.model_files.setdefault(entry.sha256, f"{node.id}:{entry.path}")

    def _describe_run(self, node: Node, _: Any) -> None:
        run = self.runs.get(node.id)
        if run is None:
            node.label = f"run {node.id[:12]}"
            return
        node.label = f"run {run.id[:12]}" + (f" {run.name!r}" if run.name else "")
        python = run.env.get("python") if isinstance(run.env, dict) else None
        packages = run.env.get("packages") if isinstance(run.env, dict) else None
        node.detail = {
            "id": run.id,
            "name": run.name,
            "experiment": run.experiment,
            "status": run.status.value,
            "started_at": run.to_json()["started_at"],
            "params": run.params,
            "metrics": run.metrics,
            "source": run.source,
            "cell_id": run.cell_id,
            "notebook": run.notebook.to_json() if run.notebook else None,
            "git": run.git.to_json() if run.git else None,
            "environment": {
                "python": python.get("version") if isinstance(python, dict) else None,
                "packages": len(packages) if isinstance(packages, (dict, list)) else None,
                "env_sha256": run.extra.get("env_sha256"),
            },
            "inputs": [r.to_json() for r in run.inputs],
            "seed": run.seed,
            "reproduction_of": run.reproduction_of,
            "sweep_id": run.sweep_id,
        }

    def _describe_data(self, node: Node, inputs: dict[str, list[dict[str, Any]]]) -> None:
        if node.id in self.model_files and node.id not in inputs:
            node.detail = {"sha256": node.id, "model_file": self.model_files[node.id]}
            node.label = f"model file {self.model_files[node.id]} sha256 {node.id[:12]}"
            return
        seen = inputs.get(node.id) or []
        paths = list(dict.fromkeys(str(s["path"]) for s in seen))
        node.detail = {"sha256": node.id, "paths": paths}
        if seen:
            node.detail["size"] = seen[0].get("size")
            node.detail["hashing"] = seen[0].get("hashing", "full")
        node.label = (paths[0] if paths else "data") + f" sha256 {node.id[:12]}"

    def _describe_file(self, node: Node, _: Any) -> None:
        node.label = node.id

    def _describe_snapshot(self, node: Node, _: Any) -> None:
        node.label = f"notebook snapshot {node.id[:12]}"

    def _describe_commit(self, node: Node, _: Any) -> None:
        node.label = f"git commit {node.id[:12]}"

    def _describe_drift(self, node: Node, _: Any) -> None:
        node.label = f"drift check {node.id}"
        try:
            events = self.log.events(after=int(node.id) - 1, limit=1)
        except ValueError:
            return
        if events and isinstance(events[0].details, dict):
            details = events[0].details
            node.detail = {
                k: details.get(k)
                for k in ("verdict", "drift_share", "drifted_columns", "reference", "batch")
            }
            node.label = f"drift check {node.id}: {details.get('verdict')} ({events[0].at[:10]})"


def _recorded_elsewhere(
    registry: VersionRegistry, ref: str, roots: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    """A relative path that is not here may name files runs read from another folder
    (``data/train.csv`` of a notebook elsewhere): the recorded paths ending with it."""
    relative = os.path.normpath(ref)
    if os.path.isabs(relative) or relative.startswith(".."):
        return []
    known = {node for node in roots}
    found = registry.log.sources_ending_with("file", os.sep + relative)
    return [("file", path) for path in found if ("file", path) not in known]


def lineage(
    registry: VersionRegistry,
    ref: str,
    *,
    reverse: bool = False,
    cwd: str | None = None,
    confine: str | None = None,
) -> Lineage:
    """Walk back from ``ref`` to what made it (``reverse``: forward to what was made from it).

    Args:
        registry: The registry over the store.
        ref: A run id, ``NAME@ALIAS``, ``NAME/VERSION``, a file path or a sha256.
        reverse: Walk forward (``lineage --reverse``).
        cwd: Folder relative paths are resolved in.
        confine: A folder file paths must stay inside (see :func:`resolve_node`).
    """
    roots = resolve_node(registry, ref, cwd=cwd, confine=confine)
    if reverse and roots[0][0] == "file" and not os.path.exists(roots[0][1]):
        roots += _recorded_elsewhere(registry, ref, roots)
    result = Lineage(ref=ref, direction="forward" if reverse else "back", roots=roots)
    walk = _Walk(registry, result)
    if reverse:
        walk.forward(roots)
    else:
        if roots[0][0] == "alias":
            result.edges.append(Edge("version", roots[1][1], "alias", roots[0][1], "alias"))
        walk.back(roots)
    # Folders above a file that no run read are not part of the answer.
    for key in [k for k in result.nodes if k in roots[1:] and k[0] == "file"]:
        if not any(e.src == key[1] or e.dst == key[1] for e in result.edges):
            del result.nodes[key]
    walk.describe()
    return result
