"""Rows nobody uses any more are swept: unused registered clients, stale pending sign-ins, expired
codes and dead token families; a client in use, or in the middle of a sign-in, is kept."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import httpx
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text

import server.oauth.sweeper as sweeper_module
import storage
from server.oauth.sweeper import OAuthSweeper
from server.security.tokens import hash_token
from storage.database import create_engine
from storage.migrate import upgrade
from storage.oauth_repository import OAuthRepository
from tests.conftest import VALID_KEY, RunningApp
from tests.integration.test_oauth import (
    Browser,
    authorize_url,
    callback_params,
    exchange_code,
    obtain_tokens,
    pkce,
    register,
    token,
)
from tests.integration.test_oauth_bounds import client_exists, count, count_rows


def _now() -> datetime:
    return datetime.now(UTC)


def sweep(app: RunningApp, at: datetime, *, unused: timedelta = timedelta(hours=24)) -> None:
    async def run() -> None:
        engine = create_engine(app.settings.database_url)
        try:
            sweeper = OAuthSweeper(
                OAuthRepository(engine), unused_client_after=unused, idle_client_after=timedelta(days=90)
            )
            await sweeper.sweep(at)
        finally:
            await engine.dispose()

    asyncio.run(run())


def test_an_unused_client_expires_and_a_used_one_is_kept(app_factory: Callable[..., RunningApp]) -> None:
    app = app_factory()
    browser = Browser(app)
    unused = register(app)["client_id"]
    used, tokens = obtain_tokens(app, browser)
    sweep(app, _now() + timedelta(hours=1))
    assert client_exists(app, unused)  # younger than the limit: kept
    sweep(app, _now() + timedelta(hours=25))
    assert not client_exists(app, unused)
    assert client_exists(app, used["client_id"])
    refreshed = token(
        app, grant_type="refresh_token", refresh_token=tokens["refresh_token"], client_id=used["client_id"]
    )
    assert refreshed.status_code == 200, refreshed.text
    # Months later, with every grant long expired, the used client goes too, and its dead tokens with it.
    sweep(app, _now() + timedelta(days=91))
    assert not client_exists(app, used["client_id"])
    assert count(app, "oauth_tokens") == 0
    assert count(app, "oauth_codes") == 0
    browser.http.close()


def test_a_client_in_the_middle_of_a_sign_in_is_not_swept(app_factory: Callable[..., RunningApp]) -> None:
    app = app_factory()
    browser = Browser(app)
    client = register(app)
    verifier, challenge = pkce()
    browser.open_authorize(authorize_url(app, client["client_id"], challenge))
    sweep(app, _now(), unused=timedelta(0))  # older than the limit, but its sign-in is still pending
    assert client_exists(app, client["client_id"])
    params = callback_params(browser.submit(api_key=VALID_KEY))
    sweep(app, _now(), unused=timedelta(0))  # now it holds a live code
    assert exchange_code(app, client["client_id"], params["code"], verifier).status_code == 200
    browser.http.close()


def test_stale_pending_sign_ins_expired_codes_and_dead_token_families_are_swept(
    app_factory: Callable[..., RunningApp],
) -> None:
    app = app_factory()
    browser = Browser(app)
    client = register(app)
    _, challenge = pkce()
    browser.open_authorize(authorize_url(app, client["client_id"], challenge))
    callback_params(browser.submit(api_key=VALID_KEY))  # a code never exchanged
    browser.open_authorize(authorize_url(app, client["client_id"], challenge))  # a sign-in never finished
    revoked_client, revoked = obtain_tokens(app, browser)
    httpx.post(f"{app.url}/revoke", data={"token": revoked["refresh_token"], "client_id": revoked_client["client_id"]})
    _, live = obtain_tokens(app, browser)
    assert (count(app, "oauth_requests"), count(app, "oauth_codes"), count(app, "oauth_tokens")) == (1, 3, 4)
    sweep(app, _now() + timedelta(minutes=15))
    assert count(app, "oauth_requests") == 0
    assert count(app, "oauth_codes") == 1  # the live family's: a replay must still revoke it
    assert count(app, "oauth_tokens") == 2  # the revoked family is gone, the live one kept
    assert count(app, "oauth_tokens", "token_hash = :h", h=hash_token(live["refresh_token"])) == 1
    browser.http.close()


def test_the_sweep_removes_at_most_a_batch_per_round_and_finishes_the_rest_later(
    app_factory: Callable[..., RunningApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = app_factory()
    for _ in range(7):
        register(app)
    monkeypatch.setattr(sweeper_module, "BATCH_ROWS", 2)
    monkeypatch.setattr(sweeper_module, "BATCHES_PER_SWEEP", 2)
    sweep(app, _now() + timedelta(days=2))
    assert count(app, "oauth_clients") == 3
    sweep(app, _now() + timedelta(days=2))
    assert count(app, "oauth_clients") == 0


def test_the_running_app_sweeps_unused_clients_on_its_own(
    app_factory: Callable[..., RunningApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sweeper_module, "SWEEP_SECONDS", 0.05)
    app = app_factory(oauth_unused_client_hours=0.0)
    client_id = register(app)["client_id"]

    async def swept() -> None:
        with anyio.fail_after(10):
            while await count_rows(app.settings.database_url, "oauth_clients", "client_id = :c", c=client_id):
                await anyio.sleep(0.05)

    anyio.run(swept)


def test_a_swept_client_is_unknown_afterwards(app_factory: Callable[..., RunningApp]) -> None:
    app = app_factory()
    client = register(app)
    sweep(app, _now() + timedelta(days=2))
    _, challenge = pkce()
    unknown = httpx.get(authorize_url(app, client["client_id"], challenge))
    assert unknown.status_code == 400
    assert "not found" in unknown.json()["error_description"]


def _upgrade_to(revision: str) -> Callable[[Connection], None]:
    def run(connection: Connection) -> None:
        config = Config()
        config.set_main_option("script_location", str(Path(storage.__file__).parent / "migrations"))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    return run


def test_clients_that_held_tokens_before_the_upgrade_are_kept_by_the_first_sweep(
    database_factory: Callable[[], str],
) -> None:
    url = database_factory()
    two_days_ago = _now() - timedelta(days=2)

    async def scenario() -> tuple[bool, bool]:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                await conn.run_sync(_upgrade_to("0002"))
                await conn.commit()
            async with engine.begin() as conn:
                await conn.execute(
                    text(
                        "INSERT INTO connections (id, token_hash, key_ciphertext, key_id, key_hint, created_at,"
                        " key_updated_at) VALUES ('c1', 'h1', :blob, 'k', 'hint', :at, :at)"
                    ),
                    {"blob": b"x", "at": two_days_ago},
                )
                for client_id in ("used-before", "never-used"):
                    await conn.execute(
                        text("INSERT INTO oauth_clients (client_id, info_json, created_at) VALUES (:c, '{}', :at)"),
                        {"c": client_id, "at": two_days_ago},
                    )
                await conn.execute(
                    text(
                        "INSERT INTO oauth_tokens (token_hash, kind, family_id, client_id, connection_id, scopes,"
                        " expires_at) VALUES ('t1', 'refresh', 'f1', 'used-before', 'c1', '', :at)"
                    ),
                    {"at": _now() + timedelta(days=20)},
                )
            await upgrade(engine)
            repository = OAuthRepository(engine)
            sweeper = OAuthSweeper(
                repository, unused_client_after=timedelta(hours=24), idle_client_after=timedelta(days=90)
            )
            await sweeper.sweep()
            return await repository.get_client("used-before") is not None, await repository.get_client(
                "never-used"
            ) is not None
        finally:
            await engine.dispose()

    assert asyncio.run(scenario()) == (True, False)
