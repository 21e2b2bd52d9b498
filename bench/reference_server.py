"""The bare reference: the least any MCP-SDK-based server of this kind can cost.

One tool, `mistral_chat`, forwarded to the upstream with a fixed key; the SDK's low-level
`Server` behind `StreamableHTTPSessionManager` in stateless mode with SSE responses, mounted
in Starlette exactly as ours is. No token lookup, no decryption, no argument validation,
no limits, no logging, no usage counting. It returns what ours returns (the reply text and
the whole Mistral response as structuredContent), so both put the same bytes on the wire.

Environment: BENCH_UPSTREAM_URL (required), BENCH_UPSTREAM_KEY (default sk-bench).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel.server import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

TOOL = types.Tool(
    name="mistral_chat",
    description="Chat with a Mistral model.",
    input_schema={
        "type": "object",
        "properties": {"prompt": {"type": "string"}, "model": {"type": "string"}},
        "required": ["prompt"],
    },
)
_LISTING = types.ListToolsResult(tools=[TOOL])


Forward = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


def build_server(forward: Forward) -> Server[Any]:

    async def list_tools(
        _ctx: ServerRequestContext[Any, Any], _params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return _LISTING

    async def call_tool(
        _ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        arguments = params.arguments or {}
        model = arguments.get("model", "mistral-small-latest")
        body = {"model": model, "messages": [{"role": "user", "content": arguments.get("prompt", "")}]}
        data = await forward(body)
        text = data["choices"][0]["message"]["content"]
        return types.CallToolResult(content=[types.TextContent(type="text", text=text)], structured_content=data)

    return Server("reference", on_list_tools=list_tools, on_call_tool=call_tool)


def _httpx_forwarder(upstream_url: str, api_key: str) -> tuple[Forward, Callable[[], Awaitable[None]]]:
    # The same pool shape as ours (server/upstream/client.py), so neither side wins on pooling.
    http = httpx.AsyncClient(
        base_url=upstream_url,
        timeout=httpx.Timeout(120, connect=10),
        limits=httpx.Limits(max_connections=1000, max_keepalive_connections=200, keepalive_expiry=30),
        headers={"authorization": f"Bearer {api_key}"},
    )

    async def forward(body: dict[str, Any]) -> dict[str, Any]:
        response = await http.post("/v1/chat/completions", json=body)
        data: dict[str, Any] = response.json()
        return data

    return forward, http.aclose


def _aiohttp_forwarder(upstream_url: str, api_key: str) -> tuple[Forward, Callable[[], Awaitable[None]]]:
    # For comparison only: how much of the reference's cost is httpx rather than the SDK.
    import aiohttp

    session: aiohttp.ClientSession | None = None
    headers = {"authorization": f"Bearer {api_key}"}

    async def forward(body: dict[str, Any]) -> dict[str, Any]:
        nonlocal session
        if session is None:
            session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1000))
        async with session.post(upstream_url + "/v1/chat/completions", json=body, headers=headers) as response:
            data: dict[str, Any] = await response.json()
            return data

    async def close() -> None:
        if session is not None:
            await session.close()

    return forward, close


def create_app() -> Starlette:
    """uvicorn factory (`bench.reference_server:create_app --factory`).

    BENCH_REFERENCE_CLIENT=aiohttp swaps the upstream client, to see what httpx itself costs;
    BENCH_REFERENCE_JSON=1 answers in JSON instead of SSE, to see what the SSE response costs.
    """
    upstream_url = os.environ["BENCH_UPSTREAM_URL"]
    api_key = os.environ.get("BENCH_UPSTREAM_KEY", "sk-bench")
    make = _aiohttp_forwarder if os.environ.get("BENCH_REFERENCE_CLIENT") == "aiohttp" else _httpx_forwarder
    forward, close = make(upstream_url, api_key)
    sessions = StreamableHTTPSessionManager(
        app=build_server(forward),
        stateless=True,
        json_response=os.environ.get("BENCH_REFERENCE_JSON") == "1",
        security_settings=TransportSecuritySettings(
            enable_dns_rebinding_protection=True,
            allowed_hosts=["127.0.0.1", "127.0.0.1:*"],
            allowed_origins=["http://127.0.0.1", "http://127.0.0.1:*"],
        ),
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            async with sessions.run():
                yield
        finally:
            await close()

    return Starlette(routes=[Route("/mcp", _Endpoint(sessions), methods=["POST"])], lifespan=lifespan)


class _Endpoint:
    # A class instance, not a function: Starlette then routes to it as a raw ASGI app.
    def __init__(self, sessions: StreamableHTTPSessionManager) -> None:
        self.sessions = sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.sessions.handle_request(scope, receive, send)
