"""Replies Mistral's side should never send reach the user as actionable errors, never as an
internal error: a success that is not JSON, a redirect, a reply larger than the server reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import RunningApp
from tests.fake_mistral import FakeMistral
from tests.support.mcp_client import MODES, connect

pytestmark = pytest.mark.anyio

CHAT = "/v1/chat/completions"


def text_of(result: Any) -> str:
    return "\n".join(block.text for block in result.content if getattr(block, "type", "") == "text")


async def ignore(_progress: float, _total: float | None, _message: str | None) -> None:
    pass


@pytest.fixture(scope="module")
def small_reply_app(app_factory: Callable[..., RunningApp]) -> RunningApp:
    return app_factory(upstream_max_response_bytes=64 * 1024)  # room for the model list a sign-up reads


@pytest.mark.parametrize("mode", MODES)
async def test_a_success_whose_body_is_not_json_says_mistral_sent_an_unexpected_reply(
    app: RunningApp, fake_mistral: FakeMistral, mode: str
) -> None:
    fake_mistral.fail_next(CHAT, status=200, body="<html><body>Please sign in to the proxy</body></html>")
    async with connect(app.sign_up()["mcp_url"], mode) as client:
        result = await client.call_tool("mistral_chat", {"prompt": "hi"})
    assert result.is_error
    assert "Mistral sent an unexpected reply (HTTP 200, text/html)" in text_of(result)
    assert "internal error" not in text_of(result)


@pytest.mark.parametrize("with_progress", [False, True], ids=["json", "streamed"])
async def test_a_redirect_says_mistral_sent_an_unexpected_reply_and_is_not_followed(
    app: RunningApp, fake_mistral: FakeMistral, with_progress: bool
) -> None:
    conn = app.sign_up()
    fake_mistral.requests.clear()
    fake_mistral.fail_next(CHAT, status=302, body="", headers={"location": f"{app.url}/elsewhere"})
    async with connect(conn["mcp_url"]) as client:
        result = await client.call_tool(
            "mistral_chat", {"prompt": "hi"}, progress_callback=ignore if with_progress else None
        )
    assert result.is_error
    assert "Mistral sent an unexpected reply (HTTP 302" in text_of(result)
    assert "internal error" not in text_of(result)
    assert [r.path for r in fake_mistral.requests] == [CHAT]


async def test_a_reply_larger_than_the_cap_is_refused_with_what_to_do(
    small_reply_app: RunningApp, fake_mistral: FakeMistral
) -> None:
    async with connect(small_reply_app.sign_up()["mcp_url"]) as client:
        fits = await client.call_tool("mistral_chat", {"prompt": "hi"})
        fake_mistral.chat_reply = "word " * 20_000
        too_large = await client.call_tool("mistral_chat", {"prompt": "hi"})
    assert not fits.is_error, text_of(fits)
    assert too_large.is_error
    assert "larger than the 64 KiB this server reads from one reply" in text_of(too_large)
    assert "internal error" not in text_of(too_large)


async def test_a_stream_larger_than_the_cap_breaks_off_with_the_text_so_far(
    small_reply_app: RunningApp, fake_mistral: FakeMistral
) -> None:
    fake_mistral.chat_reply = " ".join(f"word{i}" for i in range(5000))
    async with connect(small_reply_app.sign_up()["mcp_url"]) as client:
        result = await client.call_tool("mistral_chat", {"prompt": "hi"}, progress_callback=ignore)
    assert result.is_error
    assert "grew past the 65,536 bytes this server reads from one reply" in text_of(result)
    assert "Received before the break:\nword0 word1" in text_of(result)
