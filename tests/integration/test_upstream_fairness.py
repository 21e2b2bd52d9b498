"""One Mistral key used from several connections cannot fill the shared upstream pool: once it
holds its share, its further calls wait behind its own, and another key's call goes through.

The pool here has 4 connections, so a key's default share (a quarter of it) is 1.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import anyio
import pytest

from tests.conftest import VALID_KEY, RunningApp
from tests.fake_mistral import FakeMistral
from tests.support.mcp_client import connect

pytestmark = pytest.mark.anyio

CHAT = "/v1/chat/completions"
OTHER_KEY = "sk-test-other-tenant"
BUSY_CALLS = 4
WAITING = "waits for its key's share of the pool"


def text_of(result: Any) -> str:
    return "\n".join(block.text for block in result.content if getattr(block, "type", "") == "text")


@pytest.fixture(scope="module")
def small_pool_app(app_factory: Callable[..., RunningApp]) -> RunningApp:
    return app_factory(upstream_max_connections=4, upstream_timeout=30.0)


async def test_a_key_filling_its_share_leaves_the_pool_to_another_key(
    small_pool_app: RunningApp, fake_mistral: FakeMistral, log_stream: io.StringIO
) -> None:
    app = small_pool_app
    fake_mistral.valid_keys.add(OTHER_KEY)
    busy_urls = [app.sign_up()["mcp_url"] for _ in range(2)]  # one key, two connections
    other_url = app.sign_up(OTHER_KEY)["mcp_url"]
    fake_mistral.hold_next(CHAT, times=BUSY_CALLS, api_key=VALID_KEY)
    start = log_stream.tell()
    busy_results: list[Any] = []

    async def busy_call(url: str) -> None:
        async with connect(url) as client:
            busy_results.append(await client.call_tool("mistral_chat", {"prompt": "busy"}))

    try:
        with anyio.fail_after(20):
            async with anyio.create_task_group() as tasks:
                for i in range(BUSY_CALLS):
                    tasks.start_soon(busy_call, busy_urls[i % 2])
                # Every busy call is either at Mistral (held there) or waiting for its key's share.
                while fake_mistral.held + log_stream.getvalue()[start:].count(WAITING) < BUSY_CALLS:
                    await anyio.sleep(0.01)
                with anyio.fail_after(10):
                    async with connect(other_url) as client:
                        other = await client.call_tool("mistral_chat", {"prompt": "me too"})
                assert not other.is_error, text_of(other)
                assert fake_mistral.held == 1  # the busy key's share, still held at Mistral
                fake_mistral.release_held()
    finally:
        fake_mistral.release_held()
    assert len(busy_results) == BUSY_CALLS
    assert all(not r.is_error for r in busy_results), [text_of(r) for r in busy_results]
    assert fake_mistral.most_held == 1
