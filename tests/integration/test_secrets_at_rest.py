"""Neither the Mistral key nor the URL token is ever in the database, the logs or an error."""

from __future__ import annotations

import asyncio
import io

import httpx
import pytest
from sqlalchemy import select

from storage.database import create_engine
from tests.conftest import VALID_KEY, RunningApp
from tests.fake_mistral import FakeMistral
from tests.support.database import dump_database
from tests.support.mcp_client import connect


@pytest.mark.anyio
async def test_key_and_tokens_never_reach_database_or_logs(
    app: RunningApp, fake_mistral: FakeMistral, log_stream: io.StringIO
) -> None:
    secret_key = "sk-SECRET-never-stored-9f8e7d"
    fake_mistral.valid_keys.add(secret_key)
    conn = app.sign_up(secret_key)
    tokens = [conn["token"]]
    async with connect(conn["mcp_url"]) as client:
        await client.call_tool("mistral_chat", {"prompt": "hi"})
        await client.call_tool("mistral_chat", {"prompt": "hi", "temperature": "bad"})
    fake_mistral.fail_next("/v1/embeddings", status=401)
    async with connect(conn["mcp_url"]) as client:
        failed = await client.call_tool("mistral_embed", {"input": "x"})
    assert failed.is_error and secret_key not in failed.content[0].text
    async with httpx.AsyncClient(base_url=app.url) as http:
        rotated = (await http.post("/api/connection/rotate", headers={"Authorization": f"Bearer {tokens[0]}"})).json()
        tokens.append(rotated["token"])
        await http.get("/api/connection", headers={"Authorization": f"Bearer {rotated['token']}"})
        await http.post("/api/connections", json={"api_key": "sk-rejected-key-xyz"})
    async with connect(rotated["mcp_url"]) as client:
        await client.call_tool("mistral_moderate", {"input": "x"})

    stored = await dump_database(app.settings.database_url)
    assert stored, "database dump is empty"
    assert conn["id"].encode() in stored  # the dump really holds our rows
    for secret in [secret_key, VALID_KEY, "sk-rejected-key-xyz", *tokens]:
        assert secret.encode() not in stored
    logs = log_stream.getvalue()
    assert "/mcp/{token}" in logs  # the access log saw these requests
    for secret in [secret_key, "sk-rejected-key-xyz", *tokens]:
        where = logs.find(secret)
        assert where == -1, f"secret in logs: {logs[max(0, where - 300) : where].splitlines()[-1]}"


def test_revoked_connection_leaves_no_ciphertext_behind(app: RunningApp, fake_mistral: FakeMistral) -> None:
    conn = app.sign_up()

    async def ciphertext() -> bytes | None:
        from storage.models import ConnectionRow

        engine = create_engine(app.settings.database_url)
        try:
            async with engine.connect() as c:
                return (
                    await c.execute(select(ConnectionRow.key_ciphertext).where(ConnectionRow.id == conn["id"]))
                ).scalar_one_or_none()
        finally:
            await engine.dispose()

    assert asyncio.run(ciphertext()) is not None
    with app.http() as http:
        http.delete("/api/connection", headers={"Authorization": f"Bearer {conn['token']}"})
    assert asyncio.run(ciphertext()) is None
