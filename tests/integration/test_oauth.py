"""OAuth 2.1 on the bare /mcp URL: discovery, the consent page, tokens, and every failure."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken
from pydantic import AnyUrl
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

import server.oauth.provider as provider_module
from server.settings.values import Rate
from tests.conftest import VALID_KEY, RunningApp
from tests.fake_mistral import FakeMistral
from tests.support.database import dump_database
from tests.support.servers import ServerThread

REDIRECT = "http://127.0.0.1:33418/callback"


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


class Browser:
    """Does what a person's browser does between the client's redirect and the callback."""

    def __init__(self, app: RunningApp) -> None:
        self.app = app
        self.http = httpx.Client(base_url=app.url, follow_redirects=False, timeout=30)
        self.consent_html = ""

    def open_authorize(self, url: str) -> httpx.Response:
        response = self.http.get(url)
        if response.status_code == 302 and "/oauth/consent" in response.headers["location"]:
            consent = self.http.get(response.headers["location"])
            assert consent.status_code == 200
            self.consent_html = consent.text
            query = parse_qs(urlsplit(response.headers["location"]).query)
            self.request_id = query["request"][0]
        return response

    def submit(self, **fields: str) -> httpx.Response:
        form = {"request": self.request_id, "decision": "approve", **fields}
        return self.http.post("/oauth/consent", data=form, headers={"origin": self.app.url})


def callback_params(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT.split("/callback")[0])
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


@pytest.fixture
def browser(app: RunningApp) -> Iterator[Browser]:
    b = Browser(app)
    yield b
    b.http.close()


def register(app: RunningApp, redirect_uris: list[str] | None = None, auth_method: str = "none") -> dict[str, Any]:
    response = httpx.post(
        f"{app.url}/register",
        json={
            "redirect_uris": redirect_uris or [REDIRECT],
            "client_name": "Test Client",
            "token_endpoint_auth_method": auth_method,
            "grant_types": ["authorization_code", "refresh_token"],
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def authorize_url(app: RunningApp, client_id: str, challenge: str, **extra: str) -> str:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": "xyz-state",
        "resource": f"{app.url}/mcp",
        **extra,
    }
    return str(httpx.URL(f"{app.url}/authorize", params=params))


def token(app: RunningApp, **form: str) -> httpx.Response:
    return httpx.post(f"{app.url}/token", data=form)


def exchange_code(
    app: RunningApp, client_id: str, code: str, verifier: str, redirect_uri: str = REDIRECT
) -> httpx.Response:
    return token(
        app,
        grant_type="authorization_code",
        code=code,
        redirect_uri=redirect_uri,
        client_id=client_id,
        code_verifier=verifier,
    )


def obtain_tokens(app: RunningApp, browser: Browser, **consent: str) -> tuple[dict[str, Any], dict[str, Any]]:
    client = register(app)
    verifier, challenge = pkce()
    browser.open_authorize(authorize_url(app, client["client_id"], challenge))
    params = callback_params(browser.submit(**(consent or {"api_key": VALID_KEY})))
    response = exchange_code(app, client["client_id"], params["code"], verifier)
    assert response.status_code == 200, response.text
    return client, response.json()


def mcp_status(app: RunningApp, access_token: str) -> int:
    response = httpx.post(
        f"{app.url}/mcp",
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        headers={
            "authorization": f"Bearer {access_token}",
            "accept": "application/json, text/event-stream",
            "mcp-protocol-version": "2025-11-25",
        },
    )
    return response.status_code


def test_bare_mcp_url_points_clients_at_the_metadata(app: RunningApp) -> None:
    response = httpx.post(f"{app.url}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
    assert response.status_code == 401
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer resource_metadata=")
    metadata_url = challenge.split('"')[1]
    resource = httpx.get(metadata_url).json()
    assert resource["resource"] == f"{app.url}/mcp"
    assert resource["authorization_servers"] == [app.url]
    server = httpx.get(f"{app.url}/.well-known/oauth-authorization-server").json()
    assert server["issuer"] == app.url
    assert server["code_challenge_methods_supported"] == ["S256"]
    assert server["client_id_metadata_document_supported"] is True
    assert server["authorization_response_iss_parameter_supported"] is True
    for endpoint in ("authorization_endpoint", "token_endpoint", "registration_endpoint", "revocation_endpoint"):
        assert server[endpoint].startswith(app.url)


def test_per_user_url_and_bad_bearer_on_it_never_advertise_oauth(app: RunningApp) -> None:
    response = httpx.post(f"{app.url}/mcp/mmcp_{'A' * 43}", json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.anyio
async def test_sdk_oauth_client_completes_the_flow_and_calls_tools(
    app: RunningApp, fake_mistral: FakeMistral, browser: Browser
) -> None:
    stored: dict[str, Any] = {}
    callback: dict[str, str] = {}

    class Storage:
        async def get_tokens(self) -> OAuthToken | None:
            return stored.get("tokens")

        async def set_tokens(self, tokens: OAuthToken) -> None:
            stored["tokens"] = tokens

        async def get_client_info(self) -> OAuthClientInformationFull | None:
            return stored.get("client")

        async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
            stored["client"] = client_info

    async def redirect_handler(url: str) -> None:
        browser.open_authorize(url)
        callback.update(callback_params(browser.submit(api_key=VALID_KEY)))

    async def callback_handler() -> AuthorizationCodeResult:
        return AuthorizationCodeResult(code=callback["code"], state=callback.get("state"), iss=callback.get("iss"))

    auth = OAuthClientProvider(
        server_url=f"{app.url}/mcp",
        client_metadata=OAuthClientMetadata(
            client_name="SDK test client", redirect_uris=[AnyUrl(REDIRECT)], token_endpoint_auth_method="none"
        ),
        storage=Storage(),
        redirect_handler=redirect_handler,
        callback_handler=callback_handler,
    )
    async with (
        httpx2.AsyncClient(auth=auth, timeout=30) as http,
        Client(streamable_http_client(f"{app.url}/mcp", http_client=http), mode="legacy") as client,
    ):
        result = await client.call_tool("mistral_chat", {"prompt": "hi"})
    assert not result.is_error
    assert "SDK test client" in browser.consent_html
    assert callback["iss"] == app.url
    assert [r.api_key for r in fake_mistral.requests_to("POST", "/v1/chat/completions")] == [VALID_KEY]
    assert stored["tokens"].access_token.startswith("mmat_")


def test_refresh_rotates_and_reuse_revokes_the_family(app: RunningApp, browser: Browser) -> None:
    client, first = obtain_tokens(app, browser)
    assert mcp_status(app, first["access_token"]) == 200
    refreshed = token(
        app, grant_type="refresh_token", refresh_token=first["refresh_token"], client_id=client["client_id"]
    )
    assert refreshed.status_code == 200, refreshed.text
    second = refreshed.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert mcp_status(app, second["access_token"]) == 200
    reuse = token(app, grant_type="refresh_token", refresh_token=first["refresh_token"], client_id=client["client_id"])
    assert reuse.status_code == 400
    assert reuse.json()["error"] == "invalid_grant"
    assert mcp_status(app, second["access_token"]) == 401
    again = token(app, grant_type="refresh_token", refresh_token=second["refresh_token"], client_id=client["client_id"])
    assert again.json()["error"] == "invalid_grant"


def test_wrong_pkce_verifier_is_invalid_grant(app: RunningApp, browser: Browser) -> None:
    client = register(app)
    _, challenge = pkce()
    browser.open_authorize(authorize_url(app, client["client_id"], challenge))
    params = callback_params(browser.submit(api_key=VALID_KEY))
    response = exchange_code(app, client["client_id"], params["code"], pkce()[0])
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_replayed_code_fails_and_revokes_what_it_issued(app: RunningApp, browser: Browser) -> None:
    client = register(app)
    verifier, challenge = pkce()
    browser.open_authorize(authorize_url(app, client["client_id"], challenge))
    params = callback_params(browser.submit(api_key=VALID_KEY))
    form = {
        "grant_type": "authorization_code",
        "code": params["code"],
        "redirect_uri": REDIRECT,
        "client_id": client["client_id"],
        "code_verifier": verifier,
    }
    first = token(app, **form)
    assert first.status_code == 200
    replay = token(app, **form)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert mcp_status(app, first.json()["access_token"]) == 401


def test_expired_code_is_invalid_grant(app: RunningApp, browser: Browser, monkeypatch: pytest.MonkeyPatch) -> None:
    client = register(app)
    verifier, challenge = pkce()
    browser.open_authorize(authorize_url(app, client["client_id"], challenge))
    monkeypatch.setattr(provider_module, "CODE_SECONDS", -1)
    params = callback_params(browser.submit(api_key=VALID_KEY))
    response = exchange_code(app, client["client_id"], params["code"], verifier)
    assert response.json()["error"] == "invalid_grant"
    assert "expired" in response.json()["error_description"]


def test_wrong_redirect_uri_is_refused_at_authorize_and_at_token(app: RunningApp, browser: Browser) -> None:
    client = register(app)
    verifier, challenge = pkce()
    bad = browser.http.get(authorize_url(app, client["client_id"], challenge, redirect_uri="https://evil.example/cb"))
    assert bad.status_code == 400
    assert "location" not in bad.headers  # never redirect to an unregistered URI
    browser.open_authorize(authorize_url(app, client["client_id"], challenge))
    params = callback_params(browser.submit(api_key=VALID_KEY))
    response = exchange_code(
        app, client["client_id"], params["code"], verifier, redirect_uri="http://127.0.0.1:33418/other"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_unknown_client_and_mismatched_resource_fail(app: RunningApp, browser: Browser) -> None:
    _, challenge = pkce()
    unknown = browser.http.get(authorize_url(app, "no-such-client", challenge))
    assert unknown.status_code == 400
    assert "client" in unknown.text.lower()
    client = register(app)
    wrong = browser.http.get(authorize_url(app, client["client_id"], challenge, resource="https://other.example/mcp"))
    params = callback_params(wrong)
    assert params["error"] == "invalid_target"
    assert params["state"] == "xyz-state"
    unknown_token = token(app, grant_type="refresh_token", refresh_token="mmrt_nope", client_id="no-such-client")
    assert unknown_token.status_code == 401
    assert unknown_token.json()["error"] == "invalid_client"


def test_deny_redirects_with_access_denied_state_and_issuer(app: RunningApp, browser: Browser) -> None:
    client = register(app)
    _, challenge = pkce()
    browser.open_authorize(authorize_url(app, client["client_id"], challenge))
    params = callback_params(browser.submit(decision="deny"))
    assert params == {
        "error": "access_denied",
        "error_description": "The user denied access.",
        "state": "xyz-state",
        "iss": app.url,
    }


def test_wrong_key_on_consent_page_is_a_human_error_and_not_echoed(
    app: RunningApp, browser: Browser, fake_mistral: FakeMistral
) -> None:
    client = register(app)
    _, challenge = pkce()
    browser.open_authorize(authorize_url(app, client["client_id"], challenge))
    response = browser.submit(api_key="sk-wrong-key-123")
    assert response.status_code == 400
    assert "Mistral rejected this API key" in response.text
    assert "sk-wrong-key-123" not in response.text
    cross_site = browser.http.post(
        "/oauth/consent",
        data={"request": browser.request_id, "decision": "approve", "api_key": VALID_KEY},
        headers={"sec-fetch-site": "cross-site"},
    )
    assert cross_site.status_code == 403


def test_existing_connection_can_sign_in_and_revoking_it_kills_oauth_tokens(app: RunningApp, browser: Browser) -> None:
    conn = app.sign_up()
    _, tokens = obtain_tokens(app, browser, connection_token=conn["mcp_url"])
    assert mcp_status(app, tokens["access_token"]) == 200
    httpx.delete(f"{app.url}/api/connection", headers={"authorization": f"Bearer {conn['token']}"})
    assert mcp_status(app, tokens["access_token"]) == 401


def test_rotating_the_url_ends_the_oauth_grants_made_with_it(app: RunningApp, browser: Browser) -> None:
    # Whoever held a leaked URL could have turned it into OAuth tokens; rotating must shut them out too.
    conn = app.sign_up()
    client, tokens = obtain_tokens(app, browser, connection_token=conn["mcp_url"])
    assert mcp_status(app, tokens["access_token"]) == 200
    rotated = httpx.post(f"{app.url}/api/connection/rotate", headers={"authorization": f"Bearer {conn['token']}"})
    assert rotated.status_code == 200
    assert mcp_status(app, tokens["access_token"]) == 401
    refresh = token(
        app, grant_type="refresh_token", refresh_token=tokens["refresh_token"], client_id=client["client_id"]
    )
    assert refresh.status_code == 400
    assert refresh.json()["error"] == "invalid_grant"
    assert httpx.post(rotated.json()["mcp_url"], json={}).status_code != 401  # the new URL works


def test_a_registered_client_secret_is_sealed_at_rest_and_still_checked(app: RunningApp, browser: Browser) -> None:
    client = register(app, auth_method="client_secret_post")
    secret = client["client_secret"]
    stored = asyncio.run(dump_database(app.settings.database_url))
    assert client["client_id"].encode() in stored  # the dump holds the client's row...
    assert secret.encode() not in stored  # ...but not its secret
    verifier, challenge = pkce()
    browser.open_authorize(authorize_url(app, client["client_id"], challenge))
    code = callback_params(browser.submit(api_key=VALID_KEY))["code"]
    exchange = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    exchange |= {"client_id": client["client_id"], "code_verifier": verifier}
    wrong = token(app, **exchange, client_secret="not-" + secret)
    assert wrong.status_code == 401, wrong.text
    assert secret not in wrong.text
    right = token(app, **exchange, client_secret=secret)
    assert right.status_code == 200, right.text
    assert mcp_status(app, right.json()["access_token"]) == 200


def test_keys_typed_on_the_consent_page_count_against_the_key_check_limit(
    app_factory: Callable[..., RunningApp], fake_mistral: FakeMistral
) -> None:
    limited = app_factory(signup_rate_limit=Rate(2, 60.0))
    browser = Browser(limited)
    _, challenge = pkce()
    browser.open_authorize(authorize_url(limited, register(limited)["client_id"], challenge))
    answers = [browser.submit(api_key="sk-guess") for _ in range(3)]
    assert [a.status_code for a in answers] == [400, 400, 429]
    assert "Too many sign-up or key-change attempts" in answers[2].text
    assert len(fake_mistral.requests_to("GET", "/v1/models")) == 2


def test_revocation_endpoint_revokes_the_family(app: RunningApp, browser: Browser) -> None:
    client, tokens = obtain_tokens(app, browser)
    response = httpx.post(
        f"{app.url}/revoke", data={"token": tokens["refresh_token"], "client_id": client["client_id"]}
    )
    assert response.status_code == 200
    assert mcp_status(app, tokens["access_token"]) == 401


def test_a_confidential_client_revokes_with_basic_credentials_and_a_wrong_secret_is_refused(
    app: RunningApp, browser: Browser
) -> None:
    client = register(app, auth_method="client_secret_basic")
    verifier, challenge = pkce()
    browser.open_authorize(authorize_url(app, client["client_id"], challenge))
    code = callback_params(browser.submit(api_key=VALID_KEY))["code"]
    basic = httpx.BasicAuth(client["client_id"], client["client_secret"])
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier}
    form["client_id"] = client["client_id"]  # the SDK's token endpoint wants it in the form as well
    tokens = httpx.post(f"{app.url}/token", data=form, auth=basic).json()
    revoke = f"{app.url}/revoke"
    for wrong in ("not-the-secret", "\u00e9t\u00e9"):  # a non-ASCII secret is refused, not a crash
        refused = httpx.post(revoke, data={"token": tokens["refresh_token"]}, auth=(client["client_id"], wrong))
        assert refused.status_code == 401, refused.text
    assert mcp_status(app, tokens["access_token"]) == 200
    assert httpx.post(revoke, data={"token": tokens["refresh_token"]}, auth=basic).status_code == 200
    assert mcp_status(app, tokens["access_token"]) == 401


def test_the_revocation_endpoint_does_not_buffer_a_huge_body(app: RunningApp) -> None:
    def chunks() -> Iterator[bytes]:  # chunked, no Content-Length to refuse up front
        yield b"token=x&client_id=y"
        for n in range(100):
            yield f"&f{n}=".encode() + b"a" * 100_000

    response = httpx.post(
        f"{app.url}/revoke", content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 413
    assert response.json()["error"] == "invalid_request"


def test_client_id_metadata_document_is_fetched_only_when_allowed(
    app_factory: Callable[..., RunningApp], app: RunningApp
) -> None:
    document_server = ServerThread()
    client_id = f"{document_server.url}/client.json"

    async def document(_request: object) -> JSONResponse:
        return JSONResponse({"client_id": client_id, "client_name": "Metadata Doc Client", "redirect_uris": [REDIRECT]})

    async def cleartext_redirect(_request: object) -> JSONResponse:
        # Registration refuses plain http off loopback (codes would travel in clear); so must this.
        body = {"client_id": f"{document_server.url}/cleartext.json", "redirect_uris": ["http://app.example/cb"]}
        return JSONResponse(body)

    document_server.start(
        Starlette(routes=[Route("/client.json", document), Route("/cleartext.json", cleartext_redirect)])
    )
    try:
        allowed = app_factory(oauth_cimd_allow_loopback=True)
        b = Browser(allowed)
        _, challenge = pkce()
        b.open_authorize(authorize_url(allowed, client_id, challenge))
        assert "Metadata Doc Client" in b.consent_html
        refused = httpx.get(authorize_url(app, client_id, challenge))
        assert refused.status_code == 400
        cleartext = f"{document_server.url}/cleartext.json"
        unsafe = httpx.get(authorize_url(allowed, cleartext, challenge, redirect_uri="http://app.example/cb"))
        assert unsafe.status_code == 400
        assert "code=" not in unsafe.headers.get("location", "")
        b.http.close()
    finally:
        document_server.stop()
