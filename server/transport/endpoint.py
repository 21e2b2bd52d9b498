"""The MCP endpoint ASGI app: resolve the token, then hand the request to the SDK.

The token comes from the per-user URL (`/mcp/{token}`) or `Authorization: Bearer` on
`/mcp`. Unknown, malformed and revoked tokens all get the same 401 before anything else
happens, so nothing reaches Mistral and nothing tells whether a token ever existed.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from server.errors import CryptoError
from server.services import Services
from server.transport.mcp_server import CONNECTION_SCOPE_KEY
from server.web.responses import error_response, unauthorized

logger = logging.getLogger(__name__)


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


class McpEndpoint:
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        services: Services = request.state.services
        token = request.path_params.get("token") or bearer_token(request)
        response = await self._authenticate(services, scope, token)
        if response is None and request.method != "POST":
            # Stateless: there is no session to stream to, so no idle GET stream is held open.
            response = error_response(
                405, "method_not_allowed", "This MCP endpoint takes POST requests only.", {"Allow": "POST"}
            )
        if response is not None:
            await response(scope, receive, send)
            return
        await services.mcp_sessions.handle_request(scope, receive, send)

    async def _authenticate(self, services: Services, scope: Scope, token: str | None) -> Response | None:
        if not token:
            return unauthorized()
        try:
            connection = await services.connections.authenticate(token)
        except CryptoError:
            logger.exception("stored Mistral key could not be decrypted; check MISTRAL_MCP_ENCRYPTION_KEYS")
            return error_response(
                500, "key_unavailable", "Your stored Mistral key cannot be read by this server; contact the operator."
            )
        if connection is None:
            return unauthorized()
        scope[CONNECTION_SCOPE_KEY] = connection
        return None
