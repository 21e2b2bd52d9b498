"""A client that hangs up mid-call: the call stops, at Mistral too, and frees its slot.

Answered in JSON (no progress token), a call has no stream whose end the SDK notices; without
our watcher, ten abandoned calls (a client timing out and retrying, say) would lock the
connection out of its own concurrent-call limit until Mistral answered, and Mistral would go on
generating (and billing) answers nobody reads.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import urlsplit

import anyio
import httpx
import pytest

from tests.conftest import RunningApp
from tests.fake_mistral import FakeMistral
from tests.faults.conftest import call_tool, stored_connection, text_of
from tests.support.mcp_client import MODERN, MODES

pytestmark = pytest.mark.anyio

CHAT = "/v1/chat/completions"
ENVELOPE = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientCapabilities": {},
}


def request_bytes(app: RunningApp, token: str, mode: str, progress: bool) -> bytes:
    meta: dict[str, object] = {**(ENVELOPE if mode == MODERN else {}), **({"progressToken": 1} if progress else {})}
    params: dict[str, object] = {"name": "mistral_chat", "arguments": {"prompt": "hi"}}
    if meta:
        params["_meta"] = meta
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}).encode()
    host = urlsplit(app.url).netloc
    headers = [
        f"POST /mcp/{token} HTTP/1.1",
        f"host: {host}",
        "accept: application/json, text/event-stream",
        "content-type: application/json",
        f"content-length: {len(body)}",
        f"mcp-protocol-version: {MODERN if mode == MODERN else '2025-11-25'}",
    ]
    if mode == MODERN:
        headers += ["mcp-method: tools/call", "mcp-name: mistral_chat"]
    return ("\r\n".join(headers) + "\r\n\r\n").encode() + body


async def until(condition: Callable[[], bool]) -> None:
    with anyio.fail_after(20):
        while not condition():
            await anyio.sleep(0.01)


@pytest.mark.parametrize("progress", [False, True], ids=["json-answer", "sse-answer"])
@pytest.mark.parametrize("mode", MODES)
async def test_calls_whose_clients_hang_up_stop_at_mistral_and_free_their_slots(
    app_factory: Callable[..., RunningApp], fake_mistral: FakeMistral, mode: str, progress: bool
) -> None:
    # Mistral may take minutes: nothing but the hang-up may end these calls within the test's 20 s.
    app = await anyio.to_thread.run_sync(lambda: app_factory(upstream_timeout=120.0))
    token = app.sign_up()["token"]
    host, port = urlsplit(app.url).hostname, urlsplit(app.url).port
    assert host is not None and port is not None
    limit = app.settings.max_concurrent_calls
    for n in range(1, limit + 1):  # as many abandoned calls as the connection may run at once
        fake_mistral.stall_next(CHAT, 60)  # Mistral thinks for a minute, unless its caller goes
        stream = await anyio.connect_tcp(host, port)
        await stream.send(request_bytes(app, token, mode, progress))
        await until(lambda n=n: len(fake_mistral.requests_to("POST", CHAT)) == n)  # type: ignore[misc]
        await stream.aclose()
    await until(lambda: len(fake_mistral.hung_up) == limit)  # every abandoned call was cancelled upstream
    assert fake_mistral.hung_up == [CHAT] * limit
    result = await call_tool(f"{app.url}/mcp/{token}")  # the slots are free again
    assert not result.is_error, text_of(result)
    # Each abandoned call is on record (Mistral may have billed it): as cancelled, and as a failed call.
    cancelled = f'mistral_mcp_tool_calls_total{{outcome="cancelled",tool="mistral_chat"}} {float(limit)}'
    await until(lambda: cancelled in httpx.get(f"{app.url}/metrics").text)
    usage = stored_connection(app, token)["usage"]["mistral_chat"]
    assert (usage["calls"], usage["errors"]) == (limit + 1, limit)
