"""The app factory: `create_app(settings)` wires routes and middleware; the lifespan builds
every shared resource (database, keyring, upstream client, MCP session manager) and tears
them down, so nothing lives at module level.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from mcp.server.auth.routes import validate_issuer_url
from pydantic import AnyHttpUrl
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.routing import Route

from server.callers import CallerBackend
from server.connections import ConnectionService
from server.http.access_log import AccessLogMiddleware
from server.http.responses import EXCEPTION_HANDLERS
from server.http.security_headers import SecurityHeadersMiddleware
from server.keys.source import load_keyring
from server.limits import build_limits
from server.oauth.bounds import oauth_limiters
from server.oauth.client_metadata import ClientMetadataFetcher
from server.oauth.provider import OAuthProvider
from server.oauth.sweeper import OAuthSweeper
from server.observability.metrics import Metrics
from server.observability.middleware import HttpMetricsMiddleware
from server.services import Services
from server.settings import Settings, variable_of
from server.tools import build_registry
from server.transport.endpoint import McpEndpoint
from server.transport.headers import TrimHeaderWhitespace
from server.transport.mcp_server import build_mcp_server
from server.transport.security import TransportGuard, transport_security
from server.transport.sessions import McpSessions
from server.upstream.client import MistralClient
from server.usage import UsageRecorder
from server.web import api, health, manage, pages
from server.web import metrics as metrics_endpoint
from server.web.oauth_routes import oauth_routes
from storage.database import create_engine
from storage.migrate import upgrade
from storage.oauth_repository import OAuthRepository
from storage.repository import ConnectionRepository

logger = logging.getLogger(__name__)


def oauth_provider(settings: Settings) -> OAuthProvider | None:
    """The OAuth server, when enabled and the public URL can be an issuer (https, or loopback)."""
    if not settings.oauth_enabled:
        return None
    try:
        validate_issuer_url(AnyHttpUrl(settings.public_url))
    except ValueError:
        logger.warning("OAuth disabled: %s must be https (or loopback) to issue tokens", variable_of("public_url"))
        return None
    return OAuthProvider(settings.public_url)


def _lifespan(settings: Settings, oauth: OAuthProvider | None) -> Any:
    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[dict[str, Any]]:
        keyring = await anyio.to_thread.run_sync(load_keyring, settings)
        metrics = Metrics()
        engine = create_engine(settings.effective_database_url, settings.database_deadlines)
        metrics.watch_database(engine)
        upstream = MistralClient(settings, observer=metrics)
        limits = build_limits(
            settings,
            engine,
            on_refusal=metrics.refused,
            on_attempt_refused=metrics.attempt_refused,
            on_redis_failure=metrics.redis_failed,
            on_fail_open=metrics.rate_limit_fail_open.inc,
        )
        cimd = ClientMetadataFetcher(
            allow_loopback=settings.oauth_cimd_allow_loopback,
            timeout=settings.oauth_cimd_fetch_timeout,
            fetches_per_host=settings.oauth_cimd_fetches_per_host,
        )
        try:
            if settings.auto_migrate:
                await upgrade(engine)
            repository = ConnectionRepository(engine)
            registry = build_registry()
            mcp_sessions = McpSessions(
                build_mcp_server(registry, website_url=f"{settings.public_url}/"),
                security_settings=transport_security(settings),
                max_request_body_size=settings.max_mcp_body_bytes,
            )
            usage = UsageRecorder(repository)
            if limits.redis is not None:
                await limits.redis.ping()  # says in the log at once when Redis is unreachable
            connections = ConnectionService(
                repository, keyring, upstream, token_cache_seconds=settings.token_cache_seconds
            )
            if oauth is not None:
                oauth.attach(
                    OAuthRepository(engine),
                    cimd,
                    keyring,
                    oauth_limiters(limits, settings),
                    on_revoke=connections.forget,
                )
            services = Services(
                settings=settings,
                engine=engine,
                repository=repository,
                connections=connections,
                upstream=upstream,
                registry=registry,
                usage=usage,
                oauth=oauth,
                signup_limiter=limits.attempt_limiter("signup", settings.signup_rate_limit),
                metrics=metrics,
                limits=limits,
            )
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(usage.run)
                tasks.start_soon(services.connections.abandoned.run)
                if oauth is not None:
                    tasks.start_soon(OAuthSweeper.for_settings(oauth.repo, settings).run)
                try:
                    async with mcp_sessions.run():
                        logger.info("mistral-mcp ready", extra={"public_url": settings.public_url})
                        # The MCP sessions reach the MCP endpoint only: no other surface has a use for them.
                        yield {"services": services, "mcp_sessions": mcp_sessions}
                finally:
                    # Calls that outlived uvicorn's grace were cancelled: its own request tasks just
                    # before this, the SDK's (handshake and streamed calls) on leaving `run()` above.
                    # Each records its usage (as cancelled) as it unwinds, in a few event-loop turns; the
                    # last flush comes after. The bound keeps a stuck call from holding the process up.
                    with anyio.CancelScope(shield=True), anyio.move_on_after(5):
                        await registry.wait_idle()
                    if registry.running:
                        logger.warning("usage of %d tool call(s) still unwinding is lost", registry.running)
                    tasks.cancel_scope.cancel()
                    with anyio.CancelScope(shield=True):
                        await usage.flush()
        finally:
            with anyio.CancelScope(shield=True):
                await upstream.aclose()
                await limits.aclose()
                await cimd.aclose()
                await engine.dispose()

    return lifespan


def create_app(settings: Settings) -> Starlette:
    # Transport rules (Host, Origin, Content-Type) come before any token lookup; the caller is then
    # authenticated once (server/callers.py) and handed on in scope["user"].
    authenticated = AuthenticationMiddleware(McpEndpoint(), backend=CallerBackend())
    mcp_endpoint = TrimHeaderWhitespace(TransportGuard(authenticated, settings))
    oauth = oauth_provider(settings)
    routes = [
        # First: nearly every request is an MCP call, and Starlette tries routes in order.
        Route("/mcp", mcp_endpoint, methods=["GET", "POST", "DELETE"]),
        Route("/mcp/{token}", mcp_endpoint, methods=["GET", "POST", "DELETE"]),
        # The same endpoint with a trailing slash. Starlette would redirect it instead, to a URL of its
        # own making (plain http behind a TLS proxy): the client would re-send its token in clear.
        Route("/mcp/", mcp_endpoint, methods=["GET", "POST", "DELETE"]),
        Route("/mcp/{token}/", mcp_endpoint, methods=["GET", "POST", "DELETE"]),
        *pages.ROUTES,
        *manage.ROUTES,
        *api.ROUTES,
        *health.ROUTES,
        *metrics_endpoint.ROUTES,
        *(oauth_routes(oauth) if oauth is not None else []),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(AccessLogMiddleware),
            Middleware(HttpMetricsMiddleware),
            Middleware(SecurityHeadersMiddleware, https=settings.public_url.startswith("https://")),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=_lifespan(settings, oauth),
    )
    # No redirects of our own making: a path that does not match is a 404 in our error shape.
    app.router.redirect_slashes = False
    return app
