"""The sign-up page over plain HTTP, as a browser without JavaScript uses it."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import httpx
import pytest

from server.http.security_headers import CSP
from server.settings.values import Rate
from tests.conftest import VALID_KEY, RunningApp
from tests.fake_mistral import FakeMistral
from tests.integration.test_signup_api import assert_error_shape
from tests.support.mcp_client import connect
from tests.support.result_page import ResultPage, sign_up_with_form

SAME_ORIGIN = {"sec-fetch-site": "same-origin"}


def assert_html_security_headers(response: httpx.Response) -> None:
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"] == CSP
    assert "frame-ancestors 'none'" in CSP and "script-src 'self'" in CSP
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"


def test_page_says_what_it_does_and_what_is_stored_using_only_its_own_assets(app: RunningApp) -> None:
    with app.http() as http:
        response = http.get("/")
    assert response.status_code == 200
    html = response.text
    assert '<label for="api_key">Mistral API key</label>' in html and 'id="api_key"' in html
    assert 'type="password"' in html and 'autocomplete="off"' in html
    assert "encrypted at rest" in html and "revoke" in html and "Never your prompts" in html
    assert 'name="viewport"' in html
    loaded = re.findall(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="([^"]+)"', html)
    assert loaded and all(url.startswith(("/static/", "data:")) for url in loaded)
    assert "<style" not in html and "style=" not in html and "<script>" not in html  # the CSP would block them
    assert_html_security_headers(response)
    assert "strict-transport-security" not in response.headers  # plain http here


def test_static_assets_are_served_with_nosniff(app: RunningApp) -> None:
    with app.http() as http:
        css, js = http.get("/static/app.css"), http.get("/static/app.js")
    assert css.status_code == js.status_code == 200
    assert css.headers["x-content-type-options"] == js.headers["x-content-type-options"] == "nosniff"
    assert "navigator.clipboard" in js.text


def test_hsts_when_the_public_url_is_https(app_factory: Callable[..., RunningApp]) -> None:
    https_app = app_factory(public_url="https://mcp.example.com")
    with https_app.http() as http:
        response = http.get("/")
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")


def test_result_page_gives_a_working_setup_for_each_client(app: RunningApp, fake_mistral: FakeMistral) -> None:
    page = sign_up_with_form(app.url, VALID_KEY)
    url, token = page.mcp_url, page.token
    assert url == f"{app.url}/mcp/{token}" and token.startswith("mmcp_")
    assert "shown only once" in page.html and "works like a password" in page.html
    assert 'data-copy="mcp-url"' in page.html

    desktop = json.loads(page.snippet("claude-desktop"))["mcpServers"]["mistral"]
    assert desktop == {"command": "npx", "args": ["-y", "mcp-remote", url]}
    assert page.snippet("claude-code") == f"claude mcp add --transport http mistral {url}"
    assert json.loads(page.snippet("cursor")) == {"mcpServers": {"mistral": {"url": url}}}
    assert json.loads(page.snippet("vscode")) == {"servers": {"mistral": {"type": "http", "url": url}}}
    vscode_header = json.loads(page.snippet("vscode-header"))
    server = vscode_header["servers"]["mistral"]
    assert server["url"] == f"{app.url}/mcp" and token not in page.snippet("vscode-header")
    assert server["headers"] == {"Authorization": "Bearer ${input:mistral-mcp-token}"}
    assert vscode_header["inputs"][0]["password"] is True
    for words in ("Settings → Connectors", "Add custom connector", "Developer mode", "Custom MCP connector"):
        assert words in page.html


@pytest.mark.anyio
async def test_both_url_forms_on_the_result_page_work_with_an_mcp_client(app: RunningApp) -> None:
    page = sign_up_with_form(app.url, VALID_KEY)
    async with connect(page.mcp_url) as client:
        assert (await client.list_tools()).tools
    async with connect(f"{app.url}/mcp", headers={"Authorization": f"Bearer {page.token}"}) as client:
        assert (await client.list_tools()).tools


def test_wrong_key_gets_a_human_error_and_never_comes_back_in_the_page(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    with app.http() as http:
        response = http.post("/", data={"api_key": "sk-wrong-8c1f2b"}, headers=SAME_ORIGIN)
    assert response.status_code == 400
    assert 'role="alert"' in response.text and "Mistral rejected this API key" in response.text
    assert "sk-wrong-8c1f2b" not in response.text
    assert_html_security_headers(response)


@pytest.mark.parametrize(
    ("form", "status", "words"),
    [
        ({}, 422, "Paste your Mistral API key"),
        ({"api_key": "   "}, 422, "does not look like a Mistral API key"),
        ({"api_key": "sk with spaces"}, 422, "does not look like a Mistral API key"),
    ],
)
def test_malformed_keys_get_plain_words_before_any_call_to_mistral(
    app: RunningApp, fake_mistral: FakeMistral, form: dict[str, str], status: int, words: str
) -> None:
    with app.http() as http:
        response = http.post("/", data=form)
    assert response.status_code == status
    assert words in response.text and "Field 'api_key'" not in response.text
    assert fake_mistral.requests == []


def test_mistral_unreachable_is_said_plainly(app_factory: Callable[..., RunningApp]) -> None:
    unreachable = app_factory(upstream_url="http://127.0.0.1:9", upstream_max_retries=0)
    with unreachable.http() as http:
        response = http.post("/", data={"api_key": VALID_KEY})
    assert response.status_code == 502
    assert "could not reach Mistral" in response.text and "Nothing was saved" in response.text


@pytest.mark.parametrize("path", ["/", "/manage"])
@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "https://evil.example"},
        {"origin": "null"},
        {"origin": "http://127.0.0.1:99999"},  # no browser sends this; refused, not a 500
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site", "origin": "https://sub.example"},
    ],
)
def test_cross_site_form_posts_are_refused_before_anything_happens(
    app: RunningApp, fake_mistral: FakeMistral, path: str, headers: dict[str, str]
) -> None:
    token = app.sign_up()["token"]
    with app.http() as http:
        response = http.post(
            path, data={"api_key": VALID_KEY, "token": token, "action": "revoke", "confirm": "yes"}, headers=headers
        )
        still_there = http.get("/api/connection", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert "can only be sent from this site" in response.text
    assert_html_security_headers(response)
    assert still_there.status_code == 200
    assert len(fake_mistral.requests_to("GET", "/v1/models")) == 1  # only the sign-up above


def test_same_origin_posts_are_accepted(app: RunningApp) -> None:
    with app.http() as http:
        response = http.post("/", data={"api_key": VALID_KEY}, headers={"origin": app.url, **SAME_ORIGIN})
    assert response.status_code == 201
    assert ResultPage(response.text).mcp_url.startswith(app.url)


def test_too_many_signups_from_one_address_get_429_on_page_and_api(
    app_factory: Callable[..., RunningApp], fake_mistral: FakeMistral
) -> None:
    limited = app_factory(signup_rate_limit=Rate(2, 60.0))
    with limited.http() as http:
        first = http.post("/", data={"api_key": "sk-wrong"})
        second = http.post("/api/connections", json={"api_key": VALID_KEY})
        page = http.post("/", data={"api_key": VALID_KEY})
        api = http.post("/api/connections", json={"api_key": VALID_KEY})
    assert (first.status_code, second.status_code) == (400, 201)
    assert page.status_code == api.status_code == 429
    assert "Too many sign-up or key-change attempts" in page.text and 'role="alert"' in page.text
    assert 0 < int(page.headers["retry-after"]) <= 60 and 0 < int(api.headers["retry-after"]) <= 60
    assert_error_shape(api.json(), "rate_limited")
    assert len(fake_mistral.requests_to("GET", "/v1/models")) == 2  # refused attempts never reach Mistral
