"""Value types that settings hold, and the parsers that read them from an environment variable's text.

A parser takes the stripped text and returns the value, or raises `ValueError` with the rest of a
sentence that starts with the variable's name ("must be a number, got 'x'"); `Settings.from_env`
adds the name, so every bad value reads as one line that names its variable.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

Parser = Callable[[str], object]
Number = TypeVar("Number", int, float)

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


def rate(text: str) -> Rate | None:
    try:
        return parse_rate(text)
    except ValueError as exc:
        raise ValueError(f"is not a rate: {exc}") from None


def text(value: str) -> str:
    return value


def path(value: str) -> Path:
    return Path(value)


def optional_path(value: str) -> Path | None:
    return Path(value) if value else None


def csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def boolean(value: str) -> bool:
    lowered = value.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"must be true or false, got {value!r}")


def integer(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise ValueError(f"must be a whole number, got {value!r}") from None
        return _within(number, value, minimum, maximum)

    return parse


def seconds(minimum: float, maximum: float | None = None) -> Callable[[str], float]:
    def parse(value: str) -> float:
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"must be a number, got {value!r}") from None
        if number != number or number in {float("inf"), float("-inf")}:
            raise ValueError(f"must be a finite number, got {value!r}")
        return _within(number, value, minimum, maximum)

    return parse


def _within(number: Number, value: str, minimum: float, maximum: float | None) -> Number:
    if number < minimum:
        raise ValueError(f"must be at least {minimum:g}, got {value!r}")
    if maximum is not None and number > maximum:
        raise ValueError(f"must be at most {maximum:g}, got {value!r}")
    return number


def choice(*options: str, upper: bool = False) -> Callable[[str], str]:
    def parse(value: str) -> str:
        normal = value.upper() if upper else value.lower()
        if normal not in options:
            raise ValueError(f"must be {', '.join(options[:-1])} or {options[-1]}, got {value!r}")
        return normal

    return parse


def url(*schemes: str, strip_slash: bool = True, secret: bool = False) -> Callable[[str], str]:
    """An URL with one of `schemes` (empty stays empty: "not set"); a secret one is masked in errors."""

    def parse(value: str) -> str:
        if not value:
            return value
        parts = urlsplit(value)
        if parts.scheme not in schemes or not (parts.hostname or parts.path or parts.scheme == "unix"):
            shown = mask_url_password(value) if secret else value
            raise ValueError(f"must be a {', '.join(s + '://' for s in schemes)} URL, got {shown!r}")
        return value.rstrip("/") if strip_slash else value

    return parse


def mask_url_password(url: str) -> str:
    """Hide the password of a database or Redis URL for display, in the netloc or the query
    (redis-py also takes `?password=`)."""
    parts = urlsplit(url)
    if parts.password is not None:
        parts = parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1))
    if parts.query:
        query = "&".join(
            f"{name}=***" if name.lower() == "password" else item
            for item in parts.query.split("&")
            for name in [item.partition("=")[0]]
        )
        parts = parts._replace(query=query)
    return parts.geturl()
