"""What an MCP handler knows of its request: the services, the authenticated connection, the caller."""

from __future__ import annotations

from typing import Any

from mcp.server.context import ServerRequestContext

from server.callers import caller_of
from server.connections import AuthenticatedConnection
from server.services import Services
from server.tools.families import Caller


def request_parts(ctx: ServerRequestContext[Any, Any]) -> tuple[Services, AuthenticatedConnection] | None:
    """The app's services and the connection the authentication seam (server/callers.py) let in; None
    only if a request reached the SDK without passing it (a wiring bug)."""
    request = ctx.request
    caller = caller_of(request) if request is not None else None
    return (request.state.services, caller.connection) if request is not None and caller is not None else None


def request_id(ctx: ServerRequestContext[Any, Any]) -> str | None:
    # Set by the access-log middleware, which also logs it: the two lines can be joined.
    found = getattr(ctx.request.state, "request_id", None) if ctx.request is not None else None
    return found if isinstance(found, str) else None


def family_caller(services: Services, connection: AuthenticatedConnection) -> Caller:
    """The caller as resources, prompts and completions see it: the one place a connection's profile
    says which tool families they may reach."""
    return Caller(services.upstream, connection.api_key, allows=connection.policy.profile.covers)
