"""Connection tokens: 256 random bits behind a recognisable prefix, stored only as a hash.

Tokens carry full entropy, so a fast hash (SHA-256) is enough: no dictionary can reach
them, and lookup by hash keeps the hot path to one indexed read.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

TOKEN_PREFIX = "mmcp_"  # noqa: S105 - a public prefix, not a secret
_TOKEN_BYTES = 32
_TOKEN_RE = re.compile(r"^mmcp_[A-Za-z0-9_-]{43}$")


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(_TOKEN_BYTES)


def is_well_formed(token: str) -> bool:
    return bool(_TOKEN_RE.fullmatch(token))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def hashes_match(stored_hash: str, token: str) -> bool:
    """Constant-time check that `token` hashes to `stored_hash`."""
    return hmac.compare_digest(stored_hash.encode("ascii"), hash_token(token).encode("ascii"))


def bearer_credential(authorization: str) -> str | None:
    """What follows `Bearer ` in an Authorization header value, or None for any other scheme or none."""
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()
