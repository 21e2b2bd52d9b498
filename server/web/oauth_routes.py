"""OAuth HTTP surface: the SDK's protocol handlers plus our metadata documents."""

from __future__ import annotations

import base64
from hmac import compare_digest
from typing import Any
from urllib.parse import unquote

from mcp.server.auth.handlers.authorize import AuthorizationHandler
from mcp.server.auth.handlers.register import RegistrationHandler
from mcp.server.auth.routes import build_metadata, cors_middleware, create_auth_routes
from mcp.server.auth.settings import ClientRegistrationOptions, RevocationOptions
from pydantic import AnyHttpUrl
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Message

from server.errors import ApiError
from server.http.bodies import read_capped, read_form
from server.limits.attempts import AttemptLimiter, retry_after_header
from server.oauth.bounds import MAX_AUTHORIZE_BODY_BYTES, MAX_REGISTRATION_BYTES, parameter_problem
from server.oauth.provider import PROTECTED_RESOURCE_PATH, SCOPE, OAuthProvider
from server.services import Services
from server.web import oauth_consent as consent
from server.web.signup_guard import client_address_key

_CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, OPTIONS"}


def _basic_credentials(request: Request) -> tuple[str | None, str | None]:
    """(client id, secret) from `Authorization: Basic`, as a confidential client authenticates (RFC 6749 §2.3.1)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        client_id, sep, secret = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
    except ValueError:  # not base64 (binascii.Error; non-ASCII text too), or not UTF-8
        return None, None
    return (unquote(client_id), unquote(secret)) if sep else (None, None)


def _oauth_error(status: int, error: str, description: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """The OAuth error shape (RFC 6749 §5.2, RFC 7591 §3.2.2)."""
    return JSONResponse({"error": error, "error_description": description}, status, headers)


async def _rate_refusal(limiter: AttemptLimiter, request: Request, attempts: str) -> Response | None:
    """A 429 once this client address used up its `attempts`, else None (the attempt is counted)."""
    wait = await limiter.check(client_address_key(request))
    if wait is None:
        return None
    seconds = retry_after_header(wait)
    return _oauth_error(
        429,
        "too_many_requests",
        f"Too many {attempts} from your network; try again in {seconds} seconds.",
        {"Retry-After": seconds, "Cache-Control": "no-store"},
    )


def _with_body(request: Request, body: bytes) -> Request:
    """The request again, its (already read and capped) body replayed to whoever reads it next."""

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(request.scope, receive)


def oauth_routes(provider: OAuthProvider) -> list[BaseRoute]:
    registration = ClientRegistrationOptions(enabled=True, valid_scopes=[SCOPE], default_scopes=[SCOPE])
    revocation = RevocationOptions(enabled=True)
    issuer = AnyHttpUrl(provider.issuer)
    metadata: dict[str, Any] = build_metadata(issuer, None, registration, revocation).model_dump(
        mode="json", exclude_none=True
    )
    metadata.update(
        {
            "issuer": provider.issuer,
            "token_endpoint_auth_methods_supported": ["none", "client_secret_post", "client_secret_basic"],
            "client_id_metadata_document_supported": True,
            "authorization_response_iss_parameter_supported": True,
        }
    )
    resource_metadata = {
        "resource": provider.resource,
        "authorization_servers": [provider.issuer],
        "scopes_supported": [SCOPE],
        "bearer_methods_supported": ["header"],
        "resource_name": "Mistral AI (mistral-mcp)",
    }

    async def as_metadata(request: Request) -> Response:
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=_CORS)
        return JSONResponse(metadata, headers=_CORS)

    async def pr_metadata(request: Request) -> Response:
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=_CORS)
        return JSONResponse(resource_metadata, headers=_CORS)

    sdk_routes = [
        route
        for route in create_auth_routes(
            provider, issuer, client_registration_options=registration, revocation_options=revocation
        )
        # Ours instead: the SDK's metadata lacks CIMD/iss flags, its revocation handler rejects
        # public clients that (rightly, RFC 7009) send no client_secret, and registration and
        # authorization pass our per-address limits and size caps first (below).
        if getattr(route, "path", "")
        not in {"/.well-known/oauth-authorization-server", "/revoke", "/register", "/authorize"}
    ]
    registration_handler = RegistrationHandler(provider, registration)
    authorization_handler = AuthorizationHandler(provider)

    async def register(request: Request) -> Response:
        if refusal := await _rate_refusal(provider.limiters.registration, request, "client registrations"):
            return refusal
        try:
            body = await read_capped(request, MAX_REGISTRATION_BYTES)
        except ApiError as exc:
            return _oauth_error(exc.status, "invalid_client_metadata", exc.message)
        return await registration_handler.handle(_with_body(request, body))

    async def authorize(request: Request) -> Response:
        if refusal := await _rate_refusal(provider.limiters.authorization, request, "sign-in attempts"):
            return refusal
        if request.method == "POST":
            try:
                request = _with_body(request, await read_capped(request, MAX_AUTHORIZE_BODY_BYTES))
            except ApiError as exc:
                return _oauth_error(exc.status, "invalid_request", exc.message)
            # Parsed once: the request keeps the form for the SDK's handler.
            items = [(name, value) for name, value in (await request.form()).multi_items() if isinstance(value, str)]
        else:
            items = request.query_params.multi_items()
        # Refused here, not by the provider: the SDK would echo an overlong `state` in a redirect.
        if problem := parameter_problem(items):
            return _oauth_error(400, "invalid_request", problem, {"Cache-Control": "no-store"})
        return await authorization_handler.handle(request)

    async def revoke(request: Request) -> Response:
        services: Services = request.state.services
        try:
            # Capped like every other form here: unauthenticated, so it must not buffer what it is sent.
            form = await read_form(request, services.settings.max_api_body_bytes)
        except ApiError as exc:
            return JSONResponse({"error": "invalid_request", "error_description": exc.message}, exc.status)
        token, client_id = form.get("token"), form.get("client_id")
        basic_id, basic_secret = _basic_credentials(request)
        client_id = client_id or basic_id
        if not token or not client_id:
            return JSONResponse(
                {"error": "invalid_request", "error_description": "token and client_id are required"}, 400
            )
        client = await provider.get_client(client_id)
        secret = form.get("client_secret") or basic_secret
        if client is None or (
            client.client_secret and not (secret and compare_digest(secret.encode(), client.client_secret.encode()))
        ):
            return JSONResponse({"error": "invalid_client", "error_description": "unknown client or bad secret"}, 401)
        await provider.revoke(token, client.client_id)
        # RFC 7009 §2.2: 200 whether or not the token was valid.
        return Response(status_code=200, headers={"Cache-Control": "no-store"})

    return [
        Route("/.well-known/oauth-authorization-server", as_metadata, methods=["GET", "OPTIONS"]),
        Route("/.well-known/openid-configuration", as_metadata, methods=["GET", "OPTIONS"]),
        Route(f"{PROTECTED_RESOURCE_PATH}/mcp", pr_metadata, methods=["GET", "OPTIONS"]),
        Route(PROTECTED_RESOURCE_PATH, pr_metadata, methods=["GET", "OPTIONS"]),
        Route("/revoke", revoke, methods=["POST"]),
        # CORS as the SDK has it: browser-based clients register, and read our refusals too.
        Route("/register", cors_middleware(register, ["POST", "OPTIONS"]), methods=["POST", "OPTIONS"]),
        Route("/authorize", authorize, methods=["GET", "POST"]),
        *sdk_routes,
        *consent.routes(provider),
    ]
