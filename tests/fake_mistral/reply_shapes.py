"""The shapes today's Mistral replies come in, for chat and agents completions.

A test picks one with ``FakeMistral.reply_as(shape, ...)``; every later chat or agents completion
answers in it (streamed or not) until ``reset()``. Each shape is one whole choice, as the reference
describes ``ChatCompletionChoice``; ``streaming.py`` cuts the same choice into deltas, so a client that
puts the stream back together gets exactly the whole reply.

- ``text``: a plain string answer (the default; function tools still get function calls);
- ``reasoning``: a ``thinking`` chunk, then a ``text`` chunk; ``max_tokens`` counts the reasoning first,
  so a small one cuts the reply while it is still reasoning (``finish_reason: length``, no text);
- ``tools``: built-in tools run by Mistral: a ``messages`` array with each execution (an assistant
  tool call, then the tool's result) and a final answer citing its sources (``tool_reference``);
  ``fail=("code_interpreter",)`` makes those tools fail;
- ``citations``: text with ``reference`` (RAG ids) and ``tool_reference`` (title, url) chunks;
- ``image``: text, an ``image_url`` chunk with a data: URL and a ``file`` chunk naming a stored file.
"""

from __future__ import annotations

import json
import struct
import zlib
from dataclasses import dataclass
from typing import Any

from .generation import Completion, apply_limits, content_text, count_tokens, pieces

SHAPES = ("text", "reasoning", "tools", "citations", "image")
REASONING = (
    "The user wants an answer. I should check what they asked, think about the clearest way to say it, "
    "and then reply in one short sentence."
)
# Built-in tools that run when a request enables none (ChatCompletionRequest.tools types).
DEFAULT_BUILT_INS = ("web_search", "code_interpreter")
WEB_SOURCES = (
    {"type": "tool_reference", "tool": "web_search", "title": "Fake source one", "url": "https://example.com/one"},
    {"type": "tool_reference", "tool": "web_search", "title": "Fake source two", "url": "https://example.com/two"},
)
TOOL_FAILURE = "The tool timed out."


@dataclass
class Reply:
    """One choice as Mistral sends it whole: a ``message`` or a ``messages`` array."""

    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    message: dict[str, Any] | None = None
    messages: list[dict[str, Any]] | None = None

    @property
    def usage(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
        }

    def choice(self, index: int) -> dict[str, Any]:
        choice: dict[str, Any] = {"index": index, "finish_reason": self.finish_reason}
        if self.messages is not None:
            choice["messages"] = [dict(m) for m in self.messages]
        else:
            choice["message"] = dict(self.message or {})
        return choice


def assistant(content: Any, tool_calls: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """An AssistantMessage as a reply carries it."""
    return {"role": "assistant", "content": content, "tool_calls": tool_calls, "prefix": False}


def plain(completion: Completion) -> Reply:
    return Reply(
        completion.finish_reason,
        completion.prompt_tokens,
        completion.completion_tokens,
        message=assistant(completion.content, completion.tool_calls),
    )


def tiny_png(width: int = 1, height: int = 1) -> bytes:
    """A valid PNG of one colour, built by hand (no imaging library)."""

    def block(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x30\x60\x90" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + block(b"IHDR", header) + block(b"IDAT", zlib.compress(rows)) + block(b"IEND", b"")


def shaped(
    shape: str, options: dict[str, Any], data: dict[str, Any], base: Completion, answer: str, tools: list[Any]
) -> Reply:
    """The reply in ``shape`` to a validated request: ``base`` is what the plain fake would answer,
    ``answer`` its text before any limit, ``tools`` those the request (and the agent) enabled."""
    if shape == "reasoning":
        return _reasoning(base, answer, data.get("max_tokens"))
    if shape == "tools":
        return _tools(base, data, tools, tuple(options.get("fail", ())))
    if shape == "citations":
        content = [
            {"type": "text", "text": base.content},
            {"type": "reference", "reference_ids": [0, 1]},
            {"type": "text", "text": " More on the web."},
            WEB_SOURCES[0],
        ]
        return Reply("stop", base.prompt_tokens, base.completion_tokens + 4, assistant(content))
    if shape == "image":
        content = [
            {"type": "text", "text": base.content},
            {"type": "image_url", "image_url": {"url": options["data_url"]}},
            {"type": "file", "file_id": options["file_id"]},
        ]
        return Reply("stop", base.prompt_tokens, base.completion_tokens + 2, assistant(content))
    return plain(base)


def _reasoning(base: Completion, answer: str, max_tokens: int | None) -> Reply:
    thought, cut = apply_limits(REASONING, None, max_tokens)
    content: list[dict[str, Any]] = [{"type": "thinking", "thinking": [{"type": "text", "text": thought}]}]
    used = count_tokens(thought)
    if cut == "length":
        return Reply("length", base.prompt_tokens, used, assistant(content))
    answer, finish = apply_limits(answer, None, None if max_tokens is None else max_tokens - used)
    if answer:
        content.append({"type": "text", "text": answer})
    return Reply(finish, base.prompt_tokens, used + count_tokens(answer), assistant(content))


def _tool_name(tool: Any) -> str | None:
    if not isinstance(tool, dict) or tool.get("type", "function") == "function":
        return None
    return str(tool.get("connector_id") or tool["type"])


def _tools(base: Completion, data: dict[str, Any], tools: list[Any], failing: tuple[str, ...]) -> Reply:
    names = [name for name in (_tool_name(t) for t in tools) if name] or list(DEFAULT_BUILT_INS)
    question = content_text(data["messages"][-1].get("content")) or "the question"
    messages: list[dict[str, Any]] = []
    for position, name in enumerate(dict.fromkeys(names)):
        call_id = f"call{position:05d}"
        arguments = json.dumps({"code": "print(42)"} if name == "code_interpreter" else {"query": question})
        call = {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}, "index": 0}
        messages.append({"role": "assistant", "content": "", "tool_calls": [call]})
        result: dict[str, Any] = {"role": "tool", "content": f"{name} results for {question}", "tool_call_id": call_id}
        if name in failing:
            result = {**result, "content": TOOL_FAILURE, "metadata": {"error": TOOL_FAILURE}}
        messages.append(result)
    messages.append({"role": "assistant", "content": [{"type": "text", "text": base.content}, *WEB_SOURCES]})
    spent = sum(count_tokens(m["tool_calls"][0]["function"]["arguments"]) for m in messages if m.get("tool_calls"))
    return Reply("stop", base.prompt_tokens, base.completion_tokens + spent, messages=messages)


def split_text(text: str) -> list[str]:
    """The pieces a text is streamed in (never none, so an empty text still arrives)."""
    return pieces(text) or [""]
