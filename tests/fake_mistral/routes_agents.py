"""Agents: ``GET /v1/agents`` (a bare JSON array of Agent) and ``GET /v1/agents/{agent_id}``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .common import get_state, paginate, query_reader, route, visible
from .errors import not_found, validation_error
from .validation import Bool, Enum, Int, Str

_REQUEST_SOURCES = ("api", "playground", "agent_builder_v1")  # RequestSource


async def list_agents(request: Request) -> Response:
    # Query parameters of agents_api_v1_agents_list.
    query = query_reader(request)
    page = query.get("page", Int(ge=0), 0)
    page_size = query.get("page_size", Int(ge=1, le=1000), 20)
    name = query.get("name", Str())
    search = query.get("search", Str())
    agent_id = query.get("id", Str())
    deployment_chat = query.get("deployment_chat", Bool())
    sources = query.get_list("sources", Enum(_REQUEST_SOURCES))
    if query.errors:
        return validation_error(query.errors)
    state = get_state(request)
    with state.lock:
        agents = [dict(agent) for agent in state.agents.values() if visible(request, agent["id"])]
    if name is not None:
        agents = [a for a in agents if a["name"] == name]
    if search is not None:
        agents = [a for a in agents if search.lower() in (a["name"] + " " + a["id"]).lower()]
    if agent_id is not None:
        agents = [a for a in agents if a["id"] == agent_id]
    if deployment_chat is not None:
        agents = [a for a in agents if a["deployment_chat"] == deployment_chat]
    if sources:
        agents = [a for a in agents if a["source"] in sources]
    return JSONResponse(paginate(agents, page, page_size))


async def get_agent(request: Request) -> Response:
    query = query_reader(request)
    version = query.get("agent_version", Int(ge=0))
    if query.errors:
        return validation_error(query.errors)
    state = get_state(request)
    agent_id: str = request.path_params["agent_id"]
    with state.lock:
        agent = state.agents.get(agent_id)
    if agent is None or not visible(request, agent_id) or (version is not None and version not in agent["versions"]):
        return not_found("Agent", agent_id)
    return JSONResponse(agent)


routes = [
    route("/v1/agents", {"GET": list_agents}),
    route("/v1/agents/{agent_id}", {"GET": get_agent}),
]
