"""Chat, FIM and agents completions, JSON or streamed (server-sent events)."""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .common import get_state, hex_id, read_body, resolve_model, route
from .errors import invalid_model, mistral_error, not_found
from .generation import plan_chat, plan_fim
from .reply_shapes import Reply, plain, shaped
from .schemas import AGENTS_COMPLETION_REQUEST, CHAT_COMPLETION_REQUEST, FIM_COMPLETION_REQUEST
from .state import FakeMistral
from .streaming import EventStreamResponse, completion_chunks


def _message_order_error(messages: list[dict[str, Any]]) -> Response | None:
    """The real API refuses a conversation that does not end with user/tool (or a prefix)."""
    last = messages[-1] if messages else None
    role = last.get("role") if last else None
    if role in ("user", "tool") or (role == "assistant" and last and last.get("prefix")):
        return None
    return mistral_error(
        400,
        f"Expected last role User or Tool (or Assistant with prefix True) for serving but got {role}",
        type_="invalid_request_message_order",
        code="3230",
    )


def _respond(request: Request, state: FakeMistral, data: dict[str, Any], reply: Reply, model: str) -> Response:
    """ChatCompletionResponse, or a CompletionEvent stream when ``stream`` is true."""
    completion_id = hex_id()
    created = int(time.time())
    n = data.get("n") or 1
    if data.get("stream"):
        events = completion_chunks(completion_id=completion_id, model=model, created=created, reply=reply, n=n)
        cut_after = state.take_stream_cut(request.url.path)
        return EventStreamResponse(events, cut_after=cut_after, delay=state.stream_delay)
    return JSONResponse(
        {
            "id": completion_id,
            "object": "chat.completion",
            "model": model,
            "created": created,
            "usage": reply.usage,
            "choices": [reply.choice(index) for index in range(n)],
        }
    )


def _chat_reply(state: FakeMistral, data: dict[str, Any], extra_tools: list[dict[str, Any]]) -> Reply:
    """The plain fake's answer, or the reply shape a test chose once no function call is due."""
    with state.lock:
        # A model given its own reply (model comparisons) answers with it; any other, the fake's.
        reply, configured = state.chat_replies.get(data.get("model", ""), state.chat_reply), state.tool_call_reply
        shape, options = state.reply_shape, dict(state.reply_options)
    completion = plan_chat(data, reply=reply, configured_tool_calls=configured, extra_tools=extra_tools)
    if completion.tool_calls:
        return plain(completion)
    return shaped(shape, options, data, completion, reply, [*extra_tools, *(data.get("tools") or [])])


async def chat_completions(request: Request) -> Response:
    state = get_state(request)
    data = await read_body(request, CHAT_COMPLETION_REQUEST)
    if isinstance(data, Response):
        return data
    model = resolve_model(state, data["model"])
    if model is None or not model.can("completion_chat"):
        return invalid_model(data["model"])
    if (error := _message_order_error(data["messages"])) is not None:
        return error
    return _respond(request, state, data, _chat_reply(state, data, []), data["model"])


async def fim_completions(request: Request) -> Response:
    state = get_state(request)
    data = await read_body(request, FIM_COMPLETION_REQUEST)
    if isinstance(data, Response):
        return data
    model = resolve_model(state, data["model"])
    if model is None or not model.can("completion_fim"):
        return invalid_model(data["model"])
    with state.lock:
        reply = state.fim_reply
    return _respond(request, state, data, plain(plan_fim(data, reply=reply)), data["model"])


async def agents_completions(request: Request) -> Response:
    state = get_state(request)
    data = await read_body(request, AGENTS_COMPLETION_REQUEST)
    if isinstance(data, Response):
        return data
    with state.lock:
        agent = state.agents.get(data["agent_id"])
    if agent is None:
        return not_found("Agent", data["agent_id"])
    if (error := _message_order_error(data["messages"])) is not None:
        return error
    return _respond(request, state, data, _chat_reply(state, data, list(agent.get("tools") or [])), agent["model"])


routes = [
    route("/v1/chat/completions", {"POST": chat_completions}),
    route("/v1/fim/completions", {"POST": fim_completions}),
    route("/v1/agents/completions", {"POST": agents_completions}),
]
