"""OAuth rows can be swept: when a client last obtained tokens, and expiry indexes on codes and tokens.

Revision ID: 0004
Revises: 0002
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("oauth_clients", sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))
    # Clients that already hold tokens count as used now, so the first sweep keeps them.
    clients = sa.table("oauth_clients", sa.column("client_id"), sa.column("last_used_at", sa.DateTime(timezone=True)))
    tokens = sa.table("oauth_tokens", sa.column("client_id"))
    op.execute(
        sa.update(clients)
        .where(clients.c.client_id.in_(sa.select(tokens.c.client_id)))
        .values(last_used_at=datetime.now(UTC))
    )
    op.create_index("ix_oauth_codes_expires_at", "oauth_codes", ["expires_at"])
    op.create_index("ix_oauth_tokens_expires_at", "oauth_tokens", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_oauth_tokens_expires_at", table_name="oauth_tokens")
    op.drop_index("ix_oauth_codes_expires_at", table_name="oauth_codes")
    with op.batch_alter_table("oauth_clients") as batch:
        batch.drop_column("last_used_at")
