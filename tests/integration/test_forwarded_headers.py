"""Behind a proxy: `mistral-mcp serve` believes X-Forwarded-For/-Proto only from configured proxies."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.test_cli import CLI, free_port, stop, wait_healthy


def serve_with(cwd: Path, **settings: str) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MISTRAL_MCP_")}
    env.update({f"MISTRAL_MCP_{name.upper()}": value for name, value in settings.items()})
    process = subprocess.Popen(
        [*CLI, "serve", "--port", str(port)],
        cwd=cwd,
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, process)
    return process, url


@pytest.fixture(params=["trusted", "untrusted"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    proxies = {"forwarded_allow_ips": "127.0.0.1"} if request.param == "trusted" else {}
    process, url = serve_with(tmp_path, signup_rate_limit="1/minute", log_format="json", **proxies)
    try:
        yield request.param, url
    finally:
        stop(process)


def attempt(url: str, client: str) -> int:
    # An empty body is refused (422) after the attempt is counted, without any call to Mistral.
    response = httpx.post(f"{url}/api/connections", json={}, headers={"x-forwarded-for": client}, timeout=30)
    return response.status_code


def test_forwarded_headers_count_only_when_the_proxy_is_trusted(server: tuple[str, str]) -> None:
    trust, url = server
    first, again = attempt(url, "203.0.113.7"), attempt(url, "203.0.113.7")
    other_client = attempt(url, "203.0.113.8")
    over_https = httpx.get(f"{url}/", headers={"x-forwarded-proto": "https"}, timeout=30)
    assert (first, again) == (422, 429)
    if trust == "trusted":
        assert other_client == 422  # its own budget: the proxy said who the client is
        assert over_https.headers["strict-transport-security"].startswith("max-age=")
    else:
        assert other_client == 429  # anyone can write that header, so it changes nothing
        assert "strict-transport-security" not in over_https.headers
