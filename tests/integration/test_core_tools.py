"""The five core tools through the SDK client: what reaches Mistral and what the client reads."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import VALID_KEY, RunningApp
from tests.fake_mistral import FakeMistral
from tests.support.mcp_client import MODES, connect

pytestmark = pytest.mark.anyio


def text_of(result: Any) -> str:
    return "\n".join(block.text for block in result.content if getattr(block, "type", "") == "text")


async def call(app: RunningApp, name: str, arguments: dict[str, Any], mode: str = "legacy", **kwargs: Any) -> Any:
    conn = app.sign_up()
    async with connect(conn["mcp_url"], mode) as client:
        return await client.call_tool(name, arguments, **kwargs)


@pytest.mark.parametrize("mode", MODES)
async def test_chat_with_prompt_sends_a_user_message_with_the_default_model(
    app: RunningApp, fake_mistral: FakeMistral, mode: str
) -> None:
    result = await call(app, "mistral_chat", {"prompt": "Say hi", "system": "Be brief"}, mode)
    assert not result.is_error
    assert text_of(result) == fake_mistral.chat_reply
    [sent] = fake_mistral.requests_to("POST", "/v1/chat/completions")
    assert sent.api_key == VALID_KEY
    assert sent.json == {
        "model": "mistral-small-latest",
        "messages": [{"role": "system", "content": "Be brief"}, {"role": "user", "content": "Say hi"}],
    }
    assert result.structured_content["choices"][0]["message"]["content"] == fake_mistral.chat_reply
    assert result.structured_content["usage"]["total_tokens"] > 0


async def test_chat_forwards_every_mistral_option_unchanged(app: RunningApp, fake_mistral: FakeMistral) -> None:
    arguments = {
        "model": "mistral-large-latest",
        "messages": [{"role": "user", "content": "Give me a book as JSON"}],
        "temperature": 0.2,
        "top_p": 0.9,
        "max_tokens": 64,
        "stop": ["\n\n"],
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "book", "schema": {"type": "object", "properties": {"title": {"type": "string"}}}},
        },
    }
    # The rarely used fields travel in `extra` and reach Mistral as fields of the body.
    extra = {
        "random_seed": 7,
        "presence_penalty": 0.1,
        "frequency_penalty": 0.2,
        "safe_prompt": True,
        "prediction": {"type": "content", "content": "{"},
    }
    result = await call(app, "mistral_chat", {**arguments, "extra": extra})
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("POST", "/v1/chat/completions")
    assert sent.json == {**arguments, **extra}


async def test_function_call_returns_the_chosen_calls(app: RunningApp, fake_mistral: FakeMistral) -> None:
    fake_mistral.tool_call_reply = [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
    ]
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather for a city",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
            },
        }
    ]
    result = await call(
        app,
        "mistral_function_call",
        {"messages": [{"role": "user", "content": "Weather in Paris?"}], "tools": tools, "tool_choice": "any"},
    )
    assert not result.is_error, text_of(result)
    assert 'get_weather({"city": "Paris"}) [id call_1]' in text_of(result)
    [sent] = fake_mistral.requests_to("POST", "/v1/chat/completions")
    assert sent.json["tools"] == tools and sent.json["tool_choice"] == "any"
    assert result.structured_content["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "get_weather"


@pytest.mark.parametrize("tool", ["mistral_function_call", "mistral_chat"])
async def test_a_tool_given_without_its_type_reaches_mistral_typed(
    app: RunningApp, fake_mistral: FakeMistral, tool: str
) -> None:
    # Mistral's request tells a tool's kind by `type`; ours lets a client leave it out (there is one kind).
    function = {"name": "get_time", "parameters": {"type": "object", "properties": {}}}
    arguments = {"messages": [{"role": "user", "content": "Time?"}], "tools": [{"function": function}]}
    result = await call(app, tool, arguments)
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("POST", "/v1/chat/completions")
    assert sent.json["tools"] == [{"type": "function", "function": function}]


async def test_code_complete_sends_prompt_and_suffix_to_fim(app: RunningApp, fake_mistral: FakeMistral) -> None:
    result = await call(
        app, "mistral_code_complete", {"prompt": "def add(a, b):\n    ", "suffix": "\n\nprint(add(1, 2))"}
    )
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("POST", "/v1/fim/completions")
    assert sent.json == {
        "model": "codestral-latest",
        "prompt": "def add(a, b):\n    ",
        "suffix": "\n\nprint(add(1, 2))",
    }
    assert text_of(result).strip()
    assert text_of(result) == result.structured_content["choices"][0]["message"]["content"]


async def test_embed_summarises_vectors_in_text_and_keeps_them_whole_in_structured(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    result = await call(app, "mistral_embed", {"input": ["first text", "second text"]})
    assert not result.is_error, text_of(result)
    text = text_of(result)
    assert text.startswith("2 embedding(s) from mistral-embed")
    assert "dim 1024" in text and "norm" in text
    vectors = [item["embedding"] for item in result.structured_content["data"]]
    assert len(vectors) == 2 and len(vectors[0]) == 1024
    assert len(text) < 2000
    [sent] = fake_mistral.requests_to("POST", "/v1/embeddings")
    assert sent.json == {"model": "mistral-embed", "input": ["first text", "second text"]}


async def test_moderate_text_names_flagged_categories_with_scores(app: RunningApp, fake_mistral: FakeMistral) -> None:
    result = await call(app, "mistral_moderate", {"input": ["I will kill you", "What a nice day"]})
    assert not result.is_error, text_of(result)
    lines = text_of(result).splitlines()
    assert lines[0].startswith("[0] FLAGGED: violence_and_threats (")
    assert lines[1].startswith("[1] not flagged")
    [sent] = fake_mistral.requests_to("POST", "/v1/moderations")
    assert sent.json == {"model": "mistral-moderation-latest", "input": ["I will kill you", "What a nice day"]}


async def test_moderate_conversation_uses_chat_moderations(app: RunningApp, fake_mistral: FakeMistral) -> None:
    messages = [{"role": "user", "content": "hello"}, {"role": "assistant", "content": "hi there"}]
    result = await call(app, "mistral_moderate", {"messages": messages})
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("POST", "/v1/chat/moderations")
    assert sent.json == {"model": "mistral-moderation-latest", "input": messages}


@pytest.mark.parametrize(
    ("tool", "arguments", "named"),
    [
        ("mistral_chat", {"prompt": "hi", "temperature": "hot"}, "temperature"),
        ("mistral_chat", {"prompt": "hi", "temperature": 9}, "temperature"),
        ("mistral_chat", {"prompt": "hi", "bogus": 1}, "bogus"),
        ("mistral_chat", {"messages": [{"role": "wizard", "content": "x"}]}, "role"),
        ("mistral_chat", {}, "messages"),
        ("mistral_chat", {"prompt": "hi", "messages": [{"role": "user", "content": "x"}]}, "messages"),
        ("mistral_function_call", {"messages": [{"role": "user", "content": "x"}]}, "tools"),
        ("mistral_code_complete", {"suffix": "x"}, "prompt"),
        ("mistral_embed", {"input": 42}, "input"),
        ("mistral_embed", {"input": []}, "input"),
        ("mistral_moderate", {"input": "x", "messages": [{"role": "user", "content": "y"}]}, "input"),
        ("mistral_chat", {"prompt": "hi", "response_format": {"type": "yaml"}}, "response_format"),
    ],
)
async def test_bad_arguments_get_an_error_result_naming_the_argument_before_any_upstream_call(
    app: RunningApp, fake_mistral: FakeMistral, tool: str, arguments: dict[str, Any], named: str
) -> None:
    conn = app.sign_up()
    fake_mistral.requests.clear()
    async with connect(conn["mcp_url"]) as client:
        result = await client.call_tool(tool, arguments)
    assert result.is_error
    assert named in text_of(result)
    assert "Traceback" not in text_of(result)
    assert fake_mistral.requests == []


async def test_unknown_tool_is_an_error_result(app: RunningApp) -> None:
    result = await call(app, "mistral_teleport", {})
    assert result.is_error
    assert "Unknown tool" in text_of(result)


async def test_key_revoked_at_mistral_gives_an_actionable_error(app: RunningApp, fake_mistral: FakeMistral) -> None:
    conn = app.sign_up()
    fake_mistral.valid_keys.clear()
    async with connect(conn["mcp_url"]) as client:
        result = await client.call_tool("mistral_chat", {"prompt": "hi"})
    assert result.is_error
    assert "Mistral rejected the stored API key" in text_of(result)
    assert VALID_KEY not in text_of(result)


async def test_rate_limit_is_retried_transparently(app: RunningApp, fake_mistral: FakeMistral) -> None:
    fake_mistral.fail_next("/v1/chat/completions", status=429, retry_after="0")
    result = await call(app, "mistral_chat", {"prompt": "hi"})
    assert not result.is_error, text_of(result)
    assert len(fake_mistral.requests_to("POST", "/v1/chat/completions")) == 2


async def test_persistent_outage_becomes_an_error_result(app: RunningApp, fake_mistral: FakeMistral) -> None:
    fake_mistral.fail_next("/v1/embeddings", status=503, times=10)
    result = await call(app, "mistral_embed", {"input": "x"})
    assert result.is_error
    assert "Mistral is unavailable right now (503)" in text_of(result)
    assert len(fake_mistral.requests_to("POST", "/v1/embeddings")) == 1 + app.settings.upstream_max_retries


async def test_mistral_validation_error_is_passed_on(app: RunningApp, fake_mistral: FakeMistral) -> None:
    result = await call(app, "mistral_chat", {"prompt": "hi", "model": "no-such-model"})
    assert result.is_error
    assert "no-such-model" in text_of(result)


async def test_streams_with_progress_when_the_client_asks_and_ends_with_the_same_result(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    plain = await call(app, "mistral_chat", {"prompt": "hi"})
    updates: list[tuple[float, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append((progress, message))

    streamed = await call(app, "mistral_chat", {"prompt": "hi"}, progress_callback=on_progress)
    assert not streamed.is_error, text_of(streamed)
    assert text_of(streamed) == text_of(plain)
    assert streamed.structured_content["usage"] == plain.structured_content["usage"]
    assert updates, "no progress notification arrived"
    assert all(fake_mistral.chat_reply.startswith(m or "") for _, m in updates)
    bodies = [r.json for r in fake_mistral.requests_to("POST", "/v1/chat/completions")]
    assert [b.get("stream", False) for b in bodies] == [False, True]


async def test_stream_cut_midway_is_an_error_with_what_arrived(app: RunningApp, fake_mistral: FakeMistral) -> None:
    fake_mistral.cut_stream_after("/v1/chat/completions", chunks=2)

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        return None

    result = await call(app, "mistral_chat", {"prompt": "hi"}, progress_callback=on_progress)
    assert result.is_error
    assert "broke off" in text_of(result)
    assert "Received before the break" in text_of(result)


async def test_a_cookie_mistral_sets_on_one_users_answer_never_reaches_mistral_with_anothers(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    fake_mistral.valid_keys.add("sk-tenant-b")
    first, second = app.sign_up(), app.sign_up("sk-tenant-b")
    fake_mistral.set_cookie = "__cf_bm=tenant-a-cookie; Path=/; HttpOnly"
    async with connect(first["mcp_url"]) as client:
        assert not (await client.call_tool("mistral_chat", {"prompt": "hi"})).is_error
    fake_mistral.set_cookie = None
    async with connect(second["mcp_url"]) as client:
        assert not (await client.call_tool("mistral_chat", {"prompt": "hi"})).is_error
    sent = fake_mistral.requests_to("POST", "/v1/chat/completions")
    assert [r.api_key for r in sent] == [VALID_KEY, "sk-tenant-b"]
    assert [r.headers.get("cookie") for r in sent] == [None, None]


async def test_mistral_quoting_the_key_back_in_an_error_does_not_hand_it_to_the_client(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    fake_mistral.fail_next(
        "/v1/chat/completions", status=400, body={"message": f"Invalid header: Authorization: Bearer {VALID_KEY}"}
    )
    result = await call(app, "mistral_chat", {"prompt": "hi"})
    assert result.is_error
    assert VALID_KEY not in text_of(result)
    assert "Mistral said: Invalid header: Authorization: Bearer [redacted]" in text_of(result)
