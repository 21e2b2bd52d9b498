"""Conversations: start, continue (append), restart from an entry, list, get, history, messages, delete.

Each POST answers a ConversationResponse, or with ``"stream": true`` the same outputs as ConversationEvents
(``event: <type>`` lines, no ``[DONE]``: the stream ends after ``conversation.response.done``; a test can
cut it with ``cut_stream_after`` or end it in ``conversation.response.error`` with
``FakeMistral.fail_conversation_stream``). What one key starts, another does not see (``own``/``visible``).
Tests also store conversations directly with ``FakeMistral.add_conversation``.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .common import get_state, own, query_reader, read_body, resolve_model, route, visible
from .conversation_outputs import input_entries, outputs_for, stamp, stream_events, usage_of
from .errors import invalid_model, mistral_error, not_found, validation_error
from .schemas import APPEND_CONVERSATION_REQUEST, CONVERSATION_REQUEST, RESTART_CONVERSATION_REQUEST
from .state import FakeMistral
from .streaming import EventStreamResponse
from .validation import Int

_MESSAGES = ("message.input", "message.output")


def _public(conversation: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in conversation.items() if not key.startswith("_")}


def _find(request: Request) -> dict[str, Any] | None:
    conversation_id: str = request.path_params["conversation_id"]
    state = get_state(request)
    with state.lock:
        conversation = state.conversations.get(conversation_id)
    return conversation if conversation is not None and visible(request, conversation_id) else None


def _answer(
    request: Request, conversation: dict[str, Any], inputs: list[dict[str, Any]], data: dict[str, Any], handoff: Any
) -> Response:
    """Run the conversation on `inputs`, keep the entries (unless `store` is false) and answer."""
    state = get_state(request)
    by = {"agent_id": conversation.get("agent_id"), "model": conversation.get("model")}
    outputs = outputs_for(state, conversation.get("_tools") or [], inputs, by, handoff)
    usage = usage_of(inputs, outputs)
    if data.get("store") is not False:
        with state.lock:
            conversation.setdefault("_entries", []).extend([*inputs, *outputs])
            conversation["updated_at"] = stamp()
            state.conversations[conversation["id"]] = conversation
        own(request, conversation["id"])
    if data.get("stream"):
        events = stream_events(conversation["id"], outputs, usage)
        failure = state.take_conversation_failure()
        if failure is not None:
            events = [
                *events[:failure],
                {
                    "type": "conversation.response.error",
                    "created_at": stamp(),
                    "message": "Internal error",
                    "code": 3000,
                },
            ]
        cut_after = state.take_stream_cut(request.url.path)
        return EventStreamResponse(events, cut_after=cut_after, delay=state.stream_delay, named=True, done=False)
    body = {
        "object": "conversation.response",
        "conversation_id": conversation["id"],
        "outputs": outputs,
        "usage": usage,
        "guardrails": None,
    }
    return JSONResponse(body)


def _handoff(state: FakeMistral, agent: dict[str, Any]) -> dict[str, Any] | None:
    """An agent with handoffs passes the conversation to the first agent it names."""
    handoffs = agent.get("handoffs") or []
    with state.lock:
        following = state.agents.get(handoffs[0]) if handoffs else None
    if following is None:
        return None
    return {
        "previous_agent_id": agent["id"],
        "previous_agent_name": agent["name"],
        "next_agent_id": following["id"],
        "next_agent_name": following["name"],
    }


async def start(request: Request) -> Response:
    state = get_state(request)
    data = await read_body(request, CONVERSATION_REQUEST)
    if isinstance(data, Response):
        return data
    now = stamp()
    conversation: dict[str, Any] = {
        "object": "conversation",
        "id": "conv_" + uuid.uuid4().hex,
        "name": data.get("name"),
        "description": data.get("description"),
        "metadata": data.get("metadata"),
        "created_at": now,
        "updated_at": now,
    }
    handoff = None
    if bool(data.get("agent_id")) == bool(data.get("model")):
        return mistral_error(400, "Exactly one of model or agent_id must be provided", code="3000")
    if data.get("agent_id"):
        with state.lock:
            agent = state.agents.get(data["agent_id"])
        if agent is None or not visible(request, data["agent_id"]):
            return not_found("Agent", data["agent_id"])
        conversation.update(agent_id=agent["id"], agent_version=data.get("agent_version", agent.get("version")))
        conversation["_tools"] = list(agent.get("tools") or [])
        handoff = _handoff(state, agent) if data.get("handoff_execution", "server") != "client" else None
    else:
        model = resolve_model(state, data["model"])
        if model is None or not model.can("completion_chat"):
            return invalid_model(data["model"])
        conversation.update(
            model=data["model"],
            instructions=data.get("instructions"),
            tools=data.get("tools") or [],
            completion_args=data.get("completion_args") or {},
        )
        conversation["_tools"] = list(data.get("tools") or [])
    return _answer(request, conversation, input_entries(data["inputs"]), data, handoff)


async def append(request: Request) -> Response:
    data = await read_body(request, APPEND_CONVERSATION_REQUEST)
    if isinstance(data, Response):
        return data
    conversation = _find(request)
    if conversation is None:
        return not_found("Conversation", request.path_params["conversation_id"])
    if "inputs" not in data:
        return mistral_error(400, "inputs must not be empty", code="3000")
    return _answer(request, conversation, input_entries(data["inputs"]), data, None)


async def restart(request: Request) -> Response:
    data = await read_body(request, RESTART_CONVERSATION_REQUEST)
    if isinstance(data, Response):
        return data
    original = _find(request)
    if original is None:
        return not_found("Conversation", request.path_params["conversation_id"])
    entries = list(original.get("_entries") or [])
    ids = [entry.get("id") for entry in entries]
    if data["from_entry_id"] not in ids:
        return not_found("Entry", data["from_entry_id"])
    kept = entries[: ids.index(data["from_entry_id"]) + 1]
    now = stamp()
    conversation = {
        **original,
        "id": "conv_" + uuid.uuid4().hex,
        "created_at": now,
        "updated_at": now,
        "_entries": kept,
    }
    inputs = input_entries(data["inputs"]) if "inputs" in data else []
    return _answer(request, conversation, inputs, data, None)


async def list_conversations(request: Request) -> Response:
    state = get_state(request)
    query = query_reader(request)
    page = query.get("page", Int(), 0)
    page_size = query.get("page_size", Int(), 100)
    if query.errors:
        return validation_error(query.errors)
    with state.lock:
        found = [_public(c) for c in state.conversations.values() if visible(request, c["id"])]
    found.sort(key=lambda c: c["created_at"], reverse=True)
    return JSONResponse(found[page * page_size : (page + 1) * page_size])


async def get_conversation(request: Request) -> Response:
    conversation = _find(request)
    if conversation is None:
        return not_found("Conversation", request.path_params["conversation_id"])
    return JSONResponse(_public(conversation))


async def delete_conversation(request: Request) -> Response:
    conversation = _find(request)
    if conversation is None:
        return not_found("Conversation", request.path_params["conversation_id"])
    state = get_state(request)
    with state.lock:
        state.conversations.pop(conversation["id"], None)
    return Response(status_code=204)


async def history(request: Request) -> Response:
    conversation = _find(request)
    if conversation is None:
        return not_found("Conversation", request.path_params["conversation_id"])
    entries = list(conversation.get("_entries") or [])
    return JSONResponse({"object": "conversation.history", "conversation_id": conversation["id"], "entries": entries})


async def messages(request: Request) -> Response:
    conversation = _find(request)
    if conversation is None:
        return not_found("Conversation", request.path_params["conversation_id"])
    kept = [e for e in conversation.get("_entries") or [] if e.get("type") in _MESSAGES]
    return JSONResponse({"object": "conversation.messages", "conversation_id": conversation["id"], "messages": kept})


routes = [
    route("/v1/conversations", {"POST": start, "GET": list_conversations}),
    route(
        "/v1/conversations/{conversation_id}",
        {"GET": get_conversation, "POST": append, "DELETE": delete_conversation},
    ),
    route("/v1/conversations/{conversation_id}/history", {"GET": history}),
    route("/v1/conversations/{conversation_id}/messages", {"GET": messages}),
    route("/v1/conversations/{conversation_id}/restart", {"POST": restart}),
]
