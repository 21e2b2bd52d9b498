"""The stalling proxy itself: a stall armed for one transaction's COMMIT waits for that transaction.

The fault tests arm a stall for a sign-up's COMMIT while the app may be committing other work of
its own (its OAuth sweep runs at startup): a stall tripped by that other COMMIT would catch no
sign-up at all.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections.abc import Iterator

import anyio
import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests.faults.postgres import admin, postgres_server
from tests.faults.stalling_proxy import StallingProxy

pytestmark = pytest.mark.anyio

BOUND = 10  # seconds any single wait may take before the test fails


async def happened(event: threading.Event) -> None:
    await anyio.to_thread.run_sync(event.wait, abandon_on_cancel=True)


@pytest.fixture
def proxied_dsn() -> Iterator[tuple[StallingProxy, str]]:
    """A throwaway database with a table `t`, reached through a stalling proxy."""
    server_url = postgres_server()
    name = f"mmcp_proxy_{secrets.token_hex(6)}"
    asyncio.run(admin(server_url, f'CREATE DATABASE "{name}"'))
    direct = make_url(server_url).set(database=name)
    asyncio.run(admin(direct.render_as_string(hide_password=False), "CREATE TABLE t (n integer)"))
    proxy = StallingProxy(direct.host or "127.0.0.1", direct.port or 5432)
    proxy.start()
    try:
        yield proxy, direct.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    finally:
        proxy.heal()
        proxy.stop()
        asyncio.run(admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def test_a_stall_armed_for_an_insert_s_commit_lets_another_writer_s_commit_through(
    proxied_dsn: tuple[StallingProxy, str],
) -> None:
    proxy, dsn = proxied_dsn
    with anyio.fail_after(BOUND):
        inserter = await asyncpg.connect(dsn, ssl=False)
        other = await asyncpg.connect(dsn, ssl=False)
    try:
        with anyio.fail_after(BOUND):
            # Prepared before the stall is armed: from now on the driver runs it by name alone.
            await inserter.execute("INSERT INTO t (n) VALUES ($1)", 1)
        proxy.stall_on(b"COMMIT", after=b"INSERT INTO t")

        with anyio.fail_after(BOUND):
            async with other.transaction():
                await other.execute("DELETE FROM t WHERE n = $1", 0)
        assert not proxy.stalled.is_set()

        async def insert_in_a_transaction() -> None:
            async with inserter.transaction():
                await inserter.execute("INSERT INTO t (n) VALUES ($1)", 2)

        with anyio.fail_after(BOUND):
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(insert_in_a_transaction)
                await happened(proxy.stalled)  # its COMMIT is held
                proxy.heal()  # and goes through once the proxy heals
        assert await other.fetchval("SELECT count(*) FROM t") == 2
    finally:
        proxy.heal()
        with anyio.fail_after(BOUND):
            await inserter.close()
            await other.close()
