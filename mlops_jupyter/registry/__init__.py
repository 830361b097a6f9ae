"""The model lifecycle: a registry of versioned models with aliases and their history,
rollback, and lineage back to the data and code that made each version.

The core of it; the magic, the CLI, the REST handlers and the sidebar are faces over
:class:`Registry` and :func:`lineage`.
"""

from __future__ import annotations

from .actor import USER_ENV, default_actor
from .artifacts import FLAVORS, Manifest, ManifestFile, signature_of
from .lineage import Lineage, Node, lineage, resolve_node
from .refs import ModelRef, parse_ref
from .registry import ALIAS_KINDS, Registry, require_reason

__all__ = [
    "ALIAS_KINDS",
    "FLAVORS",
    "USER_ENV",
    "Lineage",
    "Manifest",
    "ManifestFile",
    "ModelRef",
    "Node",
    "Registry",
    "default_actor",
    "lineage",
    "parse_ref",
    "require_reason",
    "resolve_node",
    "signature_of",
]
