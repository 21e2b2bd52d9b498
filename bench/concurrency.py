"""Many long calls at once on one server process: does every one succeed, how long do the
slowest take, and how much memory does the process hold meanwhile?"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from bench import loadgen
from bench.processes import Process


@dataclass
class InFlight:
    name: str
    calls: int
    ok: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    rss_before_mb: float
    rss_peak_mb: float
    passed_on_ms: float | None = None  # when the last call reached the upstream, from the start
    cpu_ms_per_call: float = 0.0  # the server's CPU (user + system) over the burst, per call
    progress_min: int | None = None
    progress_median: float | None = None
    first_failure: str = ""


class RssSampler:
    """The largest resident set seen while the block runs (sampled every 20 ms)."""

    def __init__(self, process: Process) -> None:
        self.process = process
        self.peak = process.rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.process.rss_mb())

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.rss_mb())


def in_flight(
    process: Process,
    target: loadgen.Target,
    calls: int,
    *,
    count_progress: bool = False,
    arrivals: Callable[[], list[float]] | None = None,
) -> InFlight:
    """`calls` clients each make one call, all at once. `arrivals` hands over (and clears) the
    upstream's record of when each delayed request reached it (wall clock)."""
    before = process.rss_mb()
    bodies: list[bytes] = []
    if arrivals is not None:
        arrivals()  # forget the warm-up's
    started, cpu_before = time.time(), process.cpu_seconds()
    with RssSampler(process) as rss:
        stats = loadgen.run(target, calls, calls, timeout=120, keep=bodies if count_progress else None)
    cpu = process.cpu_seconds() - cpu_before
    result = InFlight(
        target.name,
        calls,
        stats.calls,
        stats.p50_ms,
        stats.p99_ms,
        max(stats.latencies, default=float("nan")) * 1000,
        before,
        rss.peak,
        first_failure=stats.first_failure,
        cpu_ms_per_call=cpu / calls * 1000,
    )
    if arrivals is not None and (reached := arrivals()):
        result.passed_on_ms = (max(reached) - started) * 1000
    if count_progress:
        counts = [loadgen.progress_count(body) for body in bodies]
        result.ok = sum(1 for n in counts if n > 0)  # a streamed call counts only if progress arrived
        result.progress_min = min(counts, default=0)
        result.progress_median = statistics.median(counts) if counts else 0
    return result
