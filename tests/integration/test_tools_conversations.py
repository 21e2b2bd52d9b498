"""Conversations through the official SDK client in both protocol eras: Mistral keeps the thread and runs
built-in tools itself; streamed replies (conversation events) render exactly as whole ones."""

from __future__ import annotations

from typing import Any

import httpx
import mcp_types as types
import pytest

from tests.conftest import VALID_KEY, RunningApp
from tests.fake_mistral import FakeMistral
from tests.fake_mistral.conversation_outputs import CODE, CODE_OUTPUT
from tests.fake_mistral.reply_shapes import WEB_SOURCES
from tests.support.mcp_client import MODES, connect
from tests.support.tool_calls import call_tool, text_of

pytestmark = pytest.mark.anyio

BUILT_INS = [{"type": "web_search"}, {"type": "code_interpreter"}, {"type": "image_generation"}]
WEATHER = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
_VOLATILE = frozenset({"id", "created_at", "completed_at", "file_id", "tool_call_id"})


def comparable(value: Any) -> Any:
    """A reply without what differs from one request to the next (ids and times)."""
    if isinstance(value, dict):
        return {key: comparable(item) for key, item in value.items() if key not in _VOLATILE}
    if isinstance(value, list):
        return [comparable(item) for item in value]
    return value


def same_text(result: Any) -> str:
    """The text with this conversation's id and file ids put aside."""
    text = text_of(result).replace(result.structured_content["conversation_id"], "<conversation>")
    for entry in result.structured_content["outputs"]:
        for chunk in entry.get("content") if isinstance(entry.get("content"), list) else []:
            if chunk.get("file_id"):
                text = text.replace(chunk["file_id"], "<file>")
        if entry.get("tool_call_id"):
            text = text.replace(entry["tool_call_id"], "<call>")
    return text


async def both_ways(
    app: RunningApp, fake: FakeMistral, tool: str, arguments: dict[str, Any], mode: str
) -> tuple[Any, Any, list[str | None]]:
    whole = await call_tool(app, fake, tool, arguments, mode)
    assert not whole.is_error, text_of(whole)
    assert "stream" not in fake.requests[0].json
    updates: list[str | None] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append(message)

    streamed = await call_tool(app, fake, tool, arguments, mode, progress_callback=on_progress)
    assert not streamed.is_error, text_of(streamed)
    assert fake.requests[0].json["stream"] is True
    assert comparable(streamed.structured_content["outputs"]) == comparable(whole.structured_content["outputs"])
    assert streamed.structured_content["usage"] == whole.structured_content["usage"]
    assert same_text(streamed) == same_text(whole)
    assert updates, "no progress notification arrived"
    return whole, streamed, updates


@pytest.mark.parametrize("mode", MODES)
async def test_built_in_tools_run_at_mistral_show_their_runs_sources_code_and_image_streamed_or_whole(
    app: RunningApp, fake_mistral: FakeMistral, mode: str
) -> None:
    arguments = {"inputs": "Is it sunny?", "tools": BUILT_INS}
    whole, streamed, updates = await both_ways(app, fake_mistral, "mistral_start_conversation", arguments, mode)
    for result in (whole, streamed):
        text = text_of(result)
        conversation_id = result.structured_content["conversation_id"]
        assert f"Conversation {conversation_id}" in text and "mistral_continue_conversation" in text
        assert 'Mistral ran web_search {"query": "Is it sunny?"}: ok.' in text
        assert (
            f"Mistral ran code_interpreter: ok. Code:\n```\n{CODE}\n```\nOutput:\n```\n{CODE_OUTPUT.strip()}\n```"
            in text
        )
        assert "The web says yes.[1][2]" in text and f"[1] {WEB_SOURCES[0]['title']} — {WEB_SOURCES[0]['url']}" in text
        image = next(c for c in result.structured_content["outputs"][-1]["content"] if c["type"] == "tool_file")
        assert f"file id {image['file_id']}" in text and "attached as an image" in text
        assert [block.mime_type for block in result.content if isinstance(block, types.ImageContent)] == ["image/png"]
        kinds = [entry["type"] for entry in result.structured_content["outputs"]]
        assert kinds == ["tool.execution"] * 3 + ["message.output"]
    assert any(message and "Mistral is running web_search" in message for message in updates)
    sent = fake_mistral.requests_to("POST", "/v1/conversations")[0].json
    assert sent["tools"] == BUILT_INS and sent["model"] == "mistral-small-latest"


@pytest.mark.parametrize("mode", MODES)
async def test_a_function_call_says_how_to_answer_it_and_the_answer_continues_the_conversation(
    app: RunningApp, fake_mistral: FakeMistral, mode: str
) -> None:
    started = await call_tool(
        app, fake_mistral, "mistral_start_conversation", {"inputs": "Weather?", "tools": [WEATHER]}, mode
    )
    assert not started.is_error, text_of(started)
    call = started.structured_content["outputs"][0]
    assert call["type"] == "function.call"
    text = text_of(started)
    assert f'get_weather({{"city": "Paris"}}) [tool_call_id {call["tool_call_id"]}]' in text
    assert "mistral_continue_conversation" in text and '"type": "function.result"' in text
    conversation_id = started.structured_content["conversation_id"]
    answer = {"type": "function.result", "tool_call_id": call["tool_call_id"], "result": "sunny"}
    continued = await call_tool(
        app,
        fake_mistral,
        "mistral_continue_conversation",
        {"conversation_id": conversation_id, "inputs": [answer]},
        mode,
    )
    assert not continued.is_error, text_of(continued)
    assert continued.structured_content["conversation_id"] == conversation_id
    assert "Hello from fake Mistral." in text_of(continued)
    assert fake_mistral.requests_to("POST", f"/v1/conversations/{conversation_id}")[0].json == {"inputs": [answer]}


@pytest.mark.parametrize("mode", MODES)
async def test_continue_and_restart_stream_like_they_answer_whole(
    app: RunningApp, fake_mistral: FakeMistral, fake_mistral_url: str, mode: str
) -> None:
    started = await call_tool(
        app, fake_mistral, "mistral_start_conversation", {"inputs": "Hi", "tools": BUILT_INS[:1]}, mode
    )
    conversation_id = started.structured_content["conversation_id"]
    await both_ways(
        app, fake_mistral, "mistral_continue_conversation", {"conversation_id": conversation_id, "inputs": "More"}, mode
    )
    history = httpx.get(
        f"{fake_mistral_url}/v1/conversations/{conversation_id}/history",
        headers={"authorization": f"Bearer {VALID_KEY}"},
    ).json()
    first = history["entries"][0]["id"]
    arguments = {"conversation_id": conversation_id, "from_entry_id": first, "inputs": "Again"}
    whole, _, _ = await both_ways(app, fake_mistral, "mistral_restart_conversation", arguments, mode)
    assert whole.structured_content["conversation_id"] != conversation_id


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("failure", ["error event", "dropped connection"])
async def test_a_stream_that_fails_midway_is_an_error_naming_what_came(
    app: RunningApp, fake_mistral: FakeMistral, failure: str, mode: str
) -> None:
    if failure == "error event":
        fake_mistral.fail_conversation_stream(after=4)
    else:
        fake_mistral.cut_stream_after("/v1/conversations", 4)

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        pass

    arguments = {"inputs": "Hi", "tools": BUILT_INS}
    result = await call_tool(
        app, fake_mistral, "mistral_start_conversation", arguments, mode, progress_callback=on_progress
    )
    assert result.is_error
    if failure == "error event":
        assert "Mistral stopped the conversation with an error: Internal error (code 3000)" in text_of(result)


@pytest.mark.parametrize("mode", MODES)
async def test_conversations_are_listed_read_a_window_at_a_time_and_deleted_for_their_own_key_only(
    app: RunningApp, fake_mistral: FakeMistral, mode: str
) -> None:
    connection = app.sign_up()
    async with connect(connection["mcp_url"], mode) as client:
        started = await client.call_tool(
            "mistral_start_conversation", {"inputs": "Hi", "tools": BUILT_INS[1:2], "name": "Chat"}
        )
        conversation_id = started.structured_content["conversation_id"]
        listed = await client.call_tool("mistral_list_conversations", {})
        assert f"- {conversation_id} “Chat”: model mistral-small-latest" in text_of(listed)
        read = await client.call_tool("mistral_get_conversation", {"conversation_id": conversation_id, "max_chars": 40})
        assert not read.is_error, text_of(read)
        entries = read.structured_content["entries"]
        assert [e["type"] for e in entries] == ["message.input", "tool.execution", "message.output"]
        assert text_of(read).endswith(f"[{entries[0]['id']}] message.input (user):\nHi"[:40])
        assert "call again with offset=40" in text_of(read)
        rest = await client.call_tool("mistral_get_conversation", {"conversation_id": conversation_id, "offset": 40})
        assert "Mistral ran code_interpreter" in text_of(rest)
        messages = await client.call_tool(
            "mistral_get_conversation", {"conversation_id": conversation_id, "only_messages": True}
        )
        assert [e["type"] for e in messages.structured_content["entries"]] == ["message.input", "message.output"]
    fake_mistral.valid_keys.add("sk-test-other")
    other = app.sign_up("sk-test-other")
    async with connect(other["mcp_url"], mode) as client:
        assert (await client.call_tool("mistral_list_conversations", {})).structured_content["data"] == []
        hidden = await client.call_tool("mistral_delete_conversation", {"conversation_id": conversation_id})
        assert hidden.is_error
    async with connect(connection["mcp_url"], mode) as client:
        deleted = await client.call_tool("mistral_delete_conversation", {"conversation_id": conversation_id})
        assert text_of(deleted) == f"Deleted conversation {conversation_id}."
        gone = await client.call_tool("mistral_get_conversation", {"conversation_id": conversation_id})
        assert gone.is_error


@pytest.mark.parametrize("mode", MODES)
async def test_an_agent_that_hands_over_says_so(app: RunningApp, fake_mistral: FakeMistral, mode: str) -> None:
    fake_mistral.add_agent("ag_second", name="Second")
    first = fake_mistral.add_agent("ag_first", name="First")
    first["handoffs"] = ["ag_second"]
    result = await call_tool(
        app, fake_mistral, "mistral_start_conversation", {"inputs": "Hi", "agent_id": "ag_first"}, mode
    )
    assert "Handed over from agent First (ag_first) to agent Second (ag_second)." in text_of(result)


@pytest.mark.parametrize("mode", MODES)
async def test_a_model_and_an_agent_together_are_refused_before_any_upstream_call(
    app: RunningApp, fake_mistral: FakeMistral, mode: str
) -> None:
    arguments = {"inputs": "Hi", "model": "mistral-small-latest", "agent_id": "ag_first"}
    result = await call_tool(app, fake_mistral, "mistral_start_conversation", arguments, mode)
    assert result.is_error and "`model` or `agent_id`" in text_of(result)
    assert fake_mistral.requests == []


@pytest.mark.parametrize(
    ("path", "body", "kind", "loc"),
    [
        ("/v1/conversations", {"model": "mistral-small-latest"}, "missing", ["body", "inputs"]),
        ("/v1/conversations", {"model": "mistral-small-latest", "inputs": 3}, "string_type", ["body", "inputs", "str"]),
        ("/v1/conversations/{id}", {"inputs": "Hi", "colour": "red"}, "extra_forbidden", ["body", "colour"]),
        ("/v1/conversations/{id}/restart", {"inputs": "Hi"}, "missing", ["body", "from_entry_id"]),
    ],
)
def test_the_fake_refuses_conversation_bodies_the_reference_does_not_allow(
    fake_mistral: FakeMistral, fake_mistral_url: str, path: str, body: dict[str, Any], kind: str, loc: list[str]
) -> None:
    conversation = fake_mistral.add_conversation()
    answer = httpx.post(
        fake_mistral_url + path.replace("{id}", conversation["id"]),
        json=body,
        headers={"authorization": f"Bearer {VALID_KEY}"},
    )
    assert answer.status_code == 422, answer.text
    items = answer.json()["message"]["detail"]
    assert any(item["type"] == kind and item["loc"] == loc for item in items), items
