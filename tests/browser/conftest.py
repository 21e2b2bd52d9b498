"""Headless Chromium (Debian's package) driven by Playwright, against the real app."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.external_tools import ROOT, artifact_dir, find_chromium

# Never `playwright install`: the browser is the distribution's, and nothing is downloaded.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1200, "height": 900}}
UPDATE_DOCS_ENV = "MISTRAL_MCP_UPDATE_SCREENSHOTS"
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"


@pytest.fixture(scope="session")
def chromium() -> Path:
    return find_chromium()


@pytest.fixture
async def browser(chromium: Path) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


async def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot as a test artifact; with MISTRAL_MCP_UPDATE_SCREENSHOTS=1 also for the README."""
    path = artifact_dir("browser") / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    if os.environ.get(UPDATE_DOCS_ENV) == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SCREENSHOTS / path.name)
    return path
