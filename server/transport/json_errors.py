"""The SDK's own refusals, re-worded in our JSON error shape.

The SDK answers some requests it refuses with plain text or an empty body (a wrong
Content-Type or Host, a forbidden Origin, a body too large, a wrong Accept in the 2026-07-28
era). Clients and operators should meet `{"error": {"code", "message"}}` everywhere, so this
`send` wrapper turns any non-JSON error answer into it; JSON answers (JSON-RPC errors) and
successful ones, SSE streams included, pass through untouched.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import Message, Send

from server.http.responses import error_response

_CODES = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    421: "misdirected_request",
}
_HINTS = {
    400: "Send a JSON-RPC message with Content-Type: application/json.",
    403: "This Origin may not call the MCP endpoint.",
    405: "This MCP endpoint takes POST requests only.",
    406: "Send Accept: application/json, text/event-stream.",
    413: "The request body is too large.",
    421: "This server does not answer for that host name; use the URL you were given.",
}
# Headers of the SDK's answer that still mean something on ours.
_KEPT = ("allow", "retry-after", "www-authenticate")


def json_errors(send: Send) -> Send:
    held: Message | None = None
    body = b""

    async def wrapped(message: Message) -> None:
        nonlocal held, body
        if message["type"] == "http.response.start":
            headers = Headers(raw=message.get("headers", []))
            if message["status"] >= 400 and not headers.get("content-type", "").startswith("application/json"):
                held = message
                return
        elif held is not None and message["type"] == "http.response.body":
            body += message.get("body", b"")
            if not message.get("more_body", False):
                await _send_json_error(send, held, body)
            return
        await send(message)

    return wrapped


async def _send_json_error(send: Send, start: Message, body: bytes) -> None:
    status: int = start["status"]
    said = body.decode("utf-8", "replace").strip()
    hint = _HINTS.get(status, "The request was refused.")
    message = f"{said}. {hint}" if said else hint
    original = Headers(raw=start.get("headers", []))
    kept = {name: original[name] for name in _KEPT if name in original}
    response = error_response(status, _CODES.get(status, "bad_request"), message, kept or None)
    await send({"type": "http.response.start", "status": status, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})
