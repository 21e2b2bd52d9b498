"""Small helpers for the scale-out tests: one tool call, and reading /metrics."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import anyio
import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import RunningApp
from tests.support.mcp_client import connect


def text_of(result: Any) -> str:
    return "\n".join(block.text for block in result.content if getattr(block, "type", "") == "text")


async def call_tool(url: str, name: str = "mistral_chat", arguments: dict[str, Any] | None = None) -> Any:
    async with connect(url) as client:
        return await client.call_tool(name, arguments if arguments is not None else {"prompt": "hi"})


def scrape(base_url: str, headers: dict[str, str] | None = None) -> str:
    response = httpx.get(f"{base_url}/metrics", headers=headers or {}, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one series in a scrape; 0 when the series is absent."""
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                return float(found.value)
    return 0.0


async def start_app(app_factory: Callable[..., RunningApp], **overrides: Any) -> RunningApp:
    """`app_factory` from an async test: in a worker thread, since making a PostgreSQL
    database runs its own event loop."""
    return await anyio.to_thread.run_sync(functools.partial(app_factory, **overrides))
