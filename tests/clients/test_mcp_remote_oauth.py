"""`mcp-remote` completing its own OAuth flow against the bare /mcp URL.

mcp-remote registers itself (DCR), prints the authorization URL and waits on its loopback
callback; the test plays the person's browser: opens the URL, approves on our consent page
with a Mistral key, and follows the redirect back to mcp-remote.
"""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path

import anyio
import anyio.abc
import httpx
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from tests.conftest import VALID_KEY, RunningApp
from tests.fake_mistral import FakeMistral
from tests.support.external_tools import NodeTools

pytestmark = [pytest.mark.clients, pytest.mark.anyio]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_AUTHORIZE_URL = re.compile(r"(http://127\.0\.0\.1:\d+/authorize\?\S+)")


async def _read_log(read_fd: int, found: anyio.abc.ObjectSendStream[str], lines: list[str]) -> None:
    """Drain mcp-remote's log to its end (a closed pipe would kill it), passing on the sign-in URL."""
    with os.fdopen(read_fd, "r", encoding="utf-8", errors="replace") as log:
        async with found:
            while line := await anyio.to_thread.run_sync(log.readline):
                lines.append(line)
                if match := _AUTHORIZE_URL.search(line):
                    await found.send(match.group(1))


def _approve_as_a_browser(app: RunningApp, authorize_url: str) -> None:
    with httpx.Client(follow_redirects=False, timeout=30) as browser:
        to_consent = browser.get(authorize_url)
        assert to_consent.status_code == 302, to_consent.text
        consent_url = to_consent.headers["location"]
        page = browser.get(consent_url)
        assert "Connect" in page.text
        request_id = re.search(r'name="request" value="([^"]+)"', page.text)
        assert request_id is not None
        approved = browser.post(
            f"{app.url}/oauth/consent",
            data={"request": request_id.group(1), "api_key": VALID_KEY, "decision": "approve"},
            headers={"origin": app.url},
        )
        assert approved.status_code == 302, approved.text
        callback = approved.headers["location"]
        assert "code=" in callback
        assert "iss=" in callback
        # mcp-remote listens on 127.0.0.1 but names "localhost"; browsers try both address families.
        landed = browser.get(callback.replace("//localhost:", "//127.0.0.1:", 1))
        assert landed.status_code < 400


async def test_mcp_remote_signs_in_with_oauth_and_calls_a_tool(
    app: RunningApp, fake_mistral: FakeMistral, node_tools: NodeTools, tool_env: dict[str, str], tmp_path: Path
) -> None:
    read_fd, write_fd = os.pipe()
    bridge = StdioServerParameters(
        command=str(node_tools.node),
        # An explicit free callback port: the one mcp-remote derives from the URL could be taken.
        args=[node_tools.script("mcp-remote"), f"{app.url}/mcp", str(free_port()), "--allow-http"],
        env={**tool_env, "BROWSER": "/bin/false"},
    )
    result = None
    lines: list[str] = []
    send_url, receive_url = anyio.create_memory_object_stream[str](1)
    with anyio.fail_after(90), os.fdopen(write_fd, "w") as errlog:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(_read_log, read_fd, send_url, lines)

            async def drive_browser() -> None:
                async with receive_url:
                    url = await receive_url.receive()
                await anyio.to_thread.run_sync(_approve_as_a_browser, app, url)

            tasks.start_soon(drive_browser)
            async with Client(stdio_client(bridge, errlog=errlog), mode="legacy", read_timeout_seconds=60) as client:
                result = await client.call_tool("mistral_chat", {"prompt": "Hello through OAuth"})
            errlog.close()
    assert result is not None, "".join(lines)
    assert not result.is_error
    calls = fake_mistral.requests_to("POST", "/v1/chat/completions")
    assert [call.api_key for call in calls] == [VALID_KEY]
    assert (tmp_path / "home" / ".mcp-auth").exists()
