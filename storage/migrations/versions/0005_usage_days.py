"""Usage per connection and UTC day (the manage page's chart), and the spending caps' counters.

Revision ID: 0005_usage_days
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_usage_days"
down_revision = "0005"
branch_labels = None
depends_on = None


def _connection_id() -> sa.Column[str]:
    return sa.Column(
        "connection_id", sa.String(40), sa.ForeignKey("connections.id", ondelete="CASCADE"), primary_key=True
    )


def upgrade() -> None:
    # Days start empty: the per-tool totals of earlier days have no date to be spread over.
    op.create_table(
        "usage_days",
        _connection_id(),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("calls", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("errors", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("prompt_tokens", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("completion_tokens", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.create_table(
        "cap_counters",
        _connection_id(),
        sa.Column("kind", sa.String(8), primary_key=True),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("used", sa.BigInteger(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("cap_counters")
    op.drop_table("usage_days")
