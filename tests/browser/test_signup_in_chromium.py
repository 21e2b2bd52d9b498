"""Sign up in headless Chromium, on a phone-sized and a desktop screen, then use the URL for real."""

from __future__ import annotations

import secrets
from typing import Any

import anyio
import pytest

from tests.browser.conftest import DESKTOP, PHONE, screenshot
from tests.browser.pages import has_no_horizontal_scroll, unexpected, watch_errors
from tests.conftest import VALID_KEY, RunningApp
from tests.fake_mistral import FakeMistral
from tests.support.mcp_client import MODERN, connect

pytestmark = [pytest.mark.clients, pytest.mark.anyio]

DEVICES = {"phone": PHONE, "desktop": DESKTOP}
URL_SNIPPETS = ("claude-desktop", "claude-code", "cursor", "vscode")


@pytest.mark.parametrize("device", DEVICES)
async def test_signup_shows_a_url_once_that_works_with_the_mcp_sdk(
    app: RunningApp, fake_mistral: FakeMistral, browser: Any, device: str
) -> None:
    context = await browser.new_context(**DEVICES[device])
    await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app.url)
    page = await context.new_page()
    errors = watch_errors(page)
    with anyio.fail_after(30):
        await page.goto(f"{app.url}/")
        assert await has_no_horizontal_scroll(page)
        await screenshot(page, f"signup-{device}")

        await page.get_by_label("Mistral API key").fill(VALID_KEY)
        async with page.expect_navigation():
            await page.get_by_role("button", name="Create my MCP URL").click()
        mcp_url = (await page.locator("#mcp-url").text_content() or "").strip()
        assert mcp_url.startswith(f"{app.url}/mcp/mmcp_")
        assert "shown only once" in (await page.get_by_role("note").text_content() or "")
        assert await has_no_horizontal_scroll(page)

        await page.get_by_role("button", name="Copy URL").click()
        assert await page.evaluate("navigator.clipboard.readText()") == mcp_url
        for client in URL_SNIPPETS:
            assert mcp_url in (await page.locator(f"#setup-{client}").text_content() or "")
        await page.locator("#client-cursor summary").click()
        await screenshot(page, f"result-{device}")
    assert unexpected(errors) == []

    async with connect(mcp_url, MODERN) as client:
        tools = {tool.name for tool in (await client.list_tools()).tools}
        result = await client.call_tool("mistral_chat", {"prompt": "hello"})
    assert "mistral_chat" in tools
    assert not result.is_error
    assert [r.api_key for r in fake_mistral.requests_to("POST", "/v1/chat/completions")] == [VALID_KEY]


async def test_wrong_key_gets_a_human_error_and_the_key_is_never_echoed(
    app: RunningApp, fake_mistral: FakeMistral, browser: Any
) -> None:
    wrong_key = "sk-wrong-" + secrets.token_hex(8)
    page = await (await browser.new_context(**PHONE)).new_page()
    errors = watch_errors(page)
    with anyio.fail_after(30):
        await page.goto(f"{app.url}/")
        await page.get_by_label("Mistral API key").fill(wrong_key)
        async with page.expect_navigation():
            await page.get_by_role("button", name="Create my MCP URL").click()
        message = await page.get_by_role("alert").text_content() or ""
        html = await page.content()
        typed_back = await page.get_by_label("Mistral API key").input_value()
        await screenshot(page, "signup-error")
    assert "Mistral rejected this API key" in message
    assert wrong_key not in html
    assert typed_back == ""
    assert unexpected(errors) == []
    assert [r.api_key for r in fake_mistral.requests_to("GET", "/v1/models")] == [wrong_key]


async def test_keyboard_alone_signs_up_with_javascript_off(app: RunningApp, browser: Any) -> None:
    page = await (await browser.new_context(java_script_enabled=False, **PHONE)).new_page()
    with anyio.fail_after(30):
        await page.goto(f"{app.url}/")
        for _ in range(8):  # skip link, site name, manage link, then the key field
            await page.keyboard.press("Tab")
            if await page.evaluate("document.activeElement.id") == "api_key":
                break
        else:
            pytest.fail("Tab never reached the key field")
        await page.keyboard.type(VALID_KEY)
        async with page.expect_navigation():
            await page.keyboard.press("Enter")
        mcp_url = (await page.locator("#mcp-url").text_content() or "").strip()
        copy_buttons_hidden = await page.get_by_role("button", name="Copy URL").is_hidden()
    assert mcp_url.startswith(f"{app.url}/mcp/mmcp_")
    assert copy_buttons_hidden  # without JavaScript there is nothing to click; the URL is selectable text
