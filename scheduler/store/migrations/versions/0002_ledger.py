"""The send ledger, and each action's next notice day (for O(due) daily selection).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("action") as batch:
        batch.add_column(sa.Column("next_notice_on", sa.Date(), nullable=True))
        batch.create_index("ix_action_next_notice_on", ["next_notice_on"])
    op.create_table(
        "notice",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("action_id", sa.Integer(), sa.ForeignKey("action.id"), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("track", sa.String(), nullable=False),
        sa.Column("recipient", sa.String(), nullable=False),
        sa.Column("cc", sa.String(), nullable=True),
        sa.Column("send_day", sa.Date(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("message_id", sa.String(), nullable=True),
        sa.Column("claimed_by", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("action_id", "due_date", "stage", "recipient", name="uq_notice_key"),
    )
    op.create_index("ix_notice_action_id", "notice", ["action_id"])
    op.create_index("ix_notice_state_next", "notice", ["state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("notice")
    with op.batch_alter_table("action") as batch:
        batch.drop_index("ix_action_next_notice_on")
        batch.drop_column("next_notice_on")
