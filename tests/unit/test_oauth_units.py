import socket
from collections.abc import Iterator

import aiohttp
import pytest
from pydantic import AnyUrl
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from server.oauth import client_metadata
from server.oauth.client_metadata import (
    ClientMetadataError,
    ClientMetadataFetcher,
    PublicAddressResolver,
    is_metadata_url,
)
from server.oauth.provider import OurClient, client_display
from server.oauth.redirect_uris import redirect_uri_problem
from tests.support.servers import ServerThread

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/client.json",  # not https
        "https://127.0.0.1/client.json",  # loopback
        "https://10.1.2.3/client.json",  # private
        "https://169.254.169.254/latest/meta-data",  # link-local (cloud metadata)
        "https://[::1]/client.json",
    ],
)
async def test_metadata_fetch_refuses_unsafe_targets(url: str) -> None:
    fetcher = ClientMetadataFetcher(allow_loopback=False)
    try:
        with pytest.raises(ClientMetadataError):
            await fetcher.fetch(url)
    finally:
        await fetcher.aclose()


def test_only_urls_with_a_path_are_metadata_client_ids() -> None:
    assert is_metadata_url("https://app.example.com/oauth/client.json")
    assert not is_metadata_url("https://app.example.com/")
    assert not is_metadata_url("3f2c9a")


def test_loopback_redirects_may_change_port_but_nothing_else() -> None:
    client = OurClient(client_id="c", redirect_uris=[AnyUrl("http://127.0.0.1:5000/callback")])
    assert client.validate_redirect_uri(AnyUrl("http://127.0.0.1:6123/callback"))
    with pytest.raises(Exception, match="not registered"):
        client.validate_redirect_uri(AnyUrl("http://127.0.0.1:6123/other"))
    https_client = OurClient(client_id="c", redirect_uris=[AnyUrl("https://claude.ai/api/mcp/auth_callback")])
    with pytest.raises(Exception, match="not registered"):
        https_client.validate_redirect_uri(AnyUrl("https://claude.ai/api/mcp/other"))


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


@pytest.mark.parametrize(
    ("addresses", "allow_loopback", "allowed"),
    [
        (("93.184.216.34",), False, True),
        (("93.184.216.34", "2606:2800:220:1::1"), False, True),
        (("10.0.0.5",), False, False),
        (("93.184.216.34", "169.254.169.254"), False, False),  # one private answer is enough to refuse
        (("127.0.0.1",), False, False),
        (("127.0.0.1",), True, True),
        (("192.168.1.1",), True, False),  # allowing loopback allows nothing else
        ((), False, False),
    ],
)
async def test_the_connection_resolver_refuses_any_non_public_answer(
    addresses: tuple[str, ...], allow_loopback: bool, allowed: bool
) -> None:
    resolver = PublicAddressResolver(allow_loopback=allow_loopback, inner=Answers(*addresses))
    if allowed:
        assert [r["host"] for r in await resolver.resolve("client.example", 443)] == list(addresses)
    else:
        with pytest.raises(OSError, match="private address"):
            await resolver.resolve("client.example", 443)


@pytest.fixture
def document_server() -> Iterator[ServerThread]:
    server = ServerThread()

    async def document(_request: object) -> JSONResponse:
        client_id = f"http://localhost:{server.port}/client.json"
        return JSONResponse({"client_id": client_id, "redirect_uris": ["http://127.0.0.1:5000/cb"]})

    server.start(Starlette(routes=[Route("/client.json", document)]))
    yield server
    server.stop()


@pytest.mark.parametrize("allow_loopback", [False, True])
async def test_a_name_that_resolves_privately_only_at_connect_time_is_still_refused(
    document_server: ServerThread, allow_loopback: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DNS rebinding: the up-front check saw a public address, the connection would go to loopback.
    async def passed(_self: ClientMetadataFetcher, _url: str) -> None:
        return

    monkeypatch.setattr(ClientMetadataFetcher, "_check_target", passed)
    fetcher = ClientMetadataFetcher(allow_loopback=allow_loopback)
    url = f"http://localhost:{document_server.port}/client.json"
    try:
        if allow_loopback:  # the same fetch goes through when the rule allows the address
            assert (await fetcher.fetch(url)).client_id == url
        else:
            with pytest.raises(ClientMetadataError, match="could not be fetched"):
                await fetcher.fetch(url)
    finally:
        await fetcher.aclose()


@pytest.mark.parametrize(
    ("uri", "problem"),
    [
        ("https://claude.ai/api/mcp/auth_callback", None),
        ("http://127.0.0.1:5000/callback", None),
        ("cursor://anysphere.cursor-mcp/oauth/callback", None),
        ("http://app.example/callback", "loopback"),
        ("https://claude.ai@evil.example/cb", "user name"),
        ("https://user:pw@app.example/cb", "user name"),
        ("com.example.app:/oauth2redirect", None),
        ("vscode://vscode.github-authentication/did-authenticate", None),
        ("javascript:alert(1)", "javascript:"),
        ("Java\tScript:alert(1)", "javascript:"),
        ("data:text/html,<script>alert(1)</script>", "data:"),
        ("file:///etc/passwd", "file:"),
        ("vbscript:msgbox(1)", "vbscript:"),
        ("blob:https://app.example/0b1c", "blob:"),
        ("about:blank", "about:"),
    ],
)
def test_redirect_uris_are_checked_the_same_for_registration_and_metadata_documents(
    uri: str, problem: str | None
) -> None:
    found = redirect_uri_problem([AnyUrl(uri)])
    assert found is None if problem is None else (found is not None and problem in found)


def test_the_consent_page_names_the_host_the_code_goes_to() -> None:
    client = OurClient(client_id="c", client_name="Claude", redirect_uris=[AnyUrl("https://x.example/cb")])
    assert client_display(client, "https://claude.ai@evil.example/cb") == ("Claude", "evil.example")
    assert client_display(client, "http://127.0.0.1:5000/cb") == ("Claude", "127.0.0.1:5000")
    assert client_display(client, "cursor://anysphere.cursor-mcp/cb") == ("Claude", "anysphere.cursor-mcp")


async def test_the_metadata_cache_is_bounded_and_keeps_the_newest(monkeypatch: pytest.MonkeyPatch) -> None:
    # Client ids are URLs anyone can make up (a query string each): the cache must not grow with them.
    served: list[str] = []
    server = ServerThread()

    async def echo(request: Request) -> JSONResponse:
        served.append(str(request.url))
        return JSONResponse({"client_id": str(request.url), "redirect_uris": ["http://127.0.0.1:5000/cb"]})

    server.start(Starlette(routes=[Route("/client.json", echo)]))
    monkeypatch.setattr(client_metadata, "CACHE_ENTRIES", 5)
    fetcher = ClientMetadataFetcher(allow_loopback=True)
    try:
        ids = [f"http://localhost:{server.port}/client.json?n={n}" for n in range(12)]
        for client_id in ids:
            await fetcher.fetch(client_id)
        assert len(fetcher._cache) == 5
        await fetcher.fetch(ids[-1])  # still cached: not fetched again
        assert len(served) == 12
        await fetcher.fetch(ids[0])  # evicted long ago: fetched again
        assert len(served) == 13
    finally:
        await fetcher.aclose()
        server.stop()
