"""Fine-tuned model tools through the SDK client, in both protocol eras: update, archive, unarchive."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import VALID_KEY, RunningApp
from tests.fake_mistral import SEEDED_FINE_TUNED_MODEL, FakeMistral
from tests.support.mcp_client import MODES
from tests.support.tool_calls import call_tool, text_of

pytestmark = pytest.mark.anyio

MODEL = f"/v1/fine_tuning/models/{SEEDED_FINE_TUNED_MODEL}"


@pytest.mark.parametrize("mode", MODES)
async def test_update_model_patches_its_name_and_description(
    app: RunningApp, fake_mistral: FakeMistral, mode: str
) -> None:
    arguments = {"model_id": SEEDED_FINE_TUNED_MODEL, "name": "Support bot", "description": "Answers tickets"}
    result = await call_tool(app, fake_mistral, "mistral_update_model", arguments, mode)
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("PATCH", MODEL)
    assert sent.api_key == VALID_KEY and sent.json == {"name": "Support bot", "description": "Answers tickets"}
    model = result.structured_content
    assert (model["id"], model["name"], model["model_type"]) == (SEEDED_FINE_TUNED_MODEL, "Support bot", "completion")
    assert fake_mistral.fine_tuned_models[SEEDED_FINE_TUNED_MODEL]["description"] == "Answers tickets"
    assert text_of(result) == (f"Updated {SEEDED_FINE_TUNED_MODEL}: name 'Support bot', description 'Answers tickets'.")


async def test_update_model_sends_only_what_is_given(app: RunningApp, fake_mistral: FakeMistral) -> None:
    arguments = {"model_id": SEEDED_FINE_TUNED_MODEL, "description": "v2"}
    result = await call_tool(app, fake_mistral, "mistral_update_model", arguments)
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("PATCH", MODEL)
    assert sent.json == {"description": "v2"}


@pytest.mark.parametrize("mode", MODES)
async def test_archive_then_unarchive_a_fine_tuned_model(app: RunningApp, fake_mistral: FakeMistral, mode: str) -> None:
    arguments = {"model_id": SEEDED_FINE_TUNED_MODEL}
    archived = await call_tool(app, fake_mistral, "mistral_archive_model", arguments, mode)
    assert not archived.is_error, text_of(archived)
    [post] = fake_mistral.requests_to("POST", f"{MODEL}/archive")
    assert post.api_key == VALID_KEY and post.body == b""
    assert archived.structured_content == {"id": SEEDED_FINE_TUNED_MODEL, "object": "model", "archived": True}
    assert fake_mistral.fine_tuned_models[SEEDED_FINE_TUNED_MODEL]["archived"] is True
    assert "mistral_unarchive_model brings it back" in text_of(archived)

    restored = await call_tool(app, fake_mistral, "mistral_unarchive_model", arguments, mode)
    assert not restored.is_error, text_of(restored)
    assert fake_mistral.requests_to("DELETE", f"{MODEL}/archive")
    assert restored.structured_content["archived"] is False
    assert fake_mistral.fine_tuned_models[SEEDED_FINE_TUNED_MODEL]["archived"] is False
    assert text_of(restored) == f"{SEEDED_FINE_TUNED_MODEL} is no longer archived."


async def test_an_unknown_fine_tuned_model_is_an_error_result(app: RunningApp, fake_mistral: FakeMistral) -> None:
    result = await call_tool(app, fake_mistral, "mistral_archive_model", {"model_id": "ft:open-mistral-7b:gone"})
    assert result.is_error and "404" in text_of(result)


@pytest.mark.parametrize(
    ("tool", "arguments", "named"),
    [
        ("mistral_update_model", {"model_id": SEEDED_FINE_TUNED_MODEL}, "name"),
        ("mistral_update_model", {"model_id": "mistral-small-latest", "name": "x"}, "model_id"),
        ("mistral_update_model", {"model_id": SEEDED_FINE_TUNED_MODEL, "name": ""}, "name"),
        ("mistral_archive_model", {"model_id": "ft:a/../b"}, "model_id"),
        ("mistral_unarchive_model", {}, "model_id"),
    ],
)
async def test_bad_fine_tuned_model_arguments_are_refused_before_any_upstream_call(
    app: RunningApp, fake_mistral: FakeMistral, tool: str, arguments: dict[str, Any], named: str
) -> None:
    result = await call_tool(app, fake_mistral, tool, arguments)
    assert result.is_error and named in text_of(result)
    assert fake_mistral.requests == []
