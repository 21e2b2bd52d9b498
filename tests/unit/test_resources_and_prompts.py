"""Resources and prompts on their own: the providers' dispatch and the tool-family check.

Issue 16 will give each connection the families it may use; everything here already asks
`Caller.allows`, so these tests pass a caller that allows only some families and check that the
others are neither listed, nor readable, nor suggested, and that Mistral is never asked for them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import mcp_types as types
import pytest

from server.errors import InvalidParams, ResourceNotFound
from server.prompts import Prompts, complete
from server.resources import MistralResources, Resources, build_resources
from server.settings import Settings
from server.tools.families import Caller, Family
from server.upstream.client import MistralClient

pytestmark = pytest.mark.anyio

SETTINGS = replace(Settings(), upstream_url="http://mistral.test", upstream_max_retries=0)
MODELS = {"data": [{"id": "mistral-small-latest", "capabilities": {"completion_chat": True}}]}


@pytest.fixture
def seen() -> list[httpx.Request]:
    return []


@pytest.fixture
async def upstream(seen: list[httpx.Request]) -> AsyncIterator[MistralClient]:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=MODELS if request.url.path == "/v1/models" else {"data": []})

    client = MistralClient(SETTINGS, transport=httpx.MockTransport(answer))
    yield client
    await client.aclose()


def models_only(upstream: MistralClient) -> Caller:
    return Caller(upstream, "sk-unit", allows=lambda family: family is Family.MODELS)


async def test_a_family_the_connection_lacks_is_neither_listed_nor_read(
    upstream: MistralClient, seen: list[httpx.Request]
) -> None:
    caller = models_only(upstream)
    resources = build_resources()
    templates = resources.templates(caller).resource_templates
    assert [template.uri_template for template in templates] == ["mistral://models/{model_id}"]
    listed = await resources.list(caller, None)
    assert [resource.uri for resource in listed.resources] == ["mistral://models"] and listed.next_cursor is None
    for uri in ("mistral://files/f-1", "mistral://agents/ag_1", "mistral://batch/jobs/b-1"):
        with pytest.raises(ResourceNotFound):
            await resources.read(caller, uri)
    assert seen == []  # never asked Mistral for files, jobs or agents
    read = await resources.read(caller, "mistral://models")
    assert [request.url.path for request in seen] == ["/v1/models"] and read.contents


async def test_prompts_and_suggestions_need_every_family_their_steps_use(
    upstream: MistralClient, seen: list[httpx.Request]
) -> None:
    caller = models_only(upstream)
    prompts = Prompts()
    assert [prompt.name for prompt in prompts.listing(caller).prompts] == ["compare_models"]
    with pytest.raises(InvalidParams):
        prompts.get(caller, "fine_tune_from_data", {"model": "open-mistral-7b"})
    ask = types.CompleteRequestParams(
        ref=types.ResourceTemplateReference(uri="mistral://files/{file_id}"),
        argument=types.CompletionArgument(name="file_id", value=""),
    )
    assert (await complete(caller, ask)).values == []
    assert seen == []
    models = types.CompleteRequestParams(
        ref=types.PromptReference(name="compare_models"), argument=types.CompletionArgument(name="models", value="m")
    )
    assert (await complete(caller, models)).values == ["mistral-small-latest"]


class Views:
    """A second provider, as the MCP Apps views will be: a scheme of its own and a fixed list."""

    def handles(self, uri: str) -> bool:
        return uri.startswith("ui://")

    def templates(self, caller: Caller) -> list[types.ResourceTemplate]:
        return []

    async def list_page(self, caller: Caller, cursor: str | None) -> tuple[list[types.Resource], str | None]:
        return [types.Resource(uri="ui://mistral-mcp/view", name="view")], None

    async def read(self, caller: Caller, uri: str) -> types.ReadResourceResult:
        return types.ReadResourceResult(contents=[types.TextResourceContents(uri=uri, text="<html></html>")])


async def test_reads_go_to_the_provider_of_the_uri_and_the_list_pages_through_each(
    upstream: MistralClient,
) -> None:
    caller = Caller(upstream, "sk-unit")
    resources = Resources([MistralResources(), Views()])
    assert (await resources.read(caller, "ui://mistral-mcp/view")).contents[0].uri == "ui://mistral-mcp/view"
    pages = []
    cursor = None
    while True:
        page = await resources.list(caller, cursor)
        pages.append([resource.uri for resource in page.resources])
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    # Mistral lists no files or jobs here: its provider's empty sources hand straight over to the views.
    assert pages == [["mistral://models"], ["ui://mistral-mcp/view"]]
    with pytest.raises(ResourceNotFound):
        await resources.read(caller, "https://example.com/")
    with pytest.raises(InvalidParams):
        await resources.list(caller, "WzcsbnVsbF0")  # [7, null]: no seventh provider
