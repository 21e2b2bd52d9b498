"""Slow and oversized clients: every wait for a client has a deadline, the header block a cap,
and a flood of idle connections cannot keep anyone else out (`server/http/protocol.py`).

Each test sets a tiny deadline or cap and waits, bounded, for the server to act on it.
"""

from __future__ import annotations

import io
import json
import socket
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import anyio
import httpx
import pytest
from anyio.abc import SocketStream

from tests.conftest import RunningApp
from tests.fake_mistral import FakeMistral
from tests.integration.test_cli import stop
from tests.integration.test_forwarded_headers import serve_with

pytestmark = pytest.mark.anyio

CHAT = "/v1/chat/completions"
BOUND = 20  # seconds any single wait in these tests may take before the test fails


async def start(app_factory: Callable[..., RunningApp], **settings: object) -> RunningApp:
    return await anyio.to_thread.run_sync(lambda: app_factory(**settings))


async def connect(app: RunningApp) -> SocketStream:
    url = urlsplit(app.url)
    assert url.hostname is not None and url.port is not None
    return await anyio.connect_tcp(url.hostname, url.port)


async def until_closed(stream: SocketStream) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    with anyio.fail_after(BOUND):
        while True:
            try:
                received += await stream.receive()
            except (anyio.EndOfStream, anyio.BrokenResourceError, ConnectionResetError):
                return received


async def until_received(stream: SocketStream, marker: bytes) -> bytes:
    received = b""
    with anyio.fail_after(BOUND):
        while marker not in received:
            received += await stream.receive()
    return received


def error_code(answer: bytes) -> str:
    code: str = json.loads(answer.partition(b"\r\n\r\n")[2])["error"]["code"]
    return code


def mcp_head(app: RunningApp, path: str, length: int, *extra: str) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        f"host: {urlsplit(app.url).netloc}",
        "accept: application/json, text/event-stream",
        "content-type: application/json",
        f"content-length: {length}",
        *extra,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def tool_call(app: RunningApp, token: str) -> bytes:
    body = json.dumps(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": "mistral_chat", "arguments": {"prompt": "hi"}},
        }
    ).encode()
    return mcp_head(app, f"/mcp/{token}", len(body), "mcp-protocol-version: 2025-11-25") + body


async def healthz(app: RunningApp) -> int:
    async with httpx.AsyncClient(timeout=BOUND) as http:
        return (await http.get(f"{app.url}/healthz")).status_code


async def test_clients_that_never_finish_their_headers_are_closed_while_healthz_keeps_answering(
    app_factory: Callable[..., RunningApp],
) -> None:
    app = await start(app_factory, header_timeout=0.3)
    silent = [await connect(app) for _ in range(10)]
    partial = [await connect(app) for _ in range(10)]
    for stream in partial:
        await stream.send(b"GET /healthz HTTP/1.1\r\nhost: x\r\n")
    trickling = await connect(app)

    async def trickle() -> None:
        await trickling.send(b"GET /healthz HTTP/1.1\r\nx-slow: ")
        try:
            while True:  # a byte at a time, for ever: only the server can end this
                await trickling.send(b"a")
                await anyio.sleep(0.02)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, ConnectionResetError):
            pass

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(trickle)
        assert await healthz(app) == 200
        for stream in [*silent, *partial, trickling]:
            assert await until_closed(stream) == b""  # closed, without an answer
    assert await healthz(app) == 200


async def test_past_the_connection_cap_the_longest_idle_connections_make_room(
    app_factory: Callable[..., RunningApp],
) -> None:
    app = await start(app_factory, max_connections=5, header_timeout=60)
    slow = []
    for _ in range(8):
        stream = await connect(app)
        await stream.send(b"GET /healthz HTTP/1.1\r\nhost: x\r\n")
        slow.append(stream)
    assert await healthz(app) == 200  # a newcomer is served, however many slow clients came first
    for stream in slow[:3]:  # the oldest made room for the later ones
        assert await until_closed(stream) == b""
    await slow[-1].send(b"\r\n")  # the newest was kept: its request completes and is answered
    assert (await until_received(slow[-1], b"\r\n\r\n")).startswith(b"HTTP/1.1 200")
    for stream in slow:
        await stream.aclose()


async def test_a_connection_waiting_for_its_body_is_answered_408_to_make_room(
    app_factory: Callable[..., RunningApp],
) -> None:
    app = await start(app_factory, max_connections=1)
    waiting = await connect(app)
    head = b"POST /api/connections HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
    await waiting.send(head + b"content-length: 100\r\nexpect: 100-continue\r\n\r\n")
    await until_received(waiting, b"100 Continue")  # the app is reading the body
    await waiting.send(b'{"api_key": ')
    newcomer = await connect(app)
    answer = await until_closed(waiting)
    assert answer.startswith(b"HTTP/1.1 408")
    assert error_code(answer) == "request_timeout"
    await newcomer.send(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
    assert (await until_received(newcomer, b"\r\n\r\n")).startswith(b"HTTP/1.1 200")
    await newcomer.aclose()


async def test_when_every_connection_is_busy_a_newcomer_gets_503_in_our_error_shape(
    app_factory: Callable[..., RunningApp], fake_mistral: FakeMistral
) -> None:
    app = await start(app_factory, max_connections=2, upstream_timeout=120.0)
    token = app.sign_up()["token"]
    busy = []
    for n in (1, 2):
        fake_mistral.stall_next(CHAT, 60)  # Mistral thinks for a minute, unless the caller goes
        stream = await connect(app)
        await stream.send(tool_call(app, token))
        busy.append(stream)
        with anyio.fail_after(BOUND):
            while len(fake_mistral.requests_to("POST", CHAT)) < n:
                await anyio.sleep(0.01)
    answer = await until_closed(await connect(app))
    assert answer.startswith(b"HTTP/1.1 503")
    assert error_code(answer) == "unavailable"
    for stream in busy:
        await stream.aclose()
    with anyio.fail_after(BOUND):  # the abandoned calls end, and their slots with them
        while len(fake_mistral.hung_up) < 2:
            await anyio.sleep(0.01)
    assert await healthz(app) == 200


@pytest.mark.parametrize("terminated", [False, True], ids=["unterminated", "complete"])
async def test_a_header_block_over_the_cap_is_refused_with_431(
    app_factory: Callable[..., RunningApp], terminated: bool
) -> None:
    app = await start(app_factory, max_header_bytes=4096)
    stream = await connect(app)
    await stream.send(
        b"GET /healthz HTTP/1.1\r\nhost: x\r\nx-long: " + b"a" * 10_000 + (b"\r\n\r\n" if terminated else b"")
    )
    answer = await until_closed(stream)
    assert answer.startswith(b"HTTP/1.1 431")
    assert error_code(answer) == "headers_too_large"


async def test_an_endless_header_line_is_cut_off_long_before_it_ends(app_factory: Callable[..., RunningApp]) -> None:
    app = await start(app_factory, max_header_bytes=4096)
    stream = await connect(app)
    sent, endless = 0, 64 * 1024 * 1024
    chunk = b"a" * 65536

    async def send_endlessly() -> None:
        nonlocal sent
        await stream.send(b"GET /healthz HTTP/1.1\r\nx-long: ")
        try:
            while sent < endless:
                await stream.send(chunk)
                sent += len(chunk)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, ConnectionResetError, BrokenPipeError):
            pass

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(send_endlessly)
        await until_closed(stream)
    assert sent < endless  # the server stopped reading (and holding) it after the cap


async def test_a_half_sent_mcp_body_is_answered_408_after_the_body_timeout_and_logged_as_one_line(
    app_factory: Callable[..., RunningApp], log_stream: io.StringIO
) -> None:
    app = await start(app_factory, body_timeout=0.3)
    token, start_of_log = await sign_up_logged(app, log_stream)
    stream = await connect(app)
    await stream.send(mcp_head(app, f"/mcp/{token}", 1000) + b'{"jsonrpc": "2.0", ')
    answer = await until_closed(stream)
    assert answer.startswith(b"HTTP/1.1 408")
    assert error_code(answer) == "request_timeout"
    logged = await logged_after(log_stream, start_of_log, "POST /mcp/{token} ")
    assert_one_info_line(logged)
    assert token not in logged


@pytest.mark.parametrize("path", ["/mcp/{token}", "/api/connections"])
async def test_a_client_that_aborts_mid_body_is_logged_as_one_info_line_without_traceback(
    app: RunningApp, log_stream: io.StringIO, path: str
) -> None:
    token, start_of_log = await sign_up_logged(app, log_stream)
    stream = await connect(app)
    await stream.send(mcp_head(app, path.format(token=token), 1000, "expect: 100-continue"))
    await until_received(stream, b"100 Continue")  # the app is reading the body
    await stream.send(b'{"jsonrpc": "2.0", ')
    await stream.aclose()
    # By status: the sign-up's own access line ("POST /api/connections 201") may land after start_of_log.
    logged = await logged_after(log_stream, start_of_log, f"POST {path} 400")
    assert_one_info_line(logged)


async def sign_up_logged(app: RunningApp, log_stream: io.StringIO) -> tuple[str, int]:
    """A new connection's token, and where the log stands once the sign-up's own access line is in it
    (it is written after the answer, so it could otherwise land among the next request's lines)."""
    before = len(log_stream.getvalue())
    token: str = app.sign_up()["token"]
    return token, before + len(await logged_after(log_stream, before, "POST /api/connections 201"))


async def logged_after(log_stream: io.StringIO, offset: int, access_line: str) -> str:
    """The log from `offset` until the access log line of the request (logged as it ends)."""
    with anyio.fail_after(BOUND):
        while access_line not in (logged := log_stream.getvalue()[offset:]):
            await anyio.sleep(0.01)
    return logged


def assert_one_info_line(logged: str) -> None:
    records = [json.loads(line) for line in logged.splitlines() if line.startswith("{")]
    dropped = [r for r in records if "stopped sending its body" in r["message"]]
    assert [r["level"] for r in dropped] == ["info"], logged
    assert not [r for r in records if r["level"] in {"error", "critical"} or "exception" in r], logged
    access = next(r for r in records if r["logger"] == "mistral_mcp.access")
    assert access["status"] == 400  # not counted as a server error


async def test_an_idle_keep_alive_connection_is_closed_after_the_keepalive_timeout(
    app_factory: Callable[..., RunningApp],
) -> None:
    app = await start(app_factory, keepalive_timeout=0.2)
    stream = await connect(app)
    await stream.send(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
    with anyio.fail_after(3):  # well under uvicorn's default of 5 s
        answer = await until_closed(stream)
    assert answer.startswith(b"HTTP/1.1 200") and b"connection: close" not in answer.lower()


def test_mistral_mcp_serve_applies_the_header_timeout(tmp_path: Path) -> None:
    process, url = serve_with(tmp_path, header_timeout="0.2")
    try:
        with socket.create_connection((urlsplit(url).hostname, urlsplit(url).port), timeout=BOUND) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\n")
            assert sock.recv(1024) == b""  # closed by the server, long before our timeout
    finally:
        stop(process)


def pipelined(app: RunningApp, path: str, count: int) -> bytes:
    return f"GET {path} HTTP/1.1\r\nhost: {urlsplit(app.url).netloc}\r\n\r\n".encode() * count


async def test_clients_that_never_read_their_answers_are_dropped_and_cannot_keep_anyone_out(
    app_factory: Callable[..., RunningApp],
) -> None:
    app = await start(app_factory, max_connections=3, send_timeout=0.3)
    # Enough answers to fill both sides' socket buffers many times over: the rest waits in the server.
    readers = [await connect(app) for _ in range(3)]
    for stream in readers:
        await stream.send(pipelined(app, "/", 2000))
    with anyio.fail_after(BOUND):
        while await healthz(app) != 200:
            await anyio.sleep(0.05)
    for stream in readers:
        received = await until_closed(stream)
        assert 0 < received.count(b"HTTP/1.1 200") < 2000  # dropped part-way, not served to the end
        await stream.aclose()


async def test_a_client_that_reads_its_answers_gets_them_all_however_many_it_pipelined(
    app_factory: Callable[..., RunningApp],
) -> None:
    app = await start(app_factory, send_timeout=0.3)
    stream = await connect(app)
    await stream.send(pipelined(app, "/", 500) + b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
    received = await until_closed(stream)
    assert received.count(b"HTTP/1.1 200") == 501
    assert received.endswith(b'{"status":"ok"}')
