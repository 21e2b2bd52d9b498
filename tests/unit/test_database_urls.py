import os
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from storage.database import DatabaseUrlError, create_engine, normalize_url
from tests.conftest import TEST_DB_ENV


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("sqlite:///data/x.db", "sqlite+aiosqlite"),
        ("postgresql://u:p@h:5432/db", "postgresql+asyncpg"),
        ("postgres://u:p@h/db", "postgresql+asyncpg"),
        ("postgresql+psycopg2://u:p@h/db", "postgresql+asyncpg"),
    ],
)
def test_urls_people_paste_get_the_async_driver(given: str, driver: str) -> None:
    url, _ = normalize_url(given)
    assert url.drivername == driver


def test_sslmode_becomes_an_ssl_context() -> None:
    url, args = normalize_url("postgresql://u:p@h/db?sslmode=require")
    assert "sslmode" not in url.query
    assert "ssl" in args


@pytest.mark.parametrize("bad", ["mysql://u@h/db", "not a url"])
def test_other_databases_are_refused(bad: str) -> None:
    with pytest.raises(DatabaseUrlError):
        normalize_url(bad)


@pytest.mark.anyio
async def test_a_failing_statement_never_shows_its_parameters(tmp_path: Path) -> None:
    # They hold ciphertexts and OAuth client records; the error's text ends up in logs.
    engine = create_engine(os.environ.get(TEST_DB_ENV) or f"sqlite:///{tmp_path / 'x.db'}")
    try:
        async with engine.connect() as conn:
            with pytest.raises(DBAPIError) as raised:
                await conn.execute(text("SELECT no_such_column WHERE :secret = 'x'"), {"secret": "client-secret-123"})
    finally:
        await engine.dispose()
    assert "client-secret-123" not in str(raised.value)
    assert "hidden" in str(raised.value)
