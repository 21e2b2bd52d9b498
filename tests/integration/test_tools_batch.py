"""Batch tools through the SDK client: create (inline or files), list, get (with results), cancel, delete."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.conftest import VALID_KEY, RunningApp
from tests.fake_mistral import FakeMistral
from tests.support.mcp_client import MODES
from tests.support.tool_calls import call_tool, text_of

pytestmark = pytest.mark.anyio

JOBS = "/v1/batch/jobs"
REQUESTS = [
    {"custom_id": "cheese", "body": {"messages": [{"role": "user", "content": "Best French cheese?"}]}},
    {"custom_id": "wine", "body": {"messages": [{"role": "user", "content": "Best French wine?"}]}},
]


async def create(app: RunningApp, fake: FakeMistral, **arguments: Any) -> Any:
    base = {"endpoint": "/v1/chat/completions", "model": "mistral-small-latest", "requests": REQUESTS}
    return await call_tool(app, fake, "mistral_create_batch_job", {**base, **arguments})


async def test_create_with_inline_requests_posts_them(app: RunningApp, fake_mistral: FakeMistral) -> None:
    result = await create(app, fake_mistral, metadata={"team": "qa"}, timeout_hours=6)
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("POST", JOBS)
    assert sent.api_key == VALID_KEY
    assert sent.json == {
        "endpoint": "/v1/chat/completions",
        "model": "mistral-small-latest",
        "requests": REQUESTS,
        "metadata": {"team": "qa"},
        "timeout_hours": 6,
    }
    job = result.structured_content
    assert job["status"] == "QUEUED" and job["total_requests"] == 2
    assert text_of(result).startswith(
        f"Created batch job {job['id']}: QUEUED, /v1/chat/completions with mistral-small-latest, 0 succeeded"
    )


async def test_create_from_an_uploaded_input_file(app: RunningApp, fake_mistral: FakeMistral) -> None:
    lines = b"".join(json.dumps(r).encode() + b"\n" for r in REQUESTS)
    stored = fake_mistral.add_file(lines, filename="batch.jsonl", purpose="batch")
    result = await call_tool(
        app,
        fake_mistral,
        "mistral_create_batch_job",
        {"endpoint": "/v1/chat/completions", "model": "mistral-small-latest", "input_files": [stored["id"]]},
    )
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("POST", JOBS)
    assert sent.json["input_files"] == [stored["id"]] and "requests" not in sent.json
    assert result.structured_content["total_requests"] == 2


async def test_get_with_inline_returns_the_results_of_a_finished_job(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    job_id = (await create(app, fake_mistral)).structured_content["id"]
    fake_mistral.set_batch_status(job_id, "SUCCESS")
    result = await call_tool(app, fake_mistral, "mistral_get_batch_job", {"job_id": job_id, "inline": True})
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("GET", f"{JOBS}/{job_id}")
    assert sent.query == {"inline": "true"}
    job = result.structured_content
    assert [o["custom_id"] for o in job["outputs"]] == ["cheese", "wine"]
    lines = text_of(result).splitlines()
    assert lines[0] == (
        f"{job_id}: SUCCESS, /v1/chat/completions with mistral-small-latest, 2 succeeded, 0 failed of 2, "
        f"results in file {job['output_file']}"
    )
    assert lines[1] == "2 result(s) inline in structuredContent.outputs."


async def test_cancel_posts_to_the_cancel_action(app: RunningApp, fake_mistral: FakeMistral) -> None:
    job_id = (await create(app, fake_mistral)).structured_content["id"]
    result = await call_tool(app, fake_mistral, "mistral_cancel_batch_job", {"job_id": job_id})
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("POST", f"{JOBS}/{job_id}/cancel")
    assert sent.api_key == VALID_KEY
    assert result.structured_content["status"] == "CANCELLATION_REQUESTED"
    assert fake_mistral.batch_jobs[job_id]["status"] == "CANCELLED"


async def test_cancelling_a_finished_job_is_refused_by_mistral(app: RunningApp, fake_mistral: FakeMistral) -> None:
    job_id = (await create(app, fake_mistral)).structured_content["id"]
    fake_mistral.set_batch_status(job_id, "SUCCESS")
    result = await call_tool(app, fake_mistral, "mistral_cancel_batch_job", {"job_id": job_id})
    assert result.is_error
    assert "already SUCCESS" in text_of(result)


async def test_list_forwards_statuses_metadata_and_paging(app: RunningApp, fake_mistral: FakeMistral) -> None:
    await create(app, fake_mistral, metadata={"team": "qa"})
    await create(app, fake_mistral, metadata={"team": "ops"})
    arguments = {"status": ["QUEUED", "RUNNING"], "metadata": {"team": "qa"}, "order_by": "created"}
    result = await call_tool(app, fake_mistral, "mistral_list_batch_jobs", arguments)
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("GET", JOBS)
    assert sorted(sent.query_items) == [
        ("metadata", '{"team":"qa"}'),
        ("order_by", "created"),
        ("page", "0"),
        ("page_size", "20"),
        ("status", "QUEUED"),
        ("status", "RUNNING"),
    ]
    assert [j["metadata"] for j in result.structured_content["data"]] == [{"team": "qa"}]
    assert text_of(result).splitlines()[0] == "1 batch job(s) on page 0, 1 in all:"


@pytest.mark.parametrize("mode", MODES)
async def test_delete_removes_the_job(app: RunningApp, fake_mistral: FakeMistral, mode: str) -> None:
    job_id = (await create(app, fake_mistral)).structured_content["id"]
    fake_mistral.set_batch_status(job_id, "SUCCESS")
    result = await call_tool(app, fake_mistral, "mistral_delete_batch_job", {"job_id": job_id}, mode)
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("DELETE", f"{JOBS}/{job_id}")
    assert sent.api_key == VALID_KEY and sent.body == b""
    assert job_id not in fake_mistral.batch_jobs
    assert result.structured_content == {"id": job_id, "object": "batch", "deleted": True}
    assert text_of(result) == f"Deleted batch job {job_id}."


@pytest.mark.parametrize("tool", ["mistral_get_batch_job", "mistral_cancel_batch_job", "mistral_delete_batch_job"])
async def test_an_unknown_batch_job_is_an_error_result(app: RunningApp, fake_mistral: FakeMistral, tool: str) -> None:
    result = await call_tool(app, fake_mistral, tool, {"job_id": str(uuid.uuid4())})
    assert result.is_error
    assert "no such resource (404)" in text_of(result)


@pytest.mark.parametrize(
    ("tool", "arguments", "named"),
    [
        ("mistral_create_batch_job", {"endpoint": "/v1/chat/completions"}, "input_files"),
        ("mistral_create_batch_job", {"endpoint": "/v1/images", "requests": REQUESTS}, "endpoint"),
        ("mistral_create_batch_job", {"requests": REQUESTS}, "endpoint"),
        ("mistral_create_batch_job", {"endpoint": "/v1/ocr", "input_files": ["nope"]}, "input_files"),
        ("mistral_create_batch_job", {"endpoint": "/v1/ocr", "requests": [{"custom_id": "a"}]}, "body"),
        (
            "mistral_create_batch_job",
            {"endpoint": "/v1/ocr", "requests": REQUESTS, "timeout_hours": 500},
            "timeout_hours",
        ),
        ("mistral_list_batch_jobs", {"status": ["DONE"]}, "status"),
        ("mistral_get_batch_job", {"job_id": "x"}, "job_id"),
        ("mistral_delete_batch_job", {"job_id": "../files"}, "job_id"),
    ],
)
async def test_bad_batch_arguments_are_refused_before_any_upstream_call(
    app: RunningApp, fake_mistral: FakeMistral, tool: str, arguments: dict[str, Any], named: str
) -> None:
    result = await call_tool(app, fake_mistral, tool, arguments)
    assert result.is_error and named in text_of(result)
    assert fake_mistral.requests == []
