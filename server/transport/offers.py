"""The MCP handlers beyond tools: `resources/*`, `prompts/*` and `completion/complete`.

Thin on purpose: the work is in `server.resources` and `server.prompts`. Here our errors become
MCP protocol errors (the one place they do): a URI naming nothing this key can read, a stale
cursor, an unknown prompt are invalid params (-32602, SEP-2164); Mistral failing is an internal
error whose message says what happened. Reads and listings reach Mistral, so they pass the same
per-connection limits as tool calls; completions are asked on every keystroke and just come back
empty when refused.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp_types.jsonrpc import INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST

from server.errors import InvalidParams, MistralMcpError, ResourceNotFound, UpstreamError
from server.prompts import Prompts, complete
from server.resources import Resources
from server.tools.families import Caller
from server.transport.context import family_caller, request_id, request_parts

logger = logging.getLogger(__name__)

# Implementation-defined (MCP leaves -32000..-32019 to servers): a per-connection limit refused the request.
LIMITED = -32010
_NO_COMPLETION = types.CompleteResult(completion=types.Completion(values=[], total=0, has_more=False))


def _protocol_error(exc: MistralMcpError, uri: str | None = None) -> MCPError:
    data = {"uri": uri} if uri is not None else None
    if isinstance(exc, InvalidParams):
        return MCPError(INVALID_PARAMS, str(exc), data)
    return MCPError(INTERNAL_ERROR, str(exc), data)


@asynccontextmanager
async def _admitted(ctx: ServerRequestContext[Any, Any], what: str) -> AsyncIterator[Caller]:
    """The caller, once the connection's limits let this request reach Mistral.

    Raises:
        MCPError: the request is not authenticated, or a limit refused it.
    """
    parts = request_parts(ctx)
    if parts is None:  # the endpoint lets no unauthenticated request through: a wiring bug
        logger.error("%s reached the SDK without an authenticated caller", what)
        raise MCPError(INVALID_REQUEST, "This request is not authenticated; use your personal MCP URL.")
    services, connection = parts
    async with services.limits.calls.admit(connection.id) as refusal:
        if refusal is not None:
            logger.info(
                "request refused by a rate limit",
                extra={"method": what, "connection_id": connection.id, "request_id": request_id(ctx)},
            )
            raise MCPError(LIMITED, refusal.message)
        yield family_caller(services, connection)


def _caller(ctx: ServerRequestContext[Any, Any]) -> Caller:
    """The caller, for requests that never reach Mistral (no limit applies)."""
    parts = request_parts(ctx)
    if parts is None:
        raise MCPError(INVALID_REQUEST, "This request is not authenticated; use your personal MCP URL.")
    return family_caller(*parts)


class Offers:
    """The `on_*` handlers of the SDK `Server` for resources, prompts and completions."""

    def __init__(self, resources: Resources, prompts: Prompts) -> None:
        self._resources = resources
        self._prompts = prompts

    async def list_resources(
        self, ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        async with _admitted(ctx, "resources/list") as caller:
            try:
                return await self._resources.list(caller, params.cursor if params is not None else None)
            except (InvalidParams, UpstreamError) as exc:
                raise _protocol_error(exc) from None

    async def list_resource_templates(
        self, ctx: ServerRequestContext[Any, Any], _params: types.PaginatedRequestParams | None
    ) -> types.ListResourceTemplatesResult:
        return self._resources.templates(_caller(ctx))

    async def read_resource(
        self, ctx: ServerRequestContext[Any, Any], params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        async with _admitted(ctx, "resources/read") as caller:
            try:
                return await self._resources.read(caller, params.uri)
            except ResourceNotFound as exc:
                raise _protocol_error(exc, params.uri) from None
            except UpstreamError as exc:
                fields = {"status": exc.status, "request_id": request_id(ctx)}
                logger.info("resource read failed upstream", extra=fields)
                raise _protocol_error(exc, params.uri) from None

    async def list_prompts(
        self, ctx: ServerRequestContext[Any, Any], _params: types.PaginatedRequestParams | None
    ) -> types.ListPromptsResult:
        return self._prompts.listing(_caller(ctx))

    async def get_prompt(
        self, ctx: ServerRequestContext[Any, Any], params: types.GetPromptRequestParams
    ) -> types.GetPromptResult:
        try:
            return self._prompts.get(_caller(ctx), params.name, params.arguments)
        except InvalidParams as exc:
            raise _protocol_error(exc) from None

    async def complete(
        self, ctx: ServerRequestContext[Any, Any], params: types.CompleteRequestParams
    ) -> types.CompleteResult:
        try:
            async with _admitted(ctx, "completion/complete") as caller:
                return types.CompleteResult(completion=await complete(caller, params))
        except MCPError:
            return _NO_COMPLETION
