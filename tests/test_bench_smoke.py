"""`python -m bench` runs end to end: servers start, calls succeed, every table prints.

Tiny numbers (`--quick`): this proves the harness works; it measures nothing and asserts no time.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import TEST_DB_ENV

ROOT = Path(__file__).resolve().parents[1]


def test_the_benchmark_harness_runs_every_section_and_prints_its_tables(tmp_path: Path) -> None:
    postgres = os.environ.get(TEST_DB_ENV) or "none"
    results = tmp_path / "results.json"
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--postgres", postgres, "--json", str(results)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    for heading in (
        "## Tool listing size",
        "## Latency and throughput",
        "## Long calls in flight",
        "## Streams with progress",
        "## Stored data",
    ):
        assert heading in run.stdout
    assert "| ours ÷ reference |" in run.stdout
    for era in ("2025-11-25", "2026-07-28"):  # the in-flight burst runs in both protocol eras
        assert f"| ours, {era} | 20/20 |" in run.stdout
        assert f"| reference, {era} | 20/20 |" in run.stdout
    assert "| bare forwarder, no MCP SDK | 20/20 |" in run.stdout
    assert "FAILED" not in run.stdout, run.stdout
    assert "| core |" in run.stdout and "| all |" in run.stdout and "| mistral_chat |" in run.stdout
    assert "| SQLite | 0 |" in run.stdout
    if postgres != "none":
        assert "| PostgreSQL | 0 |" in run.stdout
    assert results.stat().st_size > 0
