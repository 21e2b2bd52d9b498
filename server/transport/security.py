"""Which Host and Origin headers the MCP endpoint accepts (DNS-rebinding protection).

Allowed: the public URL's host and origin (what users reach, e.g. through a TLS proxy),
the extra names of `settings.allowed_hosts`, and loopback names when the server listens
on loopback or on every interface (local use, in-container health checks). A browser page on
any other origin cannot reach the endpoint, whatever its DNS says: its Host or Origin gives
it away. Loopback origins are accepted only when the public URL itself is loopback.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from mcp.server.transport_security import TransportSecurityMiddleware, TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from server.http.responses import error_response
from server.settings import Settings

_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
_LOOPBACK_OR_ANY = {"127.0.0.1", "localhost", "::1", "0.0.0.0", "::", ""}
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _bracketed(hostname: str) -> str:
    return f"[{hostname}]" if ":" in hostname else hostname


def transport_security(settings: Settings) -> TransportSecuritySettings:
    # Browsers send Host and Origin in lower case and without the scheme's default port.
    public = urlsplit(settings.public_url)
    scheme = public.scheme.lower()
    name = _bracketed(public.hostname or "localhost")
    port = public.port if public.port not in {None, _DEFAULT_PORTS.get(scheme)} else None
    authority = f"{name}:{port}" if port else name

    hosts = {authority, f"{name}:*"}
    origins = {f"{scheme}://{authority}"}
    if port is None:
        hosts.add(f"{name}:{_DEFAULT_PORTS.get(scheme, 80)}")
    for extra in (h.lower() for h in settings.allowed_hosts):
        hosts.update({extra, f"{extra}:*"})
        origins.update({f"https://{extra}", f"http://{extra}", f"https://{extra}:*", f"http://{extra}:*"})

    public_is_loopback = name in _LOOPBACK_NAMES
    if public_is_loopback or settings.host in _LOOPBACK_OR_ANY:
        for loopback in _LOOPBACK_NAMES:
            hosts.update({loopback, f"{loopback}:*"})
            if public_is_loopback:
                origins.update({f"http://{loopback}", f"http://{loopback}:*"})
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=sorted(hosts),
        allowed_origins=sorted(origins),
    )


def _refusal(sdk_status: int) -> Response:
    # The SDK refuses in plain text; clients get our one error shape instead.
    if sdk_status == 421:
        return error_response(
            421, "misdirected_request", "This server does not answer for that host name; use the URL you were given."
        )
    if sdk_status == 403:
        return error_response(403, "forbidden_origin", "Requests from web pages on other sites are refused.")
    return error_response(
        415, "unsupported_media_type", "MCP requests are JSON: send them with Content-Type: application/json."
    )


class TransportGuard:
    """Host, Origin and Content-Type checks in front of the MCP endpoint, before any token lookup.

    Same rules as the SDK applies again inside (`transport_security`), answered in our error shape.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.checker = TransportSecurityMiddleware(transport_security(settings))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            refused = await self.checker.validate_request(request, is_post=request.method == "POST")
            if refused is not None:
                await _refusal(refused.status_code)(scope, receive, send)
                return
        await self.app(scope, receive, send)
