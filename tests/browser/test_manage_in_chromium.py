"""The manage page in headless Chromium: usage, revoke, rotate."""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest

from tests.browser.conftest import PHONE, screenshot
from tests.browser.pages import has_no_horizontal_scroll, unexpected, watch_errors
from tests.conftest import RunningApp
from tests.fake_mistral import FakeMistral
from tests.support.mcp_client import connect

pytestmark = [pytest.mark.clients, pytest.mark.anyio]

MCP_HEADERS = {"accept": "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25"}
LIST_TOOLS = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}


async def status_of(url: str) -> int:
    async with httpx.AsyncClient() as http:
        return (await http.post(url, json=LIST_TOOLS, headers=MCP_HEADERS)).status_code


async def open_connection(browser: Any, app: RunningApp, pasted: str) -> Any:
    page = await (await browser.new_context(**PHONE)).new_page()
    await page.goto(f"{app.url}/manage")
    await page.get_by_label("Your MCP URL or token").fill(pasted)
    async with page.expect_navigation():
        await page.get_by_role("button", name="Show my connection").click()
    return page


async def test_manage_page_shows_usage_then_revokes_the_url(
    app: RunningApp, fake_mistral: FakeMistral, browser: Any
) -> None:
    conn = app.sign_up()
    async with connect(conn["mcp_url"]) as client:
        await client.call_tool("mistral_chat", {"prompt": "hi"})

    with anyio.fail_after(30):
        page = await open_connection(browser, app, conn["mcp_url"])
        errors = watch_errors(page)
        assert (await page.locator("#calls").text_content()) == "1"
        assert "mistral_chat" in (await page.locator("#usage").text_content() or "")
        assert await has_no_horizontal_scroll(page)
        await screenshot(page, "manage")

        # The browser itself refuses to send the revoke form until the box is ticked.
        await page.get_by_role("button", name="Revoke this URL").click()
        assert await page.locator("input[name=confirm]").evaluate("box => box.validity.valueMissing")
        await page.get_by_label("I understand").check()
        async with page.expect_navigation():
            await page.get_by_role("button", name="Revoke this URL").click()
        assert await page.get_by_role("heading", level=1).text_content() == "Revoked"
        await screenshot(page, "manage-revoked")
    assert unexpected(errors) == []
    assert await status_of(conn["mcp_url"]) == 401


async def test_rotating_shows_a_new_working_url_and_kills_the_old(app: RunningApp, browser: Any) -> None:
    conn = app.sign_up()
    with anyio.fail_after(30):
        page = await open_connection(browser, app, conn["token"])  # the bare token works as well as the URL
        async with page.expect_navigation():
            await page.get_by_role("button", name="Rotate the URL").click()
        new_url = (await page.locator("#mcp-url").text_content() or "").strip()
        await screenshot(page, "manage-rotated")
    assert new_url.startswith(f"{app.url}/mcp/mmcp_") and new_url != conn["mcp_url"]
    async with connect(new_url) as client:
        assert (await client.list_tools()).tools
    assert await status_of(conn["mcp_url"]) == 401
