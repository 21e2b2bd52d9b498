"""Docs that can rot are checked: README's settings table and the commands CI runs."""

from pathlib import Path

from server.settings import SETTINGS_DOC

ROOT = Path(__file__).resolve().parents[2]


def test_readme_settings_table_matches_the_settings_object() -> None:
    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- settings-table:start -->")[1].split("<!-- settings-table:end -->")[0]
    rows = [line for line in block.strip().splitlines()[2:]]
    expected = [f"| `{name}` | `{default}` | {meaning} |" for name, default, meaning in SETTINGS_DOC]
    assert rows == expected


def test_ci_runs_the_test_command_the_readme_shows() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install -e '.[test]' && python -m pytest" in readme
    assert "pip install . && mistral-mcp serve" in readme
    assert "python -m pytest" in ci and "pip install --quiet -e '.[test]'" in ci


def test_readme_lists_every_tool_once_and_counts_them() -> None:
    import re

    from server.tools import build_registry

    readme = (ROOT / "README.md").read_text()
    names = [spec.name for spec in build_registry()]
    rows = re.findall(r"^\| `(mistral_[a-z_]+)` \|", readme, re.MULTILINE)
    assert sorted(rows) == sorted(names)
    assert f"({len(names)} tools, listed below" in readme
