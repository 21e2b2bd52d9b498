"""Choosing tools and limits in headless Chromium: at sign-up, then on the manage page, on a phone."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from server.tools import build_registry
from tests.browser.conftest import PHONE, screenshot
from tests.browser.pages import has_no_horizontal_scroll, unexpected, watch_errors
from tests.conftest import VALID_KEY, RunningApp
from tests.fake_mistral import FakeMistral
from tests.support.mcp_client import MODERN, connect

pytestmark = [pytest.mark.clients, pytest.mark.anyio]

SPECS = {spec.name: spec for spec in build_registry()}


def tools_of(*families: str) -> set[str]:
    return {name for name, spec in SPECS.items() if spec.family in families}


async def test_signing_up_with_chosen_families_lists_only_their_tools(
    app: RunningApp, fake_mistral: FakeMistral, browser: Any
) -> None:
    page = await (await browser.new_context(**PHONE)).new_page()
    errors = watch_errors(page)
    with anyio.fail_after(30):
        await page.goto(f"{app.url}/")
        assert await page.get_by_label("Core (recommended)").is_checked()  # the default
        await page.get_by_label("Mistral API key").fill(VALID_KEY)
        await page.get_by_role("checkbox", name="Embeddings").check()
        # app.js chooses "custom" for whoever ticks a family; without it the radio is one more tap.
        assert await page.get_by_label("Only the families I tick").is_checked()
        await page.get_by_role("checkbox", name="OCR, files and document libraries").check()
        assert await has_no_horizontal_scroll(page)
        await screenshot(page, "signup-profile")
        async with page.expect_navigation():
            await page.get_by_role("button", name="Create my MCP URL").click()
        mcp_url = (await page.locator("#mcp-url").text_content() or "").strip()
    assert unexpected(errors) == []

    async with connect(mcp_url, MODERN) as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
    assert listed == tools_of("embeddings", "documents")


async def test_the_manage_page_changes_tools_and_limits_on_the_same_url(app: RunningApp, browser: Any) -> None:
    conn = app.sign_up(profile=None)
    page = await (await browser.new_context(**PHONE)).new_page()
    errors = watch_errors(page)
    with anyio.fail_after(30):
        await page.goto(f"{app.url}/manage")
        await page.get_by_label("Your MCP URL or token").fill(conn["mcp_url"])
        async with page.expect_navigation():
            await page.get_by_role("button", name="Show my connection").click()
        assert (await page.locator("#profile-summary").text_content() or "").startswith("core")

        await page.get_by_label("Everything").check()
        await page.get_by_label("Read-only").check()
        await page.get_by_label("Allowed models").fill("mistral-small-latest codestral-latest")
        await page.get_by_label("Calls per day").fill("200")
        async with page.expect_navigation():
            await page.get_by_role("button", name="Save tools and limits").click()
        assert "saved" in (await page.locator("#notice").text_content() or "")
        assert (await page.locator("#profile-summary").text_content() or "").startswith("all")
        assert "read-only" in (await page.locator("#profile-summary").text_content() or "")
        assert await page.get_by_label("Read-only").is_checked()
        assert await page.get_by_label("Calls per day").input_value() == "200"
        assert await has_no_horizontal_scroll(page)
        await screenshot(page, "manage-policy")
    assert unexpected(errors) == []

    async with connect(conn["mcp_url"]) as client:  # the URL did not change
        listed = {tool.name for tool in (await client.list_tools()).tools}
    assert listed == {name for name, spec in SPECS.items() if spec.read_only}
    with app.http() as http:
        info = http.get("/api/connection", headers={"Authorization": f"Bearer {conn['token']}"}).json()
    assert info["allowed_models"] == ["codestral-latest", "mistral-small-latest"]
    assert (info["calls_per_day"], info["tokens_per_month"]) == (200, None)
