import pytest

from server.errors import ConfigError, CryptoError
from server.security.crypto import Keyring, generate_key


def test_round_trip_binds_ciphertext_to_its_row() -> None:
    keyring = Keyring([generate_key()])
    ciphertext = keyring.encrypt("sk-secret", b"row-1")
    assert b"sk-secret" not in ciphertext
    assert keyring.decrypt(ciphertext, b"row-1") == "sk-secret"
    with pytest.raises(CryptoError, match="integrity"):
        keyring.decrypt(ciphertext, b"row-2")


def test_each_encryption_uses_a_fresh_nonce() -> None:
    keyring = Keyring([generate_key()])
    assert keyring.encrypt("same", b"r") != keyring.encrypt("same", b"r")


def test_header_names_the_key_so_old_keys_still_decrypt_after_rotation() -> None:
    old, new = generate_key(), generate_key()
    ciphertext = Keyring([old]).encrypt("sk-secret", b"r")
    rotated = Keyring([new, old])
    assert rotated.encryption_key_id(ciphertext) == Keyring([old]).primary_key_id
    assert rotated.decrypt(ciphertext, b"r") == "sk-secret"
    assert rotated.encryption_key_id(rotated.encrypt("x", b"r")) == rotated.primary_key_id


def test_a_key_no_longer_configured_is_an_error_not_an_empty_value() -> None:
    ciphertext = Keyring([generate_key()]).encrypt("sk-secret", b"r")
    with pytest.raises(CryptoError, match="not configured"):
        Keyring([generate_key()]).decrypt(ciphertext, b"r")


def test_tampered_or_truncated_ciphertext_fails() -> None:
    keyring = Keyring([generate_key()])
    ciphertext = bytearray(keyring.encrypt("sk-secret", b"r"))
    ciphertext[-1] ^= 1
    with pytest.raises(CryptoError):
        keyring.decrypt(bytes(ciphertext), b"r")
    with pytest.raises(CryptoError, match="format"):
        keyring.decrypt(b"k1short", b"r")


@pytest.mark.parametrize("bad", ["not base64!!", "c2hvcnQ"])
def test_bad_key_material_is_a_config_error(bad: str) -> None:
    with pytest.raises(ConfigError):
        Keyring([bad])


def test_empty_keyring_is_refused_and_repr_shows_only_key_ids() -> None:
    with pytest.raises(ConfigError):
        Keyring([])
    key = generate_key()
    assert key not in repr(Keyring([key]))
