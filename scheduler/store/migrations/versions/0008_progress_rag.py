"""Progress self-assessment: a nullable `rag` on action events (on_track | at_risk | off_track), set
with an owner's progress note for a review.

Revision ID: 0008
Revises: 0009 (the last on main when this branch was made; the integrator re-chains it in number order)
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("action_event") as batch:
        batch.add_column(sa.Column("rag", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("action_event") as batch:
        batch.drop_column("rag")
