"""Assemble a streamed chat, agents or FIM completion into the response Mistral would have sent whole.

Chunks are `chat.completion.chunk` objects with `choices[].delta`; usage rides on the last. A delta's
content (a string or a list of chunks: thinking, text, references, images, …) joins its message's as
`stream_content.py` says. A delta with an `index` belongs to that item of the choice's `messages` array
(built-in tools and connectors run by Mistral); without one, to its single `message`. While chunks
arrive, the growing answer (or "Reasoning…" before it) goes out as MCP progress notifications.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from server.errors import UpstreamStreamBroken
from server.tools.replies import progress_of
from server.tools.spec import ToolCall
from server.tools.stream_content import StreamedContent

# Throttle so a fast stream does not become thousands of notifications; a change of phase
# (reasoning, a tool call Mistral runs, the answer) is reported at once.
_PROGRESS_MIN_INTERVAL = 0.2
_PROGRESS_MESSAGE_TAIL = 2000


@dataclass
class _Message:
    role: str | None = None
    content: StreamedContent = field(default_factory=StreamedContent)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    # The call a piece without an id continues, by its index. Mistral streams each call whole, all at
    # index 0 (its default), so a piece with a new id is a new call; OpenAI-style streams spread one
    # call's arguments over pieces that share an index and carry the id only on the first.
    _open_calls: dict[int, dict[str, Any]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # tool_call_id, metadata: as they came

    def add(self, delta: dict[str, Any]) -> None:
        if isinstance(delta.get("role"), str):
            self.role = delta["role"]
        self.content.add(delta.get("content"))
        for key in ("tool_call_id", "metadata"):
            if delta.get(key) is not None:
                self.extra[key] = delta[key]
        for position, call in enumerate(delta.get("tool_calls") or []):
            if isinstance(call, dict):
                self._add_call(position, call)

    def _add_call(self, position: int, call: dict[str, Any]) -> None:
        index = call.get("index", position)
        slot = self._open_calls.get(index)
        if slot is None or (call.get("id") and slot.get("id") and call["id"] != slot["id"]):
            slot = self._open_calls[index] = {"function": {"arguments": ""}}
            if "index" in call:
                slot["index"] = call["index"]
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

    def reply(self) -> dict[str, Any]:
        """As a choice's `message` (an AssistantMessage: never a prefix)."""
        content = self.content.value()
        content = "" if content is None else content
        return {
            "role": self.role or "assistant",
            "content": content,
            "tool_calls": self.tool_calls or None,
            "prefix": False,
        }

    def item(self) -> dict[str, Any]:
        """As an item of a choice's `messages`: the fields that came."""
        item: dict[str, Any] = {"role": self.role or "assistant", "content": self.content.value()}
        if self.tool_calls:
            item["tool_calls"] = self.tool_calls
        return {**item, **self.extra}


@dataclass
class _Choice:
    index: int
    message: _Message = field(default_factory=_Message)
    items: dict[int, _Message] = field(default_factory=dict)  # `messages`, by each delta's index
    finish_reason: str | None = None

    def add(self, delta: dict[str, Any]) -> None:
        at = delta.get("index")
        if isinstance(at, int) and not isinstance(at, bool):
            self.items.setdefault(at, _Message()).add(delta)
        else:
            self.message.add(delta)

    def whole(self, *, partial: bool = False) -> dict[str, Any]:
        """The choice as Mistral sends it whole; `partial`: as it stands mid-stream (items so far)."""
        choice: dict[str, Any] = {"index": self.index, "finish_reason": self.finish_reason}
        if len(self.items) > 1 or (partial and self.items):
            choice["messages"] = [self.items[at].item() for at in sorted(self.items)]
        else:
            # One message is a `message`, even when its deltas name it by index: a stream may number
            # the only message it sends, and the whole reply would carry it as `message`.
            only = next(iter(self.items.values()), self.message)
            choice["message"] = only.reply()
        return choice


def _phase_of(choice: _Choice, delta: dict[str, Any], phase: str) -> str:
    """The phase a delta of the first choice moves the reply to (cheap: no rendering)."""
    content = delta.get("content")
    at = delta.get("index")
    item = choice.items.get(at) if isinstance(at, int) else None
    if item is not None and delta.get("tool_calls"):
        return "tools: " + ", ".join(str((c.get("function") or {}).get("name")) for c in delta["tool_calls"])
    if item is not None and item.role == "tool":
        return phase if phase.startswith("tools") else "tools"  # a tool's result: still running tools
    if isinstance(content, str):
        return "answer" if content else phase
    if isinstance(content, list) and content:
        kinds = {chunk.get("type", "text") for chunk in content if isinstance(chunk, dict)}
        return "reasoning" if kinds == {"thinking"} else "answer"
    return phase


def _progress_so_far(choices: dict[int, _Choice]) -> tuple[str, str | None]:
    first = choices.get(0)
    return progress_of(first.whole(partial=True)) if first else ("", None)


def _answer_so_far(choices: dict[int, _Choice]) -> str:
    phase, message = _progress_so_far(choices)
    return (message or "") if phase == "answer" else ""


async def collect_stream(call: ToolCall, chunks: AsyncIterator[dict[str, Any]], object_name: str) -> dict[str, Any]:
    """Drain `chunks` into a whole completion, reporting progress on the way.

    Raises:
        UpstreamStreamBroken: with the answer received so far attached.
    """
    choices: dict[int, _Choice] = {}
    head: dict[str, Any] = {}
    usage: dict[str, Any] | None = None
    last_report = 0.0
    phase = last_phase = ""
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
                delta = raw.get("delta") or {}
                choice.add(delta)
                if index == 0:
                    phase = _phase_of(choice, delta, phase)
                if raw.get("finish_reason"):
                    choice.finish_reason = raw["finish_reason"]
            received += 1
            now = time.monotonic()
            if call.deadline is not None and now > call.deadline:
                raise UpstreamStreamBroken(
                    "The reply was stopped before MCP clients give up on a call (about 5 minutes); "
                    "ask for a shorter reply (max_tokens) or split the task."
                )
            if call.progress is None:
                continue
            if phase != last_phase or now - last_report >= _PROGRESS_MIN_INTERVAL:
                last_report, last_phase = now, phase
                _, message = _progress_so_far(choices)
                await call.progress(float(received), None, message[-_PROGRESS_MESSAGE_TAIL:] if message else message)
    except UpstreamStreamBroken as exc:
        raise UpstreamStreamBroken(str(exc), partial_text=_answer_so_far(choices)) from None
    response: dict[str, Any] = {
        "id": head.get("id", ""),
        "object": object_name,
        "model": head.get("model", ""),
        "created": head.get("created", 0),
        "choices": [choices[i].whole() for i in sorted(choices)],
    }
    if usage is not None:
        response["usage"] = usage
    return response
