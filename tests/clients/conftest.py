"""Real MCP client programs (npm) against the real app: see tests/support/external_tools.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.external_tools import NodeTools, find_node_tools

TOOLS = ("mcp-remote", "mcp-inspector", "conformance")


@pytest.fixture(scope="session")
def node_tools() -> NodeTools:
    return find_node_tools(*TOOLS)


@pytest.fixture
def tool_env(node_tools: NodeTools, tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    return node_tools.env(home)
