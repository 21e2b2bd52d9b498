"""Access log and request ids, as a plain ASGI middleware; paths are logged with tokens masked."""

from __future__ import annotations

import logging
import re
import secrets
import time

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("mistral_mcp.access")

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Anywhere in the path, in any case: clients also ask for `/.well-known/oauth-protected-resource/mcp/<token>`
# after a 401, and `//mcp/<token>` or `/MCP/<token>` still carry a token even though they route nowhere.
_MCP_TOKEN_PATH = re.compile(r"/mcp/[^/]+", re.IGNORECASE)


def loggable_path(path: str) -> str:
    return _MCP_TOKEN_PATH.sub("/mcp/{token}", path)


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["x-request-id"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            # The caller the authentication seam put in the scope (MCP requests only).
            user = scope.get("user")
            connection_id = user.identity if user is not None and user.is_authenticated else None
            logger.info(
                "%s %s %d",
                scope["method"],
                loggable_path(scope["path"]),
                status,
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "path": loggable_path(scope["path"]),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "connection_id": connection_id,
                },
            )
