"""Embeddings: `mistral_embed`."""

from __future__ import annotations

import math
from typing import Any

from server.tools import schemas as s
from server.tools.formatting import usage_of
from server.tools.paths import EMBEDDINGS
from server.tools.spec import ToolCall, ToolOutput, ToolSpec

DEFAULT_EMBED_MODEL = "mistral-embed"
_PREVIEW_VALUES = 4
_PREVIEW_ITEMS = 20

EMBED_INPUT = s.object_schema(
    {
        "model": {
            **s.MODEL,
            "description": f"Embedding model (default {DEFAULT_EMBED_MODEL}; codestral-embed for code).",
        },
        "input": {**s.TEXT_INPUT, "description": "A text or a list of texts to embed."},
        "output_dimension": {"type": "integer", "exclusiveMinimum": 0, "description": "Vector size (codestral-embed)."},
        "output_dtype": {"type": "string", "enum": ["float", "int8", "uint8", "binary", "ubinary"]},
        "encoding_format": {"type": "string", "enum": ["float", "base64"]},
        "metadata": s.METADATA,
    },
    required=["input"],
)


EMBED_OUTPUT: s.Schema = {
    "type": "object",
    "properties": {
        "model": {"type": "string"},
        "data": {"type": "array", "items": {"type": "object", "properties": {"index": {"type": "integer"}}}},
        "usage": {"type": "object"},
    },
    "required": ["data"],
}


def _preview(item: dict[str, Any], text: str | None) -> str:
    vector = item.get("embedding")
    label = f" {text[:40]!r}" if text is not None else ""
    if not isinstance(vector, list):
        return f"[{item.get('index', '?')}]{label}: encoded vector"
    head = ", ".join(f"{v:.4f}" if isinstance(v, float) else str(v) for v in vector[:_PREVIEW_VALUES])
    numeric = [v for v in vector if isinstance(v, (int, float))]
    norm = math.sqrt(sum(v * v for v in numeric))
    return f"[{item.get('index', '?')}]{label}: dim {len(vector)}, [{head}, …], norm {norm:.3f}"


async def run_embed(call: ToolCall) -> ToolOutput:
    body = call.fields()
    body.setdefault("model", DEFAULT_EMBED_MODEL)
    response: dict[str, Any] = await call.forward(body)
    texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
    data = response.get("data") or []
    lines = [f"{len(data)} embedding(s) from {response.get('model', body['model'])}:"]
    for item in data[:_PREVIEW_ITEMS]:
        index = item.get("index", 0)
        lines.append(_preview(item, texts[index] if isinstance(index, int) and index < len(texts) else None))
    if len(data) > _PREVIEW_ITEMS:
        lines.append(f"… and {len(data) - _PREVIEW_ITEMS} more.")
    lines.append("The full vectors are in structuredContent.data[].embedding.")
    return ToolOutput("\n".join(lines), response, usage_of(response))


TOOLS = (
    ToolSpec(
        name="mistral_embed",
        family="embeddings",
        title="Embed texts with Mistral",
        description=(
            "Turn a text or a list of texts into embedding vectors for search, clustering or similarity. "
            "The text summarises each vector (dimension, first values, norm); "
            f"structuredContent holds the full vectors. Default model: {DEFAULT_EMBED_MODEL}."
        ),
        input_schema=EMBED_INPUT,
        output_schema=EMBED_OUTPUT,
        method="POST",
        path=EMBEDDINGS,
        run=run_embed,
        read_only=True,
        idempotent=True,
    ),
)
