"""What an MCP handler knows of its request: the services, the authenticated connection, the caller."""

from __future__ import annotations

from typing import Any

from mcp.server.context import ServerRequestContext

from server.connections import AuthenticatedConnection
from server.services import Services
from server.tools.families import Caller

CONNECTION_SCOPE_KEY = "mistral_mcp.connection"


def request_parts(ctx: ServerRequestContext[Any, Any]) -> tuple[Services, AuthenticatedConnection]:
    """Raises:
    KeyError, AttributeError: the request reached the SDK without passing `McpEndpoint`.
    """
    request = ctx.request
    if request is None:
        raise KeyError(CONNECTION_SCOPE_KEY)
    return request.state.services, request.scope[CONNECTION_SCOPE_KEY]


def request_id(ctx: ServerRequestContext[Any, Any]) -> str | None:
    # Set by the access-log middleware, which also logs it: the two lines can be joined.
    found = getattr(ctx.request.state, "request_id", None) if ctx.request is not None else None
    return found if isinstance(found, str) else None


def caller_of(services: Services, connection: AuthenticatedConnection) -> Caller:
    """The caller as resources, prompts and completions see it.

    The one place a connection's profile and policy (issue 16) will say which tool families it may
    use: pass them as `allows`. Until then every family is allowed.
    """
    return Caller(services.upstream, connection.api_key)
