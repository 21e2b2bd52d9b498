"""Assemble a streamed transcription into the response Mistral would have sent whole.

Events are `transcription.language`, `transcription.text.delta`, `transcription.segment` and, last,
`transcription.done`, which carries the whole result; no `[DONE]` follows it. While the text arrives,
the growing transcript is forwarded as MCP progress notifications.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from server.errors import UpstreamStreamBroken
from server.tools.spec import ToolCall

DONE = "transcription.done"
# Throttle so a fast stream does not become thousands of notifications.
_PROGRESS_MIN_INTERVAL = 0.2
_PROGRESS_MESSAGE_TAIL = 2000


def is_done(event: dict[str, Any]) -> bool:
    """The event that ends a transcription stream."""
    return event.get("type") == DONE


async def collect_transcription(call: ToolCall, events: AsyncIterator[dict[str, Any]]) -> dict[str, Any]:
    """Drain `events` into a TranscriptionResponse, reporting the transcript so far as progress.

    Raises:
        UpstreamStreamBroken: with the text received so far attached.
    """
    text: list[str] = []
    segments: list[dict[str, Any]] = []
    language: str | None = None
    done: dict[str, Any] | None = None
    received = 0
    last_report = 0.0
    try:
        async for event in events:
            kind = event.get("type")
            if kind == "transcription.text.delta":
                text.append(str(event.get("text") or ""))
            elif kind == "transcription.segment":
                segments.append({**event, "type": "transcription_segment"})
            elif kind == "transcription.language" and isinstance(event.get("audio_language"), str):
                language = event["audio_language"]
            elif kind == DONE:
                done = event
            received += 1
            now = time.monotonic()
            if call.deadline is not None and now > call.deadline:
                raise UpstreamStreamBroken(
                    "The transcription was stopped before MCP clients give up on a call (about 5 minutes); "
                    "transcribe a shorter recording, or parts of it."
                )
            if call.progress is not None and now - last_report >= _PROGRESS_MIN_INTERVAL:
                last_report = now
                await call.progress(float(received), None, "".join(text)[-_PROGRESS_MESSAGE_TAIL:])
    except UpstreamStreamBroken as exc:
        raise UpstreamStreamBroken(str(exc), partial_text="".join(text)) from None
    if done is None:
        raise UpstreamStreamBroken(
            "Mistral's transcription stream ended without its result.", partial_text="".join(text)
        )
    response = {key: value for key, value in done.items() if key != "type"}
    response.setdefault("text", "".join(text))
    if not response.get("segments") and segments:
        response["segments"] = segments
    if response.get("language") is None and language is not None:
        response["language"] = language
    return response
