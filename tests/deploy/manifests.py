"""The deployment files read the way Compose and Kubernetes read them, for the tests in this folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def kubernetes_files() -> list[Path]:
    return sorted(KUBERNETES.glob("*.yaml"))


def kubernetes() -> dict[tuple[str, str], dict[str, Any]]:
    found = {}
    for path in kubernetes_files():
        for doc in documents(path):
            if doc.get("kind") != "Kustomization":
                found[(doc["kind"], doc["metadata"]["name"])] = doc
    return found


def pod_templates() -> Iterator[tuple[str, dict[str, Any]]]:
    """Every pod the manifests make (Deployments and the Job), as ("Kind/name", pod spec)."""
    for (kind, name), doc in kubernetes().items():
        template = doc.get("spec", {}).get("template")
        if template is not None:
            yield f"{kind}/{name}", template["spec"]


def compose() -> dict[str, Any]:
    [doc] = documents(DEPLOY / "compose" / "compose.yaml")
    return doc
