"""Prompts and argument completion through the official SDK client, in both eras."""

from __future__ import annotations

import mcp_types as types
import pytest
from mcp.shared.exceptions import MCPError
from mcp_types.jsonrpc import INVALID_PARAMS

from tests.conftest import VALID_KEY, RunningApp
from tests.fake_mistral import SEEDED_AGENT_ID, FakeMistral
from tests.support.mcp_client import LEGACY, MODES, connect

pytestmark = pytest.mark.anyio

PROMPTS = ["fine_tune_from_data", "ocr_document", "compare_models", "transcribe_meeting", "build_agent_from_documents"]
JSONL = b'{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}\n'


def text_of(result: types.GetPromptResult) -> str:
    [message] = result.messages
    assert message.role == "user" and isinstance(message.content, types.TextContent)
    return message.content.text


@pytest.mark.parametrize("mode", MODES)
async def test_both_eras_list_the_five_prompts_with_typed_arguments(app: RunningApp, mode: str) -> None:
    async with connect(app.sign_up()["mcp_url"], mode) as client:
        prompts = {prompt.name: prompt for prompt in (await client.list_prompts()).prompts}
    assert list(prompts) == PROMPTS
    for prompt in prompts.values():
        assert prompt.title and prompt.description and prompt.arguments and prompt.icons
        assert all(argument.description for argument in prompt.arguments)
    fine_tune = {argument.name: argument.required for argument in prompts["fine_tune_from_data"].arguments or []}
    assert fine_tune == {
        "model": True,
        "training_file": False,
        "validation_file": False,
        "training_steps": False,
        "suffix": False,
    }


@pytest.mark.parametrize("mode", MODES)
async def test_a_prompt_walks_the_model_through_the_tools_with_the_arguments_given(app: RunningApp, mode: str) -> None:
    arguments = {"model": "open-mistral-7b", "training_file": "f-123", "training_steps": "10", "suffix": "demo"}
    async with connect(app.sign_up()["mcp_url"], mode) as client:
        result = await client.get_prompt("fine_tune_from_data", arguments)
    text = text_of(result)
    assert text.startswith("Fine-tune the Mistral model open-mistral-7b on my data")
    assert "Use the uploaded training file f-123." in text
    assert 'hyperparameters {"training_steps": 10}' in text and "suffix 'demo'" in text
    for tool in ("mistral_download_file", "mistral_create_fine_tuning_job", "mistral_get_fine_tuning_job"):
        assert tool in text
    assert "dry_run: true" in text and "wait_seconds: 240" in text


@pytest.mark.parametrize(
    ("name", "arguments", "says"),
    [
        ("fine_tune_from_data", {"model": "open-mistral-7b"}, "upload them with mistral_upload_file"),
        ("ocr_document", {"document": "https://example.com/scan.png"}, "mistral_ocr with image_url: https://"),
        ("ocr_document", {"document": "https://example.com/a.pdf", "fields": "the total"}, "Extract the total as"),
        ("ocr_document", {"document": "0f1e2d3c-4b5a-4978"}, "file_id: 0f1e2d3c-4b5a-4978"),
        ("compare_models", {"prompt": "Why is the sky blue?", "models": "a,b"}, "Models: a,b."),
        ("transcribe_meeting", {"audio": "https://example.com/m.mp3", "language": "French"}, "mistral_transcribe"),
        ("build_agent_from_documents", {"name": "Helpdesk", "base_agent": "ag_1"}, "mistral_get_agent"),
        ("build_agent_from_documents", {"name": "Helpdesk"}, '"type": "document_library"'),
    ],
)
async def test_each_prompt_renders(app: RunningApp, name: str, arguments: dict[str, str], says: str) -> None:
    async with connect(app.sign_up()["mcp_url"]) as client:
        result = await client.get_prompt(name, arguments)
    assert says in text_of(result)
    assert result.description


@pytest.mark.parametrize(
    ("name", "arguments", "says"),
    [
        ("fine_tune_from_data", {}, "needs the argument 'model'"),
        ("fine_tune_from_data", {"model": "   "}, "needs the argument 'model'"),
        ("compare_models", {"prompt": "hi", "temperature": "1"}, "Unknown argument 'temperature'"),
        ("compare_models", {"prompt": "x" * 20_001}, "too long"),
        ("no_such_prompt", {}, "Unknown prompt 'no_such_prompt'"),
    ],
)
@pytest.mark.parametrize("mode", MODES)
async def test_bad_prompt_requests_are_invalid_params(
    app: RunningApp, name: str, arguments: dict[str, str], says: str, mode: str
) -> None:
    async with connect(app.sign_up()["mcp_url"], mode) as client:
        with pytest.raises(MCPError) as refused:
            await client.get_prompt(name, arguments)
    assert refused.value.code == INVALID_PARAMS and says in refused.value.message


# --- completion -------------------------------------------------------------------------------


async def complete(
    app: RunningApp,
    ref: types.PromptReference | types.ResourceTemplateReference,
    name: str,
    value: str,
    mode: str = LEGACY,
) -> types.Completion:
    async with connect(app.sign_up()["mcp_url"], mode) as client:
        return (await client.complete(ref, {"name": name, "value": value})).completion


@pytest.mark.parametrize("mode", MODES)
async def test_model_arguments_complete_with_the_callers_models_that_can_do_the_job(
    app: RunningApp, fake_mistral: FakeMistral, mode: str
) -> None:
    completion = await complete(app, types.PromptReference(name="fine_tune_from_data"), "model", "MIS", mode)
    assert "mistral-small-latest" in completion.values and "mistral-large-latest" in completion.values
    assert "mistral-medium-latest" not in completion.values  # no fine-tuning
    assert all(value.startswith("mis") for value in completion.values)
    assert [request.api_key for request in fake_mistral.requests_to("GET", "/v1/models")][-1] == VALID_KEY


async def test_file_arguments_complete_with_the_callers_files_of_the_right_purpose(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    training = fake_mistral.add_file(JSONL, filename="train.jsonl")
    fake_mistral.add_file(b"%PDF-1.4", filename="scan.pdf", purpose="ocr")
    by_name = await complete(app, types.PromptReference(name="fine_tune_from_data"), "training_file", "tra")
    by_id = await complete(app, types.PromptReference(name="fine_tune_from_data"), "training_file", training["id"][:6])
    assert by_name.values == by_id.values == [training["id"]]
    assert fake_mistral.requests_to("GET", "/v1/files")[-1].query == {"page_size": "100", "purpose": "fine-tune"}


async def test_a_comma_separated_argument_completes_its_last_item(app: RunningApp, fake_mistral: FakeMistral) -> None:
    completion = await complete(
        app, types.PromptReference(name="compare_models"), "models", "mistral-small-latest, codes"
    )
    assert completion.values[0] == "mistral-small-latest, codestral-latest"
    assert all(value.startswith("mistral-small-latest, codes") for value in completion.values)


async def test_agent_and_template_ids_complete_too(app: RunningApp, fake_mistral: FakeMistral) -> None:
    fake_mistral.add_agent("ag_second", name="Second")
    agent = await complete(app, types.PromptReference(name="build_agent_from_documents"), "base_agent", "sec")
    assert agent.values == ["ag_second"]
    record = fake_mistral.add_file(b"hello", filename="notes.txt")
    files = await complete(app, types.ResourceTemplateReference(uri="mistral://files/{file_id}"), "file_id", "not")
    assert files.values == [record["id"]]
    agents = await complete(app, types.ResourceTemplateReference(uri="mistral://agents/{agent_id}"), "agent_id", "")
    assert set(agents.values) == {SEEDED_AGENT_ID, "ag_second"} and agents.total == 2


@pytest.mark.parametrize("mode", MODES)
async def test_completion_is_empty_when_mistral_fails_or_nothing_can_be_suggested(
    app: RunningApp, fake_mistral: FakeMistral, mode: str
) -> None:
    async with connect(app.sign_up()["mcp_url"], mode) as client:
        fake_mistral.fail_next("/v1/models", status=500, times=5)
        failed = await client.complete(types.PromptReference(name="compare_models"), {"name": "models", "value": "m"})
        fake_mistral.fail_next("/v1/agents/pages", status=401)
        rejected = await client.complete(
            types.ResourceTemplateReference(uri="mistral://agents/{agent_id}"), {"name": "agent_id", "value": ""}
        )
        unknown = await client.complete(types.PromptReference(name="no_such_prompt"), {"name": "model", "value": "m"})
        free_text = await client.complete(
            types.PromptReference(name="compare_models"), {"name": "prompt", "value": "m"}
        )
        other = await client.complete(
            types.ResourceTemplateReference(uri="mistral://nothing/{x}"), {"name": "x", "value": ""}
        )
    fake_mistral.reset()  # faults not consumed must not reach tests that use the fake without resetting it
    for result in (failed, rejected, unknown, free_text, other):
        assert result.completion.values == []
