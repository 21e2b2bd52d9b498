"""Every Kubernetes manifest is valid against the API server's own schemas, without a cluster.

kubernetes-validate ships the OpenAPI schemas of each Kubernetes release as JSON Schema. The strict
variant forbids properties the API does not define, so a misspelled field fails here instead of being
dropped silently by `kubectl apply` (or refused by the API server on the day of the rollout).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from kubernetes_validate import SchemaNotFoundError, ValidationError, validate

from tests.deploy.manifests import KUBERNETES, documents, kubernetes, kubernetes_files

# The floor the manifests need (the namespace's pod-security.kubernetes.io labels are enforced by
# PodSecurity admission, GA in 1.25; nothing newer is used) and the newest release the package ships.
KUBERNETES_VERSIONS = ("1.25", "1.37")


def resources(path: Path) -> list[dict[str, Any]]:
    # kustomization.yaml configures the kustomize CLI: the API server never sees it, so there is no
    # schema for it. It is checked on its own below; every other document must be a real resource.
    return [doc for doc in documents(path) if doc.get("kind") != "Kustomization"]


def test_every_manifest_but_the_kustomization_holds_kubernetes_resources() -> None:
    assert all(resources(path) for path in kubernetes_files() if path.name != "kustomization.yaml")
    [kustomization] = documents(KUBERNETES / "kustomization.yaml")
    assert kustomization["apiVersion"].startswith("kustomize.config.k8s.io/")
    with pytest.raises(SchemaNotFoundError):
        validate(kustomization, KUBERNETES_VERSIONS[-1], strict=True)


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("path", kubernetes_files(), ids=lambda p: p.name)
def test_every_kubernetes_resource_matches_the_api_schema_strictly(path: Path, version: str) -> None:
    problems = []
    for resource in resources(path):
        try:
            validate(resource, version, strict=True)
        except ValidationError as error:
            where = f"{resource['kind']}/{resource['metadata']['name']}: {'.'.join(map(str, error.path))}"
            problems.append(f"{where}: {error.message}")
    assert not problems, f"{path.name} is not valid on Kubernetes {version}: {problems}"


def deployment() -> dict[str, Any]:
    return copy.deepcopy(kubernetes()[("Deployment", "mistral-mcp")])


def container(resource: dict[str, Any]) -> dict[str, Any]:
    return resource["spec"]["template"]["spec"]["containers"][0]


@pytest.mark.parametrize(
    ("break_it", "where", "says"),
    [
        (lambda d: container(d)["readinessProbe"].update(periodSecond=5), "readinessProbe", "'periodSecond'"),
        (lambda d: container(d)["securityContext"].update(readOnlyRootFileSystem=True), "securityContext", "'readOnly"),
        (lambda d: d["spec"].update(replicas="two"), "spec.replicas", "'two' is not of type 'integer'"),
        (lambda d: container(d)["ports"][0].update(containerPort="8000"), "containerPort", "'8000' is not of type"),
        (lambda d: d["spec"].pop("selector"), "spec", "'selector' is a required property"),
    ],
    ids=["misspelled-probe-field", "misspelled-security-field", "wrong-type", "port-as-string", "missing-selector"],
)
def test_the_validator_refuses_a_broken_copy_of_the_deployment(break_it: Any, where: str, says: str) -> None:
    broken = deployment()
    validate(broken, KUBERNETES_VERSIONS[-1], strict=True)  # the real one passes...
    break_it(broken)
    with pytest.raises(ValidationError) as refused:  # ...so the refusal is the breakage's doing
        validate(broken, KUBERNETES_VERSIONS[-1], strict=True)
    assert where in ".".join(map(str, refused.value.path))
    assert says in refused.value.message


def test_the_kustomization_deploys_the_image_the_migration_job_runs_into_the_namespace() -> None:
    [kustomization] = documents(KUBERNETES / "kustomization.yaml")
    objects = kubernetes()
    assert ("Namespace", kustomization["namespace"]) in objects
    [image] = kustomization["images"]
    assert container(objects[("Deployment", "mistral-mcp")])["image"] == image["name"]
    # The Job is applied on its own (not through kustomize), so it names the rewritten image itself.
    job = objects[("Job", "mistral-mcp-migrate")]
    assert container(job)["image"] == f"{image['newName']}:{image['newTag']}"
