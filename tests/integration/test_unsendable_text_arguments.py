"""Text no UTF-8 can carry (an unpaired UTF-16 surrogate, which JSON's `\\ud800` escape can write) is
refused like any bad argument: an `isError` result naming the argument, before any upstream call,
never an internal error with a traceback.

The 2026-07-28 era reads bodies with Python's JSON reader, which accepts such escapes; the request to
Mistral is UTF-8 JSON, which cannot hold them.
"""

from __future__ import annotations

import io
import json
from typing import Any

import httpx
import pytest

from tests.conftest import RunningApp
from tests.fake_mistral import FakeMistral
from tests.integration.test_non_finite_arguments import MCP_HEADERS, MODERN_META
from tests.support.mcp_client import MODERN

pytestmark = pytest.mark.anyio

LONE = "\ud800"


async def post_raw(url: str, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """One 2026-07-28 tools/call as raw JSON-RPC; json.dumps writes the surrogate as its escape."""
    params = {"name": tool, "arguments": arguments, "_meta": MODERN_META}
    body = json.dumps({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": params})
    assert "\\ud800" in body
    headers = {**MCP_HEADERS, "mcp-protocol-version": MODERN, "mcp-method": "tools/call", "mcp-name": tool}
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(url, content=body, headers=headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


@pytest.mark.parametrize(
    ("tool", "arguments", "named"),
    [
        ("mistral_chat", {"prompt": f"hi {LONE}"}, "'prompt'"),
        ("mistral_embed", {"input": [f"a{LONE}"]}, "'input.0'"),
        (
            "mistral_chat",
            {
                "messages": [{"role": "user", "content": "hi"}],
                "response_format": {"type": "json_schema", "json_schema": {"name": "s", "schema": {LONE: 1}}},
            },
            "'response_format.json_schema.schema'",
        ),
    ],
    ids=["chat-prompt", "embed-input", "nested-key"],
)
async def test_a_lone_surrogate_in_a_text_argument_is_an_error_result_naming_it(
    app: RunningApp, fake_mistral: FakeMistral, log_stream: io.StringIO, tool: str, arguments: Any, named: str
) -> None:
    conn = app.sign_up()
    fake_mistral.requests.clear()
    start = len(log_stream.getvalue())
    answer = await post_raw(conn["mcp_url"], tool, arguments)
    result = answer["result"]
    text = "\n".join(block["text"] for block in result["content"])
    assert result["isError"] is True
    assert named in text, text
    assert "internal error" not in text
    assert fake_mistral.requests == []
    for line in log_stream.getvalue()[start:].splitlines():
        entry = json.loads(line) if line.startswith("{") else {}
        assert entry.get("level") != "error" and "exception" not in entry, line
