"""`wait_seconds` on the job tools: Mistral is asked again until the job settles or the wait ends."""

from __future__ import annotations

from typing import Any

import mcp_types as types
import pytest

from server.tools import waiting
from tests.conftest import RunningApp
from tests.fake_mistral import FakeMistral
from tests.support.mcp_client import LEGACY, MODES, connect
from tests.support.tool_calls import text_of

pytestmark = pytest.mark.anyio

JSONL = b'{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}\n' * 20
BATCH = {"endpoint": "/v1/chat/completions", "model": "mistral-small-latest", "requests": [{"body": {"messages": []}}]}


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(waiting, "POLL_INTERVAL", 0.02)


class Progress:
    def __init__(self) -> None:
        self.values: list[float] = []
        self.messages: list[str | None] = []

    async def __call__(self, value: float, total: float | None, message: str | None) -> None:
        self.values.append(value)
        self.messages.append(message)


async def create_then_get(
    app: RunningApp,
    fake: FakeMistral,
    create: tuple[str, dict[str, Any]],
    statuses: tuple[str, ...],
    get: str,
    mode: str = LEGACY,
    **get_arguments: Any,
) -> tuple[types.CallToolResult, Progress, str]:
    """Create a job with one tool, have it move through `statuses` (one per GET), then get it with another."""
    connection = app.sign_up()
    progress = Progress()
    async with connect(connection["mcp_url"], mode) as client:
        created = await client.call_tool(*create)
        assert not created.is_error, text_of(created)
        job_id = created.structured_content["id"]
        fake.advance_on_read(job_id, *statuses)
        fake.requests.clear()
        result = await client.call_tool(get, {"job_id": job_id, **get_arguments}, progress_callback=progress)
    return result, progress, job_id


def fine_tuning_job(fake: FakeMistral) -> tuple[str, dict[str, Any]]:
    training = fake.add_file(JSONL)
    arguments = {"model": "open-mistral-7b", "training_files": [{"file_id": training["id"]}], "hyperparameters": {}}
    return "mistral_create_fine_tuning_job", arguments


async def test_a_fine_tuning_job_is_watched_until_it_succeeds(app: RunningApp, fake_mistral: FakeMistral) -> None:
    result, progress, job_id = await create_then_get(
        app,
        fake_mistral,
        fine_tuning_job(fake_mistral),
        ("RUNNING", "RUNNING", "SUCCESS"),
        "mistral_get_fine_tuning_job",
        wait_seconds=240,
    )
    assert not result.is_error, text_of(result)
    assert result.structured_content["status"] == "SUCCESS"
    assert len(fake_mistral.requests_to("GET", f"/v1/fine_tuning/jobs/{job_id}")) == 3
    assert text_of(result).startswith(f"{job_id}: SUCCESS") and "Still" not in text_of(result)
    assert progress.values == sorted(set(progress.values)) and len(progress.values) >= 2
    assert all(message and message.startswith(f"{job_id}: RUNNING") for message in progress.messages[:2])
    [link] = [block for block in result.content if block.type == "resource_link"]
    assert link.uri == f"mistral://models/{result.structured_content['fine_tuned_model']}"


@pytest.mark.parametrize("mode", MODES)
async def test_a_batch_job_is_watched_until_it_succeeds_in_both_eras(
    app: RunningApp, fake_mistral: FakeMistral, mode: str
) -> None:
    result, progress, job_id = await create_then_get(
        app,
        fake_mistral,
        ("mistral_create_batch_job", BATCH),
        ("RUNNING", "SUCCESS"),
        "mistral_get_batch_job",
        mode,
        wait_seconds=240,
    )
    assert not result.is_error, text_of(result)
    assert result.structured_content["status"] == "SUCCESS"
    [first, second] = fake_mistral.requests_to("GET", f"/v1/batch/jobs/{job_id}")
    assert first.query == second.query == {}  # wait_seconds stays with us
    assert any(message and "RUNNING" in message for message in progress.messages), progress.messages
    output = result.structured_content["output_file"]
    assert [block.uri for block in result.content if block.type == "resource_link"] == [f"mistral://files/{output}"]


async def test_a_job_still_running_when_the_wait_ends_says_how_to_keep_waiting(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    result, _, job_id = await create_then_get(
        app, fake_mistral, ("mistral_create_batch_job", BATCH), (), "mistral_get_batch_job", wait_seconds=1
    )
    assert not result.is_error, text_of(result)
    assert result.structured_content["status"] == "QUEUED"
    assert len(fake_mistral.requests_to("GET", f"/v1/batch/jobs/{job_id}")) >= 2
    assert "Still QUEUED after waiting 1 s: call again (with wait_seconds) to keep waiting." in text_of(result)


async def test_without_a_wait_the_job_is_read_once(app: RunningApp, fake_mistral: FakeMistral) -> None:
    result, _, job_id = await create_then_get(
        app, fake_mistral, fine_tuning_job(fake_mistral), ("RUNNING", "SUCCESS"), "mistral_get_fine_tuning_job"
    )
    assert not result.is_error, text_of(result)
    assert result.structured_content["status"] == "RUNNING"
    assert len(fake_mistral.requests_to("GET", f"/v1/fine_tuning/jobs/{job_id}")) == 1
    assert "Still" not in text_of(result)
    assert not [block for block in result.content if block.type == "resource_link"]


@pytest.mark.parametrize("tool", ["mistral_get_fine_tuning_job", "mistral_get_batch_job"])
async def test_a_wait_longer_than_240_seconds_is_refused(app: RunningApp, fake_mistral: FakeMistral, tool: str) -> None:
    connection = app.sign_up()
    fake_mistral.requests.clear()
    async with connect(connection["mcp_url"]) as client:
        result = await client.call_tool(tool, {"job_id": "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9", "wait_seconds": 241})
    assert result.is_error and "wait_seconds" in text_of(result)
    assert fake_mistral.requests == []
