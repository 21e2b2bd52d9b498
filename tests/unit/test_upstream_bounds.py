"""Replies from Mistral are bounded and checked: unexpected replies and oversized ones are
actionable errors, never internal errors, and nothing past the cap is held in memory."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

import httpx
import pytest

from server.errors import UpstreamStreamBroken
from server.settings import Settings
from server.upstream.client import MistralClient
from server.upstream.errors import UpstreamReplyTooLarge, UpstreamUnexpectedReply
from server.upstream.sse import MAX_EVENT_BYTES, StreamFormatError, iter_sse_json, iter_sse_lines

pytestmark = pytest.mark.anyio

SETTINGS = replace(Settings(), upstream_url="http://mistral.test", upstream_max_retries=0)
SSE = {"content-type": "text/event-stream"}


def client_for(handler: Callable[[httpx.Request], httpx.Response], **overrides: object) -> MistralClient:
    return MistralClient(replace(SETTINGS, **overrides), transport=httpx.MockTransport(handler))


class Trickle(httpx.AsyncByteStream):
    """A body of `count` pieces, sent without a Content-Length (as a chunked reply is)."""

    def __init__(self, piece: bytes, count: int) -> None:
        self.piece = piece
        self.count = count
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.count):
            self.sent += 1
            yield self.piece


async def pieces(*chunks: bytes) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


async def test_a_200_that_is_not_json_names_the_status_and_content_type() -> None:
    client = client_for(lambda _: httpx.Response(200, html="<html>Sign in to the Wi-Fi</html>"))
    response = await client.request("k", "GET", "/v1/models")
    with pytest.raises(UpstreamUnexpectedReply, match=r"unexpected reply \(HTTP 200, text/html\)") as raised:
        response.json()
    assert "Sign in" not in str(raised.value)


async def test_a_redirect_is_an_unexpected_reply_and_is_not_followed() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(302, headers={"location": "http://elsewhere.test/login"})

    with pytest.raises(UpstreamUnexpectedReply, match=r"HTTP 302, no content type"):
        await client_for(handler).request("k", "POST", "/v1/chat/completions", json={})
    assert len(seen) == 1


async def test_a_redirect_before_a_stream_is_an_unexpected_reply() -> None:
    client = client_for(lambda _: httpx.Response(307, text="moved", headers={"location": "/x"}))
    with pytest.raises(UpstreamUnexpectedReply, match=r"HTTP 307, text/plain"):
        async with client.stream("k", "/v1/chat/completions", json={}):
            pass


async def test_a_body_announced_larger_than_the_cap_is_refused_unread() -> None:
    body = Trickle(b"x" * 1024, 64)

    def handler(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-length": str(64 * 1024)}, stream=body)

    with pytest.raises(UpstreamReplyTooLarge, match="larger than the 16 KiB"):
        await client_for(handler, upstream_max_response_bytes=16 * 1024).request("k", "GET", "/v1/files")
    assert body.sent == 0


async def test_a_body_without_a_length_is_cut_at_the_cap() -> None:
    body = Trickle(b"x" * 1024, 1000)
    client = client_for(lambda _: httpx.Response(200, stream=body), upstream_max_response_bytes=16 * 1024)
    with pytest.raises(UpstreamReplyTooLarge, match="Ask for less"):
        await client.request("k", "GET", "/v1/files")
    assert body.sent == 17  # stopped at the first piece past the cap, not at the end


async def test_the_cap_counts_the_decompressed_body() -> None:
    bomb = gzip.compress(b"{" + b" " * (1024 * 1024) + b"}")  # about 1 KiB on the wire
    client = client_for(
        lambda _: httpx.Response(200, content=bomb, headers={"content-encoding": "gzip"}),
        upstream_max_response_bytes=64 * 1024,
    )
    with pytest.raises(UpstreamReplyTooLarge):
        await client.request("k", "GET", "/v1/models")


async def test_a_body_within_the_cap_is_read_whole_and_decoded() -> None:
    packed = gzip.compress(b'{"data": [1, 2, 3]}')
    client = client_for(
        lambda _: httpx.Response(200, content=packed, headers={"content-encoding": "gzip"}),
        upstream_max_response_bytes=1024,
    )
    assert (await client.request("k", "GET", "/v1/models")).json() == {"data": [1, 2, 3]}


async def test_an_error_body_past_the_cap_is_refused_too() -> None:
    client = client_for(
        lambda _: httpx.Response(400, stream=Trickle(b"x" * 1024, 100)), upstream_max_response_bytes=2048
    )
    with pytest.raises(UpstreamReplyTooLarge):
        await client.request("k", "GET", "/v1/models")


async def test_a_stream_past_the_cap_in_total_breaks_off() -> None:
    event = b'data: {"choices": [{"delta": {"content": "word "}}]}\n\n'
    body = Trickle(event, 10_000)
    client = client_for(lambda _: httpx.Response(200, headers=SSE, stream=body), upstream_max_response_bytes=4096)
    async with client.stream("k", "/v1/chat/completions", json={}) as chunks:
        with pytest.raises(UpstreamStreamBroken, match="grew past the 4,096 bytes"):
            _ = [c async for c in chunks]
    assert body.sent < 100


async def test_one_endless_stream_line_breaks_off_at_the_event_bound() -> None:
    body = Trickle(b"data: " + b"x" * (64 * 1024), MAX_EVENT_BYTES // (64 * 1024) + 10)
    client = client_for(lambda _: httpx.Response(200, headers=SSE, stream=body))
    async with client.stream("k", "/v1/chat/completions", json={}) as chunks:
        with pytest.raises(UpstreamStreamBroken, match="lines grew past"):
            _ = [c async for c in chunks]
    assert body.sent < body.count


async def test_one_event_of_many_lines_is_bounded_too() -> None:
    line = b"data: " + b"x" * (1024 * 1024) + b"\n"
    lines = iter_sse_lines(pieces(*[line] * 10), max_total=64 * 1024 * 1024)
    with pytest.raises(StreamFormatError, match="events grew past"):
        _ = [c async for c in iter_sse_json(lines)]


@pytest.mark.parametrize(
    "chunks",
    [
        (b"data: 1\r\n\r\ndata: 2\r\n\r\ndata: [DONE]\r\n\r\n",),
        (b"data: 1\r", b"\n\r", b"\ndata: 2\r\n", b"\r\ndata: [DONE]\r\n\r\n"),  # CRLF split across chunks
        (b"data: 1\r\rdata: 2\r\rdata: [DONE]\r\r",),  # CR alone ends a line too
        (b"da", b"ta: 1\n", b"\nda", b"ta: 2\n\ndata: [DO", b"NE]"),  # no final line break
    ],
    ids=["crlf", "crlf-split", "cr", "pieces"],
)
async def test_stream_lines_end_at_crlf_lf_or_cr_wherever_the_chunks_break(chunks: tuple[bytes, ...]) -> None:
    lines = iter_sse_lines(pieces(*chunks), max_total=1024)
    assert [line async for line in lines if line] == ["data: 1", "data: 2", "data: [DONE]"]
