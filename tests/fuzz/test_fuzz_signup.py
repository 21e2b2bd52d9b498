"""Property-based fuzzing of sign-up and connection management: bodies, tokens and headers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import RunningApp
from tests.fake_mistral import FakeMistral
from tests.fuzz.conftest import FUZZ, assert_clean_answer, header_text, json_values

CONTENT_TYPES = st.sampled_from(
    ["application/json", "application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"]
) | header_text.filter(bool)
KEYS = st.sampled_from(["sk-test-valid", "", " ", "sk-" + "a" * 300]) | st.text(max_size=40) | json_values


@pytest.fixture(scope="module")
def http(fuzz_app: RunningApp) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fuzz_app.url, timeout=30) as client:
        yield client


def _body(raw: Any) -> dict[str, Any]:
    return {"content": raw} if isinstance(raw, bytes) else {"json": raw}


@pytest.mark.usefixtures("quiet_log")
@FUZZ
@given(
    raw=st.binary(max_size=200)
    | json_values
    | st.fixed_dictionaries({"api_key": KEYS}, optional={"extra": json_values}),
    content_type=CONTENT_TYPES,
)
def test_any_sign_up_body_creates_a_connection_or_gets_our_error_shape(
    http: httpx.Client, fake_mistral: FakeMistral, raw: Any, content_type: str
) -> None:
    response = http.post("/api/connections", headers={"content-type": content_type}, **_body(raw))
    assert_clean_answer(response)
    if response.status_code == 201:
        assert response.json()["token"].startswith("mmcp_")
    else:
        assert 400 <= response.status_code < 500


@pytest.mark.usefixtures("quiet_log")
@FUZZ
@given(
    method_path=st.sampled_from(
        [
            ("GET", "/api/connection"),
            ("DELETE", "/api/connection"),
            ("POST", "/api/connection/rotate"),
            ("PUT", "/api/connection/key"),
        ]
    ),
    authorization=header_text | st.from_regex(r"Bearer mmcp_[A-Za-z0-9_-]{43}", fullmatch=True),
    raw=st.binary(max_size=100) | json_values,
)
def test_management_with_any_credentials_is_refused_in_our_error_shape(
    http: httpx.Client, fake_mistral: FakeMistral, method_path: tuple[str, str], authorization: str, raw: Any
) -> None:
    method, path = method_path
    response = http.request(method, path, headers={"authorization": authorization}, **_body(raw))
    assert_clean_answer(response)
    assert response.status_code == 401, response.text


@pytest.mark.usefixtures("quiet_log")
@FUZZ
@given(raw=st.binary(max_size=200) | json_values, content_type=CONTENT_TYPES)
def test_replacing_the_key_with_any_body_keeps_the_connection_usable(
    http: httpx.Client, fuzz_app: RunningApp, fake_mistral: FakeMistral, raw: Any, content_type: str
) -> None:
    token = _owned_token(fuzz_app)
    response = http.put(
        "/api/connection/key", headers={"authorization": f"Bearer {token}", "content-type": content_type}, **_body(raw)
    )
    assert_clean_answer(response)
    assert http.get("/api/connection", headers={"authorization": f"Bearer {token}"}).status_code == 200


@pytest.mark.usefixtures("quiet_log")
@FUZZ
@given(
    raw=st.binary(max_size=200) | st.text(max_size=200).map(str.encode),
    content_type=CONTENT_TYPES,
    origin=st.none() | st.sampled_from(["null", "https://evil.example"]) | header_text,
)
def test_any_sign_up_form_post_gets_a_page_never_a_crash(
    http: httpx.Client, fake_mistral: FakeMistral, raw: bytes, content_type: str, origin: str | None
) -> None:
    headers = {"content-type": content_type, **({"origin": origin} if origin else {})}
    response = http.post("/", content=raw, headers=headers)
    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text


_TOKENS: dict[str, str] = {}


def _owned_token(app: RunningApp) -> str:
    # One connection for every example: signing up 150 times would only test sign-up again.
    if app.url not in _TOKENS:
        _TOKENS[app.url] = app.sign_up()["token"]
    return _TOKENS[app.url]
