"""Store layer: the database, the source of truth for status, history and the send ledger.

Owns the engine and sessions (SQLite or PostgreSQL), the tables and state enums, Alembic
migrations, config sync, admin operations on one action, and the leader lock. Everything that
depends on the SQL dialect lives here. May import `config` only.
"""
