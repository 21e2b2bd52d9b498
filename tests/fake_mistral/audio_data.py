"""What the fake's audio endpoints know: the recording it hears, its voices and models, fake audio bytes.

Every recording the fake transcribes says ``FakeMistral.transcript`` (speaker, start, end, text
segments; ``DEFAULT_TRANSCRIPT`` unless a test sets another). Speech is fake audio whose size
grows with the text, ``SPEECH_BYTES_PER_CHARACTER`` bytes a character, behind the right header.
"""

from __future__ import annotations

import struct
from typing import Any

TRANSCRIPTION_MODELS = frozenset({"voxtral-mini-latest", "voxtral-mini-2507", "voxtral-mini-2602"})
SPEECH_MODELS = frozenset({"voxtral-mini-tts-latest", "voxtral-mini-tts-2603"})
DEFAULT_SPEECH_MODEL = "voxtral-mini-tts-2603"
SPEECH_BYTES_PER_CHARACTER = 100

# (speaker, start, end, text)
Segment = tuple[str, float, float, str]
DEFAULT_TRANSCRIPT: tuple[Segment, ...] = (
    ("speaker_1", 0.0, 3.2, "Good morning, everyone."),
    ("speaker_2", 3.4, 7.9, "Morning. Shall we start with the budget?"),
    ("speaker_1", 8.1, 12.5, "Yes, the numbers came in yesterday."),
)


def _voice(voice_id: str, name: str, slug: str | None, user_id: str | None, **traits: Any) -> dict[str, Any]:
    # VoiceResponse
    return {
        "name": name,
        "slug": slug,
        "languages": traits.pop("languages", []),
        "gender": traits.pop("gender", None),
        "age": traits.pop("age", None),
        "tags": traits.pop("tags", None),
        "color": None,
        "retention_notice": 30,
        "id": voice_id,
        "created_at": "2026-03-01T00:00:00Z",
        "user_id": user_id,
        "description": traits.pop("description", None),
        "trimmed_seconds": None,
    }


# Presets have no owner; the last one is a custom (cloned) voice of the test key's workspace.
VOICES: tuple[dict[str, Any], ...] = (
    _voice(
        "6f1c5a52-2f0e-4bb9-9d7c-1a6a3a2f0b01",
        "Jane",
        "gb_jane_neutral",
        None,
        languages=["en"],
        gender="female",
        age=35,
        tags=["neutral"],
    ),
    _voice(
        "6f1c5a52-2f0e-4bb9-9d7c-1a6a3a2f0b02",
        "Paul",
        "en_paul_neutral",
        None,
        languages=["en"],
        gender="male",
        tags=["neutral"],
    ),
    _voice(
        "6f1c5a52-2f0e-4bb9-9d7c-1a6a3a2f0b03",
        "Marie",
        "fr_marie_happy",
        None,
        languages=["fr"],
        gender="female",
        tags=["happy"],
        description="Une voix enjouée.",
    ),
    _voice("6f1c5a52-2f0e-4bb9-9d7c-1a6a3a2f0b04", "My voice", None, "user-123", languages=["en"]),
)


def find_voice(voice_id: str) -> dict[str, Any] | None:
    """A voice by its id or, as Mistral's examples use them, a preset's slug."""
    return next((voice for voice in VOICES if voice_id in {voice["id"], voice["slug"]}), None)


def speech_audio(text: str, response_format: str) -> bytes:
    """Fake audio of the format asked for, longer for longer texts."""
    payload = bytes(len(text) * SPEECH_BYTES_PER_CHARACTER)
    if response_format == "wav":
        return b"RIFF" + struct.pack("<I", 36 + len(payload)) + b"WAVEfmt " + bytes(24) + b"data" + payload
    header = {"mp3": b"ID3\x04\x00\x00\x00\x00\x00\x00", "flac": b"fLaC", "opus": b"OggS"}.get(response_format, b"")
    return header + payload
