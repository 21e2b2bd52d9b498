"""The connection repository: every read and write of connection rows goes through here.

Each operation is bounded as a whole by the engine's deadlines (`storage.deadlines`), on top of
the drivers' own per-statement bounds: a database that stops answering costs a caller a
`SQLAlchemyError` the web layer answers with 503, never an unbounded wait.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, delete, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.deadlines import deadlines_of, within
from storage.models import CapCounterRow, ConnectionRow, ToolUsageRow, UsageDayRow
from storage.oauth_models import OAuthCodeRow, OAuthTokenRow


@dataclass(frozen=True, slots=True)
class StoredPolicy:
    """A connection's policy as stored (`server.policy.Policy` reads and writes it); the defaults are
    what rows older than the policy hold: every tool, no limit."""

    families: str = "all"
    read_only: bool = False
    allowed_models: tuple[str, ...] | None = None
    calls_per_day: int | None = None
    tokens_per_month: int | None = None


@dataclass(frozen=True, slots=True)
class ConnectionRecord:
    id: str
    token_hash: str
    key_ciphertext: bytes
    key_id: str
    key_hint: str
    created_at: datetime
    key_updated_at: datetime
    token_rotated_at: datetime | None
    last_used_at: datetime | None
    policy: StoredPolicy = field(default_factory=StoredPolicy)


@dataclass(frozen=True, slots=True)
class ToolUsage:
    tool: str
    calls: int
    errors: int
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True, slots=True)
class UsageDelta:
    connection_id: str
    tool: str
    calls: int
    errors: int
    prompt_tokens: int
    completion_tokens: int
    last_used_at: datetime
    day: date
    """The UTC day the calls were made on."""


@dataclass(frozen=True, slots=True)
class DayUsage:
    day: date
    calls: int
    errors: int
    tokens: int
    """Prompt and completion tokens together."""


@dataclass(frozen=True, slots=True)
class StoredKey:
    connection_id: str
    key_id: str
    ciphertext: bytes


@dataclass(frozen=True, slots=True)
class Reencrypted:
    connection_id: str
    old_key_id: str
    old_ciphertext: bytes
    new_key_id: str
    new_ciphertext: bytes


_COLUMNS = (
    ConnectionRow.id,
    ConnectionRow.token_hash,
    ConnectionRow.key_ciphertext,
    ConnectionRow.key_id,
    ConnectionRow.key_hint,
    ConnectionRow.created_at,
    ConnectionRow.key_updated_at,
    ConnectionRow.token_rotated_at,
    ConnectionRow.last_used_at,
    ConnectionRow.families,
    ConnectionRow.read_only,
    ConnectionRow.allowed_models,
    ConnectionRow.calls_per_day,
    ConnectionRow.tokens_per_month,
)


def _policy_values(policy: StoredPolicy) -> dict[str, object]:
    models = json.dumps(list(policy.allowed_models)) if policy.allowed_models is not None else None
    return {
        "families": policy.families,
        "read_only": policy.read_only,
        "allowed_models": models,
        "calls_per_day": policy.calls_per_day,
        "tokens_per_month": policy.tokens_per_month,
    }


def _models(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    models = json.loads(text)
    return tuple(str(model) for model in models) if isinstance(models, list) else None


def _record(row: Row[Any] | Any) -> ConnectionRecord:
    return ConnectionRecord(
        id=row.id,
        token_hash=row.token_hash,
        key_ciphertext=bytes(row.key_ciphertext),
        key_id=row.key_id,
        key_hint=row.key_hint,
        created_at=row.created_at,
        key_updated_at=row.key_updated_at,
        token_rotated_at=row.token_rotated_at,
        last_used_at=row.last_used_at,
        policy=StoredPolicy(
            families=row.families,
            read_only=bool(row.read_only),
            allowed_models=_models(row.allowed_models),
            calls_per_day=row.calls_per_day,
            tokens_per_month=row.tokens_per_month,
        ),
    )


class ConnectionRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self.deadlines = deadlines_of(engine)
        self.deadline = self.deadlines.operation
        """Seconds one operation may take as a whole (None: unbounded)."""

    @asynccontextmanager
    async def _connect(self) -> AsyncIterator[AsyncConnection]:
        with within(self.deadline, "reading connections"):
            async with self._engine.connect() as conn:
                yield conn

    @asynccontextmanager
    async def _begin(self) -> AsyncIterator[AsyncConnection]:
        """A transaction that commits within the deadline or is rolled back."""
        with within(self.deadline, "writing connections"):
            async with self._engine.begin() as conn:
                yield conn

    async def ping(self) -> None:
        async with self._connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def insert(self, record: ConnectionRecord) -> None:
        async with self._begin() as conn:
            await conn.execute(
                insert(ConnectionRow).values(
                    id=record.id,
                    token_hash=record.token_hash,
                    key_ciphertext=record.key_ciphertext,
                    key_id=record.key_id,
                    key_hint=record.key_hint,
                    created_at=record.created_at,
                    key_updated_at=record.key_updated_at,
                    token_rotated_at=record.token_rotated_at,
                    last_used_at=record.last_used_at,
                    **_policy_values(record.policy),
                )
            )

    async def get_by_token_hash(self, token_hash: str) -> ConnectionRecord | None:
        async with self._connect() as conn:
            row = (await conn.execute(select(*_COLUMNS).where(ConnectionRow.token_hash == token_hash))).first()
        return _record(row) if row is not None else None

    async def get(self, connection_id: str) -> ConnectionRecord | None:
        async with self._connect() as conn:
            row = (await conn.execute(select(*_COLUMNS).where(ConnectionRow.id == connection_id))).first()
        return _record(row) if row is not None else None

    async def delete(self, connection_id: str) -> bool:
        """Remove the connection, its encrypted key, its usage and its OAuth grants; True if it existed."""
        async with self._begin() as conn:
            await conn.execute(delete(ToolUsageRow).where(ToolUsageRow.connection_id == connection_id))
            await conn.execute(delete(UsageDayRow).where(UsageDayRow.connection_id == connection_id))
            await conn.execute(delete(CapCounterRow).where(CapCounterRow.connection_id == connection_id))
            await conn.execute(delete(OAuthTokenRow).where(OAuthTokenRow.connection_id == connection_id))
            await conn.execute(delete(OAuthCodeRow).where(OAuthCodeRow.connection_id == connection_id))
            result = await conn.execute(delete(ConnectionRow).where(ConnectionRow.id == connection_id))
        return bool(result.rowcount)

    async def replace_token(self, connection_id: str, old_hash: str, new_hash: str, at: datetime) -> bool:
        """Swap the token hash only if it is still `old_hash` (two rotations cannot both win), and
        end every OAuth grant made with the connection: whoever held the old URL could have turned
        it into tokens, and rotating is how a leaked URL is shut out."""
        async with self._begin() as conn:
            result = await conn.execute(
                update(ConnectionRow)
                .where(ConnectionRow.id == connection_id, ConnectionRow.token_hash == old_hash)
                .values(token_hash=new_hash, token_rotated_at=at)
            )
            if result.rowcount:
                await conn.execute(delete(OAuthTokenRow).where(OAuthTokenRow.connection_id == connection_id))
                await conn.execute(delete(OAuthCodeRow).where(OAuthCodeRow.connection_id == connection_id))
        return bool(result.rowcount)

    async def replace_key(
        self, connection_id: str, ciphertext: bytes, key_id: str, key_hint: str, at: datetime | None
    ) -> bool:
        values: dict[str, object] = {"key_ciphertext": ciphertext, "key_id": key_id, "key_hint": key_hint}
        if at is not None:
            values["key_updated_at"] = at
        async with self._begin() as conn:
            result = await conn.execute(update(ConnectionRow).where(ConnectionRow.id == connection_id).values(**values))
        return bool(result.rowcount)

    async def set_policy(self, connection_id: str, policy: StoredPolicy) -> bool:
        """Replace the connection's profile and limits as a whole; True if the connection exists."""
        async with self._begin() as conn:
            result = await conn.execute(
                update(ConnectionRow).where(ConnectionRow.id == connection_id).values(**_policy_values(policy))
            )
        return bool(result.rowcount)

    async def usage(self, connection_id: str) -> list[ToolUsage]:
        async with self._connect() as conn:
            rows = await conn.execute(
                select(
                    ToolUsageRow.tool,
                    ToolUsageRow.calls,
                    ToolUsageRow.errors,
                    ToolUsageRow.prompt_tokens,
                    ToolUsageRow.completion_tokens,
                )
                .where(ToolUsageRow.connection_id == connection_id)
                .order_by(ToolUsageRow.tool)
            )
            return [ToolUsage(*row) for row in rows]

    async def usage_by_day(self, connection_id: str, since: date) -> list[DayUsage]:
        """The days from `since` on that have any calls, oldest first."""
        async with self._connect() as conn:
            rows = await conn.execute(
                select(
                    UsageDayRow.day,
                    UsageDayRow.calls,
                    UsageDayRow.errors,
                    UsageDayRow.prompt_tokens + UsageDayRow.completion_tokens,
                )
                .where(UsageDayRow.connection_id == connection_id, UsageDayRow.day >= since)
                .order_by(UsageDayRow.day)
            )
            return [DayUsage(*row) for row in rows]

    async def add_usage(self, deltas: Iterable[UsageDelta]) -> None:
        """Add counters, per tool and per day, in one transaction; deltas for connections deleted
        meanwhile are dropped."""
        deltas = list(deltas)
        if not deltas:
            return
        async with self._begin() as conn:
            existing = set(
                (
                    await conn.execute(
                        select(ConnectionRow.id).where(ConnectionRow.id.in_({d.connection_id for d in deltas}))
                    )
                ).scalars()
            )
            kept = [d for d in deltas if d.connection_id in existing]
            upsert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
            for d in kept:
                await conn.execute(_added(upsert(ToolUsageRow), d, tool=d.tool))
            for day_total in _per_day(kept):
                await conn.execute(_added(upsert(UsageDayRow), day_total, day=day_total.day))
            last_used: dict[str, datetime] = {}
            for d in kept:
                last_used[d.connection_id] = max(d.last_used_at, last_used.get(d.connection_id, d.last_used_at))
            for connection_id, at in last_used.items():
                await conn.execute(
                    update(ConnectionRow).where(ConnectionRow.id == connection_id).values(last_used_at=at)
                )

    async def count_by_key_id(self) -> dict[str, int]:
        async with self._connect() as conn:
            rows = await conn.execute(select(ConnectionRow.key_id, func.count()).group_by(ConnectionRow.key_id))
            return {key_id: count for key_id, count in rows}

    # --- encryption key rotation (server.keys.rotation) ---

    async def keys_not_under(self, key_id: str, *, after: str, limit: int) -> list[StoredKey]:
        """Stored keys encrypted under another key than `key_id`, in id order after `after`.

        Paging by id (not by offset) keeps each batch one indexed range scan, and rows that
        cannot be re-encrypted are stepped over instead of being selected again forever.
        """
        async with self._connect() as conn:
            rows = await conn.execute(
                select(ConnectionRow.id, ConnectionRow.key_id, ConnectionRow.key_ciphertext)
                .where(ConnectionRow.key_id != key_id, ConnectionRow.id > after)
                .order_by(ConnectionRow.id)
                .limit(limit)
            )
            return [StoredKey(row.id, row.key_id, bytes(row.key_ciphertext)) for row in rows]

    async def replace_ciphertexts(self, changes: Iterable[Reencrypted]) -> int:
        """Store each new ciphertext only if the row still holds the one it was made from.

        A user who replaced their key meanwhile keeps their new key: that row is skipped.
        Returns how many rows were changed. The key itself did not change, so neither
        does `key_updated_at`.
        """
        changed = 0
        async with self._begin() as conn:
            for change in changes:
                result = await conn.execute(
                    update(ConnectionRow)
                    .where(
                        ConnectionRow.id == change.connection_id,
                        ConnectionRow.key_id == change.old_key_id,
                        ConnectionRow.key_ciphertext == change.old_ciphertext,
                    )
                    .values(key_ciphertext=change.new_ciphertext, key_id=change.new_key_id)
                )
                changed += result.rowcount or 0
        return changed


def _per_day(deltas: list[UsageDelta]) -> list[UsageDelta]:
    """The deltas summed per connection and day (the tool dropped)."""
    totals: dict[tuple[str, date], UsageDelta] = {}
    for d in deltas:
        key = (d.connection_id, d.day)
        before = totals.get(key)
        totals[key] = (
            d
            if before is None
            else UsageDelta(
                d.connection_id,
                "",
                before.calls + d.calls,
                before.errors + d.errors,
                before.prompt_tokens + d.prompt_tokens,
                before.completion_tokens + d.completion_tokens,
                max(before.last_used_at, d.last_used_at),
                d.day,
            )
        )
    return list(totals.values())


def _added(stmt: Any, d: UsageDelta, **key: object) -> Any:
    """`stmt` (a dialect's INSERT into a counters table) inserting `d` at `key`, or adding it to the row there."""
    table = stmt.table
    stmt = stmt.values(
        connection_id=d.connection_id,
        calls=d.calls,
        errors=d.errors,
        prompt_tokens=d.prompt_tokens,
        completion_tokens=d.completion_tokens,
        **key,
    )
    return stmt.on_conflict_do_update(
        index_elements=[table.c.connection_id, *(table.c[name] for name in key)],
        set_={name: table.c[name] + stmt.excluded[name] for name in _COUNTERS},
    )


_COUNTERS = ("calls", "errors", "prompt_tokens", "completion_tokens")
