"""`MistralClient`: one pooled `httpx.AsyncClient` per process, shared by every connection
(its connections are aiohttp's: `server/http/wire.py`).

Retries (bounded, jittered exponential backoff, `Retry-After` honoured up to a cap) apply to
429/502/503/504 and to failures to connect, where Mistral cannot have acted on the request.
A read timeout is not retried: the request may have been processed (and billed).
"""

from __future__ import annotations

import json as jsonlib  # `json` is the name of a request-body parameter below
import logging
import random
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anyio
import httpx

from server import __version__
from server.errors import UpstreamError, UpstreamRateLimited, UpstreamStreamBroken, UpstreamUnavailable
from server.http.cookies import NoCookies
from server.http.wire import AiohttpTransport
from server.settings import Settings
from server.upstream.errors import from_response, parse_retry_after
from server.upstream.observer import NullObserver, UpstreamObserver
from server.upstream.sse import StreamFormatError, iter_sse_json

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 502, 503, 504})
_BACKOFF_BASE = 0.5

FileField = tuple[str, bytes, str]


@dataclass(frozen=True, slots=True)
class Download:
    """A window of a downloaded body: `content` starts at `offset`; `total` when Mistral said it."""

    content: bytes
    offset: int
    total: int | None
    complete: bool  # the body ended inside the window


@dataclass(frozen=True, slots=True)
class UpstreamResponse:
    status: int
    headers: Mapping[str, str]
    content: bytes

    def json(self) -> Any:
        return jsonlib.loads(self.content) if self.content else None


class MistralClient:
    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        observer: UpstreamObserver | None = None,
    ) -> None:
        self.base_url = settings.upstream_url
        self._observer: UpstreamObserver = observer or NullObserver()
        self._max_retries = settings.upstream_max_retries
        self._max_wait = settings.upstream_retry_max_wait
        self._random = random.Random()  # noqa: S311 - jitter, not cryptography
        # The pool is the transport's: httpx's own `limits` would apply only to its default transport.
        limits = httpx.Limits(max_connections=settings.upstream_max_connections, keepalive_expiry=30)
        self._http = httpx.AsyncClient(
            base_url=settings.upstream_url,
            timeout=httpx.Timeout(settings.upstream_timeout, connect=settings.upstream_connect_timeout),
            headers={"user-agent": f"mistral-mcp/{__version__}", "accept": "application/json"},
            transport=transport or AiohttpTransport(limits),
            follow_redirects=False,
            cookies=NoCookies(),
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    def _backoff(self, attempt: int, retry_after: float | None) -> float | None:
        """Seconds to wait before retry `attempt` (1-based), or None when not worth retrying."""
        if attempt > self._max_retries:
            return None
        if retry_after is not None:
            return retry_after if retry_after <= self._max_wait else None
        jitter: float = self._random.uniform(0.5, 1.5)
        return min(self._max_wait, _BACKOFF_BASE * 2.0 ** (attempt - 1) * jitter)

    def _build(
        self,
        api_key: str,
        method: str,
        path: str,
        json: Any,
        params: Mapping[str, Any] | None,
        files: Mapping[str, FileField] | None,
        data: Mapping[str, str] | None,
        stream: bool,
    ) -> httpx.Request:
        headers = {"authorization": f"Bearer {api_key}"}
        if stream:
            headers["accept"] = "text/event-stream"
        clean_params = {k: v for k, v in (params or {}).items() if v is not None}
        return self._http.build_request(
            method, path, json=json, params=clean_params or None, files=files, data=data, headers=headers
        )

    async def _attempt(self, request: httpx.Request, *, stream: bool) -> httpx.Response:
        """One try, reported to the observer whether or not an answer came."""
        started = time.perf_counter()
        status: int | None = None
        try:
            response = await self._http.send(request, stream=stream)
            status = response.status_code
            return response
        finally:
            self._observer.response(request.method, request.url.path, status, time.perf_counter() - started)

    async def _send(self, request: httpx.Request, *, stream: bool) -> httpx.Response:
        """Send with retries; returns a 2xx response (open, when `stream`).

        Raises:
            UpstreamError: the final failure, mapped for people.
        """
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self._attempt(request, stream=stream)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                wait = self._backoff(attempt, None)
                if wait is None:
                    raise UpstreamUnavailable(
                        f"Could not reach Mistral ({type(exc).__name__}); try again shortly."
                    ) from None
                logger.info("retrying %s %s after a connection failure", request.method, request.url.path)
                self._observer.retry(request.method, request.url.path, "connect")
                await anyio.sleep(wait)
                continue
            except httpx.TimeoutException:
                raise UpstreamUnavailable(
                    "Mistral did not answer in time; try again, or ask for a shorter reply (max_tokens)."
                ) from None
            except httpx.HTTPError as exc:
                raise UpstreamUnavailable(f"The connection to Mistral failed ({type(exc).__name__}).") from None

            if response.status_code < 400:
                return response
            if stream:
                await response.aread()
                await response.aclose()
            if response.status_code in RETRY_STATUSES:
                wait = self._backoff(attempt, parse_retry_after(response.headers.get("retry-after")))
                if wait is not None:
                    logger.info(
                        "retrying %s %s after %d (attempt %d)",
                        request.method,
                        request.url.path,
                        response.status_code,
                        attempt,
                    )
                    self._observer.retry(request.method, request.url.path, str(response.status_code))
                    await anyio.sleep(wait)
                    continue
            raise from_response(response)

    async def request(
        self,
        api_key: str,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        files: Mapping[str, FileField] | None = None,
        data: Mapping[str, str] | None = None,
    ) -> UpstreamResponse:
        """One call to Mistral with retries.

        Raises:
            UpstreamError: Mistral could not be reached or refused the request.
        """
        request = self._build(api_key, method, path, json, params, files, data, stream=False)
        response = await self._send(request, stream=False)
        return UpstreamResponse(response.status_code, response.headers, response.content)

    @asynccontextmanager
    async def stream(self, api_key: str, path: str, *, json: Any) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        """Open a streamed completion; yields an iterator over its JSON chunks.

        Raises:
            UpstreamError: before the stream starts (after retries).
            UpstreamStreamBroken: while iterating, if the stream stops before `[DONE]`.
        """
        request = self._build(api_key, "POST", path, json, None, None, None, stream=True)
        response = await self._send(request, stream=True)
        self._observer.stream_opened()
        try:
            yield _chunks(response)
        finally:
            self._observer.stream_closed()
            await response.aclose()

    async def download(self, api_key: str, path: str, *, offset: int, limit: int) -> Download:
        """GET a raw body, keeping only bytes [offset, offset + limit).

        Streamed, so a file of hundreds of MB is never held in memory: bytes before `offset`
        are skipped and reading stops once the window is full.

        Raises:
            UpstreamError: Mistral could not be reached or refused the request.
        """
        request = self._build(api_key, "GET", path, None, None, None, None, stream=False)
        request.headers["accept"] = "*/*"
        response = await self._send(request, stream=True)
        kept = bytearray()
        seen = 0
        complete = True
        try:
            async for piece in response.aiter_bytes():
                start = max(0, offset - seen)
                seen += len(piece)
                if start < len(piece):
                    kept += piece[start : start + (limit + 1 - len(kept))]
                if len(kept) > limit:
                    complete = False
                    break
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable(f"The download from Mistral broke off ({type(exc).__name__}).") from None
        finally:
            await response.aclose()
        # A compressed body's Content-Length counts compressed bytes, not the file's.
        length = None if response.headers.get("content-encoding") else response.headers.get("content-length")
        total = seen if complete else (int(length) if length and length.isdigit() else None)
        return Download(bytes(kept[:limit]), offset, total, complete)

    async def check_key(self, api_key: str) -> None:
        """Ask Mistral whether the key is good (`GET /v1/models`).

        Raises:
            UpstreamError: rejected (`UpstreamAuthError`) or Mistral unreachable.
        """
        await self.request(api_key, "GET", "/v1/models")


async def _chunks(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
    try:
        async for chunk in iter_sse_json(response.aiter_lines()):
            yield chunk
    except StreamFormatError as exc:
        raise UpstreamStreamBroken(f"Mistral's reply stream broke off: {exc}.") from None
    except httpx.HTTPError as exc:
        raise UpstreamStreamBroken(f"Mistral's reply stream broke off ({type(exc).__name__}).") from None


__all__ = ["Download", "MistralClient", "UpstreamError", "UpstreamRateLimited", "UpstreamResponse"]
