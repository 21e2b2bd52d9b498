"""MCP tools, one module per tool family; `build_registry` assembles them."""

from server.tools import (
    agents,
    batch,
    chat,
    classifiers,
    compare,
    embeddings,
    file_content,
    files,
    fim,
    fine_tuning,
    models,
    moderation,
    ocr,
)
from server.tools.registry import ToolRegistry


def build_registry() -> ToolRegistry:
    return ToolRegistry(
        [
            *chat.TOOLS,
            *compare.TOOLS,
            *embeddings.TOOLS,
            *fim.TOOLS,
            *moderation.TOOLS,
            *classifiers.TOOLS,
            *agents.TOOLS,
            *models.TOOLS,
            *file_content.TOOLS,
            *files.TOOLS,
            *fine_tuning.TOOLS,
            *batch.TOOLS,
            *ocr.TOOLS,
        ]
    )
