"""Chat completions: `mistral_chat` and `mistral_function_call`, one endpoint."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from server.errors import ToolArgumentError
from server.tools import schemas as s
from server.tools.completion_stream import collect_stream
from server.tools.extra import extra_schema
from server.tools.paths import CHAT_COMPLETIONS
from server.tools.replies import answer_message, completion_output
from server.tools.spec import ToolCall, ToolOutput, ToolSpec

DEFAULT_CHAT_MODEL = "mistral-small-latest"

_SAMPLING: s.Schema = {
    "temperature": s.TEMPERATURE,
    "top_p": s.TOP_P,
    "max_tokens": s.MAX_TOKENS,
    "stop": s.STOP,
    "reasoning_effort": s.REASONING_EFFORT,
    "include_reasoning": s.INCLUDE_REASONING,
}
# ChatCompletionRequest's rarely used fields: taken in `extra`, checked against the reference there.
RARE = frozenset(
    {
        "random_seed",
        "presence_penalty",
        "frequency_penalty",
        "n",
        "safe_prompt",
        "metadata",
        "prompt_mode",
        "guardrails",
        "prompt_cache_key",
        "service_tier",
        "prediction",
        "parallel_tool_calls",
    }
)

# The arguments of a chat: ChatCompletionRequest's common fields (`stream` is ours to decide), and
# `prompt`/`system`, shortcuts that become `messages`. Agents' completions are cut from it.
CHAT_PROPERTIES: s.Schema = {
    "model": {**s.MODEL, "description": f"Default {DEFAULT_CHAT_MODEL}."},
    "messages": s.MESSAGES,
    "prompt": {"type": "string", "minLength": 1, "description": "A single user message, instead of `messages`."},
    "system": {"type": "string", "description": "With `prompt`: a system message before it."},
    **_SAMPLING,
    "response_format": s.RESPONSE_FORMAT,
    "tools": s.TOOLS,
    "tool_choice": s.TOOL_CHOICE,
    "extra": extra_schema(RARE),
}
PROMPT_SHORTCUTS = frozenset({"prompt", "system"})
# Arguments about how the reply is shown, not sent.
SHOWING = frozenset({"include_reasoning"})
CHAT_INPUT = s.object_schema(CHAT_PROPERTIES, oneOf=[{"required": ["messages"]}, {"required": ["prompt"]}])

# Function calling keeps `parallel_tool_calls` at hand; `n` is for chats.
_FUNCTION_CALL_RARE = RARE - {"parallel_tool_calls", "n"}
FUNCTION_CALL_INPUT = s.object_schema(
    {
        "model": {**s.MODEL, "description": f"A model with function calling (default {DEFAULT_CHAT_MODEL})."},
        "messages": s.MESSAGES,
        "tools": s.TOOLS,
        "tool_choice": s.TOOL_CHOICE,
        "parallel_tool_calls": s.PARALLEL_TOOL_CALLS,
        **_SAMPLING,
        "extra": extra_schema(_FUNCTION_CALL_RARE),
    },
    required=["messages", "tools"],
)


def chat_body(call: ToolCall) -> dict[str, Any]:
    body = call.fields()
    if "messages" not in body:
        messages = []
        if "system" in call.arguments:
            messages.append({"role": "system", "content": call.arguments["system"]})
        messages.append({"role": "user", "content": call.arguments["prompt"]})
        body["messages"] = messages
    elif "prompt" in call.arguments or "system" in call.arguments:
        raise ToolArgumentError("Give either `messages` or `prompt` (with optional `system`), not both.")
    body.setdefault("model", DEFAULT_CHAT_MODEL)
    return body


def _typed_tools(body: dict[str, Any]) -> dict[str, Any]:
    """`body` with `"type": "function"` on each tool that left it out: our schema lets it go (the only
    kind there is), Mistral's request picks a tool's variant by it."""
    if isinstance(body.get("tools"), list):
        body = {**body, "tools": [{"type": "function", **t} if isinstance(t, dict) else t for t in body["tools"]]}
    return body


async def complete(call: ToolCall, body: dict[str, Any], object_name: str) -> dict[str, Any]:
    """Call the tool's completion endpoint, streaming when the client asked for progress."""
    body = _typed_tools(body)
    if call.progress is None:
        response: dict[str, Any] = await call.forward(body)
        return response
    async with call.stream(body) as chunks:
        return await collect_stream(call, chunks, object_name)


async def run_chat(call: ToolCall) -> ToolOutput:
    response = await complete(call, chat_body(call), "chat.completion")
    return await completion_output(call, response, include_reasoning=call.arguments.get("include_reasoning", False))


async def run_function_call(call: ToolCall) -> ToolOutput:
    body = call.fields()
    body.setdefault("model", DEFAULT_CHAT_MODEL)
    response: dict[str, Any] = await call.forward(_typed_tools(body))
    output = await completion_output(call, response, include_reasoning=call.arguments.get("include_reasoning", False))
    calls = [c for choice in response.get("choices") or [] for c in answer_message(choice).get("tool_calls") or []]
    head = (
        f"The model chose {len(calls)} tool call(s); they are returned, not executed."
        if calls
        else "The model called no tool. Its reply:"
    )
    return replace(output, text=f"{head}\n\n{output.text}")


TOOLS = (
    ToolSpec(
        name="mistral_chat",
        family="completions",
        title="Chat with a Mistral model",
        description=(
            "Ask a Mistral model: questions, drafting, translating, summarising, JSON output (response_format). "
            "Pass `prompt`, or `messages` for a conversation; `tools` adds web search, code interpreter, image "
            "generation, document libraries or connectors. Returns the answer with sources and images."
        ),
        input_schema=CHAT_INPUT,
        output_schema=s.COMPLETION_OUTPUT,
        method="POST",
        path=CHAT_COMPLETIONS,
        tool_only=PROMPT_SHORTCUTS | SHOWING,
        extra=RARE,
        run=run_chat,
        read_only=True,  # a completion changes nothing at Mistral: read-only connections keep it
    ),
    ToolSpec(
        name="mistral_function_call",
        family="completions",
        title="Let a Mistral model choose function calls",
        description=(
            "Give a Mistral model a conversation and function definitions (`tools`, JSON Schema parameters) and "
            "get back the function calls it chooses, with their JSON arguments: returned, not executed."
        ),
        input_schema=FUNCTION_CALL_INPUT,
        output_schema=s.COMPLETION_OUTPUT,
        method="POST",
        path=CHAT_COMPLETIONS,
        tool_only=SHOWING,
        extra=_FUNCTION_CALL_RARE,
        run=run_function_call,
        read_only=True,  # the calls are returned, not executed
    ),
)
