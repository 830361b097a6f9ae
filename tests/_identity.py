"""An identity provider for handler tests: the token authenticates, ``X-Test-User`` names
the user (a token's user is otherwise anonymous and new on every request)."""

from __future__ import annotations

import dataclasses
from typing import Any

from jupyter_server.auth.identity import IdentityProvider, User


class HeaderIdentityProvider(IdentityProvider):  # type: ignore[misc]
    """Token authentication, then the user named by the ``X-Test-User`` header."""

    async def get_user(self, handler: Any) -> User | None:
        user = await super()._get_user(handler)
        name = handler.request.headers.get("X-Test-User")
        if user is None or not name:
            return user
        return dataclasses.replace(user, username=name, name=name, display_name=name)
