import re
from dataclasses import fields
from pathlib import Path

import pytest

from server.errors import ConfigError
from server.settings import SETTINGS_DOC, Settings, mask_url_password
from server.settings.values import Rate


def test_defaults_serve_on_loopback_with_public_url_derived_from_bind_address() -> None:
    settings = Settings.from_env({})
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.public_url == "http://127.0.0.1:8000"
    assert settings.effective_database_url == f"sqlite:///{Path('mistral-mcp-data') / 'mistral-mcp.db'}"
    assert settings.upstream_url == "https://api.mistral.ai"


def test_oauth_registration_and_sign_in_starts_are_limited_by_default() -> None:
    settings = Settings.from_env({})
    assert settings.registration_rate_limit == Rate(60, 3600.0)
    assert settings.authorize_rate_limit == Rate(30, 60.0)
    assert (settings.oauth_unused_client_hours, settings.oauth_idle_client_days) == (24.0, 90.0)


def test_cli_flags_win_over_environment() -> None:
    settings = Settings.from_env({"MISTRAL_MCP_HOST": "0.0.0.0", "MISTRAL_MCP_PORT": "9000"}, port=9100)
    assert settings.port == 9100
    assert settings.public_url == "http://127.0.0.1:9100"


def test_every_documented_variable_is_read() -> None:
    env = {
        "MISTRAL_MCP_PUBLIC_URL": "https://mcp.example.com/",
        "MISTRAL_MCP_ALLOWED_HOSTS": "a.example.com, b.example.com",
        "MISTRAL_MCP_FORWARDED_ALLOW_IPS": "10.0.0.1, 10.0.0.2",
        "MISTRAL_MCP_DATA_DIR": "/tmp/x",
        "MISTRAL_MCP_DATABASE_URL": "postgresql://u:p@db/x",
        "MISTRAL_MCP_DATABASE_URL_FILE": "/run/secrets/not-read-when-the-url-is-set",
        "MISTRAL_MCP_DATABASE_CONNECT_TIMEOUT": "2",
        "MISTRAL_MCP_DATABASE_STATEMENT_TIMEOUT": "3.5",
        "MISTRAL_MCP_DATABASE_POOL_TIMEOUT": "4",
        "MISTRAL_MCP_ENCRYPTION_KEYS": "k1,k2",
        "MISTRAL_MCP_ENCRYPTION_KEYS_FILE": "/run/secrets/keys",
        "MISTRAL_MCP_UPSTREAM_URL": "http://fake:1/",
        "MISTRAL_MCP_UPSTREAM_TIMEOUT": "3.5",
        "MISTRAL_MCP_UPSTREAM_CONNECT_TIMEOUT": "1",
        "MISTRAL_MCP_UPSTREAM_MAX_RETRIES": "0",
        "MISTRAL_MCP_UPSTREAM_RETRY_MAX_WAIT": "2",
        "MISTRAL_MCP_UPSTREAM_MAX_CONNECTIONS": "50",
        "MISTRAL_MCP_UPSTREAM_MAX_CONNECTIONS_PER_KEY": "5",
        "MISTRAL_MCP_UPSTREAM_MAX_RESPONSE_BYTES": "1048576",
        "MISTRAL_MCP_MAX_MCP_BODY_BYTES": "2048",
        "MISTRAL_MCP_MAX_API_BODY_BYTES": "4096",
        "MISTRAL_MCP_SIGNUP_RATE_LIMIT": "5/hour",
        "MISTRAL_MCP_LOG_LEVEL": "debug",
        "MISTRAL_MCP_LOG_FORMAT": "text",
        "MISTRAL_MCP_AUTO_MIGRATE": "false",
        "MISTRAL_MCP_SHUTDOWN_GRACE_SECONDS": "7",
        "MISTRAL_MCP_HEADER_TIMEOUT": "2.5",
        "MISTRAL_MCP_BODY_TIMEOUT": "20",
        "MISTRAL_MCP_KEEPALIVE_TIMEOUT": "0.5",
        "MISTRAL_MCP_SEND_TIMEOUT": "12",
        "MISTRAL_MCP_MAX_HEADER_BYTES": "8192",
        "MISTRAL_MCP_MAX_CONNECTIONS": "64",
        "MISTRAL_MCP_RATE_LIMIT_PER_MINUTE": "0",
        "MISTRAL_MCP_MAX_CONCURRENT_CALLS": "3",
        "MISTRAL_MCP_REDIS_URL": "redis://:pw@cache:6379/1",
        "MISTRAL_MCP_METRICS_TOKEN": "scrape-secret",
        "MISTRAL_MCP_OAUTH_ENABLED": "false",
        "MISTRAL_MCP_OAUTH_CIMD_ALLOW_LOOPBACK": "true",
        "MISTRAL_MCP_REGISTRATION_RATE_LIMIT": "5/minute",
        "MISTRAL_MCP_AUTHORIZE_RATE_LIMIT": "off",
        "MISTRAL_MCP_OAUTH_UNUSED_CLIENT_HOURS": "2.5",
        "MISTRAL_MCP_OAUTH_IDLE_CLIENT_DAYS": "45",
        "MISTRAL_MCP_OAUTH_CIMD_FETCH_TIMEOUT": "2.5",
        "MISTRAL_MCP_OAUTH_CIMD_FETCHES_PER_HOST": "2",
        "MISTRAL_MCP_TOKEN_CACHE_SECONDS": "0.5",
        "MISTRAL_MCP_HOST": "0.0.0.0",
        "MISTRAL_MCP_PORT": "8080",
    }
    assert {name for name, _, _ in SETTINGS_DOC} == set(env)
    s = Settings.from_env(env)
    assert s.public_url == "https://mcp.example.com"
    assert s.allowed_hosts == ("a.example.com", "b.example.com")
    assert s.forwarded_allow_ips == ("10.0.0.1", "10.0.0.2")
    assert s.signup_rate_limit == Rate(5, 3600.0)
    assert s.encryption_keys == ("k1", "k2")
    assert s.encryption_keys_file == Path("/run/secrets/keys")
    assert s.upstream_url == "http://fake:1"
    assert (s.upstream_timeout, s.upstream_connect_timeout, s.upstream_max_retries) == (3.5, 1.0, 0)
    assert (s.upstream_retry_max_wait, s.upstream_max_connections) == (2.0, 50)
    assert (s.upstream_key_share, s.upstream_max_response_bytes) == (5, 1048576)
    assert (s.max_mcp_body_bytes, s.max_api_body_bytes) == (2048, 4096)
    assert (s.log_level, s.log_format, s.auto_migrate) == ("DEBUG", "text", False)
    assert (s.host, s.port) == ("0.0.0.0", 8080)
    assert (s.shutdown_grace_seconds, s.rate_limit_per_minute, s.max_concurrent_calls) == (7, 0, 3)
    assert (s.redis_url, s.metrics_token) == ("redis://:pw@cache:6379/1", "scrape-secret")
    assert (s.oauth_enabled, s.oauth_cimd_allow_loopback) == (False, True)
    assert (s.oauth_cimd_fetch_timeout, s.oauth_cimd_fetches_per_host) == (2.5, 2)
    assert s.token_cache_seconds == 0.5
    assert (s.header_timeout, s.body_timeout, s.keepalive_timeout) == (2.5, 20.0, 0.5)
    assert s.send_timeout == 12.0
    assert (s.max_header_bytes, s.max_connections) == (8192, 64)
    assert (s.registration_rate_limit, s.authorize_rate_limit) == (Rate(5, 60.0), None)
    assert (s.oauth_unused_client_hours, s.oauth_idle_client_days) == (2.5, 45.0)
    assert (s.database_connect_timeout, s.database_statement_timeout, s.database_pool_timeout) == (2.0, 3.5, 4.0)


def test_repr_shows_no_secret() -> None:
    s = Settings.from_env(
        {
            "MISTRAL_MCP_ENCRYPTION_KEYS": "c2VjcmV0LWtleS1tYXRlcmlhbA",
            "MISTRAL_MCP_DATABASE_URL": "postgresql://u:hunter2@db/x",
            "MISTRAL_MCP_REDIS_URL": "redis://:redispass@cache:6379/0",
            "MISTRAL_MCP_METRICS_TOKEN": "scrape-secret",
        }
    )
    shown = repr(s)
    assert "c2VjcmV0LWtleS1tYXRlcmlhbA" not in shown
    assert "hunter2" not in shown
    assert "redispass" not in shown and "scrape-secret" not in shown
    assert "<1 key(s)>" in shown and "postgresql://u:***@db/x" in shown


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MISTRAL_MCP_PORT", "eighty"),
        ("MISTRAL_MCP_UPSTREAM_TIMEOUT", "-1"),
        ("MISTRAL_MCP_LOG_FORMAT", "xml"),
        ("MISTRAL_MCP_LOG_LEVEL", "LOUD"),
        ("MISTRAL_MCP_AUTO_MIGRATE", "maybe"),
        ("MISTRAL_MCP_PUBLIC_URL", "ftp://x"),
        ("MISTRAL_MCP_SIGNUP_RATE_LIMIT", "lots"),
        ("MISTRAL_MCP_REDIS_URL", "http://cache:6379"),
        ("MISTRAL_MCP_MAX_CONCURRENT_CALLS", "-1"),
        ("MISTRAL_MCP_SHUTDOWN_GRACE_SECONDS", "soon"),
        ("MISTRAL_MCP_TOKEN_CACHE_SECONDS", "5"),
        ("MISTRAL_MCP_HEADER_TIMEOUT", "0"),
        ("MISTRAL_MCP_BODY_TIMEOUT", "never"),
        ("MISTRAL_MCP_KEEPALIVE_TIMEOUT", "-1"),
        ("MISTRAL_MCP_MAX_HEADER_BYTES", "100"),
        ("MISTRAL_MCP_MAX_CONNECTIONS", "0"),
        ("MISTRAL_MCP_REGISTRATION_RATE_LIMIT", "plenty"),
        ("MISTRAL_MCP_AUTHORIZE_RATE_LIMIT", "5/fortnight"),
        ("MISTRAL_MCP_OAUTH_UNUSED_CLIENT_HOURS", "nan"),
        ("MISTRAL_MCP_OAUTH_UNUSED_CLIENT_HOURS", "0"),
        ("MISTRAL_MCP_OAUTH_IDLE_CLIENT_DAYS", "7"),
        ("MISTRAL_MCP_OAUTH_IDLE_CLIENT_DAYS", "inf"),
        ("MISTRAL_MCP_UPSTREAM_MAX_CONNECTIONS_PER_KEY", "0"),
        ("MISTRAL_MCP_UPSTREAM_MAX_CONNECTIONS_PER_KEY", "1001"),  # more than the whole pool
        ("MISTRAL_MCP_UPSTREAM_MAX_RESPONSE_BYTES", "100"),
        ("MISTRAL_MCP_OAUTH_CIMD_FETCH_TIMEOUT", "0"),
        ("MISTRAL_MCP_OAUTH_CIMD_FETCHES_PER_HOST", "0"),
        ("MISTRAL_MCP_DATABASE_CONNECT_TIMEOUT", "0"),
        ("MISTRAL_MCP_DATABASE_STATEMENT_TIMEOUT", "nan"),
        ("MISTRAL_MCP_DATABASE_POOL_TIMEOUT", "inf"),
        ("MISTRAL_MCP_DATABASE_STATEMENT_TIMEOUT", "forever"),
    ],
)
def test_unusable_values_are_config_errors_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: value})


def test_one_key_gets_a_quarter_of_the_upstream_pool_unless_told_otherwise() -> None:
    assert Settings.from_env({}).upstream_key_share == 250
    assert Settings.from_env({"MISTRAL_MCP_UPSTREAM_MAX_CONNECTIONS": "40"}).upstream_key_share == 10
    assert Settings.from_env({"MISTRAL_MCP_UPSTREAM_MAX_CONNECTIONS": "2"}).upstream_key_share == 1
    assert Settings(upstream_max_connections=8).upstream_key_share == 2


def test_database_url_can_come_from_a_secret_file(tmp_path: Path) -> None:
    secret = tmp_path / "database_url"
    secret.write_text("postgresql://mcp:s3cret@db:5432/mcp\n")
    settings = Settings.from_env({"MISTRAL_MCP_DATABASE_URL_FILE": str(secret)})
    assert settings.database_url == "postgresql://mcp:s3cret@db:5432/mcp"
    assert "s3cret" not in repr(settings)
    with pytest.raises(ConfigError, match="MISTRAL_MCP_DATABASE_URL_FILE"):
        Settings.from_env({"MISTRAL_MCP_DATABASE_URL_FILE": str(tmp_path / "missing")})


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:s3cret@db/x", "postgresql://u:***@db/x"),
        ("redis://:s3cret@cache:6379/0", "redis://:***@cache:6379/0"),
        ("redis://cache:6379/0?password=s3cret&db=1", "redis://cache:6379/0?password=***&db=1"),
        ("rediss://cache?socket_timeout=2&PASSWORD=s3cret", "rediss://cache?socket_timeout=2&PASSWORD=***"),
        ("redis://cache:6379/0", "redis://cache:6379/0"),
    ],
)
def test_passwords_in_the_netloc_or_the_query_are_masked_for_display(url: str, shown: str) -> None:
    assert mask_url_password(url) == shown


def test_each_setting_is_declared_once_with_a_doc_and_a_unique_variable() -> None:
    variables = [name for name, _, _ in SETTINGS_DOC]
    assert len(variables) == len(set(variables)) == len(fields(Settings))
    assert all(name.startswith("MISTRAL_MCP_") and doc for name, _, doc in SETTINGS_DOC)


def test_each_setting_variable_is_written_once_in_the_server_code() -> None:
    # Messages name a variable through `variable_of(field)`, so renaming one is one edit.
    sources = [p.read_text(encoding="utf-8") for p in Path("server").rglob("*.py")]
    for name, _, _ in SETTINGS_DOC:
        written = sum(len(re.findall(rf"\b{name}\b", source)) for source in sources)
        assert written == 1, f"{name} is written {written} times in server/"


def test_a_secret_setting_never_appears_in_a_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"MISTRAL_MCP_REDIS_URL": "http://:hunter2@cache:6379"})
    assert "hunter2" not in str(caught.value)


def test_every_database_wait_is_bounded_by_default() -> None:
    deadlines = Settings.from_env({}).database_deadlines
    assert (deadlines.connect, deadlines.statement, deadlines.pool) == (5.0, 5.0, 10.0)
    assert deadlines.operation is not None
