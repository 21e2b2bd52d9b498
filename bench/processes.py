"""Servers under benchmark, each in its own uvicorn process on a loopback port.

Separate processes keep the load generator off the servers' event loops: what is measured
is each server's own work, as a client on the network would see it.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx


@dataclass(frozen=True)
class Serving:
    """uvicorn options for the servers under test (the upstream always runs with defaults)."""

    loop: str = "auto"  # as `mistral-mcp serve`: uvloop and httptools when installed (they are dependencies)
    http: str = "auto"
    workers: int = 1

    def args(self) -> list[str]:
        return ["--loop", self.loop, "--http", self.http, "--workers", str(self.workers)]

    def __str__(self) -> str:
        loop, http = _resolved(self.loop, "uvloop", "asyncio"), _resolved(self.http, "httptools", "h11")
        return f"loop={loop} http={http} workers={self.workers}"


def _resolved(choice: str, preferred: str, fallback: str) -> str:
    """What uvicorn's `auto` picks here: `preferred` when it can be imported."""
    if choice != "auto":
        return choice
    return f"auto ({preferred if importlib.util.find_spec(preferred) else fallback})"


@dataclass
class Process:
    name: str
    url: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    env: Mapping[str, str] = field(default_factory=dict)

    def _status(self, field_name: str) -> int:
        """A memory figure (kB) from /proc for this process and its worker children."""
        total = 0
        for pid in [self.popen.pid, *_children(self.popen.pid)]:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith(field_name + ":"):
                        total += int(line.split()[1])
            except OSError:
                continue
        return total

    def cpu_seconds(self) -> float:
        """User + system CPU time used so far by this process and its worker children."""
        ticks = 0
        for pid in [self.popen.pid, *_children(self.popen.pid)]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        return ticks / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        return self._status("VmRSS") / 1024

    def peak_rss_mb(self) -> float:
        return self._status("VmHWM") / 1024

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_ready(process: Process, probe: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise RuntimeError(f"{process.name} exited during start-up; see {process.log_path}")
        try:
            httpx.get(process.url + probe, timeout=1.0)
            return  # any HTTP answer: uvicorn only accepts connections once the lifespan has started
        except httpx.TransportError:
            time.sleep(0.05)  # polling a child process's start-up, not synchronising tests
    raise RuntimeError(f"{process.name} did not start within {timeout:.0f} s; see {process.log_path}")


def start(
    name: str,
    factory: str,
    workdir: Path,
    *,
    env: Mapping[str, str] | None = None,
    serving: Serving | None = None,
    probe: str = "/",
) -> Process:
    """Start `uvicorn --factory <factory>` on a free port and wait until it answers.

    Without `serving`, uvicorn's own choice (uvloop and httptools when installed): the upstream.
    """
    port = free_port()
    log_path = workdir / f"{name}.log"
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        factory,
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
        "--backlog",
        "4096",
        *(serving or Serving()).args(),
    ]
    full_env = {**os.environ, **(env or {})}
    with log_path.open("wb") as log:
        popen = subprocess.Popen(command, env=full_env, stdout=log, stderr=subprocess.STDOUT, cwd=Path.cwd())
    process = Process(name, f"http://127.0.0.1:{port}", popen, log_path, dict(env or {}))
    try:
        _wait_ready(process, probe)
    except BaseException:
        process.stop()
        raise
    return process


@contextmanager
def running(
    name: str,
    factory: str,
    workdir: Path,
    *,
    env: Mapping[str, str] | None = None,
    serving: Serving | None = None,
    probe: str = "/",
) -> Iterator[Process]:
    process = start(name, factory, workdir, env=env, serving=serving, probe=probe)
    try:
        yield process
    finally:
        process.stop()
