"""The SQLite database holds encrypted keys and hashed tokens: only its owner may read it, like the key file."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.database import create_engine

pytestmark = pytest.mark.anyio


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    previous = os.umask(0)  # the worst case: nothing masked off
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def _write_once(database: Path) -> None:
    engine = create_engine(f"sqlite:///{database}")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE IF NOT EXISTS t (x INTEGER)"))
            await conn.execute(text("INSERT INTO t VALUES (1)"))
            companions = [Path(f"{database}-wal"), Path(f"{database}-shm")]
            assert all(path.exists() for path in companions)  # WAL mode: both exist while connected
            assert {path.name: mode(path) for path in companions} == {path.name: 0o600 for path in companions}
    finally:
        await engine.dispose()


async def test_the_database_and_its_wal_files_are_created_owner_only_whatever_the_umask(
    tmp_path: Path, permissive_umask: None
) -> None:
    database = tmp_path / "data" / "mistral-mcp.db"
    await _write_once(database)
    assert mode(database) == 0o600


async def test_a_database_left_readable_by_an_older_version_is_made_owner_only(
    tmp_path: Path, permissive_umask: None
) -> None:
    database = tmp_path / "mistral-mcp.db"
    database.touch(mode=0o644)
    database.chmod(0o644)
    await _write_once(database)
    assert mode(database) == 0o600
