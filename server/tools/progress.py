"""Progress notifications for one tool call: strictly increasing, and never silent for long.

MCP requires each notification's `progress` to grow. Tools report whatever they count
(chunks received, pages done); the reporter turns that into a strictly increasing sequence.
While a client waits (a progress token was sent), a keep-alive reports at least every
`KEEP_ALIVE_INTERVAL` seconds, so a slow Mistral call (OCR of a long PDF, a reasoning model
thinking before its first token) does not look dead to the client.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

import anyio

logger = logging.getLogger(__name__)

ProgressFn = Callable[[float, float | None, str | None], Awaitable[None]]

# Clients give up on silent calls; Claude expects news at least every 15 s.
KEEP_ALIVE_INTERVAL = 10.0


class ProgressReporter:
    """Wraps the transport's progress function; call it like one."""

    def __init__(self, send: ProgressFn) -> None:
        self._send = send
        self._value = 0.0
        self._started = time.monotonic()
        self._last_sent = self._started
        self._last_message: str | None = None

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self._value = max(progress, self._value + 1)
        self._last_sent = time.monotonic()
        if message is not None:
            self._last_message = message
        await self._send(self._value, total, message)

    async def keep_alive(self) -> None:
        """Run until cancelled: report when nothing was reported for a whole interval."""
        while True:
            await anyio.sleep(max(0.0, self._last_sent + KEEP_ALIVE_INTERVAL - time.monotonic()))
            if time.monotonic() - self._last_sent < KEEP_ALIVE_INTERVAL:
                continue
            waited = time.monotonic() - self._started
            message = self._last_message or f"Waiting for Mistral ({waited:.0f} s so far)…"
            try:
                await self(self._value + 1, None, message)
            except (anyio.ClosedResourceError, anyio.BrokenResourceError):
                logger.debug("client stopped listening for progress")
                return
