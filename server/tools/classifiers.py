"""Classification: `mistral_classify` (POST /v1/classifications and /v1/chat/classifications)."""

from __future__ import annotations

from typing import Any

from server.errors import ToolArgumentError
from server.tools import schemas as s
from server.tools.formatting import usage_of
from server.tools.registry import ToolCall, ToolOutput, ToolSpec

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
        body: dict[str, Any] = {**call.pick(("model", "input", "metadata"))}
        response: dict[str, Any] = await call.post("/v1/classifications", body)
    elif "metadata" in call.arguments:
        raise ToolArgumentError("Argument 'metadata' goes with `input` (texts) only; Mistral refuses it for chats.")
    else:
        conversations = call.arguments.get("conversations") or [call.arguments["messages"]]
        chats: Any = [{"messages": c} for c in conversations]
        # One conversation travels as a single InstructRequest, as Mistral documents it.
        response = await call.post(
            "/v1/chat/classifications", {"model": model, "input": chats if len(chats) > 1 else chats[0]}
        )
    results = [r for r in response.get("results") or [] if isinstance(r, dict)]
    lines = [_result_line(i, r) for i, r in enumerate(results)] or ["Mistral returned no results."]
    head = f"Top scores per target from {response.get('model', model)}:"
    return ToolOutput("\n".join([head, *lines]), response, usage_of(response))


TOOLS = (
    ToolSpec(
        name="mistral_classify",
        title="Classify texts or conversations with a Mistral classifier",
        description=(
            "Score texts (`input`) or conversations (`messages`, or several `conversations`) with a classifier model: "
            "your fine-tuned classifier or Mistral's moderation model (POST /v1/classifications, or "
            "/v1/chat/classifications for conversations). Returns the top labels with scores per target for each "
            "item; structuredContent.results holds every score. For safety categories use mistral_moderate."
        ),
        input_schema=CLASSIFY_INPUT,
        output_schema=OUTPUT,
        run=run_classify,
        endpoint="POST /v1/classifications, POST /v1/chat/classifications",
        read_only=True,
        idempotent=True,
    ),
)
