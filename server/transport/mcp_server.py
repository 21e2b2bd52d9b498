"""The SDK `Server` with our tool registry behind `tools/list` and `tools/call`."""

from __future__ import annotations

import logging
import time
from typing import Any

import anyio
import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel.server import Server

from server import __version__
from server.callers import caller_of
from server.connections import AuthenticatedConnection
from server.services import Services
from server.tools.registry import ProgressFn, ToolRegistry, error_result
from server.usage import billed_tokens

logger = logging.getLogger(__name__)

INSTRUCTIONS = (
    "Tools for the Mistral AI API, called with the user's own Mistral key: chat completions, function "
    "calling, embeddings, Codestral code completion, moderation and classification, agents, models, "
    "files, fine-tuning jobs, batch jobs and OCR. Use mistral_list_models to find a model id and "
    "mistral_list_agents for an agent id. Upload data with mistral_upload_file before fine-tuning, batch "
    "or OCR of a file; run fine-tuning with dry_run first to see the cost. Delete and cancel tools cannot "
    "be undone. Each result has readable text and the full Mistral response in structuredContent; lists "
    "come a page at a time and the text says how to get the next page or file window."
)


def _request_parts(ctx: ServerRequestContext[Any, Any]) -> tuple[Services, AuthenticatedConnection] | None:
    """The app's services and the authenticated connection behind this request (see server/callers.py)."""
    request = ctx.request
    caller = caller_of(request) if request is not None else None
    return (request.state.services, caller.connection) if request is not None and caller is not None else None


def _request_id(ctx: ServerRequestContext[Any, Any]) -> str | None:
    # Set by the access-log middleware, which also logs it: the two lines can be joined.
    request_id = getattr(ctx.request.state, "request_id", None) if ctx.request is not None else None
    return request_id if isinstance(request_id, str) else None


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
        parts = _request_parts(ctx)
        if parts is None:  # the endpoint lets no unauthenticated request through: a wiring bug
            logger.error("tools/call reached the SDK without an authenticated caller")
            return error_result("This request is not authenticated; use your personal MCP URL.")
        services, connection = parts
        # Only registry names become log fields and metric labels, never what the client typed.
        tool = params.name if params.name in registry else "unknown"
        fields = {"tool": tool, "connection_id": connection.id, "request_id": _request_id(ctx)}
        caps = services.connections.caps(connection.id)  # stand-in: the connection's policy, once it exists
        async with services.limits.calls.admit(connection.id) as refusal:
            if refusal is None:
                refusal = await services.limits.caps.admit(connection.id, caps.calls_per_day, caps.tokens_per_month)
            if refusal is not None:
                services.metrics.tool_calls.labels(tool, "rate_limited").inc()
                logger.info(
                    "tool call refused by a rate limit",
                    extra={**fields, "outcome": "rate_limited", "limit": refusal.limit},
                )
                return error_result(refusal.message)
            return await run_tool(ctx, params, services, connection, fields)

    async def run_tool(
        ctx: ServerRequestContext[Any, Any],
        params: types.CallToolRequestParams,
        services: Services,
        connection: AuthenticatedConnection,
        fields: dict[str, Any],
    ) -> types.CallToolResult:
        metrics = services.metrics
        started = time.perf_counter()
        metrics.tool_calls_in_flight.inc()
        # Until the call returns, it counts as cancelled: the client hung up, or the server is shutting
        # down. Mistral may have worked (and billed) meanwhile, so the call is recorded either way.
        outcome, failed, usage = "cancelled", True, None
        try:
            result, output = await registry.call(
                params.name,
                params.arguments if params.arguments is not None else {},
                upstream=services.upstream,
                api_key=connection.api_key,
                progress=_progress_fn(ctx),
            )
            failed, usage = bool(result.is_error), (output.usage if output else None)
            outcome = "error" if failed else "ok"
            return result
        finally:
            metrics.tool_calls_in_flight.dec()
            elapsed = time.perf_counter() - started
            metrics.tool_calls.labels(fields["tool"], outcome).inc()
            metrics.tool_duration.labels(fields["tool"]).observe(elapsed)
            if params.name in registry:
                services.usage.record(connection.id, params.name, error=failed, usage=usage)
                with anyio.CancelScope(shield=True):  # Mistral billed them even if the client hangs up now
                    await services.limits.caps.record(connection.id, billed_tokens(usage))
            logger.info("tool call", extra={**fields, "outcome": outcome, "duration_ms": round(elapsed * 1000, 1)})

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
