"""Which addresses a client metadata fetch may reach: only truly global unicast ones.

Python 3.11 calls several IPv6 forms global that lead to internal IPv4 (NAT64, the IPv4-compatible
and -translated forms, 6to4) or nowhere public at all (site-local, 192.0.0.0/24); each is refused
here, by the up-front check and by the resolver the connection uses.
"""

import socket

import aiohttp
import pytest

from server.oauth.client_metadata import ClientMetadataError, ClientMetadataFetcher, PublicAddressResolver

pytestmark = pytest.mark.anyio

REFUSED = [
    "64:ff9b::a00:5",  # NAT64 (well-known prefix) of 10.0.0.5
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254 (cloud metadata)
    "64:ff9b:1::a00:5",  # local-use NAT64 prefix (RFC 8215)
    "64:ff9b:1::5db8:d822",  # local-use NAT64, even of a public IPv4
    "::a9fe:a9fe",  # IPv4-compatible 169.254.169.254
    "::127.0.0.1",  # IPv4-compatible loopback
    "::5db8:d822",  # IPv4-compatible, deprecated whatever it embeds
    "::ffff:10.0.0.5",  # IPv4-mapped private
    "::ffff:127.0.0.1",  # IPv4-mapped loopback
    "::ffff:0:a00:5",  # IPv4-translated (SIIT) 10.0.0.5
    "::ffff:0:5db8:d822",  # IPv4-translated, whatever it embeds
    "2002:a00:5::1",  # 6to4 of 10.0.0.5
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:5db8:d822::1",  # 6to4 is deprecated: refused whatever it embeds
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "2001::a00:5",  # Teredo
    "2001:4:112::1",  # IETF protocol assignments (2001::/23)
    "fec0::1",  # site-local
    "fec0:0:0:ffff::1",
    "fe80::1",  # link-local
    "fc00::1",  # unique local
    "ff02::1",  # multicast
    "::",
    "::1",
    "2001:db8::1",  # documentation
    "3fff::1",  # documentation (RFC 9637)
    "5f00::1",  # SRv6 segment identifiers
    "192.0.0.1",  # IETF protocol assignments
    "192.0.0.9",  # Python 3.11 calls this one global
    "192.0.0.10",
    "192.0.0.170",
    "192.88.99.1",  # 6to4 relay anycast
    "10.0.0.5",
    "127.0.0.1",
    "169.254.169.254",
    "100.64.0.1",  # shared address space (carrier-grade NAT)
    "172.16.0.1",
    "192.168.1.1",
    "0.0.0.0",
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "not an address",
]
ALLOWED = [
    "93.184.216.34",
    "8.8.8.8",
    "1.1.1.1",
    "2606:2800:220:1::1",
    "2606:4700::1111",
    "2a00:1450:4007:80e::200e",
    "64:ff9b::5db8:d822",  # NAT64 of 93.184.216.34: how an IPv6-only host with DNS64 reaches it
    "::ffff:93.184.216.34",  # IPv4-mapped public address: the same host as 93.184.216.34
]


class Answers(aiohttp.abc.AbstractResolver):
    """A DNS that answers what the test says."""

    def __init__(self, *addresses: str) -> None:
        self.addresses = addresses

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[aiohttp.abc.ResolveResult]:
        return [
            {"hostname": host, "host": a, "port": port, "family": family, "proto": 0, "flags": 0}
            for a in self.addresses
        ]

    async def close(self) -> None:
        return


@pytest.mark.parametrize("address", REFUSED)
@pytest.mark.parametrize("allow_loopback", [False, True])
async def test_the_connection_resolver_refuses_every_non_global_form(address: str, allow_loopback: bool) -> None:
    if allow_loopback and address in {"::1", "127.0.0.1"}:
        return  # the tests' own exception, covered by test_oauth_units
    resolver = PublicAddressResolver(allow_loopback=allow_loopback, inner=Answers("93.184.216.34", address))
    with pytest.raises(OSError, match="private address"):
        await resolver.resolve("client.example", 443)


@pytest.mark.parametrize("address", ALLOWED)
async def test_the_connection_resolver_allows_global_unicast_addresses(address: str) -> None:
    resolver = PublicAddressResolver(allow_loopback=False, inner=Answers(address))
    assert [r["host"] for r in await resolver.resolve("client.example", 443)] == [address]


@pytest.mark.parametrize("address", [a for a in REFUSED if a != "not an address"])
async def test_a_client_id_naming_a_non_global_address_is_refused_before_any_connection(address: str) -> None:
    host = f"[{address}]" if ":" in address else address
    fetcher = ClientMetadataFetcher(allow_loopback=False)
    try:
        with pytest.raises(ClientMetadataError, match="private address"):
            await fetcher.fetch(f"https://{host}/client.json")
    finally:
        await fetcher.aclose()
