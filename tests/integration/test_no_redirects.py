"""No redirect of the server's own making: a redirect would carry the personal URL's token to an
address the server builds (plain http behind a TLS proxy), and the client would re-send it there.
A trailing slash on the MCP URL reaches the endpoint itself; other unknown paths are a 404."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.conftest import RunningApp
from tests.support.mcp_client import MODES, connect

pytestmark = pytest.mark.anyio

MCP_HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}
TOOLS_LIST = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
BEHIND_TLS_PROXY = {"x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.9"}


@pytest.fixture(scope="module")
def proxied_app(app_factory: Callable[..., RunningApp]) -> RunningApp:
    return app_factory(forwarded_allow_ips=("127.0.0.1",))


def test_a_trailing_slash_on_the_personal_url_behind_a_tls_proxy_is_served_not_redirected(
    proxied_app: RunningApp,
) -> None:
    token = proxied_app.sign_up()["token"]
    response = httpx.post(
        f"{proxied_app.url}/mcp/{token}/", json=TOOLS_LIST, headers={**MCP_HEADERS, **BEHIND_TLS_PROXY}, timeout=30
    )
    assert "location" not in response.headers
    assert response.status_code == 200, response.text
    assert {tool["name"] for tool in response.json()["result"]["tools"]} >= {"mistral_chat"}


def test_a_trailing_slash_on_the_bare_mcp_url_is_served_not_redirected(proxied_app: RunningApp) -> None:
    token = proxied_app.sign_up()["token"]
    headers = {**MCP_HEADERS, **BEHIND_TLS_PROXY, "authorization": f"Bearer {token}"}
    response = httpx.post(f"{proxied_app.url}/mcp/", json=TOOLS_LIST, headers=headers, timeout=30)
    assert "location" not in response.headers
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("mode", MODES)
async def test_an_mcp_client_works_with_a_trailing_slash_on_its_url(app: RunningApp, mode: str) -> None:
    url = app.sign_up()["mcp_url"] + "/"
    async with connect(url, mode) as client:
        tools = (await client.list_tools()).tools
    assert "mistral_chat" in {tool.name for tool in tools}


@pytest.mark.parametrize("path", ["/api/connection/", "/manage/", "/healthz/", "/static", "/mcp/abc/def/"])
def test_other_paths_with_a_stray_slash_are_a_404_in_our_error_shape(proxied_app: RunningApp, path: str) -> None:
    response = httpx.get(f"{proxied_app.url}{path}", headers=BEHIND_TLS_PROXY, timeout=30)
    assert "location" not in response.headers
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
