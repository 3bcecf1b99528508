"""Rate limits of the web app kept in the database (per address, across replicas and restarts).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_rate_event_key_at", "rate_event", ["key", "at"])


def downgrade() -> None:
    op.drop_index("ix_rate_event_key_at", table_name="rate_event")
    op.drop_table("rate_event")
