"""Which Host and Origin headers the MCP endpoint accepts (DNS-rebinding protection)."""

from __future__ import annotations

from urllib.parse import urlsplit

from mcp.server.transport_security import TransportSecuritySettings

from server.settings import Settings

_LOOPBACK = ("127.0.0.1", "localhost", "[::1]")


def transport_security(settings: Settings) -> TransportSecuritySettings:
    public = urlsplit(settings.public_url)
    public_host = public.hostname or "localhost"
    if ":" in public_host:
        public_host = f"[{public_host}]"
    hosts = {public.netloc, f"{public_host}:*", public_host}
    origins = {f"{public.scheme}://{public.netloc}"}
    for extra in settings.allowed_hosts:
        hosts.update({extra, f"{extra}:*"})
        origins.update({f"https://{extra}", f"http://{extra}"})
    if settings.host in {"127.0.0.1", "localhost", "::1", "0.0.0.0", "::"} or public_host in _LOOPBACK:
        for name in _LOOPBACK:
            hosts.update({name, f"{name}:*"})
            origins.update({f"http://{name}:*", f"http://{name}"})
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=sorted(hosts),
        allowed_origins=sorted(origins),
    )
