"""Helpers shared by the fault tests: one MCP call, and a check that stored data is intact."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import RunningApp
from tests.support.mcp_client import connect


def text_of(result: Any) -> str:
    return "\n".join(block.text for block in result.content if getattr(block, "type", "") == "text")


async def call_tool(
    url: str, name: str = "mistral_chat", arguments: dict[str, Any] | None = None, **kwargs: Any
) -> Any:
    async with connect(url) as client:
        return await client.call_tool(name, arguments or {"prompt": "hi"}, **kwargs)


def stored_connection(app: RunningApp, token: str) -> dict[str, Any]:
    """The connection as the management API reports it (usage flushed first); 200 or the test fails."""
    with httpx.Client(base_url=app.url, timeout=30) as http:
        response = http.get("/api/connection", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def assert_alive(app: RunningApp) -> None:
    with httpx.Client(base_url=app.url, timeout=30) as http:
        assert http.get("/healthz").status_code == 200
