"""The MCP endpoint ASGI app: refuse callers without a credential, then hand the request to the SDK.

`AuthenticationMiddleware` with `server.callers.CallerBackend` runs first (see `create_app`) and
puts the caller in `scope["user"]`. Unknown, malformed and revoked tokens all get the same 401
before anything else happens, so nothing reaches Mistral and nothing tells whether a token ever
existed.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from server.callers import bearer_token, caller_of
from server.http.responses import error_response, unauthorized
from server.oauth.provider import resource_metadata_url
from server.services import Services
from server.transport.json_errors import json_errors


class McpEndpoint:
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        if caller_of(request) is None:
            response = unauthorized(challenge=_challenge(request))
        elif request.method != "POST":
            # Stateless: there is no session to stream to, so no idle GET stream is held open.
            response = error_response(
                405, "method_not_allowed", "This MCP endpoint takes POST requests only.", {"Allow": "POST"}
            )
        else:
            await request.state.mcp_sessions.handle_request(scope, receive, json_errors(send))
            return
        await response(scope, receive, send)


def _challenge(request: Request) -> str:
    # The per-user URL never points at OAuth discovery: clients such as Cursor switch to OAuth
    # (and drop configured headers) as soon as a server advertises it.
    services: Services = request.state.services
    if request.path_params.get("token") or services.oauth is None:
        return "Bearer"
    challenge = f'Bearer resource_metadata="{resource_metadata_url(services.settings.public_url)}"'
    if bearer_token(request):
        challenge += ', error="invalid_token"'
    return challenge
