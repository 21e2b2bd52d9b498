"""Server-sent events for ``stream: true`` completions, with an optional mid-stream cut.

Each event is ``data: <CompletionChunk JSON>\\n\\n`` and the stream ends with
``data: [DONE]\\n\\n``. Audio streams name each event after its ``type`` (an
``event: <type>`` line before its data) and end with their last event, without ``[DONE]``.
A cut stream sends its first N events and then returns without finishing the HTTP
response: uvicorn then closes the connection, so the client sees an incomplete
chunked body (httpx: ``RemoteProtocolError``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import anyio
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from .generation import Completion, pieces

DONE = b"data: [DONE]\n\n"


def encode_event(payload: Mapping[str, Any], *, named: bool = False) -> bytes:
    name = f"event: {payload['type']}\n".encode() if named else b""
    return name + b"data: " + json.dumps(payload).encode() + b"\n\n"


def completion_chunks(
    *, completion_id: str, model: str, created: int, completion: Completion, n: int = 1
) -> list[dict[str, Any]]:
    """CompletionChunk payloads for ``n`` identical choices; the last one carries ``usage``."""

    def chunk(index: int, delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        return {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": index, "delta": delta, "finish_reason": finish_reason}],
        }

    events: list[dict[str, Any]] = []
    for index in range(n):
        events.append(chunk(index, {"role": "assistant", "content": ""}))
        if completion.tool_calls:
            events.append(chunk(index, {"content": "", "tool_calls": completion.tool_calls}, "tool_calls"))
            continue
        parts = pieces(completion.content) or [""]
        for position, part in enumerate(parts):
            last = position == len(parts) - 1
            events.append(chunk(index, {"content": part}, completion.finish_reason if last else None))
    events[-1]["usage"] = completion.usage
    return events


class EventStreamResponse(Response):
    """An SSE response that can stop after ``cut_after`` events without completing."""

    media_type = "text/event-stream"

    def __init__(
        self,
        events: list[dict[str, Any]],
        *,
        cut_after: int | None = None,
        delay: float = 0.0,
        named: bool = False,
        done: bool = True,
    ) -> None:
        # Like StreamingResponse: no body attribute, so no content-length header.
        self.status_code = 200
        self.background = None
        self.init_headers({"cache-control": "no-cache"})
        self.events = events
        self.cut_after = cut_after
        self.delay = delay
        self.named = named  # `event: <type>` lines, as audio streams have
        self.done = done  # a closing [DONE], which audio streams do not send

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        try:
            for sent, event in enumerate(self.events):
                if self.cut_after is not None and sent >= self.cut_after:
                    return  # abort: the response is never completed
                body = encode_event(event, named=self.named)
                await send({"type": "http.response.body", "body": body, "more_body": True})
                if self.delay:
                    await anyio.sleep(self.delay)
            if self.cut_after is not None and len(self.events) >= self.cut_after:
                return  # cut exactly at the end: still no [DONE]
            if self.done:
                await send({"type": "http.response.body", "body": DONE, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:  # the client went away mid-stream
            return
