"""Database URLs as people copy them, turned into async SQLAlchemy engines.

Users paste `postgresql://…` or `sqlite:///…`; choosing the async driver is our business.
Every wait on the database is bounded (`storage.deadlines`): how each driver is told so, and
how its timeouts become the errors the rest of the service knows, is set up here.
"""

from __future__ import annotations

import os
import ssl
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Dialect, ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from server.errors import ConfigError
from storage.deadlines import DatabaseDeadlines, engine_options

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
    now (down, refusing connections, connection lost, locked, not answering in time), not
    because the query is wrong."""
    if isinstance(error, OperationalError | InterfaceError | PoolTimeout):
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


def _timeouts_are_outages(engine: AsyncEngine) -> None:
    # asyncpg's statement timeout raises asyncio's TimeoutError, which SQLAlchemy passes through
    # unwrapped (and so past the 503 handler). Such a connection is in an unknown state, mid-way
    # through cancelling its statement; on a partitioned network it is dead: drop it at once
    # (`terminate` does not wait for the server) rather than let the pool hand it out again.
    @event.listens_for(engine.sync_engine, "handle_error")
    def _timeout(context: ExceptionContext) -> BaseException | None:
        error = context.original_exception
        if not isinstance(error, TimeoutError):
            return None
        connection = context.connection
        if connection is not None and not connection.invalidated and not connection.closed:
            driver = connection.connection.driver_connection
            if driver is not None and hasattr(driver, "terminate"):
                driver.terminate()
        context.is_disconnect = True
        context.invalidate_pool_on_disconnect = False
        return OperationalError(context.statement, None, error, hide_parameters=True, connection_invalidated=True)

    # SQLAlchemy's own pre-ping lets a timed-out ping escape unwrapped: ping here instead, and turn
    # any failure into a disconnection, so the pool drops that connection and opens a fresh one
    # (whose connect is bounded too). Like the pre-ping, a connection just opened is not pinged:
    # the pool tries twice, and a second failed ping would end in a confusing "connection closed".
    @event.listens_for(engine.sync_engine, "connect")
    def _fresh(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["mistral_mcp_fresh"] = True

    @event.listens_for(engine.sync_engine, "checkout")
    def _ping(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        if record.info.pop("mistral_mcp_fresh", False):
            return
        try:
            dbapi_connection.ping()
        except Exception as error:
            driver = dbapi_connection.driver_connection
            if hasattr(driver, "terminate"):
                driver.terminate()
            raise DisconnectionError("pooled connection did not answer its ping") from error


def _idle_transactions_end(engine: AsyncEngine, seconds: float) -> None:
    # A transaction whose client has gone quiet is ended by the server after this long. Then a
    # COMMIT that a partition held back cannot land after its sender gave up on it: by the time a
    # COMMIT's own deadline has passed, the server has either applied it or ended the session.
    @event.listens_for(engine.sync_engine, "connect")
    def _set_idle_limit(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"SET idle_in_transaction_session_timeout = {max(1, round(seconds * 1000))}")
        cursor.close()


def _create_owner_only(database: str) -> None:
    """Create the SQLite file readable by its owner only, whatever the umask; SQLite then gives
    its -wal and -shm files the same mode. An existing file is tightened too."""
    path = Path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    for companion in (Path(f"{database}-wal"), Path(f"{database}-shm"), Path(f"{database}-journal")):
        if companion.exists():
            companion.chmod(0o600)


def _create_sqlite_engine(async_url: URL, connect_args: dict[str, Any], deadlines: DatabaseDeadlines) -> AsyncEngine:
    # SQLite is a local file: nothing to connect to, and a statement waits only for a lock held by
    # another connection, which the busy timeout bounds.
    busy_seconds = deadlines.statement if deadlines.statement is not None else 30.0
    on_disk = bool(async_url.database) and async_url.database != ":memory:"
    if on_disk:
        assert async_url.database is not None
        _create_owner_only(async_url.database)
    engine = create_async_engine(
        async_url,
        connect_args={**connect_args, "timeout": busy_seconds},
        hide_parameters=True,
        execution_options=engine_options(deadlines),
        **({"pool_timeout": deadlines.pool} if on_disk else {}),  # `:memory:` has a one-connection pool
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={round(busy_seconds * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


def create_engine(url: str, deadlines: DatabaseDeadlines | None = None) -> AsyncEngine:
    """Create the process's engine, every wait bounded by `deadlines` (see `storage.deadlines`).

    The default bounds connecting and waiting for the pool but not statements: right for operator
    commands (migrations, key rotation) that may legitimately run long. The server passes its
    settings. SQLite gets WAL and a busy timeout for concurrent writers, and a file only its owner
    can read.

    Statement parameters are left out of SQLAlchemy's error messages (`hide_parameters`): they hold
    ciphertexts and OAuth client records, and those messages end up in logs and tracebacks.
    """
    deadlines = deadlines or DatabaseDeadlines()
    async_url, connect_args = normalize_url(url)
    if async_url.drivername.startswith("sqlite"):
        return _create_sqlite_engine(async_url, connect_args, deadlines)
    connect_args["timeout"] = deadlines.connect
    if deadlines.statement is not None:
        connect_args["command_timeout"] = deadlines.statement
    engine = create_async_engine(
        async_url,
        connect_args=connect_args,
        pool_size=10,
        max_overflow=20,
        pool_timeout=deadlines.pool,
        pool_recycle=1800,
        hide_parameters=True,
        execution_options=engine_options(deadlines),
    )
    _connect_failures_are_operational(engine)
    _timeouts_are_outages(engine)
    if deadlines.statement is not None:
        _idle_transactions_end(engine, deadlines.statement)
    return engine
