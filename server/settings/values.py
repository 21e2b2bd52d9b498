"""Value types that settings hold and the parsers that read them from text."""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour|day)s?\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Rate:
    """At most `count` attempts in any `period` seconds."""

    count: int
    period: float

    def __str__(self) -> str:
        unit = next((name for name, seconds in _UNITS.items() if seconds == self.period), None)
        return f"{self.count}/{unit}" if unit else f"{self.count}/{self.period:g}s"


def parse_rate(text: str) -> Rate | None:
    """`"10/minute"` → Rate(10, 60); `"off"` or `"0"` → None (no limit).

    Raises:
        ValueError: the text is not `N/second|minute|hour|day` or `off`.
    """
    value = text.strip().lower()
    if value in {"off", "0", "none"}:
        return None
    match = _RATE.match(value)
    if match is None:
        raise ValueError(f"expected N/second, N/minute, N/hour, N/day or off, got {text!r}")
    count = int(match.group(1))
    return Rate(count, _UNITS[match.group(2).lower()]) if count > 0 else None
