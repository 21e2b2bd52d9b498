"""The tool registry on its own: the real tools, a Mistral made of `httpx.MockTransport`.

What every tool call goes through (validation, deadline, progress, result size, the mapping of
every failure to an `isError` result) is checked here without a server; the end-to-end tests
show the same through MCP.
"""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any

import anyio
import httpx
import mcp_types as types
import pytest

from server.errors import ToolArgumentError
from server.settings import Settings
from server.tools import build_registry, progress
from server.tools import registry as registry_module
from server.tools.limits import MAX_RESULT_CHARS
from server.tools.registry import ToolRegistry
from server.upstream.client import MistralClient

pytestmark = pytest.mark.anyio

KEY = "sk-registry-unit-0123456789"
SETTINGS = replace(Settings(), upstream_url="http://mistral.test", upstream_max_retries=0)

Handler = Callable[[httpx.Request], httpx.Response | Awaitable[httpx.Response]]
Progress = list[tuple[float, float | None, str | None]]


class Mistral:
    """Builds upstream clients whose requests go to `handler`; remembers every request."""

    def __init__(self) -> None:
        self.seen: list[httpx.Request] = []
        self._clients: list[MistralClient] = []

    def __call__(self, handler: Handler) -> MistralClient:
        async def record(request: httpx.Request) -> httpx.Response:
            self.seen.append(request)
            answer = handler(request)
            return answer if isinstance(answer, httpx.Response) else await answer

        client = MistralClient(SETTINGS, transport=httpx.MockTransport(record))
        self._clients.append(client)
        return client

    async def aclose(self) -> None:
        for client in self._clients:
            await client.aclose()


@pytest.fixture(scope="module")
def registry() -> ToolRegistry:
    return build_registry()


@pytest.fixture
async def mistral() -> AsyncIterator[Mistral]:
    upstreams = Mistral()
    yield upstreams
    await upstreams.aclose()


def models(*ids: str) -> httpx.Response:
    return httpx.Response(200, json={"data": [{"id": i, "capabilities": {"completion_chat": True}} for i in ids]})


def sse(*chunks: dict[str, Any], done: bool = True) -> httpx.Response:
    lines = [f"data: {json.dumps(chunk)}\n\n" for chunk in chunks] + (["data: [DONE]\n\n"] if done else [])
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content="".join(lines).encode())


def delta(text: str) -> dict[str, Any]:
    return {"id": "c1", "model": "mistral-small-latest", "choices": [{"index": 0, "delta": {"content": text}}]}


def text_of(result: types.CallToolResult) -> str:
    first = result.content[0]
    assert isinstance(first, types.TextContent)
    return first.text


def unexpected(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"unexpected request to Mistral: {request.method} {request.url}")


async def hang(_request: httpx.Request) -> httpx.Response:
    await anyio.Event().wait()
    raise AssertionError("never set")


async def call(
    registry: ToolRegistry,
    upstream: MistralClient,
    name: str,
    arguments: Any,
    progress: Callable[[float, float | None, str | None], Awaitable[None]] | None = None,
) -> tuple[types.CallToolResult, registry_module.ToolOutput | None]:
    with anyio.fail_after(30):
        return await registry.call(name, arguments, upstream=upstream, api_key=KEY, progress=progress)


# --- listing ---


def test_the_listing_names_every_tool_once_with_its_schema_title_and_hints(registry: ToolRegistry) -> None:
    tools = registry.listing().tools
    names = [tool.name for tool in tools]
    assert len(names) == len(set(names)) == len(list(registry))
    assert set(names) == {spec.name for spec in registry}
    for tool in tools:
        assert tool.name in registry
        assert tool.title and tool.description
        assert tool.input_schema == registry.input_schema(tool.name)
        # The title is the tool's own; annotations do not repeat it (MCP 2025-11-25).
        assert tool.annotations is not None and tool.annotations.title is None
        assert tool.icons and all(icon.src.startswith("data:image/svg+xml,") for icon in tool.icons)


def test_the_listing_marks_reads_and_deletions(registry: ToolRegistry) -> None:
    by_name = {tool.name: tool for tool in registry.listing().tools}
    listing = by_name["mistral_list_models"].annotations
    deletion = by_name["mistral_delete_model"].annotations
    assert listing is not None and listing.read_only_hint and not listing.destructive_hint
    assert deletion is not None and deletion.destructive_hint and not deletion.read_only_hint


def test_unknown_names_have_no_spec_and_no_schema(registry: ToolRegistry) -> None:
    assert "mistral_teleport" not in registry
    assert registry.get("mistral_teleport") is None
    assert registry.input_schema("mistral_teleport") is None


def test_a_registry_refuses_two_tools_of_one_name(registry: ToolRegistry) -> None:
    chat = registry.get("mistral_chat")
    assert chat is not None
    with pytest.raises(ValueError, match="duplicate tool mistral_chat"):
        ToolRegistry([chat, chat])


# --- validation ---


@pytest.mark.parametrize(
    ("tool", "arguments", "message"),
    [
        ("mistral_get_model", {}, "Missing required argument 'model_id'."),
        ("mistral_list_models", {"bogus": 1}, "Unknown argument: 'bogus' was unexpected. Allowed: capability,"),
        ("mistral_list_models", {"capability": "telepathy"}, "Invalid argument 'capability': must be one of 'chat',"),
        ("mistral_list_models", {"fine_tuned_only": "yes"}, "Invalid argument 'fine_tuned_only': 'yes' is not of"),
        ("mistral_chat", {"prompt": "hi", "model": "m" * 300}, "Invalid argument 'model': too long (300 characters;"),
        ("mistral_get_model", {"model_id": "a/../b"}, "Invalid argument 'model_id': 'a/../b' is not valid"),
        ("mistral_chat", {}, "Give exactly one of 'messages' or 'prompt'."),
        (
            "mistral_function_call",
            {"messages": [{"role": "user", "content": "x"}], "tools": [{"function": {}}]},
            "Missing required argument 'name' in 'tools.0.function'.",
        ),
        # A tool's `type` picks which of the tool shapes its other fields are checked against.
        (
            "mistral_chat",
            {"prompt": "x", "tools": [{"type": "document_library"}]},
            "Missing required argument 'library_ids' in 'tools.0'.",
        ),
        (
            "mistral_agent_complete",
            {"agent_id": "ag_1", "prompt": "x", "tools": [{"type": "web_search", "query": "x"}]},
            "Unknown argument in 'tools.0': 'query' was unexpected. Allowed: authorization, connector_id,",
        ),
        (
            "mistral_chat",
            {"prompt": "x", "tools": [{"type": "calculator"}]},
            "Invalid argument 'tools.0.type': 'calculator' is not one of 'function', 'web_search',",
        ),
    ],
)
def test_validation_errors_name_the_argument(
    registry: ToolRegistry, tool: str, arguments: dict[str, Any], message: str
) -> None:
    with pytest.raises(ToolArgumentError) as caught:
        registry.validate(tool, arguments)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize("arguments", [[], "model_id", None, 3])
def test_arguments_that_are_not_an_object_are_refused(registry: ToolRegistry, arguments: Any) -> None:
    with pytest.raises(ToolArgumentError, match="must be a JSON object"):
        registry.validate("mistral_list_models", arguments)


def test_whole_floats_become_integers_where_the_schema_says_integer(registry: ToolRegistry) -> None:
    arguments = registry.validate("mistral_embed", {"input": ["a", "b"], "output_dimension": 256.0})
    assert arguments == {"input": ["a", "b"], "output_dimension": 256}
    assert type(arguments["output_dimension"]) is int


async def test_a_call_with_bad_arguments_is_an_error_result_and_never_reaches_mistral(
    registry: ToolRegistry, mistral: Mistral
) -> None:
    result, output = await call(registry, mistral(unexpected), "mistral_get_model", {"model": "x"})
    assert result.is_error and output is None
    assert text_of(result) == "Unknown argument: 'model' was unexpected. Allowed: model_id."
    assert mistral.seen == []


async def test_an_argument_error_raised_by_the_tool_itself_is_an_error_result(
    registry: ToolRegistry, mistral: Mistral
) -> None:
    arguments = {"messages": [{"role": "user", "content": "hi"}], "system": "be brief"}
    result, output = await call(registry, mistral(unexpected), "mistral_chat", arguments)
    assert result.is_error and output is None
    assert "Give either `messages` or `prompt`" in text_of(result)
    assert mistral.seen == []


async def test_an_unknown_tool_is_an_error_result_pointing_to_the_list(
    registry: ToolRegistry, mistral: Mistral
) -> None:
    result, output = await call(registry, mistral(unexpected), "mistral_teleport", {})
    assert result.is_error and output is None
    assert text_of(result) == "Unknown tool 'mistral_teleport'. Call tools/list to see the available tools."
    assert mistral.seen == []


# --- a successful call ---


async def test_a_call_reaches_mistral_with_the_callers_key_and_returns_text_and_structure(
    registry: ToolRegistry, mistral: Mistral
) -> None:
    result, output = await call(registry, mistral(lambda _: models("mistral-small-latest")), "mistral_list_models", {})
    assert not result.is_error
    assert "mistral-small-latest: chat" in text_of(result)
    assert result.structured_content is not None
    assert result.structured_content["data"][0]["id"] == "mistral-small-latest"
    assert output is not None and output.structured == result.structured_content
    [request] = mistral.seen
    assert (request.method, request.url.path) == ("GET", "/v1/models")
    assert request.headers["authorization"] == f"Bearer {KEY}"


async def test_validated_integers_reach_mistral_as_integers(registry: ToolRegistry, mistral: Mistral) -> None:
    vectors = {"model": "mistral-embed", "data": [{"index": 0, "embedding": [0.5, 0.5]}]}
    upstream = mistral(lambda _: httpx.Response(200, json=vectors))
    result, _ = await call(registry, upstream, "mistral_embed", {"input": "a", "output_dimension": 2.0})
    assert not result.is_error
    sent = json.loads(mistral.seen[0].content)["output_dimension"]
    assert sent == 2 and type(sent) is int  # "2.0" would be refused by Mistral


async def test_a_deletion_reaches_the_one_resource_it_names(registry: ToolRegistry, mistral: Mistral) -> None:
    model_id = "ft:open-mistral-7b:587a6b29:20240514:7e773925"
    upstream = mistral(lambda _: httpx.Response(200, json={"id": model_id, "deleted": True}))
    result, _ = await call(registry, upstream, "mistral_delete_model", {"model_id": model_id})
    assert text_of(result) == f"Deleted model {model_id}."
    [request] = mistral.seen
    assert (request.method, request.url.raw_path) == ("DELETE", f"/v1/models/{model_id}".encode())


async def test_an_embedded_file_block_follows_the_text_whole(registry: ToolRegistry, mistral: Mistral) -> None:
    file_id = "0f5c7e9a-3b1d-4c2e-9f8a-6d5e4c3b2a10"
    content = b"%PDF-1.7 " + bytes(range(256)) * 300  # binary, and about 100,000 characters in base64
    upstream = mistral(lambda _: httpx.Response(200, content=content))
    result, _ = await call(registry, upstream, "mistral_download_file", {"file_id": file_id, "encoding": "base64"})
    assert not result.is_error
    head, block = result.content
    assert isinstance(head, types.TextContent) and "attached as an embedded resource" in head.text
    assert isinstance(block, types.EmbeddedResource) and isinstance(block.resource, types.BlobResourceContents)
    assert base64.b64decode(block.resource.blob) == content
    assert "[Result cut" not in head.text
    assert mistral.seen[0].url.path == f"/v1/files/{file_id}/content"


# --- failures become isError results ---


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (400, {}, "Mistral rejected the request (400)"),
        (401, {}, "Mistral rejected the stored API key (401)"),
        (403, {}, "Mistral refused access (403)"),
        (404, {}, "Mistral found no such resource (404)"),
        (422, {}, "Mistral rejected the request (422)"),
        (429, {"retry-after": "7"}, "Mistral's rate limit for this key was reached (429). Retry after 7 s."),
        (503, {}, "Mistral is unavailable right now (503)"),
    ],
)
async def test_each_mistral_refusal_is_an_error_result_in_plain_words(
    registry: ToolRegistry, mistral: Mistral, status: int, headers: dict[str, str], expected: str
) -> None:
    upstream = mistral(lambda _: httpx.Response(status, headers=headers, json={"message": "the reason"}))
    result, output = await call(registry, upstream, "mistral_list_models", {})
    assert result.is_error and output is None
    assert expected in text_of(result)
    assert text_of(result).endswith("Mistral said: the reason")


async def test_an_unreachable_mistral_is_an_error_result(registry: ToolRegistry, mistral: Mistral) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    result, output = await call(registry, mistral(refuse), "mistral_list_models", {})
    assert result.is_error and output is None
    assert text_of(result) == "Could not reach Mistral (ConnectError); try again shortly."


async def test_an_error_that_quotes_the_key_back_does_not_show_it(registry: ToolRegistry, mistral: Mistral) -> None:
    upstream = mistral(lambda _: httpx.Response(400, json={"message": f"bad header: Bearer {KEY}"}))
    result, _ = await call(registry, upstream, "mistral_list_models", {})
    assert result.is_error
    assert "Mistral rejected the request (400)" in text_of(result)
    assert KEY not in text_of(result)


async def test_an_unexpected_failure_is_logged_and_answered_without_its_details(
    registry: ToolRegistry, mistral: Mistral, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(_request: httpx.Request) -> httpx.Response:
        raise RuntimeError("internal detail 42")

    with caplog.at_level("ERROR", logger=registry_module.__name__):
        result, output = await call(registry, mistral(explode), "mistral_list_models", {})
    assert result.is_error and output is None
    assert text_of(result) == (
        "mistral_list_models failed because of an internal error; it has been logged. Try again."
    )
    [record] = [r for r in caplog.records if r.name == registry_module.__name__]
    assert record.getMessage() == "tool mistral_list_models failed unexpectedly"
    assert record.exc_info is not None and isinstance(record.exc_info[1], RuntimeError)


async def test_a_stream_that_breaks_off_returns_what_arrived_before_the_break(
    registry: ToolRegistry, mistral: Mistral
) -> None:
    reported: Progress = []

    async def report(value: float, total: float | None, message: str | None) -> None:
        reported.append((value, total, message))

    upstream = mistral(lambda _: sse(delta("Bonjour, "), delta("le monde"), done=False))
    result, output = await call(registry, upstream, "mistral_chat", {"prompt": "hi"}, report)
    assert result.is_error and output is None
    assert "stream broke off" in text_of(result)
    assert text_of(result).endswith("\n\nReceived before the break:\nBonjour, le monde")


# --- deadlines ---


async def test_a_call_past_the_deadline_is_stopped_with_advice(
    registry: ToolRegistry, mistral: Mistral, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry_module, "TOOL_DEADLINE", 0.05)
    monkeypatch.setattr(registry_module, "DEADLINE_GRACE", 0.05)
    result, output = await call(registry, mistral(hang), "mistral_list_models", {})
    assert result.is_error and output is None
    assert text_of(result).startswith("mistral_list_models was stopped after")
    assert "before MCP clients give up on a call" in text_of(result)
    assert "use a batch job" in text_of(result)


async def test_a_stream_still_running_at_the_deadline_ends_with_its_text_so_far(
    registry: ToolRegistry, mistral: Mistral, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A deadline already past when the first chunk arrives: the stream is cut there, not waited out.
    monkeypatch.setattr(registry_module, "TOOL_DEADLINE", 0.0)
    monkeypatch.setattr(registry_module, "DEADLINE_GRACE", 30.0)

    async def ignore(_value: float, _total: float | None, _message: str | None) -> None:
        return None

    upstream = mistral(lambda _: sse(delta("Le début"), delta(" et la suite")))
    result, output = await call(registry, upstream, "mistral_chat", {"prompt": "hi"}, ignore)
    assert result.is_error and output is None
    assert text_of(result).startswith("The reply was stopped before MCP clients give up on a call")
    assert text_of(result).endswith("Received before the break:\nLe début")


# --- progress ---


async def test_a_streamed_reply_reports_its_text_as_progress(registry: ToolRegistry, mistral: Mistral) -> None:
    reported: Progress = []

    async def report(value: float, total: float | None, message: str | None) -> None:
        reported.append((value, total, message))

    upstream = mistral(lambda _: sse(delta("Bonjour"), delta(" !")))
    result, output = await call(registry, upstream, "mistral_chat", {"prompt": "hi"}, report)
    assert not result.is_error
    assert "Bonjour !" in text_of(result)
    assert output is not None and output.structured is not None
    assert output.structured["choices"][0]["message"]["content"] == "Bonjour !"
    assert json.loads(mistral.seen[0].content)["stream"] is True
    assert reported[0] == (1.0, None, "Bonjour")


async def test_without_a_progress_function_the_reply_is_asked_for_whole(
    registry: ToolRegistry, mistral: Mistral
) -> None:
    whole = {"id": "c1", "choices": [{"index": 0, "message": {"role": "assistant", "content": "Salut"}}]}
    result, _ = await call(
        registry, mistral(lambda _: httpx.Response(200, json=whole)), "mistral_chat", {"prompt": "x"}
    )
    assert not result.is_error
    assert "Salut" in text_of(result)
    assert "stream" not in json.loads(mistral.seen[0].content)


async def test_a_slow_call_sends_increasing_keep_alive_progress_while_mistral_works(
    registry: ToolRegistry, mistral: Mistral, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(progress, "KEEP_ALIVE_INTERVAL", 0.01)
    reported: Progress = []
    heard_twice = anyio.Event()

    async def report(value: float, total: float | None, message: str | None) -> None:
        reported.append((value, total, message))
        if len(reported) == 2:
            heard_twice.set()

    async def slow(_request: httpx.Request) -> httpx.Response:
        await heard_twice.wait()
        return models("mistral-small-latest")

    result, _ = await call(registry, mistral(slow), "mistral_list_models", {}, report)
    assert not result.is_error
    values = [value for value, _, _ in reported]
    assert len(values) >= 2 and all(a < b for a, b in itertools.pairwise(values))
    assert all(message is not None and message.startswith("Waiting for Mistral") for _, _, message in reported)


async def test_a_client_that_stops_listening_for_progress_still_gets_its_result(
    registry: ToolRegistry, mistral: Mistral, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(progress, "KEEP_ALIVE_INTERVAL", 0.01)
    tried = anyio.Event()

    async def gone(_value: float, _total: float | None, _message: str | None) -> None:
        tried.set()
        raise anyio.ClosedResourceError

    async def slow(_request: httpx.Request) -> httpx.Response:
        await tried.wait()
        return models("mistral-small-latest")

    result, output = await call(registry, mistral(slow), "mistral_list_models", {}, gone)
    assert not result.is_error and output is not None
    assert "mistral-small-latest" in text_of(result)


# --- result size ---


async def test_a_result_too_big_for_mcp_clients_is_cut_and_says_so(registry: ToolRegistry, mistral: Mistral) -> None:
    count = 200
    data = [{"index": i, "embedding": [0.123456789] * 1024} for i in range(count)]
    vectors = {"model": "mistral-embed", "data": data, "usage": {"prompt_tokens": count}}
    upstream = mistral(lambda _: httpx.Response(200, json=vectors))
    result, output = await call(registry, upstream, "mistral_embed", {"input": [f"text {i}" for i in range(count)]})
    assert not result.is_error
    text = text_of(result)
    assert text.startswith(f"{count} embedding(s) from mistral-embed:")
    assert "[Result cut to stay under the 150,000-character limit of MCP clients:" in text
    assert result.structured_content is not None
    kept = result.structured_content["data"]
    assert 0 < len(kept) < count
    assert kept == data[: len(kept)]  # whole items, in order: the schema still holds
    assert result.structured_content["usage"] == {"prompt_tokens": count}
    assert len(text) + len(json.dumps(result.structured_content, separators=(",", ":"))) < MAX_RESULT_CHARS
    assert output is not None and output.usage == {"prompt_tokens": count}


async def test_a_result_within_the_limit_is_left_whole(registry: ToolRegistry, mistral: Mistral) -> None:
    ids = [f"model-{i}" for i in range(50)]
    result, _ = await call(registry, mistral(lambda _: models(*ids)), "mistral_list_models", {})
    assert "[Result cut" not in text_of(result)
    assert result.structured_content is not None
    assert [card["id"] for card in result.structured_content["data"]] == ids


async def test_an_attached_image_leaves_the_answer_its_room(registry: ToolRegistry, mistral: Mistral) -> None:
    # A client shows an image as an image: its base64 is not text the character limit is about.
    image = b"\x89PNG\r\n\x1a\n" + bytes(900 * 1024)
    answer = "Here is the chart you asked for. " * 150
    url = "data:image/png;base64," + base64.b64encode(image).decode()
    content = [{"type": "text", "text": answer}, {"type": "image_url", "image_url": {"url": url}}]
    reply = {
        "id": "c1",
        "model": "mistral-small-latest",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
    }
    result, _ = await call(
        registry, mistral(lambda _: httpx.Response(200, json=reply)), "mistral_chat", {"prompt": "x"}
    )
    assert not result.is_error
    assert text_of(result).startswith(answer + "[Image 1]")
    assert "- Image 1: image/png, 900.0 KiB, attached as an image." in text_of(result)
    [block] = [b for b in result.content if isinstance(b, types.ImageContent)]
    assert base64.b64decode(block.data) == image and block.mime_type == "image/png"


# --- `extra`: rare request fields, checked against the API reference ---


@pytest.mark.parametrize(
    ("tool", "extra", "message"),
    [
        ("mistral_chat", {"colour": "red"}, "Unknown field 'extra.colour'. Allowed in extra: frequency_penalty,"),
        # Top-level arguments stay top-level: one place for each field.
        ("mistral_chat", {"temperature": 0.2}, "Unknown field 'extra.temperature'."),
        ("mistral_chat", {"service_tier": "fastest"}, "Invalid argument 'extra.service_tier': 'fastest' is not"),
        ("mistral_chat", {"random_seed": "seven"}, "Invalid argument 'extra.random_seed': 'seven' is not"),
        (
            "mistral_agent_complete",
            {"guardrails": [{"block_on_error": "yes"}]},
            "Invalid argument 'extra.guardrails[0].block_on_error': 'yes' is not",
        ),
        ("mistral_ocr", {"image_limit": "many"}, "Invalid argument 'extra.image_limit': 'many' is not"),
    ],
)
def test_extra_fields_are_checked_against_the_reference_before_the_call(
    registry: ToolRegistry, tool: str, extra: dict[str, Any], message: str
) -> None:
    base = {"prompt": "x", "agent_id": "ag_1"} if tool == "mistral_agent_complete" else {"prompt": "x"}
    if tool == "mistral_ocr":
        base = {"document_url": "https://example.com/a.pdf"}
    with pytest.raises(ToolArgumentError) as caught:
        registry.validate(tool, {**base, "extra": extra})
    assert str(caught.value).startswith(message)


def test_valid_extra_fields_pass_as_they_are(registry: ToolRegistry) -> None:
    extra = {"prediction": {"type": "content", "content": "{"}, "n": 2, "metadata": {"team": "qa"}, "prompt_mode": None}
    assert registry.validate("mistral_chat", {"prompt": "x", "extra": extra})["extra"] == extra


def test_a_tool_naming_an_extra_field_its_operation_lacks_is_refused_at_build(registry: ToolRegistry) -> None:
    chat = registry.get("mistral_chat")
    assert chat is not None
    with pytest.raises(ValueError, match=r"extra fields \['colour'\] are not in"):
        ToolRegistry([replace(chat, extra=chat.extra | {"colour"})])
