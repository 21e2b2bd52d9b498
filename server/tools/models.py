"""Models: `mistral_list_models`, `mistral_get_model`, `mistral_delete_model`."""

from __future__ import annotations

from typing import Any

from server.tools import schemas as s
from server.tools.spec import ToolCall, ToolOutput, ToolSpec
from server.upstream.client import MODELS_PATH

MODEL_PATH = "/v1/models/{model_id}"

# Friendly capability names -> the ModelCapabilities flag each one reads.
CAPABILITIES = {
    "chat": "completion_chat",
    "function_calling": "function_calling",
    "reasoning": "reasoning",
    "fim": "completion_fim",
    "fine_tuning": "fine_tuning",
    "vision": "vision",
    "ocr": "ocr",
    "classification": "classification",
    "moderation": "moderation",
    "audio": "audio",
    "audio_transcription": "audio_transcription",
}
# Mistral has no capability flag for embeddings; embedding models are named for it.
EMBEDDINGS = "embeddings"

LIST_INPUT = s.object_schema(
    {
        "capability": {
            "type": "string",
            "enum": [*CAPABILITIES, EMBEDDINGS],
            "description": "Only models with this capability (embeddings: models whose id contains 'embed').",
        },
        "search": {"type": "string", "minLength": 1, "description": "Only models whose id contains this text."},
        "fine_tuned_only": {"type": "boolean", "description": "Only your fine-tuned models."},
    }
)
MODEL_INPUT = s.object_schema({"model_id": s.MODEL_ID}, required=["model_id"])

_MODEL_CARD: s.Schema = {
    "type": "object",
    "properties": {"id": {"type": "string"}, "capabilities": {"type": "object"}},
    "required": ["id"],
}
LIST_OUTPUT: s.Schema = {
    "type": "object",
    "properties": {"data": {"type": "array", "items": _MODEL_CARD}, "total_listed": {"type": "integer"}},
    "required": ["data"],
}
DELETE_OUTPUT: s.Schema = {
    "type": "object",
    "properties": {"id": {"type": "string"}, "deleted": {"type": "boolean"}},
    "required": ["id"],
}


def has_capability(card: dict[str, Any], capability: str) -> bool:
    """Whether a model card has one of the friendly capabilities (`CAPABILITIES` or embeddings)."""
    if capability == EMBEDDINGS:
        return "embed" in str(card.get("id", ""))
    return bool((card.get("capabilities") or {}).get(CAPABILITIES[capability]))


def capabilities_of(card: dict[str, Any]) -> list[str]:
    """The friendly names of what a model card can do."""
    return [name for name in (*CAPABILITIES, EMBEDDINGS) if has_capability(card, name)]


def _line(card: dict[str, Any]) -> str:
    parts = [", ".join(capabilities_of(card)) or "no listed capabilities"]
    if card.get("max_context_length"):
        parts.append(f"context {card['max_context_length']:,}")
    if card.get("type") == "fine-tuned":
        parts.append(f"fine-tuned from {card.get('root')}" + (", archived" if card.get("archived") else ""))
    if card.get("deprecation"):
        parts.append(f"deprecated {card['deprecation']}")
    return f"- {card.get('id')}: " + "; ".join(parts)


def render_models(call: ToolCall, response: dict[str, Any]) -> ToolOutput:
    cards = [c for c in response.get("data") or [] if isinstance(c, dict)]
    total = len(cards)
    if "capability" in call.arguments:
        cards = [c for c in cards if has_capability(c, call.arguments["capability"])]
    if "search" in call.arguments:
        cards = [c for c in cards if call.arguments["search"].lower() in str(c.get("id", "")).lower()]
    if call.arguments.get("fine_tuned_only"):
        cards = [c for c in cards if c.get("type") == "fine-tuned"]
    head = f"{len(cards)} of {total} models" if len(cards) != total else f"{total} models"
    allowed = call.allowed_models
    if allowed is None:
        lines = [_line(c) for c in cards]
    else:  # every model is listed; the ones this connection may run are marked
        head += f" (this connection may run only the ones marked [allowed]: {', '.join(sorted(allowed))})"
        lines = [_line(c) + (" [allowed]" if c.get("id") in allowed else "") for c in cards]
    text = "\n".join([f"{head}:", *lines]) if cards else f"No model matches (of {total})."
    structured = {**response, "data": cards, "total_listed": total}
    if allowed is not None:
        structured["allowed_models"] = sorted(allowed)
    return ToolOutput(text, structured)


def render_model(call: ToolCall, card: dict[str, Any]) -> ToolOutput:
    lines = [_line(card)]
    if card.get("description"):
        lines.append(str(card["description"]))
    if card.get("aliases"):
        lines.append("Aliases: " + ", ".join(card["aliases"]))
    return ToolOutput("\n".join(lines), card)


def render_deleted(call: ToolCall, response: dict[str, Any]) -> ToolOutput:
    model_id = call.arguments["model_id"]
    done = response.get("deleted", True)
    return ToolOutput(f"Deleted model {model_id}." if done else f"Mistral did not delete {model_id}.", response)


TOOLS = (
    ToolSpec(
        name="mistral_list_models",
        family="models",
        title="List Mistral models",
        description=(
            "List the models this Mistral key can use, including your fine-tuned models. "
            "Filter by `capability` (chat, function_calling, vision, fim, ocr, embeddings, fine_tuning, …), by "
            "id text (`search`), or to fine-tuned models only. Use it to pick a model id for the other tools. "
            "Returns one line per model (capabilities, context length); structuredContent.data holds the model cards."
        ),
        input_schema=LIST_INPUT,
        output_schema=LIST_OUTPUT,
        method="GET",
        path=MODELS_PATH,
        # Mistral lists every model at once: the filters apply to its list here.
        tool_only=frozenset({"capability", "search", "fine_tuned_only"}),
        render=render_models,
        read_only=True,
        idempotent=True,
    ),
    ToolSpec(
        name="mistral_get_model",
        family="models",
        title="Get a Mistral model",
        description=(
            "Details of one model: capabilities, context length, aliases, "
            "deprecation, and for fine-tuned models the base model and job. structuredContent is the model card."
        ),
        input_schema=MODEL_INPUT,
        output_schema=_MODEL_CARD,
        method="GET",
        path=MODEL_PATH,
        render=render_model,
        read_only=True,
        idempotent=True,
    ),
    ToolSpec(
        name="mistral_delete_model",
        family="models",
        title="Delete a fine-tuned Mistral model",
        description=(
            "Permanently delete one of your fine-tuned models (ids start with 'ft:'). "
            "Base models cannot be deleted. This cannot be undone: confirm with the user first."
        ),
        input_schema=MODEL_INPUT,
        output_schema=DELETE_OUTPUT,
        method="DELETE",
        path=MODEL_PATH,
        render=render_deleted,
        destructive=True,
        idempotent=True,
    ),
)
