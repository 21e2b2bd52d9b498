"""Conversations Mistral keeps: start, continue, restart from an entry (streamed when the client
asks for progress), list, read the entries (a window at a time), delete.

Built-in tools (web search, code, images, document libraries) run at Mistral; function tools come
back as calls for the client to run and answer with a `function.result` entry.
"""

from __future__ import annotations

from typing import Any

import mcp_types as types

from server.errors import ToolArgumentError
from server.tools import schemas as s
from server.tools.agent_fields import AGENT_TOOLS, COMPLETION_ARGS
from server.tools.chat import DEFAULT_CHAT_MODEL, SHOWING
from server.tools.conversation_stream import collect_conversation, is_final
from server.tools.paths import CONVERSATION, CONVERSATIONS
from server.tools.replies import conversation_output, entry_lines, render_message
from server.tools.spec import Operation, ToolCall, ToolOutput, ToolSpec

DEFAULT_PAGE_SIZE = 20
TEXT_MAX_CHARS = 100_000

CONVERSATION_ID: s.Schema = {
    "type": "string",
    "minLength": 1,
    "maxLength": 200,
    "description": "A conversation id (conv_…), from the reply that started it or mistral_list_conversations.",
}
INPUTS: s.Schema = {
    "anyOf": [
        {"type": "string", "minLength": 1},
        {"type": "array", "minItems": 1, "items": {"type": "object"}},
    ],
    "description": (
        'A user message, or entries: {"role": "user", "content": "…"}, or '
        '{"type": "function.result", "tool_call_id": "…", "result": "…"} to answer a function call.'
    ),
}
AGENT_VERSION: s.Schema = {
    "anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "minLength": 1}],
    "description": "An agent version number or alias (default: the current one).",
}
_STORE: s.Schema = {"type": "boolean", "description": "Keep the conversation at Mistral (default true)."}
START_INPUT = s.object_schema(
    {
        "inputs": INPUTS,
        "model": {**s.MODEL, "description": f"A model id (default {DEFAULT_CHAT_MODEL}); or give agent_id."},
        "agent_id": s.AGENT_ID,
        "agent_version": AGENT_VERSION,
        "instructions": {"type": "string", "description": "The system prompt (with model)."},
        "tools": AGENT_TOOLS,
        "completion_args": COMPLETION_ARGS,
        "store": _STORE,
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "include_reasoning": s.INCLUDE_REASONING,
    },
    required=["inputs"],
)
CONTINUE_INPUT = s.object_schema(
    {
        "conversation_id": CONVERSATION_ID,
        "inputs": INPUTS,
        "completion_args": COMPLETION_ARGS,
        "store": _STORE,
        "include_reasoning": s.INCLUDE_REASONING,
    },
    required=["conversation_id", "inputs"],
)
RESTART_INPUT = s.object_schema(
    {
        "conversation_id": CONVERSATION_ID,
        "from_entry_id": {
            "type": "string",
            "minLength": 1,
            "description": "The entry to go on from (ids from mistral_get_conversation); later ones are dropped.",
        },
        "inputs": INPUTS,
        "agent_version": AGENT_VERSION,
        "completion_args": COMPLETION_ARGS,
        "store": _STORE,
        "include_reasoning": s.INCLUDE_REASONING,
    },
    required=["conversation_id", "from_entry_id"],
)
LIST_INPUT = s.object_schema({"page": s.PAGE, "page_size": s.page_size(DEFAULT_PAGE_SIZE, 100)})
GET_INPUT = s.object_schema(
    {
        "conversation_id": CONVERSATION_ID,
        "only_messages": {"type": "boolean", "default": False, "description": "Messages only, no tool runs."},
        "offset": {"type": "integer", "minimum": 0, "default": 0, "description": "First character of the text."},
        "max_chars": {"type": "integer", "minimum": 1, "maximum": TEXT_MAX_CHARS, "default": TEXT_MAX_CHARS},
    },
    required=["conversation_id"],
)
ID_INPUT = s.object_schema({"conversation_id": CONVERSATION_ID}, ["conversation_id"])

REPLY_OUTPUT: s.Schema = {
    "type": "object",
    "properties": {
        "conversation_id": {"type": "string"},
        "outputs": {"type": "array", "items": {"type": "object"}},
        "usage": {"type": "object"},
    },
    "required": ["conversation_id", "outputs"],
}
LIST_OUTPUT: s.Schema = {
    "type": "object",
    "properties": {"data": {"type": "array", "items": {"type": "object"}}, "page": {"type": "integer"}},
    "required": ["data"],
}
GET_OUTPUT: s.Schema = {
    "type": "object",
    "properties": {
        "conversation_id": {"type": "string"},
        "entries": {"type": "array", "items": {"type": "object"}},
        "text": {
            "type": "object",
            "properties": {
                "offset": {"type": "integer"},
                "chars_returned": {"type": "integer"},
                "total_chars": {"type": "integer"},
                "next_offset": {"type": ["integer", "null"]},
            },
        },
    },
    "required": ["conversation_id", "entries"],
}
DELETED_OUTPUT: s.Schema = {
    "type": "object",
    "properties": {"conversation_id": {"type": "string"}, "deleted": {"type": "boolean"}},
    "required": ["conversation_id", "deleted"],
}


async def _converse(call: ToolCall, body: dict[str, Any]) -> ToolOutput:
    """Send `body` to the tool's endpoint (streamed when the client asked for progress) and render the reply."""
    if call.progress is None:
        response: dict[str, Any] = await call.forward(body)
    else:
        async with call.stream(body, final=is_final) as events:
            response = await collect_conversation(call, events)
    return await conversation_output(call, response, include_reasoning=call.arguments.get("include_reasoning", False))


async def run_start(call: ToolCall) -> ToolOutput:
    body = call.fields()
    if "model" in body and "agent_id" in body:
        raise ToolArgumentError("Give either `model` or `agent_id`, not both.")
    if "agent_id" not in body:
        body.setdefault("model", DEFAULT_CHAT_MODEL)
        if "agent_version" in body:
            raise ToolArgumentError("Argument 'agent_version' goes with `agent_id`.")
    elif "instructions" in body or "tools" in body:
        raise ToolArgumentError("An agent has its own instructions and tools: leave out `instructions` and `tools`.")
    return await _converse(call, body)


async def run_continue(call: ToolCall) -> ToolOutput:
    return await _converse(call, call.fields())


def _conversation_line(conversation: dict[str, Any]) -> str:
    who = f"agent {conversation['agent_id']}" if conversation.get("agent_id") else f"model {conversation.get('model')}"
    name = f" “{conversation['name']}”" if conversation.get("name") else ""
    return f"- {conversation.get('id')}{name}: {who}, started {conversation.get('created_at')}"


async def run_list(call: ToolCall) -> ToolOutput:
    page, size = call.arguments.get("page", 0), call.arguments.get("page_size", DEFAULT_PAGE_SIZE)
    reply = await call.forward({"page": page, "page_size": size})
    found = [c for c in reply if isinstance(c, dict)] if isinstance(reply, list) else []
    lines = [f"{len(found)} conversation(s) on page {page}:", *map(_conversation_line, found)]
    if not found:
        lines = [f"No conversations on page {page}."]
    elif len(found) == size:
        lines.append(f"There may be more: call again with page={page + 1}.")
    return ToolOutput("\n".join(lines), {"data": found, "page": page})


def _entry_text(entry: dict[str, Any]) -> str:
    kind = entry.get("type")
    head = f"[{entry.get('id')}] {kind}"
    if kind in ("message.input", "message.output"):
        who = entry.get("role") or ("assistant" if kind == "message.output" else "user")
        return f"{head} ({who}):\n{render_message(entry.get('content')).text}"
    if kind == "function.call":
        return f"{head}: {entry.get('name')}({entry.get('arguments')}) [tool_call_id {entry.get('tool_call_id')}]"
    if kind == "function.result":
        return f"{head} [tool_call_id {entry.get('tool_call_id')}]:\n{entry.get('result')}"
    return f"{head}:\n" + "\n".join(entry_lines(entry))


async def run_get(call: ToolCall) -> ToolOutput:
    only_messages = call.arguments.get("only_messages", False)
    reply: dict[str, Any] = await call.send(alternate=only_messages)
    entries = [e for e in reply.get("messages" if only_messages else "entries") or [] if isinstance(e, dict)]
    conversation_id = str(reply.get("conversation_id") or call.arguments["conversation_id"])
    full = "\n\n".join(_entry_text(entry) for entry in entries)
    offset = call.arguments.get("offset", 0)
    limit = call.arguments.get("max_chars", TEXT_MAX_CHARS)
    window = full[offset : offset + limit]
    next_offset = offset + len(window) if offset + len(window) < len(full) else None
    facts = {"offset": offset, "chars_returned": len(window), "total_chars": len(full), "next_offset": next_offset}
    what = "messages" if only_messages else "entries"
    lines = [f"Conversation {conversation_id}: {len(entries)} {what}, oldest first."]
    structured = {"conversation_id": conversation_id, "entries": entries, "text": facts}
    if not window:
        lines.append(f"No text at offset {offset:,} (it has {len(full):,} characters).")
        return ToolOutput("\n".join(lines), structured)
    lines.append(f"Characters {offset:,} to {offset + len(window):,} of {len(full):,}: the next block.")
    if next_offset is not None:
        lines.append(f"The rest was cut (at most {limit:,} characters per call): call again with offset={next_offset}.")
    lines.append("Restart from an entry with mistral_restart_conversation.")
    return ToolOutput("\n".join(lines), structured, content=(types.TextContent(type="text", text=window),))


def render_deleted(call: ToolCall, reply: Any) -> ToolOutput:
    conversation_id = call.arguments["conversation_id"]
    return ToolOutput(f"Deleted conversation {conversation_id}.", {"conversation_id": conversation_id, "deleted": True})


_STREAMS = " Streams progress when the client asks for it."
TOOLS = (
    ToolSpec(
        name="mistral_start_conversation",
        family="agents",
        title="Start a Mistral conversation",
        description=(
            "Start a conversation that Mistral keeps, with a model (and `instructions`, `tools`) or an agent: "
            "Mistral runs built-in tools itself (web_search with sources, code_interpreter, image_generation, "
            "document_library). Returns the reply, the tools run, images, and the conversation id to go on with."
            + _STREAMS
        ),
        input_schema=START_INPUT,
        output_schema=REPLY_OUTPUT,
        method="POST",
        path=CONVERSATIONS,
        tool_only=SHOWING,
        run=run_start,
    ),
    ToolSpec(
        name="mistral_continue_conversation",
        family="agents",
        title="Continue a Mistral conversation",
        description=(
            "Add a message (or function results) to a conversation Mistral keeps and get the reply: Mistral "
            "remembers the earlier turns, so send only what is new." + _STREAMS
        ),
        input_schema=CONTINUE_INPUT,
        output_schema=REPLY_OUTPUT,
        method="POST",
        path=CONVERSATION,
        tool_only=SHOWING,
        run=run_continue,
    ),
    ToolSpec(
        name="mistral_restart_conversation",
        family="agents",
        title="Restart a Mistral conversation from an entry",
        description=(
            "Branch a conversation: a new one with the entries up to `from_entry_id`, then optional new "
            "inputs, and Mistral's reply. The original is kept." + _STREAMS
        ),
        input_schema=RESTART_INPUT,
        output_schema=REPLY_OUTPUT,
        method="POST",
        path="/v1/conversations/{conversation_id}/restart",
        tool_only=SHOWING,
        run=run_continue,
    ),
    ToolSpec(
        name="mistral_list_conversations",
        family="agents",
        title="List Mistral conversations",
        description=(
            f"List the conversations Mistral keeps for this key, newest first, {DEFAULT_PAGE_SIZE} per page by "
            "default: id, model or agent, name. Read one with mistral_get_conversation."
        ),
        input_schema=LIST_INPUT,
        output_schema=LIST_OUTPUT,
        method="GET",
        path=CONVERSATIONS,
        run=run_list,
        read_only=True,
        idempotent=True,
    ),
    ToolSpec(
        name="mistral_get_conversation",
        family="agents",
        title="Read a Mistral conversation",
        description=(
            "Read a conversation's entries, oldest first, each with its id: messages, tool runs, function calls "
            f"and handoffs (or messages only), {TEXT_MAX_CHARS:,} characters per call: the reply says which "
            "`offset` reads on."
        ),
        input_schema=GET_INPUT,
        output_schema=GET_OUTPUT,
        method="GET",
        path="/v1/conversations/{conversation_id}/history",
        alternate=Operation("GET", "/v1/conversations/{conversation_id}/messages"),  # only_messages
        tool_only=frozenset({"only_messages", "offset", "max_chars"}),
        run=run_get,
        read_only=True,
        idempotent=True,
    ),
    ToolSpec(
        name="mistral_delete_conversation",
        family="agents",
        title="Delete a Mistral conversation",
        description=(
            "Permanently delete a conversation Mistral keeps, with all its entries; its id stops working. "
            "This cannot be undone: confirm with the user first."
        ),
        input_schema=ID_INPUT,
        output_schema=DELETED_OUTPUT,
        method="DELETE",
        path=CONVERSATION,
        render=render_deleted,
        destructive=True,
        idempotent=True,
    ),
)
