"""Run the Alembic migrations from code: at start-up and from `papers-bot db upgrade`.

No alembic.ini is needed at run time; the script location is this package's `migrations`
folder. On PostgreSQL an advisory lock makes two processes starting at once take turns, and
the schema the search_path names first (`DATABASE_URL=...?search_path=papers_bot,public`)
is created when missing: PostgreSQL would otherwise create the tables in the next schema of
the path (usually public) without a word.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

from bot.store.engine import Database, first_schema
from bot.store.errors import SchemaMissingError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Any constant unique to this app; PostgreSQL advisory locks are keyed by a bigint.
_PG_MIGRATION_LOCK = 0x70617065727362


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    config.attributes["version_table_schema"] = version_schema(connection)
    return config


def version_schema(connection: Connection | None) -> str | None:
    """PostgreSQL: the schema the search_path creates tables in, where the version table
    is looked for by name. Looked for unqualified, the version table of another schema on
    the path (a `public` someone migrated too) would answer for it, and the first schema
    would never be migrated."""
    if connection is None or connection.dialect.name != "postgresql":
        return None
    search_path = connection.execute(text("SELECT current_setting('search_path')")).scalar_one()
    return first_schema(search_path)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def revisions() -> list[str]:
    """Every revision id, oldest first."""
    script = ScriptDirectory.from_config(alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def _ensure_schema(connection: Connection) -> None:
    """Create the search_path's first schema if it is missing and this role may; otherwise
    stop with the statement that creates it."""
    search_path = connection.execute(text("SELECT current_setting('search_path')")).scalar_one()
    schema = first_schema(search_path)
    if schema is None:
        return
    exists = connection.execute(
        text("SELECT 1 FROM pg_namespace WHERE nspname = :name"), {"name": schema}
    ).first()
    if exists is not None:
        return
    quote = connection.dialect.identifier_preparer.quote
    may_create, role = connection.execute(
        text("SELECT has_database_privilege(current_database(), 'CREATE'), current_user")
    ).one()
    if not may_create:
        raise SchemaMissingError(
            f"schema {schema!r}, first in the search_path, does not exist and role {role!r} "
            f"may not create it; as the database owner run: "
            f"CREATE SCHEMA {quote(schema)} AUTHORIZATION {quote(role)}"
        )
    connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {quote(schema)}"))


def _upgrade(connection: Connection, revision: str) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        _ensure_schema(connection)
    command.upgrade(alembic_config(connection), revision)


def _current(connection: Connection) -> str | None:
    opts = {"version_table_schema": version_schema(connection)}
    return MigrationContext.configure(connection, opts=opts).get_current_revision()


async def upgrade(db: Database, revision: str = "head") -> None:
    async with db.write() as conn:
        await conn.run_sync(_upgrade, revision)


async def current_revision(db: Database) -> str | None:
    async with db.read() as conn:
        return await conn.run_sync(_current)
