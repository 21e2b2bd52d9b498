"""Real `mistral-mcp serve` processes (`python -m server serve`) for multi-replica tests.

Each replica is configured only through `MISTRAL_MCP_*` variables, as in production, and
logs to a file so its output can be checked for leaks after it exits.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import VALID_KEY

CLI = [sys.executable, "-m", "server"]
_READY_DEADLINE = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(settings: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without any MISTRAL_MCP_* variable, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MISTRAL_MCP_")}
    env.update(settings)
    return env


def run_cli(*args: str, settings: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=clean_env(settings), timeout=120)


@dataclass
class Replica:
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)

    def sign_up(self, api_key: str = VALID_KEY) -> str:
        with self.http() as http:
            # Every tool, as RunningApp.sign_up: these tests are about replicas, not profiles.
            response = http.post("/api/connections", json={"api_key": api_key, "profile": "all"})
        assert response.status_code == 201, response.text
        token: str = response.json()["token"]
        return token

    def mcp_url(self, token: str) -> str:
        return f"{self.url}/mcp/{token}"

    def terminate(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def wait(self, timeout: float = 60) -> int:
        return self.process.wait(timeout=timeout)


def spawn(settings: Mapping[str, str], log_dir: Path) -> Replica:
    port = free_port()
    log_path = log_dir / f"replica-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*CLI, "serve", "--port", str(port)],
            env=clean_env({"MISTRAL_MCP_LOG_FORMAT": "json", **settings}),
            cwd=log_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return Replica(process, f"http://127.0.0.1:{port}", log_path)


def wait_ready(replica: Replica) -> None:
    """Poll /readyz until the replica answers 200 (the usual way to wait for a server to listen)."""
    deadline = time.monotonic() + _READY_DEADLINE
    while time.monotonic() < deadline:
        if replica.process.poll() is not None:
            raise AssertionError(f"replica exited early ({replica.process.returncode}):\n{replica.log()}")
        try:
            if httpx.get(f"{replica.url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"replica never became ready:\n{replica.log()}")


@contextmanager
def replicas(count: int, settings: Mapping[str, str], log_dir: Path) -> Iterator[list[Replica]]:
    """Start `count` replicas at once (they race to migrate the same database) and stop them after."""
    started = [spawn(settings, log_dir) for _ in range(count)]
    try:
        for replica in started:
            wait_ready(replica)
        yield started
    finally:
        for replica in started:
            replica.terminate()
        for replica in started:
            try:
                replica.wait(30)
            except subprocess.TimeoutExpired:
                replica.process.kill()
                replica.wait(10)
