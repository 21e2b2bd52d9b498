"""NaN and ±Infinity in number arguments are refused like any bad argument: an `isError` result
naming the argument, before any upstream call, never an internal error.

Python's JSON (and pydantic's) reads the non-standard literals `NaN`, `Infinity` and `-Infinity`,
and JSON Schema's bounds cannot catch NaN (every comparison with it is false). The SDK client
sends such a float as `null`, so the literals are also posted as raw JSON-RPC.
"""

from __future__ import annotations

import json
import math
from typing import Any

import httpx
import pytest

from tests.conftest import RunningApp
from tests.fake_mistral import FakeMistral
from tests.support.mcp_client import LEGACY, MODERN, MODES, connect

pytestmark = pytest.mark.anyio

MCP_HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}
MODERN_META = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientInfo": {"name": "raw", "version": "1"},
    "io.modelcontextprotocol/clientCapabilities": {},
}
NON_FINITE = pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf], ids=["NaN", "Infinity", "-Infinity"])
# (tool, arguments around the bad number, the argument's name in the message)
CASES = pytest.mark.parametrize(
    ("tool", "arguments", "named"),
    [
        ("mistral_chat", lambda v: {"prompt": "hi", "temperature": v}, "temperature"),
        ("mistral_chat", lambda v: {"prompt": "hi", "max_tokens": v}, "max_tokens"),
        ("mistral_code_complete", lambda v: {"prompt": "def f(", "top_p": v}, "top_p"),
    ],
    ids=["chat-temperature", "chat-max_tokens", "code_complete-top_p"],
)


def text_of(result: Any) -> str:
    return "\n".join(block.text for block in result.content if getattr(block, "type", "") == "text")


async def post_raw(url: str, mode: str, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """One tools/call as raw JSON-RPC, with Python's NaN/Infinity literals left in the body."""
    params: dict[str, Any] = {"name": tool, "arguments": arguments}
    headers = {**MCP_HEADERS, "mcp-protocol-version": "2025-11-25"}
    if mode == MODERN:
        params["_meta"] = MODERN_META
        headers = {**MCP_HEADERS, "mcp-protocol-version": MODERN, "mcp-method": "tools/call", "mcp-name": tool}
    body = json.dumps({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": params})
    assert "NaN" in body or "Infinity" in body
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(url, content=body, headers=headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


@pytest.mark.parametrize("mode", MODES)
@NON_FINITE
@CASES
async def test_a_non_finite_number_posted_as_a_json_literal_is_an_error_result_naming_the_argument(
    app: RunningApp, fake_mistral: FakeMistral, mode: str, value: float, tool: str, arguments: Any, named: str
) -> None:
    conn = app.sign_up()
    fake_mistral.requests.clear()
    answer = await post_raw(conn["mcp_url"], mode, tool, arguments(value))
    result = answer["result"]
    text = "\n".join(block["text"] for block in result["content"])
    assert result["isError"] is True
    assert f"'{named}'" in text
    assert "internal error" not in text
    assert fake_mistral.requests == []


@pytest.mark.parametrize("mode", [LEGACY, MODERN])
@NON_FINITE
async def test_a_non_finite_number_from_the_sdk_client_is_an_error_result_naming_the_argument(
    app: RunningApp, fake_mistral: FakeMistral, mode: str, value: float
) -> None:
    conn = app.sign_up()
    fake_mistral.requests.clear()
    async with connect(conn["mcp_url"], mode) as client:
        result = await client.call_tool("mistral_chat", {"prompt": "hi", "temperature": value})
    assert result.is_error
    assert "'temperature'" in text_of(result)
    assert "internal error" not in text_of(result)
    assert fake_mistral.requests == []


async def test_a_non_finite_number_deep_inside_an_argument_is_named_by_its_path(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    conn = app.sign_up()
    fake_mistral.requests.clear()
    arguments = {"messages": [{"role": "user", "content": "hi"}], "response_format": {"type": "text"}}
    arguments["tools"] = [
        {"type": "function", "function": {"name": "f", "parameters": {"type": "object", "x": math.nan}}}
    ]
    answer = await post_raw(conn["mcp_url"], LEGACY, "mistral_chat", arguments)
    text = "\n".join(block["text"] for block in answer["result"]["content"])
    assert answer["result"]["isError"] is True
    assert "'tools.0.function.parameters.x'" in text
    assert fake_mistral.requests == []
