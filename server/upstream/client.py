"""`MistralClient`: one pooled `httpx.AsyncClient` per process, shared by every connection
(its connections are aiohttp's: `server/http/wire.py`).

Retries (bounded, jittered exponential backoff, `Retry-After` honoured up to a cap) apply to
429/502/503/504 and to failures to connect, where Mistral cannot have acted on the request.
A read timeout is not retried: the request may have been processed (and billed).

Every reply is bounded: a body is read up to settings.upstream_max_response_bytes, a stream
in total and per event (`sse.py`), a download by its window. Each Mistral key has its fair
share of the pool (`fair_share.py`), so one key cannot queue everyone else's calls.
"""

from __future__ import annotations

import json as jsonlib  # `json` is the name of a request-body parameter below
import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
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
from server.upstream.errors import from_response, parse_retry_after, reply_too_large, unexpected_reply
from server.upstream.fair_share import ShareExhausted, UpstreamShares, tenant_of
from server.upstream.observer import NullObserver, UpstreamObserver
from server.upstream.sse import StreamFormatError, iter_sse_json, iter_sse_lines

logger = logging.getLogger(__name__)

MODELS_PATH = "/v1/models"
"""The model list: the key check reads it, and so does the models tool (`server.tools.models`)."""

RETRY_STATUSES = frozenset({429, 502, 503, 504})
_BACKOFF_BASE = 0.5
# Headers that describe the body as it came over the wire, not the decoded bytes kept of it.
_WIRE_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})

FileField = tuple[str, bytes, str]
# One part of a multipart/form-data body: a plain field's value, or a file (name, bytes, content type).
FormPart = str | FileField


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
        """The body as JSON (None when empty).

        Raises:
            UpstreamUnexpectedReply: the body is not JSON (an HTML page from a proxy, say).
        """
        if not self.content:
            return None
        try:
            return jsonlib.loads(self.content)
        except ValueError:
            raise unexpected_reply(self.status, self.headers.get("content-type"), "JSON") from None


class MistralClient:
    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        observer: UpstreamObserver | None = None,
    ) -> None:
        self._observer: UpstreamObserver = observer or NullObserver()
        self._max_retries = settings.upstream_max_retries
        self._max_wait = settings.upstream_retry_max_wait
        self._random = random.Random()  # noqa: S311 - jitter, not cryptography
        self._max_body = settings.upstream_max_response_bytes
        self._shares = UpstreamShares(
            settings.upstream_key_share, wait=settings.upstream_timeout, on_wait=self._waiting_for_share
        )
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
        multipart: Sequence[tuple[str, FormPart]] | None = None,
    ) -> httpx.Request:
        headers = {"authorization": f"Bearer {api_key}"}
        if stream:
            headers["accept"] = "text/event-stream"
        clean_params = {k: v for k, v in (params or {}).items() if v is not None}
        parts: Any = files
        if multipart is not None:
            # Every part goes in as a file-less "file" entry: httpx sends form data without files
            # url-encoded, and an endpoint documented as multipart/form-data must get multipart.
            parts = [(name, (None, part.encode()) if isinstance(part, str) else part) for name, part in multipart]
        return self._http.build_request(
            method, path, json=json, params=clean_params or None, files=parts, data=data, headers=headers
        )

    def _waiting_for_share(self) -> None:
        logger.debug("an upstream request waits for its key's share of the pool", extra={"share": self._shares.share})

    @asynccontextmanager
    async def _turn(self, api_key: str) -> AsyncIterator[None]:
        """Hold one of this key's slots in the pool for the block.

        Raises:
            UpstreamUnavailable: the key's other requests held every slot for too long.
        """
        try:
            async with self._shares.turn(tenant_of(api_key)):
                yield
        except ShareExhausted:
            raise UpstreamUnavailable(
                f"This Mistral key already has {self._shares.share} requests to Mistral in flight through this "
                "server (its share of the connections) and none finished in time; retry once some are done."
            ) from None

    async def _read_body(self, response: httpx.Response) -> bytes:
        """The whole body, decoded, read up to the size cap; the response is closed after.

        Raises:
            UpstreamReplyTooLarge: past the cap (announced by Content-Length, or as it arrives).
        """
        try:
            declared = response.headers.get("content-length", "")
            if not response.headers.get("content-encoding") and declared.isdigit() and int(declared) > self._max_body:
                raise reply_too_large(self._max_body)
            body = bytearray()
            async for piece in response.aiter_bytes():
                body += piece
                if len(body) > self._max_body:
                    raise reply_too_large(self._max_body)
            return bytes(body)
        finally:
            await response.aclose()

    async def _attempt(self, request: httpx.Request, *, stream: bool) -> tuple[httpx.Response, bytes | None]:
        """One try, reported to the observer whether or not an answer came.

        Returns the response and its body; a successful `stream` comes back open, without a body.
        """
        started = time.perf_counter()
        status: int | None = None
        try:
            response = await self._http.send(request, stream=True)
            status = response.status_code
            if stream and status < 300:
                return response, None
            return response, await self._read_body(response)
        finally:
            self._observer.response(request.method, request.url.path, status, time.perf_counter() - started)

    async def _send(self, request: httpx.Request, *, stream: bool, api_key: str) -> tuple[httpx.Response, bytes | None]:
        """Send with retries; returns a 2xx response and its body (open and without one, when `stream`).

        Raises:
            UpstreamError: the final failure, mapped for people.
        """
        attempt = 0
        while True:
            attempt += 1
            try:
                response, body = await self._attempt(request, stream=stream)
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

            if response.status_code < 300:
                return response, body
            if response.status_code < 400:
                # Redirects are never followed: the request carries the caller's key.
                raise unexpected_reply(response.status_code, response.headers.get("content-type"), "an answer")
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
            raise from_response(_with_body(response, body or b""), api_key)

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
        multipart: Sequence[tuple[str, FormPart]] | None = None,
    ) -> UpstreamResponse:
        """One call to Mistral with retries; `multipart` is a multipart/form-data body, part by part.

        Raises:
            UpstreamError: Mistral could not be reached or refused the request.
        """
        request = self._build(api_key, method, path, json, params, files, data, stream=False, multipart=multipart)
        async with self._turn(api_key):
            response, body = await self._send(request, stream=False, api_key=api_key)
        return UpstreamResponse(response.status_code, response.headers, body or b"")

    @asynccontextmanager
    async def stream(
        self,
        api_key: str,
        path: str,
        *,
        json: Any = None,
        multipart: Sequence[tuple[str, FormPart]] | None = None,
        final: Callable[[dict[str, Any]], bool] | None = None,
    ) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        """Open a streamed reply to a JSON or multipart body; yields an iterator over its JSON chunks.

        The stream ends at `[DONE]`, or after the chunk `final` recognises (for streams without `[DONE]`).

        Raises:
            UpstreamError: before the stream starts (after retries).
            UpstreamStreamBroken: while iterating, if the stream stops before its end.
        """
        request = self._build(api_key, "POST", path, json, None, None, None, stream=True, multipart=multipart)
        async with self._turn(api_key):
            response, _ = await self._send(request, stream=True, api_key=api_key)
            self._observer.stream_opened()
            try:
                yield _chunks(response, self._max_body, final)
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
        async with self._turn(api_key):
            return await self._download_window(request, offset, limit, api_key)

    async def _download_window(self, request: httpx.Request, offset: int, limit: int, api_key: str) -> Download:
        response, _ = await self._send(request, stream=True, api_key=api_key)
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
        """Ask Mistral whether the key is good: the model list, which every key may read.

        Raises:
            UpstreamError: rejected (`UpstreamAuthError`) or Mistral unreachable.
        """
        await self.request(api_key, "GET", MODELS_PATH)


def _with_body(response: httpx.Response, body: bytes) -> httpx.Response:
    """A closed response holding `body` (already decoded), for the error mapping to read."""
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _WIRE_HEADERS]
    return httpx.Response(
        response.status_code, headers=headers, content=body, request=response.request, extensions=response.extensions
    )


async def _chunks(
    response: httpx.Response, max_total: int, final: Callable[[dict[str, Any]], bool] | None
) -> AsyncIterator[dict[str, Any]]:
    try:
        async for chunk in iter_sse_json(iter_sse_lines(response.aiter_bytes(), max_total=max_total), final=final):
            yield chunk
    except StreamFormatError as exc:
        raise UpstreamStreamBroken(f"Mistral's reply stream broke off: {exc}.") from None
    except httpx.HTTPError as exc:
        raise UpstreamStreamBroken(f"Mistral's reply stream broke off ({type(exc).__name__}).") from None


__all__ = [
    "Download",
    "FileField",
    "FormPart",
    "MistralClient",
    "UpstreamError",
    "UpstreamRateLimited",
    "UpstreamResponse",
]
