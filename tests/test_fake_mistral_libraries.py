"""The fake Mistral's document libraries and fine-tuned model updates: lifecycles, and requests refused
with 422 as the reference's schemas say (multipart parts included)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fake_mistral import SEEDED_FINE_TUNED_MODEL, FakeMistral, create_app
from tests.fake_mistral.routes_libraries import FAKE_USER_ID, finish_processing
from tests.support.servers import ServerThread, serve_in_thread

KEY = "sk-test-valid"
WORKSPACE = "3f9a6b2c-1d4e-4f50-8a6b-7c8d9e0f1a2b"


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FakeMistral, ServerThread]]:
    state = FakeMistral()
    with serve_in_thread(create_app(state)) as server:
        yield state, server


@pytest.fixture
def fake(served: tuple[FakeMistral, ServerThread]) -> FakeMistral:
    state, _ = served
    state.reset()
    return state


@pytest.fixture
def client(served: tuple[FakeMistral, ServerThread], fake: FakeMistral) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served[1].url, headers={"Authorization": f"Bearer {KEY}"}, timeout=10) as http:
        yield http


def create(client: httpx.Client, **body: Any) -> dict[str, Any]:
    response = client.post("/v1/libraries", json={"name": "Handbook", **body})
    assert response.status_code == 201, response.text
    library: dict[str, Any] = response.json()
    return library


def errors(response: httpx.Response) -> list[tuple[str, list[Any]]]:
    assert response.status_code == 422, response.text
    return [(item["type"], item["loc"]) for item in response.json()["message"]["detail"]]


def test_a_library_is_created_listed_in_pages_updated_and_deleted(client: httpx.Client) -> None:
    first = create(client, description="HR")
    second = create(client, name="Recipes", owner_type="User")
    assert set(first) >= {"id", "name", "created_at", "updated_at", "owner_id", "owner_type", "total_size"}
    assert (first["nb_documents"], first["owner_type"], second["owner_type"]) == (0, "Workspace", "User")

    page = client.get("/v1/libraries", params={"page_size": 1}).json()
    assert [x["name"] for x in page["data"]] == ["Recipes"] and "pagination" not in page
    rest = client.get("/v1/libraries", params={"page_size": 1, "page_token": page["next_page_token"]}).json()
    assert [x["name"] for x in rest["data"]] == ["Handbook"] and rest["next_page_token"] is None
    assert client.get("/v1/libraries", params={"page_token": "nonsense"}).status_code == 400

    patched = client.patch(f"/v1/libraries/{first['id']}", json={"name": "Staff handbook"}).json()
    assert (patched["name"], patched["description"]) == ("Staff handbook", "HR")
    assert client.delete(f"/v1/libraries/{first['id']}").json()["id"] == first["id"]
    assert client.get(f"/v1/libraries/{first['id']}").status_code == 404


def test_library_bodies_queries_and_paths_are_validated(client: httpx.Client) -> None:
    assert errors(client.post("/v1/libraries", json={"description": "x"})) == [("missing", ["body", "name"])]
    assert errors(client.post("/v1/libraries", json={"name": 5, "chunk_size": 100, "owner_type": "Team"})) == [
        ("string_type", ["body", "name"]),
        ("greater_than_equal", ["body", "chunk_size"]),
        ("enum", ["body", "owner_type"]),
    ]
    assert errors(client.get("/v1/libraries", params={"page_size": 101})) == [
        ("less_than_equal", ["query", "page_size"])
    ]
    assert errors(client.get("/v1/libraries/not-a-uuid")) == [("uuid_parsing", ["path", "library_id"])]
    library = create(client)
    assert errors(client.patch(f"/v1/libraries/{library['id']}", json={"name": ["x"]})) == [
        ("string_type", ["body", "name"])
    ]
    # The reference's library schemas do not forbid other fields: like pydantic, the API ignores them.
    assert client.post("/v1/libraries", json={"name": "x", "colour": "red"}).status_code == 201


def test_documents_are_uploaded_as_one_file_part_processed_read_and_deleted(
    fake: FakeMistral, client: httpx.Client
) -> None:
    library = create(client)
    documents = f"/v1/libraries/{library['id']}/documents"
    response = client.post(documents, files={"file": ("notes.md", b"# Notes", "text/markdown")})
    assert response.status_code == 201, response.text
    document = response.json()
    assert (document["name"], document["size"], document["process_status"]) == ("notes.md", 7, "todo")
    again = client.post(documents, files={"file": ("copy.md", b"# Notes", "text/markdown")})
    assert again.status_code == 200 and again.json()["id"] == document["id"]
    one = f"{documents}/{document['id']}"
    assert client.get(f"{one}/text_content").status_code == 404

    finish_processing(fake, library["id"], document["id"])
    assert client.get(one).json()["process_status"] == "done"
    assert client.get(f"{one}/text_content", params={"page_start": 0}).json() == {"text": "# Notes"}
    assert client.get(f"/v1/libraries/{library['id']}").json()["nb_documents"] == 1
    listed = client.get(documents, params={"page_size": 1}).json()
    assert listed["pagination"] == {
        "total_items": 1,
        "total_pages": 1,
        "current_page": 0,
        "page_size": 1,
        "has_more": False,
    }
    assert client.post(f"{one}/reprocess").status_code == 204
    assert client.get(one).json()["process_status"] == "todo"
    assert client.delete(one).status_code == 204
    assert client.get(one).status_code == 404


def test_document_uploads_and_queries_are_validated(client: httpx.Client) -> None:
    library = create(client)
    documents = f"/v1/libraries/{library['id']}/documents"
    assert errors(client.post(documents, json={"file": "x"})) == [("missing", ["body", "file"])]
    assert errors(client.post(documents, files={"other": ("a.txt", b"x", "text/plain")})) == [
        ("missing", ["body", "file"])
    ]
    assert errors(client.post(documents, data={"file": "just text"}, files={"x": ("a", b"", "text/plain")})) == [
        ("value_error", ["body", "file"])
    ]
    assert errors(client.get(documents, params={"page": -1})) == [("greater_than_equal", ["query", "page"])]
    one = f"{documents}/{uuid.uuid4()}"
    assert errors(client.get(f"{one}/text_content", params={"page_end": "two"})) == [
        ("int_parsing", ["query", "page_end"])
    ]
    assert errors(client.get(f"{documents}/nope")) == [("uuid_parsing", ["path", "document_id"])]


def test_sharing_is_validated_and_the_owner_keeps_their_access(client: httpx.Client) -> None:
    library = create(client)
    share = f"/v1/libraries/{library['id']}/share"
    entity = {"share_with_uuid": WORKSPACE, "share_with_type": "Workspace"}
    assert errors(client.put(share, json=entity)) == [("missing", ["body", "level"])]
    assert errors(client.put(share, json={**entity, "share_with_uuid": "me", "level": "Owner"})) == [
        ("enum", ["body", "level"]),
        ("uuid_parsing", ["body", "share_with_uuid"]),
    ]
    assert client.put(share, json={**entity, "level": "Viewer"}).json()["role"] == "Viewer"
    assert client.put(share, json={**entity, "level": "Editor"}).json()["role"] == "Editor"
    assert [s["role"] for s in client.get(share).json()["data"]] == ["Owner", "Editor"]
    owner = {"share_with_uuid": FAKE_USER_ID, "share_with_type": "User"}
    assert client.request("DELETE", share, json=owner).status_code == 400
    assert errors(client.request("DELETE", share, json={"share_with_type": "Org"})) == [
        ("missing", ["body", "share_with_uuid"])
    ]
    assert client.request("DELETE", share, json=entity).json()["share_with_uuid"] == WORKSPACE
    assert client.request("DELETE", share, json=entity).status_code == 404


def test_a_fine_tuned_model_is_updated_and_its_body_validated(fake: FakeMistral, client: httpx.Client) -> None:
    path = f"/v1/fine_tuning/models/{SEEDED_FINE_TUNED_MODEL}"
    model = client.patch(path, json={"name": "Bot"}).json()
    assert (model["name"], model["model_type"], model["archived"]) == ("Bot", "completion", False)
    assert fake.fine_tuned_models[SEEDED_FINE_TUNED_MODEL]["name"] == "Bot"
    assert errors(client.patch(path, json={"description": 3})) == [("string_type", ["body", "description"])]
    assert client.patch("/v1/fine_tuning/models/ft:unknown", json={}).status_code == 404
