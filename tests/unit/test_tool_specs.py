"""Tools are data: each spec names its Mistral endpoint once, and what reaches Mistral is derived from it.

The path's slots are arguments, the forwarded fields are the schema's arguments minus the declared
tool-only ones, and a plain proxy spec needs no code of its own to call Mistral.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.settings import Settings
from server.tools import build_registry
from server.tools.registry import ToolRegistry
from server.tools.schemas import object_schema
from server.tools.spec import EXTRA, Operation, ToolCall, ToolOutput, ToolSpec
from server.upstream.client import MistralClient

TOOLS_SOURCE = Path(__file__).parents[2] / "server" / "tools"
SPECS = {spec.name: spec for spec in build_registry()}
ID: dict[str, Any] = {"type": "string"}


def _properties(spec: ToolSpec) -> set[str]:
    return set(spec.input_schema["properties"])


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_path_slot_is_an_argument_of_the_tool(name: str) -> None:
    spec = SPECS[name]
    for operation in spec.operations:
        assert set(operation.slots) <= _properties(spec), str(operation)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_forwarded_fields_are_the_schema_arguments_minus_tool_only_ones_and_path_slots(name: str) -> None:
    spec = SPECS[name]
    slots = {slot for operation in spec.operations for slot in operation.slots}
    assert spec.tool_only <= _properties(spec)
    assert set(spec.forwarded) <= _properties(spec)
    grouped = {EXTRA} if spec.extra else set()  # `extra` is forwarded as its fields, not under its own name
    assert set(spec.forwarded) == _properties(spec) - spec.tool_only - slots - grouped


@pytest.mark.parametrize("name", sorted(SPECS))
def test_a_call_forwards_exactly_the_forwarded_arguments_the_caller_set(name: str) -> None:
    spec = SPECS[name]
    arguments: dict[str, Any] = {argument: f"value of {argument}" for argument in _properties(spec)}
    rare = {field: f"value of {field}" for field in spec.extra}
    if spec.extra:
        arguments[EXTRA] = rare
    call = ToolCall(arguments, upstream=None, api_key="k", spec=spec)  # type: ignore[arg-type]  # never sent
    assert call.fields() == {**{argument: arguments[argument] for argument in spec.forwarded}, **rare}
    assert ToolCall({}, upstream=None, api_key="k", spec=spec).fields() == {}  # type: ignore[arg-type]


def _tool_paths() -> Iterator[str]:
    yield from sorted({operation.path for spec in SPECS.values() for operation in spec.operations})


@pytest.mark.parametrize("path", list(_tool_paths()))
def test_each_mistral_path_is_written_once_in_the_tools(path: str) -> None:
    # Tools sharing an endpoint (chat and function calls, or a path that batch jobs can target) use one
    # constant; so do resources, prompts and the upstream client's key check: the whole server is searched.
    places = {
        str(source): count
        for source in TOOLS_SOURCE.parent.rglob("*.py")
        if (count := source.read_text().count(f'"{path}"'))
    }
    assert sum(places.values()) == 1, places


@pytest.mark.parametrize("name", sorted(SPECS))
def test_descriptions_leave_the_endpoint_to_the_spec_and_the_listing_names_it(name: str) -> None:
    spec = SPECS[name]
    assert "/v1/" not in spec.description
    listed = spec.to_mcp().description or ""
    assert listed.startswith(spec.description)
    assert all(str(operation) in listed for operation in spec.operations)


def test_a_spec_refuses_a_path_slot_that_is_not_an_argument() -> None:
    with pytest.raises(ValueError, match="file_id"):
        _spec(method="GET", path="/v1/files/{file_id}", input_schema=object_schema({"id": ID}))


def test_a_spec_refuses_a_tool_only_name_that_is_not_an_argument() -> None:
    with pytest.raises(ValueError, match="prompt"):
        _spec(method="POST", path="/v1/x", input_schema=object_schema({"id": ID}), tool_only=frozenset({"prompt"}))


def test_a_path_slot_is_filled_as_one_percent_encoded_segment() -> None:
    operation = Operation("GET", "/v1/models/{model_id}")
    assert operation.fill({"model_id": "ft:open-mistral-7b:a b/../c?d"}) == (
        "/v1/models/ft:open-mistral-7b:a%20b%2F..%2Fc%3Fd"
    )


# --- a plain proxy tool, end to end through the registry ------------------------------------


def _spec(**fields: Any) -> ToolSpec:
    defaults: dict[str, Any] = {
        "name": "t",
        "title": "T",
        "description": "A test tool.",
        "input_schema": object_schema({"id": ID}),
        "method": "GET",
        "path": "/v1/things/{id}",
    }
    return ToolSpec(**{**defaults, **fields})


Seen = list[httpx.Request]


@asynccontextmanager
async def _registry(spec: ToolSpec, reply: Any) -> Any:
    seen: Seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=reply)

    upstream = MistralClient(
        replace(Settings(), upstream_url="http://mistral.test"), transport=httpx.MockTransport(handler)
    )
    try:

        async def call(arguments: dict[str, Any]) -> tuple[Any, Seen]:
            result, _ = await ToolRegistry([spec]).call(
                spec.name, arguments, upstream=upstream, api_key="sk-test", progress=None
            )
            return result, seen

        yield call
    finally:
        await upstream.aclose()


@pytest.mark.anyio
async def test_a_plain_get_tool_fills_its_path_sends_the_rest_as_query_and_shows_the_reply() -> None:
    spec = _spec(input_schema=object_schema({"id": ID, "inline": {"type": "boolean"}}))
    async with _registry(spec, {"id": "a/b", "ok": True}) as call:
        result, seen = await call({"id": "a/b", "inline": True})
    assert not result.is_error
    assert (seen[0].method, seen[0].url.raw_path) == ("GET", b"/v1/things/a%2Fb?inline=true")
    assert seen[0].headers["authorization"] == "Bearer sk-test"
    assert json.loads(result.content[0].text) == {"id": "a/b", "ok": True}
    assert result.structured_content == {"id": "a/b", "ok": True}


@pytest.mark.anyio
async def test_a_plain_post_tool_sends_its_arguments_as_the_body_without_the_tool_only_ones() -> None:
    schema = object_schema({"id": ID, "model": ID, "note": ID})
    spec = _spec(method="POST", input_schema=schema, tool_only=frozenset({"note"}))
    async with _registry(spec, {"done": True}) as call:
        _, seen = await call({"id": "x", "model": "m", "note": "mine"})
    assert seen[0].url.path == "/v1/things/x"
    assert json.loads(seen[0].content) == {"model": "m"}


@pytest.mark.anyio
async def test_a_post_tool_whose_only_argument_is_its_path_slot_sends_no_body() -> None:
    spec = _spec(method="POST", path="/v1/things/{id}/cancel")
    async with _registry(spec, {"id": "x"}) as call:
        _, seen = await call({"id": "x"})
    assert seen[0].url.path == "/v1/things/x/cancel" and seen[0].content == b""


@pytest.mark.anyio
async def test_a_renderer_tells_the_reply_and_reads_the_arguments() -> None:
    def render(call: ToolCall, reply: Any) -> ToolOutput:
        return ToolOutput(f"{call.arguments['id']} has {len(reply['data'])} item(s)", reply)

    async with _registry(_spec(render=render), {"data": [1, 2]}) as call:
        result, _ = await call({"id": "x"})
    assert result.content[0].text == "x has 2 item(s)"


@pytest.mark.anyio
async def test_query_arguments_of_a_patch_tool_go_in_its_query_and_the_rest_in_its_body() -> None:
    schema = object_schema({"id": ID, "version": {"type": "integer"}, "name": ID})
    spec = _spec(method="PATCH", input_schema=schema, query=frozenset({"version"}))
    async with _registry(spec, {"id": "x"}) as call:
        _, seen = await call({"id": "x", "version": 3, "name": "n"})
    assert (seen[0].method, seen[0].url.raw_path) == ("PATCH", b"/v1/things/x?version=3")
    assert json.loads(seen[0].content) == {"name": "n"}


@pytest.mark.anyio
async def test_a_put_tool_whose_arguments_all_travel_in_the_query_sends_no_body() -> None:
    schema = object_schema({"id": ID, "alias": ID, "version": {"type": "integer"}})
    spec = _spec(method="PUT", input_schema=schema, query=frozenset({"alias", "version"}))
    async with _registry(spec, {"alias": "prod"}) as call:
        _, seen = await call({"id": "x", "alias": "prod", "version": 1})
    assert seen[0].url.raw_path == b"/v1/things/x?alias=prod&version=1" and seen[0].content == b""


def test_a_spec_refuses_a_query_name_that_is_not_an_argument() -> None:
    with pytest.raises(ValueError, match="version"):
        _spec(method="PATCH", input_schema=object_schema({"id": ID}), query=frozenset({"version"}))


def test_each_mistral_path_is_written_once_in_the_whole_server() -> None:
    # Not only the tools: resources, prompts and the upstream client's key check name theirs through
    # the same constants.
    import re
    from collections import Counter
    from pathlib import Path

    written = Counter(
        path
        for source in Path("server").rglob("*.py")
        for path in re.findall(r"[\"'](/v1/[A-Za-z0-9_/{}.-]+)[\"']", source.read_text(encoding="utf-8"))
    )
    assert {path: n for path, n in written.items() if n > 1} == {}
