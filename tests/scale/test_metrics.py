"""`GET /metrics` (Prometheus text) and the tool-call log line, checked after real traffic.

Every family the operations guide tells operators to watch must be there, labelled only
with fixed vocabularies: no token, key, prompt or client-typed name may appear anywhere.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import text

from storage.database import create_engine
from tests.conftest import VALID_KEY, RunningApp
from tests.fake_mistral import FakeMistral
from tests.scale.support import call_tool, sample, scrape, start_app
from tests.support.mcp_client import connect

pytestmark = pytest.mark.anyio

SECRET_PROMPT = "prompt-that-must-never-be-a-label-7f3a"
CLIENT_TYPED_TOOL = "no_such_tool_9c1e"

FAMILIES = (
    "mistral_mcp_http_requests_total",
    "mistral_mcp_http_request_duration_seconds",
    "mistral_mcp_http_requests_in_flight",
    "mistral_mcp_tool_calls_total",
    "mistral_mcp_tool_call_duration_seconds",
    "mistral_mcp_tool_calls_in_flight",
    "mistral_mcp_upstream_streams_in_flight",
    "mistral_mcp_upstream_request_duration_seconds",
    "mistral_mcp_upstream_responses_total",
    "mistral_mcp_upstream_retries_total",
    "mistral_mcp_rate_limit_rejections_total",
    "mistral_mcp_rate_limit_fail_open_total",
    "mistral_mcp_redis_failures_total",
    "mistral_mcp_database_errors_total",
    "process_resident_memory_bytes",
)


async def test_metrics_after_traffic_have_every_family_and_no_secret(
    app_factory: Callable[..., RunningApp], fake_mistral: FakeMistral
) -> None:
    app = await start_app(app_factory)
    created = app.sign_up()
    token, url = created["token"], created["mcp_url"]
    fake_mistral.fail_next("/v1/chat/completions", status=503, retry_after="0")
    assert not (await call_tool(url, "mistral_chat", {"prompt": SECRET_PROMPT})).is_error
    assert (await call_tool(url, CLIENT_TYPED_TOOL, {"x": SECRET_PROMPT})).is_error
    async with connect(url) as client:  # a streamed call: progress asked for
        streamed = await client.call_tool("mistral_chat", {"prompt": "stream"}, progress_callback=lambda *_: _noop())
    assert not streamed.is_error
    httpx.get(f"{app.url}/mcp/{token}/{SECRET_PROMPT}")  # unmatched path holding a token
    httpx.get(f"{app.url}/api/connection", headers={"Authorization": f"Bearer {token}"})

    metrics = scrape(app.url)
    for family in FAMILIES:
        assert f"# TYPE {family} " in metrics, family
    for secret in (token, VALID_KEY, SECRET_PROMPT, CLIENT_TYPED_TOOL, created["id"]):
        assert secret not in metrics
    assert sample(metrics, "mistral_mcp_http_requests_total", method="POST", route="/mcp/{token}", status="200") >= 3
    assert sample(metrics, "mistral_mcp_http_requests_total", method="GET", route="unmatched", status="404") == 1
    assert sample(metrics, "mistral_mcp_http_requests_total", route="/api/connections", status="201") == 1
    assert sample(metrics, "mistral_mcp_tool_calls_total", tool="mistral_chat", outcome="ok") == 2
    assert sample(metrics, "mistral_mcp_tool_calls_total", tool="unknown", outcome="error") == 1
    assert sample(metrics, "mistral_mcp_tool_calls_in_flight") == 0
    assert sample(metrics, "mistral_mcp_upstream_streams_in_flight") == 0
    assert sample(metrics, "mistral_mcp_upstream_responses_total", endpoint="/v1/chat/completions", status="503") == 1
    assert sample(metrics, "mistral_mcp_upstream_responses_total", endpoint="/v1/chat/completions", status="200") == 2
    assert sample(metrics, "mistral_mcp_upstream_retries_total", endpoint="/v1/chat/completions", reason="503") == 1
    assert sample(metrics, "mistral_mcp_upstream_responses_total", endpoint="/v1/models", status="200") == 1
    assert sample(metrics, "mistral_mcp_upstream_request_duration_seconds_count", endpoint="/v1/chat/completions") == 3
    assert sample(metrics, "mistral_mcp_tool_call_duration_seconds_count", tool="mistral_chat") == 2


async def _noop() -> None:
    return None


def test_upstream_paths_with_ids_are_labelled_by_template() -> None:
    from server.observability.metrics import upstream_endpoint

    assert upstream_endpoint("/v1/files/3f2a-uuid/content") == "/v1/files/{id}/content"
    assert upstream_endpoint("/v1/fine_tuning/jobs/abc123/cancel") == "/v1/fine_tuning/jobs/{id}/cancel"
    assert upstream_endpoint("/v1/models/mistral-large-latest") == "/v1/models/{id}"
    assert upstream_endpoint("/v1/chat/completions") == "/v1/chat/completions"


def test_metrics_token_when_set_is_required(app_factory: Callable[..., RunningApp]) -> None:
    app = app_factory(metrics_token="scrape-secret-1")
    refused = httpx.get(f"{app.url}/metrics")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthorized"
    assert httpx.get(f"{app.url}/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    metrics = scrape(app.url, {"Authorization": "Bearer scrape-secret-1"})
    assert "scrape-secret-1" not in metrics


def test_each_app_has_its_own_registry(app_factory: Callable[..., RunningApp]) -> None:
    first, second = app_factory(), app_factory()
    first.sign_up()
    assert sample(scrape(first.url), "mistral_mcp_http_requests_total", route="/api/connections") == 1
    assert sample(scrape(second.url), "mistral_mcp_http_requests_total", route="/api/connections") == 0


async def test_database_errors_are_counted_by_kind(
    app_factory: Callable[..., RunningApp], fresh_database_url: str
) -> None:
    app = await start_app(app_factory, database_url=fresh_database_url)
    token = app.sign_up()["token"]
    engine = create_engine(fresh_database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP TABLE tool_usage"))
    finally:
        await engine.dispose()
    async with httpx.AsyncClient(base_url=app.url) as http:
        broken = await http.get("/api/connection", headers={"Authorization": f"Bearer {token}"})
    assert broken.status_code in {500, 503}
    assert set(broken.json()["error"]) == {"code", "message"}
    metrics = scrape(app.url)
    kinds = {"OperationalError", "ProgrammingError"}  # SQLite, PostgreSQL: "no such table"
    assert sum(sample(metrics, "mistral_mcp_database_errors_total", kind=kind) for kind in kinds) >= 1


async def test_tool_call_log_lines_carry_the_request_id_and_connection_id(
    app: RunningApp, fake_mistral: FakeMistral, log_stream: io.StringIO
) -> None:
    created = app.sign_up()
    start = log_stream.tell()
    assert not (await call_tool(created["mcp_url"], "mistral_chat", {"prompt": SECRET_PROMPT})).is_error
    lines = [json.loads(line) for line in log_stream.getvalue()[start:].splitlines() if line.startswith("{")]
    [tool_line] = [line for line in lines if line["message"] == "tool call"]
    assert tool_line["connection_id"] == created["id"]
    assert tool_line["tool"] == "mistral_chat" and tool_line["outcome"] == "ok"
    access = [line for line in lines if line["logger"] == "mistral_mcp.access" and line["request_id"]]
    assert tool_line["request_id"] in {line["request_id"] for line in access}
    assert all(created["token"] not in json.dumps(line) for line in lines)
