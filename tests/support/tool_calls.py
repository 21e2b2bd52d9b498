"""Calling our tools through the official SDK client, for the per-family tool tests."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import RunningApp
from tests.fake_mistral import FakeMistral
from tests.support.mcp_client import LEGACY, connect


def text_of(result: Any) -> str:
    """Every text block of a tool result, joined."""
    return "\n".join(block.text for block in result.content if getattr(block, "type", "") == "text")


def result_chars(result: Any) -> int:
    """What a client holds of a result: its content blocks and structured content, as JSON."""
    blocks = sum(len(block.model_dump_json()) for block in result.content)
    structured = json.dumps(result.structured_content, separators=(",", ":"), ensure_ascii=False)
    return blocks + len(structured)


async def call_tool(
    app: RunningApp, fake: FakeMistral, name: str, arguments: dict[str, Any], mode: str = LEGACY, **kwargs: Any
) -> Any:
    """Sign up, connect with the SDK client and call one tool.

    The fake's request log is cleared after the sign-up (which checks the key with
    GET /v1/models), so it holds exactly what the tool sent.
    """
    connection = app.sign_up()
    fake.requests.clear()
    async with connect(connection["mcp_url"], mode) as client:
        return await client.call_tool(name, arguments, **kwargs)
