"""Turn a Mistral error response into the `UpstreamError` a person can act on.

Two kinds extend the tree of `server.errors` here, raised only by the upstream client:

    UpstreamError
    ├── UpstreamUnexpectedReply  a redirect, or a body that is not what the endpoint sends
    └── UpstreamReplyTooLarge    a reply past settings.upstream_max_response_bytes
"""

from __future__ import annotations

import email.utils
import time
from typing import Any

import httpx

from server.errors import (
    UpstreamAuthError,
    UpstreamError,
    UpstreamRateLimited,
    UpstreamRequestError,
    UpstreamUnavailable,
)
from server.security.redaction import without

_MAX_DETAIL = 600
_MAX_CONTENT_TYPE = 80


class UpstreamUnexpectedReply(UpstreamError):
    """Mistral's side answered with something the API never sends on purpose: usually a proxy,
    captive portal or load balancer in between, sometimes a change at Mistral."""


class UpstreamReplyTooLarge(UpstreamError):
    """The reply was larger than this server reads into memory; nothing of it is used."""


def unexpected_reply(status: int, content_type: str | None, expected: str) -> UpstreamUnexpectedReply:
    media_type = (content_type or "").split(";")[0].strip()[:_MAX_CONTENT_TYPE] or "no content type"
    return UpstreamUnexpectedReply(
        f"Mistral sent an unexpected reply (HTTP {status}, {media_type}) where {expected} was expected: "
        "something between this server and Mistral (a proxy or gateway) may be answering instead. "
        "Try again shortly; if it keeps happening, tell the operator of this MCP server.",
        status=status,
    )


def reply_too_large(limit: int) -> UpstreamReplyTooLarge:
    return UpstreamReplyTooLarge(
        f"Mistral's reply was larger than the {_size(limit)} this server reads from one reply. Ask for less "
        "per call: a smaller page_size, fewer inputs or pages, no embedded images; read files in windows."
    )


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):g} MiB"
    if count >= 1024:
        return f"{count / 1024:g} KiB"
    return f"{count} bytes"


def _validation_detail(items: list[Any]) -> str:
    parts = []
    for item in items[:5]:
        if not isinstance(item, dict):
            continue
        loc = ".".join(str(p) for p in item.get("loc", []) if p != "body")
        msg = item.get("msg", "invalid")
        parts.append(f"{loc}: {msg}" if loc else str(msg))
    return "; ".join(parts)


def error_detail(response: httpx.Response, api_key: str | None) -> str:
    """Mistral's own words for what went wrong, from any of the body shapes it uses.

    They reach the user's AI client (and so a model's context) and our logs: an error that quotes
    the request back (a gateway echoing the Authorization header, say) must not carry the key along.
    """
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        detail: Any = text if text and not text.startswith("<") else (response.reason_phrase or "")
    else:
        detail = body
        if isinstance(body, dict):
            detail = body.get("message", body.get("detail", body.get("error", body)))
            if isinstance(detail, dict):
                detail = detail.get("detail", detail.get("message", detail))
        if isinstance(detail, list):
            detail = _validation_detail(detail) or str(detail)
    return without(api_key, str(detail))[:_MAX_DETAIL]


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, parsed.timestamp() - time.time())


def from_response(response: httpx.Response, api_key: str | None) -> UpstreamError:
    """The error for Mistral's error `response` to a request made with `api_key` (never quoted back)."""
    status = response.status_code
    detail = error_detail(response, api_key)
    said = f" Mistral said: {detail}" if detail else ""
    if status == 401:
        return UpstreamAuthError(
            "Mistral rejected the stored API key (401). Update the key on the manage page or with "
            "PUT /api/connection/key, or create a new one at https://console.mistral.ai/api-keys." + said,
            status=status,
            detail=detail,
        )
    if status == 403:
        return UpstreamAuthError(
            "Mistral refused access (403): this key or plan may not allow that model or endpoint." + said,
            status=status,
            detail=detail,
        )
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        when = f" Retry after {retry_after:.0f} s." if retry_after is not None else " Wait a little and retry."
        return UpstreamRateLimited(
            "Mistral's rate limit for this key was reached (429)." + when + said,
            retry_after=retry_after,
            detail=detail,
        )
    if status >= 500:
        return UpstreamUnavailable(
            f"Mistral is unavailable right now ({status}); try again shortly." + said, status=status, detail=detail
        )
    if status == 404:
        return UpstreamRequestError(
            "Mistral found no such resource (404): check the id or model name." + said, status=status, detail=detail
        )
    return UpstreamRequestError(
        f"Mistral rejected the request ({status}): fix the arguments and retry." + said, status=status, detail=detail
    )
