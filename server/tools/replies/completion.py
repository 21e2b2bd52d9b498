"""A whole chat, agents or FIM completion as the text a model reads, plus its MCP attachments.

Each choice's answer is its `message`, or, when Mistral ran built-in tools or connectors itself,
the last item of its `messages` array; the executions before it get one line each. Reasoning is
named (and shown when asked); sources are listed under the answer; images and files are attached or
linked (`media.py`); a reply cut short says whether it was still reasoning.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import mcp_types as types

from server.tools.replies.chunks import ChunkRenderer, Rendered
from server.tools.replies.media import FetchedFile, deliver

__all__ = ["Reply", "answer_message", "file_ids", "progress_of", "render_completion", "tool_call_line"]

_ARGUMENTS_SHOWN = 300
_FINISH_NOTES = {
    "model_length": "[The reply was cut off at the model's context length.]",
    "error": "[Mistral reported an error while generating.]",
}


@dataclass(frozen=True, slots=True)
class Reply:
    """What a model reads of a reply: the text, and the MCP blocks after it (images, links)."""

    text: str
    content: tuple[types.ContentBlock, ...] = ()


def tool_call_line(call: dict[str, Any]) -> str:
    function = call.get("function") or {}
    arguments = function.get("arguments", "")
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments, ensure_ascii=False)
    call_id = f" [id {call['id']}]" if call.get("id") else ""
    return f"{function.get('name', '?')}({arguments}){call_id}"


def answer_message(choice: Mapping[str, Any]) -> dict[str, Any]:
    """The message that answers: `message`, or the last of `messages` when it is the assistant's."""
    messages = choice.get("messages")
    if isinstance(messages, list) and messages:
        last = messages[-1]
        return last if isinstance(last, dict) and last.get("role") in (None, "assistant") else {}
    message = choice.get("message")
    return message if isinstance(message, dict) else {}


def file_ids(response: Mapping[str, Any]) -> list[str]:
    """Ids of the stored files the answers carry (`file` and `tool_file` chunks), in order."""
    ids = []
    for choice in _choices(response):
        content = answer_message(choice).get("content")
        for chunk in content if isinstance(content, list) else []:
            if isinstance(chunk, dict) and chunk.get("type") in ("file", "tool_file") and chunk.get("file_id"):
                ids.append(str(chunk["file_id"]))
    return ids


def render_completion(
    response: Mapping[str, Any],
    *,
    include_reasoning: bool = False,
    files: Mapping[str, FetchedFile] | None = None,
) -> Reply:
    """The reply (or each reply when n > 1); `files` are the stored files already read (`fetch_files`)."""
    choices = _choices(response)
    usage = response.get("usage") if isinstance(response.get("usage"), dict) else None
    blocks: list[str] = []
    content: list[types.ContentBlock] = []
    for choice in choices:
        text, attached = _choice(choice, include_reasoning, files, usage if len(choices) == 1 else None)
        blocks.append(f"Choice {choice.get('index', 0)}:\n{text}" if len(choices) > 1 else text)
        content += attached
    return Reply("\n\n".join(blocks) or "[Mistral returned no choices.]", tuple(content))


def _choices(response: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [c for c in response.get("choices") or [] if isinstance(c, dict)]


def _choice(
    choice: dict[str, Any],
    include_reasoning: bool,
    files: Mapping[str, FetchedFile] | None,
    usage: dict[str, Any] | None,
) -> tuple[str, list[types.ContentBlock]]:
    message = answer_message(choice)
    rendered = ChunkRenderer().render(message.get("content"))
    calls = [c for c in message.get("tool_calls") or [] if isinstance(c, dict)]
    cut = choice.get("finish_reason") == "length"
    still_reasoning = cut and rendered.ends_in_reasoning
    parts = list(_executions(choice))
    shown = include_reasoning and rendered.reasoning
    if shown:
        parts.append(f"Reasoning:\n{rendered.reasoning}")
    if rendered.text:
        parts.append(f"Answer:\n{rendered.text}" if shown else rendered.text)
    if calls:
        parts.append("Tool calls:\n" + "\n".join(f"- {tool_call_line(c)}" for c in calls))
    if rendered.sources:
        parts.append("Sources:\n" + "\n".join(source.line() for source in rendered.sources))
    lines, attached = deliver(rendered.attachments, files)
    if lines:
        parts.append("Images and files:\n" + "\n".join(lines))
    if not (rendered.text or calls or lines or still_reasoning):
        parts.append("[Empty reply.]")
    parts += _notes(rendered, choice.get("finish_reason"), still_reasoning, include_reasoning, usage)
    return "\n\n".join(parts), attached


def _notes(
    rendered: Rendered, finish: Any, still_reasoning: bool, include_reasoning: bool, usage: dict[str, Any] | None
) -> Iterator[str]:
    if rendered.reasoning and not include_reasoning:
        how_long = f"{len(rendered.reasoning):,} characters"
        tokens = _reasoning_tokens(usage)
        if tokens is not None:
            how_long += f", {tokens:,} tokens"
        yield f"[The model reasoned first ({how_long}); pass include_reasoning: true to read it.]"
    if still_reasoning:
        yield (
            "[The reply was cut off at max_tokens while the model was still reasoning, before any answer: "
            "raise max_tokens (or lower reasoning_effort) and ask again.]"
        )
    elif finish == "length":
        yield "[The reply was cut off at max_tokens while answering.]"
    elif isinstance(finish, str) and finish in _FINISH_NOTES:
        yield _FINISH_NOTES[finish]


def _reasoning_tokens(usage: dict[str, Any] | None) -> int | None:
    """Reasoning tokens, where a usage block counts them (the reference's UsageInfo does not yet)."""
    if usage is None:
        return None
    details = usage.get("completion_tokens_details")
    found = usage.get("reasoning_tokens", details.get("reasoning_tokens") if isinstance(details, dict) else None)
    return found if isinstance(found, int) and not isinstance(found, bool) else None


def _executions(choice: dict[str, Any]) -> Iterator[str]:
    """One line per tool Mistral ran before answering: which, with what input, and how it went."""
    messages = choice.get("messages")
    if not isinstance(messages, list) or not messages:
        return
    answered = answer_message(choice) is messages[-1]
    steps = [m for m in (messages[:-1] if answered else messages) if isinstance(m, dict)]
    results = [m for m in steps if m.get("role") == "tool"]
    by_id = {m["tool_call_id"]: m for m in results if m.get("tool_call_id")}
    unmatched = [m for m in results if not m.get("tool_call_id")]
    lines = []
    for step in steps:
        for call in step.get("tool_calls") or []:
            if not isinstance(call, dict):
                continue
            result = by_id.get(call.get("id") or "") or (unmatched.pop(0) if unmatched else None)
            lines.append(f"- {_call_text(call)}: {_outcome(result)}")
    if lines:
        yield f"Mistral ran {len(lines)} tool call(s) before answering:\n" + "\n".join(lines)


def _call_text(call: dict[str, Any]) -> str:
    function = call.get("function") or {}
    arguments = function.get("arguments", "")
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments, ensure_ascii=False)
    if len(arguments) > _ARGUMENTS_SHOWN:
        arguments = arguments[:_ARGUMENTS_SHOWN] + "…"
    return f"{function.get('name', '?')} {arguments}".rstrip()


def _outcome(result: dict[str, Any] | None) -> str:
    """ "ok", or why not: a tool result's `metadata` says `error` (or a failed `status`) when it failed."""
    if result is None:
        return "no result"
    metadata = result.get("metadata")
    if not isinstance(metadata, dict):
        metadata = {}
    error = metadata.get("error")
    if error or metadata.get("status") in ("error", "failed"):
        return f"failed ({error})" if isinstance(error, str) and error else "failed"
    return "ok"


def progress_of(choice: Mapping[str, Any]) -> tuple[str, str | None]:
    """What a streamed choice is doing so far: a phase ("answer", "reasoning", "tools" or "") and the
    message to show: the answer as it grows, or what comes before it."""
    messages = choice.get("messages")
    current = messages[-1] if isinstance(messages, list) and messages else choice.get("message")
    if not isinstance(current, dict):
        return "", None
    calls = sum(len(m.get("tool_calls") or []) for m in messages or [] if isinstance(m, dict))
    if current.get("role") == "tool":
        return "tools", f"Mistral is running tools ({calls} call(s) so far)…"
    rendered = ChunkRenderer().render(current.get("content"))
    if rendered.text:
        return "answer", rendered.text
    if messages and current.get("tool_calls"):
        names = ", ".join(str((c.get("function") or {}).get("name", "?")) for c in current["tool_calls"])
        return "tools", f"Mistral is running {names}…"
    if rendered.reasoning:
        return "reasoning", f"Reasoning… ({len(rendered.reasoning):,} characters so far)"
    return "", None
