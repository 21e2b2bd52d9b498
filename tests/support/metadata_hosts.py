"""Hosts that serve Client ID Metadata Documents badly, and the OAuth requests that make the app fetch them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
from anyio.abc import SocketStream

REDIRECT = "http://127.0.0.1:33418/callback"
ENDPOINTS = ("authorize", "token", "revoke")


def client_id_request(app_url: str, endpoint: str, client_id: str, redirect_uri: str = REDIRECT) -> httpx.Request:
    """The request of `endpoint` that makes the app look `client_id` up (and fetch it, if it is a URL)."""
    if endpoint == "authorize":
        params = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
            "state": "s",
            "resource": f"{app_url}/mcp",
        }
        return httpx.Request("GET", f"{app_url}/authorize", params=params)
    if endpoint == "token":
        form = {
            "grant_type": "authorization_code",
            "code": "mmac_unknown",
            "redirect_uri": redirect_uri,
            "client_id": client_id,
            "code_verifier": "v" * 43,
        }
        return httpx.Request("POST", f"{app_url}/token", data=form)
    assert endpoint == "revoke"
    return httpx.Request("POST", f"{app_url}/revoke", data={"token": "mmat_unknown", "client_id": client_id})


def assert_oauth_refusal(response: httpx.Response) -> None:
    """A clean OAuth error: 4xx, an error code and no traceback."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert "Traceback" not in response.text
    assert response.json()["error"] in {"invalid_request", "invalid_client"}, response.text


_STATUS = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n"


class TrickleHost:
    """A loopback HTTP server that sends its answer one byte at a time, forever: from the status line on,
    or a JSON body after prompt headers."""

    def __init__(self, port: int, trickled: str) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.accepted = 0
        self.open = 0
        self._trickled = trickled
        self._changed = anyio.Event()

    async def _serve(self, stream: SocketStream) -> None:
        self.accepted += 1
        self.open += 1
        self._notify()
        try:
            async with stream:
                request = b""
                while b"\r\n\r\n" not in request:
                    request += await stream.receive()
                if self._trickled == "status line":
                    for byte in _STATUS:
                        await stream.send(bytes([byte]))
                        await anyio.sleep(0.02)  # this host's behaviour, not a wait of the test
                else:
                    await stream.send(_STATUS)
                while True:
                    await stream.send(b" ")
                    await anyio.sleep(0.02)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, anyio.EndOfStream, OSError):
            pass  # the app gave up on this fetch
        finally:
            self.open -= 1
            self._notify()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()

    async def wait_until(self, *, open: int) -> None:
        while self.open != open:
            await self._changed.wait()


@asynccontextmanager
async def trickle_host(trickled: str = "body") -> AsyncIterator[TrickleHost]:
    """Serves until the block ends; leaving it closes every connection still trickling."""
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port: Any = listener.extra(anyio.abc.SocketAttribute.local_port)  # noqa: S610 - anyio, not Django
    async with listener, anyio.create_task_group() as tasks:
        host = TrickleHost(port, trickled)
        tasks.start_soon(listener.serve, host._serve)
        try:
            yield host
        finally:
            tasks.cancel_scope.cancel()
