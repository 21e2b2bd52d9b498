"""Cost of sign-up and token lookup as stored connections grow (SQLite and PostgreSQL).

Runs in this process against the real storage layer and `ConnectionService` (with its token
cache off, so every lookup reaches the database); sign-ups check the key with the lean
upstream, as real ones check it with Mistral. Rows beyond the measured sign-ups are
bulk-inserted through `storage.models`, already encrypted, as a real table would hold them.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from server.connections import ConnectionService, associated_data
from server.security import tokens
from server.security.crypto import Keyring, generate_key
from server.settings import Settings
from server.upstream.client import MistralClient
from storage.database import create_engine
from storage.migrate import upgrade
from storage.models import ConnectionRow
from storage.repository import ConnectionRepository

_BATCH = 5_000


@dataclass
class ScaleRow:
    database: str
    rows: int
    signup_p50_ms: float
    signup_p99_ms: float
    lookup_p50_ms: float
    lookup_p99_ms: float


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def _timed(action: Callable[[], Awaitable[object]], times: int) -> list[float]:
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        await action()
        spent.append(time.perf_counter() - started)
    return spent


async def _bulk_insert(engine_url: str, keyring: Keyring, count: int) -> list[str]:
    """Insert `count` encrypted connections; returns a sample of their tokens to look up."""
    engine = create_engine(engine_url)
    now = datetime.now(UTC)
    sample: list[str] = []
    try:
        for start in range(0, count, _BATCH):
            rows = []
            for _ in range(min(_BATCH, count - start)):
                connection_id = "conn_" + secrets.token_hex(12)
                token = tokens.new_token()
                if len(sample) < 1000 and random.random() < 0.05:
                    sample.append(token)
                rows.append(
                    {
                        "id": connection_id,
                        "token_hash": tokens.hash_token(token),
                        "key_ciphertext": keyring.encrypt(
                            "sk-bench-" + secrets.token_hex(8), associated_data(connection_id)
                        ),
                        "key_id": keyring.primary_key_id,
                        "key_hint": "abcd",
                        "created_at": now,
                        "key_updated_at": now,
                        "token_rotated_at": None,
                        "last_used_at": None,
                    }
                )
            async with engine.begin() as conn:
                await conn.execute(insert(ConnectionRow), rows)
    finally:
        await engine.dispose()
    return sample


async def _measure(database: str, url: str, upstream_url: str, rows: int, signups: int, lookups: int) -> list[ScaleRow]:
    keyring = Keyring([generate_key()])
    engine = create_engine(url)
    upstream = MistralClient(replace(Settings(), upstream_url=upstream_url))
    results = []
    try:
        await upgrade(engine)
        service = ConnectionService(ConnectionRepository(engine), keyring, upstream, token_cache_seconds=0)

        async def measure_now(stored: int, known: list[str]) -> ScaleRow:
            created: list[str] = []

            async def sign_up() -> None:
                created.append((await service.create("sk-bench")).token)

            signup_times = await _timed(sign_up, signups)
            pool = known + created

            async def look_up() -> None:
                assert await service.authenticate(random.choice(pool)) is not None

            lookup_times = await _timed(look_up, lookups)
            return ScaleRow(
                database,
                stored,
                _p(signup_times, 0.5),
                _p(signup_times, 0.99),
                _p(lookup_times, 0.5),
                _p(lookup_times, 0.99),
            )

        results.append(await measure_now(0, []))
        known = await _bulk_insert(url, keyring, rows)
        results.append(await measure_now(rows + signups, known))
    finally:
        await upstream.aclose()
        await engine.dispose()
    return results


async def _admin(server_url: str, statement: str) -> None:
    engine = create_async_engine(
        make_url(server_url).set(drivername="postgresql+asyncpg"), isolation_level="AUTOCOMMIT"
    )
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


def postgres_reachable(server_url: str) -> bool:
    try:
        asyncio.run(_admin(server_url, "SELECT 1"))
    except Exception:  # any failure: no PostgreSQL to measure
        return False
    return True


def run_sqlite(path: str, upstream_url: str, rows: int, signups: int, lookups: int) -> list[ScaleRow]:
    return asyncio.run(_measure("SQLite", f"sqlite:///{path}", upstream_url, rows, signups, lookups))


def run_postgres(server_url: str, upstream_url: str, rows: int, signups: int, lookups: int) -> list[ScaleRow]:
    """On a throwaway database, dropped afterwards."""
    name = f"mmcp_bench_{secrets.token_hex(6)}"
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
        return asyncio.run(_measure("PostgreSQL", url, upstream_url, rows, signups, lookups))
    finally:
        asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
