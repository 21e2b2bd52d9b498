"""The SDK `Server` with our tool registry behind `tools/list` and `tools/call`."""

from __future__ import annotations

import logging
import time
from typing import Any

import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel.server import Server

from server import __version__
from server.connections import AuthenticatedConnection
from server.services import Services
from server.tools.registry import ProgressFn, ToolRegistry, error_result

logger = logging.getLogger(__name__)

CONNECTION_SCOPE_KEY = "mistral_mcp.connection"

INSTRUCTIONS = (
    "Tools for the Mistral AI API, called with the user's own Mistral key: chat completions, "
    "function calling, embeddings, Codestral code completion and moderation. Each tool's result "
    "has readable text and the full Mistral response in structuredContent."
)


def _request_parts(ctx: ServerRequestContext[Any, Any]) -> tuple[Services, AuthenticatedConnection]:
    request = ctx.request
    return request.state.services, request.scope[CONNECTION_SCOPE_KEY]


def _progress_fn(ctx: ServerRequestContext[Any, Any]) -> ProgressFn | None:
    if not ctx.meta or ctx.meta.get("progress_token") is None:
        return None

    async def report(progress: float, total: float | None, message: str | None) -> None:
        await ctx.session.report_progress(progress, total, message)

    return report


def build_mcp_server(registry: ToolRegistry) -> Server[Any]:
    async def list_tools(
        _ctx: ServerRequestContext[Any, Any], _params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return registry.listing()

    async def call_tool(
        ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        try:
            services, connection = _request_parts(ctx)
        except (AttributeError, KeyError):
            logger.error("tools/call reached the SDK without an authenticated connection")
            return error_result("This request is not authenticated; use your personal MCP URL.")
        started = time.perf_counter()
        result, output = await registry.call(
            params.name,
            params.arguments if params.arguments is not None else {},
            upstream=services.upstream,
            api_key=connection.api_key,
            progress=_progress_fn(ctx),
        )
        if params.name in registry:
            services.usage.record(
                connection.id, params.name, error=bool(result.is_error), usage=output.usage if output else None
            )
        logger.info(
            "tool call",
            extra={
                "tool": params.name if params.name in registry else "unknown",
                "connection_id": connection.id,
                "outcome": "error" if result.is_error else "ok",
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        return result

    server: Server[Any] = Server(
        "mistral-mcp",
        version=__version__,
        title="Mistral AI",
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        get_tool_input_schema=registry.input_schema,
    )
    return server
