"""What a tool listing costs a model: it reads the list on every turn, so its size is a budget.

Tokens are estimated as UTF-8 bytes ÷ 4 over what a model reads of each tool (name, title, description,
input and output schema), as `tools/list` sends it.
"""

from __future__ import annotations

import json

import mcp_types as types

__all__ = ["READ_FIELDS", "tokens", "tool_bytes"]

READ_FIELDS = ("name", "title", "description", "inputSchema", "outputSchema")


def tool_bytes(tool: types.Tool) -> int:
    """The UTF-8 size of what a model reads of `tool`, in its wire (JSON) form."""
    wire = tool.model_dump(mode="json", by_alias=True, exclude_none=True)
    read = {key: wire[key] for key in READ_FIELDS if key in wire}
    return len(json.dumps(read, ensure_ascii=False).encode())


def tokens(tools: list[types.Tool]) -> int:
    """The listing's estimated tokens: its bytes ÷ 4, rounded up."""
    return -(-sum(tool_bytes(tool) for tool in tools) // 4)
