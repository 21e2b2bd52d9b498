"""Classification: `mistral_classify`, of texts or of conversations."""

from __future__ import annotations

from typing import Any

from server.errors import ToolArgumentError
from server.tools import schemas as s
from server.tools.formatting import usage_of
from server.tools.paths import CHAT_CLASSIFICATIONS, CLASSIFICATIONS
from server.tools.spec import Operation, ToolCall, ToolOutput, ToolSpec

_SHOWN_LABELS = 3

CLASSIFY_INPUT = s.object_schema(
    {
        "model": {
            **s.MODEL,
            "description": 'Classifier model: your fine-tuned classifier ("ft:…") or "mistral-moderation-latest".',
        },
        "input": {**s.TEXT_INPUT, "description": "A text or a list of texts to classify."},
        "messages": {**s.MESSAGES, "description": "One conversation to classify; instead of `input`."},
        "conversations": {
            "type": "array",
            "minItems": 1,
            "maxItems": 512,
            "items": s.MESSAGES,
            "description": "Several conversations (each a list of messages) to classify; instead of `input`.",
        },
        "metadata": {**s.METADATA, "description": "With `input` only: free-form metadata stored by Mistral."},
    },
    required=["model"],
    oneOf=[{"required": ["input"]}, {"required": ["messages"]}, {"required": ["conversations"]}],
)

OUTPUT: s.Schema = {
    "type": "object",
    "properties": {"id": {"type": "string"}, "model": {"type": "string"}, "results": {"type": "array"}},
    "required": ["results"],
}


def _result_line(position: int, result: dict[str, Any]) -> str:
    targets = []
    for target, outcome in result.items():
        scores = (outcome or {}).get("scores") or {}
        best = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)[:_SHOWN_LABELS]
        shown = ", ".join(f"{label} {score:.2f}" for label, score in best)
        targets.append(f"{target}: {shown}" if shown else f"{target}: no scores")
    return f"[{position}] " + ("; ".join(targets) or "no result")


async def run_classify(call: ToolCall) -> ToolOutput:
    model = call.arguments["model"]
    if "input" in call.arguments:
        response: dict[str, Any] = await call.forward()
    elif "metadata" in call.arguments:
        raise ToolArgumentError("Argument 'metadata' goes with `input` (texts) only; Mistral refuses it for chats.")
    else:
        conversations = call.arguments.get("conversations") or [call.arguments["messages"]]
        chats: Any = [{"messages": c} for c in conversations]
        # One conversation travels as a single InstructRequest, as Mistral documents it.
        response = await call.forward({"model": model, "input": chats if len(chats) > 1 else chats[0]}, alternate=True)
    results = [r for r in response.get("results") or [] if isinstance(r, dict)]
    lines = [_result_line(i, r) for i, r in enumerate(results)] or ["Mistral returned no results."]
    head = f"Top scores per target from {response.get('model', model)}:"
    return ToolOutput("\n".join([head, *lines]), response, usage_of(response))


TOOLS = (
    ToolSpec(
        name="mistral_classify",
        family="moderation",
        title="Classify texts or conversations with a Mistral classifier",
        description=(
            "Score texts (`input`) or conversations (`messages`, or several `conversations`) with a classifier model: "
            "your fine-tuned classifier or Mistral's moderation model. Returns the top labels with scores per target "
            "for each item. For safety categories use mistral_moderate."
        ),
        input_schema=CLASSIFY_INPUT,
        output_schema=OUTPUT,
        method="POST",
        path=CLASSIFICATIONS,
        alternate=Operation("POST", CHAT_CLASSIFICATIONS),
        tool_only=frozenset({"messages", "conversations"}),
        run=run_classify,
        read_only=True,
        idempotent=True,
    ),
)
