"""Property-based fuzzing of client registration (redirect URIs, metadata) and authorization parameters.

The property: never a 5xx; every refusal is an OAuth error (`{"error", "error_description"}`); and a
registration that is accepted never holds a redirect URI a browser would run or resolve by itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import RunningApp
from tests.fuzz.conftest import FUZZ, json_values

REDIRECT = "http://127.0.0.1:33418/callback"
BROWSER_SCHEMES = {"javascript", "vbscript", "data", "blob", "file", "filesystem", "about", "view-source"}
SCHEMES = st.sampled_from(
    [
        "https",
        "http",
        "javascript",
        "JavaScript",
        "java\tscript",
        "data",
        "file",
        "vbscript",
        "blob",
        "about",
        "cursor",
        "com.example.app",
        "vscode",
        "view-source",
        "x",
        "a+b",
        "1bad",
        "",
    ]
)
HOSTS = st.sampled_from(["127.0.0.1", "localhost", "[::1]", "app.example", "user@app.example", "", "%0a", "[::1"])
redirect_uris = st.builds(
    lambda s, sep, h, p: f"{s}:{sep}{h}{p}", SCHEMES, st.sampled_from(["//", "/", ""]), HOSTS, st.text(max_size=20)
) | st.text(max_size=60)
metadata = st.fixed_dictionaries(
    {"redirect_uris": st.lists(redirect_uris, max_size=3) | json_values},
    optional={
        "client_name": st.text(max_size=300) | json_values,
        "token_endpoint_auth_method": st.sampled_from(["none", "client_secret_post", "private_key_jwt"]) | json_values,
        "grant_types": st.lists(st.sampled_from(["authorization_code", "refresh_token", "x" * 300]), max_size=3),
        "contacts": st.lists(st.text(max_size=20), max_size=25),
        "scope": st.sampled_from(["mistral", "other", ""]),
        "extra": json_values,
    },
)


@pytest.fixture(scope="module")
def http(fuzz_app: RunningApp) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fuzz_app.url, timeout=30) as client:
        yield client


def assert_oauth_refusal(response: httpx.Response) -> None:
    assert 400 <= response.status_code < 500, response.text[:500]
    body = response.json()
    assert isinstance(body.get("error"), str) and body["error"], body
    assert isinstance(body.get("error_description"), str), body


def is_loopback_http(uri: str) -> bool:
    return urlsplit(uri).hostname in {"127.0.0.1", "localhost", "::1"}


@pytest.mark.usefixtures("quiet_log")
@FUZZ
@given(body=metadata | json_values)
def test_any_registration_is_a_client_or_an_oauth_error_and_never_a_browser_scheme(
    http: httpx.Client, body: Any
) -> None:
    response = http.post("/register", json=body)
    if response.status_code != 201:
        assert_oauth_refusal(response)
        return
    for uri in response.json().get("redirect_uris") or []:
        scheme = uri.partition(":")[0]
        assert scheme not in BROWSER_SCHEMES, uri
        assert scheme != "http" or is_loopback_http(uri), uri
        assert "@" not in urlsplit(uri).netloc, uri


@pytest.fixture(scope="module")
def client_id(http: httpx.Client) -> str:
    registered = http.post("/register", json={"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"})
    assert registered.status_code == 201
    return str(registered.json()["client_id"])


@pytest.mark.usefixtures("quiet_log")
@FUZZ
@given(
    extra=st.dictionaries(
        st.sampled_from(["state", "scope", "code_challenge", "redirect_uri", "resource", "response_type", "x"]),
        st.text(max_size=40) | st.sampled_from(["s" * 2049, "c" * 129, "javascript:alert(1)", REDIRECT]),
        max_size=4,
    ),
    method=st.sampled_from(["GET", "POST"]),
)
def test_any_authorization_request_is_a_redirect_or_an_oauth_error(
    http: httpx.Client, client_id: str, extra: dict[str, str], method: str
) -> None:
    params = {"response_type": "code", "client_id": client_id, "code_challenge": "c" * 43, **extra}
    response = http.get("/authorize", params=params) if method == "GET" else http.post("/authorize", data=params)
    if response.status_code == 302:
        location = response.headers["location"]
        consent = str(http.base_url.join("/oauth/consent"))
        assert location.startswith((REDIRECT, consent)), location
    else:
        assert_oauth_refusal(response)
