"""Where the encryption keyring comes from: the environment, a secret file, or a generated file.

Zero-configuration start generates one key into `DATA_DIR/encryption.key` (mode 0600) and
reuses it on every later start; production configures keys explicitly.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from server.errors import ConfigError
from server.security.crypto import Keyring, generate_key
from server.settings import Settings, variable_of

logger = logging.getLogger(__name__)

GENERATED_KEY_FILE = "encryption.key"


def _read_keys_file(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read encryption keys file {path}: {exc.strerror}") from None
    return [part.strip() for line in text.splitlines() for part in line.split(",") if part.strip()]


def _generated_key(data_dir: Path) -> list[str]:
    path = data_dir / GENERATED_KEY_FILE
    if path.exists():
        return _read_keys_file(path)
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(generate_key() + "\n")
    logger.warning(
        "No encryption key configured: generated one in %s (owner-only). For production set "
        "%s or %s (see `mistral-mcp keys generate`).",
        path,
        variable_of("encryption_keys"),
        variable_of("encryption_keys_file"),
    )
    return _read_keys_file(path)


def load_keyring(settings: Settings) -> Keyring:
    """Build the keyring: env keys first, then the keys file, else the generated file.

    Raises:
        ConfigError: keys are present but unusable.
    """
    keys = list(settings.encryption_keys)
    if settings.encryption_keys_file is not None:
        keys.extend(_read_keys_file(settings.encryption_keys_file))
    if not keys:
        keys = _generated_key(settings.data_dir)
    return Keyring(keys)
