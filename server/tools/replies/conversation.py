"""A conversation's new entries (`outputs[]` of a ConversationResponse) as the text a model reads.

`message.output` content goes through the one chunk renderer (sources numbered across the reply,
images and files attached by `media.py`); `tool.execution` is a line naming the tool, its input and
how it went, with code interpreter's code and output shown (capped); `function.call` says what the
client must run and how to hand the result back; `agent.handoff` names both agents. The
conversation id leads the text, so the model can go on with it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from server.tools.replies.chunks import ChunkRenderer
from server.tools.replies.completion import Reply
from server.tools.replies.media import FetchedFile, deliver

__all__ = ["CODE_SHOWN", "conversation_file_ids", "entry_lines", "render_conversation"]

CODE_SHOWN = 4000  # characters of code, and of its output, shown per code interpreter run
_ARGUMENTS_SHOWN = 300
_CODE_TOOLS = frozenset({"code_interpreter"})


def conversation_file_ids(outputs: list[Any]) -> list[str]:
    """Ids of the stored files the answers carry (images image_generation made), in order."""
    ids = []
    for entry in _messages(outputs):
        content = entry.get("content")
        for chunk in content if isinstance(content, list) else []:
            if isinstance(chunk, dict) and chunk.get("type") in ("file", "tool_file") and chunk.get("file_id"):
                ids.append(str(chunk["file_id"]))
    return ids


def render_conversation(
    response: Mapping[str, Any], *, include_reasoning: bool = False, files: Mapping[str, FetchedFile] | None = None
) -> Reply:
    conversation_id = response.get("conversation_id")
    outputs = [entry for entry in response.get("outputs") or [] if isinstance(entry, dict)]
    renderer = ChunkRenderer()
    parts = [f"Conversation {conversation_id}: go on with mistral_continue_conversation."]
    calls: list[dict[str, Any]] = []
    reasoning: list[str] = []
    for entry in outputs:
        kind = entry.get("type")
        if kind == "message.output":
            rendered = renderer.render(entry.get("content"))
            reasoning += [rendered.reasoning] if rendered.reasoning else []
            if include_reasoning and rendered.reasoning:
                parts.append(f"Reasoning:\n{rendered.reasoning}")
            if rendered.text:
                parts.append(rendered.text)
        elif kind == "function.call":
            calls.append(entry)
        else:
            parts.append("\n".join(entry_lines(entry)))
    if calls:
        parts.append(_function_calls(conversation_id, calls))
    if renderer.sources:
        parts.append("Sources:\n" + "\n".join(source.line() for source in renderer.sources))
    lines, blocks = deliver(renderer.attachments, files)
    if lines:
        parts.append("Images and files:\n" + "\n".join(lines))
    if reasoning and not include_reasoning:
        size = sum(len(r) for r in reasoning)
        parts.append(f"[The model reasoned first ({size:,} characters); pass include_reasoning: true to read it.]")
    if len(parts) == 1:
        parts.append("[Mistral added nothing to the conversation.]")
    return Reply("\n\n".join(parts), tuple(blocks))


def entry_lines(entry: Mapping[str, Any]) -> Iterator[str]:
    """A tool execution or a handoff, as lines; other entries as one line with their type."""
    kind = entry.get("type")
    if kind == "tool.execution":
        yield from _execution(entry)
    elif kind == "agent.handoff":
        yield (
            f"Handed over from agent {entry.get('previous_agent_name')} ({entry.get('previous_agent_id')}) "
            f"to agent {entry.get('next_agent_name')} ({entry.get('next_agent_id')})."
        )
    else:
        yield f"[{kind} entry {entry.get('id', '')}]".replace(" ]", "]")


def _execution(entry: Mapping[str, Any]) -> Iterator[str]:
    name = str(entry.get("name") or "?")
    info = entry.get("info") if isinstance(entry.get("info"), dict) else {}
    arguments = _parsed(entry.get("arguments"))
    error = info.get("error") if isinstance(info, dict) else None
    outcome = f"failed ({error})" if error else "ok"
    if name in _CODE_TOOLS:
        code = arguments.get("code") if isinstance(arguments, dict) else None
        code = code or (info.get("code") if isinstance(info, dict) else None) or entry.get("arguments") or ""
        yield f"Mistral ran {name}: {outcome}. Code:"
        yield _block(str(code))
        output = info.get("code_output") if isinstance(info, dict) else None
        if output is not None:
            yield "Output:"
            yield _block(str(output))
        return
    shown = str(entry.get("arguments") or "")
    if len(shown) > _ARGUMENTS_SHOWN:
        shown = shown[:_ARGUMENTS_SHOWN] + "…"
    yield f"Mistral ran {name} {shown}: {outcome}.".replace("  ", " ")


def _block(text: str) -> str:
    if len(text) > CODE_SHOWN:
        text = text[:CODE_SHOWN] + f"\n…[{len(text) - CODE_SHOWN:,} more characters in structuredContent]"
    return f"```\n{text.rstrip()}\n```"


def _function_calls(conversation_id: Any, calls: list[dict[str, Any]]) -> str:
    lines = [f"The model asks you to run {len(calls)} function(s); they were not run:"]
    for call in calls:
        arguments = call.get("arguments")
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments, ensure_ascii=False)
        lines.append(f"- {call.get('name')}({arguments}) [tool_call_id {call.get('tool_call_id')}]")
    example = [{"type": "function.result", "tool_call_id": calls[0].get("tool_call_id"), "result": "<the result>"}]
    lines.append(
        f"Run them, then call mistral_continue_conversation with conversation_id {conversation_id} and "
        f"inputs {json.dumps(example)}, one function.result per call (result is a string)."
    )
    return "\n".join(lines)


def _parsed(arguments: Any) -> Any:
    if isinstance(arguments, str):
        try:
            return json.loads(arguments)
        except ValueError:
            return None
    return arguments


def _messages(outputs: list[Any]) -> Iterator[dict[str, Any]]:
    for entry in outputs:
        if isinstance(entry, dict) and entry.get("type") == "message.output":
            yield entry
