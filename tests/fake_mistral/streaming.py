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

from .reply_shapes import Reply, split_text

DONE = b"data: [DONE]\n\n"


def encode_event(payload: Mapping[str, Any], *, named: bool = False) -> bytes:
    name = f"event: {payload['type']}\n".encode() if named else b""
    return name + b"data: " + json.dumps(payload).encode() + b"\n\n"


def content_deltas(content: Any) -> list[Any]:
    """``content`` as the pieces of it deltas carry: strings word by word, a chunk list chunk by chunk
    (text and thinking word by word too), so that joining them gives ``content`` back."""
    if isinstance(content, str):
        return list(split_text(content))
    deltas: list[Any] = []
    for chunk in content or []:
        if chunk.get("type") == "text":
            deltas += [[{"type": "text", "text": part}] for part in split_text(chunk["text"])]
        elif chunk.get("type") == "thinking":
            for inner in chunk["thinking"]:
                parts = split_text(inner["text"]) if inner.get("type") == "text" else [None]
                for part in parts:
                    piece = inner if part is None else {"type": "text", "text": part}
                    deltas.append([{**chunk, "thinking": [piece]}])
        else:
            deltas.append([chunk])
    return deltas


def _message_deltas(message: dict[str, Any], index: int | None) -> list[dict[str, Any]]:
    """Deltas that rebuild ``message``; ``index`` says which item of a ``messages`` array they are for."""
    at = {} if index is None else {"index": index}
    deltas: list[dict[str, Any]] = [{"role": message.get("role", "assistant"), **at}]
    if index is None:
        deltas[0]["content"] = ""  # Mistral's first delta of a single message
    if message.get("content") is not None:
        deltas += [{"content": piece, **at} for piece in content_deltas(message["content"])]
    if message.get("tool_calls"):
        deltas.append(
            {"content": "", "tool_calls": message["tool_calls"], **at}
            if index is None
            else {"tool_calls": message["tool_calls"], **at}
        )
    for key in ("tool_call_id", "metadata"):
        if message.get(key) is not None:
            deltas.append({key: message[key], **at})
    return deltas


def completion_chunks(
    *, completion_id: str, model: str, created: int, reply: Reply, n: int = 1
) -> list[dict[str, Any]]:
    """CompletionChunk payloads for ``n`` identical choices; the last one carries ``usage``."""

    def chunk(index: int, delta: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": index, "delta": delta, "finish_reason": None}],
        }

    events: list[dict[str, Any]] = []
    for index in range(n):
        if reply.messages is not None:
            deltas = [d for position, m in enumerate(reply.messages) for d in _message_deltas(m, position)]
        else:
            deltas = _message_deltas(reply.message or {}, None)
        events += [chunk(index, delta) for delta in deltas]
        events[-1]["choices"][0]["finish_reason"] = reply.finish_reason
    events[-1]["usage"] = reply.usage
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
