"""Code completion with Codestral: `mistral_code_complete` (fill in the middle)."""

from __future__ import annotations

from server.tools import schemas as s
from server.tools.chat import complete
from server.tools.extra import extra_schema
from server.tools.paths import FIM_COMPLETIONS
from server.tools.replies import completion_output
from server.tools.spec import ToolCall, ToolOutput, ToolSpec

DEFAULT_FIM_MODEL = "codestral-latest"
# FIMCompletionRequest's rarely used fields, taken in `extra`.
_RARE = frozenset({"min_tokens", "random_seed", "metadata", "prompt_cache_key"})

FIM_INPUT = s.object_schema(
    {
        "model": {**s.MODEL, "description": f"Codestral model id (default {DEFAULT_FIM_MODEL})."},
        "prompt": {"type": "string", "description": "The code before the cursor."},
        "suffix": {"type": "string", "description": "The code after the cursor (optional)."},
        "temperature": s.TEMPERATURE,
        "top_p": s.TOP_P,
        "max_tokens": s.MAX_TOKENS,
        "stop": s.STOP,
        "extra": extra_schema(_RARE),
    },
    required=["prompt"],
)


async def run_code_complete(call: ToolCall) -> ToolOutput:
    body = call.fields()
    body.setdefault("model", DEFAULT_FIM_MODEL)
    response = await complete(call, body, "chat.completion")
    return await completion_output(call, response)


TOOLS = (
    ToolSpec(
        name="mistral_code_complete",
        family="completions",
        title="Complete code with Codestral (fill in the middle)",
        description=(
            "Fill in code between a `prompt` (code before the cursor) and an optional `suffix` (code after it) "
            "with Codestral. Returns only the generated middle part; structuredContent holds the full response. "
            f"Default model: {DEFAULT_FIM_MODEL}."
        ),
        input_schema=FIM_INPUT,
        output_schema=s.COMPLETION_OUTPUT,
        method="POST",
        path=FIM_COMPLETIONS,
        extra=_RARE,
        run=run_code_complete,
        read_only=True,
    ),
)
