"""Liveness and readiness probes.

`/healthz` never touches the database: a process that answers is alive, and restarting it
would not bring a database back. `/readyz` asks the database, within the same deadlines as
any request, so a replica whose database does not answer is taken out of rotation fast.
"""

from __future__ import annotations

import logging

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server.http.responses import DATABASE_RETRY_AFTER

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
            headers={"Retry-After": DATABASE_RETRY_AFTER},
        )
    return JSONResponse({"status": "ready"})


ROUTES = [Route("/healthz", healthz, methods=["GET"]), Route("/readyz", readyz, methods=["GET"])]
