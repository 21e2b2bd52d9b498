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

from server.callers import bearer_token
from server.connections import AuthenticatedConnection
from server.errors import CryptoError
from server.http.responses import error_response, unauthorized
from server.oauth.provider import resource_metadata_url
from server.services import Services
from server.settings import variable_of
from server.transport.json_errors import json_errors
from server.transport.mcp_server import CONNECTION_SCOPE_KEY
from storage.deadlines import within

logger = logging.getLogger(__name__)

ACCESS_TOKEN_PREFIX = "mmat_"  # noqa: S105 - a public prefix, not a secret


class McpEndpoint:
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        services: Services = request.state.services
        response = await self._authenticate(services, scope, request.path_params.get("token"), bearer_token(request))
        if response is None and request.method != "POST":
            # Stateless: there is no session to stream to, so no idle GET stream is held open.
            response = error_response(
                405, "method_not_allowed", "This MCP endpoint takes POST requests only.", {"Allow": "POST"}
            )
        if response is not None:
            await response(scope, receive, send)
            return
        await request.state.mcp_sessions.handle_request(scope, receive, json_errors(send))

    async def _authenticate(
        self, services: Services, scope: Scope, path_token: str | None, bearer: str | None
    ) -> Response | None:
        try:
            connection = await self._connection(services, path_token, bearer)
        except CryptoError:
            logger.exception("stored Mistral key could not be decrypted; check %s", variable_of("encryption_keys"))
            return error_response(
                500, "key_unavailable", "Your stored Mistral key cannot be read by this server; contact the operator."
            )
        if connection is None:
            return unauthorized(challenge=self._challenge(services, path_token, bearer))
        scope[CONNECTION_SCOPE_KEY] = connection
        return None

    @staticmethod
    async def _connection(
        services: Services, path_token: str | None, bearer: str | None
    ) -> AuthenticatedConnection | None:
        if path_token:
            return await services.connections.authenticate(path_token)
        if bearer and bearer.startswith(ACCESS_TOKEN_PREFIX) and services.oauth is not None:
            # Connection tokens are bounded by the token cache; an OAuth token's two reads by this:
            # past it the database error handler answers 503 rather than hold the client.
            with within(services.repository.deadline, "resolving an OAuth access token"):
                connection_id = await services.oauth.access_token_connection(bearer)
                return await services.connections.authenticate_id(connection_id) if connection_id else None
        return await services.connections.authenticate(bearer) if bearer else None

    @staticmethod
    def _challenge(services: Services, path_token: str | None, bearer: str | None) -> str:
        # The per-user URL never points at OAuth discovery: clients such as Cursor switch to OAuth
        # (and drop configured headers) as soon as a server advertises it.
        if path_token or services.oauth is None:
            return "Bearer"
        challenge = f'Bearer resource_metadata="{resource_metadata_url(services.settings.public_url)}"'
        if bearer:
            challenge += ', error="invalid_token"'
        return challenge
