"""The resolved-token cache: what it remembers, for how long, and what makes it forget."""

from __future__ import annotations

from collections.abc import Callable

import anyio
import pytest

from server.auth_cache import AuthCache


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_answer_is_reused_until_one_second_after_its_lookup_started() -> None:
    clock = Clock()
    cache: AuthCache[str] = AuthCache(1.0, clock=clock)
    lookup = cache.begin()
    clock.now += 0.3  # the database read took a while
    cache.put("h1", "conn_1", "key", lookup)
    clock.now = 100.999
    assert cache.get("h1") == "key"
    clock.now = 101.0  # counted from when the lookup started, not from when it ended
    assert cache.get("h1") is None


def test_forgetting_a_connection_drops_all_its_tokens_and_only_its() -> None:
    cache: AuthCache[str] = AuthCache(1.0, clock=Clock())
    cache.put("h1", "conn_1", "a", cache.begin())
    cache.put("h2", "conn_1", "b", cache.begin())
    cache.put("h3", "conn_2", "c", cache.begin())
    cache.forget("conn_1")
    assert (cache.get("h1"), cache.get("h2"), cache.get("h3")) == (None, None, "c")


def test_a_lookup_overtaken_by_a_change_is_not_remembered() -> None:
    cache: AuthCache[str] = AuthCache(1.0, clock=Clock())
    lookup = cache.begin()  # reads the row before the revocation commits...
    cache.forget("conn_1")  # ...which is stored and announced while the read is in flight
    cache.put("h1", "conn_1", "stale", lookup)
    assert cache.get("h1") is None
    cache.put("h1", "conn_1", "fresh", cache.begin())
    assert cache.get("h1") == "fresh"


def test_a_change_to_one_connection_costs_no_other_connection_its_cache() -> None:
    # One user rotating in a loop must not send everyone else's calls to the database.
    cache: AuthCache[str] = AuthCache(1.0, clock=Clock())
    cache.put("h2", "conn_2", "b", cache.begin())
    lookup = cache.begin()
    for _ in range(50):
        cache.forget("conn_1")
    cache.put("h3", "conn_3", "c", lookup)
    assert (cache.get("h2"), cache.get("h3")) == ("b", "c")


def test_when_change_notes_overflow_lookups_older_than_the_dropped_ones_are_refused() -> None:
    cache: AuthCache[str] = AuthCache(1.0, max_entries=2, clock=Clock())
    before = cache.begin()
    for connection in ("conn_a", "conn_b", "conn_c"):  # conn_a's note is dropped
        cache.forget(connection)
    cache.put("h1", "conn_a", "stale?", before)  # cannot tell whether conn_a changed after: refused
    cache.put("h9", "conn_z", "unrelated", before)
    assert (cache.get("h1"), cache.get("h9")) == (None, None)
    cache.put("h1", "conn_a", "fresh", cache.begin())
    assert cache.get("h1") == "fresh"


def test_zero_seconds_remembers_nothing() -> None:
    cache: AuthCache[str] = AuthCache(0.0, clock=Clock())
    cache.put("h1", "conn_1", "key", cache.begin())
    assert cache.get("h1") is None


def test_the_table_is_bounded_and_drops_the_oldest_first() -> None:
    cache: AuthCache[str] = AuthCache(1.0, max_entries=2, clock=Clock())
    for n in range(3):
        cache.put(f"h{n}", f"conn_{n}", str(n), cache.begin())
    assert (cache.get("h0"), cache.get("h1"), cache.get("h2")) == (None, "1", "2")


@pytest.mark.parametrize("ttl", [-0.1, 1.5])
def test_more_than_one_second_is_refused(ttl: float) -> None:
    with pytest.raises(ValueError, match="ttl"):
        AuthCache(ttl)


class Database:
    """A lookup that waits until the test lets it answer, counting how often it is asked."""

    def __init__(self, found: tuple[str, str] | None = ("conn_1", "key")) -> None:
        self.found = found
        self.asked = 0
        self.release = anyio.Event()
        self.fail = False

    async def lookup(self) -> tuple[str, str] | None:
        self.asked += 1
        await self.release.wait()
        if self.fail:
            raise ConnectionError("database down")
        return self.found


async def _resolve_all(cache: AuthCache[str], db: Database, count: int) -> list[str | None]:
    results: list[str | None] = []

    async def one() -> None:
        results.append(await cache.resolve("h1", db.lookup))

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tasks:
            for _ in range(count):
                tasks.start_soon(one)
            await wait_until(lambda: db.asked >= 1)
            await anyio.wait_all_tasks_blocked()
            db.release.set()
    return results


async def wait_until(condition: Callable[[], bool]) -> None:
    while not condition():
        await anyio.wait_all_tasks_blocked()


@pytest.mark.anyio
async def test_concurrent_requests_for_one_token_share_one_lookup() -> None:
    db = Database()
    results = await _resolve_all(AuthCache(1.0, clock=Clock()), db, 10)
    assert results == ["key"] * 10
    assert db.asked == 1


@pytest.mark.anyio
async def test_an_unknown_token_is_shared_while_looked_up_but_never_remembered() -> None:
    db = Database(found=None)
    cache: AuthCache[str] = AuthCache(1.0, clock=Clock())
    assert await _resolve_all(cache, db, 3) == [None] * 3
    db.found = ("conn_1", "key")
    assert await cache.resolve("h1", db.lookup) == "key"  # released already: answers at once
    assert db.asked == 2


@pytest.mark.anyio
async def test_when_the_shared_lookup_fails_each_waiting_request_tries_for_itself() -> None:
    db = Database()
    db.fail = True
    cache: AuthCache[str] = AuthCache(1.0, clock=Clock())
    with pytest.raises(BaseExceptionGroup) as raised:
        await _resolve_all(cache, db, 3)
    assert all(isinstance(e, ConnectionError) for e in raised.value.exceptions)
    assert db.asked == 3


@pytest.mark.anyio
async def test_with_the_cache_off_every_request_looks_up_for_itself() -> None:
    db = Database()
    db.release.set()
    cache: AuthCache[str] = AuthCache(0.0, clock=Clock())
    assert [await cache.resolve("h1", db.lookup) for _ in range(3)] == ["key"] * 3
    assert db.asked == 3


async def _join_while_in_flight(cache: AuthCache[str], db: Database, change: str) -> list[str | None]:
    """One request starts a lookup; `change` is forgotten while it runs; a second request then joins."""
    results: list[str | None] = []

    async def one() -> None:
        results.append(await cache.resolve("h1", db.lookup))

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(one)
            await wait_until(lambda: db.asked >= 1)
            cache.forget(change)
            tasks.start_soon(one)
            await anyio.wait_all_tasks_blocked()
            db.release.set()
    return results


@pytest.mark.anyio
async def test_a_request_arriving_after_a_change_does_not_take_a_lookup_that_read_before_it() -> None:
    db = Database()
    results = await _join_while_in_flight(AuthCache(1.0, clock=Clock()), db, change="conn_1")
    assert results == ["key", "key"]  # the database still says so: what matters is that it was asked again
    assert db.asked == 2


@pytest.mark.anyio
async def test_a_change_to_another_connection_leaves_a_running_lookup_shared() -> None:
    db = Database()
    results = await _join_while_in_flight(AuthCache(1.0, clock=Clock()), db, change="conn_2")
    assert results == ["key", "key"]
    assert db.asked == 1


async def _resolve_until_deadline(cache: AuthCache[str], db: Database, count: int) -> list[BaseException | str | None]:
    """`count` requests for one token while the database hangs; what each one ends with."""
    outcomes: list[BaseException | str | None] = []

    async def one() -> None:
        try:
            outcomes.append(await cache.resolve("h1", db.lookup))
        except TimeoutError as error:
            outcomes.append(error)

    with anyio.fail_after(5):  # the test's own bound: far above the cache's deadline
        async with anyio.create_task_group() as tasks:
            for _ in range(count):
                tasks.start_soon(one)
    return outcomes


@pytest.mark.anyio
async def test_a_hung_shared_lookup_holds_no_request_for_its_token_past_the_deadline() -> None:
    db = Database()  # never released: the database does not answer
    cache: AuthCache[str] = AuthCache(1.0, clock=Clock(), deadline=0.2)
    outcomes = await _resolve_until_deadline(cache, db, 5)
    assert len(outcomes) == 5
    assert all(isinstance(outcome, TimeoutError) for outcome in outcomes)  # never None: not "unknown token"


@pytest.mark.anyio
async def test_a_lookup_given_up_at_its_deadline_is_not_remembered() -> None:
    db = Database()
    cache: AuthCache[str] = AuthCache(1.0, clock=Clock(), deadline=0.2)
    assert all(isinstance(outcome, TimeoutError) for outcome in await _resolve_until_deadline(cache, db, 2))
    asked = db.asked
    db.found = ("conn_1", "answered")
    db.release.set()
    assert await cache.resolve("h1", db.lookup) == "answered"
    assert db.asked == asked + 1  # the database was asked again, nothing was taken from the failed lookup
