"""The database going away and coming back, with the server running throughout.

The outage is made on PostgreSQL, where it is real and deterministic: the database stops
accepting connections and its open sessions are terminated; recovery lets connections in
again. (An embedded SQLite file cannot become unreachable under open connections.) The
test makes its own throwaway database on the configured PostgreSQL server, or on the local
one when the suite runs on SQLite.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Iterator

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import RunningApp
from tests.fake_mistral import FakeMistral
from tests.faults.conftest import call_tool, stored_connection, text_of
from tests.faults.postgres import admin as _admin
from tests.faults.postgres import postgres_server

pytestmark = pytest.mark.anyio


class Outage:
    """Switch one PostgreSQL database off (no new sessions, open ones killed) and on again."""

    def __init__(self, server_url: str, name: str) -> None:
        self.server_url = server_url
        self.name = name

    async def begin(self) -> None:
        await _admin(
            self.server_url,
            f'ALTER DATABASE "{self.name}" WITH ALLOW_CONNECTIONS false',
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{self.name}'",  # noqa: S608 - our own name
        )

    async def end(self) -> None:
        await _admin(self.server_url, f'ALTER DATABASE "{self.name}" WITH ALLOW_CONNECTIONS true')


@pytest.fixture(scope="module")
def outage() -> Iterator[Outage]:
    server_url = postgres_server()
    name = f"mmcp_outage_{secrets.token_hex(6)}"
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    switch = Outage(server_url, name)
    yield switch
    asyncio.run(switch.end())
    asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="module")
def outage_app(app_factory: Callable[..., RunningApp], outage: Outage) -> Iterator[RunningApp]:
    url = make_url(outage.server_url).set(database=outage.name).render_as_string(hide_password=False)
    running = app_factory(database_url=url)
    yield running
    running.server.stop()  # before the database is dropped, so its last usage flush lands


async def test_database_outage_answers_clearly_and_recovers_without_restart(
    outage_app: RunningApp, outage: Outage, fake_mistral: FakeMistral
) -> None:
    before = outage_app.sign_up()
    assert not (await call_tool(before["mcp_url"])).is_error
    unused = outage_app.sign_up()  # never used before the outage: its lookup must reach the database

    await outage.begin()
    try:
        async with httpx.AsyncClient(base_url=outage_app.url, timeout=30) as http:
            ready = await http.get("/readyz")
            mcp = await http.post(
                unused["mcp_url"],
                json={"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "mistral_chat"}},
                headers={"accept": "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25"},
            )
            signup = await http.post("/api/connections", json={"api_key": "sk-test-valid"})
            manage = await http.get("/api/connection", headers={"Authorization": f"Bearer {before['token']}"})
            alive = await http.get("/healthz")
    finally:
        await outage.end()

    assert ready.status_code == 503
    assert ready.json()["error"]["code"] == "database_unavailable"
    for response in (mcp, signup, manage):
        assert response.status_code == 503, response.text
        assert response.json()["error"]["code"] == "database_unavailable"
        assert "Traceback" not in response.text
    assert alive.status_code == 200

    async with httpx.AsyncClient(base_url=outage_app.url, timeout=30) as http:
        assert (await http.get("/readyz")).status_code == 200
    recovered = await call_tool(unused["mcp_url"])
    assert not recovered.is_error, text_of(recovered)
    assert not (await call_tool(before["mcp_url"])).is_error
    stored = stored_connection(outage_app, before["token"])
    assert stored["id"] == before["id"]
    assert stored["usage"]["mistral_chat"]["calls"] == 2  # counted before and after the outage, none lost
    assert stored_connection(outage_app, unused["token"])["usage"]["mistral_chat"]["calls"] == 1
