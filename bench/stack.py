"""Start the three things compared side by side: the lean upstream, the bare reference
server and ours (with a signed-up connection), each in its own process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench import loadgen, processes
from bench.processes import Process, Serving
from server.security.crypto import generate_key

BENCH_KEY = "sk-bench"


@dataclass
class Stack:
    upstream: Process
    reference: Process | None
    ours: Process | None
    mcp_urls: tuple[str, ...]  # our server: one signed-up connection per client
    forwarder: Process | None = None

    def arrivals(self) -> list[float]:
        """When the upstream received each delayed request since the last ask (and forget them)."""
        response = httpx.get(
            self.upstream.url + "/bench/arrivals", headers={"authorization": f"Bearer {BENCH_KEY}"}, timeout=10
        )
        response.raise_for_status()
        return [float(t) for t in response.json()]

    def floor(self) -> loadgen.Target:
        return loadgen.floor_target(self.upstream.url, BENCH_KEY)

    def reference_target(
        self, body: bytes | None = None, check: loadgen.Check = loadgen.tool_result_ok
    ) -> loadgen.Target:
        assert self.reference is not None
        return loadgen.mcp_target("reference", (self.reference.url + "/mcp",), body, check)

    def ours_target(self, body: bytes | None = None, check: loadgen.Check = loadgen.tool_result_ok) -> loadgen.Target:
        return loadgen.mcp_target("ours", self.mcp_urls, body, check)

    def burst_targets(self, arguments: dict[str, object]) -> list[tuple[Process, loadgen.Target]]:
        """One tool call to each server in both protocol eras (a 2025-era stateless request gets a
        per-request transport from the SDK, a 2026-07-28 one is answered in its own task; clients in
        the field send both), then to the bare forwarder."""
        assert self.reference is not None
        assert self.ours is not None
        assert self.forwarder is not None
        check = loadgen.tool_result_ok
        handshake = loadgen.tool_call_body(arguments=arguments)
        modern, modern_headers = loadgen.modern_tool_call(arguments=arguments)
        reference_urls = (self.reference.url + "/mcp",)
        handshake_era, modern_era = loadgen.HANDSHAKE_VERSION, loadgen.MODERN_VERSION
        return [
            (self.ours, loadgen.mcp_target(f"ours, {handshake_era}", self.mcp_urls, handshake)),
            (self.reference, loadgen.mcp_target(f"reference, {handshake_era}", reference_urls, handshake)),
            (self.ours, loadgen.Target(f"ours, {modern_era}", self.mcp_urls, modern, check, modern_headers)),
            (self.reference, loadgen.Target(f"reference, {modern_era}", reference_urls, modern, check, modern_headers)),
            (
                self.forwarder,
                loadgen.mcp_target("bare forwarder, no MCP SDK", (self.forwarder.url + "/mcp",), handshake),
            ),
        ]


def ours_env(workdir: Path, upstream_url: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    data = workdir / "ours-data"
    return {
        "MISTRAL_MCP_DATA_DIR": str(data),
        "MISTRAL_MCP_DATABASE_URL": f"sqlite:///{data / 'bench.db'}",
        "MISTRAL_MCP_UPSTREAM_URL": upstream_url,
        "MISTRAL_MCP_ENCRYPTION_KEYS": generate_key(),
        "MISTRAL_MCP_LOG_FORMAT": "json",
        "MISTRAL_MCP_LOG_LEVEL": "INFO",
        # The limiters run on every call but never refuse: a benchmark sends far more than a user.
        "MISTRAL_MCP_RATE_LIMIT_PER_MINUTE": "1000000000",
        "MISTRAL_MCP_SIGNUP_RATE_LIMIT": "off",
        # Every benchmark connection shares one key; the fair share per key would run the burst in waves.
        "MISTRAL_MCP_UPSTREAM_MAX_CONNECTIONS_PER_KEY": "1000",
        **(extra or {}),
    }


def sign_up(ours: Process, count: int) -> tuple[str, ...]:
    urls = []
    with httpx.Client(base_url=ours.url, timeout=30) as http:
        for _ in range(count):
            response = http.post("/api/connections", json={"api_key": BENCH_KEY})
            response.raise_for_status()
            urls.append(ours.url + "/mcp/" + response.json()["token"])
    return tuple(urls)


@contextmanager
def stack(
    workdir: Path,
    serving: Serving,
    *,
    upstream_env: Mapping[str, str] | None = None,
    ours_extra_env: Mapping[str, str] | None = None,
    with_reference: bool = True,
    with_ours: bool = True,
    connections: int = 32,
    name: str = "",
) -> Iterator[Stack]:
    """Everything started on free loopback ports, and stopped on the way out."""
    workdir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as started:
        upstream = started.enter_context(
            processes.running(
                f"{name}upstream", "bench.upstream:create_app", workdir, env=upstream_env, probe="/v1/models"
            )
        )
        reference = ours = forwarder = None
        if with_reference:
            to_upstream = {"BENCH_UPSTREAM_URL": upstream.url, "BENCH_UPSTREAM_KEY": BENCH_KEY}
            reference = started.enter_context(
                processes.running(
                    f"{name}reference", "bench.reference_server:create_app", workdir, env=to_upstream, serving=serving
                )
            )
            forwarder = started.enter_context(
                processes.running(
                    f"{name}forwarder", "bench.forwarder:create_app", workdir, env=to_upstream, serving=serving
                )
            )
        mcp_urls: tuple[str, ...] = ()
        if with_ours:
            env = ours_env(workdir / name, upstream.url, ours_extra_env)
            if serving.workers > 1:
                # Workers would race to create the schema; migrate once, as a deployment would.
                subprocess.run([sys.executable, "-m", "server", "db", "upgrade"], env={**os.environ, **env}, check=True)
                env["MISTRAL_MCP_AUTO_MIGRATE"] = "false"
            ours = started.enter_context(
                processes.running(
                    f"{name}ours", "bench.ours:create_app", workdir, env=env, serving=serving, probe="/healthz"
                )
            )
            mcp_urls = sign_up(ours, connections)
        yield Stack(upstream, reference, ours, mcp_urls, forwarder)
