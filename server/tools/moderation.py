"""Moderation: `mistral_moderate`, of texts or of a conversation."""

from __future__ import annotations

from typing import Any

from server.errors import ToolArgumentError
from server.tools import schemas as s
from server.tools.formatting import usage_of
from server.tools.paths import CHAT_MODERATIONS, MODERATIONS
from server.tools.spec import Operation, ToolCall, ToolOutput, ToolSpec

DEFAULT_MODERATION_MODEL = "mistral-moderation-latest"

MODERATE_INPUT = s.object_schema(
    {
        "model": {**s.MODEL, "description": f"Moderation model (default {DEFAULT_MODERATION_MODEL})."},
        "input": {**s.TEXT_INPUT, "description": "A text or list of texts to classify (raw text moderation)."},
        "messages": {
            **s.MESSAGES,
            "description": "A conversation to moderate in context (its last message is judged); instead of `input`.",
        },
    },
    oneOf=[{"required": ["input"]}, {"required": ["messages"]}],
)


MODERATE_OUTPUT: s.Schema = {
    "type": "object",
    "properties": {"model": {"type": "string"}, "results": {"type": "array", "items": {"type": "object"}}},
    "required": ["results"],
}


def _result_line(position: int, result: dict[str, Any]) -> str:
    categories = result.get("categories") or {}
    scores = result.get("category_scores") or {}
    flagged = [name for name, hit in categories.items() if hit]
    if flagged:
        shown = ", ".join(f"{name} ({scores.get(name, 0):.2f})" for name in flagged)
        return f"[{position}] FLAGGED: {shown}"
    if scores:
        top, score = max(scores.items(), key=lambda kv: kv[1])
        return f"[{position}] not flagged (highest score: {top} {score:.2f})"
    return f"[{position}] not flagged"


async def run_moderate(call: ToolCall) -> ToolOutput:
    if "messages" in call.arguments and "input" in call.arguments:
        raise ToolArgumentError("Give either `input` (texts) or `messages` (a conversation), not both.")
    body = {"model": DEFAULT_MODERATION_MODEL, **call.fields()}
    if "messages" in call.arguments:
        # A conversation goes to chat moderation as its `input`.
        response: dict[str, Any] = await call.forward({**body, "input": call.arguments["messages"]}, alternate=True)
    else:
        response = await call.forward(body)
    results = response.get("results") or []
    lines = [_result_line(i, r) for i, r in enumerate(results)] or ["Mistral returned no results."]
    return ToolOutput("\n".join(lines), response, usage_of(response))


TOOLS = (
    ToolSpec(
        name="mistral_moderate",
        family="moderation",
        title="Moderate text with Mistral",
        description=(
            "Check texts (`input`) or a conversation (`messages`) against Mistral's moderation categories "
            "(sexual, hate_and_discrimination, violence_and_threats, dangerous_and_criminal_content, selfharm, "
            "health, financial, law, pii). Returns which categories are flagged with their scores; "
            "structuredContent holds the full response."
        ),
        input_schema=MODERATE_INPUT,
        output_schema=MODERATE_OUTPUT,
        method="POST",
        path=MODERATIONS,
        alternate=Operation("POST", CHAT_MODERATIONS),
        tool_only=frozenset({"messages"}),
        run=run_moderate,
        read_only=True,
        idempotent=True,
    ),
)
