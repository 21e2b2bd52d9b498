"""Per-connection usage (calls, errors, tokens per tool and per UTC day), counted in memory and
flushed in batches.

Writing a row on every tool call would put a database write on the hot path; instead the
counters are folded together and written every few seconds and once more at shutdown.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import anyio

from storage.repository import ConnectionRepository, UsageDelta

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class _Counter:
    calls: int = 0
    errors: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    last_used_at: datetime | None = None


def _tokens(usage: Mapping[str, Any] | None, name: str) -> int:
    value = (usage or {}).get(name)
    return value if isinstance(value, int) and value >= 0 else 0


def tokens_used(usage: Mapping[str, Any] | None) -> int:
    """Prompt and completion tokens of one call, as Mistral reported them (what a token cap counts)."""
    return _tokens(usage, "prompt_tokens") + _tokens(usage, "completion_tokens")


class UsageRecorder:
    def __init__(self, repository: ConnectionRepository, flush_interval: float = 2.0) -> None:
        self._repository = repository
        self._interval = flush_interval
        # Keyed by the day too: a call made just before midnight and flushed after it counts on its day.
        self._pending: dict[tuple[str, str, date], _Counter] = {}
        # One flush at a time: a flush that found nothing pending must still wait for the one
        # writing, so "flush, then read" always sees every call recorded before the flush.
        self._flushing = anyio.Lock()

    def record(self, connection_id: str, tool: str, *, error: bool, usage: Mapping[str, Any] | None) -> None:
        now = datetime.now(UTC)
        counter = self._pending.setdefault((connection_id, tool, now.date()), _Counter())
        counter.calls += 1
        counter.errors += int(error)
        counter.prompt_tokens += _tokens(usage, "prompt_tokens")
        counter.completion_tokens += _tokens(usage, "completion_tokens")
        counter.last_used_at = now

    async def flush(self) -> None:
        async with self._flushing:
            await self._flush()

    async def _flush(self) -> None:
        pending, self._pending = self._pending, {}
        deltas = [
            UsageDelta(cid, tool, c.calls, c.errors, c.prompt_tokens, c.completion_tokens, c.last_used_at, day)
            for (cid, tool, day), c in pending.items()
            if c.last_used_at is not None
        ]
        if not deltas:
            return
        try:
            # Off the buffer now: written or put back, never dropped, even when shutdown cancels
            # the periodic flush mid-write (the final flush then waits for this one).
            with anyio.CancelScope(shield=True):
                await self._repository.add_usage(deltas)
        except Exception:
            # Usage is bookkeeping: keep the counts for the next flush rather than fail anything.
            logger.exception("could not write usage counters; will retry")
            for d in deltas:
                counter = self._pending.setdefault((d.connection_id, d.tool, d.day), _Counter())
                counter.calls += d.calls
                counter.errors += d.errors
                counter.prompt_tokens += d.prompt_tokens
                counter.completion_tokens += d.completion_tokens
                counter.last_used_at = max(d.last_used_at, counter.last_used_at or d.last_used_at)

    async def run(self) -> None:
        while True:
            await anyio.sleep(self._interval)
            await self.flush()
