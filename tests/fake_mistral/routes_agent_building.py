"""Building agents: create, update (a new version each time), delete, versions, aliases.

``POST /v1/agents``, ``PATCH|DELETE /v1/agents/{agent_id}``, ``PATCH /v1/agents/{agent_id}/version``,
``GET /v1/agents/{agent_id}/versions[/{version}]`` and ``PUT|GET|DELETE /v1/agents/{agent_id}/aliases``.
Every version of an agent is kept in ``FakeMistral.agent_versions``; ``FakeMistral.agents`` holds the
version in use, which ``GET /v1/agents/{agent_id}`` (routes_agents.py) answers. An agent seeded or
added by a test gets its history on first use.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .common import get_state, hex_id, paginate, query_reader, read_body, resolve_model, route
from .errors import invalid_model, not_found, validation_error
from .schemas import AGENT_ALIAS, CREATE_AGENT_REQUEST, UPDATE_AGENT_REQUEST
from .state import FakeMistral
from .validation import Int, QueryReader, Spec, error_item

_DEFAULT_COMPLETION_ARGS: dict[str, Any] = {
    "stop": None,
    "presence_penalty": None,
    "frequency_penalty": None,
    "temperature": None,
    "top_p": None,
    "max_tokens": None,
    "random_seed": None,
    "prediction": None,
    "response_format": None,
    "tool_choice": "auto",
    "reasoning_effort": None,
}
# Fields of an Agent that a version carries (the rest, id and history, belong to the agent).
_SETTINGS = (
    "instructions",
    "tools",
    "guardrails",
    "model",
    "name",
    "description",
    "handoffs",
    "metadata",
    "deployment_chat",
)


def _timestamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _required(query: QueryReader, request: Request, name: str, spec: Spec) -> Any:
    """A required query parameter, or FastAPI's ``missing`` error at ``("query", name)``."""
    if name not in request.query_params:
        query.errors.append(error_item("missing", ("query", name), "Field required", None))
        return None
    return query.get(name, spec)


def _history(state: FakeMistral, agent: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """Every stored version of `agent` (call with the lock held)."""
    return state.agent_versions.setdefault(agent["id"], {agent["version"]: dict(agent)})


def _settings(data: dict[str, Any]) -> dict[str, Any]:
    """An Agent's versioned fields from a validated request, unset ones dropped (PATCH semantics)."""
    settings = {name: data[name] for name in _SETTINGS if data.get(name) is not None}
    if data.get("completion_args") is not None:
        settings["completion_args"] = {**_DEFAULT_COMPLETION_ARGS, **data["completion_args"]}
    return settings


async def create_agent(request: Request) -> Response:
    # CreateAgentRequest -> Agent
    data = await read_body(request, CREATE_AGENT_REQUEST)
    if isinstance(data, Response):
        return data
    state = get_state(request)
    if resolve_model(state, data["model"]) is None:
        return invalid_model(data["model"])
    stamp = _timestamp()
    agent = {
        "instructions": None,
        "tools": [],
        "completion_args": dict(_DEFAULT_COMPLETION_ARGS),
        "guardrails": None,
        "description": None,
        "handoffs": None,
        "metadata": None,
        **_settings(data),
        "object": "agent",
        "id": f"ag_{hex_id()}",
        "version": 0,
        "versions": [0],
        "created_at": stamp,
        "updated_at": stamp,
        "deployment_chat": False,
        "source": "api",
        "version_message": data.get("version_message"),
    }
    with state.lock:
        state.agents[agent["id"]] = agent
        state.agent_versions[agent["id"]] = {0: dict(agent)}
    return JSONResponse(agent)


async def update_agent(request: Request) -> Response:
    # UpdateAgentRequest -> Agent, as a new version that becomes the one in use.
    data = await read_body(request, UPDATE_AGENT_REQUEST)
    if isinstance(data, Response):
        return data
    state = get_state(request)
    if data.get("model") is not None and resolve_model(state, data["model"]) is None:
        return invalid_model(data["model"])
    agent_id: str = request.path_params["agent_id"]
    with state.lock:
        current = state.agents.get(agent_id)
        if current is None:
            return not_found("Agent", agent_id)
        history = _history(state, current)
        version = max(history) + 1
        agent = {
            **current,
            **_settings(data),
            "version": version,
            "versions": [*current["versions"], version],
            "updated_at": _timestamp(),
            "version_message": data.get("version_message"),
        }
        history[version] = dict(agent)
        state.agents[agent_id] = agent
    return JSONResponse(agent)


async def delete_agent(request: Request) -> Response:
    state = get_state(request)
    agent_id: str = request.path_params["agent_id"]
    with state.lock:
        if state.agents.pop(agent_id, None) is None:
            return not_found("Agent", agent_id)
        state.agent_versions.pop(agent_id, None)
        state.agent_aliases.pop(agent_id, None)
    return Response(status_code=204)


async def set_version(request: Request) -> Response:
    # PATCH /v1/agents/{agent_id}/version?version=N: no body.
    query = query_reader(request)
    version = _required(query, request, "version", Int())
    if query.errors:
        return validation_error(query.errors)
    state = get_state(request)
    agent_id: str = request.path_params["agent_id"]
    with state.lock:
        current = state.agents.get(agent_id)
        if current is None:
            return not_found("Agent", agent_id)
        chosen = _history(state, current).get(version)
        if chosen is None:
            return not_found("Agent version", f"{agent_id}@{version}")
        agent = {**chosen, "versions": current["versions"]}
        state.agents[agent_id] = agent
    return JSONResponse(agent)


async def list_versions(request: Request) -> Response:
    query = query_reader(request)
    page = query.get("page", Int(ge=0), 0)
    page_size = query.get("page_size", Int(ge=1, le=100), 20)
    if query.errors:
        return validation_error(query.errors)
    state = get_state(request)
    agent_id: str = request.path_params["agent_id"]
    with state.lock:
        current = state.agents.get(agent_id)
        if current is None:
            return not_found("Agent", agent_id)
        history = _history(state, current)
        versions = [{**history[v], "versions": current["versions"]} for v in sorted(history, reverse=True)]
    return JSONResponse(paginate(versions, page, page_size))


async def get_version(request: Request) -> Response:
    # The path's version is a string: a version number, or an alias of one.
    state = get_state(request)
    agent_id: str = request.path_params["agent_id"]
    wanted: str = request.path_params["version"]
    with state.lock:
        current = state.agents.get(agent_id)
        if current is None:
            return not_found("Agent", agent_id)
        alias = state.agent_aliases.get(agent_id, {}).get(wanted)
        number = int(wanted) if wanted.isdigit() else alias["version"] if alias else None
        chosen = _history(state, current).get(number) if number is not None else None
        if chosen is None:
            return not_found("Agent version", f"{agent_id}@{wanted}")
        return JSONResponse({**chosen, "versions": current["versions"]})


async def set_alias(request: Request) -> Response:
    # PUT /v1/agents/{agent_id}/aliases?alias=a&version=N: no body; creates or moves the alias.
    query = query_reader(request)
    alias = _required(query, request, "alias", AGENT_ALIAS)
    version = _required(query, request, "version", Int())
    if query.errors:
        return validation_error(query.errors)
    state = get_state(request)
    agent_id: str = request.path_params["agent_id"]
    with state.lock:
        current = state.agents.get(agent_id)
        if current is None:
            return not_found("Agent", agent_id)
        if version not in _history(state, current):
            return not_found("Agent version", f"{agent_id}@{version}")
        aliases = state.agent_aliases.setdefault(agent_id, {})
        stamp = _timestamp()
        created = aliases[alias]["created_at"] if alias in aliases else stamp
        record = {"alias": alias, "version": version, "created_at": created, "updated_at": stamp}
        aliases[alias] = record
    return JSONResponse(record)


async def list_aliases(request: Request) -> Response:
    state = get_state(request)
    agent_id: str = request.path_params["agent_id"]
    with state.lock:
        if agent_id not in state.agents:
            return not_found("Agent", agent_id)
        aliases = state.agent_aliases.get(agent_id, {})
        return JSONResponse([aliases[name] for name in sorted(aliases)])


async def delete_alias(request: Request) -> Response:
    query = query_reader(request)
    alias = _required(query, request, "alias", AGENT_ALIAS)
    if query.errors:
        return validation_error(query.errors)
    state = get_state(request)
    agent_id: str = request.path_params["agent_id"]
    with state.lock:
        if agent_id not in state.agents:
            return not_found("Agent", agent_id)
        if state.agent_aliases.get(agent_id, {}).pop(alias, None) is None:
            return not_found("Agent alias", alias)
    return Response(status_code=204)


routes = [
    route("/v1/agents", {"POST": create_agent}),
    route("/v1/agents/{agent_id}", {"PATCH": update_agent, "DELETE": delete_agent}),
    route("/v1/agents/{agent_id}/version", {"PATCH": set_version}),
    route("/v1/agents/{agent_id}/versions", {"GET": list_versions}),
    route("/v1/agents/{agent_id}/versions/{version}", {"GET": get_version}),
    route("/v1/agents/{agent_id}/aliases", {"PUT": set_alias, "GET": list_aliases, "DELETE": delete_alias}),
]
