"""`python -m bot migrate-data`: a program built through the services on SQLite moves to a fresh
PostgreSQL database, row for row, with every balance still equal to its ledger."""

from __future__ import annotations

import asyncio
import io
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text, update

from bot import migrate_data
from bot.services import ledger, members, operations, team
from bot.services.ledger import EntryKind
from bot.services.program import Program
from db import migrate
from db.models import Base, LedgerEntry, Member
from db.session import create_engine, create_pool
from tests.fresh_db import fresh_postgres_database

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
PROGRAM = Program()
OWNER = 9001


async def populated_sqlite(path: Path, *, people: int = 12) -> str:
    """Members (one invited by another), purchases, payments with points, a cancellation,
    a bonus, staff and their lookups: rows in most tables, written by the services."""
    url = f"sqlite+aiosqlite:///{path}"
    engine = create_engine(url)
    await migrate.upgrade(engine)
    pool = create_pool(engine)
    async with pool() as session, session.begin():
        await team.ensure_owner_row(session, OWNER, name="Olga", now=NOW)
    ids = []
    for number in range(people):
        async with pool() as session, session.begin():
            joined = await members.join(
                session,
                members.Applicant(1000 + number, f"Member {number}", "", None, "ru"),
                now=NOW,
                tier="base",
            )
            if ids:
                joined.member.referrer_id = ids[0]
            ids.append(joined.member.id)
    for number, member_id in enumerate(ids):
        at = NOW + timedelta(minutes=number)
        async with pool() as session, session.begin():
            await ledger.post(
                session,
                member_id=member_id,
                delta=100,
                kind=EntryKind.BONUS,
                idempotency_key=f"welcome-{member_id}",
                now=at,
                expires_at=at + timedelta(days=180),
            )
            await operations.log_lookup(
                session,
                staff_id=OWNER,
                member_id=member_id,
                method="code",
                outcome="found",
                now=at,
            )
            bought = await operations.record_purchase(
                session,
                PROGRAM,
                member_id=member_id,
                staff_id=OWNER,
                amount=250_000 + number * 1_000,
                points=number % 3 * 10,
                idempotency_key=f"buy-{member_id}",
                now=at,
                tz=UTC,
            )
        if number % 4 == 0:
            async with pool() as session, session.begin():
                await operations.cancel(
                    session,
                    PROGRAM,
                    operation_id=bought.operation.id,
                    by=OWNER,
                    is_owner=True,
                    now=at,
                )
    await engine.dispose()
    return url


async def counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return {
                table.name: await conn.scalar(select(func.count()).select_from(table))
                for table in Base.metadata.sorted_tables
            }
    finally:
        await engine.dispose()


async def test_a_populated_program_moves_to_postgresql_and_verifies(tmp_path):
    source = await populated_sqlite(tmp_path / "loyalty.db")
    async with fresh_postgres_database() as target:
        out = io.StringIO()
        code = await asyncio.to_thread(migrate_data.main, source, target, batch_size=5, out=out)
        report = out.getvalue()
        assert code == 0, report
        assert "0 mismatched" in report and "copied and verified" in report

        expected = await counts(source)
        assert expected["members"] == 12 and expected["ledger_entries"] > 24
        assert expected["operations"] == 12 and expected["lot_consumptions"] > 0
        assert await counts(target) == expected

        engine = create_engine(target)
        pool = create_pool(engine)
        try:
            async with pool() as session:
                for member in await session.scalars(select(Member)):
                    audit = await ledger.audit(session, member.id)
                    assert audit.consistent and audit.balance == member.points_balance
                reversals = await session.scalar(
                    select(func.count()).where(LedgerEntry.reverses_id.is_not(None))
                )
                assert reversals > 0
            # Sequences continue after the copied rows: new rows get fresh ids.
            async with pool() as session, session.begin():
                newcomer = await members.join(
                    session,
                    members.Applicant(5000, "New", "", None, "en"),
                    now=NOW,
                    tier="base",
                )
                posted = await ledger.post(
                    session,
                    member_id=newcomer.member.id,
                    delta=1,
                    kind=EntryKind.BONUS,
                    idempotency_key="after-the-move",
                    now=NOW,
                )
            assert newcomer.member.id == 13 and posted.entry_id == expected["ledger_entries"] + 1
        finally:
            await engine.dispose()

        # Run again: the target is not empty any more, and nothing is touched.
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "migrate-data",
            "--from",
            source,
            "--to",
            target,
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 2, output.decode()
        assert b"the target is not empty" in output
        assert (await counts(target))["members"] == 13


async def test_a_balance_that_does_not_match_its_ledger_rolls_the_copy_back(tmp_path):
    source = await populated_sqlite(tmp_path / "loyalty.db", people=3)
    engine = create_engine(source)
    async with engine.begin() as conn:
        await conn.execute(update(Member).where(Member.id == 2).values(points_balance=999))
    await engine.dispose()
    async with fresh_postgres_database() as target:
        out = io.StringIO()
        code = await asyncio.to_thread(migrate_data.main, source, target, out=out)
        assert code == 1
        assert "member 2: balance 999" in out.getvalue()
        assert "nothing was written" in out.getvalue()
        assert set((await counts(target)).values()) == {0}


async def test_a_source_behind_the_migrations_is_refused(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    await migrate.upgrade(engine, "0001")
    await engine.dispose()
    out = io.StringIO()
    code = await asyncio.to_thread(
        migrate_data.main, url, f"sqlite+aiosqlite:///{tmp_path / 'new.db'}", out=out
    )
    assert code == 2 and "python -m bot migrate" in out.getvalue()
    missing = io.StringIO()
    code = await asyncio.to_thread(
        migrate_data.main, f"sqlite:///{tmp_path / 'none.db'}", url, out=missing
    )
    assert code == 2 and "no SQLite database" in missing.getvalue()


async def test_sqlite_to_sqlite_works_too(tmp_path):
    source = await populated_sqlite(tmp_path / "a.db", people=3)
    target = f"sqlite+aiosqlite:///{tmp_path / 'b.db'}"
    out = io.StringIO()
    assert await asyncio.to_thread(migrate_data.main, source, target, out=out) == 0
    assert await counts(target) == await counts(source)
    engine = create_engine(target)
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM alembic_version")) == 1
    await engine.dispose()
