"""The SDK's stateless Streamable HTTP transport, answering in JSON unless progress is asked for.

A stateless request can be answered with a plain JSON body or with an SSE stream. Only the
stream can carry progress notifications, but it costs a streaming response with its own
tasks (sender, keep-alive pinger, disconnect and shutdown watchers) on every request: about
a sixth of a tool call's CPU (bench/RESULTS.md). A request without a progress token can
receive nothing but its one response, so it is answered in JSON; one with a token gets SSE.
Both are valid answers to every client, which must send `Accept: application/json,
text/event-stream`.

The choice needs the body, which is read here (within the size limit) and handed on whole. A
body that stops coming (the client went away, or took longer than the body deadline) raises
`ClientDisconnect`, as Starlette's own body reading does: the app logs it as one line, where
the SDK would log a traceback.

A JSON answer has no stream whose end the SDK would notice, so here a client that hangs up
mid-call cancels the call: otherwise it would run on at Mistral (billed), holding one of the
connection's concurrent-call slots, until Mistral answered or timed out.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from mcp.server.lowlevel.server import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect
from starlette.types import Message, Receive, Scope, Send

# A byte search, not a JSON parse: bodies can be megabytes of base64. A token hidden behind
# JSON escapes would only cost that client its progress updates, never its result.
_PROGRESS_TOKEN = b'"progressToken"'


class McpSessions:
    def __init__(
        self, server: Server[Any], *, security_settings: TransportSecuritySettings, max_request_body_size: int
    ) -> None:
        options: dict[str, Any] = {
            "app": server,
            "stateless": True,
            "security_settings": security_settings,
            "max_request_body_size": max_request_body_size,
        }
        self._streaming = StreamableHTTPSessionManager(json_response=False, **options)
        self._plain = StreamableHTTPSessionManager(json_response=True, **options)
        self._limit = max_request_body_size

    @asynccontextmanager
    async def run(self) -> AsyncIterator[None]:
        async with self._streaming.run(), self._plain.run():
            yield

    async def handle_request(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self._limit:
            await self._streaming.handle_request(scope, receive, send)  # refuses it (413) unread
            return
        messages = await _read_body(receive, self._limit)
        if messages[-1]["type"] == "http.disconnect":
            raise ClientDisconnect
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
        if _PROGRESS_TOKEN in body or not _complete(messages):
            await self._streaming.handle_request(scope, _replay(messages, receive), send)
            return
        await _cancelled_on_disconnect(self._plain, scope, messages, receive, send)


def _complete(messages: list[Message]) -> bool:
    """Whether the whole body was read (not cut short past the limit, nor by a disconnect)."""
    last = messages[-1]
    return last["type"] == "http.request" and not last.get("more_body", False)


async def _cancelled_on_disconnect(
    manager: StreamableHTTPSessionManager, scope: Scope, messages: list[Message], receive: Receive, send: Send
) -> None:
    """Serve a request whose body is all in `messages`, cancelled if the client disconnects first.

    The watcher is the only reader of `receive` from here on; the SDK gets the body, then hears
    of the disconnect (if it asks) only once the watcher has seen it.
    """
    pending = deque(messages)
    gone = anyio.Event()

    async def replay() -> Message:
        if pending:
            return pending.popleft()
        await gone.wait()
        return {"type": "http.disconnect"}

    async with anyio.create_task_group() as tasks:

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()
            tasks.cancel_scope.cancel()

        tasks.start_soon(watch)
        await manager.handle_request(scope, replay, send)
        tasks.cancel_scope.cancel()


async def _read_body(receive: Receive, limit: int) -> list[Message]:
    """The messages carrying the body, stopping early past `limit` (the SDK then refuses it)."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages
        size += len(message.get("body", b""))
        if size > limit or not message.get("more_body", False):
            return messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = deque(messages)

    async def replay() -> Message:
        return pending.popleft() if pending else await receive()

    return replay
