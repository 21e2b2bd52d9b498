"""`python -m bench`: our server against the bare MCP SDK and the raw upstream, side by side.

Prints Markdown tables (bench/RESULTS.md keeps the latest). `--profile reference|ours`
instead samples one server under load with py-spy and prints where its CPU goes.
Everything runs on loopback; the default run takes a few minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench import concurrency, loadgen, profiling, scale, tools
from bench.processes import Serving
from bench.stack import Stack, stack
from bench.upstream import delay_model

SECTIONS = ("tools", "latency", "concurrency", "streams", "scale")
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections ({', '.join(SECTIONS)})")
    parser.add_argument("--quick", action="store_true", help="tiny numbers: proves the harness works, measures nothing")
    parser.add_argument("--calls", type=int, default=2000, help="sequential calls per server (default 2000)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (default 32)")
    parser.add_argument("--concurrent-calls", type=int, default=6000, help="calls per server with --clients")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per measurement (default 5)")
    parser.add_argument("--in-flight", type=int, default=1000, help="simultaneous long calls (default 1000)")
    parser.add_argument("--delay-ms", type=int, default=2000, help="upstream delay for in-flight calls")
    parser.add_argument("--streams", type=int, default=200, help="simultaneous streamed calls (default 200)")
    parser.add_argument("--rows", type=int, default=100_000, help="stored connections for the scale test")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("MISTRAL_MCP_BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
        help=f"PostgreSQL server for the scale test, or none (default {DEFAULT_POSTGRES})",
    )
    parser.add_argument("--loop", default="auto", help="uvicorn --loop for both servers (auto: uvloop when installed)")
    parser.add_argument("--http", default="auto", help="uvicorn --http for both servers (auto: httptools if installed)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn --workers for both servers")
    parser.add_argument("--profile", choices=["reference", "ours"], help="profile one server instead")
    parser.add_argument("--profile-seconds", type=int, default=10)
    parser.add_argument("--json", type=Path, help="also write the results here")
    return parser


def _quick(args: argparse.Namespace) -> None:
    args.calls, args.concurrent_calls, args.clients, args.rounds = 20, 40, 4, 1
    args.in_flight, args.delay_ms, args.streams, args.rows = 20, 200, 5, 200


def _machine(serving: Serving) -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor() or "unknown CPU",
    )
    return (
        f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}, "
        f"servers: uvicorn {serving}; load generator: aiohttp; load average {_load()}"
    )


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _ms(value: float) -> str:
    return f"{value:.2f}" if value < 100 else f"{value:.0f}"


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "-"


def latency(stack_: Stack, args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    assert stack_.reference is not None
    assert stack_.ours is not None
    targets = [
        (stack_.floor(), stack_.upstream.cpu_seconds),
        (stack_.reference_target(), stack_.reference.cpu_seconds),
        (stack_.ours_target(), stack_.ours.cpu_seconds),
    ]
    warmup = max(20, args.calls // 10)
    sequential = loadgen.interleaved(targets, args.calls, 1, args.rounds, warmup)
    parallel = loadgen.interleaved(targets, args.concurrent_calls, args.clients, args.rounds, warmup)
    lines = [
        f"| chat tool call | p50 ms | p99 ms | calls/s | server CPU µs/call | p50 ms ({args.clients} clients) "
        f"| p99 ms | calls/s | server CPU µs/call |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    labels = {"floor": "floor: upstream direct", "reference": "reference: bare MCP SDK", "ours": "ours"}
    for name, label in labels.items():
        s, p = sequential[name], parallel[name]
        lines.append(
            f"| {label} | {_ms(s.p50_ms)} | {_ms(s.p99_ms)} | {s.rate:.0f} | {s.cpu_us_per_call:.0f} "
            f"| {_ms(p.p50_ms)} | {_ms(p.p99_ms)} | {p.rate:.0f} | {p.cpu_us_per_call:.0f} |"
        )
    for base in ("reference", "floor"):
        s, p, bs, bp = sequential["ours"], parallel["ours"], sequential[base], parallel[base]
        lines.append(
            f"| ours ÷ {base} | {_ratio(s.p50_ms, bs.p50_ms)} | {_ratio(s.p99_ms, bs.p99_ms)} "
            f"| {_ratio(s.rate, bs.rate)} | {_ratio(s.cpu_us_per_call, bs.cpu_us_per_call)} "
            f"| {_ratio(p.p50_ms, bp.p50_ms)} | {_ratio(p.p99_ms, bp.p99_ms)} | {_ratio(p.rate, bp.rate)} "
            f"| {_ratio(p.cpu_us_per_call, bp.cpu_us_per_call)} |"
        )
    lines.append(
        f"\nLoad generator CPU per call to ours: {sequential['ours'].client_cpu_us_per_call:.0f} µs (1 client), "
        f"{parallel['ours'].client_cpu_us_per_call:.0f} µs ({args.clients} clients)."
    )
    failures = {f"{k}/{c}": v.first_failure for c, d in (("1", sequential), ("n", parallel)) for k, v in d.items()}
    failed = {k: v for k, v in failures.items() if v}
    if failed:
        lines.append(f"\nFAILED CALLS: {failed}")
    data = {name: {"sequential": _summary(sequential[name]), "concurrent": _summary(parallel[name])} for name in labels}
    return "\n".join(lines), data


def _summary(stats: loadgen.Stats) -> dict[str, Any]:
    return {
        "calls": stats.calls,
        "failures": stats.failures,
        "p50_ms": stats.p50_ms,
        "p99_ms": stats.p99_ms,
        "calls_per_s": stats.rate,
        "server_cpu_us_per_call": stats.cpu_us_per_call,
        "client_cpu_us_per_call": stats.client_cpu_us_per_call,
    }


def in_flight(stack_: Stack, args: argparse.Namespace) -> tuple[str, list[concurrency.InFlight]]:
    arguments: dict[str, object] = {"prompt": loadgen.PROMPT, "model": delay_model(args.delay_ms)}
    runs = stack_.burst_targets(arguments)
    results = [
        concurrency.in_flight(process, target, args.in_flight, arrivals=stack_.arrivals) for process, target in runs
    ]
    lines = [
        f"| {args.in_flight} calls at once, upstream answers after {args.delay_ms / 1000:g} s | succeeded | p50 ms "
        "| p99 ms | max ms | last call reached upstream at ms | server CPU ms/call | RSS before MB | RSS peak MB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        passed_on = f"{r.passed_on_ms:.0f}" if r.passed_on_ms is not None else "-"
        lines.append(
            f"| {r.name} | {r.ok}/{r.calls} | {r.p50_ms:.0f} | {r.p99_ms:.0f} | {r.max_ms:.0f} | {passed_on} "
            f"| {r.cpu_ms_per_call:.2f} | {r.rss_before_mb:.0f} | {r.rss_peak_mb:.0f} |"
        )
    lines += [f"\nFAILED ({r.name}): {r.first_failure}" for r in results if r.first_failure]
    return "\n".join(lines), results


def streams(stack_: Stack, args: argparse.Namespace) -> tuple[str, concurrency.InFlight]:
    assert stack_.ours is not None
    body = loadgen.tool_call_body(progressToken="bench")
    r = concurrency.in_flight(stack_.ours, stack_.ours_target(body), args.streams, count_progress=True)
    lines = [
        f"| {args.streams} streamed calls at once (10 chunks, 0.1 s apart) | succeeded with progress "
        "| progress notifications per call (min / median) | p50 ms | p99 ms | RSS peak MB |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        f"| ours | {r.ok}/{r.calls} | {r.progress_min} / {r.progress_median:g} | {r.p50_ms:.0f} | {r.p99_ms:.0f} "
        f"| {r.rss_peak_mb:.0f} |",
    ]
    if r.first_failure:
        lines.append(f"\nFAILED: {r.first_failure}")
    return "\n".join(lines), r


def stored_data(upstream_url: str, workdir: Path, args: argparse.Namespace) -> tuple[str, list[scale.ScaleRow]]:
    signups, lookups = (10, 50) if args.quick else (200, 2000)
    rows = scale.run_sqlite(str(workdir / "scale.db"), upstream_url, args.rows, signups, lookups)
    note = ""
    if args.postgres in {"", "none"}:
        note = "\n(PostgreSQL not measured: --postgres none.)"
    elif scale.postgres_reachable(args.postgres):
        rows += scale.run_postgres(args.postgres, upstream_url, args.rows, signups, lookups)
    else:
        note = f"\n(PostgreSQL not measured: nothing answers at {args.postgres}; set --postgres.)"
    lines = [
        "| database | stored connections | sign-up p50 ms | sign-up p99 ms | token lookup p50 ms "
        "| token lookup p99 ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {r.database} | {r.rows:,} | {_ms(r.signup_p50_ms)} | {_ms(r.signup_p99_ms)} "
        f"| {_ms(r.lookup_p50_ms)} | {_ms(r.lookup_p99_ms)} |"
        for r in rows
    ]
    return "\n".join(lines) + note, rows


def run_profile(args: argparse.Namespace, serving: Serving, workdir: Path) -> int:
    if not profiling.available():
        print("py-spy is not installed: pip install -e '.[bench]'", file=sys.stderr)
        return 2
    with stack(workdir, serving, connections=args.clients) as stack_:
        process = stack_.reference if args.profile == "reference" else stack_.ours
        target = stack_.reference_target() if args.profile == "reference" else stack_.ours_target()
        assert process is not None
        for clients in (1, args.clients):
            report = profiling.profile(process, target, args.profile_seconds, clients, workdir / f"{clients}.txt")
            print(f"## {args.profile}, {clients} client(s)\n\n```\n{report.render()}\n```\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.quick:
        _quick(args)
    sections = [s.strip() for s in args.only.split(",") if s.strip()]
    if unknown := set(sections) - set(SECTIONS):
        print(f"unknown section(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    serving = Serving(args.loop, args.http, args.workers)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mistral-mcp-bench-") as tmp:
        workdir = Path(tmp)
        if args.profile:
            return run_profile(args, serving, workdir)
        print(f"# mistral-mcp benchmark\n\n{_machine(serving)}\n")
        results: dict[str, Any] = {"machine": _machine(serving)}
        if "tools" in sections:
            table, results["tools"] = tools.listing_sizes()
            print(f"## Tool listing size\n\n{table}\n")
        # One connection per client: the per-connection limits (10 calls at once) apply, as for users.
        connections = max(args.clients, -(-args.in_flight // 10))
        needs_servers = {"latency", "concurrency", "streams"} & set(sections)
        with stack(
            workdir,
            serving,
            connections=connections,
            with_reference=bool(needs_servers),
            with_ours=bool(needs_servers),
        ) as stack_:
            if "latency" in sections:
                table, results["latency"] = latency(stack_, args)
                print(f"## Latency and throughput\n\n{table}\n")
            if "concurrency" in sections:
                table, found = in_flight(stack_, args)
                results["concurrency"] = [asdict(r) for r in found]
                print(f"## Long calls in flight\n\n{table}\n")
            if "streams" in sections:
                table, found_stream = streams(stack_, args)
                results["streams"] = asdict(found_stream)
                print(f"## Streams with progress\n\n{table}\n")
            if "scale" in sections:
                table, found_rows = stored_data(stack_.upstream.url, workdir, args)
                results["scale"] = [asdict(r) for r in found_rows]
                print(f"## Stored data\n\n{table}\n")
        elapsed = time.monotonic() - started
        print(f"(run took {elapsed:.0f} s; load average at the end {_load()})")
        if args.json:
            args.json.write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
