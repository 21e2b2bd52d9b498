"""Shared fixtures: a fake Mistral and the real app, both under uvicorn on loopback.

The database is SQLite in a temporary folder by default, or a throwaway PostgreSQL
database when MISTRAL_MCP_TEST_DATABASE_URL points at a server.
"""

from __future__ import annotations

import asyncio
import io
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from server.app import create_app
from server.logs import configure_logging
from server.security.crypto import generate_key
from server.settings import Settings
from tests.fake_mistral import FakeMistral
from tests.fake_mistral import create_app as create_fake_app
from tests.support.servers import ServerThread

# Tests never fail on wall-clock time (CI machines are shared): no per-example deadline, no "too slow" check.
hypothesis_settings.register_profile("suite", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("suite")

VALID_KEY = "sk-test-valid"
TEST_DB_ENV = "MISTRAL_MCP_TEST_DATABASE_URL"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def log_stream() -> Iterator[io.StringIO]:
    """Everything the app logs, formatted as in production (JSON), for leak assertions."""
    stream = io.StringIO()
    configure_logging("DEBUG", "json", stream)
    return stream


@pytest.fixture(scope="session")
def fake_mistral_server() -> Iterator[tuple[FakeMistral, ServerThread]]:
    state = FakeMistral()
    server = ServerThread(create_fake_app(state))
    server.start()
    yield state, server
    server.stop()


@pytest.fixture
def fake_mistral(fake_mistral_server: tuple[FakeMistral, ServerThread]) -> FakeMistral:
    state, _ = fake_mistral_server
    state.reset()
    return state


@pytest.fixture(scope="session")
def fake_mistral_url(fake_mistral_server: tuple[FakeMistral, ServerThread]) -> str:
    return fake_mistral_server[1].url


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(make_url(url).set(drivername="postgresql+asyncpg"), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def database_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], str]]:
    """Hands out fresh, empty databases of the configured kind; drops PostgreSQL ones at the end."""
    server_url = os.environ.get(TEST_DB_ENV)
    created: list[str] = []

    def make() -> str:
        if not server_url:
            return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        name = f"mmcp_test_{secrets.token_hex(6)}"
        asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
        created.append(name)
        return make_url(server_url).set(database=name).render_as_string(hide_password=False)

    yield make
    for name in created:
        asyncio.run(_admin(server_url or "", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@dataclass
class RunningApp:
    url: str
    settings: Settings
    server: ServerThread
    session_long: bool = False  # the shared `app`: not stopped with the module that first used it

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)

    def sign_up(self, api_key: str = VALID_KEY, **choices: Any) -> dict[str, Any]:
        """A new connection. Most tests drive tools beyond the `core` preset a connection gets by
        default, so they ask for every tool; tests of profiles and policy pass their own `choices`
        (`profile=None` sends none: the default)."""
        body = {"api_key": api_key, "profile": "all", **choices}
        with self.http() as http:
            response = http.post("/api/connections", json={k: v for k, v in body.items() if v is not None})
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body


def base_settings(data_dir: Path, database_url: str, upstream_url: str) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        encryption_keys=(generate_key(),),
        upstream_url=upstream_url,
        upstream_timeout=5.0,
        upstream_connect_timeout=2.0,
        upstream_max_retries=2,
        upstream_retry_max_wait=1.0,
        log_level="DEBUG",
        log_format="json",
        # The suite signs up, registers OAuth clients and starts sign-ins many times from 127.0.0.1;
        # tests of the limits start apps with them.
        signup_rate_limit=None,
        registration_rate_limit=None,
        authorize_rate_limit=None,
    )


@pytest.fixture(scope="session")
def started_apps() -> list[RunningApp]:
    """Every app `app_factory` started, in order."""
    return []


@pytest.fixture(scope="module", autouse=True)
def _stop_the_apps_a_module_started(started_apps: list[RunningApp]) -> Iterator[None]:
    """Apps live as long as the module that started them: each holds database connections (a pool per
    app), and a whole suite's worth of idle ones would exhaust PostgreSQL's connection limit."""
    before = len(started_apps)
    yield
    for running in started_apps[before:]:
        if not running.session_long:
            running.server.stop()


@pytest.fixture(scope="session")
def app_factory(
    tmp_path_factory: pytest.TempPathFactory,
    database_factory: Callable[[], str],
    fake_mistral_url: str,
    log_stream: io.StringIO,
    started_apps: list[RunningApp],
) -> Iterator[Callable[..., RunningApp]]:
    """Start the real app with settings overrides; each is stopped with its module, or at the end."""
    started = started_apps

    def start(database_url: str | None = None, **overrides: Any) -> RunningApp:
        settings = base_settings(tmp_path_factory.mktemp("data"), database_url or database_factory(), fake_mistral_url)
        settings = replace(settings, **overrides)
        server = ServerThread()  # binds first, so the settings can name the port
        public_url = overrides.get("public_url", server.url)
        settings = replace(settings, port=server.port, public_url=public_url)
        server.start(create_app(settings), settings)
        running = RunningApp(server.url, settings, server)
        started.append(running)
        return running

    yield start
    for running in started:
        running.server.stop()


@pytest.fixture(scope="session")
def app(app_factory: Callable[..., RunningApp]) -> RunningApp:
    shared = app_factory()
    shared.session_long = True
    return shared
