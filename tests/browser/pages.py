"""What the browser tests watch on every page: script errors and Content-Security-Policy violations."""

from __future__ import annotations

from typing import Any


def watch_errors(page: Any) -> list[str]:
    """Collect console errors and uncaught exceptions; a CSP violation shows up as a console error."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def unexpected(errors: list[str]) -> list[str]:
    # Chromium logs every 4xx page it shows ("Failed to load resource"); error pages are expected here.
    return [error for error in errors if not error.startswith("Failed to load resource")]


async def has_no_horizontal_scroll(page: Any) -> bool:
    return bool(await page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth"))
