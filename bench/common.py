"""What the benchmarks share: a migrated database to run on, percentiles, peak memory, and the
one-line summary each benchmark prints last.

Every benchmark takes `--database-url`: empty (the default) means a fresh SQLite file in a
temporary folder; a PostgreSQL URL must name a database called `bench_*`, whose `public` schema
is dropped and migrated from scratch (the data there is thrown away).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from db import migrate
from db.session import create_engine, normalize_url


def database_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        default="",
        metavar="URL",
        help="empty: a fresh SQLite file in a temporary folder; or postgresql://…/bench_* "
        "(its public schema is dropped and recreated)",
    )


def is_postgres(url: str) -> bool:
    return url.startswith("postgres")


def resolve_url(url: str, workdir: Path) -> str:
    """The SQLAlchemy URL to use: a new SQLite file under `workdir` when `url` is empty."""
    if not url:
        return f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    url = normalize_url(url)
    if is_postgres(url):
        database = make_url(url).database or ""
        if not database.startswith("bench"):
            raise SystemExit(f"refusing to wipe {database!r}: use a database named bench_*")
    return url


async def fresh_database(url: str, **engine_options: Any) -> AsyncEngine:
    """An engine on an empty, fully migrated database at `url`."""
    if not is_postgres(url):
        path = Path(make_url(url).database or "")
        for leftover in (
            path,
            path.with_name(path.name + "-wal"),
            path.with_name(path.name + "-shm"),
        ):
            leftover.unlink(missing_ok=True)
    engine = create_engine(url, **engine_options)
    if is_postgres(url):
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    await migrate.upgrade(engine)
    return engine


def workdir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="loyalty-bench-")


def backend(url: str) -> str:
    return "postgresql" if is_postgres(url) else "sqlite"


def percentile(values: Sequence[float], share: float) -> float:
    """The `share` (0..1) percentile, nearest rank."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(0, min(len(ordered) - 1, round(share * len(ordered)) - 1))
    return ordered[rank]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


def peak_rss_mb() -> float:
    """This process's peak resident memory (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb(pid: int | None = None) -> float:
    """Current resident memory of a process (this one by default), from /proc."""
    status = Path(f"/proc/{pid or os.getpid()}/status").read_text()
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def verdict(met: bool) -> str:
    return "PASS" if met else "MISS"


def summary(figures: dict[str, Any]) -> str:
    """The last line a benchmark prints: one JSON object."""
    return json.dumps(figures, ensure_ascii=False, separators=(", ", ": "))
