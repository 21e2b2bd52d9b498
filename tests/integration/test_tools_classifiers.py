"""`mistral_classify` through the SDK client: texts and conversations reach the right endpoint."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import VALID_KEY, RunningApp
from tests.fake_mistral import FakeMistral
from tests.support.tool_calls import call_tool, text_of

pytestmark = pytest.mark.anyio

MODEL = "mistral-moderation-latest"


async def test_classify_texts_posts_to_classifications(app: RunningApp, fake_mistral: FakeMistral) -> None:
    arguments = {"model": MODEL, "input": ["I will kill you", "Lovely weather"], "metadata": {"team": "qa"}}
    result = await call_tool(app, fake_mistral, "mistral_classify", arguments)
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("POST", "/v1/classifications")
    assert sent.api_key == VALID_KEY
    assert sent.json == arguments
    lines = text_of(result).splitlines()
    assert lines[0] == f"Top scores per target from {MODEL}:"
    assert lines[1].startswith("[0] moderation: violence_and_threats ")
    assert len(result.structured_content["results"]) == 2


async def test_classify_one_conversation_posts_one_instruct_request(app: RunningApp, fake_mistral: FakeMistral) -> None:
    messages = [{"role": "user", "content": "hello"}, {"role": "assistant", "content": "hi"}]
    result = await call_tool(app, fake_mistral, "mistral_classify", {"model": MODEL, "messages": messages})
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("POST", "/v1/chat/classifications")
    assert sent.json == {"model": MODEL, "input": {"messages": messages}}


async def test_classify_several_conversations_posts_a_list(app: RunningApp, fake_mistral: FakeMistral) -> None:
    first = [{"role": "user", "content": "a"}]
    second = [{"role": "user", "content": "b"}]
    result = await call_tool(app, fake_mistral, "mistral_classify", {"model": MODEL, "conversations": [first, second]})
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("POST", "/v1/chat/classifications")
    assert sent.json["input"] == [{"messages": first}, {"messages": second}]
    assert [line[:3] for line in text_of(result).splitlines()[1:]] == ["[0]", "[1]"]


async def test_a_model_that_cannot_classify_is_refused_by_mistral(app: RunningApp, fake_mistral: FakeMistral) -> None:
    result = await call_tool(app, fake_mistral, "mistral_classify", {"model": "mistral-small-latest", "input": "x"})
    assert result.is_error
    assert "mistral-small-latest" in text_of(result)


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"input": "x"}, "model"),
        ({"model": MODEL}, "input"),
        ({"model": MODEL, "input": "x", "messages": [{"role": "user", "content": "y"}]}, "input"),
        ({"model": MODEL, "messages": [{"role": "user", "content": "y"}], "metadata": {"a": 1}}, "metadata"),
        ({"model": MODEL, "conversations": []}, "conversations"),
    ],
)
async def test_bad_classify_arguments_are_refused_before_any_upstream_call(
    app: RunningApp, fake_mistral: FakeMistral, arguments: dict[str, Any], named: str
) -> None:
    result = await call_tool(app, fake_mistral, "mistral_classify", arguments)
    assert result.is_error and named in text_of(result)
    assert fake_mistral.requests == []
