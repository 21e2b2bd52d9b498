"""Database URLs as people copy them, turned into async SQLAlchemy engines.

Users paste `postgresql://…` or `sqlite:///…`; choosing the async driver is our business.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Dialect, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from server.errors import ConfigError

_SQLITE_SCHEMES = {"sqlite", "sqlite+aiosqlite", "sqlite+pysqlite"}
_POSTGRES_SCHEMES = {"postgres", "postgresql", "postgresql+asyncpg", "postgresql+psycopg2", "postgresql+psycopg"}


class DatabaseUrlError(ConfigError):
    """A database URL we cannot use: a configuration error like any other bad setting."""


def normalize_url(url: str) -> tuple[URL, dict[str, Any]]:
    """Return the async-driver URL and the connect arguments it needs.

    Raises:
        DatabaseUrlError: not a SQLite or PostgreSQL URL.
    """
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUrlError(
            "database URL is not valid; use sqlite:///path or postgresql://user:pass@host/db"
        ) from None
    connect_args: dict[str, Any] = {}
    if parsed.drivername in _SQLITE_SCHEMES:
        return parsed.set(drivername="sqlite+aiosqlite"), {"timeout": 30}
    if parsed.drivername in _POSTGRES_SCHEMES:
        query = dict(parsed.query)
        sslmode = query.pop("sslmode", None)
        if sslmode in {"require", "verify-ca", "verify-full"}:
            context = ssl.create_default_context()
            if sslmode == "require":
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            connect_args["ssl"] = context
        return parsed.set(drivername="postgresql+asyncpg", query=query), connect_args
    raise DatabaseUrlError(f"unsupported database {parsed.drivername!r}; use sqlite or postgresql")


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


def is_unavailable(error: BaseException) -> bool:
    """True when a database call failed because the database cannot be reached or used right
    now (down, refusing connections, connection lost, locked), not because the query is wrong."""
    if isinstance(error, OperationalError | InterfaceError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def _connect_failures_are_operational(engine: AsyncEngine) -> None:
    # asyncpg raises bare OSError (refused, unreachable) or its own errors while connecting,
    # which SQLAlchemy passes through unwrapped; as the driver's OperationalError they surface
    # as sqlalchemy.exc.OperationalError, like any other "database unavailable" failure.
    @event.listens_for(engine.sync_engine, "do_connect")
    def _connect(dialect: Dialect, _record: Any, cargs: Any, cparams: Any) -> Any:
        try:
            return dialect.connect(*cargs, **cparams)
        except dialect.loaded_dbapi.OperationalError:
            raise
        except Exception as exc:
            raise dialect.loaded_dbapi.OperationalError(f"cannot connect to the database: {exc}") from exc


def create_engine(url: str) -> AsyncEngine:
    """Create the process's engine; SQLite gets WAL and a busy timeout for concurrent writers.

    Statement parameters are left out of SQLAlchemy's error messages (`hide_parameters`): they hold
    ciphertexts and OAuth client records, and those messages end up in logs and tracebacks.
    """
    async_url, connect_args = normalize_url(url)
    if async_url.drivername.startswith("sqlite"):
        if async_url.database and async_url.database != ":memory:":
            Path(async_url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(async_url, connect_args=connect_args, hide_parameters=True)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    engine = create_async_engine(
        async_url,
        connect_args=connect_args,
        pool_size=10,
        max_overflow=20,
        pool_pre_ping=True,
        pool_recycle=1800,
        hide_parameters=True,
    )
    _connect_failures_are_operational(engine)
    return engine
