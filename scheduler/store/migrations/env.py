"""Alembic environment: runs on the connection handed in by scheduler.store.db.upgrade()."""

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only via scheduler.store.db
    raise RuntimeError("run migrations with `reminders db upgrade`")
context.configure(
    connection=connection,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
