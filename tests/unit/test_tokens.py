from server.security import tokens


def test_tokens_have_prefix_and_256_bits() -> None:
    token = tokens.new_token()
    assert token.startswith("mmcp_")
    assert tokens.is_well_formed(token)
    assert len(token) - len("mmcp_") == 43  # 32 bytes of base64url
    assert tokens.new_token() != token


def test_hash_is_stable_and_compared_in_constant_time() -> None:
    token = tokens.new_token()
    digest = tokens.hash_token(token)
    assert token not in digest
    assert tokens.hashes_match(digest, token)
    assert not tokens.hashes_match(digest, tokens.new_token())


def test_malformed_tokens_are_recognised() -> None:
    for bad in ["", "mmcp_", "mmcp_short", "xxxx_" + "a" * 43, "mmcp_" + "a" * 42 + "!", "mmcp_" + "a" * 44]:
        assert not tokens.is_well_formed(bad)
