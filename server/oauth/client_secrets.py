"""Client secrets of dynamically registered OAuth clients, sealed under the keyring at rest.

The SDK checks a presented secret against the stored one in plain text, so a hash will not do;
the secret is stored AES-GCM encrypted instead, bound to its client id, as Mistral keys are.
`mistral-mcp keys status` counts these too and `keys rotate` re-encrypts them. Rows written
before sealing existed hold the secret as it came; they are read as such and sealed by the
next rotation.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from server.security.crypto import Keyring

SEALED_PREFIX = "sealed:"
PLAINTEXT = "plaintext"
"""What `key_id` reports for a secret stored before sealing existed."""


def _bound_to(client_id: str) -> bytes:
    return b"oauth-client-secret\x00" + client_id.encode("utf-8")


def _sealed_bytes(secret: str) -> bytes:
    return base64.urlsafe_b64decode(secret[len(SEALED_PREFIX) :])


def seal_info(keyring: Keyring, info: dict[str, Any]) -> str:
    """The client record as stored: JSON with its secret, if any, sealed."""
    secret = info.get("client_secret")
    if isinstance(secret, str) and not secret.startswith(SEALED_PREFIX):
        sealed = keyring.encrypt(secret, _bound_to(str(info["client_id"])))
        info = {**info, "client_secret": SEALED_PREFIX + base64.urlsafe_b64encode(sealed).decode("ascii")}
    return json.dumps(info)


def open_info(keyring: Keyring, stored: str) -> dict[str, Any]:
    """The client record with its secret in clear.

    Raises:
        CryptoError: the secret was sealed under a key that is not configured, or was altered.
    """
    info: dict[str, Any] = json.loads(stored)
    secret = info.get("client_secret")
    if isinstance(secret, str) and secret.startswith(SEALED_PREFIX):
        info["client_secret"] = keyring.decrypt(_sealed_bytes(secret), _bound_to(str(info["client_id"])))
    return info


def key_id(keyring: Keyring, stored: str) -> str | None:
    """The key id a stored record's secret is sealed under, `PLAINTEXT`, or None without a secret."""
    secret = json.loads(stored).get("client_secret")
    if not isinstance(secret, str):
        return None
    if not secret.startswith(SEALED_PREFIX):
        return PLAINTEXT
    return keyring.encryption_key_id(_sealed_bytes(secret))
