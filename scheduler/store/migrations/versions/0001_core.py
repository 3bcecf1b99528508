"""Core tables: owners, plans, actions, action events, due-date revisions.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "owner",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("manager_id", sa.String(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "plan",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("report_date", sa.Date(), nullable=False),
        sa.Column("escalation_contact", sa.String(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "action",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("plan_id", sa.String(), sa.ForeignKey("plan.id"), nullable=False),
        sa.Column("ref", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("response", sa.String(), nullable=True),
        sa.Column("area", sa.String(), nullable=True),
        sa.Column("owner_id", sa.String(), sa.ForeignKey("owner.id"), nullable=False),
        sa.Column("owner_since", sa.Date(), nullable=False),
        sa.Column("config_due", sa.Date(), nullable=False),
        sa.Column("timescale_months", sa.Integer(), nullable=True),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("in_config", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("plan_id", "ref", name="uq_action_plan_ref"),
    )
    op.create_index("ix_action_plan_id", "action", ["plan_id"])
    op.create_table(
        "action_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("action_id", sa.Integer(), sa.ForeignKey("action.id"), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("by", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("from_value", sa.String(), nullable=True),
        sa.Column("to_value", sa.String(), nullable=True),
        sa.Column("note", sa.String(), nullable=True),
    )
    op.create_index("ix_action_event_action_id", "action_event", ["action_id"])
    op.create_table(
        "due_revision",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("action_id", sa.Integer(), sa.ForeignKey("action.id"), nullable=False),
        sa.Column("previous_due", sa.Date(), nullable=False),
        sa.Column("revised_due", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("approved_by", sa.String(), nullable=False),
        sa.Column("recorded_by", sa.String(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_due_revision_action_id", "due_revision", ["action_id"])


def downgrade() -> None:
    op.drop_table("due_revision")
    op.drop_table("action_event")
    op.drop_table("action")
    op.drop_table("plan")
    op.drop_table("owner")
