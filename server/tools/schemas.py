"""JSON Schema fragments shared by tool input schemas, written from Mistral's request schemas.

Optional Mistral fields are simply optional here (no `null` arms): a model calling a tool
omits what it does not need, and we forward only what it sent.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

MODEL: Schema = {"type": "string", "minLength": 1, "maxLength": 200}

MESSAGE: Schema = {
    "type": "object",
    "properties": {
        "role": {"type": "string", "enum": ["system", "user", "assistant", "tool"]},
        "content": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "object"}}, {"type": "null"}]},
        "tool_calls": {"type": "array", "items": {"type": "object"}},
        "tool_call_id": {"type": "string"},
        "name": {"type": "string"},
        "prefix": {"type": "boolean"},
    },
    "required": ["role"],
    "additionalProperties": False,
}

# One description for the whole message shape: per-field prose would be read on every turn.
MESSAGES: Schema = {
    "type": "array",
    "minItems": 1,
    "maxItems": 2000,
    "items": MESSAGE,
    "description": (
        'Oldest first, e.g. [{"role": "user", "content": "Hi"}]; content is text or chunks (text, image_url, '
        "document_url, …); an assistant's tool_calls are answered by tool messages with their tool_call_id."
    ),
}

TEMPERATURE: Schema = {
    "type": "number",
    "minimum": 0,
    "maximum": 1.5,
    "description": "0 to 1.5; lower is more deterministic.",
}
TOP_P: Schema = {
    "type": "number",
    "exclusiveMinimum": 0,
    "maximum": 1,
}
MAX_TOKENS: Schema = {"type": "integer", "minimum": 0}
STOP: Schema = {
    "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "maxItems": 32}],
}
RANDOM_SEED: Schema = {"type": "integer", "minimum": 0, "description": "Seed for reproducible sampling."}
METADATA: Schema = {"type": "object", "description": "Free-form metadata stored with the request by Mistral."}
PRESENCE_PENALTY: Schema = {"type": "number", "minimum": -2, "maximum": 2, "description": "Penalise repeated topics."}
FREQUENCY_PENALTY: Schema = {"type": "number", "minimum": -2, "maximum": 2, "description": "Penalise repeated words."}
N: Schema = {"type": "integer", "minimum": 1, "maximum": 16, "description": "Number of completions to return."}
SAFE_PROMPT: Schema = {"type": "boolean", "description": "Prepend Mistral's safety prompt."}
PROMPT_MODE: Schema = {
    "type": "string",
    "enum": ["reasoning"],
    "deprecated": True,
    "description": "Deprecated for reasoning models: use reasoning_effort.",
}
REASONING_EFFORT: Schema = {
    "type": "string",
    "enum": ["none", "minimal", "low", "medium", "high", "xhigh"],
    "description": "For reasoning models.",
}
INCLUDE_REASONING: Schema = {
    "type": "boolean",
    "description": "Show the model's reasoning in the text too.",
}
GUARDRAILS: Schema = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "block_on_error": {"type": "boolean"},
            "moderation_llm_v1": {"type": "object"},
            "moderation_llm_v2": {"type": "object"},
        },
        "additionalProperties": False,
    },
    "description": 'Moderation Mistral applies to this request, e.g. [{"moderation_llm_v2": {"action": "block"}}].',
}
PROMPT_CACHE_KEY: Schema = {"type": "string", "description": "Key grouping requests that share a prompt prefix."}
SERVICE_TIER: Schema = {"type": "string", "enum": ["auto", "standard_only"]}
PREDICTION: Schema = {
    "type": "object",
    "description": "Expected output, to speed up replies that mostly repeat it (e.g. code edits).",
    "properties": {"type": {"type": "string", "const": "content"}, "content": {"type": "string"}},
    "additionalProperties": False,
}
RESPONSE_FORMAT: Schema = {
    "type": "object",
    "description": "JSON output: json_object, or json_schema with its schema.",
    "properties": {
        "type": {"type": "string", "enum": ["text", "json_object", "json_schema"]},
        "json_schema": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "description": {"type": "string"},
                "schema": {"type": "object"},
                "strict": {"type": "boolean"},
            },
            "required": ["name", "schema"],
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
}
FUNCTION_TOOL: Schema = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "enum": ["function"]},
        "function": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 256},
                "description": {"type": "string"},
                "parameters": {"type": "object"},
                "strict": {"type": "boolean"},
            },
            "required": ["name", "parameters"],
            "additionalProperties": False,
        },
    },
    "required": ["function"],
    "additionalProperties": False,
}
# Tools Mistral runs itself, in one shape: `type` says which, and which fields it needs.
BUILT_IN_TOOL: Schema = {
    "type": "object",
    "properties": {
        "type": {
            "type": "string",
            "enum": [
                "web_search",
                "web_search_premium",
                "code_interpreter",
                "image_generation",
                "document_library",
                "connector",
            ],
        },
        "library_ids": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "connector_id": {"type": "string", "minLength": 1},
        "authorization": {"type": "object", "required": ["type", "value"]},  # {"type": "api-key", "value": …}
        "tool_configuration": {"type": "object"},
    },
    "required": ["type"],
    "additionalProperties": False,
    "allOf": [
        {"if": {"properties": {"type": {"const": "document_library"}}}, "then": {"required": ["library_ids"]}},
        {"if": {"properties": {"type": {"const": "connector"}}}, "then": {"required": ["connector_id"]}},
    ],
}
TOOLS: Schema = {
    "type": "array",
    "minItems": 1,
    "maxItems": 128,
    "items": {"anyOf": [FUNCTION_TOOL, BUILT_IN_TOOL]},
    "description": "Functions (their calls come back to you) or tools Mistral runs.",
}
TOOL_CHOICE: Schema = {
    "description": '"any" forces a call; {"function": {"name": ...}} forces that one.',
    "anyOf": [
        {"type": "string", "enum": ["auto", "none", "any", "required"]},
        {
            "type": "object",
            "properties": {"function": {"type": "object", "properties": {"name": {"type": "string"}}}},
            "required": ["function"],
        },
    ],
}
PARALLEL_TOOL_CALLS: Schema = {"type": "boolean", "description": "Allow several tool calls in one reply."}
TEXT_INPUT: Schema = {
    "anyOf": [
        {"type": "string", "minLength": 1},
        {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 512},
    ],
}


# Ids that become URL path segments: patterns keep them to one safe segment (no "/", "..", "?").
UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
FILE_ID: Schema = {
    "type": "string",
    "pattern": UUID_PATTERN,
    "description": "A file id (UUID) from mistral_upload_file.",
}
JOB_ID: Schema = {"type": "string", "pattern": UUID_PATTERN}
MODEL_ID: Schema = {
    "type": "string",
    "pattern": "^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$",
    "description": 'A model id, e.g. "mistral-small-latest" or "ft:open-mistral-7b:…".',
}
AGENT_ID: Schema = {
    "type": "string",
    "pattern": "^[A-Za-z0-9][A-Za-z0-9_-]{0,199}$",
    "description": 'An agent id, e.g. "ag_…" (see mistral_list_agents).',
}
PAGE: Schema = {"type": "integer", "minimum": 0, "description": "Page number, from 0."}
DATE_TIME: Schema = {
    "type": "string",
    "minLength": 1,
    "maxLength": 64,
    "description": 'ISO 8601 date-time, e.g. "2025-01-31T00:00:00Z".',
}


# Output schemas stay loose: the SDK client rejects a result that does not match, and Mistral adds fields.
# Minimal: a model reads it every turn, and the reply's text already says what it holds.
COMPLETION_OUTPUT: Schema = {"type": "object", "properties": {"choices": {"type": "array"}}, "required": ["choices"]}


def page_size(default: int | None, maximum: int, note: str = "") -> Schema:
    schema: Schema = {"type": "integer", "minimum": 1, "maximum": maximum, "description": f"Items per page.{note}"}
    if default is not None:
        schema["default"] = default
    return schema


def object_schema(properties: Schema, required: list[str] | None = None, **extra: Any) -> Schema:
    schema: Schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    schema.update(extra)
    return schema
