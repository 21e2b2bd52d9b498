"""SQLite held locked by another writer: a write waits at most its deadline, then answers 503.

The embedded database cannot stop answering like a remote one, but one writer can hold it: a
backup tool, an operator's shell, a stuck process on the same file. Writes then wait for the
lock only as long as a statement may take (the busy timeout), where they used to wait 30 s.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import anyio
import httpx
import pytest

from tests.conftest import VALID_KEY, RunningApp
from tests.fake_mistral import FakeMistral
from tests.faults.conftest import call_tool, text_of

pytestmark = pytest.mark.anyio

DEADLINES = {"database_connect_timeout": 1.0, "database_statement_timeout": 0.5, "database_pool_timeout": 1.0}


async def test_a_locked_sqlite_database_gets_a_fast_503_for_writes_and_serves_reads(
    app_factory: Callable[..., RunningApp], fake_mistral: FakeMistral, tmp_path: Path
) -> None:
    database = tmp_path / "locked.db"
    app = await anyio.to_thread.run_sync(lambda: app_factory(database_url=f"sqlite:///{database}", **DEADLINES))
    signed_up = app.sign_up()
    holder = sqlite3.connect(database, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")  # another writer holds the database
        with anyio.fail_after(15):  # the old 30 s busy wait would not fit
            async with httpx.AsyncClient(base_url=app.url, timeout=60) as http:
                refused = await http.post("/api/connections", json={"api_key": VALID_KEY})
                ready = await http.get("/readyz")
            used = await call_tool(signed_up["mcp_url"])  # reading the connection needs no write lock
    finally:
        holder.rollback()
        holder.close()
    assert refused.status_code == 503, refused.text
    assert refused.json()["error"]["code"] == "database_unavailable"
    assert refused.headers["retry-after"]
    assert ready.status_code == 200
    assert not used.is_error, text_of(used)
    app.sign_up()  # the lock is gone: writes work again
