"""The MCP endpoint behind a real hostname: Host/Origin rules and header parsing, over real sockets."""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import RunningApp
from tests.fake_mistral import FakeMistral
from tests.integration.test_signup_api import assert_error_shape

LIST_TOOLS = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
MCP_HEADERS = {
    "accept": "application/json, text/event-stream",
    "content-type": "application/json",
    "mcp-protocol-version": "2025-11-25",
}


@pytest.fixture(scope="module")
def proxied(app_factory: Callable[..., RunningApp]) -> RunningApp:
    """An app whose users reach it as https://mcp.example.com through a TLS-terminating proxy."""
    return app_factory(public_url="https://mcp.example.com", allowed_hosts=("mcp-backup.example.com",))


def post_as(app: RunningApp, path: str, headers: dict[str, str]) -> httpx.Response:
    # What the proxy forwards: the user's Host and Origin, over plain HTTP to the app.
    with httpx.Client(base_url=app.url, timeout=30) as http:
        return http.post(path, json=LIST_TOOLS, headers={**MCP_HEADERS, **headers})


@pytest.mark.parametrize(
    "headers",
    [
        {"host": "mcp.example.com"},
        {"host": "mcp.example.com", "origin": "https://mcp.example.com"},
        {"host": "mcp.example.com:443"},
        {"host": "mcp-backup.example.com", "origin": "https://mcp-backup.example.com"},
    ],
)
def test_requests_for_the_public_name_are_served(proxied: RunningApp, headers: dict[str, str]) -> None:
    conn = proxied.sign_up()
    assert conn["mcp_url"].startswith("https://mcp.example.com/mcp/mmcp_")
    response = post_as(proxied, urlsplit(conn["mcp_url"]).path, headers)
    assert response.status_code == 200
    assert "mistral_chat" in response.text


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({"host": "evil.example"}, 421, "misdirected_request"),  # DNS rebinding: the attacker's name, our address
        ({"host": "mcp.example.com", "origin": "https://evil.example"}, 403, "forbidden_origin"),
        ({"host": "mcp.example.com", "origin": "http://localhost:5173"}, 403, "forbidden_origin"),
        ({"host": "mcp.example.com", "origin": "http://mcp.example.com"}, 403, "forbidden_origin"),
        ({"host": "mcp.example.com", "content-type": "text/plain"}, 415, "unsupported_media_type"),
    ],
)
def test_other_hosts_and_origins_are_refused_in_our_error_shape(
    proxied: RunningApp, fake_mistral: FakeMistral, headers: dict[str, str], status: int, code: str
) -> None:
    conn = proxied.sign_up()
    response = post_as(proxied, urlsplit(conn["mcp_url"]).path, headers)
    assert response.status_code == status
    assert_error_shape(response.json(), code)
    assert fake_mistral.requests_to("POST", "/v1/chat/completions") == []


def test_the_host_check_comes_before_the_token_check(proxied: RunningApp) -> None:
    response = post_as(proxied, "/mcp/mmcp_" + "A" * 43, {"host": "evil.example"})
    assert response.status_code == 421


def test_header_values_are_compared_without_surrounding_whitespace(app: RunningApp) -> None:
    # RFC 9110 §5.5: "Mcp-Name:  mistral_chat  " names mistral_chat. http.client sends it as written.
    conn = app.sign_up()
    body = json.dumps(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {
                "name": "mistral_chat",
                "arguments": {"prompt": "hi"},
                "_meta": {
                    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                    "io.modelcontextprotocol/clientCapabilities": {},
                },
            },
        }
    )
    target = urlsplit(conn["mcp_url"])
    connection = http.client.HTTPConnection(target.hostname or "", target.port, timeout=30)
    try:
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={
                **MCP_HEADERS,
                "mcp-protocol-version": "2026-07-28",
                "mcp-method": " tools/call\t",
                "mcp-name": "  mistral_chat  ",
            },
        )
        response = connection.getresponse()
        text = response.read().decode()
    finally:
        connection.close()
    assert response.status == 200, text
    assert "Hello from fake Mistral." in text
