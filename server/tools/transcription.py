"""Speech to text: `mistral_transcribe`, a multipart request with the audio or a link to it.

Inline audio travels base64 inside one MCP request, so it is capped at `AUDIO_MAX_BYTES`. The
transcript comes back a window of `TRANSCRIPT_WINDOW_CHARS` at a time (`offset` reads on), so text
and structuredContent together stay under the 150,000 characters MCP clients accept. With a
progress token, Mistral streams the transcript and its growing text is the progress.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from server.errors import ToolArgumentError, UpstreamError
from server.tools import schemas as s
from server.tools.formatting import usage_of
from server.tools.paths import AUDIO_TRANSCRIPTIONS
from server.tools.spec import ToolCall, ToolOutput, ToolSpec
from server.tools.transcription_stream import collect_transcription, is_done
from server.upstream.client import FormPart

DEFAULT_TRANSCRIPTION_MODEL = "voxtral-mini-latest"
AUDIO_MAX_BYTES = 25 * 1024 * 1024
# Half the result's room: structuredContent (Mistral's whole response) shares the rest.
TRANSCRIPT_WINDOW_CHARS = 70_000
_MAX_BASE64_CHARS = (AUDIO_MAX_BYTES + 2) // 3 * 4 * 105 // 100  # room for line breaks and a data: prefix
_DATA_URL = re.compile(r"^data:([\w.+-]+/[\w.+-]+)?(;[\w=.+-]+)*;base64,", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")
_MIB = 1024 * 1024
# Mistral reads the format from the bytes; the file part's name and type only help it along.
_MAGIC = (
    (b"ID3", "audio.mp3", "audio/mpeg"),
    (b"RIFF", "audio.wav", "audio/wav"),
    (b"fLaC", "audio.flac", "audio/flac"),
    (b"OggS", "audio.ogg", "audio/ogg"),
    (b"\x1aE\xdf\xa3", "audio.webm", "audio/webm"),
)

TRANSCRIBE_INPUT = s.object_schema(
    {
        "file_url": {
            "type": "string",
            "minLength": 1,
            "maxLength": 2083,
            "format": "uri",
            "pattern": "^https?://",
            "description": "An http(s) link to the audio, which Mistral downloads.",
        },
        "file_id": {**s.FILE_ID, "description": "An audio file already uploaded to Mistral."},
        "content_base64": {
            "type": "string",
            "minLength": 1,
            "maxLength": _MAX_BASE64_CHARS,
            "description": "The audio's bytes, base64 (mp3, wav, flac, ogg, m4a, …).",
        },
        "model": {**s.MODEL, "description": f"Transcription model (default {DEFAULT_TRANSCRIPTION_MODEL})."},
        "language": {
            "type": "string",
            "pattern": r"^[A-Za-z]{2}$",
            "description": 'Two-letter language of the audio, e.g. "en"; improves accuracy.',
        },
        "diarize": {"type": "boolean", "description": "Label the speakers."},
        "timestamp_granularities": {
            "type": "array",
            "items": {"type": "string", "enum": ["segment", "word"]},
            "uniqueItems": True,
            "description": "Start and end times per segment or per word.",
        },
        "context_bias": {
            "type": "array",
            "items": {"type": "string", "pattern": r"^[^,\s]+$", "description": "One term, no spaces or commas."},
            "description": "Names and terms to spell right.",
        },
        "temperature": {"type": "number", "minimum": 0},
        "offset": {
            "type": "integer",
            "minimum": 0,
            "default": 0,
            "description": "First character of the transcript to return, for long ones.",
        },
    },
    oneOf=[{"required": ["file_url"]}, {"required": ["file_id"]}, {"required": ["content_base64"]}],
)
TRANSCRIPTION_OUTPUT: s.Schema = {
    "type": "object",
    "properties": {
        "model": {"type": "string"},
        "text": {"type": "string"},
        "language": {"type": ["string", "null"]},
        "segments": {"type": "array", "items": {"type": "object"}},
        "usage": {"type": "object"},
    },
    "required": ["text"],
}


def _decode_audio(value: str) -> tuple[bytes, str | None]:
    """The audio's bytes and, when a data: URL gave it, its content type."""
    prefix = _DATA_URL.match(value)
    cleaned = _WHITESPACE.sub("", value[prefix.end() :] if prefix else value).replace("-", "+").replace("_", "/")
    cleaned += "=" * (-len(cleaned) % 4)  # URL-safe base64 usually comes without its padding
    try:
        audio = base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError):
        audio = b""
    if not audio:
        raise ToolArgumentError(
            "Invalid argument 'content_base64': not valid base64 (characters A-Z a-z 0-9 + / and = padding, "
            "length a multiple of 4)."
        )
    if len(audio) > AUDIO_MAX_BYTES:
        raise ToolArgumentError(
            f"Argument 'content_base64' is too large: {len(audio) / _MIB:.1f} MiB, and this tool sends at most "
            f"{AUDIO_MAX_BYTES // _MIB} MiB of audio inline (it travels inside one MCP request). Give a "
            "`file_url` Mistral can download the recording from instead."
        )
    return audio, prefix.group(1) if prefix and prefix.group(1) else None


def _audio_part(value: str) -> FormPart:
    audio, declared = _decode_audio(value)
    for magic, name, kind in _MAGIC:
        if audio.startswith(magic):
            return name, audio, kind
    if audio[4:8] == b"ftyp":
        return "audio.m4a", audio, "audio/mp4"
    if len(audio) > 1 and audio[0] == 0xFF and audio[1] & 0xE0 == 0xE0:  # an MPEG frame without ID3 tags
        return "audio.mp3", audio, "audio/mpeg"
    return "audio", audio, declared or "application/octet-stream"


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def transcription_form(call: ToolCall) -> list[tuple[str, FormPart]]:
    """AudioTranscriptionRequest as multipart parts: one per value (lists repeat their name), the
    inline audio as the `file` part.

    Raises:
        ToolArgumentError: the inline audio is not base64 or is too large.
    """
    fields = {"model": DEFAULT_TRANSCRIPTION_MODEL, **call.fields()}
    parts: list[tuple[str, FormPart]] = []
    for name, value in fields.items():
        parts += [(name, _text(item)) for item in (value if isinstance(value, list) else [value])]
    if "content_base64" in call.arguments:
        parts.append(("file", _audio_part(call.arguments["content_base64"])))
    return parts


def _clock(seconds: Any) -> str:
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not 0 <= seconds < 10**9:
        return "?"  # not a time, or none a recording has (and inf, which has no digits)
    tenths = round(seconds * 10)
    minutes, tenths = divmod(tenths, 600)
    hours, minutes = divmod(minutes, 60)
    second = f"{tenths // 10:02}.{tenths % 10}"
    return f"{hours}:{minutes:02}:{second}" if hours else f"{minutes}:{second}"


def transcript_text(response: dict[str, Any]) -> str:
    """The transcript, one line per segment with its times and speaker when Mistral gave segments."""
    segments = [segment for segment in response.get("segments") or [] if isinstance(segment, dict)]
    if not segments:
        return str(response.get("text") or "")
    lines = []
    for segment in segments:
        speaker = f" {segment['speaker_id']}:" if segment.get("speaker_id") else ""
        times = f"[{_clock(segment.get('start'))}-{_clock(segment.get('end'))}]"
        lines.append(f"{times}{speaker} {str(segment.get('text') or '').strip()}")
    return "\n".join(lines)


def _window(text: str, offset: int) -> tuple[str, int | None]:
    """The part of `text` from `offset` that fits one result, ending at a line or word when it can,
    and where the next part starts (None at the end)."""
    limit = offset + TRANSCRIPT_WINDOW_CHARS
    if limit >= len(text):
        return text[offset:], None
    for separator in ("\n", " "):
        cut = text.rfind(separator, offset + TRANSCRIPT_WINDOW_CHARS // 2, limit)
        if cut != -1:
            return text[offset : cut + 1], cut + 1
    return text[offset:limit], limit


def render_transcription(call: ToolCall, response: dict[str, Any]) -> ToolOutput:
    offset = call.arguments.get("offset", 0)
    text = transcript_text(response)
    about = [f"language {response['language']}"] if response.get("language") else []
    usage = usage_of(response)
    seconds = usage.get("prompt_audio_seconds") if usage else None
    if seconds is not None:
        about.append(f"{_clock(seconds)} of audio")
    if response.get("model"):
        about.append(f"model {response['model']}")
    head = "Transcript" + (f" ({', '.join(about)})" if about else "")
    if not text.strip():
        return ToolOutput(f"{head}: no speech was recognised.", response, usage)
    if offset >= len(text):
        return ToolOutput(f"{head}: {len(text):,} characters, nothing at offset {offset:,}.", response, usage)
    window, next_offset = _window(text, offset)
    if offset or next_offset is not None:
        head += f", characters {offset:,} to {offset + len(window):,} of {len(text):,}"
    body = f"{head}:\n\n{window.rstrip()}"
    if next_offset is not None:
        body += (
            f"\n\n[The rest was cut ({TRANSCRIPT_WINDOW_CHARS:,} characters per call): call again with "
            f"offset={next_offset} for the next part; Mistral transcribes the audio again.]"
        )
    return ToolOutput(body, response, usage)


async def run_transcribe(call: ToolCall) -> ToolOutput:
    parts = transcription_form(call)
    if call.progress is None:
        response = await call.send(multipart=parts)
    else:
        async with call.stream(multipart=parts, final=is_done) as events:
            response = await collect_transcription(call, events)
    if not isinstance(response, dict):
        raise UpstreamError(f"Mistral's reply was not a transcription but {type(response).__name__}; try again.")
    return render_transcription(call, response)


TOOLS = (
    ToolSpec(
        name="mistral_transcribe",
        family="audio",
        title="Transcribe audio with Mistral (Voxtral)",
        description=(
            "Transcribe speech in a recording (meeting, call, voice note) to text, optionally with speaker "
            "labels (`diarize`) and timestamps. Give the audio as `file_url`, `file_id` or `content_base64` "
            f"(at most {AUDIO_MAX_BYTES // _MIB} MiB). Long transcripts come in parts: the reply says which "
            "`offset` reads on."
        ),
        input_schema=TRANSCRIBE_INPUT,
        output_schema=TRANSCRIPTION_OUTPUT,
        method="POST",
        path=AUDIO_TRANSCRIPTIONS,
        # The inline audio becomes the multipart `file` part; the window into the transcript is ours.
        tool_only=frozenset({"content_base64", "offset"}),
        run=run_transcribe,
        read_only=True,
        idempotent=True,
    ),
)
