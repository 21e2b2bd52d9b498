"""Fixtures for the scale-out tests: a reachable Redis, and settings for replica processes."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable

import pytest
import redis

from server.security.crypto import generate_key

TEST_REDIS_ENV = "MISTRAL_MCP_TEST_REDIS_URL"
DEFAULT_TEST_REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="session")
def redis_url() -> str:
    """Redis for shared-limit tests. CI sets MISTRAL_MCP_TEST_REDIS_URL and then a missing Redis fails;
    elsewhere the tests are skipped when nothing answers on 127.0.0.1:6379."""
    url = os.environ.get(TEST_REDIS_ENV) or DEFAULT_TEST_REDIS
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        if os.environ.get(TEST_REDIS_ENV):
            pytest.fail(f"{TEST_REDIS_ENV}={url} is not reachable: {exc}")
        pytest.skip(f"no Redis at {url} (set {TEST_REDIS_ENV} to require one)")
    return url


@pytest.fixture
def closed_port_redis_url() -> str:
    """A Redis URL nobody listens on: port 1 on loopback refuses connections at once."""
    return "redis://127.0.0.1:1/0"


@pytest.fixture
def fresh_database_url(database_factory: Callable[[], str]) -> str:
    """An empty database of the configured kind (made before the test's event loop runs)."""
    return database_factory()


@pytest.fixture
def replica_settings(
    fake_mistral_url: str, fresh_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """MISTRAL_MCP_* variables for replicas sharing one fresh database and one encryption key."""
    return {
        "MISTRAL_MCP_DATABASE_URL": fresh_database_url,
        "MISTRAL_MCP_ENCRYPTION_KEYS": generate_key(),
        "MISTRAL_MCP_UPSTREAM_URL": fake_mistral_url,
        "MISTRAL_MCP_UPSTREAM_MAX_RETRIES": "0",
        "MISTRAL_MCP_DATA_DIR": str(tmp_path_factory.mktemp("replica-data")),
        "MISTRAL_MCP_LOG_LEVEL": "INFO",
        # Revocation must reach every replica at the very next request in these tests; with the
        # default 1 s token cache it reaches them within a second (tests/integration/test_token_cache.py).
        "MISTRAL_MCP_TOKEN_CACHE_SECONDS": "0",
    }


def unique_address() -> str:
    """A client address no other test (or concurrent test run) uses: 10.x.y.z."""
    return "10." + ".".join(str(b) for b in secrets.token_bytes(3))
