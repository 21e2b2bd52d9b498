"""Deletes the OAuth rows nobody can use any more, so what anonymous callers leave behind does not pile up.

Swept: pending sign-ins past their expiry; codes past theirs whose token family is dead; tokens of
dead families (every token expired or revoked: a reused refresh token could revoke nothing); clients
that never obtained a token within `unused_client_after` of registering, or none for
`idle_client_after`, unless a sign-in or a code of theirs is still under way.

Each sweep deletes a bounded number of rows per table, so a backlog never holds the database for
long; the next sweep carries on. Every replica sweeps; deleting twice is harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

import anyio
from sqlalchemy.exc import SQLAlchemyError

from server.settings import Settings
from storage.database import is_unavailable
from storage.oauth_repository import OAuthRepository

logger = logging.getLogger(__name__)

SWEEP_SECONDS = 600.0
BATCH_ROWS = 500
BATCHES_PER_SWEEP = 20


@dataclass(frozen=True, slots=True)
class Swept:
    requests: int = 0
    codes: int = 0
    tokens: int = 0
    clients: int = 0


class OAuthSweeper:
    def __init__(
        self, repository: OAuthRepository, *, unused_client_after: timedelta, idle_client_after: timedelta
    ) -> None:
        self._repo = repository
        self._unused_after = unused_client_after
        self._idle_after = idle_client_after

    @classmethod
    def for_settings(cls, repository: OAuthRepository, settings: Settings) -> OAuthSweeper:
        return cls(
            repository,
            unused_client_after=timedelta(hours=settings.oauth_unused_client_hours),
            idle_client_after=timedelta(days=settings.oauth_idle_client_days),
        )

    async def sweep(self, now: datetime | None = None) -> Swept:
        """One bounded round over every table (codes and tokens before the clients they keep alive)."""
        at = now or datetime.now(UTC)
        swept = Swept(
            requests=await _in_batches(lambda limit: self._repo.delete_expired_requests(at, limit)),
            codes=await _in_batches(lambda limit: self._repo.delete_dead_codes(at, limit)),
            tokens=await _in_batches(lambda limit: self._repo.delete_dead_tokens(at, limit)),
            clients=await _in_batches(
                lambda limit: self._repo.delete_stale_clients(
                    at, unused_before=at - self._unused_after, idle_before=at - self._idle_after, limit=limit
                )
            ),
        )
        if swept != Swept():
            logger.info("swept unused OAuth rows", extra=asdict(swept))
        return swept

    async def run(self) -> None:
        """Sweep now and every `SWEEP_SECONDS`, for the life of the app."""
        while True:
            try:
                await self.sweep()
            except SQLAlchemyError as exc:
                # Housekeeping: a failed round is retried at the next, never a reason to stop the app.
                if is_unavailable(exc):
                    logger.warning("database unreachable; OAuth sweep skipped (%s)", type(exc).__name__)
                else:
                    logger.exception("OAuth sweep failed; will retry")
            await anyio.sleep(SWEEP_SECONDS)


async def _in_batches(delete_some: Callable[[int], Awaitable[int]]) -> int:
    total = 0
    for _ in range(BATCHES_PER_SWEEP):
        deleted = await delete_some(BATCH_ROWS)
        total += deleted
        if deleted < BATCH_ROWS:
            break
    return total
