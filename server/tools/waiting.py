"""`wait_seconds` on the job tools: ask Mistral again every few seconds until the job settles.

Works in every client today: the call simply returns later, with progress notifications on the
way when the client asked for them. The wait stays well inside the tool deadline (280 s).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import anyio

from server.tools import schemas as s
from server.tools.spec import ToolCall

MAX_WAIT_SECONDS = 240
POLL_INTERVAL = 5.0

WAIT_SECONDS: s.Schema = {
    "type": "integer",
    "minimum": 0,
    "maximum": MAX_WAIT_SECONDS,
    "default": 0,
    "description": f"Wait up to this many seconds (at most {MAX_WAIT_SECONDS}) for the job to finish, checking "
    "every few seconds.",
}


Job = dict[str, Any]


async def poll(call: ToolCall, *, settled: Callable[[Job], bool], line: Callable[[Job], str]) -> Any:
    """GET the job; while it has not `settled` and `wait_seconds` have not passed, wait and GET again.

    Returns Mistral's last answer; each intermediate one is reported as progress (`line` of it).
    """
    wait = call.arguments.get("wait_seconds", 0)
    started = time.monotonic()
    while True:
        reply = await call.forward()
        waited = time.monotonic() - started
        if not isinstance(reply, dict) or settled(reply) or waited >= wait:
            return reply
        if call.progress is not None:
            await call.progress(waited, float(wait), f"{line(reply)} (waited {waited:.0f} s of {wait} s)")
        await anyio.sleep(min(POLL_INTERVAL, wait - waited))


def still_waiting(call: ToolCall, status: Any) -> str:
    """The note for a job that did not settle within the wait it was given (empty without a wait)."""
    wait = call.arguments.get("wait_seconds", 0)
    if not wait:
        return ""
    return f"\nStill {status} after waiting {wait} s: call again (with wait_seconds) to keep waiting."
