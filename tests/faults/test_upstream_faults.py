"""Mistral misbehaving: rate-limit storms, 5xx, silence, cut streams, resets, stalled bodies.

For each fault the client gets an isError result saying what happened, the server keeps
serving (the next call succeeds), and the stored connection and its usage stay right.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import anyio
import pytest

from tests.conftest import RunningApp
from tests.fake_mistral import FakeMistral
from tests.faults.chaos_upstream import ChaosUpstream
from tests.faults.conftest import assert_alive, call_tool, stored_connection, text_of

pytestmark = pytest.mark.anyio

CHAT = "/v1/chat/completions"


@pytest.fixture(scope="module")
def impatient_app(app_factory: Callable[..., RunningApp]) -> RunningApp:
    """An app that gives Mistral half a second, so silence becomes an answer quickly."""
    return app_factory(upstream_timeout=0.5, upstream_retry_max_wait=0.0)


@pytest.fixture(scope="module")
def chaos() -> Iterator[ChaosUpstream]:
    upstream = ChaosUpstream()
    upstream.start()
    yield upstream
    upstream.stop()


@pytest.fixture(scope="module")
def chaos_app(app_factory: Callable[..., RunningApp], chaos: ChaosUpstream) -> RunningApp:
    return app_factory(upstream_url=chaos.url, upstream_timeout=0.5, upstream_retry_max_wait=0.0)


async def test_a_429_storm_gives_every_caller_a_rate_limit_answer_and_passes(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    conn = app.sign_up()
    callers = 5
    attempts_each = app.settings.upstream_max_retries + 1
    fake_mistral.fail_next(CHAT, status=429, times=callers * attempts_each, retry_after="0")
    results: list[object] = []

    async def one_call() -> None:
        results.append(await call_tool(conn["mcp_url"]))

    with anyio.fail_after(30):
        async with anyio.create_task_group() as calls:
            for _ in range(callers):
                calls.start_soon(one_call)
    assert len(results) == callers
    for result in results:
        assert result.is_error  # type: ignore[attr-defined]
        assert "rate limit" in text_of(result) and "429" in text_of(result)
    assert len(fake_mistral.requests_to("POST", CHAT)) == callers * attempts_each

    after = await call_tool(conn["mcp_url"])  # the storm has blown over
    assert not after.is_error, text_of(after)
    usage = stored_connection(app, conn["token"])["usage"]["mistral_chat"]
    assert (usage["calls"], usage["errors"]) == (callers + 1, callers)


async def test_a_429_asking_for_a_long_wait_is_answered_at_once_with_the_wait(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    conn = app.sign_up()
    fake_mistral.fail_next(CHAT, status=429, retry_after="3600")
    result = await call_tool(conn["mcp_url"])
    assert result.is_error
    assert "Retry after 3600 s" in text_of(result)
    assert len(fake_mistral.requests_to("POST", CHAT)) == 1  # not retried: the wait is over the cap


@pytest.mark.parametrize(("status", "retried"), [(500, False), (502, True), (503, True)])
async def test_server_errors_are_retried_only_when_safe_then_reported(
    app: RunningApp, fake_mistral: FakeMistral, status: int, retried: bool
) -> None:
    conn = app.sign_up()
    fake_mistral.fail_next(CHAT, status=status, times=10, retry_after="0")
    result = await call_tool(conn["mcp_url"])
    assert result.is_error
    assert f"Mistral is unavailable right now ({status})" in text_of(result)
    expected = app.settings.upstream_max_retries + 1 if retried else 1
    assert len(fake_mistral.requests_to("POST", CHAT)) == expected
    fake_mistral.reset()
    assert not (await call_tool(conn["mcp_url"])).is_error


async def test_a_503_that_clears_within_the_retries_is_invisible_to_the_client(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    conn = app.sign_up()
    fake_mistral.fail_next(CHAT, status=503, times=app.settings.upstream_max_retries, retry_after="0")
    result = await call_tool(conn["mcp_url"])
    assert not result.is_error, text_of(result)
    assert len(fake_mistral.requests_to("POST", CHAT)) == app.settings.upstream_max_retries + 1


async def test_silence_before_headers_times_out_with_a_clear_message_and_no_retry(
    impatient_app: RunningApp, fake_mistral: FakeMistral
) -> None:
    conn = impatient_app.sign_up()
    fake_mistral.stall_next(CHAT, 30)
    with anyio.fail_after(10):
        result = await call_tool(conn["mcp_url"])
    assert result.is_error
    assert "did not answer in time" in text_of(result)
    assert len(fake_mistral.requests_to("POST", CHAT)) == 1  # a read timeout may have been billed: no retry
    assert not (await call_tool(conn["mcp_url"])).is_error


async def test_a_stream_cut_midway_reports_what_arrived_and_the_next_stream_works(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    conn = app.sign_up()
    fake_mistral.cut_stream_after(CHAT, chunks=3)
    updates: list[str | None] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append(message)

    cut = await call_tool(conn["mcp_url"], progress_callback=on_progress)
    assert cut.is_error
    assert "broke off" in text_of(cut) and "Received before the break" in text_of(cut)
    whole = await call_tool(conn["mcp_url"], progress_callback=on_progress)
    assert not whole.is_error, text_of(whole)
    assert text_of(whole) == fake_mistral.chat_reply


async def test_a_stream_that_goes_quiet_midway_times_out_with_what_arrived(
    impatient_app: RunningApp, fake_mistral: FakeMistral
) -> None:
    conn = impatient_app.sign_up()
    fake_mistral.stream_delay = 0.8  # between events: longer than the app's read timeout

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        return None

    with anyio.fail_after(10):
        result = await call_tool(conn["mcp_url"], progress_callback=on_progress)
    assert result.is_error
    assert "broke off" in text_of(result) and "ReadTimeout" in text_of(result)
    assert_alive(impatient_app)


@pytest.mark.parametrize(
    ("behaviour", "expected"),
    [
        ("reset", "The connection to Mistral failed"),
        ("cut_body", "The connection to Mistral failed"),
        ("stall_body", "did not answer in time"),
    ],
)
async def test_broken_connections_become_clear_errors_and_the_server_carries_on(
    chaos_app: RunningApp, chaos: ChaosUpstream, behaviour: str, expected: str
) -> None:
    conn = chaos_app.sign_up()
    chaos.script(behaviour)  # type: ignore[arg-type]
    with anyio.fail_after(10):
        broken = await call_tool(conn["mcp_url"])
    assert broken.is_error
    assert expected in text_of(broken)
    assert chaos.served[-1] == behaviour
    healthy = await call_tool(conn["mcp_url"])
    assert not healthy.is_error, text_of(healthy)
    assert text_of(healthy) == "chaos ok"
    stored = stored_connection(chaos_app, conn["token"])
    assert stored["id"] == conn["id"]
    assert (stored["usage"]["mistral_chat"]["calls"], stored["usage"]["mistral_chat"]["errors"]) == (2, 1)
