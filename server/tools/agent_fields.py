"""What an agent is made of, as tool arguments: its model, instructions, tools and sampling defaults.

Written from Mistral's CreateAgentRequest; the tools that create and update agents share them.
"""

from __future__ import annotations

from server.tools import schemas as s

_BUILT_IN = ["web_search", "web_search_premium", "code_interpreter", "image_generation"]
# Mistral's agent tools (CreateAgentRequest.tools) less `connector`, which carries third-party credentials.
# One flat object keeps the listing short: if/then make a type's own field required, and
# dependentSchemas keep that field off the other types.
AGENT_TOOL: s.Schema = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "enum": [*_BUILT_IN, "document_library", "function"]},
        "library_ids": {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": s.UUID_PATTERN}},
        "function": s.FUNCTION_TOOL["properties"]["function"],
    },
    "required": ["type"],
    "additionalProperties": False,
    "allOf": [
        {"if": {"properties": {"type": {"const": kind}}}, "then": {"required": [own]}}
        for kind, own in (("document_library", "library_ids"), ("function", "function"))
    ],
    "dependentSchemas": {
        "library_ids": {"properties": {"type": {"const": "document_library"}}},
        "function": {"properties": {"type": {"const": "function"}}},
    },
}
AGENT_TOOLS: s.Schema = {
    "type": "array",
    "maxItems": 128,
    "items": AGENT_TOOL,
    "description": "Built-in tools Mistral runs, document libraries (ids from mistral_list_libraries), or functions.",
}
# Chat's response_format, its json_schema left for Mistral to check: this object is in five tools' schemas.
_RESPONSE_FORMAT: s.Schema = {
    "type": "object",
    "properties": {
        "type": s.RESPONSE_FORMAT["properties"]["type"],
        "json_schema": {"type": "object", "required": ["name", "schema"]},
    },
    "additionalProperties": False,
}
# CompletionArgs: the agent's defaults for every reply (its temperature stops at 1, not chat's 1.5).
COMPLETION_ARGS = s.object_schema(
    {
        "temperature": {"type": "number", "minimum": 0, "maximum": 1},
        "top_p": {"type": "number", "minimum": 0, "maximum": 1},
        "max_tokens": {"type": "integer", "minimum": 0},
        "random_seed": {"type": "integer", "minimum": 0},
        "stop": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "maxItems": 32}]},
        "presence_penalty": {"type": "number", "minimum": -2, "maximum": 2},
        "frequency_penalty": {"type": "number", "minimum": -2, "maximum": 2},
        "response_format": _RESPONSE_FORMAT,
        "tool_choice": {"type": "string", "enum": ["auto", "none", "any", "required"]},
        "reasoning_effort": {"type": "string", "enum": ["none", "minimal", "low", "medium", "high", "xhigh"]},
    },
    description="Sampling defaults for the agent's replies.",
)
AGENT_FIELDS: s.Schema = {
    "model": {**s.MODEL, "description": 'e.g. "mistral-medium-latest".'},
    "name": {"type": "string", "minLength": 1},
    "description": {"type": "string"},
    "instructions": {"type": "string", "description": "The agent's system prompt."},
    "tools": AGENT_TOOLS,
    "completion_args": COMPLETION_ARGS,
    "handoffs": {
        "type": "array",
        "minItems": 1,
        "items": s.AGENT_ID,
        "description": "Agent ids this agent may hand the conversation to.",
    },
    "version_message": {"type": "string", "maxLength": 500, "description": "A note on this version."},
}
