"""Where a server's own time goes: py-spy samples the running process while load runs.

py-spy attaches from outside (no instrumentation inside the process, so the profile does
not distort what it measures) and records only threads holding the GIL, i.e. Python
actually running. The collapsed stacks are folded three ways: by layer (each sample goes to
the innermost frame that belongs to a layer; time in generic machinery such as asyncio,
anyio or pydantic goes to the layer that called it), by library (self time), and by
function (inclusive time).
"""

from __future__ import annotations

import collections
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from bench import loadgen
from bench.processes import Process

_FRAME_FILE = re.compile(r"\((.*?)(?::\d+)?\)$")
_LINE_NO = re.compile(r":\d+\)$")


# (layer, path fragments of the frames that belong to it), matched against py-spy's short paths.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("database (token lookup, usage)", ("sqlalchemy/", "aiosqlite/", "asyncpg/", "storage/")),
    ("decryption", ("cryptography/", "server/security/crypto")),
    ("argument validation (jsonschema)", ("jsonschema/", "referencing/", "rpds")),
    ("logging", ("logging/", "server/logs.py")),
    ("metrics", ("prometheus_client/",)),
    (
        "upstream HTTP client (httpx, aiohttp)",
        ("httpx/", "httpcore/", "aiohttp/", "aiohappyeyeballs/", "yarl/", "multidict/", "server/upstream/transport"),
    ),
    ("SSE response (sse-starlette)", ("sse_starlette/",)),
    ("MCP SDK (transport, dispatch, models)", ("mcp/", "mcp_types/")),
    ("our server code", ("server/",)),
    ("tool handler", ("bench/reference_server",)),
    ("Starlette routing and middleware", ("starlette/",)),
    ("uvicorn HTTP server", ("uvicorn/protocols", "uvicorn/middleware")),
)
IDLE_OR_LOOP = "event loop and task switching"


@dataclass
class Profile:
    samples: int
    by_layer: list[tuple[str, float]]
    by_library: list[tuple[str, float]]
    by_function: list[tuple[str, float]]
    cpu_us_per_call: float | None = None

    def render(self, top: int = 25) -> str:
        per_call = f", {self.cpu_us_per_call:.0f} µs of server CPU per call" if self.cpu_us_per_call else ""
        lines = [f"{self.samples} samples{per_call}", "", "share  layer"]
        for name, share in self.by_layer:
            cost = f"  (~{share * self.cpu_us_per_call / 100:.0f} µs/call)" if self.cpu_us_per_call else ""
            lines.append(f"{share:5.1f}%  {name}{cost}")
        lines += ["", "share  self time by library"]
        lines += [f"{share:5.1f}%  {name}" for name, share in self.by_library[:top]]
        lines += ["", "share  inclusive time by function"]
        lines += [f"{share:5.1f}%  {name}" for name, share in self.by_function[:top]]
        return "\n".join(lines)


def library(frame: str) -> str:
    match = _FRAME_FILE.search(frame)
    path = match.group(1) if match else frame
    if "site-packages/" in path:
        return path.split("site-packages/")[1].split("/")[0]
    if path.startswith("<frozen importlib"):
        return "importlib (failed imports)"
    if "/lib/python3" in path:
        return "stdlib " + path.rsplit("/", 1)[-1]
    return path.split("/")[0] if "/" in path else path


def layer(stack: list[str]) -> str:
    for frame in reversed(stack):
        path = _FRAME_FILE.search(frame)
        where = path.group(1) if path else frame
        for name, fragments in LAYERS:
            if any(fragment in where for fragment in fragments):
                return name
    return IDLE_OR_LOOP


def fold(collapsed: str, skip_outer: int = 0) -> Profile:
    """Fold py-spy's raw output (`frame;frame;... count` lines) into shares of samples."""
    layers: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.splitlines():
        stack_text, _, count_text = line.strip().rpartition(" ")
        if not stack_text:
            continue
        count = int(count_text)
        stack = stack_text.split(";")
        total += count
        own[library(stack[-1])] += count
        layers[layer(stack)] += count
        for frame in {_LINE_NO.sub(")", f) for f in stack[skip_outer:]}:
            inclusive[frame] += count
    share = 100 / total if total else 0
    return Profile(
        total,
        [(name, n * share) for name, n in layers.most_common()],
        [(name, n * share) for name, n in own.most_common()],
        [(name, n * share) for name, n in inclusive.most_common() if n * share < 99.5],
    )


def available() -> bool:
    return shutil.which("py-spy") is not None


def profile(process: Process, target: loadgen.Target, seconds: float, concurrency: int, out: Path) -> Profile:
    """Sample `process` with py-spy for `seconds` while `concurrency` clients call `target`."""
    loadgen.run(target, 100, concurrency)  # warm up first: imports and pools are not the steady state
    spy = subprocess.Popen(
        [
            *("py-spy", "record", "--pid", str(process.popen.pid), "--duration", str(int(seconds))),
            *("--rate", "500", "--gil", "--format", "raw", "--output", str(out)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + seconds + 0.5
    cpu_before, calls = process.cpu_seconds(), 0
    while time.monotonic() < deadline and spy.poll() is None:
        calls += loadgen.run(target, 50 * concurrency, concurrency).calls
    cpu = process.cpu_seconds() - cpu_before
    spy.wait(30)
    profile = fold(out.read_text())
    profile.cpu_us_per_call = cpu / calls * 1e6 if calls else None
    return profile
