"""The one settings object, read once from `MISTRAL_MCP_*` environment variables.

Each setting is declared once, as a field of `Settings` made by `setting(...)`: its variable, parser,
default, one-line doc and whether it is secret. `Settings.from_env`, the `--help` text and README's
configuration table (`SETTINGS_DOC`, kept in step by a test) are all made from those declarations.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import MISSING, Field, dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from server.errors import ConfigError
from server.settings import values as v
from server.settings.values import Parser, Rate, mask_url_password
from storage.database import DatabaseUrlError, normalize_url
from storage.deadlines import DatabaseDeadlines

DEFAULT_SIGNUP_RATE = Rate(10, 60.0)
# Hosted clients (claude.ai, ChatGPT) register from a few server addresses for all their users.
DEFAULT_REGISTRATION_RATE = Rate(60, 3600.0)
DEFAULT_AUTHORIZE_RATE = Rate(30, 60.0)

__all__ = ["SETTINGS_DOC", "Declaration", "Settings", "mask_url_password", "variable_of"]


@dataclass(frozen=True, slots=True)
class Declaration:
    """What one `MISTRAL_MCP_*` variable is: how to read it and what to tell people about it."""

    variable: str
    parse: Parser
    doc: str
    shown_default: str
    secret: bool


def setting(
    variable: str, default: Any, parse: Parser, doc: str, *, shown: str | None = None, secret: bool = False
) -> Any:
    """Declare a `Settings` field read from the environment variable `variable`; `shown` is the default as docs
    print it."""
    declaration = Declaration(variable, parse, doc, shown if shown is not None else str(default), secret)
    return field(default=default, metadata={"setting": declaration})


def _database_url(value: str) -> str:
    if value:
        try:
            normalize_url(value)
        except DatabaseUrlError as exc:
            raise ValueError(f"is unusable: {exc}") from None
    return value


def _public_url(value: str) -> str:
    value = value.rstrip("/")
    if value and (urlsplit(value).scheme not in {"http", "https"} or not urlsplit(value).hostname):
        raise ValueError(f"must be an http(s) URL, got {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = setting("MISTRAL_MCP_HOST", "127.0.0.1", v.text, "Address to listen on (`--host` overrides).")
    port: int = setting("MISTRAL_MCP_PORT", 8000, v.integer(0, 65535), "Port to listen on (`--port` overrides).")
    public_url: str = setting(
        "MISTRAL_MCP_PUBLIC_URL",
        "http://127.0.0.1:8000",
        _public_url,
        "Public base URL users reach; MCP URLs start with it.",
        shown="http://HOST:PORT",
    )
    allowed_hosts: tuple[str, ...] = setting(
        "MISTRAL_MCP_ALLOWED_HOSTS",
        (),
        v.csv,
        "Extra comma-separated Host names accepted besides the public URL's.",
        shown="(none)",
    )
    forwarded_allow_ips: tuple[str, ...] = setting(
        "MISTRAL_MCP_FORWARDED_ALLOW_IPS",
        (),
        v.csv,
        "Comma-separated proxy addresses (or `*`) whose X-Forwarded-For/-Proto headers are trusted.",
        shown="(none)",
    )
    data_dir: Path = setting(
        "MISTRAL_MCP_DATA_DIR",
        Path("mistral-mcp-data"),
        v.path,
        "Directory for the embedded SQLite database and generated key.",
        shown="./mistral-mcp-data",
    )
    database_url: str = setting(
        "MISTRAL_MCP_DATABASE_URL",
        "",
        _database_url,
        "`sqlite:///path` or `postgresql://user:pass@host/db`.",
        shown="sqlite:///DATA_DIR/mistral-mcp.db",
        secret=True,
    )
    database_url_file: Path | None = setting(
        "MISTRAL_MCP_DATABASE_URL_FILE",
        None,
        v.optional_path,
        "File holding the database URL (a Docker/Kubernetes secret); the URL given directly wins.",
        shown="(none)",
    )
    # Zero would mean "no wait at all" to one driver and "wait forever" to another.
    database_connect_timeout: float = setting(
        "MISTRAL_MCP_DATABASE_CONNECT_TIMEOUT",
        5.0,
        v.seconds(0.01),
        "Seconds to wait for a new database connection.",
        shown="5",
    )
    database_statement_timeout: float = setting(
        "MISTRAL_MCP_DATABASE_STATEMENT_TIMEOUT",
        5.0,
        v.seconds(0.01),
        "Seconds one database statement (or a SQLite lock) may take; past it the request gets 503. "
        "Also bounds migrations run on start (`mistral-mcp db upgrade` has no such bound).",
        shown="5",
    )
    database_pool_timeout: float = setting(
        "MISTRAL_MCP_DATABASE_POOL_TIMEOUT",
        10.0,
        v.seconds(0.01),
        "Seconds a request waits for a free database connection before it gets 503.",
        shown="10",
    )
    encryption_keys: tuple[str, ...] = setting(
        "MISTRAL_MCP_ENCRYPTION_KEYS",
        (),
        v.csv,
        "Comma-separated base64 32-byte keys; the first encrypts, all decrypt.",
        shown="(generated file)",
        secret=True,
    )
    encryption_keys_file: Path | None = setting(
        "MISTRAL_MCP_ENCRYPTION_KEYS_FILE",
        None,
        v.optional_path,
        "File holding the keys (same format), e.g. a Docker/Kubernetes secret.",
        shown="(none)",
    )
    upstream_url: str = setting(
        "MISTRAL_MCP_UPSTREAM_URL", "https://api.mistral.ai", v.url("http", "https"), "Mistral API base URL."
    )
    upstream_timeout: float = setting(
        "MISTRAL_MCP_UPSTREAM_TIMEOUT",
        120.0,
        v.seconds(0.01),
        "Seconds to wait for Mistral to answer (read timeout).",
        shown="120",
    )
    upstream_connect_timeout: float = setting(
        "MISTRAL_MCP_UPSTREAM_CONNECT_TIMEOUT",
        10.0,
        v.seconds(0.01),
        "Seconds to wait for a connection to Mistral.",
        shown="10",
    )
    upstream_max_retries: int = setting(
        "MISTRAL_MCP_UPSTREAM_MAX_RETRIES", 2, v.integer(0), "Retries on 429/502/503/504 and connection failures."
    )
    upstream_retry_max_wait: float = setting(
        "MISTRAL_MCP_UPSTREAM_RETRY_MAX_WAIT",
        8.0,
        v.seconds(0),
        "Longest wait (seconds) between retries, even if Retry-After asks more.",
        shown="8",
    )
    upstream_max_connections: int = setting(
        "MISTRAL_MCP_UPSTREAM_MAX_CONNECTIONS", 1000, v.integer(1), "Connection pool size towards Mistral."
    )
    upstream_max_connections_per_key: int | None = setting(
        "MISTRAL_MCP_UPSTREAM_MAX_CONNECTIONS_PER_KEY",
        None,
        v.integer(1),
        "Requests to Mistral in flight at once per Mistral key (its share of the pool; more wait their turn).",
        shown="MAX_CONNECTIONS/4",
    )
    upstream_max_response_bytes: int = setting(
        "MISTRAL_MCP_UPSTREAM_MAX_RESPONSE_BYTES",
        64 * 1024 * 1024,
        v.integer(1024),
        "Largest reply read from Mistral (a JSON body, or all of a stream); file downloads are windowed instead.",
    )
    max_mcp_body_bytes: int = setting(
        "MISTRAL_MCP_MAX_MCP_BODY_BYTES",
        16 * 1024 * 1024,
        v.integer(1024),
        "Largest MCP request body (file uploads travel inside it).",
    )
    max_api_body_bytes: int = setting(
        "MISTRAL_MCP_MAX_API_BODY_BYTES", 64 * 1024, v.integer(1024), "Largest body for the sign-up and management API."
    )
    signup_rate_limit: Rate | None = setting(
        "MISTRAL_MCP_SIGNUP_RATE_LIMIT",
        DEFAULT_SIGNUP_RATE,
        v.rate,
        "Sign-ups and key changes (each checks a key with Mistral) per client address (`N/minute`, `N/hour`, off).",
    )
    log_level: str = setting(
        "MISTRAL_MCP_LOG_LEVEL",
        "INFO",
        v.choice("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", upper=True),
        "Log level: DEBUG, INFO, WARNING, ERROR.",
    )
    log_format: str = setting(
        "MISTRAL_MCP_LOG_FORMAT",
        "auto",
        v.choice("auto", "json", "text"),
        "`json`, `text`, or `auto` (text on a terminal, JSON otherwise).",
    )
    auto_migrate: bool = setting(
        "MISTRAL_MCP_AUTO_MIGRATE", True, v.boolean, "Apply database migrations on start.", shown="true"
    )
    shutdown_grace_seconds: int = setting(
        "MISTRAL_MCP_SHUTDOWN_GRACE_SECONDS",
        30,
        v.integer(0),
        "On SIGTERM, how long in-flight requests (tool calls, streams) may take to finish.",
    )
    header_timeout: float = setting(
        "MISTRAL_MCP_HEADER_TIMEOUT",
        10.0,
        v.seconds(0.01),
        "Seconds a client may take to send a request's line and headers, from connecting or from the request's "
        "first byte; then the connection is closed.",
        shown="10",
    )
    body_timeout: float = setting(
        "MISTRAL_MCP_BODY_TIMEOUT",
        60.0,
        v.seconds(0.01),
        "Seconds a client may take to send a request body (a 16 MiB upload needs 2.2 Mbit/s); then `408`.",
        shown="60",
    )
    keepalive_timeout: float = setting(
        "MISTRAL_MCP_KEEPALIVE_TIMEOUT",
        5.0,
        v.seconds(0),
        "Seconds an idle connection is kept open for the client's next request.",
        shown="5",
    )
    send_timeout: float = setting(
        "MISTRAL_MCP_SEND_TIMEOUT",
        30.0,
        v.seconds(0.01),
        "Seconds a client may leave the server's answer unread (the connection's send buffer full); then the "
        "connection is dropped.",
        shown="30",
    )
    max_header_bytes: int = setting(
        "MISTRAL_MCP_MAX_HEADER_BYTES",
        32 * 1024,
        v.integer(1024),
        "Largest request line plus headers; past it, `431` and the connection is closed.",
    )
    max_connections: int = setting(
        "MISTRAL_MCP_MAX_CONNECTIONS",
        1000,
        v.integer(1),
        "Open client connections at most; past it, idle ones (waiting for headers or a body) are closed first, "
        "else the new one gets `503`.",
    )
    rate_limit_per_minute: int = setting(
        "MISTRAL_MCP_RATE_LIMIT_PER_MINUTE",
        120,
        v.integer(0),
        "Tool calls per minute per connection (bursts allowed); 0 = off.",
    )
    max_concurrent_calls: int = setting(
        "MISTRAL_MCP_MAX_CONCURRENT_CALLS", 10, v.integer(0), "Tool calls running at once per connection; 0 = off."
    )
    redis_url: str = setting(
        "MISTRAL_MCP_REDIS_URL",
        "",
        v.url("redis", "rediss", "unix", strip_slash=False, secret=True),
        "`redis://host:6379/0`: share rate limits across replicas (in-process without it).",
        shown="(none)",
        secret=True,
    )
    metrics_token: str = setting(
        "MISTRAL_MCP_METRICS_TOKEN",
        "",
        v.text,
        "If set, `GET /metrics` requires `Authorization: Bearer <token>`.",
        shown="(none)",
        secret=True,
    )
    oauth_enabled: bool = setting(
        "MISTRAL_MCP_OAUTH_ENABLED",
        True,
        v.boolean,
        "Serve OAuth 2.1 on `/mcp` (needs an https public URL, or loopback).",
        shown="true",
    )
    oauth_cimd_allow_loopback: bool = setting(
        "MISTRAL_MCP_OAUTH_CIMD_ALLOW_LOOPBACK",
        False,
        v.boolean,
        "Fetch client metadata documents from loopback (tests only).",
        shown="false",
    )
    oauth_cimd_fetch_timeout: float = setting(
        "MISTRAL_MCP_OAUTH_CIMD_FETCH_TIMEOUT",
        5.0,
        v.seconds(0.01),
        "Seconds a client metadata document fetch may take in all (lookup, connect, headers and body).",
        shown="5",
    )
    oauth_cimd_fetches_per_host: int = setting(
        "MISTRAL_MCP_OAUTH_CIMD_FETCHES_PER_HOST",
        4,
        v.integer(1),
        "Client metadata fetches from one host at once; more are refused, so a slow host cannot starve others.",
    )
    registration_rate_limit: Rate | None = setting(
        "MISTRAL_MCP_REGISTRATION_RATE_LIMIT",
        DEFAULT_REGISTRATION_RATE,
        v.rate,
        "OAuth client registrations (`POST /register`) per client address (`N/minute`, `N/hour`, off).",
    )
    authorize_rate_limit: Rate | None = setting(
        "MISTRAL_MCP_AUTHORIZE_RATE_LIMIT",
        DEFAULT_AUTHORIZE_RATE,
        v.rate,
        "OAuth sign-in starts (`/authorize`) per client address (`N/minute`, `N/hour`, off).",
    )
    oauth_unused_client_hours: float = setting(
        "MISTRAL_MCP_OAUTH_UNUSED_CLIENT_HOURS",
        24.0,
        v.seconds(1),
        "A registered OAuth client that has not obtained a token this long after registering is deleted.",
        shown="24",
    )
    # Fewer days than a refresh token lives would delete clients that still hold a grant.
    oauth_idle_client_days: float = setting(
        "MISTRAL_MCP_OAUTH_IDLE_CLIENT_DAYS",
        90.0,
        v.seconds(31),
        "A registered OAuth client that has obtained no token for this long is deleted (at least 31: "
        "refresh tokens live 30 days).",
        shown="90",
    )
    # More than 1 s would break the promise that a revoked URL dies everywhere within a second.
    token_cache_seconds: float = setting(
        "MISTRAL_MCP_TOKEN_CACHE_SECONDS",
        1.0,
        v.seconds(0, 1),
        "Reuse a resolved connection token this long (0 to 1 s; 0 = off): revocation reaches every replica within it.",
        shown="1",
    )

    def __repr__(self) -> str:
        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "encryption_keys":
                value = f"<{len(value)} key(s)>"
            elif _declaration(f).secret:
                value = mask_url_password(value) if "://" in value else ("***" if value else "")
            shown.append(f"{f.name}={value!r}")
        return f"Settings({', '.join(shown)})"

    def __post_init__(self) -> None:
        share = self.upstream_max_connections_per_key
        if share is not None and share > self.upstream_max_connections:
            raise ConfigError(
                f"{variable_of('upstream_max_connections_per_key')} must be at most "
                f"{variable_of('upstream_max_connections')} ({self.upstream_max_connections}), got {share}"
            )

    @property
    def upstream_key_share(self) -> int:
        """Requests to Mistral one key may have in flight at once in this process."""
        if self.upstream_max_connections_per_key is not None:
            return self.upstream_max_connections_per_key
        return max(1, self.upstream_max_connections // 4)

    @property
    def database_deadlines(self) -> DatabaseDeadlines:
        return DatabaseDeadlines(
            connect=self.database_connect_timeout,
            statement=self.database_statement_timeout,
            pool=self.database_pool_timeout,
        )

    @property
    def sqlite_default_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'mistral-mcp.db'}"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or self.sqlite_default_url

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
            ConfigError: a variable has a value that cannot be used (one line, naming it).
        """
        env = os.environ if environ is None else environ
        given: dict[str, Any] = {}
        for f in fields(cls):
            declaration = _declaration(f)
            raw = env.get(declaration.variable, "").strip()
            if not raw:
                continue
            try:
                given[f.name] = declaration.parse(raw)
            except ValueError as exc:
                raise ConfigError(f"{declaration.variable} {exc}") from None
        if host:
            given["host"] = host
        if port is not None:
            given["port"] = port
        if not given.get("public_url"):
            given["public_url"] = _local_url(given.get("host", "127.0.0.1"), given.get("port", 8000))
        if not given.get("database_url") and given.get("database_url_file"):
            given["database_url"] = _database_url_from(given["database_url_file"])
        return cls(**given)


def variable_of(name: str) -> str:
    """The environment variable of the `Settings` field `name`, for messages that tell an operator what to set."""
    return next(_declaration(f).variable for f in fields(Settings) if f.name == name)


def _declaration(f: Field[Any]) -> Declaration:
    declaration: Declaration = f.metadata["setting"]
    return declaration


def _local_url(host: str, port: int) -> str:
    shown_host = "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host
    if ":" in shown_host:
        shown_host = f"[{shown_host}]"
    return f"http://{shown_host}:{port}"


def _database_url_from(path: Path) -> str:
    variable = variable_of("database_url_file")
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"{variable}: cannot read {path}: {exc.strerror}") from None
    try:
        return _database_url(value)
    except ValueError as exc:
        raise ConfigError(f"{variable} holds a URL that {exc}") from None


def _docs() -> tuple[tuple[str, str, str], ...]:
    declared = (_declaration(f) for f in fields(Settings) if f.default is not MISSING)
    return tuple((d.variable, d.shown_default, d.doc) for d in declared)


# (variable, default as shown, meaning): README's configuration table and `--help` are made from it.
SETTINGS_DOC = _docs()
