"""`mistral-mcp` as a user runs it: zero-configuration serve, key generation, --help."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from storage.migrate import head_revision
from tests.conftest import VALID_KEY
from tests.fake_mistral import FakeMistral

CLI = [sys.executable, "-m", "server"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(url: str, process: subprocess.Popen[str]) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise AssertionError(f"server exited early: {process.stderr.read() if process.stderr else ''}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("server never became healthy")


def serve(cwd: Path, upstream: str) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MISTRAL_MCP_")}
    env.update({"MISTRAL_MCP_UPSTREAM_URL": upstream, "MISTRAL_MCP_LOG_FORMAT": "json"})
    process = subprocess.Popen(
        [*CLI, "serve", "--port", str(port)],
        cwd=cwd,
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, process)
    return process, url


def stop(process: subprocess.Popen[str]) -> str:
    process.terminate()
    _, err = process.communicate(timeout=30)
    return err


def test_zero_config_serve_generates_a_private_key_once_and_reuses_it(
    tmp_path: Path, fake_mistral: FakeMistral, fake_mistral_url: str
) -> None:
    process, url = serve(tmp_path, fake_mistral_url)
    try:
        created = httpx.post(f"{url}/api/connections", json={"api_key": VALID_KEY}).json()
    finally:
        first_log = stop(process)
    key_file = tmp_path / "mistral-mcp-data" / "encryption.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert (tmp_path / "mistral-mcp-data" / "mistral-mcp.db").exists()
    generated = [line for line in first_log.splitlines() if "generated one in" in line]
    assert len(generated) == 1 and "MISTRAL_MCP_ENCRYPTION_KEYS" in generated[0]
    key_before = key_file.read_text()

    process, url = serve(tmp_path, fake_mistral_url)
    try:
        info = httpx.get(f"{url}/api/connection", headers={"Authorization": f"Bearer {created['token']}"})
    finally:
        second_log = stop(process)
    assert info.status_code == 200, "the connection made before the restart must still decrypt"
    assert key_file.read_text() == key_before
    assert "generated one in" not in second_log
    assert created["token"] not in first_log + second_log


def test_help_documents_commands_and_every_setting() -> None:
    from server.settings import SETTINGS_DOC

    top = subprocess.run([*CLI, "--help"], capture_output=True, text=True, check=True).stdout
    serve_help = subprocess.run([*CLI, "serve", "--help"], capture_output=True, text=True, check=True).stdout
    for command in ("serve", "db", "keys"):
        assert command in top
    assert "--host" in serve_help and "--port" in serve_help
    for name, _, _ in SETTINGS_DOC:
        assert name in serve_help


def test_keys_generate_prints_a_usable_key() -> None:
    from server.security.crypto import Keyring

    key = subprocess.run([*CLI, "keys", "generate"], capture_output=True, text=True, check=True).stdout.strip()
    Keyring([key])


def test_bad_configuration_exits_with_a_message(tmp_path: Path) -> None:
    env = {**os.environ, "MISTRAL_MCP_PORT": "not-a-port"}
    result = subprocess.run([*CLI, "serve"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "MISTRAL_MCP_PORT" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "command"),
    [
        ("MISTRAL_MCP_DATABASE_URL", "mysql://x", ["db", "upgrade"]),
        ("MISTRAL_MCP_DATABASE_URL", "not a url at all", ["db", "current"]),
        ("MISTRAL_MCP_UPSTREAM_TIMEOUT", "nan", ["serve"]),
        ("MISTRAL_MCP_TOKEN_CACHE_SECONDS", "2", ["keys", "status"]),
    ],
)
def test_every_unusable_setting_is_one_line_naming_it_and_exit_code_2(
    tmp_path: Path, variable: str, value: str, command: list[str]
) -> None:
    env = {**os.environ, variable: value}
    result = subprocess.run([*CLI, *command], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr  # one line: no traceback
    assert result.stderr.startswith(f"mistral-mcp: configuration error: {variable} ")


def test_db_upgrade_is_idempotent(tmp_path: Path) -> None:
    env = {**os.environ, "MISTRAL_MCP_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    for _ in range(2):
        out = subprocess.run([*CLI, "db", "upgrade"], capture_output=True, text=True, env=env, check=True).stdout
        assert f"revision {head_revision()}" in out
