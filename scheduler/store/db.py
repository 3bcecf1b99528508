"""Database engine, sessions and migrations.

SQLite gets WAL, foreign keys, a busy timeout and `BEGIN IMMEDIATE` transactions (so a
claim is never a read that later fails to upgrade to a write). Schema changes are
Alembic migrations, applied by `upgrade()` before any command uses the database.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlmodel import Session

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
HEAD = "0010"  # the newest migration; tests/test_migrations.py keeps it equal to Alembic's head
BUSY_TIMEOUT_S = 30  # how long SQLite waits for another writer before "database is locked"


class DatabaseError(Exception):
    """The database cannot be reached or prepared; the message says what to do."""


def make_engine(url: str) -> sa.Engine:
    """Return an Engine for `url`; SQLite files get their folder created and safe pragmas."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def is_sqlite(engine: sa.Engine) -> bool:
    return engine.dialect.name == "sqlite"


LOCKS = {"migrate": 0x52454D01, "sync": 0x52454D02}


def serialise(session: Session, name: str) -> None:
    """Hold a transaction-scoped lock named `name` (PostgreSQL advisory lock; SQLite's writers are
    already serialised by BEGIN IMMEDIATE), so e.g. two first syncs never race."""
    if session.get_bind().dialect.name != "sqlite":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCKS[name]})


def _alembic_config(connection):
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def _at_head(engine: sa.Engine) -> bool:
    """Return True when the database is already at HEAD (one row read; Alembic not imported)."""
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == HEAD
    except sa.exc.DBAPIError:
        return False  # no table yet, or unreachable: the full path says which


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Apply migrations up to `revision`; raise DatabaseError if the database is unreachable."""
    if revision == "head" and _at_head(engine):
        return
    from alembic import command

    try:
        with engine.begin() as conn:
            if not is_sqlite(engine):  # two first runs on an empty database: one migrates, one waits
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCKS["migrate"]})
            command.upgrade(_alembic_config(conn), revision)
    except sa.exc.OperationalError as exc:
        if "locked" in str(exc.orig):
            raise DatabaseError(f"the database is busy: another process held a write lock for over "
                                f"{BUSY_TIMEOUT_S:g} s; try again") from exc  # fmt: skip
        raise DatabaseError(f"cannot open the database: {exc.orig}; check DATABASE_URL and that the database "
                            "server is running") from exc  # fmt: skip


def current_revision(engine: sa.Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config(None)).get_current_head()


def session(engine: sa.Engine) -> Session:
    """Return a Session whose objects stay readable after commit."""
    return Session(engine, expire_on_commit=False)
