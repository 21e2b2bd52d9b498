"""Model tools through the SDK client: list (with filters), get, delete fine-tuned models."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import VALID_KEY, RunningApp
from tests.fake_mistral import FakeMistral
from tests.fake_mistral.state import SEEDED_FINE_TUNED_MODEL
from tests.support.mcp_client import MODES
from tests.support.tool_calls import call_tool, text_of

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("mode", MODES)
async def test_list_models_lists_every_model_with_the_callers_key(
    app: RunningApp, fake_mistral: FakeMistral, mode: str
) -> None:
    result = await call_tool(app, fake_mistral, "mistral_list_models", {}, mode)
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("GET", "/v1/models")
    assert sent.api_key == VALID_KEY and sent.query == {}
    ids = [card["id"] for card in result.structured_content["data"]]
    assert "mistral-small-latest" in ids and SEEDED_FINE_TUNED_MODEL in ids
    assert result.structured_content["total_listed"] == len(ids)
    assert "- mistral-small-latest: chat, function_calling, fine_tuning, vision; context 131,072" in text_of(result)


@pytest.mark.parametrize(
    ("capability", "expected", "excluded"),
    [
        ("vision", "pixtral-large-latest", "codestral-latest"),
        ("fim", "codestral-latest", "mistral-small-latest"),
        ("ocr", "mistral-ocr-latest", "mistral-embed"),
        ("embeddings", "codestral-embed", "mistral-large-latest"),
    ],
)
async def test_list_models_filters_by_capability(
    app: RunningApp, fake_mistral: FakeMistral, capability: str, expected: str, excluded: str
) -> None:
    result = await call_tool(app, fake_mistral, "mistral_list_models", {"capability": capability})
    assert not result.is_error, text_of(result)
    ids = {card["id"] for card in result.structured_content["data"]}
    assert expected in ids and excluded not in ids
    assert text_of(result).startswith(f"{len(ids)} of {result.structured_content['total_listed']} models:")


async def test_list_models_can_show_only_fine_tuned_models(app: RunningApp, fake_mistral: FakeMistral) -> None:
    result = await call_tool(
        app, fake_mistral, "mistral_list_models", {"fine_tuned_only": True, "search": "OPEN-MISTRAL"}
    )
    assert [card["id"] for card in result.structured_content["data"]] == [SEEDED_FINE_TUNED_MODEL]
    assert "fine-tuned from open-mistral-7b" in text_of(result)


async def test_get_model_reads_one_card(app: RunningApp, fake_mistral: FakeMistral) -> None:
    result = await call_tool(app, fake_mistral, "mistral_get_model", {"model_id": "mistral-large-latest"})
    assert not result.is_error, text_of(result)
    assert fake_mistral.requests_to("GET", "/v1/models/mistral-large-latest")
    assert result.structured_content["id"] == "mistral-large-latest"
    assert "Aliases: mistral-large-2411" in text_of(result)


async def test_get_unknown_model_is_an_error_result(app: RunningApp, fake_mistral: FakeMistral) -> None:
    result = await call_tool(app, fake_mistral, "mistral_get_model", {"model_id": "mistral-gigantic"})
    assert result.is_error
    assert "no such resource (404)" in text_of(result)


async def test_delete_model_deletes_a_fine_tuned_model(app: RunningApp, fake_mistral: FakeMistral) -> None:
    result = await call_tool(app, fake_mistral, "mistral_delete_model", {"model_id": SEEDED_FINE_TUNED_MODEL})
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("DELETE", f"/v1/models/{SEEDED_FINE_TUNED_MODEL}")
    assert sent.api_key == VALID_KEY
    assert SEEDED_FINE_TUNED_MODEL not in fake_mistral.fine_tuned_models
    assert result.structured_content == {"id": SEEDED_FINE_TUNED_MODEL, "object": "model", "deleted": True}


async def test_deleting_a_base_model_is_refused_by_mistral(app: RunningApp, fake_mistral: FakeMistral) -> None:
    result = await call_tool(app, fake_mistral, "mistral_delete_model", {"model_id": "mistral-small-latest"})
    assert result.is_error
    assert "403" in text_of(result) and "base model" in text_of(result)


@pytest.mark.parametrize(
    ("tool", "arguments", "named"),
    [
        ("mistral_get_model", {"model_id": "../files"}, "model_id"),
        ("mistral_delete_model", {"model_id": "a/b"}, "model_id"),
        ("mistral_delete_model", {}, "model_id"),
        ("mistral_list_models", {"capability": "telepathy"}, "capability"),
        ("mistral_list_models", {"fine_tuned_only": "yes"}, "fine_tuned_only"),
    ],
)
async def test_bad_model_arguments_are_refused_before_any_upstream_call(
    app: RunningApp, fake_mistral: FakeMistral, tool: str, arguments: dict[str, Any], named: str
) -> None:
    result = await call_tool(app, fake_mistral, tool, arguments)
    assert result.is_error and named in text_of(result)
    assert fake_mistral.requests == []
