"""SIGTERM while tool calls are in flight loses nothing: every caller gets its answer, and
what the calls counted is on disk when a new process opens the same database.

(tests/scale/test_shutdown.py covers the drain itself: refusal of new connections, streams,
the grace period. This test is about the data.)
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from server.security.crypto import generate_key
from tests.fake_mistral import FakeMistral
from tests.faults.conftest import text_of
from tests.scale.replicas import replicas
from tests.support.mcp_client import MODERN, connect

pytestmark = pytest.mark.anyio

CHAT = "/v1/chat/completions"
IN_FLIGHT = 4


@pytest.fixture
def settings(database_factory: Callable[[], str], fake_mistral_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "MISTRAL_MCP_DATABASE_URL": database_factory(),
        "MISTRAL_MCP_ENCRYPTION_KEYS": generate_key(),
        "MISTRAL_MCP_UPSTREAM_URL": fake_mistral_url,
        "MISTRAL_MCP_DATA_DIR": str(tmp_path / "data"),
        "MISTRAL_MCP_SHUTDOWN_GRACE_SECONDS": "20",
        "MISTRAL_MCP_LOG_LEVEL": "INFO",
    }


async def test_sigterm_during_calls_answers_them_all_and_keeps_their_usage(
    settings: dict[str, str], tmp_path: Path, fake_mistral: FakeMistral
) -> None:
    for _ in range(IN_FLIGHT):
        fake_mistral.stall_next(CHAT, 1.0)
    results: list[Any] = []

    with replicas(1, settings, tmp_path) as (replica,):
        token = replica.sign_up()

        async def one_call() -> None:
            async with connect(replica.mcp_url(token), MODERN) as client:
                # Listed first: the client fetches output schemas to check results, and after SIGTERM
                # it could not open a connection to do so.
                await client.list_tools()
                results.append(await client.call_tool("mistral_chat", {"prompt": "hi"}))

        with anyio.fail_after(30):
            async with anyio.create_task_group() as calls:
                for _ in range(IN_FLIGHT):
                    calls.start_soon(one_call)
                while len(fake_mistral.requests_to("POST", CHAT)) < IN_FLIGHT:  # all of them reached Mistral
                    await anyio.sleep(0.01)
                replica.terminate()
        exit_code = await anyio.to_thread.run_sync(replica.wait)

    # uvicorn re-raises the signal once it has shut down gracefully, so supervisors see a SIGTERM exit.
    assert exit_code == -signal.SIGTERM
    assert len(results) == IN_FLIGHT
    assert all(not r.is_error and text_of(r) == fake_mistral.chat_reply for r in results)

    with replicas(1, settings, tmp_path) as (again,), again.http() as http:
        stored = http.get("/api/connection", headers={"Authorization": f"Bearer {token}"})
        assert stored.status_code == 200, stored.text
        assert stored.json()["usage"]["mistral_chat"] == {
            "calls": IN_FLIGHT,
            "errors": 0,
            "prompt_tokens": sum(r.structured_content["usage"]["prompt_tokens"] for r in results),
            "completion_tokens": sum(r.structured_content["usage"]["completion_tokens"] for r in results),
        }
        async with connect(again.mcp_url(token)) as client:
            after = await client.call_tool("mistral_chat", {"prompt": "still there?"})
        assert not after.is_error, text_of(after)  # the stored key still decrypts
