"""The MCP endpoint with the official SDK client, in both protocol eras, and with plain HTTP."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import VALID_KEY, RunningApp
from tests.fake_mistral import FakeMistral
from tests.support.mcp_client import LEGACY, MODERN, MODES, connect

pytestmark = pytest.mark.anyio

FIVE_TOOLS = {"mistral_chat", "mistral_embed", "mistral_function_call", "mistral_code_complete", "mistral_moderate"}


@pytest.mark.parametrize("mode", MODES)
async def test_both_protocol_eras_list_the_tools_with_titles_and_annotations(app: RunningApp, mode: str) -> None:
    conn = app.sign_up()
    async with connect(conn["mcp_url"], mode) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) >= FIVE_TOOLS
    for tool in tools.values():
        assert tool.title and tool.description and len(tool.description) > 60
        assert tool.annotations is not None and tool.annotations.open_world_hint is True
        assert tool.input_schema["type"] == "object"
    assert tools["mistral_embed"].annotations.read_only_hint is True


@pytest.mark.parametrize("mode", MODES)
async def test_bearer_header_on_plain_mcp_path_works(app: RunningApp, fake_mistral: FakeMistral, mode: str) -> None:
    conn = app.sign_up()
    async with connect(f"{app.url}/mcp", mode, headers={"Authorization": f"Bearer {conn['token']}"}) as client:
        result = await client.call_tool("mistral_chat", {"prompt": "hello"})
    assert not result.is_error
    assert [r.api_key for r in fake_mistral.requests_to("POST", "/v1/chat/completions")] == [VALID_KEY]


async def test_handshake_negotiates_a_2025_version(app: RunningApp) -> None:
    conn = app.sign_up()
    async with connect(conn["mcp_url"], LEGACY) as client:
        assert client.protocol_version in {"2025-06-18", "2025-11-25"}
        assert client.server_info is not None and client.server_info.name == "mistral-mcp"
    async with connect(conn["mcp_url"], MODERN) as client:
        assert client.protocol_version == "2026-07-28"


INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "curl", "version": "1"}},
}
MCP_HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


@pytest.mark.parametrize(
    "path",
    ["/mcp/mmcp_" + "A" * 43, "/mcp/not-a-token", "/mcp/" + "x" * 3000, "/mcp"],
)
async def test_unknown_or_malformed_tokens_get_401_before_any_upstream_call(
    app: RunningApp, fake_mistral: FakeMistral, path: str
) -> None:
    async with httpx.AsyncClient(base_url=app.url) as http:
        response = await http.post(path, json=INIT, headers=MCP_HEADERS)
        with_bad_bearer = await http.post("/mcp", json=INIT, headers={**MCP_HEADERS, "authorization": "Bearer x"})
    assert response.status_code == 401
    assert with_bad_bearer.status_code == 401
    assert response.json() == with_bad_bearer.json()  # no hint whether a token ever existed
    assert fake_mistral.requests == []


async def test_get_on_the_mcp_endpoint_is_405_not_an_idle_stream(app: RunningApp) -> None:
    conn = app.sign_up()
    async with httpx.AsyncClient() as http:
        response = await http.get(conn["mcp_url"], headers={"accept": "text/event-stream"})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


async def test_stateless_any_request_works_without_a_session(app: RunningApp) -> None:
    conn = app.sign_up()
    call = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
    async with httpx.AsyncClient() as http:
        response = await http.post(
            conn["mcp_url"], json=call, headers={**MCP_HEADERS, "mcp-protocol-version": "2025-11-25"}
        )
    assert response.status_code == 200
    assert "mcp-session-id" not in response.headers
    assert "mistral_chat" in response.text


async def test_foreign_host_header_is_refused(app: RunningApp) -> None:
    conn = app.sign_up()
    async with httpx.AsyncClient() as http:
        response = await http.post(conn["mcp_url"], json=INIT, headers={**MCP_HEADERS, "host": "evil.example"})
    assert response.status_code in {400, 403, 421}


async def test_garbage_json_rpc_gets_a_json_rpc_error_not_a_crash(app: RunningApp) -> None:
    conn = app.sign_up()
    async with httpx.AsyncClient() as http:
        bad = await http.post(conn["mcp_url"], content=b"{not json", headers=MCP_HEADERS)
        unknown = await http.post(
            conn["mcp_url"],
            json={"jsonrpc": "2.0", "id": 3, "method": "no/such"},
            headers={**MCP_HEADERS, "mcp-protocol-version": "2025-11-25"},
        )
    assert bad.status_code == 400
    assert "error" in bad.text
    assert "-32601" in unknown.text or "not found" in unknown.text.lower()
