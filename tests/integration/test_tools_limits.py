"""What every tool gets from `ToolRegistry.call`: the result size cap, keep-alive progress, a deadline."""

from __future__ import annotations

import pytest

from server.tools import progress, registry
from server.tools.limits import MAX_RESULT_CHARS
from tests.conftest import RunningApp
from tests.fake_mistral import FakeMistral
from tests.support.tool_calls import call_tool, result_chars, text_of

pytestmark = pytest.mark.anyio


async def test_embeddings_of_many_texts_are_cut_to_the_limit_and_the_text_says_so(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    texts = [f"text number {i}" for i in range(200)]
    result = await call_tool(app, fake_mistral, "mistral_embed", {"input": texts})
    assert not result.is_error, text_of(result)
    assert result_chars(result) <= MAX_RESULT_CHARS
    kept = result.structured_content["data"]
    assert 0 < len(kept) < 200 and len(kept[0]["embedding"]) == 1024
    assert f"data: kept {len(kept)} of 200 items" in text_of(result)
    assert text_of(result).startswith("200 embedding(s) from mistral-embed:")


async def test_a_huge_chat_reply_is_cut_in_text_and_structured_content(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    fake_mistral.chat_reply = "word " * 50_000
    result = await call_tool(app, fake_mistral, "mistral_chat", {"prompt": "Talk a lot"})
    assert not result.is_error, text_of(result)
    assert result_chars(result) <= MAX_RESULT_CHARS
    assert "the text was cut from 250,000" in text_of(result)
    assert result.structured_content["choices"][0]["message"]["content"].endswith("…[cut]")


async def test_a_slow_call_keeps_the_client_informed_while_it_waits(
    app: RunningApp, fake_mistral: FakeMistral, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(progress, "KEEP_ALIVE_INTERVAL", 0.05)
    fake_mistral.stall_next("/v1/ocr", 0.5)
    messages: list[str | None] = []
    values: list[float] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        values.append(value)
        messages.append(message)

    result = await call_tool(
        app, fake_mistral, "mistral_ocr", {"document_url": "https://example.com/a.pdf"}, progress_callback=on_progress
    )
    assert not result.is_error, text_of(result)
    assert any(m and m.startswith("Waiting for Mistral (") for m in messages), messages
    assert values == sorted(set(values)), "progress must strictly increase"


async def test_a_call_past_the_deadline_ends_with_an_error_that_says_why(
    app: RunningApp, fake_mistral: FakeMistral, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry, "TOOL_DEADLINE", 0.2)
    monkeypatch.setattr(registry, "DEADLINE_GRACE", 0.1)
    fake_mistral.stall_next("/v1/ocr", 3)
    result = await call_tool(app, fake_mistral, "mistral_ocr", {"document_url": "https://example.com/a.pdf"})
    assert result.is_error
    assert "was stopped after 0 s, before MCP clients give up on a call" in text_of(result)


async def test_a_stream_past_the_deadline_ends_with_what_arrived(
    app: RunningApp, fake_mistral: FakeMistral, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry, "TOOL_DEADLINE", 0.5)
    fake_mistral.chat_reply = " ".join(f"w{i}" for i in range(60))
    fake_mistral.stream_delay = 0.05

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        return None

    result = await call_tool(app, fake_mistral, "mistral_chat", {"prompt": "hi"}, progress_callback=on_progress)
    assert result.is_error
    assert "stopped before MCP clients give up on a call" in text_of(result)
    assert "Received before the break:\nw0 " in text_of(result)
    assert "w59" not in text_of(result)
