"""The connection service on its own: a real database (SQLite, or PostgreSQL when the suite is
pointed at one), a real keyring, and a Mistral made of `httpx.MockTransport` that knows which
keys are good.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace

import anyio
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from server.connections import ConnectionService
from server.errors import ApiError, CryptoError
from server.security import tokens
from server.security.crypto import Keyring, generate_key
from server.settings import Settings
from server.upstream.client import MistralClient
from storage.database import create_engine
from storage.migrate import upgrade
from storage.repository import ConnectionRecord, ConnectionRepository

pytestmark = pytest.mark.anyio

GOOD_KEY = "sk-good-key-0001"
OTHER_GOOD_KEY = "sk-good-key-0002"
REJECTED_KEY = "sk-rejected-0003"
BUSY_KEY = "sk-busy-0004"
DOWN_KEY = "sk-down-0005"


class CountingRepository(ConnectionRepository):
    """The real repository, counting the token lookups that reach the database."""

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine)
        self.token_reads = 0

    async def get_by_token_hash(self, token_hash: str) -> ConnectionRecord | None:
        self.token_reads += 1
        return await super().get_by_token_hash(token_hash)


def mistral(request: httpx.Request) -> httpx.Response:
    """GET /v1/models as Mistral answers it for each of the test keys."""
    assert (request.method, request.url.path) == ("GET", "/v1/models")
    key = request.headers["authorization"].removeprefix("Bearer ")
    if key.startswith("sk-good"):
        return httpx.Response(200, json={"object": "list", "data": []})
    if key == BUSY_KEY:
        return httpx.Response(429, headers={"retry-after": "12"}, json={"message": "slow down"})
    if key == DOWN_KEY:
        return httpx.Response(503, json={"message": "maintenance"})
    return httpx.Response(401, json={"message": "Unauthorized"})


@dataclass
class World:
    repository: CountingRepository
    upstream: MistralClient
    checked: list[str]  # the keys Mistral was asked about
    make: Callable[..., ConnectionService]


@pytest.fixture
def database_url(database_factory: Callable[[], str]) -> str:
    return database_factory()


@pytest.fixture
async def world(database_url: str) -> AsyncIterator[World]:
    engine = create_engine(database_url)
    await upgrade(engine)
    checked: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        checked.append(request.headers["authorization"].removeprefix("Bearer "))
        return mistral(request)

    settings = replace(Settings(), upstream_url="http://mistral.test", upstream_max_retries=0)
    upstream = MistralClient(settings, transport=httpx.MockTransport(record))
    repository = CountingRepository(engine)
    keyring = Keyring([generate_key()])

    def make(keys: Keyring = keyring, token_cache_seconds: float = 1.0) -> ConnectionService:
        return ConnectionService(repository, keys, upstream, token_cache_seconds=token_cache_seconds)

    try:
        yield World(repository, upstream, checked, make)
    finally:
        await upstream.aclose()
        await engine.dispose()


# --- create ---


async def test_a_new_connection_stores_the_key_encrypted_and_hands_out_a_token(world: World) -> None:
    service = world.make()
    created = await service.create(GOOD_KEY)
    assert tokens.is_well_formed(created.token)
    assert world.checked == [GOOD_KEY]
    stored = await world.repository.get(created.record.id)
    assert stored == created.record
    assert stored.id.startswith("conn_")
    assert stored.key_hint == GOOD_KEY[-4:]
    assert GOOD_KEY.encode() not in stored.key_ciphertext
    assert stored.token_hash == tokens.hash_token(created.token)
    assert created.token not in stored.token_hash
    assert stored.token_rotated_at is None and stored.last_used_at is None


async def test_the_token_opens_the_connection_with_its_key(world: World) -> None:
    service = world.make()
    created = await service.create(GOOD_KEY)
    found = await service.authenticate(created.token)
    assert found is not None
    assert (found.id, found.api_key, found.token_hash) == (created.record.id, GOOD_KEY, created.record.token_hash)
    assert await service.find(created.token) == created.record


async def test_blanks_around_a_pasted_key_are_dropped(world: World) -> None:
    service = world.make()
    created = await service.create(f"  {GOOD_KEY}\n")
    found = await service.authenticate(created.token)
    assert found is not None and found.api_key == GOOD_KEY
    assert world.checked == [GOOD_KEY]


@pytest.mark.parametrize(
    ("raw", "code", "message"),
    [
        (None, "missing_api_key", "Field 'api_key' is required"),
        (42, "invalid_api_key", "Field 'api_key' must be a string."),
        ("   ", "invalid_api_key", "Field 'api_key' is empty"),
        ("sk-" + "x" * 300, "invalid_api_key", "Field 'api_key' is too long (over 256 characters)."),
        ("sk-two words", "invalid_api_key", "may only contain printable characters, no spaces"),
        ("sk-clé", "invalid_api_key", "may only contain printable characters, no spaces"),
    ],
)
async def test_a_malformed_key_is_refused_before_asking_mistral(
    world: World, raw: object, code: str, message: str
) -> None:
    with pytest.raises(ApiError) as caught:
        await world.make().create(raw)
    assert (caught.value.status, caught.value.code) == (422, code)
    assert message in caught.value.message
    assert world.checked == []
    assert await world.repository.count_by_key_id() == {}


@pytest.mark.parametrize(
    ("key", "status", "code", "headers"),
    [
        (REJECTED_KEY, 400, "api_key_rejected", {}),
        (BUSY_KEY, 503, "mistral_rate_limited", {"Retry-After": "12"}),
        (DOWN_KEY, 502, "mistral_unreachable", {}),
    ],
)
async def test_a_key_mistral_does_not_accept_stores_nothing(
    world: World, key: str, status: int, code: str, headers: dict[str, str]
) -> None:
    with pytest.raises(ApiError) as caught:
        await world.make().create(key)
    assert (caught.value.status, caught.value.code, caught.value.headers) == (status, code, headers)
    assert key not in caught.value.message
    assert world.checked == [key]
    assert await world.repository.count_by_key_id() == {}


# --- authenticate ---


@pytest.mark.parametrize(
    "token",
    ["", "mmcp_", "mmcp_short", "Bearer mmcp_x", "mmat_" + "a" * 43, "mmcp_" + "a" * 42 + "!", "mmcp_" + "é" * 43],
)
async def test_malformed_tokens_open_nothing_and_never_reach_the_database(world: World, token: str) -> None:
    service = world.make()
    await service.create(GOOD_KEY)
    assert await service.authenticate(token) is None
    assert await service.find(token) is None
    assert world.repository.token_reads == 0


async def test_an_unknown_token_opens_nothing_and_is_looked_up_each_time(world: World) -> None:
    service = world.make()
    await service.create(GOOD_KEY)
    unknown = tokens.new_token()
    assert await service.authenticate(unknown) is None
    assert await service.authenticate(unknown) is None
    assert world.repository.token_reads == 2  # only successes are remembered


async def test_a_token_just_resolved_is_answered_from_memory(world: World) -> None:
    service = world.make()
    created = await service.create(GOOD_KEY)
    first = await service.authenticate(created.token)
    second = await service.authenticate(created.token)
    assert first == second and first is not None
    assert world.repository.token_reads == 1


async def test_concurrent_requests_for_one_token_share_one_lookup(world: World) -> None:
    service = world.make()
    created = await service.create(GOOD_KEY)
    found: list[str | None] = []

    async def authenticate() -> None:
        connection = await service.authenticate(created.token)
        found.append(connection.api_key if connection else None)

    with anyio.fail_after(30):
        async with anyio.create_task_group() as tasks:
            for _ in range(10):
                tasks.start_soon(authenticate)
    assert found == [GOOD_KEY] * 10
    assert world.repository.token_reads == 1


async def test_with_the_cache_off_every_request_reads_the_database(world: World) -> None:
    service = world.make(token_cache_seconds=0)
    created = await service.create(GOOD_KEY)
    for _ in range(3):
        found = await service.authenticate(created.token)
        assert found is not None and found.api_key == GOOD_KEY
    assert world.repository.token_reads == 3


async def test_a_key_the_keyring_cannot_decrypt_is_an_error_not_a_stranger(world: World) -> None:
    created = await world.make().create(GOOD_KEY)
    elsewhere = world.make(keys=Keyring([generate_key()]))
    with pytest.raises(CryptoError, match="not configured"):
        await elsewhere.authenticate(created.token)
    with pytest.raises(CryptoError, match="not configured"):
        await elsewhere.authenticate_id(created.record.id)


async def test_a_key_copied_to_another_connection_does_not_decrypt_there(world: World) -> None:
    service = world.make()
    first = await service.create(GOOD_KEY)
    second = await service.create(OTHER_GOOD_KEY)
    record = first.record
    await world.repository.replace_key(second.record.id, record.key_ciphertext, record.key_id, record.key_hint, None)
    with pytest.raises(CryptoError, match="integrity check"):
        await service.authenticate(second.token)


async def test_a_connection_can_be_opened_by_its_id_for_oauth(world: World) -> None:
    service = world.make()
    created = await service.create(GOOD_KEY)
    found = await service.authenticate_id(created.record.id)
    assert found is not None and (found.id, found.api_key) == (created.record.id, GOOD_KEY)
    assert await service.authenticate_id("conn_000000000000000000000000") is None


# --- revoke, rotate, re-key ---


async def test_a_revoked_connection_is_shut_at_once_even_from_memory(world: World) -> None:
    service = world.make()
    created = await service.create(GOOD_KEY)
    assert await service.authenticate(created.token) is not None  # now remembered
    await service.revoke(created.record)
    assert await service.authenticate(created.token) is None
    assert await service.authenticate_id(created.record.id) is None
    assert await world.repository.get(created.record.id) is None


async def test_revoking_one_connection_leaves_the_others_open(world: World) -> None:
    service = world.make()
    kept = await service.create(GOOD_KEY)
    gone = await service.create(OTHER_GOOD_KEY)
    await service.revoke(gone.record)
    found = await service.authenticate(kept.token)
    assert found is not None and found.api_key == GOOD_KEY


async def test_rotating_shuts_the_old_token_and_opens_the_new_one(world: World) -> None:
    service = world.make()
    created = await service.create(GOOD_KEY)
    assert await service.authenticate(created.token) is not None  # now remembered
    new_token = await service.rotate(created.record)
    assert tokens.is_well_formed(new_token) and new_token != created.token
    assert await service.authenticate(created.token) is None
    found = await service.authenticate(new_token)
    assert found is not None and (found.id, found.api_key) == (created.record.id, GOOD_KEY)
    rotated = await service.find(new_token)
    assert rotated is not None and rotated.token_rotated_at is not None


async def test_only_one_of_two_rotations_from_the_same_state_wins(world: World) -> None:
    service = world.make()
    created = await service.create(GOOD_KEY)
    winner = await service.rotate(created.record)
    with pytest.raises(ApiError) as caught:
        await service.rotate(created.record)  # the record it read still has the old token
    assert (caught.value.status, caught.value.code) == (409, "conflict")
    assert await service.authenticate(winner) is not None


async def test_a_new_key_is_checked_stored_and_used_at_once(world: World) -> None:
    service = world.make()
    created = await service.create(GOOD_KEY)
    assert await service.authenticate(created.token) is not None  # the old key, now remembered
    updated = await service.replace_key(created.record, f" {OTHER_GOOD_KEY} ")
    assert world.checked == [GOOD_KEY, OTHER_GOOD_KEY]
    assert updated.key_hint == OTHER_GOOD_KEY[-4:]
    assert updated.token_hash == created.record.token_hash  # the URL does not change
    assert updated.key_updated_at >= created.record.key_updated_at
    assert updated.key_ciphertext != created.record.key_ciphertext
    found = await service.authenticate(created.token)
    assert found is not None and found.api_key == OTHER_GOOD_KEY


@pytest.mark.parametrize(("key", "status"), [(REJECTED_KEY, 400), ("", 422), (DOWN_KEY, 502)])
async def test_a_refused_new_key_leaves_the_old_one_in_place(world: World, key: str, status: int) -> None:
    service = world.make()
    created = await service.create(GOOD_KEY)
    with pytest.raises(ApiError) as caught:
        await service.replace_key(created.record, key)
    assert caught.value.status == status
    assert await world.repository.get(created.record.id) == created.record
    found = await service.authenticate(created.token)
    assert found is not None and found.api_key == GOOD_KEY


async def test_a_new_key_for_a_revoked_connection_is_not_found(world: World) -> None:
    service = world.make()
    created = await service.create(GOOD_KEY)
    await service.revoke(created.record)
    with pytest.raises(ApiError) as caught:
        await service.replace_key(created.record, OTHER_GOOD_KEY)
    assert (caught.value.status, caught.value.code) == (404, "not_found")
    assert await world.repository.count_by_key_id() == {}
