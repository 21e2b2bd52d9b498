"""Many `mistral-mcp serve` processes on one PostgreSQL database behave as one service.

Real processes, no sticky sessions: sign up on one replica, call tools through another,
revoke on a third. Skipped only when no PostgreSQL is configured (MISTRAL_MCP_TEST_DATABASE_URL).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import anyio
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from storage.database import normalize_url
from storage.migrate import _ADVISORY_LOCK_ID, head_revision
from tests.conftest import TEST_DB_ENV
from tests.fake_mistral import FakeMistral
from tests.scale.replicas import CLI, Replica, clean_env, replicas, run_cli
from tests.support.mcp_client import connect

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(not os.environ.get(TEST_DB_ENV), reason=f"needs PostgreSQL ({TEST_DB_ENV})"),
]

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
MCP_HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


def mcp_status(replica: Replica, token: str) -> int:
    with replica.http() as http:
        return http.post(f"/mcp/{token}", json=INITIALIZE, headers=MCP_HEADERS).status_code


def manage_status(replica: Replica, token: str) -> int:
    with replica.http() as http:
        return http.get("/api/connection", headers={"Authorization": f"Bearer {token}"}).status_code


async def chat_through(replica: Replica, token: str) -> str:
    async with connect(replica.mcp_url(token)) as client:
        result = await client.call_tool("mistral_chat", {"prompt": "hello"})
    assert not result.is_error, result
    return str(result.content[0].text)


async def test_signed_up_on_one_replica_used_through_another_revoked_on_a_third_dies_everywhere_within_a_second(
    replica_settings: dict[str, str], tmp_path: Path, fake_mistral: FakeMistral
) -> None:
    # As deployed: the default token cache (at most 1 s) is on.
    settings = {k: v for k, v in replica_settings.items() if k != "MISTRAL_MCP_TOKEN_CACHE_SECONDS"}
    with replicas(3, settings, tmp_path) as (a, b, c):
        token = a.sign_up()
        assert await chat_through(b, token) == fake_mistral.chat_reply
        # A migration run while replicas serve (as a rollout's Job does) is a no-op that harms nothing.
        upgraded = await anyio.to_thread.run_sync(lambda: run_cli("db", "upgrade", settings=settings))
        assert upgraded.returncode == 0, upgraded.stderr
        assert f"revision {head_revision()}" in upgraded.stdout
        assert await chat_through(c, token) == fake_mistral.chat_reply

        # Usage counted on b and c reaches the database (flushed every 2 s) and shows on a.
        with anyio.fail_after(15):
            while True:
                with a.http() as http:
                    info = http.get("/api/connection", headers={"Authorization": f"Bearer {token}"}).json()
                if info["calls"] == 2:
                    break
                await anyio.sleep(0.1)

        # b and c have just resolved the token, so both may hold it in their cache.
        one_second_after_revoking = anyio.current_time() + 1.0
        with c.http() as http:
            assert http.delete("/api/connection", headers={"Authorization": f"Bearer {token}"}).status_code == 204
        assert mcp_status(c, token) == 401, "the replica that revoked refuses at once"
        assert [manage_status(r, token) for r in (a, b, c)] == [401, 401, 401]
        # Cached answers live at most a second from the lookup that made them, which came before
        # the revocation: one second after it, every replica refuses (same monotonic clock).
        await anyio.sleep_until(one_second_after_revoking)
        assert [mcp_status(r, token) for r in (a, b, c)] == [401, 401, 401]
        assert len(fake_mistral.requests_to("POST", "/v1/chat/completions")) == 2

    for replica in (a, b, c):
        log = replica.log()
        assert token not in log
        assert '"status": 401' in log


async def test_two_concurrent_db_upgrades_on_an_empty_database_both_succeed(fresh_database_url: str) -> None:
    settings = {"MISTRAL_MCP_DATABASE_URL": fresh_database_url}
    runs = [
        subprocess.Popen(
            [*CLI, "db", "upgrade"], env=clean_env(settings), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    current = run_cli("db", "current", settings=settings)
    assert current.stdout.strip() == head_revision()


async def test_db_upgrade_waits_for_the_advisory_lock_another_runner_holds(fresh_database_url: str) -> None:
    database_url = fresh_database_url
    url, connect_args = normalize_url(database_url)
    engine = create_async_engine(url, connect_args=connect_args)
    try:
        async with engine.connect() as holder, engine.connect() as observer:
            await holder.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _ADVISORY_LOCK_ID})
            await holder.commit()
            run = subprocess.Popen(
                [*CLI, "db", "upgrade"],
                env=clean_env({"MISTRAL_MCP_DATABASE_URL": database_url}),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            try:
                # The runner is blocked on the lock: PostgreSQL shows its request as not granted.
                with anyio.fail_after(30):
                    while not await _advisory_lock_waiters(observer):
                        assert run.poll() is None, run.communicate()
                        await anyio.sleep(0.05)
                assert run.poll() is None
                assert await _tables(observer) == set(), "nothing may be migrated while the lock is held"
            finally:
                await holder.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _ADVISORY_LOCK_ID})
                await holder.commit()
            out, err = await anyio.to_thread.run_sync(lambda: run.communicate(timeout=60))
            assert run.returncode == 0, err
            assert f"revision {head_revision()}" in out
            assert "connections" in await _tables(observer)
    finally:
        await engine.dispose()


async def _advisory_lock_waiters(conn: object) -> int:
    result = await conn.execute(  # type: ignore[attr-defined]
        text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND objid = :id AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ),
        {"id": _ADVISORY_LOCK_ID},
    )
    await conn.commit()  # type: ignore[attr-defined]
    return int(result.scalar_one())


async def _tables(conn: object) -> set[str]:
    result = await conn.execute(  # type: ignore[attr-defined]
        text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    )
    await conn.commit()  # type: ignore[attr-defined]
    return {row[0] for row in result}
