"""Readable text for completion results: what a model sees of a Mistral reply."""

from __future__ import annotations

import json
from typing import Any

_FINISH_NOTES = {
    "length": "[The reply was cut off at max_tokens.]",
    "model_length": "[The reply was cut off at the model's context length.]",
    "error": "[Mistral reported an error while generating.]",
}


def message_text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for chunk in content:
            if isinstance(chunk, dict) and chunk.get("type") == "text":
                parts.append(str(chunk.get("text", "")))
            elif isinstance(chunk, dict) and chunk.get("type") == "thinking":
                continue  # reasoning traces stay in structuredContent
        return "".join(parts)
    return ""


def tool_call_line(call: dict[str, Any]) -> str:
    function = call.get("function") or {}
    arguments = function.get("arguments", "")
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments, ensure_ascii=False)
    call_id = f" [id {call['id']}]" if call.get("id") else ""
    return f"{function.get('name', '?')}({arguments}){call_id}"


def completion_text(response: dict[str, Any]) -> str:
    """The reply (or each reply when n > 1), tool calls spelled out, and why it stopped early."""
    choices = response.get("choices") or []
    blocks = []
    for choice in choices:
        message = choice.get("message") or {}
        lines = []
        text = message_text(message)
        if text:
            lines.append(text)
        calls = message.get("tool_calls") or []
        if calls:
            lines.append("Tool calls:\n" + "\n".join(f"- {tool_call_line(c)}" for c in calls))
        note = _FINISH_NOTES.get(choice.get("finish_reason") or "")
        if note:
            lines.append(note)
        body = "\n\n".join(lines) or "[Empty reply.]"
        blocks.append(f"Choice {choice.get('index', 0)}:\n{body}" if len(choices) > 1 else body)
    return "\n\n".join(blocks) or "[Mistral returned no choices.]"


def usage_of(response: Any) -> dict[str, Any] | None:
    usage = response.get("usage") if isinstance(response, dict) else None
    return usage if isinstance(usage, dict) else None
