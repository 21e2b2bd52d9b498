"""Streamed completions put back together: text, tool calls in both streaming styles, finish reasons."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from server.tools.completion_stream import collect_stream
from server.tools.registry import ToolCall

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
