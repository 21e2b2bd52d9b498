"""The audio tools' own checks: the inline audio cap and part naming, streams that end badly, replies
without audio. (What reaches Mistral and what a client reads: tests/integration/test_tools_audio.py.)"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import mcp_types as types
import pytest

from server.errors import UpstreamStreamBroken
from server.settings import Settings
from server.tools import build_registry
from server.tools.spec import ToolCall
from server.tools.transcription import AUDIO_MAX_BYTES, transcription_form
from server.tools.transcription_stream import collect_transcription
from server.upstream.client import MistralClient

pytestmark = pytest.mark.anyio

SETTINGS = replace(Settings(), upstream_url="http://mistral.test", upstream_max_retries=0)
REGISTRY = build_registry()


async def call(name: str, arguments: dict[str, Any], reply: httpx.Response | None = None) -> Any:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        assert reply is not None, f"unexpected request to {request.url}"
        return reply

    upstream = MistralClient(SETTINGS, transport=httpx.MockTransport(handler))
    try:
        result, _ = await REGISTRY.call(name, arguments, upstream=upstream, api_key="sk", progress=None)
    finally:
        await upstream.aclose()
    return result, seen


def text_of(result: types.CallToolResult) -> str:
    first = result.content[0]
    assert isinstance(first, types.TextContent)
    return first.text


async def test_inline_audio_past_the_cap_is_refused_before_any_upstream_call() -> None:
    too_big = base64.b64encode(bytes(AUDIO_MAX_BYTES + 1)).decode()
    result, seen = await call("mistral_transcribe", {"content_base64": too_big})
    assert result.is_error and seen == []
    assert text_of(result).startswith("Argument 'content_base64' is too large: 25.0 MiB")
    assert "at most 25 MiB" in text_of(result) and "`file_url`" in text_of(result)


@pytest.mark.parametrize(
    ("audio", "prefix", "part"),
    [
        (b"RIFF\x00\x00\x00\x00WAVE", "", ("audio.wav", "audio/wav")),
        (b"fLaC\x00", "", ("audio.flac", "audio/flac")),
        (b"OggS\x00", "", ("audio.ogg", "audio/ogg")),
        (b"\x00\x00\x00\x20ftypM4A ", "", ("audio.m4a", "audio/mp4")),
        (b"\xff\xfb\x90\x00", "", ("audio.mp3", "audio/mpeg")),
        (b"\x01\x02\x03", "data:audio/x-aiff;base64,", ("audio", "audio/x-aiff")),
        (b"\x01\x02\x03", "", ("audio", "application/octet-stream")),
    ],
)
def test_the_file_part_is_named_and_typed_from_the_audio_itself(
    audio: bytes, prefix: str, part: tuple[str, str]
) -> None:
    spec = REGISTRY.get("mistral_transcribe")
    arguments = {"content_base64": prefix + base64.b64encode(audio).decode()}
    parts = transcription_form(ToolCall(arguments, upstream=None, api_key="k", spec=spec))  # type: ignore[arg-type]  # never sent
    assert parts == [("model", "voxtral-mini-latest"), ("file", (part[0], audio, part[1]))]


async def events(*items: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
    for item in items:
        yield item


async def test_a_stream_that_ends_without_its_result_is_broken_with_the_text_so_far() -> None:
    call_ = ToolCall({}, upstream=None, api_key="k")  # type: ignore[arg-type]  # never sent
    stream = events(
        {"type": "transcription.text.delta", "text": "Hello"}, {"type": "transcription.text.delta", "text": " you"}
    )
    with pytest.raises(UpstreamStreamBroken, match="ended without its result") as broken:
        await collect_transcription(call_, stream)
    assert broken.value.partial_text == "Hello you"


async def test_a_stream_past_the_deadline_stops_with_the_text_so_far() -> None:
    call_ = ToolCall({}, upstream=None, api_key="k", deadline=0.0)  # type: ignore[arg-type]  # never sent
    with pytest.raises(UpstreamStreamBroken, match="shorter recording") as broken:
        await collect_transcription(call_, events({"type": "transcription.text.delta", "text": "Hi"}))
    assert broken.value.partial_text == "Hi"


async def test_a_streamed_result_without_segments_keeps_those_that_streamed() -> None:
    call_ = ToolCall({}, upstream=None, api_key="k")  # type: ignore[arg-type]  # never sent
    segment = {"type": "transcription.segment", "text": "Hi", "start": 0.0, "end": 1.0}
    done = {"type": "transcription.done", "model": "m", "text": "Hi", "language": None, "usage": {}}
    response = await collect_transcription(
        call_, events({"type": "transcription.language", "audio_language": "en"}, segment, done)
    )
    assert response == {
        "model": "m",
        "text": "Hi",
        "language": "en",
        "usage": {},
        "segments": [{**segment, "type": "transcription_segment"}],
    }


@pytest.mark.parametrize("reply", [{}, {"audio_data": "not base64!"}, {"audio_data": ""}])
async def test_a_speech_reply_without_audio_is_an_error_result(reply: dict[str, Any]) -> None:
    result, seen = await call("mistral_speak", {"input": "Hi"}, httpx.Response(200, json=reply))
    assert result.is_error and len(seen) == 1
    assert "Mistral's reply held no audio" in text_of(result)


@pytest.mark.parametrize(
    ("name", "arguments"),
    [
        ("mistral_transcribe", {"file_url": "https://example.com/a.mp3"}),
        ("mistral_speak", {"input": "Hi"}),
        ("mistral_list_voices", {}),
        ("mistral_get_voice", {"voice_id": "gb_jane_neutral"}),
    ],
)
@pytest.mark.parametrize("reply", [[], None, "text", 3])
async def test_a_reply_that_is_not_an_object_is_an_error_result_not_an_internal_error(
    name: str, arguments: dict[str, Any], reply: Any
) -> None:
    result, _ = await call(name, arguments, httpx.Response(200, json=reply))
    assert result.is_error
    assert text_of(result).startswith("Mistral's reply was not"), text_of(result)


async def test_odd_fields_in_replies_are_shown_as_well_as_they_can_be() -> None:
    voice = {"id": "v1", "name": "Odd", "languages": "en", "tags": 5, "age": 30}
    result, _ = await call("mistral_get_voice", {"voice_id": "v1"}, httpx.Response(200, json=voice))
    assert text_of(result) == "Odd (id v1): 30"
    segment = {"text": 3, "start": "soon", "end": 1e308 * 10, "speaker_id": "s1"}
    reply = {"text": "x", "segments": [segment, "junk"], "usage": [], "language": None}
    body = json.dumps(reply).encode()  # Infinity: Python's JSON reader takes it, so Mistral's odd reply may hold it
    answer = httpx.Response(200, content=body, headers={"content-type": "application/json"})
    result, _ = await call("mistral_transcribe", {"file_url": "https://a.example/x"}, answer)
    assert not result.is_error
    assert text_of(result) == "Transcript:\n\n[?-?] s1: 3"
