"""The calendar periods spending caps count in: the UTC day and the UTC calendar month.

A period is named by its first day (`2025-03-04`, `2025-03`): counters are keyed by that name, so a
new period starts from zero by itself and nothing has to be reset at midnight.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta


@dataclass(frozen=True, slots=True)
class Periods:
    """The day and month a moment falls in, and when each ends (the next one starts)."""

    day: date
    month_start: date
    day_ends: datetime
    month_ends: datetime

    @property
    def day_name(self) -> str:
        return self.day.isoformat()

    @property
    def month_name(self) -> str:
        return self.month_start.strftime("%Y-%m")


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def periods_at(moment: datetime) -> Periods:
    """Raises:
    ValueError: `moment` has no time zone (a naive time would silently be local time).
    """
    if moment.tzinfo is None:
        raise ValueError("periods need an aware datetime")
    today = moment.astimezone(UTC).date()
    month_start = today.replace(day=1)
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    return Periods(today, month_start, _midnight(today + timedelta(days=1)), _midnight(next_month))
