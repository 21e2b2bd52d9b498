"""AES-256-GCM encryption of stored Mistral keys under a rotating keyring.

Ciphertext layout: ``b"k1" | key id (8 bytes) | nonce (12 bytes) | ciphertext+tag``.
The key id is derived from the key itself, so operators only ever handle key material;
associated data binds each ciphertext to its row, so a ciphertext copied to another row
fails to decrypt instead of handing one user's key to another.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from server.errors import ConfigError, CryptoError

_VERSION = b"k1"
_KID_LEN = 8
_NONCE_LEN = 12


def generate_key() -> str:
    """A new encryption key, in the form `settings.encryption_keys` takes."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


def key_id_of(raw_key: bytes) -> str:
    return hashlib.sha256(b"mistral-mcp key id" + raw_key).hexdigest()[: _KID_LEN * 2]


def _decode_key(text: str) -> bytes:
    padded = text.strip() + "=" * (-len(text.strip()) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded.replace("+", "-").replace("/", "_"))
    except (binascii.Error, ValueError):
        raise ConfigError("an encryption key is not valid base64") from None
    if len(raw) != 32:
        raise ConfigError(f"an encryption key must decode to 32 bytes (AES-256), got {len(raw)}")
    return raw


@dataclass(frozen=True, slots=True)
class _Key:
    kid: str
    aead: AESGCM


class Keyring:
    """The first key encrypts; every key decrypts."""

    def __init__(self, encoded_keys: Iterable[str]) -> None:
        keys: list[_Key] = []
        for text in encoded_keys:
            raw = _decode_key(text)
            keys.append(_Key(key_id_of(raw), AESGCM(raw)))
        if not keys:
            raise ConfigError("the keyring needs at least one encryption key")
        self._keys = keys
        self._by_kid = {key.kid: key for key in keys}

    def __repr__(self) -> str:
        return f"Keyring(key_ids={self.key_ids!r})"

    @property
    def primary_key_id(self) -> str:
        return self._keys[0].kid

    @property
    def key_ids(self) -> list[str]:
        return [key.kid for key in self._keys]

    def encrypt(self, plaintext: str, associated_data: bytes) -> bytes:
        key = self._keys[0]
        nonce = os.urandom(_NONCE_LEN)
        header = _VERSION + bytes.fromhex(key.kid)
        return header + nonce + key.aead.encrypt(nonce, plaintext.encode("utf-8"), header + associated_data)

    def encryption_key_id(self, ciphertext: bytes) -> str:
        return ciphertext[len(_VERSION) : len(_VERSION) + _KID_LEN].hex()

    def decrypt(self, ciphertext: bytes, associated_data: bytes) -> str:
        """Raises:
        CryptoError: unknown format, a key id no configured key has, or a failed tag check.
        """
        header_len = len(_VERSION) + _KID_LEN
        if len(ciphertext) < header_len + _NONCE_LEN + 16 or not ciphertext.startswith(_VERSION):
            raise CryptoError("stored key has an unknown format")
        kid = ciphertext[len(_VERSION) : header_len].hex()
        key = self._by_kid.get(kid)
        if key is None:
            raise CryptoError(f"stored key was encrypted with key id {kid}, which is not configured")
        nonce = ciphertext[header_len : header_len + _NONCE_LEN]
        try:
            plaintext = key.aead.decrypt(
                nonce, ciphertext[header_len + _NONCE_LEN :], ciphertext[:header_len] + associated_data
            )
        except InvalidTag:
            raise CryptoError("stored key failed its integrity check") from None
        return plaintext.decode("utf-8")
