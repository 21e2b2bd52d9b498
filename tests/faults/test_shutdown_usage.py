"""A call still waiting on Mistral when the shutdown grace runs out is cut, and still counted.

Mistral had the request (and may bill it), so the call must leave a usage row, recorded as
cancelled like a call whose client hung up: one call, one error, no tokens known.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

import anyio
import pytest

from server.security.crypto import generate_key
from tests.fake_mistral import FakeMistral
from tests.scale.replicas import replicas
from tests.support.mcp_client import LEGACY, MODERN, connect

pytestmark = pytest.mark.anyio

EMBEDDINGS = "/v1/embeddings"


async def ignore(_progress: float, _total: float | None, _message: str | None) -> None:
    pass


@pytest.fixture
def settings(database_factory: Callable[[], str], fake_mistral_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "MISTRAL_MCP_DATABASE_URL": database_factory(),
        "MISTRAL_MCP_ENCRYPTION_KEYS": generate_key(),
        "MISTRAL_MCP_UPSTREAM_URL": fake_mistral_url,
        "MISTRAL_MCP_UPSTREAM_MAX_RETRIES": "0",
        "MISTRAL_MCP_DATA_DIR": str(tmp_path / "data"),
        "MISTRAL_MCP_SHUTDOWN_GRACE_SECONDS": "1",
        "MISTRAL_MCP_LOG_LEVEL": "INFO",
    }


@pytest.mark.parametrize(
    ("mode", "with_progress"),
    [(LEGACY, False), (MODERN, False), (LEGACY, True), (MODERN, True)],
    ids=["legacy-json", "modern-json", "legacy-sse", "modern-sse"],
)
async def test_a_call_cut_by_the_shutdown_grace_still_leaves_its_usage_row(
    settings: dict[str, str], tmp_path: Path, fake_mistral: FakeMistral, mode: str, with_progress: bool
) -> None:
    fake_mistral.stall_next(EMBEDDINGS, 30.0)  # far past the grace: only shutdown can end this call
    outcome: list[str] = []

    with replicas(1, settings, tmp_path) as (replica,):
        token = replica.sign_up()

        async def stalled_call() -> None:
            try:
                async with connect(replica.mcp_url(token), mode) as client:
                    await client.list_tools()
                    # A progress token makes the answer an SSE stream: the other transport path.
                    result = await client.call_tool(
                        "mistral_embed", {"input": "hello"}, progress_callback=ignore if with_progress else None
                    )
                outcome.append("error result" if result.is_error else "ok")
            except Exception as exc:  # the replica cuts the connection: the client sees it
                outcome.append(type(exc).__name__)

        with anyio.fail_after(30):
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(stalled_call)
                while not fake_mistral.requests_to("POST", EMBEDDINGS):  # Mistral has the request
                    await anyio.sleep(0.02)
                replica.terminate()
        exit_code = await anyio.to_thread.run_sync(replica.wait)

    assert outcome and outcome != ["ok"]
    assert exit_code == -signal.SIGTERM
    assert "timeout graceful shutdown exceeded" in replica.log()
    with replicas(1, settings, tmp_path) as (again,), again.http() as http:
        stored = http.get("/api/connection", headers={"Authorization": f"Bearer {token}"})
    assert stored.status_code == 200, stored.text
    assert stored.json()["usage"].get("mistral_embed") == {
        "calls": 1,
        "errors": 1,
        "prompt_tokens": 0,
        "completion_tokens": 0,
    }
