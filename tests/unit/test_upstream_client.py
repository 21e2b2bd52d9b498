"""The upstream client against httpx.MockTransport: retries, backoff caps and error mapping."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import httpx
import pytest

from server.errors import (
    UpstreamAuthError,
    UpstreamRateLimited,
    UpstreamRequestError,
    UpstreamStreamBroken,
    UpstreamUnavailable,
)
from server.settings import Settings
from server.upstream.client import MistralClient

pytestmark = pytest.mark.anyio

SETTINGS = replace(Settings(), upstream_url="http://mistral.test", upstream_max_retries=2, upstream_retry_max_wait=0.05)


def client_for(handler: Callable[[httpx.Request], httpx.Response], **overrides: object) -> MistralClient:
    return MistralClient(replace(SETTINGS, **overrides), transport=httpx.MockTransport(handler))


def scripted(
    *responses: httpx.Response | Exception,
) -> tuple[Callable[[httpx.Request], httpx.Response], list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        item = queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    return handler, seen


async def test_sends_bearer_key_and_returns_json() -> None:
    handler, seen = scripted(httpx.Response(200, json={"ok": True}))
    client = client_for(handler)
    response = await client.request("sk-1", "POST", "/v1/x", json={"a": 1})
    assert response.json() == {"ok": True}
    assert seen[0].headers["authorization"] == "Bearer sk-1"
    assert seen[0].url == "http://mistral.test/v1/x"


@pytest.mark.parametrize("status", [429, 502, 503, 504])
async def test_retryable_statuses_are_retried_then_succeed(status: int) -> None:
    handler, seen = scripted(httpx.Response(status, json={"message": "busy"}), httpx.Response(200, json={}))
    await client_for(handler).request("k", "GET", "/v1/models")
    assert len(seen) == 2


async def test_retries_are_bounded() -> None:
    handler, seen = scripted(*[httpx.Response(503, json={"message": "down"})] * 3)
    with pytest.raises(UpstreamUnavailable, match=r"unavailable right now \(503\).*down"):
        await client_for(handler).request("k", "GET", "/v1/models")
    assert len(seen) == 3


async def test_retry_after_beyond_the_cap_is_not_waited_for() -> None:
    handler, seen = scripted(httpx.Response(429, headers={"retry-after": "30"}, json={"message": "slow down"}))
    with pytest.raises(UpstreamRateLimited, match="Retry after 30 s") as caught:
        await client_for(handler).request("k", "GET", "/v1/models")
    assert caught.value.retry_after == 30
    assert len(seen) == 1


async def test_connection_failures_are_retried() -> None:
    handler, seen = scripted(httpx.ConnectError("refused"), httpx.Response(200, json={}))
    await client_for(handler).request("k", "GET", "/v1/models")
    assert len(seen) == 2


async def test_read_timeouts_are_not_retried_because_the_call_may_have_run() -> None:
    handler, seen = scripted(httpx.ReadTimeout("slow"), httpx.Response(200, json={}))
    with pytest.raises(UpstreamUnavailable, match="did not answer in time"):
        await client_for(handler).request("k", "POST", "/v1/chat/completions", json={})
    assert len(seen) == 1


async def test_401_says_the_stored_key_was_rejected_and_how_to_fix_it() -> None:
    handler, _ = scripted(httpx.Response(401, json={"message": "Unauthorized"}))
    with pytest.raises(UpstreamAuthError, match=r"Mistral rejected the stored API key.*Update the key"):
        await client_for(handler).request("k", "GET", "/v1/models")


async def test_422_detail_names_the_offending_field() -> None:
    body = {
        "object": "error",
        "message": {
            "detail": [{"type": "extra_forbidden", "loc": ["body", "foo"], "msg": "Extra inputs are not permitted"}]
        },
        "type": "invalid_request_error",
    }
    handler, seen = scripted(httpx.Response(422, json=body))
    with pytest.raises(UpstreamRequestError, match="foo: Extra inputs are not permitted"):
        await client_for(handler).request("k", "POST", "/v1/chat/completions", json={})
    assert len(seen) == 1


async def test_non_json_error_bodies_still_give_a_message() -> None:
    handler, _ = scripted(httpx.Response(400, text="<html>bad gateway page</html>"))
    with pytest.raises(UpstreamRequestError, match=r"\(400\)"):
        await client_for(handler).request("k", "GET", "/v1/models")


async def test_stream_yields_chunks_until_done() -> None:
    body = b'data: {"n": 1}\n\ndata: {"n": 2}\n\ndata: [DONE]\n\n'
    handler, seen = scripted(httpx.Response(200, content=body, headers={"content-type": "text/event-stream"}))
    async with client_for(handler).stream("k", "/v1/chat/completions", json={"stream": True}) as chunks:
        assert [c["n"] async for c in chunks] == [1, 2]
    assert seen[0].headers["accept"] == "text/event-stream"


async def test_stream_without_end_marker_is_broken() -> None:
    body = b'data: {"n": 1}\n\n'
    handler, _ = scripted(httpx.Response(200, content=body, headers={"content-type": "text/event-stream"}))
    async with client_for(handler).stream("k", "/v1/chat/completions", json={}) as chunks:
        with pytest.raises(UpstreamStreamBroken, match="before its end marker"):
            _ = [c async for c in chunks]


async def test_a_cookie_mistral_sets_for_one_key_is_never_sent_with_another() -> None:
    # One client serves every user: a jar that kept cookies would carry one tenant's (a CDN's
    # bot-management cookie, say) into every other tenant's requests.
    handler, seen = scripted(
        httpx.Response(200, json={}, headers={"set-cookie": "__cf_bm=tenant-a; Path=/; HttpOnly"}),
        httpx.Response(200, json={}),
    )
    client = client_for(handler)
    first = await client.request("sk-tenant-a", "GET", "/v1/models")
    await client.request("sk-tenant-b", "GET", "/v1/models")
    assert first.headers["set-cookie"].startswith("__cf_bm=")  # the answer itself is untouched
    assert "cookie" not in seen[1].headers


async def test_an_error_that_quotes_the_key_or_a_token_back_is_relayed_without_them() -> None:
    echo = f"Invalid header: Authorization: Bearer sk-tenant-key (while calling for mmcp_{'A' * 43})"
    handler, _ = scripted(httpx.Response(400, json={"message": echo}))
    with pytest.raises(UpstreamRequestError) as raised:
        await client_for(handler).request("sk-tenant-key", "POST", "/v1/chat/completions", json={})
    message = str(raised.value)
    assert "sk-tenant-key" not in message
    assert "A" * 43 not in message
    assert "Invalid header: Authorization: Bearer [redacted]" in message  # the rest of Mistral's words stay


async def test_a_key_echoed_in_a_plain_text_error_is_masked_too() -> None:
    handler, _ = scripted(httpx.Response(400, text="bad key sk-tenant-key for this model"))
    with pytest.raises(UpstreamRequestError) as raised:
        await client_for(handler).request("sk-tenant-key", "POST", "/v1/chat/completions", json={})
    assert "bad key [redacted] for this model" in str(raised.value)
