"""The one JSON error shape, `{"error": {"code": ..., "message": ...}}`, and the one mapping of
exceptions to HTTP answers (`EXCEPTION_HANDLERS`, installed by `create_app`)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from server.errors import ApiError, CryptoError
from server.settings import variable_of
from storage.database import is_unavailable

logger = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
    500: "internal_error",
    502: "bad_gateway",
    503: "unavailable",
}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


UNAUTHORIZED_MESSAGE = (
    "Missing or invalid connection token: use your personal MCP URL, or send Authorization: Bearer <token>."
)


def unauthorized(message: str = UNAUTHORIZED_MESSAGE, challenge: str = "Bearer") -> JSONResponse:
    # Same answer for unknown, malformed and revoked tokens: no hint that a token ever existed.
    return error_response(401, "unauthorized", message, {"WWW-Authenticate": challenge})


async def api_error_handler(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, exc.headers)


async def http_exception_handler(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = {404: "No such page or endpoint.", 405: "Method not allowed here."}.get(exc.status_code, str(exc.detail))
    headers = dict(exc.headers) if exc.headers else None
    return error_response(exc.status_code, _HTTP_CODES.get(exc.status_code, "error"), message, headers)


DATABASE_UNAVAILABLE_MESSAGE = "The database is unreachable right now; nothing was changed. Try again shortly."
DATABASE_RETRY_AFTER = "5"


def database_unavailable() -> JSONResponse:
    return error_response(
        503, "database_unavailable", DATABASE_UNAVAILABLE_MESSAGE, {"Retry-After": DATABASE_RETRY_AFTER}
    )


async def database_error_handler(request: Request, exc: Exception) -> Response:
    """An outage is a 503 the client can retry; any other database error is our bug (500)."""
    if not is_unavailable(exc):
        return await internal_error_handler(request, exc)
    logger.warning("database unreachable while serving a request (%s)", type(exc).__name__)
    return database_unavailable()


async def crypto_error_handler(_request: Request, _exc: Exception) -> Response:
    """A stored key this server cannot decrypt: the operator's keyring is wrong, not the caller's request."""
    logger.exception("stored Mistral key could not be decrypted; check %s", variable_of("encryption_keys"))
    return error_response(
        500, "key_unavailable", "Your stored Mistral key cannot be read by this server; contact the operator."
    )


async def client_gone_handler(_request: Request, _exc: Exception) -> Response:
    """A body that stopped coming (client gone, or past the body deadline): an ordinary event."""
    logger.info("request dropped: the client stopped sending its body (gone, or too slow)")
    # Nobody reads it; it gives the access log and the metrics a status that is not a 500.
    return error_response(400, "incomplete_body", "The request body did not arrive.")


async def internal_error_handler(_request: Request, _exc: Exception) -> Response:
    logger.exception("unhandled error while serving a request")
    return error_response(500, "internal_error", "Something went wrong on our side; it has been logged. Try again.")


ExceptionHandler = Callable[[Request, Exception], Awaitable[Response]]

# The one mapping of exceptions to HTTP answers (Starlette picks the most specific class).
EXCEPTION_HANDLERS: dict[type[Exception], ExceptionHandler] = {
    ClientDisconnect: client_gone_handler,
    ApiError: api_error_handler,
    CryptoError: crypto_error_handler,
    HTTPException: http_exception_handler,
    SQLAlchemyError: database_error_handler,
    Exception: internal_error_handler,
}
