"""The MCP transport on its own: `McpSessions` called as an ASGI app with hand-made messages.

No network and no app: a small SDK server with two tools (one answers at once, reporting
progress when asked; one waits to be released), and a client that is only a list of body
messages, then a hang-up when the test says so (or once the answer is complete, as uvicorn does).
"""

from __future__ import annotations

import itertools
import json
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import mcp_types as types
import pytest
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel.server import Server
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import ClientDisconnect
from starlette.types import Message

from server.transport.sessions import McpSessions

pytestmark = pytest.mark.anyio

LIMIT = 4_000


@dataclass
class Tools:
    """What the tools saw: the waiting tool started, was cancelled; any tool was called."""

    called: list[str] = field(default_factory=list)
    started: anyio.Event = field(default_factory=anyio.Event)
    cancelled: anyio.Event = field(default_factory=anyio.Event)
    release: anyio.Event = field(default_factory=anyio.Event)

    def server(self) -> Server[Any]:
        async def list_tools(
            _ctx: ServerRequestContext[Any, Any], _params: types.PaginatedRequestParams | None
        ) -> types.ListToolsResult:
            return types.ListToolsResult(tools=[types.Tool(name="echo", input_schema={"type": "object"})])

        async def call_tool(
            ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
        ) -> types.CallToolResult:
            self.called.append(params.name)
            if params.name == "wait":
                self.started.set()
                try:
                    await self.release.wait()
                except anyio.get_cancelled_exc_class():
                    self.cancelled.set()
                    raise
            if ctx.meta and ctx.meta.get("progress_token") is not None:
                await ctx.session.report_progress(1, 2, "half way")
            return types.CallToolResult(content=[types.TextContent(type="text", text=f"{params.name} done")])

        return Server("unit", on_list_tools=list_tools, on_call_tool=call_tool)


@dataclass
class Answer:
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    reads: int = 0  # body messages the server took from the client

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0]

    def messages(self) -> list[dict[str, Any]]:
        """The JSON-RPC messages of the answer, whether it came as JSON or as server-sent events."""
        if self.content_type == "application/json":
            return [json.loads(self.body)]
        data = (line[5:].strip() for line in self.body.decode().splitlines() if line.startswith("data:"))
        return [json.loads(d) for d in data if d]


def call(name: str, *, progress_token: str | None = None, padding: int = 0) -> bytes:
    params: dict[str, Any] = {"name": name, "arguments": {"padding": "x" * padding}}
    if progress_token is not None:
        params["_meta"] = {"progressToken": progress_token}
    return json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}).encode()


def pieces(body: bytes, *cuts: int) -> list[Message]:
    bounds = [0, *cuts, len(body)]
    return [
        {"type": "http.request", "body": body[a:b], "more_body": b != len(body)} for a, b in itertools.pairwise(bounds)
    ]


@asynccontextmanager
async def running(tools: Tools) -> AsyncIterator[McpSessions]:
    sessions = McpSessions(
        tools.server(),
        security_settings=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        max_request_body_size=LIMIT,
    )
    async with sessions.run():
        yield sessions


async def exchange(
    sessions: McpSessions,
    messages: list[Message],
    *,
    content_length: int | None = None,
    hang_up: anyio.Event | None = None,
) -> Answer:
    """POST /mcp: `messages` are the request body; the client hangs up when `hang_up` is set, or
    else once the answer is complete."""
    answer = Answer()
    pending = deque(messages)
    gone = hang_up or anyio.Event()
    headers = [
        (b"host", b"127.0.0.1:8000"),
        (b"accept", b"application/json, text/event-stream"),
        (b"content-type", b"application/json"),
        (b"mcp-protocol-version", b"2025-11-25"),
    ]
    if content_length is not None:
        headers.append((b"content-length", str(content_length).encode()))
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/mcp",
        "raw_path": b"/mcp",
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }

    async def receive() -> Message:
        if pending:
            answer.reads += 1
            return pending.popleft()
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
            answer.headers = {k.decode().lower(): v.decode() for k, v in message.get("headers", [])}
        elif message["type"] == "http.response.body":
            answer.body += message.get("body", b"")
            if not message.get("more_body", False):
                gone.set()

    with anyio.fail_after(30):
        await sessions.handle_request(scope, receive, send)
    return answer


# --- JSON or a stream ---


async def test_a_call_without_a_progress_token_is_answered_in_plain_json() -> None:
    tools = Tools()
    async with running(tools) as sessions:
        answer = await exchange(sessions, pieces(call("echo")))
    assert answer.status == 200
    assert answer.content_type == "application/json"
    [message] = answer.messages()
    assert message["id"] == 1
    assert message["result"]["content"][0]["text"] == "echo done"


async def test_a_call_with_a_progress_token_is_answered_as_a_stream_carrying_its_progress() -> None:
    tools = Tools()
    async with running(tools) as sessions:
        answer = await exchange(sessions, pieces(call("echo", progress_token="p-1")))
    assert answer.status == 200
    assert answer.content_type == "text/event-stream"
    progress, result = answer.messages()
    assert progress["method"] == "notifications/progress"
    assert progress["params"] == {"progressToken": "p-1", "progress": 1, "total": 2, "message": "half way"}
    assert result["id"] == 1 and result["result"]["content"][0]["text"] == "echo done"


async def test_a_progress_token_split_across_body_pieces_still_gets_a_stream() -> None:
    body = call("echo", progress_token="p-2")
    middle = body.index(b'"progressToken"') + 6
    tools = Tools()
    async with running(tools) as sessions:
        answer = await exchange(sessions, pieces(body, 10, middle))
    assert answer.content_type == "text/event-stream"
    assert answer.reads == 3
    assert [m.get("method") for m in answer.messages()] == ["notifications/progress", None]


async def test_a_request_that_is_not_a_call_is_answered_in_json() -> None:
    body = json.dumps({"jsonrpc": "2.0", "id": 7, "method": "tools/list"}).encode()
    tools = Tools()
    async with running(tools) as sessions:
        answer = await exchange(sessions, pieces(body, 5))
    assert answer.content_type == "application/json"
    [message] = answer.messages()
    assert message["id"] == 7 and [t["name"] for t in message["result"]["tools"]] == ["echo"]
    assert tools.called == []


# --- body size ---


async def test_a_body_declared_too_big_is_refused_without_being_read() -> None:
    body = call("echo", padding=LIMIT)
    tools = Tools()
    async with running(tools) as sessions:
        answer = await exchange(sessions, pieces(body), content_length=len(body))
    assert answer.status == 413
    assert answer.reads == 0
    assert tools.called == []


async def test_a_body_growing_past_the_limit_is_refused_before_its_end() -> None:
    body = call("echo", padding=LIMIT * 3)
    quarter = LIMIT // 4
    tools = Tools()
    async with running(tools) as sessions:
        answer = await exchange(sessions, pieces(body, *range(quarter, len(body), quarter)))
    assert answer.status == 413
    assert answer.reads < len(body) // quarter  # the rest of the body was never asked for
    assert tools.called == []


async def test_a_body_at_the_limit_is_served() -> None:
    bare = len(call("echo"))
    body = call("echo", padding=LIMIT - bare)
    assert len(body) == LIMIT
    tools = Tools()
    async with running(tools) as sessions:
        answer = await exchange(sessions, pieces(body, LIMIT // 2), content_length=len(body))
    assert answer.status == 200
    assert tools.called == ["echo"]


# --- a client that hangs up ---


async def test_a_client_hanging_up_mid_call_cancels_the_call() -> None:
    tools = Tools()
    hang_up = anyio.Event()

    async def hang_up_once_started() -> None:
        await tools.started.wait()
        hang_up.set()

    async with running(tools) as sessions, anyio.create_task_group() as client:
        client.start_soon(hang_up_once_started)
        await exchange(sessions, pieces(call("wait")), hang_up=hang_up)
    with anyio.fail_after(30):
        await tools.cancelled.wait()
    assert not tools.release.is_set()


async def test_a_client_hanging_up_mid_streamed_call_cancels_the_call() -> None:
    tools = Tools()
    hang_up = anyio.Event()

    async def hang_up_once_started() -> None:
        await tools.started.wait()
        hang_up.set()

    async with running(tools) as sessions, anyio.create_task_group() as client:
        client.start_soon(hang_up_once_started)
        await exchange(sessions, pieces(call("wait", progress_token="p-3")), hang_up=hang_up)
    with anyio.fail_after(30):
        await tools.cancelled.wait()


async def test_a_call_whose_client_stays_is_not_cancelled() -> None:
    tools = Tools()

    async def release_once_started() -> None:
        await tools.started.wait()
        tools.release.set()

    async with running(tools) as sessions, anyio.create_task_group() as client:
        client.start_soon(release_once_started)
        answer = await exchange(sessions, pieces(call("wait")))
    assert answer.status == 200
    assert answer.messages()[0]["result"]["content"][0]["text"] == "wait done"
    assert not tools.cancelled.is_set()


async def test_a_client_hanging_up_before_its_body_ends_starts_no_call() -> None:
    body = call("echo")
    gone = anyio.Event()
    gone.set()
    tools = Tools()
    async with running(tools) as sessions:
        # Raised as Starlette's own body reading does; the app answers it as one INFO line (tests/faults).
        with pytest.raises(ClientDisconnect):
            await exchange(sessions, pieces(body, len(body) // 2)[:1], hang_up=gone)
    assert tools.called == []
