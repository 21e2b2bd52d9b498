"""Connections: a user's encrypted Mistral key reachable through one secret token.

This is the domain layer between the web/MCP surfaces and storage: it validates keys
against Mistral, encrypts them bound to their row, and resolves tokens on every request.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from server.abandoned import AbandonedSignups
from server.auth_cache import MAX_TTL, AuthCache
from server.errors import ApiError, UpstreamAuthError, UpstreamError, UpstreamRateLimited
from server.limits import CapValues
from server.security import tokens
from server.security.crypto import Keyring
from server.upstream.client import MistralClient
from storage.deadlines import DatabaseTimeout
from storage.repository import ConnectionRecord, ConnectionRepository

MAX_KEY_LENGTH = 256


def _now() -> datetime:
    return datetime.now(UTC)


def associated_data(connection_id: str) -> bytes:
    return b"mistral-mcp/connection/" + connection_id.encode("ascii")


def check_api_key_shape(value: object) -> str:
    """Raises:
    ApiError: 422 with a message naming what is wrong with the key.
    """
    if value is None:
        raise ApiError(422, "missing_api_key", "Field 'api_key' is required: paste your Mistral API key.")
    if not isinstance(value, str):
        raise ApiError(422, "invalid_api_key", "Field 'api_key' must be a string.")
    key = value.strip()
    if not key:
        raise ApiError(422, "invalid_api_key", "Field 'api_key' is empty: paste your Mistral API key.")
    if len(key) > MAX_KEY_LENGTH:
        raise ApiError(422, "invalid_api_key", f"Field 'api_key' is too long (over {MAX_KEY_LENGTH} characters).")
    if not key.isascii() or not key.isprintable() or any(c.isspace() for c in key):
        raise ApiError(422, "invalid_api_key", "Field 'api_key' may only contain printable characters, no spaces.")
    return key


@dataclass(frozen=True, slots=True)
class AuthenticatedConnection:
    id: str
    token_hash: str
    api_key: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class NewConnection:
    record: ConnectionRecord
    token: str = field(repr=False)


class ConnectionService:
    def __init__(
        self,
        repository: ConnectionRepository,
        keyring: Keyring,
        upstream: MistralClient,
        *,
        token_cache_seconds: float = MAX_TTL,
    ) -> None:
        self.repository = repository
        self.keyring = keyring
        self.upstream = upstream
        # Tokens resolved in the last second: see server/auth_cache.py for what this promises.
        self._recent: AuthCache[AuthenticatedConnection] = AuthCache(token_cache_seconds, deadline=repository.deadline)
        self.abandoned = AbandonedSignups(repository, retry_every=repository.deadlines.statement or 5.0)

    async def _validate_with_mistral(self, api_key: str) -> None:
        try:
            await self.upstream.check_key(api_key)
        except UpstreamAuthError:
            raise ApiError(
                400,
                "api_key_rejected",
                "Mistral rejected this API key. Check that you copied it whole from "
                "https://console.mistral.ai/api-keys and that it is active.",
            ) from None
        except UpstreamRateLimited as exc:
            headers = {"Retry-After": str(int(exc.retry_after))} if exc.retry_after else {}
            raise ApiError(
                503, "mistral_rate_limited", "Mistral is rate limiting this key; try again shortly.", headers=headers
            ) from None
        except UpstreamError:
            raise ApiError(
                502, "mistral_unreachable", "Could not check the key with Mistral right now; try again shortly."
            ) from None

    def _encrypt(self, connection_id: str, api_key: str) -> tuple[bytes, str]:
        return self.keyring.encrypt(api_key, associated_data(connection_id)), self.keyring.primary_key_id

    async def create(self, raw_key: object) -> NewConnection:
        """Validate the key with Mistral, then store it encrypted; nothing is stored on failure.

        Raises:
            ApiError: bad key shape, key rejected, or Mistral unreachable.
        """
        api_key = check_api_key_shape(raw_key)
        await self._validate_with_mistral(api_key)
        connection_id = "conn_" + secrets.token_hex(12)
        token = tokens.new_token()
        ciphertext, key_id = self._encrypt(connection_id, api_key)
        now = _now()
        record = ConnectionRecord(
            id=connection_id,
            token_hash=tokens.hash_token(token),
            key_ciphertext=ciphertext,
            key_id=key_id,
            key_hint=api_key[-4:],
            created_at=now,
            key_updated_at=now,
            token_rotated_at=None,
            last_used_at=None,
        )
        try:
            await self.repository.insert(record)
        except BaseException:
            # Failed, timed out or cancelled: most likely rolled back, but a COMMIT may have landed
            # with its reply lost. The token dies with this request, so the row must not stay.
            self.abandoned.add(connection_id)
            raise
        return NewConnection(record, token)

    def abandon(self, record: ConnectionRecord) -> None:
        """Delete a connection whose token will never reach anyone (its client hung up), in the
        background: see server/abandoned.py."""
        self._recent.forget(record.id)
        self.abandoned.add(record.id)

    async def find(self, token: str) -> ConnectionRecord | None:
        """The connection a token opens, or None; malformed tokens never reach the database."""
        if not tokens.is_well_formed(token):
            return None
        token_hash = tokens.hash_token(token)
        record = await self.repository.get_by_token_hash(token_hash)
        if record is None or not tokens.hashes_match(record.token_hash, token):
            return None
        return record

    async def authenticate(self, token: str) -> AuthenticatedConnection | None:
        """Raises:
        CryptoError: the row exists but its key cannot be decrypted (misconfigured keyring).
        """
        if not tokens.is_well_formed(token):
            return None

        async def lookup() -> tuple[str, AuthenticatedConnection] | None:
            record = await self.find(token)
            if record is None:
                return None
            api_key = self.keyring.decrypt(record.key_ciphertext, associated_data(record.id))
            return record.id, AuthenticatedConnection(record.id, record.token_hash, api_key)

        return await self._resolve(token, lookup)

    async def authenticate_via(
        self, credential: str, connection_of: Callable[[str], Awaitable[str | None]]
    ) -> AuthenticatedConnection | None:
        """The connection another credential names (an OAuth access token: `connection_of` says which
        connection it opens, or None), through the same cache as connection tokens.

        Raises:
            CryptoError: the row exists but its key cannot be decrypted (misconfigured keyring).
        """

        async def lookup() -> tuple[str, AuthenticatedConnection] | None:
            connection_id = await connection_of(credential)
            connection = await self.authenticate_id(connection_id) if connection_id else None
            return (connection.id, connection) if connection else None

        return await self._resolve(credential, lookup)

    async def _resolve(
        self, credential: str, lookup: Callable[[], Awaitable[tuple[str, AuthenticatedConnection] | None]]
    ) -> AuthenticatedConnection | None:
        try:
            return await self._recent.resolve(tokens.hash_token(credential), lookup)
        except TimeoutError as error:
            raise DatabaseTimeout("the database did not answer in time (token lookup)") from error

    async def authenticate_id(self, connection_id: str) -> AuthenticatedConnection | None:
        """The connection with this id (OAuth access tokens name the connection rather than carry its token)."""
        record = await self.repository.get(connection_id)
        if record is None:
            return None
        api_key = self.keyring.decrypt(record.key_ciphertext, associated_data(record.id))
        return AuthenticatedConnection(record.id, record.token_hash, api_key)

    def caps(self, connection_id: str) -> CapValues:
        """The connection's spending caps. A stand-in until connection policies are stored: no connection
        has caps (tests set some by replacing this method). Its callers are to read
        `connection.policy` (`calls_per_day`, `tokens_per_month`) instead."""
        return CapValues()

    def forget(self, connection_id: str) -> None:
        """Drop what the token cache remembers of this connection (its OAuth grants changed elsewhere)."""
        self._recent.forget(connection_id)

    async def revoke(self, record: ConnectionRecord) -> None:
        await self.repository.delete(record.id)
        self._recent.forget(record.id)

    async def rotate(self, record: ConnectionRecord) -> str:
        """Raises:
        ApiError: 409 when another rotation won the race.
        """
        token = tokens.new_token()
        replaced = await self.repository.replace_token(record.id, record.token_hash, tokens.hash_token(token), _now())
        self._recent.forget(record.id)
        if not replaced:
            raise ApiError(409, "conflict", "The connection changed meanwhile (rotated or revoked); reload it.")
        return token

    async def replace_key(self, record: ConnectionRecord, raw_key: object) -> ConnectionRecord:
        api_key = check_api_key_shape(raw_key)
        await self._validate_with_mistral(api_key)
        ciphertext, key_id = self._encrypt(record.id, api_key)
        replaced = await self.repository.replace_key(record.id, ciphertext, key_id, api_key[-4:], _now())
        self._recent.forget(record.id)
        if not replaced:
            raise ApiError(404, "not_found", "The connection no longer exists.")
        updated = await self.repository.get(record.id)
        assert updated is not None
        return updated
