"""Where a server's own time goes: py-spy samples the running process while load runs.

py-spy attaches from outside (no instrumentation inside the process, so the profile does
not distort what it measures) and writes collapsed stacks; this module folds them into
the share of CPU samples per library (self time) and per function (inclusive time).
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


@dataclass
class Profile:
    samples: int
    by_library: list[tuple[str, float]]
    by_function: list[tuple[str, float]]

    def render(self, top: int = 25) -> str:
        lines = [f"{self.samples} samples", "", "share  self time by library"]
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


def fold(collapsed: str, skip_outer: int = 0) -> Profile:
    """Fold py-spy's raw output (`frame;frame;... count` lines) into shares of samples."""
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
        for frame in {_LINE_NO.sub(")", f) for f in stack[skip_outer:]}:
            inclusive[frame] += count
    share = 100 / total if total else 0
    return Profile(
        total,
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
    while time.monotonic() < deadline and spy.poll() is None:
        loadgen.run(target, 50 * concurrency, concurrency)
    spy.wait(30)
    return fold(out.read_text())
