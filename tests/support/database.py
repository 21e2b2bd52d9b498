"""Reading back everything the app stored, to check what is (and is not) in it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from storage.database import create_engine


async def dump_database(url: str) -> bytes:
    """Every byte the database holds for us: the SQLite files, or every PostgreSQL row as text."""
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite"):
        path = Path(parsed.database or "")
        return b"".join(p.read_bytes() for p in [path, Path(f"{path}-wal")] if p.exists())

    async def dump() -> bytes:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
                out = []
                for table in tables:
                    rows = await conn.execute(text(f'SELECT * FROM "{table}"'))  # noqa: S608 - our own table names
                    out.extend(repr(tuple(row)).encode() for row in rows)
                return b"\n".join(out)
        finally:
            await engine.dispose()

    return await dump()
