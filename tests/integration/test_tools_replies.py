"""Today's reply shapes through the SDK client, streamed and whole: reasoning, built-in tools,
citations and images reach the model's text, and structuredContent is exactly what Mistral sent."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import mcp_types as types
import pytest

from tests.conftest import VALID_KEY, RunningApp
from tests.fake_mistral import FakeMistral
from tests.fake_mistral.generation import count_tokens
from tests.fake_mistral.reply_shapes import REASONING, TOOL_FAILURE, WEB_SOURCES, tiny_png
from tests.fake_mistral.state import SEEDED_AGENT_ID
from tests.support.mcp_client import MODES
from tests.support.tool_calls import call_tool, text_of

pytestmark = pytest.mark.anyio

PATHS = {"mistral_chat": "/v1/chat/completions", "mistral_agent_complete": "/v1/agents/completions"}
ASK = {"mistral_chat": {"prompt": "Hi"}, "mistral_agent_complete": {"agent_id": SEEDED_AGENT_ID, "prompt": "Hi"}}
Progress = list[tuple[float, str | None]]


def comparable(response: dict[str, Any]) -> dict[str, Any]:
    """A completion without what differs from one request to the next (its id and time)."""
    return {key: value for key, value in response.items() if key not in ("id", "created")}


def sent_whole(fake_url: str, fake: FakeMistral, tool: str) -> dict[str, Any]:
    """What the fake answers whole to the request the tool last made (the same reply it streamed)."""
    body = {k: v for k, v in fake.requests_to("POST", PATHS[tool])[-1].json.items() if k != "stream"}
    answer = httpx.post(fake_url + PATHS[tool], json=body, headers={"authorization": f"Bearer {VALID_KEY}"})
    assert answer.status_code == 200, answer.text
    whole: dict[str, Any] = answer.json()
    return whole


async def both_ways(
    app: RunningApp, fake: FakeMistral, fake_url: str, tool: str, arguments: dict[str, Any], mode: str
) -> tuple[Any, Any, Progress]:
    """The tool's result without and with a progress token; each checked against what the fake sent."""
    whole = await call_tool(app, fake, tool, arguments, mode)
    assert not whole.is_error, text_of(whole)
    assert comparable(whole.structured_content) == comparable(sent_whole(fake_url, fake, tool))
    updates: Progress = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append((progress, message))

    streamed = await call_tool(app, fake, tool, arguments, mode, progress_callback=on_progress)
    assert not streamed.is_error, text_of(streamed)
    assert fake.requests_to("POST", PATHS[tool])[0].json["stream"] is True
    assert comparable(streamed.structured_content) == comparable(sent_whole(fake_url, fake, tool))
    assert comparable(streamed.structured_content) == comparable(whole.structured_content)
    assert text_of(streamed) == text_of(whole)
    assert updates, "no progress notification arrived"
    return whole, streamed, updates


def images(result: Any) -> list[types.ImageContent]:
    return [block for block in result.content if isinstance(block, types.ImageContent)]


def links(result: Any) -> list[types.ResourceLink]:
    return [block for block in result.content if isinstance(block, types.ResourceLink)]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("tool", sorted(PATHS))
async def test_reasoning_is_named_not_shown_and_progress_says_reasoning_first(
    app: RunningApp, fake_mistral: FakeMistral, fake_mistral_url: str, tool: str, mode: str
) -> None:
    fake_mistral.reply_as("reasoning")
    whole, _, updates = await both_ways(app, fake_mistral, fake_mistral_url, tool, ASK[tool], mode)
    text = text_of(whole)
    assert text.startswith(fake_mistral.chat_reply)
    assert REASONING not in text
    assert f"[The model reasoned first ({len(REASONING):,} characters); pass include_reasoning: true" in text
    [thinking, _] = whole.structured_content["choices"][0]["message"]["content"]
    assert thinking["thinking"][0]["text"] == REASONING
    messages = [message or "" for _, message in updates]
    first_answer = next(i for i, m in enumerate(messages) if m and not m.startswith("Reasoning…"))
    assert any(m.startswith("Reasoning… (") for m in messages[:first_answer])
    assert all(fake_mistral.chat_reply.startswith(m) for m in messages[first_answer:])


@pytest.mark.parametrize("tool", sorted(PATHS))
async def test_include_reasoning_puts_it_in_a_marked_section_before_the_answer(
    app: RunningApp, fake_mistral: FakeMistral, tool: str
) -> None:
    fake_mistral.reply_as("reasoning")
    result = await call_tool(app, fake_mistral, tool, {**ASK[tool], "include_reasoning": True})
    assert text_of(result) == f"Reasoning:\n{REASONING}\n\nAnswer:\n{fake_mistral.chat_reply}"
    assert "include_reasoning" not in fake_mistral.requests_to("POST", PATHS[tool])[0].json


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("tool", sorted(PATHS))
async def test_a_reply_cut_while_reasoning_says_so_instead_of_empty(
    app: RunningApp, fake_mistral: FakeMistral, fake_mistral_url: str, tool: str, mode: str
) -> None:
    fake_mistral.reply_as("reasoning")
    whole, _, _ = await both_ways(app, fake_mistral, fake_mistral_url, tool, {**ASK[tool], "max_tokens": 5}, mode)
    text = text_of(whole)
    assert "[Empty reply.]" not in text
    assert "cut off at max_tokens while the model was still reasoning, before any answer" in text
    assert whole.structured_content["choices"][0]["finish_reason"] == "length"
    answering = await call_tool(app, fake_mistral, tool, {**ASK[tool], "max_tokens": count_tokens(REASONING) + 2})
    assert "[The reply was cut off at max_tokens while answering.]" in text_of(answering)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("tool", sorted(PATHS))
async def test_built_in_tool_runs_are_summarised_and_the_final_answer_cites_its_sources(
    app: RunningApp, fake_mistral: FakeMistral, fake_mistral_url: str, tool: str, mode: str
) -> None:
    fake_mistral.reply_as("tools", fail=("code_interpreter",))
    whole, _, updates = await both_ways(app, fake_mistral, fake_mistral_url, tool, ASK[tool], mode)
    text = text_of(whole)
    assert text.startswith(
        "Mistral ran 2 tool call(s) before answering:\n"
        '- web_search {"query": "Hi"}: ok\n'
        f'- code_interpreter {{"code": "print(42)"}}: failed ({TOOL_FAILURE})\n\n'
        f"{fake_mistral.chat_reply}[1][2]"
    )
    one, two = WEB_SOURCES
    assert f"Sources:\n[1] {one['title']} — {one['url']} (via web_search)\n[2] {two['title']} — {two['url']}" in text
    assert "[Empty reply.]" not in text
    assert len(whole.structured_content["choices"][0]["messages"]) == 5
    assert any((m or "").startswith("Mistral is running") for _, m in updates)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("tool", sorted(PATHS))
async def test_citations_are_numbered_in_the_answer_and_listed_under_it(
    app: RunningApp, fake_mistral: FakeMistral, fake_mistral_url: str, tool: str, mode: str
) -> None:
    fake_mistral.reply_as("citations")
    whole, _, _ = await both_ways(app, fake_mistral, fake_mistral_url, tool, ASK[tool], mode)
    source = WEB_SOURCES[0]
    assert text_of(whole) == (
        f"{fake_mistral.chat_reply}[1][2] More on the web.[3]\n\nSources:\n"
        "[1] Reference 0 (an id from the documents or tool results given)\n"
        "[2] Reference 1 (an id from the documents or tool results given)\n"
        f"[3] {source['title']} — {source['url']} (via web_search)"
    )


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("tool", sorted(PATHS))
async def test_images_and_files_are_named_and_attached(
    app: RunningApp, fake_mistral: FakeMistral, fake_mistral_url: str, tool: str, mode: str
) -> None:
    options = fake_mistral.reply_as("image")
    whole, streamed, _ = await both_ways(app, fake_mistral, fake_mistral_url, tool, ASK[tool], mode)
    file_id = options["file_id"]
    text = text_of(whole)
    assert text.startswith(f"{fake_mistral.chat_reply} [Image 1] [File 2]\n\nImages and files:\n")
    assert "- Image 1: image/png, " in text and f"- File 2: file id {file_id}, image/png, " in text
    for result in (whole, streamed):
        inline, stored = images(result)
        assert (base64.b64decode(inline.data), inline.mime_type) == (tiny_png(), "image/png")
        assert base64.b64decode(stored.data) == tiny_png(2, 2)
    assert len(fake_mistral.requests_to("GET", f"/v1/files/{file_id}/content")) == 1  # the streamed call's


async def test_a_file_over_one_mib_is_a_resource_link_to_it(app: RunningApp, fake_mistral: FakeMistral) -> None:
    big = tiny_png() + bytes(1024 * 1024)
    file_id = fake_mistral.reply_as("image", file=big)["file_id"]
    result = await call_tool(app, fake_mistral, "mistral_chat", {"prompt": "Draw"})
    assert not result.is_error, text_of(result)
    [link] = links(result)
    assert (link.uri, link.size) == (f"mistral://files/{file_id}", len(big))
    assert f"linked as mistral://files/{file_id}; read it with mistral_download_file." in text_of(result)
    assert len(images(result)) == 1  # the small inline one


@pytest.mark.parametrize(
    "tools",
    [
        [{"type": "web_search"}],
        [{"type": "web_search_premium", "tool_configuration": {"exclude": ["example.org"]}}],
        [{"type": "code_interpreter"}],
        [{"type": "image_generation"}],
        [{"type": "document_library", "library_ids": ["0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"]}],
        [{"type": "connector", "connector_id": "crm", "authorization": {"type": "oauth2-token", "value": "t"}}],
    ],
)
@pytest.mark.parametrize("tool", sorted(PATHS))
async def test_each_built_in_tool_reaches_mistral_as_the_reference_defines_it(
    app: RunningApp, fake_mistral: FakeMistral, tool: str, tools: list[dict[str, Any]]
) -> None:
    given = {"tools": tools, "reasoning_effort": "high"}
    rare = {"guardrails": [{"block_on_error": True, "moderation_llm_v2": {"action": "block"}}]}
    fake_mistral.reply_as("tools")
    result = await call_tool(app, fake_mistral, tool, {**ASK[tool], **given, "extra": rare})
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("POST", PATHS[tool])
    assert {key: sent.json[key] for key in {**given, **rare}} == {**given, **rare}
    name = tools[0].get("connector_id") or tools[0]["type"]
    assert f"- {name} " in text_of(result)


async def test_function_calls_chosen_beside_a_built_in_tool_are_returned(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    fake_mistral.reply_as("reasoning")
    function = {"name": "get_time", "parameters": {"type": "object", "properties": {}}}
    arguments = {
        "messages": [{"role": "user", "content": "Time?"}],
        "tools": [{"function": function}, {"type": "web_search"}],
    }
    result = await call_tool(app, fake_mistral, "mistral_function_call", arguments)
    assert not result.is_error, text_of(result)
    assert text_of(result).startswith(
        "The model chose 1 tool call(s); they are returned, not executed.\n\nTool calls:\n"
    )
    assert "- get_time({})" in text_of(result)
    [sent] = fake_mistral.requests_to("POST", "/v1/chat/completions")
    assert sent.json["tools"] == [{"type": "function", "function": function}, {"type": "web_search"}]
    assert json.dumps(result.structured_content)  # the whole response, as Mistral sent it
