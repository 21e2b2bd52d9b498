"""Connections made before profiles keep everything they had: every tool, no limit, the same URL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text

import storage
from server.connections import associated_data
from server.security import tokens
from server.security.crypto import Keyring, generate_key
from server.tools import build_registry
from storage.database import create_engine
from tests.conftest import VALID_KEY, RunningApp
from tests.support.mcp_client import MODES, connect

pytestmark = pytest.mark.anyio

BEFORE_PROFILES = "0004"


def _upgrade_to(revision: str) -> Callable[[Connection], None]:
    def run(connection: Connection) -> None:
        config = Config()
        config.set_main_option("script_location", str(Path(storage.__file__).parent / "migrations"))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    return run


async def _connection_made_before_profiles(url: str, keyring: Keyring) -> str:
    """A connection row as the schema before profiles held it; returns its token."""
    token = tokens.new_token()
    now = datetime.now(UTC)
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.run_sync(_upgrade_to(BEFORE_PROFILES))
            await conn.commit()
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO connections (id, token_hash, key_ciphertext, key_id, key_hint, created_at,"
                    " key_updated_at) VALUES ('conn_old', :hash, :blob, :key_id, :hint, :at, :at)"
                ),
                {
                    "hash": tokens.hash_token(token),
                    "blob": keyring.encrypt(VALID_KEY, associated_data("conn_old")),
                    "key_id": keyring.primary_key_id,
                    "hint": VALID_KEY[-4:],
                    "at": now,
                },
            )
    finally:
        await engine.dispose()
    return token


@pytest.fixture
def database_url(database_factory: Callable[[], str]) -> str:
    return database_factory()  # made here: a PostgreSQL database is created with asyncio.run


@pytest.mark.parametrize("mode", MODES)
async def test_connections_made_before_profiles_keep_every_tool_and_no_limit(
    app_factory: Callable[..., RunningApp], database_url: str, mode: str
) -> None:
    url, key = database_url, generate_key()
    token = await _connection_made_before_profiles(url, Keyring([key]))
    app = app_factory(database_url=url, encryption_keys=(key,))  # migrates to head on start

    async with connect(f"{app.url}/mcp/{token}", mode) as client:
        listed = [tool.name for tool in (await client.list_tools()).tools]
        result = await client.call_tool("mistral_list_files", {})
    # Every tool: all of them for a handshake-era client, which cannot say whether it shows views; a
    # 2026-07-28 client that declares no views is not offered the tools only views call.
    everything = build_registry().listing(app_tools=mode == "legacy")
    assert listed == [tool.name for tool in everything.tools]
    assert not result.is_error
    with app.http() as http:
        info = http.get("/api/connection", headers={"Authorization": f"Bearer {token}"}).json()
    assert info["profile"] == "all" and info["read_only"] is False and info["allowed_models"] is None
    assert (info["calls_per_day"], info["tokens_per_month"]) == (None, None)
    newest = app.sign_up(profile=None)  # a connection made now gets the core preset, on the same database
    with app.http() as http:
        assert (
            http.get("/api/connection", headers={"Authorization": f"Bearer {newest['token']}"}).json()["profile"]
            == "core"
        )
