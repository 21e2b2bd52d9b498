"""Client ID Metadata Documents: a client id that is an https URL naming its own metadata.

Fetching a URL a stranger chose is a server-side request forgery risk, so: https only, the
host must resolve to public addresses only (`public_address.py`; loopback allowed only when the
operator enables it for tests), no redirects, no compression and a small size cap. The address
rule is checked twice: up front, for a clear refusal, and again by the resolver of the connection
itself, so a host whose DNS answer changes between the two (DNS rebinding) still cannot reach a
private address.

It is also a way for a stranger to make this server wait, so every fetch has a deadline for the
whole of it (lookup, connect, headers and body: a read timeout alone lets a host that sends one
byte at a time hold a fetch forever), a host gets only a few fetches at once, all hosts together
a bounded number, and a fetch beyond either is refused at once instead of queueing. Requests for a
client id whose fetch is already running wait for that fetch instead of starting their own.

Whatever a client id or a document holds, the only exception that leaves `fetch` is
`ClientMetadataError`, which the provider answers as an unknown client (a 4xx).
"""

from __future__ import annotations

import json
import re
import socket
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import anyio
import httpx
from mcp.shared.auth import OAuthClientInformationFull
from pydantic import ValidationError

from server.errors import MistralMcpError
from server.http.cookies import NoCookies
from server.http.wire import AiohttpTransport
from server.oauth.public_address import PublicAddressResolver, is_loopback, is_public

__all__ = ["ClientMetadataError", "ClientMetadataFetcher", "PublicAddressResolver", "is_metadata_url"]

MAX_DOCUMENT_BYTES = 64 * 1024
FETCH_TIMEOUT = 5.0
FETCHES_PER_HOST = 4
MAX_FETCHES = 64  # all hosts together; also the size of the connection pool, so no fetch waits for one
CACHE_SECONDS = 300.0
CACHE_ENTRIES = 1_000  # client ids are URLs anyone can make up: the cache must not grow with them

_DNS_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")


class ClientMetadataError(MistralMcpError):
    """A client id that names a metadata document we will not use: malformed, unreachable, too slow,
    too large, or not a valid client; the OAuth endpoints answer it as an unknown client."""


def is_metadata_url(client_id: str) -> bool:
    try:
        parts = urlsplit(client_id)
    except ValueError:  # an unclosed IPv6 bracket, say: not a URL, so not a metadata URL either
        return False
    return parts.scheme in {"https", "http"} and bool(parts.hostname) and parts.path not in {"", "/"}


@dataclass(frozen=True, slots=True)
class _Target:
    client_id: str
    url: httpx.URL  # parsed once, by the parser of the client that fetches it: what is checked is what is fetched
    host: str  # lowercase ASCII (IDNA), no trailing dot: one spelling per host for the per-host share
    port: int


def _host_name(url: httpx.URL) -> str | None:
    """The URL's host if it is an IP address or a well-formed DNS name, else None."""
    host = url.raw_host.decode("ascii", "replace").lower()  # httpx has IDNA-encoded it already
    if ":" in host:  # only an IPv6 address can hold one, and httpx has checked that it is one
        return host
    name = host.removesuffix(".")
    if len(name) > 253 or not all(_DNS_LABEL.fullmatch(label) for label in name.split(".")):
        return None
    return name


def _target(client_id: str) -> _Target:
    try:
        url = httpx.URL(client_id)
    except httpx.InvalidURL:
        raise ClientMetadataError("client id is not a valid URL") from None
    if url.scheme not in {"https", "http"}:
        raise ClientMetadataError("client metadata URL must use https")
    host = _host_name(url)
    if host is None:
        raise ClientMetadataError("client metadata URL has an invalid host name")
    if url.port is not None and not 0 < url.port < 65536:
        raise ClientMetadataError("client metadata URL has an invalid port")
    if url.userinfo or url.fragment:
        raise ClientMetadataError("client metadata URL must not carry a user name, password or fragment")
    return _Target(client_id, url, host, url.port or (443 if url.scheme == "https" else 80))


def _document(body: bytes, client_id: str) -> OAuthClientInformationFull:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
        raise ClientMetadataError("client metadata document is not JSON") from None
    if not isinstance(document, dict):
        raise ClientMetadataError("client metadata document is not a JSON object")
    try:
        info = OAuthClientInformationFull.model_validate({**document, "token_endpoint_auth_method": "none"})
    except (ValidationError, RecursionError):
        raise ClientMetadataError("client metadata document is not valid client metadata") from None
    if info.client_id != client_id:
        raise ClientMetadataError("client metadata document names a different client_id")
    if not info.redirect_uris:
        raise ClientMetadataError("client metadata document has no redirect_uris")
    return info


@dataclass(slots=True)
class _Flight:
    done: anyio.Event = field(default_factory=anyio.Event)
    info: OAuthClientInformationFull | None = None
    error: str | None = None  # both None: the fetch was cancelled


class ClientMetadataFetcher:
    def __init__(
        self, *, allow_loopback: bool, timeout: float = FETCH_TIMEOUT, fetches_per_host: int = FETCHES_PER_HOST
    ) -> None:
        self._allow_loopback = allow_loopback
        self._timeout = timeout
        self._fetches_per_host = fetches_per_host
        self._resolver = PublicAddressResolver(allow_loopback=allow_loopback)
        transport = AiohttpTransport(
            httpx.Limits(max_connections=MAX_FETCHES, keepalive_expiry=0), resolver=self._resolver
        )
        self._http = httpx.AsyncClient(
            timeout=timeout, follow_redirects=False, cookies=NoCookies(), transport=transport
        )
        self._cache: dict[str, tuple[float, OAuthClientInformationFull]] = {}
        self._flights: dict[str, _Flight] = {}  # client id -> its fetch running now
        self._per_host: dict[str, int] = {}  # host -> fetches from it running now

    async def aclose(self) -> None:
        await self._http.aclose()
        await self._resolver.close()  # the connector closes only a resolver it made itself

    async def fetch(self, client_id: str) -> OAuthClientInformationFull:
        """Raises:
        ClientMetadataError: malformed, unreachable, unsafe, slow, busy, too large, or not a valid
            document for this id.
        """
        cached = self._cache.get(client_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        target = _target(client_id)
        try:
            with anyio.fail_after(self._timeout):
                return await self._shared(target)
        except TimeoutError:
            raise ClientMetadataError(self._too_slow) from None

    @property
    def _too_slow(self) -> str:
        return f"client metadata took longer than {self._timeout:g} s to fetch"

    async def _shared(self, target: _Target) -> OAuthClientInformationFull:
        while (running := self._flights.get(target.client_id)) is not None:
            await running.done.wait()
            if running.info is not None:
                return running.info
            if running.error is not None:
                raise ClientMetadataError(running.error)
            # That fetch was cancelled (its request went away): wait for the next one, or be it.
        flight = self._flights[target.client_id] = _Flight()
        deadline = anyio.current_effective_deadline()
        try:
            flight.info = await self._fetch(target)
            return flight.info
        except ClientMetadataError as exc:
            flight.error = str(exc)
            raise
        except anyio.get_cancelled_exc_class():
            # Past the deadline, the requests sharing this fetch get its answer rather than start
            # another fetch from a host that was too slow; otherwise only its request went away.
            if anyio.current_time() >= deadline:
                flight.error = self._too_slow
            raise
        finally:
            del self._flights[target.client_id]
            flight.done.set()

    async def _fetch(self, target: _Target) -> OAuthClientInformationFull:
        if self._per_host.get(target.host, 0) >= self._fetches_per_host:
            raise ClientMetadataError(f"too many client metadata fetches from {target.host} at once")
        if sum(self._per_host.values()) >= MAX_FETCHES:
            raise ClientMetadataError("too many client metadata fetches at once")
        self._per_host[target.host] = self._per_host.get(target.host, 0) + 1
        try:
            await self._check_target(target)
            body = await self._download(target.url)
        finally:
            if (left := self._per_host.pop(target.host) - 1) > 0:
                self._per_host[target.host] = left
        info = _document(body, target.client_id)
        self._remember(target.client_id, info)
        return info

    async def _check_target(self, target: _Target) -> None:
        loopback_ok = self._allow_loopback and (target.host == "localhost" or is_loopback(target.host))
        if target.url.scheme != "https" and not loopback_ok:
            raise ClientMetadataError("client metadata URL must use https")
        try:
            infos = await anyio.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            raise ClientMetadataError("client metadata host does not resolve") from None
        addresses = {str(info[4][0]) for info in infos}
        if not loopback_ok and not all(is_public(a) for a in addresses):
            raise ClientMetadataError("client metadata host resolves to a private address")

    async def _download(self, url: httpx.URL) -> bytes:
        body = bytearray()
        # Uncompressed only: a small gzip body can inflate a thousandfold before any size check.
        headers = {"accept": "application/json", "accept-encoding": "identity"}
        try:
            async with self._http.stream("GET", url, headers=headers) as response:
                if response.status_code != 200:
                    raise ClientMetadataError(f"client metadata URL answered {response.status_code}")
                if response.headers.get("content-encoding", "identity").strip().lower() != "identity":
                    raise ClientMetadataError("client metadata document must not be compressed")
                async for chunk in response.aiter_raw():
                    body.extend(chunk)
                    if len(body) > MAX_DOCUMENT_BYTES:
                        raise ClientMetadataError("client metadata document is too large")
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
            raise ClientMetadataError(f"client metadata could not be fetched ({type(exc).__name__})") from None
        return bytes(body)

    def _remember(self, client_id: str, info: OAuthClientInformationFull) -> None:
        now = time.monotonic()
        self._cache.pop(client_id, None)  # re-inserted last: the dict stays in expiry order
        while self._cache and (len(self._cache) >= CACHE_ENTRIES or next(iter(self._cache.values()))[0] <= now):
            del self._cache[next(iter(self._cache))]
        self._cache[client_id] = (now + CACHE_SECONDS, info)
