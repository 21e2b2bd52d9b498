"""Which Host and Origin headers the MCP endpoint accepts, judged by the SDK's own checker."""

from __future__ import annotations

from typing import Any

import pytest
from mcp.server.transport_security import TransportSecurityMiddleware
from starlette.requests import Request

from server.settings import Settings
from server.transport.security import transport_security

pytestmark = pytest.mark.anyio

BEHIND_PROXY: dict[str, Any] = {"host": "0.0.0.0", "port": 8000, "public_url": "https://MCP.Example.com"}
PUBLIC_HOST = "mcp.example.com"


async def status(settings: dict[str, Any], host: str, origin: str | None = None) -> int:
    """What the SDK answers before any MCP handling: 200 when the request may go on."""
    headers = [(b"host", host.encode())] + ([(b"origin", origin.encode())] if origin is not None else [])
    request = Request({"type": "http", "method": "GET", "path": "/mcp", "headers": headers})
    refusal = await TransportSecurityMiddleware(transport_security(Settings(**settings))).validate_request(request)
    return 200 if refusal is None else refusal.status_code


@pytest.mark.parametrize("host", [PUBLIC_HOST, f"{PUBLIC_HOST}:443", "127.0.0.1:8000", "localhost:8000"])
async def test_public_name_and_local_probes_are_accepted_behind_a_proxy(host: str) -> None:
    assert await status(BEHIND_PROXY, host) == 200


@pytest.mark.parametrize("host", ["evil.example", f"{PUBLIC_HOST}.evil.example", "evil.example:443", ""])
async def test_other_host_names_are_refused_with_421(host: str) -> None:
    assert await status(BEHIND_PROXY, host) == 421


@pytest.mark.parametrize(
    ("origin", "expected"),
    [
        (None, 200),  # not sent by a browser page
        ("https://mcp.example.com", 200),
        ("http://mcp.example.com", 403),
        ("https://evil.example", 403),
        ("http://localhost:5173", 403),  # a local page must not reach a public server's endpoint
        ("null", 403),
    ],
)
async def test_only_the_public_origin_is_accepted_behind_a_proxy(origin: str | None, expected: int) -> None:
    assert await status(BEHIND_PROXY, PUBLIC_HOST, origin) == expected


async def test_extra_allowed_hosts_bring_their_origins() -> None:
    settings = {**BEHIND_PROXY, "allowed_hosts": ("mcp.internal",)}
    assert await status(settings, "mcp.internal") == 200
    assert await status(settings, "mcp.internal:8443", "https://mcp.internal:8443") == 200
    assert await status(settings, "mcp.internal", "https://other.internal") == 403


async def test_public_url_with_an_explicit_port_keeps_it() -> None:
    settings = {"host": "0.0.0.0", "public_url": "https://mcp.example.com:8443"}
    assert await status(settings, "mcp.example.com:8443", "https://mcp.example.com:8443") == 200
    assert await status(settings, "mcp.example.com:8443", "https://mcp.example.com") == 403


async def test_loopback_server_accepts_local_pages_such_as_the_inspector_ui() -> None:
    settings = {"host": "127.0.0.1", "public_url": "http://127.0.0.1:8000"}
    assert await status(settings, "localhost:8000", "http://localhost:6274") == 200
    assert await status(settings, "localhost:8000", "http://evil.example") == 403
