"""Deterministic fake inference: replies, tool calls, token counts, embeddings, scores.

Nothing here is random across runs: vectors and scores derive from a SHA-256 of
the input, so tests can compare values between calls.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import random
import re
import secrets
import string
import struct
from dataclasses import dataclass
from typing import Any

MODERATION_CATEGORIES = (
    "sexual",
    "hate_and_discrimination",
    "violence_and_threats",
    "dangerous_and_criminal_content",
    "selfharm",
    "health",
    "financial",
    "law",
    "pii",
)
# Words that make a category fire, so tests can see a flagged result.
_TRIGGERS = {
    "sexual": r"\b(sex|nude|porn)",
    "hate_and_discrimination": r"\b(hate|racist|slur)",
    "violence_and_threats": r"\b(kill|murder|shoot|stab)",
    "dangerous_and_criminal_content": r"\b(bomb|explosive|steal|weapon)",
    "selfharm": r"\b(suicide|self-harm|hurt myself)",
    "health": r"\b(diagnos|symptom|medication)",
    "financial": r"\b(invest|stock tip|loan)",
    "law": r"\b(lawsuit|lawyer|sue )",
    "pii": r"\b(ssn|passport number|credit card)",
}
FLAG_THRESHOLD = 0.5
_PIECE = re.compile(r"\S+\s*|\s+")


def count_tokens(text: str) -> int:
    """The fake's tokenizer: one token per whitespace-separated piece."""
    return len(text.split())


def pieces(text: str) -> list[str]:
    """Split text into word pieces that concatenate back to the original."""
    return _PIECE.findall(text)


def content_text(content: Any) -> str:
    """Text of a message ``content``: a string or a list of chunks (only text counts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(chunk.get("text", "") for chunk in content if isinstance(chunk, dict))
    return ""


def messages_text(messages: list[dict[str, Any]]) -> str:
    return "\n".join(content_text(message.get("content")) for message in messages)


@dataclass
class Completion:
    """What the fake model "generated" for one choice."""

    content: str
    tool_calls: list[dict[str, Any]] | None
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int

    @property
    def usage(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
        }


def new_tool_call_id() -> str:
    """Mistral tool-call ids are 9 alphanumeric characters."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(9))


def apply_limits(text: str, stop: str | list[str] | None, max_tokens: int | None) -> tuple[str, str]:
    """Cut ``text`` at the first stop sequence and at ``max_tokens``; return (text, finish_reason)."""
    stops = [stop] if isinstance(stop, str) else list(stop or [])
    cut = min((text.find(s) for s in stops if s and s in text), default=-1)
    if cut >= 0:
        text = text[:cut]
    if max_tokens is not None and count_tokens(text) > max_tokens:
        words = [piece for piece in pieces(text) if piece.strip()]
        return "".join(words[:max_tokens]).rstrip(), "length"
    return text, "stop"


def sample_from_schema(schema: dict[str, Any], reply: str) -> Any:
    """A minimal instance of a JSON schema (strings get the configured reply)."""
    kind = schema.get("type")
    if schema.get("enum"):
        return schema["enum"][0]
    if kind == "object" or "properties" in schema:
        properties: dict[str, Any] = schema.get("properties") or {}
        if not properties:
            return {"answer": reply}
        return {name: sample_from_schema(sub, reply) for name, sub in properties.items()}
    if kind == "array":
        return [sample_from_schema(schema.get("items") or {"type": "string"}, reply)]
    return {"integer": 1, "number": 1.0, "boolean": True, "null": None}.get(str(kind), reply)


def json_reply(reply: str, response_format: dict[str, Any] | None) -> str | None:
    """The reply as a JSON document when JSON mode is asked for, else None."""
    kind = (response_format or {}).get("type")
    if kind == "json_object":
        return json.dumps({"answer": reply})
    if kind == "json_schema":
        schema = ((response_format or {}).get("json_schema") or {}).get("schema") or {}
        return json.dumps(sample_from_schema(schema, reply))
    return None


def _normalise_tool_call(call: dict[str, Any], index: int) -> dict[str, Any]:
    function = dict(call.get("function") or {})
    arguments = function.get("arguments", "{}")
    function["arguments"] = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {
        "id": call.get("id") or new_tool_call_id(),
        "type": call.get("type", "function"),
        "function": function,
        "index": call.get("index", index),
    }


def plan_tool_calls(
    tools: list[dict[str, Any]],
    tool_choice: Any,
    last_role: str | None,
    configured: list[dict[str, Any]] | None,
) -> list[dict[str, Any]] | None:
    """Tool calls the fake model makes, or None to answer with text.

    With tools and ``tool_choice != "none"`` the model calls a tool, except right
    after a ``tool`` message under ``tool_choice="auto"`` (it then answers with
    text, so agent loops terminate).
    """
    function_tools = [tool for tool in tools if tool.get("type", "function") == "function"]
    if not function_tools or tool_choice == "none":
        return None
    forced = isinstance(tool_choice, dict) or tool_choice in ("any", "required")
    if last_role == "tool" and not forced:
        return None
    if configured:
        calls = configured
    elif isinstance(tool_choice, dict):
        calls = [{"function": {"name": tool_choice["function"]["name"], "arguments": "{}"}}]
    else:
        calls = [{"function": {"name": function_tools[0]["function"]["name"], "arguments": "{}"}}]
    return [_normalise_tool_call(call, index) for index, call in enumerate(calls)]


def plan_chat(
    data: dict[str, Any],
    *,
    reply: str,
    configured_tool_calls: list[dict[str, Any]] | None,
    extra_tools: list[dict[str, Any]] | None = None,
) -> Completion:
    """The completion for a validated ChatCompletionRequest / AgentsCompletionRequest."""
    messages: list[dict[str, Any]] = data["messages"]
    prompt_tokens = max(1, count_tokens(messages_text(messages)) + 3 * len(messages))
    tools = [*(extra_tools or []), *(data.get("tools") or [])]
    last_role = messages[-1].get("role") if messages else None
    tool_calls = plan_tool_calls(tools, data.get("tool_choice", "auto"), last_role, configured_tool_calls)
    if tool_calls:
        arguments = " ".join(call["function"]["arguments"] for call in tool_calls)
        return Completion("", tool_calls, "tool_calls", prompt_tokens, max(1, count_tokens(arguments)) + 4)
    text = json_reply(reply, data.get("response_format")) or reply
    text, finish_reason = apply_limits(text, data.get("stop"), data.get("max_tokens"))
    return Completion(text, None, finish_reason, prompt_tokens, count_tokens(text))


def plan_fim(data: dict[str, Any], *, reply: str) -> Completion:
    """The completion for a validated FIMCompletionRequest."""
    prompt_tokens = max(1, count_tokens(data["prompt"]) + count_tokens(data.get("suffix") or ""))
    text, finish_reason = apply_limits(reply, data.get("stop"), data.get("max_tokens"))
    return Completion(text, None, finish_reason, prompt_tokens, count_tokens(text))


# --- embeddings --------------------------------------------------------------------


def _rng(*parts: str) -> random.Random:
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def unit_vector(text: str, dimension: int) -> list[float]:
    """A deterministic unit-length vector for ``text``."""
    rng = _rng("embedding", text)
    raw = [rng.gauss(0.0, 1.0) for _ in range(dimension)]
    norm = math.sqrt(sum(x * x for x in raw)) or 1.0
    return [round(x / norm, 8) for x in raw]


def quantise(vector: list[float], dtype: str) -> list[float] | list[int]:
    """Apply EmbeddingDtype: float, int8, uint8, binary (packed bits, signed) or ubinary."""
    if dtype == "float":
        return vector
    peak = max((abs(x) for x in vector), default=1.0) or 1.0
    if dtype in ("int8", "uint8"):
        signed = [max(-128, min(127, round(x / peak * 127))) for x in vector]
        return signed if dtype == "int8" else [x + 128 for x in signed]
    packed: list[int] = []
    for start in range(0, len(vector), 8):
        byte = 0
        for bit, value in enumerate(vector[start : start + 8]):
            if value > 0:
                byte |= 1 << (7 - bit)
        packed.append(byte)
    return packed if dtype == "ubinary" else [b - 256 if b > 127 else b for b in packed]


def encode_base64(values: list[float] | list[int], dtype: str) -> str:
    code = {"float": "f", "int8": "b", "binary": "b", "uint8": "B", "ubinary": "B"}[dtype]
    return base64.b64encode(struct.pack(f"<{len(values)}{code}", *values)).decode()


# --- moderation / classification ----------------------------------------------------


def moderation_result(text: str) -> dict[str, dict[str, Any]]:
    """ModerationObject: trigger words score 0.98 and are flagged, the rest stay tiny."""
    lowered = text.lower()
    rng = _rng("moderation", text)
    scores: dict[str, float] = {}
    for category in MODERATION_CATEGORIES:
        if re.search(_TRIGGERS[category], lowered):
            scores[category] = 0.98
        else:
            scores[category] = round(rng.uniform(1e-5, 5e-3), 8)
    return {
        "categories": {category: score >= FLAG_THRESHOLD for category, score in scores.items()},
        "category_scores": scores,
    }


def label_scores(text: str, target: str, labels: list[str]) -> dict[str, float]:
    """Deterministic softmax scores over ``labels`` (sum to 1)."""
    rng = _rng("classification", target, text)
    logits = [rng.uniform(-2.0, 2.0) for _ in labels]
    total = sum(math.exp(x) for x in logits) or 1.0
    return {label: round(math.exp(x) / total, 8) for label, x in zip(labels, logits, strict=True)}
