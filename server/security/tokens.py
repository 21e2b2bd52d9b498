"""Every secret token we issue: 256 random bits behind a prefix that says its kind, stored only as a hash.

The prefixes are public (they make a leaked token recognisable to secret scanners and tell the
authentication seam, `server/callers.py`, which store to look in); this module is the only place
that knows them. Tokens carry full entropy, so a fast hash (SHA-256) is enough: no dictionary can
reach them, and lookup by hash keeps the hot path to one indexed read.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

# Public prefixes, not secrets.
TOKEN_PREFIX = "mmcp_"  # noqa: S105 - a connection token: the personal URL's secret
ACCESS_TOKEN_PREFIX = "mmat_"  # noqa: S105 - an OAuth access token
REFRESH_TOKEN_PREFIX = "mmrt_"  # noqa: S105 - an OAuth refresh token
AUTHORIZATION_CODE_PREFIX = "mmac_"
AUTHORIZATION_REQUEST_PREFIX = "mmrq_"  # a pending sign-in on the consent page
_TOKEN_BYTES = 32
_TOKEN_RE = re.compile(rf"^{TOKEN_PREFIX}[A-Za-z0-9_-]{{43}}$")
TOKEN_IN_TEXT = re.compile(rf"({TOKEN_PREFIX}[A-Za-z0-9_-]{{43}})")
"""A connection token anywhere in a text (a pasted URL, say)."""


def new_secret(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(_TOKEN_BYTES)


def new_token() -> str:
    return new_secret(TOKEN_PREFIX)


def is_well_formed(token: str) -> bool:
    return bool(_TOKEN_RE.fullmatch(token))


def is_access_token(token: str) -> bool:
    return token.startswith(ACCESS_TOKEN_PREFIX)


def hash_token(token: str) -> str:
    """The stored form of a token. Any text hashes (to what no token of ours does, unless it is one):
    callers hash what clients send, and header values, query strings and forms can hold any character."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def hashes_match(stored_hash: str, token: str) -> bool:
    """Constant-time check that `token` hashes to `stored_hash`."""
    return hmac.compare_digest(stored_hash.encode("ascii"), hash_token(token).encode("ascii"))


def bearer_credential(authorization: str) -> str | None:
    """What follows `Bearer ` in an Authorization header value, or None for any other scheme or none."""
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()
