"""Usage per connection: calls per tool and Mistral's `usage` tokens add up in GET /api/connection."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import RunningApp
from tests.fake_mistral import FakeMistral
from tests.scale.support import call_tool

pytestmark = pytest.mark.anyio


async def test_tokens_from_mistrals_usage_accumulate_per_tool(app: RunningApp, fake_mistral: FakeMistral) -> None:
    created = app.sign_up()
    url = created["mcp_url"]
    chats = [await call_tool(url, "mistral_chat", {"prompt": prompt}) for prompt in ("one", "two words here")]
    embed = await call_tool(url, "mistral_embed", {"input": ["alpha", "beta gamma"]})
    failed = await call_tool(url, "mistral_chat", {"prompt": "x", "temperature": 9})  # refused before Mistral

    info = httpx.get(f"{app.url}/api/connection", headers={"Authorization": f"Bearer {created['token']}"}).json()
    chat_usage = [result.structured_content["usage"] for result in chats]
    assert info["usage"]["mistral_chat"] == {
        "calls": 3,
        "errors": 1,
        "prompt_tokens": sum(u["prompt_tokens"] for u in chat_usage),
        "completion_tokens": sum(u["completion_tokens"] for u in chat_usage),
    }
    assert all(u["prompt_tokens"] > 0 and u["completion_tokens"] > 0 for u in chat_usage)
    assert info["usage"]["mistral_embed"]["prompt_tokens"] == embed.structured_content["usage"]["prompt_tokens"] > 0
    assert info["calls"] == 4
    assert failed.is_error
