"""A database that stops answering without refusing: requests get a fast 503, and nothing is left behind.

The app reaches PostgreSQL through `StallingProxy`, which on command stops moving bytes while
keeping every socket open: what a network partition or a frozen server looks like from the
app. Every wait must then end at the configured deadlines (tiny here), in our error shape, and
everything must work again once the proxy forwards again. A sign-up caught by the stall must
not leave a stored key behind that nobody holds a URL for.
"""

from __future__ import annotations

import asyncio
import functools
import io
import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import anyio
import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from storage.models import ConnectionRow
from tests.conftest import VALID_KEY, RunningApp
from tests.fake_mistral import FakeMistral
from tests.faults.conftest import call_tool, stored_connection, text_of
from tests.faults.postgres import admin, postgres_server
from tests.faults.stalling_proxy import StallingProxy

pytestmark = pytest.mark.anyio

TINY_DEADLINES: dict[str, Any] = {
    "database_connect_timeout": 1.0,
    "database_statement_timeout": 1.0,
    "database_pool_timeout": 1.0,
}
UNDONE = "undid sign-up of"
# A sign-up's statement: the stall waits for the COMMIT of its transaction, not for whichever COMMIT
# comes first (the app writes on its own too: the OAuth sweep at startup, usage, undone sign-ups).
SIGN_UP = b"INSERT INTO connections"
ENOUGH = 30  # seconds: far above what the tiny deadlines allow, far below "hangs"
MCP_HEADERS = {"accept": "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25"}
CHAT_CALL = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "tools/call",
    "params": {"name": "mistral_chat", "arguments": {"prompt": "hi"}},
}


@dataclass
class ProxiedApp:
    app: RunningApp
    proxy: StallingProxy
    direct_url: str
    """The same database, not through the proxy: for the test's own look at the rows."""

    async def stored_connections(self) -> int:
        engine = create_async_engine(make_url(self.direct_url).set(drivername="postgresql+asyncpg"))
        try:
            async with engine.connect() as conn:
                return int((await conn.execute(select(func.count()).select_from(ConnectionRow))).scalar_one())
        finally:
            await engine.dispose()


@pytest.fixture(scope="module")
def proxied_app_factory(app_factory: Callable[..., RunningApp]) -> Iterator[Callable[..., ProxiedApp]]:
    """Apps on throwaway PostgreSQL databases, each reached through its own stalling proxy."""
    server_url = postgres_server()
    made: list[tuple[ProxiedApp, str]] = []

    def make(**settings: Any) -> ProxiedApp:
        name = f"mmcp_stall_{secrets.token_hex(6)}"
        asyncio.run(admin(server_url, f'CREATE DATABASE "{name}"'))
        direct = make_url(server_url).set(database=name)
        proxy = StallingProxy(direct.host or "127.0.0.1", direct.port or 5432)
        proxy.start()
        through_proxy = direct.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        app = app_factory(database_url=through_proxy, **settings)
        proxied = ProxiedApp(app, proxy, direct.render_as_string(hide_password=False))
        made.append((proxied, name))
        return proxied

    yield make
    for proxied, name in made:
        proxied.proxy.heal()
        proxied.app.server.stop()
        proxied.proxy.stop()
        asyncio.run(admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="module")
def stalling(proxied_app_factory: Callable[..., ProxiedApp]) -> ProxiedApp:
    return proxied_app_factory(**TINY_DEADLINES)


async def happened(event: threading.Event) -> None:
    await anyio.to_thread.run_sync(event.wait, abandon_on_cancel=True)


def assert_database_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "database_unavailable"
    assert int(response.headers["retry-after"]) > 0
    assert "Traceback" not in response.text


async def test_a_database_that_stops_answering_gets_fast_503s_and_everything_works_after(
    stalling: ProxiedApp, fake_mistral: FakeMistral
) -> None:
    app = stalling.app
    used = app.sign_up()
    assert not (await call_tool(used["mcp_url"])).is_error
    unused = app.sign_up()  # never looked up before the stall: its lookup must reach the database
    answers: dict[str, httpx.Response] = {}

    async def ask(label: str, method: str, url: str, **kwargs: Any) -> None:
        async with httpx.AsyncClient(base_url=app.url, timeout=ENOUGH * 2) as http:
            answers[label] = await http.request(method, url, **kwargs)

    stalling.proxy.stall()
    try:
        with anyio.fail_after(ENOUGH):
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(ask, "ready", "GET", "/readyz")
                tasks.start_soon(ask, "alive", "GET", "/healthz")
                tasks.start_soon(
                    functools.partial(ask, "signup", "POST", "/api/connections", json={"api_key": VALID_KEY})
                )
                bearer = {"Authorization": f"Bearer {used['token']}"}
                tasks.start_soon(functools.partial(ask, "manage", "GET", "/api/connection", headers=bearer))
                for n in range(5):  # calls for one token share its lookup: none may wait for ever on it
                    call = functools.partial(
                        ask, f"mcp{n}", "POST", unused["mcp_url"], json=CHAT_CALL, headers=MCP_HEADERS
                    )
                    tasks.start_soon(call)
    finally:
        stalling.proxy.heal()

    assert answers.pop("alive").status_code == 200
    assert answers["ready"].json()["status"] == "unavailable"
    for answer in answers.values():
        assert_database_unavailable(answer)

    with anyio.fail_after(ENOUGH):
        async with httpx.AsyncClient(base_url=app.url, timeout=ENOUGH) as http:
            assert (await http.get("/readyz")).status_code == 200
    recovered = await call_tool(unused["mcp_url"])
    assert not recovered.is_error, text_of(recovered)
    assert not (await call_tool(used["mcp_url"])).is_error
    assert stored_connection(app, used["token"])["usage"]["mistral_chat"]["calls"] == 2
    app.sign_up()


async def _sign_up_and_give_up(proxied: ProxiedApp) -> None:
    """A client signs up and gives up once the sign-up's COMMIT is caught by the stall."""
    with anyio.fail_after(ENOUGH):
        async with (
            httpx.AsyncClient(base_url=proxied.app.url, timeout=ENOUGH * 2) as http,
            anyio.create_task_group() as tasks,
        ):
            tasks.start_soon(functools.partial(http.post, "/api/connections", json={"api_key": VALID_KEY}))
            await happened(proxied.proxy.stalled)
            tasks.cancel_scope.cancel()


async def _undone(log_stream: io.StringIO, before: int) -> None:
    """Until the app has undone one more sign-up than `before`."""
    with anyio.fail_after(ENOUGH):
        while log_stream.getvalue().count(UNDONE) <= before:
            await anyio.sleep(0.05)


@pytest.mark.parametrize(
    "answers_only", [False, True], ids=["commit-held-back", "commit-applied-but-its-reply-held-back"]
)
async def test_a_sign_up_caught_by_the_stall_at_its_commit_leaves_no_stored_key(
    stalling: ProxiedApp, fake_mistral: FakeMistral, log_stream: io.StringIO, answers_only: bool
) -> None:
    stored, undone = await stalling.stored_connections(), log_stream.getvalue().count(UNDONE)
    stalling.proxy.stall_on(b"COMMIT", after=SIGN_UP, answers_only=answers_only)
    try:
        await _sign_up_and_give_up(stalling)
        with anyio.fail_after(ENOUGH):  # the app gives up on the COMMIT at its deadline, and drops that connection
            await happened(stalling.proxy.app_hung_up)
    finally:
        stalling.proxy.heal()  # what was held back now reaches PostgreSQL: the COMMIT too, if it was held
    await _undone(log_stream, undone)
    assert await stalling.stored_connections() == stored
    stalling.app.sign_up()  # and sign-ups work again
    assert await stalling.stored_connections() == stored + 1


async def test_a_sign_up_whose_client_hung_up_before_the_answer_leaves_no_stored_key(
    proxied_app_factory: Callable[..., ProxiedApp], fake_mistral: FakeMistral, log_stream: io.StringIO
) -> None:
    # Deadlines long enough that the COMMIT succeeds once the proxy heals: the sign-up itself works,
    # only its client is gone.
    proxied = await anyio.to_thread.run_sync(
        functools.partial(proxied_app_factory, **{**TINY_DEADLINES, "database_statement_timeout": 10.0})
    )
    stored, undone = await proxied.stored_connections(), log_stream.getvalue().count(UNDONE)
    proxied.proxy.stall_on(b"COMMIT", after=SIGN_UP)
    try:
        await _sign_up_and_give_up(proxied)
        uvicorn_server = proxied.app.server.server
        assert uvicorn_server is not None
        connections = uvicorn_server.server_state.connections
        with anyio.fail_after(ENOUGH):  # until the server has seen its client go
            while connections:
                await anyio.sleep(0.01)
    finally:
        proxied.proxy.heal()
    await _undone(log_stream, undone)
    assert await proxied.stored_connections() == stored
