"""The seam where the owner's caps run: `limits.caps.admit` before the upstream call, `record` after it.

How the caps count is tested in tests/scale/test_spending_caps.py; this holds the call path to its contract
with `SpendingCaps`: what it is asked, when, and that a call the policy refuses never reaches it.
"""

from __future__ import annotations

from typing import Any

import pytest

from server.limits.calls import Refusal
from server.limits.caps import SpendingCaps
from tests.conftest import RunningApp
from tests.fake_mistral import FakeMistral
from tests.support.mcp_client import MODES, connect
from tests.support.tool_calls import text_of

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("mode", MODES)
async def test_caps_are_asked_before_the_upstream_call_and_told_the_tokens_after(
    app: RunningApp, fake_mistral: FakeMistral, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    conn = app.sign_up(calls_per_day=2, tokens_per_month=1000)
    seen: list[tuple[Any, ...]] = []

    async def admit(
        _self: SpendingCaps, connection_id: str, calls_per_day: int | None, tokens_per_month: int | None
    ) -> Refusal | None:
        seen.append(("admit", connection_id, calls_per_day, tokens_per_month))
        admitted = sum(1 for event in seen if event[0] == "admit")
        return Refusal("calls_per_day", 3600.0, "The daily cap is reached.") if admitted > 1 else None

    async def record(_self: SpendingCaps, connection_id: str, tokens: int) -> None:
        seen.append(("record", connection_id, tokens))

    monkeypatch.setattr(SpendingCaps, "admit", admit)
    monkeypatch.setattr(SpendingCaps, "record", record)
    fake_mistral.requests.clear()
    async with connect(conn["mcp_url"], mode) as client:
        first = await client.call_tool("mistral_chat", {"prompt": "hi"})
        refused = await client.call_tool("mistral_chat", {"prompt": "hi again"})
    assert not first.is_error
    assert refused.is_error and text_of(refused) == "The daily cap is reached."
    usage = first.structured_content["usage"] if first.structured_content else {}
    assert seen == [
        ("admit", conn["id"], 2, 1000),
        ("record", conn["id"], usage["prompt_tokens"] + usage["completion_tokens"]),
        ("admit", conn["id"], 2, 1000),
    ]
    assert len(fake_mistral.requests_to("POST", "/v1/chat/completions")) == 1


async def test_a_call_the_policy_refuses_never_reaches_the_caps(
    app: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = app.sign_up(profile="core", read_only=True)
    asked: list[str] = []

    async def admit(_self: SpendingCaps, connection_id: str, *_caps: int | None) -> Refusal | None:
        asked.append(connection_id)
        return None

    monkeypatch.setattr(SpendingCaps, "admit", admit)
    async with connect(conn["mcp_url"]) as client:
        assert (await client.call_tool("mistral_list_files", {})).is_error
    assert asked == []
