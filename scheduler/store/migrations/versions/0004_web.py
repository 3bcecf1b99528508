"""The web app: extension requests awaiting approval, and form submissions already applied.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "extension_request",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("action_id", sa.Integer(), sa.ForeignKey("action.id"), nullable=False, index=True),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("proposed_due", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("requested_by", sa.String(), nullable=False),
        sa.Column("approver", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("decided_by", sa.String(), nullable=True),
        sa.Column("decided_note", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
    )
    op.create_table(
        "web_submission",
        sa.Column("key", sa.String(), primary_key=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("result", sa.String(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("web_submission")
    op.drop_table("extension_request")
