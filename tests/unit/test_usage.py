"""Usage counters: a flush returns only once everything recorded before it is written."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from server.usage import UsageRecorder
from storage.repository import UsageDelta

pytestmark = pytest.mark.anyio


class SlowRepository:
    def __init__(self) -> None:
        self.started = anyio.Event()
        self.release = anyio.Event()
        self.written: list[UsageDelta] = []

    async def add_usage(self, deltas: list[UsageDelta]) -> None:
        self.started.set()
        await self.release.wait()
        self.written.extend(deltas)


async def test_a_flush_waits_for_the_one_already_writing() -> None:
    repository = SlowRepository()
    recorder = UsageRecorder(repository)  # type: ignore[arg-type]  # only add_usage is used
    recorder.record("conn_1", "mistral_chat", error=False, usage={"prompt_tokens": 3})
    second_done = anyio.Event()

    async def second_flush(*, task_status: Any = anyio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        await recorder.flush()  # nothing left pending: it must still wait for the first write
        second_done.set()

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(recorder.flush)
            await repository.started.wait()
            await tasks.start(second_flush)
            await anyio.wait_all_tasks_blocked()
            assert not second_done.is_set()
            repository.release.set()
    assert second_done.is_set()
    assert [(d.connection_id, d.tool, d.calls, d.prompt_tokens) for d in repository.written] == [
        ("conn_1", "mistral_chat", 1, 3)
    ]


async def test_counts_being_written_when_shutdown_cancels_the_flush_are_not_lost() -> None:
    repository = SlowRepository()
    recorder = UsageRecorder(repository)  # type: ignore[arg-type]  # only add_usage is used
    recorder.record("conn_1", "mistral_chat", error=False, usage={"prompt_tokens": 3})
    with anyio.fail_after(5):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(recorder.flush)  # the periodic flush, as the lifespan runs it
            await repository.started.wait()
            tasks.cancel_scope.cancel()  # shutdown, mid-write
            repository.release.set()  # the database answers after all
        await recorder.flush()  # the lifespan's last flush
    assert [(d.connection_id, d.calls, d.prompt_tokens) for d in repository.written] == [("conn_1", 1, 3)]
