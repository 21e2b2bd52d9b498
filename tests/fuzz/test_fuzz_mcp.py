"""Property-based fuzzing of the MCP endpoint: bodies, tool arguments and headers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import RunningApp
from tests.fake_mistral import FakeMistral
from tests.fuzz.conftest import (
    FUZZ,
    MCP_HEADERS,
    assert_clean_answer,
    header_text,
    json_values,
    jsonrpc_messages,
    tool_results,
)

METHODS = [
    "initialize",
    "ping",
    "tools/list",
    "tools/call",
    "notifications/initialized",
    "resources/list",
    "resources/templates/list",
    "resources/read",
    "prompts/list",
    "prompts/get",
    "completion/complete",
]


@pytest.fixture(scope="module")
def connection(fuzz_app: RunningApp) -> dict[str, Any]:
    return fuzz_app.sign_up()


@pytest.fixture(scope="module")
def tool_schemas(fuzz_app: RunningApp, connection: dict[str, Any]) -> dict[str, dict[str, Any]]:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    response = httpx.post(connection["mcp_url"], json=body, headers=MCP_HEADERS, timeout=30)
    listing = next(m["result"] for m in assert_clean_answer(response) if "result" in m)
    return {tool["name"]: tool["inputSchema"] for tool in listing["tools"]}


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client


def arguments_for(schemas: dict[str, dict[str, Any]]) -> st.SearchStrategy[tuple[str, Any]]:
    """A tool name (sometimes unknown) and arguments built from its schema's property names."""

    def for_tool(name: str) -> st.SearchStrategy[tuple[str, Any]]:
        properties = sorted(schemas.get(name, {}).get("properties", {}))
        known = (
            st.dictionaries(st.sampled_from(properties), json_values | st.text(min_size=1, max_size=30), max_size=5)
            if properties
            else st.just({})
        )
        extra = st.dictionaries(st.text(max_size=10), json_values, max_size=2)
        arguments = st.one_of(known, st.builds(lambda a, b: {**a, **b}, known, extra), json_values)
        return st.tuples(st.just(name), arguments)

    return st.sampled_from([*sorted(schemas), "no_such_tool", ""]).flatmap(for_tool)


@pytest.mark.usefixtures("quiet_log")
@FUZZ
@given(body=st.one_of(jsonrpc_messages(METHODS), st.lists(jsonrpc_messages(METHODS), max_size=3), json_values))
def test_any_json_body_gets_a_json_rpc_answer_never_a_crash(
    http: httpx.Client, connection: dict[str, Any], fake_mistral: FakeMistral, body: Any
) -> None:
    assert_clean_answer(http.post(connection["mcp_url"], json=body, headers=MCP_HEADERS))


@pytest.mark.usefixtures("quiet_log")
@FUZZ
@given(body=st.binary(max_size=300))
def test_any_bytes_get_an_error_answer_never_a_crash(
    http: httpx.Client, connection: dict[str, Any], fake_mistral: FakeMistral, body: bytes
) -> None:
    assert_clean_answer(http.post(connection["mcp_url"], content=body, headers=MCP_HEADERS))


@pytest.mark.usefixtures("quiet_log")
@FUZZ
@given(data=st.data())
def test_any_tool_arguments_get_a_result_or_an_is_error_naming_the_problem(
    http: httpx.Client,
    connection: dict[str, Any],
    tool_schemas: dict[str, dict[str, Any]],
    fake_mistral: FakeMistral,
    data: st.DataObject,
) -> None:
    name, arguments = data.draw(arguments_for(tool_schemas))
    body = {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": name, "arguments": arguments}}
    messages = assert_clean_answer(http.post(connection["mcp_url"], json=body, headers=MCP_HEADERS))
    results = tool_results(messages)
    errors = [m["error"] for m in messages if "error" in m]
    assert len(results) + len(errors) == 1, messages
    for result in results:
        assert isinstance(result["content"], list) and result["content"], result
        if result.get("isError"):
            assert result["content"][0]["text"].strip(), result


@pytest.mark.usefixtures("quiet_log")
@FUZZ
@given(
    headers=st.fixed_dictionaries(
        {},
        optional={
            "accept": st.sampled_from(["application/json, text/event-stream", "text/event-stream", "*/*"])
            | header_text,
            "content-type": st.sampled_from(["application/json", "text/plain", "application/json; charset=latin-1"])
            | header_text,
            "mcp-protocol-version": st.sampled_from(["2025-06-18", "2025-11-25", "2026-07-28", "1999-01-01"])
            | header_text,
            "mcp-session-id": header_text,
            "authorization": st.sampled_from(["Bearer", "Bearer mmcp_x", "Basic eDp5"]) | header_text,
            "origin": st.sampled_from(["http://127.0.0.1", "https://evil.example", "null"]) | header_text,
            "last-event-id": header_text,
            "x-request-id": header_text,
        },
    ),
    method=st.sampled_from(["POST", "GET", "DELETE", "PUT"]),
    use_bearer=st.booleans(),
)
def test_any_headers_get_a_clear_answer_never_a_crash(
    http: httpx.Client,
    fuzz_app: RunningApp,
    connection: dict[str, Any],
    fake_mistral: FakeMistral,
    headers: dict[str, str],
    method: str,
    use_bearer: bool,
) -> None:
    url = connection["mcp_url"]
    if use_bearer:
        url = f"{fuzz_app.url}/mcp"
        headers = {**headers, "authorization": f"Bearer {connection['token']}"}
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    assert_clean_answer(http.request(method, url, json=body, headers=headers))


@pytest.mark.usefixtures("quiet_log")
@FUZZ
@given(token=st.text(min_size=1, max_size=80) | st.from_regex(r"mmcp_[A-Za-z0-9_-]{43}", fullmatch=True))
def test_any_token_in_the_url_is_refused_cleanly(
    http: httpx.Client, fuzz_app: RunningApp, fake_mistral: FakeMistral, token: str
) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    response = http.post(f"{fuzz_app.url}/mcp/{quote(token, safe='')}", json=body, headers=MCP_HEADERS)
    assert_clean_answer(response)
    # 307: a token of slashes makes a path with an empty segment, which Starlette redirects to "/mcp/".
    assert response.status_code in {307, 401, 404, 405}, response.text


_URI_STARTS = [
    "mistral://models",
    "mistral://models/",
    "mistral://files/",
    "mistral://fine-tuning/jobs/",
    "mistral://batch/jobs/",
    "mistral://agents/",
    "mistral://libraries/",
    "mistral://conversations/",
    "ui://mistral-mcp/",
    "",
]


@pytest.mark.usefixtures("quiet_log")
@FUZZ
@given(start=st.sampled_from(_URI_STARTS), rest=st.text(max_size=60))
def test_any_resource_uri_is_read_or_refused_as_invalid_params(
    http: httpx.Client, connection: dict[str, Any], fake_mistral: FakeMistral, start: str, rest: str
) -> None:
    body = {"jsonrpc": "2.0", "id": 5, "method": "resources/read", "params": {"uri": start + rest}}
    messages = assert_clean_answer(http.post(connection["mcp_url"], json=body, headers=MCP_HEADERS))
    for message in messages:
        assert "result" in message or message["error"]["code"] == -32602, message


@pytest.mark.usefixtures("quiet_log")
@FUZZ
@given(
    name=st.sampled_from(["fine_tune_from_data", "compare_models", "build_agent_from_documents", "nope"]),
    argument=st.sampled_from(["model", "models", "training_file", "base_agent", "prompt", "x"]),
    value=st.text(max_size=40),
    arguments=st.dictionaries(st.text(max_size=12), st.text(max_size=40), max_size=4),
)
def test_any_prompt_request_and_completion_gets_a_clean_answer(
    http: httpx.Client,
    connection: dict[str, Any],
    fake_mistral: FakeMistral,
    name: str,
    argument: str,
    value: str,
    arguments: dict[str, str],
) -> None:
    get = {"jsonrpc": "2.0", "id": 6, "method": "prompts/get", "params": {"name": name, "arguments": arguments}}
    for message in assert_clean_answer(http.post(connection["mcp_url"], json=get, headers=MCP_HEADERS)):
        assert "result" in message or message["error"]["code"] == -32602, message
    ref = {"type": "ref/prompt", "name": name}
    ask = {"ref": ref, "argument": {"name": argument, "value": value}}
    body = {"jsonrpc": "2.0", "id": 7, "method": "completion/complete", "params": ask}
    [answer] = assert_clean_answer(http.post(connection["mcp_url"], json=body, headers=MCP_HEADERS))
    assert isinstance(answer["result"]["completion"]["values"], list)
