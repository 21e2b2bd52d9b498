"""Fine-tuning tools through the SDK client: estimate, create, start, cancel (POST, never DELETE), list, get."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.conftest import VALID_KEY, RunningApp
from tests.fake_mistral import FakeMistral
from tests.support.tool_calls import call_tool, text_of

pytestmark = pytest.mark.anyio

JOBS = "/v1/fine_tuning/jobs"
JSONL = b'{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}\n' * 50


def job_arguments(fake: FakeMistral, **extra: Any) -> dict[str, Any]:
    training = fake.add_file(JSONL, filename="train.jsonl")
    return {
        "model": "open-mistral-7b",
        "training_files": [{"file_id": training["id"], "weight": 1.0}],
        "hyperparameters": {"training_steps": 10, "learning_rate": 0.0001},
        **extra,
    }


async def test_dry_run_returns_the_cost_estimate_and_creates_no_job(app: RunningApp, fake_mistral: FakeMistral) -> None:
    arguments = job_arguments(fake_mistral)
    result = await call_tool(app, fake_mistral, "mistral_create_fine_tuning_job", {**arguments, "dry_run": True})
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("POST", JOBS)
    assert sent.api_key == VALID_KEY
    assert sent.query == {"dry_run": "true"}
    assert sent.json == arguments
    assert fake_mistral.fine_tuning_jobs == {}
    text = text_of(result)
    assert text.startswith("Dry run, no job created. Mistral's estimate:")
    assert f"- cost: {result.structured_content['cost']} EUR" in text
    assert "- training steps: 10" in text


async def test_create_sends_the_job_and_waits_for_start_when_asked(app: RunningApp, fake_mistral: FakeMistral) -> None:
    validation = fake_mistral.add_file(JSONL, filename="valid.jsonl")
    arguments = job_arguments(fake_mistral, validation_files=[validation["id"]], suffix="my-model", auto_start=False)
    result = await call_tool(app, fake_mistral, "mistral_create_fine_tuning_job", arguments)
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("POST", JOBS)
    assert sent.json == arguments and sent.query == {}
    job = result.structured_content
    assert job["status"] == "QUEUED" and job["suffix"] == "my-model"
    assert text_of(result).startswith(f"Created fine-tuning job {job['id']}: QUEUED, model open-mistral-7b")
    assert "waits for mistral_start_fine_tuning_job" in text_of(result)


async def test_start_and_cancel_post_to_their_actions(app: RunningApp, fake_mistral: FakeMistral) -> None:
    created = await call_tool(
        app, fake_mistral, "mistral_create_fine_tuning_job", job_arguments(fake_mistral, auto_start=False)
    )
    job_id = created.structured_content["id"]
    started = await call_tool(app, fake_mistral, "mistral_start_fine_tuning_job", {"job_id": job_id})
    assert not started.is_error, text_of(started)
    assert fake_mistral.requests_to("POST", f"{JOBS}/{job_id}/start")
    assert started.structured_content["status"] == "STARTED"
    cancelled = await call_tool(app, fake_mistral, "mistral_cancel_fine_tuning_job", {"job_id": job_id})
    assert not cancelled.is_error, text_of(cancelled)
    [sent] = fake_mistral.requests_to("POST", f"{JOBS}/{job_id}/cancel")
    assert sent.api_key == VALID_KEY
    assert cancelled.structured_content["status"] == "CANCELLATION_REQUESTED"
    assert text_of(cancelled).startswith(f"Cancellation requested: {job_id}: CANCELLATION_REQUESTED")
    assert not [r for r in fake_mistral.requests if r.method == "DELETE"]
    assert fake_mistral.fine_tuning_jobs[job_id]["status"] == "CANCELLED"


async def test_get_job_shows_status_checkpoint_and_model(app: RunningApp, fake_mistral: FakeMistral) -> None:
    created = await call_tool(app, fake_mistral, "mistral_create_fine_tuning_job", job_arguments(fake_mistral))
    job_id = created.structured_content["id"]
    fake_mistral.complete_job(job_id)
    result = await call_tool(app, fake_mistral, "mistral_get_fine_tuning_job", {"job_id": job_id})
    assert not result.is_error, text_of(result)
    assert fake_mistral.requests_to("GET", f"{JOBS}/{job_id}")
    job = result.structured_content
    lines = text_of(result).splitlines()
    assert lines[0].startswith(f"{job_id}: SUCCESS, model open-mistral-7b, produced {job['fine_tuned_model']}")
    assert lines[1].startswith("Latest checkpoint: step 10")
    assert lines[2] == "Latest event: status-updated {'status': 'SUCCESS'}"


async def test_list_jobs_forwards_filters_with_a_small_default_page(app: RunningApp, fake_mistral: FakeMistral) -> None:
    for _ in range(2):
        await call_tool(app, fake_mistral, "mistral_create_fine_tuning_job", job_arguments(fake_mistral))
    arguments = {"status": "RUNNING", "model": "open-mistral-7b", "created_after": "2020-01-01T00:00:00Z"}
    result = await call_tool(app, fake_mistral, "mistral_list_fine_tuning_jobs", arguments)
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("GET", JOBS)
    assert sent.query == {**arguments, "page": "0", "page_size": "20"}
    assert result.structured_content["total"] == 2
    assert text_of(result).splitlines()[0] == "2 job(s) on page 0, 2 in all:"


async def test_list_jobs_says_how_to_get_the_next_page(app: RunningApp, fake_mistral: FakeMistral) -> None:
    for _ in range(2):
        await call_tool(app, fake_mistral, "mistral_create_fine_tuning_job", job_arguments(fake_mistral))
    result = await call_tool(app, fake_mistral, "mistral_list_fine_tuning_jobs", {"page_size": 1})
    assert len(result.structured_content["data"]) == 1
    assert text_of(result).splitlines()[-1] == "More jobs: call again with page=1."


@pytest.mark.parametrize(
    "tool", ["mistral_get_fine_tuning_job", "mistral_cancel_fine_tuning_job", "mistral_start_fine_tuning_job"]
)
async def test_an_unknown_job_is_an_error_result(app: RunningApp, fake_mistral: FakeMistral, tool: str) -> None:
    result = await call_tool(app, fake_mistral, tool, {"job_id": str(uuid.uuid4())})
    assert result.is_error
    assert "no such resource (404)" in text_of(result)


async def test_a_file_mistral_does_not_have_is_an_error_result(app: RunningApp, fake_mistral: FakeMistral) -> None:
    arguments = {**job_arguments(fake_mistral), "training_files": [{"file_id": str(uuid.uuid4())}]}
    result = await call_tool(app, fake_mistral, "mistral_create_fine_tuning_job", arguments)
    assert result.is_error and "404" in text_of(result)


@pytest.mark.parametrize(
    ("tool", "arguments", "named"),
    [
        ("mistral_create_fine_tuning_job", {"model": "open-mistral-7b"}, "hyperparameters"),
        (
            "mistral_create_fine_tuning_job",
            {"model": "open-mistral-7b", "hyperparameters": {"learning_rate": 5}},
            "learning_rate",
        ),
        (
            "mistral_create_fine_tuning_job",
            {"model": "open-mistral-7b", "hyperparameters": {}, "suffix": "x" * 19},
            "suffix",
        ),
        (
            "mistral_create_fine_tuning_job",
            {"model": "open-mistral-7b", "hyperparameters": {}, "training_files": ["id"]},
            "training_files",
        ),
        ("mistral_list_fine_tuning_jobs", {"status": "DONE"}, "status"),
        ("mistral_cancel_fine_tuning_job", {"job_id": "12"}, "job_id"),
        ("mistral_start_fine_tuning_job", {}, "job_id"),
    ],
)
async def test_bad_fine_tuning_arguments_are_refused_before_any_upstream_call(
    app: RunningApp, fake_mistral: FakeMistral, tool: str, arguments: dict[str, Any], named: str
) -> None:
    result = await call_tool(app, fake_mistral, tool, arguments)
    assert result.is_error and named in text_of(result)
    assert fake_mistral.requests == []
