"""`mistral_compare_models`: one prompt to several models at once, their answers side by side."""

from __future__ import annotations

import time
from typing import Any

import anyio

from server.errors import UpstreamError
from server.tools import prices
from server.tools import schemas as s
from server.tools.formatting import completion_text, usage_of
from server.tools.paths import CHAT_COMPLETIONS
from server.tools.spec import ToolCall, ToolOutput, ToolSpec
from server.views import MODEL_COMPARISON

COMPARE_INPUT = s.object_schema(
    {
        "prompt": {"type": "string", "minLength": 1, "description": "What every model is asked."},
        "models": {
            "type": "array",
            "items": s.MODEL,
            "minItems": 2,
            "maxItems": 4,
            "uniqueItems": True,
            "description": 'Two to four model ids, e.g. ["mistral-small-latest", "mistral-large-latest"].',
        },
        "system": {"type": "string", "description": "A system message every model gets first."},
        "max_tokens": s.MAX_TOKENS,
        "temperature": s.TEMPERATURE,
    },
    required=["prompt", "models"],
)
_USAGE: s.Schema = {"type": ["object", "null"]}
OUTPUT: s.Schema = {
    "type": "object",
    "properties": {
        "prompt": {"type": "string"},
        "answers": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "model": {"type": "string"},
                    "content": {"type": ["string", "null"]},
                    "finish_reason": {"type": ["string", "null"]},
                    "usage": _USAGE,
                    "error": {"type": ["string", "null"]},
                },
                "required": ["model"],
            },
        },
    },
    "required": ["prompt", "answers"],
}


def _messages(arguments: dict[str, Any]) -> list[dict[str, str]]:
    system = [{"role": "system", "content": arguments["system"]}] if "system" in arguments else []
    return [*system, {"role": "user", "content": arguments["prompt"]}]


async def _ask(call: ToolCall, model: str, messages: list[dict[str, str]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """One model's answer (for the model and structuredContent) and its timing and cost (for the view)."""
    started = time.perf_counter()
    try:
        reply: dict[str, Any] = await call.send(json={**call.fields(), "model": model, "messages": messages})
    except UpstreamError as exc:
        latency = round((time.perf_counter() - started) * 1000)
        failed = {"model": model, "content": None, "finish_reason": None, "usage": None, "error": str(exc)}
        return failed, {"model": model, "latency_ms": latency, "cost": None}
    latency = round((time.perf_counter() - started) * 1000)
    choice = (reply.get("choices") or [{}])[0]
    usage = usage_of(reply)
    answer = {
        "model": model,
        "content": completion_text(reply),
        "finish_reason": choice.get("finish_reason"),
        "usage": usage,
        "error": None,
    }
    return answer, {"model": model, "latency_ms": latency, "cost": prices.estimate(model, usage)}


def _line(answer: dict[str, Any], timing: dict[str, Any]) -> str:
    if answer.get("error"):
        return f"## {answer['model']}\nFailed: {answer['error']}"
    usage = answer.get("usage") or {}
    facts = [f"{timing['latency_ms'] / 1000:.1f} s"]
    if usage.get("completion_tokens") is not None:
        facts.append(f"{usage['completion_tokens']} tokens")
    return f"## {answer['model']} ({', '.join(facts)})\n{answer['content']}"


def _total_usage(answers: list[dict[str, Any]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for answer in answers:
        for name, value in (answer.get("usage") or {}).items():
            if name in {"prompt_tokens", "completion_tokens", "total_tokens"} and isinstance(value, int):
                total[name] = total.get(name, 0) + value
    return total


async def run_compare(call: ToolCall) -> ToolOutput:
    models: list[str] = call.arguments["models"]
    messages = _messages(call.arguments)
    results: list[tuple[dict[str, Any], dict[str, Any]]] = [({}, {})] * len(models)

    async def ask(index: int, model: str) -> None:
        results[index] = await _ask(call, model, messages)

    async with anyio.create_task_group() as tasks:
        for index, model in enumerate(models):
            tasks.start_soon(ask, index, model)
    answers, timings = [answer for answer, _ in results], [timing for _, timing in results]
    if all(answer.get("error") for answer in answers):
        raise UpstreamError("No model answered. " + " ".join(f"{a['model']}: {a['error']}" for a in answers))
    text = "\n\n".join([f"Answers of {len(models)} models to the same prompt:", *map(_line, answers, timings)])
    return ToolOutput(
        text,
        {"prompt": call.arguments["prompt"], "answers": answers},
        _total_usage(answers),
        view={"kind": "model_comparison", "answers": timings},
    )


TOOLS = (
    ToolSpec(
        name="mistral_compare_models",
        family="completions",
        title="Compare Mistral models on one prompt",
        description=(
            "Ask two to four Mistral models the same prompt at once and get their answers side by side, "
            "with latency and tokens. Use it to choose a model for a task."
        ),
        input_schema=COMPARE_INPUT,
        output_schema=OUTPUT,
        method="POST",
        path=CHAT_COMPLETIONS,
        tool_only=frozenset({"prompt", "system", "models"}),
        run=run_compare,
        view=MODEL_COMPARISON,
    ),
)
