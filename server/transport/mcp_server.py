"""The SDK `Server` with our tool registry behind `tools/list` and `tools/call`, and the MCP Apps views
behind `resources/read`."""

from __future__ import annotations

import logging
import time
from typing import Any

import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel.server import Server
from mcp.shared.exceptions import MCPError
from mcp_types.jsonrpc import INVALID_PARAMS

from server import __version__
from server.connections import AuthenticatedConnection
from server.services import Services
from server.tools.registry import ProgressFn, ToolRegistry, error_result
from server.views import EXTENSION_ID, MIME_TYPE, ViewCatalog, load_views

logger = logging.getLogger(__name__)

CONNECTION_SCOPE_KEY = "mistral_mcp.connection"

INSTRUCTIONS = (
    "Tools for the Mistral AI API, called with the user's own Mistral key: chat completions, function "
    "calling, embeddings, Codestral code completion, moderation and classification, agents, models, "
    "files, fine-tuning jobs, batch jobs and OCR. Use mistral_list_models to find a model id and "
    "mistral_list_agents for an agent id. Upload data with mistral_upload_file before fine-tuning, batch "
    "or OCR of a file; run fine-tuning with dry_run first to see the cost. Delete and cancel tools cannot "
    "be undone. Each result has readable text and the full Mistral response in structuredContent; lists "
    "come a page at a time and the text says how to get the next page or file window."
)


def _request_parts(ctx: ServerRequestContext[Any, Any]) -> tuple[Services, AuthenticatedConnection]:
    request = ctx.request
    if request is None:
        raise KeyError(CONNECTION_SCOPE_KEY)
    return request.state.services, request.scope[CONNECTION_SCOPE_KEY]


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


def _may_show_views(ctx: ServerRequestContext[Any, Any]) -> bool:
    """Whether the client may render MCP Apps views: it declared so (2026-07-28 requests carry their
    capabilities), or it could not tell us (a handshake-era client's capabilities stay with its
    `initialize`, which a stateless server does not keep)."""
    capabilities = ctx.session.client_capabilities
    if capabilities is None:
        return True
    settings = (capabilities.extensions or {}).get(EXTENSION_ID)
    return isinstance(settings, dict) and MIME_TYPE in (settings.get("mimeTypes") or [])


def build_mcp_server(registry: ToolRegistry, views: ViewCatalog | None = None) -> Server[Any]:
    views = views if views is not None else load_views()

    async def list_tools(
        ctx: ServerRequestContext[Any, Any], _params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        # A tool only views call is offered to no model: hosts that render views leave it out of the
        # model's list themselves (the Apps spec asks them to); to any other client it is no use.
        return registry.listing(app_tools=_may_show_views(ctx))

    async def call_tool(
        ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        try:
            services, connection = _request_parts(ctx)
        except (AttributeError, KeyError):
            logger.error("tools/call reached the SDK without an authenticated connection")
            return error_result("This request is not authenticated; use your personal MCP URL.")
        # Only registry names become log fields and metric labels, never what the client typed.
        tool = params.name if params.name in registry else "unknown"
        fields = {"tool": tool, "connection_id": connection.id, "request_id": _request_id(ctx)}
        async with services.limits.calls.admit(connection.id) as refusal:
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
            logger.info("tool call", extra={**fields, "outcome": outcome, "duration_ms": round(elapsed * 1000, 1)})

    # --- MCP Apps views (ui:// resources) -------------------------------------------------------------
    async def list_resources(
        _ctx: ServerRequestContext[Any, Any], _params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        # Hosts find views through the tools' _meta.ui.resourceUri; the Apps spec lets servers leave
        # them out of this list, where clients would offer them to attach like documents.
        return types.ListResourcesResult(resources=[])

    async def read_resource(
        _ctx: ServerRequestContext[Any, Any], params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        found = views.read(str(params.uri))
        if found is None:
            raise MCPError(INVALID_PARAMS, f"Unknown resource: {str(params.uri)[:200]}")
        return found

    server: Server[Any] = Server(
        "mistral-mcp",
        version=__version__,
        title="Mistral AI",
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_read_resource=read_resource,
        get_tool_input_schema=registry.input_schema,
    )
    # Advertised in server/discover (2026-07-28); handshake-era hosts go by the tools' _meta.ui.
    server.extensions[EXTENSION_ID] = {"mimeTypes": [MIME_TYPE]}
    return server
