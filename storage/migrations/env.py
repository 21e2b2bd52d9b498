"""Alembic environment: always driven programmatically by `storage.migrate` with a live connection."""

from __future__ import annotations

from alembic import context

import storage.oauth_models  # noqa: F401 - registers the OAuth tables on Base.metadata
from storage.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
