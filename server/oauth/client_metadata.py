"""Client ID Metadata Documents: a client id that is an https URL naming its own metadata.

Fetching a URL a stranger chose is a server-side request forgery risk, so: https only, the
host must resolve to public addresses only (`public_address.py`; loopback allowed only when the
operator enables it for tests), no redirects, a short timeout and a small size cap. The address
rule is checked twice: up front, for a clear refusal, and again by the resolver of the connection
itself, so a host whose DNS answer changes between the two (DNS rebinding) still cannot reach a
private address.
"""

from __future__ import annotations

import json
import socket
import time
from urllib.parse import urlsplit

import anyio
import httpx
from mcp.shared.auth import OAuthClientInformationFull
from pydantic import ValidationError

from server.no_cookies import NoCookies
from server.oauth.public_address import PublicAddressResolver, is_public
from server.upstream.transport import AiohttpTransport

MAX_DOCUMENT_BYTES = 64 * 1024
FETCH_TIMEOUT = 5.0
CACHE_SECONDS = 300.0
CACHE_ENTRIES = 1_000  # client ids are URLs anyone can make up: the cache must not grow with them


class ClientMetadataError(Exception):
    pass


def is_metadata_url(client_id: str) -> bool:
    parts = urlsplit(client_id)
    return parts.scheme in {"https", "http"} and bool(parts.hostname) and parts.path not in {"", "/"}


class ClientMetadataFetcher:
    def __init__(self, *, allow_loopback: bool) -> None:
        self._allow_loopback = allow_loopback
        self._resolver = PublicAddressResolver(allow_loopback=allow_loopback)
        transport = AiohttpTransport(httpx.Limits(max_connections=20, keepalive_expiry=0), resolver=self._resolver)
        self._http = httpx.AsyncClient(
            timeout=FETCH_TIMEOUT, follow_redirects=False, cookies=NoCookies(), transport=transport
        )
        self._cache: dict[str, tuple[float, OAuthClientInformationFull]] = {}

    async def aclose(self) -> None:
        await self._http.aclose()
        await self._resolver.close()  # the connector closes only a resolver it made itself

    async def _check_target(self, url: str) -> None:
        parts = urlsplit(url)
        host = parts.hostname or ""
        loopback_ok = self._allow_loopback and host in {"127.0.0.1", "localhost", "::1"}
        if parts.scheme != "https" and not loopback_ok:
            raise ClientMetadataError("client metadata URL must use https")
        try:
            infos = await anyio.getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
        except OSError:
            raise ClientMetadataError("client metadata host does not resolve") from None
        addresses = {str(info[4][0]) for info in infos}
        if not loopback_ok and not all(is_public(a) for a in addresses):
            raise ClientMetadataError("client metadata host resolves to a private address")

    async def fetch(self, client_id: str) -> OAuthClientInformationFull:
        """Raises:
        ClientMetadataError: unreachable, unsafe, too large, or not a valid document for this id.
        """
        cached = self._cache.get(client_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        await self._check_target(client_id)
        body = bytearray()
        try:
            async with self._http.stream("GET", client_id, headers={"accept": "application/json"}) as response:
                if response.status_code != 200:
                    raise ClientMetadataError(f"client metadata URL answered {response.status_code}")
                async for chunk in response.aiter_bytes():
                    body.extend(chunk)
                    if len(body) > MAX_DOCUMENT_BYTES:
                        raise ClientMetadataError("client metadata document is too large")
        except httpx.HTTPError as exc:
            raise ClientMetadataError(f"client metadata could not be fetched ({type(exc).__name__})") from None
        try:
            document = json.loads(body)
            info = OAuthClientInformationFull.model_validate({**document, "token_endpoint_auth_method": "none"})
        except (ValueError, ValidationError):
            raise ClientMetadataError("client metadata document is not valid client metadata") from None
        if info.client_id != client_id:
            raise ClientMetadataError("client metadata document names a different client_id")
        if not info.redirect_uris:
            raise ClientMetadataError("client metadata document has no redirect_uris")
        self._remember(client_id, info)
        return info

    def _remember(self, client_id: str, info: OAuthClientInformationFull) -> None:
        now = time.monotonic()
        self._cache.pop(client_id, None)  # re-inserted last: the dict stays in expiry order
        while self._cache and (len(self._cache) >= CACHE_ENTRIES or next(iter(self._cache.values()))[0] <= now):
            del self._cache[next(iter(self._cache))]
        self._cache[client_id] = (now + CACHE_SECONDS, info)
