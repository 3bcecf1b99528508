"""Rate limits of the web app kept in the database (per address, across replicas and restarts), and
one pending extension request per action kept by the database itself (a partial unique index, so
two requests at once cannot both be pending on PostgreSQL either).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

PENDING = sa.text("state = 'pending'")


def upgrade() -> None:
    op.create_table(
        "rate_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_rate_event_key_at", "rate_event", ["key", "at"])
    # A race before this index could leave two pending requests for one action: keep the first,
    # withdraw the later ones (never delete: history keeps them), then let the database refuse more.
    op.execute(
        "UPDATE extension_request SET state = 'withdrawn', decided_at = created_at, "
        "decided_note = 'withdrawn: another request for this action was already pending' "
        "WHERE state = 'pending' AND id > (SELECT min(e.id) FROM extension_request e "
        "WHERE e.action_id = extension_request.action_id AND e.state = 'pending')"
    )
    op.create_index("uq_extension_request_pending", "extension_request", ["action_id"], unique=True,
                    sqlite_where=PENDING, postgresql_where=PENDING)  # fmt: skip


def downgrade() -> None:
    op.drop_index("uq_extension_request_pending", table_name="extension_request")
    op.drop_index("ix_rate_event_key_at", table_name="rate_event")
    op.drop_table("rate_event")
