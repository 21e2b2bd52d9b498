"""Our server as `mistral-mcp serve` builds it, as a uvicorn factory the harness can start
with any serving options (`bench.ours:create_app --factory`). Settings come from the
usual MISTRAL_MCP_* variables; logs go to stderr in JSON, and the collector is tuned, as in production.
"""

from __future__ import annotations

from starlette.applications import Starlette

from server.app import create_app as create_server_app
from server.gc_tuning import tune_for_serving
from server.logs import configure_logging
from server.settings import Settings


def create_app() -> Starlette:
    settings = Settings.from_env()
    configure_logging(settings.log_level, settings.log_format)
    app = create_server_app(settings)
    tune_for_serving()
    return app
