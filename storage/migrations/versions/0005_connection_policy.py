"""Each connection's profile and policy: tool families, read-only, allowed models, caps.

Connections that exist when this runs keep every tool they had ("all") and get no limit.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN on both databases: the defaults fill every existing row, no table copy.
    op.add_column("connections", sa.Column("families", sa.String(200), nullable=False, server_default="all"))
    op.add_column("connections", sa.Column("read_only", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("connections", sa.Column("allowed_models", sa.Text(), nullable=True))
    op.add_column("connections", sa.Column("calls_per_day", sa.Integer(), nullable=True))
    op.add_column("connections", sa.Column("tokens_per_month", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("connections") as batch:
        for column in ("tokens_per_month", "calls_per_day", "allowed_models", "read_only", "families"):
            batch.drop_column(column)
