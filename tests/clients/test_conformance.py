"""The official MCP conformance suite, server mode, against a real connection URL.

Only the scenarios that apply to a server without the suite's fixture tools run; checks that
cannot apply are listed, with reasons, in conformance-expected-failures.yml.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import anyio
import pytest

from tests.conftest import RunningApp
from tests.support.external_tools import NodeTools

pytestmark = [pytest.mark.clients, pytest.mark.anyio]

EXPECTED_FAILURES = Path(__file__).with_name("conformance-expected-failures.yml")
SCENARIOS = [
    ("2025-11-25", "server-initialize"),
    ("2025-11-25", "ping"),
    ("2025-11-25", "tools-list"),
    ("2025-11-25", "dns-rebinding-protection"),
    ("2026-07-28", "server-stateless"),
    ("2026-07-28", "http-header-validation"),
    ("2026-07-28", "caching"),
    ("2026-07-28", "tools-list"),
    ("2026-07-28", "dns-rebinding-protection"),
]


def expected_failures() -> set[str]:
    entries = re.findall(r"^\s*-\s*([\w.-]+:[\w.-]+)\s*$", EXPECTED_FAILURES.read_text(), re.M)
    return set(entries)


@pytest.mark.parametrize(("spec_version", "scenario"), SCENARIOS)
async def test_conformance_scenario_passes(
    app: RunningApp, node_tools: NodeTools, tool_env: dict[str, str], tmp_path: Path, spec_version: str, scenario: str
) -> None:
    url = app.sign_up()["mcp_url"]
    command = node_tools.command(
        "conformance",
        *("server", "--url", url, "--scenario", scenario, "--spec-version", spec_version),
        *("--expected-failures", str(EXPECTED_FAILURES), "--output-dir", str(tmp_path)),
    )
    with anyio.fail_after(90):
        done = await anyio.run_process(command, env=tool_env, check=False)
    output = done.stdout.decode(errors="replace") + done.stderr.decode(errors="replace")
    assert done.returncode == 0, output

    # Exit 0 also means "scenario not applicable, skipped": make sure it really ran and checked things.
    results = list(tmp_path.glob(f"server-{scenario}-*/checks.json"))
    assert len(results) == 1, output
    checks = json.loads(results[0].read_text())
    assert any(check["status"] == "SUCCESS" for check in checks), output
    failed = {f"{scenario}:{check['id']}" for check in checks if check["status"] in {"FAILURE", "WARNING"}}
    assert failed <= expected_failures(), output
