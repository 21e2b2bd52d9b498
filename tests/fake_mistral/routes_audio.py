"""Audio: transcriptions (multipart, JSON or streamed), speech, and the voices speech uses.

Every recording says ``FakeMistral.transcript``. A transcription request carries exactly one audio
source: a ``file`` part, a ``file_url`` or the ``file_id`` of an uploaded file. Segments come back
when timestamps or speakers are asked for (one per word with ``word`` granularity alone). Streams
name their events (``event: transcription.text.delta``) and end with ``transcription.done``, no
``[DONE]``; ``cut_stream_after`` drops one part-way.
"""

from __future__ import annotations

import base64
import math
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .audio_data import (
    DEFAULT_SPEECH_MODEL,
    SPEECH_MODELS,
    TRANSCRIPTION_MODELS,
    VOICES,
    Segment,
    find_voice,
    speech_audio,
)
from .common import get_state, query_reader, read_body, record_of, route
from .errors import invalid_model, mistral_error, not_found, validation_error
from .schemas import AUDIO_TRANSCRIPTION_REQUEST, SPEECH_REQUEST, TRANSCRIPTION_LIST_FIELDS, VOICE_TYPES
from .state import RecordedRequest
from .streaming import EventStreamResponse
from .validation import Enum, ErrorItem, Int, error_item

_AUDIO_SOURCES = ("file", "file_url", "file_id")


def _form_fields(record: RecordedRequest, errors: list[ErrorItem]) -> dict[str, Any]:
    """The form's plain fields, list fields gathered from their repeated parts; `file` must be a file."""
    fields: dict[str, Any] = {}
    for name, value in record.form_items:
        if name in TRANSCRIPTION_LIST_FIELDS:
            fields.setdefault(name, []).append(value)
        else:
            fields[name] = value
    if "file" in fields:
        errors.append(
            error_item(
                "value_error",
                ("body", "file"),
                "Value error, Expected UploadFile, received: <class 'str'>",
                fields.pop("file"),
                {"error": {}},
            )
        )
    return fields


def _words(start: float, end: float, text: str) -> list[tuple[float, float, str]]:
    words = text.split()
    step = (end - start) / max(len(words), 1)
    return [(round(start + i * step, 2), round(start + (i + 1) * step, 2), word) for i, word in enumerate(words)]


def _segments(transcript: list[Segment], granularities: list[str], diarize: bool) -> list[dict[str, Any]]:
    # TranscriptionSegmentChunk
    if not granularities and not diarize:
        return []
    by_word = "word" in granularities and "segment" not in granularities
    segments = []
    for speaker, start, end, text in transcript:
        for piece_start, piece_end, piece in _words(start, end, text) if by_word else [(start, end, text)]:
            segment: dict[str, Any] = {"type": "transcription_segment", "text": piece, "start": piece_start}
            segment["end"] = piece_end
            if diarize:
                segment["speaker_id"] = speaker
            segments.append(segment)
    return segments


def _transcription(model: str, data: dict[str, Any], transcript: list[Segment]) -> dict[str, Any]:
    # TranscriptionResponse
    text = " ".join(segment[3] for segment in transcript)
    words = len(text.split())
    seconds = math.ceil(transcript[-1][2]) if transcript else 0
    return {
        "model": model,
        "text": text,
        "language": data.get("language") or "en",
        "segments": _segments(transcript, data.get("timestamp_granularities") or [], bool(data.get("diarize"))),
        "usage": {
            "prompt_audio_seconds": seconds,
            "prompt_tokens": 4,
            "completion_tokens": words,
            "total_tokens": 4 + words,
        },
    }


def _transcription_events(response: dict[str, Any]) -> list[dict[str, Any]]:
    # TranscriptionStreamEvents: language, the text in pieces, the segments, then the whole result.
    events: list[dict[str, Any]] = [{"type": "transcription.language", "audio_language": response["language"]}]
    words = response["text"].split(" ")
    events += [{"type": "transcription.text.delta", "text": (" " if i else "") + word} for i, word in enumerate(words)]
    for segment in response["segments"]:
        events.append({**segment, "type": "transcription.segment"})
    events.append({**response, "type": "transcription.done"})
    return events


async def transcriptions(request: Request) -> Response:
    # AudioTranscriptionRequest(Stream), multipart -> TranscriptionResponse or TranscriptionStreamEvents
    state = get_state(request)
    record = record_of(request)
    errors: list[ErrorItem] = []
    data = AUDIO_TRANSCRIPTION_REQUEST.validate_fields(_form_fields(record, errors), ("body",), errors)
    if errors:
        return validation_error(errors)
    if data["model"] not in TRANSCRIPTION_MODELS:
        return invalid_model(data["model"])
    upload = (record.files or {}).get("file")
    sources = [name for name in _AUDIO_SOURCES if (upload if name == "file" else data.get(name)) is not None]
    if len(sources) != 1:
        return mistral_error(400, "Exactly one of file, file_url or file_id must be provided.")
    if upload is not None and not upload[1]:
        return mistral_error(400, "The audio file is empty.")
    if data.get("file_id") is not None:
        with state.lock:
            stored = state.files.get(data["file_id"])
        if stored is None:
            return not_found("File", data["file_id"])
    with state.lock:
        transcript = list(state.transcript)
    response = _transcription(data["model"], data, transcript)
    if not data.get("stream"):
        return JSONResponse(response)
    cut_after = state.take_stream_cut(request.url.path)
    events = _transcription_events(response)
    return EventStreamResponse(events, cut_after=cut_after, delay=state.stream_delay, named=True, done=False)


async def speech(request: Request) -> Response:
    # SpeechRequest -> {"audio_data": base64}, or speech.audio.delta / speech.audio.done events
    state = get_state(request)
    data = await read_body(request, SPEECH_REQUEST)
    if isinstance(data, Response):
        return data
    model = data.get("model") or DEFAULT_SPEECH_MODEL
    if model not in SPEECH_MODELS:
        return invalid_model(model)
    voice_id = data.get("voice_id")
    if voice_id is not None and find_voice(voice_id) is None:
        return not_found("Voice", voice_id)
    audio = speech_audio(data["input"], data.get("response_format", "mp3"))
    if not data.get("stream"):
        return JSONResponse({"audio_data": base64.b64encode(audio).decode()})
    third = max(1, len(audio) // 3)
    events: list[dict[str, Any]] = [
        {"type": "speech.audio.delta", "audio_data": base64.b64encode(audio[i : i + third]).decode()}
        for i in range(0, len(audio), third)
    ]
    usage = {"prompt_tokens": len(data["input"]), "completion_tokens": len(events), "total_tokens": 0}
    usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    events.append({"type": "speech.audio.done", "usage": usage})
    cut_after = state.take_stream_cut(request.url.path)
    return EventStreamResponse(events, cut_after=cut_after, delay=state.stream_delay, named=True, done=False)


async def list_voices(request: Request) -> Response:
    # Query parameters of list_voices_v1_audio_voices_get -> VoiceListResponse
    query = query_reader(request)
    limit = query.get("limit", Int(ge=1, le=100), 10)
    offset = query.get("offset", Int(ge=0), 0)
    kind = query.get("type", Enum(VOICE_TYPES), "all")
    if query.errors:
        return validation_error(query.errors)
    voices = [v for v in VOICES if kind == "all" or (kind == "custom") == (v["user_id"] is not None)]
    return JSONResponse(
        {
            "items": voices[offset : offset + limit],
            "total": len(voices),
            "page": offset // limit + 1,
            "page_size": limit,
            "total_pages": math.ceil(len(voices) / limit),
        }
    )


async def get_voice(request: Request) -> Response:
    # VoiceResponse
    voice_id = request.path_params["voice_id"]
    voice = find_voice(voice_id)
    return JSONResponse(voice) if voice is not None else not_found("Voice", voice_id)


routes = [
    route("/v1/audio/transcriptions", {"POST": transcriptions}),
    route("/v1/audio/speech", {"POST": speech}),
    route("/v1/audio/voices", {"GET": list_voices}),
    route("/v1/audio/voices/{voice_id}", {"GET": get_voice}),
]
