"""Who is calling: the one seam that turns a request's credential into a typed caller.

Every token kind is known here, and only here, as a way in: a connection token in the personal URL
(`/mcp/{token}`) or in `Authorization: Bearer` on `/mcp`, and an OAuth access token on `/mcp`. Both
go through the connection service's token cache (one database read per second per busy client,
revocation everywhere within a second). `CallerBackend` is a Starlette `AuthenticationBackend`:
`AuthenticationMiddleware` puts a `Caller` in `scope["user"]` (or an unauthenticated user), and
the MCP endpoint and tool handlers read it from there, typed, with `caller_of`.

A stored key that cannot be decrypted raises `CryptoError`, and a database past its deadline a
database error: both reach the app's one exception mapping (`server/http/responses.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from starlette.authentication import AuthCredentials, AuthenticationBackend, BaseUser
from starlette.requests import HTTPConnection

from server.connections import AuthenticatedConnection
from server.security.tokens import bearer_credential, is_access_token
from server.services import Services

Via = Literal["url", "bearer", "oauth"]


@dataclass(frozen=True, slots=True)
class Caller(BaseUser):
    """An authenticated MCP caller: the connection (with its decrypted key) and how it came in."""

    connection: AuthenticatedConnection
    via: Via

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.connection.id

    @property
    def identity(self) -> str:
        return self.connection.id


def bearer_token(request: HTTPConnection) -> str | None:
    return bearer_credential(request.headers.get("authorization", ""))


def caller_of(request: HTTPConnection) -> Caller | None:
    """The caller `CallerBackend` authenticated for this request, or None."""
    user = request.scope.get("user")
    return user if isinstance(user, Caller) else None


async def authenticate(services: Services, path_token: str | None, bearer: str | None) -> Caller | None:
    """The caller a personal-URL token or a bearer credential opens, or None (unknown, revoked, expired).

    Raises:
        CryptoError: the connection exists but its stored key cannot be decrypted.
    """
    connections = services.connections
    if path_token:
        connection = await connections.authenticate(path_token)
        return Caller(connection, "url") if connection else None
    if not bearer:
        return None
    if is_access_token(bearer):
        if services.oauth is None:
            return None
        connection = await connections.authenticate_via(bearer, services.oauth.access_token_connection)
        return Caller(connection, "oauth") if connection else None
    connection = await connections.authenticate(bearer)
    return Caller(connection, "bearer") if connection else None


class CallerBackend(AuthenticationBackend):
    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        caller = await authenticate(conn.state.services, conn.path_params.get("token"), bearer_token(conn))
        return (AuthCredentials(["mcp"]), caller) if caller else None
