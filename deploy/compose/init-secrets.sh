#!/bin/sh
# Create the secret files compose.yaml mounts (once). Keep ./secrets out of version control and backed up:
# losing encryption_keys makes every stored Mistral key unreadable.
set -eu
cd "$(dirname "$0")"
# The directory keeps other users of this host out. The files themselves must stay readable
# inside the containers (Compose bind-mounts them as they are, and the app does not run as you).
mkdir -p secrets
chmod 700 secrets
umask 022
if [ ! -s secrets/postgres_password ]; then
  python3 -c "import secrets; print(secrets.token_hex(24))" > secrets/postgres_password
fi
if [ ! -s secrets/database_url ]; then
  printf 'postgresql://mcp:%s@postgres:5432/mcp\n' "$(cat secrets/postgres_password)" > secrets/database_url
fi
if [ ! -s secrets/encryption_keys ]; then
  # Same format as `mistral-mcp keys generate`: 32 random bytes, URL-safe base64.
  python3 -c "import base64, secrets; print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())" > secrets/encryption_keys
fi
ls -l secrets
