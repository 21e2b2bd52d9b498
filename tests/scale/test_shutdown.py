"""Graceful shutdown of a real `mistral-mcp serve` process on SIGTERM.

The replica stops accepting connections at once, lets the tool calls it is running finish
(a plain call stalled upstream and a streamed one) within MISTRAL_MCP_SHUTDOWN_GRACE_SECONDS,
then exits cleanly. Runs on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from tests.fake_mistral import FakeMistral
from tests.scale.replicas import replicas
from tests.support.mcp_client import LEGACY, MODERN, connect

pytestmark = pytest.mark.anyio

LONG_REPLY = " ".join(f"word{i}" for i in range(12))


async def refuses_connections(url: str) -> bool:
    """Whether new requests go unserved: the port refuses them, or (a connection that raced the
    listener's close) it is closed without an answer."""
    try:
        async with httpx.AsyncClient(timeout=2) as http:
            await http.get(f"{url}/healthz")
    except (httpx.ConnectError, httpx.RemoteProtocolError):
        return True
    return False


async def test_sigterm_lets_in_flight_calls_and_streams_finish_refuses_new_ones_then_exits(
    replica_settings: dict[str, str], tmp_path: Path, fake_mistral: FakeMistral
) -> None:
    fake_mistral.chat_reply = LONG_REPLY
    fake_mistral.stream_delay = 0.25  # ~14 events: a stream that lasts a few seconds
    fake_mistral.stall_next("/v1/embeddings", 3.0)
    settings = {**replica_settings, "MISTRAL_MCP_SHUTDOWN_GRACE_SECONDS": "20"}
    results: dict[str, Any] = {}
    streaming = anyio.Event()
    refused = anyio.Event()
    finished_after_refusal: list[str] = []

    with replicas(1, settings, tmp_path) as (replica,):
        token = replica.sign_up()

        async def stalled_call() -> None:
            async with connect(replica.mcp_url(token), LEGACY) as client:
                # Listed first: the client checks results against output schemas, and would
                # otherwise list tools after the call, when the replica no longer listens.
                await client.list_tools()
                results["embed"] = await client.call_tool("mistral_embed", {"input": "hello"})
            finished_after_refusal.append("embed" if refused.is_set() else "embed-early")

        async def streamed_call() -> None:
            async def on_progress(_progress: float, _total: float | None, _message: str | None) -> None:
                streaming.set()

            async with connect(replica.mcp_url(token), MODERN) as client:
                await client.list_tools()
                results["chat"] = await client.call_tool(
                    "mistral_chat", {"prompt": "count"}, progress_callback=on_progress
                )
            finished_after_refusal.append("chat" if refused.is_set() else "chat-early")

        with anyio.fail_after(30):
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(stalled_call)
                tasks.start_soon(streamed_call)
                # Both calls are in flight: Mistral has the embedding request, the stream is flowing.
                while not (fake_mistral.requests_to("POST", "/v1/embeddings") and streaming.is_set()):
                    await anyio.sleep(0.02)
                replica.terminate()
                while not await refuses_connections(replica.url):
                    await anyio.sleep(0.02)
                refused.set()
        exit_code = await anyio.to_thread.run_sync(replica.wait)

    assert sorted(finished_after_refusal) == ["chat", "embed"]
    assert not results["embed"].is_error and not results["chat"].is_error
    assert results["chat"].content[0].text == LONG_REPLY
    # uvicorn re-raises the SIGTERM once it has shut down, so the exit status is the signal's.
    assert exit_code == -signal.SIGTERM
    log = replica.log()
    assert "Application shutdown complete" in log
    assert "timeout graceful shutdown exceeded" not in log
    assert token not in log


async def test_a_call_longer_than_the_grace_period_is_cut_and_the_replica_still_exits(
    replica_settings: dict[str, str], tmp_path: Path, fake_mistral: FakeMistral
) -> None:
    fake_mistral.stall_next("/v1/embeddings", 30.0)
    settings = {**replica_settings, "MISTRAL_MCP_SHUTDOWN_GRACE_SECONDS": "1"}
    outcome: list[str] = []
    with replicas(1, settings, tmp_path) as (replica,):
        token = replica.sign_up()

        async def stalled_call() -> None:
            try:
                async with connect(replica.mcp_url(token), MODERN) as client:
                    await client.list_tools()
                    result = await client.call_tool("mistral_embed", {"input": "hello"})
                outcome.append("error result" if result.is_error else "ok")
            except Exception as exc:  # the connection is cut: the client sees it, nothing is silent
                outcome.append(type(exc).__name__)

        with anyio.fail_after(30):
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(stalled_call)
                while not fake_mistral.requests_to("POST", "/v1/embeddings"):
                    await anyio.sleep(0.02)
                replica.terminate()
        exit_code = await anyio.to_thread.run_sync(replica.wait)

    assert outcome and outcome != ["ok"]
    assert exit_code == -signal.SIGTERM
    assert "timeout graceful shutdown exceeded" in replica.log()
