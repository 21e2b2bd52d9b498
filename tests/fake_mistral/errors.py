"""Error responses shaped like the real Mistral API's.

* gateway auth failure: ``{"message": "Unauthorized", "request_id": "<hex>"}``
* gateway rate limit: ``{"message": "Requests rate limit exceeded"}``
* application errors: ``{"object": "error", "message": ..., "type": ..., "param": null, "code": ...}``
* request validation: the same envelope with ``message = {"detail": [<pydantic errors>]}``
* routing errors (unknown path, wrong method): FastAPI's ``{"detail": "Not Found"}``
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse, Response

from .validation import ErrorItem

_GATEWAY_MESSAGES = {
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}


def request_id() -> str:
    return uuid.uuid4().hex


def error_envelope(message: Any, type_: str, *, code: str | None = None, param: str | None = None) -> dict[str, Any]:
    return {"object": "error", "message": message, "type": type_, "param": param, "code": code}


def mistral_error(
    status: int,
    message: str,
    *,
    type_: str = "invalid_request_error",
    code: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(error_envelope(message, type_, code=code), status, headers=headers)


def validation_error(errors: list[ErrorItem]) -> JSONResponse:
    return JSONResponse(error_envelope({"detail": errors}, "invalid_request_error"), 422)


def unauthorized() -> JSONResponse:
    return JSONResponse({"message": "Unauthorized", "request_id": request_id()}, 401)


def invalid_model(model_id: str) -> JSONResponse:
    return mistral_error(400, f"Invalid model: {model_id}", type_="invalid_model", code="1500")


def not_found(what: str, identifier: str) -> JSONResponse:
    return mistral_error(404, f"{what} {identifier} not found", type_="not_found_error")


def default_error_body(status: int) -> Any:
    """A realistic body for an injected failure of the given status."""
    if status == 401:
        return {"message": "Unauthorized", "request_id": request_id()}
    if status == 429:
        return {"message": "Requests rate limit exceeded"}
    if status >= 500:
        message = _GATEWAY_MESSAGES.get(status, "Internal server error")
        return error_envelope(message, "internal_server_error")
    if status == 404:
        return {"detail": "Not Found"}
    if status == 422:
        return error_envelope({"detail": []}, "invalid_request_error")
    return error_envelope("Bad request", "invalid_request_error")


def raw_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    """JSON for dicts/lists/numbers, verbatim for str/bytes (e.g. an HTML proxy error page)."""
    if isinstance(body, (str, bytes)):
        text = body.decode(errors="replace") if isinstance(body, bytes) else body
        media_type = "text/html" if text.lstrip().startswith("<") else "text/plain"
        return Response(body, status, headers=headers, media_type=media_type)
    return Response(json.dumps(body), status, headers=headers, media_type="application/json")
