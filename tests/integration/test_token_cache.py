"""The 1-second token cache never delays a change made on the same replica, and a change made
on another replica still wins once the cached answer expires."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import httpx
import pytest

from server.security.crypto import generate_key
from tests.conftest import VALID_KEY, RunningApp
from tests.fake_mistral import FakeMistral

pytestmark = pytest.mark.anyio

CALL = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "tools/call",
    "params": {"name": "mistral_chat", "arguments": {"prompt": "hi"}},
}
HEADERS = {"accept": "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25"}
OTHER_KEY = "sk-test-other"


async def call_status(url: str) -> int:
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(url, json=CALL, headers=HEADERS)
    if response.status_code == 200:
        assert '"isError":false' in response.text.replace(" ", ""), response.text
    return response.status_code


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_revoking_kills_the_url_at_once_even_right_after_a_call(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    conn = app.sign_up()
    assert await call_status(conn["mcp_url"]) == 200  # now cached
    with app.http() as http:
        assert http.delete("/api/connection", headers=bearer(conn["token"])).status_code == 204
    assert await call_status(conn["mcp_url"]) == 401
    assert len(fake_mistral.requests_to("POST", "/v1/chat/completions")) == 1


async def test_rotating_kills_the_old_url_at_once_and_the_new_one_works(app: RunningApp) -> None:
    conn = app.sign_up()
    assert await call_status(conn["mcp_url"]) == 200
    with app.http() as http:
        rotated = http.post("/api/connection/rotate", headers=bearer(conn["token"])).json()
    assert await call_status(conn["mcp_url"]) == 401
    assert await call_status(rotated["mcp_url"]) == 200


async def test_a_replaced_key_is_used_from_the_very_next_call(app: RunningApp, fake_mistral: FakeMistral) -> None:
    fake_mistral.valid_keys.add(OTHER_KEY)
    conn = app.sign_up()
    assert await call_status(conn["mcp_url"]) == 200
    with app.http() as http:
        assert http.put("/api/connection/key", headers=bearer(conn["token"]), json={"api_key": OTHER_KEY}).is_success
    assert await call_status(conn["mcp_url"]) == 200
    keys = [r.api_key for r in fake_mistral.requests_to("POST", "/v1/chat/completions")]
    assert keys == [VALID_KEY, OTHER_KEY]


@pytest.fixture
def replicas(
    app_factory: Callable[..., RunningApp], database_factory: Callable[[], str], request: pytest.FixtureRequest
) -> tuple[RunningApp, RunningApp]:
    """Two apps on one database and one keyring, as two replicas; `token_cache_seconds` from the test's param."""
    shared: dict[str, Any] = {"database_url": database_factory(), "encryption_keys": (generate_key(),)}
    shared["token_cache_seconds"] = getattr(request, "param", 1.0)
    return app_factory(**shared), app_factory(**shared)


async def test_a_url_revoked_on_another_replica_stops_working_once_the_cache_expires(
    replicas: tuple[RunningApp, RunningApp],
) -> None:
    a, b = replicas
    conn = a.sign_up()
    assert await call_status(f"{b.url}/mcp/{conn['token']}") == 200  # b has it cached now
    with a.http() as http:
        assert http.delete("/api/connection", headers=bearer(conn["token"])).status_code == 204
    with anyio.fail_after(10):  # the promise is one second; this only bounds a broken test
        while await call_status(f"{b.url}/mcp/{conn['token']}") != 401:
            await anyio.sleep(0.05)


@pytest.mark.parametrize("replicas", [0.0], indirect=True)
async def test_with_the_cache_off_another_replica_refuses_a_revoked_url_at_once(
    replicas: tuple[RunningApp, RunningApp],
) -> None:
    a, b = replicas
    conn = a.sign_up()
    assert await call_status(f"{b.url}/mcp/{conn['token']}") == 200
    with a.http() as http:
        assert http.delete("/api/connection", headers=bearer(conn["token"])).status_code == 204
    assert await call_status(f"{b.url}/mcp/{conn['token']}") == 401
