"""Conversations: ``GET /v1/conversations/{conversation_id}`` (ModelConversation | AgentConversation), read
by the ``mistral://conversations/…`` resource.

Tests store conversations with ``FakeMistral.add_conversation``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .common import get_state, route, visible
from .errors import not_found


async def get_conversation(request: Request) -> Response:
    conversation_id: str = request.path_params["conversation_id"]
    state = get_state(request)
    with state.lock:
        conversation = state.conversations.get(conversation_id)
    if conversation is None or not visible(request, conversation_id):
        return not_found("Conversation", conversation_id)
    return JSONResponse(conversation)


routes = [
    route("/v1/conversations/{conversation_id}", {"GET": get_conversation}),
]
