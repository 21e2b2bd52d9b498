"""Give a connection spending caps in a test, the way its owner does: `PATCH /api/connection`."""

from __future__ import annotations

from typing import Any

import httpx


def set_caps(
    app_url: str,
    token: str,
    *,
    calls_per_day: int | None = None,
    tokens_per_month: int | None = None,
) -> dict[str, Any]:
    """Set both caps (None: no cap) on the connection `token` opens; returns the API's description."""
    response = httpx.patch(
        f"{app_url}/api/connection",
        headers={"Authorization": f"Bearer {token}"},
        json={"calls_per_day": calls_per_day, "tokens_per_month": tokens_per_month},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    described: dict[str, Any] = response.json()
    return described
