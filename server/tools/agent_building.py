"""Building agents: create, update (each update is a new version), delete, versions and aliases.

Talking to an agent, listing agents and reading one live in agents.py.
"""

from __future__ import annotations

from typing import Any

from server.errors import ToolArgumentError
from server.tools import schemas as s
from server.tools.agent_fields import AGENT_FIELDS
from server.tools.paths import AGENT, AGENTS
from server.tools.spec import ToolCall, ToolOutput, ToolSpec

DEFAULT_VERSIONS_PAGE_SIZE = 20
ALIASES_PATH = "/v1/agents/{agent_id}/aliases"

VERSION: s.Schema = {"type": "integer", "minimum": 0, "description": "A version number of the agent."}
ALIAS: s.Schema = {
    "type": "string",
    "minLength": 1,
    "maxLength": 64,
    "pattern": "^[a-z]([a-z0-9_-]*[a-z0-9])?$",
    "description": 'a name such as "production": lowercase letters, digits, "-" and "_"',
}

CREATE_INPUT = s.object_schema(AGENT_FIELDS, required=["model", "name"])
UPDATE_INPUT = s.object_schema(
    {
        "agent_id": s.AGENT_ID,
        **AGENT_FIELDS,
        "deployment_chat": {"type": "boolean", "description": "Offer the agent in Le Chat."},
    },
    required=["agent_id"],
)
AGENT_INPUT = s.object_schema({"agent_id": s.AGENT_ID}, required=["agent_id"])
VERSIONS_INPUT = s.object_schema(
    {"agent_id": s.AGENT_ID, "page": s.PAGE, "page_size": s.page_size(DEFAULT_VERSIONS_PAGE_SIZE, 100)},
    required=["agent_id"],
)
GET_VERSION_INPUT = s.object_schema(
    {"agent_id": s.AGENT_ID, "version": {"type": "string", "pattern": "^[0-9]{1,9}$", "description": 'e.g. "2".'}},
    required=["agent_id", "version"],
)
SET_VERSION_INPUT = s.object_schema({"agent_id": s.AGENT_ID, "version": VERSION}, required=["agent_id", "version"])
SET_ALIAS_INPUT = s.object_schema(
    {"agent_id": s.AGENT_ID, "alias": ALIAS, "version": VERSION}, required=["agent_id", "alias", "version"]
)
DELETE_ALIAS_INPUT = s.object_schema({"agent_id": s.AGENT_ID, "alias": ALIAS}, required=["agent_id", "alias"])

# Output schemas stay loose: Mistral adds fields, and the SDK client rejects a result that does not match.
AGENT_OUTPUT: s.Schema = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "model": {"type": "string"},
        "version": {"type": "integer"},
        "versions": {"type": "array", "items": {"type": "integer"}},
    },
    "required": ["id", "version"],
}
VERSIONS_OUTPUT: s.Schema = {
    "type": "object",
    "properties": {
        "data": {"type": "array", "items": AGENT_OUTPUT},
        "page": {"type": "integer"},
        "page_size": {"type": "integer"},
        "has_more": {"type": "boolean"},
    },
    "required": ["data"],
}
ALIAS_OUTPUT: s.Schema = {
    "type": "object",
    "properties": {"alias": {"type": "string"}, "version": {"type": "integer"}},
    "required": ["alias", "version"],
}
ALIASES_OUTPUT: s.Schema = {
    "type": "object",
    "properties": {"data": {"type": "array", "items": ALIAS_OUTPUT}},
    "required": ["data"],
}
DELETED_OUTPUT: s.Schema = {
    "type": "object",
    "properties": {"agent_id": {"type": "string"}, "alias": {"type": "string"}, "deleted": {"type": "boolean"}},
    "required": ["agent_id", "deleted"],
}


def _tool_name(tool: dict[str, Any]) -> str:
    if tool.get("type") == "function":
        return f"function {(tool.get('function') or {}).get('name', '?')}"
    if tool.get("type") == "document_library":
        return "document_library (libraries " + ", ".join(map(str, tool.get("library_ids") or [])) + ")"
    return str(tool.get("type", "?"))


def agent_text(agent: dict[str, Any]) -> str:
    """An agent's settings as a few lines: who it is, what it runs on, what it can do."""
    lines = [f"{agent.get('id')}: {agent.get('name')} (model {agent.get('model')}, version {agent.get('version')})"]
    versions = agent.get("versions") or []
    if len(versions) > 1:
        lines.append("Versions: " + ", ".join(str(v) for v in versions))
    for label, key in (("Description", "description"), ("Version note", "version_message")):
        if agent.get(key):
            lines.append(f"{label}: {agent[key]}")
    tools = [_tool_name(t) for t in agent.get("tools") or [] if isinstance(t, dict)]
    if tools:
        lines.append("Tools: " + "; ".join(tools))
    if agent.get("handoffs"):
        lines.append("Hands off to: " + ", ".join(map(str, agent["handoffs"])))
    arguments = {k: v for k, v in (agent.get("completion_args") or {}).items() if v is not None}
    if arguments:
        lines.append("Completion arguments: " + ", ".join(f"{k}={v}" for k, v in arguments.items()))
    if agent.get("instructions"):
        lines.append(f"Instructions: {agent['instructions']}")
    return "\n".join(lines)


def render_created(call: ToolCall, agent: dict[str, Any]) -> ToolOutput:
    text = (
        f"Created agent {agent_text(agent)}\n\nTalk to it with mistral_agent_complete (agent_id {agent.get('id')}); "
        "change it with mistral_update_agent, which makes a new version."
    )
    return ToolOutput(text, agent)


async def run_update(call: ToolCall) -> ToolOutput:
    if not call.fields():
        changeable = ", ".join(name for name in UPDATE_INPUT["properties"] if name != "agent_id")
        raise ToolArgumentError(f"Give at least one argument to change besides 'agent_id': {changeable}.")
    agent: dict[str, Any] = await call.forward()
    back = "Earlier versions stay available: mistral_set_agent_version switches back."
    return ToolOutput(f"Updated agent {agent_text(agent)}\n\n{back}", agent)


def render_agent(call: ToolCall, agent: dict[str, Any]) -> ToolOutput:
    return ToolOutput(f"Agent {agent_text(agent)}", agent)


def render_deleted(call: ToolCall, reply: Any) -> ToolOutput:
    agent_id = call.arguments["agent_id"]
    return ToolOutput(f"Deleted agent {agent_id}.", {"agent_id": agent_id, "deleted": True})


async def run_list_versions(call: ToolCall) -> ToolOutput:
    page = call.arguments.get("page", 0)
    size = call.arguments.get("page_size", DEFAULT_VERSIONS_PAGE_SIZE)
    reply: Any = await call.forward({"page": page, "page_size": size})
    # Mistral answers a bare array; structured content must be an object.
    versions = [v for v in reply if isinstance(v, dict)] if isinstance(reply, list) else []
    has_more = len(versions) == size
    lines = [f"{len(versions)} version(s) of agent {call.arguments['agent_id']} on page {page}:"]
    for agent in versions:
        note = f" — {agent['version_message']}" if agent.get("version_message") else ""
        lines.append(
            f"- version {agent.get('version')}: {agent.get('name')}, model {agent.get('model')}, "
            f"updated {agent.get('updated_at')}{note}"
        )
    if not versions:
        lines = [f"No versions of agent {call.arguments['agent_id']} on page {page}."]
    if has_more:
        lines.append(f"There may be more: call again with page={page + 1}.")
    return ToolOutput("\n".join(lines), {"data": versions, "page": page, "page_size": size, "has_more": has_more})


def render_version_set(call: ToolCall, agent: dict[str, Any]) -> ToolOutput:
    return ToolOutput(f"Agent {call.arguments['agent_id']} now uses version {agent.get('version')}.", agent)


def render_alias_set(call: ToolCall, alias: dict[str, Any]) -> ToolOutput:
    agent_id = call.arguments["agent_id"]
    return ToolOutput(
        f"Alias {alias.get('alias')} of agent {agent_id} now points to version {alias.get('version')}.", alias
    )


def render_aliases(call: ToolCall, reply: Any) -> ToolOutput:
    aliases = [a for a in reply if isinstance(a, dict)] if isinstance(reply, list) else []
    agent_id = call.arguments["agent_id"]
    lines = [f"{len(aliases)} alias(es) of agent {agent_id}:"] if aliases else [f"Agent {agent_id} has no aliases."]
    lines += [f"- {a.get('alias')} → version {a.get('version')} (since {a.get('updated_at')})" for a in aliases]
    return ToolOutput("\n".join(lines), {"data": aliases})


def render_alias_deleted(call: ToolCall, reply: Any) -> ToolOutput:
    agent_id, alias = call.arguments["agent_id"], call.arguments["alias"]
    return ToolOutput(
        f"Deleted alias {alias} of agent {agent_id}.", {"agent_id": agent_id, "alias": alias, "deleted": True}
    )


TOOLS = (
    ToolSpec(
        name="mistral_create_agent",
        family="agents",
        title="Create a Mistral agent",
        description=(
            "Make a reusable Mistral agent: a model with instructions and tools Mistral runs itself (web search, "
            "code, images, search of your document libraries) or functions you run. Returns the agent and its id "
            "for mistral_agent_complete."
        ),
        input_schema=CREATE_INPUT,
        output_schema=AGENT_OUTPUT,
        method="POST",
        path=AGENTS,
        render=render_created,
    ),
    ToolSpec(
        name="mistral_update_agent",
        family="agents",
        title="Update a Mistral agent",
        description=(
            "Change an agent's model, name, instructions, tools, completion arguments or handoffs; give only what "
            "changes (a list given replaces the old one). Each update becomes a new current version; earlier "
            "versions stay available."
        ),
        input_schema=UPDATE_INPUT,
        output_schema=AGENT_OUTPUT,
        method="PATCH",
        path=AGENT,
        run=run_update,
        # Not destructive: the previous settings stay as a version that mistral_set_agent_version restores.
    ),
    ToolSpec(
        name="mistral_delete_agent",
        family="agents",
        title="Delete a Mistral agent",
        description=(
            "Permanently delete an agent with all its versions and aliases; conversations and batch jobs can no "
            "longer use it. This cannot be undone: confirm with the user first."
        ),
        input_schema=AGENT_INPUT,
        output_schema=DELETED_OUTPUT,
        method="DELETE",
        path=AGENT,
        render=render_deleted,
        destructive=True,
        idempotent=True,
    ),
    ToolSpec(
        name="mistral_list_agent_versions",
        family="agents",
        title="List a Mistral agent's versions",
        description=(
            f"The versions of one agent, a page at a time (default {DEFAULT_VERSIONS_PAGE_SIZE}), each with its "
            "settings; one line per version in the text. Use it before switching with mistral_set_agent_version."
        ),
        input_schema=VERSIONS_INPUT,
        output_schema=VERSIONS_OUTPUT,
        method="GET",
        path="/v1/agents/{agent_id}/versions",
        run=run_list_versions,
        read_only=True,
        idempotent=True,
    ),
    ToolSpec(
        name="mistral_get_agent_version",
        family="agents",
        title="Get one version of a Mistral agent",
        description=(
            "One version of an agent exactly as it was: model, instructions, tools, completion arguments. "
            "structuredContent is the agent object of that version."
        ),
        input_schema=GET_VERSION_INPUT,
        output_schema=AGENT_OUTPUT,
        method="GET",
        path="/v1/agents/{agent_id}/versions/{version}",
        render=render_agent,
        read_only=True,
        idempotent=True,
    ),
    ToolSpec(
        name="mistral_set_agent_version",
        family="agents",
        title="Switch a Mistral agent's version",
        description=(
            "Make an earlier (or later) version the one an agent uses from now on, e.g. to roll back an update. "
            "Returns the agent as it now is."
        ),
        input_schema=SET_VERSION_INPUT,
        output_schema=AGENT_OUTPUT,
        method="PATCH",
        path="/v1/agents/{agent_id}/version",
        query=frozenset({"version"}),
        render=render_version_set,
        idempotent=True,
        # Not destructive: every version is kept, so the previous one can be switched back to.
    ),
    ToolSpec(
        name="mistral_set_agent_alias",
        family="agents",
        title="Point a Mistral agent alias at a version",
        description=(
            'Create an alias such as "production" for one version of an agent, or move an existing alias to '
            "another version. Callers can then ask for the agent by alias instead of a version number."
        ),
        input_schema=SET_ALIAS_INPUT,
        output_schema=ALIAS_OUTPUT,
        method="PUT",
        path=ALIASES_PATH,
        query=frozenset({"alias", "version"}),
        render=render_alias_set,
        idempotent=True,
        # Not destructive: moving an alias leaves every version in place.
    ),
    ToolSpec(
        name="mistral_list_agent_aliases",
        family="agents",
        title="List a Mistral agent's aliases",
        description=(
            "The version aliases of one agent and the version each points to. structuredContent.data holds "
            "the aliases with their dates."
        ),
        input_schema=AGENT_INPUT,
        output_schema=ALIASES_OUTPUT,
        method="GET",
        path=ALIASES_PATH,
        render=render_aliases,
        read_only=True,
        idempotent=True,
    ),
    ToolSpec(
        name="mistral_delete_agent_alias",
        family="agents",
        title="Delete a Mistral agent alias",
        description=(
            "Remove one version alias of an agent; the version itself stays. Callers that ask for the agent by "
            "this alias will fail until it is set again."
        ),
        input_schema=DELETE_ALIAS_INPUT,
        output_schema=DELETED_OUTPUT,
        method="DELETE",
        path=ALIASES_PATH,
        render=render_alias_deleted,
        destructive=True,
        idempotent=True,
    ),
)
