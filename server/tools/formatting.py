"""Readable text for completion results: the names tools used before the renderer of
`server/tools/replies/`, kept working for the modules that import them."""

from __future__ import annotations

from typing import Any

from server.tools.replies import render_completion, render_message, tool_call_line, usage_of

__all__ = ["completion_text", "message_text", "tool_call_line", "usage_of"]


def message_text(message: dict[str, Any]) -> str:
    """A message's answer text (reasoning left out, sources and attachments marked where they are)."""
    return render_message(message.get("content")).text


def completion_text(response: dict[str, Any]) -> str:
    """The reply (or each reply when n > 1), as `render_completion` writes it, without attachments."""
    return render_completion(response).text
