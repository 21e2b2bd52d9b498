"""Our server exactly as `mistral-mcp serve` builds it (`server.cli.serving_app`), as a uvicorn
factory the harness can start with any serving options (`bench.ours:create_app --factory`).
Settings come from the usual MISTRAL_MCP_* variables.
"""

from __future__ import annotations

from starlette.applications import Starlette

from server.cli import serving_app
from server.settings import Settings


def create_app() -> Starlette:
    return serving_app(Settings.from_env())
