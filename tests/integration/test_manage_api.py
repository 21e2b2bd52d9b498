"""Managing a connection with its own token: read, revoke, rotate, replace the key."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from server.settings.values import Rate
from tests.conftest import VALID_KEY, RunningApp
from tests.fake_mistral import FakeMistral
from tests.support.mcp_client import connect


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def list_tools(url: str) -> list[str]:
    async def run() -> list[str]:
        async with connect(url) as client:
            return [t.name for t in (await client.list_tools()).tools]

    return asyncio.run(run())


def call_chat(url: str) -> None:
    async def run() -> None:
        async with connect(url) as client:
            result = await client.call_tool("mistral_chat", {"prompt": "hi"})
            assert not result.is_error

    asyncio.run(run())


def test_get_shows_hint_and_counts_never_the_key(app: RunningApp, fake_mistral: FakeMistral) -> None:
    conn = app.sign_up()
    call_chat(conn["mcp_url"])
    with app.http() as http:
        response = http.get("/api/connection", headers=bearer(conn["token"]))
    assert response.status_code == 200
    info = response.json()
    assert info["id"] == conn["id"]
    assert info["key_hint"] == "…" + VALID_KEY[-4:]
    assert info["calls"] == 1
    assert info["usage"]["mistral_chat"]["calls"] == 1
    assert info["usage"]["mistral_chat"]["prompt_tokens"] > 0
    assert info["last_used_at"] is not None
    assert VALID_KEY not in response.text


def test_get_shows_usage_per_day_for_the_last_30_days_and_todays_counts_toward_the_caps(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    conn = app.sign_up()
    call_chat(conn["mcp_url"])
    call_chat(conn["mcp_url"])
    with app.http() as http:
        info = http.get("/api/connection", headers=bearer(conn["token"])).json()
    tokens = info["usage"]["mistral_chat"]["prompt_tokens"] + info["usage"]["mistral_chat"]["completion_tokens"]
    days = info["daily"]
    # The last day is today, UTC (or yesterday, if midnight passed since the answer).
    last = date.fromisoformat(days[-1]["day"])
    assert last in {datetime.now(UTC).date(), datetime.now(UTC).date() - timedelta(days=1)}
    assert [d["day"] for d in days] == [(last - timedelta(days=29 - i)).isoformat() for i in range(30)]
    assert (sum(d["calls"] for d in days), sum(d["tokens"] for d in days)) == (2, tokens)
    assert {d["errors"] for d in days} == {0}
    this_month = sum(d["tokens"] for d in days if d["day"].startswith(last.strftime("%Y-%m")))
    assert info["caps"] == {
        "calls_per_day": {
            "cap": None,
            "used": days[-1]["calls"],
            "resets_at": f"{(last + timedelta(days=1)).isoformat()}T00:00:00+00:00",
        },
        "tokens_per_month": {
            "cap": None,
            "used": this_month,
            "resets_at": info["caps"]["tokens_per_month"]["resets_at"],
        },
    }
    assert info["caps"]["tokens_per_month"]["resets_at"].endswith("-01T00:00:00+00:00")


@pytest.mark.parametrize("header", [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}])
def test_management_without_a_valid_token_is_401(app: RunningApp, header: dict[str, str]) -> None:
    with app.http() as http:
        for method, path in [
            ("GET", "/api/connection"),
            ("DELETE", "/api/connection"),
            ("POST", "/api/connection/rotate"),
        ]:
            response = http.request(method, path, headers=header)
            assert response.status_code == 401
            assert response.json()["error"]["code"] == "unauthorized"


def test_revoke_kills_the_url_at_once_and_erases_the_key(app: RunningApp, fake_mistral: FakeMistral) -> None:
    conn = app.sign_up()
    assert "mistral_chat" in list_tools(conn["mcp_url"])
    with app.http() as http:
        assert http.delete("/api/connection", headers=bearer(conn["token"])).status_code == 204
        after = http.post(conn["mcp_url"], json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
        again = http.get("/api/connection", headers=bearer(conn["token"]))
    assert after.status_code == 401
    assert again.status_code == 401
    from tests.integration.test_signup_api import count_connections  # row really gone

    assert conn["id"] not in str(count_connections(app.settings.database_url))


def test_rotate_gives_a_new_url_and_kills_the_old(app: RunningApp, fake_mistral: FakeMistral) -> None:
    conn = app.sign_up()
    with app.http() as http:
        response = http.post("/api/connection/rotate", headers=bearer(conn["token"]))
        assert response.status_code == 200
        rotated = response.json()
        assert rotated["token"] != conn["token"]
        assert rotated["mcp_url"].endswith(rotated["token"])
        assert http.get("/api/connection", headers=bearer(conn["token"])).status_code == 401
        assert http.get("/api/connection", headers=bearer(rotated["token"])).status_code == 200
    assert "mistral_chat" in list_tools(rotated["mcp_url"])


def test_replace_key_validates_first_and_keeps_the_old_key_on_rejection(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    conn = app.sign_up()
    fake_mistral.valid_keys.add("sk-second-key")
    with app.http() as http:
        rejected = http.put("/api/connection/key", headers=bearer(conn["token"]), json={"api_key": "sk-bad"})
        assert rejected.status_code == 400
        assert rejected.json()["error"]["code"] == "api_key_rejected"
        assert http.get("/api/connection", headers=bearer(conn["token"])).json()["key_hint"] == "…" + VALID_KEY[-4:]
        replaced = http.put("/api/connection/key", headers=bearer(conn["token"]), json={"api_key": "sk-second-key"})
        assert replaced.status_code == 200
        assert replaced.json()["key_hint"] == "…-key"
        missing = http.put("/api/connection/key", headers=bearer(conn["token"]), json={})
        assert missing.status_code == 422
    fake_mistral.requests.clear()
    call_chat(conn["mcp_url"])
    assert {r.api_key for r in fake_mistral.requests_to("POST", "/v1/chat/completions")} == {"sk-second-key"}


def test_key_changes_count_against_the_per_address_key_check_limit(
    app_factory: Callable[..., RunningApp], fake_mistral: FakeMistral
) -> None:
    # Otherwise a sign-up token makes the server an unlimited "is this key valid?" oracle.
    limited = app_factory(signup_rate_limit=Rate(2, 60.0))
    conn = limited.sign_up()  # 1 of 2
    with limited.http() as http:
        api = [
            http.put("/api/connection/key", json={"api_key": "sk-guess"}, headers=bearer(conn["token"]))
            for _ in range(2)
        ]
        page = http.post("/manage", data={"token": conn["token"], "action": "replace_key", "api_key": "sk-guess"})
    assert [r.status_code for r in api] == [400, 429]  # 2, then refused
    assert page.status_code == 429 and "Too many sign-up or key-change attempts" in page.text
    assert 0 < int(api[1].headers["retry-after"]) <= 60
    assert len(fake_mistral.requests_to("GET", "/v1/models")) == 2  # the sign-up and one key check
