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
    "description": "A chat message in Mistral's format.",
    "properties": {
        "role": {"type": "string", "enum": ["system", "user", "assistant", "tool"]},
        "content": {
            "description": "Text, or a list of content chunks (text, image_url, document_url, …).",
            "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "object"}}, {"type": "null"}],
        },
        "tool_calls": {
            "type": "array",
            "description": "Assistant messages only: the tool calls the model made earlier.",
            "items": {"type": "object"},
        },
        "tool_call_id": {"type": "string", "description": "Tool messages only: the call this answers."},
        "name": {"type": "string", "description": "Tool messages only: the function name."},
        "prefix": {"type": "boolean", "description": "Assistant messages only: force the reply to start with it."},
    },
    "required": ["role"],
    "additionalProperties": False,
}

MESSAGES: Schema = {
    "type": "array",
    "minItems": 1,
    "maxItems": 2000,
    "items": MESSAGE,
    "description": 'The conversation so far, oldest first, e.g. [{"role": "user", "content": "Hi"}].',
}

TEMPERATURE: Schema = {
    "type": "number",
    "minimum": 0,
    "maximum": 1.5,
    "description": "Sampling temperature (0 to 1.5); lower is more deterministic. Mistral picks a per-model default.",
}
TOP_P: Schema = {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "description": "Nucleus sampling (0 < p ≤ 1)."}
MAX_TOKENS: Schema = {"type": "integer", "minimum": 0, "description": "Upper bound on tokens in the reply."}
STOP: Schema = {
    "description": "Stop generating when this string (or any of these strings) appears.",
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
    "description": "How hard a reasoning model thinks before answering (models that support it).",
}
INCLUDE_REASONING: Schema = {
    "type": "boolean",
    "description": "Put the model's reasoning in the text too (it is always in structuredContent).",
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
    "description": (
        'Output format: {"type": "text"}, {"type": "json_object"}, or {"type": "json_schema", '
        '"json_schema": {"name": ..., "schema": {...}, "strict": true}}.'
    ),
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
                "parameters": {"type": "object", "description": "JSON Schema of the function's arguments."},
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
        "authorization": {
            "type": "object",
            "properties": {
                "type": {"type": "string", "enum": ["api-key", "oauth2-token"]},
                "value": {"type": "string"},
            },
            "required": ["type", "value"],
            "additionalProperties": False,
        },
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
    "description": (
        'Functions ({"type": "function", "function": {...}}; their calls come back to you) or tools Mistral runs: '
        '{"type": "web_search"}, web_search_premium, code_interpreter, image_generation, document_library '
        "(library_ids), connector (connector_id)."
    ),
}
TOOL_CHOICE: Schema = {
    "description": (
        '"auto" (model decides), "none", "any"/"required" (must call one), or '
        '{"type": "function", "function": {"name": "..."}} to force one function.'
    ),
    "anyOf": [
        {"type": "string", "enum": ["auto", "none", "any", "required"]},
        {
            "type": "object",
            "properties": {
                "type": {"type": "string", "enum": ["function"]},
                "function": {
                    "type": "object",
                    "properties": {"name": {"type": "string"}},
                    "required": ["name"],
                    "additionalProperties": False,
                },
            },
            "required": ["function"],
            "additionalProperties": False,
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
COMPLETION_OUTPUT: Schema = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "model": {"type": "string"},
        "choices": {
            "type": "array",
            "items": {"type": "object", "properties": {"index": {"type": "integer"}, "message": {"type": "object"}}},
        },
        "usage": {"type": "object"},
    },
    "required": ["choices"],
}


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
