"""The fake Mistral's agent-building endpoints: bodies and queries validated as the real API does, state kept."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fake_mistral import SEEDED_AGENT_ID, FakeMistral

KEY = "sk-test-valid"
AGENT = {"model": "mistral-medium-latest", "name": "Librarian"}
LIBRARY = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"


@pytest.fixture
def client(fake_mistral: FakeMistral, fake_mistral_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake_mistral_url, headers={"Authorization": f"Bearer {KEY}"}, timeout=10) as http:
        yield http


def errors_of(response: httpx.Response) -> list[tuple[str, list[Any]]]:
    assert response.status_code == 422, response.text
    return [(item["type"], item["loc"]) for item in response.json()["message"]["detail"]]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"model": "mistral-medium-latest"}, [("missing", ["body", "name"])]),
        ({**AGENT, "colour": "red"}, [("extra_forbidden", ["body", "colour"])]),
        ({**AGENT, "name": 3}, [("string_type", ["body", "name"])]),
        (
            {**AGENT, "tools": [{"type": "document_library"}]},
            [("missing", ["body", "tools", 0, "document_library", "library_ids"])],
        ),
        (
            {**AGENT, "tools": [{"type": "document_library", "library_ids": []}]},
            [("too_short", ["body", "tools", 0, "document_library", "library_ids"])],
        ),
        (
            {**AGENT, "tools": [{"type": "web_search", "library_ids": [LIBRARY]}]},
            [("extra_forbidden", ["body", "tools", 0, "web_search", "library_ids"])],
        ),
        ({**AGENT, "tools": [{"type": "telepathy"}]}, [("union_tag_invalid", ["body", "tools", 0])]),
        (
            {**AGENT, "completion_args": {"temperature": 1.2}},
            [("less_than_equal", ["body", "completion_args", "temperature"])],
        ),
        ({**AGENT, "completion_args": {"n": 2}}, [("extra_forbidden", ["body", "completion_args", "n"])]),
        ({**AGENT, "handoffs": []}, [("too_short", ["body", "handoffs"])]),
        ({**AGENT, "version_message": "x" * 501}, [("string_too_long", ["body", "version_message"])]),
        ({**AGENT, "deployment_chat": True}, [("extra_forbidden", ["body", "deployment_chat"])]),
    ],
)
def test_a_create_body_the_reference_rejects_gets_pydantic_shaped_422s(
    client: httpx.Client, body: dict[str, Any], expected: list[tuple[str, list[Any]]]
) -> None:
    assert errors_of(client.post("/v1/agents", json=body)) == expected


def test_an_update_body_takes_only_update_agent_request_fields(client: httpx.Client) -> None:
    path = f"/v1/agents/{SEEDED_AGENT_ID}"
    assert errors_of(client.patch(path, json={"temperature": 0.2})) == [("extra_forbidden", ["body", "temperature"])]
    assert errors_of(client.patch(path, json={"deployment_chat": "sometimes"})) == [
        ("bool_parsing", ["body", "deployment_chat"])
    ]
    assert errors_of(client.patch(path)) == [("missing", ["body"])]


def test_version_and_alias_queries_are_required_and_checked(client: httpx.Client) -> None:
    base = f"/v1/agents/{SEEDED_AGENT_ID}"
    assert errors_of(client.patch(f"{base}/version")) == [("missing", ["query", "version"])]
    assert errors_of(client.patch(f"{base}/version", params={"version": "one"})) == [
        ("int_parsing", ["query", "version"])
    ]
    assert errors_of(client.put(f"{base}/aliases", params={"alias": "Prod", "version": 0})) == [
        ("string_pattern_mismatch", ["query", "alias"])
    ]
    assert errors_of(client.put(f"{base}/aliases", params={"alias": ""})) == [
        ("string_too_short", ["query", "alias"]),
        ("string_pattern_mismatch", ["query", "alias"]),
        ("missing", ["query", "version"]),
    ]
    assert errors_of(client.delete(f"{base}/aliases")) == [("missing", ["query", "alias"])]
    assert errors_of(client.get(f"{base}/versions", params={"page_size": 101})) == [
        ("less_than_equal", ["query", "page_size"])
    ]


def test_an_agent_keeps_its_versions_and_aliases_until_deleted(client: httpx.Client) -> None:
    created = client.post("/v1/agents", json={**AGENT, "tools": [{"type": "web_search"}]}).json()
    agent_id = created["id"]
    assert (created["object"], created["version"], created["versions"]) == ("agent", 0, [0])
    assert created["completion_args"]["tool_choice"] == "auto"
    updated = client.patch(f"/v1/agents/{agent_id}", json={"name": "Archivist", "version_message": "renamed"}).json()
    assert (updated["name"], updated["version"], updated["versions"]) == ("Archivist", 1, [0, 1])
    assert client.get(f"/v1/agents/{agent_id}").json()["name"] == "Archivist"
    back = client.patch(f"/v1/agents/{agent_id}/version", params={"version": 0}).json()
    assert (back["name"], back["version"], back["versions"]) == ("Librarian", 0, [0, 1])
    assert client.patch(f"/v1/agents/{agent_id}", json={}).json()["version"] == 2  # a new version, not 1 again
    alias = client.put(f"/v1/agents/{agent_id}/aliases", params={"alias": "production", "version": 1}).json()
    assert (alias["alias"], alias["version"]) == ("production", 1)
    moved = client.put(f"/v1/agents/{agent_id}/aliases", params={"alias": "production", "version": 2}).json()
    assert moved["created_at"] == alias["created_at"] and moved["version"] == 2
    assert client.get(f"/v1/agents/{agent_id}/versions/production").json()["version"] == 2
    assert client.get(f"/v1/agents/{agent_id}/versions/1").json()["name"] == "Archivist"
    assert [v["version"] for v in client.get(f"/v1/agents/{agent_id}/versions").json()] == [2, 1, 0]
    assert client.delete(f"/v1/agents/{agent_id}/aliases", params={"alias": "production"}).status_code == 204
    assert client.get(f"/v1/agents/{agent_id}/aliases").json() == []
    deleted = client.delete(f"/v1/agents/{agent_id}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert client.get(f"/v1/agents/{agent_id}/versions").status_code == 404


def test_unknown_agents_versions_and_aliases_are_404(client: httpx.Client) -> None:
    base = f"/v1/agents/{SEEDED_AGENT_ID}"
    assert client.patch("/v1/agents/ag_nobody", json={"name": "X"}).status_code == 404
    assert client.delete("/v1/agents/ag_nobody").status_code == 404
    assert client.patch(f"{base}/version", params={"version": 3}).status_code == 404
    assert client.get(f"{base}/versions/3").status_code == 404
    assert client.put(f"{base}/aliases", params={"alias": "prod", "version": 3}).status_code == 404
    assert client.delete(f"{base}/aliases", params={"alias": "prod"}).status_code == 404
    assert client.post("/v1/agents", json={**AGENT, "model": "no-such-model"}).status_code == 400
