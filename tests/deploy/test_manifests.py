"""The deployment files parse, reference only settings the app reads, and wire what matters.

Docker is not available to the tests, so nothing is built or started: these checks read the
files the way Compose and Kubernetes would and hold them to the app's real settings.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from server.settings import SETTINGS_DOC, Settings
from tests.deploy.manifests import DEPLOY, ROOT, compose, documents, kubernetes

SETTING_NAMES = {name for name, _, _ in SETTINGS_DOC}
VARIABLE = re.compile(r"\bMISTRAL_MCP_[A-Z0-9_]+\b")


def yaml_files() -> list[Path]:
    return sorted(p for p in DEPLOY.rglob("*") if p.suffix in {".yaml", ".yml"})


def test_every_yaml_file_parses_into_documents() -> None:
    assert len(yaml_files()) >= 10
    for path in yaml_files():
        assert documents(path), f"{path} is empty"


@pytest.mark.parametrize(
    "path",
    [p for p in [*DEPLOY.rglob("*"), ROOT / "Dockerfile", ROOT / "docs" / "operations.md"] if p.is_file()],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_every_mistral_mcp_variable_referenced_is_one_the_app_reads(path: Path) -> None:
    unknown = set(VARIABLE.findall(path.read_text())) - SETTING_NAMES
    assert not unknown, f"{path.relative_to(ROOT)} sets variables the app ignores: {sorted(unknown)}"


def test_the_kubernetes_settings_are_values_the_app_accepts() -> None:
    objects = kubernetes()
    env = dict(objects[("ConfigMap", "mistral-mcp")]["data"])
    container = objects[("Deployment", "mistral-mcp")]["spec"]["template"]["spec"]["containers"][0]
    for item in container["env"]:
        env[item["name"]] = item.get("value", "from-a-secret")
    env["MISTRAL_MCP_DATABASE_URL"] = objects[("Secret", "mistral-mcp")]["stringData"]["database-url"]
    settings = Settings.from_env(env)
    assert settings.auto_migrate is False
    assert settings.public_url.startswith("https://")
    assert settings.redis_url.startswith("redis://mistral-mcp-redis:")
    assert (settings.host, settings.port) == ("0.0.0.0", 8000)


def test_the_deployment_probes_drains_and_reads_secrets_from_files() -> None:
    objects = kubernetes()
    deployment = objects[("Deployment", "mistral-mcp")]
    pod = deployment["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["ports"][0]["containerPort"] == 8000
    grace = int(objects[("ConfigMap", "mistral-mcp")]["data"]["MISTRAL_MCP_SHUTDOWN_GRACE_SECONDS"])
    pre_stop = int(container["lifecycle"]["preStop"]["exec"]["command"][1])
    assert pod["terminationGracePeriodSeconds"] > grace + pre_stop
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0

    keys_file = next(e["value"] for e in container["env"] if e["name"] == "MISTRAL_MCP_ENCRYPTION_KEYS_FILE")
    mount = next(m for m in container["volumeMounts"] if keys_file.startswith(m["mountPath"] + "/"))
    volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
    secret = objects[("Secret", volume["secret"]["secretName"])]
    assert keys_file.rsplit("/", 1)[1] in {item["path"] for item in volume["secret"]["items"]}
    assert {item["key"] for item in volume["secret"]["items"]} <= set(secret["stringData"])
    for item in container["env"]:
        ref = item.get("valueFrom", {}).get("secretKeyRef")
        if ref:
            assert ref["key"] in objects[("Secret", ref["name"])]["stringData"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True


def test_service_pdb_and_autoscaler_select_the_deployments_pods() -> None:
    objects = kubernetes()
    labels = objects[("Deployment", "mistral-mcp")]["spec"]["template"]["metadata"]["labels"]
    service = objects[("Service", "mistral-mcp")]
    assert service["spec"]["selector"].items() <= labels.items()
    assert objects[("PodDisruptionBudget", "mistral-mcp")]["spec"]["selector"]["matchLabels"].items() <= labels.items()
    hpa = objects[("HorizontalPodAutoscaler", "mistral-mcp")]["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "mistral-mcp"}
    assert hpa["minReplicas"] >= 2
    backend = objects[("Ingress", "mistral-mcp")]["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == "mistral-mcp" and backend["port"]["name"] == service["spec"]["ports"][0]["name"]


def test_the_ingress_streams_without_buffering_and_waits_long_enough() -> None:
    annotations = kubernetes()[("Ingress", "mistral-mcp")]["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 300
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-send-timeout"]) >= 300


def test_the_migration_job_runs_db_upgrade_with_the_apps_settings() -> None:
    job = documents(DEPLOY / "kubernetes" / "migration-job.yaml")[0]
    assert job["kind"] == "Job"
    [container] = job["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["mistral-mcp", "db", "upgrade"]
    assert {"configMapRef": {"name": "mistral-mcp"}} in container["envFrom"]
    assert any(e["name"] == "MISTRAL_MCP_DATABASE_URL" for e in container["env"])


def test_kustomization_lists_every_manifest_but_the_migration_job() -> None:
    [kustomization] = documents(DEPLOY / "kubernetes" / "kustomization.yaml")
    manifests = {p.name for p in (DEPLOY / "kubernetes").glob("*.yaml")}
    assert set(kustomization["resources"]) == manifests - {"kustomization.yaml", "migration-job.yaml"}


def test_compose_runs_two_replicas_behind_a_tls_proxy_after_migrating() -> None:
    services = compose()["services"]
    apps = [name for name, s in services.items() if s.get("command") is None and s.get("image") == "mistral-mcp:latest"]
    assert len(apps) >= 2
    for name in apps:
        app = services[name]
        assert app["environment"]["MISTRAL_MCP_AUTO_MIGRATE"] == "false"
        assert "/readyz" in " ".join(app["healthcheck"]["test"])
        assert app["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert app["depends_on"]["redis"]["condition"] == "service_healthy"
        assert "ports" not in app, "only the proxy is published"
    assert services["migrate"]["command"] == ["mistral-mcp", "db", "upgrade"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("postgres", "redis", "caddy"):
        assert services[name]["healthcheck"]["test"]
    caddyfile = (DEPLOY / "compose" / "Caddyfile").read_text()
    assert all(f"{name}:8000" in caddyfile for name in apps)
    assert "flush_interval -1" in caddyfile
    assert "respond /metrics 404" in caddyfile
    assert {"443:443", "80:80"} <= set(services["caddy"]["ports"])


def test_compose_secrets_come_from_files_and_settings_point_at_them() -> None:
    doc = compose()
    declared = doc["secrets"]
    assert all("file" in spec for spec in declared.values())
    for name, service in doc["services"].items():
        env = service.get("environment", {})
        for variable, value in env.items():
            if variable.endswith("_FILE"):
                secret = str(value).removeprefix("/run/secrets/")
                assert secret in service["secrets"] and secret in declared, (name, variable)
    app_env = {
        k: str(v).replace("${MCP_DOMAIN:?set MCP_DOMAIN to the public host name}", "mcp.example.com")
        for k, v in doc["services"]["app-1"]["environment"].items()
        if k != "MISTRAL_MCP_DATABASE_URL_FILE"  # read by the app at start; the file exists only there
    }
    settings = Settings.from_env(app_env)
    assert settings.public_url == "https://mcp.example.com"
    assert settings.forwarded_allow_ips == ("172.28.0.0/24",)
    subnet = doc["networks"]["internal"]["ipam"]["config"][0]["subnet"]
    assert settings.forwarded_allow_ips == (subnet,)


# Docker is not here to run `docker compose config`: these are the Compose Specification's own
# top-level and service properties, so a misspelled key fails here instead of being ignored.
COMPOSE_TOP_LEVEL = {"name", "include", "services", "networks", "volumes", "secrets", "configs", "models"}
COMPOSE_SERVICE_PROPERTIES = """
    annotations attach blkio_config build cap_add cap_drop cgroup cgroup_parent command configs container_name
    cpu_count cpu_percent cpu_period cpu_quota cpu_rt_period cpu_rt_runtime cpu_shares cpus cpuset
    credential_spec depends_on deploy develop device_cgroup_rules devices dns dns_opt dns_search domainname
    entrypoint env_file environment expose extends external_links extra_hosts gpus group_add healthcheck
    hostname image init ipc isolation label_file labels links logging mac_address mem_limit mem_reservation
    mem_swappiness memswap_limit models network_mode networks oom_kill_disable oom_score_adj pid pids_limit
    platform ports post_start pre_stop privileged profiles provider pull_policy pull_refresh_after read_only
    restart runtime scale secrets security_opt shm_size stdin_open stop_grace_period stop_signal storage_opt
    sysctls tmpfs tty ulimits use_api_socket user userns_mode uts volumes volumes_from working_dir
"""
COMPOSE_SERVICE = set(COMPOSE_SERVICE_PROPERTIES.split())
COMPOSE_HEALTHCHECK = {"test", "interval", "timeout", "retries", "start_period", "start_interval", "disable"}


def test_compose_uses_only_known_keys_and_references_only_what_it_declares() -> None:
    doc = compose()
    assert {key for key in doc if not key.startswith("x-")} <= COMPOSE_TOP_LEVEL
    services = doc["services"]
    for name, service in services.items():
        assert set(service) <= COMPOSE_SERVICE, (name, sorted(set(service) - COMPOSE_SERVICE))
        assert set(service.get("healthcheck", {})) <= COMPOSE_HEALTHCHECK, name
        assert "image" in service or "build" in service, name
        assert set(service.get("depends_on", {})) <= set(services) - {name}, name
        assert set(service.get("secrets", [])) <= set(doc.get("secrets", {})), name
        assert set(service.get("networks", [])) <= set(doc.get("networks", {})), name
        for mount in service.get("volumes", []):
            source = mount.split(":", 1)[0]
            assert source.startswith((".", "/")) or source in doc.get("volumes", {}), (name, mount)


def test_compose_needs_only_the_variables_the_readme_sets() -> None:
    text = (DEPLOY / "compose" / "compose.yaml").read_text()
    variables = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", text))
    assert variables == {"MCP_DOMAIN"}
    assert "MCP_DOMAIN=mcp.example.com docker compose up" in (DEPLOY / "README.md").read_text()
