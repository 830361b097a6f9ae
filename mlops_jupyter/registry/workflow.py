"""The registry as its users see it: versions and aliases, and the way a version is promoted --
gates, approval requests, promotion under the model's policy.

:class:`~.registry.VersionRegistry` keeps versions, aliases and their events; the gates
(:mod:`.gates`) and approvals (:mod:`.approvals`) work on it; :class:`Registry` joins them for
the faces (Python API, CLI, REST, triggers), so no module below needs the one above it.
"""

from __future__ import annotations

from typing import Any

from ..store.lifecycle import Event
from . import approvals
from .gates import GateResult, run_gate
from .registry import VersionRegistry

__all__ = ["Registry"]


class Registry(VersionRegistry):
    """Models, versions and aliases kept in a run store, with gates, approvals and promotion.

    Args:
        store: The run store (its lifecycle store and blobs are used).
        actor: Who acts (default: ``$MLOPS_JUPYTER_USER`` or the OS login).
        identity: How the actor is known: ``authenticated`` (a Jupyter server's user) or
            ``local`` (self-declared by a kernel or the CLI). Approvals record it.
    """

    def gate(self, name: str, version: int, **options: Any) -> GateResult:
        """Gate a candidate against an alias's holder (see :func:`.gates.run_gate`)."""
        return run_gate(self, name, version, **options)

    def request_approval(
        self, name: str, version: int, alias: str, *, comment: str | None = None
    ) -> dict[str, Any]:
        """Ask for approval to promote a version (see :mod:`.approvals`)."""
        return approvals.request_approval(self, name, version, alias, comment=comment)

    def approve(self, request_id: str, *, comment: str | None = None) -> dict[str, Any]:
        """Approve a request (not one's own, under the default policy)."""
        return approvals.vote(self, request_id, approve=True, comment=comment)

    def reject(self, request_id: str, *, comment: str) -> dict[str, Any]:
        """Reject a request, saying why."""
        return approvals.vote(self, request_id, approve=False, comment=comment)

    def requests(
        self, name: str | None = None, *, status: str | None = None
    ) -> list[dict[str, Any]]:
        """Approval requests with their state, newest first."""
        return approvals.requests(self, name, status=status)

    def promote(self, name: str, version: int, alias: str, *, reason: str) -> Event:
        """Promote a version to an alias if the policy allows it now.

        Raises:
            GuardRefusedError: With every missing condition (nothing moved).
        """
        return approvals.promote(self, name, version, alias, reason=reason)
