"""The MCP Inspector's CLI mode: strict schema checks on tools/list, and a real tools/call."""

from __future__ import annotations

import json

import anyio
import pytest

from tests.conftest import VALID_KEY, RunningApp
from tests.fake_mistral import FakeMistral
from tests.support.external_tools import NodeTools

pytestmark = [pytest.mark.clients, pytest.mark.anyio]

FIVE_TOOLS = {"mistral_chat", "mistral_function_call", "mistral_embed", "mistral_code_complete", "mistral_moderate"}


async def inspector(node_tools: NodeTools, env: dict[str, str], *args: str) -> dict:
    command = node_tools.command("mcp-inspector", "--cli", "--format", "json", "--transport", "http", *args)
    with anyio.fail_after(60):
        done = await anyio.run_process(command, env=env, check=False)
    stderr = done.stderr.decode(errors="replace")
    assert done.returncode == 0, f"inspector exited {done.returncode}: {stderr}"
    result: dict = json.loads(done.stdout)
    return result


@pytest.mark.parametrize("era", ["legacy", "modern"])
async def test_tools_list_passes_the_strict_schema_checks(
    app: RunningApp, node_tools: NodeTools, tool_env: dict[str, str], era: str
) -> None:
    url = app.sign_up()["mcp_url"]
    listed = await inspector(
        node_tools, tool_env, "--strict", "--protocol-era", era, "--method", "tools/list", "--server-url", url
    )
    tools = {tool["name"]: tool for tool in listed["result"]["tools"]}
    assert set(tools) >= FIVE_TOOLS
    assert all(tool["inputSchema"]["type"] == "object" for tool in tools.values())


async def test_tools_call_succeeds(
    app: RunningApp, fake_mistral: FakeMistral, node_tools: NodeTools, tool_env: dict[str, str]
) -> None:
    url = app.sign_up()["mcp_url"]
    called = await inspector(
        node_tools,
        tool_env,
        *("--method", "tools/call", "--tool-name", "mistral_chat", "--tool-arg", "prompt=hello", "--server-url", url),
    )
    assert called["result"]["isError"] is False
    assert called["result"]["content"][0]["text"] == "Hello from fake Mistral."
    assert called["result"]["structuredContent"]["usage"]["total_tokens"] > 0
    assert [r.api_key for r in fake_mistral.requests_to("POST", "/v1/chat/completions")] == [VALID_KEY]


async def test_header_setup_on_the_plain_mcp_endpoint_works(
    app: RunningApp, node_tools: NodeTools, tool_env: dict[str, str]
) -> None:
    # The VS Code setup that keeps the secret out of the file: /mcp plus an Authorization header.
    token = app.sign_up()["token"]
    listed = await inspector(
        node_tools,
        tool_env,
        *("--method", "tools/list", "--server-url", f"{app.url}/mcp", "--header", f"Authorization: Bearer {token}"),
    )
    assert {tool["name"] for tool in listed["result"]["tools"]} >= FIVE_TOOLS
