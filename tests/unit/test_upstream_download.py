"""`MistralClient.download`: a window of a raw body, read as a stream, never the whole file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest

from server.errors import UpstreamRequestError
from server.settings import Settings
from server.upstream.client import MistralClient

pytestmark = pytest.mark.anyio

SETTINGS = replace(Settings(), upstream_url="http://mistral.test", upstream_max_retries=1, upstream_retry_max_wait=0.01)
BODY = bytes(range(256)) * 40  # 10,240 bytes


class Pieces(httpx.AsyncByteStream):
    """A body sent in fixed-size pieces, counting how many were pulled."""

    def __init__(self, body: bytes, size: int) -> None:
        self.body, self.size, self.pulled = body, size, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.body), self.size):
            self.pulled += 1
            yield self.body[start : start + self.size]


def client_serving(stream: Pieces, *, length: bool = True, status: int = 200) -> MistralClient:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == "Bearer sk-1"
        headers = {"content-length": str(len(stream.body))} if length else {}
        return httpx.Response(status, headers=headers, stream=stream)

    return MistralClient(SETTINGS, transport=httpx.MockTransport(handler))


@pytest.mark.parametrize(("offset", "limit"), [(0, 100), (1000, 1000), (1020, 5), (10_000, 1000), (0, 10_240)])
async def test_the_window_holds_exactly_the_requested_bytes_across_piece_boundaries(offset: int, limit: int) -> None:
    stream = Pieces(BODY, 256)
    window = await client_serving(stream).download("sk-1", "/v1/files/x/content", offset=offset, limit=limit)
    assert window.content == BODY[offset : offset + limit]
    assert window.offset == offset and window.total == len(BODY)
    assert window.complete == (offset + limit >= len(BODY))


async def test_reading_stops_soon_after_the_window_is_full() -> None:
    stream = Pieces(BODY, 256)
    await client_serving(stream).download("sk-1", "/v1/files/x/content", offset=0, limit=300)
    assert stream.pulled == 2


async def test_without_a_length_the_total_is_known_only_when_the_body_ended() -> None:
    whole = await client_serving(Pieces(BODY, 1000), length=False).download("sk-1", "/p", offset=0, limit=20_000)
    assert whole.total == len(BODY) and whole.complete
    part = await client_serving(Pieces(BODY, 1000), length=False).download("sk-1", "/p", offset=0, limit=10)
    assert part.total is None and not part.complete


async def test_an_offset_past_the_end_gives_an_empty_complete_window() -> None:
    window = await client_serving(Pieces(BODY, 512)).download("sk-1", "/p", offset=20_000, limit=10)
    assert window.content == b"" and window.complete and window.total == len(BODY)


async def test_a_missing_file_raises_the_mapped_error() -> None:
    client = client_serving(Pieces(b'{"detail": "File not found"}', 64), status=404)
    with pytest.raises(UpstreamRequestError, match="File not found"):
        await client.download("sk-1", "/v1/files/x/content", offset=0, limit=10)
