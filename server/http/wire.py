"""The connection pool to Mistral: aiohttp underneath our httpx client.

httpx stays the client's API (request building, timeouts, response decoding, the
`MockTransport` seam the unit tests use); only the wire underneath is aiohttp's, whose HTTP
parser and connection pool are written in C. With httpcore, the pool walked every open
connection on each request and every lock asked which event loop runs: with 1,000 calls in
flight, the upstream client was a third of the server's CPU. aiohttp cut a tool call's CPU
by about a third and halved the time a burst of calls takes to reach Mistral (bench/RESULTS.md).

The exception mapping is the part that matters for correctness. The client retries
`httpx.ConnectError`/`ConnectTimeout`/`PoolTimeout` because Mistral never saw such a request;
anything that can happen after the request went out (a reset, a disconnect, a body cut short,
a read timeout) must map to an error that is *not* retried, or a completion could be billed
twice. aiohttp's `ClientConnectorError` and `ConnectionTimeoutError` are raised only while
connecting (or waiting for a free connection), so only they map to the retried kinds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import aiohttp
import httpx

_CHUNK = 64 * 1024
_FRAMING = frozenset({"content-length", "transfer-encoding"})


@contextmanager
def _mapped_errors() -> Iterator[None]:
    """aiohttp's exceptions as the httpx ones the client understands (order matters: subclasses first)."""
    try:
        yield
    except aiohttp.ConnectionTimeoutError as exc:  # connecting, or waiting for a pooled connection
        raise httpx.ConnectTimeout(str(exc) or "timed out connecting") from exc
    except aiohttp.SocketTimeoutError as exc:  # no byte for `read` seconds, after sending
        raise httpx.ReadTimeout(str(exc) or "timed out reading") from exc
    except aiohttp.ClientConnectorError as exc:  # DNS, refused, TLS handshake: nothing was sent
        raise httpx.ConnectError(str(exc)) from exc
    except (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError, aiohttp.ClientResponseError) as exc:
        raise httpx.RemoteProtocolError(str(exc) or type(exc).__name__) from exc
    except (aiohttp.ClientOSError, ConnectionError) as exc:  # a reset or broken pipe mid-exchange
        raise httpx.ReadError(str(exc) or type(exc).__name__) from exc
    except aiohttp.ClientError as exc:
        raise httpx.TransportError(str(exc) or type(exc).__name__) from exc


class _ResponseStream(httpx.AsyncByteStream):
    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _mapped_errors():
            async for chunk in self._response.content.iter_chunked(_CHUNK):
                yield chunk

    async def aclose(self) -> None:
        # A body read to the end gives its connection back to the pool; one abandoned halfway
        # (a download window filled, a cancelled stream) cannot be reused and is closed.
        if self._response.content.at_eof():
            self._response.release()
        else:
            self._response.close()


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An httpx transport sending through one `aiohttp.ClientSession`, made on first use.

    The session belongs to the event loop that first uses it, which is the app's: the client
    is built in the lifespan and never shared across loops.
    """

    def __init__(self, limits: httpx.Limits, *, resolver: aiohttp.abc.AbstractResolver | None = None) -> None:
        self._limits = limits
        self._resolver = resolver  # None: aiohttp's default
        # httpx's own trust store (certifi, or SSL_CERT_FILE), so switching transports changes
        # nothing about which certificates Mistral's endpoint is checked against.
        self._ssl = httpx.create_ssl_context()
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=self._limits.max_connections or 0,
            limit_per_host=0,
            keepalive_timeout=self._limits.keepalive_expiry or 0,
            ssl=self._ssl,
            resolver=self._resolver,
        )
        # No cookies kept (each request carries its own key), no proxies from the environment
        # (httpx did not use them either: trust_env is applied by httpx, not here).
        return aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,  # httpx decodes Content-Encoding itself
            skip_auto_headers=("User-Agent", "Accept-Encoding", "Content-Type"),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._session is None:
            self._session = self._open()
        timeout = request.extensions.get("timeout", {})
        body = await request.aread()  # JSON, or a multipart upload httpx has already encoded
        with _mapped_errors():
            response = await self._session.request(
                request.method,
                str(request.url),
                # aiohttp frames the body it is given and counts it itself.
                headers=[(k, v) for k, v in request.headers.multi_items() if k.lower() not in _FRAMING],
                data=body or None,
                allow_redirects=False,
                compress=None,
                timeout=aiohttp.ClientTimeout(
                    total=None,
                    connect=timeout.get("pool"),
                    sock_connect=timeout.get("connect"),
                    sock_read=timeout.get("read"),
                ),
            )
        return httpx.Response(
            status_code=response.status,
            headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.raw_headers],
            stream=_ResponseStream(response),
            request=request,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": (response.reason or "").encode("latin-1")},
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
