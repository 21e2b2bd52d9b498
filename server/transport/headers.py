"""Trim optional whitespace around header values before the MCP SDK compares them.

RFC 9110 §5.5 says a field value excludes leading and trailing whitespace. h11 strips it,
but uvicorn's faster httptools parser keeps trailing whitespace, so `Mcp-Name: tool  `
would not match the body's `tool` and a valid 2026-07-28 request would be refused.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

_OWS = b" \t"


class TrimHeaderWhitespace:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope["headers"] = [(name, value.strip(_OWS)) for name, value in scope["headers"]]
        await self.app(scope, receive, send)
