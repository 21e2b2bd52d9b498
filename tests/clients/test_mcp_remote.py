"""`mcp-remote`, the stdio bridge Claude Desktop runs, driven by the MCP SDK's stdio client.

The command comes from the Claude Desktop setup the result page shows, so the test checks the
snippet a person pastes, not a hand-written one.
"""

from __future__ import annotations

import json

import anyio
import pytest
from mcp import Client, StdioServerParameters

from tests.conftest import VALID_KEY, RunningApp
from tests.fake_mistral import FakeMistral
from tests.support.external_tools import NodeTools
from tests.support.result_page import sign_up_with_form

pytestmark = [pytest.mark.clients, pytest.mark.anyio]


async def test_claude_desktop_config_lists_tools_and_chats_through_mcp_remote(
    app: RunningApp, fake_mistral: FakeMistral, node_tools: NodeTools, tool_env: dict[str, str]
) -> None:
    page = sign_up_with_form(app.url, VALID_KEY)
    server = json.loads(page.snippet("claude-desktop"))["mcpServers"]["mistral"]
    assert server["command"] == "npx"
    assert server["args"][:2] == ["-y", "mcp-remote"]
    # `npx -y mcp-remote` would download the newest release; run the pinned one with the same arguments.
    bridge = StdioServerParameters(
        command=str(node_tools.node), args=[node_tools.script("mcp-remote"), *server["args"][2:]], env=tool_env
    )
    with anyio.fail_after(60):
        async with Client(bridge, mode="legacy", read_timeout_seconds=30) as client:
            tools = {tool.name for tool in (await client.list_tools()).tools}
            result = await client.call_tool("mistral_chat", {"prompt": "Say hello"})
    assert {"mistral_chat", "mistral_embed", "mistral_code_complete"} <= tools
    assert not result.is_error
    assert result.content[0].text == "Hello from fake Mistral."
    calls = fake_mistral.requests_to("POST", "/v1/chat/completions")
    assert [(call.api_key, call.json["messages"][-1]["content"]) for call in calls] == [(VALID_KEY, "Say hello")]
