"""The manage page in headless Chromium: usage (table, chart, caps), revoke, rotate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import httpx
import pytest

from storage.database import create_engine
from storage.repository import ConnectionRepository, UsageDelta
from tests.browser.conftest import PHONE, screenshot
from tests.browser.pages import has_no_horizontal_scroll, unexpected, watch_errors
from tests.conftest import RunningApp
from tests.fake_mistral import FakeMistral
from tests.support.caps import set_caps
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


async def write_history(app: RunningApp, connection_id: str) -> None:
    """29 earlier days of usage, as the usage flushes would have written them, one tool with a long name."""
    engine = create_engine(app.settings.database_url)
    try:
        now = datetime.now(UTC)
        await ConnectionRepository(engine).add_usage(
            UsageDelta(
                connection_id,
                "mistral_create_fine_tuning_job" if back % 7 == 0 else "mistral_chat",
                3 + (back * 7) % 11,
                back % 3 == 0,
                1200 * (1 + (back * 5) % 9),
                40_000 if back == 12 else 800,
                now - timedelta(days=back),
                (now - timedelta(days=back)).date(),
            )
            for back in range(1, 30)
        )
    finally:
        await engine.dispose()


@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_manage_page_draws_30_days_of_usage_and_each_cap_as_a_bar_within_a_phones_width(
    app: RunningApp, fake_mistral: FakeMistral, browser: Any, scheme: str
) -> None:
    conn = app.sign_up()
    set_caps(app.url, conn["token"], calls_per_day=4, tokens_per_month=100_000)
    async with connect(conn["mcp_url"]) as client:
        for _ in range(3):
            assert not (await client.call_tool("mistral_chat", {"prompt": "hi"})).is_error
    await write_history(app, conn["id"])

    with anyio.fail_after(30):
        page = await (await browser.new_context(**PHONE, color_scheme=scheme)).new_page()
        errors = watch_errors(page)
        await page.goto(f"{app.url}/manage")
        await page.get_by_label("Your MCP URL or token").fill(conn["mcp_url"])
        async with page.expect_navigation():
            await page.get_by_role("button", name="Show my connection").click()

        chart = page.locator("#usage-chart")
        assert await chart.locator("svg.bars rect.bar").count() == 30
        points = await chart.locator("svg.line polyline").get_attribute("points") or ""
        assert len(points.split()) == 30
        assert await chart.get_by_role("img").count() == 2
        calls_bar = page.locator("#cap-calls-per-day svg.cap-bar rect.used")
        assert await calls_bar.get_attribute("width") == "75"  # 3 of 4 calls today
        assert "3</strong> of 4" in (await page.locator("#cap-calls-per-day").inner_html())
        # The pictures are coloured by the stylesheet (the CSP allows no inline style), in either scheme.
        bar_fill = await chart.locator("rect.bar").first.evaluate("bar => getComputedStyle(bar).fill")
        accent = await page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--accent')")
        assert bar_fill == "rgb(250, 82, 15)" and accent.strip() == "#fa520f"
        box = await chart.locator("svg.bars").bounding_box()
        assert box is not None and box["width"] > 300, "the chart spans the card on a phone"

        assert await has_no_horizontal_scroll(page)
        table_fits = "region => region.scrollWidth <= region.clientWidth"
        assert await page.locator(".table-scroll").evaluate(table_fits), "the usage table's last column is visible"
        await page.locator("#usage").scroll_into_view_if_needed()
        await screenshot(page, "manage-usage" if scheme == "light" else "manage-usage-dark")
    assert unexpected(errors) == []
