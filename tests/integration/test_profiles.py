"""Tool profiles and connection policy end to end, from the official SDK client in both eras: what
tools/list shows, what tools/call refuses (before any upstream call), and how the API changes it."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import httpx
import pytest
from sqlalchemy import text

from server.policy import CORE_TOOLS
from server.security.crypto import generate_key
from server.tools import build_registry
from storage.database import create_engine
from tests.conftest import VALID_KEY, RunningApp
from tests.fake_mistral import FakeMistral
from tests.integration.test_oauth import Browser, authorize_url, obtain_tokens, pkce, register
from tests.support.mcp_client import LEGACY, MODERN, MODES, connect
from tests.support.tool_calls import text_of

pytestmark = pytest.mark.anyio

SPECS = {spec.name: spec for spec in build_registry()}
CORE = [name for name in SPECS if name in CORE_TOOLS]
MCP_HEADERS = {"accept": "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25"}


async def connections_stored(app: RunningApp) -> int:
    engine = create_engine(app.settings.database_url)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(text("SELECT count(*) FROM connections"))).scalar_one())
    finally:
        await engine.dispose()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def tools_of(family: str) -> set[str]:
    return {name for name, spec in SPECS.items() if spec.family == family}


async def listed(url: str, mode: str = LEGACY, headers: dict[str, str] | None = None) -> list[str]:
    async with connect(url, mode, headers) as client:
        return [tool.name for tool in (await client.list_tools()).tools]


async def raw_listed(url: str) -> set[str]:
    """tools/list as one plain request: a fresh answer, whatever an SDK client would cache."""
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, headers=MCP_HEADERS)
    assert response.status_code == 200, response.text
    return {tool["name"] for tool in response.json()["result"]["tools"]}


def patch(app: RunningApp, token: str, body: dict[str, Any]) -> httpx.Response:
    with app.http() as http:
        return http.patch("/api/connection", headers=bearer(token), json=body)


def described(app: RunningApp, token: str) -> dict[str, Any]:
    with app.http() as http:
        response = http.get("/api/connection", headers=bearer(token))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("mode", MODES)
async def test_a_new_connection_lists_the_core_tools(app: RunningApp, mode: str) -> None:
    conn = app.sign_up(profile=None)
    assert await listed(conn["mcp_url"], mode) == CORE
    assert len(CORE) <= 10
    info = described(app, conn["token"])
    assert (info["profile"], info["families"], info["tools"]) == ("core", None, CORE)
    assert (info["read_only"], info["allowed_models"], info["calls_per_day"], info["tokens_per_month"]) == (
        False,
        None,
        None,
        None,
    )


async def test_the_2026_tool_list_carries_a_private_cache_hint(app: RunningApp) -> None:
    conn = app.sign_up(profile=None)
    async with connect(conn["mcp_url"], MODERN) as client:
        result = await client.list_tools()
    assert result.cache_scope == "private"
    assert result.ttl_ms == 60_000


@pytest.mark.parametrize("mode", MODES)
async def test_a_tool_outside_the_profile_is_refused_with_the_manage_page_and_no_upstream_call(
    app: RunningApp, fake_mistral: FakeMistral, mode: str
) -> None:
    conn = app.sign_up(profile=None)
    fake_mistral.requests.clear()
    async with connect(conn["mcp_url"], mode) as client:
        result = await client.call_tool("mistral_list_files", {})
    assert result.is_error
    assert "not enabled" in text_of(result) and f"{app.url}/manage" in text_of(result)
    assert fake_mistral.requests == []


async def test_families_chosen_at_sign_up_are_the_tools_listed(app: RunningApp) -> None:
    conn = app.sign_up(profile=None, families=["embeddings", "models"])
    assert set(await listed(conn["mcp_url"])) == tools_of("embeddings") | tools_of("models")
    assert described(app, conn["token"])["families"] == ["embeddings", "models"]


@pytest.mark.parametrize("mode", MODES)
async def test_changing_the_profile_keeps_the_url_and_holds_at_once(
    app: RunningApp, fake_mistral: FakeMistral, mode: str
) -> None:
    conn = app.sign_up(profile=None)
    async with connect(conn["mcp_url"], mode) as client:
        assert (await client.call_tool("mistral_list_files", {})).is_error  # the connection is cached now
    response = patch(app, conn["token"], {"families": ["documents", "completions"]})
    assert response.status_code == 200, response.text
    assert response.json()["profile"] == "custom"
    assert set(await listed(conn["mcp_url"], mode)) == tools_of("documents") | tools_of("completions")
    async with connect(conn["mcp_url"], mode) as client:
        assert not (await client.call_tool("mistral_list_files", {})).is_error
        embed = await client.call_tool("mistral_embed", {"input": "hi"})
    assert embed.is_error and "'embeddings'" in text_of(embed)
    assert fake_mistral.requests_to("POST", "/v1/embeddings") == []


@pytest.mark.parametrize("mode", MODES)
async def test_read_only_hides_and_refuses_every_tool_that_changes_something(
    app: RunningApp, fake_mistral: FakeMistral, mode: str
) -> None:
    conn = app.sign_up(read_only=True)
    shown = await listed(conn["mcp_url"], mode)
    assert "mistral_list_files" in shown and "mistral_chat" in shown
    assert all(SPECS[name].read_only for name in shown)
    fake_mistral.requests.clear()
    async with connect(conn["mcp_url"], mode) as client:
        result = await client.call_tool("mistral_delete_file", {"file_id": "00000000-0000-4000-8000-000000000000"})
    assert result.is_error and "read-only" in text_of(result) and f"{app.url}/manage" in text_of(result)
    assert fake_mistral.requests == []


@pytest.mark.parametrize("mode", MODES)
async def test_a_model_outside_the_allow_list_is_refused_naming_the_allowed_ones(
    app: RunningApp, fake_mistral: FakeMistral, mode: str
) -> None:
    conn = app.sign_up(allowed_models=["mistral-large-latest", "codestral-latest"])
    fake_mistral.requests.clear()
    async with connect(conn["mcp_url"], mode) as client:
        named = await client.call_tool("mistral_chat", {"prompt": "hi", "model": "mistral-medium-latest"})
        by_default = await client.call_tool("mistral_chat", {"prompt": "hi"})  # the tool's default model
        allowed = await client.call_tool("mistral_chat", {"prompt": "hi", "model": "mistral-large-latest"})
    for refused in (named, by_default):
        assert refused.is_error
        assert "codestral-latest, mistral-large-latest" in text_of(refused)
    assert "'mistral-medium-latest'" in text_of(named)
    assert "'mistral-small-latest'" in text_of(by_default)
    assert not allowed.is_error
    assert [r.json["model"] for r in fake_mistral.requests_to("POST", "/v1/chat/completions")] == [
        "mistral-large-latest"
    ]


async def test_batch_requests_naming_another_model_are_refused(app: RunningApp, fake_mistral: FakeMistral) -> None:
    conn = app.sign_up(allowed_models=["mistral-small-latest"])
    requests = [
        {"custom_id": "a", "body": {"model": "mistral-small-latest", "messages": [{"role": "user", "content": "x"}]}},
        {"custom_id": "b", "body": {"model": "mistral-large-latest", "messages": [{"role": "user", "content": "y"}]}},
    ]
    fake_mistral.requests.clear()
    async with connect(conn["mcp_url"]) as client:
        result = await client.call_tool(
            "mistral_create_batch_job", {"endpoint": "/v1/chat/completions", "requests": requests}
        )
    assert result.is_error and "'mistral-large-latest'" in text_of(result)
    assert fake_mistral.requests == []


async def test_the_model_list_shows_every_model_and_marks_the_allowed_ones(app: RunningApp) -> None:
    conn = app.sign_up(allowed_models=["mistral-small-latest"])
    async with connect(conn["mcp_url"]) as client:
        result = await client.call_tool("mistral_list_models", {})
    lines = text_of(result).splitlines()
    assert "[allowed]: mistral-small-latest" in lines[0]
    assert any(line.startswith("- mistral-small-latest:") and line.endswith("[allowed]") for line in lines)
    assert any(line.startswith("- mistral-large-latest:") and "[allowed]" not in line for line in lines)
    assert result.structured_content is not None
    assert result.structured_content["allowed_models"] == ["mistral-small-latest"]


async def test_the_whole_policy_is_shown_and_changed_through_the_api(app: RunningApp) -> None:
    conn = app.sign_up(profile=None)
    changes = {
        "profile": "all",
        "read_only": True,
        "allowed_models": ["mistral-small-latest"],
        "calls_per_day": 500,
        "tokens_per_month": 2_000_000,
    }
    response = patch(app, conn["token"], changes)
    assert response.status_code == 200, response.text
    info = described(app, conn["token"])
    assert {key: info[key] for key in changes} == changes
    assert info["tools"] == [name for name, spec in SPECS.items() if spec.read_only]
    # What GET shows goes back as it is; null lifts a limit; fields left out stay.
    assert patch(app, conn["token"], {key: info[key] for key in ("profile", "families", "read_only")}).is_success
    assert patch(app, conn["token"], {"calls_per_day": None}).json()["calls_per_day"] is None
    assert described(app, conn["token"])["tokens_per_month"] == 2_000_000


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"profile": "most"}, "profile"),
        ({"families": []}, "families"),
        ({"families": ["embeddings", "teleportation"]}, "families"),
        ({"profile": "custom"}, "families"),
        ({"allowed_models": []}, "allowed_models"),
        ({"calls_per_day": -1}, "calls_per_day"),
        ({"tokens_per_month": -10}, "tokens_per_month"),
    ],
)
async def test_bad_choices_are_a_422_naming_the_field_and_nothing_is_stored(
    app: RunningApp, fake_mistral: FakeMistral, body: dict[str, Any], field: str
) -> None:
    before = await connections_stored(app)
    with app.http() as http:
        created = http.post("/api/connections", json={"api_key": VALID_KEY, **body})
    assert created.status_code == 422
    assert created.json()["error"]["code"] == f"invalid_{field}"
    assert f"'{field}'" in created.json()["error"]["message"]
    assert fake_mistral.requests == []  # the key was not even sent to Mistral
    assert await connections_stored(app) == before

    conn = app.sign_up(profile=None)
    changed = patch(app, conn["token"], {"read_only": True, **body})
    assert changed.status_code == 422 and changed.json()["error"]["code"] == f"invalid_{field}"
    info = described(app, conn["token"])
    assert (info["profile"], info["read_only"]) == ("core", False)


async def test_patch_takes_only_policy_fields_and_the_connection_token(app: RunningApp) -> None:
    conn = app.sign_up()
    assert patch(app, conn["token"], {"api_key": "sk-other"}).status_code == 422
    assert patch(app, "mmcp_" + "A" * 43, {"profile": "core"}).status_code == 401


@pytest.fixture
def replicas(app_factory: Callable[..., RunningApp], database_factory: Callable[[], str]) -> tuple[RunningApp, ...]:
    shared: dict[str, Any] = {"database_url": database_factory(), "encryption_keys": (generate_key(),)}
    return app_factory(**shared), app_factory(**shared)


async def test_a_policy_change_reaches_another_replica_within_the_token_cache_window(
    replicas: tuple[RunningApp, RunningApp], fake_mistral: FakeMistral
) -> None:
    a, b = replicas
    conn = a.sign_up()
    assert "mistral_list_files" in await raw_listed(f"{b.url}/mcp/{conn['token']}")  # b remembers the connection
    assert patch(a, conn["token"], {"profile": "core"}).status_code == 200
    assert await raw_listed(conn["mcp_url"]) == set(CORE)  # at once on the replica that changed it
    with anyio.fail_after(10):  # the promise is one second; this only bounds a broken test
        while "mistral_list_files" in await raw_listed(f"{b.url}/mcp/{conn['token']}"):
            await anyio.sleep(0.05)
    fake_mistral.requests.clear()
    async with connect(f"{b.url}/mcp/{conn['token']}") as client:
        assert (await client.call_tool("mistral_list_files", {})).is_error
    assert fake_mistral.requests == []


# --- OAuth access: the same connection, so the same policy ---


@pytest.fixture
def oauth_browser(app: RunningApp) -> Iterator[Browser]:
    browser = Browser(app)
    yield browser
    browser.http.close()


@pytest.mark.parametrize("mode", MODES)
async def test_oauth_access_lists_the_tools_chosen_on_the_consent_page(
    app: RunningApp, fake_mistral: FakeMistral, oauth_browser: Browser, mode: str
) -> None:
    consent = {"api_key": VALID_KEY, "profile": "custom", "family_embeddings": "on", "family_models": "on"}
    _, tokens = obtain_tokens(app, oauth_browser, **consent)
    assert 'name="profile" value="core" checked' in oauth_browser.consent_html  # the sensible default
    access = bearer(tokens["access_token"])
    assert set(await listed(f"{app.url}/mcp", mode, access)) == tools_of("embeddings") | tools_of("models")
    fake_mistral.requests.clear()
    async with connect(f"{app.url}/mcp", mode, access) as client:
        result = await client.call_tool("mistral_chat", {"prompt": "hi"})
    assert result.is_error and f"{app.url}/manage" in text_of(result)
    assert fake_mistral.requests == []


async def test_a_consent_with_no_family_ticked_is_refused_and_creates_nothing(
    app: RunningApp, oauth_browser: Browser
) -> None:
    client = register(app)
    _, challenge = pkce()
    oauth_browser.open_authorize(authorize_url(app, client["client_id"], challenge))
    before = await connections_stored(app)
    response = oauth_browser.submit(api_key=VALID_KEY, profile="custom")
    assert response.status_code == 422
    assert "Tick at least one tool family" in response.text
    assert await connections_stored(app) == before


@pytest.mark.parametrize("mode", MODES)
async def test_a_policy_change_holds_for_oauth_access_at_once(
    app: RunningApp, fake_mistral: FakeMistral, oauth_browser: Browser, mode: str
) -> None:
    conn = app.sign_up()
    _, tokens = obtain_tokens(app, oauth_browser, connection_token=conn["mcp_url"])
    access = bearer(tokens["access_token"])
    assert "mistral_delete_file" in await listed(f"{app.url}/mcp", mode, access)  # cached now
    assert patch(app, conn["token"], {"read_only": True, "allowed_models": ["codestral-latest"]}).is_success
    shown = await listed(f"{app.url}/mcp", mode, access)
    assert "mistral_delete_file" not in shown and "mistral_code_complete" in shown
    fake_mistral.requests.clear()
    async with connect(f"{app.url}/mcp", mode, access) as client:
        chat = await client.call_tool("mistral_chat", {"prompt": "hi"})
        fim = await client.call_tool("mistral_code_complete", {"prompt": "def f(a, b):"})
    assert chat.is_error and "Allowed models: codestral-latest" in text_of(chat)
    assert not fim.is_error
    assert [r.path for r in fake_mistral.requests] == ["/v1/fim/completions"]


# --- the pages, as a browser without JavaScript sends them ---


async def test_the_sign_up_form_takes_a_profile_and_refuses_an_empty_choice(app: RunningApp) -> None:
    async with httpx.AsyncClient(base_url=app.url, timeout=30) as http:
        form = await http.get("/")
        assert 'name="profile" value="core" checked' in form.text
        before = await connections_stored(app)
        empty = await http.post("/", data={"api_key": VALID_KEY, "profile": "custom"})
        assert empty.status_code == 422 and "Tick at least one tool family" in empty.text
        assert VALID_KEY not in empty.text
        assert await connections_stored(app) == before
        created = await http.post("/", data={"api_key": VALID_KEY, "profile": "all"})
    assert created.status_code == 201
    url = re.search(r'id="mcp-url"[^>]*>([^<]+)<', created.text)
    assert url is not None
    assert await listed(html.unescape(url.group(1))) == list(SPECS)


async def test_a_bad_limit_on_the_manage_page_is_a_422_and_changes_nothing(app: RunningApp) -> None:
    conn = app.sign_up(profile=None)
    async with httpx.AsyncClient(base_url=app.url, timeout=30) as http:
        response = await http.post(
            "/manage",
            data={
                "token": conn["token"],
                "action": "policy",
                "profile": "all",
                "read_only": "on",
                "calls_per_day": "-5",
            },
        )
    assert response.status_code == 422
    assert "Calls per day must be a whole number of at least 1" in response.text
    info = described(app, conn["token"])
    assert (info["profile"], info["read_only"], info["calls_per_day"]) == ("core", False, None)
