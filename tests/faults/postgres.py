"""A PostgreSQL server for the fault tests: the configured one, or the local one when the suite runs on SQLite."""

from __future__ import annotations

import asyncio
import os

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import TEST_DB_ENV

LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


async def admin(server_url: str, *statements: str) -> None:
    engine = create_async_engine(
        make_url(server_url).set(drivername="postgresql+asyncpg"), isolation_level="AUTOCOMMIT"
    )
    try:
        async with engine.connect() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


def reachable(server_url: str) -> bool:
    try:
        asyncio.run(admin(server_url, "SELECT 1"))
    except Exception:  # any failure means "no server to test against"
        return False
    return True


def postgres_server() -> str:
    """The server's URL; skips the test when there is none to reach."""
    server_url = os.environ.get(TEST_DB_ENV) or LOCAL_POSTGRES
    if not reachable(server_url):
        pytest.skip(f"needs a PostgreSQL server ({server_url} is not reachable)")
    return server_url
