"""What the fake's conversations answer: the entries Mistral appends, and the same as stream events.

A request's tools decide the outputs, as Mistral's would: a `function` tool the inputs do not answer yet
gets a ``function.call`` (the client runs it and continues with a ``function.result``); otherwise each
built-in tool runs once (``tool.execution``: web_search finds two sources, code_interpreter runs code,
image_generation stores a PNG, document_library searches) before one ``message.output`` that cites and
carries what they made. An agent with handoffs hands over first (``agent.handoff``). ``stream_events``
cuts the same outputs into ConversationEvents, so a client that puts them together gets the whole reply.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from .reply_shapes import WEB_SOURCES, tiny_png
from .state import FakeMistral
from .streaming import content_deltas

CODE = "print(6 * 7)"
CODE_OUTPUT = "42\n"


def stamp() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())


def entry_id() -> str:
    return "msg_" + uuid.uuid4().hex


def _entry(kind: str, by: dict[str, Any], **fields: Any) -> dict[str, Any]:
    now = stamp()
    return {"object": "entry", "type": kind, "created_at": now, "completed_at": now, "id": entry_id(), **by, **fields}


def input_entries(inputs: Any) -> list[dict[str, Any]]:
    """`inputs` as stored entries: a string is one user message."""
    given = [{"role": "user", "content": inputs}] if isinstance(inputs, str) else list(inputs)
    entries = []
    for item in given:
        kind = item.get("type", "message.input")
        now = stamp()
        entries.append(
            {"object": "entry", "type": kind, "created_at": now, "completed_at": now, "id": entry_id(), **item}
        )
    return entries


def _question(entries: list[dict[str, Any]]) -> str:
    for entry in reversed(entries):
        if entry.get("type") == "message.input":
            content = entry.get("content")
            if isinstance(content, str):
                return content
            return " ".join(str(c.get("text")) for c in content or [] if c.get("type") == "text")
    return ""


def outputs_for(
    state: FakeMistral,
    tools: list[dict[str, Any]],
    inputs: list[dict[str, Any]],
    by: dict[str, Any],
    handoff: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """The entries Mistral appends after `inputs`, made with `tools` by `by` (model or agent_id)."""
    outputs: list[dict[str, Any]] = []
    if handoff is not None:
        outputs.append(_entry("agent.handoff", {}, **handoff))
    answered = {e.get("tool_call_id") for e in inputs if e.get("type") == "function.result"}
    functions = [t["function"] for t in tools if t.get("type", "function") == "function"]
    if functions and not answered:
        function = functions[0]
        call = {
            "tool_call_id": "call_" + uuid.uuid4().hex[:9],
            "name": function["name"],
            "arguments": '{"city": "Paris"}',
        }
        return [*outputs, _entry("function.call", by, **call)]
    question = _question(inputs)
    content: list[dict[str, Any]] = []
    for tool in tools:
        kind = tool.get("type")
        if kind in ("web_search", "web_search_premium"):
            outputs.append(_entry("tool.execution", by, name=kind, arguments=json.dumps({"query": question}), info={}))
            content += [{"type": "text", "text": "The web says yes."}, *({**s, "tool": kind} for s in WEB_SOURCES)]
        elif kind == "code_interpreter":
            info = {"code": CODE, "code_output": CODE_OUTPUT}
            outputs.append(_entry("tool.execution", by, name=kind, arguments=json.dumps({"code": CODE}), info=info))
            content.append({"type": "text", "text": " The code printed 42."})
        elif kind == "image_generation":
            image = state.add_file(tiny_png(2, 2), filename="image_generated_0.png", purpose="ocr")
            outputs.append(_entry("tool.execution", by, name=kind, arguments=json.dumps({"prompt": question}), info={}))
            content += [
                {"type": "text", "text": " Here is your image."},
                {
                    "type": "tool_file",
                    "tool": kind,
                    "file_id": image["id"],
                    "file_name": "image_generated_0",
                    "file_type": "png",
                },
            ]
        elif kind == "document_library":
            arguments = json.dumps({"query": question, "library_ids": tool.get("library_ids")})
            outputs.append(_entry("tool.execution", by, name=kind, arguments=arguments, info={}))
            content.append({"type": "text", "text": " The handbook agrees."})
    with state.lock:
        reply = state.chat_reply
    message = content or reply
    outputs.append(_entry("message.output", by, role="assistant", content=message))
    return outputs


def usage_of(inputs: list[dict[str, Any]], outputs: list[dict[str, Any]]) -> dict[str, Any]:
    prompt = max(1, len(json.dumps(inputs)) // 4)
    completion = max(1, len(json.dumps(outputs)) // 4)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def stream_events(conversation_id: str, outputs: list[dict[str, Any]], usage: dict[str, Any]) -> list[dict[str, Any]]:
    """ConversationEvents that rebuild `outputs`: started, each output's events, done with usage."""
    events: list[dict[str, Any]] = [
        {"type": "conversation.response.started", "created_at": stamp(), "conversation_id": conversation_id}
    ]
    for index, entry in enumerate(outputs):
        head = {"created_at": entry["created_at"], "output_index": index, "id": entry["id"]}
        by = {key: entry.get(key) for key in ("model", "agent_id")}
        kind = entry["type"]
        if kind == "tool.execution":
            events.append(
                {"type": "tool.execution.started", **head, **by, "name": entry["name"], "arguments": entry["arguments"]}
            )
            events.append({"type": "tool.execution.done", **head, "name": entry["name"], "info": entry["info"]})
        elif kind == "function.call":
            half = len(entry["arguments"]) // 2
            for piece in (entry["arguments"][:half], entry["arguments"][half:]):
                call = {"name": entry["name"], "tool_call_id": entry["tool_call_id"], "arguments": piece}
                events.append({"type": "function.call.delta", **head, **by, **call})
        elif kind == "agent.handoff":
            previous = {k: entry[k] for k in ("previous_agent_id", "previous_agent_name")}
            events.append({"type": "agent.handoff.started", **head, **previous})
            following = {k: entry[k] for k in ("next_agent_id", "next_agent_name")}
            events.append({"type": "agent.handoff.done", **head, **following})
        else:
            events += _message_events(entry, head, by)
    events.append({"type": "conversation.response.done", "created_at": stamp(), "usage": usage})
    return events


def _message_events(entry: dict[str, Any], head: dict[str, Any], by: dict[str, Any]) -> list[dict[str, Any]]:
    content = entry["content"]
    events = []
    if isinstance(content, str):
        pieces: list[tuple[int, Any]] = [(0, piece) for piece in content_deltas(content)]
    else:
        pieces = [(at, piece[0]) for at, chunk in enumerate(content) for piece in content_deltas([chunk])]
    for at, piece in pieces:
        events.append(
            {"type": "message.output.delta", **head, "content_index": at, **by, "role": "assistant", "content": piece}
        )
    return events
