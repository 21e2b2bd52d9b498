"""Redirect URIs are app callbacks only: https, http to loopback, or an app's own scheme. Schemes the
browser handles itself (`javascript:`, `data:`, `file:`, ...) are refused at registration, and a client
stored with one before the rule existed is never redirected there."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import httpx
import pytest

from storage.database import create_engine
from storage.oauth_repository import OAuthRepository
from tests.conftest import RunningApp
from tests.integration.test_oauth import authorize_url, pkce


def registration(app: RunningApp, redirect_uris: list[str]) -> httpx.Response:
    body = {"redirect_uris": redirect_uris, "token_endpoint_auth_method": "none"}
    return httpx.post(f"{app.url}/register", json=body)


@pytest.mark.parametrize(
    "uri",
    [
        "javascript:alert(document.domain)",
        "JavaScript://example.com/%0aalert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "vbscript:msgbox(1)",
        "blob:https://evil.example/0b1c",
        "about:blank",
        "view-source:https://evil.example/",
    ],
)
def test_dangerous_redirect_schemes_are_refused_at_registration(app: RunningApp, uri: str) -> None:
    refused = registration(app, redirect_uris=[uri])
    assert refused.status_code == 400, refused.text[:500]
    assert refused.json()["error"] == "invalid_redirect_uri"


@pytest.mark.parametrize(
    "uri",
    [
        "https://claude.ai/api/mcp/auth_callback",
        "https://vscode.dev/redirect",
        "http://127.0.0.1:33418/callback",
        "http://localhost:6274/oauth/callback",
        "http://[::1]:5000/cb",
        "cursor://anysphere.cursor-mcp/oauth/callback",
        "vscode://vscode.github-authentication/did-authenticate",
        "com.example.app:/oauth2redirect",
    ],
)
def test_the_redirect_uris_real_clients_use_stay_registrable(app: RunningApp, uri: str) -> None:
    assert registration(app, redirect_uris=[uri]).status_code == 201


def test_a_client_stored_with_a_dangerous_redirect_is_never_sent_there(app: RunningApp) -> None:
    # A row written before the scheme rule existed: the rule still holds when it is used.
    legacy = {"client_id": "legacy-js-client", "redirect_uris": ["javascript:alert(1)"], "scope": "mistral"}

    async def store() -> None:
        engine = create_engine(app.settings.database_url)
        try:
            await OAuthRepository(engine).add_client("legacy-js-client", json.dumps(legacy), datetime.now(UTC))
        finally:
            await engine.dispose()

    asyncio.run(store())
    _, challenge = pkce()
    named = httpx.URL(authorize_url(app, "legacy-js-client", challenge, redirect_uri="javascript:alert(1)"))
    for url in (named, named.copy_remove_param("redirect_uri")):  # named, or the one registered
        refused = httpx.get(url)
        assert refused.status_code == 400, refused.text[:500]
        assert "location" not in refused.headers
