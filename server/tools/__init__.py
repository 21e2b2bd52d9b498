"""MCP tools, one module per tool family; `build_registry` assembles them."""

from server.tools import chat, embeddings, fim, moderation
from server.tools.registry import ToolRegistry


def build_registry() -> ToolRegistry:
    return ToolRegistry([*chat.TOOLS, *embeddings.TOOLS, *fim.TOOLS, *moderation.TOOLS])
