"""Connect the official MCP SDK client to our server, in either protocol era."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import httpx2
from mcp import Client
from mcp.client.extension import ClientExtension
from mcp.client.streamable_http import streamable_http_client

LEGACY = "legacy"  # initialize handshake (2025-06-18 / 2025-11-25 clients)
MODERN = "2026-07-28"  # per-request envelope, no handshake
MODES = (LEGACY, MODERN)


@asynccontextmanager
async def connect(
    url: str,
    mode: str = LEGACY,
    headers: dict[str, str] | None = None,
    extensions: Sequence[ClientExtension] | None = None,
) -> AsyncIterator[Client]:
    http = httpx2.AsyncClient(headers=headers or {}, timeout=httpx2.Timeout(30, read=60))
    async with http:
        transport = streamable_http_client(url, http_client=http)
        async with Client(transport, mode=mode, read_timeout_seconds=60, extensions=extensions) as client:
            yield client
