"""Agent tools through the SDK client: completions (plain and streamed), list, get."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import VALID_KEY, RunningApp
from tests.fake_mistral import FakeMistral
from tests.fake_mistral.state import SEEDED_AGENT_ID
from tests.support.mcp_client import MODES
from tests.support.tool_calls import call_tool, text_of

pytestmark = pytest.mark.anyio

PATH = "/v1/agents/completions"


@pytest.mark.parametrize("mode", MODES)
async def test_agent_complete_sends_the_prompt_as_a_user_message(
    app: RunningApp, fake_mistral: FakeMistral, mode: str
) -> None:
    result = await call_tool(
        app, fake_mistral, "mistral_agent_complete", {"agent_id": SEEDED_AGENT_ID, "prompt": "Hi"}, mode
    )
    assert not result.is_error, text_of(result)
    assert text_of(result) == fake_mistral.chat_reply
    [sent] = fake_mistral.requests_to("POST", PATH)
    assert sent.api_key == VALID_KEY
    assert sent.json == {"agent_id": SEEDED_AGENT_ID, "messages": [{"role": "user", "content": "Hi"}]}
    assert result.structured_content["usage"]["total_tokens"] > 0


async def test_agent_complete_forwards_messages_and_options_unchanged(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    arguments = {
        "agent_id": SEEDED_AGENT_ID,
        "messages": [{"role": "user", "content": "List three cheeses as JSON"}],
        "max_tokens": 50,
        "stop": ["END"],
        "response_format": {"type": "json_object"},
    }
    extra = {"random_seed": 3, "presence_penalty": 0.5, "n": 1}  # rarely used: in `extra`, sent as body fields
    result = await call_tool(app, fake_mistral, "mistral_agent_complete", {**arguments, "extra": extra})
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("POST", PATH)
    assert sent.json == {**arguments, **extra}


async def test_agent_complete_streams_progress_and_ends_with_the_same_result(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    arguments = {"agent_id": SEEDED_AGENT_ID, "prompt": "Hi"}
    plain = await call_tool(app, fake_mistral, "mistral_agent_complete", arguments)
    updates: list[tuple[float, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append((progress, message))

    streamed = await call_tool(app, fake_mistral, "mistral_agent_complete", arguments, progress_callback=on_progress)
    assert not streamed.is_error, text_of(streamed)
    assert text_of(streamed) == text_of(plain)
    assert streamed.structured_content["usage"] == plain.structured_content["usage"]
    assert updates, "no progress notification arrived"
    assert all(fake_mistral.chat_reply.startswith(message or "") for _, message in updates)
    assert [p for p, _ in updates] == sorted({p for p, _ in updates}), "progress must strictly increase"
    [sent] = fake_mistral.requests_to("POST", PATH)
    assert sent.json["stream"] is True


async def test_agent_stream_cut_midway_is_an_error_with_what_arrived(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    fake_mistral.chat_reply = "one two three four five six seven eight"
    fake_mistral.cut_stream_after(PATH, chunks=3)

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        return None

    result = await call_tool(
        app,
        fake_mistral,
        "mistral_agent_complete",
        {"agent_id": SEEDED_AGENT_ID, "prompt": "Hi"},
        progress_callback=on_progress,
    )
    assert result.is_error
    assert "broke off" in text_of(result)
    assert "Received before the break:\none two" in text_of(result)


async def test_agent_complete_with_an_unknown_agent_is_an_error_result(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    result = await call_tool(app, fake_mistral, "mistral_agent_complete", {"agent_id": "ag_nobody", "prompt": "Hi"})
    assert result.is_error
    assert "no such resource (404)" in text_of(result)


async def test_list_agents_pages_through_the_cursor_endpoint(app: RunningApp, fake_mistral: FakeMistral) -> None:
    fake_mistral.add_agent("ag_second", name="Second")
    result = await call_tool(app, fake_mistral, "mistral_list_agents", {"page_size": 1, "sources": ["api"]})
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("GET", "/v1/agents/pages")
    assert fake_mistral.requests_to("GET", "/v1/agents") == []  # deprecated in the reference
    assert sent.api_key == VALID_KEY
    assert sorted(sent.query_items) == [("page_size", "1"), ("sources", "api")]
    assert [a["id"] for a in result.structured_content["data"]] == [SEEDED_AGENT_ID]
    assert result.structured_content["has_more"] is True
    assert "call again with page=1" in text_of(result)
    assert f"- {SEEDED_AGENT_ID}: Fake assistant (model mistral-medium-latest" in text_of(result)
    token = result.structured_content["next_page_token"]
    assert f"page_token={token}" in text_of(result)

    by_cursor = await call_tool(app, fake_mistral, "mistral_list_agents", {"page_size": 1, "page_token": token})
    by_page = await call_tool(app, fake_mistral, "mistral_list_agents", {"page_size": 1, "page": 1})
    for later in (by_cursor, by_page):
        assert [a["id"] for a in later.structured_content["data"]] == ["ag_second"], text_of(later)
        assert later.structured_content["has_more"] is False
    # `page` follows the cursor: one request for page 0, then one per page after it.
    assert [dict(r.query_items).get("page_token") for r in fake_mistral.requests_to("GET", "/v1/agents/pages")] == [
        None,
        token,
    ]
    beyond = await call_tool(app, fake_mistral, "mistral_list_agents", {"page": 5})
    assert beyond.structured_content["data"] == [] and "No agents on page 5." in text_of(beyond)


async def test_get_agent_reads_one_agent(app: RunningApp, fake_mistral: FakeMistral) -> None:
    result = await call_tool(app, fake_mistral, "mistral_get_agent", {"agent_id": SEEDED_AGENT_ID, "agent_version": 0})
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("GET", f"/v1/agents/{SEEDED_AGENT_ID}")
    assert sent.query == {"agent_version": "0"}
    assert result.structured_content["id"] == SEEDED_AGENT_ID
    assert "Instructions: You are a helpful assistant." in text_of(result)


async def test_get_unknown_agent_is_an_error_result(app: RunningApp, fake_mistral: FakeMistral) -> None:
    result = await call_tool(app, fake_mistral, "mistral_get_agent", {"agent_id": "ag_missing"})
    assert result.is_error
    assert "no such resource (404)" in text_of(result)


@pytest.mark.parametrize(
    ("tool", "arguments", "named"),
    [
        ("mistral_agent_complete", {"prompt": "Hi"}, "agent_id"),
        ("mistral_agent_complete", {"agent_id": SEEDED_AGENT_ID}, "messages"),
        ("mistral_agent_complete", {"agent_id": SEEDED_AGENT_ID, "prompt": "Hi", "temperature": 0.2}, "temperature"),
        ("mistral_agent_complete", {"agent_id": "ag/../x", "prompt": "Hi"}, "agent_id"),
        ("mistral_list_agents", {"page_size": 0}, "page_size"),
        ("mistral_list_agents", {"sources": ["email"]}, "sources"),
        ("mistral_list_agents", {"page": 1, "page_token": "abc"}, "page_token"),
        ("mistral_list_agents", {"page": 21}, "page"),
        ("mistral_get_agent", {"agent_id": SEEDED_AGENT_ID, "agent_version": -1}, "agent_version"),
    ],
)
async def test_bad_agent_arguments_are_refused_before_any_upstream_call(
    app: RunningApp, fake_mistral: FakeMistral, tool: str, arguments: dict[str, Any], named: str
) -> None:
    result = await call_tool(app, fake_mistral, tool, arguments)
    assert result.is_error and named in text_of(result)
    assert fake_mistral.requests == []
