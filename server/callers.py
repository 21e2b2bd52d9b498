"""Who is calling: the bearer credential a request carries, read in one place for every surface."""

from __future__ import annotations

from starlette.requests import Request

from server.security.tokens import bearer_credential


def bearer_token(request: Request) -> str | None:
    return bearer_credential(request.headers.get("authorization", ""))
