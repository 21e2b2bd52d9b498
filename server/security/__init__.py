"""Security pieces: connection tokens and encryption of stored Mistral keys."""
