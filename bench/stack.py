"""Start the three things compared side by side: the lean upstream, the bare reference
server and ours (with a signed-up connection), each in its own process.
"""

from __future__ import annotations

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
    mcp_url: str  # our server's per-connection URL

    def floor(self) -> loadgen.Target:
        return loadgen.floor_target(self.upstream.url, BENCH_KEY)

    def reference_target(self, body: bytes | None = None, check: loadgen.Check = loadgen.tool_result_ok) -> loadgen.Target:
        assert self.reference is not None
        return loadgen.mcp_target("reference", self.reference.url + "/mcp", body, check)

    def ours_target(self, body: bytes | None = None, check: loadgen.Check = loadgen.tool_result_ok) -> loadgen.Target:
        return loadgen.mcp_target("ours", self.mcp_url, body, check)


def ours_env(workdir: Path, upstream_url: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    data = workdir / "ours-data"
    return {
        "MISTRAL_MCP_DATA_DIR": str(data),
        "MISTRAL_MCP_DATABASE_URL": f"sqlite:///{data / 'bench.db'}",
        "MISTRAL_MCP_UPSTREAM_URL": upstream_url,
        "MISTRAL_MCP_ENCRYPTION_KEYS": generate_key(),
        "MISTRAL_MCP_LOG_FORMAT": "json",
        "MISTRAL_MCP_LOG_LEVEL": "INFO",
        **(extra or {}),
    }


def sign_up(ours: Process) -> str:
    response = httpx.post(ours.url + "/api/connections", json={"api_key": BENCH_KEY}, timeout=30)
    response.raise_for_status()
    return ours.url + "/mcp/" + response.json()["token"]


@contextmanager
def stack(
    workdir: Path,
    serving: Serving,
    *,
    upstream_env: Mapping[str, str] | None = None,
    ours_extra_env: Mapping[str, str] | None = None,
    with_reference: bool = True,
    with_ours: bool = True,
    name: str = "",
) -> Iterator[Stack]:
    """Everything started on free loopback ports, and stopped on the way out."""
    workdir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as started:
        upstream = started.enter_context(
            processes.running(f"{name}upstream", "bench.upstream:create_app", workdir, env=upstream_env, probe="/v1/models")
        )
        reference = ours = None
        if with_reference:
            reference = started.enter_context(
                processes.running(
                    f"{name}reference",
                    "bench.reference_server:create_app",
                    workdir,
                    env={"BENCH_UPSTREAM_URL": upstream.url, "BENCH_UPSTREAM_KEY": BENCH_KEY},
                    serving=serving,
                )
            )
        mcp_url = ""
        if with_ours:
            ours = started.enter_context(
                processes.running(
                    f"{name}ours",
                    "bench.ours:create_app",
                    workdir,
                    env=ours_env(workdir / name, upstream.url, ours_extra_env),
                    serving=serving,
                    probe="/healthz",
                )
            )
            mcp_url = sign_up(ours)
        yield Stack(upstream, reference, ours, mcp_url)
