"""Read request bodies with a size cap, before anything parses them."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request

from server.errors import ApiError


async def read_capped(request: Request, limit: int) -> bytes:
    """Raises:
    ApiError: 413 once the body passes `limit` bytes (declared or actual).
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "payload_too_large", f"Request body is larger than {limit} bytes.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "payload_too_large", f"Request body is larger than {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json_object(request: Request, limit: int, allowed: set[str]) -> dict[str, Any]:
    """Raises:
    ApiError: 413 too large, 400 not JSON, 422 not an object or an unknown field.
    """
    body = await read_capped(request, limit)
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise ApiError(400, "invalid_json", 'Request body must be JSON, e.g. {"api_key": "..."}.') from None
    if not isinstance(data, dict):
        raise ApiError(422, "invalid_request", 'Request body must be a JSON object, e.g. {"api_key": "..."}.')
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ApiError(
            422, "invalid_request", f"Unknown field(s): {', '.join(unknown)}. Allowed: {', '.join(sorted(allowed))}."
        )
    return data


async def read_form(request: Request, limit: int) -> dict[str, str]:
    body = await read_capped(request, limit)
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        raise ApiError(400, "invalid_form", "The form could not be read.") from None
    return {name: values[0] for name, values in parsed.items()}
