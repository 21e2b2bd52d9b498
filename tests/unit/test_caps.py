"""What a capped call is told, word for word; the calendar the caps count in (UTC days, months); which
calls the database counter costs a database round trip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from server.limits.calls import Refusal
from server.limits.caps import DatabaseCounter, SpendingCaps, Verdict
from server.limits.periods import Periods, periods_at
from storage.cap_counters import Kind, Window

pytestmark = pytest.mark.anyio


class FixedVerdict:
    def __init__(self, verdict: Verdict | None) -> None:
        self.verdict = verdict
        self.recorded: list[int] = []

    async def admit(
        self, connection_id: str, periods: Periods, calls_cap: int | None, tokens_cap: int | None
    ) -> Verdict | None:
        return self.verdict

    async def record(self, connection_id: str, periods: Periods, tokens: int) -> None:
        self.recorded.append(tokens)

    async def used(self, connection_id: str, periods: Periods) -> tuple[int, int]:
        return 0, 0


def caps_at(moment: datetime, verdict: Verdict | None, refusals: list[Refusal] | None = None) -> SpendingCaps:
    on_refusal = refusals.append if refusals is not None else (lambda _r: None)
    return SpendingCaps(
        FixedVerdict(verdict), manage_url="https://mcp.example/manage", clock=lambda: moment, on_refusal=on_refusal
    )


async def test_the_daily_cap_refusal_names_the_cap_the_reset_and_the_manage_page() -> None:
    refusals: list[Refusal] = []
    caps = caps_at(datetime(2031, 5, 6, 19, 48, 30, tzinfo=UTC), Verdict("calls", 1000), refusals)
    refusal = await caps.admit("conn_1", 1000, None)
    assert refusal is not None
    assert refusal.message == (
        "Daily cap reached: this connection may make 1,000 tool calls per day (UTC) and has made them all today. "
        "Nothing was sent to Mistral. The cap resets at midnight UTC (2031-05-07 00:00 UTC, in 4 h 12 min). "
        "To raise or remove the cap, open the manage page with this connection's URL: https://mcp.example/manage"
    )
    assert refusal.limit == "calls_per_day" and refusal.retry_after == 4 * 3600 + 11 * 60 + 30
    assert refusals == [refusal]


async def test_the_monthly_cap_refusal_says_how_much_was_used_and_when_the_month_ends() -> None:
    caps = caps_at(datetime(2031, 12, 29, 12, 0, tzinfo=UTC), Verdict("tokens", 1_000_312))
    refusal = await caps.admit("conn_1", None, 1_000_000)
    assert refusal is not None and refusal.limit == "tokens_per_month"
    assert refusal.message == (
        "Monthly token cap reached: this connection may use 1,000,000 Mistral tokens per calendar month (UTC) and "
        "has used 1,000,312. Nothing was sent to Mistral. The cap resets on the first of next month "
        "(2032-01-01 00:00 UTC, in 2 days 12 h). "
        "To raise or remove the cap, open the manage page with this connection's URL: https://mcp.example/manage"
    )


@pytest.mark.parametrize(
    ("moment", "wait"),
    [
        (datetime(2031, 5, 6, 23, 59, 30, tzinfo=UTC), "in 1 min)"),
        (datetime(2031, 5, 6, 23, 0, tzinfo=UTC), "in 1 h)"),
        (datetime(2031, 5, 6, 0, 0, tzinfo=UTC), "in 1 day)"),
    ],
)
async def test_the_wait_until_the_reset_is_rounded_up_to_the_minute(moment: datetime, wait: str) -> None:
    refusal = await caps_at(moment, Verdict("calls", 1)).admit("conn_1", 1, None)
    assert refusal is not None and wait in refusal.message


async def test_an_admitted_call_is_not_refused_and_no_tokens_record_nothing() -> None:
    counter = FixedVerdict(None)
    caps = SpendingCaps(counter, manage_url="/manage", clock=lambda: datetime(2031, 1, 1, tzinfo=UTC))
    assert await caps.admit("conn_1", 1, 1) is None
    await caps.record("conn_1", 0)
    await caps.record("conn_1", 42)
    assert counter.recorded == [42]


def test_days_and_months_are_utc_whatever_zone_the_clock_speaks() -> None:
    paris_evening = datetime(2031, 12, 31, 23, 30, tzinfo=timezone(timedelta(hours=1)))  # 22:30 UTC
    periods = periods_at(paris_evening)
    assert (periods.day_name, periods.month_name) == ("2031-12-31", "2031-12")
    assert periods.day_ends == datetime(2032, 1, 1, tzinfo=UTC) == periods.month_ends
    assert periods_at(datetime(2032, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1)))).day_name == "2031-12-31"
    february = periods_at(datetime(2032, 2, 29, 12, tzinfo=UTC))
    assert february.month_ends == datetime(2032, 3, 1, tzinfo=UTC) and february.month_start.isoformat() == "2032-02-01"


def test_a_naive_time_is_refused_rather_than_taken_as_local() -> None:
    with pytest.raises(ValueError, match="aware"):
        periods_at(datetime(2031, 1, 1))


class CountingRepository:
    """The database counter's repository, admitting everything and noting what reached it."""

    def __init__(self) -> None:
        self.operations: list[str] = []

    async def admit(
        self, connection_id: str, *, calls: tuple[Window, int] | None, tokens: tuple[Window, int] | None
    ) -> Kind | None:
        self.operations.append(f"admit {connection_id}")
        return None

    async def add_tokens(self, connection_id: str, window: Window, tokens: int) -> None:
        self.operations.append(f"add {tokens} to {connection_id} in {window.period}")


async def test_without_caps_a_call_costs_the_database_counter_nothing_not_even_its_tokens() -> None:
    repository = CountingRepository()
    counter = DatabaseCounter(repository)  # type: ignore[arg-type]  # admit and add_tokens are all it uses
    caps = SpendingCaps(counter, manage_url="/manage", clock=lambda: datetime(2031, 7, 9, tzinfo=UTC))
    assert await caps.admit("conn_free", None, None) is None
    await caps.record("conn_free", 500)
    assert repository.operations == []

    assert await caps.admit("conn_calls", 10, None) is None
    await caps.record("conn_calls", 500)
    assert await caps.admit("conn_tokens", None, 1000) is None
    await caps.record("conn_tokens", 500)
    assert repository.operations == ["admit conn_calls", "admit conn_tokens", "add 500 to conn_tokens in 2031-07"]

    # The tokens cap removed: that connection's calls stop writing tokens too.
    assert await caps.admit("conn_tokens", None, None) is None
    await caps.record("conn_tokens", 500)
    assert repository.operations[-1] == "add 500 to conn_tokens in 2031-07"
    assert len(repository.operations) == 3


def test_a_reset_on_the_hour_reads_in_whole_hours() -> None:
    from datetime import timedelta

    from server.limits.caps import _in

    assert _in(timedelta(hours=22)) == "22 h"
    assert _in(timedelta(hours=22, minutes=6)) == "22 h 6 min"
    assert _in(timedelta(seconds=30)) == "1 min"
