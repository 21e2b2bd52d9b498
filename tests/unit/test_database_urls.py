import pytest

from storage.database import DatabaseUrlError, normalize_url


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
