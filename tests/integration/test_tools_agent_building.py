"""Building agents through the SDK client: create, update into versions, switch versions, aliases, delete."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from mcp import Client

from tests.conftest import VALID_KEY, RunningApp
from tests.fake_mistral import SEEDED_AGENT_ID, FakeMistral
from tests.support.mcp_client import MODES, connect
from tests.support.tool_calls import call_tool, text_of

pytestmark = pytest.mark.anyio

LIBRARY = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


@asynccontextmanager
async def session(app: RunningApp, fake: FakeMistral, mode: str) -> AsyncIterator[Client]:
    """One signed-up connection for several calls; the fake's log then holds only what the tools sent."""
    connection = app.sign_up()
    fake.requests.clear()
    async with connect(connection["mcp_url"], mode) as client:
        yield client


async def ok(client: Client, name: str, arguments: dict[str, Any]) -> Any:
    result = await client.call_tool(name, arguments)
    assert not result.is_error, text_of(result)
    return result


@pytest.mark.parametrize("mode", MODES)
async def test_an_agent_is_created_versioned_aliased_and_deleted_from_the_sdk_client(
    app: RunningApp, fake_mistral: FakeMistral, mode: str
) -> None:
    async with session(app, fake_mistral, mode) as client:
        created = await ok(
            client,
            "mistral_create_agent",
            {
                "model": "mistral-medium-latest",
                "name": "Librarian",
                "instructions": "Answer from the PDFs.",
                "tools": [{"type": "document_library", "library_ids": [LIBRARY]}, {"type": "web_search"}],
            },
        )
        agent_id = created.structured_content["id"]
        assert created.structured_content["version"] == 0
        updated = await ok(
            client,
            "mistral_update_agent",
            {"agent_id": agent_id, "instructions": "Cite the page.", "version_message": "cite pages"},
        )
        assert (updated.structured_content["version"], updated.structured_content["versions"]) == (1, [0, 1])
        assert text_of(updated).splitlines()[:3] == [
            f"Updated agent {agent_id}: Librarian (model mistral-medium-latest, version 1)",
            "Versions: 0, 1",
            "Version note: cite pages",
        ]
        versions = await ok(client, "mistral_list_agent_versions", {"agent_id": agent_id})
        assert [v["version"] for v in versions.structured_content["data"]] == [1, 0]
        first = await ok(client, "mistral_get_agent_version", {"agent_id": agent_id, "version": "0"})
        assert first.structured_content["instructions"] == "Answer from the PDFs."
        switched = await ok(client, "mistral_set_agent_version", {"agent_id": agent_id, "version": 0})
        assert text_of(switched) == f"Agent {agent_id} now uses version 0."
        current = await ok(client, "mistral_get_agent", {"agent_id": agent_id})
        assert (current.structured_content["version"], current.structured_content["versions"]) == (0, [0, 1])
        alias = await ok(client, "mistral_set_agent_alias", {"agent_id": agent_id, "alias": "production", "version": 1})
        assert text_of(alias) == f"Alias production of agent {agent_id} now points to version 1."
        aliases = await ok(client, "mistral_list_agent_aliases", {"agent_id": agent_id})
        assert [(a["alias"], a["version"]) for a in aliases.structured_content["data"]] == [("production", 1)]
        await ok(client, "mistral_delete_agent_alias", {"agent_id": agent_id, "alias": "production"})
        none_left = await ok(client, "mistral_list_agent_aliases", {"agent_id": agent_id})
        assert text_of(none_left) == f"Agent {agent_id} has no aliases."
        deleted = await ok(client, "mistral_delete_agent", {"agent_id": agent_id})
        assert deleted.structured_content == {"agent_id": agent_id, "deleted": True}
        gone = await client.call_tool("mistral_get_agent", {"agent_id": agent_id})
        assert gone.is_error and "no such resource (404)" in text_of(gone)
    sent = {(r.method, r.path): r for r in fake_mistral.requests}
    assert all(r.api_key == VALID_KEY for r in fake_mistral.requests)
    assert sent["PATCH", f"/v1/agents/{agent_id}"].json == {
        "instructions": "Cite the page.",
        "version_message": "cite pages",
    }
    assert sent["GET", f"/v1/agents/{agent_id}/versions"].query == {"page": "0", "page_size": "20"}
    # The version and alias endpoints take their arguments in the query and no body.
    version_set = sent["PATCH", f"/v1/agents/{agent_id}/version"]
    assert (version_set.query, version_set.body) == ({"version": "0"}, b"")
    alias_set = sent["PUT", f"/v1/agents/{agent_id}/aliases"]
    assert (alias_set.query, alias_set.body) == ({"alias": "production", "version": "1"}, b"")
    assert sent["DELETE", f"/v1/agents/{agent_id}/aliases"].query == {"alias": "production"}


async def test_create_agent_sends_the_reference_body_with_built_in_tools_and_tells_how_to_use_it(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    arguments = {
        "model": "mistral-medium-latest",
        "name": "Researcher",
        "description": "Finds and cites sources.",
        "instructions": "Search before answering.",
        "tools": [
            {"type": "web_search_premium"},
            {"type": "code_interpreter"},
            {"type": "image_generation"},
            {"type": "document_library", "library_ids": [LIBRARY]},
            WEATHER,
        ],
        "completion_args": {"temperature": 0.2, "tool_choice": "auto", "response_format": {"type": "text"}},
        "handoffs": [SEEDED_AGENT_ID],
        "version_message": "first cut",
    }
    result = await call_tool(app, fake_mistral, "mistral_create_agent", arguments)
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("POST", "/v1/agents")
    assert sent.api_key == VALID_KEY
    assert sent.json == arguments
    agent = result.structured_content
    assert agent["completion_args"]["temperature"] == 0.2
    lines = text_of(result).splitlines()
    assert lines[0] == f"Created agent {agent['id']}: Researcher (model mistral-medium-latest, version 0)"
    assert (
        "Tools: web_search_premium; code_interpreter; image_generation; "
        f"document_library (libraries {LIBRARY}); function get_weather"
    ) in lines
    assert f"Hands off to: {SEEDED_AGENT_ID}" in lines
    assert f"mistral_agent_complete (agent_id {agent['id']})" in text_of(result)


async def test_versions_come_a_page_at_a_time(app: RunningApp, fake_mistral: FakeMistral) -> None:
    async with session(app, fake_mistral, MODES[0]) as client:
        for name in ("Two", "Three"):
            await ok(client, "mistral_update_agent", {"agent_id": SEEDED_AGENT_ID, "name": name})
        page = await ok(client, "mistral_list_agent_versions", {"agent_id": SEEDED_AGENT_ID, "page_size": 2})
    assert [v["version"] for v in page.structured_content["data"]] == [2, 1]
    assert page.structured_content["has_more"] is True
    lines = text_of(page).splitlines()
    assert lines[0] == f"2 version(s) of agent {SEEDED_AGENT_ID} on page 0:"
    assert lines[1].startswith("- version 2: Three, model mistral-medium-latest, updated ")
    assert lines[-1] == "There may be more: call again with page=1."


async def test_an_update_can_deploy_the_agent_to_le_chat(app: RunningApp, fake_mistral: FakeMistral) -> None:
    result = await call_tool(
        app, fake_mistral, "mistral_update_agent", {"agent_id": SEEDED_AGENT_ID, "deployment_chat": True}
    )
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("PATCH", f"/v1/agents/{SEEDED_AGENT_ID}")
    assert sent.json == {"deployment_chat": True}
    assert result.structured_content["deployment_chat"] is True


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("mistral_update_agent", {"agent_id": "ag_nobody", "name": "X"}),
        ("mistral_delete_agent", {"agent_id": "ag_nobody"}),
        ("mistral_set_agent_version", {"agent_id": SEEDED_AGENT_ID, "version": 7}),
        ("mistral_get_agent_version", {"agent_id": SEEDED_AGENT_ID, "version": "7"}),
        ("mistral_set_agent_alias", {"agent_id": SEEDED_AGENT_ID, "alias": "prod", "version": 7}),
        ("mistral_delete_agent_alias", {"agent_id": SEEDED_AGENT_ID, "alias": "prod"}),
        ("mistral_list_agent_aliases", {"agent_id": "ag_nobody"}),
    ],
)
async def test_an_unknown_agent_version_or_alias_is_an_error_result(
    app: RunningApp, fake_mistral: FakeMistral, tool: str, arguments: dict[str, Any]
) -> None:
    result = await call_tool(app, fake_mistral, tool, arguments)
    assert result.is_error and "no such resource (404)" in text_of(result)


async def test_an_unknown_model_is_mistrals_error_result(app: RunningApp, fake_mistral: FakeMistral) -> None:
    result = await call_tool(app, fake_mistral, "mistral_create_agent", {"model": "no-such-model", "name": "X"})
    assert result.is_error and "no-such-model" in text_of(result)


@pytest.mark.parametrize(
    ("tool", "arguments", "named"),
    [
        ("mistral_create_agent", {"model": "mistral-medium-latest"}, "name"),
        ("mistral_create_agent", {"name": "X"}, "model"),
        ("mistral_create_agent", {"model": "m", "name": "X", "colour": "red"}, "colour"),
        ("mistral_create_agent", {"model": "m", "name": "X", "tools": [{"type": "document_library"}]}, "library_ids"),
        ("mistral_create_agent", {"model": "m", "name": "X", "tools": [{"type": "connector"}]}, "tools.0.type"),
        ("mistral_create_agent", {"model": "m", "name": "X", "tools": [{"type": "function"}]}, "function"),
        (
            "mistral_create_agent",
            {"model": "m", "name": "X", "tools": [{"type": "web_search", "library_ids": [LIBRARY]}]},
            "tools.0.type",
        ),
        (
            "mistral_create_agent",
            {"model": "m", "name": "X", "tools": [{"type": "document_library", "library_ids": ["../x"]}]},
            "library_ids",
        ),
        ("mistral_create_agent", {"model": "m", "name": "X", "completion_args": {"temperature": 1.2}}, "temperature"),
        ("mistral_create_agent", {"model": "m", "name": "X", "handoffs": []}, "handoffs"),
        ("mistral_create_agent", {"model": "m", "name": "X", "version_message": "x" * 501}, "version_message"),
        ("mistral_update_agent", {"agent_id": SEEDED_AGENT_ID}, "at least one"),
        ("mistral_update_agent", {"agent_id": "ag/../x", "name": "X"}, "agent_id"),
        ("mistral_delete_agent", {}, "agent_id"),
        ("mistral_list_agent_versions", {"agent_id": SEEDED_AGENT_ID, "page_size": 101}, "page_size"),
        ("mistral_get_agent_version", {"agent_id": SEEDED_AGENT_ID, "version": "../0"}, "version"),
        ("mistral_set_agent_version", {"agent_id": SEEDED_AGENT_ID, "version": -1}, "version"),
        ("mistral_set_agent_version", {"agent_id": SEEDED_AGENT_ID}, "version"),
        ("mistral_set_agent_alias", {"agent_id": SEEDED_AGENT_ID, "alias": "Prod", "version": 0}, "alias"),
        ("mistral_set_agent_alias", {"agent_id": SEEDED_AGENT_ID, "alias": "prod"}, "version"),
        ("mistral_delete_agent_alias", {"agent_id": SEEDED_AGENT_ID, "alias": "x" * 65}, "alias"),
    ],
)
async def test_bad_agent_building_arguments_are_refused_before_any_upstream_call(
    app: RunningApp, fake_mistral: FakeMistral, tool: str, arguments: dict[str, Any], named: str
) -> None:
    result = await call_tool(app, fake_mistral, tool, arguments)
    assert result.is_error and named in text_of(result), text_of(result)
    assert fake_mistral.requests == []
