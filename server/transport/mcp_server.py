"""The SDK `Server`: our tool registry behind `tools/list` and `tools/call`, the resources, prompts
and completions of `offers.py`, and the MCP Apps views behind `resources/read`."""

from __future__ import annotations

import logging
import time
from typing import Any

import anyio
import mcp_types as types
from mcp.server.caching import CacheHint
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel.server import Server

from server import __version__
from server.connections import AuthenticatedConnection
from server.prompts import Prompts
from server.resources import build_resources
from server.services import Services
from server.tools.access import refusal as policy_refusal
from server.tools.icons import ICONS
from server.tools.registry import ProgressFn, ToolRegistry, error_result
from server.transport.context import request_id, request_parts
from server.transport.offers import Offers
from server.usage import tokens_used

__all__ = ["INSTRUCTIONS", "build_mcp_server"]
from server.views import EXTENSION_ID, MIME_TYPE, ViewCatalog, load_views

logger = logging.getLogger(__name__)

INSTRUCTIONS = (
    "Tools for the Mistral AI API, called with the user's own Mistral key: chat completions, function "
    "calling, embeddings, Codestral code completion, moderation and classification, agents, models, "
    "files, fine-tuning jobs, batch jobs and OCR. Use mistral_list_models to find a model id and "
    "mistral_list_agents for an agent id. Upload data with mistral_upload_file before fine-tuning, batch "
    "or OCR of a file; run fine-tuning with dry_run first to see the cost, and watch a job with "
    "wait_seconds. Delete and cancel tools cannot be undone. Each result has readable text and the full "
    "Mistral response in structuredContent; lists come a page at a time and the text says how to get the "
    "next page or file window. Which tools are listed is the connection owner's choice (its tool profile, "
    "changed on the manage page without a new URL)."
)

TOOL_LIST_TTL_MS = 60_000
"""How long a 2026-07-28 client may reuse a `tools/list` answer. The list changes only when its owner
changes the connection's profile or policy: a minute spares a client that lists before every turn
nearly every request, and a tool just hidden is refused on call at once (within the token cache's
second) whatever a client remembers. Private: the list is the connection's own."""


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


def build_mcp_server(
    registry: ToolRegistry, *, website_url: str | None = None, views: ViewCatalog | None = None
) -> Server[Any]:
    views = views if views is not None else load_views()

    async def list_tools(
        ctx: ServerRequestContext[Any, Any], _params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        parts = request_parts(ctx)
        if parts is None:  # the endpoint lets no unauthenticated request through: a wiring bug
            logger.error("tools/list reached the SDK without an authenticated caller")
            return types.ListToolsResult(tools=[])
        # A tool only views call is offered to no model: hosts that render views leave it out of the
        # model's list themselves (the Apps spec asks them to); to any other client it is no use.
        return registry.listing(parts[1].policy, app_tools=_may_show_views(ctx))

    async def call_tool(
        ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        parts = request_parts(ctx)
        if parts is None:  # the endpoint lets no unauthenticated request through: a wiring bug
            logger.error("tools/call reached the SDK without an authenticated caller")
            return error_result("This request is not authenticated; use your personal MCP URL.")
        services, connection = parts
        # Only registry names become log fields and metric labels, never what the client typed.
        tool = params.name if params.name in registry else "unknown"
        fields = {"tool": tool, "connection_id": connection.id, "request_id": request_id(ctx)}
        spec = registry.get(params.name)
        if spec is not None:
            manage_url = f"{services.settings.public_url}/manage"
            refused = policy_refusal(spec, params.arguments, connection.policy, manage_url)
            if refused is not None:  # the connection's own choice: no upstream call, no rate-limit slot
                services.metrics.tool_calls.labels(tool, "policy").inc()
                logger.info("tool call refused by the connection's policy", extra={**fields, "outcome": "policy"})
                return error_result(refused)
        async with services.limits.calls.admit(connection.id) as refusal:
            if refusal is None and spec is not None:
                # The owner's caps (`record` is in run_tool), after the policy and rate limits refused nothing.
                policy = connection.policy
                refusal = await services.limits.caps.admit(connection.id, policy.calls_per_day, policy.tokens_per_month)
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
                allowed_models=connection.policy.allowed_models,
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
                    await services.limits.caps.record(connection.id, tokens_used(usage))
            logger.info("tool call", extra={**fields, "outcome": outcome, "duration_ms": round(elapsed * 1000, 1)})

    # Capabilities follow from the handlers given, in both eras (initialize and server/discover).
    offers = Offers(build_resources(), Prompts())

    async def read_resource(
        ctx: ServerRequestContext[Any, Any], params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        # An MCP Apps view (ui://mistral-mcp/...), else one of the caller's mistral:// resources. Views
        # are not listed: hosts find them through the tools' _meta.ui.resourceUri.
        found = views.read(str(params.uri))
        return found if found is not None else await offers.read_resource(ctx, params)

    server: Server[Any] = Server(
        "mistral-mcp",
        version=__version__,
        title="Mistral AI",
        instructions=INSTRUCTIONS,
        website_url=website_url,
        icons=list(ICONS),
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        get_tool_input_schema=registry.input_schema,
        on_list_resources=offers.list_resources,
        on_list_resource_templates=offers.list_resource_templates,
        on_read_resource=read_resource,
        on_list_prompts=offers.list_prompts,
        on_get_prompt=offers.get_prompt,
        on_completion=offers.complete,
        cache_hints={"tools/list": CacheHint(ttl_ms=TOOL_LIST_TTL_MS, scope="private")},
    )
    # Advertised in server/discover (2026-07-28); handshake-era hosts go by the tools' _meta.ui.
    server.extensions[EXTENSION_ID] = {"mimeTypes": [MIME_TYPE]}
    return server
