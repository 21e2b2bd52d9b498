"""Sign-up attempts are counted per client address; IPv6 clients per /64, the block one host gets."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from server.web.signup_guard import client_address_key


def request_from(host: str | None) -> Request:
    return Request(
        {"type": "http", "method": "POST", "path": "/", "headers": [], "client": (host, 1) if host else None}
    )


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("unix-socket", "unix-socket"),
        (None, "unknown"),
    ],
)
def test_clients_are_counted_by_address_and_ipv6_ones_by_their_64(host: str | None, key: str) -> None:
    assert client_address_key(request_from(host)) == key
