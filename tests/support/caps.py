"""Give a connection spending caps in a test.

A stand-in until connection policies are stored: it replaces `ConnectionService.caps` for the test,
which every app running in this process (each replica of a test) reads. Once policies land, this
sets them the way a user does (`PATCH /api/connection`), and the tests calling it stay as they are.
"""

from __future__ import annotations

import pytest

from server.connections import ConnectionService
from server.limits import CapValues


def set_caps(
    monkeypatch: pytest.MonkeyPatch,
    connection_id: str,
    *,
    calls_per_day: int | None = None,
    tokens_per_month: int | None = None,
) -> None:
    earlier = ConnectionService.caps

    def caps(service: ConnectionService, asked: str) -> CapValues:
        if asked == connection_id:
            return CapValues(calls_per_day, tokens_per_month)
        return earlier(service, asked)

    monkeypatch.setattr(ConnectionService, "caps", caps)
