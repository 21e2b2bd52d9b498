"""Re-encrypting stored Mistral keys (and OAuth client secrets) under the primary encryption key,
and reporting progress.

Rotation is online and resumable: it pages through rows not yet under the primary key,
re-encrypts each with the same associated data (so it stays bound to its row), and writes
it back only if the row still holds what was read. Replicas keep serving throughout,
because every configured key still decrypts. Interrupted, it is simply run again: rows
already done are no longer selected.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from server.connections import associated_data
from server.errors import CryptoError
from server.oauth import client_secrets
from server.security.crypto import Keyring
from storage.oauth_repository import OAuthRepository
from storage.repository import ConnectionRepository, Reencrypted

DEFAULT_BATCH_SIZE = 500


@dataclass(slots=True)
class RotationProgress:
    batches: int = 0
    rotated: int = 0
    changed_meanwhile: int = 0
    """Rows whose key the user replaced during the batch: left as they are (already primary)."""
    unreadable: list[str] = field(default_factory=list)
    """Connection ids (and `oauth client <id>`) whose ciphertext no configured key opens: they need
    the missing key back."""


@dataclass(frozen=True, slots=True)
class KeyStatus:
    primary: str
    configured: tuple[str, ...]
    rows: dict[str, int]
    plaintext: int = 0
    """OAuth client secrets stored before they were sealed: the next rotation seals them."""

    @property
    def unused(self) -> list[str]:
        """Configured non-primary keys that protect nothing: safe to remove."""
        return [kid for kid in self.configured[1:] if self.rows.get(kid, 0) == 0]

    @property
    def missing(self) -> list[str]:
        """Key ids rows are encrypted under that are not configured: those rows cannot be read."""
        return sorted(kid for kid, count in self.rows.items() if count and kid not in self.configured)

    @property
    def pending(self) -> int:
        """Rows not yet under the primary key."""
        return self.plaintext + sum(count for kid, count in self.rows.items() if kid != self.primary)


async def _oauth_clients(oauth: OAuthRepository, batch_size: int) -> AsyncIterator[list[tuple[str, str]]]:
    cursor = ""
    while batch := await oauth.clients_after(cursor, batch_size):
        yield batch
        cursor = batch[-1][0]


async def key_status(repository: ConnectionRepository, keyring: Keyring, oauth: OAuthRepository) -> KeyStatus:
    rows = dict(await repository.count_by_key_id())
    plaintext = 0
    async for batch in _oauth_clients(oauth, DEFAULT_BATCH_SIZE):
        for _, stored in batch:
            kid = client_secrets.key_id(keyring, stored)
            if kid == client_secrets.PLAINTEXT:
                plaintext += 1
            elif kid is not None:
                rows[kid] = rows.get(kid, 0) + 1
    return KeyStatus(keyring.primary_key_id, tuple(keyring.key_ids), rows, plaintext)


async def rotate_keys(
    repository: ConnectionRepository,
    keyring: Keyring,
    *,
    oauth: OAuthRepository,
    batch_size: int = DEFAULT_BATCH_SIZE,
    after_batch: Callable[[RotationProgress], Awaitable[None]] | None = None,
) -> RotationProgress:
    """Re-encrypt every stored key not under the primary key, `batch_size` rows per transaction,
    then every OAuth client secret not sealed under it."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    progress = RotationProgress()
    primary = keyring.primary_key_id
    cursor = ""
    while batch := await repository.keys_not_under(primary, after=cursor, limit=batch_size):
        changes = []
        for stored in batch:
            bound_to = associated_data(stored.connection_id)
            try:
                plaintext = keyring.decrypt(stored.ciphertext, bound_to)
            except CryptoError:
                progress.unreadable.append(stored.connection_id)
                continue
            changes.append(
                Reencrypted(
                    stored.connection_id,
                    stored.key_id,
                    stored.ciphertext,
                    primary,
                    keyring.encrypt(plaintext, bound_to),
                )
            )
        replaced = await repository.replace_ciphertexts(changes)
        progress.batches += 1
        progress.rotated += replaced
        progress.changed_meanwhile += len(changes) - replaced
        cursor = batch[-1].connection_id
        if after_batch is not None:
            await after_batch(progress)
    async for clients in _oauth_clients(oauth, batch_size):
        await _reseal_clients(oauth, keyring, clients, progress)
        progress.batches += 1
        if after_batch is not None:
            await after_batch(progress)
    return progress


async def _reseal_clients(
    oauth: OAuthRepository, keyring: Keyring, clients: list[tuple[str, str]], progress: RotationProgress
) -> None:
    for client_id, stored in clients:
        if client_secrets.key_id(keyring, stored) in (None, keyring.primary_key_id):
            continue
        try:
            resealed = client_secrets.seal_info(keyring, client_secrets.open_info(keyring, stored))
        except CryptoError:
            progress.unreadable.append(f"oauth client {client_id}")
            continue
        if await oauth.replace_client_info(client_id, stored, resealed):
            progress.rotated += 1
        else:
            progress.changed_meanwhile += 1
