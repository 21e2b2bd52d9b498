"""Every check of a Mistral key a stranger can ask for (sign-up on the page and the API, a key change on
the manage page and the API, a new key on the OAuth consent page) counts against one limit per client
address: otherwise any of them is an unlimited "is this key valid?" oracle paid for by our upstream calls."""

from __future__ import annotations

import ipaddress

from starlette.requests import Request

from server.errors import ApiError
from server.limits.attempts import retry_after_header
from server.services import Services


def client_address_key(request: Request) -> str:
    """The limiter key for the caller: its IP, or its /64 for IPv6, where one host holds a whole /64.

    Behind a proxy this is the real client only when the proxy is trusted
    (`settings.forwarded_allow_ips`); otherwise every request seems to come from the proxy.
    """
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


async def check_signup_rate(request: Request) -> None:
    """Count one key check (sign-up or key change) from this client.

    Raises:
        ApiError: 429 `rate_limited` with `Retry-After` once the client used up its attempts.
    """
    services: Services = request.state.services
    wait = await services.signup_limiter.check(client_address_key(request))
    if wait is None:
        return
    seconds = retry_after_header(wait)
    raise ApiError(
        429,
        "rate_limited",
        f"Too many sign-up or key-change attempts from your network; try again in {seconds} seconds.",
        headers={"Retry-After": seconds},
    )
