"""Agents: ``GET /v1/agents`` (deprecated: a bare JSON array of Agent), ``GET /v1/agents/pages`` (an
AgentListPage with an opaque cursor) and ``GET /v1/agents/{agent_id}``."""

from __future__ import annotations

import base64
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .common import get_state, paginate, query_reader, route, visible
from .errors import not_found, validation_error
from .validation import Bool, Enum, Int, QueryReader, Str, error_item

_REQUEST_SOURCES = ("api", "playground", "agent_builder_v1")  # RequestSource
_CURSOR_PREFIX = "agents-after:"


def _filtered(request: Request, query: QueryReader) -> list[dict[str, Any]]:
    """The agents the filters both list operations share let through, oldest first."""
    name = query.get("name", Str())
    search = query.get("search", Str())
    agent_id = query.get("id", Str())
    deployment_chat = query.get("deployment_chat", Bool())
    sources = query.get_list("sources", Enum(_REQUEST_SOURCES))
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
    return agents


async def list_agents(request: Request) -> Response:
    # Query parameters of agents_api_v1_agents_list.
    query = query_reader(request)
    page = query.get("page", Int(ge=0), 0)
    page_size = query.get("page_size", Int(ge=1, le=1000), 20)
    agents = _filtered(request, query)
    if query.errors:
        return validation_error(query.errors)
    return JSONResponse(paginate(agents, page, page_size))


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{offset}".encode()).decode()


def _offset(token: str) -> int | None:
    try:
        decoded = base64.urlsafe_b64decode(token.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    number = decoded.removeprefix(_CURSOR_PREFIX)
    return int(number) if decoded.startswith(_CURSOR_PREFIX) and number.isdigit() else None


async def list_agent_pages(request: Request) -> Response:
    # Query parameters of agents_api_v1_agents_list_pages: a cursor instead of a page number.
    query = query_reader(request)
    page_size = query.get("page_size", Int(ge=1, le=1000), 20)
    token = query.get("page_token", Str())
    agents = _filtered(request, query)
    offset = 0 if token is None else _offset(token)
    if offset is None:
        query.errors.append(error_item("value_error", ("query", "page_token"), "Invalid page token", token))
    if query.errors or offset is None:
        return validation_error(query.errors)
    page = agents[offset : offset + page_size]
    more = offset + page_size < len(agents)
    return JSONResponse(
        {"object": "list", "data": page, "next_page_token": _cursor(offset + page_size) if more else None}
    )


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
    route("/v1/agents/pages", {"GET": list_agent_pages}),  # before the {agent_id} route it would match
    route("/v1/agents/{agent_id}", {"GET": get_agent}),
]
