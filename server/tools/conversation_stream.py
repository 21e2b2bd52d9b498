"""Assemble a streamed conversation reply into the ConversationResponse Mistral would have sent whole.

Events (ConversationEvents) name the output they build by `output_index`: `message.output.delta`
grows a message's content (joined as `stream_content.py` says), `tool.execution.started|delta|done`
and `function.call.delta` a tool run or a function call, `agent.handoff.started|done` a handoff.
`conversation.response.done` carries the usage and ends the stream (no `[DONE]` follows);
`conversation.response.error` ends it in failure. While events arrive, the growing answer (or the
tool Mistral runs) goes out as MCP progress notifications.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from server.errors import UpstreamStreamBroken
from server.tools.replies import render_message
from server.tools.spec import ToolCall
from server.tools.stream_content import StreamedContent

DONE = "conversation.response.done"
ERROR = "conversation.response.error"
_PROGRESS_MIN_INTERVAL = 0.2
_PROGRESS_MESSAGE_TAIL = 2000
_KINDS = {
    "message.output.delta": "message.output",
    "tool.execution.started": "tool.execution",
    "tool.execution.delta": "tool.execution",
    "tool.execution.done": "tool.execution",
    "function.call.delta": "function.call",
    "agent.handoff.started": "agent.handoff",
    "agent.handoff.done": "agent.handoff",
}
# What an event says about its entry, beyond its growing parts.
_FIELDS = (
    "id",
    "created_at",
    "model",
    "agent_id",
    "name",
    "tool_call_id",
    "info",
    "confirmation_status",
    "previous_agent_id",
    "previous_agent_name",
    "next_agent_id",
    "next_agent_name",
)


def is_final(event: dict[str, Any]) -> bool:
    """The event that ends a conversation stream, in success or failure."""
    return event.get("type") in (DONE, ERROR)


@dataclass
class _Entry:
    kind: str
    fields: dict[str, Any] = field(default_factory=dict)
    parts: dict[int, StreamedContent] = field(default_factory=dict)  # the content, by content_index
    arguments: list[str] = field(default_factory=list)

    def add(self, event: dict[str, Any]) -> None:
        for key in _FIELDS:
            if key not in event:
                continue
            value = event[key]
            if key in ("id", "created_at"):
                self.fields.setdefault(key, value)  # the entry's own, from its first event
            else:
                self.fields[key] = value
        if self.kind == "message.output":
            piece = event.get("content")
            at = event.get("content_index", 0)
            part = self.parts.setdefault(at if isinstance(at, int) else 0, StreamedContent())
            part.add([piece] if isinstance(piece, dict) else piece)
        elif isinstance(event.get("arguments"), str):
            self.arguments.append(event["arguments"])

    def content(self) -> Any:
        """A string while one part of strings came; else the chunks, each content_index its own."""
        values = [self.parts[at].value() for at in sorted(self.parts)]
        if len(values) == 1 and isinstance(values[0], str):
            return values[0]
        chunks: list[Any] = []
        for value in values:
            if isinstance(value, str):
                chunks += [{"type": "text", "text": value}] if value else []
            elif isinstance(value, list):
                chunks += value
        return chunks if chunks else ""

    def whole(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"object": "entry", "type": self.kind, **self.fields}
        if self.kind == "message.output":
            entry.update(role="assistant", content=self.content())
        elif self.kind in ("tool.execution", "function.call"):
            entry["arguments"] = "".join(self.arguments)
        return entry


def _progress(entries: dict[int, _Entry]) -> str | None:
    if not entries:
        return None
    last = entries[max(entries)]
    if last.kind == "message.output":
        text = render_message(last.content()).text
        return text or "Reasoning…"
    if last.kind == "tool.execution":
        return f"Mistral is running {last.fields.get('name', 'a tool')}…"
    if last.kind == "agent.handoff":
        return f"Handing over to {last.fields.get('next_agent_name') or 'another agent'}…"
    return f"The model calls {last.fields.get('name', 'a function')}…"


async def collect_conversation(call: ToolCall, events: AsyncIterator[dict[str, Any]]) -> dict[str, Any]:
    """Drain `events` into a ConversationResponse, reporting progress on the way.

    Raises:
        UpstreamStreamBroken: the stream broke or Mistral reported an error; the answer so far attached.
    """
    entries: dict[int, _Entry] = {}
    conversation_id = ""
    usage: dict[str, Any] | None = None
    received = 0
    last_report = 0.0
    last_kind = ""
    try:
        async for event in events:
            kind = str(event.get("type") or "")
            if kind == "conversation.response.started":
                conversation_id = str(event.get("conversation_id") or "")
            elif kind == DONE:
                usage = event.get("usage") if isinstance(event.get("usage"), dict) else {}
            elif kind == ERROR:
                raise UpstreamStreamBroken(
                    f"Mistral stopped the conversation with an error: {event.get('message')} "
                    f"(code {event.get('code')}). Conversation {conversation_id}: see what it kept with "
                    "mistral_get_conversation, or try again."
                )
            elif kind in _KINDS:
                at = event.get("output_index", 0)
                at = at if isinstance(at, int) else 0
                entries.setdefault(at, _Entry(_KINDS[kind])).add(event)
            received += 1
            now = time.monotonic()
            if call.deadline is not None and now > call.deadline:
                raise UpstreamStreamBroken(
                    "The reply was stopped before MCP clients give up on a call (about 5 minutes); "
                    f"conversation {conversation_id} keeps what Mistral finished."
                )
            if call.progress is not None and (kind != last_kind or now - last_report >= _PROGRESS_MIN_INTERVAL):
                last_report, last_kind = now, kind
                message = _progress(entries)
                await call.progress(float(received), None, message[-_PROGRESS_MESSAGE_TAIL:] if message else None)
    except UpstreamStreamBroken as exc:
        raise UpstreamStreamBroken(str(exc), partial_text=_answer_so_far(entries)) from None
    if usage is None:
        raise UpstreamStreamBroken(
            "Mistral's conversation stream ended without its last event.", partial_text=_answer_so_far(entries)
        )
    outputs = [entries[at].whole() for at in sorted(entries)]
    return {"object": "conversation.response", "conversation_id": conversation_id, "outputs": outputs, "usage": usage}


def _answer_so_far(entries: dict[int, _Entry]) -> str:
    texts = [render_message(e.content()).text for e in entries.values() if e.kind == "message.output"]
    return "\n\n".join(t for t in texts if t)
