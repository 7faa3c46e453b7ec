"""`python -m bot migrate-data --from sqlite:///data/loyalty.db --to postgresql://…`

Moves a program to another database, typically from the zero-setup SQLite file to PostgreSQL
when a business outgrows one process. Stop the bot first. In order:

1. the source must be at the latest migration (`python -m bot migrate` on it otherwise);
2. the target is migrated to the latest revision, and must hold no rows at all;
3. every table is copied in dependency order (`Base.metadata.sorted_tables`), in primary-key
   order (a referrer joined before the friend, a reversal comes after its entry), in batches,
   all in one transaction on the target;
4. PostgreSQL sequences continue after the largest copied id;
5. the copy is verified before it is committed: row counts per table, and every member's
   `points_balance` equal to the sum of their ledger entries on the target.

A short report is printed. Any mismatch rolls the copy back and exits 1; a refusal (source not
migrated, target not empty) exits 2. Either way the target is left as it was.
"""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db import migrate
from db.models import Base, LedgerEntry, Member
from db.session import create_engine, normalize_url


class Refused(Exception):
    """The migration did not start: nothing was written."""


class Mismatch(Exception):
    """The copy did not verify: it was rolled back."""


@dataclass
class TableCount:
    table: str
    source: int
    target: int

    @property
    def ok(self) -> bool:
        return self.source == self.target


@dataclass
class Report:
    tables: list[TableCount] = field(default_factory=list)
    members_checked: int = 0
    balance_mismatches: list[tuple[int, int, int]] = field(default_factory=list)
    sequences_reset: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(count.ok for count in self.tables) and not self.balance_mismatches

    def render(self) -> str:
        width = max((len(count.table) for count in self.tables), default=5)
        lines = [f"{'table':<{width}}  {'source':>9}  {'target':>9}"]
        lines += [
            f"{count.table:<{width}}  {count.source:>9}  {count.target:>9}"
            + ("" if count.ok else "  MISMATCH")
            for count in self.tables
        ]
        lines.append(
            f"balances: {self.members_checked} members checked against their ledger entries, "
            f"{len(self.balance_mismatches)} mismatched"
        )
        lines += [
            f"  member {member_id}: balance {balance}, ledger sum {total}"
            for member_id, balance, total in self.balance_mismatches[:20]
        ]
        if self.sequences_reset:
            lines.append(f"sequences: {self.sequences_reset} continue after the largest id")
        rows = sum(count.target for count in self.tables)
        verdict = "copied and verified" if self.ok else "NOT verified: rolled back"
        lines.append(f"{rows} rows {verdict} in {self.seconds:.1f} s")
        return "\n".join(lines)


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


async def _revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


async def _count(conn: AsyncConnection, table: Table) -> int:
    return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


async def _copy_table(
    source: AsyncConnection, target: AsyncConnection, table: Table, batch_size: int
) -> None:
    query = select(table).order_by(*table.primary_key.columns)
    result = await source.stream(query)
    async for rows in result.partitions(batch_size):
        await target.execute(insert(table), [dict(row._mapping) for row in rows])


async def _reset_sequences(target: AsyncConnection, tables: list[Table]) -> int:
    reset = 0
    for table in tables:
        if "id" not in table.columns:
            continue
        sequence = await target.scalar(
            text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": table.name}
        )
        if sequence is None:
            continue
        await target.execute(
            text(
                f"SELECT setval(:sequence, COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1,"
                " false)"
            ),
            {"sequence": sequence},
        )
        reset += 1
    return reset


async def _balance_mismatches(conn: AsyncConnection) -> tuple[int, list[tuple[int, int, int]]]:
    sums = (
        select(LedgerEntry.member_id, func.sum(LedgerEntry.delta).label("total"))
        .group_by(LedgerEntry.member_id)
        .subquery()
    )
    total = func.coalesce(sums.c.total, 0)
    rows = await conn.execute(
        select(Member.id, Member.points_balance, total)
        .outerjoin(sums, sums.c.member_id == Member.id)
        .where(Member.points_balance != total)
        .order_by(Member.id)
    )
    checked = await _count(conn, Member.__table__)  # type: ignore[arg-type]
    return checked, [(int(a), int(b), int(c)) for a, b, c in rows]


async def copy_program(source_url: str, target_url: str, *, batch_size: int = 1000) -> Report:
    """Copy and verify (see the module's docstring). Raises `Refused` or `Mismatch`."""
    source_url, target_url = normalize_url(source_url), normalize_url(target_url)
    parsed = make_url(source_url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        raise Refused(f"no SQLite database at {parsed.database!r}")
    if batch_size < 1:
        raise Refused("the batch size must be at least 1")
    started = time.perf_counter()
    source, target = create_engine(source_url), create_engine(target_url)
    try:
        head = ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()
        current = await _revision(source)
        if current != head:
            raise Refused(
                f"the source is at migration {current or 'none'}, the bot expects {head}: "
                f"run `DATABASE_URL={_safe(source_url)} python -m bot migrate` first"
            )
        await migrate.upgrade(target)
        tables = list(Base.metadata.sorted_tables)
        report = Report()
        async with source.connect() as src, target.connect() as dst, dst.begin():
            for table in tables:
                if await dst.scalar(select(1).select_from(table).limit(1)) is not None:
                    raise Refused(
                        f"the target is not empty (table {table.name} has rows): "
                        "migrate-data only fills an empty database"
                    )
            for table in tables:
                await _copy_table(src, dst, table, batch_size)
            for table in tables:
                report.tables.append(
                    TableCount(table.name, await _count(src, table), await _count(dst, table))
                )
            report.members_checked, report.balance_mismatches = await _balance_mismatches(dst)
            report.seconds = time.perf_counter() - started
            if not report.ok:
                raise Mismatch(report.render())
            if dst.dialect.name == "postgresql":
                report.sequences_reset = await _reset_sequences(dst, tables)
        return report
    finally:
        await source.dispose()
        await target.dispose()


def main(
    source_url: str, target_url: str, *, batch_size: int = 1000, out: IO[str] | None = None
) -> int:
    out = out or sys.stdout
    print(f"copying {_safe(source_url)} -> {_safe(target_url)}", file=out)
    try:
        report = asyncio.run(copy_program(source_url, target_url, batch_size=batch_size))
    except Refused as exc:
        print(f"error: {exc}", file=out)
        return 2
    except Mismatch as exc:
        print(exc, file=out)
        print("error: the copy did not verify; nothing was written to the target", file=out)
        return 1
    print(report.render(), file=out)
    return 0
