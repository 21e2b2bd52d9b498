"""Liveness and readiness probes."""

from __future__ import annotations

import logging

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

logger = logging.getLogger(__name__)

_READY_TIMEOUT = 3.0


async def healthz(_request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    try:
        with anyio.fail_after(_READY_TIMEOUT):
            await request.state.services.repository.ping()
    except Exception:
        logger.warning("readiness check failed: database unreachable", exc_info=True)
        return JSONResponse(
            {"status": "unavailable", "error": {"code": "database_unavailable", "message": "Database unreachable."}},
            status_code=503,
        )
    return JSONResponse({"status": "ready"})


ROUTES = [Route("/healthz", healthz, methods=["GET"]), Route("/readyz", readyz, methods=["GET"])]
