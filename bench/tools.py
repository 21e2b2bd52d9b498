"""The tool listing a model reads every turn, in tokens (UTF-8 bytes ÷ 4): no server needed."""

from __future__ import annotations

from typing import Any

from server.policy import ALL, CORE, Policy
from server.tools import build_registry
from server.tools.budget import tokens, tool_bytes


def listing_sizes() -> tuple[str, dict[str, Any]]:
    registry = build_registry()
    lines = ["| profile | tools | tokens |", "| --- | ---: | ---: |"]
    data: dict[str, Any] = {}
    for profile in (CORE, ALL):
        tools = registry.listing(Policy(profile=profile)).tools
        lines.append(f"| {profile.preset} | {len(tools)} | {tokens(tools):,} |")
        data[str(profile.preset)] = {"tools": len(tools), "tokens": tokens(tools)}
    everything = registry.listing(Policy(profile=ALL)).tools
    top = sorted(((tool_bytes(t), t.name) for t in everything), reverse=True)[:5]
    lines += ["", "| largest tools | bytes |", "| --- | ---: |"]
    lines += [f"| {name} | {size:,} |" for size, name in top]
    data["top"] = [{"name": name, "bytes": size} for size, name in top]
    return "\n".join(lines), data
