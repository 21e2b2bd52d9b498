"""The load generator: aiohttp posting pre-encoded JSON-RPC `tools/call` bodies.

Why aiohttp and not the MCP SDK client or httpx: the SDK client runs a session, pydantic
models and anyio streams per call, and httpx parses HTTP in pure Python; both cost more
client CPU per call than the servers under test spend, and on a 2-core machine that CPU
comes out of the servers' share. aiohttp parses HTTP in C (llhttp) and keeps connections
alive, so each call costs the client little: ~0.1-0.2 ms of CPU against ~0.7 ms (1 client)
and ~2 ms (32 clients) for httpx on the same machine (bench/RESULTS.md).
Bodies are encoded once; answers are parsed only as far as needed to check them.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import aiohttp

HANDSHAKE_VERSION = "2025-11-25"  # what most clients in the field send: stateless after `initialize`
MCP_HEADERS = {
    "accept": "application/json, text/event-stream",
    "content-type": "application/json",
    "mcp-protocol-version": HANDSHAKE_VERSION,
}
# The 2026-07-28 revision: no handshake, each request carries its own envelope in `_meta` and
# routing headers, and the SDK answers it in the request's own task (no per-request transport).
MODERN_VERSION = "2026-07-28"
MODERN_ENVELOPE = {
    "io.modelcontextprotocol/protocolVersion": MODERN_VERSION,
    "io.modelcontextprotocol/clientCapabilities": {},
    "io.modelcontextprotocol/clientInfo": {"name": "mistral-mcp-bench", "version": "1"},
}
PROMPT = "Say hello."

Check = Callable[[int, bytes], bool]


@dataclass(frozen=True)
class Target:
    """Where to post what, and how to tell a good answer. Client i posts to urls[i % len(urls)]
    (our server gets one connection per client, as real users would)."""

    name: str
    urls: tuple[str, ...]
    body: bytes
    check: Check
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    elapsed: float = 0.0
    failures: int = 0
    first_failure: str = ""
    server_cpu: float = 0.0  # seconds of CPU the server process spent meanwhile, when measured
    client_cpu: float = 0.0  # seconds of CPU this load generator spent

    @property
    def calls(self) -> int:
        return len(self.latencies)

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.latencies) * 1000 if self.latencies else float("nan")

    @property
    def p99_ms(self) -> float:
        return self.percentile(0.99) * 1000

    @property
    def rate(self) -> float:
        return self.calls / self.elapsed if self.elapsed else 0.0

    @property
    def cpu_us_per_call(self) -> float:
        return self.server_cpu / self.calls * 1e6 if self.calls else float("nan")

    @property
    def client_cpu_us_per_call(self) -> float:
        return self.client_cpu / self.calls * 1e6 if self.calls else float("nan")

    def merge(self, other: Stats) -> None:
        self.latencies += other.latencies
        self.elapsed += other.elapsed
        self.failures += other.failures
        self.first_failure = self.first_failure or other.first_failure
        self.server_cpu += other.server_cpu
        self.client_cpu += other.client_cpu


def tool_call_body(tool: str = "mistral_chat", arguments: dict[str, object] | None = None, **meta: object) -> bytes:
    params: dict[str, object] = {"name": tool, "arguments": arguments or {"prompt": PROMPT}}
    if meta:
        params["_meta"] = meta
    return json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}).encode()


def chat_body() -> bytes:
    return json.dumps({"model": "mistral-small-latest", "messages": [{"role": "user", "content": PROMPT}]}).encode()


def sse_messages(data: bytes) -> list[dict[str, object]]:
    """The JSON-RPC messages in an SSE (or plain JSON) answer."""
    if data.lstrip().startswith(b"{"):
        return [json.loads(data)]
    return [json.loads(line[5:]) for line in data.splitlines() if line.startswith(b"data:") and line[5:].strip()]


def tool_result_ok(status: int, data: bytes) -> bool:
    if status != 200:
        return False
    for message in sse_messages(data):
        result = message.get("result")
        if isinstance(result, dict) and "content" in result:
            return not result.get("isError", False)
    return False


def progress_count(data: bytes) -> int:
    return sum(1 for m in sse_messages(data) if m.get("method") == "notifications/progress")


def completion_ok(status: int, data: bytes) -> bool:
    return status == 200 and b'"choices"' in data


def mcp_target(name: str, urls: tuple[str, ...], body: bytes | None = None, check: Check = tool_result_ok) -> Target:
    return Target(name, urls, body or tool_call_body(), check, MCP_HEADERS)


def modern_tool_call(
    tool: str = "mistral_chat", arguments: dict[str, object] | None = None
) -> tuple[bytes, dict[str, str]]:
    """A 2026-07-28 `tools/call`: the body (envelope in `_meta`) and the headers that must match it."""
    headers = {**MCP_HEADERS, "mcp-protocol-version": MODERN_VERSION, "mcp-method": "tools/call", "mcp-name": tool}
    return tool_call_body(tool, arguments, **MODERN_ENVELOPE), headers


def floor_target(upstream_url: str, key: str) -> Target:
    headers = {"content-type": "application/json", "authorization": f"Bearer {key}"}
    return Target("floor", (upstream_url + "/v1/chat/completions",), chat_body(), completion_ok, headers)


def _session(concurrency: int, timeout: float) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency, ttl_dns_cache=None)
    return aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=timeout), auto_decompress=False
    )


async def _run(target: Target, calls: int, concurrency: int, timeout: float, keep: list[bytes] | None) -> Stats:
    stats = Stats()
    remaining = calls

    async def client(session: aiohttp.ClientSession, url: str) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            try:
                async with session.post(url, data=target.body, headers=target.headers) as response:
                    data = await response.read()
                    status = response.status
            except (aiohttp.ClientError, TimeoutError) as exc:
                stats.failures += 1
                stats.first_failure = stats.first_failure or f"{type(exc).__name__}: {exc}"
                continue
            latency = time.perf_counter() - started
            if target.check(status, data):
                stats.latencies.append(latency)
                if keep is not None:
                    keep.append(data)
            else:
                stats.failures += 1
                stats.first_failure = stats.first_failure or f"HTTP {status}: {data[:300]!r}"

    async with _session(concurrency, timeout) as session:
        started = time.perf_counter()
        await asyncio.gather(*(client(session, target.urls[i % len(target.urls)]) for i in range(concurrency)))
        stats.elapsed = time.perf_counter() - started
    return stats


def run(
    target: Target, calls: int, concurrency: int, *, timeout: float = 60.0, keep: list[bytes] | None = None
) -> Stats:
    """Make `calls` calls from `concurrency` clients, each waiting for its answer before the next."""
    started = time.process_time()
    stats = asyncio.run(_run(target, calls, concurrency, timeout, keep))
    stats.client_cpu = time.process_time() - started
    return stats


def interleaved(
    targets: Sequence[tuple[Target, Callable[[], float]]], calls: int, concurrency: int, rounds: int, warmup: int
) -> dict[str, Stats]:
    """Measure targets in turn, `rounds` times, so drift on a shared machine hits them all alike.

    Each target comes with a function reading its server's CPU time, to report CPU per call.
    """
    for target, _ in targets:
        run(target, warmup, concurrency)
    totals = {t.name: Stats() for t, _ in targets}
    for _ in range(rounds):
        for target, cpu_seconds in targets:
            before = cpu_seconds()
            stats = run(target, max(1, calls // rounds), concurrency)
            stats.server_cpu = cpu_seconds() - before
            totals[target.name].merge(stats)
    return totals
