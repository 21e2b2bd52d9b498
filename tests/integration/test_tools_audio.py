"""Audio tools through the SDK client: transcription (multipart, windows, streamed), speech and voices."""

from __future__ import annotations

import base64
from typing import Any

import mcp_types as types
import pytest

from server.tools.speech import SPEECH_MAX_BYTES
from server.tools.transcription import TRANSCRIPT_WINDOW_CHARS
from tests.conftest import VALID_KEY, RunningApp
from tests.fake_mistral import FakeMistral
from tests.fake_mistral.audio_data import SPEECH_BYTES_PER_CHARACTER, VOICES, speech_audio
from tests.support.mcp_client import MODES
from tests.support.tool_calls import call_tool, result_chars, text_of

pytestmark = pytest.mark.anyio

TRANSCRIPTIONS = "/v1/audio/transcriptions"
SPEECH = "/v1/audio/speech"
URL = "https://example.com/meeting.mp3"
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(range(256)) * 8
SPOKEN = "Good morning, everyone. Morning. Shall we start with the budget? Yes, the numbers came in yesterday."


def _sent(fake: FakeMistral, path: str = TRANSCRIPTIONS) -> Any:
    [sent] = fake.requests_to("POST", path)
    return sent


# --- mistral_transcribe -------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_transcribing_a_link_sends_multipart_fields_and_returns_the_transcript(
    app: RunningApp, fake_mistral: FakeMistral, mode: str
) -> None:
    result = await call_tool(app, fake_mistral, "mistral_transcribe", {"file_url": URL, "language": "en"}, mode)
    assert not result.is_error, text_of(result)
    sent = _sent(fake_mistral)
    assert sent.api_key == VALID_KEY
    assert sent.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert sorted(sent.form_items) == [("file_url", URL), ("language", "en"), ("model", "voxtral-mini-latest")]
    assert not sent.files
    assert text_of(result) == f"Transcript (language en, 0:13.0 of audio, model voxtral-mini-latest):\n\n{SPOKEN}"
    assert result.structured_content["text"] == SPOKEN
    assert result.structured_content["usage"]["prompt_audio_seconds"] == 13


async def test_inline_audio_is_the_file_part_and_speakers_and_times_are_shown(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    arguments = {
        "content_base64": "data:audio/mpeg;base64," + base64.b64encode(MP3).decode(),
        "model": "voxtral-mini-2602",
        "diarize": True,
        "timestamp_granularities": ["segment"],
        "context_bias": ["Voxtral", "Mistral_AI"],
        "temperature": 0,
    }
    result = await call_tool(app, fake_mistral, "mistral_transcribe", arguments)
    assert not result.is_error, text_of(result)
    sent = _sent(fake_mistral)
    assert sent.files == {"file": ("audio.mp3", MP3, "audio/mpeg")}
    assert sorted(sent.form_items) == [
        ("context_bias", "Mistral_AI"),
        ("context_bias", "Voxtral"),
        ("diarize", "true"),
        ("model", "voxtral-mini-2602"),
        ("temperature", "0"),
        ("timestamp_granularities", "segment"),
    ]
    lines = text_of(result).splitlines()
    assert lines[2:] == [
        "[0:00.0-0:03.2] speaker_1: Good morning, everyone.",
        "[0:03.4-0:07.9] speaker_2: Morning. Shall we start with the budget?",
        "[0:08.1-0:12.5] speaker_1: Yes, the numbers came in yesterday.",
    ]
    assert result.structured_content["segments"][1]["speaker_id"] == "speaker_2"


async def test_an_uploaded_file_is_transcribed_by_id_with_word_times(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    stored = fake_mistral.add_file(MP3, filename="note.mp3", purpose="ocr")
    arguments = {"file_id": stored["id"], "timestamp_granularities": ["word"]}
    result = await call_tool(app, fake_mistral, "mistral_transcribe", arguments)
    assert not result.is_error, text_of(result)
    assert ("file_id", stored["id"]) in _sent(fake_mistral).form_items
    assert text_of(result).splitlines()[2:4] == ["[0:00.0-0:01.1] Good", "[0:01.1-0:02.1] morning,"]


@pytest.mark.parametrize(
    ("arguments", "named", "says"),
    [
        ({}, "'file_url' or 'file_id' or 'content_base64'", "exactly one"),
        ({"file_url": URL, "file_id": "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"}, "'file_url'", "exactly one"),
        ({"file_url": "ftp://example.com/a.mp3"}, "file_url", "not valid"),
        ({"file_url": URL, "language": "eng"}, "language", "not valid"),
        ({"file_url": URL, "context_bias": ["two words"]}, "context_bias.0", "not valid"),
        ({"file_url": URL, "timestamp_granularities": ["line"]}, "timestamp_granularities.0", "'segment'"),
        ({"file_url": URL, "diarize": "yes"}, "diarize", "boolean"),
        ({"file_url": URL, "offset": -1}, "offset", "minimum"),
        ({"file_url": URL, "prompt": "hi"}, "prompt", "Unknown argument"),
        ({"content_base64": "not base64!"}, "content_base64", "not valid base64"),
    ],
)
async def test_bad_transcription_arguments_are_refused_before_any_upstream_call(
    app: RunningApp, fake_mistral: FakeMistral, arguments: dict[str, Any], named: str, says: str
) -> None:
    result = await call_tool(app, fake_mistral, "mistral_transcribe", arguments)
    assert result.is_error
    assert named in text_of(result) and says in text_of(result), text_of(result)
    assert fake_mistral.requests == []


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        ({"file_id": "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"}, "no such resource (404)"),
        ({"file_url": URL, "model": "voxtral-huge"}, "voxtral-huge"),
    ],
)
async def test_mistral_refusing_a_transcription_is_an_error_result(
    app: RunningApp, fake_mistral: FakeMistral, arguments: dict[str, Any], says: str
) -> None:
    result = await call_tool(app, fake_mistral, "mistral_transcribe", arguments)
    assert result.is_error and says in text_of(result), text_of(result)


async def test_a_long_transcript_comes_in_windows_under_the_result_limit(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    fake_mistral.transcript = [("speaker_1", i, i + 1.0, f"Sentence number {i} of a meeting.") for i in range(3000)]
    whole = " ".join(segment[3] for segment in fake_mistral.transcript)
    offset: int | None = 0
    calls = 0
    while offset is not None:
        result = await call_tool(app, fake_mistral, "mistral_transcribe", {"file_url": URL, "offset": offset})
        calls += 1
        assert not result.is_error, text_of(result)
        assert result_chars(result) < 150_000
        head, _, rest = text_of(result).partition(":\n\n")
        window, _, note = rest.partition(f"\n\n[The rest was cut ({TRANSCRIPT_WINDOW_CHARS:,} characters per call)")
        next_offset = int(note.split("offset=")[1].split()[0]) if note else None
        assert f"characters {offset:,} to {next_offset or len(whole):,} of {len(whole):,}" in head
        assert window.split("\n\n[Result cut")[0] == whole[offset:next_offset].rstrip()
        # The first result is full, so the whole response is shortened there; the second has room.
        assert ("structuredContent was shortened (text: text cut from" in rest) == (next_offset is not None)
        offset = next_offset
    assert calls == 2


async def test_an_offset_past_the_end_says_how_long_the_transcript_is(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    result = await call_tool(app, fake_mistral, "mistral_transcribe", {"file_url": URL, "offset": 10_000})
    assert not result.is_error
    assert text_of(result).endswith(f": {len(SPOKEN)} characters, nothing at offset 10,000.")


@pytest.mark.parametrize("mode", MODES)
async def test_with_a_progress_token_the_transcript_streams_as_progress_and_ends_the_same(
    app: RunningApp, fake_mistral: FakeMistral, mode: str
) -> None:
    arguments = {"file_url": URL, "diarize": True, "timestamp_granularities": ["segment"]}
    plain = await call_tool(app, fake_mistral, "mistral_transcribe", arguments, mode)
    updates: list[str | None] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append(message)

    streamed = await call_tool(app, fake_mistral, "mistral_transcribe", arguments, mode, progress_callback=on_progress)
    assert not streamed.is_error, text_of(streamed)
    assert text_of(streamed) == text_of(plain)
    assert streamed.structured_content == plain.structured_content
    sent = _sent(fake_mistral)
    assert ("stream", "true") in sent.form_items and sent.headers["accept"] == "text/event-stream"
    assert updates and all(SPOKEN.startswith(message or "") for message in updates)


async def test_a_transcription_stream_cut_midway_is_an_error_with_what_arrived(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    fake_mistral.cut_stream_after(TRANSCRIPTIONS, chunks=4)  # the language, then three words

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        return None

    result = await call_tool(app, fake_mistral, "mistral_transcribe", {"file_url": URL}, progress_callback=on_progress)
    assert result.is_error
    assert "broke off" in text_of(result)
    assert text_of(result).endswith("Received before the break:\nGood morning, everyone.")


# --- mistral_speak ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_speech_comes_back_as_audio_content_with_its_mime_type_and_metadata(
    app: RunningApp, fake_mistral: FakeMistral, mode: str
) -> None:
    arguments = {"input": "Hello there.", "voice_id": "gb_jane_neutral", "response_format": "opus"}
    result = await call_tool(app, fake_mistral, "mistral_speak", arguments, mode)
    assert not result.is_error, text_of(result)
    assert _sent(fake_mistral, SPEECH).json == arguments
    text, audio = result.content
    assert isinstance(audio, types.AudioContent)
    assert audio.mime_type == "audio/ogg"
    assert base64.b64decode(audio.data) == speech_audio("Hello there.", "opus")
    size = len(speech_audio("Hello there.", "opus"))
    assert text.text == f"Speech of 12 characters as opus ({size:,} bytes, audio/ogg, voice gb_jane_neutral); " + (
        "the audio is the next block."
    )
    assert result.structured_content == {
        "response_format": "opus",
        "mime_type": "audio/ogg",
        "bytes": size,
        "characters": 12,
        "voice_id": "gb_jane_neutral",
        "model": None,
    }


async def test_speech_in_mistrals_default_format_is_mp3(app: RunningApp, fake_mistral: FakeMistral) -> None:
    result = await call_tool(app, fake_mistral, "mistral_speak", {"input": "Hi", "model": "voxtral-mini-tts-2603"})
    assert not result.is_error, text_of(result)
    assert _sent(fake_mistral, SPEECH).json == {"input": "Hi", "model": "voxtral-mini-tts-2603"}
    assert result.content[1].mime_type == "audio/mpeg"


async def test_the_longest_speech_allowed_fits_in_a_result(app: RunningApp, fake_mistral: FakeMistral) -> None:
    text = "a" * ((SPEECH_MAX_BYTES - 10) // SPEECH_BYTES_PER_CHARACTER)  # 10: the mp3 header
    result = await call_tool(app, fake_mistral, "mistral_speak", {"input": text})
    assert not result.is_error, text_of(result)
    assert SPEECH_MAX_BYTES - SPEECH_BYTES_PER_CHARACTER < result.structured_content["bytes"] <= SPEECH_MAX_BYTES
    assert result_chars(result) < 150_000 and "[Result cut" not in text_of(result)


async def test_speech_too_big_for_a_result_is_refused_with_what_to_do(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    text = "word " * (SPEECH_MAX_BYTES // SPEECH_BYTES_PER_CHARACTER // 5 + 1)
    result = await call_tool(app, fake_mistral, "mistral_speak", {"input": text})
    assert result.is_error
    assert f"more than the {SPEECH_MAX_BYTES:,} bytes of audio a tool result can carry" in text_of(result)
    assert "Shorten `input`" in text_of(result) and "'opus'" in text_of(result)
    assert result_chars(result) < 150_000


@pytest.mark.parametrize(
    ("arguments", "named", "says"),
    [
        ({}, "input", "Missing required"),
        ({"input": ""}, "input", "non-empty"),
        ({"input": "Hi", "response_format": "pcm"}, "response_format", "'mp3'"),
        ({"input": "Hi", "voice_id": "../x"}, "voice_id", "not valid"),
        ({"input": "Hi", "speed": 2}, "speed", "Unknown argument"),
    ],
)
async def test_bad_speech_arguments_are_refused_before_any_upstream_call(
    app: RunningApp, fake_mistral: FakeMistral, arguments: dict[str, Any], named: str, says: str
) -> None:
    result = await call_tool(app, fake_mistral, "mistral_speak", arguments)
    assert result.is_error
    assert named in text_of(result) and says in text_of(result), text_of(result)
    assert fake_mistral.requests == []


# --- voices -------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_voices_are_listed_a_page_at_a_time(app: RunningApp, fake_mistral: FakeMistral, mode: str) -> None:
    arguments = {"limit": 1, "offset": 1, "type": "preset"}
    result = await call_tool(app, fake_mistral, "mistral_list_voices", arguments, mode)
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("GET", "/v1/audio/voices")
    assert sorted(sent.query_items) == [("limit", "1"), ("offset", "1"), ("type", "preset")]
    assert text_of(result).splitlines() == [
        "Voices 2 to 2, 3 in all:",
        f"- Paul (slug en_paul_neutral, id {VOICES[1]['id']}): male; speaks en; tags neutral",
        "More voices: call again with offset=2.",
    ]
    assert result.structured_content["items"][0]["slug"] == "en_paul_neutral"


@pytest.mark.parametrize("mode", MODES)
async def test_a_voice_is_described_by_its_id(app: RunningApp, fake_mistral: FakeMistral, mode: str) -> None:
    voice = VOICES[2]
    result = await call_tool(app, fake_mistral, "mistral_get_voice", {"voice_id": voice["id"]}, mode)
    assert not result.is_error, text_of(result)
    assert fake_mistral.requests_to("GET", f"/v1/audio/voices/{voice['id']}")
    assert text_of(result) == (
        f"Marie (slug fr_marie_happy, id {voice['id']}): female; speaks fr; tags happy; Une voix enjouée."
    )
    assert result.structured_content == voice


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [("mistral_get_voice", {"voice_id": "no_such_voice"}), ("mistral_speak", {"input": "Hi", "voice_id": "nobody"})],
)
async def test_an_unknown_voice_is_an_error_result(
    app: RunningApp, fake_mistral: FakeMistral, tool: str, arguments: dict[str, Any]
) -> None:
    result = await call_tool(app, fake_mistral, tool, arguments)
    assert result.is_error and "no such resource (404)" in text_of(result), text_of(result)
