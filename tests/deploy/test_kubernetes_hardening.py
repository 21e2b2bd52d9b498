"""The Kubernetes pods are locked down, bounded and probed, and no secret is written into a manifest.

The schemas (test_kubernetes_schemas.py) say a manifest is well formed; these say it is safe: what
the namespace's `restricted` Pod Security level would refuse at admission, stores and waits without
a bound, and settings the cluster itself would inject behind the app's back.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from server.errors import ConfigError
from server.settings import Settings
from tests.deploy.manifests import DEPLOY, KUBERNETES, compose, kubernetes, pod_templates

PODS = dict(pod_templates())
# Volume types the restricted Pod Security Standard allows (no hostPath and the like).
RESTRICTED_VOLUMES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
}
SECRET_NAME = re.compile(r"(PASSWORD|SECRET|TOKEN|KEYS?|DATABASE_URL)$")
KUBERNETES_UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 10**3, "M": 10**6, "G": 10**9, "": 1}
REDIS_UNITS = {"kb": 2**10, "mb": 2**20, "gb": 2**30, "k": 10**3, "m": 10**6, "g": 10**9, "": 1}


def bytes_of(quantity: str, units: dict[str, int] = KUBERNETES_UNITS) -> int:
    match = re.fullmatch(r"(\d+)([A-Za-z]*)", quantity)
    assert match, quantity
    return int(match[1]) * units[match[2]]


def containers(pod: dict[str, Any]) -> list[dict[str, Any]]:
    return [*pod.get("initContainers", []), *pod["containers"]]


def test_the_manifests_make_the_three_pods() -> None:
    assert set(PODS) == {"Deployment/mistral-mcp", "Deployment/mistral-mcp-redis", "Job/mistral-mcp-migrate"}


@pytest.mark.parametrize("name", PODS)
def test_every_pod_meets_the_restricted_pod_security_level_the_namespace_enforces(name: str) -> None:
    namespace = kubernetes()[("Namespace", "mistral-mcp")]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    pod = PODS[name]
    assert not any(pod.get(key) for key in ("hostNetwork", "hostPID", "hostIPC"))
    assert all(set(volume) - {"name"} <= RESTRICTED_VOLUMES for volume in pod.get("volumes", []))
    pod_context = pod.get("securityContext", {})
    for container in containers(pod):
        context = {**pod_context, **container.get("securityContext", {})}
        assert context.get("runAsNonRoot") is True, container["name"]
        assert context.get("runAsUser") != 0, container["name"]
        assert context.get("seccompProfile", {}).get("type") in {"RuntimeDefault", "Localhost"}, container["name"]
        assert context.get("allowPrivilegeEscalation") is False, container["name"]
        assert not context.get("privileged"), container["name"]
        assert "ALL" in context["capabilities"]["drop"], container["name"]
        assert set(context["capabilities"].get("add", [])) <= {"NET_BIND_SERVICE"}, container["name"]
        assert not any(port.get("hostPort") for port in container.get("ports", [])), container["name"]


@pytest.mark.parametrize("name", PODS)
def test_every_pod_has_a_read_only_root_no_api_token_and_bounded_memory_and_disk(name: str) -> None:
    pod = PODS[name]
    assert pod["automountServiceAccountToken"] is False
    for container in containers(pod):
        assert container["securityContext"]["readOnlyRootFilesystem"] is True, container["name"]
        # CPU is only requested: a CPU limit throttles calls mid-stream, and the HPA scales on requests.
        resources = container["resources"]
        assert {"cpu", "memory"} <= set(resources["requests"]), container["name"]
        assert bytes_of(resources["limits"]["memory"]) >= bytes_of(resources["requests"]["memory"]), container["name"]
    for volume in pod.get("volumes", []):
        if "emptyDir" in volume:
            assert "sizeLimit" in volume["emptyDir"], f"{name}: emptyDir {volume['name']} can fill the node's disk"


def test_redis_evicts_before_its_container_runs_out_of_memory() -> None:
    [redis] = PODS["Deployment/mistral-mcp-redis"]["containers"]
    maxmemory = redis["args"][redis["args"].index("--maxmemory") + 1]
    assert bytes_of(maxmemory.lower(), REDIS_UNITS) < bytes_of(redis["resources"]["limits"]["memory"])


def service_link_variables(service: dict[str, Any]) -> set[str]:
    """What the kubelet sets in every pod of the namespace for a Service, unless enableServiceLinks is false."""
    name = service["metadata"]["name"].upper().replace("-", "_")
    found = {f"{name}_SERVICE_HOST", f"{name}_SERVICE_PORT", f"{name}_PORT"}
    for port in service["spec"]["ports"]:
        if "name" in port:
            found.add(f"{name}_SERVICE_PORT_{port['name'].upper().replace('-', '_')}")
        prefix = f"{name}_PORT_{port['port']}_{port.get('protocol', 'TCP')}"
        found |= {prefix, f"{prefix}_PROTO", f"{prefix}_PORT", f"{prefix}_ADDR"}
    return found


@pytest.mark.parametrize("name", PODS)
def test_no_service_injects_variables_into_the_apps_settings(name: str) -> None:
    # The Service "mistral-mcp" makes the kubelet set MISTRAL_MCP_PORT=tcp://10.x.y.z:80 in every pod
    # (Docker-link style): the app's own port setting, which then fails to parse unless the ConfigMap
    # happens to set it too. Nothing here uses the links (pods find Redis by DNS name).
    if PODS[name].get("enableServiceLinks") is False:
        return
    services = [doc for (kind, _), doc in kubernetes().items() if kind == "Service"]
    injected = {var for service in services for var in service_link_variables(service)}
    ours = sorted(var for var in injected if var.startswith("MISTRAL_MCP_"))
    assert not ours, f"{name}: the kubelet would set {ours}"


def test_a_service_link_variable_is_not_a_port_the_app_accepts() -> None:
    service = kubernetes()[("Service", "mistral-mcp")]
    assert "MISTRAL_MCP_PORT" in service_link_variables(service)
    link = {"MISTRAL_MCP_PORT": f"tcp://10.96.0.10:{service['spec']['ports'][0]['port']}"}
    with pytest.raises(ConfigError, match="MISTRAL_MCP_PORT"):
        Settings.from_env({**link, "MISTRAL_MCP_DATABASE_URL": "sqlite+aiosqlite:///unused.db"})


def probe_timing(probe: dict[str, Any]) -> tuple[int, int]:
    return probe.get("timeoutSeconds", 1), probe.get("periodSeconds", 10)


@pytest.mark.parametrize("name", [name for name in PODS if name.startswith("Deployment/")])
def test_every_long_running_container_is_probed_and_each_probe_gives_up_before_the_next(name: str) -> None:
    for container in PODS[name]["containers"]:
        ports = {port["name"] for port in container.get("ports", [])}
        for kind in ("readinessProbe", "livenessProbe"):
            assert kind in container, f"{container['name']} has no {kind}"
        for kind in ("readinessProbe", "livenessProbe", "startupProbe"):
            probe = container.get(kind)
            if probe is None:
                continue
            timeout, period = probe_timing(probe)
            assert timeout < period, f"{container['name']} {kind}: probes would pile up"
            port = (probe.get("httpGet") or probe.get("tcpSocket") or {}).get("port")
            assert port is None or port in ports, f"{container['name']} {kind} probes an unknown port"


def test_the_app_is_live_on_healthz_and_ready_on_readyz_from_its_first_start() -> None:
    [app] = PODS["Deployment/mistral-mcp"]["containers"]
    # Liveness must not depend on the database: an outage would restart every pod for nothing.
    assert app["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert app["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert app["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_no_secret_value_is_written_into_a_pod_or_the_config_map() -> None:
    objects = kubernetes()
    for name, pod in PODS.items():
        for container in containers(pod):
            for variable in container.get("env", []):
                if SECRET_NAME.search(variable["name"]):
                    assert "value" not in variable, f"{name}: {variable['name']} is inline; use a secretKeyRef"
    for key, value in objects[("ConfigMap", "mistral-mcp")]["data"].items():
        assert not SECRET_NAME.search(key), f"{key} belongs in the Secret"
        assert urlsplit(str(value)).password is None, f"{key} holds a password"
    # The one Secret manifest is a template: a real value committed here would be leaked with the repository.
    secret = objects[("Secret", "mistral-mcp")]
    assert all("CHANGE-ME" in value for value in secret["stringData"].values())
    assert "data" not in secret


def test_no_secret_value_is_written_into_the_compose_file() -> None:
    for name, service in compose()["services"].items():
        for variable, value in service.get("environment", {}).items():
            if SECRET_NAME.search(variable):
                pytest.fail(f"{name}: {variable}={value!r} is inline; use a secret file and {variable}_FILE")


def test_the_migration_job_stops_when_the_operator_stops_waiting_for_it() -> None:
    # A database that stops answering, or an advisory lock never released, would otherwise keep the
    # Job (and the lock it may hold) alive long after the documented `kubectl wait` has given up.
    job = kubernetes()[("Job", "mistral-mcp-migrate")]["spec"]
    for text in ((DEPLOY / "README.md").read_text(), (KUBERNETES / "migration-job.yaml").read_text()):
        [minutes] = re.findall(r"kubectl .*wait .*--timeout=(\d+)m job/mistral-mcp-migrate", text)
        assert job["activeDeadlineSeconds"] == int(minutes) * 60
    assert job["backoffLimit"] <= 3
