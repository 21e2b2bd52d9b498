"""Assemble a streamed chat/FIM completion into the response Mistral would have sent whole.

Chunks are `chat.completion.chunk` objects with `choices[].delta`; usage rides on the last.
While they arrive, the growing reply is forwarded as MCP progress notifications.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from server.errors import UpstreamStreamBroken
from server.tools.spec import ToolCall

# Throttle so a fast stream does not become thousands of notifications.
_PROGRESS_MIN_INTERVAL = 0.2
_PROGRESS_MESSAGE_TAIL = 2000


@dataclass
class _Choice:
    index: int
    role: str = "assistant"
    content: list[str] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    # The call a piece without an id continues, by its index. Mistral streams each call whole, all at
    # index 0 (its default), so a piece with a new id is a new call; OpenAI-style streams spread one
    # call's arguments over pieces that share an index and carry the id only on the first.
    _open_calls: dict[int, dict[str, Any]] = field(default_factory=dict)
    finish_reason: str | None = None

    def add(self, delta: dict[str, Any]) -> None:
        if isinstance(delta.get("role"), str):
            self.role = delta["role"]
        content = delta.get("content")
        if isinstance(content, str):
            self.content.append(content)
        elif isinstance(content, list):
            self.content.extend(c.get("text", "") for c in content if isinstance(c, dict))
        for position, call in enumerate(delta.get("tool_calls") or []):
            index = call.get("index", position)
            slot = self._open_calls.get(index)
            if slot is None or (call.get("id") and slot.get("id") and call["id"] != slot["id"]):
                slot = self._open_calls[index] = {"function": {"arguments": ""}}
                self.tool_calls.append(slot)
            if call.get("id"):
                slot["id"] = call["id"]
            slot["type"] = call.get("type", "function")
            function = call.get("function") or {}
            if function.get("name"):
                slot["function"]["name"] = function["name"]
            arguments = function.get("arguments")
            if isinstance(arguments, str):
                slot["function"]["arguments"] += arguments
            elif isinstance(arguments, dict):
                slot["function"]["arguments"] = arguments

    def message(self) -> dict[str, Any]:
        message: dict[str, Any] = {"role": self.role, "content": "".join(self.content)}
        message["tool_calls"] = self.tool_calls or None
        return message


def _text_so_far(choices: dict[int, _Choice]) -> str:
    first = choices.get(0)
    return "".join(first.content) if first else ""


async def collect_stream(call: ToolCall, chunks: AsyncIterator[dict[str, Any]], object_name: str) -> dict[str, Any]:
    """Drain `chunks` into a whole completion, reporting progress on the way.

    Raises:
        UpstreamStreamBroken: with the text received so far attached.
    """
    choices: dict[int, _Choice] = {}
    head: dict[str, Any] = {}
    usage: dict[str, Any] | None = None
    last_report = 0.0
    received = 0
    try:
        async for chunk in chunks:
            for key in ("id", "model", "created"):
                if key in chunk and key not in head:
                    head[key] = chunk[key]
            if isinstance(chunk.get("usage"), dict):
                usage = chunk["usage"]
            for raw in chunk.get("choices") or []:
                index = raw.get("index", 0)
                choice = choices.setdefault(index, _Choice(index))
                choice.add(raw.get("delta") or {})
                if raw.get("finish_reason"):
                    choice.finish_reason = raw["finish_reason"]
            received += 1
            now = time.monotonic()
            if call.deadline is not None and now > call.deadline:
                raise UpstreamStreamBroken(
                    "The reply was stopped before MCP clients give up on a call (about 5 minutes); "
                    "ask for a shorter reply (max_tokens) or split the task."
                )
            if call.progress is not None and now - last_report >= _PROGRESS_MIN_INTERVAL:
                last_report = now
                text = _text_so_far(choices)
                await call.progress(float(received), None, text[-_PROGRESS_MESSAGE_TAIL:])
    except UpstreamStreamBroken as exc:
        raise UpstreamStreamBroken(str(exc), partial_text=_text_so_far(choices)) from None
    response: dict[str, Any] = {
        "id": head.get("id", ""),
        "object": object_name,
        "model": head.get("model", ""),
        "created": head.get("created", 0),
        "choices": [
            {"index": c.index, "message": c.message(), "finish_reason": c.finish_reason}
            for c in (choices[i] for i in sorted(choices))
        ],
    }
    if usage is not None:
        response["usage"] = usage
    return response
