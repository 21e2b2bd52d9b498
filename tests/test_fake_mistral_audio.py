"""The fake Mistral's audio endpoints: multipart validation, streamed transcriptions, speech and voices."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fake_mistral import FakeMistral, create_app
from tests.fake_mistral.audio_data import VOICES, speech_audio
from tests.support.servers import ServerThread, serve_in_thread

KEY = "sk-test-valid"
TRANSCRIPTIONS = "/v1/audio/transcriptions"
URL = "https://example.com/a.mp3"
MODEL = "voxtral-mini-latest"


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FakeMistral, ServerThread]]:
    state = FakeMistral()
    with serve_in_thread(create_app(state)) as server:
        yield state, server


@pytest.fixture
def fake(served: tuple[FakeMistral, ServerThread]) -> FakeMistral:
    state, _ = served
    state.reset()
    return state


@pytest.fixture
def client(served: tuple[FakeMistral, ServerThread], fake: FakeMistral) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served[1].url, headers={"Authorization": f"Bearer {KEY}"}, timeout=10) as http:
        yield http


def transcribe(client: httpx.Client, fields: list[tuple[str, str]], audio: bytes | None = None) -> httpx.Response:
    parts: list[tuple[str, Any]] = [(name, (None, value)) for name, value in fields]
    if audio is not None:
        parts.append(("file", ("a.mp3", audio, "audio/mpeg")))
    return client.post(TRANSCRIPTIONS, files=parts)


def named_events(text: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for block in filter(None, text.split("\n\n")):
        name, data = block.split("\n")
        events.append((name.removeprefix("event: "), json.loads(data.removeprefix("data: "))))
    return events


# --- transcriptions -----------------------------------------------------------------------


def test_a_transcription_of_an_uploaded_file_part_answers_a_transcription_response(client: httpx.Client) -> None:
    response = transcribe(client, [("model", MODEL), ("language", "fr")], audio=b"ID3 audio")
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"model", "text", "language", "segments", "usage"}
    assert body["language"] == "fr" and body["segments"] == []
    assert body["text"].startswith("Good morning, everyone.")


def test_timestamps_and_speakers_add_segments(client: httpx.Client) -> None:
    fields = [("model", MODEL), ("file_url", URL), ("diarize", "true"), ("timestamp_granularities", "segment")]
    segments = transcribe(client, fields).json()["segments"]
    assert segments[0] == {
        "type": "transcription_segment",
        "text": "Good morning, everyone.",
        "start": 0.0,
        "end": 3.2,
        "speaker_id": "speaker_1",
    }


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ([("file_url", URL)], {"type": "missing", "loc": ["body", "model"]}),
        ([("model", MODEL), ("file", "not a file")], {"type": "value_error", "loc": ["body", "file"]}),
        ([("model", MODEL), ("file_url", URL), ("diarize", "maybe")], {"type": "bool_parsing"}),
        ([("model", MODEL), ("file_url", URL), ("temperature", "hot")], {"type": "float_parsing"}),
        ([("model", MODEL), ("file_url", URL), ("language", "eng")], {"type": "string_pattern_mismatch"}),
        ([("model", MODEL), ("file_url", URL), ("context_bias", "a b")], {"loc": ["body", "context_bias", 0]}),
        ([("model", MODEL), ("file_url", URL), ("timestamp_granularities", "line")], {"type": "enum"}),
        ([("model", MODEL), ("file_url", "ftp://example.com/a.mp3")], {"type": "url_scheme"}),
    ],
)
def test_bad_transcription_forms_get_422_with_pydantic_items(
    client: httpx.Client, fields: list[tuple[str, str]], error: dict[str, Any]
) -> None:
    response = transcribe(client, fields)
    assert response.status_code == 422
    [item] = response.json()["message"]["detail"]
    assert error.items() <= item.items()


def test_a_json_body_is_not_a_form_and_misses_every_field(client: httpx.Client) -> None:
    response = client.post(TRANSCRIPTIONS, json={"model": MODEL, "file_url": URL})
    assert response.status_code == 422
    assert response.json()["message"]["detail"][0]["loc"] == ["body", "model"]


@pytest.mark.parametrize(
    ("fields", "audio", "status"),
    [
        ([("model", MODEL)], None, 400),
        ([("model", MODEL), ("file_url", URL)], b"ID3", 400),
        ([("model", "voxtral-huge"), ("file_url", URL)], None, 400),
        ([("model", MODEL), ("file_id", "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9")], None, 404),
    ],
)
def test_a_transcription_needs_one_audio_source_a_known_model_and_a_stored_file(
    client: httpx.Client, fields: list[tuple[str, str]], audio: bytes | None, status: int
) -> None:
    assert transcribe(client, fields, audio).status_code == status


def test_a_streamed_transcription_names_its_events_and_ends_with_the_result(client: httpx.Client) -> None:
    response = transcribe(client, [("model", MODEL), ("file_url", URL), ("stream", "true")])
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert "[DONE]" not in response.text
    events = named_events(response.text)
    assert all(name == data["type"] for name, data in events)
    assert events[0] == ("transcription.language", {"type": "transcription.language", "audio_language": "en"})
    deltas = "".join(data["text"] for name, data in events if name == "transcription.text.delta")
    name, done = events[-1]
    assert name == "transcription.done" and done["text"] == deltas


def test_a_streamed_transcription_can_be_cut_midway(fake: FakeMistral, client: httpx.Client) -> None:
    fake.cut_stream_after(TRANSCRIPTIONS, 2)
    with pytest.raises(httpx.RemoteProtocolError):
        transcribe(client, [("model", MODEL), ("file_url", URL), ("stream", "true")])


# --- speech and voices ------------------------------------------------------------------------


def test_speech_is_base64_audio_of_the_format_asked_for(client: httpx.Client) -> None:
    response = client.post("/v1/audio/speech", json={"input": "Hi", "response_format": "flac", "anything": 1})
    assert response.status_code == 200, response.text
    assert response.json() == {"audio_data": base64.b64encode(speech_audio("Hi", "flac")).decode()}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 422),
        ({"input": 3}, 422),
        ({"input": "Hi", "response_format": "aac"}, 422),
        ({"input": "Hi", "model": "tts-1"}, 400),
        ({"input": "Hi", "voice_id": "alloy"}, 404),
    ],
)
def test_bad_speech_requests_are_refused(client: httpx.Client, body: dict[str, Any], status: int) -> None:
    assert client.post("/v1/audio/speech", json=body).status_code == status


def test_streamed_speech_sends_audio_deltas_then_usage(client: httpx.Client) -> None:
    response = client.post("/v1/audio/speech", json={"input": "Hi", "stream": True})
    events = named_events(response.text)
    audio = b"".join(base64.b64decode(data["audio_data"]) for name, data in events if name == "speech.audio.delta")
    assert audio == speech_audio("Hi", "mp3")
    assert events[-1][0] == "speech.audio.done" and events[-1][1]["usage"]["total_tokens"] > 0


def test_voices_list_by_type_a_page_at_a_time(client: httpx.Client) -> None:
    body = client.get("/v1/audio/voices", params={"type": "custom"}).json()
    assert [voice["name"] for voice in body["items"]] == ["My voice"]
    page = client.get("/v1/audio/voices", params={"limit": 2, "offset": 2}).json()
    assert page["items"] == list(VOICES[2:4])
    assert (page["total"], page["page"], page["page_size"], page["total_pages"]) == (4, 2, 2, 2)


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"offset": -1}, {"type": "mine"}])
def test_bad_voice_queries_get_422(client: httpx.Client, params: dict[str, Any]) -> None:
    assert client.get("/v1/audio/voices", params=params).status_code == 422


def test_a_voice_is_found_by_id_or_slug_and_others_are_404(client: httpx.Client) -> None:
    assert client.get(f"/v1/audio/voices/{VOICES[0]['id']}").json() == VOICES[0]
    assert client.get("/v1/audio/voices/gb_jane_neutral").json() == VOICES[0]
    assert client.get("/v1/audio/voices/nobody").status_code == 404
