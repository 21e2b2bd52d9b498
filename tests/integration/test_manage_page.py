"""The manage page over plain HTTP: find by URL or token, usage, revoke, rotate, replace the key."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import VALID_KEY, RunningApp
from tests.fake_mistral import FakeMistral
from tests.support.mcp_client import connect
from tests.support.result_page import ResultPage

pytestmark = pytest.mark.anyio

MCP_HEADERS = {"accept": "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25"}


async def manage(app: RunningApp, **form: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=app.url, timeout=30) as http:
        return await http.post("/manage", data=form)


async def mcp_status(url: str) -> int:
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, headers=MCP_HEADERS)
    return response.status_code


async def chat(url: str) -> None:
    async with connect(url) as client:
        assert not (await client.call_tool("mistral_chat", {"prompt": "hi"})).is_error


async def test_lookup_form_is_a_labelled_password_field(app: RunningApp) -> None:
    async with httpx.AsyncClient(base_url=app.url) as http:
        response = await http.get("/manage")
    assert response.status_code == 200
    assert '<label for="token">' in response.text and 'id="token" name="token" type="password"' in response.text
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("pasted", ["url", "token", "url-with-spaces"])
async def test_url_or_token_shows_status_and_usage_but_never_the_key(
    app: RunningApp, fake_mistral: FakeMistral, pasted: str
) -> None:
    conn = app.sign_up()
    await chat(conn["mcp_url"])
    value = {"url": conn["mcp_url"], "token": conn["token"], "url-with-spaces": f"  {conn['mcp_url']}/ \n"}[pasted]
    response = await manage(app, token=value, action="show")
    assert response.status_code == 200
    assert conn["id"] in response.text
    assert f"ends in <code>…{VALID_KEY[-4:]}</code>" in response.text
    assert '<dd id="calls">1</dd>' in response.text and "<code>mistral_chat</code>" in response.text
    assert "<dt>Last used</dt><dd><time" in response.text  # the call just made, not "never"
    assert VALID_KEY not in response.text


@pytest.mark.parametrize("token", ["mmcp_" + "A" * 43, "not-a-token", "", "https://elsewhere.example/mcp/x"])
async def test_unknown_tokens_get_one_plain_answer(app: RunningApp, token: str) -> None:
    response = await manage(app, token=token, action="show")
    assert response.status_code == 401
    assert "does not open any connection" in response.text


async def test_revoke_asks_for_confirmation_then_kills_the_url_and_the_key(app: RunningApp) -> None:
    conn = app.sign_up()
    unconfirmed = await manage(app, token=conn["token"], action="revoke")
    assert unconfirmed.status_code == 422 and "Tick the box" in unconfirmed.text
    assert await mcp_status(conn["mcp_url"]) == 200

    revoked = await manage(app, token=conn["token"], action="revoke", confirm="yes")
    assert revoked.status_code == 200 and "no longer works" in revoked.text
    assert await mcp_status(conn["mcp_url"]) == 401
    again = await manage(app, token=conn["token"], action="show")
    assert again.status_code == 401


async def test_rotate_shows_the_new_url_once_and_the_old_one_dies(app: RunningApp) -> None:
    conn = app.sign_up()
    response = await manage(app, token=conn["mcp_url"], action="rotate")
    assert response.status_code == 200
    page = ResultPage(response.text)
    assert page.mcp_url != conn["mcp_url"] and page.mcp_url == f"{app.url}/mcp/{page.token}"
    assert "shown only once" in response.text and page.mcp_url in page.snippet("cursor")
    assert await mcp_status(conn["mcp_url"]) == 401
    assert await mcp_status(page.mcp_url) == 200
    # The page's forms now carry the new token, so the next action works.
    follow_up = await manage(app, token=page.token, action="show")
    assert follow_up.status_code == 200 and "not yet" not in follow_up.text  # "URL rotated" has a date


async def test_replace_key_is_checked_with_mistral_and_never_echoed(app: RunningApp, fake_mistral: FakeMistral) -> None:
    conn = app.sign_up()
    rejected = await manage(app, token=conn["token"], action="replace_key", api_key="sk-wrong-77d1")
    assert rejected.status_code == 400
    assert "Mistral rejected this API key" in rejected.text and "sk-wrong-77d1" not in rejected.text
    await chat(conn["mcp_url"])
    assert fake_mistral.requests_to("POST", "/v1/chat/completions")[-1].api_key == VALID_KEY

    fake_mistral.valid_keys.add("sk-test-second")
    replaced = await manage(app, token=conn["token"], action="replace_key", api_key="sk-test-second")
    assert replaced.status_code == 200
    assert "ends in …cond" in replaced.text and "sk-test-second" not in replaced.text
    await chat(conn["mcp_url"])
    assert fake_mistral.requests_to("POST", "/v1/chat/completions")[-1].api_key == "sk-test-second"


async def test_unknown_action_is_refused_and_changes_nothing(app: RunningApp) -> None:
    conn = app.sign_up()
    response = await manage(app, token=conn["token"], action="drop_tables")
    assert response.status_code == 400
    assert await mcp_status(conn["mcp_url"]) == 200


async def test_the_page_shows_usage_as_a_chart_of_30_days_and_says_when_no_caps_are_set(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    conn = app.sign_up()
    fresh = await manage(app, token=conn["token"], action="show")
    assert 'id="usage-chart"' not in fresh.text, "no chart before the first call"
    await chat(conn["mcp_url"])
    response = await manage(app, token=conn["token"], action="show")
    assert response.text.count('<rect class="bar"') == 30
    assert "<polyline" in response.text and "Last 30 days" in response.text
    assert "No caps on this connection. Today: 1 tool call;" in response.text
