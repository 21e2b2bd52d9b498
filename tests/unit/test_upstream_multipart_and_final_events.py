"""Multipart bodies and streams that end with their final event rather than `[DONE]` (audio endpoints)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

import httpx
import pytest

from server.errors import UpstreamStreamBroken
from server.settings import Settings
from server.upstream.client import MistralClient
from server.upstream.sse import StreamFormatError, iter_sse_json, iter_sse_lines

pytestmark = pytest.mark.anyio

SETTINGS = replace(Settings(), upstream_url="http://mistral.test", upstream_max_retries=0)
SSE = {"content-type": "text/event-stream"}


def done(event: dict[str, Any]) -> bool:
    return event.get("type") == "done"


async def pieces(*chunks: bytes) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


async def events(body: bytes, final: Callable[[dict[str, Any]], bool] | None = done) -> list[dict[str, Any]]:
    return [e async for e in iter_sse_json(iter_sse_lines(pieces(body), max_total=1 << 20), final=final)]


async def test_a_stream_ends_after_its_final_event_and_reads_nothing_after_it() -> None:
    body = b'event: delta\ndata: {"type": "delta"}\n\nevent: done\ndata: {"type": "done"}\n\ndata: not json\n\n'
    assert await events(body) == [{"type": "delta"}, {"type": "done"}]


async def test_a_final_event_without_its_closing_blank_line_still_ends_the_stream() -> None:
    assert await events(b'data: {"type": "delta"}\n\ndata: {"type": "done"}') == [{"type": "delta"}, {"type": "done"}]


@pytest.mark.parametrize(
    "body",
    [b'data: {"type": "delta"}\n\n', b'data: {"type": "delta"}\n\ndata: {"type": "do'],
    ids=["ends-early", "cut-inside-an-event"],
)
async def test_a_stream_that_stops_before_its_final_event_is_broken(body: bytes) -> None:
    with pytest.raises(StreamFormatError, match="ended before its end marker"):
        await events(body)


async def test_without_a_final_event_the_done_marker_still_ends_a_stream() -> None:
    assert await events(b'data: {"type": "done"}\n\ndata: [DONE]\n\n', final=None) == [{"type": "done"}]


async def test_a_multipart_stream_sends_every_part_as_multipart_even_without_a_file() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, headers=SSE, content=b'data: {"type": "done"}\n\n')

    client = MistralClient(SETTINGS, transport=httpx.MockTransport(handler))
    parts = [("model", "m"), ("tags", "a"), ("tags", "b"), ("stream", "true")]
    async with client.stream("k", "/v1/audio/transcriptions", multipart=parts, final=done) as chunks:
        assert [c async for c in chunks] == [{"type": "done"}]
    await client.aclose()
    [request] = seen
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert request.headers["accept"] == "text/event-stream"
    body = request.content.decode()
    assert body.count('name="tags"') == 2 and 'name="stream"\r\n\r\ntrue' in body
    assert "filename" not in body


async def test_a_multipart_stream_cut_before_its_final_event_is_broken() -> None:
    client = MistralClient(
        SETTINGS, transport=httpx.MockTransport(lambda _: httpx.Response(200, headers=SSE, content=b"data: {}\n\n"))
    )
    async with client.stream("k", "/v1/x", multipart=[("a", "b")], final=done) as chunks:
        with pytest.raises(UpstreamStreamBroken, match="broke off"):
            _ = [c async for c in chunks]
    await client.aclose()


async def test_a_multipart_request_carries_files_and_fields_in_order() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    client = MistralClient(SETTINGS, transport=httpx.MockTransport(handler))
    parts = [("model", "m"), ("file", ("a.wav", b"RIFF", "audio/wav"))]
    reply = await client.request("k", "POST", "/v1/x", multipart=parts)
    await client.aclose()
    assert json.loads(reply.content) == {"ok": True}
    body = seen[0].content
    assert body.index(b'name="model"') < body.index(b'name="file"; filename="a.wav"\r\nContent-Type: audio/wav')
