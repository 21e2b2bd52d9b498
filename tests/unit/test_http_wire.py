"""The aiohttp wire under our httpx client, against a raw socket server on loopback.

What matters most is which httpx error each failure becomes: the client retries only the
connect-time kinds (Mistral never saw the request), so a failure after sending must never
look like one.
"""

from __future__ import annotations

import asyncio
import gzip
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
import pytest

from server.http.wire import AiohttpTransport

pytestmark = pytest.mark.anyio

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, bytes, bytes], Awaitable[bool]]
LIMITS = httpx.Limits(max_connections=10, keepalive_expiry=30)


class RawServer:
    """Reads one HTTP/1.1 request at a time and lets `handler` answer it at the byte level."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.requests: list[tuple[bytes, bytes]] = []  # (head, body)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.lower().split(b"\r\n")
                        if line.startswith(b"content-length:")
                    ),
                    0,
                )
                body = await reader.readexactly(length) if length else b""
                self.requests.append((head, body))
                if not await self.handler(reader, writer, head, body):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def raw_server(handler: Handler) -> AsyncIterator[tuple[RawServer, str]]:
    raw = RawServer(handler)
    server = await asyncio.start_server(raw._serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield raw, f"http://127.0.0.1:{port}"
        server.close()


@asynccontextmanager
async def client(base_url: str, timeout: float = 5.0) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=base_url, transport=AiohttpTransport(LIMITS), timeout=httpx.Timeout(timeout, connect=2)
    ) as http:
        yield http


def response(body: bytes, *headers: str, length: int | None = None) -> bytes:
    lines = ["HTTP/1.1 200 OK", f"content-length: {len(body) if length is None else length}", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def answer_ok(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes, body: bytes) -> bool:
    writer.write(response(b'{"ok": true}', "content-type: application/json"))
    await writer.drain()
    return True


async def test_a_json_post_arrives_whole_and_the_connection_is_reused() -> None:
    async with raw_server(answer_ok) as (raw, url), client(url) as http:
        first = await http.post("/v1/chat/completions", json={"model": "m"}, headers={"authorization": "Bearer k"})
        second = await http.get("/v1/models")
    assert (first.status_code, first.json(), second.json()) == (200, {"ok": True}, {"ok": True})
    head, body = raw.requests[0]
    assert head.startswith(b"POST /v1/chat/completions HTTP/1.1\r\n")
    assert b"authorization: bearer k" in head.lower()
    assert body == b'{"model":"m"}'
    assert raw.connections == 1


async def test_a_multipart_upload_keeps_its_boundary_and_length() -> None:
    async with raw_server(answer_ok) as (raw, url), client(url) as http:
        await http.post(
            "/v1/files", files={"file": ("a.jsonl", b"line\n" * 1000, "application/jsonl")}, data={"purpose": "batch"}
        )
    head, body = raw.requests[0]
    content_type = next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-type:"))
    boundary = content_type.split(b"boundary=")[1]
    assert body.startswith(b"--" + boundary) and body.rstrip().endswith(b"--" + boundary + b"--")
    assert b"line\n" * 1000 in body and b'name="purpose"' in body


async def test_a_compressed_answer_is_decoded_once() -> None:
    async def gzipped(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes, body: bytes) -> bool:
        writer.write(response(gzip.compress(b'{"zipped": 1}'), "content-encoding: gzip"))
        await writer.drain()
        return True

    async with raw_server(gzipped) as (_, url), client(url) as http:
        assert (await http.get("/v1/models")).json() == {"zipped": 1}


async def test_a_refused_connection_is_a_connect_error_which_the_client_may_retry() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: the connection is refused
        async with client(f"http://127.0.0.1:{port}") as http:
            with pytest.raises(httpx.ConnectError):
                await http.post("/v1/chat/completions", json={})


async def test_a_reset_after_sending_is_not_a_connect_error() -> None:
    async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes, body: bytes) -> bool:
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()
        return False

    async with raw_server(reset) as (raw, url), client(url) as http:
        with pytest.raises(httpx.TransportError) as caught:
            await http.post("/v1/chat/completions", json={})
    assert not isinstance(caught.value, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
    assert len(raw.requests) == 1  # a POST is never resent by the transport either


async def test_a_body_cut_short_is_a_protocol_error() -> None:
    async def cut(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes, body: bytes) -> bool:
        writer.write(response(b'{"part', length=100))
        await writer.drain()
        return False

    async with raw_server(cut) as (_, url), client(url) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            await http.post("/v1/chat/completions", json={})


async def test_silence_after_sending_is_a_read_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes, body: bytes) -> bool:
        await reader.read()  # until the client gives up and closes
        return False

    async with raw_server(silent) as (_, url), client(url, timeout=0.3) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.post("/v1/chat/completions", json={})


async def test_a_stream_left_halfway_is_closed_not_reused() -> None:
    async def big(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes, body: bytes) -> bool:
        writer.write(response(b"x" * 1_000_000))
        await writer.drain()
        return True

    async with raw_server(big) as (raw, url), client(url) as http:
        async with http.stream("GET", "/v1/files/f/content") as streamed:
            async for _ in streamed.aiter_raw():
                break  # the rest of the body is never read
        whole = await http.get("/v1/files/f/content")
    assert len(whole.content) == 1_000_000
    assert raw.connections == 2
