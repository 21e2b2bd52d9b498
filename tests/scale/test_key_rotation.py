"""Encryption key rotation: online (calls keep succeeding), guarded, resumable, then the old key goes.

The operator's sequence from docs/operations.md: every replica gets `NEW,OLD` (new primary,
old still decrypts), `mistral-mcp keys rotate` re-encrypts, `keys status` shows the old key
unused, and replicas restart with `NEW` alone.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import anyio
import httpx
import pytest

from server.cli import _print_key_status, main
from server.connections import associated_data
from server.keys.rotation import KeyStatus, RotationProgress, key_status, rotate_keys
from server.oauth.client_metadata import ClientMetadataFetcher
from server.oauth.client_secrets import seal_info
from server.oauth.provider import OAuthProvider
from server.security.crypto import Keyring, generate_key
from storage.database import create_engine
from storage.oauth_repository import OAuthRepository
from storage.repository import ConnectionRepository, Reencrypted
from tests.conftest import VALID_KEY, RunningApp
from tests.fake_mistral import FakeMistral
from tests.scale.replicas import run_cli
from tests.scale.support import call_tool, start_app, text_of

pytestmark = pytest.mark.anyio


class Interrupted(Exception):
    pass


@pytest.fixture
def old_key() -> str:
    return generate_key()


@pytest.fixture
def new_key() -> str:
    return generate_key()


def kid(key: str) -> str:
    return Keyring([key]).primary_key_id


async def test_rotation_while_calls_are_served_then_the_old_key_can_be_removed(
    app_factory: Callable[..., RunningApp], fake_mistral: FakeMistral, old_key: str, new_key: str
) -> None:
    before = await start_app(app_factory, encryption_keys=(old_key,))
    database_url = before.settings.database_url
    tokens = [before.sign_up()["token"] for _ in range(7)]
    during = await start_app(app_factory, database_url=database_url, encryption_keys=(new_key, old_key))
    engine = create_engine(database_url)
    repository, oauth = ConnectionRepository(engine), OAuthRepository(engine)
    keyring = Keyring([new_key, old_key])
    served: list[bool] = []
    try:
        assert (await key_status(repository, keyring, oauth)).rows == {kid(old_key): 7}

        async def between_batches(progress: RotationProgress) -> None:
            # A call for a connection of every batch, while the rotation is half done.
            result = await call_tool(f"{during.url}/mcp/{tokens[progress.rotated - 1]}")
            served.append(not result.is_error)

        async def keep_calling(done: anyio.Event) -> None:
            index = 0
            while not done.is_set():
                result = await call_tool(f"{during.url}/mcp/{tokens[index % len(tokens)]}")
                served.append(not result.is_error)
                index += 1

        with anyio.fail_after(60):
            async with anyio.create_task_group() as tasks:
                done = anyio.Event()
                tasks.start_soon(keep_calling, done)
                progress = await rotate_keys(
                    repository, keyring, oauth=oauth, batch_size=2, after_batch=between_batches
                )
                done.set()
        assert (progress.rotated, progress.batches, progress.unreadable) == (7, 4, [])
        status = await key_status(repository, keyring, oauth)
        assert status.rows == {kid(new_key): 7}
        assert status.unused == [kid(old_key)] and status.pending == 0
    finally:
        await engine.dispose()
    assert served and all(served)

    after = await start_app(app_factory, database_url=database_url, encryption_keys=(new_key,))
    for token in tokens:
        result = await call_tool(f"{after.url}/mcp/{token}")
        assert not result.is_error, text_of(result)
    assert all(r.api_key == VALID_KEY for r in fake_mistral.requests_to("POST", "/v1/chat/completions"))


async def test_a_key_its_user_replaces_during_rotation_is_not_overwritten(
    app_factory: Callable[..., RunningApp], fake_mistral: FakeMistral, old_key: str, new_key: str
) -> None:
    before = await start_app(app_factory, encryption_keys=(old_key,))
    token = before.sign_up()["token"]
    during = await start_app(app_factory, database_url=before.settings.database_url, encryption_keys=(new_key, old_key))
    engine = create_engine(before.settings.database_url)
    repository, oauth = ConnectionRepository(engine), OAuthRepository(engine)
    keyring = Keyring([new_key, old_key])
    try:
        [stale] = await repository.keys_not_under(keyring.primary_key_id, after="", limit=10)
        # The rotation read the row; now the user replaces their key through the API.
        fake_mistral.valid_keys.add("sk-test-replacement")
        async with httpx.AsyncClient(base_url=during.url) as http:
            replaced = await http.put(
                "/api/connection/key",
                json={"api_key": "sk-test-replacement"},
                headers={"Authorization": f"Bearer {token}"},
            )
        assert replaced.status_code == 200, replaced.text
        plaintext = keyring.decrypt(stale.ciphertext, associated_data(stale.connection_id))
        change = Reencrypted(
            stale.connection_id,
            stale.key_id,
            stale.ciphertext,
            keyring.primary_key_id,
            keyring.encrypt(plaintext, associated_data(stale.connection_id)),
        )
        assert await repository.replace_ciphertexts([change]) == 0
        assert (await rotate_keys(repository, keyring, oauth=oauth)).rotated == 0
    finally:
        await engine.dispose()
    assert not (await call_tool(f"{during.url}/mcp/{token}")).is_error
    assert fake_mistral.requests_to("POST", "/v1/chat/completions")[-1].api_key == "sk-test-replacement"


async def test_an_interrupted_rotation_resumes_where_it_stopped(
    app_factory: Callable[..., RunningApp], old_key: str, new_key: str
) -> None:
    before = await start_app(app_factory, encryption_keys=(old_key,))
    for _ in range(5):
        before.sign_up()
    engine = create_engine(before.settings.database_url)
    repository, oauth = ConnectionRepository(engine), OAuthRepository(engine)
    keyring = Keyring([new_key, old_key])

    async def crash(_progress: RotationProgress) -> None:
        raise Interrupted

    try:
        with pytest.raises(Interrupted):
            await rotate_keys(repository, keyring, oauth=oauth, batch_size=2, after_batch=crash)
        assert (await key_status(repository, keyring, oauth)).rows == {kid(new_key): 2, kid(old_key): 3}
        resumed = await rotate_keys(repository, keyring, oauth=oauth, batch_size=2)
        assert (resumed.rotated, resumed.batches) == (3, 2)
        assert (await key_status(repository, keyring, oauth)).rows == {kid(new_key): 5}
    finally:
        await engine.dispose()


def test_keys_cli_reads_keys_from_a_file_reports_status_and_rotates(
    app_factory: Callable[..., RunningApp], tmp_path: Path, old_key: str, new_key: str
) -> None:
    before = app_factory(encryption_keys=(old_key,))
    ids = sorted(before.sign_up()["id"] for _ in range(3))
    keys_file = tmp_path / "keys"
    settings = {
        "MISTRAL_MCP_DATABASE_URL": before.settings.database_url,
        "MISTRAL_MCP_ENCRYPTION_KEYS_FILE": str(keys_file),
    }

    # A keys file without the old key: its rows are reported, and rotation refuses to pretend.
    keys_file.write_text(new_key + "\n")
    missing = json.loads(run_cli("keys", "status", "--json", settings=settings).stdout)
    assert missing["missing"] == [kid(old_key)] and missing["pending"] == 3
    refused = run_cli("keys", "rotate", settings=settings)
    assert refused.returncode == 1
    assert all(connection_id in refused.stderr for connection_id in ids)

    keys_file.write_text(f"{new_key}\n{old_key}\n")  # one per line, as a mounted secret
    rotated = run_cli("keys", "rotate", "--batch-size", "2", settings=settings)
    assert rotated.returncode == 0, rotated.stderr
    assert "re-encrypted 3 stored key(s)" in rotated.stdout and "batch 2" in rotated.stdout
    status = json.loads(run_cli("keys", "status", "--json", settings=settings).stdout)
    assert status == {
        "primary": kid(new_key),
        "configured": [kid(new_key), kid(old_key)],
        "rows": {kid(new_key): 3},
        "plaintext": 0,
        "pending": 0,
        "unused": [kid(old_key)],
        "missing": [],
    }
    for output in (rotated.stdout, rotated.stderr, refused.stdout, refused.stderr):
        assert old_key not in output and new_key not in output


async def test_oauth_client_secrets_are_counted_and_resealed_by_rotation(
    app_factory: Callable[..., RunningApp], old_key: str, new_key: str
) -> None:
    app = await start_app(app_factory, encryption_keys=(old_key,))
    registered = httpx.post(
        f"{app.url}/register",
        json={"redirect_uris": ["http://127.0.0.1:5000/cb"], "token_endpoint_auth_method": "client_secret_post"},
    ).json()
    engine = create_engine(app.settings.database_url)
    try:
        oauth, connections = OAuthRepository(engine), ConnectionRepository(engine)
        # A row as an older version wrote it: the secret as it came.
        legacy = {
            "client_id": "legacy-client",
            "client_secret": "legacy-secret",
            "redirect_uris": ["http://127.0.0.1/cb"],
        }
        await oauth.add_client("legacy-client", json.dumps(legacy), datetime.now(UTC))
        both = Keyring([new_key, old_key])
        before = await key_status(connections, both, oauth)
        assert (before.rows, before.plaintext, before.pending) == ({kid(old_key): 1}, 1, 2)

        done = await rotate_keys(connections, both, oauth=oauth)
        assert (done.rotated, done.unreadable) == (2, [])
        after = await key_status(connections, both, oauth)
        assert (after.rows, after.plaintext, after.unused) == ({kid(new_key): 2}, 0, [kid(old_key)])

        # Only the new key from here on, as after the last step of a rotation: both still authenticate.
        provider, fetcher = OAuthProvider(app.settings.public_url), ClientMetadataFetcher(allow_loopback=False)
        provider.attach(oauth, fetcher, Keyring([new_key]))
        try:
            for client_id, secret in (
                (registered["client_id"], registered["client_secret"]),
                ("legacy-client", "legacy-secret"),
            ):
                client = await provider.get_client(client_id)
                assert client is not None and client.client_secret == secret
        finally:
            await fetcher.aclose()
    finally:
        await engine.dispose()


def test_sealing_keeps_a_record_without_a_secret_as_it_is() -> None:
    info = {"client_id": "public", "client_secret": None, "redirect_uris": ["http://127.0.0.1/cb"]}
    assert json.loads(seal_info(Keyring([generate_key()]), info)) == info


def test_keys_status_table_says_which_key_can_be_removed(old_key: str, new_key: str) -> None:
    state = KeyStatus(kid(new_key), (kid(new_key), kid(old_key)), {kid(new_key): 4, "0123456789abcdef": 1})
    shown = io.StringIO()
    with contextlib.redirect_stdout(shown):
        _print_key_status(state, as_json=False)
    lines = shown.getvalue().splitlines()
    assert lines[1].split() == [kid(new_key), "4", "primary"]
    assert lines[2].split()[:3] == [kid(old_key), "0", "configured"] and "safe to remove" in lines[2]
    assert lines[3].split()[:3] == ["0123456789abcdef", "1", "NOT"]
    assert "1 stored key(s) are not under the primary key yet" in lines[4]


def test_keys_commands_on_a_database_without_schema_say_what_to_do(
    fresh_database_url: str, new_key: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MISTRAL_MCP_DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("MISTRAL_MCP_ENCRYPTION_KEYS", new_key)
    assert main(["keys", "status"]) == 1
    assert "mistral-mcp db upgrade" in capsys.readouterr().err


def test_keys_commands_refuse_to_invent_a_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("MISTRAL_MCP_ENCRYPTION_KEYS", "MISTRAL_MCP_ENCRYPTION_KEYS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MISTRAL_MCP_DATA_DIR", str(tmp_path / "data"))
    assert main(["keys", "rotate"]) == 2
    assert "MISTRAL_MCP_ENCRYPTION_KEYS" in capsys.readouterr().err
    assert not (tmp_path / "data").exists()
