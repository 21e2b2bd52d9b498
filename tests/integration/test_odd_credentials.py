"""Credentials in odd shapes (non-ASCII, undecodable, malformed URLs) are refused like any unknown
credential: a 4xx in the route's own error shape, never a 500 or a logged traceback.

HTTP header values arrive as Latin-1 and query strings and forms as UTF-8 (undecodable bytes become
U+FFFD), so every text a client sends as a token, code, sign-in id or pasted URL can hold characters
our own tokens never do.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import RunningApp
from tests.integration.test_oauth import REDIRECT, register

ODD = ["\xe9", "mmat_\xe9t\xe9", "\ufffd", "mmrt_" + "\xff" * 43]
MCP_HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}
LIST = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}


@pytest.fixture
def no_errors_logged(log_stream: io.StringIO) -> Iterator[None]:
    start = len(log_stream.getvalue())
    yield
    for line in log_stream.getvalue()[start:].splitlines():
        entry = json.loads(line) if line.startswith("{") else {"message": line}
        assert entry.get("level") not in {"error", "critical"}, line
        assert "exception" not in entry, line


@pytest.fixture(scope="module")
def client(app: RunningApp) -> dict[str, Any]:
    return register(app)


def latin1(value: str) -> bytes:
    return value.encode("latin-1", "replace")


@pytest.mark.usefixtures("no_errors_logged")
@pytest.mark.parametrize("credential", ODD)
def test_a_non_ascii_bearer_on_mcp_gets_401(app: RunningApp, credential: str) -> None:
    headers = {**MCP_HEADERS, "authorization": latin1(f"Bearer {credential}")}
    response = httpx.post(f"{app.url}/mcp", json=LIST, headers=headers)  # type: ignore[arg-type]
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "unauthorized"


@pytest.mark.usefixtures("no_errors_logged")
@pytest.mark.parametrize("request_id", [*ODD, "%ff"])
def test_a_non_ascii_sign_in_id_on_the_consent_page_is_an_expired_sign_in(app: RunningApp, request_id: str) -> None:
    shown = httpx.get(f"{app.url}/oauth/consent", params={"request": request_id})
    assert shown.status_code == 400, shown.text
    assert "expired" in shown.text
    sent = httpx.post(
        f"{app.url}/oauth/consent", data={"request": request_id, "decision": "approve"}, headers={"origin": app.url}
    )
    assert sent.status_code == 400, sent.text
    assert "expired" in sent.text


@pytest.mark.usefixtures("no_errors_logged")
@pytest.mark.parametrize("code", ODD)
def test_a_non_ascii_authorization_code_is_an_invalid_grant(app: RunningApp, client: dict[str, Any], code: str) -> None:
    response = httpx.post(
        f"{app.url}/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": client["client_id"],
            "code_verifier": "v" * 50,
            "redirect_uri": REDIRECT,
        },
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_grant"


@pytest.mark.usefixtures("no_errors_logged")
@pytest.mark.parametrize("refresh_token", ODD)
def test_a_non_ascii_refresh_token_is_an_invalid_grant(
    app: RunningApp, client: dict[str, Any], refresh_token: str
) -> None:
    response = httpx.post(
        f"{app.url}/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client["client_id"]},
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_grant"


@pytest.mark.usefixtures("no_errors_logged")
@pytest.mark.parametrize("token", ODD)
def test_revoking_a_non_ascii_token_is_the_usual_200(app: RunningApp, client: dict[str, Any], token: str) -> None:
    response = httpx.post(f"{app.url}/revoke", data={"token": token, "client_id": client["client_id"]})
    assert response.status_code == 200, response.text


@pytest.mark.usefixtures("no_errors_logged")
@pytest.mark.parametrize(
    "authorization",
    [b"Basic \xe9\xe9", b"Basic " + base64.b64encode(b"\xff:\xfe"), b"Basic !!!", b"Basic " + base64.b64encode(b"%zz")],
    ids=["non-ascii", "not-utf8", "not-base64", "no-colon"],
)
def test_odd_basic_credentials_on_revoke_are_an_invalid_request(app: RunningApp, authorization: bytes) -> None:
    response = httpx.post(f"{app.url}/revoke", data={"token": "x"}, headers={"authorization": authorization})  # type: ignore[dict-item]
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request"


@pytest.mark.usefixtures("no_errors_logged")
@pytest.mark.parametrize("pasted", ["http://[::1/mcp/x", "https://example.com:99999/mcp/x", "http://[zz]/mcp/"])
def test_a_malformed_url_pasted_on_the_manage_page_opens_nothing(app: RunningApp, pasted: str) -> None:
    response = httpx.post(f"{app.url}/manage", data={"token": pasted})
    assert response.status_code == 401, response.text
    assert "does not open any connection" in response.text
