"""Text to speech: `mistral_speak`, and the voices it speaks with (`mistral_list_voices`, `mistral_get_voice`).

The speech comes back as MCP audio content, base64 inside the result, so it is capped at
`SPEECH_MAX_BYTES`: with its text the result stays under the 150,000 characters MCP clients accept.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import mcp_types as types

from server.errors import ToolArgumentError, UpstreamError
from server.tools import schemas as s
from server.tools.spec import ToolCall, ToolOutput, ToolSpec

SPEECH_MAX_BYTES = 100_000
# Mistral's formats but pcm: raw float32 samples with no header, which no MCP client can play.
SPEECH_FORMATS = {"mp3": "audio/mpeg", "opus": "audio/ogg", "wav": "audio/wav", "flac": "audio/flac"}
_MAGIC = ((b"ID3", "audio/mpeg"), (b"RIFF", "audio/wav"), (b"fLaC", "audio/flac"), (b"OggS", "audio/ogg"))
_VOICE: s.Schema = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$"}

SPEAK_INPUT = s.object_schema(
    {
        "input": {
            "type": "string",
            "minLength": 1,
            "maxLength": 5000,
            "description": "The text to say; plain words (spell out numbers and abbreviations).",
        },
        "voice_id": {**_VOICE, "description": "A voice's id or slug from mistral_list_voices."},
        "model": {**s.MODEL, "description": "Speech model; Mistral's default if left out."},
        "response_format": {
            "type": "string",
            "enum": list(SPEECH_FORMATS),
            "default": "mp3",
            "description": "Audio format; opus is the smallest, so it holds the longest speech.",
        },
    },
    required=["input"],
)
SPEECH_OUTPUT: s.Schema = {
    "type": "object",
    "properties": {
        "response_format": {"type": "string"},
        "mime_type": {"type": "string"},
        "bytes": {"type": "integer"},
        "characters": {"type": "integer"},
        "voice_id": {"type": ["string", "null"]},
        "model": {"type": ["string", "null"]},
    },
    "required": ["response_format", "mime_type", "bytes"],
}
LIST_INPUT = s.object_schema(
    {
        "limit": {"type": "integer", "minimum": 1, "maximum": 100, "description": "Voices per call (default 10)."},
        "offset": {"type": "integer", "minimum": 0, "description": "Voices to skip."},
        "type": {"type": "string", "enum": ["all", "custom", "preset"], "description": "Preset, custom or all."},
    }
)
VOICE_INPUT = s.object_schema(
    {"voice_id": {**_VOICE, "description": "A voice's id from mistral_list_voices."}}, required=["voice_id"]
)
VOICE_OUTPUT: s.Schema = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "slug": {"type": ["string", "null"]},
        "languages": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["id"],
}
LIST_OUTPUT: s.Schema = {
    "type": "object",
    "properties": {"items": {"type": "array", "items": VOICE_OUTPUT}, "total": {"type": "integer"}},
    "required": ["items"],
}


def _mime_type(audio: bytes, response_format: str) -> str:
    return next((kind for magic, kind in _MAGIC if audio.startswith(magic)), SPEECH_FORMATS[response_format])


async def run_speak(call: ToolCall) -> ToolOutput:
    encoded = reply_object(await call.forward(), "speech").get("audio_data")
    try:
        audio = base64.b64decode(encoded if isinstance(encoded, str) else "", validate=True)
    except (binascii.Error, ValueError):
        audio = b""
    if not audio:
        raise UpstreamError("Mistral's reply held no audio (its audio_data was missing or not base64); try again.")
    response_format = call.arguments.get("response_format", "mp3")
    if len(audio) > SPEECH_MAX_BYTES:
        raise ToolArgumentError(
            f"The speech came to {len(audio):,} bytes of {response_format}, more than the {SPEECH_MAX_BYTES:,} "
            "bytes of audio a tool result can carry (MCP clients accept 150,000 characters). Shorten `input` "
            "or split it over several calls, or ask for response_format 'opus', the smallest."
        )
    mime_type = _mime_type(audio, response_format)
    metadata = {
        "response_format": response_format,
        "mime_type": mime_type,
        "bytes": len(audio),
        "characters": len(call.arguments["input"]),
        "voice_id": call.arguments.get("voice_id"),
        "model": call.arguments.get("model"),
    }
    voice = f", voice {metadata['voice_id']}" if metadata["voice_id"] else ""
    text = (
        f"Speech of {metadata['characters']:,} characters as {response_format} ({len(audio):,} bytes, "
        f"{mime_type}{voice}); the audio is the next block."
    )
    block = types.AudioContent(type="audio", data=base64.b64encode(audio).decode("ascii"), mime_type=mime_type)
    return ToolOutput(text, metadata, content=(block,))


def reply_object(reply: Any, what: str) -> dict[str, Any]:
    """Mistral's reply when it is the JSON object expected.

    Raises:
        UpstreamError: it is not (a list, a number, null).
    """
    if isinstance(reply, dict):
        return reply
    raise UpstreamError(f"Mistral's reply was not {what} but {type(reply).__name__}; try again.")


def describe_voice(voice: dict[str, Any]) -> str:
    """One line about a voice: name, slug, id, and who it sounds like."""
    slug = f"slug {voice['slug']}, " if voice.get("slug") else ""
    traits = [str(voice[key]) for key in ("gender", "age") if voice.get(key) is not None]
    for key, label in (("languages", "speaks"), ("tags", "tags")):
        if isinstance(voice.get(key), list) and voice[key]:
            traits.append(f"{label} " + ", ".join(map(str, voice[key])))
    if voice.get("description"):
        traits.append(str(voice["description"]))
    return f"{voice.get('name')} ({slug}id {voice.get('id')})" + (f": {'; '.join(traits)}" if traits else "")


def render_voices(call: ToolCall, reply: Any) -> ToolOutput:
    response = reply_object(reply, "a list of voices")
    items = response.get("items")
    voices = [voice for voice in items if isinstance(voice, dict)] if isinstance(items, list) else []
    offset = call.arguments.get("offset", 0)
    total = response.get("total")
    if not voices:
        return ToolOutput(f"No voices from offset {offset}.", response)
    counted = f", {total} in all" if isinstance(total, int) else ""
    lines = [f"Voices {offset + 1} to {offset + len(voices)}{counted}:", *(f"- {describe_voice(v)}" for v in voices)]
    if isinstance(total, int) and offset + len(voices) < total:
        lines.append(f"More voices: call again with offset={offset + len(voices)}.")
    return ToolOutput("\n".join(lines), response)


def render_voice(call: ToolCall, reply: Any) -> ToolOutput:
    voice = reply_object(reply, "a voice")
    return ToolOutput(describe_voice(voice), voice)


TOOLS = (
    ToolSpec(
        name="mistral_speak",
        family="audio",
        title="Say a text aloud with Mistral (Voxtral)",
        description=(
            "Turn a short text into speech and return it as audio content. Pick a voice with "
            f"mistral_list_voices. A result holds at most {SPEECH_MAX_BYTES:,} bytes of audio, a short clip "
            "(opus holds the longest), so split long texts over several calls."
        ),
        input_schema=SPEAK_INPUT,
        output_schema=SPEECH_OUTPUT,
        method="POST",
        path="/v1/audio/speech",
        run=run_speak,
        read_only=True,
        idempotent=True,
    ),
    ToolSpec(
        name="mistral_list_voices",
        family="audio",
        title="List Mistral's speech voices",
        description=(
            "List the voices mistral_speak can use, preset ones and your custom ones, with their language, "
            "gender and tags, a page at a time (`offset`, `limit`)."
        ),
        input_schema=LIST_INPUT,
        output_schema=LIST_OUTPUT,
        method="GET",
        path="/v1/audio/voices",
        render=render_voices,
        read_only=True,
        idempotent=True,
    ),
    ToolSpec(
        name="mistral_get_voice",
        family="audio",
        title="Get a Mistral voice's details",
        description=(
            "Details of one speech voice: name, slug, languages, gender, age, tags and description. Use its id "
            "or slug as mistral_speak's voice_id."
        ),
        input_schema=VOICE_INPUT,
        output_schema=VOICE_OUTPUT,
        method="GET",
        path="/v1/audio/voices/{voice_id}",
        render=render_voice,
        read_only=True,
        idempotent=True,
    ),
)
