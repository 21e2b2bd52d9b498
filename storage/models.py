"""Tables. Secrets live here only as a token hash and an AES-GCM ciphertext."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp that reads back aware on every database.

    SQLite returns naive datetimes even for `DateTime(timezone=True)`; we only ever store UTC,
    so the missing zone is UTC. Fixing it here spares every repository its own conversion.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    pass


class ConnectionRow(Base):
    __tablename__ = "connections"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    key_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    key_id: Mapped[str] = mapped_column(String(16), index=True)
    key_hint: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    key_updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    token_rotated_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # The policy (server/policy): the profile ("core", "all" or comma-separated families) and the owner's
    # limits; NULL is no limit. Rows older than the policy (and inserts by older replicas) get "all".
    families: Mapped[str] = mapped_column(String(200), server_default="all")
    read_only: Mapped[bool] = mapped_column(Boolean, server_default=false())
    allowed_models: Mapped[str | None] = mapped_column(Text, nullable=True)  # a JSON array of model ids
    calls_per_day: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tokens_per_month: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class ToolUsageRow(Base):
    __tablename__ = "tool_usage"

    connection_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("connections.id", ondelete="CASCADE"), primary_key=True
    )
    tool: Mapped[str] = mapped_column(String(64), primary_key=True)
    calls: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    prompt_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    completion_tokens: Mapped[int] = mapped_column(BigInteger, default=0)


class UsageDayRow(Base):
    """Calls and tokens of one connection on one UTC day (the manage page's chart, the caps' seeds)."""

    __tablename__ = "usage_days"

    connection_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("connections.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    calls: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    prompt_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    completion_tokens: Mapped[int] = mapped_column(BigInteger, default=0)


class CapCounterRow(Base):
    """A spending cap's shared counter when there is no Redis: one row per connection and kind
    ("calls" per day, "tokens" per month), holding the period it counts (its first day's name)."""

    __tablename__ = "cap_counters"

    connection_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("connections.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    period: Mapped[str] = mapped_column(String(10))
    used: Mapped[int] = mapped_column(BigInteger, default=0)
