"""What an anonymous caller can make the OAuth server store is bounded: registrations and sign-in
starts are rate-limited per client address, and their metadata and parameters are size-capped."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from server.security.tokens import hash_token
from server.settings.values import Rate
from storage.database import create_engine
from storage.oauth_repository import TOKENS_KEPT_PER_KIND
from tests.conftest import VALID_KEY, RunningApp
from tests.integration.test_oauth import (
    REDIRECT,
    Browser,
    authorize_url,
    callback_params,
    exchange_code,
    mcp_status,
    obtain_tokens,
    pkce,
    register,
    token,
)


def _now() -> datetime:
    return datetime.now(UTC)


def registration(app: RunningApp, headers: dict[str, str] | None = None, **metadata: Any) -> httpx.Response:
    body = {"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none", **metadata}
    return httpx.post(f"{app.url}/register", json=body, headers=headers)


async def count_rows(url: str, table: str, where: str = "1 = 1", **params: str) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            found = await conn.execute(text(f"SELECT count(*) FROM {table} WHERE {where}"), params)  # noqa: S608 - test's own table names
            return int(found.scalar_one())
    finally:
        await engine.dispose()


def count(app: RunningApp, table: str, where: str = "1 = 1", **params: str) -> int:
    return asyncio.run(count_rows(app.settings.database_url, table, where, **params))


def client_exists(app: RunningApp, client_id: str) -> bool:
    return count(app, "oauth_clients", "client_id = :c", c=client_id) == 1


@pytest.fixture
def browser(app: RunningApp) -> Iterator[Browser]:
    b = Browser(app)
    yield b
    b.http.close()


# --- registration ------------------------------------------------------------------------------


def test_registration_beyond_the_rate_limit_gets_429_with_retry_after(app_factory: Callable[..., RunningApp]) -> None:
    limited = app_factory(registration_rate_limit=Rate(2, 3600.0))
    # From a browser-based client (the MCP Inspector): it must be able to read the refusal.
    answers = [registration(limited, headers={"origin": "http://localhost:6274"}) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 429]
    refused = answers[2]
    assert refused.json()["error"] == "too_many_requests"
    assert "registrations" in refused.json()["error_description"]
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.headers["access-control-allow-origin"] == "*"
    assert count(limited, "oauth_clients") == 2


def test_a_registration_body_over_the_cap_is_refused_before_anything_is_stored(app: RunningApp) -> None:
    before = count(app, "oauth_clients")
    declared = registration(app, client_name="x" * 900_000)

    def chunks() -> Iterator[bytes]:  # chunked, no Content-Length to refuse up front
        yield b'{"redirect_uris": ["' + REDIRECT.encode() + b'"], "software_statement": "'
        for _ in range(100):
            yield b"a" * 10_000
        yield b'"}'

    streamed = httpx.post(f"{app.url}/register", content=chunks(), headers={"content-type": "application/json"})
    for refused in (declared, streamed):
        assert refused.status_code == 413, refused.text[:500]
        assert refused.json()["error"] == "invalid_client_metadata"
        assert "bytes" in refused.json()["error_description"]
    assert count(app, "oauth_clients") == before


@pytest.mark.parametrize(
    ("metadata", "field"),
    [
        ({"client_name": "n" * 1000}, "client_name"),
        ({"redirect_uris": [f"http://127.0.0.1:{5000 + n}/cb" for n in range(21)]}, "redirect_uris"),
        ({"redirect_uris": ["https://app.example/" + "p" * 3000]}, "redirect_uris"),
        ({"contacts": [f"user{n}@example.com" for n in range(21)]}, "contacts"),
        ({"client_uri": "https://app.example/" + "p" * 3000}, "client_uri"),
        ({"software_version": "v" * 1000}, "software_version"),
    ],
)
def test_registration_fields_beyond_their_caps_are_invalid_client_metadata(
    app: RunningApp, metadata: dict[str, Any], field: str
) -> None:
    refused = registration(app, **metadata)
    assert refused.status_code == 400, refused.text[:500]
    assert refused.json()["error"] == "invalid_client_metadata"
    assert field in refused.json()["error_description"]


# --- authorization requests ----------------------------------------------------------------------


def test_authorize_beyond_the_rate_limit_gets_429(app_factory: Callable[..., RunningApp]) -> None:
    limited = app_factory(authorize_rate_limit=Rate(2, 60.0))
    client = register(limited)
    _, challenge = pkce()
    answers = [httpx.get(authorize_url(limited, client["client_id"], challenge)) for _ in range(3)]
    assert [a.status_code for a in answers] == [302, 302, 429]
    assert answers[2].json()["error"] == "too_many_requests"
    assert int(answers[2].headers["retry-after"]) >= 1
    assert count(limited, "oauth_requests") == 2


@pytest.mark.parametrize(
    ("parameter", "value"),
    [("state", "s" * 2049), ("code_challenge", "c" * 129), ("scope", "mistral " * 300), ("redirect_uri", "h" * 3000)],
)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_an_overlong_authorization_parameter_is_refused_and_nothing_is_stored(
    app: RunningApp, parameter: str, value: str, method: str
) -> None:
    client = register(app)
    _, challenge = pkce()
    url = httpx.URL(authorize_url(app, client["client_id"], challenge, **{parameter: value}))
    before = count(app, "oauth_requests")
    refused = httpx.get(url) if method == "GET" else httpx.post(url.copy_with(query=None), data=dict(url.params))
    assert refused.status_code == 400, refused.text[:500]
    assert "location" not in refused.headers  # the overlong value is not echoed in a redirect
    assert refused.json()["error"] == "invalid_request"
    assert parameter in refused.json()["error_description"]
    assert count(app, "oauth_requests") == before


def test_a_60_kb_state_is_refused_without_being_echoed(app: RunningApp) -> None:
    client = register(app)
    _, challenge = pkce()
    before = count(app, "oauth_requests")
    # In the query it is over the request-head cap (MISTRAL_MCP_MAX_HEADER_BYTES): 431 before any app code;
    # in a form body, over the authorization body cap: 413.
    url = httpx.URL(authorize_url(app, client["client_id"], challenge, state="s" * 60_000))
    in_query = httpx.get(url)
    in_body = httpx.post(url.copy_with(query=None), data=dict(url.params))
    assert (in_query.status_code, in_body.status_code) == (431, 413)
    for refused in (in_query, in_body):
        assert "location" not in refused.headers
        assert len(refused.content) < 1000
    assert count(app, "oauth_requests") == before


def test_a_long_state_as_clients_really_send_goes_through(app: RunningApp, browser: Browser) -> None:
    client = register(app)
    verifier, challenge = pkce()
    state = "vscode://dynamicauthprovider/" + "a" * 1900 + "?nonce=abc"
    browser.open_authorize(authorize_url(app, client["client_id"], challenge, state=state))
    params = callback_params(browser.submit(api_key=VALID_KEY))
    assert params["state"] == state
    assert exchange_code(app, client["client_id"], params["code"], verifier).status_code == 200


def test_an_authorization_body_over_the_cap_is_refused(app: RunningApp) -> None:
    refused = httpx.post(
        f"{app.url}/authorize",
        content=b"a=" + b"x" * 200_000,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert refused.status_code == 413
    assert refused.json()["error"] == "invalid_request"


def test_a_family_refreshed_for_ever_keeps_a_bounded_number_of_tokens(app: RunningApp, browser: Browser) -> None:
    client, pair = obtain_tokens(app, browser)
    used: list[str] = []
    for _ in range(3 * TOKENS_KEPT_PER_KIND):
        refreshed = token(
            app, grant_type="refresh_token", refresh_token=pair["refresh_token"], client_id=client["client_id"]
        )
        assert refreshed.status_code == 200, refreshed.text
        used.append(pair["refresh_token"])
        pair = refreshed.json()
    family = "family_id = (SELECT family_id FROM oauth_tokens WHERE token_hash = :h)"
    latest = hash_token(pair["access_token"])
    assert count(app, "oauth_tokens", family, h=latest) == 2 * TOKENS_KEPT_PER_KIND
    assert mcp_status(app, pair["access_token"]) == 200
    # A recently used refresh token presented again is still reuse: the whole family is revoked.
    reuse = token(app, grant_type="refresh_token", refresh_token=used[-2], client_id=client["client_id"])
    assert reuse.json()["error"] == "invalid_grant"
    assert mcp_status(app, pair["access_token"]) == 401
