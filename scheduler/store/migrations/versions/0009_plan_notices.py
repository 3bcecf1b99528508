"""Plan-level notices (the weekly summary, the progress report) in a ledger of their own, and the
shared sending pace per relay (SMTP_MAX_PER_MINUTE).

Revision ID: 0009
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plan_notice",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("plan_id", sa.String(), sa.ForeignKey("plan.id"), nullable=False, index=True),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("recipient", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("message_id", sa.String(), nullable=True),
        sa.Column("claimed_by", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("plan_id", "stage", "recipient", name="uq_plan_notice_key"),
    )
    op.create_index("ix_plan_notice_state_next", "plan_notice", ["state", "next_attempt_at"])
    op.create_table(
        "send_pace",
        sa.Column("relay", sa.String(), primary_key=True),
        sa.Column("next_at", sa.Float(), nullable=False),
        sa.Column("interval", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("send_pace")
    op.drop_index("ix_plan_notice_state_next", table_name="plan_notice")
    op.drop_table("plan_notice")
