"""Agents: `mistral_agent_complete`, `mistral_list_agents`, `mistral_get_agent`."""

from __future__ import annotations

from typing import Any

from server.errors import ToolArgumentError
from server.tools import schemas as s
from server.tools.chat import CHAT_PROPERTIES, RARE, SHOWING, complete
from server.tools.extra import extra_schema
from server.tools.paths import AGENT, AGENTS_PAGES
from server.tools.replies import completion_output
from server.tools.spec import ToolCall, ToolOutput, ToolSpec

DEFAULT_AGENTS_PAGE_SIZE = 20
# Mistral pages agents by cursor only: `page` N costs N + 1 requests, so it stops somewhere.
MAX_PAGE = 20

# AgentsCompletionRequest is a chat request without what the agent fixes (model, temperature, top_p),
# without safe_prompt, which it does not take, and without `system`: the agent has its instructions.
_NOT_FOR_AGENTS = frozenset({"model", "temperature", "top_p", "safe_prompt", "system"})
_AGENT_RARE = RARE - _NOT_FOR_AGENTS
COMPLETE_INPUT = s.object_schema(
    {
        "agent_id": s.AGENT_ID,
        **{k: v for k, v in CHAT_PROPERTIES.items() if k not in _NOT_FOR_AGENTS},
        "extra": extra_schema(_AGENT_RARE),
    },
    required=["agent_id"],
    oneOf=[{"required": ["messages"]}, {"required": ["prompt"]}],
)

LIST_INPUT = s.object_schema(
    {
        "page_token": {"type": "string", "minLength": 1, "description": "Cursor from the previous page's reply."},
        "page": {
            "type": "integer",
            "minimum": 0,
            "maximum": MAX_PAGE,
            "description": "Page number from 0, found by walking the cursor (page_token is quicker).",
        },
        "page_size": s.page_size(DEFAULT_AGENTS_PAGE_SIZE, 1000),
        "name": {"type": "string", "minLength": 1, "description": "Only the agent with exactly this name."},
        "search": {"type": "string", "minLength": 1, "description": "Search agents by name or id."},
        "deployment_chat": {"type": "boolean", "description": "Only agents deployed (or not) to Le Chat."},
        "sources": {
            "type": "array",
            "items": {"type": "string", "enum": ["api", "playground", "agent_builder_v1"]},
            "description": "Only agents created from these places.",
        },
    }
)
GET_INPUT = s.object_schema(
    {
        "agent_id": s.AGENT_ID,
        "agent_version": {
            "description": "A version number or a version alias (default: the current version).",
            "anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "minLength": 1}],
        },
    },
    required=["agent_id"],
)

_AGENT: s.Schema = {
    "type": "object",
    "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "model": {"type": "string"}},
    "required": ["id"],
}
LIST_OUTPUT: s.Schema = {
    "type": "object",
    "properties": {
        "data": {"type": "array", "items": _AGENT},
        "page": {"type": "integer"},
        "page_size": {"type": "integer"},
        "has_more": {"type": "boolean"},
        "next_page_token": {"type": ["string", "null"]},
    },
    "required": ["data"],
}


def completion_body(call: ToolCall) -> dict[str, Any]:
    body = call.fields()
    if "prompt" in call.arguments:
        if "messages" in body:
            raise ToolArgumentError("Give either `messages` or `prompt`, not both.")
        body["messages"] = [{"role": "user", "content": call.arguments["prompt"]}]
    return body


async def run_agent_complete(call: ToolCall) -> ToolOutput:
    response = await complete(call, completion_body(call), "chat.completion")
    return await completion_output(call, response, include_reasoning=call.arguments.get("include_reasoning", False))


def _agent_line(agent: dict[str, Any]) -> str:
    about = f" — {agent['description']}" if agent.get("description") else ""
    return (
        f"- {agent.get('id')}: {agent.get('name')} (model {agent.get('model')}, version {agent.get('version')}){about}"
    )


async def run_list_agents(call: ToolCall) -> ToolOutput:
    page = call.arguments.get("page", 0)
    size = call.arguments.get("page_size", DEFAULT_AGENTS_PAGE_SIZE)
    if page and "page_token" in call.arguments:
        raise ToolArgumentError("Give either `page_token` or `page`, not both.")
    query = {**call.fields(), "page_size": size}
    response: Any = await call.forward(query)
    for _ in range(page):  # the cursor is the only way to page N: follow it N times
        token = response.get("next_page_token") if isinstance(response, dict) else None
        if not token:
            response = {"data": [], "next_page_token": None}
            break
        response = await call.forward({**query, "page_token": token})
    page_of = response if isinstance(response, dict) else {}
    agents = [a for a in page_of.get("data") or [] if isinstance(a, dict)]
    token = page_of.get("next_page_token") or None
    where = f" on page {page}" if "page_token" not in call.arguments else ""
    lines = [f"{len(agents)} agent(s){where}:", *(_agent_line(a) for a in agents)]
    if not agents:
        lines = [f"No agents{where}."]
    if token and "page_token" in call.arguments:
        lines.append(f"There may be more: call again with page_token={token}.")
    elif token:
        lines.append(f"There may be more: call again with page={page + 1}, or with page_token={token} (quicker).")
    lines.append("Talk to one with mistral_agent_complete.")
    structured = {"data": agents, "page": page, "page_size": size, "has_more": bool(token), "next_page_token": token}
    return ToolOutput("\n".join(lines), structured)


def render_agent(call: ToolCall, agent: dict[str, Any]) -> ToolOutput:
    lines = [_agent_line(agent)]
    if agent.get("instructions"):
        lines.append(f"Instructions: {agent['instructions']}")
    tools = [t.get("type", "?") for t in agent.get("tools") or [] if isinstance(t, dict)]
    if tools:
        lines.append("Tools: " + ", ".join(tools))
    return ToolOutput("\n".join(lines), agent)


TOOLS = (
    ToolSpec(
        name="mistral_agent_complete",
        family="agents",
        title="Talk to a Mistral agent",
        description=(
            "Send a conversation to one of your Mistral agents (its own model, instructions and tools apply): "
            "`agent_id` and `prompt`, or `messages`. Returns the agent's answer with its sources, images and the "
            "tools it ran."
        ),
        input_schema=COMPLETE_INPUT,
        output_schema=s.COMPLETION_OUTPUT,
        method="POST",
        path="/v1/agents/completions",
        tool_only=frozenset({"prompt"}) | SHOWING,
        extra=_AGENT_RARE,
        run=run_agent_complete,
    ),
    ToolSpec(
        name="mistral_list_agents",
        family="agents",
        title="List Mistral agents",
        description=(
            "List the agents of this Mistral workspace, newest first, a page at a time "
            f"(default {DEFAULT_AGENTS_PAGE_SIZE} per page). Returns one line per agent (id, name, model); "
            "structuredContent.data holds the agent objects. Use an id with mistral_agent_complete."
        ),
        input_schema=LIST_INPUT,
        output_schema=LIST_OUTPUT,
        method="GET",
        path=AGENTS_PAGES,
        tool_only=frozenset({"page"}),
        run=run_list_agents,
        read_only=True,
        idempotent=True,
    ),
    ToolSpec(
        name="mistral_get_agent",
        family="agents",
        title="Get a Mistral agent",
        description=(
            "One agent's settings: model, instructions, tools, completion arguments, versions. "
            "structuredContent is the agent object."
        ),
        input_schema=GET_INPUT,
        output_schema=_AGENT,
        method="GET",
        path=AGENT,
        render=render_agent,
        read_only=True,
        idempotent=True,
    ),
)
