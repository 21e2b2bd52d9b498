"""Streamed completions put back together: text, chunk lists, messages arrays, tool calls in both
streaming styles, finish reasons; and the progress they report on the way."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from server.errors import UpstreamStreamBroken
from server.tools.completion_stream import collect_stream
from server.tools.registry import ToolCall
from tests.fake_mistral.generation import Completion
from tests.fake_mistral.reply_shapes import Reply, shaped
from tests.fake_mistral.streaming import completion_chunks

pytestmark = pytest.mark.anyio


async def stream(*deltas: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
    for n, delta in enumerate(deltas):
        last = n == len(deltas) - 1
        yield {
            "id": "c1",
            "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": "tool_calls" if last else None}],
        }


async def collect(*deltas: dict[str, Any]) -> dict[str, Any]:
    call = ToolCall(arguments={}, upstream=None, api_key="k")  # type: ignore[arg-type]  # never reaches Mistral
    result: dict[str, Any] = await collect_stream(call, stream(*deltas), "chat.completion")
    message: dict[str, Any] = result["choices"][0]["message"]
    return message


def call_piece(index: int | None, id_: str | None, name: str | None, arguments: str) -> dict[str, Any]:
    piece: dict[str, Any] = {"function": {"arguments": arguments, **({"name": name} if name else {})}}
    if index is not None:
        piece["index"] = index
    if id_ is not None:
        piece["id"] = id_
    return {"tool_calls": [piece]}


async def test_whole_calls_streamed_one_per_chunk_at_the_default_index_stay_apart() -> None:
    # Mistral's way: each piece is a whole call, and index is 0 (its default) or missing on all of them.
    message = await collect(
        call_piece(0, "a1", "get_weather", '{"city": "Paris"}'),
        call_piece(None, "b2", "get_time", '{"tz": "CET"}'),
    )
    assert [(c["id"], c["function"]["name"], c["function"]["arguments"]) for c in message["tool_calls"]] == [
        ("a1", "get_weather", '{"city": "Paris"}'),
        ("b2", "get_time", '{"tz": "CET"}'),
    ]


async def test_one_call_spread_over_pieces_is_joined() -> None:
    # The OpenAI way: the id and name come first, the arguments in fragments under the same index.
    message = await collect(
        call_piece(0, "a1", "get_weather", '{"ci'),
        call_piece(0, None, None, 'ty": "Pa'),
        call_piece(0, None, None, 'ris"}'),
        call_piece(1, "b2", "get_time", '{"tz": "CET"}'),
    )
    assert [(c["id"], c["function"]["name"], c["function"]["arguments"]) for c in message["tool_calls"]] == [
        ("a1", "get_weather", '{"city": "Paris"}'),
        ("b2", "get_time", '{"tz": "CET"}'),
    ]


async def test_text_only_has_no_tool_calls() -> None:
    message = await collect({"role": "assistant", "content": "Hel"}, {"content": "lo"})
    assert (message["content"], message["tool_calls"]) == ("Hello", None)


# --- today's reply shapes: the stream rebuilds the whole reply ---------------------------------


async def collect_events(events: list[dict[str, Any]], progress: Any = None) -> dict[str, Any]:
    async def chunks() -> AsyncIterator[dict[str, Any]]:
        for event in events:
            yield event

    call = ToolCall(arguments={}, upstream=None, api_key="k", progress=progress)  # type: ignore[arg-type]  # never sent
    result: dict[str, Any] = await collect_stream(call, chunks(), "chat.completion")
    return result


def shaped_reply(shape: str, **data: Any) -> Reply:
    base = Completion("Hello from fake Mistral.", None, "stop", 5, 4)
    options = {"fail": ("code_interpreter",), "data_url": "data:image/png;base64,iVBORw0KGgo=", "file_id": "f-1"}
    request = {"messages": [{"role": "user", "content": "Hi"}], **data}
    return shaped(shape, options, request, base, base.content, [])


@pytest.mark.parametrize(
    ("shape", "data"),
    [
        ("text", {}),
        ("reasoning", {}),
        ("reasoning", {"max_tokens": 5}),
        ("tools", {}),
        ("citations", {}),
        ("image", {}),
    ],
)
async def test_a_streamed_reply_is_rebuilt_exactly_as_mistral_sends_it_whole(shape: str, data: dict[str, Any]) -> None:
    reply = shaped_reply(shape, **data)
    events = completion_chunks(completion_id="c1", model="m", created=1, reply=reply, n=2)
    rebuilt = await collect_events(events)
    assert rebuilt == {
        "id": "c1",
        "object": "chat.completion",
        "model": "m",
        "created": 1,
        "choices": [reply.choice(0), reply.choice(1)],
        "usage": reply.usage,
    }


async def test_text_after_chunks_joins_the_chunk_list_and_thinking_pieces_join_their_chunk() -> None:
    thinking = [{"type": "thinking", "thinking": [{"type": "text", "text": "a"}]}]
    message = await collect(
        {"role": "assistant", "content": "Hel"},
        {"content": [{"type": "reference", "reference_ids": [1]}]},
        {"content": thinking},
        {"content": [{"type": "thinking", "thinking": [{"type": "text", "text": "b"}], "signature": "s"}]},
        {"content": "lo"},
        {"content": ""},
        {"content": [{"type": "text", "text": "!"}]},
    )
    assert message["content"] == [
        {"type": "text", "text": "Hel"},
        {"type": "reference", "reference_ids": [1]},
        {"type": "thinking", "thinking": [{"type": "text", "text": "ab"}], "signature": "s"},
        {"type": "text", "text": "lo!"},
    ]


async def test_progress_says_reasoning_until_the_answer_grows_and_tells_of_tool_runs() -> None:
    seen: list[str | None] = []

    async def progress(value: float, total: float | None, message: str | None) -> None:
        seen.append(message)

    for shape in ("reasoning", "tools"):
        reply = shaped_reply(shape)
        await collect_events(completion_chunks(completion_id="c", model="m", created=1, reply=reply), progress)
    assert any((m or "").startswith("Reasoning… (") for m in seen)
    assert "Mistral is running web_search…" in seen and "Mistral is running code_interpreter…" in seen
    assert seen[-1] == "Hello "  # the answer's first piece: a change of phase is told at once


async def test_a_break_keeps_the_answer_so_far_not_the_reasoning() -> None:
    reply = shaped_reply("reasoning")
    events = completion_chunks(completion_id="c", model="m", created=1, reply=reply)

    async def broken() -> AsyncIterator[dict[str, Any]]:
        for event in events[:-2]:
            yield event
        raise UpstreamStreamBroken("The stream broke off.")

    call = ToolCall(arguments={}, upstream=None, api_key="k")  # type: ignore[arg-type]  # never sent
    with pytest.raises(UpstreamStreamBroken) as caught:
        await collect_stream(call, broken(), "chat.completion")
    assert caught.value.partial_text == "Hello from "


async def test_deltas_that_all_name_one_message_by_index_still_make_a_message() -> None:
    message = await collect({"role": "assistant", "content": "Hel", "index": 0}, {"content": "lo", "index": 0})
    assert (message["content"], message["prefix"]) == ("Hello", False)
