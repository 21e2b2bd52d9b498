"""Per-connection tool-call limits (per minute, at once), shared through Redis, failing open.

A call over a limit gets an `isError` result saying when to retry, at once and without
reaching Mistral; with Redis configured every replica counts against the same limit; with
Redis unreachable the service keeps serving and says so in its log and metrics.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import anyio
import httpx
import pytest

from tests.conftest import RunningApp
from tests.fake_mistral import FakeMistral
from tests.scale.conftest import unique_address
from tests.scale.replicas import replicas
from tests.scale.support import call_tool, sample, scrape, start_app, text_of

pytestmark = pytest.mark.anyio


async def test_calls_over_the_per_minute_limit_get_an_error_result_saying_when_to_retry(
    app_factory: Callable[..., RunningApp], fake_mistral: FakeMistral
) -> None:
    app = await start_app(app_factory, rate_limit_per_minute=2)
    url = app.sign_up()["mcp_url"]
    first, second = await call_tool(url), await call_tool(url)
    third = await call_tool(url)
    assert not first.is_error and not second.is_error
    assert third.is_error
    message = text_of(third)
    assert "2 tool calls per minute" in message
    match = re.search(r"Retry in (\d+) second", message)
    assert match is not None and 1 <= int(match.group(1)) <= 60
    assert len(fake_mistral.requests_to("POST", "/v1/chat/completions")) == 2
    # Another connection has its own allowance.
    assert not (await call_tool(app.sign_up()["mcp_url"])).is_error
    assert sample(scrape(app.url), "mistral_mcp_rate_limit_rejections_total", limit="per_minute") == 1
    assert sample(scrape(app.url), "mistral_mcp_tool_calls_total", tool="mistral_chat", outcome="rate_limited") == 1


async def test_a_call_over_the_concurrency_limit_is_refused_at_once_and_the_slot_comes_back(
    app_factory: Callable[..., RunningApp], fake_mistral: FakeMistral
) -> None:
    app = await start_app(app_factory, max_concurrent_calls=1)
    url = app.sign_up()["mcp_url"]
    fake_mistral.stall_next("/v1/embeddings", 2.0)
    results = {}

    async def slow_call() -> None:
        results["slow"] = await call_tool(url, "mistral_embed", {"input": "slow"})

    with anyio.fail_after(30):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(slow_call)
            while not fake_mistral.requests_to("POST", "/v1/embeddings"):
                await anyio.sleep(0.02)
            refused = await call_tool(url)
            assert "slow" not in results, "the refusal must come while the first call runs, not after it"
    assert refused.is_error
    assert "at most 1 may run at the same time" in text_of(refused)
    assert "Retry in 1 second" in text_of(refused)
    assert not results["slow"].is_error
    assert not (await call_tool(url)).is_error, "the slot is released when the call ends"
    assert sample(scrape(app.url), "mistral_mcp_rate_limit_rejections_total", limit="concurrent") == 1


async def test_an_upstream_failure_releases_the_concurrency_slot(
    app_factory: Callable[..., RunningApp], fake_mistral: FakeMistral
) -> None:
    app = await start_app(app_factory, max_concurrent_calls=1, upstream_max_retries=0)
    url = app.sign_up()["mcp_url"]
    fake_mistral.fail_next("/v1/chat/completions", status=500)
    assert (await call_tool(url)).is_error
    assert not (await call_tool(url)).is_error


async def test_replicas_sharing_redis_share_each_connections_allowance(
    app_factory: Callable[..., RunningApp], redis_url: str, fake_mistral: FakeMistral
) -> None:
    first = await start_app(app_factory, rate_limit_per_minute=2, redis_url=redis_url)
    second = await start_app(
        app_factory,
        database_url=first.settings.database_url,
        encryption_keys=first.settings.encryption_keys,
        rate_limit_per_minute=2,
        redis_url=redis_url,
    )
    token = first.sign_up()["token"]
    assert not (await call_tool(f"{first.url}/mcp/{token}")).is_error
    assert not (await call_tool(f"{second.url}/mcp/{token}")).is_error
    refused = await call_tool(f"{first.url}/mcp/{token}")
    assert refused.is_error and "2 tool calls per minute" in text_of(refused)
    refused = await call_tool(f"{second.url}/mcp/{token}")
    assert refused.is_error
    assert len(fake_mistral.requests_to("POST", "/v1/chat/completions")) == 2


async def test_redis_unreachable_keeps_serving_logs_it_and_counts_it(
    app_factory: Callable[..., RunningApp],
    closed_port_redis_url: str,
    fake_mistral: FakeMistral,
    log_stream: io.StringIO,
) -> None:
    start = log_stream.tell()
    app = await start_app(app_factory, rate_limit_per_minute=1, max_concurrent_calls=1, redis_url=closed_port_redis_url)
    url = app.sign_up()["mcp_url"]
    with anyio.fail_after(30):  # fail open must never mean hang
        results = [await call_tool(url) for _ in range(3)]
    assert [r.is_error for r in results] == [False, False, False]
    metrics = scrape(app.url)
    assert sample(metrics, "mistral_mcp_redis_failures_total", operation="ping") == 1
    assert sample(metrics, "mistral_mcp_rate_limit_fail_open_total") >= 3
    logged = log_stream.getvalue()[start:]
    assert "Redis at redis://127.0.0.1:1/0 is unreachable" in logged
    assert logged.count("is unreachable") == 1, "one line per outage, not one per call"


def test_sign_up_limit_per_address_is_shared_by_replicas_through_redis(
    replica_settings: dict[str, str], redis_url: str, tmp_path: Path, fake_mistral: FakeMistral
) -> None:
    settings = {
        **replica_settings,
        "MISTRAL_MCP_REDIS_URL": redis_url,
        "MISTRAL_MCP_SIGNUP_RATE_LIMIT": "2/minute",
        "MISTRAL_MCP_FORWARDED_ALLOW_IPS": "127.0.0.1",
    }
    client_address = {"X-Forwarded-For": unique_address()}
    with replicas(2, settings, tmp_path) as (a, b):

        def sign_up(replica_url: str) -> httpx.Response:
            return httpx.post(
                f"{replica_url}/api/connections", json={"api_key": "sk-test-valid"}, headers=client_address
            )

        assert sign_up(a.url).status_code == 201
        assert sign_up(b.url).status_code == 201
        refused = sign_up(a.url)
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1
        assert refused.json()["error"]["code"] == "rate_limited"
        assert sample(scrape(a.url), "mistral_mcp_rate_limit_rejections_total", limit="signup") == 1
        # Another address is not affected.
        other = httpx.post(
            f"{b.url}/api/connections", json={"api_key": "sk-test-valid"}, headers={"X-Forwarded-For": unique_address()}
        )
        assert other.status_code == 201
