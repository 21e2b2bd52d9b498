"""Sign-up over plain HTTP: POST /api/connections against the real app and the fake Mistral."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from storage.database import create_engine
from storage.models import ConnectionRow
from tests.conftest import VALID_KEY, RunningApp
from tests.fake_mistral import FakeMistral


def count_connections(database_url: str) -> int:
    async def count() -> int:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as conn:
                return int((await conn.execute(select(func.count()).select_from(ConnectionRow))).scalar_one())
        finally:
            await engine.dispose()

    return asyncio.run(count())


def assert_error_shape(body: dict, code: str | None = None) -> str:
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    if code is not None:
        assert body["error"]["code"] == code
    message: str = body["error"]["message"]
    assert message
    return message


def test_valid_key_gets_201_with_a_url_holding_the_token(app: RunningApp, fake_mistral: FakeMistral) -> None:
    with app.http() as http:
        response = http.post("/api/connections", json={"api_key": VALID_KEY})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "token", "mcp_url", "created_at"}
    assert body["mcp_url"] == f"{app.settings.public_url}/mcp/{body['token']}"
    assert body["token"].startswith("mmcp_")
    assert response.headers["cache-control"] == "no-store"
    checks = fake_mistral.requests_to("GET", "/v1/models")
    assert [r.api_key for r in checks] == [VALID_KEY]


def test_public_url_setting_prefixes_the_mcp_url(
    app_factory: Callable[..., RunningApp], fake_mistral: FakeMistral
) -> None:
    custom = app_factory(public_url="https://mcp.example.com")
    body = custom.sign_up()
    assert body["mcp_url"].startswith("https://mcp.example.com/mcp/mmcp_")


def test_rejected_key_gets_4xx_saying_so_and_stores_nothing(app: RunningApp, fake_mistral: FakeMistral) -> None:
    before = count_connections(app.settings.database_url)
    with app.http() as http:
        response = http.post("/api/connections", json={"api_key": "sk-wrong"})
    assert response.status_code == 400
    message = assert_error_shape(response.json(), "api_key_rejected")
    assert "rejected" in message
    assert "sk-wrong" not in response.text
    assert count_connections(app.settings.database_url) == before


def test_mistral_unreachable_gets_502_and_stores_nothing(app_factory: Callable[..., RunningApp]) -> None:
    unreachable = app_factory(upstream_url="http://127.0.0.1:9", upstream_max_retries=0)
    with unreachable.http() as http:
        response = http.post("/api/connections", json={"api_key": VALID_KEY})
    assert response.status_code in {502, 503}
    assert "try again" in assert_error_shape(response.json(), "mistral_unreachable")
    assert count_connections(unreachable.settings.database_url) == 0


def test_mistral_5xx_storm_gets_502(app: RunningApp, fake_mistral: FakeMistral) -> None:
    fake_mistral.fail_next("/v1/models", status=503, times=5)
    with app.http() as http:
        response = http.post("/api/connections", json={"api_key": VALID_KEY})
    assert response.status_code == 502
    assert_error_shape(response.json(), "mistral_unreachable")


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 422),
        ({"api_key": ""}, 422),
        ({"api_key": "   "}, 422),
        ({"api_key": 12345}, 422),
        ({"api_key": None}, 422),
        ({"api_key": ["sk"]}, 422),
        ({"api_key": "x" * 5000}, 422),
        ({"api_key": "sk with spaces"}, 422),
        ({"api_key": VALID_KEY, "extra": 1}, 422),
        ([VALID_KEY], 422),
        ("just a string", 422),
    ],
)
def test_bad_bodies_get_clear_errors_and_never_reach_mistral(
    app: RunningApp, fake_mistral: FakeMistral, body: object, status: int
) -> None:
    with app.http() as http:
        response = http.post("/api/connections", json=body)
    assert response.status_code == status
    assert_error_shape(response.json())
    assert fake_mistral.requests == []


def test_body_that_is_not_json_gets_400(app: RunningApp, fake_mistral: FakeMistral) -> None:
    with app.http() as http:
        response = http.post("/api/connections", content=b"api_key=sk", headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert_error_shape(response.json(), "invalid_json")


def test_oversized_body_gets_413_before_parsing(app: RunningApp, fake_mistral: FakeMistral) -> None:
    with app.http() as http:
        response = http.post("/api/connections", content=b'{"api_key": "' + b"x" * 200_000 + b'"}')
        chunked = http.post("/api/connections", content=iter([b'{"api_key": "', b"x" * 100_000, b'"}']))
    assert response.status_code == 413
    assert chunked.status_code == 413
    assert_error_shape(response.json(), "payload_too_large")
    assert fake_mistral.requests == []


def test_unknown_paths_and_methods_use_the_same_error_shape(app: RunningApp) -> None:
    with app.http() as http:
        missing = http.get("/nope")
        wrong_method = http.get("/api/connections")
    assert missing.status_code == 404
    assert_error_shape(missing.json(), "not_found")
    assert wrong_method.status_code == 405
    assert_error_shape(wrong_method.json(), "method_not_allowed")


def test_health_and_readiness(app: RunningApp) -> None:
    with app.http() as http:
        assert http.get("/healthz").json() == {"status": "ok"}
        assert http.get("/readyz").json() == {"status": "ready"}
