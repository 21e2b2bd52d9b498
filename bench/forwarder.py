"""The bare forwarder: what one Python hop costs on this machine, with no MCP SDK at all.

It answers a JSON-RPC `tools/call` for `mistral_chat` by posting the chat completion to the
upstream with a fixed key (aiohttp, one pooled session) and returning the same result ours
and the reference return (reply text plus the whole response as structuredContent), as plain
JSON. Raw ASGI under the same uvicorn: no routing, no validation, no session, no token lookup,
no logging. No real server should be this thin; it shows how much of a time budget the
machine, the event loop and the two HTTP hops take before any MCP handling starts.

Environment: BENCH_UPSTREAM_URL (required), BENCH_UPSTREAM_KEY (default sk-bench).
"""

from __future__ import annotations

import json
import os
from typing import Any

import aiohttp
from starlette.types import Receive, Scope, Send

from bench.upstream import read_body, send_json


class BareForwarder:
    def __init__(self, upstream_url: str, key: str) -> None:
        self.completions_url = upstream_url.rstrip("/") + "/v1/chat/completions"
        self.headers = {"authorization": f"Bearer {key}"}
        self.session: aiohttp.ClientSession | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["method"] != "POST":  # the harness's readiness probe
            await send_json(send, 405, b"{}")
            return
        request = json.loads(await read_body(receive))
        arguments: dict[str, Any] = request["params"]["arguments"]
        body = {
            "model": arguments.get("model", "mistral-small-latest"),
            "messages": [{"role": "user", "content": arguments.get("prompt", "")}],
        }
        assert self.session is not None
        async with self.session.post(self.completions_url, json=body, headers=self.headers) as response:
            data = await response.json()
        result = {
            "content": [{"type": "text", "text": data["choices"][0]["message"]["content"]}],
            "structuredContent": data,
            "isError": False,
        }
        await send_json(send, 200, json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": result}).encode())

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while (await receive())["type"] != "lifespan.shutdown":
            self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
            await send({"type": "lifespan.startup.complete"})
        if self.session is not None:
            await self.session.close()
        await send({"type": "lifespan.shutdown.complete"})


def create_app() -> BareForwarder:
    """uvicorn factory (`bench.forwarder:create_app --factory`)."""
    return BareForwarder(os.environ["BENCH_UPSTREAM_URL"], os.environ.get("BENCH_UPSTREAM_KEY", "sk-bench"))
