"""MCP Apps views (extension `io.modelcontextprotocol/ui`): HTML a host shows a tool's result in.

Each view is one self-contained document, `ui://mistral-mcp/<name>`, read with `resources/read`: the
official MCP Apps SDK (`static/`, rebuilt by `views/build.mjs`), the shared styles and helpers are
inlined, so a view loads nothing from any site and declares that it needs none (its CSP metadata).
A tool names its view (`ToolSpec.view`, listed as `_meta.ui.resourceUri`); what only the view needs
of a result travels in the result's `_meta[VIEW_DATA_KEY]`, out of the model's sight.
"""

from server.views.catalog import (
    BATCH_JOB,
    CSP,
    EXTENSION_ID,
    FINE_TUNING_JOB,
    MIME_TYPE,
    MODEL_COMPARISON,
    OCR_RESULT,
    VIEW_DATA_KEY,
    View,
    ViewCatalog,
    load_views,
    tool_meta,
)

__all__ = [
    "BATCH_JOB",
    "CSP",
    "EXTENSION_ID",
    "FINE_TUNING_JOB",
    "MIME_TYPE",
    "MODEL_COMPARISON",
    "OCR_RESULT",
    "VIEW_DATA_KEY",
    "View",
    "ViewCatalog",
    "load_views",
    "tool_meta",
]
