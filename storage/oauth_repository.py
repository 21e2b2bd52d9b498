"""Every read and write of the OAuth tables. Codes, tokens and request ids are stored as hashes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Delete, and_, delete, exists, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import InstrumentedAttribute, aliased

from storage.oauth_models import OAuthClientRow, OAuthCodeRow, OAuthRequestRow, OAuthTokenRow

TOKENS_KEPT_PER_KIND = 4
"""Access and refresh tokens a token family keeps of each kind: the newest, the rest deleted as new ones come."""


@dataclass(frozen=True, slots=True)
class StoredCode:
    client_id: str
    connection_id: str
    params_json: str
    family_id: str
    expires_at: datetime
    used_at: datetime | None


@dataclass(frozen=True, slots=True)
class StoredToken:
    token_hash: str
    kind: str
    family_id: str
    client_id: str
    connection_id: str
    resource: str | None
    scopes: str
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None


class OAuthRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def get_client(self, client_id: str) -> str | None:
        if "\x00" in client_id:  # no stored id has one, and PostgreSQL would refuse the query outright
            return None
        async with self._engine.connect() as conn:
            row = await conn.execute(select(OAuthClientRow.info_json).where(OAuthClientRow.client_id == client_id))
            return row.scalar_one_or_none()

    async def add_client(self, client_id: str, info_json: str, at: datetime) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(insert(OAuthClientRow).values(client_id=client_id, info_json=info_json, created_at=at))

    async def clients_after(self, after: str, limit: int) -> list[tuple[str, str]]:
        """(client id, stored record) of up to `limit` clients whose id sorts after `after`, in order."""
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(OAuthClientRow.client_id, OAuthClientRow.info_json)
                .where(OAuthClientRow.client_id > after)
                .order_by(OAuthClientRow.client_id)
                .limit(limit)
            )
            return [(row.client_id, row.info_json) for row in rows]

    async def replace_client_info(self, client_id: str, old: str, new: str) -> bool:
        """Store `new` only if the record still reads `old`."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(OAuthClientRow)
                .where(OAuthClientRow.client_id == client_id, OAuthClientRow.info_json == old)
                .values(info_json=new)
            )
        return bool(result.rowcount)

    async def add_request(self, id_hash: str, client_id: str, params_json: str, expires_at: datetime) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(OAuthRequestRow).values(
                    id_hash=id_hash, client_id=client_id, params_json=params_json, expires_at=expires_at
                )
            )

    async def get_request(self, id_hash: str) -> tuple[str, str] | None:
        """(client_id, params_json) of a live pending request."""
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(OAuthRequestRow.client_id, OAuthRequestRow.params_json, OAuthRequestRow.expires_at).where(
                        OAuthRequestRow.id_hash == id_hash
                    )
                )
            ).first()
        if row is None or row.expires_at < datetime.now(UTC):
            return None
        return row.client_id, row.params_json

    async def take_request(self, id_hash: str) -> bool:
        """Consume a pending request once; False if someone else already did."""
        async with self._engine.begin() as conn:
            result = await conn.execute(delete(OAuthRequestRow).where(OAuthRequestRow.id_hash == id_hash))
        return bool(result.rowcount)

    async def add_code(
        self,
        code_hash: str,
        client_id: str,
        connection_id: str,
        params_json: str,
        family_id: str,
        expires_at: datetime,
    ) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(OAuthCodeRow).values(
                    code_hash=code_hash,
                    client_id=client_id,
                    connection_id=connection_id,
                    params_json=params_json,
                    family_id=family_id,
                    expires_at=expires_at,
                )
            )

    async def get_code(self, code_hash: str) -> StoredCode | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(
                        OAuthCodeRow.client_id,
                        OAuthCodeRow.connection_id,
                        OAuthCodeRow.params_json,
                        OAuthCodeRow.family_id,
                        OAuthCodeRow.expires_at,
                        OAuthCodeRow.used_at,
                    ).where(OAuthCodeRow.code_hash == code_hash)
                )
            ).first()
        if row is None:
            return None
        return StoredCode(
            row.client_id,
            row.connection_id,
            row.params_json,
            row.family_id,
            row.expires_at,
            row.used_at,
        )

    async def use_code(self, code_hash: str, at: datetime) -> bool:
        """Mark a code used; False when it already was (a replay)."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(OAuthCodeRow)
                .where(OAuthCodeRow.code_hash == code_hash, OAuthCodeRow.used_at.is_(None))
                .values(used_at=at)
            )
        return bool(result.rowcount)

    async def add_tokens(self, tokens: Sequence[StoredToken], client_id: str, at: datetime) -> None:
        """Store newly issued tokens and mark their client as used at `at`, in one transaction.

        A family keeps only its newest `TOKENS_KEPT_PER_KIND` tokens of each kind: a client that refreshes
        for ever cannot grow the table (a client only ever uses its latest pair). Reuse of one of the
        newest used refresh tokens still revokes the family; an older one is simply unknown.
        """
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(OAuthTokenRow),
                [
                    {
                        "token_hash": token.token_hash,
                        "kind": token.kind,
                        "family_id": token.family_id,
                        "client_id": token.client_id,
                        "connection_id": token.connection_id,
                        "resource": token.resource,
                        "scopes": token.scopes,
                        "expires_at": token.expires_at,
                    }
                    for token in tokens
                ],
            )
            for family_id, kind in {(token.family_id, token.kind) for token in tokens}:
                newest = (
                    select(OAuthTokenRow.token_hash)
                    .where(OAuthTokenRow.family_id == family_id, OAuthTokenRow.kind == kind)
                    .order_by(OAuthTokenRow.expires_at.desc())
                    .limit(TOKENS_KEPT_PER_KIND)
                )
                await conn.execute(
                    delete(OAuthTokenRow).where(
                        OAuthTokenRow.family_id == family_id,
                        OAuthTokenRow.kind == kind,
                        OAuthTokenRow.token_hash.not_in(newest.scalar_subquery()),
                    )
                )
            # A metadata-document client has no row: nothing to mark.
            await conn.execute(
                update(OAuthClientRow).where(OAuthClientRow.client_id == client_id).values(last_used_at=at)
            )

    async def get_token(self, token_hash: str) -> StoredToken | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(OAuthTokenRow).where(OAuthTokenRow.token_hash == token_hash))).first()
        if row is None:
            return None
        return StoredToken(
            token_hash=row.token_hash,
            kind=row.kind,
            family_id=row.family_id,
            client_id=row.client_id,
            connection_id=row.connection_id,
            resource=row.resource,
            scopes=row.scopes,
            expires_at=row.expires_at,
            used_at=row.used_at,
            revoked_at=row.revoked_at,
        )

    async def use_refresh_token(self, token_hash: str, at: datetime) -> bool:
        """Mark a refresh token used (rotated); False if it already was, which means reuse."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(OAuthTokenRow)
                .where(
                    OAuthTokenRow.token_hash == token_hash,
                    OAuthTokenRow.used_at.is_(None),
                    OAuthTokenRow.revoked_at.is_(None),
                )
                .values(used_at=at)
            )
        return bool(result.rowcount)

    async def revoke_family(self, family_id: str, at: datetime) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(OAuthTokenRow)
                .where(OAuthTokenRow.family_id == family_id, OAuthTokenRow.revoked_at.is_(None))
                .values(revoked_at=at)
            )

    # --- sweeping: each call deletes at most `limit` rows and says how many it did ---------------

    async def delete_expired_requests(self, now: datetime, limit: int) -> int:
        request = aliased(OAuthRequestRow)
        victims = select(request.id_hash).where(request.expires_at < now).limit(limit)
        return await self._delete(delete(OAuthRequestRow).where(OAuthRequestRow.id_hash.in_(victims)))

    async def delete_dead_codes(self, now: datetime, limit: int) -> int:
        """Expired codes whose token family holds no live token (a replay could revoke nothing)."""
        code = aliased(OAuthCodeRow)
        victims = (
            select(code.code_hash).where(code.expires_at < now, ~_family_is_live(code.family_id, now)).limit(limit)
        )
        return await self._delete(delete(OAuthCodeRow).where(OAuthCodeRow.code_hash.in_(victims)))

    async def delete_dead_tokens(self, now: datetime, limit: int) -> int:
        """Tokens of families with no live token left: every one expired or revoked."""
        token = aliased(OAuthTokenRow)
        victims = (
            select(token.token_hash)
            .where(
                or_(token.expires_at <= now, token.revoked_at.is_not(None)),
                ~_family_is_live(token.family_id, now),
            )
            .limit(limit)
        )
        return await self._delete(delete(OAuthTokenRow).where(OAuthTokenRow.token_hash.in_(victims)))

    async def delete_stale_clients(
        self, now: datetime, *, unused_before: datetime, idle_before: datetime, limit: int
    ) -> int:
        """Clients registered before `unused_before` that never obtained tokens, and clients whose
        last tokens were issued before `idle_before`; never one with a sign-in or a code under way."""
        client = aliased(OAuthClientRow)
        request, code = aliased(OAuthRequestRow), aliased(OAuthCodeRow)
        stale = or_(
            and_(client.last_used_at.is_(None), client.created_at < unused_before),
            client.last_used_at < idle_before,
        )
        signing_in = exists().where(request.client_id == client.client_id, request.expires_at >= now)
        holding_code = exists().where(code.client_id == client.client_id, code.expires_at >= now)
        victims = select(client.client_id).where(stale, ~signing_in, ~holding_code).limit(limit)
        return await self._delete(delete(OAuthClientRow).where(OAuthClientRow.client_id.in_(victims)))

    async def _delete(self, statement: Delete) -> int:
        async with self._engine.begin() as conn:
            result = await conn.execute(statement)
        return int(result.rowcount)


def _family_is_live(family_id: InstrumentedAttribute[str], now: datetime) -> ColumnElement[bool]:
    live = aliased(OAuthTokenRow)
    return exists().where(live.family_id == family_id, live.revoked_at.is_(None), live.expires_at > now)
