"""The model lifecycle: a registry of versioned models with aliases and their history,
rollback, and lineage back to the data and code that made each version.

The core of it; the magic, the CLI, the REST handlers and the sidebar are faces over
:class:`Registry` and :func:`lineage`.
"""

from __future__ import annotations

from .actor import USER_ENV, default_actor
from .approvals import promote, request_approval, requests, vote
from .artifacts import FLAVORS, Manifest, ManifestFile, signature_of
from .gates import Evaluation, GateResult, run_gate
from .lineage import Lineage, Node, lineage, resolve_node
from .policy import AliasPolicy, Policy
from .refs import ModelRef, parse_ref
from .registry import ALIAS_KINDS, VersionRegistry, require_reason
from .rules import Rule, parse_rule, parse_rules
from .workflow import Registry

__all__ = [
    "ALIAS_KINDS",
    "FLAVORS",
    "USER_ENV",
    "AliasPolicy",
    "Evaluation",
    "GateResult",
    "Lineage",
    "Manifest",
    "ManifestFile",
    "ModelRef",
    "Node",
    "Policy",
    "Registry",
    "Rule",
    "VersionRegistry",
    "default_actor",
    "lineage",
    "parse_ref",
    "parse_rule",
    "parse_rules",
    "promote",
    "request_approval",
    "requests",
    "require_reason",
    "resolve_node",
    "run_gate",
    "signature_of",
    "vote",
]
