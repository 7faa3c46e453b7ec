"""A throwaway PostgreSQL database, for tests that need one of their own (migrations up and
down, migrate-data) without touching the suite's schema in TEST_DATABASE_URL."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from db.session import create_engine, normalize_url

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def server_url() -> str:
    """The PostgreSQL server of TEST_DATABASE_URL, else the machine's local one."""
    configured = os.environ.get("TEST_DATABASE_URL", "")
    url = configured if configured.startswith("postgres") else DEFAULT_SERVER
    return make_url(normalize_url(url)).set(database="postgres").render_as_string(False)


@asynccontextmanager
async def fresh_postgres_database() -> AsyncIterator[str]:
    """Create an empty database, yield its URL, drop it. Skips the test without a server."""
    admin = create_engine(server_url(), isolation_level="AUTOCOMMIT")
    name = f"loyalty_test_{uuid.uuid4().hex[:12]}"
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    except (OSError, DBAPIError) as exc:
        await admin.dispose()
        pytest.skip(f"PostgreSQL is not reachable at {server_url()}: {exc}")
    try:
        yield make_url(server_url()).set(database=name).render_as_string(False)
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
