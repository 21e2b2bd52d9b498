"""A lean fake Mistral for benchmarks: raw ASGI, canned answers, nothing validated.

The test fake (tests/fake_mistral) checks every request against the OpenAPI schema and
records it, which costs more than the servers we measure; a benchmark floor must be as
cheap as possible, so this one answers from pre-encoded bytes.

A request whose body names the model `bench-delay-<ms>` is answered after that many
milliseconds (the harness passes the model through our tool's `model` argument), so one
upstream serves every scenario. Environment (read once when the app is built):
    BENCH_STREAM_CHUNKS    events in a streamed reply (default 10)
    BENCH_STREAM_INTERVAL  seconds between streamed events (default 0.1)
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from typing import Any

from starlette.types import Receive, Scope, Send

REPLY = "Hello from the benchmark upstream."

COMPLETION = {
    "id": "cmpl-bench",
    "object": "chat.completion",
    "model": "mistral-small-latest",
    "created": 1_700_000_000,
    "usage": {"prompt_tokens": 7, "completion_tokens": 8, "total_tokens": 15},
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": REPLY, "tool_calls": None, "prefix": False},
            "finish_reason": "stop",
        }
    ],
}
MODELS = {"object": "list", "data": [{"id": "mistral-small-latest", "object": "model", "owned_by": "mistralai"}]}
UNAUTHORIZED = {"detail": "Unauthorized"}

_JSON_HEADERS = [(b"content-type", b"application/json")]
_DELAY = re.compile(rb"bench-delay-(\d+)")


def _chunk(index: int, content: str, *, last: bool) -> bytes:
    chunk: dict[str, Any] = {
        "id": "cmpl-bench",
        "object": "chat.completion.chunk",
        "model": "mistral-small-latest",
        "created": 1_700_000_000,
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": "stop" if last else None}],
    }
    if index == 0:
        chunk["choices"][0]["delta"]["role"] = "assistant"
    if last:
        chunk["usage"] = COMPLETION["usage"]
    return b"data: " + json.dumps(chunk).encode() + b"\n\n"


async def read_body(receive: Receive) -> bytes:
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    return body


async def send_json(send: Send, status: int, payload: bytes) -> None:
    headers = [*_JSON_HEADERS, (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def delay_model(milliseconds: int) -> str:
    """The model name that makes this upstream wait `milliseconds` before answering."""
    return f"bench-delay-{milliseconds}"


class LeanUpstream:
    def __init__(self, stream_chunks: int = 10, stream_interval: float = 0.1) -> None:
        self.stream_chunks = max(1, stream_chunks)
        self.stream_interval = stream_interval
        self._completion = json.dumps(COMPLETION).encode()
        self._models = json.dumps(MODELS).encode()
        self._unauthorized = json.dumps(UNAUTHORIZED).encode()
        words = [f"word{i} " for i in range(self.stream_chunks)]
        self._events = [_chunk(i, w, last=i == len(words) - 1) for i, w in enumerate(words)]
        # Wall-clock arrival of each delayed request, so the harness can tell how long a server took
        # to pass a burst of calls on (GET /bench/arrivals hands them over and starts afresh).
        self._arrivals: list[float] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = await read_body(receive)
        if not any(name == b"authorization" for name, _ in scope["headers"]):
            await send_json(send, 401, self._unauthorized)
            return
        if scope["path"] == "/bench/arrivals":
            arrivals, self._arrivals = self._arrivals, []
            await send_json(send, 200, json.dumps(arrivals).encode())
            return
        if scope["path"] == "/v1/models":
            await send_json(send, 200, self._models)
            return
        # Substring tests, not a JSON parse: the floor must stay as cheap as possible.
        if b"bench-delay-" in body and (match := _DELAY.search(body)):
            self._arrivals.append(time.time())
            await asyncio.sleep(int(match.group(1)) / 1000)
        if b'"stream":true' in body.replace(b" ", b""):
            await self._stream(send)
            return
        await send_json(send, 200, self._completion)

    async def _stream(self, send: Send) -> None:
        headers = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for event in self._events:
            await send({"type": "http.response.body", "body": event, "more_body": True})
            await asyncio.sleep(self.stream_interval)
        await send({"type": "http.response.body", "body": b"data: [DONE]\n\n", "more_body": False})


def create_app() -> LeanUpstream:
    """uvicorn factory (`bench.upstream:create_app --factory`), configured from the environment."""
    return LeanUpstream(
        stream_chunks=int(os.environ.get("BENCH_STREAM_CHUNKS", "10")),
        stream_interval=float(os.environ.get("BENCH_STREAM_INTERVAL", "0.1")),
    )
