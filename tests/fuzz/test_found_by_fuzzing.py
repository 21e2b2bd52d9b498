"""Answers the fuzzers found in the wrong shape, kept as plain examples so they stay fixed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import RunningApp

pytestmark = pytest.mark.anyio

LIST = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


@pytest.fixture(scope="module")
def connection(app: RunningApp) -> dict[str, Any]:
    return app.sign_up()


def assert_our_error(response: httpx.Response, statuses: set[int], *words: str) -> None:
    # The transport guard answers some of these before the SDK sees them, the SDK others;
    # which one does is not the point: the shape and a message naming the problem are.
    assert response.status_code in statuses, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert all(word in error["message"] for word in words), error


@pytest.mark.parametrize("content_type", ["text/plain", "", "application/x-www-form-urlencoded"])
async def test_a_body_that_is_not_declared_json_gets_our_400_naming_the_content_type(
    connection: dict[str, Any], content_type: str
) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(connection["mcp_url"], json=LIST, headers={**HEADERS, "content-type": content_type})
    assert_our_error(response, {400, 415}, "Content-Type", "application/json")


async def test_a_foreign_host_gets_our_421(connection: dict[str, Any]) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(connection["mcp_url"], json=LIST, headers={**HEADERS, "host": "evil.example"})
    assert_our_error(response, {421}, "host")


async def test_a_foreign_origin_gets_our_403(connection: dict[str, Any]) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            connection["mcp_url"], json=LIST, headers={**HEADERS, "origin": "https://evil.example"}
        )
    assert_our_error(response, {403})


async def test_a_2026_request_that_does_not_accept_json_gets_our_406(connection: dict[str, Any]) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            connection["mcp_url"],
            json=LIST,
            headers={"accept": "text/html", "content-type": "application/json", "mcp-protocol-version": "2026-07-28"},
        )
    assert_our_error(response, {406}, "Accept")


async def test_json_rpc_errors_from_the_sdk_pass_through_unchanged(connection: dict[str, Any]) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(connection["mcp_url"], content=b"{not json", headers=HEADERS)
    assert response.status_code == 400
    assert response.json()["jsonrpc"] == "2.0"
    assert isinstance(response.json()["error"]["code"], int)
