"""What a model reads of Mistral's model output: one renderer for every chunk type and reply shape.

Every tool that shows model output (chat, function calls, agents, FIM, conversations) goes through
here, for whole and streamed replies alike (a stream is first put back together whole):

- `render_message(content) -> Rendered`: one message's content: answer text with source markers and
  attachment placeholders, the reasoning apart, the sources and attachments it names
  (`ChunkRenderer` numbers them across several messages of one reply);
- `render_completion(response, include_reasoning=..., files=...) -> Reply`: a whole completion's text
  and the MCP blocks after it (images, resource links);
- `deliver(attachments, files)`: attachment lines and blocks, for replies of other shapes;
- `completion_output(call, response, include_reasoning=...) -> ToolOutput`: all of it for a tool,
  reading the small stored files a reply names first; structuredContent stays the whole response;
- `conversation_output(call, response, ...)`: the same for a conversation's new entries
  (`render_conversation`: messages, tool executions, function calls, handoffs).
"""

from __future__ import annotations

from typing import Any

from server.tools.replies.chunks import Attachment, ChunkRenderer, Rendered, Source, render_message
from server.tools.replies.completion import (
    Reply,
    answer_message,
    file_ids,
    progress_of,
    render_completion,
    tool_call_line,
)
from server.tools.replies.conversation import CODE_SHOWN, conversation_file_ids, entry_lines, render_conversation
from server.tools.replies.media import MAX_INLINE_BYTES, FetchedFile, deliver, fetch_files, file_uri
from server.tools.spec import ToolCall, ToolOutput

__all__ = [
    "CODE_SHOWN",
    "MAX_INLINE_BYTES",
    "Attachment",
    "ChunkRenderer",
    "FetchedFile",
    "Rendered",
    "Reply",
    "Source",
    "answer_message",
    "completion_output",
    "conversation_file_ids",
    "conversation_output",
    "deliver",
    "entry_lines",
    "fetch_files",
    "file_ids",
    "file_uri",
    "progress_of",
    "render_completion",
    "render_conversation",
    "render_message",
    "tool_call_line",
    "usage_of",
]


def usage_of(response: Any) -> dict[str, Any] | None:
    usage = response.get("usage") if isinstance(response, dict) else None
    return usage if isinstance(usage, dict) else None


async def completion_output(call: ToolCall, response: dict[str, Any], *, include_reasoning: bool = False) -> ToolOutput:
    """A completion as a tool's result: the rendered text and attachments, the whole response as
    structuredContent, and its usage."""
    named = file_ids(response)
    files = await fetch_files(call, named) if named else None
    reply = render_completion(response, include_reasoning=include_reasoning, files=files)
    return ToolOutput(reply.text, response, usage_of(response), content=reply.content)


async def conversation_output(
    call: ToolCall, response: dict[str, Any], *, include_reasoning: bool = False
) -> ToolOutput:
    """A ConversationResponse as a tool's result: its new entries rendered, images attached, the whole
    response as structuredContent."""
    named = conversation_file_ids(response.get("outputs") or [])
    files = await fetch_files(call, named) if named else None
    reply = render_conversation(response, include_reasoning=include_reasoning, files=files)
    return ToolOutput(reply.text, response, usage_of(response), content=reply.content)
