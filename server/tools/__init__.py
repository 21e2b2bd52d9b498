"""MCP tools, one module per tool family; `build_registry` assembles them."""

from server.tools import (
    agent_building,
    agents,
    batch,
    chat,
    classifiers,
    compare,
    conversations,
    embeddings,
    file_content,
    files,
    fim,
    fine_tuned_models,
    fine_tuning,
    libraries,
    library_documents,
    models,
    moderation,
    ocr,
    speech,
    transcription,
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
            *agent_building.TOOLS,
            *conversations.TOOLS,
            *models.TOOLS,
            *fine_tuned_models.TOOLS,
            *file_content.TOOLS,
            *files.TOOLS,
            *fine_tuning.TOOLS,
            *batch.TOOLS,
            *ocr.TOOLS,
            *libraries.TOOLS,
            *library_documents.TOOLS,
            *transcription.TOOLS,
            *speech.TOOLS,
        ]
    )
