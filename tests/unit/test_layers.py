"""The layers contract covers the whole tree: import-linter only holds the modules it names."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _layered_modules() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (layers,) = [c["layers"] for c in config["contracts"] if c["type"] == "layers"]
    return {name.strip() for layer in layers for name in layer.split("|")}


def test_every_module_and_package_of_the_server_belongs_to_a_layer() -> None:
    layered = _layered_modules()
    children = {
        f"server.{path.stem if path.is_file() else path.name}"
        for path in (ROOT / "server").iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").exists()
    }
    assert children - layered == set(), "add these to [tool.importlinter] layers in pyproject.toml"
    assert "storage" in layered
