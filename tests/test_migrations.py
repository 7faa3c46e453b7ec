"""Every migration runs up and down, on SQLite and on PostgreSQL: head, back to base, head
again; and the schema at head is what the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from db import migrate
from db.models import Base
from db.session import create_engine
from tests.fresh_db import fresh_postgres_database

HEAD = ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()
TABLES = {table.name for table in Base.metadata.sorted_tables}


async def tables_and_revision(engine) -> tuple[set[str], str | None]:
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        revision = await conn.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )
    return names - {"alembic_version"}, revision


async def schema_differences(engine) -> list:
    async with engine.connect() as conn:
        return await conn.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(
                    sync,
                    opts={"compare_type": True, "render_as_batch": sync.dialect.name == "sqlite"},
                ),
                Base.metadata,
            )
        )


async def up_down_up(url: str) -> None:
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
        assert await tables_and_revision(engine) == (TABLES, HEAD)
        assert await schema_differences(engine) == []
        await migrate.downgrade(engine, "base")
        assert await tables_and_revision(engine) == (set(), None)
        await migrate.upgrade(engine)
        assert await tables_and_revision(engine) == (TABLES, HEAD)
    finally:
        await engine.dispose()


async def test_migrations_up_and_down_on_sqlite(tmp_path):
    await up_down_up(f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}")


async def test_migrations_up_and_down_on_postgresql():
    async with fresh_postgres_database() as url:
        await up_down_up(url)
