"""The fake Mistral API itself: shapes, validation, fault injection and resource lifecycles."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fake_mistral import SEEDED_AGENT_ID, SEEDED_FINE_TUNED_MODEL, FakeMistral, create_app
from tests.support.servers import ServerThread, serve_in_thread

KEY = "sk-test-valid"
CHAT = "/v1/chat/completions"
USER_HI = [{"role": "user", "content": "hi"}]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


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


def sse_events(text: str) -> list[str]:
    return [line.removeprefix("data: ") for line in text.split("\n\n") if line.startswith("data: ")]


def chat(client: httpx.Client, **body: Any) -> httpx.Response:
    return client.post(CHAT, json={"model": "mistral-small-latest", "messages": USER_HI, **body})


def upload(client: httpx.Client, content: bytes, name: str = "train.jsonl", purpose: str = "fine-tune") -> Any:
    response = client.post(
        "/v1/files", files={"file": (name, content, "application/octet-stream")}, data={"purpose": purpose}
    )
    assert response.status_code == 200, response.text
    return response.json()


# --- auth and recording ------------------------------------------------------------------


def test_missing_or_unknown_key_gets_the_gateway_401_and_is_still_recorded(
    fake: FakeMistral, client: httpx.Client
) -> None:
    anonymous = httpx.post(f"{client.base_url}{CHAT}", json={})
    wrong = client.post(CHAT, json={}, headers={"Authorization": "Bearer sk-nope"})
    for response in (anonymous, wrong):
        assert response.status_code == 401
        body = response.json()
        assert body["message"] == "Unauthorized"
        assert set(body) == {"message", "request_id"}
        int(body["request_id"], 16)
    recorded = fake.requests_to("POST", CHAT)
    assert [r.api_key for r in recorded] == [None, "sk-nope"]
    assert recorded[1].headers["authorization"] == "Bearer sk-nope"
    assert recorded[1].json == {}


def test_added_keys_are_accepted_and_reset_restores_the_default(fake: FakeMistral, client: httpx.Client) -> None:
    fake.valid_keys.add("sk-other")
    assert client.get("/v1/models", headers={"Authorization": "Bearer sk-other"}).status_code == 200
    fake.reset()
    assert fake.valid_keys == {KEY}
    assert fake.requests == []
    assert client.get("/v1/models", headers={"Authorization": "Bearer sk-other"}).status_code == 401


def test_unknown_paths_are_404_and_wrong_methods_405(client: httpx.Client) -> None:
    assert client.get("/v1/nothing").json() == {"detail": "Not Found"}
    response = client.get(CHAT)
    assert response.status_code == 405
    assert response.json() == {"detail": "Method Not Allowed"}
    assert response.headers["allow"] == "POST"


# --- validation ----------------------------------------------------------------------------


def test_unknown_field_gets_the_real_422_shape(client: httpx.Client) -> None:
    response = chat(client, temprature=0.2)
    assert response.status_code == 422
    assert response.json() == {
        "object": "error",
        "message": {
            "detail": [
                {
                    "type": "extra_forbidden",
                    "loc": ["body", "temprature"],
                    "msg": "Extra inputs are not permitted",
                    "input": 0.2,
                }
            ]
        },
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }


def test_missing_wrong_typed_and_out_of_range_fields_are_422(client: httpx.Client) -> None:
    missing = client.post(CHAT, json={"messages": USER_HI}).json()["message"]["detail"]
    assert missing == [
        {"type": "missing", "loc": ["body", "model"], "msg": "Field required", "input": {"messages": USER_HI}}
    ]
    detail = chat(client, temperature="hot", max_tokens=-1, messages=[{"role": "robot", "content": "x"}]).json()
    by_loc = {tuple(item["loc"]): item["type"] for item in detail["message"]["detail"]}
    assert by_loc == {
        ("body", "temperature"): "float_parsing",
        ("body", "max_tokens"): "greater_than_equal",
        ("body", "messages", 0): "union_tag_invalid",
    }
    assert chat(client, temperature=2).status_code == 422
    nested = chat(client, messages=[{"role": "user", "content": "x", "name": "bob"}]).json()["message"]["detail"]
    assert nested[0]["loc"] == ["body", "messages", 0, "user", "name"]


def test_a_body_that_is_not_json_is_422(client: httpx.Client) -> None:
    response = client.post(CHAT, content=b"not json", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["message"]["detail"][0]["type"] == "json_invalid"


def test_unknown_or_unsuitable_models_are_invalid_model(client: httpx.Client) -> None:
    for model in ("gpt-4", "mistral-embed"):
        response = chat(client, model=model)
        assert response.status_code == 400
        assert response.json() == {
            "object": "error",
            "message": f"Invalid model: {model}",
            "type": "invalid_model",
            "param": None,
            "code": "1500",
        }


# --- chat ----------------------------------------------------------------------------------


def test_chat_answers_a_chat_completion(fake: FakeMistral, client: httpx.Client) -> None:
    fake.chat_reply = "Bonjour tout le monde."
    response = chat(client, n=2)
    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "chat.completion"
    assert body["model"] == "mistral-small-latest"
    assert len(body["id"]) == 32
    assert isinstance(body["created"], int)
    assert [c["index"] for c in body["choices"]] == [0, 1]
    choice = body["choices"][0]
    assert choice["message"] == {
        "role": "assistant",
        "content": "Bonjour tout le monde.",
        "tool_calls": None,
        "prefix": False,
    }
    assert choice["finish_reason"] == "stop"
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0


def test_chat_honours_max_tokens_stop_and_json_mode(fake: FakeMistral, client: httpx.Client) -> None:
    truncated = chat(client, max_tokens=2).json()["choices"][0]
    assert truncated == {**truncated, "finish_reason": "length"}
    assert truncated["message"]["content"] == "Hello from"
    assert chat(client, stop="fake").json()["choices"][0]["message"]["content"] == "Hello from "
    as_json = chat(client, response_format={"type": "json_object"}).json()["choices"][0]["message"]["content"]
    assert json.loads(as_json) == {"answer": fake.chat_reply}
    schema = {"type": "object", "properties": {"title": {"type": "string"}, "pages": {"type": "integer"}}}
    fmt = {"type": "json_schema", "json_schema": {"name": "book", "schema": schema}}
    book = json.loads(chat(client, response_format=fmt).json()["choices"][0]["message"]["content"])
    assert set(book) == {"title", "pages"}
    assert isinstance(book["pages"], int)


def test_chat_refuses_a_conversation_ending_with_the_assistant(client: httpx.Client) -> None:
    response = chat(client, messages=[*USER_HI, {"role": "assistant", "content": "hello"}])
    assert response.status_code == 400
    assert response.json()["type"] == "invalid_request_message_order"
    prefixed = chat(client, messages=[*USER_HI, {"role": "assistant", "content": "hel", "prefix": True}])
    assert prefixed.status_code == 200


def test_tools_get_a_call_to_the_first_tool_unless_tool_choice_is_none(fake: FakeMistral, client: httpx.Client) -> None:
    choice = chat(client, tools=[WEATHER_TOOL]).json()["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    [call] = choice["message"]["tool_calls"]
    assert call["function"] == {"name": "get_weather", "arguments": "{}"}
    assert call["type"] == "function"
    assert len(call["id"]) == 9
    assert chat(client, tools=[WEATHER_TOOL], tool_choice="none").json()["choices"][0]["message"]["tool_calls"] is None
    after_tool = [
        *USER_HI,
        {"role": "assistant", "content": "", "tool_calls": [call]},
        {"role": "tool", "content": "sunny", "tool_call_id": call["id"]},
    ]
    assert chat(client, tools=[WEATHER_TOOL], messages=after_tool).json()["choices"][0]["finish_reason"] == "stop"
    fake.tool_call_reply = [{"id": "call_1", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]
    [configured] = chat(client, tools=[WEATHER_TOOL], tool_choice="any").json()["choices"][0]["message"]["tool_calls"]
    assert configured == {
        "id": "call_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
        "index": 0,
    }


def test_tool_definitions_are_validated(client: httpx.Client) -> None:
    no_parameters = {"type": "function", "function": {"name": "f"}}
    detail = chat(client, tools=[no_parameters]).json()["message"]["detail"]
    assert detail[0]["loc"] == ["body", "tools", 0, "function", "function", "parameters"]


BUILT_IN_TOOLS = [
    {"type": "web_search"},
    {"type": "web_search_premium", "tool_configuration": {"exclude": ["example.org"]}},
    {"type": "code_interpreter"},
    {"type": "image_generation"},
    {"type": "document_library", "library_ids": ["lib_1"]},
    {"type": "connector", "connector_id": "crm", "authorization": {"type": "api-key", "value": "secret"}},
]


def test_every_built_in_tool_type_of_the_reference_is_accepted(client: httpx.Client) -> None:
    assert chat(client, tools=BUILT_IN_TOOLS).status_code == 200
    agent = client.post(
        "/v1/agents/completions", json={"agent_id": SEEDED_AGENT_ID, "messages": USER_HI, "tools": BUILT_IN_TOOLS}
    )
    assert agent.status_code == 200


@pytest.mark.parametrize(
    ("tool", "loc", "kind"),
    [
        ({"type": "document_library"}, ["document_library", "library_ids"], "missing"),
        ({"type": "document_library", "library_ids": []}, ["document_library", "library_ids"], "too_short"),
        ({"type": "connector"}, ["connector", "connector_id"], "missing"),
        ({"type": "web_search", "query": "x"}, ["web_search", "query"], "extra_forbidden"),
        (
            {"type": "code_interpreter", "tool_configuration": {"only": []}},
            ["code_interpreter", "tool_configuration", "only"],
            "extra_forbidden",
        ),
        (
            {"type": "connector", "connector_id": "c", "authorization": {"value": "v"}},
            ["connector", "authorization"],
            "union_tag_not_found",
        ),
        ({"type": "calculator"}, [], "union_tag_invalid"),
    ],
)
def test_built_in_tools_are_refused_where_the_reference_refuses_them(
    client: httpx.Client, tool: dict[str, Any], loc: list[Any], kind: str
) -> None:
    [item] = chat(client, tools=[tool]).json()["message"]["detail"]
    assert (item["loc"], item["type"]) == (["body", "tools", 0, *loc], kind)


def test_guardrails_and_reasoning_effort_are_checked_like_the_reference(client: httpx.Client) -> None:
    guardrail = {
        "block_on_error": True,
        "moderation_llm_v2": {"action": "block", "custom_category_thresholds": {"pii": 0.2}},
    }
    assert chat(client, guardrails=[guardrail], reasoning_effort="high").status_code == 200
    [item] = chat(client, guardrails=[{"moderation_llm_v1": {"action": "warn"}}]).json()["message"]["detail"]
    assert item["loc"] == ["body", "guardrails", 0, "moderation_llm_v1", "action"]
    assert chat(client, reasoning_effort="extreme").status_code == 422


def test_thinking_chunks_in_a_conversation_are_checked(client: httpx.Client) -> None:
    thought = {"type": "thinking", "thinking": [{"type": "text", "text": "hmm"}], "signature": "s"}
    earlier = [*USER_HI, {"role": "assistant", "content": [thought, {"type": "text", "text": "hello"}]}, *USER_HI]
    assert chat(client, messages=earlier).status_code == 200
    bad = [*USER_HI, {"role": "assistant", "content": [{"type": "thinking", "text": "hmm"}]}, *USER_HI]
    locs = [item["loc"] for item in chat(client, messages=bad).json()["message"]["detail"]]
    assert ["thinking", "thinking"] in [loc[-2:] for loc in locs]  # the ThinkChunk's missing `thinking`


# --- reply shapes ---------------------------------------------------------------------------


def rebuilt(events: list[str]) -> list[dict[str, Any]]:
    chunks = [json.loads(event) for event in events[:-1]]
    return [c["choices"][0]["delta"] for c in chunks]


def test_reasoning_comes_as_a_thinking_chunk_before_the_answer(fake: FakeMistral, client: httpx.Client) -> None:
    fake.reply_as("reasoning")
    body = chat(client).json()
    [thinking, text] = body["choices"][0]["message"]["content"]
    assert thinking["type"] == "thinking" and thinking["thinking"][0]["text"].startswith("The user wants")
    assert text == {"type": "text", "text": fake.chat_reply}
    cut = chat(client, max_tokens=5).json()["choices"][0]
    assert cut["finish_reason"] == "length"
    assert [c["type"] for c in cut["message"]["content"]] == ["thinking"]
    assert cut["message"]["content"][0]["thinking"][0]["text"] == "The user wants an answer."
    deltas = rebuilt(sse_events(chat(client, stream=True).text))
    assert deltas[1]["content"][0]["type"] == "thinking" and deltas[-1]["content"][0]["type"] == "text"


def test_built_in_tools_answer_with_a_messages_array(fake: FakeMistral, client: httpx.Client) -> None:
    fake.reply_as("tools", fail=("code_interpreter",))
    choice = chat(client).json()["choices"][0]
    assert "message" not in choice
    roles = [m["role"] for m in choice["messages"]]
    assert roles == ["assistant", "tool", "assistant", "tool", "assistant"]
    assert [m["tool_calls"][0]["function"]["name"] for m in choice["messages"] if m.get("tool_calls")] == [
        "web_search",
        "code_interpreter",
    ]
    assert choice["messages"][3]["metadata"] == {"error": "The tool timed out."}
    assert choice["messages"][-1]["content"][1]["type"] == "tool_reference"
    named = chat(client, tools=[{"type": "document_library", "library_ids": ["l"]}]).json()["choices"][0]
    assert named["messages"][0]["tool_calls"][0]["function"]["name"] == "document_library"
    deltas = rebuilt(sse_events(chat(client, stream=True).text))
    assert {d["index"] for d in deltas} == {0, 1, 2, 3, 4}


def test_citations_and_images_come_as_chunks(fake: FakeMistral, client: httpx.Client) -> None:
    fake.reply_as("citations")
    kinds = [c["type"] for c in chat(client).json()["choices"][0]["message"]["content"]]
    assert kinds == ["text", "reference", "text", "tool_reference"]
    options = fake.reply_as("image")
    content = chat(client).json()["choices"][0]["message"]["content"]
    assert content[1] == {"type": "image_url", "image_url": {"url": options["data_url"]}}
    assert content[2] == {"type": "file", "file_id": options["file_id"]}
    assert client.get(f"/v1/files/{options['file_id']}/content").content.startswith(b"\x89PNG")
    with pytest.raises(ValueError, match="unknown reply shape"):
        fake.reply_as("poem")


# --- streaming -----------------------------------------------------------------------------


def test_chat_stream_sends_chunks_usage_and_done(fake: FakeMistral, client: httpx.Client) -> None:
    response = chat(client, stream=True)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response.text)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    assert len(chunks) > 3
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks) == fake.chat_reply
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert all(c["choices"][0]["finish_reason"] is None for c in chunks[:-1])
    assert chunks[-1]["usage"]["total_tokens"] > 0
    assert all("usage" not in c for c in chunks[:-1])


def test_streamed_tool_calls_come_in_one_delta(client: httpx.Client) -> None:
    events = sse_events(chat(client, stream=True, tools=[WEATHER_TOOL]).text)
    chunks = [json.loads(e) for e in events[:-1]]
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"
    assert chunks[-1]["choices"][0]["delta"]["tool_calls"][0]["function"]["name"] == "get_weather"


def test_cut_stream_drops_the_connection_without_done(fake: FakeMistral, client: httpx.Client) -> None:
    fake.cut_stream_after(CHAT, 2)
    received: list[str] = []
    with (
        pytest.raises(httpx.RemoteProtocolError),
        client.stream("POST", CHAT, json={"model": "mistral-small-latest", "messages": USER_HI, "stream": True}) as r,
    ):
        received.extend(line for line in r.iter_lines() if line)
    assert len(received) == 2
    assert "[DONE]" not in "".join(received)
    assert sse_events(chat(client, stream=True).text)[-1] == "[DONE]"  # only the next stream is cut


def test_fim_and_agents_completions_stream_too(fake: FakeMistral, client: httpx.Client) -> None:
    fim = client.post(
        "/v1/fim/completions", json={"model": "codestral-latest", "prompt": "def f(a, b):", "stream": True}
    )
    chunks = [json.loads(e) for e in sse_events(fim.text)[:-1]]
    assert "".join(c["choices"][0]["delta"]["content"] for c in chunks) == fake.fim_reply
    agent = client.post(
        "/v1/agents/completions", json={"agent_id": SEEDED_AGENT_ID, "messages": USER_HI, "stream": True}
    )
    assert sse_events(agent.text)[-1] == "[DONE]"


# --- fault injection -----------------------------------------------------------------------


def test_fail_next_answers_429_with_retry_after_then_recovers(fake: FakeMistral, client: httpx.Client) -> None:
    fake.fail_next(CHAT, status=429, times=2, retry_after="3")
    for _ in range(2):
        response = chat(client)
        assert response.status_code == 429
        assert response.headers["retry-after"] == "3"
        assert response.json() == {"message": "Requests rate limit exceeded"}
    assert chat(client).status_code == 200
    assert len(fake.requests_to("POST", CHAT)) == 3


def test_fail_next_any_path_with_server_error_body_or_a_custom_one(fake: FakeMistral, client: httpx.Client) -> None:
    fake.fail_next("*", status=503)
    response = client.get("/v1/models")
    assert response.status_code == 503
    assert response.json()["type"] == "internal_server_error"
    assert response.json()["object"] == "error"
    assert "retry-after" not in response.headers
    fake.fail_next("/v1/models", status=502, body="<html>bad gateway</html>")
    response = client.get("/v1/models")
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("text/html")
    fake.fail_next("/v1/models", status=500, body={"custom": True})
    assert client.get("/v1/models").json() == {"custom": True}
    assert client.get("/v1/models").status_code == 200


def test_stall_next_makes_the_client_time_out_once(fake: FakeMistral, client: httpx.Client) -> None:
    fake.stall_next("/v1/models", 2.0)
    with pytest.raises(httpx.ReadTimeout):
        client.get("/v1/models", timeout=0.3)
    assert client.get("/v1/models", timeout=5).status_code == 200


# --- models and agents ---------------------------------------------------------------------


def test_models_list_retrieve_and_delete(client: httpx.Client) -> None:
    listing = client.get("/v1/models").json()
    assert listing["object"] == "list"
    cards = {card["id"]: card for card in listing["data"]}
    for required in (
        "mistral-small-latest",
        "mistral-large-latest",
        "mistral-medium-latest",
        "codestral-latest",
        "mistral-embed",
        "codestral-embed",
        "mistral-moderation-latest",
        "pixtral-large-latest",
        "mistral-ocr-latest",
        "ministral-8b-latest",
        SEEDED_FINE_TUNED_MODEL,
    ):
        assert required in cards
    assert cards["codestral-latest"]["capabilities"]["completion_fim"] is True
    assert cards["pixtral-large-latest"]["capabilities"]["vision"] is True
    assert cards[SEEDED_FINE_TUNED_MODEL]["type"] == "fine-tuned"
    assert client.get("/v1/models/mistral-small-latest").json()["type"] == "base"
    assert client.get("/v1/models/nope").status_code == 404
    assert client.delete("/v1/models/mistral-small-latest").status_code == 403
    deleted = client.delete(f"/v1/models/{SEEDED_FINE_TUNED_MODEL}")
    assert deleted.json() == {"id": SEEDED_FINE_TUNED_MODEL, "object": "model", "deleted": True}
    assert client.get(f"/v1/models/{SEEDED_FINE_TUNED_MODEL}").status_code == 404
    assert chat(client, model=SEEDED_FINE_TUNED_MODEL).status_code == 400


def test_agent_pages_follow_an_opaque_cursor(fake: FakeMistral, client: httpx.Client) -> None:
    fake.add_agent("ag_second", name="Second")
    first = client.get("/v1/agents/pages", params={"page_size": 1}).json()
    assert first["object"] == "list" and [a["id"] for a in first["data"]] == [SEEDED_AGENT_ID]
    second = client.get("/v1/agents/pages", params={"page_size": 1, "page_token": first["next_page_token"]}).json()
    assert [a["id"] for a in second["data"]] == ["ag_second"] and second["next_page_token"] is None
    assert client.get("/v1/agents/pages", params={"page_token": "nonsense"}).status_code == 422
    assert client.get("/v1/agents/pages", params={"sources": "email"}).status_code == 422


def test_agents_list_get_and_complete(client: httpx.Client) -> None:
    agents = client.get("/v1/agents", params={"page": 0, "page_size": 10}).json()
    assert isinstance(agents, list)
    assert agents[0]["id"] == SEEDED_AGENT_ID
    assert client.get(f"/v1/agents/{SEEDED_AGENT_ID}").json()["object"] == "agent"
    assert client.get("/v1/agents", params={"page_size": 0}).status_code == 422
    assert client.get("/v1/agents/ag_missing").status_code == 404
    done = client.post("/v1/agents/completions", json={"agent_id": SEEDED_AGENT_ID, "messages": USER_HI}).json()
    assert done["model"] == "mistral-medium-latest"
    missing = client.post("/v1/agents/completions", json={"agent_id": "ag_missing", "messages": USER_HI})
    assert missing.status_code == 404
    assert client.post("/v1/agents/completions", json={"messages": USER_HI, "model": "x"}).status_code == 422


# --- embeddings, moderation, classification -------------------------------------------------


def test_embeddings_are_deterministic_unit_vectors(client: httpx.Client) -> None:
    body = client.post("/v1/embeddings", json={"model": "mistral-embed", "input": ["a", "b", "a"]}).json()
    vectors = [item["embedding"] for item in body["data"]]
    assert [len(v) for v in vectors] == [1024] * 3
    assert vectors[0] == vectors[2] != vectors[1]
    assert abs(sum(x * x for x in vectors[0]) - 1) < 1e-4
    assert body["usage"]["prompt_tokens"] == 3
    assert body["object"] == "list"
    small = client.post("/v1/embeddings", json={"model": "codestral-embed", "input": "x", "output_dimension": 8})
    assert len(small.json()["data"][0]["embedding"]) == 8


def test_moderation_flags_violent_text(client: httpx.Client) -> None:
    body = client.post(
        "/v1/moderations", json={"model": "mistral-moderation-latest", "input": ["I will kill you", "Nice day"]}
    ).json()
    violent, calm = body["results"]
    assert violent["categories"]["violence_and_threats"] is True
    assert violent["category_scores"]["violence_and_threats"] > 0.9
    assert not any(calm["categories"].values())
    assert len(calm["categories"]) == 9
    conversation = [{"role": "user", "content": "hello"}, {"role": "assistant", "content": "I will kill you"}]
    chat_body = client.post("/v1/chat/moderations", json={"model": "mistral-moderation-latest", "input": conversation})
    assert chat_body.json()["results"][0]["categories"]["violence_and_threats"] is True


def test_classifications_score_each_input(client: httpx.Client) -> None:
    body = client.post("/v1/classifications", json={"model": "mistral-moderation-latest", "input": "x"}).json()
    [result] = body["results"]
    assert set(result["moderation"]["scores"]) >= {"sexual", "pii"}
    chat_body = client.post(
        "/v1/chat/classifications", json={"model": "mistral-moderation-latest", "input": [{"messages": USER_HI}] * 2}
    )
    assert len(chat_body.json()["results"]) == 2


# --- files ----------------------------------------------------------------------------------


def test_multipart_upload_and_download_round_trip(fake: FakeMistral, client: httpx.Client) -> None:
    content = b'{"messages": [{"role": "user", "content": "hi"}]}\n{"messages": []}\n'
    uploaded = upload(client, content)
    assert uploaded["object"] == "file"
    assert uploaded["bytes"] == len(content)
    assert uploaded["purpose"] == "fine-tune"
    assert uploaded["sample_type"] == "instruct"
    assert uploaded["num_lines"] == 2
    assert uploaded["source"] == "upload"
    assert uploaded["filename"] == "train.jsonl"
    [sent] = fake.requests_to("POST", "/v1/files")
    assert sent.files == {"file": ("train.jsonl", content, "application/octet-stream")}
    assert sent.form == {"purpose": "fine-tune"}
    download = client.get(f"/v1/files/{uploaded['id']}/content")
    assert download.content == content
    assert download.headers["content-type"] == "application/octet-stream"
    assert client.get(f"/v1/files/{uploaded['id']}").json()["deleted"] is False
    listing = client.get("/v1/files", params={"purpose": "fine-tune"}).json()
    assert listing["object"] == "list"
    assert listing["total"] == 1
    url = client.get(f"/v1/files/{uploaded['id']}/url", params={"expiry": 1}).json()["url"]
    assert httpx.get(url).content == content  # a signed URL needs no key
    assert client.delete(f"/v1/files/{uploaded['id']}").json() == {
        "id": uploaded["id"],
        "object": "file",
        "deleted": True,
    }
    assert client.get(f"/v1/files/{uploaded['id']}").status_code == 404


def test_upload_rejects_json_bodies_bad_purposes_and_bad_ids(client: httpx.Client) -> None:
    as_json = client.post("/v1/files", json={"file": "x"})
    assert as_json.status_code == 422
    assert as_json.json()["message"]["detail"][0]["loc"] == ["body", "file"]
    bad_purpose = client.post("/v1/files", files={"file": ("a.jsonl", b"{}")}, data={"purpose": "fun"})
    assert bad_purpose.status_code == 422
    assert client.get("/v1/files/not-a-uuid").json()["message"]["detail"][0]["type"] == "uuid_parsing"


# --- fine-tuning -----------------------------------------------------------------------------


def test_fine_tuning_job_lifecycle(fake: FakeMistral, client: httpx.Client) -> None:
    training = upload(client, b'{"messages": []}\n' * 100)
    job_in = {
        "model": "open-mistral-7b",
        "training_files": [{"file_id": training["id"], "weight": 1}],
        "hyperparameters": {"training_steps": 10, "learning_rate": 0.0001},
        "suffix": "demo",
        "auto_start": False,
    }
    estimate = client.post("/v1/fine_tuning/jobs", params={"dry_run": "true"}, json=job_in).json()
    assert estimate["object"] == "job.metadata"
    assert estimate["cost"] > 0
    assert estimate["training_steps"] == 10
    assert fake.fine_tuning_jobs == {}
    created = client.post("/v1/fine_tuning/jobs", json=job_in).json()
    assert created["status"] == "QUEUED"
    assert created["object"] == "job"
    assert created["job_type"] == "completion"
    assert created["training_files"] == [training["id"]]
    assert "events" not in created
    job_url = f"/v1/fine_tuning/jobs/{created['id']}"
    assert client.get(job_url).json()["status"] == "VALIDATED"
    started = client.post(f"{job_url}/start").json()
    assert started["status"] == "STARTED"
    assert client.get(job_url).json()["status"] == "RUNNING"
    cancelled = client.post(f"{job_url}/cancel").json()
    assert cancelled["status"] == "CANCELLATION_REQUESTED"
    detailed = client.get(job_url).json()
    assert detailed["status"] == "CANCELLED"
    assert detailed["checkpoints"] == []
    assert [e["data"]["status"] for e in detailed["events"]][-2:] == ["CANCELLATION_REQUESTED", "CANCELLED"]
    assert client.post(f"{job_url}/cancel").status_code == 400
    delete = client.delete(job_url)
    assert delete.status_code == 405
    assert delete.json() == {"detail": "Method Not Allowed"}
    listing = client.get("/v1/fine_tuning/jobs", params={"status": "CANCELLED"}).json()
    assert listing["total"] == 1
    assert listing["object"] == "list"


def test_fine_tuning_job_errors_and_completion(fake: FakeMistral, client: httpx.Client) -> None:
    hyper = {"training_steps": 5}
    missing_file = client.post(
        "/v1/fine_tuning/jobs",
        json={
            "model": "open-mistral-7b",
            "training_files": [{"file_id": "f0000000-0000-4000-8000-000000000000"}],
            "hyperparameters": hyper,
        },
    )
    assert missing_file.status_code == 404
    assert client.post("/v1/fine_tuning/jobs", json={"model": "open-mistral-7b"}).status_code == 422
    assert (
        client.post("/v1/fine_tuning/jobs", json={"model": "mistral-embed", "hyperparameters": hyper}).status_code
        == 400
    )
    created = client.post("/v1/fine_tuning/jobs", json={"model": "open-mistral-7b", "hyperparameters": hyper}).json()
    assert client.get(f"/v1/fine_tuning/jobs/{created['id']}").json()["status"] == "RUNNING"  # auto_start
    finished = fake.complete_job(created["id"])
    assert finished["status"] == "SUCCESS"
    assert finished["checkpoints"]
    assert chat(client, model=finished["fine_tuned_model"]).status_code == 200
    assert client.get("/v1/fine_tuning/jobs/not-a-uuid").status_code == 422


def test_what_one_key_creates_is_not_found_for_another_key(
    fake: FakeMistral, served: tuple[FakeMistral, ServerThread], client: httpx.Client
) -> None:
    fake.valid_keys.add("sk-test-other")
    mine = upload(client, b'{"messages": []}\n')
    job = client.post(
        "/v1/batch/jobs", json={"requests": [{"body": {}}], "endpoint": CHAT, "model": "mistral-small-latest"}
    )
    library, conversation = fake.add_library(owner=KEY), fake.add_conversation(owner=KEY)
    paths = [
        f"/v1/files/{mine['id']}",
        f"/v1/files/{mine['id']}/content",
        f"/v1/batch/jobs/{job.json()['id']}",
        f"/v1/libraries/{library['id']}",
        f"/v1/conversations/{conversation['id']}",
    ]
    with httpx.Client(base_url=served[1].url, headers={"Authorization": "Bearer sk-test-other"}) as other:
        assert [other.get(path).status_code for path in paths] == [404] * len(paths)
        assert other.get("/v1/files").json()["total"] == 0
        assert other.get("/v1/batch/jobs").json()["total"] == 0
        seeded = fake.add_file(b"shared", filename="seeded.txt")  # stored by the test: every key sees it
        assert other.get(f"/v1/files/{seeded['id']}").status_code == 200
    assert [client.get(path).status_code for path in paths] == [200] * len(paths)


def test_a_scripted_job_moves_one_status_per_read(fake: FakeMistral, client: httpx.Client) -> None:
    created = client.post("/v1/fine_tuning/jobs", json={"model": "open-mistral-7b", "hyperparameters": {}}).json()
    fake.advance_on_read(created["id"], "RUNNING", "SUCCESS")
    job_url = f"/v1/fine_tuning/jobs/{created['id']}"
    assert [client.get(job_url).json()["status"] for _ in range(3)] == ["RUNNING", "SUCCESS", "SUCCESS"]
    assert client.get(job_url).json()["fine_tuned_model"].startswith("ft:open-mistral-7b:")
    batch = client.post(
        "/v1/batch/jobs", json={"requests": [{"body": {}}], "endpoint": CHAT, "model": "mistral-small-latest"}
    )
    fake.advance_on_read(batch.json()["id"], "RUNNING", "SUCCESS")
    batch_url = f"/v1/batch/jobs/{batch.json()['id']}"
    assert [client.get(batch_url).json()["status"] for _ in range(3)] == ["RUNNING", "SUCCESS", "SUCCESS"]


# --- batch and OCR ---------------------------------------------------------------------------


def test_batch_job_lifecycle(fake: FakeMistral, client: httpx.Client) -> None:
    line = {"custom_id": "r1", "body": {"messages": USER_HI, "max_tokens": 5}}
    batch_file = upload(client, json.dumps(line).encode() + b"\n", name="batch.jsonl", purpose="batch")
    assert batch_file["sample_type"] == "batch_request"
    created = client.post(
        "/v1/batch/jobs",
        json={"input_files": [batch_file["id"]], "endpoint": "/v1/chat/completions", "model": "mistral-small-latest"},
    ).json()
    assert created["status"] == "QUEUED"
    assert created["total_requests"] == 1
    assert created["object"] == "batch"
    assert client.get("/v1/batch/jobs").json()["total"] == 1
    fake.set_batch_status(created["id"], "SUCCESS")
    done = client.get(f"/v1/batch/jobs/{created['id']}", params={"inline": "true"}).json()
    assert done["outputs"][0]["custom_id"] == "r1"
    results = client.get(f"/v1/files/{done['output_file']}/content").content
    assert json.loads(results)["response"]["status_code"] == 200
    assert client.post(f"/v1/batch/jobs/{created['id']}/cancel").status_code == 400
    other = client.post(
        "/v1/batch/jobs", json={"requests": [line], "endpoint": "/v1/chat/completions", "model": "mistral-small-latest"}
    )
    assert client.post(f"/v1/batch/jobs/{other.json()['id']}/cancel").json()["status"] == "CANCELLATION_REQUESTED"
    assert client.post("/v1/batch/jobs", json={"endpoint": "/v1/nope"}).status_code == 422


def test_ocr_reads_urls_and_uploaded_files(client: httpx.Client) -> None:
    document = {"type": "document_url", "document_url": "https://example.com/a.pdf"}
    body = client.post("/v1/ocr", json={"model": "mistral-ocr-latest", "document": document}).json()
    assert [p["index"] for p in body["pages"]] == [0, 1]
    assert body["pages"][0]["dimensions"] == {"dpi": 200, "height": 2200, "width": 1700}
    assert body["usage_info"]["pages_processed"] == 2
    pdf = upload(client, b"%PDF-1.4 /Type /Pages /Type /Page /Type /Page /Type /Page", name="a.pdf", purpose="ocr")
    from_file = client.post(
        "/v1/ocr",
        json={
            "model": "mistral-ocr-latest",
            "document": {"type": "file", "file_id": pdf["id"]},
            "pages": [2],
            "include_image_base64": True,
        },
    ).json()
    assert [p["index"] for p in from_file["pages"]] == [2]
    assert from_file["pages"][0]["images"][0]["image_base64"].startswith("data:image/jpeg;base64,")
    assert (
        client.post("/v1/ocr", json={"model": "mistral-ocr-latest", "document": {"type": "video"}}).status_code == 422
    )
