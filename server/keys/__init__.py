"""Operations on the encryption keys: where the keyring comes from (settings, a file, or a
generated one) and online rotation of every sealed value (`mistral-mcp keys ...`)."""
