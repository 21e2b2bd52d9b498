"""The tool listing a model reads every turn stays within the issue's budgets (tokens ≈ UTF-8 bytes ÷ 4)."""

from __future__ import annotations

import pytest

from server.policy import ALL, CORE, Policy, Profile
from server.tools import build_registry
from server.tools.budget import tokens, tool_bytes

BUDGETS = [(CORE, 5_000), (ALL, 25_000)]


def _top(tools: list, count: int = 5) -> str:
    sizes = sorted(((tool_bytes(tool), tool.name) for tool in tools), reverse=True)[:count]
    return ", ".join(f"{name} {size:,} bytes" for size, name in sizes)


@pytest.mark.parametrize(("profile", "budget"), BUDGETS, ids=["core", "all"])
def test_the_listing_of_a_profile_fits_its_token_budget(profile: Profile, budget: int) -> None:
    tools = build_registry().listing(Policy(profile=profile)).tools
    used = tokens(tools)
    assert used <= budget, f"{profile.preset}: {used:,} tokens > {budget:,}; largest: {_top(tools)}"


def test_the_measure_is_utf8_bytes_over_what_a_model_reads() -> None:
    tool = build_registry().listing(Policy(profile=CORE)).tools[0]
    assert tool_bytes(tool) > len(tool.name) + len(tool.description or "")
    assert tokens([tool]) == -(-tool_bytes(tool) // 4)
