"""The one settings object, read once from `MISTRAL_MCP_*` environment variables.

Every knob the service has is a field here with its environment variable, default and
meaning; README's configuration table is checked against `SETTINGS_DOC` by a test.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import urlsplit

from server.errors import ConfigError
from server.security.rate_limit import DEFAULT_SIGNUP_RATE, Rate, parse_rate
from storage.deadlines import DatabaseDeadlines

ENV_PREFIX = "MISTRAL_MCP_"

# (variable, default shown in docs, meaning); the single source for the README table.
SETTINGS_DOC: tuple[tuple[str, str, str], ...] = (
    ("MISTRAL_MCP_HOST", "127.0.0.1", "Address to listen on (`--host` overrides)."),
    ("MISTRAL_MCP_PORT", "8000", "Port to listen on (`--port` overrides)."),
    ("MISTRAL_MCP_PUBLIC_URL", "http://HOST:PORT", "Public base URL users reach; MCP URLs start with it."),
    ("MISTRAL_MCP_ALLOWED_HOSTS", "(none)", "Extra comma-separated Host names accepted besides the public URL's."),
    (
        "MISTRAL_MCP_FORWARDED_ALLOW_IPS",
        "(none)",
        "Comma-separated proxy addresses (or `*`) whose X-Forwarded-For/-Proto headers are trusted.",
    ),
    ("MISTRAL_MCP_DATA_DIR", "./mistral-mcp-data", "Directory for the embedded SQLite database and generated key."),
    (
        "MISTRAL_MCP_DATABASE_URL",
        "sqlite:///DATA_DIR/mistral-mcp.db",
        "`sqlite:///path` or `postgresql://user:pass@host/db`.",
    ),
    (
        "MISTRAL_MCP_DATABASE_URL_FILE",
        "(none)",
        "File holding the database URL (a Docker/Kubernetes secret); `MISTRAL_MCP_DATABASE_URL` wins.",
    ),
    ("MISTRAL_MCP_DATABASE_CONNECT_TIMEOUT", "5", "Seconds to wait for a new database connection."),
    (
        "MISTRAL_MCP_DATABASE_STATEMENT_TIMEOUT",
        "5",
        "Seconds one database statement (or a SQLite lock) may take; past it the request gets 503. "
        "Also bounds migrations run on start (`mistral-mcp db upgrade` has no such bound).",
    ),
    (
        "MISTRAL_MCP_DATABASE_POOL_TIMEOUT",
        "10",
        "Seconds a request waits for a free database connection before it gets 503.",
    ),
    (
        "MISTRAL_MCP_ENCRYPTION_KEYS",
        "(generated file)",
        "Comma-separated base64 32-byte keys; the first encrypts, all decrypt.",
    ),
    (
        "MISTRAL_MCP_ENCRYPTION_KEYS_FILE",
        "(none)",
        "File holding the keys (same format), e.g. a Docker/Kubernetes secret.",
    ),
    ("MISTRAL_MCP_UPSTREAM_URL", "https://api.mistral.ai", "Mistral API base URL."),
    ("MISTRAL_MCP_UPSTREAM_TIMEOUT", "120", "Seconds to wait for Mistral to answer (read timeout)."),
    ("MISTRAL_MCP_UPSTREAM_CONNECT_TIMEOUT", "10", "Seconds to wait for a connection to Mistral."),
    ("MISTRAL_MCP_UPSTREAM_MAX_RETRIES", "2", "Retries on 429/502/503/504 and connection failures."),
    (
        "MISTRAL_MCP_UPSTREAM_RETRY_MAX_WAIT",
        "8",
        "Longest wait (seconds) between retries, even if Retry-After asks more.",
    ),
    ("MISTRAL_MCP_UPSTREAM_MAX_CONNECTIONS", "1000", "Connection pool size towards Mistral."),
    ("MISTRAL_MCP_MAX_MCP_BODY_BYTES", "16777216", "Largest MCP request body (file uploads travel inside it)."),
    ("MISTRAL_MCP_MAX_API_BODY_BYTES", "65536", "Largest body for the sign-up and management API."),
    (
        "MISTRAL_MCP_SIGNUP_RATE_LIMIT",
        "10/minute",
        "Sign-ups and key changes (each checks a key with Mistral) per client address (`N/minute`, `N/hour`, off).",
    ),
    ("MISTRAL_MCP_LOG_LEVEL", "INFO", "Log level: DEBUG, INFO, WARNING, ERROR."),
    ("MISTRAL_MCP_LOG_FORMAT", "auto", "`json`, `text`, or `auto` (text on a terminal, JSON otherwise)."),
    ("MISTRAL_MCP_AUTO_MIGRATE", "true", "Apply database migrations on start."),
    (
        "MISTRAL_MCP_SHUTDOWN_GRACE_SECONDS",
        "30",
        "On SIGTERM, how long in-flight requests (tool calls, streams) may take to finish.",
    ),
    ("MISTRAL_MCP_RATE_LIMIT_PER_MINUTE", "120", "Tool calls per minute per connection (bursts allowed); 0 = off."),
    ("MISTRAL_MCP_MAX_CONCURRENT_CALLS", "10", "Tool calls running at once per connection; 0 = off."),
    (
        "MISTRAL_MCP_REDIS_URL",
        "(none)",
        "`redis://host:6379/0`: share rate limits across replicas (in-process without it).",
    ),
    ("MISTRAL_MCP_METRICS_TOKEN", "(none)", "If set, `GET /metrics` requires `Authorization: Bearer <token>`."),
    ("MISTRAL_MCP_OAUTH_ENABLED", "true", "Serve OAuth 2.1 on `/mcp` (needs an https public URL, or loopback)."),
    ("MISTRAL_MCP_OAUTH_CIMD_ALLOW_LOOPBACK", "false", "Fetch client metadata documents from loopback (tests only)."),
    (
        "MISTRAL_MCP_TOKEN_CACHE_SECONDS",
        "1",
        "Reuse a resolved connection token this long (0 to 1 s; 0 = off): revocation reaches every replica within it.",
    ),
)


def _split_csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _as_bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, got {value!r}")


def _token_cache_seconds(value: str) -> float:
    seconds = float(_as_number("MISTRAL_MCP_TOKEN_CACHE_SECONDS", value, float, 0))
    if seconds > 1:
        # More would break the promise that a revoked URL dies everywhere within a second.
        raise ConfigError(f"MISTRAL_MCP_TOKEN_CACHE_SECONDS must be at most 1, got {value!r}")
    return seconds


def _as_number(name: str, value: str, kind: type[int] | type[float], minimum: float) -> int | float:
    try:
        number = kind(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {value!r}") from None
    if number < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value!r}")
    return number


def _seconds(name: str, value: str) -> float:
    # Zero or less would mean "no wait at all" to one driver and "wait forever" to another.
    seconds = float(_as_number(name, value, float, 0.01))
    if seconds != seconds or seconds == float("inf"):
        raise ConfigError(f"{name} must be a finite number of seconds, got {value!r}")
    return seconds


def _read_secret(name: str, path: str) -> str:
    if not path:
        return ""
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"{name}: cannot read {path}: {exc.strerror}") from None


def _redis_url(value: str) -> str:
    if value and urlsplit(value).scheme not in {"redis", "rediss", "unix"}:
        raise ConfigError(
            f"MISTRAL_MCP_REDIS_URL must be a redis://, rediss:// or unix:// URL, got {mask_url_password(value)!r}"
        )
    return value


def _as_rate(name: str, value: str) -> Rate | None:
    try:
        return parse_rate(value)
    except ValueError as exc:
        raise ConfigError(f"{name}: {exc}") from None


def mask_url_password(url: str) -> str:
    """Hide the password of a database or Redis URL for display, in the netloc or the query
    (redis-py also takes `?password=`)."""
    parts = urlsplit(url)
    if parts.password is not None:
        parts = parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1))
    if parts.query:
        query = "&".join(
            f"{name}=***" if name.lower() == "password" else item
            for item in parts.query.split("&")
            for name in [item.partition("=")[0]]
        )
        parts = parts._replace(query=query)
    return parts.geturl()


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = "http://127.0.0.1:8000"
    allowed_hosts: tuple[str, ...] = ()
    forwarded_allow_ips: tuple[str, ...] = ()
    data_dir: Path = Path("mistral-mcp-data")
    database_url: str = field(default="", repr=False)
    database_connect_timeout: float = 5.0
    database_statement_timeout: float = 5.0
    database_pool_timeout: float = 10.0
    encryption_keys: tuple[str, ...] = field(default=(), repr=False)
    encryption_keys_file: Path | None = None
    upstream_url: str = "https://api.mistral.ai"
    upstream_timeout: float = 120.0
    upstream_connect_timeout: float = 10.0
    upstream_max_retries: int = 2
    upstream_retry_max_wait: float = 8.0
    upstream_max_connections: int = 1000
    max_mcp_body_bytes: int = 16 * 1024 * 1024
    max_api_body_bytes: int = 64 * 1024
    signup_rate_limit: Rate | None = DEFAULT_SIGNUP_RATE
    log_level: str = "INFO"
    log_format: str = "auto"
    auto_migrate: bool = True
    shutdown_grace_seconds: int = 30
    rate_limit_per_minute: int = 120
    max_concurrent_calls: int = 10
    redis_url: str = field(default="", repr=False)
    metrics_token: str = field(default="", repr=False)
    oauth_enabled: bool = True
    oauth_cimd_allow_loopback: bool = False
    token_cache_seconds: float = 1.0

    def __repr__(self) -> str:
        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "encryption_keys":
                value = f"<{len(value)} key(s)>"
            elif f.name in {"database_url", "redis_url"}:
                value = mask_url_password(value)
            elif f.name == "metrics_token":
                value = "***" if value else ""
            shown.append(f"{f.name}={value!r}")
        return f"Settings({', '.join(shown)})"

    @property
    def sqlite_default_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'mistral-mcp.db'}"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or self.sqlite_default_url

    @property
    def database_deadlines(self) -> DatabaseDeadlines:
        return DatabaseDeadlines(
            connect=self.database_connect_timeout,
            statement=self.database_statement_timeout,
            pool=self.database_pool_timeout,
        )

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        host: str | None = None,
        port: int | None = None,
    ) -> Settings:
        """Read settings from the environment; explicit `host`/`port` (CLI flags) win.

        Raises:
            ConfigError: a variable has a value that cannot be used.
        """
        env = dict(os.environ if environ is None else environ)

        def get(name: str, default: str) -> str:
            return env.get(ENV_PREFIX + name, default).strip() or default

        bind_host = host or get("HOST", "127.0.0.1")
        bind_port = port if port is not None else int(_as_number("MISTRAL_MCP_PORT", get("PORT", "8000"), int, 0))
        public_url = get("PUBLIC_URL", "").rstrip("/")
        if not public_url:
            shown_host = "127.0.0.1" if bind_host in {"0.0.0.0", "::", ""} else bind_host
            if ":" in shown_host:
                shown_host = f"[{shown_host}]"
            public_url = f"http://{shown_host}:{bind_port}"
        if urlsplit(public_url).scheme not in {"http", "https"} or not urlsplit(public_url).hostname:
            raise ConfigError(f"MISTRAL_MCP_PUBLIC_URL must be an http(s) URL, got {public_url!r}")

        log_format = get("LOG_FORMAT", "auto").lower()
        if log_format not in {"auto", "json", "text"}:
            raise ConfigError(f"MISTRAL_MCP_LOG_FORMAT must be auto, json or text, got {log_format!r}")
        log_level = get("LOG_LEVEL", "INFO").upper()
        if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ConfigError(f"MISTRAL_MCP_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {log_level!r}")

        keys_file = get("ENCRYPTION_KEYS_FILE", "")
        return cls(
            host=bind_host,
            port=bind_port,
            public_url=public_url,
            allowed_hosts=_split_csv(get("ALLOWED_HOSTS", "")),
            forwarded_allow_ips=_split_csv(get("FORWARDED_ALLOW_IPS", "")),
            data_dir=Path(get("DATA_DIR", "mistral-mcp-data")),
            database_url=get("DATABASE_URL", "")
            or _read_secret("MISTRAL_MCP_DATABASE_URL_FILE", get("DATABASE_URL_FILE", "")),
            database_connect_timeout=_seconds(
                "MISTRAL_MCP_DATABASE_CONNECT_TIMEOUT", get("DATABASE_CONNECT_TIMEOUT", "5")
            ),
            database_statement_timeout=_seconds(
                "MISTRAL_MCP_DATABASE_STATEMENT_TIMEOUT", get("DATABASE_STATEMENT_TIMEOUT", "5")
            ),
            database_pool_timeout=_seconds("MISTRAL_MCP_DATABASE_POOL_TIMEOUT", get("DATABASE_POOL_TIMEOUT", "10")),
            encryption_keys=_split_csv(get("ENCRYPTION_KEYS", "")),
            encryption_keys_file=Path(keys_file) if keys_file else None,
            upstream_url=get("UPSTREAM_URL", "https://api.mistral.ai").rstrip("/"),
            upstream_timeout=float(
                _as_number("MISTRAL_MCP_UPSTREAM_TIMEOUT", get("UPSTREAM_TIMEOUT", "120"), float, 0.01)
            ),
            upstream_connect_timeout=float(
                _as_number("MISTRAL_MCP_UPSTREAM_CONNECT_TIMEOUT", get("UPSTREAM_CONNECT_TIMEOUT", "10"), float, 0.01)
            ),
            upstream_max_retries=int(
                _as_number("MISTRAL_MCP_UPSTREAM_MAX_RETRIES", get("UPSTREAM_MAX_RETRIES", "2"), int, 0)
            ),
            upstream_retry_max_wait=float(
                _as_number("MISTRAL_MCP_UPSTREAM_RETRY_MAX_WAIT", get("UPSTREAM_RETRY_MAX_WAIT", "8"), float, 0)
            ),
            upstream_max_connections=int(
                _as_number("MISTRAL_MCP_UPSTREAM_MAX_CONNECTIONS", get("UPSTREAM_MAX_CONNECTIONS", "1000"), int, 1)
            ),
            max_mcp_body_bytes=int(
                _as_number(
                    "MISTRAL_MCP_MAX_MCP_BODY_BYTES", get("MAX_MCP_BODY_BYTES", str(16 * 1024 * 1024)), int, 1024
                )
            ),
            max_api_body_bytes=int(
                _as_number("MISTRAL_MCP_MAX_API_BODY_BYTES", get("MAX_API_BODY_BYTES", "65536"), int, 1024)
            ),
            signup_rate_limit=_as_rate("MISTRAL_MCP_SIGNUP_RATE_LIMIT", get("SIGNUP_RATE_LIMIT", "10/minute")),
            log_level=log_level,
            log_format=log_format,
            auto_migrate=_as_bool("MISTRAL_MCP_AUTO_MIGRATE", get("AUTO_MIGRATE", "true")),
            shutdown_grace_seconds=int(
                _as_number("MISTRAL_MCP_SHUTDOWN_GRACE_SECONDS", get("SHUTDOWN_GRACE_SECONDS", "30"), int, 0)
            ),
            rate_limit_per_minute=int(
                _as_number("MISTRAL_MCP_RATE_LIMIT_PER_MINUTE", get("RATE_LIMIT_PER_MINUTE", "120"), int, 0)
            ),
            max_concurrent_calls=int(
                _as_number("MISTRAL_MCP_MAX_CONCURRENT_CALLS", get("MAX_CONCURRENT_CALLS", "10"), int, 0)
            ),
            redis_url=_redis_url(get("REDIS_URL", "")),
            metrics_token=get("METRICS_TOKEN", ""),
            oauth_enabled=_as_bool("MISTRAL_MCP_OAUTH_ENABLED", get("OAUTH_ENABLED", "true")),
            oauth_cimd_allow_loopback=_as_bool(
                "MISTRAL_MCP_OAUTH_CIMD_ALLOW_LOOPBACK", get("OAUTH_CIMD_ALLOW_LOOPBACK", "false")
            ),
            token_cache_seconds=_token_cache_seconds(get("TOKEN_CACHE_SECONDS", "1")),
        )
