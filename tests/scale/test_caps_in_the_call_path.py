"""Spending caps from the SDK client: a call over a cap is an `isError` result that names the cap, when
it resets and where to raise it, and reaches no Mistral endpoint; replicas share every cap (through
Redis, or through the database without it).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest

from tests.conftest import RunningApp
from tests.fake_mistral import FakeMistral
from tests.scale.support import call_tool, sample, scrape, start_app, text_of
from tests.support.caps import set_caps
from tests.support.mcp_client import MODES, connect

pytestmark = pytest.mark.anyio

CHAT = "/v1/chat/completions"


async def chat(url: str, mode: str) -> tuple[bool, str, dict[str, int]]:
    async with connect(url, mode) as client:
        result = await client.call_tool("mistral_chat", {"prompt": "hello there"})
    usage = (result.structured_content or {}).get("usage", {})
    return bool(result.is_error), text_of(result), usage


@pytest.mark.parametrize("mode", MODES)
async def test_a_call_over_the_daily_cap_is_an_error_naming_the_cap_its_reset_and_the_manage_page(
    app: RunningApp, fake_mistral: FakeMistral, mode: str
) -> None:
    created = app.sign_up()
    set_caps(app.url, created["token"], calls_per_day=2)
    assert [(await chat(created["mcp_url"], mode))[0] for _ in range(2)] == [False, False]

    refused, message, _ = await chat(created["mcp_url"], mode)
    assert refused
    assert "Daily cap reached" in message and "2 tool calls per day" in message
    assert re.search(r"resets at midnight UTC \(\d{4}-\d\d-\d\d 00:00 UTC, in (\d+ h( \d+ min)?|\d+ min)\)", message)
    assert f"{app.url}/manage" in message
    assert "Nothing was sent to Mistral" in message
    assert len(fake_mistral.requests_to("POST", CHAT)) == 2
    assert sample(scrape(app.url), "mistral_mcp_rate_limit_rejections_total", limit="calls_per_day") >= 1
    # Other connections are not capped by this one's cap.
    assert not (await chat(app.sign_up()["mcp_url"], mode))[0]


async def test_tokens_over_the_monthly_cap_refuse_the_next_call_after_the_one_that_crossed_it(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    created = app.sign_up()
    set_caps(app.url, created["token"], tokens_per_month=5)
    failed, _, usage = await chat(created["mcp_url"], "legacy")
    spent = usage["prompt_tokens"] + usage["completion_tokens"]
    assert not failed and spent > 5, "the call that starts under the cap may end over it"

    refused, message, _ = await chat(created["mcp_url"], "legacy")
    assert refused
    assert f"may use 5 Mistral tokens per calendar month (UTC) and has used {spent:,}" in message
    assert re.search(r"resets on the first of next month \(\d{4}-\d\d-01 00:00 UTC, in ", message)
    assert f"{app.url}/manage" in message
    assert len(fake_mistral.requests_to("POST", CHAT)) == 1

    with app.http() as http:
        info = http.get("/api/connection", headers={"Authorization": f"Bearer {created['token']}"}).json()
    tokens_cap = info["caps"]["tokens_per_month"]
    assert (tokens_cap["cap"], tokens_cap["used"]) == (5, spent)
    assert re.fullmatch(r"\d{4}-\d\d-01T00:00:00\+00:00", tokens_cap["resets_at"])


async def replica_pair(app_factory: Callable[..., RunningApp], **shared: object) -> tuple[RunningApp, RunningApp]:
    first = await start_app(app_factory, **shared)
    second = await start_app(
        app_factory, database_url=first.settings.database_url, encryption_keys=first.settings.encryption_keys, **shared
    )
    return first, second


async def alternate_calls(first: RunningApp, second: RunningApp, token: str, count: int) -> list[bool]:
    """Whether each of `count` calls, made alternately through each replica, was refused."""
    replicas = (first, second)
    results = [await call_tool(f"{replicas[i % 2].url}/mcp/{token}") for i in range(count)]
    return [bool(result.is_error) for result in results]


async def test_replicas_sharing_redis_share_each_connections_caps(
    app_factory: Callable[..., RunningApp], redis_url: str, fake_mistral: FakeMistral
) -> None:
    first, second = await replica_pair(app_factory, redis_url=redis_url)
    created = first.sign_up()
    set_caps(first.url, created["token"], calls_per_day=3)
    assert await alternate_calls(first, second, created["token"], 5) == [False, False, False, True, True]
    assert len(fake_mistral.requests_to("POST", CHAT)) == 3


async def test_replicas_without_redis_share_each_connections_caps_through_the_database(
    app_factory: Callable[..., RunningApp], fake_mistral: FakeMistral
) -> None:
    first, second = await replica_pair(app_factory)
    created = first.sign_up()
    set_caps(first.url, created["token"], calls_per_day=3)
    assert await alternate_calls(first, second, created["token"], 5) == [False, False, False, True, True]
    assert len(fake_mistral.requests_to("POST", CHAT)) == 3
    with httpx.Client(base_url=second.url) as http:
        info = http.get("/api/connection", headers={"Authorization": f"Bearer {created['token']}"}).json()
    assert info["caps"]["calls_per_day"]["used"] == 3
