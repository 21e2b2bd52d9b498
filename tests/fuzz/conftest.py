"""Strategies and the one property every fuzzed answer must have.

The property: never a 5xx, never a traceback; a 4xx carries our error shape or a JSON-RPC
error; a 200 carries JSON-RPC responses whose errors are not internal errors. Nothing the
server logs while being fuzzed may be an error or an unhandled exception.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.conftest import RunningApp

# Bounded so the suite stays fast; function-scoped fixtures are reset once per test, on purpose.
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

JSONRPC_INTERNAL_ERROR = -32603
MCP_HEADERS = {
    "accept": "application/json, text/event-stream",
    "content-type": "application/json",
    "mcp-protocol-version": "2025-11-25",
}

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
# What header values can carry on the wire: visible ASCII and spaces.
header_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60).map(str.strip)


def jsonrpc_messages(methods: list[str]) -> st.SearchStrategy[Any]:
    """Envelopes that are nearly right, with any part of them wrong."""
    return st.fixed_dictionaries(
        {},
        optional={
            "jsonrpc": st.sampled_from(["2.0", "1.0", ""]) | json_values,
            "id": st.integers() | st.text(max_size=8) | st.none() | json_values,
            "method": st.sampled_from(methods) | st.text(max_size=30),
            "params": json_values,
        },
    )


def _messages(body: bytes) -> list[Any]:
    if not body.strip():
        return []
    if body.lstrip().startswith((b"{", b"[")):
        parsed = json.loads(body)
        return parsed if isinstance(parsed, list) else [parsed]
    return [json.loads(line[5:]) for line in body.splitlines() if line.startswith(b"data:") and line[5:].strip()]


def assert_clean_answer(response: httpx.Response) -> list[Any]:
    """The fuzzing property for one answer; returns the JSON-RPC messages it carried."""
    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text
    if response.status_code >= 400:
        body = response.json()
        error = body.get("error")
        assert isinstance(error, dict), body
        assert isinstance(error.get("message"), str) and error["message"], body
        assert isinstance(error.get("code"), str | int), body
        return [body] if "jsonrpc" in body else []
    messages = _messages(response.content)
    for message in messages:
        error = message.get("error")
        if error is not None:
            assert error["code"] != JSONRPC_INTERNAL_ERROR, message
            assert isinstance(error.get("message"), str), message
    return messages


def tool_results(messages: list[Any]) -> list[dict[str, Any]]:
    return [m["result"] for m in messages if isinstance(m.get("result"), dict) and "content" in m["result"]]


@pytest.fixture(scope="module")
def fuzz_app(app_factory: Callable[..., RunningApp]) -> RunningApp:
    """An app of its own: fuzzing must not spend the shared app's limits. Per-connection limits are
    off so every example reaches the code under test."""
    return app_factory(rate_limit_per_minute=0, max_concurrent_calls=1000)


@pytest.fixture
def quiet_log(log_stream: io.StringIO) -> Iterator[None]:
    """Fails the test if the server logged an error or an unhandled exception meanwhile."""
    start = len(log_stream.getvalue())
    yield
    for line in log_stream.getvalue()[start:].splitlines():
        entry = json.loads(line) if line.startswith("{") else {"message": line}
        assert entry.get("level") not in {"error", "critical"}, line
        assert "exception" not in entry, line
