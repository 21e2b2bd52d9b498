"""Resources through the official SDK client, in both eras: templates, listing, reading, links, errors."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import mcp_types as types
import pytest
from mcp.shared.exceptions import MCPError
from mcp_types import SERVER_INFO_META_KEY
from mcp_types.jsonrpc import INTERNAL_ERROR, INVALID_PARAMS

from server.resources import listing
from server.tools.file_content import DOWNLOAD_MAX_BYTES
from server.transport.offers import LIMITED
from tests.conftest import VALID_KEY, RunningApp
from tests.fake_mistral import SEEDED_AGENT_ID, SEEDED_FINE_TUNED_MODEL, FakeMistral
from tests.support.mcp_client import LEGACY, MODERN, MODES, connect
from tests.support.tool_calls import text_of

pytestmark = pytest.mark.anyio

OTHER_KEY = "sk-test-other-user"
JSONL = b'{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}\n'
BATCH = {"endpoint": "/v1/chat/completions", "model": "mistral-small-latest", "requests": [{"body": {"messages": []}}]}


def only_text(result: types.ReadResourceResult) -> str:
    [contents] = result.contents
    assert isinstance(contents, types.TextResourceContents)
    return contents.text


async def test_the_handshake_advertises_resources_prompts_completions_an_icon_and_a_website(app: RunningApp) -> None:
    async with connect(app.sign_up()["mcp_url"], LEGACY) as client:
        capabilities = client.server_capabilities
        info = client.server_info
    assert capabilities.resources is not None and capabilities.resources.subscribe is False
    assert capabilities.prompts is not None and capabilities.completions is not None and capabilities.tools is not None
    assert info is not None and info.website_url == f"{app.url}/"
    assert info.icons and info.icons[0].src.startswith("data:image/svg+xml,")


async def test_server_discover_advertises_the_same_in_the_2026_era(app: RunningApp) -> None:
    async with connect(app.sign_up()["mcp_url"], MODERN) as client:
        raw = await client.session.send_discover(MODERN)
    discovered = types.DiscoverResult.model_validate(raw)
    capabilities = discovered.capabilities
    assert capabilities.resources is not None and capabilities.prompts is not None
    assert capabilities.completions is not None and capabilities.tools is not None
    info = types.Implementation.model_validate((discovered.meta or {})[SERVER_INFO_META_KEY])
    assert info.website_url == f"{app.url}/" and info.icons


@pytest.mark.parametrize("mode", MODES)
async def test_templates_name_every_kind_of_mistral_resource(app: RunningApp, mode: str) -> None:
    async with connect(app.sign_up()["mcp_url"], mode) as client:
        templates = (await client.list_resource_templates()).resource_templates
    assert [template.uri_template for template in templates] == [
        "mistral://models/{model_id}",
        "mistral://files/{file_id}",
        "mistral://fine-tuning/jobs/{job_id}",
        "mistral://batch/jobs/{job_id}",
        "mistral://agents/{agent_id}",
        "mistral://conversations/{conversation_id}",
        "mistral://libraries/{library_id}",
    ]
    assert all(template.title and template.description for template in templates)
    assert len({template.name for template in templates}) == len(templates)


async def test_the_list_pages_through_recent_files_and_jobs_a_bounded_page_at_a_time(
    app: RunningApp, fake_mistral: FakeMistral, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(listing, "PAGE_SIZE", 2)
    monkeypatch.setattr(listing, "MAX_PAGES", 2)
    files = [fake_mistral.add_file(JSONL, filename=f"f{i}.jsonl") for i in range(5)]
    for index, record in enumerate(files):
        record["created_at"] += index  # newest last
    connection = app.sign_up()
    pages: list[list[str]] = []
    async with connect(connection["mcp_url"]) as client:
        job = await client.call_tool("mistral_create_batch_job", BATCH)
        fake_mistral.requests.clear()
        cursor = None
        while True:
            page = await client.list_resources(cursor=cursor)
            pages.append([resource.uri for resource in page.resources])
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
    newest = [f"mistral://files/{record['id']}" for record in reversed(files)]
    assert pages == [
        ["mistral://models", *newest[:2]],
        newest[2:4],  # the fifth file is past the most recent MAX_PAGES pages
        [f"mistral://batch/jobs/{job.structured_content['id']}"],  # no fine-tuning jobs: straight on to batch
    ]
    assert {request.api_key for request in fake_mistral.requests} == {VALID_KEY}
    assert [request.query for request in fake_mistral.requests_to("GET", "/v1/files")] == [
        {"page": "0", "page_size": "2"},
        {"page": "1", "page_size": "2"},
    ]


async def every_resource(client: Any) -> list[types.Resource]:
    found: list[types.Resource] = []
    cursor = None
    while True:
        page = await client.list_resources(cursor=cursor)
        found += page.resources
        if page.next_cursor is None:
            return found
        cursor = page.next_cursor


async def test_listed_files_and_jobs_say_what_they_are(app: RunningApp, fake_mistral: FakeMistral) -> None:
    record = fake_mistral.add_file(JSONL * 3, filename="train.jsonl")
    async with connect(app.sign_up()["mcp_url"]) as client:
        created = await client.call_tool(
            "mistral_create_fine_tuning_job",
            {"model": "open-mistral-7b", "training_files": [{"file_id": record["id"]}], "hyperparameters": {}},
        )
        resources = {resource.uri: resource for resource in await every_resource(client)}
    listed = resources[f"mistral://files/{record['id']}"]
    assert (listed.name, listed.size, listed.mime_type) == ("train.jsonl", len(JSONL) * 3, record["mimetype"])
    assert listed.description and "purpose fine-tune" in listed.description
    job = resources[f"mistral://fine-tuning/jobs/{created.structured_content['id']}"]
    assert job.title == "Fine-tuning open-mistral-7b (RUNNING)" and job.mime_type == "application/json"


@pytest.mark.parametrize("mode", MODES)
async def test_the_models_resource_gives_the_keys_models_with_capabilities(
    app: RunningApp, fake_mistral: FakeMistral, mode: str
) -> None:
    async with connect(app.sign_up()["mcp_url"], mode) as client:
        result = await client.read_resource("mistral://models")
    models = {model["id"]: model for model in json.loads(only_text(result))["models"]}
    assert result.contents[0].mime_type == "application/json"
    assert models["mistral-small-latest"]["capabilities"] == ["chat", "function_calling", "fine_tuning", "vision"]
    assert models["mistral-small-latest"]["max_context_length"] > 0
    assert "mistral-small-2506" in models["mistral-small-latest"]["aliases"]
    assert models[SEEDED_FINE_TUNED_MODEL]["root"] == "open-mistral-7b"
    assert [request.api_key for request in fake_mistral.requests_to("GET", "/v1/models")][-1] == VALID_KEY


async def test_each_kind_is_read_from_mistral_with_the_callers_key(app: RunningApp, fake_mistral: FakeMistral) -> None:
    library, conversation = fake_mistral.add_library(owner=VALID_KEY), fake_mistral.add_conversation(owner=VALID_KEY)
    async with connect(app.sign_up()["mcp_url"]) as client:
        ft = await client.call_tool(
            "mistral_create_fine_tuning_job", {"model": "open-mistral-7b", "hyperparameters": {}}
        )
        batch = await client.call_tool("mistral_create_batch_job", BATCH)
        fake_mistral.requests.clear()
        read = {
            f"mistral://models/{SEEDED_FINE_TUNED_MODEL}": "/v1/models/" + SEEDED_FINE_TUNED_MODEL,
            f"mistral://fine-tuning/jobs/{ft.structured_content['id']}": f"/v1/fine_tuning/jobs/{ft.structured_content['id']}",
            f"mistral://batch/jobs/{batch.structured_content['id']}": f"/v1/batch/jobs/{batch.structured_content['id']}",
            f"mistral://agents/{SEEDED_AGENT_ID}": f"/v1/agents/{SEEDED_AGENT_ID}",
            f"mistral://libraries/{library['id']}": f"/v1/libraries/{library['id']}",
            f"mistral://conversations/{conversation['id']}": f"/v1/conversations/{conversation['id']}",
        }
        bodies = {uri: json.loads(only_text(await client.read_resource(uri))) for uri in read}
    assert [(r.method, r.path, r.api_key) for r in fake_mistral.requests] == [
        ("GET", path, VALID_KEY) for path in read.values()
    ]
    assert bodies[f"mistral://libraries/{library['id']}"] == library
    assert bodies[f"mistral://conversations/{conversation['id']}"]["agent_id"] == SEEDED_AGENT_ID
    assert bodies[f"mistral://agents/{SEEDED_AGENT_ID}"]["name"] == "Fake assistant"


@pytest.mark.parametrize("mode", MODES)
async def test_a_big_file_is_read_a_window_at_a_time(app: RunningApp, fake_mistral: FakeMistral, mode: str) -> None:
    content = b"".join(b'{"line": %06d}\n' % i for i in range(16_000))  # 272,000 bytes of text
    record = fake_mistral.add_file(content)
    uri = f"mistral://files/{record['id']}"
    windows: list[types.TextResourceContents] = []
    async with connect(app.sign_up()["mcp_url"], mode) as client:
        while uri:
            [window] = (await client.read_resource(uri)).contents
            assert isinstance(window, types.TextResourceContents) and window.uri == uri
            windows.append(window)
            uri = (window.meta or {}).get("next_uri")
    assert "".join(window.text for window in windows).encode() == content
    assert [window.meta and window.meta["offset"] for window in windows] == [
        0,
        DOWNLOAD_MAX_BYTES,
        2 * DOWNLOAD_MAX_BYTES,
    ]
    assert windows[0].meta and windows[0].meta["total_bytes"] == len(content)
    assert windows[-1].meta and "next_offset" not in windows[-1].meta and "next_uri" not in windows[-1].meta


async def test_a_binary_file_comes_as_a_blob(app: RunningApp, fake_mistral: FakeMistral) -> None:
    pdf = b"%PDF-1.7\n\x00\xff\xfe binary"
    record = fake_mistral.add_file(pdf, filename="scan.pdf", purpose="ocr")
    async with connect(app.sign_up()["mcp_url"]) as client:
        [blob] = (await client.read_resource(f"mistral://files/{record['id']}")).contents
    assert isinstance(blob, types.BlobResourceContents)
    assert base64.b64decode(blob.blob) == pdf and blob.mime_type == "application/pdf"


@pytest.mark.parametrize("mode", MODES)
async def test_another_keys_ids_and_unknown_ones_are_not_found_and_never_read(
    app: RunningApp, fake_mistral: FakeMistral, mode: str
) -> None:
    fake_mistral.valid_keys.add(OTHER_KEY)
    async with connect(app.sign_up()["mcp_url"], mode) as owner:
        uploaded = await owner.call_tool("mistral_upload_file", {"filename": "secret.txt", "content": "mine only"})
        job = await owner.call_tool("mistral_create_batch_job", BATCH)
    library = fake_mistral.add_library(owner=VALID_KEY)
    foreign = [
        f"mistral://files/{uploaded.structured_content['id']}",
        f"mistral://batch/jobs/{job.structured_content['id']}",
        f"mistral://libraries/{library['id']}",
    ]
    unknown = [
        "mistral://files/f0000000-0000-4000-8000-000000000000",
        "mistral://fine-tuning/jobs/not-a-uuid",
        "mistral://agents/ag_nobody",
        "mistral://models/ft:nothing:here",
    ]
    async with connect(app.sign_up(OTHER_KEY)["mcp_url"], mode) as other:
        listed = [resource.uri for resource in await every_resource(other)]
        for uri in foreign + unknown:
            with pytest.raises(MCPError) as refused:
                await other.read_resource(uri)
            assert refused.value.code == INVALID_PARAMS, uri
            assert refused.value.message.startswith("Not found: this Mistral key has no "), refused.value.message
            assert refused.value.data == {"uri": uri}
            assert "mine only" not in refused.value.message
    assert not set(foreign) & set(listed)


@pytest.mark.parametrize(
    "uri",
    [
        "mistral://nothing/here",
        "mistral://files/",
        "mistral://files/a/b",
        "mistral://agents/ag_1?offset=3",
        "mistral://files/f0000000-0000-4000-8000-000000000000?offset=-1",
        "https://example.com/",
        "ui://mistral-mcp/nothing",
    ],
)
async def test_a_uri_naming_no_resource_is_invalid_params_without_asking_mistral(
    app: RunningApp, fake_mistral: FakeMistral, uri: str
) -> None:
    async with connect(app.sign_up()["mcp_url"]) as client:
        fake_mistral.requests.clear()
        with pytest.raises(MCPError) as refused:
            await client.read_resource(uri)
    assert refused.value.code == INVALID_PARAMS
    assert refused.value.data == {"uri": uri}
    assert fake_mistral.requests == []


@pytest.mark.parametrize("mode", MODES)
async def test_a_mistral_failure_is_an_error_that_says_so(
    app: RunningApp, fake_mistral: FakeMistral, mode: str
) -> None:
    async with connect(app.sign_up()["mcp_url"], mode) as client:
        fake_mistral.fail_next(f"/v1/agents/{SEEDED_AGENT_ID}", status=500, times=5)
        with pytest.raises(MCPError) as failed:
            await client.read_resource(f"mistral://agents/{SEEDED_AGENT_ID}")
        fake_mistral.fail_next("/v1/files", status=401)
        with pytest.raises(MCPError) as rejected:
            await client.list_resources()
    assert failed.value.code == INTERNAL_ERROR
    assert failed.value.message.startswith("Mistral is unavailable right now (500)")
    assert rejected.value.code == INTERNAL_ERROR and "rejected the stored API key (401)" in rejected.value.message
    assert VALID_KEY not in failed.value.message + rejected.value.message


@pytest.mark.parametrize("cursor", ["not base64!", "WzksbnVsbF0", "WzAsImZpbGVzOjk5Il0"])
async def test_a_cursor_the_server_never_gave_is_invalid_params(app: RunningApp, cursor: str) -> None:
    async with connect(app.sign_up()["mcp_url"]) as client:
        with pytest.raises(MCPError) as refused:
            await client.list_resources(cursor=cursor)
    assert refused.value.code == INVALID_PARAMS and "Invalid cursor" in refused.value.message


# --- links in tool results ---------------------------------------------------------------------


def links_of(result: Any) -> list[types.ResourceLink]:
    return [block for block in result.content if isinstance(block, types.ResourceLink)]


@pytest.mark.parametrize("mode", MODES)
async def test_an_upload_links_the_file_and_the_link_reads_it_back(
    app: RunningApp, fake_mistral: FakeMistral, mode: str
) -> None:
    async with connect(app.sign_up()["mcp_url"], mode) as client:
        uploaded = await client.call_tool("mistral_upload_file", {"filename": "notes.txt", "content": "some notes"})
        [link] = links_of(uploaded)
        read = await client.read_resource(link.uri)
    assert not uploaded.is_error, text_of(uploaded)
    assert link.uri == f"mistral://files/{uploaded.structured_content['id']}"
    assert (link.name, link.size) == ("notes.txt", len("some notes"))
    assert only_text(read) == "some notes"


async def test_listed_files_are_linked(app: RunningApp, fake_mistral: FakeMistral) -> None:
    records = [fake_mistral.add_file(JSONL, filename=f"{i}.jsonl") for i in range(3)]
    async with connect(app.sign_up()["mcp_url"]) as client:
        result = await client.call_tool("mistral_list_files", {})
    assert {link.uri for link in links_of(result)} == {f"mistral://files/{record['id']}" for record in records}


async def test_a_batch_jobs_error_file_is_linked_after_its_output(app: RunningApp, fake_mistral: FakeMistral) -> None:
    async with connect(app.sign_up()["mcp_url"]) as client:
        created = await client.call_tool("mistral_create_batch_job", BATCH)
        job_id = created.structured_content["id"]
        fake_mistral.set_batch_status(job_id, "SUCCESS")
        errors = fake_mistral.add_file(b'{"error": "bad"}\n', filename="errors.jsonl", purpose="batch")
        fake_mistral.batch_jobs[job_id]["error_file"] = errors["id"]
        result = await client.call_tool("mistral_get_batch_job", {"job_id": job_id})
        read = await client.read_resource(links_of(result)[1].uri)
    output = fake_mistral.batch_jobs[job_id]["output_file"]
    assert [link.uri for link in links_of(result)] == [f"mistral://files/{output}", f"mistral://files/{errors['id']}"]
    assert only_text(read) == '{"error": "bad"}\n'


@pytest.fixture(scope="module")
def limited_app(app_factory: Callable[..., RunningApp]) -> RunningApp:
    return app_factory(rate_limit_per_minute=2)


async def test_reads_count_against_the_connections_call_limit_and_completions_then_come_back_empty(
    limited_app: RunningApp, fake_mistral: FakeMistral
) -> None:
    async with connect(limited_app.sign_up()["mcp_url"]) as client:
        await client.read_resource("mistral://models")
        await client.list_resources()
        fake_mistral.requests.clear()
        with pytest.raises(MCPError) as refused:
            await client.read_resource("mistral://models")
        ref = types.PromptReference(name="compare_models")
        completion = (await client.complete(ref, {"name": "models", "value": "mis"})).completion
        templates = await client.list_resource_templates()  # asks nothing of Mistral: not limited
    assert refused.value.code == LIMITED and "2 tool calls per minute" in refused.value.message
    assert completion.values == [] and templates.resource_templates
    assert fake_mistral.requests == []
