"""`GET /metrics`: the app's registry in Prometheus text format, behind an optional token."""

from __future__ import annotations

import hmac

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.callers import bearer_token
from server.http.responses import error_response
from server.services import Services
from server.settings import variable_of


async def metrics(request: Request) -> Response:
    services: Services = request.state.services
    expected = services.settings.metrics_token
    if expected:
        given = bearer_token(request) or ""
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return error_response(
                401,
                "unauthorized",
                f"Metrics need `Authorization: Bearer <{variable_of('metrics_token')}>`.",
                {"WWW-Authenticate": "Bearer"},
            )
    return Response(generate_latest(services.metrics.registry), media_type=CONTENT_TYPE_LATEST)


ROUTES = [Route("/metrics", metrics, methods=["GET"])]
