"""Which addresses a fetch of a stranger's URL may reach: global unicast only.

`ipaddress`'s `is_global` is not enough on its own: Python 3.11 calls global several IPv6 forms
that lead to internal IPv4 (the well-known NAT64 prefix in front of 10.0.0.5, the IPv4-compatible
`::127.0.0.1`, the SIIT form `::ffff:0:a00:5`, 6to4's `2002:a00:5::`), plus site-local `fec0::/10`
and parts of 192.0.0.0/24. So the rule allows, and only allows:

- an IPv4 address Python calls global, outside the special blocks below;
- an IPv6 address in global unicast space (2000::/3) Python calls global, outside the special
  blocks below;
- an IPv4-mapped address (`::ffff:a.b.c.d`) or a well-known-prefix NAT64 address
  (`64:ff9b::a.b.c.d`, how an IPv6-only host reaches IPv4 through DNS64) whose embedded IPv4
  address is allowed.

Everything else is refused whole, whatever it embeds: the deprecated IPv4-compatible (`::/96`)
and SIIT (`::ffff:0:0:0/96`) forms, local-use NAT64 (`64:ff9b:1::/48`), 6to4 (`2002::/16`),
Teredo and the other IETF protocol assignments (`2001::/23`), and all non-unicast space.
"""

from __future__ import annotations

import socket
from ipaddress import IPv4Address, IPv6Address, IPv6Network, ip_address, ip_network

import aiohttp

_GLOBAL_UNICAST = IPv6Network("2000::/3")
_NAT64 = IPv6Network("64:ff9b::/96")
_REFUSED = tuple(
    ip_network(block)
    for block in (
        "192.0.0.0/24",  # IETF protocol assignments (Python 3.11 calls 192.0.0.9 and .10 global)
        "192.88.99.0/24",  # 6to4 relay anycast
        "2001::/23",  # IETF protocol assignments, Teredo (2001::/32) among them
        "2001:db8::/32",  # documentation
        "2002::/16",  # 6to4: reaches whatever IPv4 it embeds, through a relay
        "3fff::/20",  # documentation (RFC 9637)
    )
)


def _allowed(ip: IPv4Address | IPv6Address) -> bool:
    if isinstance(ip, IPv6Address):
        embedded = ip.ipv4_mapped or (IPv4Address(int(ip) & 0xFFFFFFFF) if ip in _NAT64 else None)
        if embedded is not None:
            return _allowed(embedded)
        if ip not in _GLOBAL_UNICAST:
            return False
    return ip.is_global and not ip.is_multicast and not any(ip in block for block in _REFUSED)


def is_public(address: str) -> bool:
    """Whether `address` (an IP address as text) is one a fetch of a stranger's URL may reach."""
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return _allowed(ip)


def is_loopback(address: str) -> bool:
    try:
        return ip_address(address).is_loopback
    except ValueError:
        return False


class PublicAddressResolver(aiohttp.abc.AbstractResolver):
    """Resolves as aiohttp does, but refuses a name with any non-public address (loopback too,
    when allowed). The connection goes to the addresses checked here, never to a second lookup."""

    def __init__(self, *, allow_loopback: bool, inner: aiohttp.abc.AbstractResolver | None = None) -> None:
        self._allow_loopback = allow_loopback
        self._inner = inner  # aiohttp's default, made on first use (it wants a running loop)

    def _allowed(self, address: str) -> bool:
        return is_public(address) or (self._allow_loopback and is_loopback(address))

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[aiohttp.abc.ResolveResult]:
        if self._inner is None:
            self._inner = aiohttp.DefaultResolver()
        results = await self._inner.resolve(host, port, family)
        if not results or not all(self._allowed(result["host"]) for result in results):
            raise OSError(f"{host} resolves to a private address")
        return results

    async def close(self) -> None:
        if self._inner is not None:
            await self._inner.close()
